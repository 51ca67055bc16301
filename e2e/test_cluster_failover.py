"""Redis primary loss (issue 15): two nodes find Redis through three Sentinels and acknowledge
what they ship through it only once a replica has it (`wait-replicas = 1`). kill -9 of the
primary under a steady submit load whose receipts cross from node 1 to a receiver on node 2:
within 5 s of the failover both nodes serve again (binds work, receipts flow), and every
acknowledged submit_sm has its receipt at the receiver (at least once): nothing lost."""

from __future__ import annotations

import re
import threading
import time

import pytest

import cluster
import msgkit
import smpp
from msgkit import ACME, ORDINARY

RESUME_LIMIT = 5.0
RECEIPTS_TIMEOUT = 30.0


@pytest.fixture
def topology(tmp_path):
    # Two replicas: after the promotion one is left, so WAIT 1 can still be satisfied.
    t = cluster.SentinelTopology(tmp_path / "redis", replicas=2).start()
    yield t
    t.stop()


class Submitter(threading.Thread):
    """A steady load (~200 submit_sm/s, one at a time) on a bound transmitter; records each
    acknowledged id with the time its submit_sm_resp came."""

    def __init__(self, client: smpp.Client):
        super().__init__(daemon=True)
        self.client = client
        self.acked: list[tuple[float, str]] = []
        self.refused: list[int] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            i = 0
            while not self.stop.is_set():
                pdu = self.client.submit(ORDINARY, f"f{i}".encode(), registered_delivery=1, timeout=10)
                if pdu.command_id == smpp.SUBMIT_SM_RESP and pdu.status == 0:
                    self.acked.append((time.monotonic(), smpp.decode_submit_sm_resp(pdu)))
                else:
                    self.refused.append(pdu.status)
                i += 1
                self.stop.wait(0.005)
        except BaseException as e:   # reported by the test
            self.error = e


class Receiver(threading.Thread):
    """Answers every deliver_sm on a bound receiver; records when each receipt first came."""

    def __init__(self, client: smpp.Client):
        super().__init__(daemon=True)
        self.client = client
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self):
        try:
            while not self.stop.is_set():
                try:
                    pdu = self.client.recv_pdu(timeout=0.2)
                except smpp.PduTimeout:
                    continue
                if pdu.command_id == smpp.DELIVER_SM:
                    d = smpp.decode_deliver_sm(pdu)
                    if d.is_receipt:
                        with self.lock:
                            self.seen.setdefault(d.receipted_message_id, time.monotonic())
                    self.client.send_raw(smpp.deliver_sm_resp(pdu.sequence))
                elif pdu.command_id == smpp.ENQUIRE_LINK:
                    self.client.send_raw(smpp.enquire_link_resp(pdu.sequence))
        except BaseException as e:
            self.error = e

    def count(self) -> int:
        with self.lock:
            return len(self.seen)

    def snapshot(self) -> dict[str, float]:
        with self.lock:
            return dict(self.seen)


def _bind_works(node, deadline: float) -> float | None:
    """Binds (and unbinds) a fresh transceiver on `node` until one is granted; when it was."""
    while time.monotonic() < deadline:
        with node.connect() as c:
            if c.bind("transceiver", "acme", "secret").status == 0:
                at = time.monotonic()
                c.unbind()
                return at
        time.sleep(0.05)
    return None


def _last_log_batch(server) -> int:
    """The batch number of the last entry of node 1's shipped log on `server` (0: none)."""
    last = server.command("XREVRANGE", "smppd:{n:1}:log", "+", "-", "COUNT", "1") or []
    return int(last[0][0].split("-")[0]) if last else 0


