"""Admin HTTP (C-OPS-2, C-SIM-3, docs/messaging.md "Admin HTTP"): /metrics, MO injection,
forced message states, the admin token, refusal of a non-loopback admin without a token,
background MO and auto-replies."""

import time

import pytest

import harness
import msgkit
import smpp
from msgkit import ACME, ACME_DEFAULT, ACME_OTHER, BETA, ORDINARY, dest

SUBSCRIBER = "+447700900123"


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME, BETA])


def _bound(d, mode="transceiver", who=("acme", "secret")):
    c = d.connect()
    c.bind_ok(mode, *who)
    return c


def test_c_ops_2_admin_listener_logged(daemon):
    """C-OPS-2: the admin listener logs `event=listening proto=admin addr=127.0.0.1:PORT`."""
    host, port = daemon.admin_addr()
    assert host == "127.0.0.1" and port > 0


def test_c_ops_2_metrics_named_and_moving(daemon):
    """C-OPS-2: GET /metrics (Prometheus text) has every documented metric; after 3 submits
    and their receipts, the submit_sm / submit_sm_resp / deliver_sm counters grew by >= 3 and
    the latency histograms counted them; session gauges follow binds."""
    before = msgkit.metrics(daemon)
    with _bound(daemon) as c, _bound(daemon, "receiver") as rx:
        ids = [c.submit_ok(ORDINARY, b"metered", registered_delivery=1) for _ in range(3)]
        got = {}
        deadline = time.monotonic() + 5
        while set(ids) - set(got):
            for s in (c, rx):
                if s.readable_soon(0.05):
                    r = msgkit.check_receipt(s.next_deliver(1))
                    got[r.id] = r
            assert time.monotonic() < deadline, f"receipts missing: {set(ids) - set(got)}"
        r = msgkit.admin(daemon, "GET", "/metrics")
        assert r.status == 200 and r.headers.get("content-type", "").startswith("text/plain"), r
        after = msgkit.parse_metrics(r.body.decode())
        m = lambda s, n, **l: msgkit.metric(s, n, **l) or 0  # noqa: E731
        assert m(after, "smppd_sessions", mode="transceiver") >= 1
        assert m(after, "smppd_sessions", mode="receiver") >= 1
        assert "smppd_sessions" in {n for n, _ in after} and msgkit.metric(after, "smppd_sessions",
                                                                            mode="transmitter") is not None
    for name, labels in [("smppd_pdus_in_total", dict(command="submit_sm", status="ESME_ROK")),
                         ("smppd_pdus_out_total", dict(command="submit_sm_resp", status="ESME_ROK")),
                         ("smppd_pdus_out_total", dict(command="deliver_sm", status="ESME_ROK")),
                         ("smppd_pdus_in_total", dict(command="deliver_sm_resp", status="ESME_ROK")),
                         ("smppd_submit_resp_latency_seconds_count", {}),
                         ("smppd_submit_receipt_latency_seconds_count", {})]:
        assert m(after, name, **labels) - m(before, name, **labels) >= 3, \
            f"{name}{labels}: {m(before, name, **labels)} -> {m(after, name, **labels)}"
    names = {n for n, _ in after}
    for name in ("smppd_submit_resp_latency_seconds_bucket", "smppd_submit_receipt_latency_seconds_bucket",
                 "smppd_queue_depth", "smppd_pending_deliver_sm"):
        assert name in names, f"/metrics lacks {name}"
    assert msgkit.metric(after, "smppd_queue_depth", queue="submission") is not None
    assert msgkit.metric(after, "smppd_queue_depth", queue="completion") is not None
    assert msgkit.metric(after, "smppd_credits_remaining", system_id="acme") is None, "unlimited credits listed"


def test_c_ops_2_error_statuses_counted_by_name(daemon):
    """C-OPS-2: a refused submit is counted under its status name."""
    key = dict(command="submit_sm_resp", status="ESME_RINVDSTADR")
    before = msgkit.metric(msgkit.metrics(daemon), "smppd_pdus_out_total", **key) or 0
    with _bound(daemon, "transmitter") as c:
        assert c.submit("123").status == smpp.ESME_RINVDSTADR
    assert msgkit.metric(msgkit.metrics(daemon), "smppd_pdus_out_total", **key) == before + 1


