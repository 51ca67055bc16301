// UpstreamSession: one bind to the upstream SMSC (a transceiver, or one half of a transmitter
// + receiver pair): connect, bind, forward submit_sm within its window, answer what the
// upstream sends, keep the link alive, time out, reconnect with backoff. The messages and
// every decision that spans sessions (queue, breaker, delegate) belong to SMPPUpstream.
// Loop thread only.
//
// One LoopTimer per session (libev "be smart about timeouts", method 3): it is armed for the
// earliest of the bind deadline, the oldest unanswered request's deadline, the end of a
// throttle pause and the next enquire_link; a submit only compares its deadline with the one
// armed. Every channel callback first checks that it comes from the current channel: a
// connection this session already let go of may still report (its close is deferred while
// inside its own callback), and such reports are ignored.

import Reactor
import SMPP

/// Why a session's connection ended (SMPPUpstream.sessionEnded decides what follows).
enum SessionEnd {
    case connectFailed(String)
    case bindRefused(CommandStatus)
    case bindUnanswered
    case responseTimeout
    case peerUnbind
    case lost(CloseReason)
    case badInput(String)
    /// The carrier let go of it (circuit opened, stop()): no reconnect.
    case suspended
}

final class UpstreamSession {
    unowned let carrier: SMPPUpstream
    let index: Int
    let kind: BindKind
    var sendsSubmits: Bool { kind != .receiver }

    enum Phase { case idle, waitingToReconnect, connecting, binding, bound }
    private(set) var phase = Phase.idle
    private var channel: UpstreamChannel?
    /// Counts connect attempts: a Connector report for an attempt given up since (suspend,
    /// a newer attempt) carries an older number and is closed.
    private var attempt = 0
    private(set) var window: SubmitWindow
    private var nextSequence: UInt32 = 1
    private var bindSequence: UInt32 = 0
    /// The enquire_link awaiting its response (0: none).
    private var enquireSequence: UInt32 = 0
    private var enquireSentAtNs: UInt64 = 0
    private var bindSentAtNs: UInt64 = 0
    private var lastReceivedNs: UInt64 = 0
    /// When the bytes being handled arrived: one clock read per receive burst.
    private(set) var receivedAtNs: UInt64 = 0
    private var pausedUntilNs: UInt64 = 0
    private(set) var reconnectBackoff: Backoff
    private var throttleBackoff: Backoff
    private var timer: LoopTimer?
    private var timerDueNs = UInt64.max

    private let responseTimeoutNs: UInt64
    private let enquireLinkNs: UInt64

    init(carrier: SMPPUpstream, index: Int, kind: BindKind, settings: SMPPUpstreamSettings) {
        self.carrier = carrier
        self.index = index
        self.kind = kind
        window = SubmitWindow(limit: settings.window)
        reconnectBackoff = Backoff(settings.reconnect)
        throttleBackoff = Backoff(settings.throttle)
        responseTimeoutNs = UInt64(max(1, settings.responseTimeoutMs)) * 1_000_000
        enquireLinkNs = UInt64(max(1, settings.enquireLinkMs)) * 1_000_000
    }

    var isBound: Bool { phase == .bound }
    /// Bound, sending, not paused: may take messages now.
    var canSend: Bool { phase == .bound && sendsSubmits && pausedUntilNs == 0 }

    // MARK: life cycle

    /// Connects now (idle or waiting sessions only).
    func start() {
        guard phase == .idle || phase == .waitingToReconnect else { return }
        connect()
    }

    private func connect() {
        phase = .connecting
        attempt += 1
        let thisAttempt = attempt
        timer?.cancel()
        timerDueNs = .max
        Connector.connect(loop: carrier.loop, to: carrier.endpoint, tls: carrier.tls,
                          verifyName: carrier.tls == nil ? nil : carrier.settings.tlsServerName ?? carrier.settings.host,
                          options: carrier.connectionOptions) {
            [weak self] result in
            guard let self, self.attempt == thisAttempt, self.phase == .connecting else {
                if case let .success(connection) = result { connection.close() }
                return
            }
            switch result {
            case let .success(connection):
                let channel = UpstreamChannel(connection: connection, session: self)
                connection.delegate = channel
                connection.onOutputDrained = { [weak self, weak channel] in
                    guard let self, let channel, self.channel === channel else { return }
                    self.carrier.outputDrained()
                }
                self.channel = channel
            case let .failure(error):
                self.finish(.connectFailed("\(error)"))
            }
        }
    }

