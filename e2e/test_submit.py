"""submit_sm (C-SUB-1..8, C-ERR-1): every row of docs/messaging.md's status table provoked once,
the check order, message_id shapes, concatenation (UDH, sar_*, message_payload), credits and
submit rate; data_sm and submit_multi under the same rules. Two rows are provoked where their
CONTRACT point lives: the bind state (C-BIND-4) in test_bind.py, the refusing test numbers
9996/9997/9998 (C-SIM-2) in test_carrier_numbers.py."""

import time

import pytest

import harness
import msgkit
import smpp
from msgkit import ACME, ACME_DEFAULT, ACME_OTHER, BETA, ORDINARY, dest

GOOD = dict(source_addr=ACME_DEFAULT)


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME, BETA])


@pytest.fixture
def trx(daemon):
    with daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        yield c


def _status(c, destination=ORDINARY, sm=b"hello", **fields):
    pdu = c.submit(destination, sm, **fields)
    assert pdu.command_id == smpp.SUBMIT_SM_RESP, f"submit_sm answered by {pdu}"
    return pdu.status


def _udh_text(n: int, *, ucs2: bool = False) -> tuple[bytes, int]:
    """(short_message, data_coding): an 8-bit-ref concatenation UDH + n characters."""
    body = smpp.ucs2("é" * n) if ucs2 else b"x" * n
    return smpp.concat_udh(7, 2, 1) + body, (0x08 if ucs2 else 0x00)


# Each row: (id, fields for submit_sm, expected status). Destination ORDINARY unless given.
REJECTED = [
    ("sched-set", dict(schedule_delivery_time="000001000000000R"), smpp.ESME_RINVSCHED),
    ("sched-absolute", dict(schedule_delivery_time="301231235959000+"), smpp.ESME_RINVSCHED),
    ("validity-short", dict(validity_period="0001"), smpp.ESME_RINVEXPIRY),
    ("validity-bad-suffix", dict(validity_period="000001000000000X"), smpp.ESME_RINVEXPIRY),
    ("dest-ton-7", dict(dest_addr_ton=7), smpp.ESME_RINVDSTTON),
    ("dest-ton-255", dict(dest_addr_ton=0xFF), smpp.ESME_RINVDSTTON),
    ("dest-npi-2", dict(dest_addr_npi=2), smpp.ESME_RINVDSTNPI),
    ("dest-npi-19", dict(dest_addr_npi=19), smpp.ESME_RINVDSTNPI),
    ("src-ton-7", dict(source_addr_ton=7, **GOOD), smpp.ESME_RINVSRCTON),
    ("src-npi-5", dict(source_addr_npi=5, **GOOD), smpp.ESME_RINVSRCNPI),
    ("src-not-ours", dict(source_addr="+19998887777"), smpp.ESME_RINVSRCADR),
    ("src-other-account", dict(source_addr=msgkit.BETA_NUMBER), smpp.ESME_RINVSRCADR),
    ("dcs-02", dict(data_coding=0x02), 0x104),
    ("dcs-04", dict(data_coding=0x04), 0x104),
    ("dcs-f0", dict(data_coding=0xF0), 0x104),
    ("ascii-161", dict(sm=b"a" * 161), smpp.ESME_RINVMSGLEN),
    ("latin1-161", dict(sm=b"\xe9" * 161, data_coding=0x03), smpp.ESME_RINVMSGLEN),
    ("ucs2-71", dict(sm=smpp.ucs2("я" * 71), data_coding=0x08), smpp.ESME_RINVMSGLEN),
    ("ucs2-odd", dict(sm=b"\x00a\x00", data_coding=0x08), smpp.ESME_RINVMSGLEN),
    ("ucs2-emoji-71-units", dict(sm=smpp.ucs2("😀" * 35 + "a"), data_coding=0x08), smpp.ESME_RINVMSGLEN),
    ("udh-154", dict(sm=_udh_text(154)[0], esm_class=0x40), smpp.ESME_RINVMSGLEN),
    ("udh-ucs2-68", dict(sm=_udh_text(68, ucs2=True)[0], data_coding=0x08, esm_class=0x40), smpp.ESME_RINVMSGLEN),
    ("udh-udhl-overruns", dict(sm=b"\x20\x00\x03\x07\x02\x01hi", esm_class=0x40), smpp.ESME_RINVMSGLEN),
    ("udh-iei-len-wrong", dict(sm=b"\x05\x00\x02\x07\x02\x01hi", esm_class=0x40), smpp.ESME_RINVMSGLEN),
    ("udh-seq-0", dict(sm=smpp.concat_udh(7, 2, 0) + b"hi", esm_class=0x40), smpp.ESME_RINVMSGLEN),
    ("udh-seq-over-total", dict(sm=smpp.concat_udh(7, 2, 3) + b"hi", esm_class=0x40), smpp.ESME_RINVMSGLEN),
    ("udh-total-0", dict(sm=smpp.concat_udh(7, 0, 1) + b"hi", esm_class=0x40), smpp.ESME_RINVMSGLEN),
    ("udh-flag-empty-sm", dict(sm=b"", esm_class=0x40), smpp.ESME_RINVMSGLEN),
    ("sar-seq-over-total", dict(tlvs=smpp.sar_tlvs(9, 2, 3)), smpp.ESME_RINVMSGLEN),
    ("sar-seq-0", dict(tlvs=smpp.sar_tlvs(9, 2, 0)), smpp.ESME_RINVMSGLEN),
    ("sar-total-0", dict(tlvs=smpp.sar_tlvs(9, 0, 1)), smpp.ESME_RINVMSGLEN),
    ("sar-154", dict(sm=b"s" * 154, tlvs=smpp.sar_tlvs(9, 2, 1)), smpp.ESME_RINVMSGLEN),
    ("sar-partial-set", dict(tlvs=smpp.tlv_u8(smpp.TLV_SAR_TOTAL_SEGMENTS, 2)), smpp.ESME_RINVMSGLEN),
    ("sm-and-payload", dict(sm=b"hi", tlvs=smpp.tlv(smpp.TLV_MESSAGE_PAYLOAD, b"there")), smpp.ESME_RINVMSGLEN),
]

