// Test support for the SMPP upstream carrier: a loop run on the test's own thread until a
// condition holds (bounded in time, checked every millisecond: never sleep-and-hope), a
// scripted SMSC peer on 127.0.0.1:0 built on the Reactor's Listener and our codec, and a
// delegate that records what the carrier reports.

import Testing
@testable import Upstream
import Reactor
import SMPP
#if canImport(Glibc)
import Glibc
#endif

// MARK: - running the loop

final class LoopRunner {
    let loop: EventLoop
    init() throws { loop = try EventLoop() }

    /// Runs the loop until `condition` holds or `timeoutMs` passed; returns the condition.
    @discardableResult
    func run(timeoutMs: Int64 = 3_000, until condition: @escaping () -> Bool) -> Bool {
        if condition() { return true }
        let deadline = MonotonicClock.nanoseconds() + UInt64(timeoutMs) * 1_000_000
        let loop = self.loop
        final class Box { var timer: LoopTimer? }
        let box = Box()
        let timer = LoopTimer(loop: loop) {
            if condition() || MonotonicClock.nanoseconds() >= deadline {
                loop.stop()
            } else {
                box.timer?.schedule(after: .milliseconds(1))
            }
        }
        box.timer = timer
        timer.schedule(after: .milliseconds(1))
        loop.run()
        timer.cancel()
        box.timer = nil
        return condition()
    }

    /// Runs the loop for `ms` (to check that something does NOT happen).
    func idle(ms: Int64) {
        let deadline = MonotonicClock.nanoseconds() + UInt64(ms) * 1_000_000
        run(timeoutMs: ms + 1_000) { MonotonicClock.nanoseconds() >= deadline }
    }
}

// MARK: - the scripted SMSC peer

/// A submit_sm as the peer received it (copied out of the decoded view).
struct ReceivedSubmit {
    var connection: Int
    var sequence: UInt32
    var sourceTon: UInt8, sourceNpi: UInt8, source: String
    var destinationTon: UInt8, destinationNpi: UInt8, destination: String
    var esmClass: UInt8, protocolID: UInt8, priority: UInt8, dataCoding: UInt8, registeredDelivery: UInt8
    var shortMessage: [UInt8]
    var payload: [UInt8]?
    var sar: SARFields?
}

/// How the peer answers a submit_sm.
enum SubmitAnswer {
    case ok(String)
    case status(CommandStatus)
    case none
}

final class FakeSMSC {
    let loop: EventLoop
    private var listener: Listener?
    let port: Int
    /// Answer to each bind, by attempt (1-based count of binds seen); nil: ESME_ROK.
    var bindAnswer: (_ attempt: Int) -> CommandStatus? = { _ in .ESME_ROK }
    /// Answer to each submit_sm, by the count of submits seen so far (1-based).
    var submitAnswer: (_ count: Int, _ submit: ReceivedSubmit) -> SubmitAnswer = { n, _ in .ok("up-\(n)") }

    private(set) var peers: [Peer] = []
    private(set) var binds: [(kind: BindKind, systemID: String, password: String, systemType: String)] = []
    private(set) var submits: [ReceivedSubmit] = []
    private(set) var deliverSMResps: [(sequence: UInt32, status: CommandStatus)] = []
    private(set) var dataSMResps: [(sequence: UInt32, status: CommandStatus)] = []
    private(set) var enquireLinks = 0
    /// False: enquire_link goes unanswered.
    var answersEnquireLink = true
    private(set) var unbindResps = 0
    private(set) var unbinds = 0
    private(set) var genericNacks: [CommandStatus] = []

    init(loop: EventLoop, tls: TLSServerContext? = nil) throws {
        self.loop = loop
        var options = ConnectionOptions()
        options.releaseIdleBuffersAfter = nil
        let box = PeerBox()
        let l = try Listener(loop: loop, endpoint: Endpoint(host: "127.0.0.1", port: 0), tls: tls, options: options) { c in
            guard let smsc = box.smsc else { c.close(); return }
            let peer = Peer(smsc: smsc, connection: c, index: smsc.peers.count)
            c.delegate = peer
            smsc.peers.append(peer)
        }
        listener = l
        port = Int(l.boundEndpoint.port)
        box.smsc = self
        self.box = box
    }
    private var box: PeerBox?
    final class PeerBox { weak var smsc: FakeSMSC? }

    /// Stops accepting (the port then refuses connects).
    func closeListener() { listener?.close(); listener = nil }

