#!/usr/bin/env python3
"""The journal writer's fdatasync latency under load, next to the client's: one durable smppd
(fsync always) warmed with 14M batch-16 submits (past its first compaction passes), then a 5 s
run at --rate with `perf trace -e fdatasync` on the server. Prints the client's p50/p99/p99.9
and the distribution of the syncs. Needs perf with syscall tracepoints.
Usage: perf/sync_latency.py [--rate 450000]"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=int, default=450_000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-sync-latency-")
    trace = os.path.join(work, "fdatasync.trace")
    (proc, port), _ = bench.start_smppd(work, "always", fsync="always")
    try:
        bench.run_clients(port, proc.pid, [bench.BATCH16 + ["--count", "14000000"]])
        tracer = subprocess.Popen(["perf", "trace", "-e", "fdatasync", "-p", str(proc.pid), "-o", trace],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)   # perf attaches
        r, _ = bench.one_run(port, proc.pid, bench.BATCH16 + ["--rate", str(a.rate), "--duration", "5"])
        tracer.send_signal(2)
        tracer.wait()
        print(f"client: {r['submit_per_s']:,.0f}/s, p50 {r['p50_us']:,.0f} µs, p99 {r['p99_us']:,.0f} µs, "
              f"p99.9 {r['p999_us']:,.0f} µs")
        us = sorted(float(m.group(1)) * 1000 for m in
                    (re.search(r"\(\s*([0-9.]+) ms\): .*fdatasync", line) for line in open(trace)) if m)
        if us:
            q = lambda p: us[min(len(us) - 1, int(len(us) * p))]
            print(f"fdatasync: {len(us)} calls, p50 {q(0.5):,.0f} µs, p90 {q(0.9):,.0f} µs, p99 {q(0.99):,.0f} µs, "
                  f"max {us[-1]:,.0f} µs")
    finally:
        bench.stop(proc)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