BAD_E164 = ["", "12345", "+1234567", "1234567", "+1234567890123456", "+0123456789", "012125551234",
            "+1212abc5555", "+1212555123a", "++12125551234", "+1 2125551234", "+1-212-555-1234", "+"]


@pytest.mark.parametrize("fields,want", [r[1:] for r in REJECTED], ids=[r[0] for r in REJECTED])
def test_c_sub_status_table_rejections(trx, fields, want):
    """C-SUB-2/3/4/5/7, C-ERR-1: each rejecting row of the status table, provoked alone, answers
    submit_sm_resp with that status (v3.4 5.1.3 values; 0x104 for data_coding) and no message_id."""
    fields = dict(fields)
    sm = fields.pop("sm", b"hello")
    pdu = trx.submit(ORDINARY, sm, **fields)
    assert pdu.command_id == smpp.SUBMIT_SM_RESP, f"answered by {pdu}"
    assert pdu.status == want, f"status {smpp.status_name(pdu.status)}, want {smpp.status_name(want)}"
    assert not smpp.decode_submit_sm_resp(pdu), f"error answer carries a message_id: {pdu}"
    trx.enquire_link()  # the session survives every rejection


@pytest.mark.parametrize("address", BAD_E164, ids=[repr(a) for a in BAD_E164])
def test_c_sub_2_destination_not_e164(trx, address):
    """C-SUB-2: destination_addr not `+`? 8-15 digits, first not 0 -> ESME_RINVDSTADR 0x0B; the
    session stays usable."""
    assert _status(trx, address) == smpp.ESME_RINVDSTADR
    trx.enquire_link()


