#!/usr/bin/env python3
"""Recovery of a large durable store (issue 11): fills durable smppd with --records messages
(smppbench, batch 16; no message expires or is purged within the run), kills it with SIGKILL,
then restarts it --runs times on the same data directory and reads each start's
event=store-recovered line: records, bytes replayed, milliseconds. Prints the medians and the
bytes on disk per record (the segments' allocated blocks over the records recovered).
Usage: perf/recovery.py [--records 1000000] [--runs 3] [--fsync never]"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
REL = os.path.join(ROOT, ".build", "release")
sys.path.insert(0, os.path.dirname(__file__))
from bench import start, stop  # noqa: E402

LINE = re.compile(r"event=store-recovered .*")


def fields(line: str) -> dict:
    return dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line))


def smppd_cmd(cfg: str, data: str) -> list[str]:
    return [os.path.join(REL, "smppd"), "--config", cfg, "--data-dir", data, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"]


def recovered_line(cfg: str, data: str) -> dict:
    """Starts smppd, waits for it to listen, returns its store-recovered fields, stops it."""
    proc = subprocess.Popen(smppd_cmd(cfg, data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = None
    deadline = time.monotonic() + 120
    for line in proc.stderr:
        if "event=store-recovered" in line:
            found = fields(line)
        if "proto=tls" in line or time.monotonic() > deadline:
            break
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    if not found:
        raise SystemExit("no event=store-recovered line")
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fsync", default="never")
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="smppd-recovery-")
    cfg = os.path.join(work, "smppd.toml")
    text = open(os.path.join(ROOT, "perf", "smppd-bench.toml")).read()
    # Every record stays: retention and capacity above what the run makes.
    text = text.replace("retention-ms = 60000", "retention-ms = 86400000")
    with open(cfg, "w") as f:
        f.write(f'[store]\nfsync = "{a.fsync}"\n' + text)
    data = os.path.join(work, "var")
    smppd, port = start(smppd_cmd(cfg, data), re.compile(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls"))
    t0 = time.monotonic()
    subprocess.run([os.path.join(REL, "smppbench"), "--host", "127.0.0.1", "--port", str(port), "--system-id", "bench",
                    "--password", "bench", "--insecure", "--connections", "4", "--window", "256", "--batch", "16",
                    "--count", str(a.records)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fill_s = time.monotonic() - t0
    time.sleep(1)   # the carrier's last outcomes (latency <= 20 ms) land in the journal too
    smppd.send_signal(signal.SIGKILL)
    smppd.wait(10)
    journal = os.path.join(data, "journal")
    disk = sum(os.stat(os.path.join(journal, n)).st_blocks * 512 for n in os.listdir(journal))
    runs = [recovered_line(cfg, data) for _ in range(a.runs)]
    ms = [int(r["ms"]) for r in runs]
    records = int(runs[-1]["records"])
    replayed = int(runs[-1]["bytes"])
    print(f"filled {a.records:,} messages in {fill_s:.1f} s, then SIGKILL (fsync {a.fsync})")
    print(f"| records | live | pending receipts | bytes replayed | segments | recovery ms (runs) | median ms |")
    print("|---|---|---|---|---|---|---|")
    print(f"| {records:,} | {runs[-1]['live']} | {runs[-1]['pending_receipts']} | {replayed:,} | {runs[-1]['segments']} | "
          f"{ms} | {statistics.median(ms):,.0f} |")
    print(f"\nbytes on disk per record: {disk / max(records, 1):,.0f} (segments' allocated blocks {disk:,}); "
          f"journal bytes per record: {replayed / max(records, 1):,.0f}")
    stop_dir(work)


def stop_dir(work: str) -> None:
    subprocess.run(["rm", "-rf", work], check=False)


if __name__ == "__main__":
    main()
