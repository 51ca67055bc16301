// DeliveryStore: the seam between the messaging code and the deliver_sm work waiting for an
// account's receivers (receipts and MO, C-DLV-3..5). PendingDeliveries is the memory
// implementation; JournaledDeliveries (Durable/) also writes each MO queued and each delivery
// done to the journal, so that a restart delivers again exactly what was not acknowledged.
// Loop thread only.

/// deliver_sm work per account, for the session layer; see PendingDeliveries for the protocol
/// (take → send → acknowledge / nack / requeue).
public protocol DeliveryStore: AnyObject {
    /// Items waiting or in flight, all accounts.
    var count: Int { get }
    /// Items waiting or in flight for `account`.
    func count(for account: ShortBytes) -> Int
    /// Queues `payload` for `account`'s receivers (see PendingDeliveries.enqueue for the bound).
    func enqueue(_ payload: DeliveryPayload, for account: ShortBytes, now: Int64) -> EnqueueResult<DeliveryPayload>
    /// The next item due for `account`, now in flight for `holder`.
    func take(for account: ShortBytes, holder: UInt64, now: Int64) -> Delivery<DeliveryPayload>?
    /// True when `take` would return an item for `account` at `now`.
    func hasDue(for account: ShortBytes, now: Int64) -> Bool
    /// deliver_sm_resp OK: the item is done; what it was, nil if the token is not in flight.
    func acknowledge(_ token: DeliveryToken) -> DeliveryPayload?
    /// deliver_sm failed: retried after backoff, or dropped.
    func nack(_ token: DeliveryToken, _ failure: DeliveryFailure, now: Int64) -> NackResult<DeliveryPayload>
    /// The session `holder` is gone: its in-flight items wait again (or are dropped, each
    /// handed to `dropped`). Returns how many were requeued.
    func requeue(holder: UInt64, now: Int64, dropped: (DeliveryPayload, DeliveryDropReason) -> Void) -> Int
    /// `holder`'s in-flight items wait again as if never taken: the attempt is not counted and
    /// nothing is dropped (a cluster's shipment to another node that did not go).
    func giveBack(holder: UInt64) -> Int
    /// Drops waiting items older than the age limit, each handed to `dropped`.
    func expire(now: Int64, dropped: (DeliveryPayload, DeliveryDropReason) -> Void) -> Int
    /// Every item held, oldest first, with its account.
    func forEachItem(_ body: (ShortBytes, DeliveryPayload) -> Void)
}

extension PendingDeliveries: DeliveryStore where Payload == DeliveryPayload {
    public func enqueue(_ payload: DeliveryPayload, for account: ShortBytes, now: Int64) -> EnqueueResult<DeliveryPayload> {
        enqueue(payload, for: account, now: now, commit: 0)
    }
}
