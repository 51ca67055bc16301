// What the simulated carrier does with one message (CONTRACT §8): the submit-time verdicts and
// hold of the test numbers (C-SIM-2), and the planned events — forwarded, then the outcome(s) —
// drawn from the latency distribution and outcome weights (C-SIM-1). Pure and deterministic for
// a given random generator; any thread.
import SMPP

/// The carrier's tunables, from the [carrier] config table.
public struct CarrierSettings: Sendable {
    public var workers = 2
    /// The worker threads' nice value; nil: `defaultWorkerNiceOffset` above the daemon's (see
    /// `effectiveWorkerNice`).
    public var workerNice: Int32? = nil
    public var seed: UInt64 = 1
    public var latencyMinMs: Int64 = 50
    public var latencyMedianMs: Int64 = 200
    public var latencyMaxMs: Int64 = 1000
    /// Relative weights of the outcomes of ordinary numbers.
    public var weights = OutcomeWeights()
    /// The deterministic numbers ending 9990–9998.
    public var testNumbers = true
    /// Every delivered message gets an MO reply from its destination.
    public var moAutoReply = false
    /// How long an ordinary message stays cancellable before it is forwarded.
    public var defaultHoldMs: Int64 = 0
    /// Capacity of the submission and event queues (a power of two).
    public var queueCapacity = 65_536
    public init() {}

    /// How many nice levels below the loop thread the workers run by default. The loop thread
    /// answers every submit_sm; the workers' work can wait a few milliseconds. On a machine
    /// whose cores the daemon shares (a client load-testing it on the same box), the scheduler
    /// then gives the loop thread the CPU when both want it, which lowers the submit_sm_resp
    /// tail at the cost of some receipt and MO throughput at peak (the A/B is in
    /// perf/RESULTS.md). With idle cores nice values change nothing.
    public static let defaultWorkerNiceOffset: Int32 = 10

    /// The nice value the workers ask for, given the daemon's own: the configured one, or
    /// `defaultWorkerNiceOffset` above the daemon's, at most 19 (the lowest priority).
    public func effectiveWorkerNice(daemonNice: Int32) -> Int32 {
        workerNice ?? min(daemonNice + Self.defaultWorkerNiceOffset, 19)
    }
}

public struct OutcomeWeights: Sendable, Equatable {
    public var delivered = 100
    public var undeliverable = 0
    public var expired = 0
    public var rejected = 0
    public init() {}
    var total: Int { delivered + undeliverable + expired + rejected }
}

/// What happens at submit time to a destination (C-SIM-2: 9996/9997/9998).
public enum SubmitVerdict: Sendable, Equatable {
    case accept, submitFail, throttled, queueFull
}

/// One event the carrier will report, `atMs` after… at Unix time `atMs`.
public struct PlannedEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case forwarded
        case outcome(MessageState, errorCode: UInt16)
        case autoReply
    }
    public var atMs: Int64
    public var kind: Kind
}

public struct CarrierModel: Sendable {
    public let settings: CarrierSettings
    /// The latency distribution's quantiles (see latencyMs).
    private let latencyQuantiles: [Int64]

    public init(settings: CarrierSettings) {
        self.settings = settings
        latencyQuantiles = Self.quantiles(settings)
    }

    /// The last four digits of a number, which choose a test behaviour.
    @inlinable static func suffix(_ digits: UInt64) -> UInt64 { digits % 10_000 }

    public func verdict(forDestination digits: UInt64) -> SubmitVerdict {
        guard settings.testNumbers else { return .accept }
        switch Self.suffix(digits) {
        case 9996: return .submitFail
        case 9997: return .throttled
        case 9998: return .queueFull
        default: return .accept
        }
    }

    /// The cancel window: 60 s for …9990, else the configured hold.
    public func holdMs(forDestination digits: UInt64) -> Int64 {
        settings.testNumbers && Self.suffix(digits) == 9990 ? 60_000 : settings.defaultHoldMs
    }

    /// Latency: log-normal around the median, clamped to [min, max]: median · exp(σ·z) with z
    /// standard normal and σ = ln(max/median)/2.33, which puts the 99th percentile at about max.
    /// Drawn as one of `quantileCount` equally likely quantiles, computed once: a table lookup
    /// per message instead of Box-Muller's log, cos, sqrt and exp, which at full load would be
    /// a large part of a carrier worker's time. At millisecond resolution the
    /// table loses nothing but the last 1/8192 of each tail, which the clamp cuts anyway.
    public func latencyMs(random: inout some RandomNumberGenerator) -> Int64 {
        latencyQuantiles[Int(random.next() >> UInt64(64 - Self.quantileBits))]
    }