ACCEPTED = [
    ("8-digits", dict(destination="+12345678")),
    ("15-digits", dict(destination="+123456789012345")),
    ("no-plus", dict(destination="16465551234")),
    ("ton-npi-0", dict(dest_addr_ton=0, dest_addr_npi=0, source_addr_ton=0, source_addr_npi=0, **GOOD)),
    ("ton-6-npi-18", dict(dest_addr_ton=6, dest_addr_npi=18, source_addr_ton=6, source_addr_npi=18, **GOOD)),
    ("npi-14", dict(dest_addr_npi=14, source_addr_npi=10, **GOOD)),
    ("src-second-number-no-plus", dict(source_addr=ACME_OTHER.lstrip("+"))),
    ("src-default", dict(source_addr=ACME_DEFAULT)),
    ("validity-relative", dict(validity_period="000001000000000R")),
    ("validity-absolute", dict(validity_period=msgkit.absolute_time_in(days=30))),
    ("dcs-00", dict(data_coding=0x00)),
    ("dcs-01", dict(data_coding=0x01)),
    ("dcs-03-latin1-160", dict(data_coding=0x03, sm=b"\xe9" * 160)),
    ("dcs-08-ucs2-70", dict(data_coding=0x08, sm=smpp.ucs2("я" * 70))),
    ("ascii-160", dict(sm=b"a" * 160)),
    ("empty", dict(sm=b"")),
    ("udh-153", dict(sm=_udh_text(153)[0], esm_class=0x40)),
    ("udh16-152", dict(sm=smpp.concat_udh(300, 2, 1, ref16=True) + b"y" * 152, esm_class=0x40)),
    ("udh-ucs2-67", dict(sm=_udh_text(67, ucs2=True)[0], data_coding=0x08, esm_class=0x40)),
    ("udh16-ucs2-67", dict(sm=smpp.concat_udh(0x1234, 2, 1, ref16=True) + smpp.ucs2("я" * 67), data_coding=0x08,
                           esm_class=0x40)),
    ("sar-153", dict(sm=b"s" * 153, tlvs=smpp.sar_tlvs(9, 2, 1))),
    ("emoji-ucs2-35", dict(sm=smpp.ucs2("😀" * 35), data_coding=0x08)),
]


@pytest.mark.parametrize("fields", [r[1] for r in ACCEPTED], ids=[r[0] for r in ACCEPTED])
def test_c_sub_accepted_boundaries(trx, fields):
    """C-SUB-2/3/4/5: values at the edge of every rule are accepted (status 0 + message_id):
    8 and 15 digits, TON 0-6 / NPI of the v3.4 table, a second own number without '+', 160 / 70
    characters, 153 / 67 after a UDH, 35 emoji (70 UTF-16 units)."""
    fields = dict(fields)
    destination = fields.pop("destination", ORDINARY)
    sm = fields.pop("sm", b"hello")
    mid = trx.submit_ok(destination, sm, **fields)
    assert msgkit.HEX_ID.match(mid), f"message_id {mid!r} is not lower-case hex without leading zeros, <= 16"


ORDER = [
    # (id, destination, fields, expected): two faults at once, the earlier table row answers
    ("sched-before-dest", "123", dict(schedule_delivery_time="000001000000000R"), smpp.ESME_RINVSCHED),
    ("validity-before-dst-ton", ORDINARY, dict(validity_period="x", dest_addr_ton=9), smpp.ESME_RINVEXPIRY),
    ("dst-ton-before-dst-addr", "123", dict(dest_addr_ton=9), smpp.ESME_RINVDSTTON),
    ("dst-addr-before-src-ton", "123", dict(source_addr_ton=9), smpp.ESME_RINVDSTADR),
    ("src-npi-before-src-addr", ORDINARY, dict(source_addr_npi=2, source_addr="+19998887777"), smpp.ESME_RINVSRCNPI),
    ("src-addr-before-dcs", ORDINARY, dict(source_addr="+19998887777", data_coding=2), smpp.ESME_RINVSRCADR),
    ("dcs-before-length", ORDINARY, dict(data_coding=2, sm=b"a" * 200), 0x104),
    ("length-before-test-number", dest(9996), dict(sm=b"a" * 161), smpp.ESME_RINVMSGLEN),
    ("dst-addr-before-test-number", "+0009996", dict(), smpp.ESME_RINVDSTADR),
]


@pytest.mark.parametrize("destination,fields,want", [r[1:] for r in ORDER], ids=[r[0] for r in ORDER])
def test_c_sub_checks_in_table_order(trx, destination, fields, want):
    """docs/messaging.md: checks run in table order; with two faults the earlier row answers."""
    fields = dict(fields)
    sm = fields.pop("sm", b"hello")
    assert _status(trx, destination, sm, **fields) == want


def test_c_sub_2_empty_source_uses_default_number(trx):
    """C-SUB-2: source_addr empty -> the account's default number: the receipt goes to it."""
    mid = trx.submit_ok(ORDINARY, b"default source", source_addr="", registered_delivery=1)
    (d,) = trx.collect_delivers(1, 5, predicate=lambda d: d.is_receipt and msgkit.Receipt(d).id == mid)
    msgkit.check_receipt(d, message_id=mid, stat="DELIVRD", original_source=ACME_DEFAULT, original_dest=ORDINARY)


