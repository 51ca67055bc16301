// BenchSession: one SMPP client session on a Reactor Connection: bind, windowed and batched
// submit_sm, answers to deliver_sm / enquire_link / unbind, sequence and status checks, and
// reconnection with exponential backoff (1, 2, 4 ... 60 s). Loop thread only.
// Unsafe code (allowlisted, STYLE 9.3): it is a ConnectionDelegate (the Connection lends its
// ring memory as Unsafe*RawBufferPointer for one call) and encodes responses into that memory.

import Reactor
import SMPP

final class BenchSession: ConnectionDelegate {
    unowned let bench: Bench
    let index: Int
    /// Where this session connects and how it binds.
    let plan: SessionPlan
    private(set) var connection: Connection?
    private(set) var isBound = false
    private var nextSequence: UInt32 = 1
    private var bindSequence: UInt32 = 0
    private var unbindSequence: UInt32 = 0
    /// sequence_number -> send time (ns) of every unanswered submit_sm.
    private var inFlight: InFlightWindow
    /// When the bytes being handled arrived (ns): one clock read per receive burst.
    private var receivedAt: UInt64 = 0
    private var mixCursor: Int
    private var longPart2Due = false
    private var backoffSeconds = 1
    private var reconnectTimer: LoopTimer?
    /// A bind refused by the server: do not retry.
    private(set) var gaveUp = false
    private(set) var isClosing = false

    var inFlightCount: Int { inFlight.count }

    init(bench: Bench, index: Int, plan: SessionPlan) {
        self.bench = bench
        self.index = index
        self.plan = plan
        mixCursor = (index * 37) % 100
        inFlight = InFlightWindow(window: bench.settings.window)
    }

    // MARK: connecting

    func connect() {
        Connector.connect(loop: bench.loop, to: plan.endpoint, tls: bench.tls, options: bench.connectionOptions) {
            [weak self] result in
            guard let self else { return }
            switch result {
            case let .success(connection):
                connection.delegate = self
                connection.onOutputDrained = { [weak self] in self?.pump() }
                self.connection = connection
            case let .failure(error):
                self.bench.note("session \(self.index): connect failed: \(error)")
                self.bench.count(error: "connect_failed")
                self.scheduleReconnect()
            }
        }
    }

    private func scheduleReconnect() {
        guard !bench.isFinishing, !gaveUp else {
            bench.sessionEnded(self)
            return
        }
        let delay = backoffSeconds
        backoffSeconds = min(backoffSeconds * 2, 60)
        bench.reconnects += 1
        bench.note("session \(index): reconnecting in \(delay) s (backoff)")
        let t = reconnectTimer ?? LoopTimer(loop: bench.loop) { [weak self] in self?.connect() }
        reconnectTimer = t
        t.schedule(after: .seconds(delay))
    }

    /// Sends unbind (bound) or closes; the session reports to sessionEnded when the connection is gone.
    func finish() {
        reconnectTimer?.cancel()
        isClosing = true
        guard let connection, connection.isOpen else {
            if connection == nil { bench.sessionEnded(self) }
            return
        }
        if isBound {
            unbindSequence = takeSequence()
            let ok = connection.write(reservingAtLeast: 16) { Unbind(sequenceNumber: unbindSequence).encode(into: $0).written }
            if ok { connection.flushNow(); return }
        }
        connection.close()
    }

    // MARK: ConnectionDelegate

    func connectionDidBecomeReady(_ connection: Connection) {
        let s = bench.settings
        bindSequence = takeSequence()
        let sid = Array(s.systemID.utf8)
        let pw = Array(s.password.utf8)
        let result: Bool = sid.withUnsafeBytes { sidBytes in
            pw.withUnsafeBytes { pwBytes in
                connection.write(reservingAtLeast: 64 + sid.count + pw.count) { buffer in
                    Bind(kind: plan.bindKind, sequenceNumber: bindSequence,
                         systemID: BytesView(unsafeBorrowing: sidBytes), password: BytesView(unsafeBorrowing: pwBytes),
                         systemType: BytesView("bench")).encode(into: buffer).written
                }
            }
        }
        if !result { connection.close() }
    }

