// One SMPP session: glues a Reactor connection, the codec and the state table together, and
// owns the session's sequence numbers and its one timer (libev "method 3": deadlines are plain
// numbers updated per PDU; the timer is re-armed only when it fires or a new deadline is earlier).
// Loop thread only. The SMSCServer owns every Session; a Session reaches it through `server`.
// Unsafe code (allowlisted, STYLE 9.3). Invariants: the bytes the Connection lends are read
// only during connection(_:didReceive:), sliced by the framer's checked command_length, and no
// view into them outlives the PDU's handling; the output memory given to `write` is written
// only inside its closure, up to the count the encoder reports.
import Logging
import Reactor
import SMPP
import Store

/// An Account held by reference (see Session.boundAccount).
final class BoundAccount {
    let value: Account
    /// The system_id as the store and the delivery queues key it.
    let systemIDBytes: ShortBytes
    /// Its source addresses, for the submit validator.
    let sourceRules: SourceRules
    /// The account's counters, found on the first submit (MessageService.runtime(of:)).
    var runtime: AccountRuntime?
    init(_ value: Account) {
        self.value = value
        systemIDBytes = ShortBytes(truncating: value.systemID.utf8)
        sourceRules = SourceRules(value)
    }
}

final class Session: ConnectionDelegate {
    let id: UInt64
    let connection: Connection
    /// Strong, and so are the server's service, metrics and loop below: every access through
    /// an `unowned` reference costs an atomic strong retain and release, several per PDU. The
    /// cycle server → sessions → session → server ends when the connection closes: the
    /// server drops the session in sessionDidClose.
    let server: SMSCServer
    let messages: MessageService
    let metrics: Metrics
    let loop: EventLoop
    private(set) var phase: SessionPhase = .handshaking
    /// The bound account, boxed: the submit path borrows it with one retain instead of
    /// copying the struct's five reference-counted fields on every submit_sm.
    private(set) var boundAccount: BoundAccount?
    var account: Account? { boundAccount?.value }
    /// True while this session counts against its account's max-sessions.
    var holdsBindSlot = false
    /// The account whose slot it holds (set with holdsBindSlot, before the bind is answered:
    /// in a cluster the answer waits for the shared count), and whether the bind receives.
    var bindSlotAccount: String?
    var bindSlotReceives = false
    /// PDUs read and written on this session, and when it bound (wall ms): GET /v1/sessions.
    private(set) var pdusIn: UInt64 = 0
    private(set) var pdusOut: UInt64 = 0
    private(set) var boundAtMs: Int64 = 0
    /// The peer's IP without the port, for allow lists and the failure limiter: the socket's
    /// at first, the client a PROXY header named once the connection is ready.
    private(set) var peerIP: String

    // Deadlines in loop milliseconds; 0 = none. `timer` fires at the earliest of them.
    private var lastReceivedMs: Int64 = 0
    private var bindDeadlineMs: Int64 = 0
    private var enquireLinkSentMs: Int64 = 0
    private var outstandingEnquireLink: UInt32? = nil
    private var unbindSentMs: Int64 = 0
    private(set) var timerDeadlineMs: Int64 = 0
    /// When the bytes being handled were read (CLOCK_MONOTONIC ns): the start of the
    /// submit_sm_resp latency, one clock read per burst instead of one per PDU.
    private(set) var burstReadAtNs: UInt64 = 0
    /// submit_sm and data_sm answered in the current burst: their latency is
    /// observed once, when the burst is done (see connection(_:didReceive:)).
    var burstSubmits = 0
    private var timer: LoopTimer!

    /// A bind answered later: after an off-loop password check, or a failure answered after the delay.
    private struct PendingBind {
        var sequenceNumber: UInt32
        var mode: BindMode
        var systemID: String
        var answerAtMs: Int64          // 0 while the password check runs
        var status: CommandStatus      // decided outcome once known
    }
    private var pendingBind: PendingBind? = nil

    private var nextSequenceNumber: UInt32 = 1
    private var consecutiveBadPDUs = 0

    /// deliver_sm sent and not yet answered, by sequence number (C-DLV-5's window).
    struct InFlightDelivery {
        var token: DeliveryToken
        var sentAtMs: Int64
        /// The receipted message's submit time, for the submit→receipt latency.
        var submitTime: Int64?
    }
    var inFlight: [UInt32: InFlightDelivery] = [:]
    /// True once this session was registered as a receiver with the message service.
    var isRegisteredReceiver = false

