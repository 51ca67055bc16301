// PendingCommands: the FIFO of commands sent on the current connection whose replies have not
// come yet (Redis answers in order, so the head is the next reply's owner). Loop thread only,
// owned by RedisClient. Invariant: `head <= slots.count`; slots before `head` are nil (their
// completions released); every slot from `head` on holds an entry.

struct PendingCommands {
    struct Entry {
        /// MonotonicClock nanoseconds after which this command (and so the connection) is late.
        let deadline: UInt64
        let completion: (Result<RedisReply, RedisFailure>) -> Void
    }

    private var slots: [Entry?] = []
    private var head = 0

    var count: Int { slots.count - head }
    var isEmpty: Bool { head == slots.count }

    mutating func append(_ entry: Entry) { slots.append(entry) }

    /// The oldest entry, removed.
    mutating func popFirst() -> Entry? {
        guard head < slots.count else { return nil }
        let entry = slots[head]
        slots[head] = nil
        head += 1
        if head == slots.count {
            slots.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096 && head * 2 >= slots.count {
            // Drop the consumed prefix now and then (amortised O(1) per pop) so a long pipeline
            // that never drains completely does not grow the array without bound.
            slots.removeFirst(head)
            head = 0
        }
        return entry
    }

    /// The earliest deadline among the entries (O(n): called only when the deadline timer fires).
    func earliestDeadline() -> UInt64? {
        var earliest: UInt64?
        for i in head..<slots.count {
            if let d = slots[i]?.deadline, d < (earliest ?? .max) { earliest = d }
        }
        return earliest
    }
}