    var openPeers: [Peer] { peers.filter { $0.connection.isOpen } }
    var boundPeers: [Peer] { peers.filter { $0.isBound && $0.connection.isOpen } }

    final class Peer: ConnectionDelegate {
        unowned let smsc: FakeSMSC
        let connection: Connection
        let index: Int
        var isBound = false
        var bindKind: BindKind?
        private var nextSequence: UInt32 = 1

        init(smsc: FakeSMSC, connection: Connection, index: Int) {
            self.smsc = smsc
            self.connection = connection
            self.index = index
        }

        func connectionDidBecomeReady(_ connection: Connection) {}
        func connectionDidClose(_ connection: Connection, reason: CloseReason) { isBound = false }

        func connection(_ connection: Connection, didReceive bytes: UnsafeRawBufferPointer) -> Int {
            var offset = 0
            while offset < bytes.count {
                let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
                guard case let .pdu(length) = PDUFramer.frame(rest, maxPDULength: 100_000) else { return offset }
                let pdu = UnsafeRawBufferPointer(rebasing: rest[..<length])
                if case let .success(decoded) = PDUDecoder.decode(pdu) { handle(decoded) }
                offset += length
                if !connection.isOpen { return offset }
            }
            return offset
        }

        private func handle(_ pdu: DecodedPDU) {
            switch pdu {
            case let .bindTransmitter(b), let .bindReceiver(b), let .bindTransceiver(b):
                smsc.binds.append((b.kind, b.systemID.makeString(), b.password.makeString(), b.systemType.makeString()))
                let status = smsc.bindAnswer(smsc.binds.count) ?? .ESME_ROK
                write(BindResp(kind: b.kind, sequenceNumber: b.sequenceNumber, status: status, systemID: BytesView("fake")))
                if status.isOK {
                    isBound = true
                    bindKind = b.kind
                }
            case let .submitSM(s):
                var sar: SARFields?
                if let ref = s.tlvs.sarMsgRefNum, let total = s.tlvs.sarTotalSegments, let seq = s.tlvs.sarSegmentSeqnum {
                    sar = SARFields(reference: ref, total: total, sequence: seq)
                }
                let received = ReceivedSubmit(
                    connection: index, sequence: s.sequenceNumber,
                    sourceTon: s.sourceAddrTon.rawValue, sourceNpi: s.sourceAddrNpi.rawValue, source: s.sourceAddr.makeString(),
                    destinationTon: s.destAddrTon.rawValue, destinationNpi: s.destAddrNpi.rawValue,
                    destination: s.destinationAddr.makeString(), esmClass: s.esmClass, protocolID: s.protocolID,
                    priority: s.priorityFlag, dataCoding: s.dataCoding, registeredDelivery: s.registeredDelivery,
                    shortMessage: s.shortMessage.makeArray(), payload: s.tlvs.messagePayload?.makeArray(), sar: sar)
                smsc.submits.append(received)
                switch smsc.submitAnswer(smsc.submits.count, received) {
                case let .ok(id):
                    let bytes = Array(id.utf8)
                    bytes.withUnsafeBytes { idBytes in
                        write(SubmitSMResp(sequenceNumber: s.sequenceNumber, messageID: BytesView(unsafeBorrowing: idBytes)))
                    }
                case let .status(status):
                    write(SubmitSMResp(sequenceNumber: s.sequenceNumber, status: status, messageID: .empty))
                case .none:
                    break
                }
            case let .deliverSMResp(r):
                smsc.deliverSMResps.append((r.sequenceNumber, r.commandStatus))
            case let .dataSMResp(r):
                smsc.dataSMResps.append((r.sequenceNumber, r.commandStatus))
            case let .enquireLink(e):
                smsc.enquireLinks += 1
                if smsc.answersEnquireLink { write(EnquireLinkResp(sequenceNumber: e.sequenceNumber)) }
            case let .unbind(u):
                smsc.unbinds += 1
                write(UnbindResp(sequenceNumber: u.sequenceNumber))
                connection.closeAfterFlush()
            case .unbindResp:
                smsc.unbindResps += 1
                connection.close()
            case let .genericNack(n):
                smsc.genericNacks.append(n.commandStatus)
            default:
                break
            }
        }

        func takeSequence() -> UInt32 {
            defer { nextSequence += 1 }
            return nextSequence
        }

