// MessageStoreStatistics: counters of a MessageStore for metrics (C-OPS-2). Value: any thread.

/// Counters since the store was made, for metrics (C-OPS-2). Nothing leaves silently.
public struct MessageStoreStatistics: Hashable, Sendable {
    public var inserted = 0
    /// Inserts refused because every record was live (answered ESME_RMSGQFUL).
    public var refusedFull = 0
    /// Final records removed early to make room for an insert.
    public var evicted = 0
    /// Final records removed when their retention ended.
    public var purged = 0
    /// Records moved to EXPIRED by `expire(now:)`.
    public var expired = 0
    /// Records moved to DELETED by cancel_sm.
    public var cancelled = 0
    /// Records moved to a final state by a carrier outcome.
    public var finished = 0

    public init() {}
}
