// MonotonicClock: CLOCK_MONOTONIC in nanoseconds, for latencies: smppd's submit_sm_resp metric
// and every smppbench histogram. One vDSO call and an integer, where ContinuousClock.now plus
// Duration.components do several times the work on the daemon's hot path.
#if canImport(Glibc)
import Glibc
#endif

public enum MonotonicClock {
    @inline(__always)
    public static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
