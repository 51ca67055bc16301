"""Independent SMPP v3.4 client codec and blocking client for the end-to-end suite.

Written from the SMPP v3.4 specification (3.2 header, 4.1 binds, 4.3 generic_nack,
4.4 submit_sm, 4.8 query_sm, 4.9 cancel_sm, 4.11 enquire_link, 5.1.2/5.1.3 ids and
statuses). It deliberately shares nothing with smppd: a client that shares the
server's codec agrees with its bugs. One Client per thread; nothing here is shared.
"""

from __future__ import annotations

import dataclasses
import errno
import select
import socket
import ssl
import struct
import time
import warnings

HEADER = struct.Struct(">IIII")  # command_length, command_id, command_status, sequence_number
HEADER_LEN = HEADER.size
MAX_SEQUENCE = 0x7FFFFFFF
# Largest PDU this client accepts from the server; anything longer means the framing is lost.
CLIENT_MAX_PDU = 1 << 20

# --- command ids (5.1.2) -------------------------------------------------------------
GENERIC_NACK = 0x80000000
BIND_RECEIVER = 0x00000001
BIND_RECEIVER_RESP = 0x80000001
BIND_TRANSMITTER = 0x00000002
BIND_TRANSMITTER_RESP = 0x80000002
QUERY_SM = 0x00000003
QUERY_SM_RESP = 0x80000003
SUBMIT_SM = 0x00000004
SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
UNBIND = 0x00000006
UNBIND_RESP = 0x80000006
REPLACE_SM = 0x00000007
REPLACE_SM_RESP = 0x80000007
CANCEL_SM = 0x00000008
CANCEL_SM_RESP = 0x80000008
BIND_TRANSCEIVER = 0x00000009
BIND_TRANSCEIVER_RESP = 0x80000009
OUTBIND = 0x0000000B
ENQUIRE_LINK = 0x00000015
ENQUIRE_LINK_RESP = 0x80000015
SUBMIT_MULTI = 0x00000021
SUBMIT_MULTI_RESP = 0x80000021
DATA_SM = 0x00000103
DATA_SM_RESP = 0x80000103

RESPONSE_BIT = 0x80000000

COMMAND_NAMES = {
    value: name.lower()
    for name, value in list(globals().items())
    if name.isupper() and isinstance(value, int) and (name.startswith(("BIND", "GENERIC", "QUERY", "SUBMIT", "DELIVER", "UNBIND", "REPLACE", "CANCEL", "OUTBIND", "ENQUIRE", "DATA_SM")))
}

# bind mode name (as the daemon logs and configures it) -> (request id, response id)
BIND_MODES = {
    "transmitter": (BIND_TRANSMITTER, BIND_TRANSMITTER_RESP),
    "receiver": (BIND_RECEIVER, BIND_RECEIVER_RESP),
    "transceiver": (BIND_TRANSCEIVER, BIND_TRANSCEIVER_RESP),
}

# --- command_status values used by the suite (5.1.3) ---------------------------------
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVCMDLEN = 0x02
ESME_RINVCMDID = 0x03
ESME_RINVBNDSTS = 0x04
ESME_RALYBND = 0x05
ESME_RSYSERR = 0x08
ESME_RINVSRCADR = 0x0A
ESME_RINVDSTADR = 0x0B
ESME_RINVMSGID = 0x0C
ESME_RBINDFAIL = 0x0D
ESME_RINVPASWD = 0x0E
ESME_RINVSYSID = 0x0F
ESME_RCANCELFAIL = 0x11
ESME_RMSGQFUL = 0x14
ESME_RX_T_APPN = 0x64
ESME_RSUBMITFAIL = 0x45
ESME_RINVSRCTON = 0x48
ESME_RINVSRCNPI = 0x49
ESME_RINVDSTTON = 0x50
ESME_RINVDSTNPI = 0x51
ESME_RTHROTTLED = 0x58
ESME_RINVSCHED = 0x61
ESME_RINVEXPIRY = 0x62
ESME_RQUERYFAIL = 0x67
ESME_RX_P_APPN = 0x65
ESME_RINVPARLEN = 0xC2
ESME_RINVDCS = 0x104  # SMPP 5.0's code, in v3.4's extension range (docs/messaging.md)

STATUS_NAMES = {
    value: name for name, value in list(globals().items()) if name.startswith("ESME_R")
}

# --- field limits: maximum size of each C-Octet String *including* its NUL -------------
MAX_SYSTEM_ID = 16
MAX_PASSWORD = 9
MAX_SYSTEM_TYPE = 13
MAX_ADDRESS_RANGE = 41
MAX_SERVICE_TYPE = 6
MAX_ADDR = 21
MAX_TIME = 17
MAX_MESSAGE_ID = 65
MAX_SHORT_MESSAGE = 254

TLV_SC_INTERFACE_VERSION = 0x0210
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_SAR_MSG_REF_NUM = 0x020C
TLV_SAR_TOTAL_SEGMENTS = 0x020E
TLV_SAR_SEGMENT_SEQNUM = 0x020F
TLV_MESSAGE_PAYLOAD = 0x0424
TLV_NETWORK_ERROR_CODE = 0x0423
TLV_MESSAGE_STATE = 0x0427

# message_state values (5.2.28)
STATE_ENROUTE = 1
STATE_DELIVERED = 2
STATE_EXPIRED = 3
STATE_DELETED = 4
STATE_UNDELIVERABLE = 5
STATE_ACCEPTED = 6
STATE_UNKNOWN = 7
STATE_REJECTED = 8