    func connection(_ connection: Connection, didReceive bytes: UnsafeRawBufferPointer) -> Int {
        receivedAt = MonotonicClock.nanoseconds()
        return PDUStream.consume(bytes, on: connection, badLength: { length in
            bench.note("session \(index): bad command_length \(length); closing")
            bench.count(error: "bad_command_length")
        }, handle: { pdu in handle(pdu, on: connection) })
    }

    func connectionDidClose(_ connection: Connection, reason: CloseReason) {
        self.connection = nil
        let wasBound = isBound
        isBound = false
        if !inFlight.isEmpty {
            bench.count(error: "connection_lost", inFlight.count)
            bench.lost(inFlight.count)
            inFlight.removeAll()
        }
        longPart2Due = false
        owedAnswers.removeAll()   // owed on a connection that is gone: the server resends
        if isClosing || bench.isFinishing {
            bench.sessionEnded(self)
            return
        }
        bench.note("session \(index): closed (\(reason))\(wasBound ? "" : " before bind completed")")
        bench.sessionDropped(self)
        scheduleReconnect()
    }

    // MARK: receiving

    /// Handles one whole PDU; false when an answer did not fit the output ring (offer it again).
    private func handle(_ bytes: UnsafeRawBufferPointer, on connection: Connection) -> Bool {
        let received = PDUStream.decode(bytes, on: connection) { error, header in
            bench.count(error: "decode_error:\(error.status.name)")
            // A response that does not decode still ends its request.
            if let header, header.commandID.isResponse, inFlight.remove(header.sequenceNumber) != nil { bench.lost(1) }
        }
        guard case let .pdu(decoded) = received else { return received.isAnswered }
        switch decoded {
        case let .submitSMResp(resp):
            guard let sentAt = inFlight.remove(resp.sequenceNumber) else {
                bench.count(error: "unexpected_sequence")
                return true
            }
            bench.submitAnswered(status: resp.commandStatus, messageID: resp.messageID, sentAt: sentAt, now: receivedAt)
            pump()
        case let .deliverSM(deliver):
            answer(deliver: true, sequence: deliver.sequenceNumber, on: connection)
            if deliver.esmClass & 0x3C == 0x04 {
                bench.receiptArrived(id: deliver.tlvs.receiptedMessageID ?? Self.idFromReceiptText(deliver.shortMessage))
            } else {
                bench.moArrived()
            }
        case let .enquireLink(e):
            answer(deliver: false, sequence: e.sequenceNumber, on: connection)
        case .enquireLinkResp:
            break
        case let .bindTransmitterResp(resp), let .bindReceiverResp(resp), let .bindTransceiverResp(resp):
            guard resp.sequenceNumber == bindSequence else {
                bench.count(error: "unexpected_sequence")
                return true
            }
            if resp.commandStatus == .ESME_ROK {
                isBound = true
                backoffSeconds = 1
                bench.sessionBound(self)
                pump()
            } else {
                bench.count(error: "bind:\(resp.commandStatus.name)")
                bench.note("session \(index): bind refused: \(resp.commandStatus.name); not retrying")
                gaveUp = true
                connection.close()
            }
        case let .unbind(u):
            // The server is going away (shutdown, restart): answer, close, and reconnect with backoff.
            _ = connection.write(reservingAtLeast: 16) { UnbindResp(sequenceNumber: u.sequenceNumber).encode(into: $0).written }
            bench.note("session \(index): the server sent unbind")
            connection.closeAfterFlush()
        case .unbindResp:
            connection.close()
        case let .genericNack(nack):
            bench.count(error: "generic_nack:\(nack.commandStatus.name)")
            if inFlight.remove(nack.sequenceNumber) != nil { bench.lost(1) }
        default:
            bench.count(error: "unexpected_pdu")
        }
        return true
    }

    /// The "id:" field of a receipt's text (when the server sent no receipted_message_id TLV).
    private static func idFromReceiptText(_ text: BytesView) -> BytesView {
        let n = text.count
        var i = 0
        while i + 3 <= n {
            if text[i] == UInt8(ascii: "i") && text[i + 1] == UInt8(ascii: "d") && text[i + 2] == UInt8(ascii: ":") {
                var end = i + 3
                while end < n && text[end] != UInt8(ascii: " ") { end += 1 }
                return text.slice(from: i + 3, count: end - i - 3) ?? .empty
            }
            i += 1
        }
        return .empty
    }

