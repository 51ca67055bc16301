// The message side of the SMSC: the store, credits and rates, the carrier pool and the
// deliver_sm queue (CONTRACT §4–§8). Loop thread only — the store and the delivery queue are
// owned here; the carrier workers reach the loop only through their event queue and doorbell.
import Carrier
import Logging
import Reactor
import SMPP
import Store

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
    public init() {}
}

/// An account's live counters (its ledger) and its index for the carrier. A class so a bound session can keep a reference to it
/// (BoundAccount.runtime) and the submit path finds it without hashing the system_id.
/// A reload keeps the object for an account that stays and marks a removed one inactive.
final class AccountRuntime {
    var ledger: AccountLedger
    let index: UInt32
    /// The system_id as the store keeps it (made once here, not per submit).
    let systemIDBytes: ShortBytes
    var isActive = true
    /// Charged since the journal last recorded its credits (durable mode).
    var creditsUnjournaled = false

    init(ledger: AccountLedger, index: UInt32, systemIDBytes: ShortBytes) {
        self.ledger = ledger
        self.index = index
        self.systemIDBytes = systemIDBytes
    }
}

final class MessageService {
    let loop: EventLoop
    let logger: Logger
    private(set) var settings: MessagingSettings
    let store: MemoryMessageStore
    let deliveries: DeliveryQueue
    var ids: MessageIDGenerator
    /// A `let`: as an implicitly unwrapped var it cost a retain and a release per access, two
    /// per submit_sm (callgrind).
    let carrier: CarrierPool
    private let carrierDoorbell: Doorbell
    private let model: CarrierModel
    let metrics: Metrics
    private(set) var runtimes: [String: AccountRuntime] = [:]
    private var accountsByIndex: [UInt32: Account] = [:]
    private var nextAccountIndex: UInt32 = 0
    private var housekeeping: LoopTimer!
    /// Receiver-capable sessions of one account, in bind order, and the round-robin cursor.
    /// A class, so pump finds it with one hash and mutates it in place.
    final class ReceiverGroup {
        var sessions: [Session] = []
        var cursor = 0
    }
    private var receivers: [ShortBytes: ReceiverGroup] = [:]
    var nextMOID: UInt64 = 1
    /// Durable mode's journal and flush gate (MessageService+Journal.swift); nil in memory mode.
    var durable: DurableState?

