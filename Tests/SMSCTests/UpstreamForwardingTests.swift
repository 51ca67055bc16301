// The forwarding's bookkeeping (issue 12) with carriers that only record: which carrier a
// message goes to, failover when one gives messages back or is out of rotation, parking,
// the carriers' ids, and the rebuild that drops the ids of messages that ended another way.
import Testing
import Reactor
import SMPP
@testable import SMSC
import Upstream

private final class FakeCarrier: UpstreamCarrier {
    let name: String
    var kind: String
    var delegate: UpstreamCarrierDelegate?
    var isAvailable = true
    var stats: UpstreamCarrierStats { UpstreamCarrierStats() }
    var sent: [UInt64] = []
    init(_ name: String, kind: String = "smpp") {
        self.name = name
        self.kind = kind
    }
    func start() {}
    func send(_ message: OutboundMessage) { sent.append(message.id) }
    func stop() {}
}

private func message(_ id: UInt64) -> OutboundMessage {
    OutboundMessage(id: id, systemID: "acme", sourceTon: 1, sourceNpi: 1, source: "12025550100",
                    destinationTon: 1, destinationNpi: 1, destination: "447700900123", shortMessage: Array("hi".utf8),
                    submitTimeMs: 0, validityDeadlineMs: 60_000)
}

/// Runs `loop` until `condition` holds (checked every 2 ms) or `atMostMs` pass.
private func runLoop(_ loop: EventLoop, atMostMs: Int64, until condition: @escaping () -> Bool) -> Bool {
    var met = false
    var checks: Int64 = 0
    var timer: LoopTimer?
    timer = LoopTimer(loop: loop) {
        checks += 1
        if condition() { met = true; loop.stop(); return }
        if checks * 2 >= atMostMs { loop.stop(); return }
        timer?.schedule(after: .milliseconds(2))
    }
    timer?.schedule(after: .milliseconds(2))
    loop.run()
    timer?.cancel()
    timer = nil
    return met
}

@Suite struct UpstreamForwardingTests {
    let loop: EventLoop
    fileprivate let a = FakeCarrier("a"), b = FakeCarrier("b", kind: "http")

    init() throws { loop = try EventLoop() }

    private func forwarding(routes: [RouteDefinition], awaiting: @escaping (UInt64) -> Bool = { _ in true },
                            simulator: @escaping (OutboundMessage) -> Bool = { _ in true }) throws -> UpstreamForwarding {
        let table = try RouteTable(routes: routes, carrierNames: ["a", "b"])
        return UpstreamForwarding(loop: loop, carriers: [a, b], routes: table, toSimulator: simulator, isAwaiting: awaiting)
    }

    @Test func sendsToTheFirstAvailableAndFailsOverWhenGivenBack() throws {
        let f = try forwarding(routes: [RouteDefinition(carriers: ["a", "b"])])
        let route = f.route(account: 0, systemID: "acme", destination: Array("4477".utf8))
        f.admit(message(1), route: route, commit: 0)
        #expect(a.sent == [1] && b.sent.isEmpty && f.unanswered.count == 1)
        f.returned(carrier: 0, [message(1)])
        #expect(b.sent == [1] && f.failovers == 1)
        a.isAvailable = false
        f.admit(message(2), route: route, commit: 0)
        #expect(b.sent == [1, 2] && a.sent == [1])
        #expect(f.accepted(carrier: 1, id: 2, upstreamID: "svc-2"))
        #expect(!f.accepted(carrier: 1, id: 2, upstreamID: "svc-2"), "answered once only")
        #expect(f.messageID(carrier: 1, upstreamID: "svc-2", final: false) == 2)
        #expect(f.messageID(upstreamID: "svc-2", final: true) == 2)
        #expect(f.messageID(carrier: 1, upstreamID: "svc-2", final: true) == nil, "a final receipt ends the wait")
        #expect(f.unknownReceipts == 1)
    }

    @Test func waitsForItsCommitThenParksWhileNoCarrierTakesIt() throws {
        let f = try forwarding(routes: [RouteDefinition(carriers: ["a"])])
        let route = f.route(account: 0, systemID: "acme", destination: Array("1".utf8))
        f.admit(message(1), route: route, commit: 5)
        #expect(a.sent.isEmpty && f.awaitingCommitCount == 1)
        f.committed(through: 4)
        #expect(a.sent.isEmpty)
        a.isAvailable = false
        f.committed(through: 5)
        #expect(a.sent.isEmpty && f.parkedCount == 1 && f.awaitingCommitCount == 0)
        a.isAvailable = true
        #expect(runLoop(loop, atMostMs: 5_000) { !a.sent.isEmpty })   // the retry timer: 250 ms
        #expect(a.sent == [1] && f.parkedCount == 0)
    }

    @Test func theSimulatorTakesWhatTheRouteSendsIt() throws {
        var simulated: [UInt64] = []
        let f = try forwarding(routes: [RouteDefinition(carriers: ["a", "simulator"])], simulator: { simulated.append($0.id); return true })
        let route = f.route(account: 0, systemID: "acme", destination: Array("1".utf8))
        a.isAvailable = false
        f.admit(message(7), route: route, commit: 0)
        #expect(simulated == [7] && f.unanswered.isEmpty && f.failovers == 1)
    }

    @Test func forgottenIdsGoInASweepOnceTheyAddUpAFewThousandAtATime() throws {
        var ended = Set<UInt64>()
        let f = try forwarding(routes: [RouteDefinition(carriers: ["a"])], awaiting: { !ended.contains($0) })
        let route = f.route(account: 0, systemID: "acme", destination: Array("1".utf8))
        let n = 2 * UpstreamForwarding.sweepPerCall + 10
        for i in 1...UInt64(n) {
            f.admit(message(i), route: route, commit: 0)
            #expect(f.accepted(carrier: 0, id: i, upstreamID: UpstreamID("up-\(i)")))
        }
        #expect(f.awaitingReceiptCount == n)
        let half = n / 2 - 1
        for i in 1...UInt64(half) { ended.insert(i); f.forget(i) }
        f.rebuildIfDue()
        #expect(!f.isSweeping && f.awaitingReceiptCount == n, "fewer than half forgotten: no sweep yet")
        for i in UInt64(half + 1)...UInt64(n - 10) { ended.insert(i); f.forget(i) }
        f.rebuildIfDue()
        #expect(f.isSweeping && f.awaitingReceiptCount > 10, "one call sweeps a bounded number of entries")
        var calls = 1
        while f.isSweeping && calls < 100 {
            f.rebuildIfDue()
            calls += 1
        }
        #expect(!f.isSweeping && f.awaitingReceiptCount == 10 && calls >= 2)
        let awaited = f.awaitedEntries.map(\.upstreamID.description)
        #expect(Set(awaited) == Set((n - 9...n).map { "up-\($0)" }) && awaited.count == 10)
    }

    @Test func anEmptyServiceIdMapsNothingAndStoppingKeepsMessagesHere() throws {
        let f = try forwarding(routes: [RouteDefinition(carriers: ["a", "b"])])
        let route = f.route(account: 0, systemID: "acme", destination: Array("1".utf8))
        f.admit(message(1), route: route, commit: 0)
        #expect(f.accepted(carrier: 0, id: 1, upstreamID: ""))
        #expect(f.awaitingReceiptCount == 0 && f.acceptedWithoutID == 1)
        f.admit(message(2), route: route, commit: 0)
        f.isStopping = true
        f.returned(carrier: 0, [message(2)])   // a stopping carrier gives it back
        #expect(b.sent.isEmpty && f.unanswered.count == 1, "kept (journaled), not sent to a carrier about to stop")
    }
}
