// MemoryMessageStore: the in-memory MessageStore (memory-only mode, and later the durable
// store's cache). Owned by the loop thread: not Sendable, so the compiler keeps it there;
// workers reach it only through messages the loop applies. Invariants (testsOnly_checkInvariants):
//   - slotByID maps every stored id to its slot, and nothing else;
//   - a live (non-final) record has an entry (its deadline, its slot) in the expiry heap;
//   - a final record is in the finals queue, in the order it became final, exactly once;
//   - count <= configuration.capacity.
// The expiry heap deletes lazily: a record turning final leaves its entry behind (removing it
// at once would mean a sift-down plus slot position updates for every message), and an entry
// whose slot's generation has moved on (the record went final) is dropped when it surfaces.
// When stale entries outnumber the live ones the heap is rebuilt (O(n), amortised O(1)).
// Memory per record (MemoryLayout + container overhead) is measured in StoreTests.

import SMPP

/// The in-memory store; see the file header.
public final class MemoryMessageStore: MessageStore {
    public let configuration: MessageStoreConfiguration
    public private(set) var statistics = MessageStoreStatistics()

    /// A record in its arena slot.
    struct Slot {
        var record: MessageRecord
    }

    /// An expiry heap entry: the deadline first, so the heap pops the soonest. `generation` is
    /// the slot's generation when the entry was made; the entry is live while they match.
    struct Deadline: Comparable {
        var time: Int64
        var slot: UInt32
        var generation: UInt32
        static func < (lhs: Deadline, rhs: Deadline) -> Bool {
            (lhs.time, lhs.slot) < (rhs.time, rhs.slot)
        }
    }

    private var slots = SlotArena<Slot>()
    private var slotByID = IDIndex()
    private var deadlines = MinHeap<Deadline>()
    /// Per slot, how many of its records have gone final: an expiry entry is stale once its
    /// slot's generation has moved past the entry's. Telling that from 4 bytes in a dense
    /// array, instead of from the record (a cache miss each), keeps heap rebuilds short:
    /// they read every entry, and at full load a rebuild reading records stalled the loop for
    /// milliseconds.
    private var generations: [UInt32] = []
    private var liveRecords = 0
    private var finals = RingQueue<UInt32>(placeholder: .max)
    /// Durable mode only (see trackJournalBases): per slot, the journal batch holding the
    /// record's last whole copy (its insert, or a compaction snapshot); `noJournalBase` for a
    /// slot holding no record. A compaction pass copies forward exactly the records whose copy
    /// lies in the segments it removes, reading this dense array instead of every record.
    private var journalBases: [UInt64] = []
    public private(set) var tracksJournalBases = false
    /// The base of a free slot, and of a record stored where bases are not tracked.
    public static let noJournalBase = UInt64.max

    public init(configuration: MessageStoreConfiguration = MessageStoreConfiguration()) {
        self.configuration = configuration
    }

    public var count: Int { slotByID.count }

    public var capacity: Int { configuration.capacity }

    /// Records not yet final.
    public var liveCount: Int { liveRecords }

    // MARK: Insert and read

    public func insert(_ record: MessageRecord) -> InsertResult {
        insert(record, journalBase: Self.noJournalBase)
    }

    /// Durable mode: insert, noting that the record's copy is in journal batch `journalBase`.
    public func insert(_ record: MessageRecord, journalBase: UInt64) -> InsertResult {
        guard slotByID[record.id.rawValue] == nil else { return .duplicateID }
        if slotByID.count >= configuration.capacity {
            warmUpcomingEviction()
            guard let oldest = finals.removeFirst() else {
                statistics.refusedFull += 1
                return .full
            }
            remove(slot: oldest)
            statistics.evicted += 1
        }
        let stored = normalized(record)
        let slot = slots.allocate(Slot(record: stored))
        _ = slotByID.insert(record.id.rawValue, slot: slot)
        // The generator's ids are consecutive and IDIndex keeps consecutive ids in consecutive
        // buckets, which were last used a whole table ago: start loading the bucket of the id
        // 8 inserts from now (a wrong guess only wastes the hint).
        slotByID.prefetch(record.id.rawValue &+ 8)
        liveRecords += 1
        // Deadlines mostly arrive in increasing order (submit time + the default validity),
        // so the sift-up usually stops at once.
        if Int(slot) == generations.count { generations.append(0) }
        deadlines.push(Deadline(time: stored.validityDeadline!, slot: slot, generation: generations[Int(slot)]))
        if tracksJournalBases { setJournalBase(slot, journalBase) }
        statistics.inserted += 1
        return .inserted
    }

