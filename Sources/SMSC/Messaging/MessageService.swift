// The message side of the SMSC (CONTRACT §4–§8): submit, query and cancel against the store,
// the carrier pool and its events, expiry and retention, and the admin API's message
// operations. It works through the store seam (MessageStore: memory or journaled) and hands
// the rest to its collaborators: AccountLedgers (credits and rates), DeliveryRouter (deliver_sm
// to receivers), and in durable mode the journal's turn (MessageService+Journal.swift).
// Loop thread only; the carrier workers reach the loop only through their event queue and
// doorbell.
import Carrier
import Logging
import Reactor
import SMPP
import Store
import Upstream

/// Tunables of messaging, from the [messages], [delivery] and [carrier] config tables.
public struct MessagingSettings: Sendable {
    public var idFormat: MessageIDFormat = .hex
    public var retentionMs: Int64 = 86_400_000
    public var maxRecords = 1_000_000
    public var holdMs: Int64 = 0
    public var maxValidityMs: Int64 = 172_800_000
    public var deliveryWindow = 16
    public var deliveryResponseTimeoutMs: Int64 = 10_000
    public var deliveryMaxAttempts = 10
    public var retryInitialMs: Int64 = 1_000
    public var retryMaxMs: Int64 = 60_000
    public var queueMax = 100_000
    public var queueMaxAgeMs: Int64 = 86_400_000
    public var carrier = CarrierSettings()
    /// `[[carrier]]` sections (the simulator is always there as "simulator") and `[[route]]`s.
    public var carriers: [CarrierDefinition] = []
    public var routes: [RouteDefinition] = []
    public init() {}
}

final class MessageService {
    let loop: EventLoop
    let logger: Logger
    private(set) var settings: MessagingSettings
    /// The records (memory, or journaled in durable mode: openJournal switches it).
    var store: ActiveMessageStore
    /// The in-memory store every implementation reads from; recovery fills it.
    let memoryStore: MemoryMessageStore
    /// The in-memory deliver_sm queue the router's store reads from; recovery fills it.
    let memoryDeliveries: DeliveryQueue
    let router: DeliveryRouter
    let ledgers = AccountLedgers()
    var ids: MessageIDGenerator
    /// The id generator's instance field: the node number in a cluster (0 alone).
    var idInstance: UInt8 = 0
    /// Cluster mode (MessageService+Cluster.swift); nil when the node runs alone.
    var cluster: ClusterState?
    /// A `let`: an implicitly unwrapped var costs a retain and a release per access, and the
    /// submit path reads it.
    let carrier: CarrierPool
    private let carrierDoorbell: Doorbell
    private let model: CarrierModel
    let metrics: Metrics
    private var housekeeping: LoopTimer!
    var nextMOID: UInt64 = 1
    /// Durable mode's journal and flush gate (MessageService+Journal.swift); nil in memory mode.
    var durable: DurableState?
    /// Forwarding to carriers upstream (MessageService+Upstream.swift); nil without routes.
    private(set) var forwarding: UpstreamForwarding?
    private var upstreamDelegate: UpstreamDelegate?
    /// Which account owns each number (digits): where an MO from upstream goes.
    private var numberOwners: [String: String] = [:]