    init(id: UInt64, connection: Connection, server: SMSCServer) {
        self.id = id
        self.connection = connection
        self.server = server
        self.messages = server.messages
        self.metrics = server.metrics
        self.loop = server.loop
        self.peerIP = Session.ip(ofPeer: connection.peer)
        lastReceivedMs = loop.nowMilliseconds
        timer = LoopTimer(loop: loop) { [unowned self] in self.timerFired() }
    }

    static func ip(ofPeer peer: String) -> String {
        if peer.hasPrefix("["), let close = peer.firstIndex(of: "]") {
            return String(peer[peer.index(after: peer.startIndex)..<close])
        }
        if let colon = peer.lastIndex(of: ":") { return String(peer[..<colon]) }
        return peer
    }

    var settings: SMSCSettings { server.settings }
    var logger: Logger { server.logger }
    var now: Int64 { loop.nowMilliseconds }

    // MARK: ConnectionDelegate

    func connectionDidBecomeReady(_ connection: Connection) {
        peerIP = Session.ip(ofPeer: connection.peer)
        phase = .open
        lastReceivedMs = now
        bindDeadlineMs = now + Self.ms(settings.bindTimeout)
        rearmTimer()
    }

    func connection(_ connection: Connection, didReceive bytes: UnsafeRawBufferPointer) -> Int {
        burstReadAtNs = MonotonicClock.nanoseconds()
        burstSubmits = 0
        // Every answer of the burst leaves in the same flush, so each has the burst's latency:
        // read to the end of its handling. Two clock reads per burst instead of one per PDU,
        // so the metric does not cost a clock_gettime per submit_sm.
        defer {
            if burstSubmits > 0 {
                metrics.observeSubmitLatency(seconds: Double(MonotonicClock.nanoseconds() &- burstReadAtNs) * 1e-9,
                                             count: burstSubmits)
            }
        }
        var offset = 0
        while offset < bytes.count {
            if case .closing = phase { return bytes.count }   // after unbind_resp/fatal error: discard
            let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
            switch PDUFramer.frame(rest, maxPDULength: settings.maxPDUBytes, maxPayloadPDULength: settings.maxPayloadPDUBytes) {
            case .needMoreBytes:
                return offset
            case .badCommandLength(let length):
                // C-ERR-2: the framing is lost, so answer generic_nack and close after the flush.
                let sequence = PDUFramer.peekHeader(rest)?.sequenceNumber ?? 0
                logger.info("bad-pdu", metadata: ["peer": "\(connection.peer)", "reason": "command_length=\(length)"])
                sendGenericNack(sequence, .ESME_RINVCMDLEN)
                closeAfterFlush()
                return bytes.count
            case .pdu(let length):
                // Back-pressure: only take a PDU when its answer surely fits in the output ring.
                guard connection.outputFreeBytes >= Self.largestAnswerBytes else { return offset }
                lastReceivedMs = now
                handle(pdu: UnsafeRawBufferPointer(rebasing: rest[0..<length]))
                offset += length
            }
        }
        return offset
    }

    func connectionDidClose(_ connection: Connection, reason: CloseReason) {
        timer.cancel()
        if isRegisteredReceiver, let a = account {
            isRegisteredReceiver = false
            inFlight.removeAll()
            messages.receiverGone(self, systemID: a.systemID)   // C-SESS-5: back to the queue
        }
        server.sessionDidClose(self, reason: reason, wasReady: phase != .handshaking)
        phase = .closing
    }

    /// Room kept free before a PDU is taken: our longest answer (bind_resp with system_id).
    static let largestAnswerBytes = 128

    // MARK: Dispatch

    private func handle(pdu: UnsafeRawBufferPointer) {
        // The framer guarantees a whole PDU of at least 16 octets, so the header is there.
        guard let header = PDUFramer.peekHeader(pdu) else { return }
        let decoded: DecodedPDU
        switch PDUDecoder.decode(pdu) {
        case .success(let d):
            decoded = d
        case .failure(let error):
            badPDU(error)
            return
        }
        if Int(header.commandLength) > settings.maxPDUBytes && !Self.carriesMessagePayload(decoded) {
            // Only a PDU with message_payload may exceed max-pdu-bytes (C-ERR-2).
            sendGenericNack(header.sequenceNumber, .ESME_RINVCMDLEN)
            closeAfterFlush()
            return
        }
        consecutiveBadPDUs = 0
        pdusIn &+= 1
        metrics.countIn(command: header.commandID.rawValue, status: header.commandStatus.rawValue)
        let op = Self.operation(of: decoded)
        switch SessionRules.verdict(phase, op) {
        case .ignore:
            return
        case .alreadyBound:
            sendStatusResponse(to: header, .ESME_RALYBND)
        case .invalidBindStatus:
            sendStatusResponse(to: header, .ESME_RINVBNDSTS)
        case .proceed:
            perform(decoded, header: header)
        }
    }

