// ClusterLeases: an account's credits and submit rate held across nodes (issue 15). Each node's
// ledger spends blocks it leased from the account's shared pool and bucket in Redis; when a
// ledger runs low, one request per account refills it (credits and tokens together). So a
// client spread over nodes is refused at the account's limits, not at N times them, and
// Redis sees one call per block, not one per message. Loop thread only. Where it survives a
// kill -9: the pool in Redis; a dead node's unspent lease is lost (at most one block, which
// grows with the account's rate: creditsPerLease).
import Cluster
import SMPP

final class ClusterLeases {
    private let coordinator: ClusterCoordinator
    private let creditBlock: Int
    /// Accounts that ran low this turn: leased for in the before-sleep pass (one request each).
    private var low: [AccountRuntime] = []

    init(coordinator: ClusterCoordinator, creditBlock: Int) {
        self.coordinator = coordinator
        self.creditBlock = creditBlock
    }

    /// Tokens taken at a time: a tenth of a second's worth.
    private func tokenBlock(_ rt: AccountRuntime) -> Int { max(1, rt.ledger.submitRate / 10) }

    /// Credits taken at a time for `rt`: `creditBlock`, doubled (up to 64 times) while the
    /// account spends a block in under 250 ms and halved back while it takes over 2 s, so a
    /// busy account's lease lasts a few turns (at ~350k/s a block of 500 ran out between two
    /// refills and submits were refused) and a quiet one strands little when its node dies.
    private func creditsPerLease(_ rt: AccountRuntime) -> Int { max(rt.leaseBlock, creditBlock) }
    static let maximumGrowth = 64

    private func adapt(_ rt: AccountRuntime, now: Int64) {
        guard rt.lastLeaseRequestMs > 0, rt.ledger.creditsLeft != nil else { return }
        let since = now - rt.lastLeaseRequestMs
        if since < 250 {
            // Not past an eighth of what the pool had left: near its end the nodes share it in
            // small blocks, so one node does not sit on credits another one's clients need.
            let share = rt.lastPoolLeft >= 0 ? rt.lastPoolLeft / 8 : .max
            rt.leaseBlock = max(min(creditsPerLease(rt) * 2, creditBlock * Self.maximumGrowth, share), creditBlock)
        } else if since > 2_000 {
            rt.leaseBlock = max(creditsPerLease(rt) / 2, creditBlock)
        }
    }

    /// After a submit charged `rt`: whether its lease needs a refill soon.
    @inline(__always)
    func spent(_ rt: AccountRuntime) {
        guard !rt.leaseInFlight else { return }
        let creditsLow = rt.ledger.creditsLeft.map { $0 < creditsPerLease(rt) / 2 + 1 } ?? false
        let tokensLow = rt.ledger.submitRate > 0 && rt.ledger.leasedTokens < tokenBlock(rt) / 2 + 1
        if creditsLow || tokensLow { markLow(rt) }
    }

    private func markLow(_ rt: AccountRuntime) {
        guard !rt.leaseInFlight else { return }
        rt.leaseInFlight = true
        low.append(rt)
    }

    /// The answer to a submit the lease could not cover: out of credits for good, a refill
    /// on its way (try again shortly), or the shared store unreachable.
    func refusal(_ rt: AccountRuntime, credits: Bool, now: Int64) -> CommandStatus {
        if !coordinator.isAvailable { return .ESME_RSYSERR }
        // Ask again even after "exhausted", at most every 100 ms: the pool may have been refilled
        // (a changed configuration) or given credits back.
        if now - rt.lastLeaseRequestMs >= 100 || !rt.poolExhausted { markLow(rt) }
        return credits && rt.poolExhausted ? .ESME_RSUBMITFAIL : .ESME_RTHROTTLED
    }

    /// Before sleep: one lease request per account that ran low.
    func requestLeases(accounts: (AccountRuntime) -> Account?, now: Int64) {
        guard !low.isEmpty else { return }
        let batch = low
        low.removeAll(keepingCapacity: true)
        for rt in batch {
            guard rt.isActive, let account = accounts(rt) else { rt.leaseInFlight = false; continue }
            adapt(rt, now: now)
            rt.lastLeaseRequestMs = now
            let credits = rt.ledger.creditsLeft == nil ? 0 : creditsPerLease(rt)
            let tokens = rt.ledger.submitRate > 0 ? tokenBlock(rt) : 0
            coordinator.lease(account: rt.systemID, configuredCredits: account.credits, credits: credits,
                              rate: rt.ledger.submitRate, tokens: tokens) { grant in
                rt.leaseInFlight = false
                guard let grant else { return }
                rt.ledger.addLease(credits: grant.credits, tokens: grant.tokens)
                rt.poolExhausted = grant.poolLeft == 0 && grant.credits == 0
                rt.lastPoolLeft = grant.poolLeft
            }
        }
    }

    /// Shutdown: unspent credits go back to their pools; `completion` once Redis took them all.
    func returnAll(_ runtimes: [AccountRuntime], accounts: (AccountRuntime) -> Account?, completion: @escaping () -> Void) {
        var outstanding = 1
        let one = {
            outstanding -= 1
            if outstanding == 0 { completion() }
        }
        for rt in runtimes {
            guard let configured = accounts(rt)?.credits else { continue }
            let unused = rt.ledger.takeUnusedCredits()
            guard unused > 0 else { continue }
            outstanding += 1
            coordinator.returnCredits(account: rt.systemID, configuredCredits: configured, credits: unused, completion: one)
        }
        one()
    }
}
