// RedisOptions: a RedisClient's timeouts and reconnect backoff. A value; read at init.

public struct RedisOptions: Sendable {
    /// How long a connect attempt may take (TCP handshake) before it is abandoned.
    public var connectTimeout: Duration
    /// A command's deadline, counted from send(), unless the call gives its own.
    public var commandTimeout: Duration
    /// The first delay before reconnecting after a failed attempt or a lost connection; it
    /// doubles after each failed attempt up to `reconnectMax`, and is back to this once connected.
    public var reconnectMin: Duration
    public var reconnectMax: Duration

    public init(connectTimeout: Duration = .seconds(2), commandTimeout: Duration = .seconds(2),
                reconnectMin: Duration = .milliseconds(100), reconnectMax: Duration = .seconds(5)) {
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectMin = reconnectMin
        self.reconnectMax = reconnectMax
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to 0 … UInt64.max / 2 (negative durations count as 0).
    var clampedNanoseconds: UInt64 {
        let c = components
        guard c.seconds >= 0 else { return 0 }
        let seconds = UInt64(min(c.seconds, Int64(UInt64.max / 2 / 1_000_000_000)))
        return seconds * 1_000_000_000 + UInt64(max(c.attoseconds, 0) / 1_000_000_000)
    }
}
