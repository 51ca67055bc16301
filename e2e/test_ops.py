"""Operations: --help and bad config (C-OPS-1), SIGHUP reload and the admin listener
(C-OPS-2), 500 concurrent binds, and a client that never reads (C-ERR-3)."""

import errno
import os
import threading
import time

import pytest
from pathlib import Path

import harness
import smpp

ACME = harness.account("acme", "secret", max_sessions=50)
FLAGS = ["--config", "--listen", "--tls-cert", "--tls-key", "--data-dir", "--memory", "--account",
         "--plaintext-listen", "--admin", "--log-level"]


def test_c_ops_1_help_lists_every_option(smppd_bin, tmp_path):
    """C-OPS-1: `smppd --help` exits 0 and names every option and the hash-password subcommand."""
    proc = harness.run_tool(smppd_bin, ["--help"], cwd=tmp_path)
    text = (proc.stdout + proc.stderr).decode(errors="replace")
    assert proc.returncode == 0, f"--help exited {proc.returncode}:\n{text}"
    missing = [f for f in FLAGS + ["hash-password"] if f not in text]
    assert not missing, f"--help does not mention {missing}:\n{text}"
    assert not (tmp_path / "var").exists(), "--help created a data directory"


@pytest.mark.parametrize("toml,key", [
    ("[timeouts]\nbind-msec = 5\n", "timeouts.bind-msec"),
    ("[timeouts]\nbind-ms = \"fast\"\n", "timeouts.bind-ms"),
    ("[server]\nmax-pdu-bytes = \"big\"\n", "server.max-pdu-bytes"),
    ("[auth]\nmax-failures = true\n", "auth.max-failures"),
    ("[serverr]\nlisten = \"127.0.0.1:0\"\n", "serverr"),
    ("[[account]]\nsystem-id = \"acme\"\npassword = \"secret\"\ncolour = \"red\"\n", "colour"),
    ("[[account]]\nsystem-id = \"acme\"\npassword = \"secret\"\nmax-sessions = \"two\"\n", "max-sessions"),
    ("[carrier]\nworker-nice = 20\n", "carrier.worker-nice"),
    ("[carrier]\nworker-nice = -21\n", "carrier.worker-nice"),
    ("[store]\nwriter-nice = 20\n", "store.writer-nice"),
    ("[store]\nwriter-nice = \"low\"\n", "store.writer-nice"),
    ("[server]\nproxy-protocol-from = [\"10.0.0.0/33\"]\n", "server.proxy-protocol-from"),
    ("[server]\nreuse-port = \"yes\"\n", "server.reuse-port"),
    ("[server\nlisten = \n", None),  # not TOML at all
])
def test_c_ops_1_bad_config_refused_naming_the_key(smppd_bin, tmp_path, toml, key):
    """C-OPS-1: an unknown key or a value of the wrong type is refused at start: non-zero exit,
    stderr names the key, nothing listens."""
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml)
    proc = harness.run_tool(smppd_bin, ["--config", str(cfg), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
                                        "--data-dir", str(tmp_path / "data")], cwd=tmp_path)
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode != 0, f"bad config accepted:\n{toml}\nstderr:\n{err}"
    if key:
        assert key in err, f"stderr does not name {key!r}:\n{err}"
    assert "event=listening" not in err


def test_c_ops_1_missing_config_file_refused(smppd_bin, tmp_path):
    """C-OPS-1: --config pointing nowhere is an error, not a silent default start."""
    proc = harness.run_tool(smppd_bin, ["--config", str(tmp_path / "nope.toml"), "--listen", "127.0.0.1:0",
                                        "--admin", "127.0.0.1:0", "--data-dir", str(tmp_path / "d")], cwd=tmp_path)
    assert proc.returncode != 0
    assert "nope.toml" in proc.stderr.decode(errors="replace")


def test_c_ops_2_sighup_reloads_accounts_without_dropping_sessions(smppd):
    """C-OPS-2: after editing the config and SIGHUP, a new account binds, a removed account no
    longer binds, and a session bound before the reload stays bound and usable."""
    beta = harness.account("beta", "b3ta", max_sessions=5)
    d = smppd(accounts=[ACME])
    with d.connect() as old:
        old.bind_ok("transceiver", "acme", "secret")
        with d.connect() as c:
            assert c.bind("transceiver", "beta", "b3ta").status == smpp.ESME_RINVPASWD
        d.write_config(harness.make_config(d.data_dir, accounts=[ACME, beta]))
        d.reload()
        with d.connect() as c:
            c.bind_ok("transceiver", "beta", "b3ta")
        old.enquire_link()
        assert old.bind("transmitter", "acme", "secret").status == smpp.ESME_RALYBND, "old session lost its bind"
        d.write_config(harness.make_config(d.data_dir, accounts=[ACME]))
        d.reload()
        with d.connect() as c:
            assert c.bind("transceiver", "beta", "b3ta").status == smpp.ESME_RINVPASWD
        old.enquire_link()
        old.unbind()


