"""The cluster scenarios of perf/bench.py (issue 15): two smppd nodes (memory mode, the bench
settings) sharing one redis-server, optionally behind HAProxy, all on this machine, with a
receipt for every message. For each: total submit/s and receipts/s, latency, and the CPU of
every process per message (each node, redis-server, haproxy, the client), so that the cost of
each part is measured, not guessed; and Redis's own count of each command per message
(INFO commandstats, reset before a scenario's runs).

  * cluster2_batch16_receipts_local: one smppbench, 4 transceiver sessions spread over the two
    nodes (--also-port): every receipt stays on the node that took the submit, so Redis sees
    only the heartbeats (and binds).
  * cluster2_batch16_receipts_local_leases: the same for an account with credits and a submit
    rate far above what is reached: the nodes also lease credits and tokens in blocks. With the
    default cluster.credit-block (500) a node refuses a share of the submits with
    ESME_RTHROTTLED while its refill is on its way (the errors column; docs/cluster-model.md).
  * cluster2_batch16_receipts_crossing_paced, cluster2_batch16_receipts_crossing: 4 transmitter
    sessions on node 1, receiver sessions for the same account on node 2 only (--receiver-port):
    every receipt crosses through the account's Redis stream. Paced at half the local
    scenario's rate (every receipt crosses within the run, so Redis's CPU per message counts
    them all), then as fast as it goes (node 1 falls behind shipping and drops receipts past
    delivery.queue-max: the deliver-dropped lines of the nodes' logs are counted).
  * cluster2_haproxy_batch16_receipts: 4 transceiver sessions through HAProxy (TCP mode,
    leastconn, send-proxy-v2) to two other nodes that read the PROXY header.

Each cluster is warmed up first like the single smppd (one unrecorded batch-16 run that fills
both nodes' stores). Only loopback addresses and ports the OS hands out; every run is bounded
by its count and smppbench's drain."""

import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import bench as b

sys.path.insert(0, os.path.join(b.ROOT, "e2e"))
from haproxy import Haproxy  # noqa: E402  (e2e's helper: TCP mode, leastconn, send-proxy-v2)

NAMES = ["cluster2_batch16_receipts_local", "cluster2_batch16_receipts_local_leases",
         "cluster2_batch16_receipts_crossing_paced", "cluster2_batch16_receipts_crossing",
         "cluster2_haproxy_batch16_receipts"]
# Credits and a rate far above what two cores reach, so that they are leased but never run
# out: the cost of the leases, not their effect. (They are still refused while a node's
# refill is in flight when its credit block is small: the errors column.)
LEASED_ACCOUNT = ('\n[[account]]\nsystem-id = "leased"\npassword = "leased"\nmax-sessions = 64\n'
                  'credits = 1000000000000\nsubmit-rate = 10000000\n')
# The paced crossing run submits at this share of the local scenario's median rate: slow enough
# that every receipt crosses within the run, so Redis's CPU per message counts all of them.
PACED = 0.5
RECEIVERS = 4   # receiver sessions on node 2 in the crossing scenario (as many as the submitters)