def test_c_sub_2_second_number_is_receipt_destination(trx):
    """C-SUB-2 / C-DLV-1: with source_addr one of the account's other numbers, the receipt's
    destination is that number."""
    mid = trx.submit_ok(ORDINARY, b"other source", source_addr=ACME_OTHER, registered_delivery=1)
    (d,) = trx.collect_delivers(1, 5, predicate=lambda d: d.is_receipt and msgkit.Receipt(d).id == mid)
    msgkit.check_receipt(d, message_id=mid, original_source=ACME_OTHER, original_dest=ORDINARY)


def test_c_sub_1_message_ids_hex_and_unique_over_1000(trx):
    """C-SUB-1: 1000 pipelined submits (window 50) get 1000 distinct ids, each lower-case hex
    without leading zeros, at most 16 characters."""
    ids, want, window, sent, seqs = [], 1000, 50, 0, {}
    while len(ids) < want:
        while sent < want and sent - len(ids) < window:
            seq = trx.next_seq()
            trx.send_raw(smpp.submit_sm(seq, ORDINARY, b"bulk %d" % sent))
            seqs[seq] = sent
            sent += 1
        pdu = trx.wait_for(lambda p: p.command_id in (smpp.SUBMIT_SM_RESP, smpp.GENERIC_NACK), 10)
        assert pdu.command_id == smpp.SUBMIT_SM_RESP and pdu.status == 0 and pdu.sequence in seqs, str(pdu)
        ids.append(smpp.decode_submit_sm_resp(pdu))
    bad = [i for i in ids if not i or not msgkit.HEX_ID.match(i)]
    assert not bad, f"ids not lower-case hex <= 16 without leading zeros: {bad[:5]}"
    assert len(set(ids)) == want, f"{want - len(set(ids))} duplicate message_ids"


@pytest.mark.parametrize("fmt,rx", [("decimal", msgkit.DECIMAL_ID), ("upper-hex", msgkit.UPPER_HEX_ID)])
def test_c_sub_1_message_id_format_option(smppd, fmt, rx):
    """server.message-id-format: decimal / upper-hex ids; the receipt and query_sm use the same string."""
    d = smppd(accounts=[ACME], server={"message-id-format": fmt})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        ids = [c.submit_ok(ORDINARY, b"fmt", registered_delivery=1) for _ in range(20)]
        assert all(rx.match(i) for i in ids), f"{fmt} ids: {ids}"
        assert len(set(ids)) == 20
        got = msgkit.receipts_by_id(c, ids, 5)
        assert set(got) == set(ids)
        q = smpp.decode_query_sm_resp(c.query(ids[0]))
        assert q.message_id == ids[0]


def test_c_sub_5_udh_segments_three_ids_three_receipts(trx):
    """C-SUB-5: a 3-segment message with 8-bit UDH: 3 submit_sm, 3 distinct ids, 3 receipts."""
    parts = [smpp.concat_udh(0x42, 3, i) + (b"%d" % i) * 153 for i in (1, 2, 3)]
    ids = [trx.submit_ok(ORDINARY, p, esm_class=0x40, registered_delivery=1) for p in parts]
    assert len(set(ids)) == 3
    got = msgkit.receipts_by_id(trx, ids, 5, stat="DELIVRD")
    assert set(got) == set(ids)


def test_c_sub_5_sar_segments_three_ids_three_receipts(trx):
    """C-SUB-5: the same with sar_msg_ref_num / sar_total_segments / sar_segment_seqnum TLVs."""
    ids = [trx.submit_ok(ORDINARY, b"p" * 153, tlvs=smpp.sar_tlvs(0x1234, 3, i), registered_delivery=1)
           for i in (1, 2, 3)]
    assert len(set(ids)) == 3
    assert set(msgkit.receipts_by_id(trx, ids, 5, stat="DELIVRD")) == set(ids)


def test_c_sub_5_message_payload_one_id_one_receipt(trx):
    """C-SUB-5: message_payload of 400 characters (sm_length 0): one id, one receipt whose
    text is the first 20 characters; no second receipt."""
    text = ("0123456789" * 40)
    mid = trx.submit_ok(ORDINARY, b"", tlvs=smpp.tlv(smpp.TLV_MESSAGE_PAYLOAD, text.encode()), registered_delivery=1)
    got = msgkit.receipts_by_id(trx, [mid], 5)
    msgkit.check_receipt(got[mid].pdu, message_id=mid, stat="DELIVRD", text=text)
    marker = trx.submit_ok(ORDINARY, b"marker", registered_delivery=1)
    later = trx.collect_delivers(1, 5, predicate=lambda d: d.is_receipt and msgkit.Receipt(d).id in (mid, marker))
    assert msgkit.Receipt(later[0]).id == marker, f"a second receipt for the payload message: {later}"


