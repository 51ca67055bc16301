#!/usr/bin/env python3
"""Side-by-side: smppd against another SMPP server (PyPI smpp34's Server, through
perf/compare/smpp34_server.py), same client (smppbench), same run, as a ratio.

Both servers are started once on 127.0.0.1 (free ports, readiness read from their logs), smppd
with a plaintext listener because smpp34's Server has no TLS. Each scenario is run --runs times
against each server, alternating smppd / smpp34 so that drift on this shared machine hits both
alike. Every run is bounded by a count, by smppbench's --duration and --drain, and by a hard
timeout. The server's CPU seconds (utime+stime of the whole process, all threads, from
/proc/PID/stat) are taken over the client's run. The counts differ per server (smpp34 is far
slower) so that each run lasts a few seconds on either; CPU is reported per million submit_sm, so
the counts do not bias it. Prints a Markdown table. Usage: perf/compare/run.sh [--runs 3] [--scale 1] [--scenario NAME] [--log FILE]"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
REL = os.path.join(ROOT, ".build", "release")
TICKS = os.sysconf("SC_CLK_TCK")

# name, smppbench args, submit_sm per run against smppd, against smpp34: each run should last
# about 3-6 s on this 2-core machine (plaintext: smppd ~150-700k/s, smpp34 ~4-8k/s); --scale multiplies.
SCENARIOS = [
    ("batch1_w100_c4", ["--connections", "4", "--window", "100", "--batch", "1"], 600_000, 25_000),
    ("batch16_w256_c4", ["--connections", "4", "--window", "256", "--batch", "16"], 3_500_000, 40_000),
    ("batch16_w256_c4_receipts", ["--connections", "4", "--window", "256", "--batch", "16", "--receipts"], 1_200_000, 25_000),
]

# Same smppd settings as perf/bench.py (perf/smppd-bench.toml): a fast simulated carrier so
# receipts come back in milliseconds (smpp34_server.py sends its receipt at once, with no
# carrier at all).
SMPPD_CONFIG = os.path.join(ROOT, "perf", "smppd-bench.toml")


def cpu_seconds(pid: int) -> float:
    """utime+stime of the whole process (every thread, live or ended), in seconds."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return (f[0] + f[1] + f[2] + f[5] + f[6] + (f[7] if len(f) > 7 else 0)) / TICKS


