// Pure pieces behind the admin reads and the descriptor-exhaustion log: the rate limiter of
// accept-exhausted lines, the recent-errors ring and the RFC 3339 times.
import Testing
@testable import SMSC

@Suite struct AdminReadsTests {
    @Test func rateLimitedLogLetsOneLineThroughPerIntervalAndCountsTheRest() {
        var log = RateLimitedLog(intervalMs: 10_000)
        #expect(log.admit(nowMs: 1_000) == 0)
        for t in stride(from: Int64(1_100), through: 10_900, by: 100) { #expect(log.admit(nowMs: t) == nil) }
        #expect(log.admit(nowMs: 11_000) == 99)   // 1_100 … 10_900 held back
        #expect(log.admit(nowMs: 11_001) == nil)
        #expect(log.admit(nowMs: 30_000) == 1)
    }

    @Test func recentErrorsKeepsTheNewestInOrder() {
        var ring = RecentErrors(capacity: 3)
        for i in 0..<5 {
            ring.append(RecentErrors.Entry(atMs: Int64(i), command: 0x8000_0004, status: 0x45, systemID: nil, peer: "p"))
        }
        #expect(ring.entries.map(\.atMs) == [2, 3, 4])
        var short = RecentErrors(capacity: 3)
        short.append(RecentErrors.Entry(atMs: 7, command: 0, status: 1, systemID: "a", peer: "p"))
        #expect(short.entries.map(\.atMs) == [7])
    }

    @Test func isoTimeIsRFC3339UTCWithMilliseconds() {
        #expect(isoTime(0) == "1970-01-01T00:00:00.000Z")
        #expect(isoTime(1_700_000_000_123) == "2023-11-14T22:13:20.123Z")
        #expect(isoTime(-1) == "1969-12-31T23:59:59.999Z")
    }
}
