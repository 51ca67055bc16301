// MemoryMessageStore: the in-memory MessageStore (memory-only mode, and later the durable
// store's cache). Owned by the loop thread: not Sendable, so the compiler keeps it there;
// workers reach it only through messages the loop applies. Invariants (testsOnly_checkInvariants):
//   - slotByID maps every stored id to its slot, and nothing else;
//   - a live (non-final) record is in the expiry heap at the position its slot notes;
//   - a final record is in the finals queue, in the order it became final, exactly once;
//   - count <= configuration.capacity.
// Memory per record (MemoryLayout + container overhead) is measured in StoreTests.

import SMPP

/// The in-memory store; see the file header.
public final class MemoryMessageStore: MessageStore {
    public let configuration: MessageStoreConfiguration
    public private(set) var statistics = MessageStoreStatistics()

    /// A record and where its expiry entry sits in the heap (while live).
    struct Slot {
        var record: MessageRecord
        var heapPosition: UInt32
    }

    /// An expiry heap entry: the deadline first, so the heap pops the soonest.
    struct Deadline: Comparable {
        var time: Int64
        var slot: UInt32
        static func < (lhs: Deadline, rhs: Deadline) -> Bool {
            (lhs.time, lhs.slot) < (rhs.time, rhs.slot)
        }
    }

    private var slots = SlotArena<Slot>()
    private var slotByID: [MessageID: UInt32] = [:]
    private var deadlines = MinHeap<Deadline>()
    private var finals = RingQueue<UInt32>(placeholder: .max)

    public init(configuration: MessageStoreConfiguration = MessageStoreConfiguration()) {
        self.configuration = configuration
    }

    public var count: Int { slotByID.count }

    /// Records not yet final.
    public var liveCount: Int { deadlines.count }

    // MARK: Insert and read

    public func insert(_ record: MessageRecord) -> InsertResult {
        guard slotByID[record.id] == nil else { return .duplicateID }
        if slotByID.count >= configuration.capacity {
            guard let oldest = finals.removeFirst() else {
                statistics.refusedFull += 1
                return .full
            }
            remove(slot: oldest)
            statistics.evicted += 1
        }
        var stored = record
        stored.state = .enroute
        stored.isForwarded = false
        stored.finalTime = nil
        stored.errorCode = 0
        let longest = record.submitTime + configuration.maximumValidityMillis
        stored.validityDeadline = min(record.validityDeadline ?? longest, longest)
        let slot = slots.allocate(Slot(record: stored, heapPosition: 0))
        slotByID[record.id] = slot
        deadlines.push(Deadline(time: stored.validityDeadline!, slot: slot), moved: noteHeapMove)
        statistics.inserted += 1
        return .inserted
    }

    public func lookup(_ id: MessageID, systemID: ShortBytes) -> MessageRecord? {
        guard let slot = slotByID[id] else { return nil }
        let record = slots[slot].record
        return record.systemID == systemID ? record : nil
    }

    public func record(_ id: MessageID) -> MessageRecord? {
        slotByID[id].map { slots[$0].record }
    }

    // MARK: Transitions

    public func cancel(_ id: MessageID, systemID: ShortBytes, now: Int64) -> CancelResult {
        guard let slot = slotByID[id], slots[slot].record.systemID == systemID else { return .notFound }
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
        guard let slot = slotByID[id] else { return .notFound }
        switch apply(.forward, to: slot, now: now) {
        case .move: return .forwarded(slots[slot].record)
        case .unchanged:
            // A repeated take, or the hold deadline passed first (the flag is now set).
            return .alreadyForwarded
        case .refused(.final(let state)): return .final(state)
        case .refused: preconditionFailure("the transition table never refuses forward of a live message")
        }
    }

    public func finish(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> FinishResult {
        guard let slot = slotByID[id] else { return .notFound }
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

    public func expire(now: Int64, limit: Int, _ expired: (MessageRecord) -> Void) -> Int {
        var done = 0
        while done < limit, let soonest = deadlines.min, soonest.time <= now {
            let slot = soonest.slot
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

    public func commit() {}

    // MARK: The one place a record's state changes

    /// Applies `event` to the record in `slot` through the transition table and keeps the
    /// indexes in step: a record turning final leaves the expiry heap and joins the finals
    /// queue. The hold rule is applied by reading the status at `now`.
    private func apply(_ event: MessageEvent, to slot: UInt32, now: Int64, errorCode: UInt16 = 0) -> Transition {
        var entry = slots[slot]
        let status = entry.record.status(at: now)
        if status.isForwarded != entry.record.isForwarded, !status.state.isFinal {
            // The hold deadline passed: record it, whatever the event's answer.
            slots[slot].record.isForwarded = true
        }
        let transition = MessageTransition.apply(event, to: status)
        let next: MessageStatus
        switch transition {
        case .move(let moved): next = moved
        case .unchanged, .refused: return transition
        }
        entry.record.state = next.state
        entry.record.isForwarded = next.isForwarded
        if next.state.isFinal {
            // An expired message ended at its deadline, not when the sweep noticed.
            entry.record.finalTime = event == .expire ? min(entry.record.validityDeadline ?? now, now) : now
            if case .outcome = event { entry.record.errorCode = min(errorCode, 999) }
            deadlines.remove(at: Int(entry.heapPosition), moved: noteHeapMove)
            finals.append(slot)
        }
        slots[slot].record = entry.record
        return transition
    }

    private func remove(slot: UInt32) {
        let id = slots[slot].record.id
        slotByID[id] = nil
        slots.release(slot)
    }

    private func noteHeapMove(_ deadline: Deadline, _ position: Int) {
        slots[deadline.slot].heapPosition = UInt32(position)
    }

    // MARK: Measuring and checking

    /// Bytes held by the containers (record slots, id index, expiry heap, finals queue),
    /// from their capacities; malloc's own overhead is not included. For metrics and the
    /// memory test.
    public var containerBytes: Int {
        let slotBytes = slots.capacity * MemoryLayout<Slot>.stride + slots.freeListCapacity * 4
        // A native Dictionary keeps max load 3/4 over power-of-two buckets: keys and values
        // in separate arrays plus one metadata bit per bucket.
        let buckets = slotByID.capacity == 0 ? 0 : (slotByID.capacity * 4 + 2) / 3
        let indexBytes = buckets * (MemoryLayout<MessageID>.stride + MemoryLayout<UInt32>.stride) + buckets / 8
        let heapBytes = deadlines.capacity * MemoryLayout<Deadline>.stride
        let finalsBytes = finals.capacity * MemoryLayout<UInt32>.stride
        return slotBytes + indexBytes + heapBytes + finalsBytes
    }

    /// Checks every invariant of the file header (O(n); tests only).
    public func testsOnly_checkInvariants() {
        precondition(slotByID.count <= configuration.capacity, "over capacity")
        var live = 0
        for (id, slot) in slotByID {
            let entry = slots[slot]
            precondition(entry.record.id == id, "index points at another record")
            if entry.record.state.isFinal {
                precondition(entry.record.finalTime != nil, "final record without final time")
            } else {
                live += 1
                let position = Int(entry.heapPosition)
                precondition(position < deadlines.count && deadlines.elements[position].slot == slot, "live record not at its heap position")
                precondition(entry.record.finalTime == nil, "live record with a final time")
            }
        }
        precondition(live == deadlines.count, "expiry heap holds more than the live records")
        precondition(finals.count == slotByID.count - live, "finals queue does not match the final records")
    }
}
