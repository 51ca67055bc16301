"""Surviving the loss of a machine (issue 15, `cluster.ship-log`): each node ships its journal's
batches to a Redis Stream of its own; when a node's lease expires, a survivor replays that
stream and takes its pending receipts and unfinished messages over. A node killed -9 and not
restarted loses nothing it acknowledged: its receipts reach the receiver through the survivor
within lease + 5 s (+ the carrier's latency). Restarted later, it says its work was taken over
and gives no message a second outcome. The stream stays about as large as the node's journal."""

from __future__ import annotations

import datetime
import subprocess
import time

import pytest

import cluster
import harness
import msgkit
import smpp
from msgkit import ACME, ORDINARY

LEASE_MS = 1500
# Messages stay with the carrier 2-4 s, so that many are not final when the node is killed;
# a mix of outcomes, so that a second draw that differed would show as a different stat.
SLOW_MIXED_CARRIER = {"latency-min-ms": 2000, "latency-median-ms": 3000, "latency-max-ms": 4000,
                      "delivered": 6, "undeliverable": 2, "rejected": 1, "expired": 1}
CARRIER_MAX_S = 4.0
SHIP = {"ship-log": True, "lease-ms": LEASE_MS}
SMALL_SEGMENTS = {"store": {"segment-mb": 1}}


@pytest.fixture
def redis(tmp_path):
    r = cluster.RedisServer(tmp_path / "redis").start()
    yield r
    r.stop()


def _receiver_known(redis, system_id: str, node: int, timeout: float = 5.0):
    key = f"smppd:{{a:{system_id}}}:sess:{node}"
    msgkit.wait_until(lambda: (redis.command("HGET", key, "rx") or "0") != "0", timeout,
                      f"node {node}'s receiver of {system_id} in Redis")


def _read_receipts(rx: smpp.Client, stats: dict[str, set[str]], until) -> None:
    """Answers deliver_sm, noting every receipt's stat per id, until `until()` is true or a
    read times out after the deadline it returns (until() -> (done, deadline))."""
    while True:
        done, deadline = until()
        if done or time.monotonic() >= deadline:
            return
        try:
            pdu = rx.recv_pdu(timeout=max(min(deadline - time.monotonic(), 0.5), 0.01))
        except smpp.PduTimeout:
            continue
        if pdu.command_id == smpp.DELIVER_SM:
            d = smpp.decode_deliver_sm(pdu)
            if d.is_receipt:
                stats.setdefault(d.receipted_message_id, set()).add(msgkit.Receipt(d).stat)
            rx.send_raw(smpp.deliver_sm_resp(pdu.sequence))
        elif pdu.command_id == smpp.ENQUIRE_LINK:
            rx.send_raw(smpp.enquire_link_resp(pdu.sequence))


def _load_then_kill(node: harness.Daemon, tx: smpp.Client, rounds: int, burst: int,
                    pause: float = 0.0) -> tuple[list[str], float]:
    """Pipelined bursts of submit_sm with registered_delivery; the last burst is still in
    flight when the node is killed -9. Returns the ids it acknowledged and the kill's time."""
    acked: list[str] = []
    for r in range(rounds + 1):
        if r:
            time.sleep(pause)   # the load spans the carrier's latency: some messages final, some not
        data = bytearray()
        for i in range(burst):
            data += smpp.submit_sm(tx.next_seq(), ORDINARY, f"r{r}m{i}".encode(), registered_delivery=1)
        tx.send_raw(bytes(data))
        if r == rounds:
            node.kill()
            killed = time.monotonic()
        got = 0
        while got < burst:
            try:
                pdu = tx.recv_pdu(timeout=5)
            except (smpp.PduTimeout, smpp.Closed, OSError):
                break
            if pdu is None:
                break
            if pdu.command_id == smpp.SUBMIT_SM_RESP:
                got += 1
                if pdu.status == 0:
                    acked.append(smpp.decode_submit_sm_resp(pdu))
        if r < rounds:
            assert got == burst, f"round {r}: {got} of {burst} answered"
    return acked, killed


