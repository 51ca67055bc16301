// OutputGate: holds a connection's output until the state change it reports is durable (the
// flush gate of C-DATA-1). The layer above numbers its commits (a journal's batches). Right
// before writing a PDU that reports a change (submit_sm_resp OK, a receipt) it calls
// holdNextWrite(until:) with the batch the change is in, and the bytes of that next write may
// leave only once release(through:) has reported the batch durable. Other output (bind_resp, enquire_link_resp, an ESME_RSYSERR refusal) is
// not held by itself, so a journal that cannot write stalls only what depends on it. Knows
// numbers, not what they mean. Loop thread only.
//
// Each Connection keeps a short list of (where in its output stream a held range starts,
// the batch it waits for); a flush sends bytes up to the first range still waiting. Bytes
// written after a held range leave after it: a stream keeps its order.

public final class OutputGate {
    /// Every batch up to this one is durable.
    public private(set) var released: UInt64 = 0
    /// The batch the next write on any connection waits for (0: none); taken by that write.
    var nextWrite: UInt64 = 0
    /// Connections holding output that waits for a batch not yet released.
    private var waiting: [Connection] = []
    private weak var loop: EventLoop?

    public init() {}

    func attach(to loop: EventLoop) { self.loop = loop }

    /// The next PDU written (on whichever connection writes next) may leave only once
    /// `batch` is durable. Call right before the write; nothing else may write in between.
    @inline(__always)
    public func holdNextWrite(until batch: UInt64) {
        if batch > nextWrite { nextWrite = batch }
    }

    /// Batches up to `batch` are durable: the output waiting for them goes out in this
    /// iteration's before-sleep flush.
    public func release(through batch: UInt64) {
        guard batch > released else { return }
        released = batch
        guard let loop, !waiting.isEmpty else { return }
        for c in waiting {
            c.isWaitingAtGate = false
            loop.scheduleFlush(c)
        }
        waiting.removeAll(keepingCapacity: true)
    }

    /// A flush of `connection` stopped at held bytes: flush it again on the next release.
    func wait(_ connection: Connection) {
        guard !connection.isWaitingAtGate else { return }
        connection.isWaitingAtGate = true
        waiting.append(connection)
    }

    /// Connections waiting at the gate (metrics, tests).
    public var waitingCount: Int { waiting.count }
}

/// The held ranges of one connection's output stream, oldest first: a range starts at
/// `start` (bytes written to the connection since it opened) and waits for `batch`. A
/// handful at most (one per batch in flight); past `capacity` the newest range absorbs the
/// next, waiting for the later batch, which only holds bytes a little longer.
struct HeldOutput {
    private var starts: [Int] = []
    private var batches: [UInt64] = []
    static let capacity = 8

    init() {
        starts.reserveCapacity(Self.capacity)
        batches.reserveCapacity(Self.capacity)
    }

    var isEmpty: Bool { starts.isEmpty }

    /// Bytes from `start` on wait for `batch`.
    mutating func hold(from start: Int, until batch: UInt64) {
        if let last = batches.last {
            if last >= batch { return }   // already held at least that long
            if batches.count == Self.capacity {
                batches[batches.count - 1] = batch
                return
            }
        }
        starts.append(start)
        batches.append(batch)
    }

    /// Forgets the ranges whose batch is released; returns where the first range still held
    /// starts, nil when nothing is held.
    mutating func firstHeldStart(released: UInt64) -> Int? {
        var done = 0
        while done < batches.count && batches[done] <= released { done += 1 }
        if done > 0 {
            starts.removeFirst(done)
            batches.removeFirst(done)
        }
        return starts.first
    }

    mutating func removeAll() {
        starts.removeAll(keepingCapacity: true)
        batches.removeAll(keepingCapacity: true)
    }
}