    static let quantileBits = 12
    static var quantileCount: Int { 1 << quantileBits }

    /// The latency at the midpoint of each of quantileCount equal slices of probability.
    private static func quantiles(_ settings: CarrierSettings) -> [Int64] {
        let lo = settings.latencyMinMs, hi = max(settings.latencyMaxMs, lo), median = min(max(settings.latencyMedianMs, lo), hi)
        guard hi > lo, median > 0 else { return Array(repeating: lo, count: quantileCount) }
        let sigma = log(Double(hi) / Double(median)) / 2.33
        return (0..<quantileCount).map { i in
            let z = standardNormalQuantile((Double(i) + 0.5) / Double(quantileCount))
            let value = Double(median) * exp(sigma * z)
            return min(max(Int64(value.rounded()), lo), hi)
        }
    }

    /// Φ⁻¹(p): Shore's approximation (error below 0.01 here) polished by three Newton steps on
    /// Φ(z) = erfc(−z/√2)/2, which leaves an error far below a millisecond's worth. At start-up only.
    static func standardNormalQuantile(_ p: Double) -> Double {
        let tail = min(p, 1 - p)
        let upper = 5.5556 * (1 - pow(tail / (1 - tail), 0.1186))   // Φ⁻¹(1 − tail) ≥ 0
        var z = p < 0.5 ? -upper : upper
        for _ in 0..<3 {
            let density = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
            z -= (erfc(-z / 2.0.squareRoot()) / 2 - p) / density
        }
        return z
    }

    /// The events for one accepted message, in time order (allocates: for tests and tools).
    public func plan(_ s: CarrierSubmission, random: inout some RandomNumberGenerator) -> [PlannedEvent] {
        var events: [PlannedEvent] = []
        plan(s, random: &random) { events.append($0) }
        return events
    }

    /// The events for one accepted message, in time order, handed to `emit` one by one:
    /// forwarded at submit + hold, then the outcome(s), then an auto-reply if configured.
    /// Allocates nothing (the workers call it for every message).
    public func plan(_ s: CarrierSubmission, random: inout some RandomNumberGenerator, emit: (PlannedEvent) -> Void) {
        let forwardAt = s.submitTimeMs + holdMs(forDestination: s.destination)
        emit(PlannedEvent(atMs: forwardAt, kind: .forwarded))
        let latency = latencyMs(random: &random)
        // At most two outcomes: …9995 reports ACCEPTED, then UNKNOWN.
        var first: (at: Int64, state: MessageState, err: UInt16)
        var second: (at: Int64, state: MessageState, err: UInt16)? = nil
        switch settings.testNumbers ? Self.suffix(s.destination) : 0 {
        case 9990: first = (forwardAt + latency, .delivered, 0)
        case 9991: first = (forwardAt + latency, .undeliverable, 1)
        case 9992: first = (forwardAt + latency, .expired, 0)
        case 9993: first = (forwardAt + latency, .rejected, 0)
        case 9994: first = (forwardAt + 10_000, .delivered, 0)
        case 9995:
            first = (forwardAt + latency, .accepted, 0)
            second = (forwardAt + latency + 1_000, .unknown, 0)
        default: first = (forwardAt + latency, drawOutcome(random: &random), 0)
        }
        // A validity deadline that passes first wins: EXPIRED at the deadline (C-SUB-7).
        let deadline = s.validityDeadlineMs
        let last = second ?? first
        if deadline > 0 && last.at > deadline {
            let expiredAt = max(deadline, forwardAt)
            if first.at < deadline && !first.state.isFinal {
                second = (expiredAt, .expired, 0)
            } else {
                first = (expiredAt, .expired, 0)
                second = nil
            }
        }
        emit(PlannedEvent(atMs: first.at, kind: .outcome(first.state, errorCode: first.err)))
        if let second { emit(PlannedEvent(atMs: second.at, kind: .outcome(second.state, errorCode: second.err))) }
        let final = second ?? first
        if settings.moAutoReply && final.state == .delivered {
            emit(PlannedEvent(atMs: final.at + 1, kind: .autoReply))
        }
    }

    func drawOutcome(random: inout some RandomNumberGenerator) -> MessageState {
        let w = settings.weights
        guard w.total > 0 else { return .delivered }
        var pick = Int.random(in: 0..<w.total, using: &random)
        if pick < w.delivered { return .delivered }
        pick -= w.delivered
        if pick < w.undeliverable { return .undeliverable }
        pick -= w.undeliverable
        if pick < w.expired { return .expired }
        return .rejected
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// SplitMix64: small, fast, seedable; each worker has its own.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
