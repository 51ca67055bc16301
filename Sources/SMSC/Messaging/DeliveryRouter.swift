// DeliveryRouter: deliver_sm routing (C-BIND-5, C-DLV-3..5). Receipts and MO wait in the
// DeliveryStore per account and go to the account's receiver and transceiver sessions, round
// robin, each within its window; answers and timeouts come back here. Loop thread only.
import Logging
import Reactor
import SMPP
import Store

final class DeliveryRouter {
    private let loop: EventLoop
    private let logger: Logger
    private let metrics: Metrics
    private let window: Int
    private let idFormat: MessageIDFormat
    /// The queue (memory, or journaled in durable mode: see `replaceStore`).
    private(set) var deliveries: ActiveDeliveryStore

    /// Receiver-capable sessions of one account, in bind order, and the round-robin cursor.
    /// A class, so pump finds it with one hash and mutates it in place.
    final class ReceiverGroup {
        var sessions: [Session] = []
        var cursor = 0
    }
    private var receivers: [ShortBytes: ReceiverGroup] = [:]
    /// Cluster mode (issue 15): the memory queue, for deliveries that came from another node
    /// (their stream entry in Redis keeps them, not this node's journal).
    private var unjournaled: DeliveryQueue?
    /// Cluster mode: deliveries found for an account with no receiver here.
    var onStranded: ((ShortBytes) -> Void)?
    /// Cluster mode: a delivery is done here for good (acknowledged, dropped or shipped).
    var onDone: ((DeliveryPayload) -> Void)?
    /// Cluster mode: the set of accounts with a receiver here changed.
    var onReceiversChanged: ((Set<String>) -> Void)?

    init(loop: EventLoop, deliveries: ActiveDeliveryStore, window: Int, idFormat: MessageIDFormat, logger: Logger, metrics: Metrics) {
        self.loop = loop
        self.deliveries = deliveries
        self.window = window
        self.idFormat = idFormat
        self.logger = logger
        self.metrics = metrics
    }

    /// Durable mode: the same queue, now journaled (before any session binds).
    func replaceStore(_ store: ActiveDeliveryStore) { deliveries = store }

    private var now: Int64 { loop.nowMilliseconds }
    var nowMs: Int64 { loop.nowMilliseconds }

    /// Cluster mode: keep deliveries from other nodes in `memory`, outside the journal.
    func enableUnjournaled(_ memory: DeliveryQueue) { unjournaled = memory }

    /// Queues one deliver_sm for the account and offers it at once. Keyed by the stored
    /// system_id bytes, so the receipt path makes no String. False: not queued (queue full).
    @discardableResult
    func enqueue(_ payload: DeliveryPayload, forAccount key: ShortBytes) -> Bool {
        let queued = accepted(deliveries.enqueue(payload, for: key, now: now), key)
        pump(key)
        return queued
    }

    /// Cluster mode: deliveries from another node, queued in memory only (see `unjournaled`),
    /// then offered once. `notQueued` gets each one a full queue refused.
    func enqueueUnjournaled(_ payloads: [DeliveryPayload], forAccount key: ShortBytes, notQueued: (DeliveryPayload) -> Void) {
        for p in payloads {
            let result = unjournaled.map { $0.enqueue(p, for: key, now: now, commit: 0) } ?? deliveries.enqueue(p, for: key, now: now)
            if !accepted(result, key) { notQueued(p) }
        }
        pump(key)
    }

    /// Logs what a full queue dropped; whether the new delivery was queued.
    private func accepted(_ result: EnqueueResult<DeliveryPayload>, _ key: ShortBytes) -> Bool {
        switch result {
        case .queued:
            return true
        case .queuedDroppingOldest(_, let dropped):
            logDropped(.warning, ["system_id": "\(key)", "reason": "queue-full-oldest"])
            onDone?(dropped)
            return true
        case .droppedNewest:
            logDropped(.warning, ["system_id": "\(key)", "reason": "queue-full"])
            return false
        }
    }

    func hasReceivers(_ key: ShortBytes) -> Bool { !(receivers[key]?.sessions.isEmpty ?? true) }

    /// Cluster mode: a shipment reached another node's stream; its deliveries are done here.
    func acknowledgeShipped(_ token: DeliveryToken) {
        if let payload = deliveries.acknowledge(token) { onDone?(payload) }
    }

    /// Cluster mode: a shipment that could not go waits here again (not counted as an attempt:
    /// Redis being away must not use up a receipt's attempts).
    func returnShipment(holder: UInt64) {
        _ = deliveries.giveBack(holder: holder)
    }

