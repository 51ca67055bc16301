// Durable mode (C-DATA-1): the messaging service's journal. The store and the delivery queue
// are swapped for their journaled implementations (JournaledMessageStore, JournaledDeliveries),
// which stage every change in the StoreJournal as it happens; the ledgers' charges are staged
// here once per turn; then the batch is sealed and handed to the writer thread. The OutputGate
// holds a response that acknowledges a change, and every deliver_sm, until its batch is
// durable. At start the journal is replayed into the in-memory store: pending receipts and MO
// are queued again, messages that were with the carrier and not final go back to it, credits
// and id floors are restored.
//
// Where each piece of state survives a kill -9: in the journal's segments under
// <data-dir>/journal (records, states, pending deliveries, credits, id floors). Rates,
// sessions and in-flight deliver_sm windows are not kept (a restart starts them afresh).

#if canImport(Glibc)
import Glibc
#endif
import Carrier
import Journal
import Logging
import Reactor
import SMPP
import Store

/// Durable mode's moving parts, owned by the MessageService (loop thread).
final class DurableState {
    let journal: StoreJournal
    let gate: OutputGate
    /// Rung by the writer thread when batches become durable or its health changes.
    let doorbell: Doorbell
    /// The largest message id the journal knew at start: the id floor compaction carries on
    /// until a new id is issued.
    var idFloor: UInt64 = 0
    /// Recovered messages not final yet, to hand back to the carrier as its queue has room.
    var carrierBacklog: [MessageID] = []
    var backlogIndex = 0
    /// The compaction pass in progress: the next slot to copy (nil: none running).
    var compactionCursor: Int?
    /// The pass has copied every record; the forwarding's state follows (`upstreamCopy`).
    var recordsCopied = false
    var upstreamCopy: UpstreamCompactionCopy?
    var compactions = 0
    /// The cutoff of the last pass that ended (0: none): no pass starts before the writer
    /// took the segments it replaced out of the log, or the segment count the trigger reads
    /// would still include them and every turn would start a pass.
    var lastPassCutoff: UInt64 = 0
    /// The writer's errno last seen by the loop (0: healthy): to log a failure once and its end.
    var failureSeen: Int32 = 0
    let segmentBytes: Int
    /// A compaction pass is wanted now, whatever the disk holds (the log shipper fell behind
    /// and needs a new base, issue 15).
    var compactionWanted = false
    /// Cluster log shipping and takeover (`cluster.ship-log`); nil without.
    var shipLog: ShipLogState?

    init(journal: StoreJournal, gate: OutputGate, segmentBytes: Int, doorbell: Doorbell) {
        self.journal = journal
        self.gate = gate
        self.doorbell = doorbell
        self.segmentBytes = segmentBytes
    }
}

/// What recovery found, for the start-up log line.
public struct JournalRecoverySummary: Sendable {
    public var records: Int
    public var liveRecords: Int
    public var pendingReceipts: Int
    public var pendingMO: Int
    public var receiptsWithoutRecord: Int
    public var bytes: Int
    public var segments: Int
    public var milliseconds: Int64
    public var truncatedTail: String?
}