@pytest.mark.parametrize("ship_log", [False, True], ids=["node-local", "ship-log"])
def test_primary_killed_mid_load_service_resumes_within_5s_and_nothing_acknowledged_is_lost(smppd, topology, ship_log):
    # With ship-log the shipper's own connection must follow the failover too (every response
    # also waits for its batch to be in Redis while the shipper is connected).
    keys = {"wait-replicas": 1, **({"ship-log": True, "ship-wait-replicas": 1} if ship_log else {})}
    a = cluster.node(smppd, topology, 1, [ACME], cluster=keys)
    b = cluster.node(smppd, topology, 2, [ACME], cluster=keys)
    with a.connect() as tx, b.connect() as rx:
        tx.bind_ok("transmitter", "acme", "secret")
        rx.bind_ok("receiver", "acme", "secret")
        primary = topology.server(topology.named_primary())
        msgkit.wait_until(lambda: (primary.command("HGET", "smppd:{a:acme}:sess:2", "rx") or "0") != "0", 5,
                          "node 2's receiver in Redis")
        submitter, receiver = Submitter(tx), Receiver(rx)
        receiver.start()
        submitter.start()
        try:
            # Steady state first: receipts are crossing nodes.
            msgkit.wait_until(lambda: receiver.count() >= 200, 15, "200 receipts crossing from node 1 to node 2")
            marks = a.mark(), b.mark()
            old = topology.kill_primary()
            killed_at = time.monotonic()
            new = topology.wait_failover(old)
            failover_at = time.monotonic()
            log_at_failover = _last_log_batch(new)
            # Both nodes find the promoted replica through the sentinels by themselves.
            for node, mark in zip((a, b), marks):
                node.wait_for_event("cluster-connected", timeout=RESUME_LIMIT + 1, since=mark, redis=f"127.0.0.1:{new.port}")
            deadline = failover_at + RESUME_LIMIT + 1
            bind_a, bind_b = _bind_works(a, deadline), _bind_works(b, deadline)
            # A submit acknowledged after the failover has its receipt at the receiver on node 2.
            def first_receipt_after_failover():
                seen = receiver.snapshot()
                times = [seen[m] for t, m in list(submitter.acked) if t > failover_at and m in seen]
                return min(times) if times else None
            msgkit.wait_until(lambda: first_receipt_after_failover() is not None,
                              max(deadline - time.monotonic(), 0.1), "a receipt of a submit made after the failover")
            flow = first_receipt_after_failover()
        finally:
            submitter.stop.set()
            submitter.join(15)
        assert submitter.error is None, f"the submit load failed: {submitter.error!r}"
        assert not submitter.refused, f"submits refused: {sorted(set(submitter.refused))}"
        acked = [m for _, m in submitter.acked]
        # Every acknowledged submit_sm: its receipt reaches the receiver (at least once).
        msgkit.wait_until(lambda: set(acked) <= receiver.snapshot().keys(), RECEIPTS_TIMEOUT,
                          "every acknowledged submit's receipt at the receiver")
        receiver.stop.set()
        receiver.join(5)
        assert receiver.error is None, f"the receiver failed: {receiver.error!r}"

    timings = {
        "kill_to_failover_s": round(failover_at - killed_at, 2),
        "failover_to_bind_node1_s": round(bind_a - failover_at, 2) if bind_a else None,
        "failover_to_bind_node2_s": round(bind_b - failover_at, 2) if bind_b else None,
        "failover_to_receipts_flowing_s": round(flow - failover_at, 2),
        "acknowledged": len(acked),
    }
    print(f"\nredis primary failover ({'ship-log' if ship_log else 'node-local'}): {timings}")
    assert bind_a and bind_a - failover_at <= RESUME_LIMIT, timings
    assert bind_b and bind_b - failover_at <= RESUME_LIMIT, timings
    assert flow - failover_at <= RESUME_LIMIT, timings
    # Nothing shipped was dropped by the nodes without a replica having it first: the stream
    # on the new primary empties (every entry delivered and acknowledged).
    msgkit.wait_until(lambda: new.command("XLEN", "smppd:{a:acme}:dlv") == 0, 10, "the stream emptied")
    if ship_log:
        # The shipper found the promoted replica too: node 1's log goes on growing there.
        msgkit.wait_until(lambda: _last_log_batch(new) > log_at_failover, 10,
                          f"node 1's log on the new primary past batch {log_at_failover}")


def test_sentinel_config_mistakes_name_the_key(smppd_bin, tmp_path):
    import harness
    cases = [
        ('[cluster]\nredis = "127.0.0.1:6390"\nsentinels = ["127.0.0.1:26379"]\n', "cluster.sentinels: give either"),
        ('[cluster]\nsentinels = ["nowhere"]\n', "cluster.sentinels: each must be host:port"),
        ('[cluster]\nsentinels = ["no-such-host.invalid:26379"]\n', "cluster.sentinels: cannot resolve"),
        ('[cluster]\nsentinels = "127.0.0.1:26379"\n', "cluster.sentinels"),
        ('[cluster]\nsentinels = ["127.0.0.1:26379"]\nmaster-name = ""\n', "cluster.master-name"),
        ('[cluster]\nsentinels = ["127.0.0.1:26379"]\nwait-replicas = -1\n', "cluster.wait-replicas: must be 0…16"),
    ]
    for table, message in cases:
        cfg = tmp_path / "bad.toml"
        cfg.write_text(table)
        proc = harness.run_tool(smppd_bin, ["--config", str(cfg), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                                            "--data-dir", str(tmp_path / "data")], cwd=tmp_path)
        err = proc.stderr.decode(errors="replace")
        assert proc.returncode == 78, f"{table!r}: exit {proc.returncode}:\n{err}"
        assert message in err, f"{table!r}: {err}"
        assert "event=listening" not in err