    init(loop: EventLoop, settings: MessagingSettings, accounts: [Account], logger: Logger, metrics: Metrics) {
        self.loop = loop
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        memoryStore = MemoryMessageStore(configuration: MessageStoreConfiguration(
            capacity: settings.maxRecords, maximumValidityMillis: settings.maxValidityMs))
        store = ActiveMessageStore(.memory(memoryStore))
        memoryDeliveries = DeliveryQueue(configuration: PendingDeliveriesConfiguration(
            maximumCountPerAccount: settings.queueMax, maximumAgeMillis: settings.queueMaxAgeMs,
            retry: RetryPolicy(initialBackoffMillis: settings.retryInitialMs, maximumBackoffMillis: settings.retryMaxMs,
                               maximumAttempts: settings.deliveryMaxAttempts)))
        router = DeliveryRouter(loop: loop, deliveries: ActiveDeliveryStore(.memory(memoryDeliveries)), window: settings.deliveryWindow,
                                idFormat: settings.idFormat, logger: logger, metrics: metrics)
        // Durable mode replaces it in openJournal, with the journal's largest id as floor.
        ids = MessageIDGenerator(startUnixMillis: realtimeMillis())   // enableCluster sets the node's instance
        model = CarrierModel(settings: settings.carrier)
        // The pool rings the doorbell, and the doorbell calls drainCarrier on self, which does
        // not exist until every property is set: it goes through a relay pointed at self below.
        let relay = DrainRelay()
        let doorbell = Doorbell(loop: loop) { [relay] in relay.service?.drainCarrier() }
        carrierDoorbell = doorbell
        carrier = CarrierPool(settings: settings.carrier, doorbell: { [doorbell] in doorbell.ring() })
        relay.service = self
        updateAccounts(accounts)   // also hands the carrier the background MO rates
        carrierStart = carrier.start()
        if let code = carrierStart.threadError {
            // Fewer workers than configured: the carrier is slower. None at all: the daemon
            // refuses to start (Daemon checks carrierWorkersRunning).
            logger.error("carrier-workers-missing", metadata: [
                "started": "\(carrierStart.workersStarted)", "configured": "\(settings.carrier.workers)", "errno": "\(code)",
            ])
        }
        if let code = carrierStart.niceRefusedErrno {
            logger.warning("worker-nice-refused", metadata: [
                "nice": "\(carrierStart.requestedNice)", "errno": "\(code)",
                "hint": "the OS refused the carrier workers' nice value (a value below the daemon's needs CAP_SYS_NICE or RLIMIT_NICE); they keep the daemon's",
            ])
        }
        loop.addBeforeSleepHook { [weak self] in self?.beforeSleep() }
        housekeeping = LoopTimer(loop: loop) { [unowned self] in self.sweep() }
        housekeeping.schedule(after: .milliseconds(100))
    }
    /// What starting the carrier's worker threads gave (set in init, once they are started).
    private(set) var carrierStart = CarrierPool.StartReport(requestedNice: 0, niceRefusedErrno: nil, workersStarted: 0, threadError: nil)

    /// The doorbell's way to self (see init); loop thread only.
    private final class DrainRelay {
        weak var service: MessageService?
    }
    /// Loop thread: carrier outcomes drained and not yet applied (see applyPendingOutcomes).
    private var pendingOutcomes: [PendingOutcome] = []

    /// Wall-clock ms for records and deadlines: the loop's time, read once per iteration
    /// (ev_now), not a clock_gettime per call, which the submit path would pay per message;
    /// the cached value lags by at most one iteration.
    var now: Int64 { loop.nowMilliseconds }

    /// Builds the carriers and routes of the config and starts the carriers. Call once, before
    /// openJournal (recovery hands messages back to them).
    func enableForwarding(factory: UpstreamCarrierFactory) throws(RouteError) {
        precondition(forwarding == nil, "forwarding is enabled already")
        forwarding = try Self.makeForwarding(settings: settings, loop: loop, factory: factory,
                                             toSimulator: { [unowned self] m in self.sendToSimulator(m) },
                                             isAwaiting: { [unowned self] id in
                                                 self.store.record(MessageID(rawValue: id)).map { !$0.state.isFinal } ?? false
                                             })
        guard let forwarding else { return }
        let delegate = UpstreamDelegate(service: self)
        upstreamDelegate = delegate
        for c in forwarding.carriers {
            c.delegate = delegate
            c.start()
        }
    }

    func accountOwning(number digits: String) -> String? { numberOwners[digits] }

    func stop() {
        forwarding?.isStopping = true
        for c in forwarding?.carriers ?? [] {
            c.stop()
            c.delegate = nil   // the carriers and the delegate hold each other
        }
        upstreamDelegate = nil
        stopCluster()
        carrier.stop()
        housekeeping.cancel()
        closeJournal()
    }

    // MARK: Accounts

    func updateAccounts(_ accounts: [Account]) {
        ledgers.update(accounts, nowMs: realtimeMillis())
        carrier.setBackgroundMO(rates: ledgers.backgroundMORates)
        var owners: [String: String] = [:]
        for a in accounts {
            for n in a.numbers + (a.defaultNumber.map { [$0] } ?? []) {
                owners[n.hasPrefix("+") ? String(n.dropFirst()) : n] = a.systemID
            }
        }
        numberOwners = owners
        forwarding?.accountsChanged()
    }

