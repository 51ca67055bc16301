"""Messaging helpers for the end-to-end suite, written from docs/messaging.md and CONTRACT
§4–§8: the receipt text (C-DLV-1), test numbers (C-SIM-2), message_id shapes, and a small
admin HTTP client (stdlib http.client only). Nothing here comes from the server's code."""

from __future__ import annotations

import datetime
import http.client
import json
import re
import time

import harness
import smpp

# Accounts most messaging tests use. acme owns two numbers; beta is "another account".
ACME_DEFAULT = "+12125550100"
ACME_OTHER = "+12125550101"
ACME = harness.account("acme", "secret", max_sessions=20, numbers=[ACME_DEFAULT, ACME_OTHER],
                       default_number=ACME_DEFAULT)
BETA_NUMBER = "+14155550100"
BETA = harness.account("beta", "b3ta", max_sessions=20, numbers=[BETA_NUMBER], default_number=BETA_NUMBER)


def dest(last4: str | int, prefix: str = "+1646555") -> str:
    """An E.164 destination ending in the given four digits (C-SIM-2 matches on them)."""
    return f"{prefix}{int(last4):04d}"


ORDINARY = dest(1234)  # no test number: follows the (fast, all-delivered) carrier mix

def same_number(a: str, b: str) -> bool:
    """E.164 numbers compared with the optional '+' ignored (C-SUB-2's rule for source_addr)."""
    return a.lstrip("+") == b.lstrip("+") and a.lstrip("+") != ""


# --- receipts (C-DLV-1) --------------------------------------------------------------------
STATS = ("DELIVRD", "EXPIRED", "DELETED", "UNDELIV", "ACCEPTD", "UNKNOWN", "REJECTD")
STAT_STATE = {"DELIVRD": smpp.STATE_DELIVERED, "EXPIRED": smpp.STATE_EXPIRED, "DELETED": smpp.STATE_DELETED,
              "UNDELIV": smpp.STATE_UNDELIVERABLE, "ACCEPTD": smpp.STATE_ACCEPTED,
              "UNKNOWN": smpp.STATE_UNKNOWN, "REJECTD": smpp.STATE_REJECTED}
RECEIPT_RE = re.compile(
    r"^id:(?P<id>[!-~]{1,64}) sub:001 dlvrd:(?P<dlvrd>001|000) "
    r"submit date:(?P<submit>\d{10}) done date:(?P<done>\d{10}) "
    r"stat:(?P<stat>DELIVRD|EXPIRED|DELETED|UNDELIV|ACCEPTD|UNKNOWN|REJECTD) "
    r"err:(?P<err>\d{3}) text:(?P<text>.{0,20})$", re.S)

HEX_ID = re.compile(r"^(0|[1-9a-f][0-9a-f]{0,15})$")
UPPER_HEX_ID = re.compile(r"^(0|[1-9A-F][0-9A-F]{0,15})$")
DECIMAL_ID = re.compile(r"^(0|[1-9][0-9]{0,19})$")
FINAL_DATE = re.compile(r"^\d{12}000\+$")  # YYMMDDhhmmss000+ (v3.4 7.1.1 absolute, UTC)