def test_a_node_with_sentinels_nobody_answers_starts_and_refuses_binds(smppd):
    """No sentinel reachable: the node starts, says why, and refuses binds with ESME_RSYSERR."""
    import upstream
    ports = [upstream.free_port() for _ in range(2)]
    d = smppd(accounts=[ACME], extra={"cluster": {"sentinels": [f"127.0.0.1:{p}" for p in ports], "node": 3}},
              allow_errors=[r"event=cluster-"])
    line = d.wait_for_event("cluster-disconnected", timeout=10)
    assert "no sentinel named the master" in line.get("reason", ""), line
    with d.connect() as c:
        assert c.bind("transceiver", "acme", "secret").status == smpp.ESME_RSYSERR


def test_with_wait_replicas_nothing_counts_as_shipped_until_a_replica_has_it(smppd, tmp_path):
    """`wait-replicas = 1` with the only replica gone: node 1 does not count its receipts as
    shipped (WAIT answers 0: it keeps them and ships them again), stops writing copies while no
    replica is connected, and refuses binds with ESME_RSYSERR rather than granting them on the
    primary's word; once a replica is back every receipt reaches the receiver on node 2."""
    import upstream
    from test_durability import _collect_receipts
    fast = ["--repl-diskless-sync-delay", "0"]
    primary = cluster.RedisServer(tmp_path / "primary", extra_args=fast).start()
    replica = cluster.RedisServer(tmp_path / "replica", extra_args=fast + ["--replicaof", "127.0.0.1", str(primary.port)]).start()
    in_sync = lambda: "master_link_status:up" in replica.command("INFO", "replication")
    shipped = lambda: msgkit.metric(msgkit.metrics(a), "smppd_cluster_deliveries_shipped_total", node="1") or 0
    xadds = lambda: int(re.search(r"cmdstat_xadd:calls=(\d+)", primary.command("INFO", "commandstats") + "cmdstat_xadd:calls=0").group(1))
    try:
        msgkit.wait_until(in_sync, 10, "the replica in sync")
        keys = {"wait-replicas": 1}
        a = cluster.node(smppd, primary, 1, [ACME], cluster=keys)
        b = cluster.node(smppd, primary, 2, [ACME], cluster=keys)
        with a.connect() as tx, b.connect() as rx:
            tx.bind_ok("transmitter", "acme", "secret")
            rx.bind_ok("receiver", "acme", "secret")
            msgkit.wait_until(lambda: (primary.command("HGET", "smppd:{a:acme}:sess:2", "rx") or "0") != "0", 5,
                              "node 2's receiver in Redis")
            replica.kill()
            msgkit.wait_until(lambda: "connected_slaves:0" in primary.command("INFO", "replication"), 10,
                              "the primary to see its replica gone")
            ids, early = upstream.submit_burst(tx, [ORDINARY] * 50, lambda i: f"w{i}".encode())
            seen: dict[str, str] = dict(early)
            # The shipments already on their way when the first WAIT came back short are written
            # and not replicated (so kept and shipped again: node 2 may see those receipts
            # twice): at most RemoteDeliveries.shipmentsInFlight (4) of them, plus the one that
            # finds out; after that, no copies while no replica is there.
            _collect_receipts(rx, set(ids), seen, 3.0)
            assert shipped() == 0, "receipts counted as shipped with no replica to have them"
            written = xadds()
            assert written <= 5, f"{written} copies written with no replica connected"
            with a.connect() as c:
                assert c.bind("transceiver", "acme", "secret").status == smpp.ESME_RSYSERR
            replica.start()
            _collect_receipts(rx, set(ids), seen, RECEIPTS_TIMEOUT)
            assert set(ids) <= seen.keys(), f"{len(set(ids) - seen.keys())} receipts lost"
            msgkit.wait_until(lambda: shipped() >= len(ids), 10, "node 1 counting the receipts as shipped")
            with a.connect() as c:
                c.bind_ok("transceiver", "acme", "secret")
    finally:
        replica.stop()
        primary.stop()
