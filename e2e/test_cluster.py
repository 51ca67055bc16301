"""Several nodes, one service (issue 15): smppd nodes that share a Redis behave as one SMSC.
An account binds to any node; its receipts and MO reach its receiver wherever it is bound;
max-sessions, bind lock-outs, credits and the submit rate hold across nodes; query_sm and
cancel_sm work through any node; a node killed -9 loses nothing acknowledged; with Redis
down the nodes refuse what needs it, with a clear status, and serve the rest."""

from __future__ import annotations

import time

import pytest

import cluster
import harness
import msgkit
import smpp
import upstream
from msgkit import ACME, ACME_DEFAULT, ORDINARY, dest
from test_durability import _collect_receipts

RECEIPTS_TIMEOUT = 30.0


@pytest.fixture
def redis(tmp_path):
    r = cluster.RedisServer(tmp_path / "redis").start()
    yield r
    r.stop()


def _two_nodes(smppd, redis, accounts=(ACME,), **kw):
    a = cluster.node(smppd, redis, 1, list(accounts), **kw)
    b = cluster.node(smppd, redis, 2, list(accounts), **kw)
    return a, b


def _receiver_known(redis, system_id: str, node: int, timeout: float = 5.0):
    """Waits until node `node` has announced a receiver of the account (bind → Redis)."""
    key = f"smppd:{{a:{system_id}}}:sess:{node}"
    msgkit.wait_until(lambda: (redis.command("HGET", key, "rx") or "0") != "0", timeout,
                      f"node {node}'s receiver of {system_id} in Redis")


def _receipts_across(tx, rx, redis, count: int, tag: str):
    """Binds tx (on node 1) as a transmitter and rx (on node 2) as a receiver of acme, submits
    `count` messages on tx and collects their receipts on rx: (ids, {id: state})."""
    tx.bind_ok("transmitter", "acme", "secret")
    rx.bind_ok("receiver", "acme", "secret")
    _receiver_known(redis, "acme", 2)
    ids, _ = upstream.submit_burst(tx, [ORDINARY] * count, lambda i: f"{tag}{i}".encode())
    seen: dict[str, str] = {}
    _collect_receipts(rx, set(ids), seen, RECEIPTS_TIMEOUT)
    return ids, seen


def test_receipts_and_mo_reach_the_receiver_bound_on_another_node(smppd, redis):
    a, b = _two_nodes(smppd, redis)
    with a.connect() as tx, b.connect() as rx:
        ids, seen = _receipts_across(tx, rx, redis, 300, "x")
        assert all(int(m, 16) >> 19 & 0xF == 1 for m in ids), "A's ids carry node 1"
        assert set(ids) <= seen.keys(), f"{len(set(ids) - seen.keys())} receipts never reached B"
        assert set(seen[m] for m in ids) == {"DELIVRD"}
        # An MO injected at A for the account reaches its receiver on B.
        r = msgkit.admin(a, "POST", "/v1/mo", {"system_id": "acme", "source": "+14155550123",
                                                 "destination": ACME_DEFAULT, "text": "hello from A"})
        assert r.status == 202, r
        d = rx.next_deliver(timeout=10)
        assert not d.is_receipt and d.short_message == b"hello from A"
    # Nothing left behind in the account's stream: every entry acknowledged and deleted.
    msgkit.wait_until(lambda: redis.command("XLEN", "smppd:{a:acme}:dlv") == 0, 5, "the stream emptied")
    shipped = msgkit.metric(msgkit.metrics(a), "smppd_cluster_deliveries_shipped_total", node="1")
    received = msgkit.metric(msgkit.metrics(b), "smppd_cluster_deliveries_received_total", node="2")
    assert shipped >= 301 and received >= 301, (shipped, received)
    assert msgkit.metric(msgkit.metrics(b), "smppd_cluster_deliveries_held", node="2") == 0
    stats = msgkit.admin(b, "GET", "/v1/stats").json()["cluster"]
    assert stats["node"] == 2 and stats["redis"] == "connected" and stats["receiving_accounts"] == 0
    assert stats["deliveries_received_total"] >= 301 and stats["deliveries_held"] == 0


