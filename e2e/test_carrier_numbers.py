"""The carrier simulation's test numbers (C-SIM-2) and outcome mix (C-SIM-1), all at once so the
slow ones (9994: 10 s) overlap; plus validity_period expiry (C-SUB-7)."""

import time

import pytest

import msgkit
import smpp
from msgkit import ACME, ORDINARY, dest


def test_c_sim_2_every_test_number(smppd):
    """C-SIM-2, one submit each (registered_delivery 1), concurrently:
    9990 held: ENROUTE, cancel_sm OK -> DELETED receipt, query DELETED 4;
    9991 UNDELIV err 001; 9992 EXPIRED; 9993 REJECTD; 9994 DELIVRD after >= 10 s (bounded 15 s);
    9995 ACCEPTD receipt then UNKNOWN receipt, same id; 9996/9997/9998 -> 0x45/0x58/0x14 and no
    id; an ordinary number DELIVRD within ~1 s. Each receipt's TLVs agree with its text."""
    d = smppd(accounts=[ACME])
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        started = time.monotonic()
        slow = c.submit_ok(dest(9994), b"slow one", registered_delivery=1)
        ids = {n: c.submit_ok(dest(n), b"number %d" % n, registered_delivery=1) for n in (9990, 9991, 9992, 9993, 9995)}
        ordinary = c.submit_ok(ORDINARY, b"ordinary", registered_delivery=1)
        for n, want in ((9996, smpp.ESME_RSUBMITFAIL), (9997, smpp.ESME_RTHROTTLED), (9998, smpp.ESME_RMSGQFUL)):
            pdu = c.submit(dest(n), b"refused", registered_delivery=1)
            assert (pdu.command_id, pdu.status) == (smpp.SUBMIT_SM_RESP, want), f"{n}: {pdu}"
            assert not smpp.decode_submit_sm_resp(pdu)

        q = smpp.decode_query_sm_resp(c.query(ids[9990]))
        assert q.message_state == smpp.STATE_ENROUTE and q.final_date == "", f"9990 {q}"
        assert c.cancel(ids[9990]).status == 0

        receipts: dict[str, list] = {}
        arrival: dict[str, float] = {}
        want_counts = {ids[9990]: 1, ids[9991]: 1, ids[9992]: 1, ids[9993]: 1, ids[9995]: 2, ordinary: 1, slow: 1}
        deadline = started + 15
        while any(len(receipts.get(m, [])) < k for m, k in want_counts.items()):
            remaining = deadline - time.monotonic()
            missing = {m: k for m, k in want_counts.items() if len(receipts.get(m, [])) < k}
            assert remaining > 0, f"receipts missing after 15 s: {missing}; have {receipts}"
            try:
                r = msgkit.check_receipt(c.next_deliver(remaining))
            except smpp.PduTimeout:
                continue
            receipts.setdefault(r.id, []).append(r)
            arrival.setdefault(r.id, time.monotonic() - started)

        def only(mid):
            (r,) = receipts[mid]
            return r

        assert only(ids[9990]).stat == "DELETED"
        assert (only(ids[9991]).stat, only(ids[9991]).err) == ("UNDELIV", "001")
        assert only(ids[9992]).stat == "EXPIRED"
        assert only(ids[9993]).stat == "REJECTD"
        assert [r.stat for r in receipts[ids[9995]]] == ["ACCEPTD", "UNKNOWN"], receipts[ids[9995]]
        assert only(ordinary).stat == "DELIVRD"
        assert arrival[ordinary] < 1.5, f"ordinary receipt after {arrival[ordinary]:.2f}s with a 5-50 ms carrier"
        assert only(slow).stat == "DELIVRD"
        assert arrival[slow] >= 10.0 - 0.05, f"9994 delivered after {arrival[slow]:.2f}s, want >= 10 s"

        states = {9990: smpp.STATE_DELETED, 9991: smpp.STATE_UNDELIVERABLE, 9992: smpp.STATE_EXPIRED,
                  9993: smpp.STATE_REJECTED, 9995: smpp.STATE_UNKNOWN}
        for n, state in states.items():
            q = smpp.decode_query_sm_resp(c.query(ids[n]))
            assert q.message_state == state, f"{n}: {q}"
        assert smpp.decode_query_sm_resp(c.query(slow)).message_state == smpp.STATE_DELIVERED


def test_c_sim_1_outcome_mix_is_configurable(smppd):
    """C-SIM-1: carrier weights delivered 0 / undeliverable 1 -> ordinary numbers end UNDELIV;
    test numbers still behave as documented (9993 REJECTD)."""
    d = smppd(accounts=[ACME], carrier={"delivered": 0, "undeliverable": 1})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        ids = [c.submit_ok(dest(1000 + i), b"mix", registered_delivery=1) for i in range(5)]
        rej = c.submit_ok(dest(9993), b"rej", registered_delivery=1)
        got = msgkit.receipts_by_id(c, ids + [rej], 5)
        assert {got[m].stat for m in ids} == {"UNDELIV"}, got
        assert got[rej].stat == "REJECTD"


def test_c_sim_2_test_numbers_can_be_switched_off(smppd):
    """C-SIM-2 (configurable): carrier.test-numbers false -> 9996 is an ordinary number."""
    d = smppd(accounts=[ACME], carrier={"test-numbers": False})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        mid = c.submit_ok(dest(9996), b"plain", registered_delivery=1)
        assert msgkit.receipts_by_id(c, [mid], 5)[mid].stat == "DELIVRD"


@pytest.mark.parametrize("last4", [9990, 9994], ids=["held", "with-the-carrier"])
def test_c_sub_7_validity_period_expires_undelivered_message(smppd, last4):
    """C-SUB-7: validity_period is honoured: a message with a 2 s relative validity that is
    still held (9990, held 60 s) or still with the carrier (9994, delivered after 10 s) ends
    EXPIRED with an EXPIRED receipt at about 2 s: not at once, and well before it would have
    been delivered."""
    d = smppd(accounts=[ACME])
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        started = time.monotonic()
        mid = c.submit_ok(dest(last4), b"short-lived", validity_period="000000000002000R", registered_delivery=1)
        r = msgkit.receipts_by_id(c, [mid], 8)[mid]
        elapsed = time.monotonic() - started
        assert r.stat == "EXPIRED", r
        assert 1.5 <= elapsed < 8, f"EXPIRED receipt after {elapsed:.2f}s for a 2 s validity"
        assert smpp.decode_query_sm_resp(c.query(mid)).message_state == smpp.STATE_EXPIRED