    /// Lets go of the connection without reconnecting (circuit opened); unanswered submits go
    /// back to the carrier's queue before this returns.
    func suspend() {
        attempt += 1
        guard phase != .idle else {
            timer?.cancel()
            return
        }
        finish(.suspended)
    }

    /// stop(): unbinds a bound session (its unbind_resp is not awaited) and closes.
    func stop() {
        if phase == .bound, let channel {
            if channel.write(Unbind(sequenceNumber: takeSequence())) {
                self.channel = nil
                phase = .idle
                timer?.cancel()
                carrier.requeueFront(window.drain())
                channel.connection.closeAfterFlush()
                return
            }
        }
        suspend()
    }

    /// Ends the current connection (or attempt): unanswered submits back to the carrier's
    /// queue, the connection closed, then the carrier decides; a reconnect is scheduled when
    /// it says so.
    private func finish(_ end: SessionEnd) {
        let old = channel
        channel = nil
        let wasBound = phase == .bound
        phase = .idle
        enquireSequence = 0
        pausedUntilNs = 0
        timer?.cancel()
        timerDueNs = .max
        if case .suspended = end {
            carrier.requeueFront(window.drain())
        } else {
            carrier.requeueUnanswered(window.drain())
        }
        if let old {
            if case .peerUnbind = end { old.connection.closeAfterFlush() } else { old.connection.close() }
        }
        if carrier.sessionEnded(self, end, wasBound: wasBound) { scheduleReconnect() }
    }

    private func scheduleReconnect() {
        let delayMs = reconnectBackoff.take()
        phase = .waitingToReconnect
        let t = timer ?? makeTimer()
        timerDueNs = .max
        t.schedule(after: .milliseconds(delayMs))
        carrier.report(.reconnectScheduled(session: index, delayMs: delayMs))
    }

    // MARK: timer

    private func makeTimer() -> LoopTimer {
        let t = LoopTimer(loop: carrier.loop) { [unowned self] in self.timerFired() }
        timer = t
        return t
    }

    /// Makes sure the timer fires no later than `deadline` (monotonic ns).
    @inline(__always)
    private func arm(by deadline: UInt64, now: UInt64) {
        guard deadline < timerDueNs else { return }
        timerDueNs = deadline
        let t = timer ?? makeTimer()
        t.schedule(after: .nanoseconds(Int64(deadline &- min(now, deadline))))
    }

    private func timerFired() {
        timerDueNs = .max
        let now = MonotonicClock.nanoseconds()
        switch phase {
        case .idle, .connecting:
            return
        case .waitingToReconnect:
            connect()
        case .binding:
            if now &- bindSentAtNs >= responseTimeoutNs {
                finish(.bindUnanswered)
            } else {
                arm(by: bindSentAtNs &+ responseTimeoutNs, now: now)
            }
        case .bound:
            checkBound(now: now)
        }
    }

    private func checkBound(now: UInt64) {
        let oldest = window.oldestSentAtNs()
        if let oldest, now &- oldest >= responseTimeoutNs {
            finish(.responseTimeout)
            return
        }
        if enquireSequence != 0 && now &- enquireSentAtNs >= responseTimeoutNs {
            finish(.responseTimeout)
            return
        }
        if pausedUntilNs != 0 && now >= pausedUntilNs {
            pausedUntilNs = 0
            carrier.pump()
            guard phase == .bound else { return }
        }
        if enquireSequence == 0 && now &- lastReceivedNs >= enquireLinkNs, let channel {
            let sequence = takeSequence()
            if channel.write(EnquireLink(sequenceNumber: sequence)) {
                enquireSequence = sequence
                enquireSentAtNs = now
            }
        }
        var next = UInt64.max
        if let oldest { next = min(next, oldest &+ responseTimeoutNs) }
        if enquireSequence != 0 {
            next = min(next, enquireSentAtNs &+ responseTimeoutNs)
        } else {
            // Overdue means the enquire_link did not fit the output ring: try again shortly.
            next = min(next, max(lastReceivedNs &+ enquireLinkNs, now &+ 100_000_000))
        }
        if pausedUntilNs != 0 { next = min(next, pausedUntilNs) }
        arm(by: next, now: now)
    }

