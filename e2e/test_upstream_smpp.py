"""Forwarding over SMPP (issue 12): node A routes every message to an `smpp` carrier that binds
to node B (a plain smppd playing the carrier with its simulator). A client bound to A gets
A's ids, receipts with A's ids and B's outcomes (B's test numbers decide them), MO injected at
B for a number of A's account, and nothing acknowledged is lost when B or A is killed -9
mid-load."""

from __future__ import annotations


import time

import pytest

import msgkit
import smpp
import upstream
from msgkit import ACME, ACME_DEFAULT, ORDINARY, dest
from test_durability import PipelinedLoad, _collect_receipts, _query_state

RECEIPTS_TIMEOUT = 60.0


def _node_b(smppd, port: int, **kw):
    """B: the upstream SMSC, with a fixed plaintext port (A reconnects to it after a restart)."""
    return smppd(accounts=[upstream.relay_account()], server={"plaintext-listen": f"127.0.0.1:{port}"},
                 plaintext=True, name="smppd[B]", **kw)


def _node_a(smppd, b_port: int, **carrier_keys):
    carrier_keys = {k.replace("_", "-"): v for k, v in carrier_keys.items()}
    return smppd(accounts=[ACME], carriers=[upstream.smpp_carrier("b", b_port, **carrier_keys)],
                 routes=[{"carriers": ["b"]}], name="smppd[A]",
                 allow_errors=[r"event=upstream-"])


def _wait_bound(node_a, timeout: float = 10.0):
    return node_a.wait_for_event("upstream-bound", timeout=timeout, carrier="b")


def test_forwarded_messages_get_receipts_with_our_ids_and_b_outcomes(smppd):
    """Four sessions to B: B sends a receipt on whichever of them is free, so it can overtake
    the submit_sm_resp (on another session) that tells A the id it names; A answers such a
    receipt ESME_RX_T_APPN and B delivers it again, so no receipt is lost."""
    b_port = upstream.free_port()
    b = _node_b(smppd, b_port, delivery={"retry-initial-ms": 50, "retry-max-ms": 200},
                carrier={"latency-min-ms": 0, "latency-median-ms": 0, "latency-max-ms": 0})
    a = _node_a(smppd, b_port, sessions=4)
    _wait_bound(a)
    with a.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        ids, early = upstream.submit_burst(c, [ORDINARY] * 400 + [dest(9991), dest(9996)], lambda i: f"fwd {i}".encode())
        ordinary, (undeliv, refused) = ids[:400], ids[400:]
        want = set(ordinary) | {undeliv, refused}
        seen: dict[str, str] = dict(early)
        _collect_receipts(c, want, seen, RECEIPTS_TIMEOUT)
        assert want <= seen.keys(), f"receipts missing for {sorted(want - seen.keys())[:5]}"
        assert all(msgkit.HEX_ID.match(m) for m in want), "A answers with its own ids"
        assert {seen[m] for m in ordinary} == {"DELIVRD"}, {m: seen[m] for m in ordinary}
        assert seen[undeliv] == "UNDELIV"
        # B's ESME_RSUBMITFAIL (0x45) ends the message UNDELIV at A, err = the status.
        assert seen[refused] == "UNDELIV"
        q = _query_state(c, undeliv)
        assert q is not None and q.message_state == smpp.STATE_UNDELIVERABLE and q.error_code == 1, q
        q = _query_state(c, refused)
        assert q is not None and q.message_state == smpp.STATE_UNDELIVERABLE and q.error_code == 0x45, q
    # B saw the traffic as the relay account's submits.
    m = msgkit.metrics(b)
    assert msgkit.metric(m, "smppd_pdus_in_total", command="submit_sm", status="ESME_ROK") >= 401
    ma = msgkit.metrics(a)
    assert msgkit.metric(ma, "smppd_upstream_messages_total", carrier="b", result="accepted") >= 401
    carriers = msgkit.admin(a, "GET", "/v1/carriers").json()
    b_entry = next(x for x in carriers["carriers"] if x["name"] == "b")
    assert b_entry["kind"] == "smpp" and b_entry["circuit"] == "closed" and b_entry["connections"] == 4, b_entry


def test_mo_injected_at_b_reaches_the_client_bound_to_a(smppd):
    b_port = upstream.free_port()
    b = _node_b(smppd, b_port)
    a = _node_a(smppd, b_port)
    _wait_bound(a)
    with a.connect() as c:
        c.bind_ok("receiver", "acme", "secret")
        r = msgkit.admin(b, "POST", "/v1/mo", {"system_id": upstream.RELAY_ID, "source": "+15550001111",
                                                "destination": ACME_DEFAULT, "text": "hello from B"})
        assert r.status == 202, r
        got = c.collect_delivers(1, timeout=10)
        assert not got[0].is_receipt and got[0].short_message == b"hello from B", got
        assert msgkit.same_number(got[0].destination_addr, ACME_DEFAULT)


