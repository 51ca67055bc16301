"""End-to-end deliver_sm routing and the admin interface (C-BIND-5, C-DLV-2..5, C-SESS-4/5,
C-SIM-3, C-OPS-2): who gets receipts, store and forward, retries, the window, MO injection,
forced states, metrics, and smpplib sending and receiving over TLS."""

import signal
import subprocess
import time

import pytest
import smpplib.client
import smpplib.consts
import smpplib.gsm

import harness
import messaging as m
import smpp

ACME = harness.account("acme", "secret", max_sessions=20)
OTHER = harness.account("other", "pw2", numbers=["+12125550200"], default_number="+12125550200")


def test_c_dlv_4_receipts_wait_for_a_receiver_and_never_reach_a_transmitter(smppd):
    """C-DLV-4 / C-BIND-5: a transmitter sends; its receipts are held while no receiver is
    bound, never sent to the transmitter, nor to another account's receiver, and flow once a
    receiver of the account binds."""
    d = smppd(accounts=[ACME, OTHER])
    with d.connect() as tx, d.connect() as stranger:
        tx.bind_ok("transmitter", "acme", "secret")
        stranger.bind_ok("receiver", "other", "pw2")
        ids = [m.submit_ok(tx, "+447700900123") for _ in range(3)]
        m.wait_until(lambda: all(m.decode_query_resp(m.query(tx, i))[2] == 2 for i in ids), 5, "deliveries")
        status, text = m.http(d, "GET", "/metrics")
        assert m.metric(text, "smppd_pending_deliver_sm", system_id="acme") == 3
        with d.connect() as rx:
            rx.bind_ok("receiver", "acme", "secret")
            got = {m.next_deliver(rx, predicate=lambda x: x.is_receipt).receipt()["id"] for _ in ids}
            assert got == set(ids)
        tx.enquire_link()
        stranger.enquire_link()
        assert not [p for p in tx.unsolicited + stranger.unsolicited if p.command_id == smpp.DELIVER_SM]


def test_c_dlv_3_unanswered_deliver_sm_is_retried(smppd):
    """C-DLV-3: no deliver_sm_resp within delivery.response-timeout-ms → the same receipt again
    (new sequence number) after the backoff; answered → not again."""
    d = smppd(accounts=[ACME], extra={"delivery": {"response-timeout-ms": 300, "retry-initial-ms": 200}})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        mid = m.submit_ok(c, "+447700900123")
        first = m.receipt_for(c, mid, answer=None)
        again = m.receipt_for(c, mid, timeout=5)
        assert again.pdu.sequence != first.pdu.sequence
        assert again.receipt()["id"] == mid


def test_c_sess_5_deliver_sm_of_a_dropped_session_goes_to_the_next(smppd):
    """C-SESS-5 / C-DLV-3: a receiver that drops with a deliver_sm unanswered: it comes again on
    the next receiver."""
    d = smppd(accounts=[ACME], extra={"delivery": {"retry-initial-ms": 100}})
    c = d.connect()
    c.bind_ok("transceiver", "acme", "secret")
    mid = m.submit_ok(c, "+447700900123")
    m.receipt_for(c, mid, answer=None)
    c.close()
    with d.connect() as c2:
        c2.bind_ok("receiver", "acme", "secret")
        assert m.receipt_for(c2, mid, timeout=5).receipt()["id"] == mid


def test_c_dlv_3_permanent_error_ends_it(smppd):
    """C-DLV-3: deliver_sm_resp with a permanent error (ESME_RX_P_APPN 0x65): never again."""
    d = smppd(accounts=[ACME], extra={"delivery": {"retry-initial-ms": 100}})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        mid = m.submit_ok(c, "+447700900123")
        m.receipt_for(c, mid, answer=0x65)
        fence = m.submit_ok(c, "+447700900124")
        m.receipt_for(c, fence)
        # the retry interval (100 ms) passed several times over: nothing of `mid` came back
        later = m.submit_ok(c, "+447700900125", b"later")
        m.receipt_for(c, later, timeout=5)
        assert not any(m.decode_deliver_sm(p).receipt()["id"] == mid for p in c.unsolicited
                       if p.command_id == smpp.DELIVER_SM)


