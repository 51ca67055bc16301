// ProbeSession: one client connection for the connection-level measurements (--measure
// handshakes | binds | idle): connect, TLS handshake, then, by plan, close at once, bind and
// unbind at once, or bind and hold the session idle (answering enquire_link, deliver_sm and the
// server's unbind) until the driver asks it to unbind. Reusable: start() begins a new attempt once
// the previous one has ended; every attempt ends with exactly one ProbeDriver.probeEnded.
// Loop thread only.
// Unsafe code (allowlisted, STYLE 9.3): it is a ConnectionDelegate (the Connection lends its
// ring memory as Unsafe*RawBufferPointer for one call) and encodes PDUs into that memory.

import Reactor
import SMPP

/// What a ProbeSession does once connected.
enum ProbePlan {
    /// Close (TLS close_notify) right after the handshake: --measure handshakes.
    case handshake
    /// bind, and unbind as soon as bind_resp ESME_ROK arrives: --measure binds.
    case bindUnbind
    /// bind, then stay bound until unbind(): --measure idle.
    case bindHold
}

/// How one attempt ended (reported once per start()).
enum ProbeEnd: Equatable {
    /// The plan ran to its end and the connection closed cleanly (for bindHold: after unbind()).
    case completed
    /// The server answered the bind with this status; retrying would get the same answer.
    case bindRefused(CommandStatus)
    /// The attempt failed before the plan completed (connect, handshake, connection lost while
    /// binding or unbinding); the name is the error counter's (connect_failed, handshake_failed...).
    case failed(String)
    /// bindHold: a bound session was lost (server unbind, reset, EOF); `reason` is for the log.
    case dropped(reason: String)
    /// stop() ended it before its plan completed.
    case aborted
}

/// Server-initiated PDUs a probe answered or received, for the driver's counters.
enum ProbeEvent {
    case enquireLinkAnswered, enquireLinkRespReceived, deliverSMAnswered
}

/// The measurement driving a set of ProbeSessions (CycleBench, IdleBench).
protocol ProbeDriver: AnyObject {
    /// TCP connect started -> TLS handshake finished (plaintext: connected).
    func probeHandshakeDone(_ probe: ProbeSession, nanoseconds: UInt64)
    /// bind sent -> bind_resp received, with its status.
    func probeBindAnswered(_ probe: ProbeSession, status: CommandStatus, nanoseconds: UInt64)
    /// The attempt is over and the probe is idle again (start() may be called from here).
    func probeEnded(_ probe: ProbeSession, _ end: ProbeEnd)
    /// A protocol oddity that does not end the attempt (unexpected_pdu, generic_nack:..., ...).
    func probeError(_ probe: ProbeSession, _ name: String)
    func probeEvent(_ probe: ProbeSession, _ event: ProbeEvent)
    func probeNote(_ probe: ProbeSession, _ text: String)
}

/// Everything the probes of one run share.
final class ProbeSetup {
    let loop: EventLoop
    let endpoint: Endpoint
    let tls: TLSClientContext?
    let options: ConnectionOptions
    let plan: ProbePlan
    let bindKind: BindKind
    let systemID: [UInt8]
    let password: [UInt8]

    init(loop: EventLoop, settings: BenchSettings, tls: TLSClientContext?, plan: ProbePlan) {
        self.loop = loop
        endpoint = settings.endpoint
        self.tls = tls
        self.plan = plan
        bindKind = settings.bindKind
        systemID = Array(settings.systemID.utf8)
        password = Array(settings.password.utf8)
        var options = ConnectionOptions()
        // Only small PDUs travel here; the input ring still takes a 72 KiB deliver_sm.
        options.outputCapacityBytes = 16 * 1024
        self.options = options
    }
}

final class ProbeSession: ConnectionDelegate {
    unowned let driver: ProbeDriver
    let setup: ProbeSetup
    let index: Int

    private enum Phase { case idle, connecting, handshaking, binding, bound, unbinding, closing }
    private var phase = Phase.idle
    private var connection: Connection?
    /// stop() asked for the end: the attempt reports .aborted unless already closing.
    private var isAborting = false
    /// What to report when a deliberate close completes (.closing).
    private var endAfterClose = ProbeEnd.completed
    private var nextSequence: UInt32 = 1
    private var bindSequence: UInt32 = 0
    private var unbindSequence: UInt32 = 0
    private var startedAt: UInt64 = 0
    private var bindSentAt: UInt64 = 0

