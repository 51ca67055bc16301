"""Messaging with a real third-party client, Python smpplib 2.2.4 over TLS (C-SUB-1, C-SUB-5,
C-DLV-1, C-MGT-1): send_message (a short text and a long one split by smpplib.gsm.make_parts),
submit_sm_resp ids through the message-sent handler, receipts through the message-received
handler (smpplib answers deliver_sm_resp itself), then query_sm."""

import time

import pytest
import smpplib.client
import smpplib.consts
import smpplib.gsm

import msgkit
import smpp
from msgkit import ACME, ACME_DEFAULT, ORDINARY


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME])


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


class Recorder:
    def __init__(self):
        self.sent, self.received, self.queries = [], [], []

    def on_sent(self, pdu, **_):
        self.sent.append((pdu.status, _text(pdu.message_id)))

    def on_received(self, pdu, **_):
        self.received.append(pdu)
        return 0

    def on_query(self, pdu, **_):
        self.queries.append(pdu)


def _pump(c, until, timeout):
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "smpplib: condition not reached in time"
        c.read_once()


def test_smpplib_send_receipts_query_over_tls(daemon):
    """C-SUB-1/5, C-DLV-1, C-MGT-1 via smpplib over TLS: a short Latin-1 text, a 396-char text in
    3 UDH parts and a UCS-2 emoji text -> 5 submit_sm_resp OK with 5 distinct hex ids; a DELIVRD
    receipt for each (receipted_message_id = id:); query_sm of two -> DELIVERED 2."""
    rec = Recorder()
    c = smpplib.client.Client("127.0.0.1", daemon.port, timeout=1, allow_unknown_opt_params=True,
                              ssl_context=smpp.client_context())
    c.set_message_sent_handler(rec.on_sent)
    c.set_message_received_handler(rec.on_received)
    c.set_query_resp_handler(rec.on_query)
    c.connect()
    try:
        c.bind_transceiver(system_id="acme", password="secret")
        long_text = "smpplib long message. " * 18  # 396 characters -> 3 UDH parts
        messages = [("Hello from smpplib", smpplib.consts.SMPP_ENCODING_ISO88591),
                    (long_text, smpplib.consts.SMPP_ENCODING_ISO88591),
                    ("Emoji 😀 via smpplib", smpplib.consts.SMPP_ENCODING_ISO10646)]
        n_parts = 0
        for text, encoding in messages:
            parts, encoding_flag, esm_class = smpplib.gsm.make_parts(text, encoding=encoding)
            if text is long_text:
                assert len(parts) == 3, f"make_parts gave {len(parts)} parts"
            for part in parts:
                c.send_message(source_addr_ton=smpplib.consts.SMPP_TON_INTL, source_addr_npi=1,
                               source_addr=ACME_DEFAULT.lstrip("+"),
                               dest_addr_ton=smpplib.consts.SMPP_TON_INTL, dest_addr_npi=1,
                               destination_addr=ORDINARY.lstrip("+"), short_message=part,
                               data_coding=encoding_flag, esm_class=esm_class, registered_delivery=True)
                n_parts += 1
        _pump(c, lambda: len(rec.sent) >= n_parts, 10)
        assert all(status == 0 for status, _ in rec.sent), rec.sent
        ids = [mid for _, mid in rec.sent]
        assert len(set(ids)) == n_parts == 5 and all(msgkit.HEX_ID.match(i) for i in ids), ids

        def receipt_ids():
            return {_text(p.receipted_message_id) for p in rec.received if p.receipted_message_id}

        _pump(c, lambda: set(ids) <= receipt_ids(), 10)
        for p in rec.received:
            assert int(p.esm_class) & 0x3C == 0x04
            m = msgkit.RECEIPT_RE.match(p.short_message.decode("latin-1"))
            assert m and m["id"] == _text(p.receipted_message_id) and m["stat"] == "DELIVRD", p.short_message

        for mid in ids[:2]:
            c.query_message(message_id=mid, source_addr_ton=smpplib.consts.SMPP_TON_INTL, source_addr_npi=1,
                            source_addr=ACME_DEFAULT.lstrip("+"))
        _pump(c, lambda: len(rec.queries) >= 2, 10)
        for q, mid in zip(rec.queries, ids[:2]):
            assert q.status == 0 and _text(q.message_id) == mid
            assert int(q.message_state) == smpp.STATE_DELIVERED
        c.unbind()
    finally:
        c.disconnect()