def test_c_ops_2_sighup_reloads_tls_certificate(smppd, tmp_path):
    """C-OPS-2 / C-TLS-2: SIGHUP after pointing server.tls-cert/tls-key at a new pair: new
    connections get the new certificate, an existing session keeps working."""
    cert_a, key_a = harness.make_cert(tmp_path / "a", "cert-a")
    cert_b, key_b = harness.make_cert(tmp_path / "b", "cert-b")
    d = smppd(accounts=[ACME], server={"tls-cert": str(cert_a), "tls-key": str(key_a)})

    def presented():
        with d.connect() as c:
            return c.peer_certificate_der()

    assert presented() == harness.pem_to_der(cert_a.read_text())
    with d.connect() as old:
        old.bind_ok("transceiver", "acme", "secret")
        d.write_config(harness.make_config(d.data_dir, server={"tls-cert": str(cert_b), "tls-key": str(key_b)},
                                           accounts=[ACME]))
        d.reload()
        assert presented() == harness.pem_to_der(cert_b.read_text())
        old.enquire_link()
        old.unbind()


def test_ops_500_sessions_bind_at_once(smppd):
    """C-BIND-1 / C-ERR-3 at scale: 500 TLS clients connect and bind at the same moment; all
    get status 0 within a bounded time and stay bound together; the daemon then still
    serves a new client."""
    n = 500
    d = smppd(accounts=[harness.account("load", "pw", max_sessions=1000)],
              timeouts={"bind-ms": 120000, "handshake-ms": 120000})
    start_gate = threading.Barrier(n + 1, timeout=60)
    release = threading.Event()
    lock = threading.Condition()
    results: dict[int, object] = {}

    def worker(i):
        c = None
        try:
            start_gate.wait()
            c = smpp.Client.open(d.port, timeout=60)
            pdu = c.bind("transceiver", "load", "pw", timeout=60)
            outcome = pdu.status if pdu.command_id == smpp.BIND_TRANSCEIVER_RESP else str(pdu)
        except BaseException as exc:  # reported, not raised: the main thread asserts
            outcome = repr(exc)
        with lock:
            results[i] = outcome
            lock.notify_all()
        release.wait(120)
        if c is not None:
            c.close()

    old_stack = threading.stack_size(512 * 1024)
    try:
        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(n)]
        for t in threads:
            t.start()
    finally:
        threading.stack_size(old_stack)
    try:
        start_gate.wait()
        began = time.monotonic()
        deadline = began + 90
        with lock:
            while len(results) < n and time.monotonic() < deadline:
                lock.wait(deadline - time.monotonic())
        elapsed = time.monotonic() - began
        failures = {i: r for i, r in results.items() if r != 0}
        assert len(results) == n, f"only {len(results)}/{n} binds finished within 90 s"
        assert not failures, f"{len(failures)} of {n} binds failed, e.g. {list(failures.items())[:5]}"
        assert elapsed < 60, f"500 concurrent binds took {elapsed:.1f}s"
        with d.connect() as c:
            c.bind_ok("transceiver", "load", "pw")
            c.enquire_link()
    finally:
        release.set()
        for t in threads:
            t.join(30)