    // MARK: sending

    /// Answers to deliver_sm and enquire_link that did not fit the output ring, oldest first.
    /// They are owed, not a reason to stop reading: a server whose own output is full stops
    /// reading our submits until we read its deliver_sm, and if we stopped reading until it
    /// read ours, both would wait forever. At most the server's deliver window long.
    private var owedAnswers: [(deliver: Bool, sequence: UInt32)] = []

    private func answer(deliver: Bool, sequence: UInt32, on connection: Connection) {
        if owedAnswers.isEmpty, write(deliver: deliver, sequence: sequence, on: connection) { return }
        owedAnswers.append((deliver, sequence))
    }

    /// Writes one answer if it fits. Asks first: a write the Connection refuses counts as
    /// back-pressure, and it would stop reading this session, which is what owing avoids.
    private func write(deliver: Bool, sequence: UInt32, on connection: Connection) -> Bool {
        guard connection.outputFreeBytes >= 17 else { return false }
        return deliver
            ? connection.write(reservingAtLeast: 17) { DeliverSMResp(sequenceNumber: sequence).encode(into: $0).written }
            : connection.write(reservingAtLeast: 16) { EnquireLinkResp(sequenceNumber: sequence).encode(into: $0).written }
    }

    /// Writes the owed answers that fit now (the output drained).
    private func payOwedAnswers(on connection: Connection) {
        var paid = 0
        while paid < owedAnswers.count, write(deliver: owedAnswers[paid].deliver, sequence: owedAnswers[paid].sequence, on: connection) {
            paid += 1
        }
        if paid > 0 {
            owedAnswers.removeFirst(paid)
            connection.flushNow()
        }
    }

    private func takeSequence() -> UInt32 {
        let s = nextSequence
        nextSequence = nextSequence >= 0x7FFF_FFFF ? 1 : nextSequence + 1
        return s
    }

    /// Sends submit_sm while the window, the count/duration bound and the rate allow, `batch`
    /// PDUs per write.
    func pump() {
        // One strong reference for the loop below: each access through `unowned` retains and
        // releases (an atomic swift_unownedRetainStrong per access).
        let bench = self.bench
        if !owedAnswers.isEmpty, let connection, connection.isOpen { payOwedAnswers(on: connection) }
        guard isBound, !isClosing, let connection, connection.isOpen, plan.bindKind != .receiver else { return }
        let window = bench.settings.window
        let batch = bench.settings.batch
        let templates = bench.templates
        while true {
            let remaining = bench.remainingToSend
            if remaining == 0 { return }
            let chunk = min(batch, remaining)
            guard window - inFlight.count >= chunk else { return }      // wait until the window allows a whole batch
            guard connection.outputFreeBytes >= chunk * templates.maxLength else { return }  // onOutputDrained pumps again
            guard bench.takeTokens(chunk, session: self) else { return }  // the rate timer pumps again
            // The chunk leaves in one write: one send time for all of it.
            let sentAt = MonotonicClock.nanoseconds()
            for _ in 0..<chunk {
                let template: [UInt8]
                if longPart2Due {
                    template = templates.longPart2
                    longPart2Due = false
                } else {
                    switch bench.settings.mix.pattern[mixCursor] {
                    case .ascii: template = templates.ascii
                    case .ucs2: template = templates.ucs2
                    case .long:
                        template = templates.longPart1
                        longPart2Due = true
                    }
                    mixCursor = mixCursor == 99 ? 0 : mixCursor + 1
                }
                let sequence = takeSequence()
                let ok = connection.write(reservingAtLeast: template.count) {
                    SubmitTemplates.write(template, sequence: sequence, into: $0)
                }
                guard ok else { return }
                inFlight.insert(sequence, sentAt: sentAt)
                bench.submitSent()
            }
            connection.flushNow()
            if !connection.isOpen || connection.hasPendingOutput { return }
        }
    }
}

extension EncodeResult {
    /// Bytes written; 0 for a PDU that did not fit or could not be encoded (nothing committed).
    var written: Int {
        if case let .wrote(n) = self { return n }
        return 0
    }
}