extension MessageService {
    /// Replays the journal in `configuration.directory` and turns durable mode on. Call once,
    /// before any session is accepted. Throws JournalCorruption (a bad batch that is not the
    /// tail), StoreLogDecodingError or JournalIOError; the daemon then refuses to start.
    func openJournal(_ configuration: JournalConfiguration) throws -> JournalRecoverySummary {
        precondition(durable == nil, "the journal is open already")
        let started = monotonicMillis()
        let shipping = cluster?.coordinator.settings.shipLog == true
        let tail = RecoveredTail()
        memoryStore.trackJournalBases()
        let recovered = try StoreRecovery.recover(directory: configuration.directory, into: memoryStore, tracksBatches: shipping,
                                                  batch: shipping ? { tail.add($0, $1) } : nil)
        // Id floors: never reissue an id, even with the clock stepped back.
        if recovered.lastMessageID > 0 {
            ids = MessageIDGenerator(startUnixMillis: realtimeMillis(), instance: idInstance,
                                     floor: MessageID(rawValue: recovered.lastMessageID))
        }
        nextMOID = max(nextMOID, recovered.lastMOID + 1)
        ledgers.restore(credits: recovered.credits)

        let gate = OutputGate()
        let doorbell = Doorbell(loop: loop) { [weak self] in self?.journalAdvanced() }
        let writer = JournalWriter(configuration: configuration, handsBackDurableBatches: shipping,
                                   notify: { [doorbell] in doorbell.ring() })
        let state = DurableState(journal: StoreJournal(writer: writer, nextSequence: recovered.scan.lastSequence + 1),
                                 gate: gate, segmentBytes: configuration.segmentBytes, doorbell: doorbell)
        try writer.start(firstSequence: recovered.scan.lastSequence + 1)
        if let code = writer.niceRefusedErrno {
            logger.warning("writer-nice-refused", metadata: [
                "nice": "\(writer.requestedNice)", "errno": "\(code)",
                "hint": "the OS refused the journal writer's nice value (a value below the daemon's needs CAP_SYS_NICE or RLIMIT_NICE); it keeps the daemon's",
            ])
        }
        loop.outputGate = gate
        durable = state
        state.idFloor = recovered.lastMessageID
        store = ActiveMessageStore(.journaled(JournaledMessageStore(memory: memoryStore, journal: state.journal)))
        router.replaceStore(ActiveDeliveryStore(.journaled(JournaledDeliveries(queue: memoryDeliveries, journal: state.journal))))
        ledgers.tracksCharges = true
        // The counters go first into the new journal: the floors hold even if every record
        // that carried them is compacted away.
        state.journal.counters(lastMessageID: recovered.lastMessageID, lastMOID: nextMOID - 1)

        let receiptsWithoutRecord = recovered.pendingReceipts.reduce(0) { $0 + (store.record($1.id) == nil ? 1 : 0) }
        // Messages routed upstream go back to their carriers; the rest to the simulator.
        let upstream = resumeUpstream(recovered)
        var live = 0
        _ = store.forEachRecord(from: 0, limit: .max) { record in
            if !record.state.isFinal { live += 1 }
        }
        if shipping {
            // Until Redis says whether another node took this node's work over while it was
            // down, its pending deliveries and the carrier's hand-backs wait (issue 15).
            startShipLog(state, recovered: recovered, tail: tail, upstream: upstream)
        } else {
            resumePending(recovered, state, upstream: upstream, takenOverThrough: 0)
        }
        return JournalRecoverySummary(
            records: store.count, liveRecords: live, pendingReceipts: recovered.pendingReceipts.count - receiptsWithoutRecord,
            pendingMO: recovered.pendingMO.count, receiptsWithoutRecord: receiptsWithoutRecord, bytes: recovered.scan.bytes,
            segments: recovered.scan.segments, milliseconds: monotonicMillis() - started,
            truncatedTail: recovered.scan.truncatedTail.map { "\($0.path) at \($0.offset) (\($0.bytes) bytes)" })
    }

    /// Recovered deliveries queued again and messages not final handed back to the carrier.
    /// `takenOverThrough` > 0: another node took this node's work over through that batch
    /// while it was down (issue 15): what came from batches up to it is dropped here, durably
    /// (its receipts and MO are done; its messages not final are marked UNKNOWN, without a
    /// receipt: their outcome is the other node's). Returns what was dropped.
    @discardableResult
    func resumePending(_ recovered: RecoveredStore, _ state: DurableState, upstream: Set<UInt64>,
                       takenOverThrough: UInt64) -> (receipts: Int, mo: Int, nonFinal: Int) {
        let held = takenOverThrough > 0
        var dropped = (receipts: 0, mo: 0, nonFinal: 0)
        for (i, (id, receiptState)) in recovered.pendingReceipts.enumerated() {
            guard var record = store.record(id) else {
                // Purged or evicted before its receipt was acknowledged: nothing to say it with.
                state.journal.receiptDone(id, state: receiptState)
                continue
            }
            if held && recovered.pendingReceiptBatches[i] <= takenOverThrough {
                state.journal.receiptDone(id, state: receiptState)
                dropped.receipts += 1
                continue
            }
            record.state = receiptState
            if state.shipLog != nil {
                router.enqueue(.receipt(record), forAccount: record.systemID)   // the loop runs: pump too
            } else {
                // Into the memory queue: the journal has them already.
                _ = memoryDeliveries.enqueue(.receipt(record), for: record.systemID, now: now, commit: 0)
            }
        }
        for (i, (account, message)) in recovered.pendingMO.enumerated() {
            if held && recovered.pendingMOBatches[i] <= takenOverThrough {
                state.journal.moDone(message.id)
                dropped.mo += 1
            } else if state.shipLog != nil {
                router.enqueue(.mobileOriginated(message), forAccount: account)
            } else {
                _ = memoryDeliveries.enqueue(.mobileOriginated(message), for: account, now: now, commit: 0)
            }
        }
        var adoptedElsewhere: [MessageRecord] = []
        _ = store.forEachRecord(from: 0, limit: .max) { record in
            guard !record.state.isFinal, !upstream.contains(record.id.rawValue) else { return }
            if held, let batch = recovered.liveRecordBatches[record.id.rawValue], batch <= takenOverThrough {
                adoptedElsewhere.append(record)
            } else {
                state.carrierBacklog.append(record.id)
            }
        }
        for r in adoptedElsewhere {
            memoryStore.restoreStatus(r.id, state: .unknown, isForwarded: r.isForwarded, finalTime: now, errorCode: 0)
            state.journal.status(r.id, state: .unknown, isForwarded: r.isForwarded, finalTime: now, errorCode: 0, receiptQueued: false)
        }
        dropped.nonFinal = adoptedElsewhere.count
        return dropped
    }

