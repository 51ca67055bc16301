"""Admin reads and honest MO answers (C-OPS-2, C-SIM-3, issue 13): /healthz, /readyz,
GET /v1/messages/{id}, /v1/sessions, /v1/accounts, /v1/stats, 405 with Allow, and POST /v1/mo
answering 503 when the MO could not be queued."""

from __future__ import annotations

import time

import pytest

import harness
import msgkit
import smpp
from msgkit import ACME, ACME_DEFAULT, ORDINARY, dest

GAMMA_NUMBER = "+13125550100"
GAMMA = harness.account("gamma", "g4mma", max_sessions=3, numbers=[GAMMA_NUMBER], default_number=GAMMA_NUMBER,
                        credits=10, submit_rate=50)


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME, GAMMA])


def _receipt_for(c: smpp.Client, message_id: str, timeout: float = 5.0) -> msgkit.Receipt:
    deadline = time.monotonic() + timeout
    while True:
        r = msgkit.check_receipt(c.next_deliver(max(0.05, deadline - time.monotonic())))
        if r.id == message_id:
            return r
        assert time.monotonic() < deadline, f"no receipt for {message_id}"


def test_ops_healthz_and_readyz(daemon):
    """/healthz: 200 {"status":"ok"}; /readyz: 200, the TLS listener accepting and carrier
    workers running."""
    r = msgkit.admin(daemon, "GET", "/healthz")
    assert r.status == 200 and r.json() == {"status": "ok"}, r
    r = msgkit.admin(daemon, "GET", "/readyz")
    assert r.status == 200, r
    body = r.json()
    assert body["ready"] is True and body["listening"] is True and body["carrier_workers"] >= 1, body


def test_ops_message_read_delivered_and_undeliverable(daemon):
    """GET /v1/messages/{id}: the query_sm facts plus times and error code, for a delivered
    message and a 9991 (UNDELIV err 001) one; an unknown id is 404."""
    with daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        ok_id = c.submit_ok(ORDINARY, b"read me", registered_delivery=1)
        bad_id = c.submit_ok(dest(9991), b"fail me", registered_delivery=1)
        pending = {ok_id, bad_id}
        deadline = time.monotonic() + 10
        while pending:
            r = msgkit.check_receipt(c.next_deliver(max(0.05, deadline - time.monotonic())))
            pending.discard(r.id)
    ok = msgkit.admin(daemon, "GET", f"/v1/messages/{ok_id}")
    assert ok.status == 200 and ok.headers["content-type"].startswith("application/json"), ok
    m = ok.json()
    assert m["id"] == ok_id and m["state"] == "DELIVERED" and m["state_code"] == 2 and m["stat"] == "DELIVRD", m
    assert m["final"] is True and m["final_time_ms"] >= m["submit_time_ms"] > 0, m
    assert m["submit_time"].endswith("Z") and m["final_time"].endswith("Z"), m
    assert m["error_code"] == 0 and m["account"] == "acme" and m["registered_delivery"] == 1, m
    assert msgkit.same_number(m["source"], ACME_DEFAULT) and msgkit.same_number(m["destination"], ORDINARY), m
    bad = msgkit.admin(daemon, "GET", f"/v1/messages/{bad_id}").json()
    assert bad["state"] == "UNDELIVERABLE" and bad["state_code"] == 5 and bad["error_code"] == 1, bad
    missing = msgkit.admin(daemon, "GET", "/v1/messages/ffffffffffff")
    assert missing.status == 404 and missing.json()["field"] == "message_id", missing


def test_ops_sessions_list_bound_sessions(daemon):
    """GET /v1/sessions: one row per bound session with system_id, mode, peer (our port), since,
    PDUs in/out counted, and the deliver_sm window; unbound connections are not listed."""
    with daemon.connect() as tx, daemon.connect() as rx, daemon.connect() as idle:
        tx.bind_ok("transmitter", "gamma", "g4mma")
        rx.bind_ok("receiver", "gamma", "g4mma")
        for _ in range(3):
            tx.submit_ok(ORDINARY, b"counted")
        rows = msgkit.admin(daemon, "GET", "/v1/sessions").json()["sessions"]
        mine = {r["peer"]: r for r in rows if r["system_id"] == "gamma"}
        assert not any(harness.peer_matches(p, idle.local_port) for p in mine), rows
        t = next(r for p, r in mine.items() if harness.peer_matches(p, tx.local_port))
        x = next(r for p, r in mine.items() if harness.peer_matches(p, rx.local_port))
        assert t["mode"] == "transmitter" and x["mode"] == "receiver", rows
        assert t["pdus_in"] >= 4 and t["pdus_out"] >= 4, t   # bind + 3 submits, answered
        assert t["since_ms"] > 0 and t["since"].endswith("Z"), t
        assert t["window"] == 0 and x["window"] >= 1 and 0 <= x["window_in_use"] <= x["window"], rows


