"""Timers: handshake and bind timeouts (C-TLS-4), keepalive and inactivity (C-SESS-2).

Timeouts are shrunk through the config so each case takes about a second. Bounds allow a
generous margin above the configured value (slow CI) and a small one below it (timer slack).
"""

import socket
import time

import pytest

import harness
import smpp

HANDSHAKE_MS = 800
BIND_MS = 1200
KEEPALIVE_MS = 400
RESPONSE_MS = 800
INACTIVITY_MS = 1500
MARGIN_S = 2.5  # allowed lateness
EARLY_S = 0.15  # allowed earliness (timer granularity)

ACME = harness.account("acme", "secret", max_sessions=20)


@pytest.fixture(scope="module")
def gatekeeper(module_smppd):
    """Short handshake and bind timeouts; keepalive/inactivity far away so they cannot interfere."""
    return module_smppd(accounts=[ACME], timeouts={"handshake-ms": HANDSHAKE_MS, "bind-ms": BIND_MS,
                                                   "keepalive-ms": 60000, "inactivity-ms": 120000})


@pytest.fixture(scope="module")
def keepalive(module_smppd):
    """Short keepalive/response/inactivity; handshake and bind timeouts at their defaults."""
    return module_smppd(accounts=[ACME], timeouts={"keepalive-ms": KEEPALIVE_MS, "response-ms": RESPONSE_MS,
                                                   "inactivity-ms": INACTIVITY_MS})


def _raw_closed_within(sock: socket.socket, timeout: float, drip: bytes = b"", every: float = 0.05) -> float:
    """Wait until the server closes a raw TCP socket; optionally send `drip` one byte every
    `every` seconds meanwhile. Returns the seconds elapsed; AssertionError at the deadline."""
    start = time.monotonic()
    deadline = start + timeout
    i = 0
    while time.monotonic() < deadline:
        if i < len(drip):
            try:
                sock.sendall(drip[i:i + 1])
            except OSError:
                return time.monotonic() - start
            i += 1
        sock.settimeout(every)
        try:
            chunk = sock.recv(4096)
        except (socket.timeout, TimeoutError):
            continue
        except OSError:
            return time.monotonic() - start
        if not chunk:
            return time.monotonic() - start
        # a TLS alert/ServerHello is fine; keep reading until EOF
    raise AssertionError(f"server kept the connection open for {timeout:.1f}s ({i} of {len(drip)} bytes dripped)")


def _assert_in_window(elapsed: float, configured_ms: int, what: str) -> None:
    lo, hi = configured_ms / 1000 - EARLY_S, configured_ms / 1000 + MARGIN_S
    assert lo <= elapsed <= hi, f"{what}: closed after {elapsed:.2f}s, expected within [{lo:.2f}, {hi:.2f}]s"


def test_c_tls_4_silent_tcp_dropped_after_handshake_timeout(gatekeeper):
    """C-TLS-4: a TCP connection that never starts the TLS handshake is dropped after handshake-ms."""
    mark = gatekeeper.mark()
    with socket.create_connection(("127.0.0.1", gatekeeper.port), timeout=5) as s:
        port = s.getsockname()[1]
        _assert_in_window(_raw_closed_within(s, HANDSHAKE_MS / 1000 + MARGIN_S + 1), HANDSHAKE_MS, "silent handshake")
    gatekeeper.wait_for_event("handshake-failed", since=mark, peer=lambda v: harness.peer_matches(v, port))


