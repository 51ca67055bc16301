// The carrier's plan for each message (CONTRACT §8): test numbers, latency, outcome weights,
// validity — pure and seeded, so exact.
import Testing
import SMPP
@testable import Carrier

@Suite struct CarrierModelTests {
    func submission(_ destination: UInt64, at t: Int64 = 1_000_000, validity: Int64 = 0) -> CarrierSubmission {
        CarrierSubmission(messageID: 7, accountIndex: 0, source: 12_125_550_100, destination: destination,
                          submitTimeMs: t, validityDeadlineMs: validity)
    }

    func outcomes(_ events: [PlannedEvent]) -> [MessageState] {
        events.compactMap { if case .outcome(let s, _) = $0.kind { return s }; return nil }
    }

    @Test func submitVerdictsOfTheTestNumbers_C_SIM_2() {
        let m = CarrierModel(settings: CarrierSettings())
        #expect(m.verdict(forDestination: 447_700_909_996) == .submitFail)
        #expect(m.verdict(forDestination: 447_700_909_997) == .throttled)
        #expect(m.verdict(forDestination: 447_700_909_998) == .queueFull)
        #expect(m.verdict(forDestination: 447_700_909_999) == .accept)
        var off = CarrierSettings()
        off.testNumbers = false
        #expect(CarrierModel(settings: off).verdict(forDestination: 447_700_909_996) == .accept)
    }

    @Test func nineNineNineZeroIsHeldSixtySecondsThenDelivered_C_SIM_2() {
        let m = CarrierModel(settings: CarrierSettings())
        #expect(m.holdMs(forDestination: 447_700_909_990) == 60_000)
        var rng = SplitMix64(seed: 1)
        let plan = m.plan(submission(447_700_909_990), random: &rng)
        #expect(plan.first == PlannedEvent(atMs: 1_060_000, kind: .forwarded))
        #expect(outcomes(plan) == [.delivered])
        #expect(plan.last!.atMs > 1_060_000)
    }

    @Test(arguments: [(UInt64(9991), MessageState.undeliverable, UInt16(1)), (9992, .expired, 0), (9993, .rejected, 0)])
    func failingTestNumbers_C_SIM_2(_ suffix: UInt64, _ state: MessageState, _ err: UInt16) {
        var rng = SplitMix64(seed: 3)
        let plan = CarrierModel(settings: CarrierSettings()).plan(submission(447_700_900_000 + suffix), random: &rng)
        #expect(plan.count == 2)
        #expect(plan[1].kind == .outcome(state, errorCode: err))
    }

    @Test func nineNineNineFourTakesTenSeconds_C_SIM_2() {
        var rng = SplitMix64(seed: 3)
        let plan = CarrierModel(settings: CarrierSettings()).plan(submission(447_700_909_994), random: &rng)
        #expect(plan[1] == PlannedEvent(atMs: 1_010_000, kind: .outcome(.delivered, errorCode: 0)))
    }

    @Test func nineNineNineFiveIsAcceptedThenUnknown_C_SIM_2() {
        var rng = SplitMix64(seed: 3)
        let plan = CarrierModel(settings: CarrierSettings()).plan(submission(447_700_909_995), random: &rng)
        #expect(outcomes(plan) == [.accepted, .unknown])
        #expect(plan[1].atMs < plan[2].atMs)
    }

    /// `count` latencies drawn from a model with these bounds, sorted.
    func sortedLatencies(min: Int64, median: Int64, max: Int64, seed: UInt64, count: Int) -> [Int64] {
        var s = CarrierSettings()
        s.latencyMinMs = min; s.latencyMedianMs = median; s.latencyMaxMs = max
        let m = CarrierModel(settings: s)
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in m.latencyMs(random: &rng) }.sorted()
    }

    @Test func latencyStaysWithinBoundsAroundTheMedian_C_SIM_1() {
        let samples = sortedLatencies(min: 10, median: 100, max: 1_000, seed: 42, count: 10_000)
        #expect(samples.first! >= 10 && samples.last! <= 1_000)
        #expect((80...125).contains(samples[5_000]), "median \(samples[5_000])")
    }

    @Test func theLatencyTableFollowsTheNormalQuantiles() {
        for (p, z) in [(0.5, 0.0), (0.975, 1.959964), (0.01, -2.326348), (0.99, 2.326348), (0.0001, -3.719016)] {
            #expect(abs(CarrierModel.standardNormalQuantile(p) - z) < 1e-5, "Φ⁻¹(\(p))")
        }
        // The 99th percentile at about max (σ = ln(max/median)/2.33), the 1st at median²/max.
        let samples = sortedLatencies(min: 1, median: 100, max: 1_000, seed: 3, count: 100_000)
        #expect((900...1_000).contains(samples[99_000]), "p99 \(samples[99_000])")
        #expect((9...11).contains(samples[1_000]), "p1 \(samples[1_000])")
        #expect(samples.last == 1_000 && samples.first! >= 1)
    }

    @Test func outcomeWeightsAreRespected_C_SIM_1() {
        var s = CarrierSettings()
        s.weights.delivered = 70; s.weights.undeliverable = 20; s.weights.rejected = 10
        let m = CarrierModel(settings: s)
        var rng = SplitMix64(seed: 9)
        var counts: [MessageState: Int] = [:]
        for _ in 0..<10_000 { counts[m.drawOutcome(random: &rng), default: 0] += 1 }
        #expect((6_700...7_300).contains(counts[.delivered, default: 0]))
        #expect((1_700...2_300).contains(counts[.undeliverable, default: 0]))
        #expect((800...1_200).contains(counts[.rejected, default: 0]))
        #expect(counts[.expired] == nil)
    }

    @Test func sameSeedSamePlans() {
        let m = CarrierModel(settings: CarrierSettings())
        var a = SplitMix64(seed: 5), b = SplitMix64(seed: 5)
        for d in UInt64(447_700_900_000)..<447_700_900_100 {
            #expect(m.plan(submission(d), random: &a) == m.plan(submission(d), random: &b))
        }
    }

    @Test func validityDeadlineBeforeTheOutcomeEndsExpired_C_SUB_7() {
        var rng = SplitMix64(seed: 1)
        let plan = CarrierModel(settings: CarrierSettings()).plan(submission(447_700_909_994, validity: 1_002_000), random: &rng)
        #expect(outcomes(plan) == [.expired])
        #expect(plan.last!.atMs == 1_002_000)
    }

    @Test func autoReplyFollowsADelivery_C_SIM_3() {
        var s = CarrierSettings()
        s.moAutoReply = true
        var rng = SplitMix64(seed: 1)
        let plan = CarrierModel(settings: s).plan(submission(447_700_900_001), random: &rng)
        #expect(plan.last?.kind == .autoReply)
        var rng2 = SplitMix64(seed: 1)
        let failed = CarrierModel(settings: s).plan(submission(447_700_909_991), random: &rng2)
        #expect(!failed.contains { $0.kind == .autoReply })
    }
}

