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

    @Test func latencyStaysWithinBoundsAroundTheMedian_C_SIM_1() {
        var s = CarrierSettings()
        s.latencyMinMs = 10; s.latencyMedianMs = 100; s.latencyMaxMs = 1_000
        let m = CarrierModel(settings: s)
        var rng = SplitMix64(seed: 42)
        var samples = (0..<10_000).map { _ in m.latencyMs(random: &rng) }
        samples.sort()
        #expect(samples.first! >= 10 && samples.last! <= 1_000)
        #expect((80...125).contains(samples[5_000]), "median \(samples[5_000])")
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
