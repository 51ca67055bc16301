import Testing
@testable import Upstream

/// The defaults docs/upstream.md's key tables state (smppd --help reads them from these types).
@Suite struct UpstreamSettingsTests {
    @Test func defaultsAreTheDocumentedOnes() {
        let s = SMPPUpstreamSettings()
        #expect(s.reconnect.initialMs == 1_000 && s.reconnect.maximumMs == 60_000)
        #expect(s.throttle.initialMs == 100 && s.throttle.maximumMs == 5_000)
        #expect(s.bindMode == .transceiver && s.sessions == 1 && s.window == 64)
        #expect(s.enquireLinkMs == 30_000 && s.responseTimeoutMs == 10_000)
        #expect(s.breaker.failures == 5 && s.breaker.openMs == 10_000)
        let h = HTTPUpstreamSettings()
        #expect(h.batchSize == 100 && h.lingerMs == 5 && h.maxInFlight == 8 && h.timeoutMs == 10_000)
        #expect(h.retry.initialMs == 500 && h.retry.maximumMs == 30_000)
    }
}