    func creditsLeft(_ systemID: String) -> Int? { ledgers.creditsLeft(systemID) }

    // MARK: Submit (C-SUB-*)

    enum SubmitOutcome { case accepted(MessageID), refused(CommandStatus) }

    /// Validates, charges and stores one message and hands it to the carrier.
    func submit(_ fields: SubmitFields, account bound: BoundAccount) -> SubmitOutcome {
        let t = now
        // A journal that cannot write: nothing new is acknowledged until it can again.
        if let durable, durable.journal.failureErrno != 0 { return .refused(.ESME_RSYSERR) }
        let v: ValidatedSubmit
        switch SubmitValidator.validate(fields, rules: bound.sourceRules, nowMs: t) {
        case .valid(let ok): v = ok
        case .refused(let status): return .refused(status)
        }
        // The session keeps its account's runtime: no hash of the system_id per submit.
        guard let rt = ledgers.runtime(of: bound) else { return .refused(.ESME_RSYSERR) }
        if let forwarding {
            let route = forwarding.route(account: rt.index, systemID: rt.systemID, destination: v.destination.digits)
            if !route.startsWithSimulator {
                guard rt.ledger.admitSubmit(nowMs: t) else { return .refused(limitRefusal(rt, credits: false, now: t)) }
                guard rt.ledger.hasCredits(v.segments) else { return .refused(limitRefusal(rt, credits: true, now: t)) }
                return submitUpstream(fields, v, runtime: rt, route: route, forwarding: forwarding, now: t)
            }
        }
        // The simulator's test numbers (C-SIM-2), before anything is charged.
        switch model.verdict(forDestination: v.destinationNumber) {
        case .accept: break
        case .submitFail: return .refused(.ESME_RSUBMITFAIL)
        case .throttled: return .refused(.ESME_RTHROTTLED)
        case .queueFull: return .refused(.ESME_RMSGQFUL)
        }
        guard rt.ledger.admitSubmit(nowMs: t) else { return .refused(limitRefusal(rt, credits: false, now: t)) }
        guard rt.ledger.hasCredits(v.segments) else { return .refused(limitRefusal(rt, credits: true, now: t)) }
        guard carrier.submissionQueueDepth < carrier.submissionCapacity else { return .refused(.ESME_RMSGQFUL) }
        let id = ids.next()
        let hold = model.holdMs(forDestination: v.destinationNumber)
        let record = MessageRecord(
            id: id, systemID: rt.systemIDBytes, source: v.source, destination: v.destination,
            dataCoding: v.coding, registeredDelivery: v.registeredDelivery, receiptText: v.receiptText,
            submitTime: t, validityDeadline: v.validityDeadlineMs, forwardDeadline: hold > 0 ? t + hold : .max,
            concatenation: v.concatenation)
        switch store.insert(record) {
        case .inserted: break
        case .full, .duplicateID: return .refused(.ESME_RMSGQFUL)
        }
        let submission = CarrierSubmission(messageID: id.rawValue, accountIndex: rt.index, source: v.sourceNumber,
                                           destination: v.destinationNumber, submitTimeMs: t,
                                           validityDeadlineMs: v.validityDeadlineMs ?? 0,
                                           excerpt: CarrierExcerpt(packed: v.receiptText.packedWords, count: v.receiptText.count))
        guard carrier.trySubmit(submission) else {
            _ = store.finish(id, state: .rejected, errorCode: 0, now: t)
            return .refused(.ESME_RMSGQFUL)
        }
        ledgers.charge(rt, v.segments)
        if rt.ledger.isLeased { cluster?.leases.spent(rt) }
        return .accepted(id)
    }

    /// A submit over the account's rate or credits: ESME_RTHROTTLED / ESME_RSUBMITFAIL alone; in
    /// a cluster the lease decides (a refill on its way, the pool empty, Redis unreachable).
    func limitRefusal(_ rt: AccountRuntime, credits: Bool, now t: Int64) -> CommandStatus {
        if rt.ledger.isLeased, let cluster { return cluster.leases.refusal(rt, credits: credits, now: t) }
        return credits ? .ESME_RSUBMITFAIL : .ESME_RTHROTTLED
    }

