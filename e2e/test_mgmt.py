"""query_sm and cancel_sm (C-MGT-1, C-MGT-2): every message_state, final_date, error_code,
foreign and unknown ids; cancel before forwarding, after forwarding, after final, unknown."""

import pytest

import msgkit
import smpp
from msgkit import ACME, BETA, ORDINARY, dest


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME, BETA])


@pytest.fixture
def trx(daemon):
    with daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        yield c


def _query(c, mid) -> smpp.QuerySmResp:
    pdu = c.query(mid)
    assert pdu.command_id == smpp.QUERY_SM_RESP and pdu.status == 0, f"query_sm {mid}: {pdu}"
    q = smpp.decode_query_sm_resp(pdu)
    assert q.message_id == mid, f"query_sm_resp message_id {q.message_id!r} != {mid!r}"
    return q


@pytest.mark.parametrize("last4,stat,state,error_code", [
    (1234, "DELIVRD", smpp.STATE_DELIVERED, 0),
    (9991, "UNDELIV", smpp.STATE_UNDELIVERABLE, 1),
    (9992, "EXPIRED", smpp.STATE_EXPIRED, None),
    (9993, "REJECTD", smpp.STATE_REJECTED, None),
    (9995, "UNKNOWN", smpp.STATE_UNKNOWN, None),
])
def test_c_mgt_1_query_final_states(trx, last4, stat, state, error_code):
    """C-MGT-1: after the final receipt, query_sm_resp has the same message_id, message_state
    (DELIVERED 2, UNDELIVERABLE 5, EXPIRED 3, REJECTED 8, UNKNOWN 7), final_date
    YYMMDDhhmmss000+ and error_code (0 delivered, 1 for 9991's err 001)."""
    mid = trx.submit_ok(dest(last4), b"query me", registered_delivery=1)
    msgkit.receipts_by_id(trx, [mid], 5, stat=stat)
    q = _query(trx, mid)
    assert q.message_state == state, f"{q}"
    assert msgkit.FINAL_DATE.match(q.final_date), f"final_date {q.final_date!r}"
    if error_code is not None:
        assert q.error_code == error_code, f"{q}"


def test_c_mgt_1_query_enroute_then_deleted(trx):
    """C-MGT-1/2: a held 9990 message is ENROUTE 1 with an empty final_date; cancel_sm ->
    status 0, a DELETED receipt (stat DELETED, message_state 4) with the same id; query then
    shows DELETED 4 and a final_date."""
    mid = trx.submit_ok(dest(9990), b"held", registered_delivery=1)
    q = _query(trx, mid)
    assert (q.message_state, q.final_date) == (smpp.STATE_ENROUTE, ""), f"{q}"
    pdu = trx.cancel(mid)
    assert (pdu.command_id, pdu.status) == (smpp.CANCEL_SM_RESP, 0), str(pdu)
    r = msgkit.receipts_by_id(trx, [mid], 5)[mid]
    msgkit.check_receipt(r.pdu, message_id=mid, stat="DELETED", original_dest=dest(9990))
    q = _query(trx, mid)
    assert q.message_state == smpp.STATE_DELETED and msgkit.FINAL_DATE.match(q.final_date), f"{q}"
    again = trx.cancel(mid)
    assert again.status == smpp.ESME_RCANCELFAIL, f"second cancel: {again}"


def test_c_mgt_2_cancel_without_receipt_request(trx):
    """C-MGT-2: cancel of a held message that asked no receipt -> status 0, DELETED, no receipt."""
    mid = trx.submit_ok(dest(9990), b"quiet", registered_delivery=0)
    assert trx.cancel(mid).status == 0
    assert _query(trx, mid).message_state == smpp.STATE_DELETED
    marker = trx.submit_ok(ORDINARY, b"marker", registered_delivery=1)
    (d,) = trx.collect_delivers(1, 5, predicate=lambda d: d.is_receipt and msgkit.Receipt(d).id in (mid, marker))
    assert msgkit.Receipt(d).id == marker, "receipt for a cancelled message that asked none"


def test_c_mgt_1_query_accepted_via_forced_state(daemon, trx):
    """C-MGT-1: a message forced to ACCEPTD (admin) queries as ACCEPTED 6, not final."""
    mid = trx.submit_ok(dest(9990), b"accept", registered_delivery=1)
    r = msgkit.admin(daemon, "POST", f"/v1/messages/{mid}/state", {"state": "ACCEPTD"})
    assert r.status == 200, r
    assert _query(trx, mid).message_state == smpp.STATE_ACCEPTED
    assert trx.cancel(mid).status in (0, smpp.ESME_RCANCELFAIL)  # leave nothing held behind


def test_c_mgt_1_query_accepted_between_acceptd_and_unknown(trx):
    """C-MGT-1 / C-SIM-2 9995: between its ACCEPTD receipt and its UNKNOWN receipt (1 s later)
    query_sm answers ACCEPTED 6, not final; then UNKNOWN follows."""
    mid = trx.submit_ok(dest(9995), b"accepted first", registered_delivery=1)
    msgkit.receipts_by_id(trx, [mid], 5, stat="ACCEPTD")
    q = _query(trx, mid)
    assert q.message_state == smpp.STATE_ACCEPTED, f"{q}"
    msgkit.receipts_by_id(trx, [mid], 5, stat="UNKNOWN")


def test_c_mgt_1_query_foreign_and_unknown_ids(daemon, trx):
    """C-MGT-1: another account's message id and an unknown id -> ESME_RQUERYFAIL 0x67."""
    mid = trx.submit_ok(ORDINARY, b"mine")
    with daemon.connect() as beta:
        beta.bind_ok("transceiver", "beta", "b3ta")
        assert beta.query(mid).status == smpp.ESME_RQUERYFAIL
        assert beta.cancel(mid).status == smpp.ESME_RCANCELFAIL
    for unknown in ("ffffffffffffffff", "0", "not-an-id", ""):
        pdu = trx.query(unknown)
        assert (pdu.command_id, pdu.status) == (smpp.QUERY_SM_RESP, smpp.ESME_RQUERYFAIL), f"{unknown!r}: {pdu}"


def test_c_mgt_2_cancel_after_forwarding_final_or_unknown(trx):
    """C-MGT-2: cancel_sm of a message already with the carrier (9994, 10 s in flight), of a
    delivered one, or of an unknown id -> ESME_RCANCELFAIL 0x11."""
    inflight = trx.submit_ok(dest(9994), b"in flight")
    msgkit.wait_state(trx, inflight, smpp.STATE_ENROUTE)
    delivered = trx.submit_ok(ORDINARY, b"done", registered_delivery=1)
    msgkit.receipts_by_id(trx, [delivered], 5)
    for mid in (inflight, delivered, "ffffffffffffffff"):
        pdu = trx.cancel(mid)
        assert (pdu.command_id, pdu.status) == (smpp.CANCEL_SM_RESP, smpp.ESME_RCANCELFAIL), f"{mid}: {pdu}"
    assert _query(trx, inflight).message_state == smpp.STATE_ENROUTE, "refused cancel changed the message"


def test_c_mgt_2_hold_ms_makes_ordinary_messages_cancellable(smppd):
    """C-MGT-2 / messages.hold-ms: with hold-ms 5000 an ordinary message can be cancelled."""
    d = smppd(accounts=[ACME], messages={"hold-ms": 5000})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        mid = c.submit_ok(ORDINARY, b"held by config", registered_delivery=1)
        assert c.cancel(mid).status == 0
        msgkit.receipts_by_id(c, [mid], 5, stat="DELETED")
