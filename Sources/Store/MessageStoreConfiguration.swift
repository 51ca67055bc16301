// MessageStoreConfiguration: the bounds of a MessageStore (capacity, longest validity).
// Config value: any thread.

/// Limits of a store.
public struct MessageStoreConfiguration: Hashable, Sendable {
    /// Most records kept, final and not. When full, the oldest final record is evicted
    /// (before its retention ends); when every record is live, inserts are refused.
    public var capacity: Int
    /// Longest validity a message gets: a record's validityDeadline is clamped to
    /// submitTime + this (and set to it when the client gave none), so every live record
    /// ends within it and the store stays bounded (C-SUB-7).
    public var maximumValidityMillis: Int64

    public init(capacity: Int = 2_000_000, maximumValidityMillis: Int64 = 48 * 3_600_000) {
        precondition(capacity > 0 && capacity < Int(UInt32.max), "store capacity must be 1..<2^32")
        precondition(maximumValidityMillis > 0, "maximum validity must be positive")
        self.capacity = capacity
        self.maximumValidityMillis = maximumValidityMillis
    }
}
