// Per-account runtime state that outlives sessions: credits left and the submit-rate bucket
// (C-SUB-6). Loop thread only. Survives SIGHUP: credits are kept unless the configured
// number changed.

struct AccountLedger {
    /// nil = unlimited.
    private(set) var creditsLeft: Int?
    private(set) var configuredCredits: Int?
    private let ratePerSecond: Double
    private var tokens: Double
    private var lastRefillMs: Int64

    init(credits: Int?, submitRate: Int, nowMs: Int64) {
        creditsLeft = credits
        configuredCredits = credits
        ratePerSecond = Double(submitRate)
        tokens = Double(max(submitRate, 1))
        lastRefillMs = nowMs
    }

    /// The same ledger under a reloaded account: credits kept unless the setting changed.
    func reloaded(credits: Int?, submitRate: Int, nowMs: Int64) -> AccountLedger {
        var next = AccountLedger(credits: credits, submitRate: submitRate, nowMs: nowMs)
        if credits == configuredCredits { next.creditsLeft = creditsLeft }
        return next
    }

    /// Takes one submit from the rate bucket; false when over the rate (ESME_RTHROTTLED).
    mutating func admitSubmit(nowMs: Int64) -> Bool {
        guard ratePerSecond > 0 else { return true }
        let elapsed = Double(max(nowMs - lastRefillMs, 0)) / 1000
        lastRefillMs = nowMs
        // Burst of one second's worth: a client may send `rate` PDUs back to back.
        tokens = min(ratePerSecond, tokens + elapsed * ratePerSecond)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether `n` credits are available.
    func hasCredits(_ n: Int) -> Bool { creditsLeft.map { $0 >= n } ?? true }

    mutating func charge(_ n: Int) {
        if let c = creditsLeft { creditsLeft = c - n }
    }

    /// Recovery: the credits left that the journal recorded, if they count down from the
    /// number configured now (a changed setting starts afresh, as a reload does).
    mutating func restore(left: Int?, countedFrom configured: Int?) {
        guard configured == configuredCredits, configuredCredits != nil else { return }
        creditsLeft = left
    }
}