/// The workers' event queue: soonest first, ties in planning order, only what is due.
@Suite struct DueQueueTests {
    func event(_ at: Int64, _ id: UInt64) -> DueQueue.Event {
        DueQueue.Event(atMs: at, messageID: id, kind: .autoReply)
    }

    @Test func popsInTimeThenPlanningOrderAndOnlyWhenDue() {
        var q = DueQueue(nowMs: 0)
        var random = SplitMix64(seed: 9)
        var planned: [(at: Int64, id: UInt64)] = []
        for id in 0..<5_000 as Range<UInt64> {
            let at = Int64(random.next() % 200)   // many ties
            planned.append((at, id))
            q.push(event(at, id))
        }
        #expect(q.popDue(nowMs: -1) == nil, "nothing is due before the earliest time")
        // Stable sort by time = planning order within a millisecond.
        let expected = planned.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map { $0.element.id }
        var got: [UInt64] = []
        var now: Int64 = 0
        while !q.isEmpty {
            while let e = q.popDue(nowMs: now) {
                #expect(e.atMs <= now)
                got.append(e.messageID)
            }
            if let next = q.nextDueMs { #expect(next > now) }
            now += 1
            // Slots freed above are reused by later pushes without disturbing the order.
            if now == 50 { for id in 10_000..<10_100 as Range<UInt64> { q.push(event(60, id))} }
        }
        let late = Set(10_000..<10_100 as Range<UInt64>)
        #expect(got.filter { !late.contains($0) } == expected)
        let sixty = got.firstIndex(of: 10_000)!
        #expect(got[sixty..<(sixty + 100)].elementsEqual(10_000..<10_100 as Range<UInt64>))
    }

    /// Against a reference: times inside the wheel, beyond it (the far heap), and already past
    /// when pushed; the clock advancing by 1 ms or jumping seconds. Expected order: by due time
    /// (a late event is due when pushed), then by push order.
    @Test func matchesAStableSortAcrossTheWheelTheFarHeapAndLateEvents() {
        var random = SplitMix64(seed: 77)
        var q = DueQueue(nowMs: 1_000)
        var now: Int64 = 1_000
        var waiting: [(due: Int64, push: Int, id: UInt64)] = []
        var pushes = 0
        for round in 0..<3_000 {
            for _ in 0..<Int(random.next() % 8) {
                let offset: Int64
                switch random.next() % 10 {
                case 0: offset = -Int64(random.next() % 50)                                   // late
                case 1: offset = Int64(DueQueue.wheelSize) + Int64(random.next() % 20_000)    // far
                case 2: offset = Int64(DueQueue.wheelSize) - 1                                 // the wheel's last slot
                default: offset = Int64(random.next() % 300)
                }
                let id = UInt64(pushes)
                q.push(event(now + offset, id))
                waiting.append((max(now + offset, now), pushes, id))
                pushes += 1
            }
            #expect(q.count == waiting.count)
            now += round % 100 == 99 ? Int64(random.next() % 30_000) : Int64(random.next() % 3)
            var got: [UInt64] = []
            while let e = q.popDue(nowMs: now) { got.append(e.messageID) }
            let due = waiting.filter { $0.due <= now }.sorted { ($0.due, $0.push) < ($1.due, $1.push) }
            #expect(got == due.map(\.id), "round \(round) at \(now)")
            waiting.removeAll { $0.due <= now }
            if let next = q.nextDueMs { #expect(next == waiting.map(\.due).min()) } else { #expect(waiting.isEmpty) }
        }
        #expect(pushes > 5_000)
    }

    /// Nodes stay small (the wheel's point), and auto-reply submissions come back from their
    /// slab intact, slots reused.
    @Test func eventsAreSmallAndRepliesComeBackFromTheirSlots() {
        #expect(MemoryLayout<DueQueue.Event>.stride <= 24)
        var slab = ReplySlab()
        func submission(_ id: UInt64) -> CarrierSubmission {
            CarrierSubmission(messageID: id, accountIndex: UInt32(id % 7), source: 100 + id, destination: 200 + id,
                              submitTimeMs: Int64(id), validityDeadlineMs: 0)
        }
        let a = slab.put(submission(1)), b = slab.put(submission(2))
        #expect(a != b)
        #expect(slab.take(a).messageID == 1)
        let c = slab.put(submission(3))
        #expect(c == a, "a freed slot is reused")
        #expect(slab.take(b).source == 102)
        let third = slab.take(c)
        #expect(third.messageID == 3 && third.destination == 203 && third.accountIndex == 3)
    }
}
