// Backoff: doubling delays for one kind of retry (a session's reconnects, its pauses after
// ESME_RTHROTTLED): initial, 2×, 4× … capped at the maximum, back to the initial delay after
// a success. Deterministic (no jitter): the reconnect sequence 1, 2, 4 … 60 s is what
// operators read in the log and what the tests check. A value type with no I/O.

struct Backoff: Equatable {
    let initialMs: Int64
    let maximumMs: Int64
    private(set) var nextMs: Int64

    init(_ settings: BackoffSettings) {
        initialMs = max(1, settings.initialMs)
        maximumMs = max(initialMs, settings.maximumMs)
        nextMs = initialMs
    }

    /// The delay before the next attempt; each call doubles the one after it, up to the cap.
    mutating func take() -> Int64 {
        let delay = nextMs
        nextMs = delay >= maximumMs / 2 ? maximumMs : delay * 2
        return delay
    }

    /// After a success: the next failure waits the initial delay again.
    mutating func reset() { nextMs = initialMs }
}
