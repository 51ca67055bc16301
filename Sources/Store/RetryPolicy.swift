// RetryPolicy: capped exponential backoff with bounded attempts for deliver_sm (C-DLV-3).
// Pure value: any thread. No jitter: the loop's timer granularity already spreads retries.

/// Exponential backoff, capped, with a bounded number of attempts (C-DLV-3).
public struct RetryPolicy: Hashable, Sendable {
    /// Wait after the first failed attempt.
    public var initialBackoffMillis: Int64
    /// Longest wait between attempts.
    public var maximumBackoffMillis: Int64
    /// Attempts (deliver_sm sent) before giving up; a session lost with the item in
    /// flight counts as an attempt, so one item that kills sessions cannot loop forever.
    public var maximumAttempts: Int

    public init(initialBackoffMillis: Int64 = 1_000, maximumBackoffMillis: Int64 = 60_000, maximumAttempts: Int = 10) {
        precondition(initialBackoffMillis > 0 && maximumBackoffMillis >= initialBackoffMillis && maximumAttempts > 0,
                     "retry policy: 0 < initial <= maximum backoff, attempts > 0")
        self.initialBackoffMillis = initialBackoffMillis
        self.maximumBackoffMillis = maximumBackoffMillis
        self.maximumAttempts = maximumAttempts
    }

    /// Wait after failed attempt number `attempt` (1-based): initial * 2^(attempt-1), capped.
    public func backoffMillis(afterAttempt attempt: Int) -> Int64 {
        let doublings = min(max(attempt - 1, 0), 62)
        let (backoff, overflow) = initialBackoffMillis.multipliedReportingOverflow(by: Int64(1) << Int64(doublings))
        return overflow ? maximumBackoffMillis : min(backoff, maximumBackoffMillis)
    }
}
