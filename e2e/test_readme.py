"""The README's first five minutes (issue 13): its Python snippets, run as written against a
daemon started the way the README starts it (no flags but the test's free ports, cwd = its
directory, so `./var` holds the certificate), with only what the README says to change: the
port (2775 is the default; the test's daemon has a free one) and the demo password (printed
once in the `event=demo-account` line). The demo account's default number must carry the
message (empty source_addr) and the receipt must come back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import harness
import msgkit

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DEMO_NUMBER = "+12025550142"
SNIPPET_TIMEOUT = 60.0


def python_snippets(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def readme_password(text: str) -> str:
    """The password the README's sample demo-account line shows (the one its snippet uses)."""
    m = re.search(r"event=demo-account .*?password=(\S+)", text)
    assert m, "README has no sample event=demo-account line"
    return m.group(1)


def test_readme_demo_line_names_the_real_fields(smppd):
    """The README's sample demo-account line has the keys the daemon really logs, the fictional
    default number among them."""
    d = smppd(use_config=False, data_dir=None)
    ev = d.wait_for_event("demo-account", system_id="demo")
    assert ev.get("number") == DEMO_NUMBER, ev
    sample = harness.parse_logfmt(re.search(r"^ts=… level=notice event=demo-account.*$", README.read_text(), re.M).group(0))
    assert set(sample) - {"note"} <= set(ev), f"README line keys {sorted(sample)} vs logged {sorted(ev)}"
    assert sample["number"] == DEMO_NUMBER


def test_readme_python_snippets_bind_send_and_get_the_receipt(smppd):
    """The README's snippets, concatenated and run in a fresh Python: bind as demo over TLS with
    the generated certificate, send one message with an empty source_addr and
    registered_delivery=1, print its message_id and its DELIVRD receipt. The message went out
    from the demo account's default number (admin GET /v1/messages/{id})."""
    text = README.read_text()
    snippets = python_snippets(text)
    assert len(snippets) >= 2, "README lost its bind and send snippets"
    d = smppd(use_config=False, data_dir=None)
    password = d.wait_for_event("demo-account", system_id="demo")["password"]
    assert (d.workdir / "var" / "tls-cert.pem").exists()
    code = "\n".join(snippets)
    assert '"127.0.0.1", 2775' in code and readme_password(text) in code, "the snippet's host/port/password changed"
    code = code.replace('"127.0.0.1", 2775', f'"127.0.0.1", {d.port}').replace(readme_password(text), password)
    try:
        proc = subprocess.run([sys.executable, "-c", code], cwd=d.workdir, capture_output=True, text=True,
                              timeout=SNIPPET_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"README snippets still running after {SNIPPET_TIMEOUT}s: {exc.stdout!r} {exc.stderr!r}") from None
    out = f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout}--- stderr ---\n{proc.stderr}"
    assert proc.returncode == 0, out
    m = re.search(r"^message_id: (\S+)$", proc.stdout, re.M)
    assert m, out
    message_id = m.group(1)
    receipt = re.search(r"^receipt: (.*)$", proc.stdout, re.M)
    assert receipt, out
    assert f"id:{message_id} " in receipt.group(1) and "stat:DELIVRD" in receipt.group(1), out
    assert "text:Hello from smppd" in receipt.group(1), out
    r = msgkit.admin(d, "GET", f"/v1/messages/{message_id}")
    assert r.status == 200, r
    record = r.json()
    assert record["source"] == DEMO_NUMBER and record["account"] == "demo", record
    assert record["stat"] == "DELIVRD", record