    // MARK: sending

    private func takeSequence() -> UInt32 {
        let s = nextSequence
        nextSequence = nextSequence >= 0x7FFF_FFFF ? 1 : nextSequence + 1
        return s
    }

    /// Sends queued messages while the window and the output ring allow. Returns when the
    /// window is full, the ring is (output drained → the carrier pumps again) or the queue is
    /// empty.
    func fill() {
        guard canSend, let channel else { return }
        // One strong reference for the loop: each use of an unowned one retains and releases.
        let carrier = self.carrier
        let reserve = carrier.responseReserveBytes
        let now = MonotonicClock.nanoseconds()
        var sent = false
        while !window.isFull {
            // A slot an old unanswered submit still holds: skip its number (the window has
            // room, so a free one is near).
            while !window.canTake(nextSequence) { _ = takeSequence() }
            guard let message = carrier.nextMessage() else { break }
            let sequence = nextSequence
            switch channel.writeSubmit(message, sequence: sequence, reserve: reserve) {
            case .written:
                _ = takeSequence()
                window.insert(message, sequence: sequence, sentAtNs: now)
                sent = true
            case .noRoom:
                carrier.requeueFront(CollectionOfOne(message))
                if sent { arm(by: now &+ responseTimeoutNs, now: now) }
                return
            case .unencodable:
                carrier.unencodable(message)
            }
        }
        if sent { arm(by: now &+ responseTimeoutNs, now: now) }
    }

    // MARK: channel callbacks

    func channelDidBecomeReady(_ from: UpstreamChannel) {
        guard from === channel else { return }
        bindSequence = takeSequence()
        guard from.writeBind(kind: kind, sequence: bindSequence, credentials: carrier.credentials) else {
            finish(.badInput("bind could not be encoded"))
            return
        }
        from.connection.flushNow()
        phase = .binding
        bindSentAtNs = MonotonicClock.nanoseconds()
        arm(by: bindSentAtNs &+ responseTimeoutNs, now: bindSentAtNs)
    }

    func channelDidClose(_ from: UpstreamChannel, reason: CloseReason) {
        guard from === channel else { return }
        finish(.lost(reason))
    }

    func channelWillHandleBurst(_ from: UpstreamChannel) {
        receivedAtNs = MonotonicClock.nanoseconds()
        lastReceivedNs = receivedAtNs
    }

    func channelDidHandleBurst(_ from: UpstreamChannel) {
        guard from === channel else { return }
        carrier.pump()
    }

    func channel(_ from: UpstreamChannel, badCommandLength length: UInt32) {
        guard from === channel else { return }
        finish(.badInput("bad command_length \(length)"))
    }

    /// A PDU that did not decode: a request gets generic_nack with the decoder's status; a
    /// submit_sm_resp still answers its submit by its status.
    func channel(_ from: UpstreamChannel, undecodable error: DecodeError) -> Bool {
        guard from === channel else { return true }
        let header = error.header
        if header.commandID == .submit_sm_resp, let sent = window.remove(header.sequenceNumber) {
            carrier.submitAnswered(self, sent.message, status: header.commandStatus.isOK ? nil : header.commandStatus,
                                   messageID: .empty, latencyNs: receivedAtNs &- sent.sentAtNs)
            return true
        }
        carrier.unexpectedPDU()
        guard !header.commandID.isResponse else { return true }
        return from.write(GenericNack(sequenceNumber: header.sequenceNumber, status: error.status))
    }

