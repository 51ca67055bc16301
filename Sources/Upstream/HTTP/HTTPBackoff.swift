// HTTPBackoff: how long a failed batch waits before its next attempt: exponential, capped, with
// full jitter (a uniform delay in [0, min(maximum, initial × 2^attempt)]), so that batches that
// failed together do not come back together. Loop thread (owned by one carrier).

struct HTTPBackoff {
    let settings: BackoffSettings
    /// Off only in tests that check the cap's growth (the delay is then the cap itself).
    var isJittered = true
    private var state: UInt64

    init(settings: BackoffSettings, seed: UInt64) {
        self.settings = settings
        state = seed
    }

    /// The ceiling of attempt `attempt`'s delay (attempt 0 is the first retry).
    func capMs(attempt: Int) -> Int64 {
        let initial = max(settings.initialMs, 1)
        let maximum = max(settings.maximumMs, initial)
        // 2^attempt overflows past 62: any attempt beyond the doubling that reaches the maximum is the maximum.
        var cap = initial
        for _ in 0..<min(attempt, 62) {
            cap *= 2
            if cap >= maximum { return maximum }
        }
        return min(cap, maximum)
    }

    /// The delay before retry `attempt`, in ms.
    mutating func delayMs(attempt: Int) -> Int64 {
        let cap = capMs(attempt: attempt)
        guard isJittered else { return cap }
        return Int64(next() % UInt64(cap + 1))
    }

    /// SplitMix64: cheap, and good enough to spread retries.
    private mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
