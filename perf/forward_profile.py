#!/usr/bin/env python3
"""Profiles smppd A while it forwards (issue 12): smppbench -> A -> smppd B over SMPP, or
-> perf/httpsink over HTTP, as perf/bench.py's forwarding scenarios set them up (memory mode,
perf/smppd-bench.toml). A warm-up run first, then `perf record -g` on A for one measured run;
prints the run's figures (A's CPU s / 1M messages among them). Read the profile with
`perf report -i FILE --no-children`.

Usage: perf/forward_profile.py [--carrier smpp|http] [--receipts] [--count N] [--warmup N] [--out FILE]
(builds nothing: run perf/bench.sh or `swift build -c release` first)."""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--carrier", choices=["smpp", "http"], default="smpp")
    ap.add_argument("--receipts", action="store_true", help="smppbench asks a receipt for every message")
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--warmup", type=int, default=2_000_000)
    ap.add_argument("--out", default="forward.perf.data")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-fwd-profile-")
    started = []
    try:
        upstream, table = bench.start_upstream(work, a.carrier)
        started.append(upstream)
        node, port = bench.start_forwarding_node(work, "A", table, wait_bound=a.carrier == "smpp")
        started.append(node)
        if a.warmup:
            bench.run_clients(port, node.pid, [bench.BATCH16 + ["--count", str(a.warmup)]])
        perf = subprocess.Popen(["perf", "record", "-g", "-F", "999", "-p", str(node.pid), "-o", a.out],
                                stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        run, _ = bench.one_run(port, node.pid, bench.BATCH16 + ["--count", str(a.count)] + (["--receipts"] if a.receipts else []))
        perf.send_signal(2)
        perf.wait()
        print({k: v for k, v in run.items() if not k.startswith("_")})
    finally:
        for p in started:
            bench.stop(p)


if __name__ == "__main__":
    main()
