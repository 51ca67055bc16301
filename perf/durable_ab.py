#!/usr/bin/env python3
"""A/B of durable-mode settings in the same run: one smppd per variant (perf/smppd-bench.toml
plus the variant's [store] keys), each warmed with --warm batch-16 submits (past its first
compaction passes), then --rounds rounds that run every variant once in turn: a --count
peak run, or with --rate a 5 s run at that rate. Prints each run (submit/s, p50/p99, server
CPU per million, and each thread's CPU and run-queue wait from /proc/PID/task/*/schedstat)
and the medians.

Variants: NAME[:KEY=VALUE,...], KEY=VALUE going into [store] (e.g. "n0:writer-nice=0");
the name "mem" runs --memory; NAME@DIR takes smppd from DIR (another build) instead.
Usage: perf/durable_ab.py --fsync always --rate 450000 --variants n0:writer-nice=0 n5 --rounds 5"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402


def threads(pid):
    """{tid: (name, cpu ns, run-queue wait ns)} from /proc/PID/task/*/schedstat."""
    out = {}
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            cpu, wait, _ = map(int, open(f"/proc/{pid}/task/{t}/schedstat").read().split())
            out[t] = (open(f"/proc/{pid}/task/{t}/comm").read().strip(), cpu, wait)
        except OSError:
            pass
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fsync", default="always", choices=["always", "everysec", "never"])
    ap.add_argument("--variants", nargs="+", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=int, default=0, help="0: peak runs of --count submits")
    ap.add_argument("--count", type=int, default=2_000_000)
    ap.add_argument("--warm", type=int, default=14_000_000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-durable-ab-")
    servers = []
    default_rel = bench.REL
    try:
        for v in a.variants:
            name, _, keys = v.partition(":")
            name, _, rel = name.partition("@")
            bench.REL = rel or default_rel
            memory = name == "mem"
            store = "".join(f"{k.strip()} = {val.strip()}\n" for k, _, val in
                            (kv.partition("=") for kv in keys.split(",") if kv))
            (proc, port), _ = bench.start_smppd(work, name, fsync=None if memory else a.fsync, extra_store=store)
            bench.REL = default_rel
            servers.append((name, proc, port))
            t = time.monotonic()
            bench.run_clients(port, proc.pid, [bench.BATCH16 + ["--count", str(a.warm)]])
            print(f"{name}: warmed in {time.monotonic() - t:.1f} s", flush=True)
        runs = {name: [] for name, _, _ in servers}
        for r in range(a.rounds):
            for name, proc, port in servers:
                args = bench.BATCH16 + (["--rate", str(a.rate), "--duration", "5"] if a.rate else ["--count", str(a.count)])
                before = threads(proc.pid)
                x, _ = bench.one_run(port, proc.pid, args)
                after = threads(proc.pid)
                runs[name].append(x)
                per = sorted(((after[t][0], (after[t][1] - before[t][1]) / 1e9, (after[t][2] - before[t][2]) / 1e9)
                              for t in after if t in before), key=lambda p: -p[1])
                print(f"round {r} {name}: {x['submit_per_s']:,.0f}/s p50 {x['p50_us']} p99 {x['p99_us']} "
                      f"cpu s/1M {x['cpu_s_per_million']:.2f}; threads cpu/wait s: "
                      + " ".join(f"{n} {c:.2f}/{w:.2f}" for n, c, w in per if c > 0.05), flush=True)
        for name, xs in runs.items():
            med = lambda k: sorted(x[k] for x in xs)[len(xs) // 2]
            print(f"{name}: median {med('submit_per_s'):,.0f}/s, p99 {med('p99_us')} µs, "
                  f"cpu s/1M {med('cpu_s_per_million'):.2f}")
    finally:
        for _, p, _ in servers:
            bench.stop(p)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