    /// Shutdown: what is staged is sealed, written and synced before the writer stops.
    func closeJournal() {
        guard let durable else { return }
        stopShipLog()
        journalCharges(durable)
        durable.journal.seal(force: true)
        durable.journal.writer.stop()
        durable.gate.release(through: durable.journal.durableSequence)
    }

    // MARK: Holding output
    /// True while the journal cannot write (durable mode only).
    var journalIsFailing: Bool { (durable?.journal.failureErrno ?? 0) != 0 }

    /// Figures for /metrics; nil in memory mode.
    var journalMetrics: (bytes: Int, segments: Int, recycled: Int, batches: Int, syncs: Int, compactions: Int, errors: Int,
                         failing: Bool, waitingConnections: Int)? {
        guard let d = durable else { return nil }
        let w = d.journal.writer
        return (w.bytesOnDisk, w.segments, w.recycledSegments, d.journal.sealedBatches, w.syncCount, d.compactions, w.failures,
                w.failureErrno != 0, d.gate.waitingCount)
    }

    /// Durable mode: the next PDU written (the response being encoded) leaves only once every
    /// change staged so far is durable. For responses that acknowledge a change.
    @inline(__always)
    func holdNextResponse() {
        guard let durable else { return }
        durable.gate.holdNextWrite(until: durable.journal.requiredCommit)
    }

    /// Durable mode: the next PDU written leaves only once batch `commit` is durable.
    @inline(__always)
    func holdNextWrite(until commit: UInt64) {
        guard commit != 0, let durable else { return }
        durable.gate.holdNextWrite(until: commit)
    }

    /// The batch a response written now depends on (0 in memory mode): the admin API waits
    /// for it before answering.
    var requiredJournalBatch: UInt64 { durable?.journal.requiredCommit ?? 0 }

    // MARK: Turns

    /// Before sleep: hand recovered messages back to the carrier while its queue has room,
    /// and run a step of compaction.
    func journalTurnWork() {
        guard let durable else { return }
        durable.shipLog?.takeover?.turn()
        feedCarrierBacklog(durable)
        compactionStep(durable)
    }

    /// Last thing before the loop sleeps: the turn's credits, then the batch to the writer.
    func sealJournalTurn() {
        guard let durable else { return }
        journalCharges(durable)
        durable.journal.seal()
    }

    /// The credits of the accounts charged this turn (one entry per account, not per message).
    private func journalCharges(_ durable: DurableState) {
        ledgers.takeCharged { rt in
            durable.journal.credits(account: rt.systemIDBytes, configured: rt.ledger.configuredCredits, left: rt.ledger.creditsLeft)
        }
    }

    /// The writer moved: release the output waiting for what is now durable, and note a
    /// failure starting or ending.
    private func journalAdvanced() {
        guard let durable else { return }
        if let ship = durable.shipLog { shipDurableBatches(durable, ship) }
        releaseGate(durable)
        forwarding?.committed(through: durable.journal.durableSequence)
        cluster?.queries.committed(through: durable.journal.durableSequence)
        let errno = durable.journal.failureErrno
        guard errno != durable.failureSeen else { return }
        if errno != 0 {
            logger.error("store-error", metadata: [
                "error": "\(durable.journal.writer.failureDescription ?? "errno \(errno)")",
                "effect": "new submit_sm/data_sm/submit_multi refused with ESME_RSYSERR until writes succeed again; acknowledged messages are kept",
            ])
        } else {
            logger.notice("store-resumed", metadata: ["note": "journal writes succeed again; accepting messages"])
        }
        durable.failureSeen = errno
    }

    /// Recovered messages that were not final go back to the carrier, which draws the same
    /// fate for them (its draw depends only on the seed and the message id).
    private func feedCarrierBacklog(_ durable: DurableState) {
        while durable.backlogIndex < durable.carrierBacklog.count,
              carrier.submissionQueueDepth < carrier.submissionCapacity / 2 {
            let id = durable.carrierBacklog[durable.backlogIndex]
            durable.backlogIndex += 1
            guard let r = store.record(id), !r.state.isFinal else { continue }
            if !submitToCarrierPool(r) {
                durable.backlogIndex -= 1
                break
            }
        }
        if durable.backlogIndex == durable.carrierBacklog.count && !durable.carrierBacklog.isEmpty {
            durable.carrierBacklog = []
            durable.backlogIndex = 0
        }
    }

