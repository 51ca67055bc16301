// SMPPUpstream: the UpstreamCarrier that forwards to an upstream SMSC over SMPP, bound as an
// ESME. It owns the message queue, its sessions (UpstreamSession), the circuit breaker and
// the counters, and talks to the SMSC through the delegate. Loop thread only: create it, call
// it and let it call its delegate on the EventLoop it was made with.
//
// Delivery guarantee: a message is forwarded at least once. When a session is lost (closed,
// unbound, reset, a response timeout) its unanswered submit_sm go back to the front of the
// queue and are sent again on the next bound session; the upstream may have taken a message
// whose answer was lost, so a duplicate upstream is possible in that window. stop() and an
// opening circuit return unanswered messages to the SMSC, with the same possibility.

#if canImport(Glibc)
import Glibc
#endif
import Reactor
import SMPP

public final class SMPPUpstream: UpstreamCarrier {
    public let name: String
    public var kind: String { "smpp" }
    /// Strong: a weak reference would make every call load it through its side table. The
    /// owner breaks the cycle by setting it to nil when it stops the carrier.
    public var delegate: UpstreamCarrierDelegate?
    /// What happened, for the SMSC's log; loop thread, called synchronously.
    public var onEvent: ((SMPPUpstreamEvent) -> Void)?
    public let settings: SMPPUpstreamSettings
    public private(set) var counters = SMPPUpstreamCounters()

    let loop: EventLoop
    let endpoint: Endpoint
    let tls: TLSClientContext?
    let connectionOptions: ConnectionOptions
    let credentials: BindCredentials
    /// Output bytes a session keeps free of submits for its deliver_sm_resp and other answers.
    let responseReserveBytes = 8 * 1024

    private var sessions: [UpstreamSession] = []
    private var queue = MessageQueue()
    private var breaker: CircuitBreaker
    private var breakerTimer: LoopTimer?
    /// Sweeps expired messages out of the queue while nothing sends them.
    private var expiryTimer: LoopTimer?
    private var cursor = 0
    private var isStarted = false
    private var isStopped = false
    private var isPumping = false
    /// Set during a receipt/MO delegate call: the deliver_sm_resp must be the next write, so
    /// send() only queues meanwhile.
    private var isHoldingWrites = false
    private var common = UpstreamCarrierStats()

    /// A carrier for `settings`, on `loop`; nothing connects before start(). `tls`: the client
    /// context `makeTLSContext(settings)` made (used only when `settings.tls`).
    public init(name: String, settings: SMPPUpstreamSettings, loop: EventLoop, tls: TLSClientContext?) {
        self.name = name
        self.settings = settings
        self.loop = loop
        self.tls = settings.tls ? tls : nil
        endpoint = Endpoint(host: settings.host, port: UInt16(clamping: settings.port))
        var options = ConnectionOptions()
        // A handshake is answered by the upstream like any request.
        options.handshakeTimeout = .milliseconds(max(1, settings.responseTimeoutMs))
        // Room for a window of submits with message_payload, plus the answers' reserve.
        options.outputCapacityBytes = 128 * 1024
        connectionOptions = options
        credentials = BindCredentials(systemID: Array(settings.systemID.utf8), password: Array(settings.password.utf8),
                                      systemType: Array(settings.systemType.utf8))
        breaker = CircuitBreaker(settings.breaker)
        let count = max(1, settings.sessions)
        for i in 0..<count {
            switch settings.bindMode {
            case .transceiver:
                sessions.append(UpstreamSession(carrier: self, index: i, kind: .transceiver, settings: settings))
            case .pair:
                sessions.append(UpstreamSession(carrier: self, index: 2 * i, kind: .transmitter, settings: settings))
                sessions.append(UpstreamSession(carrier: self, index: 2 * i + 1, kind: .receiver, settings: settings))
            }
        }
    }

