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

RESPONSE_BIT = 0x80000000

COMMAND_NAMES = {
    value: name.lower()
    for name, value in list(globals().items())
    if name.isupper() and isinstance(value, int) and (name.startswith(("BIND", "GENERIC", "QUERY", "SUBMIT", "DELIVER", "UNBIND", "REPLACE", "CANCEL", "OUTBIND", "ENQUIRE")))
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
ESME_RINVPARLEN = 0xC2

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
    body = (cstring(service_type, MAX_SERVICE_TYPE, "service_type")
            + cstring(message_id, MAX_MESSAGE_ID, "message_id")
            + bytes([1, 1]) + cstring(source_addr, MAX_ADDR, "source_addr")
            + bytes([1, 1]) + cstring(destination_addr, MAX_ADDR, "destination_addr"))
    return encode_pdu(CANCEL_SM, sequence, body)


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
             host: str = "127.0.0.1", timeout: float = 10.0) -> "Client":
        """Connect and, for TLS, finish the handshake within `timeout`."""
        raw = socket.create_connection((host, port), timeout=timeout)
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
