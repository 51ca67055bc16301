// RemoteDeliveries: receipts and MO for an account whose receivers are bound on another node
// (issue 15). Both directions:
//   - shipping: deliveries queued here for an account with no receiver on this node go, once
//     their change is durable and another node has a receiver (asked every lease/3, with the
//     stream's backlog), into the account's stream in Redis, packed up to `perShipment` per
//     entry with `shipmentsInFlight` entries on their way; once Redis took them they are done
//     here (the journal says so);
//   - receiving: entries read from the streams of the accounts this node has receivers for
//     are queued in memory only (not read while the account's queue is over half full), and
//     the entry is acknowledged in Redis when every delivery in it is answered or dropped. Until then it stays in Redis's pending list: a node killed
//     meanwhile leaves it there, and it is delivered again (at least once) by the node after
//     its restart, or by another after three leases.
// A delivery that came from another node and finds no receiver here any more is shipped on
// like any other. Loop thread only.
import Cluster
import Logging
import Reactor
import SMPP
import Store

final class RemoteDeliveries {
    private let coordinator: ClusterCoordinator
    private let router: DeliveryRouter
    private let logger: Logger
    private let codec = DeliveryPayloadCodec()
    /// The journal batch durable so far (memory mode: everything).
    private let durableThrough: () -> UInt64

    /// An account with deliveries waiting here and no receiver on this node.
    private final class Stranded {
        /// Whether another node has a receiver, and until when that answer is trusted.
        var remote: Bool? = nil
        var knownUntilMs: Int64 = 0
        var askInFlight = false
        /// Shipments of the account taken and not yet answered by Redis.
        var shipsInFlight = 0
        /// Listed in `due` already this turn.
        var isDue = false
    }
    private var stranded: [ShortBytes: Stranded] = [:]
    /// Accounts to look at in this turn's before-sleep pass.
    private var due: [ShortBytes] = []

    /// Deliveries taken for a shipment and waiting for their batch to be durable.
    private struct Shipment {
        var account: ShortBytes
        var holder: UInt64
        var deliveries: [Delivery<DeliveryPayload>]
    }
    private var waiting: [Shipment] = []
    /// Holder ids of shipments: above every session id.
    private var nextHolder: UInt64 = 1 << 62
    /// Deliveries per stream entry, and entries of one account on their way at once: enough
    /// that shipping keeps up with a node's whole receipt rate (one entry per turn did not).
    static let perShipment = 1_024
    static let shipmentsInFlight = 4
    /// Entries an account's stream may hold before this node stops adding to it (the receiving
    /// node is behind): the deliveries then wait here, within the queue's own limits.
    static let backlogCap = 128

    /// What a delivery from another node is, to find its stream entry when it is done.
    private struct PayloadKey: Hashable {
        var id: UInt64
        var kind: UInt8
        init(_ p: DeliveryPayload) {
            switch p {
            case .receipt(let r): id = r.id.rawValue; kind = r.state.rawValue
            case .mobileOriginated(let m): id = m.id; kind = 0xFF
            }
        }
    }
    private final class EntryRef {
        let account: String
        let entry: String
        var remaining: Int
        init(account: String, entry: String, remaining: Int) {
            self.account = account
            self.entry = entry
            self.remaining = remaining
        }
    }
    private var held: [PayloadKey: EntryRef] = [:]
    /// The entries held here (entry id → account), for the duplicate check and the refresh.
    private var heldEntries: [String: String] = [:]

    /// The entries held here, by account: the coordinator keeps them claimed (so that another
    /// node does not take over an entry this node is still delivering).
    var entriesByAccount: [String: [String]] {
        var out: [String: [String]] = [:]
        for (entry, account) in heldEntries { out[account, default: []].append(entry) }
        return out
    }

    private(set) var shipped = 0
    private(set) var received = 0

    init(coordinator: ClusterCoordinator, router: DeliveryRouter, logger: Logger, durableThrough: @escaping () -> UInt64) {
        self.coordinator = coordinator
        self.router = router
        self.logger = logger
        self.durableThrough = durableThrough
    }

    /// Remote deliveries received and not yet done (for /metrics).
    var heldCount: Int { held.count }

    // MARK: Shipping

    /// The router found deliveries for `account` and no receiver of it here.
    func noteStranded(_ account: ShortBytes, now: Int64) {
        let s = stranded[account] ?? Stranded()
        if stranded[account] == nil { stranded[account] = s }
        if s.isDue || (s.remote == false && now < s.knownUntilMs) { return }
        s.isDue = true
        due.append(account)
    }