def test_c_dlv_5_window_of_unanswered_deliver_sm(smppd):
    """C-DLV-5: with delivery.window = 2, at most 2 deliver_sm are outstanding; answering them
    lets the rest flow."""
    d = smppd(accounts=[ACME], extra={"delivery": {"window": 2, "response-timeout-ms": 20000}})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        ids = [m.submit_ok(c, "+447700900123") for _ in range(5)]
        m.wait_until(lambda: all(m.decode_query_resp(m.query(c, i))[2] == 2 for i in ids), 5, "deliveries")
        held = [m.next_deliver(c, answer=None) for _ in range(2)]
        c.enquire_link()   # a full round trip: a third deliver_sm would have arrived before it
        assert not [p for p in c.unsolicited if p.command_id == smpp.DELIVER_SM]
        for h in held:
            c.send_raw(smpp.encode_pdu(smpp.DELIVER_SM_RESP, h.pdu.sequence, b"\x00"))
        rest = {m.next_deliver(c).receipt()["id"] for _ in range(3)}
        assert rest | {h.receipt()["id"] for h in held} == set(ids)


@pytest.fixture(scope="module")
def admin_daemon(module_smppd):
    return module_smppd(accounts=[ACME, OTHER])


def test_c_sim_3_mo_injection_reaches_a_receiver(admin_daemon):
    """C-SIM-3 / C-DLV-2: POST /v1/mo → 202 with an id; the receiver gets deliver_sm esm_class 0
    from the subscriber to the account's number with the text."""
    with admin_daemon.connect() as rx:
        rx.bind_ok("receiver", "acme", "secret")
        status, body = m.http(admin_daemon, "POST", "/v1/mo",
                              {"system_id": "acme", "source": "+15551234567", "text": "hello from a phone"})
        assert status == 202 and '"id"' in body, (status, body)
        d = m.next_deliver(rx, predicate=lambda x: not x.is_receipt)
        assert (d.esm_class, d.source, d.destination) == (0, "15551234567", "12125550100")
        assert d.short_message == b"hello from a phone" and d.data_coding in (0, 1)
        status, _ = m.http(admin_daemon, "POST", "/v1/mo",
                           {"system_id": "acme", "source": "+15551234567", "text": "héllo 😀"})
        assert status == 202
        d = m.next_deliver(rx, predicate=lambda x: not x.is_receipt)
        assert d.data_coding == 8 and d.short_message == "héllo 😀".encode("utf-16-be")


@pytest.mark.parametrize("body,code,field", [
    ({"system_id": "nobody", "source": "+15551234567", "text": "x"}, 404, "system_id"),
    ({"source": "+15551234567", "text": "x"}, 400, "system_id"),
    ({"system_id": "acme", "source": "12", "text": "x"}, 400, "source"),
    ({"system_id": "acme", "source": "+15551234567"}, 400, "text"),
    ({"system_id": "acme", "source": "+15551234567", "text": "x", "data_coding": 2}, 400, "data_coding"),
    (b"{not json", 400, "body"),
])
def test_c_sim_3_bad_mo_requests_name_the_field(admin_daemon, body, code, field):
    status, text = m.http(admin_daemon, "POST", "/v1/mo", body)
    assert status == code and f'"field":"{field}"' in text, (status, text)


def test_c_ops_2_forced_state_sends_its_receipt(admin_daemon):
    """POST /v1/messages/{id}/state forces DELIVRD on a held (9990) message; its receipt follows;
    a second force is 409, an unknown id 404, a bad state 400."""
    with admin_daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        mid = m.submit_ok(c, "+447700909990")
        status, body = m.http(admin_daemon, "POST", f"/v1/messages/{mid}/state", {"state": "UNDELIV", "err": "042"})
        assert status == 200 and "UNDELIV" in body, (status, body)
        r = m.receipt_for(c, mid).receipt()
        assert (r["stat"], r["err"]) == ("UNDELIV", "042")
        assert m.http(admin_daemon, "POST", f"/v1/messages/{mid}/state", {"state": "DELIVRD"})[0] == 409
        assert m.http(admin_daemon, "POST", "/v1/messages/ffffffff/state", {"state": "DELIVRD"})[0] == 404
        assert m.http(admin_daemon, "POST", f"/v1/messages/{mid}/state", {"state": "GONE"})[0] == 400


def test_c_ops_2_metrics_move_with_traffic(admin_daemon):
    """C-OPS-2: /metrics is Prometheus text with sessions by mode, PDUs by command and status,
    latency histograms and queue depths; counters move."""
    _, before = m.http(admin_daemon, "GET", "/metrics")
    with admin_daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        mid = m.submit_ok(c, "+447700900123")
        m.receipt_for(c, mid)
        _, after = m.http(admin_daemon, "GET", "/metrics")
    assert m.metric(after, "smppd_sessions", mode="transceiver") >= 1
    n0 = m.metric(before, "smppd_pdus_in_total", command="submit_sm", status="ESME_ROK") or 0
    assert m.metric(after, "smppd_pdus_in_total", command="submit_sm", status="ESME_ROK") >= n0 + 1
    assert m.metric(after, "smppd_pdus_out_total", command="deliver_sm", status="ESME_ROK") >= 1
    for name in ("smppd_submit_resp_latency_seconds_count", "smppd_queue_depth"):
        assert name in after
    assert m.metric(after, "smppd_submit_receipt_latency_seconds_count") >= 1


