"""Bad input: framing errors, unknown commands, unparseable bodies (C-ERR-2); garbage and
slow clients never disturb other sessions (C-ERR-3)."""

import random
import socket
import struct
import time

import pytest

import harness
import smpp

MAX_PDU = 4096
ACME = harness.account("acme", "secret", max_sessions=50)
PARSE_ERRORS = (smpp.ESME_RINVCMDLEN, smpp.ESME_RINVPARLEN)


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME], server={"max-pdu-bytes": MAX_PDU},
                        timeouts={"handshake-ms": 2000})


@pytest.fixture
def victim(daemon):
    """A bound session that must be unaffected by whatever the test does elsewhere."""
    c = daemon.connect()
    c.bind_ok("transceiver", "acme", "secret")
    yield c
    c.enquire_link(timeout=5)  # still answered after the test
    c.unbind()
    c.close()


def _expect_nack_and_close(c, status, sequence=None):
    pdu = c.expect(smpp.GENERIC_NACK, timeout=5)
    assert pdu.status == status, f"expected generic_nack {smpp.status_name(status)}, got {pdu}"
    if sequence is not None:
        assert pdu.sequence == sequence, str(pdu)
    c.wait_closed(5)


@pytest.mark.parametrize("length", [0, 8, 15])
@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "bound"])
def test_c_err_2_command_length_below_16_nacked_and_closed(daemon, victim, length, bound):
    """C-ERR-2: command_length < 16: generic_nack ESME_RINVCMDLEN (0x02), then close."""
    c = daemon.connect()
    try:
        if bound:
            c.bind_ok("transceiver", "acme", "secret")
        c.send_raw(smpp.header(length, smpp.ENQUIRE_LINK, 0, 5))
        _expect_nack_and_close(c, smpp.ESME_RINVCMDLEN)
    finally:
        c.close()


def test_c_err_2_command_length_above_max_nacked_and_closed(daemon, victim):
    """C-ERR-2: command_length max-pdu-bytes + 1 (whole PDU sent, enquire_link so the 70 KiB
    message_payload allowance cannot apply): generic_nack 0x02, then close."""
    c = daemon.connect()
    try:
        c.bind_ok("transceiver", "acme", "secret")
        c.send_raw(smpp.header(MAX_PDU + 1, smpp.ENQUIRE_LINK, 0, 6) + bytes(MAX_PDU + 1 - 16))
        _expect_nack_and_close(c, smpp.ESME_RINVCMDLEN)
    finally:
        c.close()


@pytest.mark.parametrize("length", [0x7FFFFFFF, 0xFFFFFFFF, 72 * 1024 + 1])
def test_c_err_2_huge_command_length_nacked_without_waiting_for_body(daemon, victim, length):
    """C-ERR-2: a header claiming a huge PDU (beyond even the 70 KiB message_payload limit) is
    refused from the header alone: generic_nack 0x02 and close, no wait for the body."""
    c = daemon.connect()
    try:
        c.bind_ok("transmitter", "acme", "secret")
        c.send_raw(smpp.header(length, smpp.SUBMIT_SM, 0, 7))
        _expect_nack_and_close(c, smpp.ESME_RINVCMDLEN)
    finally:
        c.close()


@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "bound"])
def test_c_err_2_unknown_command_id_nacked_session_stays(daemon, victim, bound):
    """C-ERR-2: unknown command_id 0x00000077: generic_nack ESME_RINVCMDID (0x03) with the
    same sequence; the session stays usable."""
    with daemon.connect() as c:
        if bound:
            c.bind_ok("transceiver", "acme", "secret")
        c.send_raw(smpp.encode_pdu(0x00000077, 4711))
        pdu = c.expect(smpp.GENERIC_NACK, timeout=5)
        assert (pdu.status, pdu.sequence) == (smpp.ESME_RINVCMDID, 4711), str(pdu)
        c.enquire_link()
        if not bound:
            c.bind_ok("transceiver", "acme", "secret")
        c.enquire_link()


def _bind_parse_error_then_usable(daemon, raw_bind: bytes, sequence: int, expected=PARSE_ERRORS):
    with daemon.connect() as c:
        pdu = c.request_raw(raw_bind, timeout=10)
        assert pdu.command_id in (smpp.BIND_TRANSCEIVER_RESP, smpp.GENERIC_NACK), str(pdu)
        assert pdu.sequence == sequence, str(pdu)
        assert pdu.status in expected, f"expected one of {expected}, got {pdu}"
        c.enquire_link()
        c.bind_ok("transceiver", "acme", "secret")


def test_c_err_2_bind_missing_nul_is_parse_error_session_stays(daemon, victim):
    """C-ERR-2: bind_transceiver whose body ends inside system_id (no NUL): bind_transceiver_resp
    or generic_nack with ESME_RINVCMDLEN/ESME_RINVPARLEN; the session stays and can bind."""
    _bind_parse_error_then_usable(daemon, smpp.encode_pdu(smpp.BIND_TRANSCEIVER, 61, b"acme"), 61)


def test_c_err_2_bind_body_ends_after_password_is_parse_error(daemon, victim):
    """C-ERR-2: bind body that stops after the password (system_type, version, ton, npi,
    address_range missing): parse error status, session stays."""
    _bind_parse_error_then_usable(daemon, smpp.encode_pdu(smpp.BIND_TRANSCEIVER, 62, b"acme\x00secret\x00"), 62)


