"""Client-side helpers for the messaging tests: submit variants, deliver_sm and query_sm_resp
decoding, receipt parsing. Independent of the server's code (its own struct packing)."""

import dataclasses
import json
import re
import struct
import time
import urllib.error
import urllib.request

import smpp

DATA_SM = 0x00000103
DATA_SM_RESP = 0x80000103
SUBMIT_MULTI = 0x00000021
SUBMIT_MULTI_RESP = 0x80000021

TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
TLV_NETWORK_ERROR_CODE = 0x0423
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F

RECEIPT_RE = re.compile(
    rb"^id:(?P<id>\S+) sub:001 dlvrd:(?P<dlvrd>00[01]) submit date:(?P<submit>\d{10}) "
    rb"done date:(?P<done>\d{10}) stat:(?P<stat>DELIVRD|EXPIRED|DELETED|UNDELIV|ACCEPTD|UNKNOWN|REJECTD) "
    rb"err:(?P<err>\d{3}) text:(?P<text>.{0,20})$", re.S)

STATE_OF_STAT = {"DELIVRD": 2, "EXPIRED": 3, "DELETED": 4, "UNDELIV": 5, "ACCEPTD": 6, "UNKNOWN": 7, "REJECTD": 8}


@dataclasses.dataclass
class Deliver:
    pdu: smpp.Pdu
    source: str
    destination: str
    esm_class: int
    data_coding: int
    short_message: bytes
    tlvs: dict

    @property
    def is_receipt(self) -> bool:
        return self.esm_class & 0x3C == 0x04

    def receipt(self) -> dict:
        m = RECEIPT_RE.match(self.short_message)
        assert m, f"receipt text does not match C-DLV-1: {self.short_message!r}"
        return {k: v.decode() for k, v in m.groupdict().items()}


def decode_deliver_sm(pdu: smpp.Pdu) -> Deliver:
    b = pdu.body
    _, pos = smpp.read_cstring(b, 0, 6, "service_type")
    pos += 2
    src, pos = smpp.read_cstring(b, pos, 21, "source_addr")
    pos += 2
    dst, pos = smpp.read_cstring(b, pos, 21, "destination_addr")
    esm = b[pos]
    pos += 3
    _, pos = smpp.read_cstring(b, pos, 17, "schedule_delivery_time")
    _, pos = smpp.read_cstring(b, pos, 17, "validity_period")
    coding = b[pos + 2]
    length = b[pos + 4]
    pos += 5
    sm = b[pos:pos + length]
    tlvs = smpp.decode_tlvs(b, pos + length)
    return Deliver(pdu, src.decode(), dst.decode(), esm, coding, sm, tlvs)


def submit(client: smpp.Client, destination: str, text: bytes = b"hello world", **fields) -> smpp.Pdu:
    fields.setdefault("registered_delivery", 1)
    return client.request_raw(smpp.submit_sm(client.next_seq(), destination, text, **fields))


def submit_ok(client: smpp.Client, destination: str, text: bytes = b"hello world", **fields) -> str:
    pdu = submit(client, destination, text, **fields)
    assert pdu.command_id == smpp.SUBMIT_SM_RESP and pdu.status == 0, f"submit_sm refused: {pdu}"
    mid = smpp.decode_submit_sm_resp(pdu)
    assert mid, f"no message_id in {pdu}"
    return mid


def next_deliver(client: smpp.Client, timeout: float = 5.0, *, answer: int | None = 0,
                 predicate=lambda d: True) -> Deliver:
    """The next deliver_sm matching `predicate`; answered with deliver_sm_resp `answer`
    (None: not answered)."""
    found = []
    # deliver_sm that arrived while the client waited for something else are kept unanswered
    # in `unsolicited` by smpp.Client: look there first.
    for p in list(client.unsolicited):
        if p.command_id == smpp.DELIVER_SM:
            d = decode_deliver_sm(p)
            client.unsolicited.remove(p)
            if answer is not None:
                client.send_raw(smpp.encode_pdu(smpp.DELIVER_SM_RESP, p.sequence, b"\x00", answer))
            if predicate(d):
                return d

    def match(p):
        if p.command_id != smpp.DELIVER_SM:
            return False
        d = decode_deliver_sm(p)
        if predicate(d):
            found.append(d)
            return True
        if answer is not None:
            client.send_raw(smpp.encode_pdu(smpp.DELIVER_SM_RESP, p.sequence, b"\x00", answer))
        return False

    client.wait_for(match, timeout, what="deliver_sm")
    d = found[0]
    if answer is not None:
        client.send_raw(smpp.encode_pdu(smpp.DELIVER_SM_RESP, d.pdu.sequence, b"\x00", answer))
    return d


def receipt_for(client: smpp.Client, message_id: str, timeout: float = 5.0, answer: int | None = 0) -> Deliver:
    return next_deliver(client, timeout, answer=answer,
                        predicate=lambda d: d.is_receipt and d.tlvs.get(TLV_RECEIPTED_MESSAGE_ID, b"").rstrip(b"\x00").decode() == message_id)


def query(client: smpp.Client, message_id: str, source: str = "+12125550100") -> smpp.Pdu:
    return client.request_raw(smpp.query_sm(client.next_seq(), message_id, source_addr=source))


def decode_query_resp(pdu: smpp.Pdu) -> tuple[str, str, int, int]:
    mid, pos = smpp.read_cstring(pdu.body, 0, 65, "message_id")
    final, pos = smpp.read_cstring(pdu.body, pos, 17, "final_date")
    return mid.decode(), final.decode(), pdu.body[pos], pdu.body[pos + 1]


def cancel(client: smpp.Client, message_id: str, source: str = "+12125550100") -> smpp.Pdu:
    return client.request_raw(smpp.cancel_sm(client.next_seq(), message_id, source_addr=source))


def tlv(tag: int, value: bytes) -> bytes:
    return struct.pack(">HH", tag, len(value)) + value


def http(daemon, method: str, path: str, body=None, token: str | None = None) -> tuple[int, str]:
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(f"http://127.0.0.1:{daemon.admin_port}{path}", data=data, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric(text: str, name: str, **labels) -> float | None:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == (f"{name}{{{want}}}" if want else name):
            return float(value)
    return None


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = predicate()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