def utc_now() -> datetime.datetime:
    """The wall clock in UTC as a naive datetime, to compare with the daemon's UTC dates."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def absolute_time_in(*, days: float = 0, seconds: float = 0) -> str:
    """An SMPP absolute time (v3.4 7.1.1, "YYMMDDhhmmsst00+" in UTC) that far from now, so a test
    that needs a time in the future stays in the future whatever day it runs."""
    at = utc_now() + datetime.timedelta(days=days, seconds=seconds)
    return at.strftime("%y%m%d%H%M%S") + "000+"


def parse_receipt_date(value: str) -> datetime.datetime:
    return datetime.datetime.strptime(value, "%y%m%d%H%M")


class Receipt:
    """A decoded, format-checked delivery receipt."""

    def __init__(self, d: smpp.ShortMessagePdu):
        self.pdu = d
        self.raw_text = d.short_message.decode("latin-1")
        m = RECEIPT_RE.match(self.raw_text)
        assert m, f"receipt text does not match C-DLV-1: {self.raw_text!r}"
        self.id = m["id"]
        self.stat = m["stat"]
        self.err = m["err"]
        self.dlvrd = m["dlvrd"]
        self.text = m["text"]
        self.submit_date, self.done_date = m["submit"], m["done"]

    def __repr__(self):
        return f"Receipt({self.raw_text!r}, seq={self.pdu.sequence})"


def check_receipt(d: smpp.ShortMessagePdu, *, message_id: str | None = None, stat: str | None = None,
                  err: str | None = None, original_source: str | None = None,
                  original_dest: str | None = None, text: str | None = None,
                  submitted_near: datetime.datetime | None = None) -> Receipt:
    """Everything C-DLV-1 says about one receipt: esm_class 0x04, swapped addresses, the text
    format, and the TLVs receipted_message_id / message_state / network_error_code agreeing
    with the text. Optional expectations narrow it further.

    `submitted_near` is the moment the submit date must be close to. It defaults to now, which
    is right only for a receipt a running daemon just sent; a fixed test vector passes its own
    moment, so the check never depends on the day the test runs."""
    assert d.esm_class == 0x04, f"receipt esm_class 0x{d.esm_class:02x}, want 0x04: {d}"
    r = Receipt(d)
    assert r.dlvrd == ("001" if r.stat == "DELIVRD" else "000"), f"dlvrd {r.dlvrd} with stat {r.stat}: {r}"
    sub, done = parse_receipt_date(r.submit_date), parse_receipt_date(r.done_date)
    assert done >= sub, f"done date before submit date: {r}"
    near = submitted_near if submitted_near is not None else utc_now()
    # The receipt's dates have minute resolution; a live receipt may be read a little later.
    assert abs((sub - near).total_seconds()) < 300, f"submit date {r.submit_date} not near {near:%y%m%d%H%M}: {r}"
    assert d.receipted_message_id == r.id, \
        f"receipted_message_id {d.tlvs.get(smpp.TLV_RECEIPTED_MESSAGE_ID)!r} != id:{r.id}"
    assert d.tlvs.get(smpp.TLV_RECEIPTED_MESSAGE_ID, b"").endswith(b"\x00"), \
        "receipted_message_id is a C-Octet String (5.3.2.12): NUL-terminated"
    assert d.message_state == STAT_STATE[r.stat], \
        f"message_state TLV {d.tlvs.get(smpp.TLV_MESSAGE_STATE)!r} != {STAT_STATE[r.stat]} for stat:{r.stat}"
    nec = d.tlvs.get(smpp.TLV_NETWORK_ERROR_CODE)
    assert nec is not None and len(nec) == 3, f"network_error_code TLV {nec!r}: want 3 octets"
    assert nec[0] == 3 and int.from_bytes(nec[1:], "big") == int(r.err), \
        f"network_error_code {nec.hex()} != type 3 + err {r.err}"
    if message_id is not None:
        assert r.id == message_id, f"receipt id:{r.id} != submit_sm_resp message_id {message_id}"
    if stat is not None:
        assert r.stat == stat, f"stat:{r.stat}, want {stat}: {r}"
    if err is not None:
        assert r.err == err, f"err:{r.err}, want {err}: {r}"
    if original_source is not None:
        assert same_number(d.destination_addr, original_source), \
            f"receipt destination {d.destination_addr!r} != original source {original_source!r}"
    if original_dest is not None:
        assert same_number(d.source_addr, original_dest), \
            f"receipt source {d.source_addr!r} != original destination {original_dest!r}"
    if text is not None:
        assert r.text == text[:20], f"receipt text:{r.text!r}, want {text[:20]!r}"
    return r


def receipts_by_id(client: smpp.Client, ids, timeout: float, *, stat: str | None = None) -> dict:
    """Read deliver_sm (answering them) until a receipt for every id in `ids` arrived (with
    `stat`, if given); returns id -> Receipt. Receipts for other ids are ignored."""
    want = set(ids)
    got: dict[str, Receipt] = {}
    deadline = time.monotonic() + timeout
    while want - set(got):
        remaining = deadline - time.monotonic()
        try:
            d = client.next_deliver(max(remaining, 0.0))
        except smpp.PduTimeout:
            raise AssertionError(f"no receipt within {timeout:.1f}s for {sorted(want - set(got))}; "
                                 f"have {got}") from None
        if not d.is_receipt:
            continue
        r = check_receipt(d)
        if r.id in want and (stat is None or r.stat == stat):
            got[r.id] = r
    return got


def wait_state(client: smpp.Client, message_id: str, state: int, timeout: float = 5.0) -> smpp.QuerySmResp:
    """Poll query_sm (every 50 ms) until message_state == state."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        pdu = client.query(message_id)
        assert pdu.command_id == smpp.QUERY_SM_RESP and pdu.status == 0, f"query_sm {message_id}: {pdu}"
        last = smpp.decode_query_sm_resp(pdu)
        if last.message_state == state:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"message {message_id} not in state {state} within {timeout}s: {last}")
        client.readable_soon(0.05)  # pacing; deliver_sm meanwhile stay queued in the client


def wait_until(predicate, timeout: float, what: str):
    """Poll `predicate` every 50 ms until it returns something truthy (returned); AssertionError
    naming `what` after `timeout` seconds. For state that only a poll can see (an admin gauge);
    where a PDU or a log line announces the change, wait for that instead."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.1f}s waiting for {what} (last: {value!r})")
        time.sleep(0.05)


# --- admin HTTP ----------------------------------------------------------------------------

class Http:
    def __init__(self, status: int, headers: dict, body: bytes):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            raise AssertionError(f"admin answered {self.status} with non-JSON body {self.body[:200]!r}") from None

    def __repr__(self):
        return f"HTTP {self.status} {self.body[:300]!r}"


def admin(daemon: harness.Daemon, method: str, path: str, body=None, *, token: str | None = None,
          raw: bytes | None = None, timeout: float = 5.0) -> Http:
    """One request to the daemon's admin listener. `body` is sent as JSON; `raw` as is."""
    host, port = daemon.admin_addr()
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {}
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        headers["Content-Type"] = "application/json"
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        return Http(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text: str) -> dict:
    """Prometheus text 0.0.4 -> {(name, frozenset(labels.items())): value}."""
    out = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = _SAMPLE.match(line.strip())
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = frozenset(_LABEL.findall(m[2] or ""))
        out[(m[1], labels)] = float(m[3])
    return out


def metrics(daemon: harness.Daemon, token: str | None = None) -> dict:
    r = admin(daemon, "GET", "/metrics", token=token)
    assert r.status == 200, f"GET /metrics: {r}"
    return parse_metrics(r.body.decode())


def metric(samples: dict, name: str, **labels) -> float | None:
    want = frozenset((k, str(v)) for k, v in labels.items())
    for (n, ls), v in samples.items():
        if n == name and want <= ls:
            return v
    return None
