// CircuitBreaker: the carrier's three-state breaker (closed → open → half-open → closed), a
// value type with no I/O; SMPPUpstream owns one and its timer. Loop thread.
//
// Failures: a connect that fails (TCP, TLS handshake), a bind refused or unanswered, a
// submit_sm or enquire_link left without a response. Successes: any response to a request
// sent on a bound session (submit_sm_resp, whatever its status, or enquire_link_resp): the
// service is answering. A successful bind alone is not one, so a service that binds and then
// never answers still opens the circuit. SMPPUpstream does not count a failure while another
// session that sends is bound (the carrier still delivers).

struct CircuitBreaker {
    let failureThreshold: Int
    let openMs: Int64
    private(set) var state = CircuitState.closed
    private(set) var consecutiveFailures = 0

    init(_ settings: CircuitBreakerSettings) {
        failureThreshold = max(1, settings.failures)
        openMs = max(1, settings.openMs)
    }

    /// Counts a failure; true when it opened the circuit (closed: the threshold reached;
    /// half-open: the trial failed).
    mutating func recordFailure() -> Bool {
        switch state {
        case .open:
            return false
        case .halfOpen:
            state = .open
            consecutiveFailures = failureThreshold
            return true
        case .closed:
            consecutiveFailures += 1
            guard consecutiveFailures >= failureThreshold else { return false }
            state = .open
            return true
        }
    }

    /// Counts a success; true when it closed a half-open circuit.
    mutating func recordSuccess() -> Bool {
        consecutiveFailures = 0
        guard state == .halfOpen else { return false }
        state = .closed
        return true
    }

    /// The open interval passed: let traffic try again.
    mutating func enterHalfOpen() {
        guard state == .open else { return }
        state = .halfOpen
    }
}