def test_max_sessions_counts_every_node(smppd, redis):
    acct = harness.account("duo", "pw", max_sessions=2)
    a, b = _two_nodes(smppd, redis, accounts=[acct])
    with a.connect() as c1, b.connect() as c2, a.connect() as c3, b.connect() as c4:
        c1.bind_ok("transceiver", "duo", "pw")
        c2.bind_ok("transceiver", "duo", "pw")
        assert c3.bind("transceiver", "duo", "pw").status == smpp.ESME_RBINDFAIL
        assert c4.bind("transceiver", "duo", "pw").status == smpp.ESME_RBINDFAIL
        c1.unbind()
        # The slot freed on A is free for B too.
        msgkit.wait_until(lambda: c4.bind("transceiver", "duo", "pw").status == 0, 5, "a bind on B after A's unbind")


def test_bind_lockout_counts_failures_on_every_node(smppd, redis):
    a, b = _two_nodes(smppd, redis, auth={"max-failures": 3, "lockout-ms": 60000, "failure-delay-ms": 0})
    for node in (a, b, a):
        with node.connect() as c:
            assert c.bind("transceiver", "acme", "wrong").status == smpp.ESME_RINVPASWD
    # Locked out everywhere: B has seen one failure of its own, A two. (A counts the third
    # in Redis as it answers it, so the test waits for the lock-out to be there.)
    msgkit.wait_until(lambda: redis.command("EXISTS", "smppd:{ip:127.0.0.1}:lock") == 1, 5, "the lock-out in Redis")
    with b.connect() as c:
        assert c.bind("transceiver", "acme", "secret").status == smpp.ESME_RBINDFAIL


def test_credits_hold_across_nodes(smppd, redis):
    acct = harness.account("metered", "pw", credits=120, max_sessions=4)
    a, b = _two_nodes(smppd, redis, accounts=[acct], cluster={"credit-block": 10})
    accepted = 0
    with a.connect() as ca, b.connect() as cb:
        ca.bind_ok("transmitter", "metered", "pw")
        cb.bind_ok("transmitter", "metered", "pw")
        deadline = time.monotonic() + 20
        # Until both nodes refuse for good in the same round (one may still hold a lease when
        # the other has run out).
        while time.monotonic() < deadline:
            statuses = [c.submit(ORDINARY, b"m", source_addr="+12125550100").status for c in (ca, cb)]
            accepted += statuses.count(0)
            assert set(statuses) <= {0, smpp.ESME_RSUBMITFAIL, smpp.ESME_RTHROTTLED}, statuses   # RTHROTTLED: a lease on its way
            if statuses == [smpp.ESME_RSUBMITFAIL] * 2:
                break
    assert accepted == 120, f"{accepted} accepted against 120 credits over two nodes"


