// Counters and histograms for GET /metrics (C-OPS-2). Loop thread only: sessions and the
// message service update them in place (no allocation once a label pair has been seen).

/// A fixed-bucket latency histogram in seconds.
struct LatencyHistogram {
    static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                   0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    private(set) var counts = [UInt64](repeating: 0, count: LatencyHistogram.bounds.count)
    private(set) var sum: Double = 0
    private(set) var count: UInt64 = 0

    mutating func observe(_ seconds: Double) {
        sum += seconds
        count += 1
        for (i, b) in Self.bounds.enumerated() where seconds <= b { counts[i] += 1 }
    }
}

final class Metrics {
    struct PDUKey: Hashable { let command: UInt32; let status: UInt32 }
    private(set) var pdusIn: [PDUKey: UInt64] = [:]
    private(set) var pdusOut: [PDUKey: UInt64] = [:]
    private(set) var submitResp = LatencyHistogram()
    private(set) var submitReceipt = LatencyHistogram()

    @inline(__always) func countIn(command: UInt32, status: UInt32) {
        pdusIn[PDUKey(command: command, status: status), default: 0] &+= 1
    }

    @inline(__always) func countOut(command: UInt32, status: UInt32) {
        pdusOut[PDUKey(command: command, status: status), default: 0] &+= 1
    }

    func observeSubmitLatency(seconds: Double) { submitResp.observe(seconds) }
    func observeReceiptLatency(seconds: Double) { submitReceipt.observe(seconds) }
}