def test_c_sim_3_mo_injection_reaches_receiver(daemon):
    """C-SIM-3 / C-DLV-2: POST /v1/mo -> 202 {"id"}; a bound receiver gets deliver_sm esm_class 0
    with source = subscriber, destination = the given account number, the text, data_coding as
    given; the default destination is the account's default number; default data_coding is the
    narrowest of 1/3/8."""
    with _bound(daemon, "receiver") as rx:
        r = msgkit.admin(daemon, "POST", "/v1/mo", {"system_id": "acme", "source": SUBSCRIBER,
                                                   "destination": ACME_OTHER, "text": "Hello SMSC",
                                                   "data_coding": 1})
        assert r.status == 202 and isinstance(r.json().get("id"), str) and r.json()["id"], r
        d = rx.collect_delivers(1, 5, predicate=lambda d: not d.is_receipt)[0]
        assert d.esm_class == 0x00 and d.data_coding == 1
        # E.164 numbers go out as TON 1 / NPI 1 digits: the '+' is implied by TON international
        assert (d.source_addr_ton, d.source_addr_npi, d.source_addr) == (1, 1, SUBSCRIBER.lstrip("+")), d
        assert (d.dest_addr_ton, d.dest_addr_npi, d.destination_addr) == (1, 1, ACME_OTHER.lstrip("+")), d
        assert d.text() == "Hello SMSC"
        for text, dc in (("plain", 1), ("café", 3), ("Привет 😀", 8), ("héllo 😀", 8)):
            r = msgkit.admin(daemon, "POST", "/v1/mo", {"system_id": "acme", "source": SUBSCRIBER, "text": text})
            assert r.status == 202, r
            d = rx.collect_delivers(1, 5, predicate=lambda d: not d.is_receipt)[0]
            assert (d.data_coding, d.text()) == (dc, text), f"{text!r}: dcs {d.data_coding} {d.payload!r}"
            assert msgkit.same_number(d.destination_addr, ACME_DEFAULT)


def test_c_bind_5_mo_not_to_transmitter_or_other_account(daemon):
    """C-BIND-5: an injected MO goes to acme's receiver only: not to its transmitter, not to beta."""
    with _bound(daemon, "transmitter") as tx, _bound(daemon, who=("beta", "b3ta")) as beta, \
            _bound(daemon, "receiver") as rx:
        r = msgkit.admin(daemon, "POST", "/v1/mo", {"system_id": "acme", "source": SUBSCRIBER, "text": "only rx"})
        assert r.status == 202, r
        d = rx.collect_delivers(1, 5, predicate=lambda d: not d.is_receipt)[0]
        assert d.text() == "only rx"
        tx.enquire_link()
        assert not tx.readable_soon(0.2) and not tx.unsolicited
        beta.no_deliver(0.2)


@pytest.mark.parametrize("body,field", [
    ({"source": SUBSCRIBER, "text": "x"}, "system_id"),
    ({"system_id": "acme", "text": "x"}, "source"),
    ({"system_id": "acme", "source": "not-a-number", "text": "x"}, "source"),
    ({"system_id": "acme", "source": "12", "text": "x"}, "source"),
    ({"system_id": "acme", "source": SUBSCRIBER}, "text"),
    ({"system_id": "acme", "source": SUBSCRIBER, "text": 5}, "text"),
    ({"system_id": "acme", "source": SUBSCRIBER, "text": "x", "data_coding": 2}, "data_coding"),
    ({"system_id": "acme", "source": SUBSCRIBER, "text": "x", "destination": "12ab"}, "destination"),
    ({"system_id": "acme", "source": SUBSCRIBER, "text": "x", "data_coding": "8"}, "data_coding"),
])
def test_mo_injection_bad_field_400(daemon, body, field):
    """docs/messaging.md: a bad or missing field -> 400 {"error", "field": <name>}."""
    r = msgkit.admin(daemon, "POST", "/v1/mo", body)
    assert r.status == 400, r
    j = r.json()
    assert j.get("field") == field and j.get("error"), r


def test_mo_injection_bad_json_and_unknown_account(daemon):
    """400 {"error", "field":"body"} for a body that is not JSON; 404 {"error":"unknown
    system_id","field":"system_id"}."""
    r = msgkit.admin(daemon, "POST", "/v1/mo", raw=b"{not json")
    assert r.status == 400 and r.json().get("error") and r.json().get("field") == "body", r
    r = msgkit.admin(daemon, "POST", "/v1/mo", {"system_id": "nobody", "source": SUBSCRIBER, "text": "x"})
    assert r.status == 404, r
    assert r.json() == {"error": "unknown system_id", "field": "system_id"}, r


def test_c_dlv_4_mo_waits_for_receiver(daemon):
    """C-DLV-4: an MO injected while no receiver of the account is bound flows once one binds."""
    r = msgkit.admin(daemon, "POST", "/v1/mo", {"system_id": "beta", "source": SUBSCRIBER, "text": "stored MO"})
    assert r.status == 202, r
    with _bound(daemon, "receiver", who=("beta", "b3ta")) as rx:
        d = rx.collect_delivers(1, 5, predicate=lambda d: not d.is_receipt)[0]
        assert d.text() == "stored MO" and msgkit.same_number(d.destination_addr, msgkit.BETA_NUMBER)