def test_submit_rate_holds_across_nodes(smppd, redis):
    rate = 40
    acct = harness.account("paced", "pw", submit_rate=rate, max_sessions=4)
    a, b = _two_nodes(smppd, redis, accounts=[acct])
    with a.connect() as ca, b.connect() as cb:
        ca.bind_ok("transmitter", "paced", "pw")
        cb.bind_ok("transmitter", "paced", "pw")
        accepted = 0
        started = time.monotonic()
        while time.monotonic() - started < 3.0:
            for c in (ca, cb):
                if c.submit(ORDINARY, b"m", source_addr="+12125550100").status == 0:
                    accepted += 1
        elapsed = time.monotonic() - started
    # A second's burst plus the rate over the run, and a block (a tenth of a second) in each
    # node's hands: not twice the rate, which two nodes counting alone would allow.
    ceiling = rate * (elapsed + 1) + 2 * (rate // 10 + 1)
    assert accepted <= ceiling, f"{accepted} accepted in {elapsed:.1f}s at {rate}/s over two nodes (ceiling {ceiling:.0f})"
    assert accepted >= rate * elapsed * 0.6, f"only {accepted} accepted in {elapsed:.1f}s at {rate}/s"


def test_query_and_cancel_through_another_node(smppd, redis):
    a, b = _two_nodes(smppd, redis, messages={"hold-ms": 60000})
    with a.connect() as ca, b.connect() as cb:
        ca.bind_ok("transceiver", "acme", "secret")
        cb.bind_ok("transceiver", "acme", "secret")
        mid = ca.submit_ok(ORDINARY, b"held", registered_delivery=1)
        q = cb.query(mid, source_addr=ACME_DEFAULT)
        assert q.status == 0, q
        assert smpp.decode_query_sm_resp(q).message_state == 1   # ENROUTE, read from A
        assert cb.cancel(mid, source_addr=ACME_DEFAULT).status == 0
        q = ca.query(mid, source_addr=ACME_DEFAULT)
        assert smpp.decode_query_sm_resp(q).message_state == 4   # DELETED on A
        # Through B, an id of A's that does not exist, and a cancel that cannot happen.
        unknown = format(int(mid, 16) + 12345, "x")
        assert cb.query(unknown, source_addr=ACME_DEFAULT).status == smpp.ESME_RQUERYFAIL
        assert cb.cancel(mid, source_addr=ACME_DEFAULT).status == smpp.ESME_RCANCELFAIL
    # The owner gone: B answers ESME_RQUERYFAIL after its wait, without hanging.
    a.kill()
    a.check_log()
    with b.connect() as cb:
        cb.bind_ok("transceiver", "acme", "secret")
        t = time.monotonic()
        assert cb.query(mid, source_addr=ACME_DEFAULT, timeout=10).status == smpp.ESME_RQUERYFAIL
        assert time.monotonic() - t < 5


def test_receipts_survive_a_receiver_node_killed_mid_stream(smppd, redis):
    """B, holding the receiver, is killed -9 while receipts cross to it; its unacknowledged
    stream entries wait in Redis and reach the receiver after B's restart (at least once)."""
    a, b = _two_nodes(smppd, redis)
    with a.connect() as tx:
        tx.bind_ok("transmitter", "acme", "secret")
        rx = b.connect()
        rx.bind_ok("receiver", "acme", "secret")
        _receiver_known(redis, "acme", 2)
        ids, _ = upstream.submit_burst(tx, [ORDINARY] * 400, lambda i: f"k{i}".encode())
        seen: dict[str, str] = {}
        # Take some, leave the rest unanswered, then kill B.
        for _ in range(50):
            d = rx.next_deliver(timeout=10)
            seen[d.receipted_message_id] = msgkit.Receipt(d).stat
        b.kill()
        rx.abort()
        b.start()
        b.wait_for_event("cluster-connected", timeout=10)
        with b.connect() as rx2:
            rx2.bind_ok("receiver", "acme", "secret")
            _collect_receipts(rx2, set(ids), seen, RECEIPTS_TIMEOUT)
    assert set(ids) <= seen.keys(), f"{len(set(ids) - seen.keys())} receipts lost with B"


def test_with_redis_down_nodes_refuse_what_needs_it_and_serve_the_rest(smppd, redis):
    metered = harness.account("metered", "pw", credits=1000, max_sessions=4)
    a = cluster.node(smppd, redis, 1, [ACME, metered], cluster={"credit-block": 5})
    with a.connect() as free, a.connect() as paid:
        free.bind_ok("transceiver", "acme", "secret")
        paid.bind_ok("transmitter", "metered", "pw")
        mark = a.mark()
        redis.kill()
        a.wait_for_event("cluster-disconnected", timeout=10, since=mark)
        # Unlimited account, bound already: submits and receipts need no coordination.
        mid = free.submit_ok(ORDINARY, b"still here", registered_delivery=1)
        d = free.next_deliver(timeout=10)
        assert d.receipted_message_id == mid
        # The metered account spends what it leased, then gets ESME_RSYSERR.
        statuses = [paid.submit(ORDINARY, b"m", source_addr="+12125550100").status for _ in range(20)]
        assert statuses[-1] == smpp.ESME_RSYSERR, statuses
        assert set(statuses) <= {0, smpp.ESME_RSYSERR}, statuses
        # A bind needs the shared count.
        with a.connect() as c:
            assert c.bind("transceiver", "acme", "secret").status == smpp.ESME_RSYSERR
        # Redis back (same port): binds and leases work again.
        redis.start()
        a.wait_for_event("cluster-connected", timeout=15, since=mark)
        with a.connect() as c:
            c.bind_ok("transceiver", "acme", "secret")
        msgkit.wait_until(lambda: paid.submit(ORDINARY, b"m", source_addr="+12125550100").status == 0, 5,
                          "a metered submit after Redis came back")


@pytest.mark.parametrize("table,message", [
    ('[cluster]\nredis = "127.0.0.1:6390"\nnode = 16\n', "cluster.node: must be 0…15"),
    ('[cluster]\nredis = "nowhere"\n', "cluster.redis: must be host:port"),
    ('[cluster]\nredis = "no-such-host.invalid:6379"\n', "cluster.redis: cannot resolve"),
    ('[cluster]\nredis = "127.0.0.1:6390"\nlease-ms = 10\n', "cluster.lease-ms: must be 500…600000"),
    ('[cluster]\nredis = "127.0.0.1:6390"\nkey-prefix = "a{b}"\n', "cluster.key-prefix"),
    ('[cluster]\nredis = "127.0.0.1:6390"\ncredit-block = 0\n', "cluster.credit-block"),
    ('[cluster]\nredis = "127.0.0.1:6390"\nnodes = 2\n', "cluster.nodes"),
])
def test_cluster_config_mistakes_name_the_key(smppd_bin, tmp_path, table, message):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(table)
    proc = harness.run_tool(smppd_bin, ["--config", str(cfg), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                                        "--data-dir", str(tmp_path / "data")], cwd=tmp_path)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 78, f"exit {proc.returncode}:\n{err}"
    assert message in err, err
    assert "event=listening" not in err


def test_a_node_starts_and_serves_while_redis_is_unreachable(smppd):
    """Redis not there at start: the node starts (it keeps trying), says so, and refuses binds
    with ESME_RSYSERR rather than hanging."""
    port = upstream.free_port()
    d = smppd(accounts=[ACME], extra={"cluster": {"redis": f"127.0.0.1:{port}", "node": 3}},
              allow_errors=[r"event=cluster-"])
    with d.connect() as c:
        assert c.bind("transceiver", "acme", "secret").status == smpp.ESME_RSYSERR


def _bound_sessions(node) -> int:
    return len([s for s in msgkit.admin(node, "GET", "/v1/sessions").json()["sessions"] if s.get("system_id") == "acme"])


def _bind_through(h, deadline: float) -> smpp.Client:
    """Connects and binds through haproxy until a node takes it (a dead one refuses or drops)."""
    last = None
    while time.monotonic() < deadline:
        try:
            c = smpp.Client.open(h.port, timeout=5)
            if c.bind("transceiver", "acme", "secret").status == 0:
                return c
            c.close()
        except (OSError, smpp.PduTimeout, smpp.Closed) as e:
            last = e
        time.sleep(0.1)   # between attempts while haproxy notices the dead node (bounded by the deadline)
    raise AssertionError(f"no bind through haproxy: {last!r}")


def test_kill_9_of_a_node_behind_haproxy_loses_nothing_acknowledged(smppd, redis, tmp_path):
    """Two nodes behind HAProxy (leastconn, PROXY v2, health checks). The client's node is
    killed -9 mid-load; the client reconnects through HAProxy and lands on the survivor. Once
    the dead node restarts on its data directory (node-local mode), its pending receipts and
    the outcomes of its unfinished messages cross to the client's node: every submit either
    node acknowledged gets its receipt."""
    from haproxy import Haproxy
    ports = [upstream.free_port(), upstream.free_port()]
    proxy_from = {"proxy-protocol-from": ["127.0.0.1"]}
    # Each node keeps its port across the restart (the flag comes after the harness's own --listen).
    nodes = [cluster.node(smppd, redis, i + 1, [ACME], server=proxy_from, args=["--listen", f"127.0.0.1:{ports[i]}"],
                          carrier={"latency-min-ms": 200, "latency-median-ms": 800, "latency-max-ms": 1500})
             for i in range(2)]
    acknowledged: list[str] = []
    seen: dict[str, str] = {}
    with Haproxy(tmp_path / "haproxy", [("127.0.0.1", p) for p in ports], check=True) as h:
        c = _bind_through(h, time.monotonic() + 10)
        victim = next(n for n in nodes if _bound_sessions(n) == 1)
        survivor = next(n for n in nodes if n is not victim)
        for i in range(200):
            acknowledged.append(c.submit_ok(ORDINARY, f"before {i}".encode(), registered_delivery=1))
        victim.kill()
        victim.check_log()
        c.abort()
        c = _bind_through(h, time.monotonic() + 15)
        assert _bound_sessions(survivor) == 1
        for i in range(100):
            acknowledged.append(c.submit_ok(ORDINARY, f"after {i}".encode(), registered_delivery=1))
        victim.start()
        victim.wait_for_event("cluster-connected", timeout=10)
        _collect_receipts(c, set(acknowledged), seen, RECEIPTS_TIMEOUT)
        c.close()
    missing = set(acknowledged) - seen.keys()
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged submits never got a receipt"


@pytest.mark.parametrize("doc", ["docs/cluster.md", "README.md"])
def test_documented_cluster_examples_load(smppd, redis, doc):
    """The [cluster] examples in the docs start a node as written, with only the Redis address
    pointed at the test's own server."""
    import re
    from pathlib import Path
    text = (Path(__file__).resolve().parents[1] / doc).read_text()
    blocks = [b for b in re.findall(r"^```toml\n(.*?)^```", text, flags=re.S | re.M) if "[cluster]" in b]
    assert blocks, f"{doc} lost its [cluster] example"
    for block in blocks:
        block = re.sub(r'^redis = "[^"]*"', f'redis = "{redis.address}"', block, flags=re.M)
        block = re.sub(r'^password-hash = "scrypt\$16384\$8\$1\$…".*$', 'password = "pw"', block, flags=re.M)
        if "[server]" in block:   # a whole node's file: its addresses and directory made the test's own
            block = re.sub(r'^(listen|admin) = "[^"]*"', r'\1 = "127.0.0.1:0"', block, flags=re.M)
            config = lambda data_dir, block=block: re.sub(r'^data-dir = "[^"]*"', f'data-dir = "{data_dir}"', block, flags=re.M)
        else:
            config = lambda data_dir, block=block: harness.toml_dumps({"server": {
                "listen": "127.0.0.1:0", "admin": "127.0.0.1:0", "data-dir": str(data_dir)}}) + "\n" + block
        d = smppd(config_text=config, allow_errors=[r"event=cluster-"])
        d.wait_for_event("cluster-connected", timeout=10)
        if "[[account]]" in block:
            with d.connect() as c:
                c.bind_ok("transceiver", "acme", "pw")
        d.stop()


def test_receipts_wait_while_redis_is_down_and_cross_when_it_returns(smppd, redis):
    """Catching up: receipts for a receiver on the other node wait in the journal of the node
    that made them while Redis is down (even a Redis that comes back empty), then cross."""
    a, b = _two_nodes(smppd, redis)
    with a.connect() as tx, b.connect() as rx:
        tx.bind_ok("transmitter", "acme", "secret")
        rx.bind_ok("receiver", "acme", "secret")
        _receiver_known(redis, "acme", 2)
        mark_a, mark_b = a.mark(), b.mark()
        redis.kill()
        a.wait_for_event("cluster-disconnected", timeout=10, since=mark_a)
        ids = [tx.submit_ok(ORDINARY, f"offline {i}".encode(), registered_delivery=1) for i in range(50)]
        rx.no_deliver(1.0)
        redis.start()   # empty: no persistence; the heartbeats announce the receiver again
        a.wait_for_event("cluster-connected", timeout=15, since=mark_a)
        b.wait_for_event("cluster-connected", timeout=15, since=mark_b)
        seen: dict[str, str] = {}
        _collect_receipts(rx, set(ids), seen, RECEIPTS_TIMEOUT)
    assert set(ids) <= seen.keys(), f"{len(set(ids) - seen.keys())} receipts never crossed after Redis returned"


def _bind_on(port: int, nodes, want: int, mode: str, deadline: float) -> smpp.Client:
    """Binds through the shared port until the kernel hands the connection to nodes[want]."""
    while time.monotonic() < deadline:
        before = [_bound_sessions(n) for n in nodes]
        c = smpp.Client.open(port)
        c.bind_ok(mode, "acme", "secret")
        grew = [i for i, n in enumerate(nodes) if _bound_sessions(n) > before[i]]
        if grew == [want]:
            return c
        c.close()
    raise AssertionError(f"no {mode} bind landed on node {want + 1}")


def test_two_nodes_on_one_port_with_reuse_port(smppd, redis):
    """One machine, two processes, one SMPP port (SO_REUSEPORT): a transmitter on one node and
    a receiver on the other still make one account."""
    port = upstream.free_port()
    nodes = [cluster.node(smppd, redis, i + 1, [ACME], server={"reuse-port": True}, args=["--listen", f"127.0.0.1:{port}"])
             for i in range(2)]
    deadline = time.monotonic() + 20
    with _bind_on(port, nodes, 1, "receiver", deadline) as rx, _bind_on(port, nodes, 0, "transmitter", deadline) as tx:
        _receiver_known(redis, "acme", 2)
        ids, _ = upstream.submit_burst(tx, [ORDINARY] * 100, lambda i: f"r{i}".encode())
        seen: dict[str, str] = {}
        _collect_receipts(rx, set(ids), seen, RECEIPTS_TIMEOUT)
    assert set(ids) <= seen.keys(), f"{len(set(ids) - seen.keys())} receipts did not cross"


def test_status_page_shows_the_cluster(smppd, redis, tmp_path):
    """The status page (headless chromium) says which node this is, that Redis answers, and
    what crossed: a node's operator sees the cluster without reading /metrics."""
    from test_admin_status_page import chromium, run_chromium
    assert chromium(), "chromium is not installed (.ci/run installs it)"
    a, b = _two_nodes(smppd, redis)
    with a.connect() as tx, b.connect() as rx:
        ids, seen = _receipts_across(tx, rx, redis, 20, "s")
    assert set(ids) <= seen.keys(), f"{len(set(ids) - seen.keys())} receipts did not cross"
    host, port = b.admin_addr()
    run = run_chromium(["--virtual-time-budget=4000", "--dump-dom", f"http://{host}:{port}/"], tmp_path / "profile")
    assert run.returncode == 0, run.stderr[-3000:]
    import re
    cell = re.search(r'<dd id="q-cluster"[^>]*>([^<]*)</dd>', run.stdout)
    assert cell, run.stdout[-2000:]
    assert cell.group(1).startswith("node 2, Redis connected") and "received 20" in cell.group(1), cell.group(1)
