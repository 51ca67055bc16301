// AccountLedgers: every account's live counters (credits left, the submit-rate bucket) and
// its index for the carrier, across SIGHUP reloads (C-SUB-6). In durable mode it also lists
// the accounts charged since their credits were last written to the journal, for the turn's
// batch. Loop thread only.
import Store

/// An account's live counters (its ledger) and its index for the carrier. A class so a bound
/// session can keep a reference to it (BoundAccount.runtime) and the submit path finds it
/// without hashing the system_id. A reload keeps the object for an account that stays and
/// marks a removed one inactive.
final class AccountRuntime {
    var ledger: AccountLedger
    let index: UInt32
    /// The system_id as the store keeps it (made once here, not per submit).
    let systemIDBytes: ShortBytes
    let systemID: String
    var isActive = true
    /// Charged since the journal last recorded its credits (durable mode).
    var creditsUnjournaled = false
    /// Cluster mode: a lease request is on its way, and what the last one said.
    var leaseInFlight = false
    var lastLeaseRequestMs: Int64 = 0
    var poolExhausted = false
    /// Cluster mode: credits asked for per lease (0: the configured block; ClusterLeases).
    var leaseBlock = 0
    /// Cluster mode: the pool's credits after the last lease (-1: unlimited or not asked yet).
    var lastPoolLeft = -1

    init(ledger: AccountLedger, index: UInt32, systemIDBytes: ShortBytes) {
        self.ledger = ledger
        self.index = index
        self.systemIDBytes = systemIDBytes
        systemID = systemIDBytes.description
    }
}

final class AccountLedgers {
    private(set) var runtimes: [String: AccountRuntime] = [:]
    private var accountsByIndex: [UInt32: Account] = [:]
    private var nextIndex: UInt32 = 0
    /// Durable mode: remember which accounts a submit charged (see `takeCharged`).
    var tracksCharges = false
    private var charged: [AccountRuntime] = []
    /// Cluster mode: every ledger is leased (ClusterLeases), new ones included.
    private(set) var isLeased = false

    /// Cluster mode: credits and tokens from now on come in leases.
    func becomeLeased() {
        isLeased = true
        for rt in runtimes.values { rt.ledger.becomeLeased() }
    }

    /// Applies a (re)loaded account list: a staying account keeps its runtime (and its credits
    /// unless their setting changed), a new one gets the next index, a removed one goes inactive.
    func update(_ accounts: [Account], nowMs t: Int64) {
        var next: [String: AccountRuntime] = [:]
        for a in accounts {
            if let old = runtimes[a.systemID] {
                old.ledger = old.ledger.reloaded(credits: a.credits, submitRate: a.submitRate, nowMs: t)
                next[a.systemID] = old
            } else {
                var ledger = AccountLedger(credits: a.credits, submitRate: a.submitRate, nowMs: t)
                if isLeased { ledger.becomeLeased() }
                next[a.systemID] = AccountRuntime(ledger: ledger, index: nextIndex, systemIDBytes: ShortBytes(truncating: a.systemID.utf8))
                nextIndex += 1
            }
            accountsByIndex[next[a.systemID]!.index] = a
        }
        for (systemID, old) in runtimes where next[systemID] == nil { old.isActive = false }
        runtimes = next
    }

    /// The background MO rates of the accounts that have one (C-SIM-3), for the carrier.
    var backgroundMORates: [(accountIndex: UInt32, perSecond: Double, accountNumber: UInt64)] {
        var rates: [(accountIndex: UInt32, perSecond: Double, accountNumber: UInt64)] = []
        for (systemID, rt) in runtimes {
            guard let a = accountsByIndex[rt.index], a.systemID == systemID, a.moRate > 0,
                  let n = a.defaultNumber, let parsed = E164.parse(n) else { continue }
            rates.append((rt.index, a.moRate, parsed.number))
        }
        return rates
    }

    func account(index: UInt32) -> Account? { accountsByIndex[index] }
    func runtime(systemID: String) -> AccountRuntime? { runtimes[systemID] }
    func creditsLeft(_ systemID: String) -> Int? { runtimes[systemID]?.ledger.creditsLeft }

    /// The runtime of a bound session's account: the one it keeps, else (first submit, or its
    /// account was reloaded away and back) looked up by name and kept. nil: no such account.
    @inline(__always)
    func runtime(of bound: BoundAccount) -> AccountRuntime? {
        if let rt = bound.runtime, rt.isActive { return rt }
        bound.runtime = runtimes[bound.value.systemID]
        return bound.runtime
    }

    /// Charges `segments` credits (C-SUB-6).
    @inline(__always)
    func charge(_ rt: AccountRuntime, _ segments: Int) {
        rt.ledger.charge(segments)
        if tracksCharges && !rt.creditsUnjournaled && rt.ledger.creditsLeft != nil {
            rt.creditsUnjournaled = true
            charged.append(rt)
        }
    }

    /// The accounts charged since the last call (durable mode: their credits go to the journal).
    func takeCharged(_ body: (AccountRuntime) -> Void) {
        guard !charged.isEmpty else { return }
        for rt in charged {
            rt.creditsUnjournaled = false
            body(rt)
        }
        charged.removeAll(keepingCapacity: true)
    }

    /// Recovery: credits left as the journal last recorded them, for accounts whose configured
    /// number is unchanged.
    func restore(credits: [ShortBytes: (configured: Int?, left: Int?)]) {
        // A lease held by an earlier life of this node is not restored: the pool counted it
        // as taken, and it is the one lease a dead node may strand (README "Cluster").
        guard !isLeased else { return }
        for (account, c) in credits {
            runtimes[account.description]?.ledger.restore(left: c.left, countedFrom: c.configured)
        }
    }
}
