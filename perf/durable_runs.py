#!/usr/bin/env python3
"""One durable smppd (perf/smppd-bench.toml, [store] fsync = FSYNC) and RUNS batch-16 smppbench
runs of 2M submits back to back, no warm-up: per run the submit rate, p99, server CPU per
million, the loop thread's and the journal writer thread's user/system µs per message, and the
journal's metrics (bytes, segments, compaction passes, recycled segments). Shows what a
compaction pass costs the runs that meet it, and what recycled segments save the writer.
Usage: perf/durable_runs.py [--binary PATH] [--fsync never] [--runs 11]"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def threads(pid):
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        f = open(f"/proc/{pid}/task/{t}/stat").read().rsplit(")", 1)[1].split()
        out[t] = (int(f[11]) / TICK, int(f[12]) / TICK)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(bench.REL, "smppd"))
    ap.add_argument("--fsync", default="never")
    ap.add_argument("--runs", type=int, default=11)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-durable-runs-")
    cfg = os.path.join(work, "smppd.toml")
    with open(cfg, "w") as f:
        f.write(f'[store]\nfsync = "{a.fsync}"\n' + open(bench.SMPPD_CONFIG).read())
    proc = subprocess.Popen([a.binary, "--config", cfg, "--data-dir", os.path.join(work, "var"), "--listen", "127.0.0.1:0",
                             "--admin", "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    port = admin = None
    for line in proc.stdout:
        if m := re.search(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls", line):
            port = int(m.group(1))
        if m := re.search(r"event=listening addr=127\.0\.0\.1:(\d+) proto=admin", line):
            admin = int(m.group(1))
        if port and admin:
            break
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()

    def metrics():
        text = urllib.request.urlopen(f"http://127.0.0.1:{admin}/metrics").read().decode()
        return {m.group(1): float(m.group(2)) for m in re.finditer(r"^smppd_store_(\w+)\s+([0-9.e+]+)$", text, re.M)}

    try:
        print("| run | submit/s | p99 µs | CPU s / 1M | loop user/sys µs | writer user/sys µs | journal MB | segments | passes | recycled |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for i in range(a.runs):
            t0 = threads(proc.pid)
            r, _ = bench.one_run(port, proc.pid, bench.BATCH16 + ["--count", "2000000"])
            t1 = threads(proc.pid)
            n = r["_pdus_total"]
            tids = sorted(t1, key=int)
            loop = tids[0]
            writer = max(tids[1:], key=lambda t: t1[t][1] - t0.get(t, (0, 0))[1])
            per = lambda t, k: (t1[t][k] - t0.get(t, (0, 0))[k]) / n * 1e6
            m = metrics()
            print(f"| {i + 1} | {r['submit_per_s']:,.0f} | {r['p99_us']:,.0f} | {r['cpu_s_per_million']:.2f} | "
                  f"{per(loop, 0):.3f} / {per(loop, 1):.3f} | {per(writer, 0):.3f} / {per(writer, 1):.3f} | "
                  f"{m.get('journal_bytes', 0) / 1e6:,.0f} | {m.get('journal_segments', 0):.0f} | "
                  f"{m.get('compactions_total', 0):.0f} | {m.get('segments_recycled_total', 0):.0f} |", flush=True)
    finally:
        bench.stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