    static func carriesMessagePayload(_ pdu: DecodedPDU) -> Bool {
        switch pdu {
        case .submitSM(let p): return p.tlvs.messagePayload != nil
        case .dataSM(let p): return p.tlvs.messagePayload != nil
        case .submitMulti(let p): return p.tlvs.messagePayload != nil
        default: return false
        }
    }

    private func perform(_ pdu: DecodedPDU, header: PDUHeader) {
        switch pdu {
        case .bindTransmitter(let b): beginBind(b, mode: .transmitter, header: header)
        case .bindReceiver(let b): beginBind(b, mode: .receiver, header: header)
        case .bindTransceiver(let b): beginBind(b, mode: .transceiver, header: header)
        case .enquireLink:
            write { EnquireLinkResp(sequenceNumber: header.sequenceNumber).encode(into: $0) }
        case .enquireLinkResp:
            if outstandingEnquireLink == header.sequenceNumber { outstandingEnquireLink = nil; enquireLinkSentMs = 0 }
        case .unbind:
            write { UnbindResp(sequenceNumber: header.sequenceNumber).encode(into: $0) }
            logger.info("unbind", metadata: metadata(["by": "client"]))
            phase = .closing
            closeAfterFlush()
        case .unbindResp:
            if case .unbinding = phase {
                phase = .closing
                closeAfterFlush()
            }
        case .deliverSMResp:
            deliveryAnswered(sequenceNumber: header.sequenceNumber, status: header.commandStatus)
        case .genericNack:
            // A nack of our deliver_sm counts as its failure; of anything else, nothing to do.
            deliveryAnswered(sequenceNumber: header.sequenceNumber, status: header.commandStatus)
        case .dataSMResp:
            return
        case .submitSM(let p):
            submit(fields: SubmitFields(p), header: header)
        case .dataSM(let p):
            submit(fields: SubmitFields(p), header: header)
        case .submitMulti(let p):
            submitMulti(p, header: header)
        case .replaceSM:
            sendStatusResponse(to: header, .ESME_RREPLACEFAIL)   // replace_sm is not part of the product
        case .querySM(let p):
            query(p, header: header)
        case .cancelSM(let p):
            cancel(p, header: header)
        default:
            sendGenericNack(header.sequenceNumber, .ESME_RINVCMDID)
        }
    }

    static func operation(of pdu: DecodedPDU) -> SessionOperation {
        switch pdu {
        case .bindTransmitter: return .bind(.transmitter)
        case .bindReceiver: return .bind(.receiver)
        case .bindTransceiver: return .bind(.transceiver)
        case .enquireLink: return .enquireLink
        case .unbind: return .unbind
        case .submitSM, .submitMulti, .dataSM, .replaceSM: return .send
        case .querySM, .cancelSM: return .manage
        case .enquireLinkResp, .unbindResp, .genericNack, .deliverSMResp, .dataSMResp: return .response
        default: return .smscOnly
        }
    }

    /// A PDU whose body did not parse (C-ERR-2): answer with the decoder's status and go on,
    /// unless the peer keeps sending garbage.
    private func badPDU(_ error: DecodeError) {
        consecutiveBadPDUs += 1
        logger.info("bad-pdu", metadata: metadata(["command": "\(error.header.commandID.name)",
                                                   "field": "\(error.field)", "status": "\(error.status.name)"]))
        if error.header.commandID.isResponse {
            // A malformed response to something we sent gets no answer of its own.
        } else {
            sendStatusResponse(to: error.header, error.status)
        }
        if consecutiveBadPDUs >= settings.maxConsecutiveBadPDUs {
            logger.info("disconnect", metadata: metadata(["reason": "too-many-bad-pdus"]))
            closeAfterFlush()
        }
    }

    // MARK: Binding

    private func beginBind(_ bind: BindPDU, mode: BindMode, header: PDUHeader) {
        let systemID = bind.systemID.makeString()
        phase = .binding
        server.checkBind(session: self, systemID: systemID, password: bind.password.makeArray(), mode: mode,
                         sequenceNumber: header.sequenceNumber)
    }

