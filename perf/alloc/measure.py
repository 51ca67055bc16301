#!/usr/bin/env python3
"""Allocations per PDU round trip in smppd's steady state, counted for the whole process by
malloc_count.so (LD_PRELOAD). Usage: perf/alloc/measure.py [--count N] [--check] [SMPPD_BINARY]
With --check, exits 1 when a scenario allocates more per PDU than perf/alloc/thresholds.json
allows (the one performance gate CI runs: it is deterministic).
Starts the daemon (plaintext listener on 127.0.0.1) once in memory mode and once in durable
mode (the journal, fsync never: the loop thread's allocations are the same whatever the sync
policy), warms up, then for each scenario reads the process's malloc count before and after N
pipelined requests and prints one JSON line per scenario and mode:
{"scenario", "mode", "count", "allocs", "allocs_per_pdu"}. --mode picks one."""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "e2e"))
import smpp  # noqa: E402  (the tests' independent client codec)

ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def build_counter() -> str:
    so = os.path.join(tempfile.gettempdir(), "smppd_malloc_count.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", so, os.path.join(HERE, "malloc_count.c"), "-ldl"], check=True)
    return so


def pipelined(client, make, n, window=200, answer_deliver=True):
    """Sends n requests, at most `window` unanswered; answers deliver_sm on the way.
    Returns how many deliver_sm it answered."""
    sent = done = delivered = 0
    while done < n:
        k = min(window - (sent - done), n - sent)
        if k > 0:
            client.send_raw(b"".join(make(client.next_seq()) for _ in range(k)))
            sent += k
        pdu = client.recv_pdu(10)
        if pdu.command_id == smpp.DELIVER_SM:
            if answer_deliver:
                client.send_raw(smpp.encode_pdu(smpp.DELIVER_SM_RESP, pdu.sequence, b"\x00"))
            delivered += 1
            continue
        if pdu.command_id == smpp.ENQUIRE_LINK:
            client.send_raw(smpp.enquire_link_resp(pdu.sequence))
            continue
        assert pdu.status == 0, str(pdu)
        done += 1
    return delivered


def drain_receipts(client, n):
    got = 0
    while got < n:
        pdu = client.recv_pdu(10)
        if pdu.command_id == smpp.DELIVER_SM:
            client.send_raw(smpp.encode_pdu(smpp.DELIVER_SM_RESP, pdu.sequence, b"\x00"))
            got += 1


def measure(binary: str, so: str, mode: str, count: int) -> dict:
    work = tempfile.mkdtemp(prefix=f"smppd-alloc-{mode}-")
    count_file = os.path.join(work, "count")
    env = dict(os.environ, LD_PRELOAD=so, MALLOC_COUNT_FILE=count_file)
    cfg = os.path.join(work, "smppd.toml")
    with open(cfg, "w") as f:
        f.write('[store]\nfsync = "never"\n'
                '[carrier]\nlatency-min-ms = 1\nlatency-median-ms = 2\nlatency-max-ms = 5\n'
                '[delivery]\nwindow = 1000\n'
                '[[account]]\nsystem-id = "bench"\npassword = "bench"\nnumbers = ["+12125550100"]\nmax-sessions = 4\n')
    flags = ["--memory"] if mode == "memory" else []
    proc = subprocess.Popen([binary, "--config", cfg, *flags, "--data-dir", os.path.join(work, "var"),
                             "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--plaintext-listen", "127.0.0.1:0",
                             "--log-level", "warning"], env=env, stderr=subprocess.PIPE, text=True)
    port = None
    for line in proc.stderr:
        if "proto=plaintext" in line:
            port = int(re.search(r"addr=127\.0\.0\.1:(\d+)", line).group(1))
            break
    assert port, "no plaintext listener"

    def snapshot():
        if os.path.exists(count_file):
            os.remove(count_file)
        proc.send_signal(signal.SIGUSR2)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if os.path.exists(count_file) and open(count_file).read().strip():
                return int(open(count_file).read())
            time.sleep(0.01)
        raise SystemExit("no malloc count from the daemon")

    scenarios = {
        "enquire_link": lambda seq: smpp.enquire_link(seq),
        "submit_sm_no_receipt": lambda seq: smpp.submit_sm(seq, "+447700900123", b"x" * 59, registered_delivery=0),
        "submit_sm_with_receipt": lambda seq: smpp.submit_sm(seq, "+447700900123", b"x" * 59, registered_delivery=1),
    }
    results = {}
    try:
        c = smpp.Client.open(port, tls=False)
        c.bind_ok("transceiver", "bench", "bench")
        for name, make in scenarios.items():     # warm-up: every path's tables and rings grow once
            got = pipelined(c, make, count // 4)
            if name == "submit_sm_with_receipt":
                drain_receipts(c, count // 4 - got)
        for name, make in scenarios.items():
            time.sleep(0.2)
            before = snapshot()
            got = pipelined(c, make, count)
            if name == "submit_sm_with_receipt":   # receipts come later: take them all
                drain_receipts(c, count - got)
                time.sleep(0.3)
            after = snapshot()
            per_pdu = (after - before) / count
            results[name] = per_pdu
            print(json.dumps({"scenario": name, "mode": mode, "count": count, "allocs": after - before,
                              "allocs_per_pdu": round(per_pdu, 3)}))
        c.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--mode", choices=["memory", "durable", "both"], default="both")
    ap.add_argument("--check", action="store_true", help="fail when over perf/alloc/thresholds.json")
    ap.add_argument("binary", nargs="?", default=os.path.join(ROOT, ".build", "release", "smppd"))
    args = ap.parse_args()
    so = build_counter()
    modes = ["memory", "durable"] if args.mode == "both" else [args.mode]
    results = {(m, k): v for m in modes for k, v in measure(args.binary, so, m, args.count).items()}
    if args.check:
        limits = json.load(open(os.path.join(HERE, "thresholds.json")))
        over = {k: v for k, v in results.items() if v > limits.get(k[1], 0)}
        for (mode, name), v in over.items():
            print(f"allocation gate: {name} ({mode}) allocates {v:.3f} per PDU, limit {limits.get(name, 0)}")
        if over:
            raise SystemExit(1)
        print("allocation gate: ok")


if __name__ == "__main__":
    main()
