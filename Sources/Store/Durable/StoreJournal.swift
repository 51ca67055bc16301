// StoreJournal: the durable store's loop-thread side. Every change the message store, the
// delivery queues and the credit ledgers make is staged here as an entry (StoreLogEntry.swift)
// in the open batch; once per loop turn, before output is flushed, `seal()` hands the batch
// to the JournalWriter thread (group commit). Batches are numbered; what a response promises
// is in the batch `openSequence` names when the response is written, and the Reactor's
// OutputGate holds the response until `durableSequence` reaches it.
//
// Compaction: a pass copies the live state (every stored record, every pending delivery,
// the ledgers and id floors) into the journal a few thousand records per turn, starting a new
// segment; once the pass's last batch is durable the segments before its first are removed.
// Disk use stays within (pass trigger) + (one pass) of the live set.
//
// Loop thread only.

import Journal
import SMPP

public final class StoreJournal {
    public let writer: JournalWriter
    private var batch: JournalBatch
    /// The batch entries are staged into now.
    public private(set) var openSequence: UInt64
    /// Entries staged into the open batch.
    public private(set) var openEntries = 0
    /// Batches and entries handed to the writer since start (metrics).
    public private(set) var sealedBatches = 0
    public private(set) var stagedEntries = 0
    private var startsSegment = false
    private var removeSegmentsBefore: UInt64 = 0
    /// While this many sealed batches wait for the writer, a turn's changes stay in the open
    /// batch instead (it grows; the writer is behind anyway, and one larger write catches up
    /// sooner than many small ones). Bounds the batches in circulation (JournalWriter).
    public static let maximumQueuedBatches = 16

    /// `nextSequence`: one past the last batch recovery read.
    public init(writer: JournalWriter, nextSequence: UInt64) {
        self.writer = writer
        openSequence = nextSequence
        batch = JournalBatch(capacity: JournalWriter.pooledBatchBytes, sequence: nextSequence)
    }

    public var durableSequence: UInt64 { writer.durableSequence }

    /// The batch a response acknowledging what was staged so far depends on: the open one
    /// when it holds entries, else the last sealed (it may not be durable yet).
    public var requiredCommit: UInt64 { openEntries > 0 ? openSequence : openSequence - 1 }
    /// errno of the failing write or sync (0: healthy). New work is refused while non-zero.
    public var failureErrno: Int32 { writer.failureErrno }

    // MARK: Staging

    public func insert(_ record: MessageRecord) {
        let b = begin(.insert)
        StoreLogEncoder.record(b, record)
    }

    public func status(_ id: MessageID, state: MessageState, isForwarded: Bool, finalTime: Int64?, errorCode: UInt16,
                       receiptQueued: Bool) {
        let b = begin(.status)
        StoreLogEncoder.u64(b, id.rawValue)
        StoreLogEncoder.u8(b, state.rawValue)
        StoreLogEncoder.u8(b, (isForwarded ? 1 : 0) | (receiptQueued ? 2 : 0))
        StoreLogEncoder.i64(b, finalTime ?? .min)
        StoreLogEncoder.u16(b, errorCode)
    }

    public func status(of record: MessageRecord, receiptQueued: Bool) {
        status(record.id, state: record.state, isForwarded: record.isForwarded, finalTime: record.finalTime,
               errorCode: record.errorCode, receiptQueued: receiptQueued)
    }

    public func receiptDone(_ id: MessageID, state: MessageState) {
        let b = begin(.receiptDone)
        StoreLogEncoder.u64(b, id.rawValue)
        StoreLogEncoder.u8(b, state.rawValue)
    }

    public func mo(_ message: MobileOriginatedMessage, account: ShortBytes) {
        let b = begin(.mo)
        StoreLogEncoder.u64(b, message.id)
        StoreLogEncoder.short(b, account)
        StoreLogEncoder.moBody(b, message)
    }

    public func moDone(_ id: UInt64) {
        let b = begin(.moDone)
        StoreLogEncoder.u64(b, id)
    }

    /// Done with one delivery (acknowledged, or dropped for good): not to be sent again.
    public func deliveryDone(_ payload: DeliveryPayload) {
        switch payload {
        case .receipt(let r): receiptDone(r.id, state: r.state)
        case .mobileOriginated(let m): moDone(m.id)
        }
    }

    /// An account's credits left, counted down from `configured` (nil: unlimited).
    public func credits(account: ShortBytes, configured: Int?, left: Int?) {
        let b = begin(.credits)
        StoreLogEncoder.short(b, account)
        StoreLogEncoder.i64(b, configured.map(Int64.init) ?? .min)
        StoreLogEncoder.i64(b, left.map(Int64.init) ?? .min)
    }

    public func counters(lastMessageID: UInt64, lastMOID: UInt64) {
        let b = begin(.counters)
        StoreLogEncoder.u64(b, lastMessageID)
        StoreLogEncoder.u64(b, lastMOID)
    }

