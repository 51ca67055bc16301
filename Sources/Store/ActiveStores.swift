// ActiveMessageStore and ActiveDeliveryStore: the implementation of each seam the daemon runs
// with, chosen at start, behind a switch instead of an existential. The messaging code calls
// the seam's methods on these; each call is a predictable branch to a concrete, inlinable
// implementation. Through `any MessageStore` every call would be an indirect one that the
// optimiser cannot inline into the submit and outcome paths, which costs memory mode a
// measurable share of its throughput (perf/RESULTS.md, "The store seam"). A third
// implementation is a third case.
// Loop thread only.

import SMPP

public struct ActiveMessageStore {
    public enum Implementation {
        case memory(MemoryMessageStore)
        case journaled(JournaledMessageStore)
    }
    public var implementation: Implementation

    public init(_ implementation: Implementation) { self.implementation = implementation }

    /// The seam, for code that does not care about speed (admin reads, tests).
    public var store: any MessageStore {
        switch implementation {
        case .memory(let s): return s
        case .journaled(let s): return s
        }
    }

    @inline(__always) public var count: Int {
        switch implementation { case .memory(let s): s.count; case .journaled(let s): s.count }
    }
    @inline(__always) public var capacity: Int {
        switch implementation { case .memory(let s): s.capacity; case .journaled(let s): s.capacity }
    }
    @inline(__always) public func insert(_ r: MessageRecord) -> InsertResult {
        switch implementation { case .memory(let s): s.insert(r); case .journaled(let s): s.insert(r) }
    }
    @inline(__always) public func lookup(_ id: MessageID, systemID: ShortBytes) -> MessageRecord? {
        switch implementation { case .memory(let s): s.lookup(id, systemID: systemID); case .journaled(let s): s.lookup(id, systemID: systemID) }
    }
    @inline(__always) public func record(_ id: MessageID) -> MessageRecord? {
        switch implementation { case .memory(let s): s.record(id); case .journaled(let s): s.record(id) }
    }
    @inline(__always) public func cancel(_ id: MessageID, systemID: ShortBytes, now: Int64, carrierHasTaken: Bool) -> CancelResult {
        switch implementation {
        case .memory(let s): s.cancel(id, systemID: systemID, now: now, carrierHasTaken: carrierHasTaken)
        case .journaled(let s): s.cancel(id, systemID: systemID, now: now, carrierHasTaken: carrierHasTaken)
        }
    }
    @inline(__always) public func finish(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> FinishResult {
        switch implementation {
        case .memory(let s): s.finish(id, state: state, errorCode: errorCode, now: now)
        case .journaled(let s): s.finish(id, state: state, errorCode: errorCode, now: now)
        }
    }
    @inline(__always) public func finishReturningReceipt(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> AppliedOutcome {
        switch implementation {
        case .memory(let s): s.finishReturningReceipt(id, state: state, errorCode: errorCode, now: now)
        case .journaled(let s): s.finishReturningReceipt(id, state: state, errorCode: errorCode, now: now)
        }
    }
    @inline(__always) public func prefetchIndexEntry(_ id: MessageID) {
        switch implementation { case .memory(let s): s.prefetchIndexEntry(id); case .journaled(let s): s.prefetchIndexEntry(id) }
    }
    @inline(__always) public func prefetchRecord(_ id: MessageID) {
        switch implementation { case .memory(let s): s.prefetchRecord(id); case .journaled(let s): s.prefetchRecord(id) }
    }
    @inline(__always) public func expire(now: Int64, limit: Int, _ expired: (MessageRecord) -> Void) -> Int {
        switch implementation {
        case .memory(let s): s.expire(now: now, limit: limit, expired)
        case .journaled(let s): s.expire(now: now, limit: limit, expired)
        }
    }
    @inline(__always) public func purge(olderThan cutoff: Int64, limit: Int) -> Int {
        switch implementation {
        case .memory(let s): s.purge(olderThan: cutoff, limit: limit)
        case .journaled(let s): s.purge(olderThan: cutoff, limit: limit)
        }
    }
    @inline(__always) public func forEachRecord(from cursor: Int, limit: Int, _ body: (MessageRecord) -> Void) -> Int? {
        switch implementation {
        case .memory(let s): s.forEachRecord(from: cursor, limit: limit, body)
        case .journaled(let s): s.forEachRecord(from: cursor, limit: limit, body)
        }
    }
}

public struct ActiveDeliveryStore {
    public enum Implementation {
        case memory(PendingDeliveries<DeliveryPayload>)
        case journaled(JournaledDeliveries)
    }
    public var implementation: Implementation

    public init(_ implementation: Implementation) { self.implementation = implementation }

    /// The seam, for code that does not care about speed.
    public var store: any DeliveryStore {
        switch implementation {
        case .memory(let s): return s
        case .journaled(let s): return s
        }
    }

    @inline(__always) public var count: Int {
        switch implementation { case .memory(let s): s.count; case .journaled(let s): s.count }
    }
    @inline(__always) public func count(for account: ShortBytes) -> Int {
        switch implementation { case .memory(let s): s.count(for: account); case .journaled(let s): s.count(for: account) }
    }
    @inline(__always) public func enqueue(_ payload: DeliveryPayload, for account: ShortBytes, now: Int64) -> EnqueueResult<DeliveryPayload> {
        switch implementation {
        case .memory(let s): s.enqueue(payload, for: account, now: now, commit: 0)
        case .journaled(let s): s.enqueue(payload, for: account, now: now)
        }
    }
    @inline(__always) public func take(for account: ShortBytes, holder: UInt64, now: Int64) -> Delivery<DeliveryPayload>? {
        switch implementation {
        case .memory(let s): s.take(for: account, holder: holder, now: now)
        case .journaled(let s): s.take(for: account, holder: holder, now: now)
        }
    }
    @inline(__always) public func hasDue(for account: ShortBytes, now: Int64) -> Bool {
        switch implementation { case .memory(let s): s.hasDue(for: account, now: now); case .journaled(let s): s.hasDue(for: account, now: now) }
    }
    @inline(__always) public func acknowledge(_ token: DeliveryToken) -> DeliveryPayload? {
        switch implementation { case .memory(let s): s.acknowledge(token); case .journaled(let s): s.acknowledge(token) }
    }
    @inline(__always) public func nack(_ token: DeliveryToken, _ failure: DeliveryFailure, now: Int64) -> NackResult<DeliveryPayload> {
        switch implementation { case .memory(let s): s.nack(token, failure, now: now); case .journaled(let s): s.nack(token, failure, now: now) }
    }
    public func requeue(holder: UInt64, now: Int64, dropped: (DeliveryPayload, DeliveryDropReason) -> Void) -> Int {
        switch implementation {
        case .memory(let s): s.requeue(holder: holder, now: now, dropped: dropped)
        case .journaled(let s): s.requeue(holder: holder, now: now, dropped: dropped)
        }
    }
    public func giveBack(holder: UInt64) -> Int {
        switch implementation {
        case .memory(let s): s.giveBack(holder: holder)
        case .journaled(let s): s.giveBack(holder: holder)
        }
    }
    public func expire(now: Int64, dropped: (DeliveryPayload, DeliveryDropReason) -> Void) -> Int {
        switch implementation {
        case .memory(let s): s.expire(now: now, dropped: dropped)
        case .journaled(let s): s.expire(now: now, dropped: dropped)
        }
    }
    public func forEachItem(_ body: (ShortBytes, DeliveryPayload) -> Void) {
        switch implementation { case .memory(let s): s.forEachItem(body); case .journaled(let s): s.forEachItem(body) }
    }
}