    init(driver: ProbeDriver, setup: ProbeSetup, index: Int) {
        self.driver = driver
        self.setup = setup
        self.index = index
    }

    /// No attempt in progress: start() may be called.
    var isIdle: Bool { phase == .idle }
    var isBound: Bool { phase == .bound }

    // MARK: driver commands

    /// Begins an attempt: connect, handshake, then the plan. Idle probes only.
    func start() {
        precondition(phase == .idle, "ProbeSession.start() while an attempt is in progress")
        phase = .connecting
        isAborting = false
        endAfterClose = .completed
        startedAt = MonotonicClock.nanoseconds()
        Connector.connect(loop: setup.loop, to: setup.endpoint, tls: setup.tls, options: setup.options) { [weak self] result in
            guard let self else { return }
            switch result {
            case let .success(connection):
                connection.delegate = self
                self.connection = connection
                self.phase = .handshaking
                // stop() came while connecting: the Connection reports connectionDidClose at once.
                if self.isAborting { connection.close() }
            case let .failure(error):
                self.phase = .idle
                if self.isAborting {
                    self.driver.probeEnded(self, .aborted)
                } else {
                    self.driver.probeNote(self, "connect failed: \(error)")
                    self.driver.probeEnded(self, .failed("connect_failed"))
                }
            }
        }
    }

    /// Ends the attempt politely: a bound session unbinds (and ends .completed when unbind_resp
    /// arrives); one still connecting, handshaking or binding is closed (.aborted). No-op when idle.
    func stop() {
        switch phase {
        case .idle, .unbinding, .closing:
            return
        case .connecting:
            isAborting = true  // handled when the Connector reports
        case .handshaking, .binding:
            isAborting = true
            connection?.close()
        case .bound:
            guard let connection, sendUnbind(on: connection) else {
                isAborting = true
                connection?.close()
                return
            }
        }
    }

    /// bindHold: sends enquire_link (the client's keepalive); false when not bound or the output is full.
    @discardableResult
    func sendEnquireLink() -> Bool {
        guard phase == .bound, let connection else { return false }
        let sequence = takeSequence()
        let ok = connection.write(reservingAtLeast: 16) { EnquireLink(sequenceNumber: sequence).encode(into: $0).written }
        if ok { connection.flushNow() }
        return ok
    }

    // MARK: ConnectionDelegate

    func connectionDidBecomeReady(_ connection: Connection) {
        let now = MonotonicClock.nanoseconds()
        driver.probeHandshakeDone(self, nanoseconds: now &- startedAt)
        if isAborting {
            connection.close()
            return
        }
        switch setup.plan {
        case .handshake:
            phase = .closing
            connection.closeAfterFlush()
        case .bindUnbind, .bindHold:
            phase = .binding
            sendBind(on: connection)
        }
    }

    func connection(_ connection: Connection, didReceive bytes: UnsafeRawBufferPointer) -> Int {
        PDUStream.consume(bytes, on: connection, badLength: { length in
            driver.probeNote(self, "bad command_length \(length); closing")
            driver.probeError(self, "bad_command_length")
        }, handle: { pdu in handle(pdu, on: connection) })
    }

    func connectionDidClose(_ connection: Connection, reason: CloseReason) {
        self.connection = nil
        let was = phase
        phase = .idle
        let end: ProbeEnd
        switch was {
        case .closing:
            end = endAfterClose
        case _ where isAborting:
            end = .aborted
        case .handshaking:
            driver.probeNote(self, "TLS handshake failed: \(reason)")
            end = .failed("handshake_failed")
        case .binding:
            driver.probeNote(self, "closed before bind_resp: \(reason)")
            end = .failed("connection_lost")
        case .bound:
            end = setup.plan == .bindHold ? .dropped(reason: "\(reason)") : .failed("connection_lost")
        case .unbinding:
            end = .failed("unbind_unanswered")
        case .idle, .connecting:
            preconditionFailure("ProbeSession: connectionDidClose in phase \(was)")
        }
        driver.probeEnded(self, end)
    }

    // MARK: receiving