    /// The accounts with a receiver bound here.
    private var receivingAccounts: Set<String> {
        Set(receivers.compactMap { $0.value.sessions.isEmpty ? nil : $0.key.description })
    }

    func receiverBound(_ s: Session, systemID: String) {
        let key = ShortBytes(truncating: systemID.utf8)
        let group = receivers[key] ?? ReceiverGroup()
        group.sessions.append(s)
        receivers[key] = group
        if group.sessions.count == 1, let onReceiversChanged { onReceiversChanged(receivingAccounts) }
        pump(key)
    }

    func receiverGone(_ s: Session, systemID: String) {
        let key = ShortBytes(truncating: systemID.utf8)
        receivers[key]?.sessions.removeAll { $0 === s }
        if receivers[key]?.sessions.isEmpty == true, let onReceiversChanged {
            receivers[key] = nil
            onReceiversChanged(receivingAccounts)
        }
        let returned = deliveries.requeue(holder: s.id, now: now) { [onDone] payload, reason in
            logDropped(.warning, ["system_id": "\(systemID)", "reason": "\(reason)"])
            onDone?(payload)
        }
        if returned > 0 || onStranded != nil { pump(key) }
    }

    /// Offers waiting deliver_sm to the account's receivers, round robin, within each window.
    func pump(_ key: ShortBytes) {
        guard let group = receivers[key], !group.sessions.isEmpty else {
            if let onStranded, deliveries.count(for: key) > 0 { onStranded(key) }
            return
        }
        let sessions = group.sessions
        let t = now
        var start = group.cursor
        var idle = 0
        while idle < sessions.count {
            let s = sessions[start % sessions.count]
            start += 1
            guard s.hasDeliveryRoom(window: window) else { idle += 1; continue }
            // Nothing due for the account means nothing for any of its sessions: stop here
            // rather than ask every other session in turn for the same empty answer.
            guard let d = deliveries.take(for: key, holder: s.id, now: t) else {
                start -= 1   // this session had its turn but got nothing: it goes first next time
                break
            }
            idle = 0
            if !s.sendDeliver(d, idFormat: idFormat) {
                _ = deliveries.nack(d.token, .temporary, now: t)
                idle += 1
            }
        }
        group.cursor = start % max(sessions.count, 1)
    }

    /// A deliver_sm_resp (or its timeout) for a delivery in flight.
    func deliveryAnswered(_ token: DeliveryToken, status: CommandStatus?, account: BoundAccount, submitTime: Int64?) {
        let t = now
        if status == .ESME_ROK {
            let payload = deliveries.acknowledge(token)
            if let onDone, let payload { onDone(payload) }
            if let st = submitTime { metrics.observeReceiptLatency(seconds: Double(t - st) / 1000) }
        } else {
            let temporary = status == nil || Self.temporaryStatuses.contains(status!)
            if case .dropped(let payload, let reason) = deliveries.nack(token, temporary ? .temporary : .permanent, now: t) {
                onDone?(payload)
                logDropped(.info, ["system_id": "\(account.value.systemID)", "reason": "\(reason)",
                                   "status": "\(status?.name ?? "timeout")"])
            }
        }
        pump(account.systemIDBytes)
    }

    /// One deliver-dropped line per reason per second at most, with how many were held back
    /// (a receiver far behind can drop hundreds of thousands in a burst).
    private var dropLogs: [String: RateLimitedLog] = [:]

    private func logDropped(_ level: Logger.Level, _ metadata: Logger.Metadata) {
        let reason = metadata["reason"].map { "\($0)" } ?? ""
        var limiter = dropLogs[reason] ?? RateLimitedLog(intervalMs: 1_000)
        let held = limiter.admit(nowMs: now)
        dropLogs[reason] = limiter
        guard let held else { return }
        var m = metadata
        if held > 0 { m["held_back"] = "\(held)" }
        logger.log(level: level, "deliver-dropped", metadata: m)
    }

    static let temporaryStatuses: Set<CommandStatus> = [.ESME_RMSGQFUL, .ESME_RTHROTTLED, .ESME_RSYSERR, .ESME_RX_T_APPN]

    /// Housekeeping: drops deliveries past their age limit and offers retries that fell due.
    func sweep(now t: Int64) {
        _ = deliveries.expire(now: t) { [onDone] payload, reason in
            logDropped(.warning, ["reason": "\(reason)"])
            onDone?(payload)
        }
        for key in receivers.keys where deliveries.hasDue(for: key, now: t) {
            pump(key)
        }
    }
}
