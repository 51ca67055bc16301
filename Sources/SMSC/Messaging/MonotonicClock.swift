// MonotonicClock: CLOCK_MONOTONIC in nanoseconds, for latency metrics on the hot path
// (ContinuousClock.now plus Duration.components cost ~550 instructions per submit_sm; this
// is one vDSO call).
#if canImport(Glibc)
import Glibc
#endif

enum MonotonicClock {
    @inline(__always)
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
