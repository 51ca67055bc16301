"""The status page at the admin listener's `/` (issue 13), in a real browser: headless Chromium
(Debian's package, .ci/run installs it) loads the page while a session is bound and traffic
runs; after its scripts ran (a virtual-time budget of several polls), the DOM must show the
session's row and a non-zero submit rate. A screenshot is kept under e2e/artifacts/ for
people to look at. The page is one self-contained file: no external URL in it."""

from __future__ import annotations

import html.parser
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

import harness
import msgkit
import smpp
from msgkit import ACME, ORDINARY, dest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "admin-status-page.html"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_TIMEOUT = 90.0
MAX_SUBMITS = 20000   # the traffic thread's bound


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def run_chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--mute-audio",
           f"--user-data-dir={profile}", *args]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"chromium still running after {CHROMIUM_TIMEOUT}s: {exc.stderr!r}") from None


class Traffic(threading.Thread):
    """submit_sm one after another (each waits for its response) on a transceiver, receipts
    asked for and answered, every 25th to a number the carrier refuses (errors/s), until
    stopped or MAX_SUBMITS."""

    def __init__(self, d: harness.Daemon):
        super().__init__(daemon=True)
        self.d = d
        self.stop = threading.Event()
        self.sent = 0
        self.error: BaseException | None = None

    def run(self):
        try:
            with self.d.connect() as c:
                c.bind_ok("transceiver", "acme", "secret")
                while not self.stop.is_set() and self.sent < MAX_SUBMITS:
                    if self.sent % 25 == 24:
                        assert c.submit(dest(9996), b"refused").status == smpp.ESME_RSUBMITFAIL
                    else:
                        c.submit_ok(ORDINARY, b"status page traffic", registered_delivery=1)
                    self.sent += 1
                    while any(p.command_id == smpp.DELIVER_SM for p in c.unsolicited):
                        c.next_deliver(1)   # answers the receipt
                    self.stop.wait(0.002)   # pace it: the browser needs the CPU too
        except BaseException as exc:   # reported by the test
            self.error = exc


class DOM(html.parser.HTMLParser):
    """The bits of the dumped DOM the test reads: session rows and the rate values."""

    def __init__(self):
        super().__init__()
        self.session_rows: list[dict] = []
        self.rates: dict[str, float] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "session" in (a.get("class") or "").split():
            self.session_rows.append(a)
        if a.get("id", "").startswith("rate-") and "data-rate" in a:
            self.rates[a["id"][5:]] = float(a["data-rate"])


def test_page_is_self_contained_and_served_as_is(module_smppd):
    """GET / serves docs/admin-status-page.html unchanged (text/html); it loads nothing from
    elsewhere: no src/href to another host, no @import, no CDN."""
    d = module_smppd(accounts=[ACME])
    r = msgkit.admin(d, "GET", "/")
    assert r.status == 200 and r.headers["content-type"].startswith("text/html"), r
    assert r.body == PAGE.read_bytes(), "served page differs: run scripts/embed-admin-assets.py and rebuild"
    text = PAGE.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "the page loads something from elsewhere"
    assert "@import" not in text and "<link" not in text


@pytest.mark.skipif(chromium() is None, reason="needs chromium (.ci/run installs it)")
def test_status_page_in_headless_chromium_shows_session_and_rate(smppd, tmp_path):
    d = smppd(accounts=[ACME])
    host, port = d.admin_addr()
    url = f"http://{host}:{port}/"
    traffic = Traffic(d)
    with d.connect() as rx:
        rx.bind_ok("receiver", "acme", "secret")
        traffic.start()
        try:
            # Traffic is flowing before the browser starts polling.
            assert _wait_submits(d, 20), f"no traffic: {traffic.error!r}"
            dom_run = run_chromium(["--virtual-time-budget=8000", "--dump-dom", url], tmp_path / "profile-dom")
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shot = ARTIFACTS / "status-page.png"
            shot.unlink(missing_ok=True)
            shot_run = run_chromium(["--virtual-time-budget=8000", "--window-size=1280,1200",
                                     "--hide-scrollbars", f"--screenshot={shot}", url], tmp_path / "profile-shot")
        finally:
            traffic.stop.set()
            traffic.join(timeout=30)
        assert traffic.error is None, traffic.error
        for _ in range(MAX_SUBMITS):   # the receiver's share of the receipts, answered
            if not rx.readable_soon(0.05):
                break
            rx.next_deliver(1)
    assert dom_run.returncode == 0, dom_run.stderr[-3000:]
    (ARTIFACTS / "status-page.html").write_text(dom_run.stdout)
    dom = DOM()
    dom.feed(dom_run.stdout)
    assert "connected" in dom_run.stdout, "the page never reached the admin API"
    ids = [row.get("data-system-id") for row in dom.session_rows]
    assert ids.count("acme") >= 2, f"session rows {dom.session_rows}"
    assert dom.rates.get("submits", 0) > 0, f"rates in the DOM: {dom.rates}"
    assert "ESME_RSUBMITFAIL" in dom_run.stdout, "the refused submits are not among the last errors"
    assert set(dom.rates) == {"submits", "receipts", "mo", "errors"}, dom.rates
    assert shot_run.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000, shot_run.stderr[-3000:]


def _wait_submits(d: harness.Daemon, n: int) -> bool:
    """Bounded: true once the daemon counted n submits (each poll is one admin round trip)."""
    for _ in range(2000):
        if msgkit.admin(d, "GET", "/v1/stats").json()["submits_total"] >= n:
            return True
    return False
