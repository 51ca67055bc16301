// Repeated failed binds from one address lock it out for a while (C-BIND-2).
import Testing
@testable import SMSC

@Suite struct BindFailureLimiterTests {
    func policy() -> BindFailurePolicy {
        var p = BindFailurePolicy()
        p.maxFailures = 3
        p.window = .seconds(10)
        p.lockout = .seconds(30)
        return p
    }

    @Test func locksOutAfterMaxFailuresWithinTheWindow() {
        var l = BindFailureLimiter(policy: policy())
        let r1 = l.recordFailure("10.0.0.1", nowMs: 1_000)
        #expect(!r1)
        let r2 = l.recordFailure("10.0.0.1", nowMs: 2_000)
        #expect(!r2)
        #expect(!l.isLockedOut("10.0.0.1", nowMs: 2_500))
        let r3 = l.recordFailure("10.0.0.1", nowMs: 3_000)
        #expect(r3)
        #expect(l.isLockedOut("10.0.0.1", nowMs: 3_001))
        #expect(!l.isLockedOut("10.0.0.2", nowMs: 3_001), "other addresses are not affected")
        #expect(l.isLockedOut("10.0.0.1", nowMs: 32_999))
        #expect(!l.isLockedOut("10.0.0.1", nowMs: 33_000), "the lockout ends")
    }

    @Test func failuresOutsideTheWindowDoNotCount() {
        var l = BindFailureLimiter(policy: policy())
        l.recordFailure("a", nowMs: 0)
        l.recordFailure("a", nowMs: 5_000)
        let r4 = l.recordFailure("a", nowMs: 15_001)
        #expect(!r4, "the first failure aged out")
        #expect(!l.isLockedOut("a", nowMs: 15_002))
    }

    @Test func successClearsHistoryButNotAnActiveLockout() {
        var l = BindFailureLimiter(policy: policy())
        l.recordFailure("a", nowMs: 0)
        l.recordFailure("a", nowMs: 1)
        l.recordSuccess("a")
        let r5 = l.recordFailure("a", nowMs: 2)
        #expect(!r5, "history was cleared")
        l.recordFailure("a", nowMs: 3)
        let r6 = l.recordFailure("a", nowMs: 4)
        #expect(r6)
        l.recordSuccess("a")
        #expect(l.isLockedOut("a", nowMs: 5))
    }

    @Test func memoryIsBounded() {
        var p = policy()
        p.maxTrackedAddresses = 100
        var l = BindFailureLimiter(policy: p)
        for i in 0..<1_000 { l.recordFailure("ip\(i)", nowMs: Int64(i) * 20_000) }
        #expect(l.trackedAddressCount <= 100)
    }
}
