// MessageQueue: the carrier's messages waiting for a session (no session bound, every window
// full, or sent back after a throttle or a lost connection). A growable ring: push at the back
// (new), at the front (resent: they were first), pop from the front, all O(1) with no
// allocation once grown. Loop thread.

struct MessageQueue {
    private var slots: [OutboundMessage?]
    private var head = 0
    private(set) var count = 0

    init(initialCapacity: Int = 64) {
        var size = 16
        while size < initialCapacity { size *= 2 }
        slots = Array(repeating: nil, count: size)
    }

    var isEmpty: Bool { count == 0 }

    mutating func pushBack(_ message: OutboundMessage) {
        if count == slots.count { grow() }
        slots[(head + count) & (slots.count - 1)] = message
        count += 1
    }

    mutating func pushFront(_ message: OutboundMessage) {
        if count == slots.count { grow() }
        head = (head - 1) & (slots.count - 1)
        slots[head] = message
        count += 1
    }

    mutating func popFront() -> OutboundMessage? {
        guard count > 0 else { return nil }
        let message = slots[head].take()
        head = (head + 1) & (slots.count - 1)
        count -= 1
        return message
    }

    /// Every message, oldest first; the queue is left empty.
    mutating func drain() -> [OutboundMessage] {
        var out: [OutboundMessage] = []
        out.reserveCapacity(count)
        while let m = popFront() { out.append(m) }
        head = 0
        return out
    }

    /// Keeps the messages `keep` accepts, in order; calls `dropped` for the others.
    mutating func filter(keep: (OutboundMessage) -> Bool, dropped: (OutboundMessage) -> Void) {
        let n = count
        for _ in 0..<n {
            guard let m = popFront() else { break }
            if keep(m) { pushBack(m) } else { dropped(m) }
        }
    }

    private mutating func grow() {
        var bigger = [OutboundMessage?](repeating: nil, count: slots.count * 2)
        for i in 0..<count { bigger[i] = slots[(head + i) & (slots.count - 1)].take() }
        slots = bigger
        head = 0
    }
}