    init(loop: EventLoop, settings: MessagingSettings, accounts: [Account], logger: Logger, metrics: Metrics) {
        self.loop = loop
        self.settings = settings
        self.logger = logger
        self.metrics = metrics
        store = MemoryMessageStore(configuration: MessageStoreConfiguration(
            capacity: settings.maxRecords, maximumValidityMillis: settings.maxValidityMs))
        deliveries = DeliveryQueue(configuration: PendingDeliveriesConfiguration(
            maximumCountPerAccount: settings.queueMax, maximumAgeMillis: settings.queueMaxAgeMs,
            retry: RetryPolicy(initialBackoffMillis: settings.retryInitialMs, maximumBackoffMillis: settings.retryMaxMs,
                               maximumAttempts: settings.deliveryMaxAttempts)))
        ids = MessageIDGenerator(startUnixMillis: realtimeMillis())
        // (durable mode replaces it in openJournal, with the journal's largest id as floor)
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
    /// (ev_now). A clock_gettime per call was 4 % of the loop thread at 500k submits/s (perf);
    /// the cached value lags by at most one iteration (~1-2 ms under full load).
    var now: Int64 { loop.nowMilliseconds }

    func stop() {
        carrier.stop()
        housekeeping.cancel()
        closeJournal()
    }

    // MARK: Accounts

    func updateAccounts(_ accounts: [Account]) {
        let t = realtimeMillis()
        var next: [String: AccountRuntime] = [:]
        for a in accounts {
            if let old = runtimes[a.systemID] {
                old.ledger = old.ledger.reloaded(credits: a.credits, submitRate: a.submitRate, nowMs: t)
                next[a.systemID] = old
            } else {
                next[a.systemID] = AccountRuntime(ledger: AccountLedger(credits: a.credits, submitRate: a.submitRate, nowMs: t),
                                                  index: nextAccountIndex, systemIDBytes: ShortBytes(truncating: a.systemID.utf8))
                nextAccountIndex += 1
            }
            accountsByIndex[next[a.systemID]!.index] = a
        }
        for (systemID, old) in runtimes where next[systemID] == nil { old.isActive = false }
        runtimes = next
        applyBackgroundMO()
    }

    private func applyBackgroundMO() {
        var rates: [(accountIndex: UInt32, perSecond: Double, accountNumber: UInt64)] = []
        for (systemID, rt) in runtimes {
            guard let a = accountsByIndex[rt.index], a.systemID == systemID, a.moRate > 0,
                  let n = a.defaultNumber, let parsed = E164.parse(n) else { continue }
            rates.append((rt.index, a.moRate, parsed.number))
        }
        carrier.setBackgroundMO(rates: rates)
    }

    func creditsLeft(_ systemID: String) -> Int? { runtimes[systemID]?.ledger.creditsLeft }

    /// The runtime of a bound session's account: the one it keeps, else (first submit, or its
    /// account was reloaded away and back) looked up by name and kept. nil: no such account.
    private func runtime(of bound: BoundAccount) -> AccountRuntime? {
        if let rt = bound.runtime, rt.isActive { return rt }
        bound.runtime = runtimes[bound.value.systemID]
        return bound.runtime
    }

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
        switch model.verdict(forDestination: v.destinationNumber) {
        case .accept: break
        case .submitFail: return .refused(.ESME_RSUBMITFAIL)
        case .throttled: return .refused(.ESME_RTHROTTLED)
        case .queueFull: return .refused(.ESME_RMSGQFUL)
        }
        // The session keeps its account's runtime: no hash of the system_id per submit.
        guard let rt = runtime(of: bound) else { return .refused(.ESME_RSYSERR) }
        guard rt.ledger.admitSubmit(nowMs: t) else { return .refused(.ESME_RTHROTTLED) }
        guard rt.ledger.hasCredits(v.segments) else { return .refused(.ESME_RSUBMITFAIL) }
        guard carrier.submissionQueueDepth < carrier.submissionCapacity else { return .refused(.ESME_RMSGQFUL) }
        let id = ids.next()
        let hold = model.holdMs(forDestination: v.destinationNumber)
        // The store's clamp, applied here too, so the journal records the deadline it keeps.
        let longest = t + settings.maxValidityMs
        let record = MessageRecord(
            id: id, systemID: rt.systemIDBytes, source: v.source, destination: v.destination,
            dataCoding: v.coding, registeredDelivery: v.registeredDelivery, receiptText: v.receiptText,
            submitTime: t, validityDeadline: min(v.validityDeadlineMs ?? longest, longest),
            forwardDeadline: hold > 0 ? t + hold : .max, concatenation: v.concatenation)
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
        rt.ledger.charge(v.segments)
        if let durable {
            durable.journal.insert(record, credits: v.segments)
            durable.gate.require(durable.journal.openSequence)
            if !rt.creditsUnjournaled && rt.ledger.creditsLeft != nil {
                rt.creditsUnjournaled = true
                durable.chargedAccounts.append(rt)
            }
        }
        return .accepted(id)
    }

    // MARK: query_sm / cancel_sm (C-MGT-*)

    func lookup(_ idBytes: BytesView, account: Account) -> MessageRecord? {
        guard let id = idBytes.withUnsafeBytes({ MessageID(parsing: $0, format: settings.idFormat) }) else { return nil }
        return store.lookup(id, systemID: ShortBytes(truncating: account.systemID.utf8))
    }

