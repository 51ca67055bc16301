#!/usr/bin/env python3
"""The performance record's driver (issue 5). Starts smppd (memory mode) and the ceiling server
(perf/ceiling), runs smppbench through fixed scenarios against each in the same run, each
scenario --runs times (default 3), and prints Markdown tables of medians:

  * peak submit_sm/s at --batch 1 and --batch 16, without receipts, on smppd and the ceiling;
  * --batch 16 with a receipt for every message (smppd only: the ceiling sends no receipts);
  * MO received/s (a second smppd with carrier.mo-auto-reply: one MO per message);
  * latency at 50 % of each peak (--rate = half the smppd median just measured), both servers;
  * two smppbench processes at once against one server: does the total rise (client-bound)?
  * the batch-16 half-peak load again on an smppd with carrier.worker-nice = 0 (workers at the
    loop thread's priority, instead of the default 10 levels below);
  * forwarding (issue 12): smppbench -> smppd A -> smppd B over SMPP, with and without
    receipts, and smppbench -> A -> perf/httpsink over HTTP: A's rate and CPU per message
    against the single smppd's rows of the same run, and the upstream's own CPU per message;
  * durable mode (issue 11): the batch-16 peak on smppd with its journal, fsync always and
    fsync never, and with a receipt for every message (always), as ratios to the memory-mode
    rows of the same run; latency at half the durable peak (always), next to this disk's own
    fdatasync latency measured in the same run (4 KiB writes into a pre-allocated file);
  * cluster (issue 15, perf/bench_cluster.py): two smppd nodes + redis-server (+ HAProxy) with a
    receipt for every message, receipts kept on their node or all crossing through Redis: the
    CPU per message of each process, Redis's commands per message, and the ratio to the single
    smppd's batch-16-with-receipts row of the same run (run them together:
    --only batch16_w256_c4_receipts,cluster2_batch16_receipts_local,...).

Before the scenarios, one unrecorded batch-16 run per server fills smppd's store to capacity, so
the measured runs see a steady state (the rates of these warm-ups are printed too).

Server CPU comes from /proc/PID/stat (utime+stime of every thread) over the client's run:
"server CPU s / 1M PDUs" is the fair figure on 2 cores, where client and server compete.

Usage: perf/bench.sh [--runs 3] [--scale 1.0] [--only NAME[,NAME]] [--json FILE]
(--scale multiplies every count; 0.1 for a quick look.) With --json, each scenario's latency
distribution (smppbench --hgrm, HdrHistogram text format, milliseconds) of its median run is kept
next to it as FILE-STEM.SCENARIO.SERVER.hgrm (one per client when two run at once), for the
HdrHistogram plotter."""

import argparse
import json
import os
import re
import shutil
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

BATCH1 = ["--connections", "4", "--window", "100", "--batch", "1"]
BATCH16 = ["--connections", "4", "--window", "256", "--batch", "16"]

# smppd's benchmark settings, shared with perf/profile.sh and perf/compare.
SMPPD_CONFIG = os.path.join(ROOT, "perf", "smppd-bench.toml")


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


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def start_smppd(work: str, name: str, extra_carrier: str = "", fsync: str | None = None, extra_store: str = ""):
    """smppd on perf/smppd-bench.toml: memory mode, or durable with [store] fsync = `fsync`
    (and the lines `extra_store` in that table)."""
    d = os.path.join(work, name)
    os.makedirs(d)
    cfg = os.path.join(d, "smppd.toml")
    text = open(SMPPD_CONFIG).read()
    if extra_carrier:   # one more line in the [carrier] table
        text = text.replace("[carrier]\n", f"[carrier]\n{extra_carrier}\n", 1)
    if fsync:
        text = f'[store]\nfsync = "{fsync}"\n{extra_store}' + text
    with open(cfg, "w") as f:
        f.write(text)
    mode = [] if fsync else ["--memory"]
    return start([os.path.join(REL, "smppd"), "--config", cfg, *mode, "--data-dir", os.path.join(d, "var"),
                  "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                 re.compile(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls")), d


def bench_cmd(port: int, args, out: str, hgrm: str):
    return [os.path.join(REL, "smppbench"), "--host", "127.0.0.1", "--port", str(port), "--system-id", "bench",
            "--password", "bench", "--insecure", "--json", out, "--hgrm", hgrm] + args