    public func snapshot(_ record: MessageRecord) {
        let b = begin(.snapshot)
        StoreLogEncoder.record(b, record)
    }

    public func receiptQueued(_ id: MessageID, state: MessageState) {
        let b = begin(.receiptQueued)
        StoreLogEncoder.u64(b, id.rawValue)
        StoreLogEncoder.u8(b, state.rawValue)
    }

    /// A message for a carrier upstream: `write` appends exactly `length` bytes of its body.
    public func outbound(_ id: MessageID, length: Int, _ write: (JournalBatch) -> Void) {
        let b = begin(.outbound)
        StoreLogEncoder.u64(b, id.rawValue)
        StoreLogEncoder.u32(b, UInt32(length))
        let start = b.count
        write(b)
        precondition(b.count - start == length, "outbound body of \(b.count - start) bytes, announced \(length)")
    }

    /// Carrier `carrier` accepted message `id` as `upstreamID` (each at most 65,535 bytes).
    public func handedUp(_ id: MessageID, carrier: String, upstreamID: String) {
        let b = begin(.handedUp)
        StoreLogEncoder.u64(b, id.rawValue)
        StoreLogEncoder.text(b, carrier)
        StoreLogEncoder.text(b, upstreamID)
    }

    /// Starts an entry; returns the open b for the rest of it. Entries write through this
    /// one local reference: every read of the `b` property is a retain and a release, and
    /// an entry of six fields read it six times (20 % of a durable loop's CPU was swift_retain
    /// and swift_release, perf/RESULTS.md).
    @inline(__always) private func begin(_ kind: StoreLogKind) -> JournalBatch {
        let b = batch
        b.append(kind.rawValue)
        openEntries += 1
        return b
    }

    // MARK: Turns

    /// Hands the open batch to the writer if it holds anything (and, unless `force`, the
    /// writer is not maximumQueuedBatches behind), and opens the next. Returns the sequence
    /// number sealed, or nil when it sealed nothing.
    @discardableResult
    public func seal(force: Bool = false) -> UInt64? {
        guard openEntries > 0 else { return nil }
        guard force || writer.queuedBatches < Self.maximumQueuedBatches else { return nil }
        let sealed = openSequence
        let full = batch
        batch = writer.takeBuffer() ?? JournalBatch(capacity: JournalWriter.pooledBatchBytes)
        openSequence += 1
        batch.reset(sequence: openSequence)
        writer.submit(full, startsSegment: startsSegment, removeSegmentsBefore: removeSegmentsBefore)
        stagedEntries += openEntries
        sealedBatches += 1
        openEntries = 0
        startsSegment = false
        removeSegmentsBefore = 0
        return sealed
    }

    // MARK: Compaction

    /// The first batch of the pass in progress (0: none).
    public private(set) var compactionStart: UInt64 = 0
    /// The segments the pass in progress removes: those whose batches all come before this one.
    public private(set) var compactionCutoff: UInt64 = 0

    /// Begins a pass that removes the segments before `cutoff` (the first batch of a segment
    /// in the log), or, with nil, every segment before the pass: the open batch then starts a
    /// new segment. What the removed segments hold that is still needed (the records whose
    /// last copy is there, every pending delivery, ledger and floor) the pass copies forward.
    public func beginCompaction(removingSegmentsBefore cutoff: UInt64? = nil) {
        precondition(compactionStart == 0, "a compaction pass is already running")
        compactionStart = openSequence
        compactionCutoff = cutoff ?? openSequence
        precondition(compactionCutoff <= openSequence, "a pass cannot remove batches not written yet")
        startsSegment = cutoff == nil
        if openEntries == 0 { counters(lastMessageID: 0, lastMOID: 0) }   // so the batch exists
    }

    /// Where a pass over part of the log cuts it: the first batch of the segment that leaves
    /// the older half of the bytes on disk (at least the oldest segment) before it; never the
    /// segment being written (the last).
    public static func halfLogCutoff(_ segments: [JournalSegment]) -> UInt64 {
        precondition(segments.count >= 2, "a pass needs a segment besides the one being written")
        let half = segments.reduce(0) { $0 + $1.bytes } / 2
        var k = 1
        var before = segments[0].bytes
        while k < segments.count - 1 && before + segments[k].bytes <= half {
            before += segments[k].bytes
            k += 1
        }
        return segments[k].firstSequence
    }

    /// Ends the pass: once the open batch is durable, the segments before the cutoff go.
    public func endCompaction() {
        precondition(compactionStart != 0, "no compaction pass is running")
        removeSegmentsBefore = compactionCutoff
        compactionStart = 0
        compactionCutoff = 0
        if openEntries == 0 { counters(lastMessageID: 0, lastMOID: 0) }
    }
}
