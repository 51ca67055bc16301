// LogTakeover: a survivor taking a lost node's work over (issue 15, `cluster.ship-log`).
// Every third of a lease it looks for a node whose presence key expired and whose log
// stream holds a complete copy; one survivor claims it (a lock with an expiry, renewed while
// it works, so two never both do it). Then, without holding the loop:
//   1. read: the log in chunks of `chunk` batches (one XRANGE per reply), each batch's CRC
//      checked and replayed with recovery's own code (StoreReplay) into a scratch store; a
//      hole or a bad batch ends the replay there (what comes before is a consistent state);
//   2. adopt: a step per loop turn: the records the work needs (those with a receipt pending,
//      those not final) go into this node's store and journal; the pending receipts and MO
//      into its router (journaled: they survive this node's own kill -9); the messages not
//      final to its carrier, whose draw depends only on the seed and the id, so the outcome
//      is the one the lost node would have produced;
//   3. once all that is durable in this node's journal: the lost node is marked taken over
//      (through the last batch adopted) and its log deleted, in one script.
// Ids are unique across the cluster (each carries its node's number), so adopted records
// never collide with this node's own. Messages the lost node had routed to an upstream
// carrier are not adopted (their outcome comes through that node's upstream session).
// Loop thread only.
import Cluster
import Logging
import Reactor
import SMPP
import Store

final class LogTakeover {
    private unowned let service: MessageService
    private let shipper: LogShipper
    private let logger: Logger
    private var timer: LoopTimer!
    private var scanning = false
    private var job: Job?
    /// Nodes whose incomplete log was reported (once each).
    private var refused: Set<Int> = []
    /// Batches asked for per XRANGE.
    static let chunk = 16
    /// Adoption steps per loop turn.
    static let adoptPerTurn = 1_024
    /// Failed reads in a row (one per tick) before the replay ends where it is.
    static let maximumReadFailures = 5
    private(set) var completed = 0

    private final class Job {
        let node: Int
        let startedMs: Int64
        let scratch: MemoryMessageStore
        var replay: StoreReplay
        var expected: UInt64 = 0
        var last: UInt64 = 0
        var stoppedAt: String?
        var readInFlight = false
        var readFailures = 0
        var readingDone = false
        var recovered: RecoveredStore?
        // Adoption, in this order; each an index into its list.
        var records: [MessageID] = []
        var nonFinal: [MessageID] = []
        var r = 0, receipts = 0, mo = 0, carrier = 0
        var adopted = false
        var waitingFor: UInt64 = 0
        var finishing = false

        init(node: Int, startedMs: Int64, scratch: MemoryMessageStore) {
            self.node = node
            self.startedMs = startedMs
            self.scratch = scratch
            replay = StoreReplay(into: scratch)
        }
    }

    init(service: MessageService, shipper: LogShipper, logger: Logger) {
        self.service = service
        self.shipper = shipper
        self.logger = logger
        let every = Duration.milliseconds(max(shipper.settings.leaseMs / 3, 100))
        timer = LoopTimer(loop: service.loop) { [unowned self] in
            self.tick()
            self.timer.schedule(after: every)
        }
        timer.schedule(after: every)
    }

    func stop() { timer.cancel() }

    /// A takeover in progress (for tests and metrics).
    var isRunning: Bool { job != nil }

    // MARK: Looking for lost nodes

    private func tick() {
        guard shipper.isConnected else { return }
        if let job {
            shipper.renewClaim(node: job.node) { [weak self] ok in
                guard let self, !ok, self.job === job else { return }
                self.logger.warning("cluster-takeover-claim-lost", metadata: [
                    "node": "\(job.node)", "note": "the claim expired or another node holds it; work adopted so far stays here (at least once)"])
            }
            if !job.readingDone && !job.readInFlight { readNext(job) }   // a read that failed
            return
        }
        guard !scanning else { return }
        scan(from: 0)
    }

    /// Tries to claim each other node's log in turn, until one is claimed.
    private func scan(from first: Int) {
        var n = first
        if n == shipper.settings.node { n += 1 }
        guard n <= ClusterSettings.maxNode, job == nil else {
            scanning = false
            return
        }
        scanning = true
        shipper.claim(node: n) { [weak self] result in
            guard let self else { return }
            switch result {
            case .claimed:
                self.scanning = false
                self.refused.remove(n)
                self.begin(node: n)
            case .incompleteLog:
                if self.refused.insert(n).inserted {
                    self.logger.error("cluster-takeover-refused", metadata: [
                        "node": "\(n)", "reason": "its log in Redis is not a complete copy (no base: it fell behind and no compaction pass was shipped whole since)",
                        "effect": "its pending work waits for its restart"])
                }
                self.scan(from: n + 1)
            case .nothing:
                self.scan(from: n + 1)
            case .unavailable:
                self.scanning = false
            }
        }
    }

    private func begin(node: Int) {
        let s = service.settings
        let scratch = MemoryMessageStore(configuration: MessageStoreConfiguration(
            capacity: s.maxRecords, maximumValidityMillis: s.maxValidityMs))
        let job = Job(node: node, startedMs: monotonicMillis(), scratch: scratch)
        self.job = job
        logger.notice("cluster-takeover-started", metadata: ["node": "\(node)", "by": "\(shipper.settings.node)"])
        readNext(job)
    }

    // MARK: 1. Reading

