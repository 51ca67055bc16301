"""The durable store (C-DATA-1): what smppd acknowledged survives kill -9 and a restart on
the same data directory — messages, their states, pending receipts and MO, credits, cancels
and forced states; ids stay unique even when the clock steps back; a corrupt journal stops
start-up with the file and offset; a full disk refuses new messages with ESME_RSYSERR and
service resumes by itself; --memory loses everything and says so.

The kill -9 test runs SMPPD_DURABILITY_ROUNDS rounds (default 3) of a pipelined submit load
with receipts, each killed at a random moment."""

import os
import random
import resource
import struct
import threading
import time
from pathlib import Path

import pytest

import harness
import msgkit
import smpp
from msgkit import ACME, ACME_DEFAULT, ORDINARY, dest

ROUNDS = int(os.environ.get("SMPPD_DURABILITY_ROUNDS", "3"))
RECEIPTS_TIMEOUT = 60.0


class PipelinedLoad:
    """Submits bursts of submit_sm (registered_delivery=1) on one transceiver session and
    answers every deliver_sm, recording which ids were acknowledged (submit_sm_resp status 0
    read before the connection died) and which receipts arrived. Runs on its own thread until
    the connection closes or `limit` messages are acknowledged."""

    def __init__(self, client: smpp.Client, *, burst: int = 64, limit: int = 20_000, destination: str = ORDINARY):
        self.c = client
        self.burst = burst
        self.limit = limit
        self.destination = destination
        self.acked: list[str] = []
        self.refused: dict[int, int] = {}
        self.receipts: dict[str, str] = {}  # id -> stat
        self.reached = threading.Event()
        self.target = limit
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self, target: int) -> "PipelinedLoad":
        self.target = target
        self.thread.start()
        return self

    def _handle(self, pdu: smpp.Pdu, outstanding: set) -> None:
        if pdu.command_id == smpp.SUBMIT_SM_RESP:
            outstanding.discard(pdu.sequence)
            if pdu.status == 0:
                self.acked.append(smpp.decode_submit_sm_resp(pdu))
                if len(self.acked) >= self.target:
                    self.reached.set()
            else:
                self.refused[pdu.status] = self.refused.get(pdu.status, 0) + 1
        elif pdu.command_id == smpp.DELIVER_SM:
            d = smpp.decode_deliver_sm(pdu)
            if d.is_receipt:
                self.receipts[d.receipted_message_id] = msgkit.Receipt(d).stat
            self.c.send_raw(smpp.deliver_sm_resp(pdu.sequence))
        elif pdu.command_id == smpp.ENQUIRE_LINK:
            self.c.send_raw(smpp.enquire_link_resp(pdu.sequence))

    def _run(self) -> None:
        try:
            while len(self.acked) < self.limit:
                outstanding = set()
                data = bytearray()
                for _ in range(self.burst):
                    seq = self.c.next_seq()
                    outstanding.add(seq)
                    data += smpp.submit_sm(seq, self.destination, b"durable?", registered_delivery=1)
                self.c.send_raw(bytes(data))
                while outstanding:
                    self._handle(self.c.recv_pdu(timeout=20), outstanding)
        except smpp.Closed:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            self.reached.set()

    def join(self) -> None:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the load thread did not stop"


def _config(**kw):
    return lambda data_dir: harness.make_config(data_dir, accounts=[ACME], **kw)


def _collect_receipts(c: smpp.Client, wanted: set, seen: dict, timeout: float) -> None:
    """Answers deliver_sm until every id in `wanted` has a receipt in `seen`, or the deadline."""
    deadline = time.monotonic() + timeout
    while not wanted <= seen.keys() and time.monotonic() < deadline:
        try:
            pdu = c.recv_pdu(timeout=max(deadline - time.monotonic(), 0.01))
        except smpp.PduTimeout:
            break
        if pdu.command_id == smpp.DELIVER_SM:
            d = smpp.decode_deliver_sm(pdu)
            if d.is_receipt:
                seen[d.receipted_message_id] = msgkit.Receipt(d).stat
            c.send_raw(smpp.deliver_sm_resp(pdu.sequence))
        elif pdu.command_id == smpp.ENQUIRE_LINK:
            c.send_raw(smpp.enquire_link_resp(pdu.sequence))


