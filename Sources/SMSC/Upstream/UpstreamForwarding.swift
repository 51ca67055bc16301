// UpstreamForwarding: the bookkeeping of messages routed to carriers upstream (issue 12).
// It knows, for each accepted message a carrier has not answered yet, its body and where it
// is on its route; for each message a carrier accepted and that is not final yet, the
// carrier's id for it (receipts name that id). It hands a message to the first available
// carrier of its route (in durable mode only once the batch that holds it is durable: a
// message never reaches the service before its acceptance could survive a crash), moves it to
// the next carrier when one gives it back, and parks it while no carrier of its route can
// take it. What the answers mean for the message (states, receipts, the journal) is the
// messaging service's: MessageService+Upstream.swift.
//
// Where its state survives a kill -9: the bodies and the carriers' ids are journaled
// (`outbound` and `handedUp` entries) by the messaging service, and rebuilt from recovery;
// which carrier holds an unanswered message is not kept (after a restart the route is worked
// out again). Loop thread only.
import Reactor
import Upstream

final class UpstreamForwarding {
    /// The configured carriers (the simulator is not one of them: RouteTable.simulator).
    let carriers: [UpstreamCarrier]
    let routes: RouteTable
    /// Routes per account index (AccountLedgers' numbering), worked out on first use.
    private var accountRoutes: [UInt32: AccountRoutes] = [:]

    /// A message a carrier has not answered yet.
    struct Unanswered {
        var message: OutboundMessage
        var route: ResolvedRoute
        /// Where on its route it is: carriers before this one gave it back.
        var position: Int
    }
    private(set) var unanswered: [ForwardedID: Unanswered] = [:]
    /// Per carrier: the carrier's id of a message → ours, while the message awaits its final
    /// state. A message that ends another way (expired, forced) leaves its entry behind until
    /// `forget` has counted enough of those for a sweep to drop them (rebuildIfDue): a reverse
    /// table to remove each at once cost two more lookups per message.
    private var ourID: [[UpstreamID: UInt64]]
    private var forgottenSinceRebuild = 0
    /// Whether our id still names a message that is not final (the store's answer).
    private let isAwaiting: (UInt64) -> Bool
    /// Accepted messages waiting for the batch holding them to be durable, in order.
    private var awaitingCommit: [(commit: UInt64, id: UInt64)] = []
    private var awaitingHead = 0
    /// Messages whose route has no carrier available now; tried again by `retryTimer`.
    private var parked: [UInt64] = []
    private var retryTimer: LoopTimer!
    /// Hands a message to the simulator (a route may list it as a failover); false when its
    /// queue is full (the message is parked and tried again).
    private let toSimulator: (OutboundMessage) -> Bool

    /// Counters for the metrics.
    private(set) var failovers: UInt64 = 0
    private(set) var unknownReceipts: UInt64 = 0
    private(set) var acceptedWithoutID: UInt64 = 0

    static let parkedRetryInterval: Duration = .milliseconds(250)

    /// Set by the messaging service before it stops the carriers.
    var isStopping = false

    init(loop: EventLoop, carriers: [UpstreamCarrier], routes: RouteTable, toSimulator: @escaping (OutboundMessage) -> Bool,
         isAwaiting: @escaping (UInt64) -> Bool) {
        self.carriers = carriers
        self.routes = routes
        self.toSimulator = toSimulator
        self.isAwaiting = isAwaiting
        ourID = Array(repeating: [:], count: carriers.count)
        retryTimer = LoopTimer(loop: loop) { [unowned self] in self.retryParked() }
    }

    func index(ofCarrierNamed name: String) -> Int? { carriers.firstIndex { $0.name == name } }

    /// Messages a carrier accepted whose final state has not come (an upper bound: entries of
    /// messages that ended another way stay until the next sweep).
    var awaitingReceiptCount: Int { ourID.reduce(0) { $0 + $1.count } }