    private func readNext(_ job: Job) {
        job.readInFlight = true
        shipper.readLog(node: job.node, after: job.last == 0 ? nil : job.last, count: Self.chunk) { [weak self] base, entries in
            guard let self, self.job === job else { return }
            job.readInFlight = false
            guard let entries else {
                // Redis failed, or answered something that is not a log: the next tick reads
                // again, a few times, then the replay ends where it is.
                job.readFailures += 1
                if job.readFailures >= Self.maximumReadFailures {
                    job.stoppedAt = "the log could not be read after batch \(job.last) (\(job.readFailures) tries)"
                    self.readingDone(job)
                }
                return
            }
            job.readFailures = 0
            if job.last == 0 {
                guard let base else { return self.abandon(job, "no base") }
                job.expected = base
            }
            for (sequence, bytes) in entries {
                guard sequence == job.expected else {
                    job.stoppedAt = "hole after batch \(job.last): next entry is batch \(sequence)"
                    break
                }
                do {
                    try job.replay.apply(batch: bytes, source: self.shipper.keys.log(node: job.node) + " entry \(sequence)-0")
                } catch {
                    job.stoppedAt = "batch \(sequence): \(error)"
                    self.logger.error("cluster-takeover-bad-batch", metadata: [
                        "node": "\(job.node)", "batch": "\(sequence)", "error": "\(error)",
                        "effect": "the replay stops before it; what came before is adopted"])
                    break
                }
                job.last = sequence
                job.expected = sequence + 1
            }
            if job.stoppedAt != nil || entries.count < Self.chunk {
                self.readingDone(job)
            } else {
                self.readNext(job)
            }
        }
    }

    private func readingDone(_ job: Job) {
        job.readingDone = true
        guard job.last > 0 else { return abandon(job, job.stoppedAt ?? "the log holds no batch from its base") }
        let recovered = job.replay.finish()
        job.recovered = recovered
        var routedUpstream = Set(recovered.pendingOutbound.map(\.id.rawValue))
        for m in recovered.upstreamMappings { routedUpstream.insert(m.id.rawValue) }
        var seen = Set<UInt64>()
        for (id, _) in recovered.pendingReceipts where seen.insert(id.rawValue).inserted { job.records.append(id) }
        _ = job.scratch.forEachRecord(from: 0, limit: .max) { r in
            guard !r.state.isFinal, !routedUpstream.contains(r.id.rawValue) else { return }
            job.nonFinal.append(r.id)
            if seen.insert(r.id.rawValue).inserted { job.records.append(r.id) }
        }
    }

    private func abandon(_ job: Job, _ why: String) {
        logger.error("cluster-takeover-refused", metadata: [
            "node": "\(job.node)", "reason": "\(why)", "effect": "nothing adopted; its pending work waits for its restart"])
        self.job = nil
    }

    // MARK: 2. Adopting, a step per turn

    /// Before sleep (MessageService.journalTurnWork): a step of the adoption, or the finish
    /// once it is durable.
    func turn() {
        guard let job, job.readingDone, let recovered = job.recovered,
              let durable = service.durable else { return }
        if !job.adopted {
            adoptStep(job, recovered, durable)
            return
        }
        guard !job.finishing, durable.journal.durableSequence >= job.waitingFor else { return }
        job.finishing = true
        shipper.finishTakeover(node: job.node, through: job.last) { [weak self] ok in
            guard let self, self.job === job else { return }
            self.job = nil
            if ok {
                self.completed += 1
                var line: Logger.Metadata = [
                    "node": "\(job.node)", "records": "\(recovered.recordsReplayed)", "batches": "\(recovered.scan.batches)",
                    "through_batch": "\(job.last)", "pending_receipts": "\(recovered.pendingReceipts.count)",
                    "pending_mo": "\(recovered.pendingMO.count)", "non_final": "\(job.nonFinal.count)",
                    "ms": "\(monotonicMillis() - job.startedMs)",
                ]
                if let stopped = job.stoppedAt { line["stopped"] = "\(stopped)" }
                self.logger.notice("cluster-takeover", metadata: line)
            } else {
                self.logger.warning("cluster-takeover-unfinished", metadata: [
                    "node": "\(job.node)", "reason": "the claim was lost before the finish (or Redis failed)",
                    "effect": "what was adopted stays here; the log stays in Redis for another try (deliveries at least once)"])
            }
        }
    }

    private func adoptStep(_ job: Job, _ recovered: RecoveredStore, _ durable: DurableState) {
        let journal = durable.journal
        var budget = Self.adoptPerTurn
        while budget > 0, job.r < job.records.count {
            if let r = job.scratch.record(job.records[job.r]) {
                service.memoryStore.restore(r, journalBase: journal.openSequence)
                journal.snapshot(r)
            }
            job.r += 1
            budget -= 1
        }
        while budget > 0, job.receipts < recovered.pendingReceipts.count {
            let (id, state) = recovered.pendingReceipts[job.receipts]
            if var r = service.store.record(id) {
                journal.receiptQueued(id, state: state)
                r.state = state
                service.router.enqueue(.receipt(r), forAccount: r.systemID)
            }
            job.receipts += 1
            budget -= 1
        }
        while budget > 0, job.mo < recovered.pendingMO.count {
            let (account, message) = recovered.pendingMO[job.mo]
            service.router.enqueue(.mobileOriginated(message), forAccount: account)
            job.mo += 1
            budget -= 1
        }
        while budget > 0, job.carrier < job.nonFinal.count {
            durable.carrierBacklog.append(job.nonFinal[job.carrier])
            job.carrier += 1
            budget -= 1
        }
        if job.carrier == job.nonFinal.count && job.mo == recovered.pendingMO.count
            && job.receipts == recovered.pendingReceipts.count && job.r == job.records.count {
            job.adopted = true
            journal.counters(lastMessageID: 0, lastMOID: 0)   // so that the batch exists
            job.waitingFor = journal.requiredCommit
        }
    }
}