def _query_state(c: smpp.Client, mid: str) -> smpp.QuerySmResp | None:
    pdu = c.query(mid, source_addr=ACME_DEFAULT)
    return smpp.decode_query_sm_resp(pdu) if pdu.status == 0 else None


@pytest.mark.parametrize("fsync", ["always", "never"])
def test_c_data_1_kill_9_under_load_loses_nothing_acknowledged(smppd, fsync):
    """C-DATA-1, C-SUB-1: rounds of a pipelined submit load with receipts, each ended by
    kill -9 at a random moment (after a random number of acknowledgements, with more submits
    in flight). After the last restart every acknowledged id has its receipt (at-least-once)
    and query_sm reports the receipt's state; no id was issued twice."""
    rng = random.Random(int.from_bytes(os.urandom(4), "little"))
    d = smppd(config_text=_config(extra={"store": {"fsync": fsync}}))
    acked: list[str] = []
    receipts: dict[str, str] = {}
    for round_ in range(ROUNDS):
        if round_ > 0:
            d.start()
        c = d.connect()
        c.bind_ok("transceiver", "acme", "secret")
        load = PipelinedLoad(c).start(target=rng.randint(300, 3000))
        assert load.reached.wait(timeout=60), "the load never reached its target"
        d.kill()
        load.join()
        c.close()
        assert load.error is None, f"load thread failed: {load.error!r}"
        assert not load.refused, f"refusals under load: {load.refused}"
        acked += load.acked
        receipts.update(load.receipts)
    assert len(acked) == len(set(acked)), "a message_id was issued twice across restarts"

    d.start()
    recovered = d.wait_for_event("store-recovered", timeout=5)
    assert int(recovered["records"]) >= len(set(acked)), f"recovery found fewer records than acknowledged: {recovered}"
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        _collect_receipts(c, set(acked), receipts, RECEIPTS_TIMEOUT)
        missing = [m for m in acked if m not in receipts]
        # Ids with no receipt yet must at least be known, in a state the carrier leads to.
        states = {m: _query_state(c, m) for m in missing[:50]}
        assert not missing, (f"{len(missing)} of {len(acked)} acknowledged ids never got a receipt; "
                             f"query_sm of some: {[(m, s) for m, s in list(states.items())[:5]]}")
        for mid in rng.sample(acked, min(len(acked), 40)):
            q = _query_state(c, mid)
            assert q is not None, f"query_sm lost acknowledged id {mid}"
            assert q.message_state == msgkit.STAT_STATE[receipts[mid]], \
                f"{mid}: query_sm state {q.message_state}, receipt said {receipts[mid]}"


def test_c_data_1_cancel_forced_state_and_mo_survive_kill_9(smppd):
    """C-DATA-1: a cancel_sm that answered OK, a state forced through the admin API and an MO
    the admin API answered 202 (no receiver bound) are all there after kill -9 and restart;
    the held message that was neither cancelled nor forced is still ENROUTE and cancellable."""
    d = smppd(accounts=[ACME])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        cancelled = c.submit_ok(dest(9990), b"to cancel", registered_delivery=1)
        forced = c.submit_ok(dest(9990), b"to force", registered_delivery=1)
        held = c.submit_ok(dest(9990), b"to keep")
        assert c.cancel(cancelled, source_addr=ACME_DEFAULT).status == 0
    r = msgkit.admin(d, "POST", f"/v1/messages/{forced}/state", {"state": "UNDELIV", "err": "042"})
    assert r.status == 200, r
    r = msgkit.admin(d, "POST", "/v1/mo", {"system_id": "acme", "source": "+15550001111", "text": "survive?"})
    assert r.status == 202, r
    d.kill()
    d.start()
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        got = c.collect_delivers(3, timeout=10)
        receipts = {x.receipted_message_id: msgkit.Receipt(x).stat for x in got if x.is_receipt}
        mos = [x for x in got if not x.is_receipt]
        assert receipts == {cancelled: "DELETED", forced: "UNDELIV"}, receipts
        assert len(mos) == 1 and mos[0].short_message == b"survive?", mos
        assert _query_state(c, cancelled).message_state == smpp.STATE_DELETED
        q = _query_state(c, forced)
        assert (q.message_state, q.error_code) == (smpp.STATE_UNDELIVERABLE, 42), q
        assert _query_state(c, held).message_state == smpp.STATE_ENROUTE
        assert c.cancel(held, source_addr=ACME_DEFAULT).status == 0


