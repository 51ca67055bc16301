#!/usr/bin/env python3
"""Instructions per message of the forwarding node (issue 12), deterministic where CPU time on
these shared cores is not: smppd A runs under callgrind (every thread: the loop, the carrier
workers, the journal writer if any), once for N1 and once for N2 messages from smppbench
(batch 16, receipts as asked, a low --rate so valgrind keeps up); the difference of the two
totals over N2 - N1 is A's instructions per message, start-up and shutdown cancelled out.

Modes: `sim` (A with its simulator: the baseline), `smpp` (A forwarding to a plain smppd B),
`http` (A forwarding to perf/httpsink; linger 100 ms, so that at this low rate batches fill to
256 messages as they do at full load, and a request's own cost is shared as it is there).

Usage: perf/forward_ir.py MODE [--receipts] [--n1 5000] [--n2 25000] [--rate 3000]
(valgrind 3.19 cannot read swiftc's DWARF 5: A runs from a copy without debug sections)."""

import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def total_ir(mode: str, count: int, rate: int, receipts: bool) -> int:
    work = tempfile.mkdtemp(prefix="smppd-fwd-ir-")
    started = []
    try:
        text = open(bench.SMPPD_CONFIG).read()
        if mode != "sim":
            upstream, table = bench.start_upstream(work, mode, linger_ms=100)
            started.append(upstream)
            text = bench.forwarding_config(table)
        cfg = os.path.join(work, "smppd.toml")
        with open(cfg, "w") as f:
            f.write(text)
        binary = os.path.join(work, "smppd-nodebug")
        subprocess.run(["objcopy", "--strip-debug", os.path.join(bench.REL, "smppd"), binary], check=True)
        out = os.path.join(work, "callgrind.out")
        proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no", binary,
                                 "--config", cfg, "--memory", "--data-dir", os.path.join(work, "var"),
                                 "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        port, bound, deadline = None, mode != "smpp", time.monotonic() + 120
        for line in proc.stderr:
            m = re.search(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls", line)
            port = int(m.group(1)) if m else port
            bound = bound or "event=upstream-bound" in line
            if (port and bound) or time.monotonic() > deadline:
                break
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        args = ["--connections", "4", "--window", "256", "--batch", "16", "--count", str(count), "--rate", str(rate)]
        subprocess.run(bench.bench_cmd(port, args + (["--receipts"] if receipts else []), os.path.join(work, "b.json"),
                                       os.path.join(work, "b.hgrm")), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=900, check=True)
        time.sleep(2)   # the last receipts from B
        proc.terminate()
        proc.wait(300)
        total = 0
        for path in glob.glob(out + "*"):
            for line in open(path):
                if line.startswith(("summary:", "totals:")):
                    total = max(total, int(line.split()[1]))
        if total == 0:
            raise SystemExit(f"no callgrind totals in {out}")
        return total
    finally:
        for p in started:
            bench.stop(p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["sim", "smpp", "http"])
    ap.add_argument("--receipts", action="store_true")
    ap.add_argument("--n1", type=int, default=5000)
    ap.add_argument("--n2", type=int, default=25000)
    ap.add_argument("--rate", type=int, default=3000)
    a = ap.parse_args()
    t1 = total_ir(a.mode, a.n1, a.rate, a.receipts)
    t2 = total_ir(a.mode, a.n2, a.rate, a.receipts)
    print(f"{a.mode}{' receipts' if a.receipts else ''}: {(t2 - t1) / (a.n2 - a.n1):,.0f} Ir per message "
          f"({t1:,} Ir for {a.n1}, {t2:,} for {a.n2})")


if __name__ == "__main__":
    main()