    /// Called by the server once the bind is decided. Failures are answered after the delay.
    func bindDecided(sequenceNumber: UInt32, mode: BindMode, systemID: String, account: Account?, status: CommandStatus) {
        if status == .ESME_ROK, let account {
            boundAccount = BoundAccount(account)
            phase = .bound(mode)
            boundAtMs = now
            bindDeadlineMs = 0
            sendBindResponse(mode: mode, sequenceNumber: sequenceNumber, status: .ESME_ROK)
            logger.info("bind", metadata: metadata(["system_id": "\(systemID)", "mode": "\(mode)"]))
            if mode.canReceive {
                isRegisteredReceiver = true
                messages.receiverBound(self, systemID: account.systemID)
            }
            rearmTimer()
            return
        }
        let delay = Self.ms(settings.bindFailures.failureDelay)
        pendingBind = PendingBind(sequenceNumber: sequenceNumber, mode: mode, systemID: systemID,
                                  answerAtMs: now + max(delay, 0), status: status)
        logger.info("bind-failed", metadata: metadata(["system_id": "\(systemID)", "mode": "\(mode)", "status": "\(status.name)"]))
        if delay <= 0 { answerPendingBind() } else { rearmTimer() }
    }

    private func answerPendingBind() {
        guard let p = pendingBind else { return }
        pendingBind = nil
        sendBindResponse(mode: p.mode, sequenceNumber: p.sequenceNumber, status: p.status)
        if case .binding = phase { phase = .open }
    }

    private func sendBindResponse(mode: BindMode, sequenceNumber: UInt32, status: CommandStatus) {
        let kind: BindKind
        switch mode {
        case .transmitter: kind = .transmitter
        case .receiver: kind = .receiver
        case .transceiver: kind = .transceiver
        }
        sendBindResponse(kind: kind, sequenceNumber: sequenceNumber, status: status)
    }

    /// Every bind_resp carries our system_id, a failed one too: §4.1 lets an error response
    /// omit the body, but clients such as aiosmpplib parse system_id regardless and report a
    /// parse error instead of the status. sc_interface_version only on success (§4.1.2).
    private func sendBindResponse(kind: BindKind, sequenceNumber: UInt32, status: CommandStatus) {
        var systemID = Array(settings.systemID.utf8)
        systemID.withUnsafeMutableBytes { raw in
            let view = BytesView(unsafeBorrowing: UnsafeRawBufferPointer(raw))
            write {
                BindResp(kind: kind, sequenceNumber: sequenceNumber, status: status,
                         systemID: view, scInterfaceVersion: status == .ESME_ROK ? 0x34 : nil).encode(into: $0)
            }
        }
    }

    // MARK: Server-initiated

    /// Shutdown (C-SESS-4): unbind a bound session, close one that is not.
    func beginUnbind() {
        switch phase {
        case .bound(let mode):
            phase = .unbinding(mode)
            unbindSentMs = now
            let seq = takeSequenceNumber()
            write { Unbind(sequenceNumber: seq).encode(into: $0) }
            logger.info("unbind", metadata: metadata(["by": "server"]))
            rearmTimer()
        case .unbinding, .closing:
            return
        default:
            closeNow()
        }
    }

    func takeSequenceNumber() -> UInt32 {
        let n = nextSequenceNumber
        nextSequenceNumber = nextSequenceNumber >= 0x7FFF_FFFF ? 1 : nextSequenceNumber + 1
        return n
    }

    // MARK: Timer (one per session)

    private func earliestDeadline() -> Int64 {
        var d = Int64.max
        func consider(_ t: Int64) { if t > 0 && t < d { d = t } }
        switch phase {
        case .open, .binding:
            consider(bindDeadlineMs)
        case .bound:
            consider(lastReceivedMs + Self.ms(settings.inactivityTimeout))
            if let oldest = oldestInFlightMs {
                consider(oldest + messages.settings.deliveryResponseTimeoutMs)
            }
            if outstandingEnquireLink == nil {
                consider(lastReceivedMs + Self.ms(settings.keepaliveInterval))
            } else {
                consider(enquireLinkSentMs + Self.ms(settings.responseTimeout))
            }
        case .unbinding:
            consider(unbindSentMs + Self.ms(settings.responseTimeout))
        case .handshaking, .closing:
            break
        }
        if let p = pendingBind, p.answerAtMs > 0 { consider(p.answerAtMs) }
        return d
    }

    /// Arms the timer for the earliest deadline unless it is already armed for that one or earlier.
    func rearmTimer() {
        let d = earliestDeadline()
        guard d != .max else { timer.cancel(); timerDeadlineMs = 0; return }
        if timerDeadlineMs != 0 && timerDeadlineMs <= d && timerDeadlineMs > now { return }
        timerDeadlineMs = d
        timer.schedule(after: .milliseconds(max(d - now, 1)))
    }

