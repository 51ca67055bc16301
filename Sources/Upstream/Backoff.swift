// Backoff: the delays between attempts of one kind of retry, for every carrier: initial,
// 2×, 4× … capped at the maximum. The SMPP carrier's reconnects and throttle pauses use it
// as a counter (`take()`, `reset()` after a success) without jitter: the sequence 1, 2, 4 … 60 s
// is what operators read in the log. The HTTP carrier's retries ask for attempt n's delay
// with full jitter (uniform in [0, cap]), so that batches that failed together do not come
// back together. A value with no I/O; loop thread (owned by one carrier).

struct Backoff: Equatable {
    let initialMs: Int64
    let maximumMs: Int64
    /// Attempts taken since the last reset (`take()`).
    private(set) var attempts = 0
    /// Full jitter on `delayMs` and `take()`; off for the reconnect counters and in tests
    /// that check the caps.
    var isJittered: Bool
    private var random: UInt64

    /// `jitterSeed`: jittered delays from this seed; nil: the caps themselves.
    init(_ settings: BackoffSettings, jitterSeed: UInt64? = nil) {
        initialMs = max(1, settings.initialMs)
        maximumMs = max(initialMs, settings.maximumMs)
        isJittered = jitterSeed != nil
        random = jitterSeed ?? 0
    }

    /// The ceiling of attempt `attempt`'s delay (attempt 0 is the first retry).
    func capMs(attempt: Int) -> Int64 {
        var cap = initialMs
        for _ in 0..<min(max(attempt, 0), 62) {
            cap *= 2
            if cap >= maximumMs { return maximumMs }
        }
        return min(cap, maximumMs)
    }

    /// The delay before retry `attempt`, in ms (jittered when asked).
    mutating func delayMs(attempt: Int) -> Int64 {
        let cap = capMs(attempt: attempt)
        guard isJittered else { return cap }
        return Int64(nextRandom() % UInt64(cap + 1))
    }

    /// The delay before the next attempt; each call doubles the one after it, up to the cap.
    mutating func take() -> Int64 {
        defer { attempts += 1 }
        return delayMs(attempt: attempts)
    }

    /// After a success: the next failure waits the initial delay again.
    mutating func reset() { attempts = 0 }

    /// SplitMix64: cheap, and good enough to spread retries.
    private mutating func nextRandom() -> UInt64 {
        random &+= 0x9E37_79B9_7F4A_7C15
        var z = random
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
