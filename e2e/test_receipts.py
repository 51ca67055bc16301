"""Delivery receipts (C-DLV-1, C-DLV-3..5, C-SUB-8, C-BIND-5, C-SESS-4/5): format and TLVs,
registered_delivery, routing to the account's receiver/transceiver sessions only, store and
forward, retries, the window, shutdown with receipts pending."""

import signal
import time

import pytest

import msgkit
import smpp
from msgkit import ACME, ACME_DEFAULT, BETA, ORDINARY, dest


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME, BETA])


def _trx(d, mode="transceiver", who=("acme", "secret")):
    c = d.connect()
    c.bind_ok(mode, *who)
    return c


def test_c_dlv_1_receipt_format_and_tlvs(daemon):
    """C-DLV-1: a delivered message's receipt: deliver_sm esm_class 0x04, source = original
    destination, destination = original source, text `id:.. sub:001 dlvrd:001 submit date:..
    done date:.. stat:DELIVRD err:000 text:<first 20>`, receipted_message_id = the same id string
    as submit_sm_resp (NUL-terminated), message_state 2, network_error_code 03 0000."""
    with _trx(daemon) as c:
        text = "The quick brown fox jumps over the lazy dog"
        mid = c.submit_ok(ORDINARY, text.encode(), source_addr=ACME_DEFAULT, registered_delivery=1)
        d = msgkit.receipts_by_id(c, [mid], 5)[mid].pdu
        r = msgkit.check_receipt(d, message_id=mid, stat="DELIVRD", err="000", original_source=ACME_DEFAULT,
                                 original_dest=ORDINARY, text=text)
        assert r.dlvrd == "001" and r.text == "The quick brown fox "
        assert d.tlvs[smpp.TLV_RECEIPTED_MESSAGE_ID] == mid.encode() + b"\x00"
        assert d.tlvs[smpp.TLV_MESSAGE_STATE] == b"\x02"
        assert d.tlvs[smpp.TLV_NETWORK_ERROR_CODE] == b"\x03\x00\x00"
        assert d.data_coding in (0x00, 0x01), f"receipt data_coding 0x{d.data_coding:02x} for an ASCII receipt"
        # E.164 numbers go out as TON 1 / NPI 1 digits: the '+' is implied by TON international
        assert (d.source_addr_ton, d.source_addr_npi, d.source_addr) == (1, 1, ORDINARY.lstrip("+")), d
        assert (d.dest_addr_ton, d.dest_addr_npi, d.destination_addr) == (1, 1, ACME_DEFAULT.lstrip("+")), d


def test_c_dlv_1_failure_receipt_tlvs(daemon):
    """C-DLV-1 / C-SIM-2: 9991's receipt: stat:UNDELIV err:001 dlvrd:000, message_state 5,
    network_error_code 03 0001."""
    with _trx(daemon) as c:
        mid = c.submit_ok(dest(9991), b"fails", registered_delivery=1)
        d = msgkit.receipts_by_id(c, [mid], 5)[mid].pdu
        msgkit.check_receipt(d, message_id=mid, stat="UNDELIV", err="001", original_dest=dest(9991))
        assert d.tlvs[smpp.TLV_MESSAGE_STATE] == b"\x05"
        assert d.tlvs[smpp.TLV_NETWORK_ERROR_CODE] == b"\x03\x00\x01"


def test_c_sub_8_registered_delivery_0_and_2(daemon):
    """C-SUB-8: registered_delivery 0 -> no receipt (delivered or failed); 2 -> receipt only on
    failure (9991 yes, delivered no). A final reg-1 marker bounds the wait."""
    with _trx(daemon) as c:
        silent = [c.submit_ok(ORDINARY, b"r0", registered_delivery=0),
                  c.submit_ok(dest(9991), b"r0 fail", registered_delivery=0),
                  c.submit_ok(ORDINARY, b"r2 ok", registered_delivery=2)]
        failing = c.submit_ok(dest(9991), b"r2 fail", registered_delivery=2)
        for mid in silent:  # all final before the marker is sent
            msgkit.wait_state(c, mid, smpp.STATE_DELIVERED if mid != silent[1] else smpp.STATE_UNDELIVERABLE)
        marker = c.submit_ok(ORDINARY, b"marker", registered_delivery=1)
        seen = {}
        deadline = time.monotonic() + 5
        while not ({marker, failing} <= set(seen)):
            r = msgkit.check_receipt(c.next_deliver(max(deadline - time.monotonic(), 0)))
            seen[r.id] = r
        c.no_deliver(0.3)
        assert seen[failing].stat == "UNDELIV"
        assert not set(silent) & set(seen), f"receipt for a message that did not ask for one: {seen}"


