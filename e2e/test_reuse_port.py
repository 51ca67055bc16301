"""`[server] reuse-port = true` (issue 15): SO_REUSEPORT on the SMPP listeners, so several smppd
processes, each with its own data directory, share one port and the kernel spreads new
connections over them. Without it on every one of them, the second process exits naming the
address in use."""

from __future__ import annotations

import pytest

import harness
import msgkit
from msgkit import ACME

MAX_CONNECTIONS = 64  # P(all on one of two processes) = 2**-63 with the kernel's hash


def _sessions(daemon) -> int:
    return len(msgkit.admin(daemon, "GET", "/v1/sessions").json()["sessions"])


def test_two_processes_share_the_port_and_both_serve(smppd):
    """Two smppd with reuse-port on the same 127.0.0.1 port both start; clients connecting to
    that port bind, and both processes get some of them (each one's /v1/sessions)."""
    first = smppd(accounts=[ACME], server={"reuse-port": True})
    second = smppd(accounts=[ACME], server={"reuse-port": True}, args=["--listen", f"127.0.0.1:{first.port}"])
    assert second.port == first.port
    assert second.find_events("listening", proto="tls", reuse_port="true")
    clients = []
    try:
        while len(clients) < MAX_CONNECTIONS and not (_sessions(first) and _sessions(second)):
            c = first.connect()  # the shared port
            clients.append(c)
            c.bind_ok("transceiver", "acme", "secret")
        counts = (_sessions(first), _sessions(second))
        assert all(counts), f"after {len(clients)} connections the sessions per process are {counts}"
        assert sum(counts) == len(clients)
    finally:
        for c in clients:
            c.close()


@pytest.mark.parametrize("first_reuses,second_reuses,hint", [
    (False, False, "set [server] reuse-port = true in every smppd"),
    (True, False, "set [server] reuse-port = true in every smppd"),
    (False, True, "does not set SO_REUSEPORT"),
])
def test_a_second_process_without_reuse_port_everywhere_exits_naming_the_address(
        smppd, smppd_bin, tmp_path, first_reuses, second_reuses, hint):
    """The port is held by a running smppd; a second one that does not share it that way
    exits (70, a start-up failure, not a config error) with a line naming the address in use
    and what to do; the first one keeps serving."""
    first = smppd(accounts=[ACME], server={"reuse-port": first_reuses})
    config = tmp_path / "second.toml"
    config.write_text(harness.make_config(tmp_path / "data", server={"reuse-port": second_reuses}))
    proc = harness.run_tool(smppd_bin, ["--config", str(config), "--listen", f"127.0.0.1:{first.port}",
                                        "--admin", "127.0.0.1:0"], cwd=tmp_path)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 70, f"exit {proc.returncode}:\n{err}"
    failed = [harness.parse_logfmt(l) for l in err.splitlines() if "event=startup-failed" in l]
    assert failed, err
    assert f"address in use: 127.0.0.1:{first.port}" in failed[0]["error"], failed[0]
    assert hint in failed[0]["error"], failed[0]
    assert "event=listening proto=tls" not in err and "proto=tls" not in " ".join(
        l for l in err.splitlines() if "event=listening" in l)
    with first.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
