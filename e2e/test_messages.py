"""End-to-end messaging (CONTRACT §4–§6, C-SIM-2): submit_sm statuses, message ids, credits
and rates, receipts and their TLVs, query_sm and cancel_sm, long messages. Real daemon, TLS."""

import re
import struct
import time

import pytest

import harness
import messaging as m
import smpp

ACME = harness.account("acme", "secret", max_sessions=50)
OTHER = harness.account("other", "pw2", numbers=["+12125550200"], default_number="+12125550200", max_sessions=5)
HEX_ID = re.compile(r"^[0-9a-f]{1,16}$")


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME, OTHER])


@pytest.fixture
def trx(daemon):
    with daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        yield c


def test_c_sub_1_message_ids_are_short_hex_and_unique(trx):
    """C-SUB-1: submit_sm_resp status 0 with a message_id; hex by default, unique."""
    ids = [m.submit_ok(trx, "+447700900123", registered_delivery=0) for _ in range(300)]
    assert all(HEX_ID.match(i) for i in ids), ids[:5]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("fields,status", [
    ({"destination_addr": "12345"}, 0x0B),
    ({"destination_addr": "+0123456789"}, 0x0B),
    ({"destination_addr": "+1234567890123456"}, 0x0B),
    ({"destination_addr": "+44770090012a"}, 0x0B),
    ({"source_addr": "+19995550100"}, 0x0A),
    ({"dest_addr_ton": 7}, 0x50),
    ({"dest_addr_npi": 2}, 0x51),
    ({"source_addr": "+12125550100", "source_addr_ton": 9}, 0x48),
    ({"source_addr": "+12125550100", "source_addr_npi": 5}, 0x49),
    ({"data_coding": 0x02}, 0x104),
    ({"short_message": b"A" * 161}, 0x01),
    ({"short_message": b"\x00A\x00", "data_coding": 8}, 0x01),
    ({"short_message": b"\x00A" * 71, "data_coding": 8}, 0x01),
    ({"short_message": b"\x05\x00\x03\xcc\x03\x04hi", "esm_class": 0x40}, 0x01),
    ({"short_message": b"\x05\x00\x03\xcc\x03\x01" + b"A" * 154, "esm_class": 0x40}, 0x01),
    ({"schedule_delivery_time": "000001000000000R"}, 0x61),
    ({"validity_period": "bogus"}, 0x62),
    ({"destination_addr": "+447700909996"}, 0x45),
    ({"destination_addr": "+447700909997"}, 0x58),
    ({"destination_addr": "+447700909998"}, 0x14),
])
def test_c_sub_2_to_7_refusals_carry_the_documented_status(trx, fields, status):
    """C-SUB-2..7, C-SIM-2: each row of docs/messaging.md's table, provoked once."""
    fields = dict(fields)
    dest = fields.pop("destination_addr", "+447700900123")
    text = fields.pop("short_message", b"hello")
    pdu = m.submit(trx, dest, text, **fields)
    assert pdu.command_id == smpp.SUBMIT_SM_RESP, str(pdu)
    assert pdu.status == status, f"expected 0x{status:x}, got {pdu}"
    trx.enquire_link()   # the session stays usable


@pytest.mark.parametrize("fields", [
    {"short_message": b"A" * 160},
    {"short_message": b"\x00A" * 70, "data_coding": 8},
    {"short_message": b"\x05\x00\x03\xcc\x03\x01" + b"A" * 153, "esm_class": 0x40},
    {"short_message": b"\x06\x08\x04\x12\x34\x02\x01" + b"\x00A" * 67, "esm_class": 0x40, "data_coding": 8},
    {"short_message": "é à".encode("latin-1"), "data_coding": 3},
    {"source_addr": "12125550100"},
    {"dest_addr_ton": 0, "dest_addr_npi": 0},
    {"validity_period": "000001000000000R"},
])
def test_c_sub_3_4_accepted_shapes(trx, fields):
    """C-SUB-3/4: limits exactly at 160/70/153/67, Latin-1, own number without '+', TON/NPI 0."""
    fields = dict(fields)
    text = fields.pop("short_message", b"hello")
    assert HEX_ID.match(m.submit_ok(trx, "+447700900123", text, registered_delivery=0, **fields))


