// DueQueue: one worker's planned carrier events, soonest first (ties in the order they were
// planned, so a message's "forwarded" comes before an outcome due the same millisecond).
//
// Why not a heap of whole events: a planned event carries its ~80-byte CarrierSubmission, and
// sifting those through a generic Array heap with swapAt cost ~2,000 instructions per message
// in callgrind (uniqueness checks and three moves a level). Here the heap holds 24-byte keys
// that point into a slab of payloads; a payload never moves while it waits, and the sift moves
// each key once per level (a hole, not swaps). Worker-local: no locking, one thread.

struct DueQueue {
    struct Event {
        var atMs: Int64
        var submission: CarrierSubmission
        var kind: PlannedEvent.Kind
    }

    private struct Key {
        var atMs: Int64
        var order: UInt64
        var slot: UInt32

        @inline(__always)
        static func precedes(_ a: Key, _ b: Key) -> Bool {
            a.atMs < b.atMs || (a.atMs == b.atMs && a.order < b.order)
        }
    }

    private var keys: [Key] = []
    private var payloads: [Event] = []
    private var freeSlots: [UInt32] = []
    private var nextOrder: UInt64 = 0

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    /// When the soonest event is due; nil when nothing is planned.
    var nextDueMs: Int64? { keys.first?.atMs }

    mutating func push(_ event: Event) {
        let slot: UInt32
        if let reused = freeSlots.popLast() {
            slot = reused
            payloads[Int(reused)] = event
        } else {
            slot = UInt32(payloads.count)
            payloads.append(event)
        }
        nextOrder &+= 1
        let key = Key(atMs: event.atMs, order: nextOrder, slot: slot)
        keys.append(key)
        // Sift up with a hole: parents move down until the key's place is found.
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Key.precedes(key, keys[parent]) else { break }
            keys[child] = keys[parent]
            child = parent
        }
        keys[child] = key
    }

    /// Removes and returns the soonest event if it is due at `nowMs`.
    mutating func popDue(nowMs: Int64) -> Event? {
        guard let top = keys.first, top.atMs <= nowMs else { return nil }
        let last = keys.removeLast()
        if !keys.isEmpty {
            // Sift `last` down from the root with a hole.
            let count = keys.count
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                let right = left + 1
                let smaller = right < count && Key.precedes(keys[right], keys[left]) ? right : left
                guard Key.precedes(keys[smaller], last) else { break }
                keys[parent] = keys[smaller]
                parent = smaller
            }
            keys[parent] = last
        }
        freeSlots.append(top.slot)
        return payloads[Int(top.slot)]
    }
}