def test_c_err_3_client_that_never_reads_does_not_grow_memory(smppd):
    """C-ERR-3: a client writes 200k enquire_links (3.2 MB) and never reads an answer. The
    daemon must push back (stop reading) or drop it rather than buffer without bound: while it
    works through the input, RSS grows by less than 64 MB, and another client is served
    meanwhile and afterwards."""
    d = smppd(accounts=[ACME])
    with d.connect() as warm:
        warm.bind_ok("transceiver", "acme", "secret")
        warm.enquire_link()
    base = peak = d.rss_kb()
    chunk = b"".join(smpp.enquire_link(i) for i in range(1, 1001))  # 1000 PDUs, 16 kB
    flooder = d.connect()
    outcome = "all written"
    sent = 0
    try:
        flooder.bind_ok("transceiver", "acme", "secret")
        deadline = time.monotonic() + 40
        while sent < 200_000:
            if time.monotonic() > deadline:
                outcome = "time bound reached"
                break
            try:
                flooder.send_raw(chunk, timeout=3)
            except TimeoutError:
                outcome = "daemon pushed back"
                break
            except smpp.Closed:
                outcome = "daemon closed the flooder"
                break
            sent += 1000
            if sent % 10_000 == 0:
                peak = max(peak, d.rss_kb())
        # The kernel buffers megabytes on loopback: watch until the daemon has read everything
        # or has stopped reading (no progress for 2 s), sampling its RSS meanwhile.
        watch_until = time.monotonic() + 30
        last, still_since = None, time.monotonic()
        while time.monotonic() < watch_until and not flooder.closed:
            peak = max(peak, d.rss_kb())
            q = harness.tcp_queues(d.port, flooder.local_port)
            state = (q, harness.unsent_bytes(flooder.sock))
            if q is None:
                outcome += ", daemon dropped the connection"
                break
            if q[1] == 0 and state[1] == 0:
                outcome += ", daemon read everything"
                break
            if state != last:
                last, still_since = state, time.monotonic()
            elif time.monotonic() - still_since > 2:
                outcome += ", daemon stopped reading"
                break
            flooder.readable_soon(0)  # never reads; a 100 ms pacing wait follows
            time.sleep(0.1)
        peak = max(peak, d.rss_kb())
        with d.connect() as other:  # flooder still connected and unread
            other.bind_ok("transceiver", "acme", "secret")
            other.enquire_link(timeout=5)
        peak = max(peak, d.rss_kb())
        growth_mb = (peak - base) / 1024
        print(f"flood: {outcome}, {sent} PDUs written, RSS {base} -> peak {peak} kB")
        assert growth_mb < 64, f"RSS grew {growth_mb:.1f} MB ({outcome}, {sent} PDUs written)"
    finally:
        flooder.abort()
    with d.connect() as after:
        after.bind_ok("transceiver", "acme", "secret")
        after.enquire_link()


# The nice value this test process (and so a daemon it starts) runs at.
BASE_NICE = os.nice(0)