def test_c_dlv_1_receipt_format_tlvs_and_one_id_everywhere(trx):
    """C-DLV-1 / C-SUB-1 / C-MGT-1: the receipt's text, esm_class, addresses and TLVs; the same id
    string in submit_sm_resp, `id:`, receipted_message_id and query_sm."""
    mid = m.submit_ok(trx, "+447700900123", b"The quick brown fox jumps over")
    d = m.receipt_for(trx, mid)
    assert d.esm_class == 0x04
    assert (d.source, d.destination) == ("447700900123", "12125550100")
    r = d.receipt()
    assert r["id"] == mid and r["stat"] == "DELIVRD" and r["dlvrd"] == "001" and r["err"] == "000"
    assert r["text"] == "The quick brown fox "
    assert d.tlvs[m.TLV_RECEIPTED_MESSAGE_ID] == mid.encode() + b"\x00"
    assert d.tlvs[m.TLV_MESSAGE_STATE] == b"\x02"
    assert d.tlvs[m.TLV_NETWORK_ERROR_CODE] == b"\x03\x00\x00"
    q = m.query(trx, mid)
    assert q.command_id == smpp.QUERY_SM_RESP and q.status == 0, str(q)
    qid, final, state, err = m.decode_query_resp(q)
    assert (qid, state, err) == (mid, 2, 0) and re.match(r"^\d{12}000\+$", final), (qid, final, state)


def test_c_mgt_1_query_of_unknown_or_foreign_ids_fails(daemon, trx):
    """C-MGT-1: unknown id, malformed id, or another account's id: ESME_RQUERYFAIL."""
    assert m.query(trx, "ffffffffffffff").status == 0x67
    assert m.query(trx, "not-an-id").status == 0x67
    with daemon.connect() as other:
        other.bind_ok("transceiver", "other", "pw2")
        foreign = m.submit_ok(other, "+447700900123", registered_delivery=0)
    assert m.query(trx, foreign).status == 0x67


def test_c_sim_2_every_test_number(trx):
    """C-SIM-2: 9991 UNDELIV err 001, 9992 EXPIRED, 9993 REJECTD, 9995 ACCEPTD then UNKNOWN,
    9994 DELIVRD after 10 s — all submitted at once, receipts awaited concurrently."""
    ids = {s: m.submit_ok(trx, f"+44770090{s}") for s in ("9991", "9992", "9993", "9994", "9995")}
    start = time.monotonic()
    want = {ids["9991"]: ["UNDELIV"], ids["9992"]: ["EXPIRED"], ids["9993"]: ["REJECTD"],
            ids["9994"]: ["DELIVRD"], ids["9995"]: ["ACCEPTD", "UNKNOWN"]}
    seen = {k: [] for k in want}
    errs = {}
    deadline = time.monotonic() + 20
    while any(len(seen[k]) < len(v) for k, v in want.items()) and time.monotonic() < deadline:
        d = m.next_deliver(trx, timeout=max(deadline - time.monotonic(), 0.1), predicate=lambda d: d.is_receipt)
        r = d.receipt()
        if r["id"] in seen:
            seen[r["id"]].append(r["stat"])
            errs[r["id"]] = r["err"]
            if r["id"] == ids["9994"]:
                assert time.monotonic() - start >= 9.5, "9994 must take about 10 s"
    assert seen == want, (seen, want)
    assert errs[ids["9991"]] == "001"
    states = {s: m.decode_query_resp(m.query(trx, i))[2] for s, i in ids.items()}
    assert states == {"9991": 5, "9992": 3, "9993": 8, "9994": 2, "9995": 7}


