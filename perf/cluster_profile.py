#!/usr/bin/env python3
"""Profiles a two-node cluster (issue 15) as perf/bench_cluster.py sets it up: redis-server and
two memory-mode smppd nodes, a warm-up, then one measured smppbench run with a receipt for
every message, receipts kept on their node (`--mode local`) or crossing from node 1 to a
receiver on node 2 (`--mode crossing`), under `perf record -g -e cpu-clock` (this VM has no
hardware counters) on node 1, node 2 and redis-server at once. Prints the run's figures, each
process's CPU per message and Redis's commands per message. Read a profile with
`perf report -i FILE.node1 --no-children --sort symbol`.

Usage: perf/cluster_profile.py [--mode local|crossing] [--count N] [--rate N] [--warmup N] [--out FILE]
       [--account bench|leased] [--credit-block N] [--runs N] [--no-perf]
(--account leased: credits and a submit rate, leased in blocks of --credit-block; --runs: that
many measured runs, the figures of each printed; --no-perf: the figures only)
(builds nothing: run perf/bench.sh or `swift build -c release` first)."""

import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import bench_cluster as cl  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["local", "crossing"], default="crossing")
    ap.add_argument("--count", type=int, default=1_000_000)
    ap.add_argument("--rate", type=int, default=0, help="smppbench --rate (0: as fast as it goes)")
    ap.add_argument("--warmup", type=int, default=2_000_000)
    ap.add_argument("--out", default="cluster.perf.data")
    ap.add_argument("--account", choices=["bench", "leased"], default="bench")
    ap.add_argument("--credit-block", type=int, default=0, help="[cluster] credit-block (0: the default)")
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--no-perf", action="store_true")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-cluster-profile-")
    started, perfs = [], []
    try:
        redis, rport = cl.start_redis(work)
        started.append(redis)
        extra = f"credit-block = {a.credit_block}" if a.credit_block else ""
        n1, p1 = cl.start_node(work, "node1", rport, 1, proxy=False, cluster_keys=extra)
        started.append(n1)
        n2, p2 = cl.start_node(work, "node2", rport, 2, proxy=False, cluster_keys=extra)
        started.append(n2)
        pids = {"node 1": n1.pid, "node 2": n2.pid}
        if a.warmup:
            cl.one_cluster_run(p1, bench.BATCH16 + ["--also-port", str(p2), "--count", str(a.warmup)], pids, rport)
        args = bench.BATCH16 + ["--count", str(a.count), "--receipts"] + (["--rate", str(a.rate)] if a.rate else [])
        if a.mode == "local":
            args += ["--also-port", str(p2)]
        else:
            args += ["--bind", "transmitter", "--receiver-port", str(p2), "--receivers", str(cl.RECEIVERS), "--drain", "10"]
        if not a.no_perf:
            for name, pid in [("node1", n1.pid), ("node2", n2.pid), ("redis", redis.pid)]:
                perfs.append(subprocess.Popen(["perf", "record", "-g", "-e", "cpu-clock", "-F", "999", "-p", str(pid),
                                               "-o", f"{a.out}.{name}"], stderr=subprocess.DEVNULL))
            time.sleep(0.5)
        cl.redis_command(rport, "CONFIG", "RESETSTAT")
        total = 0
        for _ in range(a.runs):
            run, _ = cl.one_cluster_run(p1, args, pids, rport, a.account)
            total += run["_pdus_total"]
            print({k: round(v, 3) if isinstance(v, float) else v for k, v in run.items() if not k.startswith("_")})
        stats = cl.command_stats(rport)
        for p in perfs:
            p.send_signal(2)
            p.wait()
        perfs.clear()
        total = total or 1
        print("Redis commands per 1,000 messages (µs per call): " + ", ".join(
            f"{c} {1000 * calls / total:.2f} ({usec / calls:.1f})" for c, (calls, usec) in
            sorted(stats.items(), key=lambda kv: -kv[1][1]) if calls and c not in ("info", "config|resetstat")))
        print(f"deliveries dropped (event=deliver-dropped): {cl.dropped_deliveries()}")
        if not a.no_perf:
            print(f"profiles: {a.out}.node1 {a.out}.node2 {a.out}.redis")
    finally:
        for p in perfs:
            p.send_signal(2)
            p.wait()
        for p in reversed(started):
            bench.stop(p)


if __name__ == "__main__":
    main()