def test_c_sub_3_emoji_ucs2(trx):
    """C-SUB-3: UCS-2 with a surrogate pair (😀 = D8 3D DE 00) is accepted; the receipt's text
    field holds the start of the message (a non-ASCII character may be shown as one '?': the
    surrogate pair is one character, not two)."""
    text = "Hi 😀 there"
    sm = smpp.ucs2(text)
    assert b"\xd8\x3d\xde\x00" in sm
    mid = trx.submit_ok(ORDINARY, sm, data_coding=0x08, registered_delivery=1)
    r = msgkit.receipts_by_id(trx, [mid], 5)[mid]
    field = r.pdu.short_message.split(b" text:", 1)[1]
    shown = field.decode("utf-16-be") if r.pdu.data_coding == 0x08 else field.decode("latin-1")
    assert shown in (text, "Hi ? there"), f"receipt text field {field!r}"


@pytest.mark.parametrize("dc,text", [(0x01, "plain ascii"), (0x03, "café crème"), (0x08, "Привет")])
def test_c_sub_3_encodings_and_receipt_text(trx, dc, text):
    """C-SUB-3 / C-DLV-1: data_coding 1 ASCII, 3 Latin-1, 8 UCS-2 accepted; the receipt's text
    field is the message start (non-ASCII as '?' allowed)."""
    raw = smpp.ucs2(text) if dc == 8 else text.encode("latin-1")
    mid = trx.submit_ok(ORDINARY, raw, data_coding=dc, registered_delivery=1)
    r = msgkit.receipts_by_id(trx, [mid], 5)[mid]
    field = r.pdu.short_message.split(b" text:", 1)[1]
    shown = field.decode("utf-16-be") if r.pdu.data_coding == 0x08 else field.decode("latin-1")
    ascii_form = "".join(ch if ord(ch) < 128 else "?" for ch in text)
    assert shown in (text[:20], ascii_form[:20]), f"receipt text {shown!r} for {text!r}"


def test_c_sub_6_credits_per_segment_and_exhaustion(smppd):
    """C-SUB-6: credits 5: a 400-char message_payload costs 3 (smppd_credits_remaining 2), 9996 costs
    none, a 3-segment payload no longer fits (0x45, nothing charged), two singles use the rest,
    the next single -> ESME_RSUBMITFAIL 0x45."""
    d = smppd(accounts=[harness.account("acme", "secret", numbers=[ACME_DEFAULT], default_number=ACME_DEFAULT,
                                        credits=5)])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        assert msgkit.metric(msgkit.metrics(d), "smppd_credits_remaining", system_id="acme") == 5
        c.submit_ok(ORDINARY, b"", tlvs=smpp.tlv(smpp.TLV_MESSAGE_PAYLOAD, b"z" * 400))
        assert msgkit.metric(msgkit.metrics(d), "smppd_credits_remaining", system_id="acme") == 2
        assert _status(c, dest(9996)) == smpp.ESME_RSUBMITFAIL
        assert msgkit.metric(msgkit.metrics(d), "smppd_credits_remaining", system_id="acme") == 2, \
            "9996 charged a credit"
        assert _status(c, ORDINARY, b"", tlvs=smpp.tlv(smpp.TLV_MESSAGE_PAYLOAD, b"z" * 400)) == \
            smpp.ESME_RSUBMITFAIL
        c.submit_ok(ORDINARY, b"one")
        c.submit_ok(ORDINARY, b"two")
        assert msgkit.metric(msgkit.metrics(d), "smppd_credits_remaining", system_id="acme") == 0
        assert _status(c, ORDINARY, b"three") == smpp.ESME_RSUBMITFAIL