    /// The tables' entries as they are now (compaction walks them a step at a time).
    var awaitedEntries: [(carrier: Int, upstreamID: UpstreamID, id: UInt64)] {
        var out: [(carrier: Int, upstreamID: UpstreamID, id: UInt64)] = []
        out.reserveCapacity(awaitingReceiptCount)
        for c in ourID.indices {
            for (key, id) in ourID[c] { out.append((c, key, id)) }
        }
        return out
    }

    /// Whether carrier `c`'s `upstreamID` still names our `id`, and that message still waits.
    func isAwaited(_ id: UInt64, carrier c: Int, upstreamID: UpstreamID) -> Bool {
        ourID[c][upstreamID] == id && isAwaiting(id)
    }

    /// The route of a message from the account with loop index `account` (its system_id
    /// `systemID`) to `destination` (digits).
    @inline(__always)
    func route(account: UInt32, systemID: String, destination: some Collection<UInt8>) -> ResolvedRoute {
        if let r = accountRoutes[account] { return r.resolve(destination: destination) }
        let r = routes.forAccount(systemID)
        accountRoutes[account] = r
        return r.resolve(destination: destination)
    }

    /// Accounts changed (SIGHUP): their routes are worked out again.
    func accountsChanged() { accountRoutes = [:] }

    var parkedCount: Int { parked.count }
    var awaitingCommitCount: Int { awaitingCommit.count - awaitingHead }

    // MARK: Taking messages

    /// An accepted message for `route`: sent once batch `commit` is durable (0: at once).
    func admit(_ message: OutboundMessage, route: ResolvedRoute, commit: UInt64) {
        let u = Unanswered(message: message, route: route, position: 0)
        if commit == 0 {
            send(u)
        } else {
            unanswered[ForwardedID(message.id)] = u
            awaitingCommit.append((commit, message.id))
        }
    }

    /// Batches through `sequence` are durable: what they hold may go upstream.
    func committed(through sequence: UInt64) {
        while awaitingHead < awaitingCommit.count, awaitingCommit[awaitingHead].commit <= sequence {
            dispatch(awaitingCommit[awaitingHead].id)
            awaitingHead += 1
        }
        if awaitingHead == awaitingCommit.count {
            awaitingCommit.removeAll(keepingCapacity: true)
            awaitingHead = 0
        }
    }

    /// A carrier's id for a message, known from before a restart.
    func restoreMapping(id: UInt64, carrier name: String, upstreamID: UpstreamID) {
        guard let c = index(ofCarrierNamed: name), !upstreamID.isEmpty else { return }
        ourID[c][upstreamID] = id
    }

    /// Sends `id` again from where it is on its route (it is in `unanswered`).
    private func dispatch(_ id: UInt64) {
        guard let u = unanswered[ForwardedID(id)] else { return }   // answered or ended meanwhile
        send(u)
    }

    /// Sends a message to the first carrier of its route, from its position on, that takes
    /// traffic now, and keeps it in `unanswered` until that carrier answers; parks it when
    /// none takes it.
    private func send(_ message: Unanswered) {
        var u = message
        let id = u.message.id
        // Shutting down: what the stopping carriers give back waits (it is journaled) rather
        // than start on a carrier about to stop too.
        if isStopping {
            unanswered[ForwardedID(id)] = u
            return
        }
        while u.position < u.route.carriers.count {
            let c = u.route.carriers[u.position]
            if c == RouteTable.simulator {
                if toSimulator(u.message) {
                    if u.position > 0 { failovers += 1 }
                    unanswered[ForwardedID(id)] = nil
                    return
                }
            } else if carriers[c].isAvailable {
                if u.position > 0 { failovers += 1 }
                unanswered[ForwardedID(id)] = u
                carriers[c].send(u.message)
                return
            }
            u.position += 1
        }
        // No carrier can take it now: from the top of the route again later.
        u.position = 0
        unanswered[ForwardedID(id)] = u
        parked.append(id)
        if !retryTimer.isScheduled { retryTimer.schedule(after: Self.parkedRetryInterval) }
    }