    /// `record` as insert stores it: ENROUTE, not forwarded, its validity clamped.
    func normalized(_ record: MessageRecord) -> MessageRecord {
        var stored = record
        stored.state = .enroute
        stored.isForwarded = false
        stored.finalTime = nil
        stored.errorCode = 0
        let longest = record.submitTime + configuration.maximumValidityMillis
        stored.validityDeadline = min(record.validityDeadline ?? longest, longest)
        return stored
    }

    public func lookup(_ id: MessageID, systemID: ShortBytes) -> MessageRecord? {
        guard let slot = slotByID[id.rawValue] else { return nil }
        let record = slots[slot].record
        return record.systemID == systemID ? record : nil
    }

    public func record(_ id: MessageID) -> MessageRecord? {
        slotByID[id.rawValue].map { slots[$0].record }
    }

    // MARK: Transitions

    public func cancel(_ id: MessageID, systemID: ShortBytes, now: Int64, carrierHasTaken: Bool) -> CancelResult {
        guard let slot = slotByID[id.rawValue], slots[slot].record.systemID == systemID else { return .notFound }
        if carrierHasTaken && slots[slot].record.forwardDeadline == .max {
            _ = apply(.forward, to: slot, now: now)   // no hold: the take forwarded it (refused if final)
        }
        switch apply(.cancel, to: slot, now: now) {
        case .move:
            statistics.cancelled += 1
            return .cancelled(slots[slot].record)
        case .unchanged, .refused(.invalidOutcome):
            preconditionFailure("the transition table never answers cancel like this")
        case .refused(.alreadyForwarded): return .alreadyForwarded
        case .refused(.final(let state)): return .final(state)
        }
    }

    public func markForwarded(_ id: MessageID, now: Int64) -> ForwardResult {
        guard let slot = slotByID[id.rawValue] else { return .notFound }
        switch apply(.forward, to: slot, now: now) {
        case .move: return .forwarded
        case .unchanged:
            // A repeated take, or the hold deadline passed first (the flag is now set).
            return .alreadyForwarded
        case .refused(.final(let state)): return .final(state)
        case .refused: preconditionFailure("the transition table never refuses forward of a live message")
        }
    }