def test_c_data_1_credits_survive_kill_9(smppd):
    """C-DATA-1, C-SUB-6: the credits acknowledged submits used are still used after kill -9."""
    account = harness.account("acme", "secret", max_sessions=20, numbers=[ACME_DEFAULT],
                              default_number=ACME_DEFAULT, credits=5)
    d = smppd(accounts=[account])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        for _ in range(3):
            c.submit_ok(ORDINARY)
    d.kill()
    d.start()
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        c.submit_ok(ORDINARY)
        c.submit_ok(ORDINARY)
        assert c.submit(ORDINARY).status == smpp.ESME_RSUBMITFAIL, "credits were restored by the restart"


def test_c_data_1_outcome_after_restart_follows_the_carrier(smppd):
    """C-DATA-1: messages still with the carrier at kill -9 get their outcome after the
    restart, and the same one (…9991 is UNDELIV err 001), with their receipts."""
    d = smppd(accounts=[ACME], carrier={"latency-min-ms": 1500, "latency-median-ms": 1600, "latency-max-ms": 1700})
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        ids = [c.submit_ok(dest(9991), registered_delivery=1) for _ in range(5)]
        assert all(_query_state(c, m).message_state == smpp.STATE_ENROUTE for m in ids)
    d.kill()
    d.start()
    with d.connect() as c:
        c.bind_ok("receiver", "acme", "secret")
        got = msgkit.receipts_by_id(c, ids, 15)
        for mid in ids:
            msgkit.check_receipt(got[mid].pdu, message_id=mid, stat="UNDELIV", err="001")


def test_c_sub_1_ids_stay_unique_when_the_clock_steps_back(smppd, tmp_path):
    """C-SUB-1, C-DATA-1: a restart with the wall clock a day behind issues ids above every
    stored one (the generator's floor comes from the store) and still finds the old ones."""
    d = smppd(accounts=[ACME])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        before = [c.submit_ok(ORDINARY) for _ in range(20)]
    d.stop()
    yesterday = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() - 86400))
    # libfaketime preloaded into the daemon itself: the faketime command forks and would stand
    # between the test and the daemon's signals. .ci/run installs it. FAKETIME_SHARED names
    # no shared clock on purpose: without the variable, libfaketime 0.9.10 set up its own and
    # the daemon then saw no command-line arguments at all (seen here, not understood).
    libs = sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))
    assert libs, "libfaketime is not installed (Debian package faketime; .ci/run installs it)"
    d.env = {"LD_PRELOAD": str(libs[0]), "FAKETIME": f"@{yesterday}",
             "FAKETIME_SHARED": "/smppd-test-none /smppd-test-none"}
    d.start()
    assert d.find_events("tls-certificate")[0]["ts"].startswith(yesterday[:10]), "the clock did not step back"
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        after = [c.submit_ok(ORDINARY) for _ in range(20)]
        assert min(int(m, 16) for m in after) > max(int(m, 16) for m in before), (before[-3:], after[:3])
        assert all(_query_state(c, m) is not None for m in before[:5])


def test_c_data_1_memory_mode_keeps_nothing_and_says_so(smppd):
    """C-DATA-1: --memory says at start that nothing survives, and after a restart the
    acknowledged id is unknown (ESME_RQUERYFAIL); it writes no journal."""
    d = smppd(accounts=[ACME], args=["--memory"])
    assert "lost on exit" in d.wait_for_event("memory-mode")["note"]
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        mid = c.submit_ok(ORDINARY)
    d.kill()
    d.start()
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        assert c.query(mid, source_addr=ACME_DEFAULT).status == smpp.ESME_RQUERYFAIL
    assert not (d.data_dir / "journal").exists()
    assert not d.find_events("store-recovered")


