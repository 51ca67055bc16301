// The messaging service's side of forwarding (issue 12): accepting a message for a carrier
// upstream, and what the carriers' answers, receipts and MO mean for the store, the journal
// and the client. The bookkeeping (which message is where) is UpstreamForwarding's.
//
// Durability across the hop: the message's body is staged in the journal with its record
// (`outbound`) and leaves for the service only once that batch is durable; the carrier's
// acceptance and its id are staged as `handedUp`; a receipt or MO from upstream is
// acknowledged upstream only once the change it caused is durable (the OutputGate holds the
// carrier's deliver_sm_resp like any response). A message accepted upstream whose
// `handedUp` did not reach the disk before a crash is sent again after the restart: the
// service may see it twice (docs/upstream.md lists that window with the carriers' own).
import Reactor
import SMPP
import Store
import Upstream

/// Makes the carrier of a `[[carrier]]` definition (nil for the simulator, which is the pool).
typealias UpstreamCarrierFactory = (CarrierDefinition, EventLoop) throws(RouteError) -> UpstreamCarrier?

extension MessageService {
    /// Builds the forwarding when the config names carriers or routes (else nil: the submit
    /// path asks one nil check).
    static func makeForwarding(settings: MessagingSettings, loop: EventLoop, factory: UpstreamCarrierFactory,
                               toSimulator: @escaping (OutboundMessage) -> Bool,
                               isAwaiting: @escaping (UInt64) -> Bool) throws(RouteError) -> UpstreamForwarding? {
        guard !settings.routes.isEmpty else { return nil }
        var carriers: [UpstreamCarrier] = []
        for def in settings.carriers {
            if case .simulator = def.kind { continue }
            guard let c = try factory(def, loop) else { continue }
            carriers.append(c)
        }
        let table = try RouteTable(routes: settings.routes, carrierNames: carriers.map(\.name))
        return UpstreamForwarding(loop: loop, carriers: carriers, routes: table, toSimulator: toSimulator, isAwaiting: isAwaiting)
    }

    /// Accepts a validated message for the carriers of `route` (the caller checked rate and
    /// credits). It counts as forwarded at once: cancel_sm answers ESME_RCANCELFAIL.
    func submitUpstream(_ fields: SubmitFields, _ v: ValidatedSubmit, runtime rt: AccountRuntime, route: ResolvedRoute,
                        forwarding: UpstreamForwarding, now t: Int64) -> SubmitOutcome {
        let id = ids.next()
        let record = MessageRecord(
            id: id, systemID: rt.systemIDBytes, source: v.source, destination: v.destination,
            dataCoding: v.coding, registeredDelivery: v.registeredDelivery, receiptText: v.receiptText,
            submitTime: t, validityDeadline: v.validityDeadlineMs, forwardDeadline: t,
            concatenation: v.concatenation)
        switch store.insert(record) {
        case .inserted: break
        case .full, .duplicateID: return .refused(.ESME_RMSGQFUL)
        }
        // As the store clamps it (MessageStoreConfiguration.maximumValidityMillis).
        let validity = min(v.validityDeadlineMs ?? .max, t + settings.maxValidityMs)
        var sar: SARFields? = nil
        if let ref = fields.tlvs.sarMsgRefNum, let total = fields.tlvs.sarTotalSegments, let seq = fields.tlvs.sarSegmentSeqnum {
            sar = SARFields(reference: ref, total: total, sequence: seq)
        }
        let message = OutboundMessage(
            id: id.rawValue, systemID: rt.systemID,
            sourceTon: v.source.ton, sourceNpi: v.source.npi, source: v.source.digits.description,
            destinationTon: v.destination.ton, destinationNpi: v.destination.npi, destination: v.destination.digits.description,
            esmClass: fields.esmClass, protocolID: fields.protocolID, priority: fields.priorityFlag, dataCoding: fields.dataCoding,
            shortMessage: fields.shortMessage.makeArray(), messagePayload: fields.tlvs.messagePayload?.makeArray(), sar: sar,
            submitTimeMs: t, validityDeadlineMs: validity)
        var commit: UInt64 = 0
        if let durable {
            durable.journal.outbound(id, length: OutboundMessageCodec.length(of: message)) { OutboundMessageCodec.encode(message, into: $0) }
            commit = durable.journal.requiredCommit
        }
        ledgers.charge(rt, v.segments)
        if rt.ledger.isLeased { cluster?.leases.spent(rt) }
        forwarding.admit(message, route: route, commit: commit)
        return .accepted(id)
    }

