// The SMPP carrier's parts on their own: backoff, breaker, window, queue, receipt text, the
// refusal table. No sockets.

import Testing
@testable import Upstream
import SMPP

@Suite struct SMPPUpstreamPartsTests {
    @Test func backoffDoublesToItsCapAndResets() {
        var b = Backoff(BackoffSettings(initialMs: 1_000, maximumMs: 60_000))
        #expect((0..<8).map { _ in b.take() } == [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000])
        b.reset()
        #expect(b.take() == 1_000)
    }

    @Test func breakerOpensAtTheThresholdAndClosesFromHalfOpen() {
        var settings = CircuitBreakerSettings()
        settings.failures = 3
        var b = CircuitBreaker(settings)
        var opened: [Bool] = []
        opened.append(b.recordFailure())
        opened.append(b.recordFailure())
        let closedFromClosed = b.recordSuccess()   // resets the count
        opened.append(b.recordFailure())
        opened.append(b.recordFailure())
        opened.append(b.recordFailure())
        #expect(opened == [false, false, false, false, true] && !closedFromClosed)
        #expect(b.state == .open)
        let again = b.recordFailure()
        #expect(!again)
        b.enterHalfOpen()
        #expect(b.state == .halfOpen)
        let reopened = b.recordFailure()   // a failed trial opens it again
        #expect(reopened && b.state == .open)
        b.enterHalfOpen()
        let closed = b.recordSuccess()
        #expect(closed && b.state == .closed)
    }

    @Test func windowTracksSlotsAndDrainsOldestFirst() {
        var w = SubmitWindow(limit: 2)
        #expect(w.canTake(1))
        w.insert(message(1), sequence: 1, sentAtNs: 200)
        w.insert(message(2), sequence: 2, sentAtNs: 100)
        #expect(w.isFull && !w.canTake(3))
        #expect(w.oldestSentAtNs() == 100)
        #expect(w.remove(7) == nil)
        #expect(w.remove(1)?.message.id == 1)
        #expect(w.canTake(3))
        // A slot still held by an older sequence number (same low bits) is not taken.
        #expect(!w.canTake(2 + 16))
        w.insert(message(3), sequence: 3, sentAtNs: 50)
        #expect(w.drain().map(\.id) == [3, 2])
        #expect(w.isEmpty && w.canTake(2 + 16))
    }

    @Test func queuePushesBothEndsAndGrows() {
        var q = MessageQueue(initialCapacity: 2)
        for i in 1...40 { q.pushBack(message(UInt64(i))) }
        q.pushFront(message(0))
        #expect(q.count == 41)
        #expect(q.popFront()?.id == 0 && q.popFront()?.id == 1)
        q.filter(keep: { $0.id % 2 == 0 }, dropped: { _ in })
        #expect(q.drain().map(\.id) == stride(from: 2, through: 40, by: 2).map { UInt64($0) })
        #expect(q.isEmpty && q.popFront() == nil)
    }

    private func parse(_ text: String, tlvs: [UInt8] = []) -> UpstreamReceipt? {
        let t = Array(text.utf8)
        return t.withUnsafeBytes { tb in
            tlvs.withUnsafeBytes { vb in
                ReceiptParser.parse(tlvs: TLVList(bytes: BytesView(unsafeBorrowing: vb)), text: BytesView(unsafeBorrowing: tb))
            }
        }
    }

    @Test func receiptTextIsRead() {
        let r = parse("id:0123456789abcdef0123 sub:001 dlvrd:000 submit date:2612070000 done date:2612070001 stat:EXPIRED err:254 text:x")
        #expect(r == UpstreamReceipt(upstreamID: "0123456789abcdef0123", state: .expired, errorCode: 254))
        #expect(parse("ID:42 Stat:undeliverable")?.state == .undeliverable)
        #expect(parse("stat:DELIVRD id:9 err:")?.upstreamID == "9")
        #expect(parse("sid:3 stat:DELIVRD") == nil)   // "id:" must start a token
        #expect(parse("id:3 stat:BOGUS") == nil)
        #expect(parse("") == nil)
        for (word, state) in [("DELIVRD", MessageState.delivered), ("EXPIRED", .expired), ("DELETED", .deleted),
                              ("UNDELIV", .undeliverable), ("ACCEPTD", .accepted), ("UNKNOWN", .unknown),
                              ("REJECTD", .rejected), ("ENROUTE", .enroute)] {
            #expect(parse("id:1 stat:\(word)")?.state == state)
        }
    }

    @Test func receiptTLVsWinOverTheText() {
        // receipted_message_id "u7", message_state 8 (REJECTED), network_error_code (3, 0x0203)
        let tlvs: [UInt8] = [0x00, 0x1E, 0x00, 0x03, 0x75, 0x37, 0x00,
                             0x04, 0x27, 0x00, 0x01, 0x08,
                             0x04, 0x23, 0x00, 0x03, 0x03, 0x02, 0x03]
        #expect(parse("id:other stat:DELIVRD err:000", tlvs: tlvs) == UpstreamReceipt(upstreamID: "u7", state: .rejected, errorCode: 0x0203))
    }

    @Test func refusalTable() {
        #expect(SMPPUpstream.refusal(for: .ESME_RINVDSTADR) == (.rejected, 11))
        #expect(SMPPUpstream.refusal(for: .ESME_RX_P_APPN) == (.rejected, 0x65))
        #expect(SMPPUpstream.refusal(for: .ESME_RSUBMITFAIL) == (.undeliverable, 0x45))
        #expect(SMPPUpstream.refusal(for: .ESME_RDELIVERYFAILURE) == (.undeliverable, 0xFE))
        #expect(SMPPUpstream.refusal(for: CommandStatus(rawValue: 0x0000_0400)) == (.rejected, 999))
    }
}
