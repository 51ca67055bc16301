// DueQueue: one worker's planned carrier events, soonest first (ties in the order they were
// planned, so a message's ACCEPTED comes before an UNKNOWN due the same millisecond).
//
// A timing wheel (Varghese & Lauck): one slot per millisecond for the next `wheelSize` ms, each
// slot a FIFO list threaded through a slab of nodes, and a cursor, the millisecond the worker
// has reached. push appends to the slot of the event's millisecond and popDue takes from the
// cursor's slot: O(1) both, where the binary heap it replaces walked ~12 levels with an
// unpredictable branch each and was two thirds of a worker's time under load (perf,
// perf/RESULTS.md). Carrier latencies are milliseconds to seconds, so nearly every event lands
// in the wheel; those further out (…9994's 10 s, …9990's 60 s hold, long validity) wait in a
// small heap and move into the wheel when the cursor comes within range.
//
// Order: a slot holds one millisecond and is FIFO. An event further out than the wheel is in
// the heap until its millisecond enters the wheel's range, and moves before any event of that
// millisecond can be pushed into the wheel directly, so planning order holds for ties.
// Worker-local: no locking, one thread.

struct DueQueue {
    /// One planned event, 24 bytes: what the loop needs of an outcome is the message id. An
    /// auto-reply's submission waits in the worker's ReplySlab; `replySlot` says where. (Whole
    /// 80-byte submissions in every node would make each pop a cache miss or two.)
    struct Event {
        var atMs: Int64
        var messageID: UInt64
        var kind: PlannedEvent.Kind
        var replySlot: UInt32 = 0
    }

    /// Milliseconds the wheel covers ahead of the cursor (a power of two).
    static let wheelSize = 4096
    private static let slotMask = Int64(wheelSize - 1)
    private static let none = UInt32.max

    private struct Node {
        var event: Event
        var next: UInt32
    }

    /// An event beyond the wheel: its time, its planning order (for ties), its node.
    private struct FarKey {
        var atMs: Int64
        var order: UInt64
        var node: UInt32

        static func precedes(_ a: FarKey, _ b: FarKey) -> Bool {
            a.atMs < b.atMs || (a.atMs == b.atMs && a.order < b.order)
        }
    }

    /// Slots for milliseconds before the cursor are empty; the wheel holds the events due
    /// before cursorMs + wheelSize (those already late sit in the cursor's slot).
    private var cursorMs: Int64
    private var heads: [UInt32]
    private var tails: [UInt32]
    private var wheelCount = 0
    private var nodes: [Node] = []
    private var freeNodes: [UInt32] = []
    private var far: [FarKey] = []   // a binary min-heap
    private var nextOrder: UInt64 = 0

    /// A queue whose cursor starts at `nowMs` (events planned earlier are due at once).
    init(nowMs: Int64) {
        cursorMs = nowMs
        heads = Array(repeating: Self.none, count: Self.wheelSize)
        tails = Array(repeating: Self.none, count: Self.wheelSize)
    }

    var count: Int { wheelCount + far.count }
    var isEmpty: Bool { count == 0 }

    /// When the soonest event is due; nil when nothing is planned. Scans the wheel from the
    /// cursor (at most wheelSize slots): called only before a worker sleeps.
    var nextDueMs: Int64? {
        if wheelCount > 0 {
            for offset in 0..<Int64(Self.wheelSize) where heads[slot(cursorMs + offset)] != Self.none {
                return cursorMs + offset
            }
            preconditionFailure("wheelCount > 0 with every slot empty")
        }
        return far.first?.atMs
    }

    mutating func push(_ event: Event) {
        let node: UInt32
        if let reused = freeNodes.popLast() {
            node = reused
            nodes[Int(reused)] = Node(event: event, next: Self.none)
        } else {
            node = UInt32(nodes.count)
            nodes.append(Node(event: event, next: Self.none))
        }
        if event.atMs >= cursorMs + Int64(Self.wheelSize) {
            nextOrder &+= 1
            pushFar(FarKey(atMs: event.atMs, order: nextOrder, node: node))
        } else {
            append(node, at: max(event.atMs, cursorMs))
        }
    }

    /// Removes and returns the soonest event if it is due at `nowMs`.
    mutating func popDue(nowMs: Int64) -> Event? {
        while true {
            let s = slot(cursorMs)
            let head = heads[s]
            if head != Self.none {
                guard cursorMs <= nowMs else { return nil }
                let next = nodes[Int(head)].next
                heads[s] = next
                if next == Self.none { tails[s] = Self.none }
                wheelCount -= 1
                freeNodes.append(head)
                return nodes[Int(head)].event
            }
            guard cursorMs < nowMs else { return nil }
            // The cursor's slot is empty: step on; with nothing in the wheel, jump straight to
            // now or to the first event beyond it, whichever comes first.
            if wheelCount == 0 {
                cursorMs = min(nowMs, far.first?.atMs ?? nowMs)
            } else {
                cursorMs += 1
            }
            // Far events whose millisecond the wheel now covers move in, in (time, order).
            while let first = far.first, first.atMs < cursorMs + Int64(Self.wheelSize) {
                popFar()
                append(first.node, at: max(first.atMs, cursorMs))
            }
        }
    }

    // MARK: Internals

    @inline(__always)
    private func slot(_ ms: Int64) -> Int { Int(ms & Self.slotMask) }

    private mutating func append(_ node: UInt32, at ms: Int64) {
        let s = slot(ms)
        if tails[s] == Self.none { heads[s] = node } else { nodes[Int(tails[s])].next = node }
        tails[s] = node
        wheelCount += 1
    }

    private mutating func pushFar(_ key: FarKey) {
        far.append(key)
        var child = far.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard FarKey.precedes(key, far[parent]) else { break }
            far[child] = far[parent]
            child = parent
        }
        far[child] = key
    }

    private mutating func popFar() {
        let last = far.removeLast()
        guard !far.isEmpty else { return }
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < far.count else { break }
            let right = left + 1
            let smaller = right < far.count && FarKey.precedes(far[right], far[left]) ? right : left
            guard FarKey.precedes(far[smaller], last) else { break }
            far[parent] = far[smaller]
            parent = smaller
        }
        far[parent] = last
    }
}

/// The submissions of planned auto-replies (carrier.mo-auto-reply), by slot, until their MO
/// is built. Worker-local.
struct ReplySlab {
    private var items: [CarrierSubmission] = []
    private var free: [UInt32] = []

    mutating func put(_ s: CarrierSubmission) -> UInt32 {
        if let slot = free.popLast() {
            items[Int(slot)] = s
            return slot
        }
        items.append(s)
        return UInt32(items.count - 1)
    }

    mutating func take(_ slot: UInt32) -> CarrierSubmission {
        free.append(slot)
        return items[Int(slot)]
    }
}