    /// Before sleep: ask whether other nodes have receivers, take what can go, ship what is durable.
    func beforeSleep(now: Int64) {
        if !due.isEmpty {
            let accounts = due
            due.removeAll(keepingCapacity: true)
            for account in accounts {
                stranded[account]?.isDue = false
                consider(account, now: now)
            }
        }
        if !waiting.isEmpty { shipDurable() }
    }

    /// Housekeeping (every 100 ms): accounts whose answer went stale are asked again.
    func sweep(now: Int64) {
        for (account, s) in stranded where !s.askInFlight && s.shipsInFlight == 0 && now >= s.knownUntilMs {
            if router.deliveries.count(for: account) == 0 || router.hasReceivers(account) {
                stranded[account] = nil
            } else if !s.isDue {
                s.isDue = true
                due.append(account)
            }
        }
    }

    private func consider(_ account: ShortBytes, now: Int64) {
        guard let s = stranded[account], !s.askInFlight, !router.hasReceivers(account) else { return }
        guard let remote = s.remote, now < s.knownUntilMs else {
            guard s.shipsInFlight == 0 else { return }   // asked again once these are answered
            s.askInFlight = true
            coordinator.remoteReceivers(account: account.description) { [weak self] answer in
                s.askInFlight = false
                guard let self else { return }
                // Another node's receiver, and room in the stream: ship; else wait here.
                let ship = answer.map { $0.receivers > 0 && $0.backlog < Self.backlogCap }
                s.remote = ship ?? false
                s.knownUntilMs = self.router.nowMs + (ship == nil ? 500 : ship == true ? max(self.coordinator.settings.leaseMs / 3, 100) : 250)
                if ship == true { self.noteStranded(account, now: self.router.nowMs) }
            }
            return
        }
        guard remote else { return }
        while s.shipsInFlight < Self.shipmentsInFlight {
            let holder = nextHolder
            nextHolder += 1
            var taken: [Delivery<DeliveryPayload>] = []
            while taken.count < Self.perShipment, let d = router.deliveries.take(for: account, holder: holder, now: now) {
                taken.append(d)
            }
            guard !taken.isEmpty else { return }
            s.shipsInFlight += 1
            waiting.append(Shipment(account: account, holder: holder, deliveries: taken))
        }
    }

    private func shipDurable() {
        let durable = durableThrough()
        var i = 0
        while i < waiting.count {
            let shipment = waiting[i]
            guard shipment.deliveries.allSatisfy({ $0.commit <= durable }) else { i += 1; continue }
            waiting.remove(at: i)
            send(shipment)
        }
    }

    private func send(_ shipment: Shipment) {
        let packed = codec.encode(shipment.deliveries.map(\.payload))
        coordinator.ship(account: shipment.account.description, packed: packed) { [weak self] result in
            guard let self else { return }
            let s = self.stranded[shipment.account]
            s?.shipsInFlight -= 1
            let now = self.router.nowMs
            switch result {
            case .shipped:
                for d in shipment.deliveries { self.router.acknowledgeShipped(d.token) }
                self.shipped += shipment.deliveries.count
                // More may be waiting: look again this turn.
                self.noteStranded(shipment.account, now: now)
            case .unavailable:
                s?.remote = nil
                s?.knownUntilMs = now + 500
                self.router.returnShipment(holder: shipment.holder)
            }
        }
    }

    // MARK: Receiving

    /// An entry read from `account`'s stream.
    func receive(account: String, entry: String, packed: [UInt8]) {
        guard heldEntries[entry] == nil else { return }   // read again before we were done
        let payloads: [DeliveryPayload]
        do {
            payloads = try DeliveryPayloadCodec.decode(packed)
        } catch {
            logger.error("cluster-delivery-unreadable", metadata: ["system_id": "\(account)", "entry": "\(entry)", "error": "\(error)"])
            coordinator.acknowledge(account: account, entry: entry)
            return
        }
        let ref = EntryRef(account: account, entry: entry, remaining: payloads.count)
        heldEntries[entry] = account
        received += payloads.count
        for p in payloads { held[PayloadKey(p)] = ref }
        // The whole entry queued, then one pump (not one per delivery).
        router.enqueueUnjournaled(payloads, forAccount: ShortBytes(truncating: account.utf8)) { [unowned self] p in self.done(p) }
        if payloads.isEmpty { finish(ref) }
    }

    /// A delivery is done here (answered, dropped, or shipped on): if it came from another
    /// node, its entry is one step closer to being acknowledged.
    func done(_ payload: DeliveryPayload) {
        guard !held.isEmpty, let ref = held.removeValue(forKey: PayloadKey(payload)) else { return }
        ref.remaining -= 1
        if ref.remaining <= 0 { finish(ref) }
    }

    private func finish(_ ref: EntryRef) {
        heldEntries[ref.entry] = nil
        coordinator.acknowledge(account: ref.account, entry: ref.entry)
    }
}