    /// Hands a stored record to the simulator's pool (recovery, or a route's failover).
    /// False when the pool's queue is full.
    func submitToCarrierPool(_ r: MessageRecord) -> Bool {
        guard let rt = ledgers.runtime(systemID: r.systemID.description),
              let source = E164.parse(digits: r.source.digits)?.number, let destination = E164.parse(digits: r.destination.digits)?.number
        else { return true }   // nothing the pool could draw for: its expiry ends it
        let words = r.receiptText.packedWords
        let submission = CarrierSubmission(messageID: r.id.rawValue, accountIndex: rt.index, source: source,
                                           destination: destination, submitTimeMs: r.submitTime,
                                           validityDeadlineMs: r.validityDeadline ?? 0,
                                           excerpt: CarrierExcerpt(packed: (words.low, words.middle, words.high),
                                                                   count: r.receiptText.count))
        return carrier.trySubmit(submission)
    }

    // MARK: Compaction

    /// Records copied per loop turn: a pass over a million records takes about a thousand turns
    /// and each turn's share stays well under a millisecond.
    static let compactionRecordsPerTurn = 1_024
    /// Slots looked at per turn (a dense array of batch numbers; only the records found in the
    /// segments going are read and copied).
    static let compactionSlotsPerTurn = 65_536

    /// Starts a pass when the segments hold much more than the live state would take, copies a
    /// step's worth of records, and ends the pass with the deliveries, ledgers and floors.
    ///
    /// A pass removes the older half of the log (whole segments) and copies forward only the
    /// records whose last copy is there: under a steady load those are mostly gone (evicted or
    /// past retention), so a pass writes little. A node that ships its log (issue 15) makes
    /// whole passes instead, as its stream is rebased on a pass's first batch.
    private func compactionStep(_ durable: DurableState) {
        let journal = durable.journal
        if durable.compactionCursor == nil {
            guard durable.lastPassCutoff == 0 || journal.writer.segmentsRemovedBefore >= durable.lastPassCutoff else { return }
            // ~200 bytes a record, ~100 a pending delivery, ~300 a forwarded body no carrier took
            // yet; a pass starts past twice that and three segments, so small stores keep a few
            // segments and large ones about 2-3x.
            let live = store.count * 200 + deliveries.count * 100 + (forwarding?.unanswered.count ?? 0) * 300
            let onDisk = journal.writer.bytesInLog
            let wanted = durable.compactionWanted && durable.shipLog?.shipper.isConnected == true
            guard wanted || (onDisk > max(2 * live, 0) + 2 * durable.segmentBytes && journal.writer.segments >= 3) else { return }
            if durable.shipLog != nil {
                journal.beginCompaction()
                durable.shipLog?.shipper.passStarted(at: journal.compactionStart)
            } else {
                // The list and the count are published one after the other: cut only a list
                // that has a segment to remove besides the one being written.
                let segments = journal.writer.segmentsInLog
                guard segments.count >= 2 else { return }
                journal.beginCompaction(removingSegmentsBefore: StoreJournal.halfLogCutoff(segments))
            }
            durable.compactionWanted = false
            durable.compactionCursor = 0
        }
        guard let cursor = durable.compactionCursor else { return }
        if !durable.recordsCopied {
            guard case .journaled(let journaled) = store.implementation else { preconditionFailure("durable mode without the journaled store") }
            let next = journaled.snapshotRecords(from: cursor, visitLimit: Self.compactionSlotsPerTurn,
                                                 copyLimit: Self.compactionRecordsPerTurn, basedBefore: journal.compactionCutoff)
            if let next {
                durable.compactionCursor = next
                return
            }
            durable.recordsCopied = true
        }
        // The forwarding's bodies and awaited ids, as many per turn as records.
        if let forwarding {
            var copy = durable.upstreamCopy ?? UpstreamCompactionCopy(forwarding)
            let done = compactUpstream(journal, &copy, limit: Self.compactionRecordsPerTurn)
            durable.upstreamCopy = done ? nil : copy
            if !done { return }
        }
        deliveries.forEachItem { account, payload in
            switch payload {
            case .receipt(let r): journal.receiptQueued(r.id, state: r.state)
            case .mobileOriginated(let m): journal.mo(m, account: account)
            }
        }
        for rt in ledgers.runtimes.values where rt.ledger.creditsLeft != nil {
            journal.credits(account: rt.systemIDBytes, configured: rt.ledger.configuredCredits, left: rt.ledger.creditsLeft)
        }
        journal.counters(lastMessageID: max(ids.lastIssued?.rawValue ?? 0, durable.idFloor), lastMOID: nextMOID - 1)
        let passStart = journal.compactionStart
        durable.lastPassCutoff = journal.compactionCutoff
        journal.endCompaction()
        durable.shipLog?.shipper.passEnded(first: passStart, last: journal.openSequence)
        durable.compactionCursor = nil
        durable.recordsCopied = false
        durable.compactions += 1
    }
}

func monotonicMillis() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
