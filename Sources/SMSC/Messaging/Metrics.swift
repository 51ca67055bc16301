// Counters and histograms for GET /metrics (C-OPS-2). Loop thread only: sessions and the
// message service update them in place (no allocation once a label pair has been seen).

/// A fixed-bucket latency histogram in seconds. An observation increments one bucket (a
/// binary search over 18 bounds); `counts` sums them into Prometheus' cumulative form when the
/// metrics are read.
struct LatencyHistogram {
    static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                   0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    /// perBucket[i]: observations in (bounds[i-1], bounds[i]]; the last slot is +Inf.
    private var perBucket = [UInt64](repeating: 0, count: LatencyHistogram.bounds.count + 1)
    private(set) var sum: Double = 0
    private(set) var count: UInt64 = 0

    /// Records `count` observations of `seconds`.
    mutating func observe(_ seconds: Double, count n: Int = 1) {
        sum += seconds * Double(n)
        count += UInt64(n)
        var lo = 0, hi = Self.bounds.count   // first bound >= seconds, or bounds.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Self.bounds[mid] < seconds { lo = mid + 1 } else { hi = mid }
        }
        perBucket[lo] &+= UInt64(n)
    }

    /// Cumulative counts per bound (observations <= bounds[i]), as Prometheus wants them.
    var counts: [UInt64] {
        var running: UInt64 = 0
        return Self.bounds.indices.map { i in
            running &+= perBucket[i]
            return running
        }
    }
}

/// Counts per (command_id, command_status) pair without hashing through Hasher: a small
/// open-addressing table (a handful of pairs occur in practice). Loop thread only.
struct PDUPairCounter {
    private var keys = [UInt64](repeating: 0, count: 64)
    private var counts = [UInt64](repeating: 0, count: 64)   // 0 = empty bucket
    private var used = 0

    @inline(__always)
    mutating func increment(command: UInt32, status: UInt32) {
        let key = UInt64(command) << 32 | UInt64(status)
        let mask = keys.count - 1
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        while counts[i] != 0 {
            if keys[i] == key { counts[i] &+= 1; return }
            i = (i + 1) & mask
        }
        if (used + 1) * 2 > keys.count { grow(); return increment(command: command, status: status) }
        keys[i] = key
        counts[i] = 1
        used += 1
    }

    private mutating func grow() {
        let old = all
        keys = [UInt64](repeating: 0, count: keys.count * 2)
        counts = [UInt64](repeating: 0, count: keys.count)
        used = 0
        let mask = keys.count - 1
        for (k, n) in old {
            let key = UInt64(k.command) << 32 | UInt64(k.status)
            // Same home as in increment, over the wider mask.
            var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
            while counts[i] != 0 { i = (i + 1) & mask }
            keys[i] = key
            counts[i] = n
            used += 1
        }
    }

    /// Every pair seen, with its count (allocates: for the metrics page).
    var all: [Metrics.PDUKey: UInt64] {
        var out: [Metrics.PDUKey: UInt64] = [:]
        for i in keys.indices where counts[i] != 0 {
            out[Metrics.PDUKey(command: UInt32(truncatingIfNeeded: keys[i] >> 32), status: UInt32(truncatingIfNeeded: keys[i]))] = counts[i]
        }
        return out
    }
}

final class Metrics {
    struct PDUKey: Hashable { let command: UInt32; let status: UInt32 }
    private var inCounter = PDUPairCounter()
    private var outCounter = PDUPairCounter()
    private(set) var submitResp = LatencyHistogram()
    private(set) var submitReceipt = LatencyHistogram()

    var pdusIn: [PDUKey: UInt64] { inCounter.all }
    var pdusOut: [PDUKey: UInt64] { outCounter.all }

    @inline(__always) func countIn(command: UInt32, status: UInt32) {
        inCounter.increment(command: command, status: status)
    }

    @inline(__always) func countOut(command: UInt32, status: UInt32) {
        outCounter.increment(command: command, status: status)
    }

    func observeSubmitLatency(seconds: Double, count: Int = 1) { submitResp.observe(seconds, count: count) }
    func observeReceiptLatency(seconds: Double) { submitReceipt.observe(seconds) }

    /// deliver_sm written, by kind (the status page's receipts/s and MO/s).
    private(set) var receiptsSent: UInt64 = 0
    private(set) var moSent: UInt64 = 0
    @inline(__always) func deliverSent(receipt: Bool) {
        if receipt { receiptsSent &+= 1 } else { moSent &+= 1 }
    }

    /// Responses sent with a non-zero command_status, and the last few of them.
    private(set) var errorResponses: UInt64 = 0
    private(set) var recentErrors = RecentErrors(capacity: 20)
    func errorResponseSent(_ e: RecentErrors.Entry) {
        errorResponses &+= 1
        recentErrors.append(e)
    }

    /// accept() failures for lack of descriptors or memory, by errno name (EMFILE, ENFILE …).
    private(set) var acceptExhausted: [String: UInt64] = [:]
    func acceptExhausted(errnoName: String) { acceptExhausted[errnoName, default: 0] &+= 1 }

    /// Connections from a `proxy-protocol-from` balancer closed for a missing or bad PROXY header.
    private(set) var proxyHeaderInvalid: UInt64 = 0
    func proxyHeaderWasInvalid() { proxyHeaderInvalid &+= 1 }
}

/// The last `capacity` error responses, oldest first when read. Only error paths write here.
struct RecentErrors {
    struct Entry {
        var atMs: Int64
        var command: UInt32
        var status: UInt32
        var systemID: String?
        var peer: String
    }
    let capacity: Int
    private var ring: [Entry] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func append(_ e: Entry) {
        if ring.count < capacity { ring.append(e) } else { ring[next] = e }
        next = (next + 1) % capacity
    }

    var entries: [Entry] { ring.count < capacity ? ring : Array(ring[next...] + ring[..<next]) }
}