    /// A message routed upstream that a route hands to the simulator (failover): the pool
    /// draws its fate like any other's.
    func sendToSimulator(_ m: OutboundMessage) -> Bool {
        guard let r = store.record(MessageID(rawValue: m.id)), !r.state.isFinal else { return true }
        guard submitToCarrierPool(r) else { return false }
        // Journaled as handed to the simulator: after a restart the pool draws it again (its
        // draw is the same), rather than a carrier upstream getting it too.
        durable?.journal.handedUp(r.id, carrier: CarrierDefinition.simulatorName, upstreamID: "")
        return true
    }

    /// The final (or ACCEPTED) state a carrier reported for `id`: stored, receipt queued.
    func applyUpstreamState(_ id: UInt64, state: MessageState, errorCode: UInt16) {
        if let r = store.finishReturningReceipt(MessageID(rawValue: id), state: state, errorCode: errorCode, now: now).receipt {
            router.enqueue(.receipt(r), forAccount: r.systemID)
        }
    }

    /// An MO from upstream for the account owning its destination number.
    func deliverUpstreamMO(_ mo: UpstreamMO) -> UpstreamDeliveryAnswer {
        let digits = mo.destination.hasPrefix("+") ? String(mo.destination.dropFirst()) : mo.destination
        guard let systemID = accountOwning(number: digits) else { return .refused }
        if journalIsFailing { return .retryLater }
        let id = nextMOID
        nextMOID += 1
        let m = MobileOriginatedMessage(
            source: StoredAddress(ShortBytes(truncating: mo.source.utf8), ton: mo.sourceTon, npi: mo.sourceNpi),
            destination: StoredAddress(ShortBytes(truncating: digits.utf8)),
            dataCoding: DataCoding(rawValue: mo.dataCoding), shortMessage: mo.text, esmClass: mo.esmClass & 0x40, id: id)
        return router.enqueue(.mobileOriginated(m), forAccount: ShortBytes(truncating: systemID.utf8)) ? .taken : .retryLater
    }

    // MARK: Durability

    /// Recovery: a message no carrier had accepted goes upstream again; one a carrier had
    /// accepted waits for its receipt under the carrier's id.
    func resumeUpstream(_ recovered: RecoveredStore) -> Set<UInt64> {
        var resumed = Set<UInt64>()
        guard let forwarding else { return resumed }
        for (id, body) in recovered.pendingOutbound {
            guard let m = OutboundMessageCodec.decode(id: id.rawValue, body), let r = store.record(id),
                  let rt = ledgers.runtime(systemID: m.systemID) else { continue }
            let route = forwarding.route(account: rt.index, systemID: m.systemID, destination: r.destination.digits)
            guard !route.startsWithSimulator else { continue }   // re-routed to the simulator since: the pool takes it
            forwarding.admit(m, route: route, commit: 0)
            resumed.insert(id.rawValue)
        }
        for (id, carrier, upstreamID) in recovered.upstreamMappings where carrier != CarrierDefinition.simulatorName {
            forwarding.restoreMapping(id: id.rawValue, carrier: carrier, upstreamID: UpstreamID(upstreamID))
            resumed.insert(id.rawValue)
        }
        return resumed
    }

    /// Compaction, after the records: up to `limit` of the bodies no carrier accepted yet and
    /// of the carriers' ids still awaited, as they are now; true once all are copied. (What
    /// changes meanwhile is journaled as it happens, into segments the pass keeps.)
    func compactUpstream(_ journal: StoreJournal, _ copy: inout UpstreamCompactionCopy, limit: Int) -> Bool {
        guard let forwarding else { return true }
        var budget = limit
        while budget > 0, copy.next < copy.unanswered.count {
            let id = copy.unanswered[copy.next]
            copy.next += 1
            budget -= 1
            guard let u = forwarding.unanswered[id] else { continue }   // answered since
            journal.outbound(MessageID(rawValue: id.raw), length: OutboundMessageCodec.length(of: u.message)) {
                OutboundMessageCodec.encode(u.message, into: $0)
            }
        }
        while budget > 0, copy.nextAwaited < copy.awaited.count {
            let (c, upstreamID, id) = copy.awaited[copy.nextAwaited]
            copy.nextAwaited += 1
            budget -= 1
            guard forwarding.isAwaited(id, carrier: c, upstreamID: upstreamID) else { continue }
            journal.handedUp(MessageID(rawValue: id), carrier: forwarding.carriers[c].name, upstreamID: upstreamID.description)
        }
        return copy.next == copy.unanswered.count && copy.nextAwaited == copy.awaited.count
    }
}

