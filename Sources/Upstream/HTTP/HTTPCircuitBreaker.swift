// HTTPCircuitBreaker: consecutive failed requests open the circuit; after `openMs` it lets one
// trial request through (half-open); the trial's success closes it, its failure opens it
// again. A request counts as failed on a transport error, a timeout, 429, 5xx or a malformed
// 200; any other answer shows the service is there and counts as a success. Times are the
// loop's ms. Loop thread (owned by one carrier).

struct HTTPCircuitBreaker {
    let settings: CircuitBreakerSettings
    private(set) var state = CircuitState.closed
    private(set) var consecutiveFailures = 0
    private(set) var openUntilMs: Int64 = 0

    init(settings: CircuitBreakerSettings) { self.settings = settings }

    /// Requests allowed in flight at once: all while closed, the one trial while half-open.
    func requestLimit(_ maxInFlight: Int) -> Int {
        switch state {
        case .closed: return maxInFlight
        case .halfOpen: return 1
        case .open: return 0
        }
    }

    /// Whether the open interval has passed (the carrier may be offered traffic again).
    func isAvailable(nowMs: Int64) -> Bool { state != .open || nowMs >= openUntilMs }

    /// Open → half-open once the interval has passed; true when that happened now.
    mutating func advance(nowMs: Int64) -> Bool {
        guard state == .open, nowMs >= openUntilMs else { return false }
        state = .halfOpen
        return true
    }

    /// A failed request; true when it opened the circuit.
    mutating func recordFailure(nowMs: Int64) -> Bool {
        consecutiveFailures += 1
        switch state {
        case .open:
            return false
        case .halfOpen:
            open(nowMs: nowMs)
            return true
        case .closed:
            guard consecutiveFailures >= max(settings.failures, 1) else { return false }
            open(nowMs: nowMs)
            return true
        }
    }

    /// An answered request; true when it closed the circuit (a successful trial).
    mutating func recordSuccess() -> Bool {
        consecutiveFailures = 0
        guard state == .halfOpen else { return false }
        state = .closed
        return true
    }

    private mutating func open(nowMs: Int64) {
        state = .open
        openUntilMs = nowMs + max(settings.openMs, 0)
    }
}
