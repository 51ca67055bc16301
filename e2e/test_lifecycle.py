"""Session ends: shutdown on SIGTERM/SIGINT (C-SESS-4) and broken connections (C-SESS-5)."""

import signal
import socket
import ssl
import time

import pytest

import harness
import smpp

SHUTDOWN_MS = 1500
ACME = harness.account("acme", "secret", max_sessions=50)


def _new_connection_refused_or_dead(port: int) -> None:
    """After shutdown began, a new client must not get a working TLS session."""
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=2)
    except OSError:
        return  # listener closed: refused
    try:
        try:
            tls = smpp.client_context().wrap_socket(raw, server_hostname=None)
        except (OSError, ssl.SSLError):
            return
        c = smpp.Client(tls)
        try:
            c.send_raw(smpp.enquire_link(1), timeout=2)
            pdu = c.recv_pdu(timeout=2)
        except (smpp.Closed, smpp.PduTimeout, OSError):
            return
        raise AssertionError(f"daemon still serving new connections during shutdown: {pdu}")
    finally:
        raw.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_c_sess_4_signal_unbinds_sessions_and_exits_0(smppd, sig):
    """C-SESS-4: on SIGTERM/SIGINT every bound session receives unbind; clients answer
    unbind_resp; the connections close; new connections are not served meanwhile; the daemon
    exits 0 once all have answered (within shutdown-ms + margin) and logs shutdown."""
    shutdown_ms = 8000  # long enough for the new-connection probe below (at most ~4 s)
    d = smppd(accounts=[ACME], timeouts={"shutdown-ms": shutdown_ms})
    clients = [d.connect() for _ in range(3)]
    try:
        for c, mode in zip(clients, ["transmitter", "receiver", "transceiver"]):
            c.bind_ok(mode, "acme", "secret")
        start = time.monotonic()
        d.send_signal(sig)
        unbinds = []
        for c in clients:
            pdu = c.expect(smpp.UNBIND, timeout=5)
            assert pdu.status == 0 and pdu.body == b"" and 1 <= pdu.sequence <= smpp.MAX_SEQUENCE, str(pdu)
            unbinds.append(pdu)
        for c, pdu in zip(clients[:2], unbinds[:2]):
            c.send_raw(smpp.unbind_resp(pdu.sequence))
        # the third session still owes its unbind_resp, so the daemon is still shutting down
        _new_connection_refused_or_dead(d.port)
        clients[2].send_raw(smpp.unbind_resp(unbinds[2].sequence))
        for c in clients:
            c.wait_closed(5)
        rc = d.wait_exit(shutdown_ms / 1000 + 5)
        elapsed = time.monotonic() - start
    finally:
        for c in clients:
            c.close()
    assert rc == 0, f"exit code {rc} after {signal.Signals(sig).name}"
    assert elapsed < shutdown_ms / 1000, \
        f"exit took {elapsed:.1f}s: waited out shutdown-ms although every session answered"
    assert d.find_events("shutdown"), "no event=shutdown line"
    d.check_log()


def test_c_sess_4_unanswered_unbind_does_not_block_exit(smppd):
    """C-SESS-4: a client that never answers the server's unbind does not keep the daemon
    alive: exit 0 within shutdown-ms + margin."""
    d = smppd(accounts=[ACME], timeouts={"shutdown-ms": SHUTDOWN_MS})
    mute, polite = d.connect(), d.connect()
    try:
        mute.bind_ok("transceiver", "acme", "secret")
        polite.bind_ok("transceiver", "acme", "secret")
        start = time.monotonic()
        d.send_signal(signal.SIGTERM)
        pdu = polite.expect(smpp.UNBIND, timeout=SHUTDOWN_MS / 1000 + 3)
        polite.send_raw(smpp.unbind_resp(pdu.sequence))
        rc = d.wait_exit(SHUTDOWN_MS / 1000 + 5)
        elapsed = time.monotonic() - start
        seen = mute.wait_closed(2)
        assert any(p.command_id == smpp.UNBIND for p in seen), f"mute client never got unbind: {[str(p) for p in seen]}"
    finally:
        mute.close()
        polite.close()
    assert rc == 0
    assert elapsed <= SHUTDOWN_MS / 1000 + 5, f"exit took {elapsed:.2f}s with shutdown-ms {SHUTDOWN_MS}"
    d.check_log()


def test_c_sess_4_idle_daemon_exits_promptly(smppd):
    """C-SESS-4: with no sessions, SIGTERM exits 0 quickly (nothing to wait for)."""
    d = smppd(accounts=[ACME], timeouts={"shutdown-ms": 10000})
    start = time.monotonic()
    d.send_signal(signal.SIGTERM)
    assert d.wait_exit(5) == 0
    assert time.monotonic() - start < 5
    d.check_log()


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME])


@pytest.mark.parametrize("how", ["eof", "rst", "mid-pdu"])
def test_c_sess_5_dropped_client_is_cleaned_up(daemon, how):
    """C-SESS-5: a bound client that vanishes without unbind (EOF, RST, or RST in the middle
    of a PDU) is logged as disconnect with its peer and a reason, and the daemon keeps
    serving another bound session and new binds."""
    with daemon.connect() as other:
        other.bind_ok("transceiver", "acme", "secret")
        c = daemon.connect()
        c.bind_ok("transceiver", "acme", "secret")
        port = c.local_port
        mark = daemon.mark()
        if how == "eof":
            c.close()
        elif how == "rst":
            c.abort()
        elif how == "mid-pdu":
            c.send_raw(smpp.bind("transceiver", 9, "acme", "secret")[:10])
            c.abort()
        ev = daemon.wait_for_event("disconnect", since=mark, peer=lambda v: harness.peer_matches(v, port))
        assert ev.get("reason"), f"disconnect without reason: {ev}"
        other.enquire_link()
        with daemon.connect() as fresh:
            fresh.bind_ok("receiver", "acme", "secret")
            fresh.enquire_link()