    // MARK: query_sm / cancel_sm (C-MGT-*)

    func lookup(_ idBytes: BytesView, account: Account) -> MessageRecord? {
        guard let id = messageID(idBytes) else { return nil }
        return store.lookup(id, systemID: ShortBytes(truncating: account.systemID.utf8))
    }

    func cancel(_ idBytes: BytesView, account: Account) -> CommandStatus {
        guard let id = messageID(idBytes) else { return .ESME_RCANCELFAIL }
        return cancel(id, systemID: ShortBytes(truncating: account.systemID.utf8))
    }

    /// Parses a message_id as the client sent it (nil: not an id in the configured format).
    func messageID(_ idBytes: BytesView) -> MessageID? {
        idBytes.withUnsafeBytes { MessageID(parsing: $0, format: settings.idFormat) }
    }

    func cancel(_ id: MessageID, systemID: ShortBytes) -> CommandStatus {
        // The workers publish how far they have taken the queue instead of reporting each
        // message (CarrierPool.hasTaken); the store applies the hold rule.
        switch store.cancel(id, systemID: systemID, now: now, carrierHasTaken: carrier.hasTaken(messageID: id.rawValue)) {
        case .cancelled(let record):
            receiptIfWanted(record, state: .deleted)
            return .ESME_ROK
        default:
            return .ESME_RCANCELFAIL
        }
    }

    /// Admin: forces a final (or ACCEPTED) state now; the receipt follows as usual.
    enum ForceResult { case done(MessageRecord), notFound, alreadyFinal }
    func force(_ idText: String, state: MessageState, errorCode: UInt16) -> ForceResult {
        guard let id = MessageID(parsing: idText, format: settings.idFormat), store.record(id) != nil else { return .notFound }
        switch store.finish(id, state: state, errorCode: errorCode, now: now) {
        case .finished(let r), .updated(let r):
            if state.isFinal { forwarding?.forget(id.rawValue) }
            receiptIfWanted(r, state: state)
            return .done(r)
        case .notFound: return .notFound
        default: return .alreadyFinal
        }
    }

    /// What became of an MO injected through the admin API.
    enum MOInjection { case queued(id: String), queueFull, storeFailing }

    /// Admin: an MO for `account` (C-SIM-3): queued (in durable mode, staged in the journal:
    /// the caller answers once that batch is durable), or why not.
    func injectMO(account: Account, source: StoredAddress, destination: StoredAddress, coding: DataCoding, text: [UInt8]) -> MOInjection {
        if journalIsFailing { return .storeFailing }
        let id = nextMOID
        nextMOID += 1
        let mo = MobileOriginatedMessage(source: source, destination: destination, dataCoding: coding, shortMessage: text, id: id)
        guard router.enqueue(.mobileOriginated(mo), forAccount: ShortBytes(truncating: account.systemID.utf8)) else {
            return .queueFull
        }
        return .queued(id: "mo-\(id)")
    }

    // MARK: Carrier events

    /// Carrier events handled per doorbell: those waiting when it rang, not the ones that keep
    /// arriving meanwhile (at full load the workers never stop), so the loop gets back to its
    /// sockets; at least a few hundred, so a backlog drains quickly: a fixed, smaller limit
    /// falls behind at full load, and the full queue then refuses submits (ESME_RMSGQFUL).
    static let carrierEventsPerTurnMinimum = 512

    private func drainCarrier() {
        let t = now
        let limit = max(Self.carrierEventsPerTurnMinimum, carrier.eventQueueDepth)
        let handled = carrier.drainEvents(limit: limit) { event in
            switch event {
            case .outcome(let raw, let state, let err, _):
                pendingOutcomes.append(PendingOutcome(id: MessageID(rawValue: raw), state: state, errorCode: err))
                if pendingOutcomes.count == Self.outcomeGroup { applyPendingOutcomes(now: t) }
            case .mo(let mo):
                applyPendingOutcomes(now: t)   // in event order: an auto-reply follows its receipt
                handle(mo)
            }
        }
        applyPendingOutcomes(now: t)
        // More waiting: come back on the next iteration, after the sockets have had a turn.
        if handled == limit { carrierDoorbell.ring() }
    }

