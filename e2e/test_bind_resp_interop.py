"""Every bind_resp carries system_id, a failed one too (issue 13, C-BIND-2): SMPP v3.4 §4.1
lets an error response omit its body, but clients such as aiosmpplib 0.7.4 (PyPI) always parse
system_id and, given a header-only bind_resp, report `ValueError('subsection not found')`
instead of the status. aiosmpplib speaks plain TCP only, so it binds to the daemon's plaintext
listener (local tests only, C-TLS-3)."""

from __future__ import annotations

import asyncio

import pytest

import harness
import smpp

ACCOUNT = harness.account("acme", "secret")


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACCOUNT], args=["--plaintext-listen", "127.0.0.1:0"], plaintext=True)


def _aiosmpplib_bind(port: int, password: str):
    """Binds with aiosmpplib's ESME.connect(); returns None or the exception it raised."""
    from aiosmpplib import ESME

    async def go():
        esme = ESME(smsc_host="127.0.0.1", smsc_port=port, system_id="acme", password=password,
                    socket_timeout=10.0, log_level="WARNING")
        try:
            await esme.connect()
            return None
        except Exception as exc:   # the point of the test: which exception
            return exc
        finally:
            if esme._writer is not None:
                esme._writer.close()

    return asyncio.run(asyncio.wait_for(go(), timeout=30))


def test_c_bind_2_wrong_password_is_esme_rinvpaswd_in_aiosmpplib(daemon):
    """A wrong password bound with aiosmpplib 0.7.4 surfaces as SmppError ESME_RINVPASWD
    (0x0E); the right one binds."""
    from aiosmpplib.state import SmppCommandStatus, SmppError
    err = _aiosmpplib_bind(daemon.plaintext_port, "wrong")
    assert isinstance(err, SmppError), f"aiosmpplib raised {err!r}, want SmppError ESME_RINVPASWD"
    assert err.command_status == SmppCommandStatus.ESME_RINVPASWD and int(err.command_status) == 0x0E, err
    assert _aiosmpplib_bind(daemon.plaintext_port, "secret") is None


@pytest.mark.parametrize("mode", ["transmitter", "receiver", "transceiver"])
def test_c_bind_2_failed_bind_resp_has_a_body_with_system_id(daemon, mode):
    """Raw bytes over TLS: the failed bind_<mode>_resp (ESME_RINVPASWD) has a body, our system_id
    as a C-Octet String; no sc_interface_version (that answers a successful bind)."""
    with daemon.connect() as c:
        pdu = c.bind(mode, "acme", "wrong")
        assert pdu.status == smpp.ESME_RINVPASWD, pdu
        assert pdu.body == harness.SERVER_SYSTEM_ID.encode() + b"\x00", pdu
        assert smpp.decode_bind_resp(pdu).system_id == harness.SERVER_SYSTEM_ID


def test_c_bind_3_already_bound_bind_resp_has_system_id(daemon):
    """A second bind on a bound session (ESME_RALYBND) is answered with system_id too."""
    with daemon.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        pdu = c.bind("transceiver", "acme", "secret")
        assert pdu.status == smpp.ESME_RALYBND, pdu
        assert smpp.decode_bind_resp(pdu).system_id == harness.SERVER_SYSTEM_ID, pdu