def redis_command(port: int, *args: str):
    """One command over a fresh connection; the reply (simple, integer or bulk) as str/int."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
        f = s.makefile("rb")
        line = f.readline()
        if line[:1] == b"$":
            n = int(line[1:-2])
            return f.read(n).decode() if n >= 0 else None
        if line[:1] == b":":
            return int(line[1:-2])
        if line[:1] == b"-":
            raise RuntimeError(line[1:-2].decode())
        return line[1:-2].decode()


def start_redis(work: str):
    """redis-server on a free loopback port, no persistence; returns (proc, port)."""
    d = os.path.join(work, "redis")
    os.makedirs(d, exist_ok=True)
    port = b.free_port()
    proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", d, "--daemonize", "no", "--loglevel", "warning"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if redis_command(port, "PING") == "PONG":
                return proc, port
        except OSError:
            pass
        time.sleep(0.02)   # polling for readiness, bounded by the deadline
    proc.kill()
    raise SystemExit("redis-server did not answer PING")


def command_stats(port: int) -> dict:
    """INFO commandstats: {command: (calls, usec)}."""
    out = {}
    for line in redis_command(port, "INFO", "commandstats").splitlines():
        m = re.match(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+)", line)
        if m:
            out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def redis_cpu_seconds(port: int) -> float:
    """redis-server's own user+system CPU (INFO cpu: getrusage, microseconds; /proc's ticks of
    10 ms are too coarse for a process that works a few ms per second)."""
    info = dict(line.split(":", 1) for line in redis_command(port, "INFO", "cpu").splitlines() if ":" in line)
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def start_node(work: str, name: str, redis_port: int, node: int, proxy: bool, cluster_keys: str = ""):
    """One memory-mode smppd node on perf/smppd-bench.toml plus the leased account and a
    [cluster] table (plus `cluster_keys`, lines of it); returns (proc, TLS port) once it
    listens and has reached Redis."""
    d = os.path.join(work, name)
    os.makedirs(d)
    cfg = os.path.join(d, "smppd.toml")
    text = open(b.SMPPD_CONFIG).read() + LEASED_ACCOUNT
    text += f'\n[cluster]\nredis = "127.0.0.1:{redis_port}"\nnode = {node}\n{cluster_keys}\n'
    if proxy:
        text = '[server]\nproxy-protocol-from = ["127.0.0.1"]\n' + text
    with open(cfg, "w") as f:
        f.write(text)
    log = os.path.join(d, "smppd.log")
    with open(log, "wb") as f:
        proc = subprocess.Popen([os.path.join(b.REL, "smppd"), "--config", cfg, "--memory", "--data-dir", os.path.join(d, "var"),
                                 "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"], stdout=subprocess.DEVNULL, stderr=f)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        text = open(log, errors="replace").read()
        m = re.search(r"event=listening addr=127\.0\.0\.1:(\d+) proto=tls", text)
        if m and "event=cluster-connected" in text:
            LOGS.append(log)
            return proc, int(m.group(1))
        time.sleep(0.05)   # polling the node's log for readiness, bounded by the deadline
    proc.kill()
    raise SystemExit(f"{name} did not become ready (log: {log})")


# Every node's log (stderr), to count the deliveries each scenario dropped.
LOGS: list = []


def dropped_deliveries() -> int:
    """`event=deliver-dropped` lines in every node's log so far."""
    return sum(open(p, errors="replace").read().count("event=deliver-dropped") for p in LOGS)


def client_cmd(port: int, args, out: str, hgrm: str, account: str = "bench"):
    return [os.path.join(b.REL, "smppbench"), "--host", "127.0.0.1", "--port", str(port), "--system-id", account,
            "--password", account, "--insecure", "--json", out, "--hgrm", hgrm] + args


def one_cluster_run(port: int, args, pids: dict, redis_port: int, account: str = "bench"):
    """One smppbench run; the row of one_run's keys (server CPU = every server-side process) plus
    `cpu:<process>` in µs per message for each of `pids`, redis-server and the client."""
    out = tempfile.mktemp(suffix=".json")
    hgrm = out[:-len(".json")] + ".hgrm"
    cpu0 = {k: b.cpu_seconds(p) for k, p in pids.items()}
    cpu0["redis"] = redis_cpu_seconds(redis_port)
    ru0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    p = subprocess.Popen(client_cmd(port, args, out, hgrm, account), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=600)
    if p.returncode != 0:
        sys.stderr.write(f"smppbench exited {p.returncode}: {err[-2000:]}\n")
    wall = time.monotonic() - t0
    cpu = {k: b.cpu_seconds(pid) - cpu0[k] for k, pid in pids.items()}
    cpu["redis"] = redis_cpu_seconds(redis_port) - cpu0["redis"]
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The client is the only child reaped in between: its user+system time.
    cpu["client"] = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    r = json.load(open(out))
    os.unlink(out)
    if p.returncode != 0:
        sys.stderr.write(f"  answered {r['answered']} of {r['submitted']}, errors {r['errors']}, receipts matched "
                         f"{r['receipts_matched']}, pending {r['receipts_pending']}\n")
    text = open(hgrm).read() if os.path.exists(hgrm) else ""
    if os.path.exists(hgrm):
        os.unlink(hgrm)
    pdus = r["answered"]
    server = sum(v for k, v in cpu.items() if k != "client")
    row = {
        "submit_per_s": r["submit_per_s"], "receipts_per_s": r["receipts_per_s"], "mo_per_s": 0,
        "p50_us": r["p50_us"], "p99_us": r["p99_us"], "p999_us": r["p999_us"],
        "receipt_p50_us": r["receipt_p50_us"], "receipt_p99_us": r["receipt_p99_us"],
        "errors": sum(r["errors"].values()), "receipts_pending": r.get("receipts_pending", 0),
        "cpu_s_per_million": server / pdus * 1e6 if pdus else 0,
        "cpu_pct": 100 * server / wall if wall > 0 else 0,
        "_pdus_total": pdus,
    }
    for k, v in cpu.items():
        row[f"cpu:{k}"] = v / pdus * 1e6 if pdus else 0
    return row, [text]