    private func timerFired() {
        timerDeadlineMs = 0
        let t = now
        if let p = pendingBind, p.answerAtMs > 0, p.answerAtMs <= t { answerPendingBind() }
        switch phase {
        case .open, .binding:
            if bindDeadlineMs > 0 && bindDeadlineMs <= t && pendingBind == nil {
                logger.info("disconnect", metadata: metadata(["reason": "bind-timeout"]))
                closeNow()
                return
            }
        case .bound:
            expireDeliveries(nowMs: t)
            if lastReceivedMs + Self.ms(settings.inactivityTimeout) <= t {
                logger.info("disconnect", metadata: metadata(["reason": "inactivity"]))
                closeNow()
                return
            }
            if let _ = outstandingEnquireLink {
                if enquireLinkSentMs + Self.ms(settings.responseTimeout) <= t {
                    logger.info("disconnect", metadata: metadata(["reason": "enquire-link-unanswered"]))
                    closeNow()
                    return
                }
            } else if lastReceivedMs + Self.ms(settings.keepaliveInterval) <= t {
                let seq = takeSequenceNumber()
                if write({ EnquireLink(sequenceNumber: seq).encode(into: $0) }) {
                    outstandingEnquireLink = seq
                    enquireLinkSentMs = t
                }
            }
        case .unbinding:
            if unbindSentMs + Self.ms(settings.responseTimeout) <= t {
                logger.info("disconnect", metadata: metadata(["reason": "unbind-unanswered"]))
                closeNow()
                return
            }
        case .handshaking, .closing:
            break
        }
        rearmTimer()
    }

    // MARK: Output

    /// Encodes one PDU into the output ring. False when the ring has no room (the peer is not reading).
    @discardableResult
    func write(reserving minimum: Int = Session.largestAnswerBytes, _ encode: (UnsafeMutableRawBufferPointer) -> EncodeResult) -> Bool {
        var ok = false
        var failed: (command: UInt32, status: UInt32)? = nil
        let metrics = self.metrics
        let reserved = connection.write(reservingAtLeast: minimum) { buffer in
            switch encode(buffer) {
            case .wrote(let n):
                ok = true
                if let h = PDUFramer.peekHeader(UnsafeRawBufferPointer(rebasing: buffer[0..<n])) {
                    metrics.countOut(command: h.commandID.rawValue, status: h.commandStatus.rawValue)
                    if h.commandStatus.rawValue != 0 { failed = (h.commandID.rawValue, h.commandStatus.rawValue) }
                }
                return n
            case .needs, .invalidField: return 0
            }
        }
        if reserved && ok { pdusOut &+= 1 }
        if let failed {
            metrics.errorResponseSent(RecentErrors.Entry(atMs: now, command: failed.command, status: failed.status,
                                                         systemID: account?.systemID, peer: connection.peer))
        }
        return reserved && ok
    }

    private func sendGenericNack(_ sequenceNumber: UInt32, _ status: CommandStatus) {
        write { GenericNack(sequenceNumber: sequenceNumber, status: status).encode(into: $0) }
    }

    /// The command's own response with an error status and no body (a bind's with our
    /// system_id), or generic_nack when the command has no response (C-ERR-2).
    func sendStatusResponse(to header: PDUHeader, _ status: CommandStatus) {
        if let kind = Self.bindKind(of: header.commandID) {
            sendBindResponse(kind: kind, sequenceNumber: header.sequenceNumber, status: status)
        } else if header.commandID.hasResponse {
            write { ErrorResponse(commandID: header.commandID.response, sequenceNumber: header.sequenceNumber,
                                  status: status).encode(into: $0) }
        } else {
            sendGenericNack(header.sequenceNumber, status)
        }
    }

    static func bindKind(of command: CommandID) -> BindKind? {
        switch command {
        case .bind_transmitter: return .transmitter
        case .bind_receiver: return .receiver
        case .bind_transceiver: return .transceiver
        default: return nil
        }
    }

    private func closeAfterFlush() {
        phase = .closing
        timer.cancel()
        connection.closeAfterFlush()
    }

    func closeNow() {
        phase = .closing
        timer.cancel()
        connection.close()
    }

    // MARK: Helpers

    func metadata(_ extra: Logger.Metadata) -> Logger.Metadata {
        var m: Logger.Metadata = ["peer": "\(connection.peer)", "session": "\(id)"]
        if let a = account { m["system_id"] = "\(a.systemID)" }
        return m.merging(extra) { _, new in new }
    }

    static func ms(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}