def test_c_sub_8_registered_delivery_0x11_uses_low_bits(daemon):
    """C-SUB-8: only bits 0-1 count: registered_delivery 0x11 (SME ack bit + 1) -> receipt."""
    with _trx(daemon) as c:
        mid = c.submit_ok(ORDINARY, b"bits", registered_delivery=0x11)
        msgkit.receipts_by_id(c, [mid], 5)


def test_c_bind_5_receipts_route_to_receivers_not_transmitters_nor_others(daemon):
    """C-BIND-5 / C-DLV-1: with acme bound as transmitter (sender), receiver and transceiver, and
    beta bound as transceiver: 8 receipts all reach acme's receiver/transceiver (round robin: each
    gets some), none reaches the transmitter or beta."""
    tx, rx, trx, other = (_trx(daemon, "transmitter"), _trx(daemon, "receiver"), _trx(daemon),
                          _trx(daemon, who=("beta", "b3ta")))
    try:
        ids = [tx.submit_ok(ORDINARY, b"rr %d" % i, registered_delivery=1) for i in range(8)]
        got: dict[str, str] = {}
        deadline = time.monotonic() + 10
        while set(ids) - set(got):
            assert time.monotonic() < deadline, f"receipts missing: {set(ids) - set(got)}"
            for name, c in (("receiver", rx), ("transceiver", trx)):
                if c.readable_soon(0.05):
                    d = c.next_deliver(1)
                    r = msgkit.check_receipt(d)
                    if r.id in ids:
                        assert r.id not in got, f"receipt {r.id} delivered twice (answered)"
                        got[r.id] = name
        assert set(got.values()) == {"receiver", "transceiver"}, f"not spread over both sessions: {got}"
        tx.enquire_link()
        assert not [p for p in tx.unsolicited if p.command_id == smpp.DELIVER_SM], "transmitter got deliver_sm"
        assert not tx.readable_soon(0.2), "transmitter has unread data (a deliver_sm?)"
        other.no_deliver(0.2)
    finally:
        for c in (tx, rx, trx, other):
            c.close()


def _pending(d, system_id="acme") -> float | None:
    return msgkit.metric(msgkit.metrics(d), "smppd_pending_deliver_sm", system_id=system_id)


def test_c_dlv_4_receipts_wait_for_a_receiver(smppd):
    """C-DLV-4: receipts for an account with only a transmitter bound are held (counted by
    smppd_pending_deliver_sm), reach neither the transmitter nor another account's receiver;
    when a receiver binds later, they all flow to it and the gauge drops to 0."""
    d = smppd(accounts=[ACME, BETA])
    with _trx(d, "transmitter") as tx, _trx(d, "receiver", who=("beta", "b3ta")) as stranger:
        ids = [tx.submit_ok(ORDINARY, b"held %d" % i, registered_delivery=1) for i in range(3)]
        for mid in ids:
            msgkit.wait_state(tx, mid, smpp.STATE_DELIVERED)
        msgkit.wait_until(lambda: _pending(d) == 3, 5, "smppd_pending_deliver_sm{system_id=acme} == 3")
        tx.enquire_link()
        assert not [p for p in tx.unsolicited if p.command_id == smpp.DELIVER_SM]
        stranger.no_deliver(0.2)
    with _trx(d, "receiver") as rx:
        assert set(msgkit.receipts_by_id(rx, ids, 5)) == set(ids)
        msgkit.wait_until(lambda: not _pending(d), 5, "smppd_pending_deliver_sm{system_id=acme} back to 0")


@pytest.fixture
def retry_daemon(smppd):
    return smppd(accounts=[ACME], delivery={"response-timeout-ms": 300, "retry-initial-ms": 200,
                                             "retry-max-ms": 400, "max-attempts": 10})


def _one_receipt_unanswered(c, mid, timeout=5):
    d = c.next_deliver(timeout, answer=False)
    assert d.is_receipt and msgkit.Receipt(d).id == mid, f"unexpected {d}"
    return d


def test_c_dlv_3_unanswered_deliver_sm_is_retried(retry_daemon):
    """C-DLV-3: a deliver_sm left unanswered (response-timeout 300 ms) is sent again - same
    receipt text, a new sequence number - and once answered it stops coming."""
    with _trx(retry_daemon) as c:
        mid = c.submit_ok(ORDINARY, b"retry me", registered_delivery=1)
        first = _one_receipt_unanswered(c, mid)
        again = _one_receipt_unanswered(c, mid, timeout=4)
        assert again.short_message == first.short_message
        assert again.sequence != first.sequence, "retry reused the sequence number"
        c.send_raw(smpp.deliver_sm_resp(again.sequence))
        c.send_raw(smpp.deliver_sm_resp(first.sequence))  # late answer to the first: harmless
        c.no_deliver(1.5)


@pytest.mark.parametrize("status", [smpp.ESME_RMSGQFUL, smpp.ESME_RTHROTTLED, smpp.ESME_RSYSERR,
                                    smpp.ESME_RX_T_APPN])