def test_ops_accounts_credits_rates_numbers_sessions(daemon):
    """GET /v1/accounts: credits left (after one submit), submit and MO rates, numbers, default
    number and bound sessions per account; unlimited credits are null."""
    with daemon.connect() as c:
        c.bind_ok("transceiver", "gamma", "g4mma")
        before = {a["system_id"]: a for a in msgkit.admin(daemon, "GET", "/v1/accounts").json()["accounts"]}
        c.submit_ok(ORDINARY, b"one credit")
        after = {a["system_id"]: a for a in msgkit.admin(daemon, "GET", "/v1/accounts").json()["accounts"]}
    g = after["gamma"]
    assert g["credits_left"] == before["gamma"]["credits_left"] - 1, (before["gamma"], g)
    assert g["submit_rate"] == 50 and g["mo_rate"] == 0 and g["numbers"] == [GAMMA_NUMBER], g
    assert g["default_number"] == GAMMA_NUMBER and g["sessions"] >= 1 and g["max_sessions"] == 3, g
    assert after["acme"]["credits_left"] is None, after["acme"]


def test_ops_stats_count_traffic_and_errors(daemon):
    """GET /v1/stats: the running totals the status page plots move with traffic, and an error
    response lands in last_errors with its command and status."""
    s0 = msgkit.admin(daemon, "GET", "/v1/stats").json()
    with daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        mid = c.submit_ok(ORDINARY, b"stat me", registered_delivery=1)
        _receipt_for(c, mid)
        refused = c.submit(dest(9996), b"refused")   # ESME_RSUBMITFAIL
        assert refused.status == smpp.ESME_RSUBMITFAIL, refused
    s1 = msgkit.admin(daemon, "GET", "/v1/stats").json()
    assert s1["submits_total"] >= s0["submits_total"] + 2, (s0, s1)
    assert s1["receipts_total"] >= s0["receipts_total"] + 1, (s0, s1)
    assert s1["errors_total"] >= s0["errors_total"] + 1, (s0, s1)
    assert s1["store"]["kind"] == "journal" and s1["store"]["records"] >= 1, s1   # durable by default
    assert s1["store"]["journal_bytes"] > 0 and s1["store"]["failing"] is False, s1
    assert {"submission", "completion", "deliver_sm_pending"} <= s1["queues"].keys(), s1
    assert any(e["command"] == "submit_sm_resp" and e["status"] == "ESME_RSUBMITFAIL" and e["system_id"] == "acme"
               for e in s1["last_errors"]), s1["last_errors"]


def test_ops_wrong_method_is_405_with_allow(daemon):
    """A method the path does not take: 405 and an Allow header naming the one it does."""
    r = msgkit.admin(daemon, "DELETE", "/v1/sessions")
    assert r.status == 405 and r.headers.get("allow") == "GET", r
    r = msgkit.admin(daemon, "GET", "/v1/mo")
    assert r.status == 405 and r.headers.get("allow") == "POST", r


def test_c_sim_3_mo_not_queued_is_503(smppd):
    """POST /v1/mo answers 202 only when the MO is queued: with delivery.queue-max = 1 and the one
    queued MO in flight to a receiver that does not answer, the next one cannot be queued
    (nothing waiting to drop) and is answered 503 with reason queue-full."""
    d = smppd(accounts=[ACME], delivery={"queue-max": 1, "response-timeout-ms": 60000},
              allow_errors=[r"event=deliver-dropped"])
    mo = {"system_id": "acme", "source": "+447700900123", "text": "first"}
    with d.connect() as rx:
        rx.bind_ok("receiver", "acme", "secret")
        r = msgkit.admin(d, "POST", "/v1/mo", mo)
        assert r.status == 202 and r.json()["id"].startswith("mo-"), r
        rx.next_deliver(5, answer=False)                 # in flight, unanswered
        r = msgkit.admin(d, "POST", "/v1/mo", {**mo, "text": "second"})
        assert r.status == 503, r
        assert r.json()["reason"] == "queue-full", r
        d.wait_for_event("deliver-dropped", reason="queue-full")


def test_ops_unknown_body_field_is_400_naming_it(daemon):
    """A field the endpoint does not take (a misspelt optional one, say) is refused with 400
    naming it, instead of being ignored."""
    r = msgkit.admin(daemon, "POST", "/v1/mo", {"system_id": "acme", "source": "+447700900123", "text": "x",
                                                "destinaton": "+12125550100"})
    assert r.status == 400 and r.json()["field"] == "destinaton", r
    r = msgkit.admin(daemon, "POST", "/v1/messages/nosuch/state", {"state": "DELIVRD", "error": "001"})
    assert r.status == 400 and r.json()["field"] == "error", r
