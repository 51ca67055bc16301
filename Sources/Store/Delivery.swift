// Delivery: an item PendingDeliveries hands to a session, its token, and the answers of the
// queue's calls (enqueue, nack, drops). Values only: any thread.

/// Identifies one queued item from take to ack or nack.
public struct DeliveryToken: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64
    public static func < (lhs: DeliveryToken, rhs: DeliveryToken) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "delivery#\(rawValue)" }
}

/// An item handed to a session to send as deliver_sm.
public struct Delivery<Payload> {
    public let token: DeliveryToken
    public let payload: Payload
    /// 1 on the first send, 2 on the first retry, ...
    public let attempt: Int
    /// Loop time the item was queued.
    public let enqueuedAt: Int64
    /// The journal batch that must be durable before it is sent (durable mode; 0: none).
    public let commit: UInt64
}

extension Delivery: Sendable where Payload: Sendable {}

/// How a deliver_sm failed (C-DLV-3).
public enum DeliveryFailure: Hashable, Sendable {
    /// deliver_sm_resp with a temporary error (e.g. ESME_RTHROTTLED, ESME_RX_T_APPN), or no
    /// response within the response timeout: retried after backoff.
    case temporary
    /// deliver_sm_resp with a permanent error (e.g. ESME_RX_P_APPN): ends it.
    case permanent
}

/// Why an item left without being acknowledged. Each has its own counter.
public enum DeliveryDropReason: Hashable, Sendable {
    /// The account's queue was full (maximumCountPerAccount).
    case overflow
    /// Older than maximumAgeMillis.
    case expired
    /// maximumAttempts used up.
    case attemptsExhausted
    /// The client answered with a permanent error.
    case rejected
}

/// The answer to `enqueue`.
public enum EnqueueResult<Payload> {
    case queued(DeliveryToken)
    /// Queued; the account's oldest waiting item was dropped to make room.
    case queuedDroppingOldest(DeliveryToken, dropped: Payload)
    /// The account's queue is full of items in flight: the new item was dropped.
    case droppedNewest
}

extension EnqueueResult: Sendable where Payload: Sendable {}

/// The answer to `nack`.
public enum NackResult<Payload> {
    /// Will be offered again from this loop time (nextRetryTime).
    case retryAt(Int64)
    /// Gone, for this reason (rejected, attemptsExhausted, expired); counted.
    case dropped(Payload, DeliveryDropReason)
    /// The token is not in flight (already acked, nacked or requeued).
    case unknownToken
}

extension NackResult: Sendable where Payload: Sendable {}
