"""Helpers for the forwarding tests (issue 12): a free port that stays the same across a
daemon's restarts, and the config of a node forwarding to carriers upstream."""

from __future__ import annotations

import socket

import harness

RELAY_ID = "relay"      # the account node A binds with at node B
RELAY_PASSWORD = "r3lay"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (probed: bound with port 0, then released), for a
    listener that must keep its port across restarts (an upstream the other node reconnects to)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def relay_account(**keys) -> dict:
    """The account node A binds with at node B: transceiver, any source, many sessions."""
    return harness.account(RELAY_ID, RELAY_PASSWORD, max_sessions=50, **keys)


def smpp_carrier(name: str, port: int, **keys) -> dict:
    """A [[carrier]] of kind smpp binding to 127.0.0.1:port as the relay account, quick to
    reconnect (tests wait for it)."""
    return {"name": name, "kind": "smpp", "host": "127.0.0.1", "port": port, "system-id": RELAY_ID,
            "password": RELAY_PASSWORD, "reconnect-initial-ms": 100, "reconnect-max-ms": 1000, **keys}
