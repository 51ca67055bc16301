"""Forwarding over HTTP (issue 12): smppd posts batches to an SMS service's API
(e2e/upstream_http_service.py plays it); the service's answers become states, its receipts
come back through the admin API (by its id or by ours) and reach the client with our ids;
5xx and slow answers are retried; a dead service opens the circuit and the route's next
carrier (here the simulator) takes its traffic."""

from __future__ import annotations

import time

import pytest

import msgkit
import smpp
import upstream
from msgkit import ACME, ACME_DEFAULT
from test_durability import _collect_receipts, _query_state

FAR = "+447700900123"   # any destination: every route here sends it to the service


@pytest.fixture
def service():
    started = []

    def start(*flags, port: int = 0):
        s = upstream.HttpService(*flags, port=port)
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


def _node(smppd, carriers, routes, **kw):
    return smppd(accounts=[ACME], carriers=carriers, routes=routes, allow_errors=[r"event=upstream-"], **kw)


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_accepted_messages_get_receipts_posted_by_the_service(smppd, service):
    svc = service("--bearer", "t0ken", "--refuse-suffix", "13", "--refuse-state", "REJECTED", "--refuse-code", "42")
    d = _node(smppd, [upstream.http_carrier("svc", svc.url, **{"bearer-token": "t0ken", "batch-size": 10})],
              [{"carriers": ["svc"]}])
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        ids, seen = upstream.submit_burst(c, [FAR] * 24 + ["+447700900113"], b"via http")
        accepted_ids, refused_id = ids[:24], ids[24]
        _wait(lambda: set(accepted_ids) <= svc.accepted().keys(), 10, "the service to accept 24 messages")
        reqs = svc.requests()
        assert all(r["headers"].get("authorization") == "Bearer t0ken" for r in reqs)
        assert max(len(r["body"]["messages"]) for r in reqs) <= 10, "batches larger than batch-size"
        sent = {m["id"]: m for r in reqs for m in r["body"]["messages"]}
        assert sent[accepted_ids[0]]["account"] == "acme" and sent[accepted_ids[0]]["to"].endswith("447700900123")
        assert bytes.fromhex(sent[accepted_ids[0]]["text_hex"]) == b"via http"
        # The refusal ends the message at once, with its receipt.
        _collect_receipts(c, {refused_id}, seen, 10)
        assert seen.get(refused_id) == "REJECTD", seen
        q = _query_state(c, refused_id)
        assert q.message_state == smpp.STATE_REJECTED and q.error_code == 42, q
        # Receipts from the service: by its id (with and without the carrier's name), and by ours.
        up = svc.accepted()
        r = msgkit.admin(d, "POST", "/v1/receipts", {"upstream_id": up[accepted_ids[0]], "carrier": "svc", "state": "DELIVRD"})
        assert r.status == 200 and r.json()["id"] == accepted_ids[0], r
        r = msgkit.admin(d, "POST", "/v1/receipts", {"upstream_id": up[accepted_ids[1]], "state": "UNDELIV", "err": 7})
        assert r.status == 200 and r.json()["id"] == accepted_ids[1], r
        r = msgkit.admin(d, "POST", "/v1/receipts", {"message_id": accepted_ids[2], "state": "EXPIRED"})
        assert r.status == 200, r
        _collect_receipts(c, set(accepted_ids[:3]), seen, 10)
        assert [seen.get(m) for m in accepted_ids[:3]] == ["DELIVRD", "UNDELIV", "EXPIRED"], seen
        assert _query_state(c, accepted_ids[1]).error_code == 7
    # Mistakes and unknowns are answered, not guessed.
    for body, status in [({"upstream_id": up[accepted_ids[0]], "state": "DELIVRD"}, 404),   # final already: forgotten
                         ({"upstream_id": "nope", "state": "DELIVRD"}, 404),
                         ({"upstream_id": up[accepted_ids[3]], "carrier": "other", "state": "DELIVRD"}, 404),
                         ({"upstream_id": up[accepted_ids[3]], "state": "FINE"}, 400),
                         ({"upstream_id": up[accepted_ids[3]], "message_id": accepted_ids[3], "state": "DELIVRD"}, 400),
                         ({"state": "DELIVRD"}, 400),
                         ({"message_id": accepted_ids[2], "state": "DELIVRD"}, 409)]:
        r = msgkit.admin(d, "POST", "/v1/receipts", body)
        assert r.status == status, (body, r)
    m = msgkit.metrics(d)
    assert msgkit.metric(m, "smppd_upstream_messages_total", carrier="svc", result="accepted") == 24
    assert msgkit.metric(m, "smppd_upstream_messages_total", carrier="svc", result="refused") == 1


