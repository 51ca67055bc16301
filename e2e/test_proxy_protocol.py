"""smppd behind a real HAProxy 2.6 (issue 15): `[server] proxy-protocol-from` makes connections
from the listed balancers start with a PROXY v2 header, read before TLS, whose client address
then counts everywhere (allowed-ips, the bind-failure lock-out, log lines, /v1/sessions).
HAProxy runs in TCP mode with `send-proxy-v2` and passes TLS through (e2e/haproxy.py).

Clients pick their source address on loopback (127.0.0.5 ...): haproxy itself reaches smppd
from 127.0.0.1, so a session that shows 127.0.0.5 got its address from the header."""

from __future__ import annotations

import socket
import time

import pytest
import smpplib.client
import smpplib.consts

import harness
import msgkit
import smpp
from haproxy import Haproxy
from msgkit import ACME, ACME_DEFAULT, ORDINARY

ONLY5 = harness.account("only5", "five", allowed_ips=["127.0.0.5"])
ONLY6 = harness.account("only6", "six", allowed_ips=["127.0.0.6"])
MAX_FAILURES = 3


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[ACME, ONLY5, ONLY6], server={"proxy-protocol-from": ["127.0.0.1"]},
                        auth={"max-failures": MAX_FAILURES, "lockout-ms": 60000})


@pytest.fixture(scope="module")
def balancer(daemon, tmp_path_factory):
    with Haproxy(tmp_path_factory.mktemp("haproxy"), [("127.0.0.1", daemon.port)]) as h:
        yield h


def via(balancer: Haproxy, source: str, **kw) -> smpp.Client:
    """A TLS client to smppd through haproxy, connecting from `source`."""
    return smpp.Client.open(balancer.port, source=source, **kw)


def session_peers(daemon) -> list[str]:
    return [s["peer"] for s in msgkit.admin(daemon, "GET", "/v1/sessions").json()["sessions"]]


def test_bind_submit_receipt_through_haproxy_show_the_real_client(daemon, balancer):
    """Through haproxy from 127.0.0.5: bind, submit_sm, its DELIVRD receipt; /v1/sessions and the
    bind log line show 127.0.0.5 with the client's own port (from the header), not haproxy's
    127.0.0.1."""
    mark = daemon.mark()
    with via(balancer, "127.0.0.5") as c:
        assert c.tls_version in ("TLSv1.2", "TLSv1.3")
        c.bind_ok("transceiver", "acme", "secret")
        message_id = c.submit_ok(ORDINARY, b"through the balancer", source_addr=ACME_DEFAULT, registered_delivery=1)
        receipts = msgkit.receipts_by_id(c, [message_id], timeout=10, stat="DELIVRD")
        assert message_id in receipts
        real = f"127.0.0.5:{c.local_port}"
        assert real in session_peers(daemon), session_peers(daemon)
        bind = daemon.wait_for_event("bind", since=mark, system_id="acme")
        assert bind["peer"] == real, bind
    assert not daemon.find_events("proxy-header-invalid", since=mark)


def test_smpplib_through_haproxy(daemon, balancer):
    """A third-party client (smpplib over TLS) through haproxy: bind_transceiver, send_message,
    the submit_sm_resp and a receipt for it."""
    sent, received = [], []
    c = smpplib.client.Client("127.0.0.1", balancer.port, timeout=1, allow_unknown_opt_params=True,
                              ssl_context=smpp.client_context())
    c.set_message_sent_handler(lambda pdu, **_: sent.append((pdu.status, pdu.message_id)))
    c.set_message_received_handler(lambda pdu, **_: received.append(pdu) or 0)
    c.connect()
    try:
        c.bind_transceiver(system_id="acme", password="secret")
        c.send_message(source_addr_ton=smpplib.consts.SMPP_TON_INTL, source_addr_npi=1,
                       source_addr=ACME_DEFAULT.lstrip("+"), dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
                       dest_addr_npi=1, destination_addr=ORDINARY.lstrip("+"), short_message=b"smpplib via haproxy",
                       registered_delivery=True)
        deadline = time.monotonic() + 10
        while not (sent and received):
            assert time.monotonic() < deadline, f"smpplib through haproxy: sent={sent} received={received}"
            c.read_once()
        assert sent[0][0] == 0, sent
        assert received[0].receipted_message_id, received[0]
    finally:
        c.unbind()
        c.disconnect()


def test_allowed_ips_see_the_address_from_the_header(daemon, balancer):
    """allowed-ips ["127.0.0.5"] binds from 127.0.0.5 through haproxy; ["127.0.0.6"] is refused
    from there (ESME_RBINDFAIL) and binds from 127.0.0.6."""
    with via(balancer, "127.0.0.5") as c:
        c.bind_ok("transmitter", "only5", "five")
    with via(balancer, "127.0.0.5") as c:
        assert c.bind("transmitter", "only6", "six").status == smpp.ESME_RBINDFAIL
    with via(balancer, "127.0.0.6") as c:
        c.bind_ok("transmitter", "only6", "six")