def test_c_dlv_3_temporary_error_is_retried(retry_daemon, status):
    """C-DLV-3: deliver_sm_resp with a temporary error (0x14, 0x58, 0x08, 0x64) -> retried."""
    with _trx(retry_daemon) as c:
        mid = c.submit_ok(ORDINARY, b"temp", registered_delivery=1)
        first = _one_receipt_unanswered(c, mid)
        c.send_raw(smpp.deliver_sm_resp(first.sequence, status))
        again = c.next_deliver(4)
        assert msgkit.Receipt(again).id == mid and again.sequence != first.sequence


@pytest.mark.parametrize("status", [smpp.ESME_RX_P_APPN, smpp.ESME_RINVDSTADR])
def test_c_dlv_3_permanent_error_is_not_redelivered(retry_daemon, status):
    """C-DLV-3: deliver_sm_resp with a permanent error -> dropped, not sent again (watched over
    several retry intervals); the session keeps working."""
    with _trx(retry_daemon) as c:
        mid = c.submit_ok(ORDINARY, b"perm", registered_delivery=1)
        first = _one_receipt_unanswered(c, mid)
        c.send_raw(smpp.deliver_sm_resp(first.sequence, status))
        c.no_deliver(1.5)
        c.enquire_link()


@pytest.mark.parametrize("how", ["eof", "rst"])
def test_c_sess_5_dropped_session_receipt_goes_to_next_bind(retry_daemon, how):
    """C-SESS-5 / C-DLV-3: a receiver gets a receipt, never answers and its connection drops
    (EOF without unbind, or a TCP reset); the same receipt is delivered to the next receiver
    that binds."""
    with _trx(retry_daemon, "transmitter") as tx:
        mid = tx.submit_ok(ORDINARY, b"dropped", registered_delivery=1)
        rx = _trx(retry_daemon, "receiver")
        first = _one_receipt_unanswered(rx, mid)
        if how == "eof":
            rx.close()
        else:
            rx.abort()
        with _trx(retry_daemon, "receiver") as rx2:
            d = rx2.next_deliver(5)
            assert d.is_receipt and d.short_message == first.short_message


def test_c_dlv_5_window_limits_unanswered_deliver_sm(smppd):
    """C-DLV-5: delivery.window 2 with 5 receipts waiting: a new receiver gets 2 deliver_sm and no
    more while it answers none; each answer lets exactly one more through; all 5 arrive."""
    d = smppd(accounts=[ACME], delivery={"window": 2, "response-timeout-ms": 10000})
    with _trx(d, "transmitter") as tx:
        ids = [tx.submit_ok(ORDINARY, b"w %d" % i, registered_delivery=1) for i in range(5)]
        for mid in ids:
            msgkit.wait_state(tx, mid, smpp.STATE_DELIVERED)
    with _trx(d, "receiver") as rx:
        outstanding = [rx.next_deliver(5, answer=False) for _ in range(2)]
        rx.no_deliver(0.5)
        seen = [msgkit.Receipt(o).id for o in outstanding]
        while len(seen) < 5:
            rx.send_raw(smpp.deliver_sm_resp(outstanding.pop(0).sequence))
            nxt = rx.next_deliver(3, answer=False)
            outstanding.append(nxt)
            seen.append(msgkit.Receipt(nxt).id)
            assert len(outstanding) == 2
            if len(seen) < 5:
                rx.no_deliver(0.1)
        for o in outstanding:
            rx.send_raw(smpp.deliver_sm_resp(o.sequence))
        assert sorted(seen) == sorted(ids)


def test_c_sess_4_sigterm_with_receipts_pending_exits_0(smppd):
    """C-SESS-4: SIGTERM while receipts wait (no receiver) and a receiver holds unanswered
    deliver_sm: the daemon unbinds (the transmitter gets unbind and answers it), and exits 0
    within shutdown-ms + margin."""
    d = smppd(accounts=[ACME], timeouts={"shutdown-ms": 2000}, delivery={"window": 1})
    tx = _trx(d, "transmitter")
    ids = [tx.submit_ok(ORDINARY, b"pending %d" % i, registered_delivery=1) for i in range(4)]
    for mid in ids:
        msgkit.wait_state(tx, mid, smpp.STATE_DELIVERED)
    rx = _trx(d, "receiver")
    try:
        rx.next_deliver(5, answer=False)
        started = time.monotonic()
        d.send_signal(signal.SIGTERM)
        unbind = tx.expect(smpp.UNBIND, timeout=5)
        tx.send_raw(smpp.unbind_resp(unbind.sequence))
        assert d.wait_exit(10) == 0
        assert time.monotonic() - started < 2 + 3
    finally:
        tx.close()
        rx.close()
    d.check_log()
