#!/usr/bin/env python3
"""A soak of durable smppd (issue 11): a steady submit load with a receipt for every message for
--minutes, sampling every --every seconds what must stay flat when nothing leaks:

  RSS (KiB), open file descriptors, threads, the carrier queues and pending deliver_sm (from
  /v1/stats), the journal's bytes on disk and segment files, compaction passes, and the
  client's submit_sm → submit_sm_resp latency over the interval (the worst of smppbench's
  per-second p50 and p99 lines: what a client sees, the wait for the journal included).

Prints one Markdown row per sample and a summary comparing the last third of the run with the
first third (after a warm-up of --warmup seconds). Usage:
  perf/soak.sh [--minutes 30] [--rate 50000] [--every 10] [--warmup 60] [--fsync always]
               [--json FILE] [--bin-dir DIR]
smppbench's stderr is read as it comes: a full pipe would block it (and so stop its reads)."""

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
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REL = os.path.join(ROOT, ".build", "release")
sys.path.insert(0, os.path.dirname(__file__))
from bench import start, stop  # noqa: E402


def proc_status(pid: int) -> dict:
    out = {}
    for line in open(f"/proc/{pid}/status"):
        k, _, v = line.partition(":")
        if k in ("VmRSS", "Threads"):
            out[k] = int(v.split()[0])
    out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return out


def http(port: int, path: str) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
        return r.read().decode()


PROGRESS = re.compile(r"^\[\d+s\] submit_resp/s (\d+) p50 ([\d.]+) ms p99 ([\d.]+) ms")


class ProgressReader:
    """Reads smppbench's stderr as it comes (so it never blocks on a full pipe) and keeps the
    per-second progress lines: rate, p50 and p99 of that second."""

    def __init__(self, stream):
        self.lock = threading.Lock()
        self.seconds: list[tuple[int, float, float]] = []
        self.tail: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for line in stream:
            m = PROGRESS.match(line)
            with self.lock:
                if m:
                    self.seconds.append((int(m.group(1)), float(m.group(2)) * 1000, float(m.group(3)) * 1000))
                self.tail = (self.tail + [line.rstrip()])[-20:]

    def take(self) -> list[tuple[int, float, float]]:
        with self.lock:
            out, self.seconds = self.seconds, []
        return out


def du(path: str) -> int:
    total = 0
    for name in os.listdir(path):
        total += os.stat(os.path.join(path, name)).st_blocks * 512
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--rate", type=int, default=50_000)
    ap.add_argument("--every", type=float, default=10)
    ap.add_argument("--warmup", type=float, default=60)
    ap.add_argument("--fsync", default="always")
    ap.add_argument("--json")
    ap.add_argument("--bin-dir", default=REL, help="where smppd and smppbench are (default .build/release)")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-soak-")
    cfg = os.path.join(work, "smppd.toml")
    text = open(os.path.join(ROOT, "perf", "smppd-bench.toml")).read()
    # A store that fills and evicts within the run (1M records, 60 s retention), so the soak
    # sees the steady state: records purged, segments compacted away.
    text = text.replace("max-records = 4000000", "max-records = 1000000")
    with open(cfg, "w") as f:
        f.write(f'[store]\nfsync = "{a.fsync}"\n' + text)
    data = os.path.join(work, "var")
    smppd, port = start([os.path.join(a.bin_dir, "smppd"), "--config", cfg, "--data-dir", data,
                         "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                        re.compile(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls"))
    seconds = int(a.minutes * 60)
    bench = subprocess.Popen([os.path.join(a.bin_dir, "smppbench"), "--host", "127.0.0.1", "--port", str(port),
                              "--system-id", "bench", "--password", "bench", "--insecure",
                              "--connections", "4", "--window", "256", "--batch", "16", "--receipts",
                              "--rate", str(a.rate), "--duration", str(seconds)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    progress = ProgressReader(bench.stderr)
    admin = admin_port(smppd.pid)
    rows = []
    t0 = time.monotonic()
    print("| t s | RSS MiB | fds | threads | submission q | completion q | deliver_sm pending | journal MiB on disk | "
          "segments | compactions | submit p50 µs (worst second) | submit p99 µs (worst second) | submits in interval |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    try:
        while bench.poll() is None and time.monotonic() - t0 < seconds + 30:
            time.sleep(a.every)
            st = proc_status(smppd.pid)
            stats = json.loads(http(admin, "/v1/stats"))
            per_second = progress.take()
            p50 = max((x[1] for x in per_second), default=None)
            p99 = max((x[2] for x in per_second), default=None)
            interval = sum(x[0] for x in per_second)
            row = {"t": round(time.monotonic() - t0), "rss_mib": st["VmRSS"] / 1024, "fds": st["fds"],
                   "threads": st["Threads"], "submission_q": stats["queues"]["submission"],
                   "completion_q": stats["queues"]["completion"], "pending": stats["queues"]["deliver_sm_pending"],
                   "disk_mib": du(os.path.join(data, "journal")) / 2**20,
                   "segments": stats["store"].get("journal_segments"), "compactions": stats["store"].get("compactions_total"),
                   "p50_us": p50, "p99_us": p99, "submits": interval}
            rows.append(row)
            fmt = lambda v: "-" if v is None else (f"{v:,.0f}" if isinstance(v, (int, float)) else str(v))
            print(f"| {row['t']} | {row['rss_mib']:.1f} | {row['fds']} | {row['threads']} | {row['submission_q']} | "
                  f"{row['completion_q']} | {row['pending']} | {row['disk_mib']:.0f} | {row['segments']} | "
                  f"{row['compactions']} | {fmt(p50)} | {fmt(p99)} | {fmt(interval)} |", flush=True)
        bench.wait(timeout=120)
        progress.thread.join(timeout=10)
        if bench.returncode != 0:
            print(f"smppbench exited {bench.returncode}: " + "\n".join(progress.tail))
    finally:
        if bench.poll() is None:
            bench.send_signal(signal.SIGTERM)
        stop(smppd)
    steady = [r for r in rows if r["t"] >= a.warmup]
    if len(steady) >= 6:
        third = len(steady) // 3
        first, last = steady[:third], steady[-third:]
        print("\nFirst third against last third of the run after the warm-up (medians):")
        for key, label in [("rss_mib", "RSS MiB"), ("fds", "open fds"), ("threads", "threads"),
                           ("disk_mib", "journal MiB on disk"), ("pending", "deliver_sm pending"),
                           ("p99_us", "submit p99 µs")]:
            f = statistics.median(r[key] for r in first if r[key] is not None)
            l = statistics.median(r[key] for r in last if r[key] is not None)
            print(f"- {label}: {f:,.1f} -> {l:,.1f}")
        print(f"- max journal MiB on disk after warm-up: {max(r['disk_mib'] for r in steady):,.0f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


def admin_port(pid: int) -> int:
    """The admin listener's port, from the process's listening sockets (the TLS one is known)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = []
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        if f[3] == "0A" and f[9] in inodes:   # LISTEN
            ports.append(int(f[1].split(":")[1], 16))
    for p in ports:
        try:
            if "smppd_" in http(p, "/metrics"):
                return p
        except Exception:  # noqa: BLE001 - the TLS port does not answer HTTP
            continue
    raise SystemExit("no admin listener found")


if __name__ == "__main__":
    main()