        func write<P: EncodablePDU>(_ pdu: P) {
            let ok = connection.write(reservingAtLeast: 2048) { buffer in
                if case let .wrote(n) = pdu.encode(into: buffer) { return n }
                Issue.record("FakeSMSC: cannot encode \(pdu)")
                return 0
            }
            #expect(ok)
        }

        /// A delivery receipt: with the three receipt TLVs when `withTLVs`, else text only.
        @discardableResult
        func sendReceipt(id: String, stat: String, err: String = "000", withTLVs: Bool,
                         state: MessageState = .delivered, networkError: UInt16 = 0, esmClass: UInt8 = 0x04) -> UInt32 {
            let sequence = takeSequence()
            let text = Array("id:\(withTLVs ? "ignored" : id) sub:001 dlvrd:001 submit date:2612070000 done date:2612070001 stat:\(stat) err:\(err) text:hello".utf8)
            let idBytes = Array(id.utf8)
            text.withUnsafeBytes { t in
                idBytes.withUnsafeBytes { i in
                    write(DeliverSM(sequenceNumber: sequence, sourceAddr: BytesView("447700900001"),
                                    destinationAddr: BytesView("447700900002"), esmClass: esmClass,
                                    shortMessage: BytesView(unsafeBorrowing: t),
                                    receiptedMessageID: withTLVs ? BytesView(unsafeBorrowing: i) : nil,
                                    messageState: withTLVs ? state.rawValue : nil,
                                    networkErrorCode: withTLVs ? NetworkErrorCode(networkType: 3, errorCode: networkError) : nil))
                }
            }
            return sequence
        }

        @discardableResult
        func sendMO(source: String, destination: String, text: String) -> UInt32 {
            let sequence = takeSequence()
            let s = Array(source.utf8), d = Array(destination.utf8), t = Array(text.utf8)
            s.withUnsafeBytes { sb in
                d.withUnsafeBytes { db in
                    t.withUnsafeBytes { tb in
                        write(DeliverSM(sequenceNumber: sequence, sourceAddrTon: .national, sourceAddrNpi: .isdn,
                                        sourceAddr: BytesView(unsafeBorrowing: sb), destinationAddr: BytesView(unsafeBorrowing: db),
                                        esmClass: 0, dataCoding: 0, shortMessage: BytesView(unsafeBorrowing: tb)))
                    }
                }
            }
            return sequence
        }

        /// A data_sm with these TLVs (tag, value) and esm_class (0x04: a receipt).
        @discardableResult
        func sendDataSM(esmClass: UInt8, tlvs: [(UInt16, [UInt8])], destination: String = "447700900002") -> UInt32 {
            let sequence = takeSequence()
            var raw: [UInt8] = []
            for (tag, value) in tlvs {
                raw += [UInt8(tag >> 8), UInt8(tag & 0xFF), UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
            }
            let d = Array(destination.utf8)
            raw.withUnsafeBytes { r in
                d.withUnsafeBytes { db in
                    write(DataSM(sequenceNumber: sequence, sourceAddr: BytesView("447700900001"),
                                 destinationAddr: BytesView(unsafeBorrowing: db), esmClass: esmClass,
                                 tlvs: TLVList(bytes: BytesView(unsafeBorrowing: r))))
                }
            }
            return sequence
        }

        func sendUnbind() { write(Unbind(sequenceNumber: takeSequence())) }
        func sendEnquireLink() { write(EnquireLink(sequenceNumber: takeSequence())) }
        /// A request the carrier does not take (query_sm) as a bare header.
        func sendUnknownCommand() {
            _ = connection.write(reservingAtLeast: 16) { b in
                let header: [UInt8] = [0, 0, 0, 16, 0, 0, 0x01, 0x99, 0, 0, 0, 0, 0, 0, 0, 0x77]
                b.copyBytes(from: header)
                return 16
            }
        }
    }
}

// MARK: - the delegate

final class RecordingDelegate: UpstreamCarrierDelegate {
    var accepted: [(id: UInt64, upstreamID: String)] = []
    var refused: [(id: UInt64, state: MessageState, errorCode: UInt16)] = []
    var returned: [UInt64] = []
    var receipts: [(upstreamID: String, state: MessageState, errorCode: UInt16)] = []
    var mos: [UpstreamMO] = []
    /// Called inside receiptFor (a test's hook into the write rule).
    var onReceipt: (() -> Void)?
    /// What receiptFor and mobileOriginated answer.
    var answer = UpstreamDeliveryAnswer.taken
    /// The HTTP carrier's events, when a test records them.
    var httpEvents: [HTTPUpstreamEvent] = []