def test_c_ops_2_admin_token_and_non_loopback_rule(smppd, smppd_bin, tmp_path):
    """With server.admin-token every admin request needs the bearer token (401 without); a
    non-loopback admin address without a token stops start-up naming server.admin-token."""
    d = smppd(accounts=[ACME], server={"admin-token": "s3cret-token"})
    assert m.http(d, "GET", "/metrics")[0] == 401
    assert m.http(d, "GET", "/metrics", token="wrong")[0] == 401
    assert m.http(d, "GET", "/metrics", token="s3cret-token")[0] == 200
    cfg = tmp_path / "bad.toml"
    cfg.write_text(harness.make_config(tmp_path / "var", server={"admin": "0.0.0.0:0"}, accounts=[ACME]))
    proc = subprocess.run([smppd_bin, "--config", str(cfg)], capture_output=True, timeout=20)
    assert proc.returncode != 0 and b"server.admin-token" in proc.stderr, proc.stderr[-400:]


def test_c_sim_3_background_mo_rate(smppd):
    """C-SIM-3: an account with mo-rate gets MO deliver_sm on its receiver without asking."""
    d = smppd(accounts=[harness.account("acme", "secret", mo_rate=20)])
    with d.connect() as rx:
        rx.bind_ok("receiver", "acme", "secret")
        mos = [m.next_deliver(rx, timeout=5, predicate=lambda x: x.esm_class == 0) for _ in range(5)]
        assert all(x.destination == "12125550100" and x.source.isdigit() for x in mos)


def test_c_sess_4_sigterm_with_receipts_pending_exits_0(smppd):
    """C-SESS-4: SIGTERM while receipts wait for a receiver: unbind to the bound session, exit 0."""
    d = smppd(accounts=[ACME])
    with d.connect() as tx:
        tx.bind_ok("transmitter", "acme", "secret")
        for _ in range(5):
            m.submit_ok(tx, "+447700900123")
        d.send_signal(signal.SIGTERM)
        pdu = tx.expect(smpp.UNBIND, timeout=5)
        tx.send_raw(smpp.unbind_resp(pdu.sequence))
    assert d.wait_exit(10) == 0


def test_smpplib_send_receipt_query_over_tls(smppd):
    """smpplib (PyPI) over TLS: a long text split by smpplib.gsm.make_parts → one id per part,
    each part's receipt through the client's handler, then query_sm of the first id."""
    d = smppd(accounts=[ACME])
    c = smpplib.client.Client("127.0.0.1", d.port, timeout=10, allow_unknown_opt_params=True,
                              ssl_context=smpp.client_context())
    ids, receipts = [], []
    c.set_message_sent_handler(lambda pdu: ids.append(pdu.message_id.decode() if isinstance(pdu.message_id, bytes) else pdu.message_id))
    c.set_message_received_handler(lambda pdu: receipts.append(pdu.receipted_message_id) or 0)
    c.connect()
    try:
        c.bind_transceiver(system_id="acme", password="secret")
        parts, coding, esm = smpplib.gsm.make_parts("x" * 300)
        for part in parts:
            c.send_message(source_addr_ton=1, source_addr_npi=1, source_addr="+12125550100",
                           dest_addr_ton=1, dest_addr_npi=1, destination_addr="+447700900123",
                           short_message=part, data_coding=coding, esm_class=esm, registered_delivery=1)
        deadline = time.monotonic() + 10
        while (len(ids) < len(parts) or len(receipts) < len(parts)) and time.monotonic() < deadline:
            c.read_once()
        assert len(ids) == len(parts) == 2
        got = {r.decode() if isinstance(r, bytes) else r for r in receipts}
        assert got == set(ids)
        q = smpplib.smpp.make_pdu("query_sm", client=c, message_id=ids[0], source_addr="+12125550100",
                                  source_addr_ton=1, source_addr_npi=1)
        c.send_pdu(q)
        resp = c.read_pdu()
        assert resp.command == "query_sm_resp" and resp.status == 0 and resp.message_state == 2
        c.unbind()
    finally:
        c.disconnect()