def test_c_err_2_bind_field_too_long_gets_the_fields_own_status(daemon, victim):
    """C-ERR-2 with C-ERR-1: system_id of 40 characters (max 15 + NUL) is answered with the
    status v3.4 §5.1.3 defines for that field, ESME_RINVSYSID (0x0F); the session stays."""
    body = b"a" * 40 + b"\x00" + b"secret\x00" + b"\x00" + b"\x34\x00\x00" + b"\x00"
    _bind_parse_error_then_usable(daemon, smpp.encode_pdu(smpp.BIND_TRANSCEIVER, 63, body), 63,
                                  expected=(0x0F,))


def test_c_err_2_bind_tlv_overrun_is_parse_error(daemon, victim):
    """C-ERR-2: a well-formed bind followed by a TLV whose length runs past the body: parse error."""
    body = smpp.bind_body("acme", "secret") + struct.pack(">HH", 0x0210, 10) + b"\x34"
    _bind_parse_error_then_usable(daemon, smpp.encode_pdu(smpp.BIND_TRANSCEIVER, 64, body), 64)


def test_c_err_2_bind_with_interface_version_tlv_is_fine(daemon, victim):
    """C-ERR-2 (negative): extra bytes that *are* a well-formed TLV do not break a bind."""
    with daemon.connect() as c:
        body = smpp.bind_body("acme", "secret") + smpp.tlv(0x1401, b"vendor\x00")
        pdu = c.request(smpp.BIND_TRANSCEIVER, body)
        assert (pdu.command_id, pdu.status) == (smpp.BIND_TRANSCEIVER_RESP, 0), str(pdu)


def test_c_err_2_response_pdus_from_client_do_not_kill_session(daemon, victim):
    """C-ERR-2: unsolicited responses from the client (a stray enquire_link_resp, a
    deliver_sm_resp for nothing) are ignored or nacked, never fatal."""
    with daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        c.send_raw(smpp.enquire_link_resp(900) + smpp.encode_pdu(smpp.DELIVER_SM_RESP, 901, b"\x00"))
        c.enquire_link()


def _random_bytes(seed: int, n: int) -> bytes:
    return random.Random(seed).randbytes(n)


@pytest.mark.parametrize("kind", ["raw-tcp", "tls-record-garbage", "smpp-stream-garbage", "bind-flood"])
def test_c_err_3_garbage_does_not_disturb_other_sessions(daemon, victim, kind):
    """C-ERR-3: garbage (raw bytes before TLS, a TLS record header then noise, random bytes
    inside a TLS session, 1000 bogus binds) never crashes the daemon or delays a bound session;
    the garbage connection is closed."""
    if kind in ("raw-tcp", "tls-record-garbage"):
        with socket.create_connection(("127.0.0.1", daemon.port), timeout=5) as s:
            prefix = b"" if kind == "raw-tcp" else b"\x16\x03\x01\x00\x40"
            try:
                s.sendall(prefix + _random_bytes(1, 8192))
            except OSError:
                pass  # already rejected
            victim.enquire_link(timeout=2)
            c = smpp.Client(s)
            c.recv_bytes_until_close(timeout=5)
    elif kind == "smpp-stream-garbage":
        c = daemon.connect()
        try:
            try:
                c.send_raw(b"\xff" + _random_bytes(2, 16383), timeout=5)  # length byte 0xff: > max-pdu-bytes
            except (smpp.Closed, TimeoutError):
                pass
            victim.enquire_link(timeout=2)
            seen = c.wait_closed(5)
            assert all(p.command_id == smpp.GENERIC_NACK for p in seen), [str(p) for p in seen]
        finally:
            c.close()
    else:
        c = daemon.connect()
        try:
            try:  # the daemon may stop reading or close after repeated bad PDUs: both fine
                c.send_raw(b"".join(smpp.encode_pdu(smpp.BIND_TRANSCEIVER, i + 1, b"\x01" * 200)
                                    for i in range(1000)), timeout=5)
            except (smpp.Closed, TimeoutError):
                pass
            victim.enquire_link(timeout=2)
        finally:
            c.close()
    victim.enquire_link(timeout=2)
    with daemon.connect() as fresh:
        fresh.bind_ok("transceiver", "acme", "secret")


def test_c_err_3_slowloris_bind_does_not_disturb_others(daemon, victim):
    """C-ERR-3: a valid bind written one byte per 50 ms does not delay another session
    (every enquire_link answered within 0.5 s meanwhile) and still binds in the end."""
    pdu = smpp.bind("transceiver", 99, "acme", "secret")
    with daemon.connect() as slow:
        worst = 0.0
        for byte in pdu:
            slow.send_raw(bytes([byte]))
            start = time.monotonic()
            victim.enquire_link(timeout=2)
            worst = max(worst, time.monotonic() - start)
            # pace the drip; a bound wait that also proves the victim saw nothing unexpected
            victim.stays_open(max(0.0, 0.05 - (time.monotonic() - start)))
        assert worst < 0.5, f"enquire_link took {worst:.3f}s during the slowloris"
        resp = slow.expect(smpp.BIND_TRANSCEIVER_RESP, timeout=5, sequence=99)
        assert resp.status == 0, str(resp)


def test_c_err_3_many_half_open_connections_do_not_block(daemon, victim):
    """C-ERR-3: 50 TCP connections that never speak TLS do not stop a new client from binding."""
    socks = []
    try:
        for _ in range(50):
            socks.append(socket.create_connection(("127.0.0.1", daemon.port), timeout=5))
        with daemon.connect(timeout=5) as c:
            c.bind_ok("transceiver", "acme", "secret")
        victim.enquire_link(timeout=2)
    finally:
        for s in socks:
            s.close()
