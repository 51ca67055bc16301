// ReconnectBackoff: the reconnect delays C-OPS-3 asks of clients: 1 s, 2 s, 4 s ... capped at
// 60 s, back to 1 s after a success. A value type with no I/O (unit-tested on its own); each
// session or cycle slot owns one.

struct ReconnectBackoff: Equatable {
    static let firstSeconds = 1
    static let capSeconds = 60

    private(set) var nextSeconds = Self.firstSeconds

    /// The delay before the next attempt; each call doubles the one after it, up to the cap.
    mutating func take() -> Int {
        let delay = nextSeconds
        nextSeconds = min(delay * 2, Self.capSeconds)
        return delay
    }

    /// After a success: the next failure waits the first delay again.
    mutating func reset() {
        nextSeconds = Self.firstSeconds
    }
}