def _segments(d) -> list[Path]:
    return sorted((d.data_dir / "journal").glob("*.wal"))


def _batches(path: Path) -> list[tuple[int, int]]:
    """(offset, total length) of each intact batch in a segment."""
    data = path.read_bytes()
    out, at = [], 0
    while at + 8 <= len(data):
        length = struct.unpack_from("<I", data, at)[0]
        if length == 0:
            break
        out.append((at, 8 + length))
        at += 8 + length
    return out


def test_c_data_1_corrupt_batch_stops_startup_naming_file_and_offset(smppd):
    """C-DATA-1: a flipped bit in a batch that is not the last one stops start-up with exit 70
    and a message naming the segment and the offset; the documented way out (truncate the file
    at that offset) starts again, keeping what came before."""
    d = smppd(accounts=[ACME], allow_errors=[r"startup-failed"])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        first = c.submit_ok(ORDINARY)
        for _ in range(5):
            c.submit_ok(ORDINARY)
    d.stop()
    seg = _segments(d)[-1]
    batches = _batches(seg)
    assert len(batches) >= 4, batches
    at, length = batches[2]
    data = bytearray(seg.read_bytes())
    data[at + length - 3] ^= 0x10
    seg.write_bytes(bytes(data))
    d.proc = None
    with pytest.raises(AssertionError):
        d.start(ready_timeout=5)
    assert d.wait_exit(10) == 70
    failed = d.wait_for_event("startup-failed")
    assert str(seg) in failed["error"] and f"offset {at}" in failed["error"], failed
    assert f"truncate -s {at}" in failed["error"], failed
    d.checked = True
    os.truncate(seg, at)
    d.start()
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        assert _query_state(c, first) is not None, "a record before the corrupt batch was lost"