    /// The same, with the TLS context made from `settings` (throws as `makeTLSContext`).
    public convenience init(name: String, settings: SMPPUpstreamSettings, loop: EventLoop) throws(ReactorError) {
        self.init(name: name, settings: settings, loop: loop, tls: try Self.makeTLSContext(settings))
    }

    /// Where the system's CA bundle usually is (Debian/Ubuntu, RHEL/Fedora, Alpine/BSD/macOS).
    static let systemCAFiles = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]

    /// The TLS client context `settings` ask for: nil for plain TCP; no verification with
    /// tlsInsecure; else the chain verified against caFile, or the system's CA bundle (the
    /// host name is not checked: TLSClientContext verifies the chain only). Throws when the
    /// CA file does not load or no system bundle is found.
    public static func makeTLSContext(_ settings: SMPPUpstreamSettings) throws(ReactorError) -> TLSClientContext? {
        guard settings.tls else { return nil }
        if settings.tlsInsecure { return try TLSClientContext(verification: .none) }
        if let ca = settings.caFile { return try TLSClientContext(verification: .caFile(ca)) }
        guard let system = systemCAFiles.first(where: { access($0, R_OK) == 0 }) else {
            throw .tls("no ca-file set and no system CA bundle found (tried \(systemCAFiles.joined(separator: ", ")))")
        }
        return try TLSClientContext(verification: .caFile(system))
    }

    // MARK: UpstreamCarrier

    /// True while the circuit is closed (sessions bound, or none yet but still trying: messages
    /// wait in the queue until one binds) or half-open (the trial); false while it is open (no
    /// session is kept then: opening lets them all go) and after stop(). So a carrier with a
    /// bound session is always available.
    public var isAvailable: Bool { !isStopped && breaker.state != .open }

    public var stats: UpstreamCarrierStats {
        var s = common
        s.queued = queue.count
        s.inFlight = 0
        s.connections = 0
        for session in sessions {
            s.inFlight += session.window.count
            if session.isBound { s.connections += 1 }
        }
        s.circuit = breaker.state
        return s
    }

    public func start() {
        loop.assertOnLoopThread()
        guard !isStarted, !isStopped else { return }
        isStarted = true
        for s in sessions { s.start() }
    }

    public func send(_ message: OutboundMessage) {
        loop.assertOnLoopThread()
        guard !isStopped, breaker.state != .open else {
            delegate?.carrier(self, returned: [message])
            return
        }
        // A queue that already waits means no session can take more now: whatever frees room
        // (an answer, a bind, a drained output ring, a pause ending) pumps again.
        let wasEmpty = queue.isEmpty
        queue.pushBack(message)
        if wasEmpty { pump() }
    }

    public func stop() {
        loop.assertOnLoopThread()
        guard !isStopped else { return }
        isStopped = true
        breakerTimer?.cancel()
        expiryTimer?.cancel()
        for s in sessions { s.stop() }
        returnQueued()
    }

    // MARK: distribution

    /// Hands queued messages to the sessions that can send, round robin, each until its window
    /// or output ring is full. Not re-entered (a delegate that sends from inside a callback only
    /// queues; the loop below picks it up).
    func pump() {
        guard !isPumping, !isHoldingWrites, !queue.isEmpty, !isStopped, breaker.state != .open else { return }
        isPumping = true
        defer { isPumping = false }
        var tried = 0
        while !queue.isEmpty && tried < sessions.count {
            let session = sessions[cursor]
            if session.canSend { session.fill() }
            if queue.isEmpty { break }
            cursor = cursor + 1 == sessions.count ? 0 : cursor + 1
            tried += 1
        }
        if !queue.isEmpty { armExpirySweep() }
    }

    /// The next message to send, skipping (and refusing as EXPIRED) those past their validity.
    func nextMessage() -> OutboundMessage? {
        let now = loop.nowMilliseconds
        while let m = queue.popFront() {
            if m.validityDeadlineMs > 0 && now > m.validityDeadlineMs {
                expire(m)
                continue
            }
            return m
        }
        return nil
    }

    /// Submits a lost session left unanswered: sent again first (counted as retries).
    func requeueUnanswered(_ messages: [OutboundMessage]) {
        common.retries += UInt64(messages.count)
        requeueFront(messages)
    }

    /// Messages sent again first (a lost session's, one that did not fit the output ring).
    /// While stopped or open they go straight back to the SMSC instead: this can be reached
    /// from inside a delegate call that stopped the carrier or opened its circuit.
    func requeueFront<C: BidirectionalCollection<OutboundMessage>>(_ messages: C) {
        guard !messages.isEmpty else { return }
        for m in messages.reversed() { queue.pushFront(m) }
        if isStopped || breaker.state == .open { returnQueued() }
    }

    func outputDrained() {
        if !queue.isEmpty { pump() }
    }

    private func expire(_ m: OutboundMessage) {
        counters.expired += 1
        common.refused += 1
        delegate?.carrier(self, refused: m.id, state: .expired, errorCode: 0)
    }

    private func armExpirySweep() {
        if expiryTimer == nil {
            expiryTimer = LoopTimer(loop: loop) { [unowned self] in self.sweepExpired() }
        }
        if let t = expiryTimer, !t.isScheduled { t.schedule(after: .seconds(1)) }
    }

    private func sweepExpired() {
        let now = loop.nowMilliseconds
        queue.filter(keep: { $0.validityDeadlineMs <= 0 || now <= $0.validityDeadlineMs }, dropped: { expire($0) })
        if !queue.isEmpty { armExpirySweep() }
    }

    private func returnQueued() {
        guard !queue.isEmpty else { return }
        let messages = queue.drain()
        delegate?.carrier(self, returned: messages)
    }

    // MARK: session reports

    func report(_ event: SMPPUpstreamEvent) {
        onEvent?(event)
    }

    func sessionBound(_ session: UpstreamSession) {
        report(.bound(session: session.index, kind: Self.name(of: session.kind)))
        pump()
    }

    /// A session's connection (or attempt) ended; returns whether it should reconnect.
    func sessionEnded(_ session: UpstreamSession, _ end: SessionEnd, wasBound: Bool) -> Bool {
        var isFailure = false
        /// A bound upstream that stops answering is failing whatever the other sessions do.
        var failsEvenWithOthersBound = false
        switch end {
        case .suspended:
            return false
        case let .connectFailed(reason):
            counters.connectFailures += 1
            isFailure = true
            report(.connectFailed(session: session.index, reason: reason))
        case let .bindRefused(status):
            counters.bindFailures += 1
            isFailure = true
            report(.bindFailed(session: session.index, status: status))
        case .bindUnanswered:
            counters.bindFailures += 1
            counters.responseTimeouts += 1
            isFailure = true
            report(.bindFailed(session: session.index, status: nil))
        case .responseTimeout:
            counters.responseTimeouts += 1
            isFailure = true
            failsEvenWithOthersBound = true
            report(.disconnected(session: session.index, reason: "no response within \(settings.responseTimeoutMs) ms"))
        case .peerUnbind:
            report(.disconnected(session: session.index, reason: "the upstream sent unbind"))
        case let .badInput(reason):
            report(.disconnected(session: session.index, reason: reason))
        case let .lost(reason):
            if wasBound {
                report(.disconnected(session: session.index, reason: "\(reason)"))
            } else {
                counters.connectFailures += 1
                isFailure = true
                report(.connectFailed(session: session.index, reason: "closed before bind_resp: \(reason)"))
            }
        }
        if wasBound { counters.disconnects += 1 }
        // While another session still sends, the carrier works: one session that cannot bind
        // (an upstream that allows fewer binds than configured) must not shut the rest down. A
        // response that never came counts regardless: an upstream that binds and then answers
        // nothing would otherwise keep every session cycling and the circuit closed.
        let othersSend = sessions.contains(where: { $0 !== session && $0.isBound && $0.sendsSubmits })
        if isFailure && (failsEvenWithOthersBound || !othersSend) && breaker.recordFailure() {
            openCircuit()
        } else {
            pump()
        }
        return !isStopped && breaker.state != .open
    }

    /// The upstream answered a request (submit_sm_resp, enquire_link_resp).
    func answered() {
        if breaker.recordSuccess() { report(.circuitClosed) }
    }

    /// A submit_sm's answer: nil status = ESME_ROK (accepted as `messageID`).
    func submitAnswered(_ session: UpstreamSession, _ message: OutboundMessage, status: CommandStatus?,
                        messageID: BytesView, latencyNs: UInt64) {
        common.answerLatencySumMicros &+= latencyNs / 1000
        common.answerLatencyCount &+= 1
        answered()
        guard let status else {
            common.accepted += 1
            delegate?.carrier(self, accepted: message.id, upstreamID: UpstreamID(bytes: messageID))
            return
        }
        common.refused += 1
        let refusal = Self.refusal(for: status)
        delegate?.carrier(self, refused: message.id, state: refusal.state, errorCode: refusal.errorCode)
    }

    /// ESME_RTHROTTLED / ESME_RMSGQFUL: the session pauses; the message is sent again first.
    func throttled(_ session: UpstreamSession, _ message: OutboundMessage, pauseMs: Int64, latencyNs: UInt64) {
        common.answerLatencySumMicros &+= latencyNs / 1000
        common.answerLatencyCount &+= 1
        common.retries += 1
        counters.throttled += 1
        answered()
        requeueFront(CollectionOfOne(message))
        report(.throttled(session: session.index, pauseMs: pauseMs))
    }

    /// A message the codec cannot encode (a field over its SMPP length), or too large for the
    /// output ring: refused as REJECTED with ESME_RINVPARLEN (194).
    func unencodable(_ message: OutboundMessage) {
        common.refused += 1
        delegate?.carrier(self, refused: message.id, state: .rejected, errorCode: UInt16(CommandStatus.ESME_RINVPARLEN.rawValue))
    }

    /// A deliver_sm: a receipt (esm_class & 0x3C == 0x04) or an MO. Returns the status of the
    /// deliver_sm_resp, which the caller writes right after this returns.
    func delivered(_ deliver: UpstreamDelivery) -> CommandStatus {
        isHoldingWrites = true
        defer { isHoldingWrites = false }
        let answer: UpstreamDeliveryAnswer
        let messageType = deliver.esmClass & 0x3C
        if messageType == 0x08 || messageType == 0x10 {
            // An SME delivery or manual/user acknowledgement: nothing smppd tracks.
            counters.unexpectedPDUs += 1
            return .ESME_ROK
        }
        if messageType == 0x04 || messageType == 0x20 {   // a receipt, or an intermediate notification
            guard let receipt = ReceiptParser.parse(tlvs: deliver.tlvs, text: deliver.text) else {
                counters.unreadableReceipts += 1
                return .ESME_ROK   // nothing anyone could do with it: not delivered again
            }
            common.receipts += 1
            answer = delegate?.carrier(self, receiptFor: receipt.upstreamID, state: receipt.state, errorCode: receipt.errorCode) ?? .retryLater
            if answer != .taken { counters.unknownReceipts += 1 }
        } else {
            common.mobileOriginated += 1
            let mo = UpstreamMO(sourceTon: deliver.sourceTon, sourceNpi: deliver.sourceNpi,
                                source: deliver.source.makeString(), destination: deliver.destination.makeString(),
                                dataCoding: deliver.dataCoding, esmClass: deliver.esmClass, text: deliver.text.makeArray())
            answer = delegate?.carrier(self, mobileOriginated: mo) ?? .retryLater
        }
        switch answer {
        case .taken: return .ESME_ROK
        case .retryLater: return .ESME_RX_T_APPN
        case .refused: return .ESME_RX_P_APPN
        }
    }

    func unexpectedPDU() { counters.unexpectedPDUs += 1 }

    // MARK: circuit

    private func openCircuit() {
        report(.circuitOpened(failures: breaker.consecutiveFailures))
        for s in sessions { s.suspend() }
        returnQueued()
        let t = breakerTimer ?? LoopTimer(loop: loop) { [unowned self] in self.halfOpen() }
        breakerTimer = t
        t.schedule(after: .milliseconds(breaker.openMs))
    }

    private func halfOpen() {
        guard !isStopped, breaker.state == .open else { return }
        breaker.enterHalfOpen()
        report(.circuitHalfOpen)
        for s in sessions { s.start() }
    }

    // MARK: tables

    /// What a refusing command_status means for the message. The network error code is the
    /// command_status when it is at most 999, else 999.
    ///
    /// | command_status | state |
    /// |---|---|
    /// | ESME_RSYSERR, ESME_RSUBMITFAIL, ESME_RDELIVERYFAILURE, ESME_RX_T_APPN, ESME_RX_R_APPN, ESME_RUNKNOWNERR | UNDELIVERABLE (the service failed it) |
    /// | ESME_RTHROTTLED, ESME_RMSGQFUL; ESME_RINVBNDSTS | not a refusal: sent again (after a pause; after binding anew) |
    /// | any other (bad address, TON/NPI, esm_class, length, parameters, ESME_RX_P_APPN …) | REJECTED (the service refused it) |
    static func refusal(for status: CommandStatus) -> (state: MessageState, errorCode: UInt16) {
        let code = UInt16(min(status.rawValue, 999))
        switch status {
        case .ESME_RSYSERR, .ESME_RSUBMITFAIL, .ESME_RDELIVERYFAILURE, .ESME_RX_T_APPN, .ESME_RX_R_APPN, .ESME_RUNKNOWNERR:
            return (.undeliverable, code)
        default:
            return (.rejected, code)
        }
    }

    static func name(of kind: BindKind) -> String {
        switch kind {
        case .transceiver: "transceiver"
        case .transmitter: "transmitter"
        case .receiver: "receiver"
        }
    }
}