def _load_with_kill(a, kill, *, target: int):
    """A pipelined load on A until `target` acknowledgements, then `kill()`; returns the load."""
    c = a.connect()
    c.bind_ok("transceiver", "acme", "secret")
    load = PipelinedLoad(c, burst=32).start(target=target)
    assert load.reached.wait(timeout=60), "the load never reached its target"
    kill()
    return c, load


def test_kill_b_mid_load_a_reconnects_and_loses_nothing(smppd):
    b_port = upstream.free_port()
    b = _node_b(smppd, b_port)
    a = _node_a(smppd, b_port)
    _wait_bound(a)
    mark = a.mark()
    c, load = _load_with_kill(a, b.kill, target=800)
    a.wait_for_event("upstream-disconnected", timeout=10, since=mark, carrier="b")
    b.start(plaintext=True)
    a.wait_for_event("upstream-bound", timeout=15, since=mark, carrier="b")
    load.limit = len(load.acked)   # stop submitting; keep reading receipts below
    load.join()
    assert load.error is None, f"load thread failed: {load.error!r}"
    assert not load.refused, f"A refused submits while B was down: {load.refused}"
    seen = dict(load.receipts)
    _collect_receipts(c, set(load.acked), seen, RECEIPTS_TIMEOUT)
    missing = [m for m in load.acked if m not in seen]
    assert not missing, f"{len(missing)} of {len(load.acked)} acknowledged ids never got a receipt"
    c.close()


def test_kill_a_mid_load_restart_delivers_everything_acknowledged(smppd):
    b_port = upstream.free_port()
    b = _node_b(smppd, b_port)
    a = _node_a(smppd, b_port)
    _wait_bound(a)
    c, load = _load_with_kill(a, a.kill, target=1500)
    load.join()
    c.close()
    assert load.error is None, f"load thread failed: {load.error!r}"
    acked = list(load.acked)
    seen = dict(load.receipts)
    a.start()
    with a.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        _collect_receipts(c, set(acked), seen, RECEIPTS_TIMEOUT)
        missing = [m for m in acked if m not in seen]
        assert not missing, f"{len(missing)} of {len(acked)} acknowledged ids never got a receipt after A's restart"
        for mid in acked[:: max(1, len(acked) // 20)]:
            q = _query_state(c, mid)
            assert q is not None and q.message_state == msgkit.STAT_STATE[seen[mid]], (mid, q, seen[mid])


def test_compaction_keeps_messages_no_carrier_took_across_kill_9(smppd):
    """Messages accepted while B is unreachable wait in A (parked). A compaction pass then
    removes the journal segments that held their bodies, copying the bodies forward; A is
    killed -9 and restarted with B up: those messages still go to B and their receipts come."""
    b_port = upstream.free_port()
    a = smppd(accounts=[ACME], carriers=[upstream.smpp_carrier("b", b_port, **{"breaker-failures": 1})],
              routes=[{"carriers": ["b"]}, {"prefixes": ["1646555"], "carriers": ["simulator"]}],
              messages={"retention-ms": 300}, extra={"store": {"segment-mb": 1}},
              name="smppd[A]", allow_errors=[r"event=upstream-"])
    a.wait_for_event("upstream-circuit-open", timeout=10, carrier="b")
    far = "+447700900123"   # routed to b; ORDINARY (+1646555…) stays on the simulator
    with a.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        waiting = [c.submit_ok(far, f"wait {i}".encode(), registered_delivery=1) for i in range(30)]
        # Churn on the simulator: records that end and are purged, so the journal outgrows
        # the live state and a compaction pass starts.
        load = PipelinedLoad(c, burst=64, limit=25_000).start(target=25_000)
        assert load.reached.wait(timeout=120), "the churn load never finished"
        load.join()
        assert load.error is None and not load.refused, (load.error, load.refused)
        _collect_receipts(c, set(load.acked), load.receipts, RECEIPTS_TIMEOUT)   # pending ones count as live
    deadline = time.monotonic() + 60
    while (msgkit.metric(msgkit.metrics(a), "smppd_store_compactions_total") or 0) < 1:
        assert time.monotonic() < deadline, "no compaction pass within 60 s"
        time.sleep(0.2)
    a.kill()
    b = _node_b(smppd, b_port)
    a.start()
    _wait_bound(a, timeout=15)
    with a.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        seen: dict[str, str] = {}
        _collect_receipts(c, set(waiting), seen, RECEIPTS_TIMEOUT)
        missing = [m for m in waiting if m not in seen]
        assert not missing, f"{len(missing)} of {len(waiting)} parked messages never reached B after compaction and kill -9"
        assert {seen[m] for m in waiting} == {"DELIVRD"}, seen
    # B carried them (had their bodies been lost, recovery would have handed the records to
    # A's own simulator, whose receipts look the same).
    submitted = msgkit.metric(msgkit.metrics(b), "smppd_pdus_in_total", command="submit_sm", status="ESME_ROK")
    assert submitted == len(waiting), f"B took {submitted} submit_sm, {len(waiting)} expected"
