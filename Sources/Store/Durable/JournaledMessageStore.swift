// JournaledMessageStore: the durable MessageStore (C-DATA-1). Reads are served by the
// in-memory store it wraps; every change is applied there and staged in the journal's open
// batch (StoreJournal), which the loop seals once per turn. Nothing here waits for the disk:
// the caller holds what it acknowledges until `journal.requiredCommit` is durable (the
// Reactor's OutputGate). Loop thread only.

import SMPP

public final class JournaledMessageStore: MessageStore {
    /// The cache every read is served from (and what recovery fills before wrapping it).
    public let memory: MemoryMessageStore
    public let journal: StoreJournal

    public init(memory: MemoryMessageStore, journal: StoreJournal) {
        self.memory = memory
        self.journal = journal
    }

    public var count: Int { memory.count }
    public var capacity: Int { memory.capacity }
    public var statistics: MessageStoreStatistics { memory.statistics }

    public func insert(_ record: MessageRecord) -> InsertResult {
        let result = memory.insert(record, journalBase: journal.openSequence)
        if case .inserted = result { journal.insert(memory.normalized(record)) }
        return result
    }

    public func lookup(_ id: MessageID, systemID: ShortBytes) -> MessageRecord? { memory.lookup(id, systemID: systemID) }
    public func record(_ id: MessageID) -> MessageRecord? { memory.record(id) }

    public func cancel(_ id: MessageID, systemID: ShortBytes, now: Int64, carrierHasTaken: Bool) -> CancelResult {
        let result = memory.cancel(id, systemID: systemID, now: now, carrierHasTaken: carrierHasTaken)
        switch result {
        case .cancelled(let r):
            journal.status(of: r, receiptQueued: r.wantsReceiptNotice(for: .deleted))
        case .alreadyForwarded:
            // Refused because the carrier has it: that must hold after a restart too.
            if let r = memory.record(id) { journal.status(of: r, receiptQueued: false) }
        default:
            break
        }
        return result
    }

    public func finish(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> FinishResult {
        let result = memory.finish(id, state: state, errorCode: errorCode, now: now)
        switch result {
        case .finished(let r), .updated(let r): journal.status(of: r, receiptQueued: r.wantsReceiptNotice(for: state))
        default: break
        }
        return result
    }

    public func finishReturningReceipt(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> AppliedOutcome {
        let applied = memory.finishReturningReceipt(id, state: state, errorCode: errorCode, now: now)
        if applied.moved {
            journal.status(id, state: state, isForwarded: applied.isForwarded, finalTime: applied.finalTime,
                           errorCode: applied.errorCode, receiptQueued: applied.receipt != nil)
        }
        return applied
    }

    public func prefetchIndexEntry(_ id: MessageID) { memory.prefetchIndexEntry(id) }
    public func prefetchRecord(_ id: MessageID) { memory.prefetchRecord(id) }

    public func expire(now: Int64, limit: Int, _ expired: (MessageRecord) -> Void) -> Int {
        memory.expire(now: now, limit: limit) { r in
            journal.status(of: r, receiptQueued: r.wantsReceiptNotice(for: .expired))
            expired(r)
        }
    }

    /// Not journaled: replay applies retention and capacity again, and compaction leaves
    /// purged records behind.
    public func purge(olderThan cutoff: Int64, limit: Int) -> Int { memory.purge(olderThan: cutoff, limit: limit) }

    public func forEachRecord(from cursor: Int, limit: Int, _ body: (MessageRecord) -> Void) -> Int? {
        memory.forEachRecord(from: cursor, limit: limit, body)
    }

    /// Compaction: copies into the open batch (as snapshots) up to `copyLimit` records whose
    /// last copy is in a batch before `cutoff`, visiting up to `visitLimit` slots from
    /// `cursor`. Returns the cursor to continue from, nil once every slot has been visited.
    public func snapshotRecords(from cursor: Int, visitLimit: Int, copyLimit: Int, basedBefore cutoff: UInt64) -> Int? {
        memory.forEachRecord(from: cursor, visitLimit: visitLimit, copyLimit: copyLimit, basedBefore: cutoff,
                             rebase: journal.openSequence) { journal.snapshot($0) }
    }
}
