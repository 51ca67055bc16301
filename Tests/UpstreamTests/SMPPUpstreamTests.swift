// The SMPP upstream carrier against a scripted SMSC peer on 127.0.0.1 (real sockets, one loop
// on the test's thread, every wait bounded by a deadline).

import Testing
@testable import Upstream
import Reactor
import SMPP

@Suite struct SMPPUpstreamTests {
    @Test func bindsAndForwardsAndMapsTheAcceptance() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        #expect(h.smsc.binds.count == 1)
        #expect(h.smsc.binds.first?.kind == .transceiver)
        #expect(h.smsc.binds.first?.systemID == "smppd")
        #expect(h.smsc.binds.first?.password == "secret")
        #expect(h.smsc.binds.first?.systemType == "upstream")
        #expect(h.events.contains(.bound(session: 0, kind: "transceiver")))
        for i in 1...20 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run { h.delegate.accepted.count == 20 })
        #expect(h.delegate.accepted.map(\.id) == (1...20).map { UInt64($0) })
        #expect(h.delegate.accepted.first?.upstreamID == "up-1")
        let stats = h.carrier.stats
        #expect(stats.accepted == 20 && stats.inFlight == 0 && stats.queued == 0)
        #expect(stats.answerLatencyCount == 20)
        #expect(stats.circuit == .closed && stats.connections == 1)
        #expect(h.carrier.isAvailable)
    }

    @Test func messagesWaitInTheQueueUntilASessionBinds() throws {
        let h = try Harness { $0.window = 2 }
        defer { h.tearDown() }
        h.smsc.submitAnswer = { _, _ in .none }
        for i in 1...5 { h.carrier.send(message(UInt64(i))) }
        #expect(h.carrier.stats.queued == 5)
        h.carrier.start()
        #expect(h.run { h.smsc.submits.count == 2 })
        h.runner.idle(ms: 20)
        #expect(h.smsc.submits.count == 2)   // the window holds the rest back
        #expect(h.carrier.stats.inFlight == 2 && h.carrier.stats.queued == 3)
    }

    @Test func forwardsTheFieldsAsTheyCame() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        let udh: [UInt8] = [0x05, 0x00, 0x03, 0x42, 0x02, 0x01]
        var m = message(1)
        m.sourceTon = 5; m.sourceNpi = 0; m.source = "ACME"
        m.destinationTon = 2; m.destinationNpi = 8; m.destination = "07700900123"
        m.esmClass = 0x40; m.protocolID = 0x7F; m.priority = 2; m.dataCoding = 0x08
        m.shortMessage = udh + [0x00, 0x41, 0x00, 0x42]
        var p = message(2)
        p.shortMessage = []
        p.messagePayload = Array(repeating: 0x61, count: 600)
        var s = message(3)
        s.sar = SARFields(reference: 0x1234, total: 3, sequence: 2)
        h.carrier.send(m)
        h.carrier.send(p)
        h.carrier.send(s)
        #expect(h.run { h.smsc.submits.count == 3 })
        let r = h.smsc.submits
        #expect(r[0].sourceTon == 5 && r[0].sourceNpi == 0 && r[0].source == "ACME")
        #expect(r[0].destinationTon == 2 && r[0].destinationNpi == 8 && r[0].destination == "07700900123")
        #expect(r[0].esmClass == 0x40 && r[0].protocolID == 0x7F && r[0].priority == 2 && r[0].dataCoding == 0x08)
        #expect(r[0].shortMessage == udh + [0x00, 0x41, 0x00, 0x42])
        #expect(r[0].payload == nil && r[0].sar == nil)
        #expect(r[1].shortMessage.isEmpty && r[1].payload == Array(repeating: 0x61, count: 600))
        #expect(r[2].sar == SARFields(reference: 0x1234, total: 3, sequence: 2))
        #expect(r.allSatisfy { $0.registeredDelivery == 1 })
        #expect(Set(r.map(\.sequence)).count == 3)
    }

    @Test func refusedStatusesEndTheMessage() throws {
        let h = try Harness()
        defer { h.tearDown() }
        h.smsc.submitAnswer = { n, _ in
            switch n {
            case 1: .status(.ESME_RINVDSTADR)
            case 2: .status(.ESME_RSYSERR)
            default: .status(CommandStatus(rawValue: 0x0400))
            }
        }
        #expect(h.startAndBind())
        for i in 1...3 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run { h.delegate.refused.count == 3 })
        let r = h.delegate.refused
        #expect(r[0].id == 1 && r[0].state == .rejected && r[0].errorCode == 0x0B)
        #expect(r[1].id == 2 && r[1].state == .undeliverable && r[1].errorCode == 8)
        #expect(r[2].id == 3 && r[2].state == .rejected && r[2].errorCode == 999)
        #expect(h.carrier.stats.refused == 3 && h.delegate.accepted.isEmpty)
    }

    @Test func throttledThenAccepted() throws {
        let h = try Harness()
        defer { h.tearDown() }
        h.smsc.submitAnswer = { n, _ in n == 1 ? .status(.ESME_RTHROTTLED) : .ok("up-\(n)") }
        #expect(h.startAndBind())
        h.carrier.send(message(7))
        #expect(h.run { h.delegate.accepted.count == 1 })
        #expect(h.delegate.accepted.first?.id == 7 && h.delegate.accepted.first?.upstreamID == "up-2")
        #expect(h.delegate.refused.isEmpty)
        #expect(h.smsc.submits.count == 2)
        #expect(h.carrier.counters.throttled == 1 && h.carrier.stats.retries == 1)
        #expect(h.events.contains(.throttled(session: 0, pauseMs: 20)))
    }

    @Test func notBoundAnswerRebindsAndResends() throws {
        let h = try Harness()
        defer { h.tearDown() }
        h.smsc.submitAnswer = { n, _ in n == 1 ? .status(.ESME_RINVBNDSTS) : .ok("up-\(n)") }
        #expect(h.startAndBind())
        h.carrier.send(message(4))
        #expect(h.run { h.delegate.accepted.count == 1 })
        #expect(h.delegate.refused.isEmpty && h.smsc.binds.count == 2)
        #expect(h.delegate.accepted.first?.upstreamID == "up-2")
    }

    @Test func repeatedThrottlingDoublesThePause() throws {
        let h = try Harness()
        defer { h.tearDown() }
        h.smsc.submitAnswer = { n, _ in n <= 3 ? .status(.ESME_RMSGQFUL) : .ok("x") }
        #expect(h.startAndBind())
        h.carrier.send(message(1))
        #expect(h.run { h.delegate.accepted.count == 1 })
        let pauses = h.events.compactMap { if case let .throttled(_, ms) = $0 { ms } else { nil } }
        #expect(pauses == [20, 40, 80])
    }

    @Test func receiptWithTLVsReachesTheDelegateAndIsAnswered() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        let seq = h.smsc.boundPeers[0].sendReceipt(id: "abc-123", stat: "UNDELIV", withTLVs: true,
                                                   state: .undeliverable, networkError: 0x0105)
        #expect(h.run { h.smsc.deliverSMResps.count == 1 })
        #expect(h.delegate.receipts.count == 1)
        #expect(h.delegate.receipts.first?.upstreamID == "abc-123")
        #expect(h.delegate.receipts.first?.state == .undeliverable)
        #expect(h.delegate.receipts.first?.errorCode == 0x0105)
        #expect(h.smsc.deliverSMResps.first?.sequence == seq && h.smsc.deliverSMResps.first?.status == .ESME_ROK)
        #expect(h.carrier.stats.receipts == 1)
    }

    /// A receipt the SMSC cannot take yet is answered ESME_RX_T_APPN (delivered again later),
    /// an MO it never can ESME_RX_P_APPN.
    @Test(arguments: [(UpstreamDeliveryAnswer.retryLater, CommandStatus.ESME_RX_T_APPN), (.refused, .ESME_RX_P_APPN)])
    func receiptOrMONotTakenIsAnsweredWithTheMatchingStatus(answer: UpstreamDeliveryAnswer, status: CommandStatus) throws {
        let h = try Harness()
        defer { h.tearDown() }
        h.delegate.answer = answer
        #expect(h.startAndBind())
        h.smsc.boundPeers[0].sendReceipt(id: "not-yet", stat: "DELIVRD", withTLVs: true, state: .delivered)
        #expect(h.run { h.smsc.deliverSMResps.count == 1 })
        #expect(h.smsc.deliverSMResps.first?.status == status)
        #expect(h.carrier.counters.unknownReceipts == 1)
    }

    /// Some SMSCs send receipts and MO as data_sm: the same handling, answered data_sm_resp.
    @Test func receiptAndMOByDataSM() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        let receipt = h.smsc.boundPeers[0].sendDataSM(esmClass: 0x04, tlvs: [(0x001E, Array("up-9".utf8) + [0]), (0x0427, [5])])
        let mo = h.smsc.boundPeers[0].sendDataSM(esmClass: 0x40, tlvs: [(0x0424, [5, 0, 3, 1, 2, 1] + Array("hi".utf8))])
        #expect(h.run { h.smsc.dataSMResps.count == 2 })
        #expect(h.smsc.dataSMResps.map(\.sequence) == [receipt, mo] && h.smsc.dataSMResps.allSatisfy { $0.status == .ESME_ROK })
        #expect(h.delegate.receipts.first?.upstreamID == "up-9" && h.delegate.receipts.first?.state == .undeliverable)
        #expect(h.delegate.mos.first?.text == [5, 0, 3, 1, 2, 1] + Array("hi".utf8) && h.delegate.mos.first?.esmClass == 0x40)
    }

    /// esm_class message types: 0x20 (intermediate notification) is a receipt; 0x08 and 0x10
    /// (SME and manual acknowledgements) are answered and are neither a receipt nor an MO.
    @Test func receiptTypesOtherThanTheDeliveryReceipt() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        h.smsc.boundPeers[0].sendReceipt(id: "ack-1", stat: "DELIVRD", withTLVs: true, esmClass: 0x08)
        h.smsc.boundPeers[0].sendReceipt(id: "ack-2", stat: "DELIVRD", withTLVs: true, esmClass: 0x10)
        h.smsc.boundPeers[0].sendReceipt(id: "mid-1", stat: "ACCEPTD", withTLVs: true, state: .accepted, esmClass: 0x20)
        #expect(h.run { h.smsc.deliverSMResps.count == 3 })
        #expect(h.smsc.deliverSMResps.allSatisfy { $0.status == .ESME_ROK })
        #expect(h.delegate.mos.isEmpty)
        #expect(h.delegate.receipts.map(\.upstreamID) == ["mid-1"] && h.delegate.receipts.first?.state == .accepted)
    }

    @Test func receiptFromTextOnly() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        h.smsc.boundPeers[0].sendReceipt(id: "7f000001", stat: "DELIVRD", err: "012", withTLVs: false)
        #expect(h.run { h.smsc.deliverSMResps.count == 1 })
        #expect(h.delegate.receipts.first?.upstreamID == "7f000001")
        #expect(h.delegate.receipts.first?.state == .delivered)
        #expect(h.delegate.receipts.first?.errorCode == 12)
    }

    @Test func unreadableReceiptIsStillAnswered() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        h.smsc.boundPeers[0].sendReceipt(id: "x", stat: "WHATEVER", withTLVs: false)
        #expect(h.run { h.smsc.deliverSMResps.count == 1 })
        #expect(h.delegate.receipts.isEmpty)
        #expect(h.carrier.counters.unreadableReceipts == 1)
    }

    /// The SMSC holds the next write until its change is durable: that write must be the
    /// deliver_sm_resp, not a submit_sm sent from inside the delegate.
    @Test func theAnswerIsTheNextWriteAfterTheReceipt() throws {
        let h = try Harness()
        defer { h.tearDown() }
        let gate = OutputGate()
        h.loop.outputGate = gate
        #expect(h.startAndBind())
        h.smsc.submitAnswer = { _, _ in .none }
        h.delegate.onReceipt = { [unowned h] in
            gate.holdNextWrite(until: 1)
            h.carrier.send(message(99))
        }
        h.smsc.boundPeers[0].sendReceipt(id: "r1", stat: "DELIVRD", withTLVs: true)
        // The submit (written after the held answer) waits with it.
        h.runner.idle(ms: 30)
        #expect(h.delegate.receipts.count == 1)
        #expect(h.smsc.deliverSMResps.isEmpty && h.smsc.submits.isEmpty)
        gate.release(through: 1)
        #expect(h.run { h.smsc.deliverSMResps.count == 1 && h.smsc.submits.count == 1 })
    }

    @Test func mobileOriginatedReachesTheDelegate() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        let seq = h.smsc.boundPeers[0].sendMO(source: "07700900999", destination: "12345", text: "STOP")
        #expect(h.run { h.smsc.deliverSMResps.count == 1 })
        #expect(h.delegate.mos.count == 1)
        #expect(h.delegate.mos.first == UpstreamMO(sourceTon: 2, sourceNpi: 1, source: "07700900999", destination: "12345",
                                                   dataCoding: 0, text: Array("STOP".utf8)))
        #expect(h.smsc.deliverSMResps.first?.sequence == seq)
        #expect(h.carrier.stats.mobileOriginated == 1)
    }

    @Test func answersEnquireLinkAndNacksUnknownCommands() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        let peer = h.smsc.boundPeers[0]
        peer.sendUnknownCommand()
        #expect(h.run { h.smsc.genericNacks.count == 1 })
        #expect(h.smsc.genericNacks.first == .ESME_RINVCMDID)
        #expect(h.carrier.stats.connections == 1)
    }

    @Test func sendsEnquireLinkWhenIdle() throws {
        let h = try Harness { $0.enquireLinkMs = 30 }
        defer { h.tearDown() }
        #expect(h.startAndBind())
        #expect(h.run { h.smsc.enquireLinks >= 2 })
        #expect(h.carrier.stats.connections == 1)
        #expect(h.carrier.counters.responseTimeouts == 0)
    }

    @Test func anUnansweredEnquireLinkDropsAndReconnects() throws {
        let h = try Harness {
            $0.enquireLinkMs = 20
            $0.responseTimeoutMs = 200
        }
        defer { h.tearDown() }
        h.smsc.answersEnquireLink = false
        #expect(h.startAndBind())
        #expect(h.run { h.events.contains(.disconnected(session: 0, reason: "no response within 200 ms")) })
        #expect(h.run { h.smsc.binds.count == 2 })
        #expect(h.carrier.counters.responseTimeouts >= 1)
    }

    @Test func manyMessagesThroughASmallWindow() throws {
        let h = try Harness { $0.window = 3 }
        defer { h.tearDown() }
        #expect(h.startAndBind())
        // Answers arrive while the carrier sends: enquire_link on the way keeps sequence numbers
        // from lining up with the window's slots.
        h.smsc.boundPeers[0].sendEnquireLink()
        for i in 1...500 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run(timeoutMs: 10_000) { h.delegate.accepted.count == 500 })
        #expect(h.delegate.accepted.map(\.id) == (1...500).map { UInt64($0) })
        #expect(h.carrier.stats.inFlight == 0 && h.carrier.stats.queued == 0)
    }

    @Test func unbindFromThePeerReconnects() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        h.smsc.boundPeers[0].sendUnbind()
        #expect(h.run { h.smsc.unbindResps == 1 })
        #expect(h.run { h.smsc.binds.count == 2 && h.carrier.stats.connections == 1 })
        #expect(h.events.contains(.disconnected(session: 0, reason: "the upstream sent unbind")))
        #expect(h.reconnectDelays == [10])
        h.carrier.send(message(1))
        #expect(h.run { h.delegate.accepted.count == 1 })
        #expect(h.delegate.accepted.first?.upstreamID == "up-1")
    }

    @Test func inFlightMessagesAreResentAfterTheConnectionDrops() throws {
        let h = try Harness()
        defer { h.tearDown() }
        h.smsc.submitAnswer = { n, _ in n <= 3 ? .none : .ok("up-\(n)") }
        #expect(h.startAndBind())
        for i in 1...3 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run { h.smsc.submits.count == 3 })
        #expect(h.carrier.stats.inFlight == 3)
        h.smsc.boundPeers[0].connection.close()
        #expect(h.run { h.delegate.accepted.count == 3 })
        #expect(Set(h.delegate.accepted.map(\.id)) == [1, 2, 3])
        #expect(h.smsc.binds.count == 2)
        #expect(h.smsc.submits.suffix(3).allSatisfy { $0.connection == 1 })
        #expect(h.carrier.stats.retries == 3)
        #expect(h.carrier.counters.disconnects == 1)
    }

    @Test func aSubmitWithoutAnswerTimesOutAndIsResent() throws {
        let h = try Harness { $0.responseTimeoutMs = 100 }
        defer { h.tearDown() }
        h.smsc.submitAnswer = { n, _ in n == 1 ? .none : .ok("up-\(n)") }
        #expect(h.startAndBind())
        h.carrier.send(message(5))
        #expect(h.run { h.delegate.accepted.count == 1 })
        #expect(h.delegate.accepted.first?.upstreamID == "up-2")
        #expect(h.carrier.counters.responseTimeouts == 1)
        #expect(h.smsc.binds.count == 2)
    }

    @Test func refusedBindBacksOffWithGrowingDelays() throws {
        let h = try Harness()
        defer { h.tearDown() }
        h.smsc.bindAnswer = { n in n <= 4 ? .ESME_RINVPASWD : .ESME_ROK }
        h.carrier.start()
        #expect(h.run { h.carrier.stats.connections == 1 })
        #expect(h.reconnectDelays == [10, 20, 40, 40])
        #expect(h.carrier.counters.bindFailures == 4)
        #expect(h.events.filter { $0 == .bindFailed(session: 0, status: .ESME_RINVPASWD) }.count == 4)
        // Bound: the backoff starts again from the first delay.
        h.smsc.boundPeers[0].connection.close()
        #expect(h.run { h.reconnectDelays.count == 5 })
        #expect(h.reconnectDelays.last == 10)
    }

    @Test func breakerOpensAfterFailuresAndReturnsQueuedMessages() throws {
        let h = try Harness { $0.breaker.failures = 3 }
        defer { h.tearDown() }
        h.smsc.bindAnswer = { _ in .ESME_RBINDFAIL }
        for i in 1...4 { h.carrier.send(message(UInt64(i))) }
        h.carrier.start()
        #expect(h.run { h.carrier.stats.circuit == .open })
        #expect(h.smsc.binds.count == 3)
        #expect(h.events.contains(.circuitOpened(failures: 3)))
        #expect(h.delegate.returned == [1, 2, 3, 4])
        #expect(!h.carrier.isAvailable)
        #expect(h.carrier.stats.queued == 0)
        h.carrier.send(message(9))   // sent anyway while open: handed straight back
        #expect(h.delegate.returned.last == 9)
        h.runner.idle(ms: 30)
        #expect(h.smsc.binds.count == 3)   // no reconnect while open
    }

    @Test func aSessionThatCannotBindDoesNotOpenTheCircuitWhileAnotherSends() throws {
        let h = try Harness {
            $0.sessions = 2
            $0.breaker.failures = 2
        }
        defer { h.tearDown() }
        h.smsc.bindAnswer = { n in n == 1 ? .ESME_ROK : .ESME_RALYBND }
        h.carrier.start()
        #expect(h.run { h.carrier.counters.bindFailures >= 4 })
        #expect(h.carrier.stats.circuit == .closed && h.carrier.stats.connections == 1)
        h.carrier.send(message(1))
        #expect(h.run { h.delegate.accepted.count == 1 })
    }

    @Test func openingCircuitReturnsMessagesSentWithoutAnswer() throws {
        let h = try Harness {
            $0.breaker.failures = 1
            $0.responseTimeoutMs = 200
            $0.window = 2
        }
        defer { h.tearDown() }
        h.smsc.submitAnswer = { _, _ in .none }
        #expect(h.startAndBind())
        for i in 1...3 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run { h.carrier.stats.circuit == .open })
        #expect(h.delegate.returned == [1, 2, 3])   // 1 and 2 were in flight, 3 queued
        #expect(h.carrier.stats.inFlight == 0 && h.carrier.stats.queued == 0 && h.carrier.stats.connections == 0)
    }

    /// An upstream that binds every session and then answers nothing: each session's timeout
    /// counts, even while another session is bound, so the circuit opens (and the route's next
    /// carrier takes over) instead of the sessions cycling with the circuit closed.
    @Test func sessionsThatBindButGetNoAnswersOpenTheCircuit() throws {
        let h = try Harness {
            $0.sessions = 3
            $0.breaker.failures = 3
            $0.responseTimeoutMs = 150
            $0.window = 2
        }
        defer { h.tearDown() }
        h.smsc.submitAnswer = { _, _ in .none }
        h.carrier.start()
        #expect(h.run { h.carrier.stats.connections == 3 })
        for i in 1...6 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run { h.carrier.stats.circuit == .open })
        #expect(Set(h.delegate.returned) == Set(1...6))
        // The three timeouts opened it: none was excused because another session was bound.
        #expect(h.carrier.counters.responseTimeouts == 3)
    }

    @Test func stopFromInsideADelegateCallLosesNothing() throws {
        let h = try Harness { $0.window = 2 }
        defer { h.tearDown() }   // stop() again is a no-op; this lets the loop finish the closes
        h.smsc.submitAnswer = { n, _ in n == 1 ? .ok("up-1") : .none }
        var stopped = false
        let carrier = h.carrier
        final class StopOnAccept: UpstreamCarrierDelegate {
            let inner: RecordingDelegate
            let onAccept: () -> Void
            init(_ inner: RecordingDelegate, _ onAccept: @escaping () -> Void) { self.inner = inner; self.onAccept = onAccept }
            func carrier(_ c: UpstreamCarrier, accepted id: UInt64, upstreamID: UpstreamID) {
                inner.carrier(c, accepted: id, upstreamID: upstreamID)
                onAccept()
            }
            func carrier(_ c: UpstreamCarrier, refused id: UInt64, state: MessageState, errorCode: UInt16) {
                inner.carrier(c, refused: id, state: state, errorCode: errorCode)
            }
            func carrier(_ c: UpstreamCarrier, returned messages: [OutboundMessage]) { inner.carrier(c, returned: messages) }
            func carrier(_ c: UpstreamCarrier, receiptFor u: UpstreamID, state: MessageState, errorCode: UInt16) -> UpstreamDeliveryAnswer { .taken }
            func carrier(_ c: UpstreamCarrier, mobileOriginated mo: UpstreamMO) -> UpstreamDeliveryAnswer { .taken }
        }
        let delegate = StopOnAccept(h.delegate) { [unowned carrier] in
            stopped = true
            carrier.stop()
        }
        h.carrier.delegate = delegate
        #expect(h.startAndBind())
        for i in 1...5 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run { stopped })
        h.runner.idle(ms: 10)
        #expect(h.delegate.accepted.map(\.id) == [1])
        #expect(Set(h.delegate.returned) == [2, 3, 4, 5])
        #expect(h.delegate.returned.count == 4)
        #expect(h.carrier.stats.queued == 0 && h.carrier.stats.inFlight == 0)
    }

    @Test func halfOpenTrialClosesTheBreakerOnAnAnswer() throws {
        let h = try Harness {
            $0.breaker.failures = 2
            $0.breaker.openMs = 50
        }
        defer { h.tearDown() }
        h.smsc.bindAnswer = { n in n <= 2 ? .ESME_RBINDFAIL : .ESME_ROK }
        h.carrier.start()
        #expect(h.run { h.carrier.stats.circuit == .open })
        #expect(h.run { h.carrier.stats.circuit == .halfOpen })
        #expect(h.carrier.isAvailable)
        #expect(h.run { h.carrier.stats.connections == 1 })
        h.carrier.send(message(1))
        #expect(h.run { h.carrier.stats.circuit == .closed })
        #expect(h.delegate.accepted.count == 1)
        #expect(h.events.contains(.circuitHalfOpen) && h.events.contains(.circuitClosed))
    }

    @Test func connectFailuresCountAndBackOff() throws {
        let h = try Harness { $0.breaker.failures = 2 }
        defer { h.tearDown() }
        h.smsc.closeListener()
        h.carrier.send(message(1))
        h.carrier.start()
        #expect(h.run { h.carrier.stats.circuit == .open })
        #expect(h.carrier.counters.connectFailures == 2)
        #expect(h.reconnectDelays == [10])
        #expect(h.delegate.returned == [1])
    }

    @Test func expiredMessageIsRefusedAsExpired() throws {
        let h = try Harness()
        defer { h.tearDown() }
        #expect(h.startAndBind())
        h.carrier.send(message(1, deadlineMs: 1))
        h.carrier.send(message(2))
        #expect(h.run { h.delegate.accepted.count == 1 && h.delegate.refused.count == 1 })
        #expect(h.delegate.refused.first?.id == 1 && h.delegate.refused.first?.state == .expired)
        #expect(h.delegate.refused.first?.errorCode == 0)
        #expect(h.smsc.submits.count == 1)
        #expect(h.carrier.counters.expired == 1)
    }

    @Test func queuedMessagesExpireWhileNoSessionIsBound() throws {
        let h = try Harness()
        defer { h.tearDown() }
        h.smsc.bindAnswer = { _ in .ESME_RBINDFAIL }
        h.carrier.start()
        h.carrier.send(message(1, deadlineMs: h.loop.nowMilliseconds + 50))
        #expect(h.run { h.delegate.refused.count == 1 })
        #expect(h.delegate.refused.first?.state == .expired)
        #expect(h.carrier.stats.queued == 0)
    }

    @Test func pairModeBindsTransmitterAndReceiver() throws {
        let h = try Harness { $0.bindMode = .pair }
        defer { h.tearDown() }
        #expect(h.startAndBind(sessions: 2))
        #expect(Set(h.smsc.binds.map(\.kind)) == [.transmitter, .receiver])
        h.carrier.send(message(1))
        #expect(h.run { h.delegate.accepted.count == 1 })
        let tx = h.smsc.boundPeers.first { $0.bindKind == .transmitter }!
        let rx = h.smsc.boundPeers.first { $0.bindKind == .receiver }!
        #expect(h.smsc.submits.first?.connection == tx.index)
        rx.sendReceipt(id: "up-1", stat: "DELIVRD", withTLVs: true)
        #expect(h.run { h.delegate.receipts.count == 1 && h.smsc.deliverSMResps.count == 1 })
        #expect(h.events.contains(.bound(session: 0, kind: "transmitter")))
        #expect(h.events.contains(.bound(session: 1, kind: "receiver")))
    }

    @Test func spreadsOverSessions() throws {
        let h = try Harness {
            $0.sessions = 3
            $0.window = 2
        }
        defer { h.tearDown() }
        h.smsc.submitAnswer = { _, _ in .none }
        #expect(h.startAndBind(sessions: 3))
        for i in 1...6 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run { h.smsc.submits.count == 6 })
        #expect(Set(h.smsc.submits.map(\.connection)).count == 3)
        #expect(h.carrier.stats.inFlight == 6)
    }

    @Test func stopUnbindsAndReturnsWhatIsUnanswered() throws {
        let h = try Harness { $0.window = 2 }
        h.smsc.submitAnswer = { _, _ in .none }
        #expect(h.startAndBind())
        for i in 1...4 { h.carrier.send(message(UInt64(i))) }
        #expect(h.run { h.smsc.submits.count == 2 })
        h.carrier.stop()
        #expect(Set(h.delegate.returned) == [1, 2, 3, 4])
        #expect(!h.carrier.isAvailable)
        #expect(h.run { h.smsc.unbinds == 1 })
        h.carrier.send(message(5))
        #expect(h.delegate.returned.last == 5)
        #expect(h.carrier.stats.connections == 0)
    }

    @Test func bindsOverTLSVerifiedAgainstTheCAFile() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let h = try Harness(tls: fixture.context) {
            $0.tls = true
            $0.caFile = fixture.certificatePath
        }
        defer { h.tearDown() }
        #expect(h.startAndBind())
        #expect(h.smsc.boundPeers.first?.connection.tlsVersion != nil)
        h.carrier.send(message(1))
        #expect(h.run { h.delegate.accepted.count == 1 })
    }

    @Test func tlsWithAnUnknownCertificateDoesNotBind() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let other = try TLSFixture()   // a CA that did not sign the peer's certificate
        defer { other.remove() }
        let h = try Harness(tls: fixture.context) {
            $0.tls = true
            $0.caFile = other.certificatePath
        }
        defer { h.tearDown() }
        h.carrier.start()
        #expect(h.run { h.carrier.counters.connectFailures >= 1 })
        #expect(h.smsc.binds.isEmpty)
    }

    /// The certificate must be for the name smppd connects to (here its SAN holds localhost
    /// and 127.0.0.1): another name fails the handshake, as it should.
    @Test(arguments: [("localhost", true), ("127.0.0.1", true), ("upstream.example", false)])
    func tlsChecksTheNameTheCertificateIsFor(name: String, binds: Bool) throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let h = try Harness(tls: fixture.context) {
            $0.tls = true
            $0.caFile = fixture.certificatePath
            $0.tlsServerName = name
        }
        defer { h.tearDown() }
        if binds {
            #expect(h.startAndBind())
        } else {
            h.carrier.start()
            #expect(h.run { h.carrier.counters.connectFailures >= 1 })
            #expect(h.smsc.binds.isEmpty)
        }
    }

    @Test func tlsInsecureSkipsVerification() throws {
        let fixture = try TLSFixture()
        defer { fixture.remove() }
        let h = try Harness(tls: fixture.context) {
            $0.tls = true
            $0.tlsInsecure = true
        }
        defer { h.tearDown() }
        #expect(h.startAndBind())
    }
}