def start(name, cmd, ready: re.Pattern, stream: str, env=None, timeout=20.0):
    """Start a server and wait for its readiness line; returns (proc, port). Keeps draining the
    stream afterwards so the server never blocks on a full pipe."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    pipe = getattr(proc, stream)
    other = proc.stderr if stream == "stdout" else proc.stdout
    tail: list[str] = []
    threading.Thread(target=lambda: [tail.append(l) for l in other], daemon=True).start()
    found: list[int] = []

    def reader():
        for line in pipe:
            tail.append(line)
            m = ready.search(line)
            if m and not found:
                found.append(int(m.group(1)))
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    deadline = time.monotonic() + timeout
    while not found and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if not found:
        proc.kill()
        raise SystemExit(f"{name} did not become ready within {timeout:.0f} s; its output:\n" + "".join(tail[-20:]))
    port = found[0]
    # The log line says it listens; check it really accepts before the first client run.
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"{name} logged port {port} but does not accept connections")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_bench(port: int, args, count: int, pid: int, a, log):
    fd, out = tempfile.mkstemp(suffix=".json", prefix="smppbench-")
    os.close(fd)
    cmd = [os.path.join(REL, "smppbench"), "--host", "127.0.0.1", "--port", str(port), "--plaintext",
           "--system-id", "bench", "--password", "bench", "--count", str(count),
           "--duration", str(a.max_seconds), "--drain", str(a.drain), "--json", out] + args
    log.write("$ " + " ".join(cmd) + "\n")
    log.flush()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0, busy0, t0 = cpu_seconds(pid), machine_busy_seconds(), time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=log, stderr=log, timeout=a.max_seconds + a.drain + 10)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"smppbench did not finish in time: {' '.join(cmd)}")
    cpu, busy, wall = cpu_seconds(pid) - cpu0, machine_busy_seconds() - busy0, time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        r = json.load(open(out))
    finally:
        os.unlink(out)
    r["exit"] = p.returncode
    r["server_cpu_s"] = cpu
    r["wall_s"] = wall
    r["client_cpu_s"] = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    # What everything else on this shared machine used meanwhile, as cores: the noise indicator.
    r["others_cores"] = max(0.0, busy - cpu - r["client_cpu_s"]) / wall
    r["server_cpu_s_per_million"] = cpu / max(r["answered"], 1) * 1e6
    r["submits_per_server_cpu_s"] = r["answered"] / cpu if cpu > 0 else float("inf")
    problems = []
    if p.returncode != 0:
        problems.append(f"smppbench exit {p.returncode}")
    if r["answered_ok"] != count:
        problems.append(f"{r['answered_ok']} of {count} answered ESME_ROK")
    if r["errors"]:
        problems.append(f"errors {r['errors']}")
    if "--receipts" in args and r["receipts_matched"] != r["answered_ok"]:
        problems.append(f"{r['receipts_matched']} receipts matched of {r['answered_ok']}")
    if not 3 <= r["seconds"] <= 10:
        problems.append(f"lasted {r['seconds']:.1f} s (aim 3-10 s: adjust --scale)")
    r["problems"] = problems
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every scenario's counts by this")
    ap.add_argument("--max-seconds", type=float, default=20, help="smppbench --duration cap per run")
    ap.add_argument("--drain", type=float, default=5, help="smppbench --drain per run")
    ap.add_argument("--scenario", action="append", help="only these scenarios (repeatable)")
    ap.add_argument("--log", default=None, help="smppbench output of every run (default: a temp file)")
    a = ap.parse_args()

    scenarios = [s for s in SCENARIOS if not a.scenario or s[0] in a.scenario]
    work = tempfile.mkdtemp(prefix="smppd-compare-")
    if a.log:
        log_path = a.log
    else:
        fd, log_path = tempfile.mkstemp(prefix="smppd-compare-", suffix=".log")
        os.close(fd)
    log = open(log_path, "w")
    cfg = os.path.join(work, "smppd.toml")
    with open(cfg, "w") as f:
        f.write(open(SMPPD_CONFIG).read())

    import smpp34  # run.sh has checked that it is there
    load0 = os.getloadavg()
    smppd, sport = start("smppd", [os.path.join(REL, "smppd"), "--config", cfg, "--memory",
                                   "--data-dir", os.path.join(work, "var"), "--listen", "127.0.0.1:0",
                                   "--admin", "127.0.0.1:0", "--plaintext-listen", "127.0.0.1:0"],
                         re.compile(r"event=listening addr=127\.0\.0\.1:(\d+) proto=plaintext"), "stderr")
    try:
        other, oport = start("smpp34_server.py", [sys.executable, "-u", os.path.join(HERE, "smpp34_server.py")],
                             re.compile(r"listening 127\.0\.0\.1:(\d+)"), "stdout")
    except BaseException:
        stop(smppd)
        raise
    servers = [("smppd", sport, smppd.pid), (f"smpp34 {smpp34.__version__}", oport, other.pid)]
    results: dict[tuple[str, str], list[dict]] = {}
    try:
        for name, args, *counts in scenarios:
            for i in range(a.runs):
                for (sname, port, pid), count in zip(servers, counts):
                    count = max(1, round(count * a.scale))
                    r = run_bench(port, args, count, pid, a, log)
                    results.setdefault((name, sname), []).append(r)
                    flag = ("  !! " + "; ".join(r["problems"])) if r["problems"] else ""
                    print(f"{name} run {i + 1} {sname}: {r['submit_per_s']:,.0f} submit/s in {r['seconds']:.2f} s, "
                          f"p50 {r['p50_us']} µs, server CPU {r['server_cpu_s']:.2f} s, client CPU {r['client_cpu_s']:.2f} s, "
                          f"others {r['others_cores']:.2f} cores{flag}",
                          file=sys.stderr, flush=True)
    finally:
        stop(other)
        stop(smppd)
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    load1 = os.getloadavg()

    med = lambda runs, k: statistics.median(r[k] for r in runs)
    print(f"\nsmppd {git_rev()} (plaintext listener, --memory) vs smpp34 {smpp34.__version__} "
          f"(PyPI wheel; Python {platform.python_version()}, SMPP34_WORKER_THREADS={os.environ.get('SMPP34_WORKER_THREADS', 'default 2')}), "
          f"client smppbench --plaintext; {a.runs} runs each, medians; {os.cpu_count()} cores, "
          f"load average {load0[0]:.2f} at the start, {load1[0]:.2f} at the end.")
    print("submit_sm per run (smppd / smpp34): " + ", ".join(
        f"{n} {round(c1 * a.scale):,} / {round(c2 * a.scale):,}" for n, _, c1, c2 in scenarios) + ". Server CPU = utime+stime of the server process (all threads) over the client's run, per million submit_sm.\n")
    print(f"| scenario | server | submit/s median (runs) | receipts/s | p50 µs | p99 µs | server CPU s / 1M submit_sm | submit_sm per server CPU-s | client CPU s | other load (cores) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, *_ in scenarios:
        for sname, *_ in servers:
            runs = results[(name, sname)]
            listed = ", ".join(f"{r['submit_per_s']:,.0f}" for r in runs)
            rec = f"{med(runs, 'receipts_per_s'):,.0f}" if "receipts" in name else "–"
            print(f"| {name} | {sname} | {med(runs, 'submit_per_s'):,.0f} ({listed}) | {rec} | {med(runs, 'p50_us'):,.0f} | "
                  f"{med(runs, 'p99_us'):,.0f} | {med(runs, 'server_cpu_s_per_million'):.2f} | "
                  f"{med(runs, 'submits_per_server_cpu_s'):,.0f} | {med(runs, 'client_cpu_s'):.2f} | "
                  f"{med(runs, 'others_cores'):.2f} |")
    print(f"\n| scenario | throughput smppd / smpp34 | submit_sm per server CPU-s smppd / smpp34 |")
    print("|---|---|---|")
    for name, *_ in scenarios:
        mine, theirs = results[(name, servers[0][0])], results[(name, servers[1][0])]
        print(f"| {name} | {med(mine, 'submit_per_s') / med(theirs, 'submit_per_s'):.1f}× | "
              f"{med(mine, 'submits_per_server_cpu_s') / med(theirs, 'submits_per_server_cpu_s'):.1f}× |")
    bad = [(k, r["problems"]) for k, runs in results.items() for r in runs if r["problems"]]
    if bad:
        print("\nProblems:")
        for (name, sname), p in bad:
            print(f"- {name} / {sname}: {'; '.join(p)}")
    print(f"\nsmppbench output of every run: {log_path}")
    sys.exit(1 if any("lasted" not in x for _, p in bad for x in p) else 0)


def git_rev() -> str:
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "(no git)"


if __name__ == "__main__":
    main()
