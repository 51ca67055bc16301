"""Running out of file descriptors on accept (issue 13): smppd under a low RLIMIT_NOFILE (set
with util-linux prlimit, soft = hard so the daemon cannot raise it) keeps running, logs
`event=accept-exhausted` once (rate-limited: at most one line per 10 s, with the count it held
back), counts every failure in smppd_accept_exhausted_total, and accepts again once
descriptors are free (`event=accept-resumed failures=N`)."""

from __future__ import annotations

import shutil
import socket

import pytest

import msgkit
from msgkit import ACME

LIMIT = 32          # the idle daemon holds ~10 descriptors
MAX_CLIENTS = 80    # more than enough to run it out, bounded


@pytest.mark.skipif(shutil.which("prlimit") is None, reason="needs util-linux prlimit (.ci/run installs it)")
def test_ops_accept_out_of_descriptors_is_logged_counted_and_recovers(smppd):
    d = smppd(accounts=[ACME], timeouts={"handshake-ms": 120000, "bind-ms": 120000},
              wrapper=["prlimit", f"--nofile={LIMIT}:{LIMIT}", "--"])
    clients: list[socket.socket] = []
    try:
        # Plain TCP connections: each costs the daemon one descriptor while it waits for the
        # TLS handshake. The kernel completes them from the backlog whether accepted or not.
        for _ in range(MAX_CLIENTS):
            clients.append(socket.create_connection(("127.0.0.1", d.port), timeout=5))
            if d.find_events("accept-exhausted"):
                break
        ev = d.wait_for_event("accept-exhausted", timeout=10)
        assert ev["errno"] in ("EMFILE", "ENFILE"), ev
        assert ev["level"] == "warning" and ev["suppressed"] == "0" and str(d.port) in ev["listener"], ev
        assert d.running(), "the daemon died instead of pausing its accepts"
    finally:
        for s in clients:
            s.close()
    # Descriptors free again: the backlog drains and accepting resumes.
    resumed = d.wait_for_event("accept-resumed", timeout=15)
    failures = int(resumed["failures"])
    assert failures >= 1, resumed
    assert len(d.find_events("accept-exhausted")) == 1, "more than one accept-exhausted line within 10 s"
    samples = msgkit.metrics(d)
    total = sum(msgkit.metric(samples, "smppd_accept_exhausted_total", errno=e) or 0
                for e in ("EMFILE", "ENFILE", "ENOBUFS", "ENOMEM"))
    assert total == failures, f"metric {total} vs failures={failures} logged"
    stats = msgkit.admin(d, "GET", "/v1/stats").json()
    assert stats["accept_exhausted_total"] == failures, stats
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