def test_c_tls_4_partial_client_hello_dropped_after_handshake_timeout(gatekeeper):
    """C-TLS-4: half a ClientHello (record header promises more) stalls the handshake; dropped after handshake-ms."""
    hello = smpp.client_hello_bytes()
    with socket.create_connection(("127.0.0.1", gatekeeper.port), timeout=5) as s:
        s.sendall(hello[: len(hello) // 2])
        _assert_in_window(_raw_closed_within(s, HANDSHAKE_MS / 1000 + MARGIN_S + 1), HANDSHAKE_MS,
                          "partial ClientHello")


def test_c_tls_4_dripped_client_hello_still_dropped(gatekeeper):
    """C-TLS-4: a ClientHello dripped one byte per 50 ms never finishes in time; the
    handshake timer is not reset by activity, so the connection is dropped after handshake-ms."""
    hello = smpp.client_hello_bytes()
    assert len(hello) * 0.05 > HANDSHAKE_MS / 1000 + MARGIN_S, "ClientHello too short for this test"
    with socket.create_connection(("127.0.0.1", gatekeeper.port), timeout=5) as s:
        _assert_in_window(_raw_closed_within(s, HANDSHAKE_MS / 1000 + MARGIN_S + 1, drip=hello), HANDSHAKE_MS,
                          "dripped ClientHello")


def test_c_tls_4_unbound_connection_closed_after_bind_timeout(gatekeeper):
    """C-TLS-4: TLS done but no bind: closed after bind-ms (measured from connect)."""
    start = time.monotonic()
    c = gatekeeper.connect()
    try:
        c.wait_closed(BIND_MS / 1000 + MARGIN_S + 1)
    finally:
        c.close()
    _assert_in_window(time.monotonic() - start, BIND_MS, "unbound session")


def test_c_tls_4_enquire_links_do_not_extend_bind_timeout(gatekeeper):
    """C-TLS-4: a client that only chats enquire_link without binding is still closed after bind-ms."""
    start = time.monotonic()
    c = gatekeeper.connect()
    try:
        deadline = start + BIND_MS / 1000 + MARGIN_S + 1
        closed = False
        while time.monotonic() < deadline:
            try:
                c.enquire_link(timeout=2)
            except (smpp.Closed, smpp.PduTimeout):
                closed = True
                break
            try:  # wait ~200 ms between pings, noticing a close meanwhile
                c.stays_open(0.2)
            except AssertionError:
                closed = True
                break
        assert closed, f"unbound but chatty session still open after {deadline - start:.1f}s"
    finally:
        c.close()
    _assert_in_window(time.monotonic() - start, BIND_MS, "chatty unbound session")


def test_c_tls_4_bound_session_survives_bind_timeout(gatekeeper):
    """C-TLS-4: the bind timer stops at bind: a bound, silent session outlives 2 x bind-ms."""
    with gatekeeper.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        c.stays_open(2 * BIND_MS / 1000)
        c.enquire_link()


def test_c_sess_2_server_sends_enquire_link_to_idle_session(keepalive):
    """C-SESS-2: an idle bound session receives an enquire_link from the server after
    keepalive-ms; it is a well-formed request (empty body, status 0, valid sequence)."""
    with keepalive.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        start = time.monotonic()
        pdu = c.recv_pdu(timeout=KEEPALIVE_MS / 1000 + MARGIN_S)
        elapsed = time.monotonic() - start
        assert pdu.command_id == smpp.ENQUIRE_LINK, f"expected the server's enquire_link, got {pdu}"
        assert pdu.status == 0 and pdu.body == b"" and 1 <= pdu.sequence <= smpp.MAX_SEQUENCE, str(pdu)
        assert elapsed >= KEEPALIVE_MS / 1000 - EARLY_S, f"enquire_link after {elapsed:.2f}s, keepalive is {KEEPALIVE_MS} ms"
        c.send_raw(smpp.enquire_link_resp(pdu.sequence))
        c.enquire_link()


def test_c_sess_2_silent_client_is_closed(keepalive):
    """C-SESS-2: a bound client that answers nothing (not even the server's enquire_link)
    is closed: after the keepalive enquire_link goes unanswered for response-ms, or at the
    latest after inactivity-ms."""
    c = keepalive.connect()
    try:
        c.bind_ok("transceiver", "acme", "secret")
        start = time.monotonic()
        seen = c.wait_closed(INACTIVITY_MS / 1000 + MARGIN_S, answer_enquire_link=False)
        elapsed = time.monotonic() - start
    finally:
        c.close()
    assert any(p.command_id == smpp.ENQUIRE_LINK for p in seen), \
        f"closed without probing the client first: {[str(p) for p in seen]}"
    limit = min(KEEPALIVE_MS + RESPONSE_MS, INACTIVITY_MS) / 1000
    assert KEEPALIVE_MS / 1000 - EARLY_S <= elapsed <= limit + MARGIN_S, \
        f"closed after {elapsed:.2f}s, expected between keepalive ({KEEPALIVE_MS} ms) and {limit:.2f}s + margin"


def test_c_sess_2_client_answering_keepalives_stays(keepalive):
    """C-SESS-2: a bound client that only answers the server's enquire_links is kept for
    well over inactivity-ms and is probed more than once."""
    with keepalive.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        c.stays_open(3 * INACTIVITY_MS / 1000, answer_enquire_link=True)
        assert len(c.server_enquire_links) >= 2, f"server probed {len(c.server_enquire_links)} times"
        seqs = [p.sequence for p in c.server_enquire_links]
        assert len(set(seqs)) == len(seqs), f"server reused sequence numbers: {seqs}"
        c.enquire_link()

