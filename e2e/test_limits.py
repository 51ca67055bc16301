"""Per-account limits: C-BIND-6 (max-sessions, bind-modes, allowed-ips -> ESME_RBINDFAIL)."""

import pytest

import harness
import smpp


@pytest.fixture(scope="module")
def daemon(module_smppd):
    accounts = [
        harness.account("duo", "pw-duo", max_sessions=2),
        harness.account("txonly", "pw-tx", max_sessions=10, bind_modes=["transmitter"]),
        harness.account("rxonly", "pw-rx", max_sessions=10, bind_modes=["receiver"]),
        harness.account("faraway", "pw-far", max_sessions=10, allowed_ips=["192.0.2.1"]),
        harness.account("local", "pw-local", max_sessions=10, allowed_ips=["192.0.2.1", "127.0.0.1"]),
    ]
    return module_smppd(accounts=accounts)


def _bind_status(d, mode, system_id, password):
    with d.connect() as c:
        pdu = c.bind(mode, system_id, password)
        assert pdu.command_id == smpp.BIND_MODES[mode][1], str(pdu)
        return pdu.status


def test_c_bind_6_max_sessions(daemon):
    """C-BIND-6: max-sessions = 2: a third concurrent bind (any mode) gets ESME_RBINDFAIL;
    the first two stay usable; after one unbinds and is closed, a new bind succeeds."""
    a, b = daemon.connect(), daemon.connect()
    try:
        a.bind_ok("transmitter", "duo", "pw-duo")
        b.bind_ok("receiver", "duo", "pw-duo")
        for mode in ("transceiver", "transmitter"):
            assert _bind_status(daemon, mode, "duo", "pw-duo") == smpp.ESME_RBINDFAIL
        a.enquire_link()
        b.enquire_link()
        a.unbind()
        a.wait_closed(5)
        with daemon.connect() as c:
            c.bind_ok("transceiver", "duo", "pw-duo")
            assert _bind_status(daemon, "receiver", "duo", "pw-duo") == smpp.ESME_RBINDFAIL
        b.enquire_link()
    finally:
        a.close()
        b.close()


def test_c_bind_6_dropped_session_frees_its_slot(daemon):
    """C-BIND-6 with C-SESS-5: a session that disappears without unbind frees its slot once the
    daemon has logged its disconnect."""
    a, b = daemon.connect(), daemon.connect()
    try:
        a.bind_ok("transceiver", "duo", "pw-duo")
        b.bind_ok("transceiver", "duo", "pw-duo")
        mark = daemon.mark()
        port = a.local_port
        a.abort()
        daemon.wait_for_event("disconnect", since=mark, peer=lambda v: harness.peer_matches(v, port))
        with daemon.connect() as c:
            c.bind_ok("transceiver", "duo", "pw-duo")
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("system_id,password,mode,status", [
    ("txonly", "pw-tx", "transmitter", smpp.ESME_ROK),
    ("txonly", "pw-tx", "receiver", smpp.ESME_RBINDFAIL),
    ("txonly", "pw-tx", "transceiver", smpp.ESME_RBINDFAIL),
    ("rxonly", "pw-rx", "receiver", smpp.ESME_ROK),
    ("rxonly", "pw-rx", "transmitter", smpp.ESME_RBINDFAIL),
    ("rxonly", "pw-rx", "transceiver", smpp.ESME_RBINDFAIL),
])
def test_c_bind_6_bind_modes(daemon, system_id, password, mode, status):
    """C-BIND-6: a bind mode not in the account's bind-modes gets ESME_RBINDFAIL (0x0D)."""
    assert _bind_status(daemon, mode, system_id, password) == status


@pytest.mark.parametrize("system_id,password,status", [
    ("faraway", "pw-far", smpp.ESME_RBINDFAIL),
    ("local", "pw-local", smpp.ESME_ROK),
])
def test_c_bind_6_allowed_ips(daemon, system_id, password, status):
    """C-BIND-6: allowed-ips not containing 127.0.0.1: ESME_RBINDFAIL; containing it: bound."""
    assert _bind_status(daemon, "transceiver", system_id, password) == status


def test_c_bind_6_limits_checked_after_password(daemon):
    """C-BIND-2 over C-BIND-6: a wrong password on a restricted account is ESME_RINVPASWD,
    not ESME_RBINDFAIL (the limits must not reveal that the account exists)."""
    assert _bind_status(daemon, "transceiver", "faraway", "wrong") == smpp.ESME_RINVPASWD
    assert _bind_status(daemon, "receiver", "txonly", "wrong") == smpp.ESME_RINVPASWD