    /// Handles one whole PDU; false when an answer did not fit the output ring (offer it again).
    private func handle(_ bytes: UnsafeRawBufferPointer, on connection: Connection) -> Bool {
        let received = PDUStream.decode(bytes, on: connection) { error, _ in
            driver.probeError(self, "decode_error:\(error.status.name)")
        }
        guard case let .pdu(decoded) = received else { return received.isAnswered }
        switch decoded {
        case let .bindTransmitterResp(resp), let .bindReceiverResp(resp), let .bindTransceiverResp(resp):
            guard phase == .binding, resp.sequenceNumber == bindSequence else {
                driver.probeError(self, "unexpected_sequence")
                return true
            }
            driver.probeBindAnswered(self, status: resp.commandStatus, nanoseconds: MonotonicClock.nanoseconds() &- bindSentAt)
            if resp.commandStatus != .ESME_ROK {
                endAfterClose = .bindRefused(resp.commandStatus)
                phase = .closing
                connection.closeAfterFlush()
            } else if isAborting || setup.plan == .bindUnbind {
                if !sendUnbind(on: connection) { connection.close() }
            } else {
                phase = .bound
            }
        case let .unbindResp(resp):
            guard phase == .unbinding, resp.sequenceNumber == unbindSequence else {
                driver.probeError(self, "unexpected_sequence")
                return true
            }
            if resp.commandStatus != .ESME_ROK { driver.probeError(self, "unbind:\(resp.commandStatus.name)") }
            endAfterClose = isAborting ? .aborted : .completed
            phase = .closing
            connection.closeAfterFlush()
        case let .enquireLink(e):
            guard connection.write(reservingAtLeast: 16, { EnquireLinkResp(sequenceNumber: e.sequenceNumber).encode(into: $0).written })
            else { return false }
            driver.probeEvent(self, .enquireLinkAnswered)
        case .enquireLinkResp:
            driver.probeEvent(self, .enquireLinkRespReceived)
        case let .deliverSM(deliver):
            guard connection.write(reservingAtLeast: 17, { DeliverSMResp(sequenceNumber: deliver.sequenceNumber).encode(into: $0).written })
            else { return false }
            driver.probeEvent(self, .deliverSMAnswered)
        case let .unbind(u):
            // The server is going away (shutdown, restart): answer and close; a bound hold
            // session reports .dropped and the driver reconnects it with backoff.
            _ = connection.write(reservingAtLeast: 16) { UnbindResp(sequenceNumber: u.sequenceNumber).encode(into: $0).written }
            switch phase {
            case .bound: endAfterClose = .dropped(reason: "the server sent unbind")
            case .unbinding: endAfterClose = isAborting ? .aborted : .completed  // both sides unbound
            default: endAfterClose = isAborting ? .aborted : .failed("server_unbind")
            }
            phase = .closing
            connection.closeAfterFlush()
        case let .genericNack(nack):
            driver.probeError(self, "generic_nack:\(nack.commandStatus.name)")
        default:
            driver.probeError(self, "unexpected_pdu")
        }
        return true
    }

    // MARK: sending

    private func takeSequence() -> UInt32 {
        let s = nextSequence
        nextSequence = nextSequence >= 0x7FFF_FFFF ? 1 : nextSequence + 1
        return s
    }

    private func sendBind(on connection: Connection) {
        let setup = self.setup
        bindSequence = takeSequence()
        let sequence = bindSequence
        let ok: Bool = setup.systemID.withUnsafeBytes { sid in
            setup.password.withUnsafeBytes { pw in
                connection.write(reservingAtLeast: 64 + sid.count + pw.count) { buffer in
                    Bind(kind: setup.bindKind, sequenceNumber: sequence,
                         systemID: BytesView(unsafeBorrowing: sid), password: BytesView(unsafeBorrowing: pw),
                         systemType: BytesView("bench")).encode(into: buffer).written
                }
            }
        }
        bindSentAt = MonotonicClock.nanoseconds()
        if ok {
            connection.flushNow()
        } else {
            driver.probeError(self, "bind_not_encoded")
            connection.close()
        }
    }

    /// Sends unbind and enters .unbinding; false when it could not be written.
    private func sendUnbind(on connection: Connection) -> Bool {
        unbindSequence = takeSequence()
        let sequence = unbindSequence
        guard connection.write(reservingAtLeast: 16, { Unbind(sequenceNumber: sequence).encode(into: $0).written }) else { return false }
        phase = .unbinding
        connection.flushNow()
        return true
    }
}
