"""Binds and the session state machine: C-BIND-1, C-BIND-3, C-BIND-4, C-SESS-1, C-SESS-3,
plus the zero-configuration demo account and --account flags."""

import pytest

import harness
import smpp

MODES = ["transmitter", "receiver", "transceiver"]
ACME = harness.account("acme", "secret", max_sessions=50)
BIND_STATE_CASES = [
    ("submit_sm", lambda seq: smpp.submit_sm(seq)),
    ("query_sm", lambda seq: smpp.query_sm(seq, "12345")),
    ("cancel_sm", lambda seq: smpp.cancel_sm(seq, "12345", destination_addr="+12125551234")),
]


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME])


@pytest.mark.parametrize("mode", MODES)
def test_c_bind_1_bind_succeeds_with_server_system_id(daemon, mode):
    """C-BIND-1: bind_<mode> with a valid account: bind_<mode>_resp, same sequence, status 0,
    system_id = server.system-id; a bind event is logged with system_id, mode and peer."""
    mark = daemon.mark()
    with daemon.connect() as c:
        pdu = c.bind(mode, "acme", "secret")
        assert pdu.command_id == smpp.BIND_MODES[mode][1], str(pdu)
        assert pdu.status == smpp.ESME_ROK, str(pdu)
        resp = smpp.decode_bind_resp(pdu)
        assert resp.system_id == harness.SERVER_SYSTEM_ID
        if smpp.TLV_SC_INTERFACE_VERSION in resp.tlvs:
            assert resp.tlvs[smpp.TLV_SC_INTERFACE_VERSION] == b"\x34"
        daemon.wait_for_event("bind", since=mark, system_id="acme", mode=mode,
                              peer=lambda v: harness.peer_matches(v, c.local_port))
        c.unbind()


def test_c_bind_1_config_accounts_make_no_demo_account(daemon):
    """C-BIND-1 / zero-config rule: with accounts configured there is no demo account."""
    assert not (daemon.data_dir / "demo-password").exists()
    assert daemon.find_events("demo-account") == []
    with daemon.connect() as c:
        assert c.bind("transceiver", "demo", "whatever").status == smpp.ESME_RINVPASWD


@pytest.mark.parametrize("first,second", [("transceiver", "transceiver"), ("transmitter", "receiver"),
                                          ("receiver", "transmitter")])
def test_c_bind_3_second_bind_is_already_bound(daemon, first, second):
    """C-BIND-3: a second bind on a bound session: bind_*_resp ESME_RALYBND (0x05); the session
    stays usable."""
    with daemon.connect() as c:
        c.bind_ok(first, "acme", "secret")
        pdu = c.bind(second, "acme", "secret")
        assert pdu.command_id == smpp.BIND_MODES[second][1], str(pdu)
        assert pdu.status == smpp.ESME_RALYBND, str(pdu)
        c.enquire_link()
        c.unbind()


@pytest.mark.parametrize("command,encode", BIND_STATE_CASES, ids=[c[0] for c in BIND_STATE_CASES])
def test_c_bind_4_operation_before_bind_is_invalid_bind_status(daemon, command, encode):
    """C-BIND-4: submit_sm/query_sm/cancel_sm before bind: the matching *_resp with
    ESME_RINVBNDSTS (0x04) and the same sequence; the connection can still bind."""
    with daemon.connect() as c:
        pdu = c.request_raw(encode(777))
        assert pdu.command_id == smpp.decode_header(encode(1))[1] | smpp.RESPONSE_BIT, f"{command} answered by {pdu}"
        assert (pdu.status, pdu.sequence) == (smpp.ESME_RINVBNDSTS, 777), str(pdu)
        c.bind_ok("transceiver", "acme", "secret")
        c.unbind()


@pytest.mark.parametrize("command,encode", BIND_STATE_CASES, ids=[c[0] for c in BIND_STATE_CASES])
def test_c_bind_4_submit_query_cancel_on_receiver_is_invalid_bind_status(daemon, command, encode):
    """C-BIND-4: submit_sm, query_sm and cancel_sm on a receiver session: ESME_RINVBNDSTS; session stays."""
    with daemon.connect() as c:
        c.bind_ok("receiver", "acme", "secret")
        pdu = c.request_raw(encode(4242))
        assert pdu.command_id == smpp.decode_header(encode(1))[1] | smpp.RESPONSE_BIT, f"{command} answered by {pdu}"
        assert (pdu.status, pdu.sequence) == (smpp.ESME_RINVBNDSTS, 4242), str(pdu)
        c.enquire_link()
        c.unbind()


@pytest.mark.parametrize("mode", ["transmitter", "transceiver"])
def test_c_bind_4_submit_on_transmitter_is_answered(daemon, mode):
    """C-BIND-4 (negative): submit_sm on a transmitter/transceiver is not a bind-state error.
    The submit flow is a later issue: any submit_sm_resp except ESME_RINVBNDSTS, then the
    session must still answer enquire_link."""
    with daemon.connect() as c:
        c.bind_ok(mode, "acme", "secret")
        pdu = c.request(smpp.SUBMIT_SM, smpp.submit_sm_body("+12125551234", b"e2e"), timeout=10)
        assert pdu.command_id == smpp.SUBMIT_SM_RESP, str(pdu)
        assert pdu.status != smpp.ESME_RINVBNDSTS, str(pdu)
        c.enquire_link()
        c.unbind()


