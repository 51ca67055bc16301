// What a `[[carrier]]` section of kind smpp or http configures (smppd's ConfigFile fills
// these; docs/upstream.md documents every key).

/// Failing sends open a carrier's circuit: no traffic for `openMs`, then one trial.
public struct CircuitBreakerSettings: Sendable, Equatable {
    /// Consecutive failed sends (5xx, timeout, connection error) that open the circuit.
    public var failures = 5
    /// How long the circuit stays open before a trial send.
    public var openMs: Int64 = 10_000
    public init() {}
}

/// How retries of a failed send are spaced: initial × 2^n, capped, with full jitter.
public struct BackoffSettings: Sendable, Equatable {
    public var initialMs: Int64 = 500
    public var maximumMs: Int64 = 30_000
    public init(initialMs: Int64 = 500, maximumMs: Int64 = 30_000) {
        self.initialMs = initialMs
        self.maximumMs = maximumMs
    }
}

/// An upstream SMSC smppd binds to as an ESME.
public struct SMPPUpstreamSettings: Sendable, Equatable {
    public enum BindMode: String, Sendable { case transceiver, pair }
    public var host = "127.0.0.1"
    public var port = 2775
    /// TLS (verified against `caFile` when set, else against the system's CAs).
    public var tls = false
    public var caFile: String?
    /// Skip certificate verification (tests against self-signed peers).
    public var tlsInsecure = false
    /// The host name (or address) the upstream's certificate must carry when it is verified
    /// (nil: `host`).
    public var tlsServerName: String?
    public var systemID = ""
    public var password = ""
    public var systemType = ""
    /// One transceiver per session, or a transmitter + receiver pair.
    public var bindMode = BindMode.transceiver
    /// Sessions (or pairs) kept bound.
    public var sessions = 1
    /// submit_sm in flight per session.
    public var window = 64
    public var enquireLinkMs: Int64 = 30_000
    /// An unanswered submit_sm / enquire_link after this counts as a failure.
    public var responseTimeoutMs: Int64 = 10_000
    /// Reconnect after 1, 2, 4 … 60 s.
    public var reconnect = BackoffSettings(initialMs: 1_000, maximumMs: 60_000)
    /// Pause after ESME_RTHROTTLED / ESME_RMSGQFUL (doubles while it repeats, up to the maximum).
    public var throttle = BackoffSettings(initialMs: 100, maximumMs: 5_000)
    public var breaker = CircuitBreakerSettings()
    public init() {}
}

/// An HTTP SMS API smppd posts batches of messages to.
public struct HTTPUpstreamSettings: Sendable, Equatable {
    public var url = ""
    /// `Authorization: Bearer …` when set.
    public var bearerToken: String?
    /// `Authorization: Basic …` when both are set.
    public var username: String?
    public var password: String?
    /// The CA file https URLs are verified against (default: the system's CAs).
    public var caFile: String?
    /// Messages per request, and how long a partial batch waits for more.
    public var batchSize = 100
    public var lingerMs: Int64 = 5
    /// Requests in flight at once (keep-alive connections are reused).
    public var maxInFlight = 8
    /// A request without an answer after this is a failure (retried).
    public var timeoutMs: Int64 = 10_000
    public var retry = BackoffSettings(initialMs: 500, maximumMs: 30_000)
    public var breaker = CircuitBreakerSettings()
    public init() {}
}