def test_c_mgt_2_cancel_within_the_hold_then_not_after(trx):
    """C-MGT-2 / C-SIM-2 9990: cancel_sm while held succeeds (DELETED, receipt stat DELETED,
    query state 4); cancelling again, a delivered message, or an unknown id: ESME_RCANCELFAIL."""
    held = m.submit_ok(trx, "+447700909990")
    q = m.decode_query_resp(m.query(trx, held))
    assert q[2] == 1, "ENROUTE while held"
    c = m.cancel(trx, held)
    assert (c.command_id, c.status) == (smpp.CANCEL_SM_RESP, 0), str(c)
    r = m.receipt_for(trx, held).receipt()
    assert r["stat"] == "DELETED" and r["dlvrd"] == "000"
    assert m.decode_query_resp(m.query(trx, held))[2] == 4
    assert m.cancel(trx, held).status == 0x11
    done = m.submit_ok(trx, "+447700900123")
    m.receipt_for(trx, done)
    assert m.cancel(trx, done).status == 0x11
    assert m.cancel(trx, "abcdef").status == 0x11


def test_c_sub_8_registered_delivery_0_and_2(trx):
    """C-SUB-8: 0 → no receipt; 2 → receipt only on failure (9991), none for a delivery."""
    silent = m.submit_ok(trx, "+447700900123", registered_delivery=0)
    quiet_ok = m.submit_ok(trx, "+447700900124", registered_delivery=2)
    failing = m.submit_ok(trx, "+447700909991", registered_delivery=2)
    m.wait_until(lambda: all(m.decode_query_resp(m.query(trx, i))[2] != 1 for i in (silent, quiet_ok)), 5, "final states")
    r = m.receipt_for(trx, failing).receipt()
    assert r["stat"] == "UNDELIV"
    fence = m.submit_ok(trx, "+447700900125")
    m.receipt_for(trx, fence)
    got = [m.decode_deliver_sm(p).tlvs.get(m.TLV_RECEIPTED_MESSAGE_ID, b"") for p in trx.unsolicited
           if p.command_id == smpp.DELIVER_SM]
    assert silent.encode() + b"\x00" not in got and quiet_ok.encode() + b"\x00" not in got


def test_c_sub_5_three_udh_segments_three_ids_three_receipts(trx):
    """C-SUB-5: a 3-part concatenated message: 3 submit_sm, 3 ids, 3 receipts."""
    ids = []
    for seq in (1, 2, 3):
        udh = bytes([5, 0, 3, 0x42, 3, seq])
        ids.append(m.submit_ok(trx, "+447700900123", udh + b"B" * 153, esm_class=0x40))
    assert len(set(ids)) == 3
    got = {m.next_deliver(trx, predicate=lambda d: d.is_receipt and d.receipt()["id"] in ids).receipt()["id"] for _ in ids}
    assert got == set(ids)


def test_c_sub_5_sar_tlv_segments(trx):
    """C-SUB-5: sar_* TLVs mark a segment (153-character limit); a partial sar set is refused."""
    sar = m.tlv(m.TLV_SAR_MSG_REF_NUM, b"\x00\x07") + m.tlv(m.TLV_SAR_TOTAL_SEGMENTS, b"\x02") + m.tlv(m.TLV_SAR_SEGMENT_SEQNUM, b"\x01")
    assert HEX_ID.match(m.submit_ok(trx, "+447700900123", b"C" * 153, tlvs=sar, registered_delivery=0))
    assert m.submit(trx, "+447700900123", b"C" * 154, tlvs=sar).status == 0x01
    assert m.submit(trx, "+447700900123", b"C", tlvs=m.tlv(m.TLV_SAR_TOTAL_SEGMENTS, b"\x02")).status == 0x01


def test_c_sub_3_emoji_in_ucs2(trx):
    """C-SUB-3: UCS-2 with a surrogate pair is accepted; the receipt text field is ASCII."""
    text = "hi 😀".encode("utf-16-be")
    mid = m.submit_ok(trx, "+447700900123", text, data_coding=8)
    r = m.receipt_for(trx, mid).receipt()
    assert r["text"] == "hi ?"


