// PendingDeliveriesStatistics: counters of PendingDeliveries for metrics (C-OPS-2); every
// item that leaves without an ack is counted under its reason. Value: any thread.

/// Counters since creation, for metrics (C-OPS-2).
public struct PendingDeliveriesStatistics: Hashable, Sendable {
    public var enqueued = 0
    public var acknowledged = 0
    /// Temporary failures scheduled for a retry.
    public var retried = 0
    /// Items back in the queue because their session went away (C-SESS-5).
    public var requeued = 0
    public var droppedOverflow = 0
    public var droppedExpired = 0
    public var droppedAttemptsExhausted = 0
    public var droppedRejected = 0

    public init() {}

    mutating func count(_ reason: DeliveryDropReason) {
        switch reason {
        case .overflow: droppedOverflow += 1
        case .expired: droppedExpired += 1
        case .attemptsExhausted: droppedAttemptsExhausted += 1
        case .rejected: droppedRejected += 1
        }
    }
}