    func cancel(_ idBytes: BytesView, account: Account) -> CommandStatus {
        guard let id = idBytes.withUnsafeBytes({ MessageID(parsing: $0, format: settings.idFormat) }) else { return .ESME_RCANCELFAIL }
        // The workers publish how far they have taken the queue instead of reporting each
        // message (CarrierPool.hasTaken); the store applies the hold rule.
        switch store.cancel(id, systemID: ShortBytes(truncating: account.systemID.utf8), now: now,
                            carrierHasTaken: carrier.hasTaken(messageID: id.rawValue)) {
        case .cancelled(let record):
            journalStatus(of: record, receiptQueued: record.wantsReceiptNotice(for: .deleted))
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
            journalStatus(of: r, receiptQueued: r.wantsReceiptNotice(for: state))
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
        if let durable, durable.journal.failureErrno != 0 { return .storeFailing }
        let id = nextMOID
        nextMOID += 1
        let mo = MobileOriginatedMessage(source: source, destination: destination, dataCoding: coding, shortMessage: text, id: id)
        let key = ShortBytes(truncating: account.systemID.utf8)
        journalMO(mo, account: key)
        guard enqueue(.mobileOriginated(mo), forAccount: key) else { return .queueFull }
        return .queued(id: "mo-\(id)")
    }

    // MARK: Carrier events

    /// Carrier events handled per doorbell: those waiting when it rang, not the ones that keep
    /// arriving meanwhile (at 300k messages/s the workers never stop), so the loop gets back
    /// to its sockets; at least a few hundred, so a backlog drains quickly. A fixed, smaller
    /// limit fell behind at full load and the full queue refused submits (ESME_RMSGQFUL).
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
    /// thousands of messages ago: at full load both are cache misses (the record's was 6 % of
    /// the loop thread in perf). So the group's loads are all started first, to overlap, and
    /// the outcomes applied after.
    private func applyPendingOutcomes(now t: Int64) {
        guard !pendingOutcomes.isEmpty else { return }
        for o in pendingOutcomes { store.prefetchIndexEntry(o.id) }
        for o in pendingOutcomes { store.prefetchRecord(o.id) }
        for o in pendingOutcomes {
            // Not moved: cancelled meanwhile, or already final (refused). No receipt: not wanted.
            let applied = store.finishReturningReceipt(o.id, state: o.state, errorCode: o.errorCode, now: t)
            guard applied.moved else { continue }
            if let durable {
                durable.journal.status(o.id, state: o.state, isForwarded: applied.isForwarded, finalTime: applied.finalTime,
                                       errorCode: applied.errorCode, receiptQueued: applied.receipt != nil)
                durable.gate.require(durable.journal.openSequence)
            }
            if let r = applied.receipt { enqueue(.receipt(r), forAccount: r.systemID) }
        }
        pendingOutcomes.removeAll(keepingCapacity: true)
    }

    private func handle(_ mo: CarrierMO) {
        guard let account = accountsByIndex[mo.accountIndex] else { return }
        let id = nextMOID
        nextMOID += 1
        let m = MobileOriginatedMessage(
            source: StoredAddress(ShortBytes(truncating: String(mo.source).utf8)),
            destination: StoredAddress(ShortBytes(truncating: String(mo.destination).utf8)),
            dataCoding: DataCoding(rawValue: mo.dataCoding), shortMessage: mo.text, id: id)
        let key = ShortBytes(truncating: account.systemID.utf8)
        journalMO(m, account: key)
        enqueue(.mobileOriginated(m), forAccount: key)
    }

    private func receiptIfWanted(_ r: MessageRecord, state: MessageState) {
        guard r.wantsReceiptNotice(for: state) else { return }
        enqueue(.receipt(r), forAccount: r.systemID)
    }

    /// Queues one deliver_sm for the account and offers it at once. Keyed by the stored
    /// system_id bytes, so the receipt path makes no String. False: not queued (queue full).
    @discardableResult
    func enqueue(_ payload: DeliveryPayload, forAccount key: ShortBytes) -> Bool {
        var queued = true
        switch deliveries.enqueue(payload, for: key, now: now, commit: durable?.gate.required ?? 0) {
        case .queued: break
        case .queuedDroppingOldest(_, let dropped):
            durable?.journal.deliveryDone(dropped)
            logger.warning("deliver-dropped", metadata: ["system_id": "\(key)", "reason": "queue-full-oldest"])
        case .droppedNewest:
            durable?.journal.deliveryDone(payload)
            logger.warning("deliver-dropped", metadata: ["system_id": "\(key)", "reason": "queue-full"])
            queued = false
        }
        pump(key)
        return queued
    }

    // MARK: deliver_sm routing (C-BIND-5, C-DLV-3..5)

    func receiverBound(_ s: Session, systemID: String) {
        let key = ShortBytes(truncating: systemID.utf8)
        let group = receivers[key] ?? ReceiverGroup()
        group.sessions.append(s)
        receivers[key] = group
        pump(key)
    }

    func receiverGone(_ s: Session, systemID: String) {
        let key = ShortBytes(truncating: systemID.utf8)
        receivers[key]?.sessions.removeAll { $0 === s }
        let returned = deliveries.requeue(holder: s.id, now: now) { [logger, durable] payload, reason in
            durable?.journal.deliveryDone(payload)
            logger.warning("deliver-dropped", metadata: ["system_id": "\(systemID)", "reason": "\(reason)"])
        }
        if returned > 0 { pump(key) }
    }

    /// Offers waiting deliver_sm to the account's receivers, round robin, within each window.
    func pump(_ key: ShortBytes) {
        guard let group = receivers[key], !group.sessions.isEmpty else { return }
        let sessions = group.sessions
        let t = now
        var start = group.cursor
        var idle = 0
        while idle < sessions.count {
            let s = sessions[start % sessions.count]
            start += 1
            guard s.hasDeliveryRoom(window: settings.deliveryWindow) else { idle += 1; continue }
            // Nothing due for the account means nothing for any of its sessions: stop here
            // (asking each session's turn again cost ~2,000 instructions a call).
            guard let d = deliveries.take(for: key, holder: s.id, now: t) else {
                start -= 1   // this session had its turn but got nothing: it goes first next time
                break
            }
            idle = 0
            if !s.sendDeliver(d, idFormat: settings.idFormat) {
                if case .dropped(let payload, _) = deliveries.nack(d.token, .temporary, now: t) {
                    durable?.journal.deliveryDone(payload)
                }
                idle += 1
            }
        }
        group.cursor = start % max(sessions.count, 1)
    }

    /// A deliver_sm_resp (or its timeout) for a delivery in flight.
    func deliveryAnswered(_ token: DeliveryToken, status: CommandStatus?, account: BoundAccount, submitTime: Int64?) {
        let t = now
        if status == .ESME_ROK {
            if let payload = deliveries.acknowledge(token) { durable?.journal.deliveryDone(payload) }
            if let st = submitTime { metrics.observeReceiptLatency(seconds: Double(t - st) / 1000) }
        } else {
            let temporary = status == nil || Self.temporaryStatuses.contains(status!)
            if case .dropped(let payload, let reason) = deliveries.nack(token, temporary ? .temporary : .permanent, now: t) {
                durable?.journal.deliveryDone(payload)
                logger.info("deliver-dropped", metadata: ["system_id": "\(account.value.systemID)", "reason": "\(reason)",
                                                          "status": "\(status?.name ?? "timeout")"])
            }
        }
        pump(account.systemIDBytes)
    }

    static let temporaryStatuses: Set<CommandStatus> = [.ESME_RMSGQFUL, .ESME_RTHROTTLED, .ESME_RSYSERR, .ESME_RX_T_APPN]

    // MARK: Housekeeping

    /// Once per loop iteration: wake the carrier for new submissions, and purge a few records
    /// past retention. Purging a little every iteration instead of 10,000 every 100 ms keeps
    /// each pause short (the 100 ms sweep still catches up when the loop is idle).
    private func beforeSleep() {
        journalTurnWork()   // recovered messages to the carrier, compaction: before the wake-up
        carrier.wakeWorkersIfNeeded()
        _ = store.purge(olderThan: now - settings.retentionMs, limit: Self.purgePerIteration)
        sealJournalTurn()   // last: the turn's changes go to the writer before output is flushed
    }

    static let purgePerIteration = 64

    private func sweep() {
        let t = now
        _ = store.expire(now: t, limit: 10_000) { record in
            journalStatus(of: record, receiptQueued: record.wantsReceiptNotice(for: .expired))
            receiptIfWanted(record, state: .expired)
        }
        _ = store.purge(olderThan: t - settings.retentionMs, limit: 10_000)
        _ = deliveries.expire(now: t) { [logger, durable] payload, reason in
            durable?.journal.deliveryDone(payload)
            logger.warning("deliver-dropped", metadata: ["reason": "\(reason)"])
        }
        for key in receivers.keys where deliveries.hasDue(for: key, now: t) {
            pump(key)
        }
        housekeeping.schedule(after: .milliseconds(100))
    }

    var submissionQueueDepth: Int { carrier.submissionQueueDepth }
    var eventQueueDepth: Int { carrier.eventQueueDepth }
}