    /// A carrier outcome waiting in `pendingOutcomes` to be applied (plain values, so the group
    /// costs no reference counting).
    struct PendingOutcome {
        var id: MessageID
        var state: MessageState
        var errorCode: UInt16
    }

    /// Outcomes applied together: enough cache misses in flight to overlap, few enough that
    /// the first prefetched lines are still in L1 when they are used.
    static let outcomeGroup = 16

    /// An outcome's index bucket and record were last touched at submit, milliseconds and
    /// thousands of messages ago: at full load both are cache misses. So the group's loads
    /// are all started first, to overlap, and the outcomes applied after.
    private func applyPendingOutcomes(now t: Int64) {
        guard !pendingOutcomes.isEmpty else { return }
        for o in pendingOutcomes { store.prefetchIndexEntry(o.id) }
        for o in pendingOutcomes { store.prefetchRecord(o.id) }
        for o in pendingOutcomes {
            // No receipt: not wanted, or cancelled meanwhile / already final (refused).
            if let r = store.finishReturningReceipt(o.id, state: o.state, errorCode: o.errorCode, now: t).receipt {
                router.enqueue(.receipt(r), forAccount: r.systemID)
            }
        }
        pendingOutcomes.removeAll(keepingCapacity: true)
    }

    private func handle(_ mo: CarrierMO) {
        guard let account = ledgers.account(index: mo.accountIndex) else { return }
        let id = nextMOID
        nextMOID += 1
        let m = MobileOriginatedMessage(
            source: StoredAddress(ShortBytes(truncating: String(mo.source).utf8)),
            destination: StoredAddress(ShortBytes(truncating: String(mo.destination).utf8)),
            dataCoding: DataCoding(rawValue: mo.dataCoding), shortMessage: mo.text, id: id)
        router.enqueue(.mobileOriginated(m), forAccount: ShortBytes(truncating: account.systemID.utf8))
    }

    private func receiptIfWanted(_ r: MessageRecord, state: MessageState) {
        guard r.wantsReceiptNotice(for: state) else { return }
        router.enqueue(.receipt(r), forAccount: r.systemID)
    }

    // MARK: deliver_sm routing (DeliveryRouter)

    func receiverBound(_ s: Session, systemID: String) { router.receiverBound(s, systemID: systemID) }
    func receiverGone(_ s: Session, systemID: String) { router.receiverGone(s, systemID: systemID) }
    func deliveryAnswered(_ token: DeliveryToken, status: CommandStatus?, account: BoundAccount, submitTime: Int64?) {
        router.deliveryAnswered(token, status: status, account: account, submitTime: submitTime)
    }
    var deliveries: ActiveDeliveryStore { router.deliveries }

    // MARK: Housekeeping

    /// Once per loop iteration: wake the carrier for new submissions, and purge a few records
    /// past retention. Purging a little every iteration instead of 10,000 every 100 ms keeps
    /// each pause short (the 100 ms sweep still catches up when the loop is idle).
    private func beforeSleep() {
        clusterTurnWork()
        journalTurnWork()   // recovered messages to the carrier, compaction: before the wake-up
        carrier.wakeWorkersIfNeeded()
        _ = store.purge(olderThan: now - settings.retentionMs, limit: Self.purgePerIteration)
        sealJournalTurn()   // last: the turn's changes go to the writer before output is flushed
    }

    static let purgePerIteration = 64

    private func sweep() {
        let t = now
        _ = store.expire(now: t, limit: 10_000) { record in
            forwarding?.forget(record.id.rawValue)
            receiptIfWanted(record, state: .expired)
        }
        _ = store.purge(olderThan: t - settings.retentionMs, limit: 10_000)
        forwarding?.rebuildIfDue()
        router.sweep(now: t)
        cluster?.remote.sweep(now: t)
        cluster?.queries.sweep(now: t)
        housekeeping.schedule(after: .milliseconds(100))
    }

    var submissionQueueDepth: Int { carrier.submissionQueueDepth }
    var eventQueueDepth: Int { carrier.eventQueueDepth }
}
