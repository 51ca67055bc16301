// CircuitBreaker: a carrier's three states (closed → open → half-open → closed), for every
// carrier. `failures` consecutive failed sends open it; while open the carrier takes no
// traffic (the SMSC sends it through the route's next carrier); after `openMs` it lets a trial
// through (half-open), whose success closes it and whose failure opens it again. What counts
// as a failure is the carrier's: for SMPP a connect, bind or response timeout; for HTTP a
// transport error, a timeout, 429, 5xx or a malformed answer. A value with no I/O: the SMPP
// carrier moves it to half-open from its own timer (`enterHalfOpen`), the HTTP carrier by the
// clock on its next wake-up (`advance(nowMs:)`). Loop thread (owned by one carrier).

struct CircuitBreaker {
    let failureThreshold: Int
    let openMs: Int64
    private(set) var state = CircuitState.closed
    private(set) var consecutiveFailures = 0
    /// While open: when the trial may start.
    private(set) var openUntilMs: Int64 = 0

    init(_ settings: CircuitBreakerSettings) {
        failureThreshold = max(1, settings.failures)
        openMs = max(1, settings.openMs)
    }

    /// Sends allowed in flight at once: all while closed, the one trial while half-open.
    func requestLimit(_ maximum: Int) -> Int {
        switch state {
        case .closed: return maximum
        case .halfOpen: return 1
        case .open: return 0
        }
    }

    /// Whether the carrier may be offered traffic at `nowMs` (open, but its interval passed).
    func isAvailable(nowMs: Int64) -> Bool { state != .open || nowMs >= openUntilMs }

    /// Counts a failure at `nowMs`; true when it opened the circuit (closed: the threshold
    /// reached; half-open: the trial failed).
    mutating func recordFailure(nowMs: Int64 = 0) -> Bool {
        consecutiveFailures += 1
        switch state {
        case .open:
            return false
        case .halfOpen:
            open(nowMs: nowMs)
            return true
        case .closed:
            guard consecutiveFailures >= failureThreshold else { return false }
            open(nowMs: nowMs)
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

    /// The open interval passed (the owner's timer says so): let a trial through.
    mutating func enterHalfOpen() {
        guard state == .open else { return }
        state = .halfOpen
    }

    /// Open → half-open once the interval has passed by `nowMs`; true when that happened now.
    mutating func advance(nowMs: Int64) -> Bool {
        guard state == .open, nowMs >= openUntilMs else { return false }
        state = .halfOpen
        return true
    }

    private mutating func open(nowMs: Int64) {
        state = .open
        openUntilMs = nowMs + openMs
    }
}