def command_name(command_id: int) -> str:
    return COMMAND_NAMES.get(command_id, f"command_0x{command_id:08x}")


def status_name(status: int) -> str:
    return STATUS_NAMES.get(status, f"0x{status:08x}")


class DecodeError(ValueError):
    """Bytes from the server that are not a well-formed PDU (a server bug, by definition)."""


# --- encoding ------------------------------------------------------------------------

def _as_bytes(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("ascii")


def cstring(value: str | bytes, max_len: int, field: str = "field") -> bytes:
    """C-Octet String: the bytes plus NUL. `max_len` counts the NUL, as in the spec's tables.

    Raises ValueError on an embedded NUL or an over-long value; hostile tests build
    their bodies with raw bytes instead of bending this function.
    """
    raw = _as_bytes(value)
    if b"\x00" in raw:
        raise ValueError(f"{field}: embedded NUL")
    if len(raw) + 1 > max_len:
        raise ValueError(f"{field}: {len(raw)} bytes + NUL exceeds {max_len}")
    return raw + b"\x00"


def header(command_length: int, command_id: int, status: int, sequence: int) -> bytes:
    """A raw 16-byte header; no checks, so tests can lie about the length."""
    return HEADER.pack(command_length, command_id, status, sequence)


def encode_pdu(command_id: int, sequence: int, body: bytes = b"", status: int = 0) -> bytes:
    return HEADER.pack(HEADER_LEN + len(body), command_id, status, sequence) + body


def tlv(tag: int, value: bytes) -> bytes:
    return struct.pack(">HH", tag, len(value)) + value


def bind_body(system_id: str | bytes, password: str | bytes, system_type: str | bytes = "",
              interface_version: int = 0x34, addr_ton: int = 0, addr_npi: int = 0,
              address_range: str | bytes = "") -> bytes:
    return (cstring(system_id, MAX_SYSTEM_ID, "system_id")
            + cstring(password, MAX_PASSWORD, "password")
            + cstring(system_type, MAX_SYSTEM_TYPE, "system_type")
            + bytes([interface_version, addr_ton, addr_npi])
            + cstring(address_range, MAX_ADDRESS_RANGE, "address_range"))


def bind(mode: str, sequence: int, system_id: str | bytes, password: str | bytes, **fields) -> bytes:
    """bind_transmitter / bind_receiver / bind_transceiver, `mode` as in BIND_MODES."""
    return encode_pdu(BIND_MODES[mode][0], sequence, bind_body(system_id, password, **fields))


def enquire_link(sequence: int) -> bytes:
    return encode_pdu(ENQUIRE_LINK, sequence)


def enquire_link_resp(sequence: int) -> bytes:
    return encode_pdu(ENQUIRE_LINK_RESP, sequence)


def unbind(sequence: int) -> bytes:
    return encode_pdu(UNBIND, sequence)


def unbind_resp(sequence: int) -> bytes:
    return encode_pdu(UNBIND_RESP, sequence)


def generic_nack(sequence: int, status: int) -> bytes:
    return encode_pdu(GENERIC_NACK, sequence, status=status)


def submit_sm_body(destination_addr: str, short_message: bytes = b"hello", *, source_addr: str = "",
                   service_type: str = "", source_addr_ton: int = 1, source_addr_npi: int = 1,
                   dest_addr_ton: int = 1, dest_addr_npi: int = 1, esm_class: int = 0,
                   protocol_id: int = 0, priority_flag: int = 0, schedule_delivery_time: str = "",
                   validity_period: str = "", registered_delivery: int = 0,
                   replace_if_present_flag: int = 0, data_coding: int = 0,
                   sm_default_msg_id: int = 0, tlvs: bytes = b"") -> bytes:
    if len(short_message) > MAX_SHORT_MESSAGE:
        raise ValueError("short_message longer than 254 octets")
    return (cstring(service_type, MAX_SERVICE_TYPE, "service_type")
            + bytes([source_addr_ton, source_addr_npi])
            + cstring(source_addr, MAX_ADDR, "source_addr")
            + bytes([dest_addr_ton, dest_addr_npi])
            + cstring(destination_addr, MAX_ADDR, "destination_addr")
            + bytes([esm_class, protocol_id, priority_flag])
            + cstring(schedule_delivery_time, MAX_TIME, "schedule_delivery_time")
            + cstring(validity_period, MAX_TIME, "validity_period")
            + bytes([registered_delivery, replace_if_present_flag, data_coding,
                     sm_default_msg_id, len(short_message)])
            + short_message
            + tlvs)


def submit_sm(sequence: int, destination_addr: str = "+12125551234", short_message: bytes = b"hello",
              **fields) -> bytes:
    return encode_pdu(SUBMIT_SM, sequence, submit_sm_body(destination_addr, short_message, **fields))


def query_sm(sequence: int, message_id: str = "1", source_addr: str = "", source_addr_ton: int = 1,
             source_addr_npi: int = 1) -> bytes:
    body = (cstring(message_id, MAX_MESSAGE_ID, "message_id")
            + bytes([source_addr_ton, source_addr_npi])
            + cstring(source_addr, MAX_ADDR, "source_addr"))
    return encode_pdu(QUERY_SM, sequence, body)


def cancel_sm(sequence: int, message_id: str = "1", source_addr: str = "",
              destination_addr: str = "", service_type: str = "") -> bytes:
    return encode_pdu(CANCEL_SM, sequence, cancel_sm_body(message_id, source_addr, destination_addr, service_type))


def query_sm_body(message_id: str, source_addr: str = "", source_addr_ton: int = 1,
                  source_addr_npi: int = 1) -> bytes:
    return (cstring(message_id, MAX_MESSAGE_ID, "message_id")
            + bytes([source_addr_ton, source_addr_npi])
            + cstring(source_addr, MAX_ADDR, "source_addr"))


def cancel_sm_body(message_id: str, source_addr: str = "", destination_addr: str = "",
                   service_type: str = "") -> bytes:
    """4.9.1; TON/NPI 1/1 for both addresses."""
    return (cstring(service_type, MAX_SERVICE_TYPE, "service_type")
            + cstring(message_id, MAX_MESSAGE_ID, "message_id")
            + bytes([1, 1]) + cstring(source_addr, MAX_ADDR, "source_addr")
            + bytes([1, 1]) + cstring(destination_addr, MAX_ADDR, "destination_addr"))


def tlv_u8(tag: int, value: int) -> bytes:
    return tlv(tag, bytes([value]))


def tlv_u16(tag: int, value: int) -> bytes:
    return tlv(tag, struct.pack(">H", value))


def sar_tlvs(ref: int, total: int, seqnum: int) -> bytes:
    """sar_msg_ref_num (2 octets), sar_total_segments (1), sar_segment_seqnum (1) -- 5.3.2.22-24."""
    return (tlv_u16(TLV_SAR_MSG_REF_NUM, ref) + tlv_u8(TLV_SAR_TOTAL_SEGMENTS, total)
            + tlv_u8(TLV_SAR_SEGMENT_SEQNUM, seqnum))


def concat_udh(ref: int, total: int, seqnum: int, *, ref16: bool = False) -> bytes:
    """A concatenation UDH (GSM 03.40 9.2.3.24.1 / .8): UDHL, IEI 0x00 (8-bit ref) or 0x08 (16-bit)."""
    if ref16:
        return bytes([6, 0x08, 4]) + struct.pack(">H", ref) + bytes([total, seqnum])
    return bytes([5, 0x00, 3, ref & 0xFF, total, seqnum])


def ucs2(text: str) -> bytes:
    """UTF-16BE, surrogate pairs for characters outside the BMP (C-SUB-3)."""
    return text.encode("utf-16-be")


def submit_sm_resp(sequence: int, message_id: str = "", status: int = 0) -> bytes:
    return encode_pdu(SUBMIT_SM_RESP, sequence, cstring(message_id, MAX_MESSAGE_ID, "message_id"), status)


def deliver_sm_resp(sequence: int, status: int = 0) -> bytes:
    """4.6.2: message_id is unused and set to NULL."""
    return encode_pdu(DELIVER_SM_RESP, sequence, b"\x00", status)


def deliver_sm(sequence: int, source_addr: str, destination_addr: str, short_message: bytes, *,
               esm_class: int = 0, data_coding: int = 0, tlvs: bytes = b"", source_addr_ton: int = 1,
               source_addr_npi: int = 1, dest_addr_ton: int = 1, dest_addr_npi: int = 1) -> bytes:
    """deliver_sm has submit_sm's layout (4.6.1); only the self-checks and stand-ins send it."""
    body = submit_sm_body(destination_addr, short_message, source_addr=source_addr, esm_class=esm_class,
                          data_coding=data_coding, tlvs=tlvs, source_addr_ton=source_addr_ton,
                          source_addr_npi=source_addr_npi, dest_addr_ton=dest_addr_ton,
                          dest_addr_npi=dest_addr_npi)
    return encode_pdu(DELIVER_SM, sequence, body)


MAX_DATA_SM_ADDR = 65  # data_sm addresses are C-Octet Strings of up to 65 (4.7.1)


def data_sm_body(destination_addr: str, *, source_addr: str = "", service_type: str = "",
                 source_addr_ton: int = 1, source_addr_npi: int = 1, dest_addr_ton: int = 1,
                 dest_addr_npi: int = 1, esm_class: int = 0, registered_delivery: int = 0,
                 data_coding: int = 0, tlvs: bytes = b"") -> bytes:
    return (cstring(service_type, MAX_SERVICE_TYPE, "service_type")
            + bytes([source_addr_ton, source_addr_npi])
            + cstring(source_addr, MAX_DATA_SM_ADDR, "source_addr")
            + bytes([dest_addr_ton, dest_addr_npi])
            + cstring(destination_addr, MAX_DATA_SM_ADDR, "destination_addr")
            + bytes([esm_class, registered_delivery, data_coding])
            + tlvs)


def data_sm(sequence: int, destination_addr: str = "+12125551234", text: bytes = b"hello", **fields) -> bytes:
    """data_sm carrying `text` in a message_payload TLV (the only place data_sm has for it)."""
    extra = fields.pop("tlvs", b"")
    return encode_pdu(DATA_SM, sequence,
                      data_sm_body(destination_addr, tlvs=tlv(TLV_MESSAGE_PAYLOAD, text) + extra, **fields))


def submit_multi_body(destinations: list[str], short_message: bytes = b"hello", *, source_addr: str = "",
                      service_type: str = "", source_addr_ton: int = 1, source_addr_npi: int = 1,
                      dest_addr_ton: int = 1, dest_addr_npi: int = 1, esm_class: int = 0,
                      protocol_id: int = 0, priority_flag: int = 0, schedule_delivery_time: str = "",
                      validity_period: str = "", registered_delivery: int = 0,
                      replace_if_present_flag: int = 0, data_coding: int = 0,
                      sm_default_msg_id: int = 0, tlvs: bytes = b"") -> bytes:
    """4.5.1: number_of_dests then dest_address entries (dest_flag 1 = SME address)."""
    dests = b"".join(bytes([1, dest_addr_ton, dest_addr_npi]) + cstring(d, MAX_ADDR, "destination_addr")
                     for d in destinations)
    return (cstring(service_type, MAX_SERVICE_TYPE, "service_type")
            + bytes([source_addr_ton, source_addr_npi])
            + cstring(source_addr, MAX_ADDR, "source_addr")
            + bytes([len(destinations)]) + dests
            + bytes([esm_class, protocol_id, priority_flag])
            + cstring(schedule_delivery_time, MAX_TIME, "schedule_delivery_time")
            + cstring(validity_period, MAX_TIME, "validity_period")
            + bytes([registered_delivery, replace_if_present_flag, data_coding,
                     sm_default_msg_id, len(short_message)])
            + short_message + tlvs)


def submit_multi(sequence: int, destinations: list[str], short_message: bytes = b"hello", **fields) -> bytes:
    return encode_pdu(SUBMIT_MULTI, sequence, submit_multi_body(destinations, short_message, **fields))


# --- decoding ------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Pdu:
    command_id: int
    status: int
    sequence: int
    body: bytes = b""

    @property
    def command_length(self) -> int:
        return HEADER_LEN + len(self.body)

    @property
    def name(self) -> str:
        return command_name(self.command_id)

    def raw(self) -> bytes:
        return encode_pdu(self.command_id, self.sequence, self.body, self.status)

    def __str__(self) -> str:
        return (f"{self.name}(status={status_name(self.status)}, seq={self.sequence}, "
                f"body={self.body[:64].hex()}{'...' if len(self.body) > 64 else ''})")


def decode_header(data: bytes) -> tuple[int, int, int, int]:
    if len(data) < HEADER_LEN:
        raise DecodeError(f"header needs 16 bytes, have {len(data)}")
    return HEADER.unpack_from(data)


def decode_pdu(data: bytes) -> Pdu:
    """Exactly one PDU; the length field must match len(data)."""
    length, command_id, status, sequence = decode_header(data)
    if length != len(data):
        raise DecodeError(f"command_length {length} but {len(data)} bytes")
    return Pdu(command_id, status, sequence, bytes(data[HEADER_LEN:]))


def split_pdus(buffer: bytearray, max_pdu: int = CLIENT_MAX_PDU) -> list[Pdu]:
    """Remove and return every complete PDU at the front of `buffer`."""
    out = []
    while len(buffer) >= 4:
        (length,) = struct.unpack_from(">I", buffer)
        if length < HEADER_LEN or length > max_pdu:
            raise DecodeError(f"server sent command_length {length}: framing lost "
                              f"(first bytes {bytes(buffer[:32]).hex()})")
        if len(buffer) < length:
            break
        out.append(decode_pdu(bytes(buffer[:length])))
        del buffer[:length]
    return out


def read_cstring(body: bytes, pos: int, max_len: int, field: str = "field") -> tuple[bytes, int]:
    """Return (value without NUL, position after the NUL)."""
    end = body.find(b"\x00", pos, pos + max_len)
    if end < 0:
        raise DecodeError(f"{field}: no NUL within {max_len} bytes at offset {pos}")
    return body[pos:end], end + 1


def decode_tlvs(body: bytes, pos: int) -> dict[int, bytes]:
    tlvs = {}
    while pos < len(body):
        if len(body) - pos < 4:
            raise DecodeError(f"truncated TLV header at offset {pos}")
        tag, length = struct.unpack_from(">HH", body, pos)
        pos += 4
        if pos + length > len(body):
            raise DecodeError(f"TLV 0x{tag:04x} overruns the body")
        tlvs[tag] = body[pos:pos + length]
        pos += length
    return tlvs


@dataclasses.dataclass(frozen=True)
class BindResp:
    system_id: str | None  # None when the server sent no body (allowed for errors)
    tlvs: dict


def decode_bind_resp(pdu: Pdu) -> BindResp:
    if pdu.command_id not in (BIND_RECEIVER_RESP, BIND_TRANSMITTER_RESP, BIND_TRANSCEIVER_RESP):
        raise DecodeError(f"not a bind response: {pdu}")
    if not pdu.body:
        return BindResp(None, {})
    system_id, pos = read_cstring(pdu.body, 0, MAX_SYSTEM_ID, "system_id")
    return BindResp(system_id.decode("ascii", "replace"), decode_tlvs(pdu.body, pos))


def decode_submit_sm_resp(pdu: Pdu) -> str | None:
    """message_id, or None when the body is empty (the spec allows that on errors)."""
    if pdu.command_id != SUBMIT_SM_RESP:
        raise DecodeError(f"not a submit_sm_resp: {pdu}")
    if not pdu.body:
        return None
    message_id, _ = read_cstring(pdu.body, 0, MAX_MESSAGE_ID, "message_id")
    return message_id.decode("ascii", "replace")


@dataclasses.dataclass(frozen=True)
class ShortMessagePdu:
    """deliver_sm (4.6.1), also usable for submit_sm bodies (same layout)."""
    sequence: int
    service_type: str
    source_addr_ton: int
    source_addr_npi: int
    source_addr: str
    dest_addr_ton: int
    dest_addr_npi: int
    destination_addr: str
    esm_class: int
    protocol_id: int
    priority_flag: int
    schedule_delivery_time: str
    validity_period: str
    registered_delivery: int
    replace_if_present_flag: int
    data_coding: int
    sm_default_msg_id: int
    short_message: bytes
    tlvs: dict

    @property
    def is_receipt(self) -> bool:
        return self.esm_class & 0x3C == 0x04  # 5.2.12: message type "SMSC Delivery Receipt"

    @property
    def payload(self) -> bytes:
        """The message bytes: short_message, or the message_payload TLV when sm_length is 0."""
        return self.short_message or self.tlvs.get(TLV_MESSAGE_PAYLOAD, b"")

    def text(self) -> str:
        """The payload decoded by data_coding (0/1 ASCII, 3 Latin-1, 8 UCS-2)."""
        raw = self.payload
        if self.data_coding == 0x08:
            return raw.decode("utf-16-be", "replace")
        if self.data_coding == 0x03:
            return raw.decode("latin-1")
        return raw.decode("ascii", "replace")

    @property
    def receipted_message_id(self) -> str | None:
        raw = self.tlvs.get(TLV_RECEIPTED_MESSAGE_ID)
        if raw is None:
            return None
        return raw[:-1].decode("ascii", "replace") if raw.endswith(b"\x00") else raw.decode("ascii", "replace")

    @property
    def message_state(self) -> int | None:
        raw = self.tlvs.get(TLV_MESSAGE_STATE)
        return raw[0] if raw is not None and len(raw) == 1 else None


def decode_short_message_pdu(pdu: Pdu) -> ShortMessagePdu:
    b = pdu.body
    service_type, pos = read_cstring(b, 0, MAX_SERVICE_TYPE, "service_type")
    if len(b) < pos + 2:
        raise DecodeError("truncated before source_addr")
    s_ton, s_npi = b[pos], b[pos + 1]
    source, pos = read_cstring(b, pos + 2, MAX_ADDR, "source_addr")
    if len(b) < pos + 2:
        raise DecodeError("truncated before destination_addr")
    d_ton, d_npi = b[pos], b[pos + 1]
    dest, pos = read_cstring(b, pos + 2, MAX_ADDR, "destination_addr")
    if len(b) < pos + 3:
        raise DecodeError("truncated before schedule_delivery_time")
    esm, pid, prio = b[pos], b[pos + 1], b[pos + 2]
    sched, pos = read_cstring(b, pos + 3, MAX_TIME, "schedule_delivery_time")
    validity, pos = read_cstring(b, pos, MAX_TIME, "validity_period")
    if len(b) < pos + 5:
        raise DecodeError("truncated before short_message")
    reg, repl, dcs, dflt, sm_len = b[pos:pos + 5]
    pos += 5
    if len(b) < pos + sm_len:
        raise DecodeError(f"sm_length {sm_len} overruns the body")
    sm = b[pos:pos + sm_len]
    tlvs = decode_tlvs(b, pos + sm_len)
    asc = lambda x: x.decode("ascii", "replace")  # noqa: E731
    return ShortMessagePdu(pdu.sequence, asc(service_type), s_ton, s_npi, asc(source), d_ton, d_npi, asc(dest),
                           esm, pid, prio, asc(sched), asc(validity), reg, repl, dcs, dflt, sm, tlvs)


def decode_deliver_sm(pdu: Pdu) -> ShortMessagePdu:
    if pdu.command_id != DELIVER_SM:
        raise DecodeError(f"not a deliver_sm: {pdu}")
    return decode_short_message_pdu(pdu)


@dataclasses.dataclass(frozen=True)
class QuerySmResp:
    message_id: str
    final_date: str
    message_state: int
    error_code: int


def decode_query_sm_resp(pdu: Pdu) -> QuerySmResp | None:
    """4.8.2; None for an error answer with an empty body."""
    if pdu.command_id != QUERY_SM_RESP:
        raise DecodeError(f"not a query_sm_resp: {pdu}")
    if not pdu.body:
        return None
    mid, pos = read_cstring(pdu.body, 0, MAX_MESSAGE_ID, "message_id")
    final, pos = read_cstring(pdu.body, pos, MAX_TIME, "final_date")
    if len(pdu.body) != pos + 2:
        raise DecodeError(f"query_sm_resp: {len(pdu.body) - pos} octets after final_date, want 2")
    return QuerySmResp(mid.decode("ascii", "replace"), final.decode("ascii", "replace"),
                       pdu.body[pos], pdu.body[pos + 1])


@dataclasses.dataclass(frozen=True)
class DataSmResp:
    message_id: str | None
    tlvs: dict


def decode_data_sm_resp(pdu: Pdu) -> DataSmResp:
    if pdu.command_id != DATA_SM_RESP:
        raise DecodeError(f"not a data_sm_resp: {pdu}")
    if not pdu.body:
        return DataSmResp(None, {})
    mid, pos = read_cstring(pdu.body, 0, MAX_MESSAGE_ID, "message_id")
    return DataSmResp(mid.decode("ascii", "replace"), decode_tlvs(pdu.body, pos))


@dataclasses.dataclass(frozen=True)
class SubmitMultiResp:
    message_id: str | None
    unsuccess: list  # (ton, npi, address, error_status_code)


def decode_submit_multi_resp(pdu: Pdu) -> SubmitMultiResp:
    """4.5.2: message_id, no_unsuccess, then unsuccess_sme entries."""
    if pdu.command_id != SUBMIT_MULTI_RESP:
        raise DecodeError(f"not a submit_multi_resp: {pdu}")
    if not pdu.body:
        return SubmitMultiResp(None, [])
    mid, pos = read_cstring(pdu.body, 0, MAX_MESSAGE_ID, "message_id")
    if len(pdu.body) < pos + 1:
        raise DecodeError("submit_multi_resp without no_unsuccess")
    count = pdu.body[pos]
    pos += 1
    out = []
    for _ in range(count):
        if len(pdu.body) < pos + 2:
            raise DecodeError("truncated unsuccess_sme")
        ton, npi = pdu.body[pos], pdu.body[pos + 1]
        addr, pos = read_cstring(pdu.body, pos + 2, MAX_ADDR, "unsuccess address")
        if len(pdu.body) < pos + 4:
            raise DecodeError("truncated error_status_code")
        (err,) = struct.unpack_from(">I", pdu.body, pos)
        pos += 4
        out.append((ton, npi, addr.decode("ascii", "replace"), err))
    return SubmitMultiResp(mid.decode("ascii", "replace"), out)


# --- TLS -----------------------------------------------------------------------------

def client_context(min_version: ssl.TLSVersion | None = None, max_version: ssl.TLSVersion | None = None,
                   cafile: str | None = None) -> ssl.SSLContext:
    """A TLS client context for 127.0.0.1: no hostname check; certificate verified only
    against `cafile` when given (the daemon's self-signed certificate otherwise cannot be)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if cafile:
        ctx.load_verify_locations(cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 enums are deprecated
        if min_version is not None:
            ctx.minimum_version = min_version
        if max_version is not None:
            ctx.maximum_version = max_version
        if max_version is not None and max_version < ssl.TLSVersion.TLSv1_2:
            # OpenSSL 3 refuses to *offer* TLS < 1.2 at the default security level; we
            # want the server to be the one saying no.
            ctx.minimum_version = min_version or max_version
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


def client_hello_bytes() -> bytes:
    """The bytes of a real TLS ClientHello, for handshakes we drive byte by byte."""
    ctx = client_context()
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_side=False)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    assert hello[:1] == b"\x16", hello[:16].hex()
    return hello


# --- client --------------------------------------------------------------------------

class Closed(Exception):
    """The server closed the connection (EOF, reset or a TLS-level close)."""


class PduTimeout(AssertionError):
    """No PDU arrived within the deadline."""


# Errors that mean "the peer is gone" for both plain and TLS sockets.
_GONE = (ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError, BrokenPipeError)


def _gone(exc: BaseException) -> bool:
    if isinstance(exc, _GONE):
        return True
    if isinstance(exc, ssl.SSLError):
        return True  # any TLS error after the handshake ends the session for us
    return isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET, errno.EPIPE, errno.ENOTCONN)


class Client:
    """A blocking SMPP client over TLS (or plain TCP) to 127.0.0.1.

    Every wait takes a timeout; nothing blocks unbounded. PDUs that arrive while a call
    waits for something else are kept in `self.unsolicited` unless they are a server
    enquire_link, which `request`/`expect` answer when `answer_enquire_link` is true.
    """

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buffer = bytearray()
        self.pending: list[Pdu] = []  # decoded, not yet returned
        self.unsolicited: list[Pdu] = []
        self.server_enquire_links: list[Pdu] = []
        self._seq = 0
        self.closed = False
        local = sock.getsockname()
        self.local_port = local[1]
        self.peer = f"{local[0]}:{local[1]}"  # how the *daemon* sees us

    # construction -----------------------------------------------------------------
    @classmethod
    def open(cls, port: int, *, tls: bool = True, context: ssl.SSLContext | None = None,
             host: str = "127.0.0.1", timeout: float = 10.0, source: str | None = None) -> "Client":
        """Connect and, for TLS, finish the handshake within `timeout`. `source`: the local
        address to connect from (any 127.x.y.z works on Linux loopback)."""
        raw = socket.create_connection((host, port), timeout=timeout,
                                       source_address=(source, 0) if source else None)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not tls:
            return cls(raw)
        try:
            wrapped = (context or client_context()).wrap_socket(raw, server_hostname=None)
        except BaseException:
            raw.close()
            raise
        return cls(wrapped)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def tls_version(self) -> str | None:
        return self.sock.version() if isinstance(self.sock, ssl.SSLSocket) else None

    def peer_certificate_der(self) -> bytes:
        return self.sock.getpeercert(binary_form=True)

    def next_seq(self) -> int:
        self._seq = self._seq % MAX_SEQUENCE + 1
        return self._seq

    # raw I/O ----------------------------------------------------------------------
    def send_raw(self, data: bytes, timeout: float = 10.0) -> None:
        self.sock.settimeout(timeout)
        try:
            self.sock.sendall(data)
        except (socket.timeout, TimeoutError):
            raise
        except OSError as exc:
            if _gone(exc):
                self.closed = True
                raise Closed(f"send failed: {exc!r}") from exc
            raise

    def _fill(self, deadline: float) -> None:
        """Read at least one byte into the buffer, or raise PduTimeout / Closed."""
        if self.closed:
            raise Closed("connection already closed")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise PduTimeout("deadline passed")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError) as exc:
            raise PduTimeout("timed out waiting for bytes") from exc
        except OSError as exc:
            if _gone(exc):
                self.closed = True
                raise Closed(repr(exc)) from exc
            raise
        if not chunk:
            self.closed = True
            raise Closed("EOF")
        self.buffer += chunk

    def recv_pdu(self, timeout: float = 5.0) -> Pdu:
        """Exactly one PDU within `timeout`; raises PduTimeout or Closed."""
        deadline = time.monotonic() + timeout
        while not self.pending:
            self.pending.extend(split_pdus(self.buffer))
            if self.pending:
                break
            try:
                self._fill(deadline)
            except PduTimeout:
                raise PduTimeout(f"no PDU within {timeout:.1f}s "
                                 f"(partial bytes buffered: {bytes(self.buffer[:32]).hex()})") from None
        return self.pending.pop(0)

    def recv_bytes_until_close(self, timeout: float) -> bytes:
        """Everything the server sends until it closes; AssertionError if still open at the deadline."""
        deadline = time.monotonic() + timeout
        data = bytearray()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"connection still open after {timeout:.1f}s; got {bytes(data[:64]).hex()}")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except (socket.timeout, TimeoutError):
                continue
            except OSError as exc:
                if _gone(exc):
                    self.closed = True
                    return bytes(data)
                raise
            if not chunk:
                self.closed = True
                return bytes(data)
            data += chunk

    # PDU level --------------------------------------------------------------------
    def send_pdu(self, command_id: int, body: bytes = b"", *, sequence: int | None = None,
                 status: int = 0) -> int:
        seq = self.next_seq() if sequence is None else sequence
        self.send_raw(encode_pdu(command_id, seq, body, status))
        return seq

    def _answer_if_enquire(self, pdu: Pdu) -> bool:
        if pdu.command_id == ENQUIRE_LINK:
            self.server_enquire_links.append(pdu)
            self.send_raw(enquire_link_resp(pdu.sequence))
            return True
        return False

    def wait_for(self, predicate, timeout: float = 5.0, *, answer_enquire_link: bool = True,
                 what: str = "a matching PDU") -> Pdu:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                pdu = self.recv_pdu(max(remaining, 0.0))
            except PduTimeout:
                raise PduTimeout(f"no {what} within {timeout:.1f}s; unsolicited so far: "
                                 f"{[str(p) for p in self.unsolicited[-5:]]}") from None
            if predicate(pdu):
                return pdu
            if answer_enquire_link and self._answer_if_enquire(pdu):
                continue
            self.unsolicited.append(pdu)

    def expect(self, command_id: int, timeout: float = 5.0, *, sequence: int | None = None,
               answer_enquire_link: bool = True) -> Pdu:
        """The next PDU that is not a (answered) server enquire_link must be `command_id`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                pdu = self.recv_pdu(max(deadline - time.monotonic(), 0.0))
            except PduTimeout:
                raise PduTimeout(f"expected {command_name(command_id)} within {timeout:.1f}s, got nothing") from None
            if answer_enquire_link and command_id != ENQUIRE_LINK and self._answer_if_enquire(pdu):
                continue
            assert pdu.command_id == command_id, f"expected {command_name(command_id)}, got {pdu}"
            if sequence is not None:
                assert pdu.sequence == sequence, f"expected sequence {sequence}, got {pdu}"
            return pdu

    def request(self, command_id: int, body: bytes = b"", timeout: float = 5.0, *,
                sequence: int | None = None, answer_enquire_link: bool = True) -> Pdu:
        """Send a request and return the PDU answering its sequence number: the matching
        *_resp or a generic_nack (the caller asserts which)."""
        seq = self.send_pdu(command_id, body, sequence=sequence)
        return self.wait_for(
            lambda p: p.sequence == seq and p.command_id in (command_id | RESPONSE_BIT, GENERIC_NACK),
            timeout, answer_enquire_link=answer_enquire_link,
            what=f"answer to {command_name(command_id)} seq={seq}")

    def request_raw(self, pdu_bytes: bytes, timeout: float = 5.0, *, answer_enquire_link: bool = True) -> Pdu:
        """Send pre-encoded bytes whose header holds the sequence; wait for its answer."""
        _, command_id, _, seq = decode_header(pdu_bytes)
        self.send_raw(pdu_bytes)
        return self.wait_for(
            lambda p: p.sequence == seq and p.command_id in (command_id | RESPONSE_BIT, GENERIC_NACK),
            timeout, answer_enquire_link=answer_enquire_link,
            what=f"answer to {command_name(command_id)} seq={seq}")

    # session helpers --------------------------------------------------------------
    def bind(self, mode: str, system_id: str, password: str, timeout: float = 5.0, **fields) -> Pdu:
        """Send bind_<mode>; return its answer (bind_*_resp or generic_nack), unchecked."""
        return self.request(BIND_MODES[mode][0], bind_body(system_id, password, **fields), timeout)

    def bind_ok(self, mode: str, system_id: str, password: str, timeout: float = 5.0, **fields) -> BindResp:
        pdu = self.bind(mode, system_id, password, timeout, **fields)
        assert pdu.command_id == BIND_MODES[mode][1], f"bind_{mode} answered by {pdu}"
        assert pdu.status == ESME_ROK, f"bind_{mode} as {system_id!r} failed: {pdu}"
        return decode_bind_resp(pdu)

    def enquire_link(self, timeout: float = 5.0, sequence: int | None = None) -> Pdu:
        """Round trip: asserts an enquire_link_resp, status 0, same sequence."""
        pdu = self.request(ENQUIRE_LINK, timeout=timeout, sequence=sequence)
        assert pdu.command_id == ENQUIRE_LINK_RESP and pdu.status == ESME_ROK, f"enquire_link answered by {pdu}"
        return pdu

    def unbind(self, timeout: float = 5.0) -> Pdu:
        pdu = self.request(UNBIND, timeout=timeout)
        assert pdu.command_id == UNBIND_RESP and pdu.status == ESME_ROK, f"unbind answered by {pdu}"
        return pdu

    # messaging helpers ------------------------------------------------------------
    def submit(self, destination_addr: str = "+12125551234", short_message: bytes = b"hello",
               timeout: float = 5.0, **fields) -> Pdu:
        """submit_sm; its answer (submit_sm_resp or generic_nack), unchecked."""
        return self.request(SUBMIT_SM, submit_sm_body(destination_addr, short_message, **fields), timeout)

    def submit_ok(self, destination_addr: str = "+12125551234", short_message: bytes = b"hello",
                  timeout: float = 5.0, **fields) -> str:
        """submit_sm that must succeed; returns the message_id."""
        pdu = self.submit(destination_addr, short_message, timeout, **fields)
        assert pdu.command_id == SUBMIT_SM_RESP, f"submit_sm to {destination_addr} answered by {pdu}"
        assert pdu.status == ESME_ROK, f"submit_sm to {destination_addr} {short_message[:40]!r} failed: {pdu}"
        message_id = decode_submit_sm_resp(pdu)
        assert message_id, f"submit_sm_resp status 0 without a message_id: {pdu}"
        return message_id

    def query(self, message_id: str, timeout: float = 5.0, **fields) -> Pdu:
        return self.request(QUERY_SM, query_sm_body(message_id, **fields), timeout)

    def cancel(self, message_id: str, timeout: float = 5.0, **fields) -> Pdu:
        return self.request(CANCEL_SM, cancel_sm_body(message_id, **fields), timeout)

    def next_deliver(self, timeout: float = 5.0, *, answer: bool = True, status: int = 0,
                     what: str = "deliver_sm") -> ShortMessagePdu:
        """The next deliver_sm (first from those set aside by earlier waits), decoded. With
        `answer`, a deliver_sm_resp with `status` goes back at once."""
        for i, p in enumerate(self.unsolicited):
            if p.command_id == DELIVER_SM:
                pdu = self.unsolicited.pop(i)
                break
        else:
            pdu = self.wait_for(lambda p: p.command_id == DELIVER_SM, timeout, what=what)
        if answer:
            self.send_raw(deliver_sm_resp(pdu.sequence, status))
        return decode_deliver_sm(pdu)

    def collect_delivers(self, count: int, timeout: float, *, answer: bool = True,
                         predicate=None) -> list[ShortMessagePdu]:
        """`count` deliver_sm (matching `predicate` if given; others are answered and dropped)
        within `timeout` overall."""
        deadline = time.monotonic() + timeout
        got = []
        while len(got) < count:
            remaining = deadline - time.monotonic()
            try:
                d = self.next_deliver(max(remaining, 0.0), answer=answer)
            except PduTimeout:
                raise PduTimeout(f"{len(got)} of {count} deliver_sm within {timeout:.1f}s: "
                                 f"{[x.short_message[:60] for x in got]}") from None
            if predicate is None or predicate(d):
                got.append(d)
        return got

    def no_deliver(self, duration: float) -> None:
        """Assert that no deliver_sm arrives for `duration` (server enquire_links answered)."""
        assert not any(p.command_id == DELIVER_SM for p in self.unsolicited), \
            f"unexpected deliver_sm: {[str(p) for p in self.unsolicited if p.command_id == DELIVER_SM]}"
        try:
            pdu = self.wait_for(lambda p: p.command_id == DELIVER_SM, duration)
        except PduTimeout:
            return
        raise AssertionError(f"unexpected deliver_sm: {decode_deliver_sm(pdu)}")

    def wait_closed(self, timeout: float, *, answer_enquire_link: bool = False) -> list[Pdu]:
        """Read until the server closes; return the PDUs seen on the way.
        AssertionError if the connection is still open at the deadline."""
        deadline = time.monotonic() + timeout
        seen = list(self.pending)
        self.pending.clear()
        while True:
            try:
                pdu = self.recv_pdu(max(deadline - time.monotonic(), 0.0))
            except Closed:
                return seen
            except PduTimeout:
                raise AssertionError(f"server did not close the connection within {timeout:.1f}s; "
                                     f"PDUs seen: {[str(p) for p in seen]}") from None
            seen.append(pdu)
            if answer_enquire_link and pdu.command_id == ENQUIRE_LINK:
                try:
                    self.send_raw(enquire_link_resp(pdu.sequence))
                except Closed:
                    return seen

    def stays_open(self, duration: float, *, answer_enquire_link: bool = True) -> list[Pdu]:
        """Read for `duration`, answering server enquire_links; AssertionError if the
        server closes. Returns the PDUs read."""
        deadline = time.monotonic() + duration
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return seen
            try:
                pdu = self.recv_pdu(remaining)
            except PduTimeout:
                return seen
            except Closed:
                raise AssertionError(f"server closed the connection; PDUs seen: {[str(p) for p in seen]}") from None
            seen.append(pdu)
            if answer_enquire_link:
                self._answer_if_enquire(pdu)

    def readable_soon(self, timeout: float) -> bool:
        if self.pending or self.buffer:
            return True
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        r, _, _ = select.select([self.sock], [], [], timeout)
        return bool(r)

    def close(self) -> None:
        """Close without unbind and without TLS close_notify (Python never sends it on close)."""
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def abort(self) -> None:
        """Close with a TCP RST (SO_LINGER 0)."""
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close()
