"""smppbench, the load generator (C-OPS-3), run as a real binary against a real smppd: each
--measure mode with small counts, its JSON report checked against the daemon's own counters,
and a refused bind reported by status name with a non-zero exit."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

import harness
import msgkit

SYSTEM_ID, PASSWORD = "benchy", "pw-bench"
# smppbench's submit_sm come from 447700900000 (Templates.swift); the account must own it.
BENCH_NUMBER = "+447700900000"
BENCH_TIMEOUT = 60.0
# Every mode's JSON carries these (C-OPS-3: a final report with reconnects, also as JSON).
COMMON_KEYS = {"mode", "p50_us", "p99_us", "p999_us", "errors", "sessions", "reconnects"}


@pytest.fixture(scope="module")
def daemon(module_smppd):
    return module_smppd(accounts=[bench_account()])


def bench_account() -> dict:
    return harness.account(SYSTEM_ID, PASSWORD, max_sessions=100, numbers=[BENCH_NUMBER], default_number=BENCH_NUMBER)


def bench_args(d: harness.Daemon, json_path: Path, *args, password: str = PASSWORD) -> list[str]:
    return ["--port", str(d.port), "--system-id", SYSTEM_ID, "--password", password, "--insecure",
            "--json", str(json_path), *map(str, args)]


def run_bench(binary: str, d: harness.Daemon, tmp_path: Path, *args, password: str = PASSWORD):
    """Runs smppbench to its end; returns (exit code, JSON report, stdout + stderr)."""
    out = tmp_path / "bench.json"
    try:
        proc = subprocess.run([binary, *bench_args(d, out, *args, password=password)],
                              capture_output=True, text=True, timeout=BENCH_TIMEOUT)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"smppbench {' '.join(map(str, args))} still running after {BENCH_TIMEOUT}s: "
                             f"{exc.stderr!r}") from None
    text = f"exit {proc.returncode}\n--- stdout ---\n{proc.stdout}--- stderr ---\n{proc.stderr}"
    assert out.exists(), f"no JSON report written:\n{text}"
    report = json.loads(out.read_text())
    assert COMMON_KEYS <= report.keys(), f"missing keys {COMMON_KEYS - report.keys()} in {report}"
    return proc.returncode, report, text


def check_percentiles(r: dict) -> None:
    assert 0 < r["p50_us"] <= r["p99_us"] <= r["p999_us"] <= r["max_us"], r


class HoldingBench:
    """smppbench --measure idle in the background; wait_holding() blocks until it prints
    `smppbench: holding N bound sessions` (bounded, woken by its output, never by sleeping)."""

    def __init__(self, binary: str, d: harness.Daemon, tmp_path: Path, *args):
        self.json_path = tmp_path / "idle.json"
        self.proc = subprocess.Popen([binary, *bench_args(d, self.json_path, "--measure", "idle", *args)],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err: list[str] = []
        self.out = ""
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self):
        for line in self.proc.stderr:
            with self._cond:
                self.err.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def text(self) -> str:
        with self._cond:
            return "\n".join(self.err) + "\n--- stdout ---\n" + self.out

    def wait_holding(self, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for line in self.err:
                    if "holding" in line:
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"smppbench printed no holding line within {timeout}s:\n" + "\n".join(self.err))
                self._cond.wait(min(remaining, 0.5))

    def wait(self, timeout: float = BENCH_TIMEOUT) -> tuple[int, dict]:
        try:
            self.out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"smppbench idle still running after {timeout}s:\n{self.text()}") from None
        self._reader.join(5)
        report = json.loads(self.json_path.read_text())
        assert COMMON_KEYS <= report.keys(), f"missing keys {COMMON_KEYS - report.keys()} in {report}"
        return self.proc.returncode, report

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def pdus_in(d: harness.Daemon, command: str, status: str) -> float:
    return msgkit.metric(msgkit.metrics(d), "smppd_pdus_in_total", command=command, status=status) or 0


def test_c_ops_3_measure_handshakes(smppbench_bin, daemon, tmp_path):
    """C-OPS-3: --measure handshakes, 20 cycles on 4 connections: 20 TLS handshakes completed,
    no errors, a rate and connect->handshake percentiles in the JSON, exit 0."""
    rc, r, text = run_bench(smppbench_bin, daemon, tmp_path, "--measure", "handshakes", "--connections", 4, "--count", 20)
    assert rc == 0, text
    assert r["mode"] == "handshakes", r
    assert (r["handshakes"], r["started"], r["completed"]) == (20, 20, 20), r
    assert r["errors"] == {} and r["reconnects"] == 0, r
    assert r["handshakes_per_s"] > 0 and r["sessions"] == 4, r
    check_percentiles(r)


def test_c_ops_3_measure_binds(smppbench_bin, daemon, tmp_path):
    """C-OPS-3: --measure binds, 20 connect+TLS+bind_transceiver+unbind cycles: 20 binds ESME_ROK
    (the daemon counted 20 more bind_transceiver and unbind PDUs), bind latency percentiles, exit 0."""
    binds0 = pdus_in(daemon, "bind_transceiver", "ESME_ROK")
    unbinds0 = pdus_in(daemon, "unbind", "ESME_ROK")
    rc, r, text = run_bench(smppbench_bin, daemon, tmp_path, "--measure", "binds", "--connections", 4, "--count", 20)
    assert rc == 0, text
    assert r["mode"] == "binds", r
    assert (r["binds_ok"], r["started"], r["completed"], r["handshakes"]) == (20, 20, 20, 20), r
    assert r["errors"] == {} and r["reconnects"] == 0, r
    assert r["binds_per_s"] > 0, r
    check_percentiles(r)
    assert pdus_in(daemon, "bind_transceiver", "ESME_ROK") - binds0 == 20
    assert pdus_in(daemon, "unbind", "ESME_ROK") - unbinds0 == 20


def test_c_ops_3_measure_binds_with_bind_kind(smppbench_bin, daemon, tmp_path):
    """C-OPS-3: --bind transmitter makes the cycles bind_transmitter."""
    before = pdus_in(daemon, "bind_transmitter", "ESME_ROK")
    rc, r, text = run_bench(smppbench_bin, daemon, tmp_path, "--measure", "binds", "--bind", "transmitter",
                            "--connections", 2, "--count", 6)
    assert rc == 0, text
    assert (r["binds_ok"], r["bind"], r["errors"]) == (6, "transmitter", {}), r
    assert pdus_in(daemon, "bind_transmitter", "ESME_ROK") - before == 6


def test_c_ops_3_wrong_password_is_a_bind_error_and_fails_the_run(smppbench_bin, daemon, tmp_path):
    """C-OPS-3 with C-BIND-2: --measure binds with a wrong password: every bind is refused with
    ESME_RINVPASWD, reported by status name, none counted as a bind; smppbench exits non-zero."""
    rc, r, text = run_bench(smppbench_bin, daemon, tmp_path, "--measure", "binds", "--connections", 2, "--count", 6,
                            password="wrong")
    assert rc != 0, text
    assert r["errors"] == {"bind:ESME_RINVPASWD": 6}, r
    assert (r["binds_ok"], r["completed"], r["binds_per_s"]) == (0, 0, 0), r
    assert "bind:ESME_RINVPASWD 6" in text


def test_c_ops_3_measure_idle_holds_bound_sessions(smppbench_bin, smppd, tmp_path):
    """C-OPS-3: --measure idle --connections 50 --duration 1: smppbench says it holds 50 bound
    sessions when the daemon indeed has 50 bound transceivers, holds them, then unbinds all 50;
    exit 0 and a JSON report with bound_sessions 50 and no errors."""
    d = smppd(accounts=[bench_account()])
    bench = HoldingBench(smppbench_bin, d, tmp_path, "--connections", 50, "--duration", 1, "--connect-batch", 10)
    try:
        line = bench.wait_holding()
        assert "holding 50 bound sessions" in line, bench.text()
        assert msgkit.metric(msgkit.metrics(d), "smppd_sessions", mode="transceiver") == 50
        rc, r = bench.wait()
    finally:
        bench.kill()
    assert rc == 0, bench.text()
    assert r["mode"] == "idle", r
    assert (r["sessions"], r["bound_at_hold_start"], r["bound_sessions"], r["unbound"]) == (50, 50, 50, 50), r
    assert r["errors"] == {} and r["reconnects"] == 0 and r["lost"] == 0, r
    assert r["hold_s"] >= 0.9 and r["binds_per_s"] > 0, r
    check_percentiles(r)
    assert pdus_in(d, "unbind", "ESME_ROK") == 50
    assert msgkit.metric(msgkit.metrics(d), "smppd_sessions", mode="transceiver") == 0


def test_c_ops_3_measure_idle_until_sigint_then_unbinds(smppbench_bin, smppd, tmp_path):
    """C-OPS-3: --measure idle without --duration holds until SIGINT, then unbinds every session
    cleanly and exits 0; --enquire-link makes each session send enquire_link, all answered."""
    d = smppd(accounts=[bench_account()])
    bench = HoldingBench(smppbench_bin, d, tmp_path, "--connections", 5, "--enquire-link", 0.2)
    try:
        assert "holding 5 bound sessions" in bench.wait_holding(), bench.text()
        # Bounded wait for the first enquire_link answers (woken by the daemon's counters).
        deadline = time.monotonic() + 10
        while pdus_in(d, "enquire_link", "ESME_ROK") < 5:
            assert time.monotonic() < deadline, "no enquire_link from smppbench's idle sessions"
            time.sleep(0.05)
        bench.proc.send_signal(signal.SIGINT)
        rc, r = bench.wait()
    finally:
        bench.kill()
    assert rc == 0, bench.text()
    assert (r["bound_sessions"], r["unbound"], r["errors"]) == (5, 5, {}), r
    assert r["enquire_link_sent"] >= 5 and r["enquire_link_resp"] == r["enquire_link_sent"], r
    assert pdus_in(d, "unbind", "ESME_ROK") == 5


def test_c_ops_3_submit_report_keeps_its_fields(smppbench_bin, daemon, tmp_path):
    """C-OPS-3: the default measurement is still the submit benchmark, and its JSON keeps its
    fields (plus mode = submit)."""
    rc, r, text = run_bench(smppbench_bin, daemon, tmp_path, "--connections", 2, "--window", 10, "--count", 100)
    assert rc == 0, text
    for key in ("submit_per_s", "receipts_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", "submitted",
                "answered", "answered_ok", "errors", "sessions", "window", "batch", "rate", "seconds", "reconnects",
                "tls", "bind", "mix", "receipts"):
        assert key in r, f"submit JSON lost {key}: {r}"
    assert (r["mode"], r["submitted"], r["answered_ok"], r["errors"]) == ("submit", 100, 100, {}), r


def test_c_ops_3_await_mo_counts_one_mo_per_submit(smppbench_bin, smppd, tmp_path):
    """C-OPS-3 / C-SIM-3: with carrier.mo-auto-reply every accepted submit_sm brings one MO
    deliver_sm back; --await-mo waits for all of them and reports MO/s."""
    d = smppd(accounts=[bench_account()], carrier={"mo-auto-reply": True})
    rc, r, text = run_bench(smppbench_bin, d, tmp_path, "--connections", 2, "--window", 10, "--count", 100, "--await-mo")
    assert rc == 0, text
    assert (r["answered_ok"], r["mo_received"], r["errors"]) == (100, 100, {}), r
    assert r["mo_per_s"] > 0, r
    assert "MO deliver_sm  received 100 of 100 expected" in text


def test_c_ops_3_await_mo_without_replies_fails_after_the_drain(smppbench_bin, daemon, tmp_path):
    """--await-mo against a server that sends no MO: the run ends at the drain timeout, reports
    what arrived (none) and exits non-zero rather than waiting forever."""
    rc, r, text = run_bench(smppbench_bin, daemon, tmp_path, "--connections", 1, "--window", 10, "--count", 20,
                            "--await-mo", "--drain", 1)
    assert rc != 0, text
    assert (r["answered_ok"], r["mo_received"]) == (20, 0), r
    assert "drain timeout" in text


_HGRM_ROW = re.compile(r"^\s*(\d+\.\d{3})\s+(\d\.\d{12})\s+(\d+)(?:\s+(\d+\.\d{2}|inf))?$")
_HGRM_FOOTER = [
    re.compile(r"^#\[Mean    = \s*(\d+\.\d{3}), StdDeviation   = \s*(\d+\.\d{3})\]$"),
    re.compile(r"^#\[Max     = \s*(\d+\.\d{3}), Total count    = \s*(\d+)\]$"),
    re.compile(r"^#\[Buckets = \s*(\d+), SubBuckets     = \s*(\d+)\]$"),
]


def check_hgrm(text: str, count: int, max_us: int) -> None:
    """HdrHistogram's outputPercentileDistribution text (the .hgrm the plotter reads): the
    header, a blank line, rows of value (ms) / percentile / total count / 1/(1-percentile) with
    the last at percentile 1 without the fourth column, then the Mean/Max/Buckets footer."""
    lines = text.rstrip("\n").split("\n")
    assert lines[0].split() == ["Value", "Percentile", "TotalCount", "1/(1-Percentile)"], lines[0]
    assert lines[1] == "", lines[:3]
    rows = [_HGRM_ROW.match(l) for l in lines[2:-3]]
    assert rows and all(rows), [l for l, m in zip(lines[2:-3], rows) if not m][:5]
    values = [float(m.group(1)) for m in rows]
    percentiles = [float(m.group(2)) for m in rows]
    totals = [int(m.group(3)) for m in rows]
    assert values == sorted(values) and percentiles == sorted(percentiles) and totals == sorted(totals), text
    assert percentiles[-1] == 1.0 and rows[-1].group(4) is None and totals[-1] == count, lines[-4:]
    assert all(m.group(4) is not None for m in rows[:-1]), "only the last row lacks 1/(1-Percentile)"
    footer = [rx.match(l) for rx, l in zip(_HGRM_FOOTER, lines[-3:])]
    assert all(footer), lines[-3:]
    assert int(footer[1].group(2)) == count, lines[-2]
    # Values are in milliseconds; HdrHistogram reports the max at its bucket's resolution.
    assert abs(float(footer[1].group(1)) - max_us / 1000) <= max(0.002 * max_us / 1000, 0.002), (lines[-2], max_us)


def test_c_ops_3_hgrm_writes_the_percentile_distribution(smppbench_bin, daemon, tmp_path):
    """--hgrm FILE: the submit latency distribution in HdrHistogram's text format, one value per
    answered submit_sm, its max the JSON's max_us in milliseconds; handshakes and binds write
    theirs too."""
    hgrm = tmp_path / "submit.hgrm"
    rc, r, text = run_bench(smppbench_bin, daemon, tmp_path, "--connections", 2, "--window", 10, "--count", 300,
                            "--hgrm", hgrm)
    assert rc == 0, text
    check_hgrm(hgrm.read_text(), r["answered"], r["max_us"])
    for mode in ("handshakes", "binds"):
        path = tmp_path / f"{mode}.hgrm"
        rc, r, text = run_bench(smppbench_bin, daemon, tmp_path, "--measure", mode, "--connections", 2,
                                "--count", 10, "--hgrm", path)
        assert rc == 0, text
        check_hgrm(path.read_text(), 10, r["max_us"])
