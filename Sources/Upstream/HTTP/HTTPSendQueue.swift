// HTTPSendQueue: the HTTP carrier's messages that are not in a request: new ones in arrival
// order (taken a batch at a time) and failed batches waiting for their retry. Times are the
// loop's ms (Unix time, the clock of validityDeadlineMs). Loop thread (owned by one carrier).

/// A batch whose request failed, waiting until `dueMs` to be sent again as it is.
struct HTTPRetryGroup {
    var messages: [OutboundMessage]
    /// Retries done so far (the next send is retry `attempt`).
    var attempt: Int
    var dueMs: Int64
    /// The earliest validity deadline among `messages`.
    var earliestDeadlineMs: Int64
}

struct HTTPSendQueue {
    /// New messages: pending[head...] (a moving head, so taking a batch shifts nothing).
    private var pending: [OutboundMessage] = []
    private var head = 0
    /// When the oldest message of the current partial batch arrived.
    private(set) var lingerStartMs: Int64 = 0
    private(set) var retries: [HTTPRetryGroup] = []
    private(set) var count = 0

    init() { pending.reserveCapacity(1024) }

    var pendingCount: Int { pending.count - head }
    var isEmpty: Bool { count == 0 }

    mutating func append(_ message: OutboundMessage, nowMs: Int64) {
        if pendingCount == 0 { lingerStartMs = nowMs }
        pending.append(message)
        count += 1
    }

    /// Moves up to `limit` new messages into `batch` (emptied first); those whose validity has
    /// passed go to `expired` instead.
    mutating func takeBatch(limit: Int, nowMs: Int64, into batch: inout [OutboundMessage],
                            expired: inout [OutboundMessage]) {
        batch.removeAll(keepingCapacity: true)
        while batch.count < limit, head < pending.count {
            let m = pending[head]
            head += 1
            count -= 1
            if m.validityDeadlineMs <= nowMs { expired.append(m) } else { batch.append(m) }
        }
        if head == pending.count {
            pending.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096, head * 2 >= pending.count {
            pending.removeFirst(head)
            head = 0
        }
    }

    mutating func addRetry(_ group: HTTPRetryGroup) {
        count += group.messages.count
        retries.append(group)
    }

    /// The retry group due first, if it is due by `nowMs`, removed from the queue.
    mutating func takeDueRetry(nowMs: Int64) -> HTTPRetryGroup? {
        guard let i = retries.indices.min(by: { retries[$0].dueMs < retries[$1].dueMs }),
              retries[i].dueMs <= nowMs else { return nil }
        let group = retries.remove(at: i)
        count -= group.messages.count
        return group
    }

    /// Moves the messages of retry groups whose validity has passed into `expired`.
    mutating func removeExpiredRetries(nowMs: Int64, into expired: inout [OutboundMessage]) {
        for i in retries.indices.reversed() where retries[i].earliestDeadlineMs <= nowMs {
            var kept: [OutboundMessage] = []
            var earliest = Int64.max
            for m in retries[i].messages {
                if m.validityDeadlineMs <= nowMs {
                    expired.append(m)
                } else {
                    kept.append(m)
                    earliest = min(earliest, m.validityDeadlineMs)
                }
            }
            count -= retries[i].messages.count - kept.count
            if kept.isEmpty { retries.remove(at: i) } else {
                retries[i].messages = kept
                retries[i].earliestDeadlineMs = earliest
            }
        }
    }

    /// When something waiting becomes sendable or expires: the linger of a partial batch, a
    /// retry's due time, a validity deadline. nil when nothing waits.
    func nextWakeMs(lingerMs: Int64) -> Int64? {
        var wake: Int64? = pendingCount > 0 ? lingerStartMs + lingerMs : nil
        for group in retries {
            let t = min(group.dueMs, group.earliestDeadlineMs)
            wake = min(wake ?? t, t)
        }
        return wake
    }

    /// Everything waiting, oldest retries first, then new messages; the queue is left empty.
    mutating func removeAll() -> [OutboundMessage] {
        var all: [OutboundMessage] = []
        all.reserveCapacity(count)
        for group in retries.sorted(by: { $0.dueMs < $1.dueMs }) { all.append(contentsOf: group.messages) }
        all.append(contentsOf: pending[head...])
        retries.removeAll()
        pending.removeAll(keepingCapacity: true)
        head = 0
        count = 0
        return all
    }
}
