// Hot-path helpers of the message service: the metrics' pair counter against a Dictionary
// (through its growth past 32 pairs), the histogram's cumulative buckets, and the receipt
// text's words copied into the carrier's excerpt.
import Testing
@testable import SMSC
import Store
import Carrier

@Suite struct MetricsTests {
    @Test func pairCounterAgreesWithADictionaryThroughGrowth() {
        var counter = PDUPairCounter()
        var model: [Metrics.PDUKey: UInt64] = [:]
        var state: UInt64 = 7
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            // 100 commands x 3 statuses: more pairs than the first table holds.
            let command = UInt32(truncatingIfNeeded: state >> 40) % 100 | 0x8000_0000
            let status = UInt32(truncatingIfNeeded: state >> 20) % 3
            counter.increment(command: command, status: status)
            model[Metrics.PDUKey(command: command, status: status), default: 0] += 1
        }
        #expect(counter.all == model)
        #expect(model.count > 64)
    }

    @Test func histogramCountsAreCumulativeAndInclusiveOfEachBound() {
        var h = LatencyHistogram()
        h.observe(0.0001)     // exactly the first bound: counted in it
        h.observe(0.0002)     // between the first and second
        h.observe(1)          // exactly "1"
        h.observe(100)        // beyond the last bound: only in count (+Inf)
        let counts = h.counts
        #expect(counts.count == LatencyHistogram.bounds.count)
        #expect(counts[0] == 1)
        #expect(counts[1] == 2)
        let one = LatencyHistogram.bounds.firstIndex(of: 1)!
        #expect(counts[one - 1] == 2)
        #expect(counts[one] == 3)
        #expect(counts.last == 3)
        #expect(h.count == 4)
        #expect(h.sum == 0.0001 + 0.0002 + 1 + 100)
    }

    /// A burst's answers are observed at once: n observations of the same value.
    @Test func observingACountEqualsObservingEachOne() {
        var once = LatencyHistogram(), each = LatencyHistogram()
        for (seconds, n) in [(0.00005, 3), (0.003, 16), (0.7, 1), (99.0, 2)] {
            once.observe(seconds, count: n)
            for _ in 0..<n { each.observe(seconds) }
        }
        #expect(once.counts == each.counts && once.count == each.count && once.count == 22)
        #expect(abs(once.sum - each.sum) < 1e-9)
    }
}

/// The submit path copies the receipt text's ShortBytes words straight into the carrier's
/// excerpt (CarrierExcerpt(packed:count:)); the layouts must agree byte for byte.
@Suite struct ExcerptPackingTests {
    @Test func packedWordsCarryTheSameBytes() {
        for length in 0...20 {
            let text: [UInt8] = (0..<length).map { UInt8(0x30 + $0) }
            let short = ShortBytes(truncating: text)
            let excerpt = CarrierExcerpt(packed: short.packedWords, count: short.count)
            #expect(excerpt.bytes == text, "length \(length)")
            #expect(excerpt.prefixed(by: "Re: ") == Array("Re: ".utf8) + text, "length \(length)")
        }
    }
}