/// A compaction pass's copy of the forwarding's state: the keys as they were when the pass
/// reached them (a copy of the keys, not of the bodies), walked a step per loop turn.
struct UpstreamCompactionCopy {
    let unanswered: [ForwardedID]
    let awaited: [(carrier: Int, upstreamID: UpstreamID, id: UInt64)]
    var next = 0
    var nextAwaited = 0

    init(_ forwarding: UpstreamForwarding) {
        unanswered = Array(forwarding.unanswered.keys)
        awaited = forwarding.awaitedEntries
    }
}

/// The carriers' reports, on the loop thread. It holds the service strongly (an unowned
/// reference costs a checked retain per call) and the carriers hold it: MessageService.stop()
/// breaks that cycle.
final class UpstreamDelegate: UpstreamCarrierDelegate {
    let service: MessageService
    init(service: MessageService) { self.service = service }

    private func index(_ carrier: UpstreamCarrier) -> Int? {
        service.forwarding?.carriers.firstIndex { $0 === carrier }
    }

    func carrier(_ carrier: UpstreamCarrier, accepted id: UInt64, upstreamID: UpstreamID) {
        guard let f = service.forwarding, let c = index(carrier), f.accepted(carrier: c, id: id, upstreamID: upstreamID) else { return }
        service.durable?.journal.handedUp(MessageID(rawValue: id), carrier: carrier.name, upstreamID: upstreamID.description)
    }

    func carrier(_ carrier: UpstreamCarrier, refused id: UInt64, state: MessageState, errorCode: UInt16) {
        service.forwarding?.refused(id: id)
        service.applyUpstreamState(id, state: state, errorCode: errorCode)
    }

    func carrier(_ carrier: UpstreamCarrier, returned messages: [OutboundMessage]) {
        guard let c = index(carrier) else { return }
        service.forwarding?.returned(carrier: c, messages)
    }

    func carrier(_ carrier: UpstreamCarrier, receiptFor upstreamID: UpstreamID, state: MessageState, errorCode: UInt16) -> UpstreamDeliveryAnswer {
        guard !service.journalIsFailing, let f = service.forwarding, let c = index(carrier) else { return .retryLater }
        guard let id = f.messageID(carrier: c, upstreamID: upstreamID, final: state.isFinal) else {
            return unknownReceipt(upstreamID)
        }
        service.applyUpstreamState(id, state: state, errorCode: errorCode)
        service.holdNextResponse()   // the deliver_sm_resp upstream leaves once this is durable
        return .taken
    }

    /// Ids unknown when their receipt came, and when that first was (the loop's ms).
    private var unknownSince: [UpstreamID: Int64] = [:]
    /// Past this, an id still unknown will stay so: a receipt overtakes the answer naming its
    /// id by milliseconds, not seconds.
    static let unknownGiveUpMs: Int64 = 10_000
    static let unknownTracked = 100_000

    /// A receipt for an id the forwarding does not know. It may not be known *yet* (it can
    /// overtake, on another session, the submit_sm_resp that names it): the service is asked
    /// to deliver it again. An id still unknown when it comes again after unknownGiveUpMs
    /// never will be (a receipt delivered again for a message already final, or ended here):
    /// it is acknowledged, so that the service stops.
    private func unknownReceipt(_ upstreamID: UpstreamID) -> UpstreamDeliveryAnswer {
        let now = service.loop.nowMilliseconds
        if let first = unknownSince[upstreamID] {
            guard now - first >= Self.unknownGiveUpMs else { return .retryLater }
            unknownSince[upstreamID] = nil
            return .taken
        }
        if unknownSince.count >= Self.unknownTracked { unknownSince.removeAll(keepingCapacity: true) }
        unknownSince[upstreamID] = now
        return .retryLater
    }

    func carrier(_ carrier: UpstreamCarrier, mobileOriginated mo: UpstreamMO) -> UpstreamDeliveryAnswer {
        let answer = service.deliverUpstreamMO(mo)
        if answer == .taken { service.holdNextResponse() }
        return answer
    }
}