    private func retryParked() {
        let ids = parked
        parked.removeAll(keepingCapacity: true)
        for id in ids { dispatch(id) }
    }

    // MARK: Answers

    /// Carrier `c` accepted `id` as `upstreamID`. False when the message had ended meanwhile.
    @discardableResult
    func accepted(carrier c: Int, id: UInt64, upstreamID: UpstreamID) -> Bool {
        guard unanswered.removeValue(forKey: ForwardedID(id)) != nil else { return false }
        // An empty id (an upstream that names none) can match no receipt: the message waits
        // for its validity instead of sharing one key with every other such message.
        if upstreamID.isEmpty {
            acceptedWithoutID += 1
        } else {
            ourID[c][upstreamID] = id
        }
        return true
    }

    /// Carrier `c` refused `id` for good.
    func refused(id: UInt64) { unanswered[ForwardedID(id)] = nil }

    /// Carrier `c` gave these back unsent or unanswered: each goes to the next carrier of its route.
    func returned(carrier c: Int, _ messages: [OutboundMessage]) {
        for m in messages {
            guard var u = unanswered[ForwardedID(m.id)] else { continue }
            if let here = u.route.carriers.firstIndex(of: c) { u.position = here + 1 } else { u.position += 1 }
            unanswered[ForwardedID(m.id)] = u
            dispatch(m.id)
        }
    }

    /// Our id for carrier `c`'s `upstreamID`; `final` forgets the mapping.
    func messageID(carrier c: Int, upstreamID: UpstreamID, final: Bool) -> UInt64? {
        guard let id = final ? ourID[c].removeValue(forKey: upstreamID) : ourID[c][upstreamID] else {
            unknownReceipts += 1
            return nil
        }
        return id
    }

    /// Our id for `upstreamID` at any carrier (the admin API's receipts name no carrier).
    func messageID(upstreamID: UpstreamID, final: Bool) -> UInt64? {
        for c in ourID.indices where ourID[c][upstreamID] != nil {
            return messageID(carrier: c, upstreamID: upstreamID, final: final)
        }
        unknownReceipts += 1
        return nil
    }

    /// `id` ended another way (expired, forced, a receipt by our id): forget it. Its entry in
    /// the carrier's table goes in the next sweep (`rebuildIfDue`).
    func forget(_ id: UInt64) {
        unanswered[ForwardedID(id)] = nil
        forgottenSinceRebuild += 1
    }

    /// Housekeeping, every 100 ms (not inside a store operation: it reads the store): once the
    /// forgotten could be half the tables, a sweep drops the entries of messages no longer
    /// awaited, `sweepPerCall` entries per call, so that a table of millions costs no long
    /// pause; each entry is looked at about twice per forgotten one.
    func rebuildIfDue() {
        if sweep == nil {
            guard forgottenSinceRebuild >= max(Self.rebuildMinimum, awaitingReceiptCount / 2) else { return }
            forgottenSinceRebuild = 0
            sweep = Sweep(carrier: 0, keys: Array(ourID[0].keys))
        }
        var budget = Self.sweepPerCall
        while budget > 0, var s = sweep {
            if s.next == s.keys.count {
                let c = s.carrier + 1
                sweep = c < ourID.count ? Sweep(carrier: c, keys: Array(ourID[c].keys)) : nil
                continue
            }
            let key = s.keys[s.next]
            s.next += 1
            budget -= 1
            sweep = s
            if let id = ourID[s.carrier][key], !isAwaiting(id) { ourID[s.carrier][key] = nil }
        }
    }

    /// A sweep in progress: the carrier's keys when it started, and how far it got.
    private struct Sweep {
        var carrier: Int
        var keys: [UpstreamID]
        var next = 0
    }
    private var sweep: Sweep?
    var isSweeping: Bool { sweep != nil }

    static let sweepPerCall = 8_192
    static let rebuildMinimum = 4_096
}