def run_clients(port: int, pid: int, arg_sets):
    """Runs one smppbench per argument list at once; returns their JSON reports and the
    server's CPU seconds and wall seconds over the whole set."""
    outs = [tempfile.mktemp(suffix=".json") for _ in arg_sets]
    hgrms = [o[:-len(".json")] + ".hgrm" for o in outs]
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    procs = [subprocess.Popen(bench_cmd(port, a, o, h), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for a, o, h in zip(arg_sets, outs, hgrms)]
    for p in procs:
        _, err = p.communicate(timeout=600)
        if p.returncode != 0:
            sys.stderr.write(f"smppbench exited {p.returncode}: {err[-2000:]}\n")
    cpu, wall = cpu_seconds(pid) - cpu0, time.monotonic() - t0
    reports = []
    for o, h in zip(outs, hgrms):
        reports.append(json.load(open(o)))
        os.unlink(o)
        if os.path.exists(h):
            reports[-1]["hgrm"] = open(h).read()
            os.unlink(h)
    return reports, cpu, wall


def one_run(port, pid, args, clients=1):
    reports, cpu, wall = run_clients(port, pid, [args] * clients)
    pdus = sum(r["answered"] for r in reports)
    # Total rate of simultaneous clients: all their submits over the longest client's time.
    seconds = max(r["seconds"] for r in reports)
    return {
        "submit_per_s": pdus / seconds if seconds > 0 else 0,
        "receipts_per_s": sum(r["receipts_per_s"] for r in reports),
        "mo_per_s": sum(r.get("mo_per_s", 0) for r in reports),
        "p50_us": max(r["p50_us"] for r in reports), "p99_us": max(r["p99_us"] for r in reports),
        "p999_us": max(r["p999_us"] for r in reports),
        "errors": sum(sum(r["errors"].values()) for r in reports),
        "receipts_pending": sum(r.get("receipts_pending", 0) for r in reports),
        "cpu_s_per_million": cpu / pdus * 1e6 if pdus else 0,
        "cpu_pct": 100 * cpu / wall if wall > 0 else 0,
        "_pdus_total": pdus,
    }, [r.get("hgrm", "") for r in reports]


def keep_hgrms(json_path, name, server, runs, hgrms):
    """Writes the latency distributions of the scenario's median run next to the JSON."""
    if not json_path:
        return
    order = sorted(range(len(runs)), key=lambda i: runs[i]["submit_per_s"])
    median = order[len(order) // 2]
    stem = os.path.splitext(json_path)[0]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", server).strip("-")
    for i, text in enumerate(hgrms[median]):
        suffix = f".client{i + 1}" if len(hgrms[median]) > 1 else ""
        with open(f"{stem}.{name}.{slug}{suffix}.hgrm", "w") as f:
            f.write(text)


def fdatasync_latency_us(directory: str, count: int = 2000) -> dict:
    """This disk's fdatasync: `count` 4 KiB writes into a pre-allocated file in `directory`,
    each followed by fdatasync (what the journal does with fsync = always)."""
    path = os.path.join(directory, "fdatasync-probe")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.posix_fallocate(fd, 0, count * 4096)
        os.fsync(fd)
        block, samples = b"x" * 4096, []
        for i in range(count):
            t0 = time.perf_counter_ns()
            os.pwrite(fd, block, i * 4096)
            os.fdatasync(fd)
            samples.append((time.perf_counter_ns() - t0) / 1000)
    finally:
        os.close(fd)
        os.unlink(path)
    samples.sort()
    return {"p50_us": samples[len(samples) // 2], "p99_us": samples[int(len(samples) * 0.99)], "count": count}


def median_row(name, server, runs):
    med = lambda k: statistics.median(r[k] for r in runs)
    return {"scenario": name, "server": server, "runs": [round(r["submit_per_s"]) for r in runs],
            **{k: med(k) for k in runs[0]}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--only", default="")
    ap.add_argument("--json")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    want = lambda n: not only or n in only
    n = lambda count: str(max(1000, int(count * a.scale)))
    work = tempfile.mkdtemp(prefix="smppd-bench-")
    (smppd, port), sdir = start_smppd(work, "smppd")
    ceiling, cport = start([os.path.join(ROOT, "perf", "ceiling", "ceiling"), "0", os.path.join(sdir, "var", "tls-cert.pem"),
                            os.path.join(sdir, "var", "tls-key.pem")], re.compile(r"listening 127\.0\.0\.1:(\d+)"), "stdout")
    servers = {"smppd": (port, smppd.pid), "ceiling": (cport, ceiling.pid)}
    rows, peaks, warmups = [], {}, {}

    def scenario(name, args, targets, clients=1):
        if not want(name):
            return None
        for target in targets:
            p, pid = servers[target]
            results = [one_run(p, pid, args, clients) for _ in range(a.runs)]
            runs = [r for r, _ in results]
            keep_hgrms(a.json, name, target, runs, [h for _, h in results])
            rows.append(median_row(name, target, runs))
            sys.stderr.write(f"{name} {target}: {rows[-1]['runs']}\n")
        return rows[-len(targets)]

    try:
        # Steady state first: one unrecorded batch-16 run per server that fills smppd's store
        # to its capacity (4M records, perf/smppd-bench.toml), so every measured run sees the
        # same store (evicting, no first-touch page faults) instead of the first run paying
        # for the memory. The warm-up rates are printed, not counted.
        for target in ["smppd", "ceiling"]:
            p, pid = servers[target]
            warmups[target] = round(one_run(p, pid, BATCH16 + ["--count", n(4_200_000)])[0]["submit_per_s"])
        sys.stderr.write(f"warm-up (not counted): {warmups}\n")
        r1 = scenario("batch1_w100_c4", BATCH1 + ["--count", n(600_000)], ["smppd", "ceiling"])
        r16 = scenario("batch16_w256_c4", BATCH16 + ["--count", n(2_000_000)], ["smppd", "ceiling"])
        scenario("batch16_w256_c4_receipts", BATCH16 + ["--count", n(1_000_000), "--receipts"], ["smppd"])
        for label, row, base in [("half_peak_batch1", r1, BATCH1), ("half_peak_batch16", r16, BATCH16)]:
            if row:
                rate = int(row["submit_per_s"] / 2)
                peaks[label] = rate
                scenario(label, base + ["--rate", str(rate), "--duration", str(max(2, int(5 * a.scale)))], ["smppd", "ceiling"])
        scenario("two_clients_batch16", BATCH16 + ["--count", n(1_000_000)], ["smppd", "ceiling"], clients=2)
        rss_mib = rss_kib(smppd.pid) / 1024
        # The same half-peak load on an smppd whose carrier workers run at the loop thread's
        # nice value (0) instead of the default 10 below it: what the default buys on two
        # cores shared with the client.
        if want("half_peak_batch16_worker_nice0") and "half_peak_batch16" in peaks:
            (nice_smppd, nice_port), _ = start_smppd(work, "smppd-nice0", "worker-nice = 0")
            servers["smppd (worker-nice 0)"] = (nice_port, nice_smppd.pid)
            try:
                # Warm it up first (table growth, first-touch page faults), as the main smppd is.
                run_clients(nice_port, nice_smppd.pid, [BATCH16 + ["--count", n(4_200_000)]])
                scenario("half_peak_batch16_worker_nice0",
                         BATCH16 + ["--rate", str(peaks["half_peak_batch16"]), "--duration", str(max(2, int(5 * a.scale)))],
                         ["smppd (worker-nice 0)"])
            finally:
                stop(nice_smppd)
        if any(want(x) for x in ["durable_batch16_w256_c4", "durable_batch16_w256_c4_receipts", "durable_half_peak_batch16"]):
            durable_scenarios(work, servers, scenario, n, a, peaks, rows, want)
        upstream_cpu = forward_scenarios(work, servers, scenario, n, a.runs, want)
        import bench_cluster   # here, not at the top: it imports this file as the module `bench`
        cluster_stats = bench_cluster.cluster_scenarios(work, n, a, want, rows, a.json)
        if want("mo_auto_reply"):
            (mo_smppd, mo_port), _ = start_smppd(work, "smppd-mo", "mo-auto-reply = true")
            servers["smppd (mo-auto-reply)"] = (mo_port, mo_smppd.pid)
            try:
                scenario("mo_auto_reply", BATCH16 + ["--count", n(500_000), "--await-mo"], ["smppd (mo-auto-reply)"])
            finally:
                stop(mo_smppd)
    finally:
        stop(smppd)
        stop(ceiling)
        # The servers' data directories: gigabytes of journal after the durable rows.
        shutil.rmtree(work, ignore_errors=True)

    print(f"| scenario | server | submit/s (median of {a.runs}) | receipts/s | MO/s | p50 µs | p99 µs | p99.9 µs | "
          f"server CPU s / 1M PDUs | server CPU % | errors | runs (submit/s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {r['server']} | {r['submit_per_s']:,.0f} | {r['receipts_per_s']:,.0f} | "
              f"{r['mo_per_s']:,.0f} | {r['p50_us']:,.0f} | {r['p99_us']:,.0f} | {r['p999_us']:,.0f} | "
              f"{r['cpu_s_per_million']:.2f} | {r['cpu_pct']:.0f} | {r['errors']:.0f} | {r['runs']} |")
    print(f"\nWarm-up before the scenarios (one batch-16 run each, not counted; smppd's store filled to 4M "
          f"records): " + ", ".join(f"{k} {v:,} submit_sm/s" for k, v in warmups.items()))
    if peaks:
        print("\nRates used for the half-peak rows: " + ", ".join(f"{k} --rate {v:,}" for k, v in peaks.items()
                                                                 if isinstance(v, int)))
    by = {(r["scenario"], r["server"]): r for r in rows}
    print("\nsmppd / ceiling, same run:")
    for name in ["batch1_w100_c4", "batch16_w256_c4", "two_clients_batch16"]:
        s, c = by.get((name, "smppd")), by.get((name, "ceiling"))
        if s and c and c["submit_per_s"] and s["cpu_s_per_million"]:
            print(f"- {name}: throughput {100 * s['submit_per_s'] / c['submit_per_s']:.0f} %, "
                  f"PDUs per server CPU-second {100 * c['cpu_s_per_million'] / s['cpu_s_per_million']:.0f} %")
    print(f"\nsmppd RSS after the main scenarios: {rss_mib:.1f} MiB")
    memory16 = by.get(("batch16_w256_c4", "smppd"))
    memory_rc = by.get(("batch16_w256_c4_receipts", "smppd"))
    if memory16 or memory_rc:
        print("\nDurable / memory mode, same run (submit/s):")
    for name, server, base in [("durable_batch16_w256_c4", "smppd (durable always)", memory16),
                               ("durable_batch16_w256_c4", "smppd (durable never)", memory16),
                               ("durable_batch16_w256_c4_receipts", "smppd (durable always)", memory_rc)]:
        r = by.get((name, server))
        if r and base and base["submit_per_s"]:
            print(f"- {name}, {server}: {100 * r['submit_per_s'] / base['submit_per_s']:.0f} % "
                  f"(server CPU s / 1M: {r['cpu_s_per_million']:.2f} against {base['cpu_s_per_million']:.2f})")
    fwd = [(name, by.get((name, server)), base) for name, server, base in [
        ("forward_smpp_batch16", "A -> B (smpp)", memory16), ("forward_smpp_batch16_receipts", "A -> B (smpp)", memory_rc),
        ("forward_http_batch16", "A -> httpsink", memory16)]]
    if any(r for _, r, _ in fwd):
        print("\nForwarding, same run (A's figures against the single smppd's with the simulator; "
              "A's CPU per message above the single node's; the upstream's own CPU per message):")
    for name, r, base in fwd:
        if r and base and base["submit_per_s"]:
            print(f"- {name}: {r['submit_per_s']:,.0f} submit/s = {100 * r['submit_per_s'] / base['submit_per_s']:.0f} % of "
                  f"{base['scenario']}; A CPU {r['cpu_s_per_million']:.2f} µs/msg, above the single node by "
                  f"{r['cpu_s_per_million'] - base['cpu_s_per_million']:+.2f} µs; upstream CPU "
                  f"{upstream_cpu.get(name, 0):.2f} µs/msg")
    bench_cluster.report(rows, cluster_stats)
    if "fdatasync" in peaks:
        f = peaks["fdatasync"]
        print(f"\nThis disk's fdatasync (4 KiB, pre-allocated, {f['count']} samples): p50 {f['p50_us']:,.0f} µs, "
              f"p99 {f['p99_us']:,.0f} µs; goal for durable_half_peak_batch16's p99: <= {f['p99_us'] + 1000:,.0f} µs")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rows": rows, "half_peak_rates": peaks, "rss_mib": rss_mib, "warmup": warmups,
                       "redis_commands_per_message": cluster_stats}, f, indent=1, default=str)




def durable_scenarios(work, servers, scenario, n, a, peaks, rows, want):
    """The durable rows: two more smppd, journal with fsync always and never, each warmed up
    into the steady state of a daemon that has been running a while: its store full like the
    memory one's, and past its journal's first compaction passes (~10M messages at this
    config), so segments are recycled spares, as they are from then on, and not new files."""
    started = []
    try:
        for fsync in ["always", "never"]:
            (proc, port), d = start_smppd(work, f"smppd-durable-{fsync}", fsync=fsync)
            started.append(proc)
            servers[f"smppd (durable {fsync})"] = (port, proc.pid)
            run_clients(port, proc.pid, [BATCH16 + ["--count", n(14_000_000)]])
            if fsync == "always":
                peaks["fdatasync"] = fdatasync_latency_us(d)
        peak = scenario("durable_batch16_w256_c4", BATCH16 + ["--count", n(2_000_000)],
                        ["smppd (durable always)", "smppd (durable never)"])
        # The never server is done: stopped, so that its writer's housekeeping (spares unused
        # for a minute are trimmed away, 4 MiB every 50 ms) does not share the disk with the
        # always server's syncs in the rows that follow.
        stop(started.pop())
        scenario("durable_batch16_w256_c4_receipts", BATCH16 + ["--count", n(1_000_000), "--receipts"],
                 ["smppd (durable always)"])
        if peak:
            rate = int(peak["submit_per_s"] / 2)
            peaks["durable_half_peak_batch16"] = rate
            scenario("durable_half_peak_batch16", BATCH16 + ["--rate", str(rate), "--duration", str(max(2, int(5 * a.scale)))],
                     ["smppd (durable always)"])
    finally:
        for p in started:
            stop(p)

def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_upstream(work: str, kind: str, linger_ms: int = 1):
    """What a forwarding node forwards to: smppd B (`smpp`: memory mode, a "relay" account, a
    plaintext listener on a free port) or perf/httpsink (`http`). Returns the process and the
    [[carrier]] table, named "up", that reaches it."""
    if kind == "http":
        sink, port = start([os.path.join(ROOT, "perf", "httpsink", "httpsink"), "0"],
                           re.compile(r"listening 127\.0\.0\.1:(\d+)"), "stdout")
        return sink, "\n".join(["[[carrier]]", 'name = "up"', 'kind = "http"', f'url = "http://127.0.0.1:{port}/sms"',
                                "batch-size = 256", f"linger-ms = {linger_ms}", "max-in-flight = 8"])
    port = free_port()
    d = os.path.join(work, "smppd-B")
    os.makedirs(d)
    cfg = os.path.join(d, "smppd.toml")
    with open(cfg, "w") as f:
        f.write(open(SMPPD_CONFIG).read() + '\n[[account]]\nsystem-id = "relay"\npassword = "relay"\nmax-sessions = 64\n')
    b, _ = start([os.path.join(REL, "smppd"), "--config", cfg, "--memory", "--data-dir", os.path.join(d, "var"),
                  "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--plaintext-listen", f"127.0.0.1:{port}"],
                 re.compile(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls"))
    return b, "\n".join(["[[carrier]]", 'name = "up"', 'kind = "smpp"', 'host = "127.0.0.1"', f"port = {port}",
                         'system-id = "relay"', 'password = "relay"', "sessions = 4", "window = 256"])


def forwarding_config(carrier_table: str, max_records: int | None = None) -> str:
    """perf/smppd-bench.toml for a node whose one route sends everything to `carrier_table`;
    the simulator's keys move to a [[carrier]] of kind simulator."""
    text = open(SMPPD_CONFIG).read().replace("[carrier]\n", '[[carrier]]\nname = "simulator"\nkind = "simulator"\n', 1)
    if max_records:
        text = re.sub(r"max-records = \d+", f"max-records = {max_records}", text)
    return text + "\n" + carrier_table + '\n[[route]]\ncarriers = ["up"]\n'


def start_forwarding_node(work: str, name: str, carrier_table: str, wait_bound: bool, max_records: int | None = None):
    """smppd A (memory mode) whose one route sends everything to the carrier `carrier_table`
    (a [[carrier]] named "up"); the simulator's bench keys move to a [[carrier]] of kind
    simulator. Returns once it listens and, with wait_bound, its SMPP carrier has bound."""
    d = os.path.join(work, name)
    os.makedirs(d)
    cfg = os.path.join(d, "smppd.toml")
    with open(cfg, "w") as f:
        f.write(forwarding_config(carrier_table, max_records))
    proc = subprocess.Popen([os.path.join(REL, "smppd"), "--config", cfg, "--memory", "--data-dir", os.path.join(d, "var"),
                             "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    port, bound, deadline = None, not wait_bound, time.monotonic() + 30
    for line in proc.stderr:
        m = re.search(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls", line)
        port = int(m.group(1)) if m else port
        bound = bound or "event=upstream-bound" in line
        if port and bound:
            threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
            return proc, port
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit(f"{name} did not become ready")


def forward_scenarios(work, servers, scenario, n, runs, want):
    """Forwarding (issue 12): smppbench -> smppd A -> smppd B over SMPP (plaintext, 4 transceiver
    sessions, window 256), and smppbench -> A -> perf/httpsink (answers at once). Three
    processes share the two cores. Rows carry A's CPU; B's (and the sink's) CPU per message is
    recorded beside them in `upstream_cpu`. A and B are warmed up like the single smppd; the
    HTTP node too, into a larger store (the sink sends no receipts: its messages stay open)."""
    upstream_cpu = {}
    started = []
    try:
        if any(want(x) for x in ["forward_smpp_batch16", "forward_smpp_batch16_receipts"]):
            b, table = start_upstream(work, "smpp")
            started.append(b)
            a_proc, a_port = start_forwarding_node(work, "smppd-A-smpp", table, wait_bound=True)
            started.append(a_proc)
            servers["A -> B (smpp)"] = (a_port, a_proc.pid)
            # Warm up A and B as the single smppd is: their stores filled (receipts from B end
            # every message), so the measured runs see the steady state.
            run_clients(a_port, a_proc.pid, [BATCH16 + ["--count", n(4_200_000)]])
            for name, extra in [("forward_smpp_batch16", []), ("forward_smpp_batch16_receipts", ["--receipts"])]:
                b0 = cpu_seconds(b.pid)
                r = scenario(name, BATCH16 + ["--count", n(1_000_000)] + extra, ["A -> B (smpp)"])
                if r:
                    upstream_cpu[name] = (cpu_seconds(b.pid) - b0) / ((r["_pdus_total"] * runs) or 1) * 1e6
        if want("forward_http_batch16"):
            sink, table = start_upstream(work, "http")
            started.append(sink)
            # The sink sends no receipts: every message stays open in A's store and in its table
            # of awaited receipts. A store of 10M records takes the warm-up and the measured
            # runs; the warm-up's 3.2M messages take the table past its resize at 3.1M, so the
            # measured 3M (to 6.2M, under the next at 6.3M) see no resize, and the memory is touched.
            a_proc, a_port = start_forwarding_node(work, "smppd-A-http", table, wait_bound=False, max_records=10_000_000)
            started.append(a_proc)
            servers["A -> httpsink"] = (a_port, a_proc.pid)
            run_clients(a_port, a_proc.pid, [BATCH16 + ["--count", n(3_200_000)]])
            s0 = cpu_seconds(sink.pid)
            r = scenario("forward_http_batch16", BATCH16 + ["--count", n(1_000_000)], ["A -> httpsink"])
            if r:
                upstream_cpu["forward_http_batch16"] = (cpu_seconds(sink.pid) - s0) / ((r["_pdus_total"] * runs) or 1) * 1e6
    finally:
        for p in started:
            stop(p)
    return upstream_cpu


if __name__ == "__main__":
    main()
