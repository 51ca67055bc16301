"""Interop with a real third-party client, Python smpplib 2.2.4, over TLS (C-TLS-1,
C-BIND-1, C-SESS-1, C-SESS-3). smpplib takes an `ssl_context` and wraps its socket."""

import pytest
import smpplib.client
import smpplib.consts
import smpplib.smpp

import harness
import smpp

ACME = harness.account("acme", "secret", max_sessions=20)


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME])


def _client(daemon):
    c = smpplib.client.Client("127.0.0.1", daemon.port, timeout=10, allow_unknown_opt_params=True,
                              ssl_context=smpp.client_context())
    c.connect()
    return c


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


@pytest.mark.parametrize("mode", ["transmitter", "receiver", "transceiver"])
def test_smpplib_binds_over_tls_enquires_and_unbinds(daemon, mode):
    """C-BIND-1 / C-SESS-1 / C-SESS-3 via smpplib: bind_<mode> over TLS -> status 0 and the
    server's system_id; enquire_link round trip; unbind -> unbind_resp."""
    c = _client(daemon)
    try:
        resp = getattr(c, f"bind_{mode}")(system_id="acme", password="secret")
        assert resp.command == f"bind_{mode}_resp"
        assert resp.status == smpplib.consts.SMPP_ESME_ROK
        assert _text(resp.system_id) == harness.SERVER_SYSTEM_ID
        ping = smpplib.smpp.make_pdu("enquire_link", client=c)
        c.send_pdu(ping)
        pong = c.read_pdu()
        assert pong.command == "enquire_link_resp" and pong.sequence == ping.sequence and pong.status == 0
        bye = c.unbind()
        assert bye.command == "unbind_resp" and bye.status == 0
    finally:
        c.disconnect()


def test_smpplib_wrong_password_is_rinvpaswd(daemon):
    """C-BIND-2 via smpplib: a wrong password raises PDUError carrying ESME_RINVPASWD."""
    c = _client(daemon)
    try:
        with pytest.raises(smpplib.exceptions.PDUError) as info:
            c.bind_transceiver(system_id="acme", password="nope")
        assert info.value.args[1] == smpplib.consts.SMPP_ESME_RINVPASWD
    finally:
        c.disconnect()
