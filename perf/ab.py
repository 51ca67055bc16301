#!/usr/bin/env python3
"""A/B of two smppd binaries in the same run: starts both (memory mode unless --fsync is given,
perf/smppd-bench.toml), warms each up, then alternates smppbench runs A, B, A, B … --runs times
each and prints the medians of submit_sm/s and server CPU seconds per million PDUs, and B/A.
Alternating spreads the machine's slow and fast moments over both sides.
Usage: perf/ab.py OLD_SMPPD NEW_SMPPD [--runs 5] [--count 1000000] [--fsync always|everysec|never]
       [-- extra smppbench options]"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402


def start(binary: str, work: str, name: str, fsync: str | None):
    d = os.path.join(work, name)
    os.makedirs(d)
    cfg = os.path.join(d, "smppd.toml")
    text = open(bench.SMPPD_CONFIG).read()
    if fsync:
        text = f'[store]\nfsync = "{fsync}"\n' + text
    with open(cfg, "w") as f:
        f.write(text)
    mode = [] if fsync else ["--memory"]
    return bench.start([binary, "--config", cfg, *mode, "--data-dir", os.path.join(d, "var"),
                        "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                       bench.re.compile(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls"))


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        extra = argv[argv.index("--") + 1:]
        argv = argv[:argv.index("--")]
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--fsync")
    a = ap.parse_args(argv)
    work = tempfile.mkdtemp(prefix="smppd-ab-")
    servers = {}
    try:
        for label, binary in [("A", a.old), ("B", a.new)]:
            proc, port = start(binary, work, label, a.fsync)
            servers[label] = (proc, port)
        args = bench.BATCH16 + ["--count", str(a.count)] + extra
        for label, (proc, port) in servers.items():   # warm-up: tables grown, pages touched
            bench.one_run(port, proc.pid, args)
        results = {"A": [], "B": []}
        for _ in range(a.runs):
            for label, (proc, port) in servers.items():
                r, _ = bench.one_run(port, proc.pid, args)
                results[label].append(r)
                sys.stderr.write(f"{label}: {r['submit_per_s']:,.0f}/s, {r['cpu_s_per_million']:.2f} CPU s/1M\n")
    finally:
        for proc, _ in servers.values():
            bench.stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    med = {k: (statistics.median(r["submit_per_s"] for r in v), statistics.median(r["cpu_s_per_million"] for r in v),
               statistics.median(r["p99_us"] for r in v)) for k, v in results.items()}
    print(f"| side | binary | submit/s (median of {a.runs}) | server CPU s / 1M | p99 µs | runs |")
    print("|---|---|---|---|---|---|")
    for k, path in [("A", a.old), ("B", a.new)]:
        print(f"| {k} | {path} | {med[k][0]:,.0f} | {med[k][1]:.2f} | {med[k][2]:,.0f} | "
              f"{[round(r['submit_per_s']) for r in results[k]]} |")
    print(f"\nB / A: throughput {100 * med['B'][0] / med['A'][0]:.1f} %, CPU per PDU {100 * med['B'][1] / med['A'][1]:.1f} %")


if __name__ == "__main__":
    main()