def has_cap_sys_nice(pid="self") -> bool:
    """Whether process `pid` may lower nice values by capability (CAP_SYS_NICE, bit 23 of CapEff)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> 23 & 1)
    return False


def may_set_nice(pid, value: int) -> bool:
    """Whether the OS lets process `pid` set nice `value` below its own: by CAP_SYS_NICE, or by
    its RLIMIT_NICE soft limit L, which allows down to 20 - L."""
    if has_cap_sys_nice(pid):
        return True
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max nice priority"):
            soft = line.split()[3]
            return soft == "unlimited" or value >= 20 - int(soft)
    return False


def thread_nices(pid: int, *, except_named: str | None = "journal-writer") -> dict[int, int]:
    """Nice value of each thread of process `pid`, from /proc/PID/task/*/stat (field 19),
    leaving out the thread named `except_named` (the journal writer has a nice value of its own)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        if except_named and (task / "comm").read_text().strip() == except_named:
            continue
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        out[int(task.name)] = int(fields[16])
    return out


def writer_nices(pid: int) -> list[int]:
    """Nice values of the threads of `pid` named journal-writer (one in durable mode)."""
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        if (task / "comm").read_text().strip() == "journal-writer":
            out.append(int((task / "stat").read_text().rsplit(")", 1)[1].split()[16]))
    return out


def test_carrier_worker_nice_applies_to_the_worker_threads_only(smppd):
    """carrier.worker-nice: the carrier's worker threads run at that nice value, the loop
    thread keeps the daemon's. The workers have set it by the time the daemon listens."""
    if BASE_NICE > 12:
        pytest.skip(f"the test runner's nice value {BASE_NICE} leaves no room to raise it by 7")
    value = BASE_NICE + 7   # raising needs no privilege
    d = smppd(carrier={"worker-nice": value, "workers": 2})
    seen = thread_nices(d.pid)
    assert sorted(seen.values()).count(value) == 2, f"expected the two workers at nice {value}: {seen}"
    assert seen[d.pid] == BASE_NICE, seen   # the main (loop) thread


def test_carrier_workers_run_ten_nice_levels_below_the_daemon_by_default(smppd):
    """Without carrier.worker-nice the workers run 10 nice levels below the daemon (at most
    19), so on shared cores the loop thread that answers submit_sm wins the CPU."""
    if BASE_NICE > 4:
        pytest.skip(f"the test runner's nice value {BASE_NICE} leaves no room for daemon + 10 below 19")
    d = smppd(carrier={"workers": 3}, wrapper=["nice", "-n", "4"])
    seen = thread_nices(d.pid)
    daemon = BASE_NICE + 4
    assert seen[d.pid] == daemon, seen   # the loop thread keeps the daemon's value
    assert sorted(seen.values()).count(daemon + 10) == 3, f"expected the three workers at nice {daemon + 10}: {seen}"
    high = smppd(carrier={"workers": 2}, wrapper=["nice", "-n", "15"])
    seen = thread_nices(high.pid)
    assert seen[high.pid] == BASE_NICE + 15, seen
    assert sorted(seen.values()).count(19) == 2, f"{BASE_NICE + 15} + 10 is capped at 19: {seen}"


def test_carrier_worker_nice_the_os_refuses_is_reported_and_the_daemon_serves(smppd):
    """A worker-nice below the daemon's needs CAP_SYS_NICE (or a high RLIMIT_NICE): without
    them smppd logs event=worker-nice-refused (naming the value and errno), the workers keep the
    daemon's value, and the daemon serves as usual. Where the OS allows it, the workers get it."""
    # Drop CAP_SYS_NICE: a root that has it (and CAP_SETPCAP) removes it from the bounding set,
    # which the exec'd daemon then lacks; an unprivileged user or a container's root has none.
    wrapper = ["setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice"] if has_cap_sys_nice() else []
    d = smppd(accounts=[ACME], carrier={"worker-nice": -5, "workers": 2}, wrapper=wrapper)
    seen = thread_nices(d.pid)
    if may_set_nice(d.pid, -5):
        # This environment lets the daemon lower its nice value (no CAP_SETPCAP to drop the
        # capability, or RLIMIT_NICE): then the workers must have the value, and no warning.
        assert sorted(seen.values()).count(-5) == 2, f"the OS allows -5, so both workers have it: {seen}"
        assert not d.find_events("worker-nice-refused"), d.log_text(tail=20)
    else:
        event = d.wait_for_event("worker-nice-refused")
        assert event["nice"] == "-5" and event["errno"] == str(errno.EACCES), event
        assert "CAP_SYS_NICE" in event["hint"], event
        assert set(seen.values()) == {BASE_NICE}, f"every thread at the daemon's nice value: {seen}"
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        c.enquire_link()


def test_journal_writer_runs_five_nice_levels_below_the_daemon_by_default(smppd):
    """Durable mode: the journal writer thread (named journal-writer) runs 5 nice levels below
    the daemon, so its wake-ups do not preempt the loop thread; store.writer-nice sets another
    value. It has it by the time the daemon listens; --memory has no writer."""
    if BASE_NICE > 12:
        pytest.skip(f"the test runner's nice value {BASE_NICE} leaves no room to raise it by 7")
    d = smppd(wrapper=["nice", "-n", "2"])
    assert writer_nices(d.pid) == [BASE_NICE + 2 + 5], writer_nices(d.pid)
    assert thread_nices(d.pid)[d.pid] == BASE_NICE + 2   # the loop thread keeps the daemon's
    configured = smppd(extra={"store": {"writer-nice": BASE_NICE + 7}})
    assert writer_nices(configured.pid) == [BASE_NICE + 7]
    memory = smppd(args=["--memory"])
    assert writer_nices(memory.pid) == []


def test_journal_writer_nice_the_os_refuses_is_reported_and_the_daemon_serves(smppd):
    """A writer-nice below the daemon's needs CAP_SYS_NICE (or RLIMIT_NICE): without them smppd
    logs event=writer-nice-refused naming the value and errno, the writer keeps the daemon's
    value, and the daemon serves (a submit is acknowledged through the journal)."""
    wrapper = ["setpriv", "--bounding-set=-sys_nice", "--inh-caps=-sys_nice"] if has_cap_sys_nice() else []
    d = smppd(accounts=[ACME], extra={"store": {"writer-nice": -5}}, wrapper=wrapper)
    if may_set_nice(d.pid, -5):
        assert writer_nices(d.pid) == [-5]
        assert not d.find_events("writer-nice-refused"), d.log_text(tail=20)
    else:
        event = d.wait_for_event("writer-nice-refused")
        assert event["nice"] == "-5" and event["errno"] == str(errno.EACCES), event
        assert "CAP_SYS_NICE" in event["hint"], event
        assert writer_nices(d.pid) == [BASE_NICE]
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        c.submit_ok("447700900001", b"after the refused nice")