def cluster_scenarios(work, n, a, want, rows, json_path):
    """Runs the wanted cluster scenarios; appends their median rows to `rows` and returns
    {scenario: {command: (calls per message, µs per call)}} from Redis's commandstats."""
    stats = {}
    if not any(want(x) for x in NAMES):
        return stats

    def measure(name, port, args, pids, redis_port, account="bench"):
        if not want(name):
            return
        redis_command(redis_port, "CONFIG", "RESETSTAT")
        dropped0 = dropped_deliveries()
        results = [one_cluster_run(port, args, pids, redis_port, account) for _ in range(a.runs)]
        runs = [r for r, _ in results]
        total = sum(r["_pdus_total"] for r in runs) or 1
        stats[name] = {"commands": {c: (calls / total, usec / calls if calls else 0)
                                    for c, (calls, usec) in command_stats(redis_port).items()},
                       "dropped": dropped_deliveries() - dropped0, "messages": total}
        b.keep_hgrms(json_path, name, "cluster", runs, [h for _, h in results])
        rows.append(b.median_row(name, "2 nodes + redis" + (" + haproxy" if "haproxy" in name else ""), runs))
        sys.stderr.write(f"{name}: {rows[-1]['runs']}\n")

    receipts = b.BATCH16 + ["--count", n(1_000_000), "--receipts"]
    started = []
    try:
        direct = [x for x in NAMES if "haproxy" not in x]
        if any(want(x) for x in direct):
            redis, rport = start_redis(os.path.join(work, "c1"))
            started.append(redis)
            n1, p1 = start_node(work, "cluster-node1", rport, 1, proxy=False)
            started.append(n1)
            n2, p2 = start_node(work, "cluster-node2", rport, 2, proxy=False)
            started.append(n2)
            pids = {"node 1": n1.pid, "node 2": n2.pid}
            spread = ["--also-port", str(p2)]
            # Warm-up: both stores filled (4M records each), as the single smppd's is.
            one_cluster_run(p1, b.BATCH16 + spread + ["--count", n(8_400_000)], pids, rport)
            measure("cluster2_batch16_receipts_local", p1, receipts + spread, pids, rport)
            measure("cluster2_batch16_receipts_local_leases", p1, receipts + spread, pids, rport, account="leased")
            crossing = ["--bind", "transmitter", "--receiver-port", str(p2), "--receivers", str(RECEIVERS)]
            # Paced first: the full-speed runs leave receipts behind on node 1 (up to its
            # queue-max) that would cross during whatever runs next.
            local = next((r for r in rows if r["scenario"] == "cluster2_batch16_receipts_local"), None)
            if local and want("cluster2_batch16_receipts_crossing_paced"):
                rate = int(local["submit_per_s"] * PACED)
                stats["_paced_rate"] = rate
                measure("cluster2_batch16_receipts_crossing_paced", p1,
                        b.BATCH16 + ["--count", n(600_000), "--receipts", "--rate", str(rate)] + crossing, pids, rport)
            # At full speed node 1 cannot ship as fast as it takes submits and drops the oldest
            # receipts past delivery.queue-max: a short drain, the losses reported.
            measure("cluster2_batch16_receipts_crossing", p1, receipts + crossing + ["--drain", "10"], pids, rport)
            for p in reversed(started):
                b.stop(p)
            started.clear()
        if want("cluster2_haproxy_batch16_receipts"):
            redis, rport = start_redis(os.path.join(work, "c2"))
            started.append(redis)
            n1, p1 = start_node(work, "cluster-proxied-node1", rport, 1, proxy=True)
            started.append(n1)
            n2, p2 = start_node(work, "cluster-proxied-node2", rport, 2, proxy=True)
            started.append(n2)
            hap = Haproxy(os.path.join(work, "haproxy"), [("127.0.0.1", p1), ("127.0.0.1", p2)]).start()
            started.append(hap)
            pids = {"node 1": n1.pid, "node 2": n2.pid, "haproxy": hap.proc.pid}
            one_cluster_run(hap.port, b.BATCH16 + ["--count", n(8_400_000)], pids, rport)
            measure("cluster2_haproxy_batch16_receipts", hap.port, receipts, pids, rport)
    finally:
        for p in reversed(started):
            p.stop() if isinstance(p, Haproxy) else b.stop(p)
    return stats