def test_5xx_and_slow_answers_are_retried_until_accepted(smppd, service):
    svc = service("--fail-first", "3", "--delay-ms", "0")
    d = _node(smppd, [upstream.http_carrier("svc", svc.url, **{"timeout-ms": 300, "breaker-failures": 100})],
              [{"carriers": ["svc"]}])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        first = c.submit_ok(FAR, b"after three 500s")
        _wait(lambda: first in svc.accepted(), 15, "acceptance after three 500s")
        assert [r["status"] for r in svc.requests()][:4] == [500, 500, 500, 200]
        svc.control(delay_ms=1000)   # slower than timeout-ms: each attempt times out
        second = c.submit_ok(FAR, b"slow service")
        _wait(lambda: len(svc.requests()) >= 6, 15, "two timed-out attempts")
        svc.control(delay_ms=0)
        # (The service records an answer before its delay: wait for smppd to have taken it.)
        _wait(lambda: msgkit.metric(msgkit.metrics(d), "smppd_upstream_messages_total", carrier="svc", result="accepted") == 2,
              15, "acceptance once the service answers in time")
        assert second in svc.accepted()
    m = msgkit.metrics(d)
    assert msgkit.metric(m, "smppd_upstream_retries_total", carrier="svc") >= 5
    assert msgkit.metric(m, "smppd_upstream_messages_total", carrier="svc", result="accepted") == 2


def test_dead_service_opens_the_circuit_and_the_failover_route_takes_over(smppd, service):
    dead = upstream.free_port()   # nothing listens: connection refused
    d = _node(smppd, [upstream.http_carrier("svc", f"http://127.0.0.1:{dead}/sms",
                                            **{"breaker-failures": 2, "breaker-open-ms": 60000})],
              [{"carriers": ["svc", "simulator"]}])
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        ids, seen = upstream.submit_burst(c, [FAR] * 10, b"via http")
        d.wait_for_event("upstream-circuit-open", timeout=15, carrier="svc")
        # The simulator (the route's second carrier) delivers them: receipts with our ids.
        _collect_receipts(c, set(ids), seen, 20)
        assert {seen.get(m) for m in ids} == {"DELIVRD"}, seen
        later = c.submit_ok(FAR, b"while open", registered_delivery=1)
        _collect_receipts(c, {later}, seen, 10)
        assert seen.get(later) == "DELIVRD"
    carriers = msgkit.admin(d, "GET", "/v1/carriers").json()
    svc = next(x for x in carriers["carriers"] if x["name"] == "svc")
    assert svc["circuit"] == "open" and svc["available"] is False, svc
    assert carriers["failovers_total"] >= 1, carriers


def test_without_failover_messages_wait_for_the_service_to_come_back(smppd, service):
    port = upstream.free_port()
    d = _node(smppd, [upstream.http_carrier("svc", f"http://127.0.0.1:{port}/sms",
                                            **{"breaker-failures": 1, "breaker-open-ms": 300})],
              [{"carriers": ["svc"]}])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        waiting = [c.submit_ok(FAR, f"wait {i}".encode()) for i in range(5)]
        d.wait_for_event("upstream-circuit-open", timeout=15, carrier="svc")
        svc = service(port=port)   # the service comes up on the configured port
        _wait(lambda: set(waiting) <= svc.accepted().keys(), 20, "the parked messages to reach the service")
    d.wait_for_event("upstream-circuit-closed", timeout=5, carrier="svc")


