// Cluster mode of the messaging service (issue 15): the node's number in every message id and
// MO id, leased credits and rates, and deliveries that cross nodes. The message path itself
// stays on this node: accept, journal, carrier, receipts. Loop thread only.
import Carrier
import Cluster
import Logging
import Reactor
import Store

/// The cluster's parts the messaging service owns.
final class ClusterState {
    let coordinator: ClusterCoordinator
    let leases: ClusterLeases
    let remote: RemoteDeliveries
    let queries: RemoteQueries

    init(coordinator: ClusterCoordinator, leases: ClusterLeases, remote: RemoteDeliveries) {
        self.coordinator = coordinator
        self.leases = leases
        self.remote = remote
        queries = RemoteQueries(coordinator: coordinator)
    }
}

extension MessageService {
    /// Joins the cluster: call before openJournal (the id generator's instance is the node's
    /// number, and the journal's floors apply on top of it) and before any session binds.
    func enableCluster(_ coordinator: ClusterCoordinator) {
        precondition(cluster == nil && durable == nil, "enableCluster before openJournal, once")
        let node = coordinator.settings.node
        idInstance = UInt8(node)
        ids = MessageIDGenerator(startUnixMillis: realtimeMillis(), instance: idInstance)
        // MO ids carry the node in their top byte, so that an MO delivered on another node can
        // never be mistaken for one of that node's own (the journal names MO by id).
        nextMOID = max(nextMOID, UInt64(node) << 56 | 1)
        ledgers.becomeLeased()
        router.enableUnjournaled(memoryDeliveries)
        let remote = RemoteDeliveries(coordinator: coordinator, router: router, logger: logger) { [unowned self] in
            self.durable?.journal.durableSequence ?? .max
        }
        cluster = ClusterState(coordinator: coordinator,
                               leases: ClusterLeases(coordinator: coordinator, creditBlock: coordinator.settings.creditBlock),
                               remote: remote)
        router.onStranded = { [unowned self, unowned remote] key in remote.noteStranded(key, now: self.now) }
        router.onDone = { [unowned remote] payload in remote.done(payload) }
        router.onReceiversChanged = { [unowned coordinator] accounts in coordinator.setReceiving(accounts) }
        coordinator.onDeliveries = { [unowned remote] account, entry, packed in
            remote.receive(account: account, entry: entry, packed: packed)
        }
        coordinator.heldEntries = { [unowned remote] in remote.entriesByAccount }
        // A receiver node that is behind reads no more of the account's stream until it drains.
        let highWater = max(settings.queueMax / 2, 1)
        coordinator.isBacklogged = { [unowned router] account in
            router.deliveries.count(for: ShortBytes(truncating: account.utf8)) > highWater
        }
        coordinator.onRequest = { [unowned self] request in self.answerRemote(request) }
        coordinator.onReply = { [unowned self] reply in self.cluster?.queries.replied(reply) }
    }

    /// Before sleep: lease requests of the turn, deliveries to ship.
    func clusterTurnWork() {
        guard let cluster else { return }
        let t = now
        cluster.leases.requestLeases(accounts: { [ledgers] rt in ledgers.account(index: rt.index) }, now: t)
        cluster.remote.beforeSleep(now: t)
    }

    /// A session bound: its account's lease is filled ahead of its first submit.
    func accountBound(_ systemID: String) {
        guard let cluster, let rt = ledgers.runtime(systemID: systemID), rt.ledger.isLeased else { return }
        cluster.leases.spent(rt)
    }

    /// Shutdown, once the sessions are gone: unspent credits go back to their pools; then
    /// `completion` (after Redis answered, or after a second without an answer).
    func leaveCluster(_ completion: @escaping () -> Void) {
        guard let cluster, cluster.coordinator.isAvailable else { return completion() }
        var finished = false
        let timer = LoopTimer(loop: loop) {
            guard !finished else { return }
            finished = true
            completion()
        }
        timer.schedule(after: .seconds(1))
        cluster.leases.returnAll(Array(ledgers.runtimes.values), accounts: { [ledgers] rt in ledgers.account(index: rt.index) }) {
            timer.cancel()
            guard !finished else { return }
            finished = true
            completion()
        }
    }

    func stopCluster() {
        cluster?.coordinator.stop()
    }
}