def report(rows, stats):
    """The cluster's own table: per-process CPU per message, Redis per message, and the ratio
    to the single node's batch-16-with-receipts row of the same run."""
    by = {r["scenario"]: r for r in rows}
    single = next((r for r in rows if r["scenario"] == "batch16_w256_c4_receipts" and r["server"] == "smppd"), None)
    cluster = [by[x] for x in NAMES if x in by]
    if not cluster:
        return
    procs = ["node 1", "node 2", "redis", "haproxy", "client"]
    print("\nCluster (issue 15), medians; CPU in µs per message (= CPU s per 1M submits) of each process:")
    print("| scenario | submit/s | receipts/s | p50 / p99 µs | receipt p50 / p99 µs | " + " | ".join(procs)
          + " | servers total | errors | / single node |")
    print("|---" * (len(procs) + 8) + "|")
    if single:
        print(f"| batch16_w256_c4_receipts (single smppd) | {single['submit_per_s']:,.0f} | {single['receipts_per_s']:,.0f} | "
              f"{single['p50_us']:,.0f} / {single['p99_us']:,.0f} | — | {single['cpu_s_per_million']:.2f} | — | — | — | — | "
              f"{single['cpu_s_per_million']:.2f} | {single['errors']:.0f} | 100 % |")
    for r in cluster:
        cells = " | ".join(f"{r[f'cpu:{p}']:.2f}" if f"cpu:{p}" in r else "—" for p in procs)
        ratio = f"{100 * r['submit_per_s'] / single['submit_per_s']:.0f} %" if single and single["submit_per_s"] else "—"
        print(f"| {r['scenario']} | {r['submit_per_s']:,.0f} | {r['receipts_per_s']:,.0f} | {r['p50_us']:,.0f} / "
              f"{r['p99_us']:,.0f} | {r['receipt_p50_us']:,.0f} / {r['receipt_p99_us']:,.0f} | {cells} | "
              f"{r['cpu_s_per_million']:.2f} | {r['errors']:.0f} | {ratio} |")
    print("\nRedis CPU per message, and the goals (same run; the ratios against the single smppd's "
          "batch-16-with-receipts row, submits and receipts each):")
    for r in cluster:
        goal = 1.0 if "crossing" in r["scenario"] else 0.3
        redis_us = r["cpu:redis"]
        line = f"- {r['scenario']}: Redis {redis_us:.3f} µs/message (goal <= {goal}: {'met' if redis_us <= goal else 'NOT met'})"
        if single and single["submit_per_s"] and single["receipts_per_s"] and "paced" not in r["scenario"]:
            sub, rec = r["submit_per_s"] / single["submit_per_s"], r["receipts_per_s"] / single["receipts_per_s"]
            line += (f"; submit/s {100 * sub:.0f} %, receipts/s {100 * rec:.0f} % of the single node's "
                     f"(goal >= 60 %: {'met' if min(sub, rec) >= 0.6 else 'NOT met'})")
        if r["receipts_pending"]:
            line += f"; receipts never arrived (median run): {r['receipts_pending']:,.0f}"
        print(line)
    if "_paced_rate" in stats:
        print(f"- the paced crossing run's --rate: {stats['_paced_rate']:,} ({100 * PACED:.0f} % of the local median)")
    for name, st in stats.items():
        if name.startswith("_"):
            continue
        top = sorted(st["commands"].items(), key=lambda kv: -kv[1][0] * kv[1][1])
        print(f"- {name}: deliveries dropped by the nodes (event=deliver-dropped) {st['dropped']:,} of "
              f"{st['messages']:,}; Redis commands per 1,000 messages (µs inside Redis per call): "
              + ", ".join(f"{c} {1000 * per:.2f} ({us:.1f})" for c, (per, us) in top if per > 0 and c not in ("info", "config|resetstat")))