/// What a deliver_sm or a data_sm from the upstream carries, for `SMPPUpstream.delivered`: a
/// receipt (esm_class & 0x3C == 0x04) or an MO. Views into the PDU's buffer: valid during the
/// call that reads the PDU.
struct UpstreamDelivery {
    var esmClass: UInt8
    var sourceTon: UInt8
    var sourceNpi: UInt8
    var source: BytesView
    var destination: BytesView
    var dataCoding: UInt8
    /// short_message, or message_payload when short_message is empty (data_sm has only that).
    var text: BytesView
    var tlvs: TLVList

    init(_ p: DeliverSMPDU) {
        var text = p.shortMessage
        if text.isEmpty, let payload = p.tlvs.messagePayload { text = payload }
        self.init(esmClass: p.esmClass, sourceTon: p.sourceAddrTon.rawValue, sourceNpi: p.sourceAddrNpi.rawValue,
                  source: p.sourceAddr, destination: p.destinationAddr, dataCoding: p.dataCoding, text: text, tlvs: p.tlvs)
    }

    /// Some SMSCs send receipts and MO as data_sm.
    init(_ p: DataSMPDU) {
        self.init(esmClass: p.esmClass, sourceTon: p.sourceAddrTon.rawValue, sourceNpi: p.sourceAddrNpi.rawValue,
                  source: p.sourceAddr, destination: p.destinationAddr, dataCoding: p.dataCoding,
                  text: p.tlvs.messagePayload ?? .empty, tlvs: p.tlvs)
    }

    private init(esmClass: UInt8, sourceTon: UInt8, sourceNpi: UInt8, source: BytesView, destination: BytesView,
                 dataCoding: UInt8, text: BytesView, tlvs: TLVList) {
        self.esmClass = esmClass
        self.sourceTon = sourceTon
        self.sourceNpi = sourceNpi
        self.source = source
        self.destination = destination
        self.dataCoding = dataCoding
        self.text = text
        self.tlvs = tlvs
    }
}