    /// One decoded PDU; false when its answer did not fit the output ring (offered again).
    func channel(_ from: UpstreamChannel, received pdu: DecodedPDU) -> Bool {
        guard from === channel else { return true }
        switch pdu {
        case let .submitSMResp(resp):
            guard let sent = window.remove(resp.sequenceNumber) else {
                carrier.unexpectedPDU()
                return true
            }
            submitAnswered(sent.message, status: resp.commandStatus, messageID: resp.messageID, sentAtNs: sent.sentAtNs)
        case let .deliverSM(deliver):
            // Room for the answer first: it must be the next write after the delegate returns.
            guard from.hasRoom(17) else { return false }
            let status = carrier.delivered(UpstreamDelivery(deliver))
            _ = from.write(DeliverSMResp(sequenceNumber: deliver.sequenceNumber, status: status), reserving: 17)
        case let .dataSM(data):
            guard from.hasRoom(17) else { return false }
            let status = carrier.delivered(UpstreamDelivery(data))
            _ = from.write(DataSMResp(sequenceNumber: data.sequenceNumber, status: status, messageID: .empty), reserving: 17)
        case let .enquireLink(e):
            return from.write(EnquireLinkResp(sequenceNumber: e.sequenceNumber))
        case let .enquireLinkResp(resp):
            if resp.sequenceNumber == enquireSequence {
                enquireSequence = 0
                arm(by: lastReceivedNs &+ enquireLinkNs, now: receivedAtNs)
                carrier.answered()
            }
        case let .bindTransmitterResp(resp), let .bindReceiverResp(resp), let .bindTransceiverResp(resp):
            guard phase == .binding, resp.sequenceNumber == bindSequence else {
                carrier.unexpectedPDU()
                return true
            }
            bindAnswered(resp.commandStatus)
        case let .unbind(u):
            _ = from.write(UnbindResp(sequenceNumber: u.sequenceNumber))
            finish(.peerUnbind)
        case .unbindResp:
            carrier.unexpectedPDU()   // stop() lets go of the channel before its unbind_resp
        case let .genericNack(nack):
            if let sent = window.remove(nack.sequenceNumber) {
                submitAnswered(sent.message, status: nack.commandStatus.isOK ? .ESME_RSYSERR : nack.commandStatus,
                               messageID: .empty, sentAtNs: sent.sentAtNs)
            } else if nack.sequenceNumber == enquireSequence {
                enquireSequence = 0   // an answer all the same: the link is alive
                carrier.answered()
            } else if phase == .binding && nack.sequenceNumber == bindSequence {
                bindAnswered(nack.commandStatus.isOK ? .ESME_RBINDFAIL : nack.commandStatus)
            } else {
                carrier.unexpectedPDU()
            }
        default:
            carrier.unexpectedPDU()
            guard !pdu.commandID.isResponse else { return true }
            return from.write(GenericNack(sequenceNumber: pdu.sequenceNumber, status: .ESME_RINVCMDID))
        }
        return true
    }

    private func bindAnswered(_ status: CommandStatus) {
        guard status.isOK else {
            finish(.bindRefused(status))
            return
        }
        phase = .bound
        reconnectBackoff.reset()
        throttleBackoff.reset()
        let now = receivedAtNs
        carrier.sessionBound(self)
        if phase == .bound { arm(by: now &+ enquireLinkNs, now: now) }
    }

    private func submitAnswered(_ message: OutboundMessage, status: CommandStatus, messageID: BytesView, sentAtNs: UInt64) {
        let latency = receivedAtNs &- sentAtNs
        if status == .ESME_RTHROTTLED || status == .ESME_RMSGQFUL {
            let pauseMs = throttleBackoff.take()
            pausedUntilNs = receivedAtNs &+ UInt64(pauseMs) * 1_000_000
            arm(by: pausedUntilNs, now: receivedAtNs)
            carrier.throttled(self, message, pauseMs: pauseMs, latencyNs: latency)
            return
        }
        if status == .ESME_RINVBNDSTS {
            // The upstream no longer holds us bound: not the message's fault. Send it again
            // after binding anew.
            carrier.requeueUnanswered([message])
            finish(.badInput("the upstream answered ESME_RINVBNDSTS"))
            return
        }
        if status.isOK { throttleBackoff.reset() }
        carrier.submitAnswered(self, message, status: status.isOK ? nil : status, messageID: messageID, latencyNs: latency)
    }
}
