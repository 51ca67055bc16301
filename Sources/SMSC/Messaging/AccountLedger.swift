// Per-account runtime state that outlives sessions: credits left and the submit-rate bucket
// (C-SUB-6). Loop thread only. Survives SIGHUP: credits are kept unless the configured
// number changed. In a cluster (issue 15) the ledger is "leased": its credits and tokens are
// blocks the node took from the account's shared pool and bucket (ClusterLeases), and it
// never refills by itself.

struct AccountLedger {
    /// nil = unlimited.
    private(set) var creditsLeft: Int?
    private(set) var configuredCredits: Int?
    private let ratePerSecond: Double
    private var tokens: Double
    private var lastRefillMs: Int64
    /// Cluster mode: credits and tokens are what the node leased (see the file header).
    private(set) var isLeased = false

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
        if isLeased {
            next.isLeased = true
            next.tokens = next.ratePerSecond == ratePerSecond ? tokens : 0
            next.creditsLeft = credits == nil ? nil : (credits == configuredCredits ? creditsLeft : 0)
            return next
        }
        if credits == configuredCredits { next.creditsLeft = creditsLeft }
        return next
    }

    /// Cluster mode: from now on credits and tokens come only from leases (none held yet).
    mutating func becomeLeased() {
        isLeased = true
        tokens = 0
        if creditsLeft != nil { creditsLeft = 0 }
    }

    /// Cluster mode: a lease arrived.
    mutating func addLease(credits: Int, tokens granted: Int) {
        if let c = creditsLeft { creditsLeft = c + credits }
        tokens += Double(granted)
    }

    /// Cluster mode: credits held and not used (given back at shutdown).
    mutating func takeUnusedCredits() -> Int {
        guard let c = creditsLeft, c > 0 else { return 0 }
        creditsLeft = 0
        return c
    }

    var submitRate: Int { Int(ratePerSecond) }
    var leasedTokens: Int { Int(tokens) }

    /// Takes one submit from the rate bucket; false when over the rate (ESME_RTHROTTLED).
    mutating func admitSubmit(nowMs: Int64) -> Bool {
        guard ratePerSecond > 0 else { return true }
        if isLeased {
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
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