def test_bind_lockout_counts_per_real_client(daemon, balancer):
    """MAX_FAILURES wrong passwords from 127.0.0.7 lock 127.0.0.7 out (even the right password
    then gets ESME_RBINDFAIL), while 127.0.0.8 behind the same haproxy binds at once."""
    mark = daemon.mark()
    for _ in range(MAX_FAILURES):
        with via(balancer, "127.0.0.7") as c:
            assert c.bind("transceiver", "acme", "wrong").status == smpp.ESME_RINVPASWD
    daemon.wait_for_event("bind-lockout", since=mark, ip="127.0.0.7")
    with via(balancer, "127.0.0.7") as c:
        assert c.bind("transceiver", "acme", "secret").status == smpp.ESME_RBINDFAIL
    with via(balancer, "127.0.0.8") as c:
        c.bind_ok("transceiver", "acme", "secret")
    assert not daemon.find_events("bind-lockout", since=mark, ip="127.0.0.1")


def _raw(port: int, data: bytes, *, close_write: bool = False, timeout: float = 10.0) -> tuple[bytes, int]:
    """Connects from 127.0.0.1 straight to smppd, sends `data` (then FIN with close_write), and
    reads until the server closes. Returns (what the server sent, our local port)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        local = s.getsockname()[1]
        s.sendall(data)
        if close_write:
            s.shutdown(socket.SHUT_WR)
        got = b""
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(deadline - time.monotonic(), 0.01))
            try:
                chunk = s.recv(4096)
            except ConnectionResetError:
                break
            except socket.timeout:
                raise AssertionError(f"smppd kept the connection open {timeout}s after {data[:24]!r}") from None
            if not chunk:
                break
            got += chunk
        return got, local


PROXY_V2_SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


@pytest.mark.parametrize("name,data,close_write,reason", [
    ("tls-without-header", smpp.client_hello_bytes(), False, "bad signature"),
    ("smpp-without-header", smpp.bind("transceiver", 1, "acme", "secret"), False, "bad signature"),
    ("v1-text-header", b"PROXY TCP4 127.0.0.5 127.0.0.1 40000 2775\r\n", False, "version 1"),
    ("version-3", PROXY_V2_SIGNATURE + b"\x31\x11\x00\x0c" + bytes(12), False, "unsupported version 3"),
    ("unix-family", PROXY_V2_SIGNATURE + b"\x21\x31\x00\xd8" + bytes(216), False, "family UNIX"),
    ("over-long", PROXY_V2_SIGNATURE + b"\x21\x11\xff\xff", False, "over the limit of 512"),
    ("truncated-then-closed", PROXY_V2_SIGNATURE[:7], True, "closed the connection after 7 bytes"),
])
def test_listed_peer_without_a_valid_header_is_closed_and_logged(daemon, name, data, close_write, reason):
    """A socket from a listed address (127.0.0.1, straight to smppd) that sends anything but a
    valid v2 header is closed without a byte in reply, with one `proxy-header-invalid` line
    naming it and the reason, and counted in smppd_proxy_header_invalid_total."""
    before = msgkit.metric(msgkit.metrics(daemon), "smppd_proxy_header_invalid_total")
    mark = daemon.mark()
    got, local = _raw(daemon.port, data, close_write=close_write)
    assert got == b"", f"{name}: the server answered {got[:40]!r}"
    ev = daemon.wait_for_event("proxy-header-invalid", since=mark, peer=f"127.0.0.1:{local}")
    assert reason in ev["reason"], ev
    assert ev["level"] == "warning", ev
    assert len(daemon.find_events("proxy-header-invalid", since=mark, peer=f"127.0.0.1:{local}")) == 1
    after = msgkit.metric(msgkit.metrics(daemon), "smppd_proxy_header_invalid_total")
    assert after == before + 1, (before, after)
    assert daemon.running()


def test_listed_peer_that_sends_nothing_is_closed_at_the_handshake_timeout(smppd):
    """A listed peer that connects and stays silent is closed when the handshake timeout runs
    out, logged like any other invalid header."""
    d = smppd(server={"proxy-protocol-from": ["127.0.0.1"]}, timeouts={"handshake-ms": 300})
    mark = d.mark()
    started = time.monotonic()
    got, local = _raw(d.port, b"")
    assert got == b""
    ev = d.wait_for_event("proxy-header-invalid", since=mark, peer=f"127.0.0.1:{local}")
    assert "timeout" in ev["reason"], ev
    assert time.monotonic() - started < 5


def test_peers_not_in_the_list_get_no_header_processing(smppd):
    """With proxy-protocol-from = ["127.0.0.9"], a client from 127.0.0.1 binds straight away
    without a header and shows as 127.0.0.1; one from the listed 127.0.0.9 without a header is
    refused as invalid."""
    d = smppd(accounts=[ACME], server={"proxy-protocol-from": ["127.0.0.9"]})
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        assert session_peers(d) == [f"127.0.0.1:{c.local_port}"]
    mark = d.mark()
    with pytest.raises(OSError):  # ssl.SSLEOFError or a reset: the handshake never happens
        smpp.Client.open(d.port, source="127.0.0.9", timeout=5).close()
    ev = d.wait_for_event("proxy-header-invalid", since=mark)
    assert ev["peer"].startswith("127.0.0.9:") and ev["reason"] == "bad signature", ev


def test_sighup_applies_a_changed_list_to_new_connections(smppd, tmp_path):
    """proxy-protocol-from edited and SIGHUP: a session bound before stays bound; a direct
    client from 127.0.0.1 (now listed) is refused as invalid, and one through haproxy binds with
    its own address."""
    d = smppd(accounts=[ACME], server={"proxy-protocol-from": ["127.0.0.9"]})
    with d.connect() as old:
        old.bind_ok("transceiver", "acme", "secret")
        d.write_config(harness.make_config(d.data_dir, accounts=[ACME], server={"proxy-protocol-from": ["127.0.0.1"]}))
        d.reload()
        mark = d.mark()
        got, local = _raw(d.port, smpp.client_hello_bytes())
        assert got == b""
        d.wait_for_event("proxy-header-invalid", since=mark, peer=f"127.0.0.1:{local}")
        with Haproxy(tmp_path / "haproxy", [("127.0.0.1", d.port)]) as h, via(h, "127.0.0.5") as c:
            c.bind_ok("transceiver", "acme", "secret")
            assert f"127.0.0.5:{c.local_port}" in session_peers(d)
        old.enquire_link()


def test_plaintext_listener_reads_the_header_too(smppd, tmp_path):
    """The plaintext listener (load tests) reads the header before the first SMPP byte: a bind
    through haproxy from 127.0.0.5 shows 127.0.0.5."""
    d = smppd(accounts=[ACME], plaintext=True,
              server={"proxy-protocol-from": ["127.0.0.1"], "plaintext-listen": "127.0.0.1:0"})
    with Haproxy(tmp_path / "haproxy", [("127.0.0.1", d.plaintext_port)]) as h:
        with smpp.Client.open(h.port, tls=False, source="127.0.0.5") as c:
            c.bind_ok("transceiver", "acme", "secret")
            assert session_peers(d) == [f"127.0.0.5:{c.local_port}"]


def test_haproxy_health_checks_send_local_and_are_not_invalid(smppd, tmp_path):
    """`check check-send-proxy`: haproxy's health checks open connections that carry a LOCAL
    header and close; smppd keeps their socket address and never logs them as invalid."""
    d = smppd(accounts=[ACME], server={"proxy-protocol-from": ["127.0.0.1"]})
    mark = d.mark()
    with Haproxy(tmp_path / "haproxy", [("127.0.0.1", d.port)], check=True, check_inter_ms=100) as h:
        for _ in range(3):
            d.wait_for_event("handshake-failed", since=mark, peer=lambda p: p.startswith("127.0.0.1:"))
            mark = d.mark()
        with via(h, "127.0.0.5") as c:
            c.bind_ok("transceiver", "acme", "secret")
    assert not d.find_events("proxy-header-invalid"), d.log_text(tail=30)
    assert msgkit.metric(msgkit.metrics(d), "smppd_proxy_header_invalid_total") == 0


def test_two_smppd_behind_haproxy_share_the_connections(smppd, tmp_path):
    """balance leastconn over two smppd: four bound sessions held open spread over both (two
    each), and each daemon sees the clients' own address."""
    daemons = [smppd(accounts=[ACME], server={"proxy-protocol-from": ["127.0.0.1"]}) for _ in range(2)]
    with Haproxy(tmp_path / "haproxy", [("127.0.0.1", d.port) for d in daemons]) as h:
        clients = []
        try:
            for i in range(4):
                c = via(h, f"127.0.0.{20 + i}")
                clients.append(c)
                c.bind_ok("transceiver", "acme", "secret")
            peers = [session_peers(d) for d in daemons]
            assert sorted(len(p) for p in peers) == [2, 2], peers
            assert sorted(p.split(":")[0] for ps in peers for p in ps) == [f"127.0.0.{20 + i}" for i in range(4)]
        finally:
            for c in clients:
                c.close()


@pytest.mark.parametrize("value,problem", [
    ('["10.0.0.0/33"]', "prefix length"),
    ('["haproxy.internal"]', "not an IPv4 or IPv6 address"),
    ('["10.1.0.0/8"]', "10.0.0.0/8"),
    ('"127.0.0.1"', "array of strings"),
])
def test_bad_proxy_protocol_from_exits_78_naming_the_key(smppd_bin, tmp_path, value, problem):
    """A bad entry in proxy-protocol-from stops start-up with exit 78 (config error), naming the
    key and what is wrong with the value."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text(f"[server]\nproxy-protocol-from = {value}\n")
    proc = harness.run_tool(smppd_bin, ["--config", str(cfg), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                                        "--data-dir", str(tmp_path / "data")], cwd=tmp_path)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 78, f"exit {proc.returncode}:\n{err}"
    assert "server.proxy-protocol-from" in err and problem in err, err
    assert "event=listening" not in err