    public func finish(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> FinishResult {
        guard let slot = slotByID[id.rawValue] else { return .notFound }
        switch apply(.outcome(state), to: slot, now: now, errorCode: errorCode) {
        case .move(let status):
            if status.state.isFinal {
                statistics.finished += 1
                return .finished(slots[slot].record)
            }
            return .updated(slots[slot].record)
        case .unchanged: return .unchanged
        case .refused(let refusal): return .refused(refusal)
        }
    }

    /// `finish` for the carrier's outcomes, at full rate: the record is copied out only when
    /// its receipt is due. Most messages ask for no receipt, and copying every record out
    /// (141 bytes) showed in the loop thread's profile.
    public func finishReturningReceipt(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> AppliedOutcome {
        guard let slot = slotByID[id.rawValue] else { return .ignored }
        guard case .move(let status) = apply(.outcome(state), to: slot, now: now, errorCode: errorCode) else { return .ignored }
        if status.state.isFinal { statistics.finished += 1 }
        // Field by field: a method call on the record copied all of it.
        let wanted = MessageRecord.wantsReceiptNotice(registeredDelivery: slots[slot].record.registeredDelivery, for: state)
        return AppliedOutcome(moved: true, isForwarded: slots[slot].record.isForwarded, finalTime: slots[slot].record.finalTime,
                              errorCode: slots[slot].record.errorCode, receipt: wanted ? slots[slot].record : nil)
    }

    /// Starts loading `id`'s index bucket, for an update soon (a hint: nothing waits for it).
    public func prefetchIndexEntry(_ id: MessageID) { slotByID.prefetch(id.rawValue) }

    /// Starts loading `id`'s record, for an update soon; best after prefetchIndexEntry, as it
    /// looks the id up.
    public func prefetchRecord(_ id: MessageID) {
        if let slot = slotByID[id.rawValue] { slots.prefetch(slot) }
    }

    public func expire(now: Int64, limit: Int, _ expired: (MessageRecord) -> Void) -> Int {
        var done = 0
        while done < limit, let soonest = deadlines.min, soonest.time <= now {
            _ = deadlines.popMin()
            let slot = soonest.slot
            guard isLiveEntry(soonest) else { continue }   // stale: final, or the slot was reused
            guard case .move = apply(.expire, to: slot, now: now) else {
                preconditionFailure("a record in the expiry heap is live, so expire moves it")
            }
            statistics.expired += 1
            done += 1
            expired(slots[slot].record)
        }
        return done
    }

    public func purge(olderThan cutoff: Int64, limit: Int) -> Int {
        var done = 0
        while done < limit, let oldest = finals.first, let finalTime = slots[oldest].record.finalTime, finalTime < cutoff {
            _ = finals.removeFirst()
            remove(slot: oldest)
            done += 1
        }
        statistics.purged += done
        return done
    }

    // MARK: Recovery and compaction (the durable store's journal, Durable/)

    /// Recovery: puts `record` back as the journal last saw it, state and all (an upsert: a
    /// later copy of a record already here replaces its fields). At capacity the oldest final
    /// record makes room, as at insert; false when every record is live.
    /// `journalBase`: the batch this copy was read from (durable mode).
    @discardableResult
    public func restore(_ record: MessageRecord, journalBase: UInt64 = noJournalBase) -> Bool {
        if let slot = slotByID[record.id.rawValue] {
            restoreStatus(slot: slot, state: record.state, isForwarded: record.isForwarded,
                          finalTime: record.finalTime, errorCode: record.errorCode)
            if tracksJournalBases { setJournalBase(slot, journalBase) }
            return true
        }
        if slotByID.count >= configuration.capacity {
            guard let oldest = finals.removeFirst() else { return false }
            remove(slot: oldest)
            statistics.evicted += 1
        }
        let slot = slots.allocate(Slot(record: record))
        _ = slotByID.insert(record.id.rawValue, slot: slot)
        if Int(slot) == generations.count { generations.append(0) }
        if record.state.isFinal {
            generations[Int(slot)] &+= 1
            finals.append(slot)
        } else {
            liveRecords += 1
            deadlines.push(Deadline(time: record.validityDeadline ?? .max, slot: slot, generation: generations[Int(slot)]))
        }
        if tracksJournalBases { setJournalBase(slot, journalBase) }
        statistics.inserted += 1
        return true
    }

    /// Recovery: a logged state change of `id`, applied as logged (the log is the truth; the
    /// transition table judged it when it happened). False for an id no longer held.
    @discardableResult
    public func restoreStatus(_ id: MessageID, state: MessageState, isForwarded: Bool, finalTime: Int64?, errorCode: UInt16) -> Bool {
        guard let slot = slotByID[id.rawValue] else { return false }
        restoreStatus(slot: slot, state: state, isForwarded: isForwarded, finalTime: finalTime, errorCode: errorCode)
        return true
    }

    private func restoreStatus(slot: UInt32, state: MessageState, isForwarded: Bool, finalTime: Int64?, errorCode: UInt16) {
        let wasFinal = slots[slot].record.state.isFinal
        slots[slot].record.state = state
        slots[slot].record.isForwarded = isForwarded
        slots[slot].record.finalTime = finalTime
        slots[slot].record.errorCode = errorCode
        if state.isFinal && !wasFinal {
            liveRecords -= 1
            generations[Int(slot)] &+= 1
            finals.append(slot)
            compactDeadlinesIfStale()
        }
    }

    /// Hands up to `limit` stored records to `body`, in slot order from `cursor`; returns the
    /// cursor to continue from, nil once every slot has been visited (after recovery, and a
    /// takeover's scratch store; compaction uses the variant below, by journal batch).
    public func forEachRecord(from cursor: Int, limit: Int, _ body: (MessageRecord) -> Void) -> Int? {
        var slot = cursor
        var visited = 0
        let end = slots.createdCount
        while slot < end && visited < limit {
            let record = slots[UInt32(slot)].record
            if slotByID[record.id.rawValue] == UInt32(slot) { body(record) }
            slot += 1
            visited += 1
        }
        return slot < end ? slot : nil
    }

    /// Durable mode: from now on each slot notes the journal batch holding its record's copy
    /// (insert(_:journalBase:), restore(_:journalBase:)). Call on an empty store.
    public func trackJournalBases() {
        precondition(count == 0, "journal bases are tracked from the first record on")
        tracksJournalBases = true
    }

    private func setJournalBase(_ slot: UInt32, _ base: UInt64) {
        // A stored record without its batch would never be copied forward, and lost when its
        // segment goes.
        precondition(base != Self.noJournalBase, "a record stored in durable mode without its journal batch")
        while Int(slot) >= journalBases.count { journalBases.append(Self.noJournalBase) }
        journalBases[Int(slot)] = base
    }

    /// Compaction (durable mode): visits up to `visitLimit` slots from `cursor`, hands each
    /// record whose copy is in a batch before `cutoff` to `body` (at most `copyLimit` of them)
    /// and notes `rebase` (the batch body's copy goes into) as its base. Returns the cursor to
    /// continue from, nil once every slot has been visited. A record stored or copied after
    /// the pass began has its base at or past the pass's first batch, so it is not copied
    /// again.
    public func forEachRecord(from cursor: Int, visitLimit: Int, copyLimit: Int, basedBefore cutoff: UInt64,
                              rebase: UInt64, _ body: (MessageRecord) -> Void) -> Int? {
        precondition(tracksJournalBases, "journal bases are not tracked")
        var slot = cursor
        var copied = 0
        let end = min(journalBases.count, cursor + visitLimit)
        while slot < end && copied < copyLimit {
            if journalBases[slot] < cutoff {
                body(slots[UInt32(slot)].record)
                journalBases[slot] = rebase
                copied += 1
            }
            slot += 1
        }
        return slot < journalBases.count ? slot : nil
    }

    // MARK: The one place a record's state changes

    /// Applies `event` to the record in `slot` through the transition table and keeps the
    /// indexes in step: a record turning final leaves the expiry heap and joins the finals
    /// queue. The hold rule is applied by reading the status at `now`.
    private func apply(_ event: MessageEvent, to slot: UInt32, now: Int64, errorCode: UInt16 = 0) -> Transition {
        // Fields are read and written in place in the arena: copying the 141-byte record out
        // and back would cost more than everything else this function does.
        let status = MessageRecord.status(state: slots[slot].record.state, isForwarded: slots[slot].record.isForwarded,
                                          forwardDeadline: slots[slot].record.forwardDeadline, at: now)
        if status.isForwarded != slots[slot].record.isForwarded, !status.state.isFinal {
            // The hold deadline passed: record it, whatever the event's answer.
            slots[slot].record.isForwarded = true
        }
        let transition = MessageTransition.apply(event, to: status)
        let next: MessageStatus
        switch transition {
        case .move(let moved): next = moved
        case .unchanged, .refused: return transition
        }
        slots[slot].record.state = next.state
        slots[slot].record.isForwarded = next.isForwarded
        if next.state.isFinal {
            // An expired message ended at its deadline, not when the sweep noticed.
            slots[slot].record.finalTime = event == .expire ? min(slots[slot].record.validityDeadline ?? now, now) : now
            // Stored as 0 at insert: writing a 0 would only touch another cache line.
            if case .outcome = event, errorCode != 0 { slots[slot].record.errorCode = min(errorCode, 999) }
            // Its heap entry stays behind (lazy deletion, see the file header).
            liveRecords -= 1
            generations[Int(slot)] &+= 1   // its expiry entry is stale from now on
            finals.append(slot)
            compactDeadlinesIfStale()
        }
        return transition
    }

    /// At capacity every insert evicts the oldest final record, untouched for minutes: reading
    /// its id and then its index bucket are two cache misses per message, and the new record
    /// is written over it. So the loads
    /// are started early: the whole record 16 evictions ahead (for writing), and the index
    /// bucket of the one 8 ahead, whose record is in cache by then. Prefetches are hints:
    /// nothing waits for them.
    private func warmUpcomingEviction() {
        if let far = finals.element(at: 16) {
            slots.prefetchForOverwrite(far)
            // Its journal batch is written when the record leaves: one more miss per insert.
            if tracksJournalBases && Int(far) < journalBases.count { Prefetch.write(journalBases, Int(far)) }
        }
        if let near = finals.element(at: 8) { slotByID.prefetch(slots[near].record.id.rawValue) }
    }

    private func remove(slot: UInt32) {
        let id = slots[slot].record.id
        slotByID.remove(id.rawValue)
        slots.release(slot)
        if tracksJournalBases { journalBases[Int(slot)] = Self.noJournalBase }
    }

    /// True when `entry` is the deadline of the live record now in its slot: a slot's
    /// generation moves on when its record goes final, and only final records leave the
    /// store, so a reused slot's old entries are stale too.
    private func isLiveEntry(_ entry: Deadline) -> Bool {
        generations[Int(entry.slot)] == entry.generation
    }

    /// Rebuilds the heap from the live entries once the stale ones outnumber them by
    /// `compactionSlack`: each rebuild is O(n) and follows at least n/2 finals, and reads no
    /// record (see `generations`), so one costs ~0.2 ms at full load.
    static let compactionSlack = 8_192

    private func compactDeadlinesIfStale() {
        guard deadlines.count > 2 * liveRecords + Self.compactionSlack else { return }
        var live: [Deadline] = []
        // Room for the slack's worth of pushes before the next rebuild, so the pushes in
        // between do not grow (allocate) the array again.
        live.reserveCapacity(2 * liveRecords + Self.compactionSlack + 1)
        for entry in deadlines.elements where isLiveEntry(entry) { live.append(entry) }
        deadlines = MinHeap(heapifying: consume live)   // its only reference: heapified in place
    }

    // MARK: Measuring and checking

    /// Bytes held by the containers (record slots, id index, expiry heap, finals queue),
    /// from their capacities; malloc's own overhead is not included. For metrics and the
    /// memory test.
    public var containerBytes: Int {
        let slotBytes = slots.capacity * MemoryLayout<Slot>.stride + slots.freeListCapacity * 4
        let indexBytes = slotByID.bucketCount * IDIndex.bytesPerBucket
        let heapBytes = deadlines.capacity * MemoryLayout<Deadline>.stride
        let finalsBytes = finals.capacity * MemoryLayout<UInt32>.stride
        let generationBytes = generations.capacity * MemoryLayout<UInt32>.stride
        let baseBytes = journalBases.capacity * MemoryLayout<UInt64>.stride
        return slotBytes + indexBytes + heapBytes + finalsBytes + generationBytes + baseBytes
    }

    /// Checks every invariant of the file header (O(n); tests only).
    public func testsOnly_checkInvariants() {
        precondition(slotByID.count <= configuration.capacity, "over capacity")
        var live = 0
        var liveEntries = Set<UInt32>()
        for entry in deadlines.elements where isLiveEntry(entry) { liveEntries.insert(entry.slot) }
        slotByID.forEach { rawID, slot in
            let entry = slots[slot]
            precondition(entry.record.id.rawValue == rawID, "index points at another record")
            precondition(!tracksJournalBases || journalBases[Int(slot)] != Self.noJournalBase, "stored record without a journal base")
            if entry.record.state.isFinal {
                precondition(entry.record.finalTime != nil, "final record without final time")
            } else {
                live += 1
                precondition(liveEntries.contains(slot), "live record without its expiry heap entry")
                precondition(entry.record.finalTime == nil, "live record with a final time")
            }
        }
        precondition(live == liveRecords, "live count out of step")
        precondition(liveEntries.count == live, "a heap entry matches no live record")
        precondition(deadlines.count <= 2 * live + Self.compactionSlack + 1, "stale heap entries not compacted")
        precondition(finals.count == slotByID.count - live, "finals queue does not match the final records")
    }
}