@pytest.mark.parametrize("sequence", [1, 0x12345678, smpp.MAX_SEQUENCE])
def test_c_sess_1_enquire_link_before_bind(daemon, sequence):
    """C-SESS-1: enquire_link before bind: enquire_link_resp, status 0, same sequence, empty body."""
    with daemon.connect() as c:
        pdu = c.enquire_link(sequence=sequence)
        assert pdu.sequence == sequence and pdu.body == b"", str(pdu)


@pytest.mark.parametrize("mode", MODES)
def test_c_sess_1_enquire_link_when_bound(daemon, mode):
    """C-SESS-1: enquire_link on a bound session of each mode is answered with the same sequence."""
    with daemon.connect() as c:
        c.bind_ok(mode, "acme", "secret")
        for seq in (100, 101, 0x7FFFFFF0):
            assert c.enquire_link(sequence=seq).sequence == seq


def test_c_sess_1_pipelined_enquire_links_answered_in_order(daemon):
    """C-SESS-1: 50 enquire_links written at once are all answered, in order."""
    with daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        c.send_raw(b"".join(smpp.enquire_link(1000 + i) for i in range(50)))
        got = [c.expect(smpp.ENQUIRE_LINK_RESP).sequence for _ in range(50)]
        assert got == [1000 + i for i in range(50)]


@pytest.mark.parametrize("mode", MODES)
def test_c_sess_3_unbind_then_close(daemon, mode):
    """C-SESS-3: client unbind: unbind_resp (status 0, same sequence), then the server closes;
    an unbind event is logged."""
    mark = daemon.mark()
    c = daemon.connect()
    try:
        c.bind_ok(mode, "acme", "secret")
        pdu = c.request(smpp.UNBIND, sequence=31337)
        assert (pdu.command_id, pdu.status, pdu.sequence) == (smpp.UNBIND_RESP, 0, 31337), str(pdu)
        c.wait_closed(5)
    finally:
        c.close()
    daemon.wait_for_event("unbind", since=mark)


def test_c_sess_3_pending_output_flushed_before_close(daemon):
    """C-SESS-3: enquire_link and unbind in one write: enquire_link_resp then unbind_resp
    arrive before the close."""
    c = daemon.connect()
    try:
        c.bind_ok("transceiver", "acme", "secret")
        c.send_raw(smpp.enquire_link(501) + smpp.unbind(502))
        seen = c.wait_closed(5)
    finally:
        c.close()
    assert [(p.command_id, p.sequence) for p in seen] == [(smpp.ENQUIRE_LINK_RESP, 501), (smpp.UNBIND_RESP, 502)], \
        [str(p) for p in seen]


def test_c_sess_3_unbind_before_bind(daemon):
    """C-SESS-3: unbind on a connection that never bound is still answered (unbind_resp) and closed."""
    c = daemon.connect()
    try:
        pdu = c.request(smpp.UNBIND)
        assert pdu.command_id == smpp.UNBIND_RESP, str(pdu)
        c.wait_closed(5)
    finally:
        c.close()


def test_c_bind_1_account_flags_all_modes_several_sessions(smppd):
    """C-BIND-1: an --account SYSTEM_ID:PASSWORD:NUMBER account binds in every mode with
    several concurrent sessions; no demo account is made."""
    d = smppd(use_config=False, args=["--account", "flagged:pw123:+12125550199", "--account", "other:pw456"])
    clients = []
    try:
        for mode in MODES:
            c = d.connect()
            clients.append(c)
            assert c.bind_ok(mode, "flagged", "pw123").system_id
        c = d.connect()
        clients.append(c)
        c.bind_ok("transceiver", "other", "pw456")
        for c in clients:
            c.enquire_link()
        c = d.connect()
        clients.append(c)
        assert c.bind("transceiver", "flagged", "wrong").status == smpp.ESME_RINVPASWD
        c = d.connect()
        clients.append(c)
        assert c.bind("transceiver", "demo", "anything").status == smpp.ESME_RINVPASWD
    finally:
        for c in clients:
            c.close()
    assert not (d.data_dir / "demo-password").exists()
    assert d.find_events("demo-account") == []


def test_zero_config_demo_account(smppd):
    """C-TLS-2 "runs with zero configuration" + C-BIND-1: with no config and no accounts the
    daemon creates ./var, a demo account whose password is in var/demo-password and logged
    once; the password binds; a second start keeps it and does not log it again."""
    d = smppd(use_config=False, data_dir=None)
    ev = d.wait_for_event("demo-account", system_id="demo")
    password = ev.get("password")
    assert password, f"demo-account line without password: {ev}"
    assert len(password) <= 8 and password.isprintable(), \
        f"demo password {password!r} does not fit the SMPP password field (8 characters + NUL)"
    stored = (d.workdir / "var" / "demo-password").read_text().strip()
    assert stored == password
    with d.connect() as c:
        c.bind_ok("transceiver", "demo", password)
    with d.connect() as c:
        wrong = password[:-1] + ("x" if password[-1] != "x" else "y")
        assert c.bind("transceiver", "demo", wrong).status == smpp.ESME_RINVPASWD
    d.restart()
    assert d.find_events("demo-account") == [], "demo password logged again on the second start"
    assert not any(password in line for line in d.lines), "demo password printed again on the second start"
    assert (d.workdir / "var" / "demo-password").read_text().strip() == password
    with d.connect() as c:
        c.bind_ok("transmitter", "demo", password)