@pytest.mark.parametrize("silent_receiver_on_the_lost_node", [False, True])
def test_a_lost_nodes_receipts_are_delivered_by_a_survivor_and_not_twice_after_its_return(
        smppd, redis, silent_receiver_on_the_lost_node):
    """With a receiver on node 1 that never answers, node 1's receipts stay pending there (in
    its window and queue) until the kill: the survivor adopts them as pending receipts.
    Without it, the survivor adopts the messages not final and draws their outcomes."""
    a = cluster.node(smppd, redis, 1, [ACME], cluster=SHIP, carrier=SLOW_MIXED_CARRIER, extra=SMALL_SEGMENTS)
    b = cluster.node(smppd, redis, 2, [ACME], cluster=SHIP, carrier=SLOW_MIXED_CARRIER, extra=SMALL_SEGMENTS)
    stats: dict[str, set[str]] = {}
    with b.connect() as rx:
        rx.bind_ok("receiver", "acme", "secret")
        _receiver_known(redis, "acme", 2)
        if silent_receiver_on_the_lost_node:
            silent = a.connect()
            silent.bind_ok("receiver", "acme", "secret")
        tx = a.connect()
        tx.bind_ok("transmitter", "acme", "secret")
        acked, killed = _load_then_kill(a, tx, rounds=8, burst=40, pause=0.4)
        killed_wall = time.time()
        tx.abort()
        if silent_receiver_on_the_lost_node:
            silent.abort()
        assert len(acked) >= 8 * 40, len(acked)
        wanted = set(acked)
        assert all(int(m, 16) >> 19 & 0xF == 1 for m in wanted), "node 1's ids carry its number"
        # Every id node 1 acknowledged gets its receipt on node 2: via node 2's takeover of
        # node 1's log (node 1 is not restarted).
        limit = LEASE_MS / 1000 + 5 + CARRIER_MAX_S
        _read_receipts(rx, stats, lambda: (wanted <= stats.keys(), killed + limit))
        got_all_at = time.monotonic() - killed
        missing = wanted - stats.keys()
        assert not missing, f"{len(missing)} of {len(wanted)} acknowledged ids without a receipt {limit:.1f}s after the kill"
        took = b.wait_for_event("cluster-takeover", timeout=1)
        assert took["node"] == "1", took
        if silent_receiver_on_the_lost_node:
            assert int(took["pending_receipts"]) > 0, took
        took_at = datetime.datetime.fromisoformat(took["ts"].replace("Z", "+00:00")).timestamp()
        print(f"takeover {took_at - killed_wall:.2f}s after the kill: {took}; "
              f"all {len(wanted)} receipts {got_all_at:.2f}s after the kill (limit {limit:.1f}s)")
        assert msgkit.metric(msgkit.metrics(b), "smppd_cluster_takeovers_total", node="2") == 1
        assert redis.command("EXISTS", "smppd:{n:1}:log") == 0
        assert redis.command("GET", "smppd:{n:1}:taken-over").split()[1] == "2"

        # Node 1 comes back on its data directory: it says its work was taken over and gives
        # no message a second outcome (a duplicate of the same receipt is allowed).
        a.start()
        a.wait_for_event("cluster-connected", timeout=10)
        back = a.wait_for_event("cluster-taken-over-before", timeout=10)
        assert back["by"] == "2", back
        msgkit.wait_until(lambda: redis.command("EXISTS", "smppd:{n:1}:taken-over") == 0, 5, "the marker deleted")
        quiet_until = time.monotonic() + CARRIER_MAX_S + 2
        _read_receipts(rx, stats, lambda: (False, quiet_until))
    twice = {m: s for m, s in stats.items() if len(s) > 1}
    assert not twice, f"ids with two different outcomes: {dict(list(twice.items())[:5])}"
    a.check_log()


def test_a_node_that_comes_back_within_its_lease_keeps_its_work(smppd, redis):
    """Process death (node-local): restarted before its lease ran out, nobody takes it over;
    it delivers its own pending receipts after the restart."""
    a = cluster.node(smppd, redis, 1, [ACME], cluster={**SHIP, "lease-ms": 60000}, carrier=SLOW_MIXED_CARRIER)
    b = cluster.node(smppd, redis, 2, [ACME], cluster={**SHIP, "lease-ms": 60000}, carrier=SLOW_MIXED_CARRIER)
    stats: dict[str, set[str]] = {}
    with b.connect() as rx:
        rx.bind_ok("receiver", "acme", "secret")
        _receiver_known(redis, "acme", 2)
        tx = a.connect()
        tx.bind_ok("transmitter", "acme", "secret")
        acked, _ = _load_then_kill(a, tx, rounds=3, burst=40)
        tx.abort()
        a.start()
        a.wait_for_event("cluster-connected", timeout=10)
        wanted = set(acked)
        deadline = time.monotonic() + CARRIER_MAX_S + 15
        _read_receipts(rx, stats, lambda: (wanted <= stats.keys(), deadline))
        assert wanted <= stats.keys(), f"{len(wanted - stats.keys())} receipts missing after the restart"
    assert not b.find_events("cluster-takeover")
    assert not a.find_events("cluster-taken-over-before")
    assert not {m: s for m, s in stats.items() if len(s) > 1}


