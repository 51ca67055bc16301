"""Transport: TLS versions, plain bytes on the TLS port, certificates, the plaintext opt-in
(CONTRACT C-TLS-1, C-TLS-2, C-TLS-3)."""

import hashlib
import socket
import ssl

import pytest

import harness
import smpp

ACME = harness.account("acme", "secret", max_sessions=20)


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME])


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3], ids=["tls1.2", "tls1.3"])
def test_c_tls_1_tls12_and_tls13_accepted(daemon, version):
    """C-TLS-1: TLS 1.2 and 1.3 clients handshake and bind."""
    ctx = smpp.client_context(min_version=version, max_version=version)
    with daemon.connect(context=ctx) as c:
        assert c.tls_version == {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
        resp = c.bind_ok("transceiver", "acme", "secret")
        assert resp.system_id == harness.SERVER_SYSTEM_ID
        c.enquire_link()


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_1, ssl.TLSVersion.TLSv1], ids=["tls1.1", "tls1.0"])
def test_c_tls_1_old_tls_refused(daemon, version):
    """C-TLS-1: a client offering only TLS 1.1 (or 1.0) does not get a session; the daemon
    logs handshake-failed with the peer address."""
    ctx = smpp.client_context(max_version=version)
    mark = daemon.mark()
    raw = socket.create_connection(("127.0.0.1", daemon.port), timeout=10)
    local_port = raw.getsockname()[1]
    try:
        with pytest.raises((ssl.SSLError, ConnectionError)) as info:
            ctx.wrap_socket(raw, server_hostname=None)
        # Make sure *the server* said no, not our OpenSSL refusing to offer old versions.
        assert "NO_PROTOCOLS_AVAILABLE" not in str(info.value) and "UNSUPPORTED_PROTOCOL" not in str(info.value), \
            f"client side could not offer {version.name}: {info.value}"
    finally:
        raw.close()
    daemon.wait_for_event("handshake-failed", since=mark, peer=lambda v: harness.peer_matches(v, local_port))


def test_c_tls_1_plain_smpp_on_tls_port_gets_no_smpp_answer(daemon):
    """C-TLS-1: plain SMPP bytes on the TLS port: no SMPP bytes back (at most a TLS alert),
    the connection is closed, and handshake-failed is logged with the peer."""
    mark = daemon.mark()
    c = smpp.Client.open(daemon.port, tls=False)
    try:
        c.send_raw(smpp.bind("transceiver", 1, "acme", "secret"))
        got = c.recv_bytes_until_close(timeout=15)
    finally:
        c.close()
    assert got == b"" or got[0] in (0x15, 0x16), f"non-TLS bytes came back: {got[:64].hex()}"
    daemon.wait_for_event("handshake-failed", since=mark, peer=lambda v: harness.peer_matches(v, c.local_port))


def test_c_tls_3_plaintext_is_off_by_default(daemon):
    """C-TLS-3: no plaintext listener unless asked for."""
    assert daemon.find_events("listening", proto="plaintext") == []


def _cert_files_in(directory):
    found = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            if "-----BEGIN CERTIFICATE-----" in text:
                found.append((path, harness.pem_to_der(text)))
    return found


def _fingerprint_event(d, since=0):
    ev = d.wait_for_event("tls-certificate", since=since)
    assert "fingerprint" in ev, f"tls-certificate line has no fingerprint: {ev}"
    return harness.normalize_fingerprint(ev["fingerprint"])


def _presented_der(d):
    with d.connect() as c:
        return c.peer_certificate_der()


def test_c_tls_2_generated_self_signed_cert_is_reused(smppd):
    """C-TLS-2: with no cert configured the daemon generates one into its data dir, logs its
    SHA-256 fingerprint, presents it, and presents the same one after a restart."""
    d = smppd(accounts=[ACME])
    fp1 = _fingerprint_event(d)
    der1 = _presented_der(d)
    assert fp1 == hashlib.sha256(der1).hexdigest(), "logged fingerprint is not the presented certificate's SHA-256"
    stored = _cert_files_in(d.data_dir)
    assert any(der == der1 for _, der in stored), \
        f"presented certificate not found in data dir {d.data_dir}: {[str(p) for p, _ in stored]}"
    d.restart()
    fp2 = _fingerprint_event(d)
    assert fp2 == fp1, "certificate regenerated on second start"
    assert _presented_der(d) == der1


def test_c_tls_2_configured_cert_is_presented(smppd, test_cert):
    """C-TLS-2: --tls-cert/--tls-key are used when given; a client that trusts exactly that
    certificate verifies the handshake."""
    cert, key = test_cert
    d = smppd(accounts=[ACME], args=["--tls-cert", str(cert), "--tls-key", str(key)])
    want = harness.pem_to_der(cert.read_text())
    assert _presented_der(d) == want
    with d.connect(context=smpp.client_context(cafile=str(cert))) as c:
        c.bind_ok("transmitter", "acme", "secret")
    events = d.find_events("tls-certificate")
    for ev in events:  # if it logs a fingerprint for a configured cert, it must be this one
        if "fingerprint" in ev:
            assert harness.normalize_fingerprint(ev["fingerprint"]) == hashlib.sha256(want).hexdigest()


def test_c_tls_2_configured_cert_via_config_file(smppd, test_cert):
    """C-TLS-2 / C-OPS-1: server.tls-cert and server.tls-key in the config file work like the flags."""
    cert, key = test_cert
    d = smppd(accounts=[ACME], server={"tls-cert": str(cert), "tls-key": str(key)})
    assert _presented_der(d) == harness.pem_to_der(cert.read_text())


def test_c_tls_3_plaintext_listener_is_opt_in_and_warned(smppd):
    """C-TLS-3: --plaintext-listen opens a plain SMPP port (bind/enquire_link/unbind with plain
    bytes), logs a level=warning line about it, and the TLS port stays TLS-only."""
    d = smppd(accounts=[ACME], args=["--plaintext-listen", "127.0.0.1:0"], plaintext=True)
    d.wait_for_log(r"level=warn(ing)?\b.*plaintext|plaintext.*level=warn(ing)?\b", timeout=5)
    with d.connect_plaintext() as c:
        assert c.bind_ok("transceiver", "acme", "secret").system_id == harness.SERVER_SYSTEM_ID
        c.enquire_link()
        c.unbind()
        c.wait_closed(5)
    raw = smpp.Client.open(d.port, tls=False)
    try:
        raw.send_raw(smpp.enquire_link(1))
        got = raw.recv_bytes_until_close(timeout=15)
    finally:
        raw.close()
    assert got == b"" or got[0] in (0x15, 0x16), f"TLS port answered plain bytes: {got[:64].hex()}"