def test_c_data_1_torn_tail_is_cut_and_reported(smppd):
    """C-DATA-1: a batch torn by a crash mid-write (the newest segment's last bytes) is cut
    off at recovery, logged, and everything before it is kept."""
    d = smppd(accounts=[ACME])
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        ids = [c.submit_ok(ORDINARY) for _ in range(4)]
    d.kill()
    seg = _segments(d)[-1]
    at, length = _batches(seg)[-1]
    data = bytearray(seg.read_bytes())
    data[at + length // 2: at + length] = bytes(length - length // 2)   # the batch's second half never landed
    seg.write_bytes(bytes(data))
    d.start()
    ev = d.wait_for_event("store-recovered")
    assert f"{seg} at {at}" in ev.get("torn_tail_cut", ""), ev
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        assert _query_state(c, ids[0]) is not None


def test_c_data_1_disk_full_refuses_new_messages_and_recovers(smppd):
    """C-DATA-1: when journal writes fail (RLIMIT_FSIZE lowered to 1 byte on the running daemon: EFBIG,
    as on a full disk) new submits are refused with ESME_RSYSERR, never acknowledged;
    event=store-error says why and smppd_store_errors_total counts it. When writes succeed
    again service resumes by itself, and the submit that was in flight when the disk filled
    is answered OK only then — and survives kill -9."""
    d = smppd(accounts=[ACME], extra={"store": {"segment-mb": 1}},
              allow_errors=[r"event=store-error"])
    stuck = d.connect()
    stuck.bind_ok("transmitter", "acme", "secret")
    for _ in range(20):
        stuck.submit_ok(ORDINARY)
    # Opened (its rings mapped) before the limit: RLIMIT_FSIZE also stops the memfd rings of
    # new connections from growing, which a real full disk does not.
    other = d.connect()
    other.bind_ok("transmitter", "acme", "secret")
    limits = resource.prlimit(d.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(d.pid, resource.RLIMIT_FSIZE, (1, limits[1]))   # every journal write is past it
    try:
        mark = d.mark()
        seq = stuck.next_seq()
        stuck.send_raw(smpp.submit_sm(seq, ORDINARY, b"in flight"))
        ev = d.wait_for_event("store-error", since=mark, timeout=10)
        assert "write" in ev["error"] or "fallocate" in ev["error"], ev
        with pytest.raises(smpp.PduTimeout):
            stuck.recv_pdu(timeout=0.5)   # not acknowledged while it is not on disk
        r = other.submit(ORDINARY)
        assert r.status == smpp.ESME_RSYSERR, smpp.status_name(r.status)
        assert other.enquire_link().status == 0, "a session that waits for nothing on disk keeps working"
        samples = msgkit.metrics(d)
        assert msgkit.metric(samples, "smppd_store_errors_total") >= 1
        assert msgkit.metric(samples, "smppd_store_failing") == 1
    finally:
        resource.prlimit(d.pid, resource.RLIMIT_FSIZE, limits)
    d.wait_for_event("store-resumed", since=mark, timeout=10)
    resp = stuck.recv_pdu(timeout=10)
    assert (resp.command_id, resp.sequence, resp.status) == (smpp.SUBMIT_SM_RESP, seq, 0)
    late = smpp.decode_submit_sm_resp(resp)
    other.submit_ok(ORDINARY)
    other.close()
    stuck.close()
    d.kill()
    d.start()
    with d.connect() as c:
        c.bind_ok("transmitter", "acme", "secret")
        assert _query_state(c, late) is not None, "the submit acknowledged after the disk recovered was lost"


def test_c_data_1_compaction_bounds_the_journal_and_keeps_the_live_state(smppd):
    """C-DATA-1, C-DATA-2: with 1 MiB segments and at most 5,000 records, a load many times
    that size triggers compaction passes (the records in the older half, pending deliveries and
    ledgers copied forward, older segments removed and written over as spares): the journal
    stays a few segments long, and after kill -9 the newest records are all there with their
    final states."""
    d = smppd(accounts=[ACME], messages={"max-records": 5000}, extra={"store": {"segment-mb": 1}})
    c = d.connect()
    c.bind_ok("transceiver", "acme", "secret")
    # Two rounds: the passes that follow the first (once its receipts are answered, the live
    # state is small) leave spares, which the second round's segments are written over.
    for _ in range(2):
        load = PipelinedLoad(c, limit=30_000).start(target=30_000)
        assert load.reached.wait(timeout=120), "the load did not finish"
        load.join()
        assert load.error is None and not load.refused, (load.error, load.refused)
        _collect_receipts(c, set(load.acked), load.receipts, RECEIPTS_TIMEOUT)
        assert set(load.acked) <= load.receipts.keys(), "receipts missing before the kill"
    samples = msgkit.metrics(d)
    assert msgkit.metric(samples, "smppd_store_compactions_total") >= 1, "no compaction pass ran"
    # Segments taken out of the log are written over as later ones: the restart below reads
    # recycled files whose old batches lie past the new ones.
    assert msgkit.metric(samples, "smppd_store_segments_recycled_total") >= 1, "no segment was recycled"
    segments = _segments(d)
    # ~12 MiB written in all; a pass starts once the log holds more than twice the live state
    # (~1 MiB here) and two segments, i.e. past 4 segments, and removes the older half.
    assert len(segments) <= 6, f"the journal grew to {len(segments)} segments: {segments}"
    # Spares take no more room than the log (one listing: a pass may be renaming files).
    sizes = {}
    for name in os.listdir(d.data_dir / "journal"):
        try:
            sizes[name] = (d.data_dir / "journal" / name).stat().st_size
        except FileNotFoundError:
            pass
    spare_bytes = sum(v for k, v in sizes.items() if k.endswith(".wal.spare"))
    log_bytes = sum(v for k, v in sizes.items() if k.endswith(".wal"))
    assert spare_bytes <= log_bytes, f"spares of {spare_bytes} bytes for a log of {log_bytes}: {sorted(sizes)}"
    c.close()
    d.kill()
    d.start()
    ev = d.wait_for_event("store-recovered")
    assert int(ev["records"]) <= 5000, ev
    with d.connect() as c:
        c.bind_ok("transceiver", "acme", "secret")
        for mid in load.acked[-200:]:
            q = _query_state(c, mid)
            assert q is not None and q.message_state == smpp.STATE_DELIVERED, (mid, q)
