#!/usr/bin/env python3
"""The performance record's driver (issue 5): starts smppd (memory mode) and the ceiling server,
runs smppbench through fixed scenarios against each, 3 times, and prints a Markdown table of
medians with the server's CPU seconds per million PDUs (from /proc/PID/stat) — the fair figure on
2 cores, where the client is often the limit. Usage: perf/bench.sh [--runs 3] [--count N]"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REL = os.path.join(ROOT, ".build", "release")
TICKS = os.sysconf("SC_CLK_TCK")

SCENARIOS = [
    # name, smppbench args, applies to the ceiling too
    ("batch1_w100_c4", ["--connections", "4", "--window", "100", "--batch", "1"], True),
    ("batch16_w256_c4", ["--connections", "4", "--window", "256", "--batch", "16"], True),
    ("batch16_w256_c4_receipts", ["--connections", "4", "--window", "256", "--batch", "16", "--receipts"], False),
]


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_kib(pid: int) -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start(cmd, ready: re.Pattern, stream="stderr"):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    for line in getattr(proc, stream):
        m = ready.search(line)
        if m:
            # Keep reading its output so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in getattr(proc, stream)], daemon=True).start()
            return proc, int(m.group(1))
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit(f"{cmd[0]} did not become ready")


def run_bench(port: int, args, count: int, pid: int):
    out = tempfile.mktemp(suffix=".json")
    cmd = [os.path.join(REL, "smppbench"), "--host", "127.0.0.1", "--port", str(port), "--system-id", "bench",
           "--password", "bench", "--insecure", "--count", str(count), "--json", out] + args
    cpu0 = cpu_seconds(pid)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    cpu = cpu_seconds(pid) - cpu0
    r = json.load(open(out))
    r["server_cpu_s_per_million"] = cpu / count * 1e6
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--count", type=int, default=500_000)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-bench-")
    cfg = os.path.join(work, "smppd.toml")
    with open(cfg, "w") as f:
        f.write('[carrier]\nlatency-min-ms = 1\nlatency-median-ms = 5\nlatency-max-ms = 20\n'
                '[delivery]\nwindow = 512\n[messages]\nmax-records = 4000000\nretention-ms = 60000\n'
                '[[account]]\nsystem-id = "bench"\npassword = "bench"\nmax-sessions = 64\n')
    smppd, port = start([os.path.join(REL, "smppd"), "--config", cfg, "--memory", "--data-dir", os.path.join(work, "var"),
                         "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                        re.compile(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls"))
    ceiling, cport = start([os.path.join(ROOT, "perf", "ceiling", "ceiling"), "0", os.path.join(work, "var", "tls-cert.pem"),
                            os.path.join(work, "var", "tls-key.pem")], re.compile(r"listening 127\.0\.0\.1:(\d+)"), "stdout")
    rows = []
    try:
        for name, args, on_ceiling in SCENARIOS:
            for target, p, pid in [("smppd", port, smppd.pid)] + ([("ceiling", cport, ceiling.pid)] if on_ceiling else []):
                runs = [run_bench(p, args, a.count, pid) for _ in range(a.runs)]
                med = lambda k: statistics.median(r[k] for r in runs)
                rows.append((name, target, med("submit_per_s"), med("receipts_per_s"), med("p50_us"), med("p99_us"),
                             med("p999_us"), med("server_cpu_s_per_million"), [round(r["submit_per_s"]) for r in runs]))
        rss = rss_kib(smppd.pid)
    finally:
        for p in (smppd, ceiling):
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
    print(f"| scenario | server | submit/s (median of {a.runs}) | receipts/s | p50 µs | p99 µs | p99.9 µs | server CPU s / 1M PDUs | runs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:,.0f} | {r[3]:,.0f} | {r[4]:.0f} | {r[5]:.0f} | {r[6]:.0f} | {r[7]:.2f} | {r[8]} |")
    print(f"\nsmppd RSS at the end: {rss / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
