import Testing
@testable import Upstream

@Suite struct OutboundMessageTests {
    @Test func defaultsAreTheDocumentedOnes() {
        let s = SMPPUpstreamSettings()
        #expect(s.reconnect.initialMs == 1_000 && s.reconnect.maximumMs == 60_000)
        #expect(s.bindMode == .transceiver)
        let h = HTTPUpstreamSettings()
        #expect(h.batchSize == 100 && h.maxInFlight == 8)
    }
}