def test_forced_state_delivers_held_message(daemon):
    """POST /v1/messages/{id}/state DELIVRD on a held 9990 message -> 200 {"id","state"}; the DELIVRD
    receipt follows; query DELIVERED; again -> 409 {"error":"already final"}; unknown id -> 404;
    a bad state or err -> 400 naming the field. An err is carried into the receipt."""
    with _bound(daemon) as c:
        mid = c.submit_ok(dest(9990), b"force me", registered_delivery=1)
        r = msgkit.admin(daemon, "POST", f"/v1/messages/{mid}/state", {"state": "DELIVRD"})
        assert r.status == 200 and r.json() == {"id": mid, "state": "DELIVRD"}, r
        msgkit.check_receipt(msgkit.receipts_by_id(c, [mid], 5)[mid].pdu, message_id=mid, stat="DELIVRD")
        assert smpp.decode_query_sm_resp(c.query(mid)).message_state == smpp.STATE_DELIVERED
        r = msgkit.admin(daemon, "POST", f"/v1/messages/{mid}/state", {"state": "UNDELIV"})
        assert r.status == 409 and r.json().get("error") == "already final", r
        r = msgkit.admin(daemon, "POST", "/v1/messages/ffffffffffffffff/state", {"state": "DELIVRD"})
        assert r.status == 404, r
        other = c.submit_ok(dest(9990), b"force err", registered_delivery=1)
        for bad, field in (({"state": "GONE"}, "state"), ({"state": "UNDELIV", "err": "abc"}, "err"), ({}, "state")):
            r = msgkit.admin(daemon, "POST", f"/v1/messages/{other}/state", bad)
            assert r.status == 400 and r.json().get("field") == field, f"{bad}: {r}"
        r = msgkit.admin(daemon, "POST", f"/v1/messages/{other}/state", {"state": "UNDELIV", "err": "042"})
        assert r.status == 200, r
        rec = msgkit.receipts_by_id(c, [other], 5)[other]
        msgkit.check_receipt(rec.pdu, stat="UNDELIV", err="042")


def test_admin_token_required_when_configured(smppd):
    """docs/messaging.md: with server.admin-token set, a request without it or with a wrong one
    -> 401; with `Authorization: Bearer <token>` -> served."""
    d = smppd(accounts=[ACME], server={"admin-token": "t0ken-e2e"})
    assert msgkit.admin(d, "GET", "/metrics").status == 401
    assert msgkit.admin(d, "GET", "/metrics", token="wrong").status == 401
    assert msgkit.admin(d, "POST", "/v1/mo", {"system_id": "acme", "source": SUBSCRIBER, "text": "x"}).status == 401
    assert msgkit.admin(d, "GET", "/metrics", token="t0ken-e2e").status == 200
    r = msgkit.admin(d, "POST", "/v1/mo", {"system_id": "acme", "source": SUBSCRIBER, "text": "x"}, token="t0ken-e2e")
    assert r.status == 202, r


@pytest.mark.parametrize("where", ["flag", "config"])
def test_non_loopback_admin_without_token_refused(smppd_bin, tmp_path, where):
    """docs/messaging.md / C-OPS-1: a non-loopback admin address without admin-token is refused at
    start with a message naming server.admin-token; nothing listens."""
    cfg = tmp_path / "smppd.toml"
    server = {"admin": "0.0.0.0:0"} if where == "config" else {}
    cfg.write_text(harness.make_config(tmp_path / "data", server=server, accounts=[ACME]))
    args = ["--config", str(cfg), "--listen", "127.0.0.1:0", "--data-dir", str(tmp_path / "data")]
    if where == "flag":
        args += ["--admin", "0.0.0.0:0"]
    proc = harness.run_tool(smppd_bin, args, cwd=tmp_path)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode != 0, f"started with a non-loopback admin and no token:\n{err}"
    assert "server.admin-token" in err, err
    assert "event=listening" not in err


def test_c_sim_3_background_mo(smppd):
    """C-SIM-3: account mo-rate 20 -> MO deliver_sm (esm_class 0, destination one of the account's
    numbers, source an E.164 subscriber) reach its receiver: >= 5 within 2 s."""
    acct = harness.account("acme", "secret", numbers=[ACME_DEFAULT], default_number=ACME_DEFAULT, mo_rate=20)
    d = smppd(accounts=[acct])
    with _bound(d, "receiver") as rx:
        got = rx.collect_delivers(5, 2.0)
        for m in got:
            assert m.esm_class == 0x00, m
            assert m.destination_addr == ACME_DEFAULT.lstrip("+"), m
            assert m.source_addr.isdigit() and 8 <= len(m.source_addr) <= 15, m


def test_c_sim_3_mo_auto_reply(smppd):
    """C-SIM-3: carrier.mo-auto-reply -> a delivered message is answered by an MO "Re: <first 20>"
    from the destination to the sender."""
    d = smppd(accounts=[ACME], carrier={"mo-auto-reply": True})
    with _bound(d) as c:
        text = "Auto reply test message body"
        c.submit_ok(ORDINARY, text.encode(), source_addr=ACME_OTHER)
        mo = c.collect_delivers(1, 5, predicate=lambda m: not m.is_receipt)[0]
        assert mo.esm_class == 0 and mo.text() == "Re: " + text[:20], mo
        assert msgkit.same_number(mo.source_addr, ORDINARY) and msgkit.same_number(mo.destination_addr, ACME_OTHER)