def test_the_shipped_log_stays_about_as_large_as_the_journal(smppd, redis):
    """Under a long-ish load, compaction passes trim the stream: Redis holds about what the
    node's disk holds, not every batch ever written."""
    a = cluster.node(smppd, redis, 1, [ACME], cluster=SHIP,
                     extra={"store": {"segment-mb": 1}, "messages": {"max-records": 2000}})
    with a.connect() as tx:
        tx.bind_ok("transceiver", "acme", "secret")
        sent = 0
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            data = bytearray()
            for i in range(200):
                data += smpp.submit_sm(tx.next_seq(), ORDINARY, b"x" * 100, registered_delivery=0)
            tx.send_raw(bytes(data))
            got, full = 0, False
            while got < 200:
                pdu = tx.recv_pdu(timeout=10)
                if pdu.command_id == smpp.SUBMIT_SM_RESP:
                    # A full queue (the carrier behind, records all live) is a back-off, not a failure.
                    assert pdu.status in (0, smpp.ESME_RMSGQFUL, smpp.ESME_RTHROTTLED), pdu
                    got += 1
                    sent += pdu.status == 0
                    full = full or pdu.status != 0
                elif pdu.command_id == smpp.DELIVER_SM:
                    tx.send_raw(smpp.deliver_sm_resp(pdu.sequence))
            if full:
                time.sleep(0.05)
            base = redis.command("GET", "smppd:{n:1}:logbase")
            if sent >= 30000 and base is not None and int(base) > 1:
                break
        base = int(redis.command("GET", "smppd:{n:1}:logbase") or 0)
        assert base > 1, f"no compaction pass trimmed the stream after {sent} submits"
        m = msgkit.metrics(a)
        journal = msgkit.metric(m, "smppd_store_journal_bytes")
        batches = msgkit.metric(m, "smppd_store_batches_total")
        xlen = redis.command("XLEN", "smppd:{n:1}:log")
        first = redis.command("XRANGE", "smppd:{n:1}:log", "-", "+", "COUNT", "1")[0][0]
        usage = redis.command("MEMORY", "USAGE", "smppd:{n:1}:log", "SAMPLES", "0")
        print(f"sent={sent} batches={batches} xlen={xlen} base={base} first={first} "
              f"stream_bytes={usage} journal_bytes={journal}")
        assert first == f"{base}-0", (first, base)
        assert msgkit.metric(m, "smppd_cluster_log_behind", node="1") == 0
        assert msgkit.metric(m, "smppd_cluster_log_shipped_batches_total", node="1") >= xlen
        assert xlen < batches, (xlen, batches)
        assert usage <= journal + (1 << 20), f"stream {usage} bytes against a journal of {journal}"


class _Replica(cluster.RedisServer):
    """A redis-server replicating `primary`."""

    def __init__(self, workdir, primary: cluster.RedisServer):
        super().__init__(workdir)
        self.primary = primary

    def start(self):
        super().start()
        self.command("REPLICAOF", "127.0.0.1", str(self.primary.port))
        msgkit.wait_until(lambda: "master_link_status:up" in self.command("INFO", "replication"), 10, "the replica linked")
        return self


def test_with_wait_replicas_an_acknowledged_batch_is_on_the_replica(smppd, redis, tmp_path):
    replica = _Replica(tmp_path / "replica", redis).start()
    try:
        a = cluster.node(smppd, redis, 1, [ACME], cluster={**SHIP, "ship-wait-replicas": 1})
        with a.connect() as tx:
            tx.bind_ok("transmitter", "acme", "secret")
            for n in range(1, 21):
                tx.submit_ok(ORDINARY, f"w{n}".encode())
                # The response left only once a replica had the batch it depends on.
                assert replica.command("XLEN", "smppd:{n:1}:log") >= n
        assert not a.find_events("cluster-log-unreplicated")
        replica.stop()
        msgkit.wait_until(lambda: "connected_slaves:0" in redis.command("INFO", "replication"), 10, "the replica gone")
        # Without the replica: each WAIT times out short; the node says so and goes on.
        with a.connect() as tx:
            tx.bind_ok("transmitter", "acme", "secret")
            tx.submit_ok(ORDINARY, b"after the replica")
        a.wait_for_event("cluster-log-unreplicated", timeout=5)
    finally:
        replica.stop()


def test_ship_log_needs_the_durable_store(smppd_bin, tmp_path, redis):
    config = tmp_path / "smppd.toml"
    config.write_text(harness.make_config(tmp_path / "data", extra={"cluster": {
        "redis": redis.address, "node": 1, "ship-log": True}}))
    proc = subprocess.run([smppd_bin, "--config", str(config), "--memory", "--listen", "127.0.0.1:0",
                           "--admin", "127.0.0.1:0"], capture_output=True, text=True, timeout=20)
    assert proc.returncode == 78, proc
    assert "cluster.ship-log" in proc.stderr, proc.stderr