def test_c_sub_6_credits_payload_segments_and_free_test_number(smppd):
    """C-SUB-5/6: credits = 4; a 9996 refusal costs nothing; a 400-character message_payload
    is one id and 3 credits; the last credit goes; then ESME_RSUBMITFAIL."""
    d = smppd(accounts=[harness.account("acme", "secret", credits=4)])
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        assert m.submit(c, "+447700909996").status == 0x45
        payload = m.tlv(m.TLV_MESSAGE_PAYLOAD, b"P" * 400)
        mid = m.submit_ok(c, "+447700900123", b"", tlvs=payload)
        status, text = m.http(d, "GET", "/metrics")
        assert m.metric(text, "smppd_credits_remaining", system_id="acme") == 1
        m.submit_ok(c, "+447700900123", registered_delivery=0)
        assert m.submit(c, "+447700900123").status == 0x45
        r = m.receipt_for(c, mid).receipt()
        assert r["id"] == mid and r["text"] == "P" * 20


def test_c_sub_6_submit_rate_throttles(smppd):
    """C-SUB-6: over the account's submit-rate: ESME_RTHROTTLED."""
    d = smppd(accounts=[harness.account("acme", "secret", submit_rate=5)])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        statuses = [m.submit(c, "+447700900123", registered_delivery=0).status for _ in range(20)]
    assert 0x58 in statuses and 0 in statuses, statuses


def test_data_sm_and_submit_multi(trx):
    """data_sm carries its text in message_payload and gets a message_id; submit_multi submits
    every destination and lists the refused ones."""
    body = (b"\x00" + b"\x01\x01" + b"\x00" + b"\x01\x01" + b"+447700900123\x00" + b"\x00" + b"\x01" + b"\x00"
            + m.tlv(m.TLV_MESSAGE_PAYLOAD, b"data sm text"))
    r = trx.request(m.DATA_SM, body)
    assert (r.command_id, r.status) == (m.DATA_SM_RESP, 0), str(r)
    mid = r.body.rstrip(b"\x00").decode()
    assert m.receipt_for(trx, mid).receipt()["stat"] == "DELIVRD"
    dests = b"\x01\x01\x01+447700900123\x00" + b"\x01\x01\x01bogus\x00"
    body = (b"\x00" + b"\x01\x01" + b"\x00" + b"\x02" + dests + b"\x00\x00\x00" + b"\x00" + b"\x00"
            + b"\x00\x00\x01\x00" + b"\x05hello")
    r = trx.request(m.SUBMIT_MULTI, body)
    assert (r.command_id, r.status) == (m.SUBMIT_MULTI_RESP, 0), str(r)
    mid, pos = smpp.read_cstring(r.body, 0, 65, "message_id")
    assert HEX_ID.match(mid.decode()) and r.body[pos] == 1 and b"bogus" in r.body


def test_decimal_message_ids(smppd):
    """C-SUB-1: server.message-id-format = decimal gives digits only, usable in query_sm."""
    d = smppd(accounts=[ACME], server={"message-id-format": "decimal"})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        mid = m.submit_ok(c, "+447700900123")
        assert mid.isdigit() and len(mid) <= 20
        assert m.receipt_for(c, mid).receipt()["id"] == mid
        assert m.decode_query_resp(m.query(c, mid))[0] == mid


def test_c_sub_7_validity_period_ends_expired(trx):
    """C-SUB-7: a message not delivered within its validity_period ends EXPIRED (9994 takes 10 s;
    a relative validity of 2 s expires it first), with an EXPIRED receipt."""
    start = time.monotonic()
    mid = m.submit_ok(trx, "+447700909994", validity_period="000000000002000R")
    r = m.receipt_for(trx, mid, timeout=8).receipt()
    assert r["stat"] == "EXPIRED" and 1.5 <= time.monotonic() - start < 8
    assert m.decode_query_resp(m.query(trx, mid))[2] == 3


def test_c_mgt_1_query_shows_accepted_between_acceptd_and_unknown(trx):
    """C-MGT-1 / C-SIM-2 9995: after the ACCEPTD receipt, query_sm answers ACCEPTED (6)."""
    mid = m.submit_ok(trx, "+447700909995")
    assert m.receipt_for(trx, mid).receipt()["stat"] == "ACCEPTD"
    assert m.decode_query_resp(m.query(trx, mid))[2] == 6
    assert m.receipt_for(trx, mid, timeout=5).receipt()["stat"] == "UNKNOWN"