@pytest.mark.parametrize("id_format", ["decimal", "upper-hex"])
def test_requests_carry_our_ids_in_the_configured_format(smppd, service, id_format):
    """The service sees the same ids the clients see, whatever server.message-id-format says,
    and its answers find their messages by them."""
    svc = service()
    d = _node(smppd, [upstream.http_carrier("svc", svc.url)], [{"carriers": ["svc"]}],
              server={"message-id-format": id_format})
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        ids = [c.submit_ok(FAR, f"id {i}".encode()) for i in range(3)]
    _wait(lambda: set(ids) <= svc.accepted().keys(), 10, "the service to accept them under our ids")
    pattern = msgkit.DECIMAL_ID if id_format == "decimal" else msgkit.UPPER_HEX_ID
    assert all(pattern.match(m) for m in ids), ids
    _wait(lambda: msgkit.metric(msgkit.metrics(d), "smppd_upstream_messages_total", carrier="svc", result="accepted") == 3,
          10, "smppd to take the three acceptances")


def test_kill_9_keeps_unsent_messages_and_the_ids_the_service_gave(smppd, service):
    """C-DATA-1 across the hop: messages accepted while the service was down, and the ids the
    service gave to messages it took before, both survive kill -9 of smppd; after the restart
    the first reach the service and a receipt naming the second finds its message."""
    port = upstream.free_port()
    svc = service(port=port)
    d = _node(smppd, [upstream.http_carrier("svc", f"http://127.0.0.1:{port}/sms",
                                            **{"breaker-failures": 1, "breaker-open-ms": 300})],
              [{"carriers": ["svc"]}])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        taken = [c.submit_ok(FAR, f"taken {i}".encode(), registered_delivery=1) for i in range(3)]
        _wait(lambda: msgkit.metric(msgkit.metrics(d), "smppd_upstream_messages_total", carrier="svc", result="accepted") == 3,
              10, "smppd to take the service's three ids")
        up = svc.accepted()
        svc.stop()
        waiting = [c.submit_ok(FAR, f"wait {i}".encode()) for i in range(5)]   # each OK: its batch, and all before, on disk
        d.wait_for_event("upstream-circuit-open", timeout=15, carrier="svc")
    d.kill()
    svc = service("--id-prefix", "again-", port=port)   # a service does not reuse its ids
    d.start()
    _wait(lambda: set(waiting) <= svc.accepted().keys(), 20, "the unsent messages to reach the service after the restart")
    assert not set(taken) & svc.accepted().keys(), "messages the service had taken were sent again"
    with d.connect() as c:
        c.bind_ok("receiver", "acme", "secret")
        r = msgkit.admin(d, "POST", "/v1/receipts", {"upstream_id": up[taken[0]], "carrier": "svc", "state": "DELIVRD"})
        assert r.status == 200 and r.json()["id"] == taken[0], r
        got = c.collect_delivers(1, timeout=10)
        assert got[0].receipted_message_id == taken[0] and msgkit.Receipt(got[0]).stat == "DELIVRD"


def test_failed_requests_are_logged_at_most_once_a_second(smppd):
    """A dead service fails every retry: the log gets one upstream-request-failed line a second
    per carrier, the next one counting those left out."""
    dead = upstream.free_port()
    d = _node(smppd, [upstream.http_carrier("svc", f"http://127.0.0.1:{dead}/sms",
                                            **{"breaker-failures": 10000, "retry-initial-ms": 10, "retry-max-ms": 20})],
              [{"carriers": ["svc"]}])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        c.submit_ok(FAR, b"retried")
    first = d.wait_for_event("upstream-request-failed", timeout=5, carrier="svc")
    mark = d.mark()
    second = d.wait_for_event("upstream-request-failed", timeout=5, since=mark, carrier="svc")
    assert "not_logged_since" not in first and int(second["not_logged_since"]) >= 10, (first, second)
    retries = msgkit.metric(msgkit.metrics(d), "smppd_upstream_retries_total", carrier="svc")
    lines = len(d.find_events("upstream-request-failed"))
    assert retries >= 20 and lines <= 3, (retries, lines)
