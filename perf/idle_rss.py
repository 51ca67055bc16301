#!/usr/bin/env python3
"""Server memory per idle session: starts a fresh smppd (memory mode, port 0), reads its VmRSS,
runs `smppbench --measure idle --connections N --duration D`, reads VmRSS again when smppbench
prints `holding N bound sessions` and once more just before the hold ends (after smppd's 10 s
idle-buffer sweep when D > 11), and prints (RSS while holding - RSS before) / N.
Usage: perf/idle_rss.py [--sessions 1000] [--duration 14] (after swift build -c release for
smppd and smppbench)."""

import argparse
import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REL = os.path.join(ROOT, ".build", "release")


def cpu_seconds(pid: int) -> float:
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise SystemExit("no VmRSS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=14.0)
    ap.add_argument("--connect-batch", type=int, default=200)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-idle-")
    cfg = os.path.join(work, "smppd.toml")
    with open(cfg, "w") as f:
        f.write(f'[[account]]\nsystem-id = "bench"\npassword = "bench"\nmax-sessions = {a.sessions + 100}\n')
    smppd = subprocess.Popen([os.path.join(REL, "smppd"), "--config", cfg, "--memory", "--data-dir", os.path.join(work, "var"),
                              "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port = None
    deadline = time.monotonic() + 30
    for line in smppd.stderr:
        m = re.search(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls", line)
        if m:
            port = int(m.group(1))
            break
        if time.monotonic() > deadline:
            break
    if port is None:
        smppd.kill()
        raise SystemExit("smppd did not become ready")
    threading.Thread(target=lambda: [None for _ in smppd.stderr], daemon=True).start()
    out = os.path.join(work, "idle.json")
    try:
        before = rss_kib(smppd.pid)
        cpu0 = cpu_seconds(smppd.pid)
        bench = subprocess.Popen([os.path.join(REL, "smppbench"), "--measure", "idle", "--port", str(port),
                                  "--system-id", "bench", "--password", "bench", "--insecure",
                                  "--connections", str(a.sessions), "--duration", str(a.duration),
                                  "--connect-batch", str(a.connect_batch), "--json", out],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        holding = None
        for line in bench.stderr:
            if "holding" in line:
                holding = rss_kib(smppd.pid)
                ramp_cpu = cpu_seconds(smppd.pid) - cpu0
                held_at = time.monotonic()
                break
        late = None
        if holding is not None and a.duration > 1:
            time.sleep(max(0.0, a.duration - 0.5 - (time.monotonic() - held_at)))
            late = rss_kib(smppd.pid)
        report, _ = bench.communicate(timeout=120)
        print(report, end="")
        if holding is None:
            raise SystemExit(f"smppbench never held its sessions (exit {bench.returncode})")
        r = json.load(open(out))
        n = r["bound_at_hold_start"] or 1
        print(f"smppd VmRSS before {before} KiB, holding {holding} KiB"
              + (f", end of hold {late} KiB" if late is not None else ""))
        print(f"per idle session: {(holding - before) * 1024 / n:,.0f} bytes at the holding line"
              + (f", {(late - before) * 1024 / n:,.0f} bytes at the end of the hold" if late is not None else "")
              + f" ({n} bound, smppbench exit {bench.returncode})")
        print(f"smppd CPU during the ramp: {ramp_cpu:.2f} s for {r['ramp_s']} s of ramp; smppbench CPU in all: {r['client_cpu_s']} s")
    finally:
        smppd.send_signal(signal.SIGTERM)
        try:
            smppd.wait(15)
        except subprocess.TimeoutExpired:
            smppd.kill()


if __name__ == "__main__":
    main()