def test_c_sub_6_submit_rate_throttles(smppd):
    """C-SUB-6: submit-rate 5/s: 40 submits sent back to back -> some ESME_RTHROTTLED 0x58, at most
    5 per elapsed second (+1 burst) accepted; after a second's pause, submits pass again."""
    d = smppd(accounts=[harness.account("acme", "secret", numbers=[ACME_DEFAULT], default_number=ACME_DEFAULT,
                                        submit_rate=5)])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        start = time.monotonic()
        statuses = [_status(c, ORDINARY, b"r") for _ in range(40)]
        elapsed = time.monotonic() - start
        ok, throttled = statuses.count(0), statuses.count(smpp.ESME_RTHROTTLED)
        assert ok + throttled == 40, f"unexpected statuses {set(statuses)}"
        assert throttled > 0, "no ESME_RTHROTTLED at 8x the rate"
        assert 1 <= ok <= 5 * (elapsed + 1) + 1, f"{ok} accepted in {elapsed:.2f}s at 5/s"
        c.readable_soon(1.2)  # let the rate window pass (a bounded pause, nothing to wait for)
        assert _status(c, ORDINARY, b"after") == 0


def test_c_sub_store_full_is_rmsgqful(smppd):
    """Status table: store full of live messages -> ESME_RMSGQFUL 0x14: messages.max-records 2
    and two held (9990) messages: the third submit is refused."""
    d = smppd(accounts=[ACME], messages={"max-records": 2})
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        c.submit_ok(dest(9990), b"held 1")
        c.submit_ok(dest(9990), b"held 2")
        assert _status(c, dest(9990), b"held 3") == smpp.ESME_RMSGQFUL


def test_data_sm_same_rules_and_receipt(trx):
    """docs/messaging.md: data_sm follows submit_sm's rules: message_payload text -> data_sm_resp
    with a message_id and a receipt with it; a bad destination -> 0x0B; dcs 2 -> 0x104."""
    pdu = trx.request_raw(smpp.data_sm(trx.next_seq(), ORDINARY, b"via data_sm", registered_delivery=1))
    assert pdu.command_id == smpp.DATA_SM_RESP and pdu.status == 0, str(pdu)
    mid = smpp.decode_data_sm_resp(pdu).message_id
    assert mid and msgkit.HEX_ID.match(mid), f"data_sm_resp message_id {mid!r}"
    msgkit.check_receipt(msgkit.receipts_by_id(trx, [mid], 5)[mid].pdu, message_id=mid, stat="DELIVRD",
                         text="via data_sm")
    bad = trx.request_raw(smpp.data_sm(trx.next_seq(), "12345", b"x"))
    assert (bad.command_id, bad.status) == (smpp.DATA_SM_RESP, smpp.ESME_RINVDSTADR), str(bad)
    dcs = trx.request_raw(smpp.data_sm(trx.next_seq(), ORDINARY, b"x", data_coding=2))
    assert (dcs.command_id, dcs.status) == (smpp.DATA_SM_RESP, 0x104), str(dcs)
    rej = trx.request_raw(smpp.data_sm(trx.next_seq(), dest(9996), b"x"))
    assert rej.status == smpp.ESME_RSUBMITFAIL, str(rej)


def test_submit_multi_same_rules(trx):
    """docs/messaging.md: submit_multi to two valid destinations -> status 0, a message_id, no
    unsuccessful entries, and a receipt carrying that id; a bad destination among good ones:
    status 0 (the good one is submitted) and the bad one reported as an unsuccess_sme with
    ESME_RINVDSTADR; schedule_delivery_time -> 0x61."""
    pdu = trx.request_raw(smpp.submit_multi(trx.next_seq(), [ORDINARY, dest(1235)], b"to two", registered_delivery=1))
    assert pdu.command_id == smpp.SUBMIT_MULTI_RESP and pdu.status == 0, str(pdu)
    resp = smpp.decode_submit_multi_resp(pdu)
    assert resp.message_id and msgkit.HEX_ID.match(resp.message_id) and resp.unsuccess == [], str(resp)
    msgkit.receipts_by_id(trx, [resp.message_id], 5)
    pdu = trx.request_raw(smpp.submit_multi(trx.next_seq(), [ORDINARY, "12345"], b"one bad"))
    assert pdu.command_id == smpp.SUBMIT_MULTI_RESP and pdu.status == 0, str(pdu)
    resp = smpp.decode_submit_multi_resp(pdu)
    assert resp.message_id and msgkit.HEX_ID.match(resp.message_id), str(resp)
    assert [(u[2], u[3]) for u in resp.unsuccess] == [("12345", smpp.ESME_RINVDSTADR)], resp.unsuccess
    pdu = trx.request_raw(smpp.submit_multi(trx.next_seq(), [ORDINARY], b"s", schedule_delivery_time="000001000000000R"))
    assert pdu.status == smpp.ESME_RINVSCHED, str(pdu)