    func carrier(_ carrier: UpstreamCarrier, accepted id: UInt64, upstreamID: UpstreamID) { accepted.append((id, upstreamID.description)) }
    func carrier(_ carrier: UpstreamCarrier, refused id: UInt64, state: MessageState, errorCode: UInt16) {
        refused.append((id, state, errorCode))
    }
    func carrier(_ carrier: UpstreamCarrier, returned messages: [OutboundMessage]) { returned += messages.map(\.id) }
    func carrier(_ carrier: UpstreamCarrier, receiptFor upstreamID: UpstreamID, state: MessageState, errorCode: UInt16) -> UpstreamDeliveryAnswer {
        receipts.append((upstreamID.description, state, errorCode))
        onReceipt?()
        return answer
    }
    func carrier(_ carrier: UpstreamCarrier, mobileOriginated mo: UpstreamMO) -> UpstreamDeliveryAnswer {
        mos.append(mo)
        return answer
    }
}

// MARK: - fixtures

/// Settings for a carrier against `port`, with short timers so a test takes milliseconds.
func testSettings(port: Int) -> SMPPUpstreamSettings {
    var s = SMPPUpstreamSettings()
    s.host = "127.0.0.1"
    s.port = port
    s.systemID = "smppd"
    s.password = "secret"
    s.systemType = "upstream"
    s.window = 8
    s.enquireLinkMs = 60_000
    s.responseTimeoutMs = 2_000
    s.reconnect = BackoffSettings(initialMs: 10, maximumMs: 40)
    s.throttle = BackoffSettings(initialMs: 20, maximumMs: 100)
    s.breaker.failures = 1_000
    s.breaker.openMs = 60_000
    return s
}

func message(_ id: UInt64, text: String = "hello", deadlineMs: Int64 = Int64.max / 2) -> OutboundMessage {
    OutboundMessage(id: id, systemID: "client", sourceTon: 1, sourceNpi: 1, source: "447700900001",
                    destinationTon: 1, destinationNpi: 1, destination: "447700900002", shortMessage: Array(text.utf8),
                    submitTimeMs: 0, validityDeadlineMs: deadlineMs)
}

/// A loop, a peer and a carrier wired to a recording delegate, with its events recorded.
final class Harness {
    let runner: LoopRunner
    let smsc: FakeSMSC
    let carrier: SMPPUpstream
    let delegate = RecordingDelegate()
    var events: [SMPPUpstreamEvent] = []

    init(tls: TLSServerContext? = nil, _ configure: (inout SMPPUpstreamSettings) -> Void = { _ in }) throws {
        runner = try LoopRunner()
        smsc = try FakeSMSC(loop: runner.loop, tls: tls)
        var settings = testSettings(port: smsc.port)
        configure(&settings)
        carrier = try SMPPUpstream(name: "up", settings: settings, loop: runner.loop)
        carrier.delegate = delegate
        carrier.onEvent = { [unowned self] in self.events.append($0) }
    }

    var loop: EventLoop { runner.loop }

    @discardableResult
    func run(timeoutMs: Int64 = 3_000, until condition: @escaping () -> Bool) -> Bool {
        runner.run(timeoutMs: timeoutMs, until: condition)
    }

    func startAndBind(sessions: Int = 1) -> Bool {
        carrier.start()
        return run { self.carrier.stats.connections == sessions }
    }

    var reconnectDelays: [Int64] {
        events.compactMap { if case let .reconnectScheduled(_, d) = $0 { d } else { nil } }
    }

    func tearDown() {
        carrier.stop()
        runner.idle(ms: 5)
    }
}

/// A fresh directory under /tmp with a self-signed certificate and key in it (removed by `remove()`).
struct TLSFixture {
    let directory: String
    let context: TLSServerContext
    let certificatePath: String

    init() throws {
        var template = Array("/tmp/smppd-upstream-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp: errno \(errno)")
        directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        let pair = try TLSServerContext.loadOrCreateSelfSigned(directory: directory, commonName: "fake-upstream")
        context = pair.context
        certificatePath = pair.certificatePath
    }

    func remove() {
        unlink(directory + "/" + TLSServerContext.selfSignedCertificateFileName)
        unlink(directory + "/" + TLSServerContext.selfSignedKeyFileName)
        rmdir(directory)
    }
}
