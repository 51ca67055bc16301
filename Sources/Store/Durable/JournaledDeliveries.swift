// JournaledDeliveries: the durable DeliveryStore (C-DATA-1, C-DLV-3). The queue itself is the
// in-memory PendingDeliveries it wraps; the journal gets each MO when it is queued (a receipt
// is already there: the status entry of its record says a receipt was queued) and each
// delivery that is done for good, acknowledged or dropped. Recovery queues again whatever was
// queued and not done. Each item carries the journal batch its change is in, so the session
// sends it only once that batch is durable. Loop thread only.

public final class JournaledDeliveries: DeliveryStore {
    public let queue: PendingDeliveries<DeliveryPayload>
    public let journal: StoreJournal

    public init(queue: PendingDeliveries<DeliveryPayload>, journal: StoreJournal) {
        self.queue = queue
        self.journal = journal
    }

    public var count: Int { queue.count }
    public func count(for account: ShortBytes) -> Int { queue.count(for: account) }

    public func enqueue(_ payload: DeliveryPayload, for account: ShortBytes, now: Int64) -> EnqueueResult<DeliveryPayload> {
        if case .mobileOriginated(let m) = payload { journal.mo(m, account: account) }
        let result = queue.enqueue(payload, for: account, now: now, commit: journal.requiredCommit)
        switch result {
        case .queued: break
        case .queuedDroppingOldest(_, let dropped): journal.deliveryDone(dropped)
        case .droppedNewest: journal.deliveryDone(payload)
        }
        return result
    }

    public func take(for account: ShortBytes, holder: UInt64, now: Int64) -> Delivery<DeliveryPayload>? {
        queue.take(for: account, holder: holder, now: now)
    }

    public func hasDue(for account: ShortBytes, now: Int64) -> Bool { queue.hasDue(for: account, now: now) }

    public func acknowledge(_ token: DeliveryToken) -> DeliveryPayload? {
        let payload = queue.acknowledge(token)
        if let payload { journal.deliveryDone(payload) }
        return payload
    }

    public func nack(_ token: DeliveryToken, _ failure: DeliveryFailure, now: Int64) -> NackResult<DeliveryPayload> {
        let result = queue.nack(token, failure, now: now)
        if case .dropped(let payload, _) = result { journal.deliveryDone(payload) }
        return result
    }

    public func requeue(holder: UInt64, now: Int64, dropped: (DeliveryPayload, DeliveryDropReason) -> Void) -> Int {
        queue.requeue(holder: holder, now: now) { payload, reason in
            journal.deliveryDone(payload)
            dropped(payload, reason)
        }
    }

    public func giveBack(holder: UInt64) -> Int { queue.giveBack(holder: holder) }

    public func expire(now: Int64, dropped: (DeliveryPayload, DeliveryDropReason) -> Void) -> Int {
        queue.expire(now: now) { payload, reason in
            journal.deliveryDone(payload)
            dropped(payload, reason)
        }
    }

    public func forEachItem(_ body: (ShortBytes, DeliveryPayload) -> Void) { queue.forEachItem(body) }
}
