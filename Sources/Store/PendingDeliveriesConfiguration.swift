// PendingDeliveriesConfiguration: the count and age bounds of store and forward (C-DLV-4)
// and the retry rules. Config values: any thread.

/// Limits and retry rules of PendingDeliveries.
public struct PendingDeliveriesConfiguration: Hashable, Sendable {
    /// Most items waiting or in flight per account (C-DLV-4). Past it, the oldest waiting
    /// item is dropped for the new one (counted, and handed back to the caller).
    public var maximumCountPerAccount: Int
    /// Longest an item waits since it was queued (C-DLV-4); older ones are dropped by
    /// `expire(now:)` (counted, handed back), and a retry that would fall later is not made.
    public var maximumAgeMillis: Int64
    /// Backoff between attempts and when to give up (C-DLV-3).
    public var retry: RetryPolicy

    public init(maximumCountPerAccount: Int = 100_000, maximumAgeMillis: Int64 = 72 * 3_600_000,
                retry: RetryPolicy = RetryPolicy()) {
        precondition(maximumCountPerAccount > 0 && maximumAgeMillis > 0, "pending deliveries limits must be positive")
        self.maximumCountPerAccount = maximumCountPerAccount
        self.maximumAgeMillis = maximumAgeMillis
        self.retry = retry
    }
}
