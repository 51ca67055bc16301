"""Helpers for the forwarding tests (issue 12): a free port that stays the same across a
daemon's restarts, and the config of a node forwarding to carriers upstream."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import harness
import msgkit
import smpp

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


class HttpService:
    """e2e/upstream_http_service.py in a subprocess on a free port: the SMS service's HTTP API.
    Started with its flags; `requests()` is every batch it received, `control(...)` changes its
    behaviour, `stop()` ends it (a fixture's teardown calls it)."""

    SCRIPT = Path(__file__).with_name("upstream_http_service.py")

    def __init__(self, *flags: str, port: int = 0):
        self.proc = subprocess.Popen([sys.executable, str(self.SCRIPT), "--port", str(port), *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()   # the port, once it accepts connections
        if not line.strip().isdigit():
            self.proc.kill()
            raise AssertionError(f"upstream_http_service did not start: {line!r} {self.proc.stderr.read()[-2000:]}")
        self.port = int(line)
        self.url = f"http://127.0.0.1:{self.port}/sms"

    def _call(self, method: str, path: str, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def requests(self) -> list[dict]:
        return self._call("GET", "/_requests")

    def control(self, **settings) -> dict:
        return self._call("POST", "/_control", settings)

    def accepted(self) -> dict[str, str]:
        """Our id -> the service's id, for every message it accepted."""
        out = {}
        for r in self.requests():
            for x in (r.get("answer") or {}).get("results", []):
                if x.get("status") == "accepted":
                    out[x["id"]] = x["upstream_id"]
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def http_carrier(name: str, url: str, **keys) -> dict:
    """A [[carrier]] of kind http posting to `url`, with quick retries (tests wait for them)."""
    return {"name": name, "kind": "http", "url": url, "linger-ms": 5, "retry-initial-ms": 50,
            "retry-max-ms": 200, "timeout-ms": 2000, **keys}


def submit_burst(c: smpp.Client, destinations: list[str], text) -> tuple[list[str], dict[str, str]]:
    """One pipelined burst of submit_sm (registered_delivery=1), read by one loop that answers
    every deliver_sm as it comes (submit_ok would leave deliver_sm arriving meanwhile
    unanswered). `text` is bytes, or a function of the index giving bytes. Returns the ids
    in order and the receipts that arrived meanwhile (id -> stat)."""
    seqs, data = [], bytearray()
    for i, to in enumerate(destinations):
        seqs.append(c.next_seq())
        data += smpp.submit_sm(seqs[-1], to, text(i) if callable(text) else text, registered_delivery=1)
    c.send_raw(bytes(data))
    ids, early = {}, {}
    while len(ids) < len(seqs):
        pdu = c.recv_pdu(timeout=10)
        if pdu.command_id == smpp.SUBMIT_SM_RESP:
            assert pdu.status == 0, pdu
            ids[pdu.sequence] = smpp.decode_submit_sm_resp(pdu)
        elif pdu.command_id == smpp.DELIVER_SM:
            d = smpp.decode_deliver_sm(pdu)
            early[d.receipted_message_id] = msgkit.Receipt(d).stat
            c.send_raw(smpp.deliver_sm_resp(pdu.sequence))
    return [ids[q] for q in seqs], early
