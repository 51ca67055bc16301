// Slows and then refuses repeated failed binds from one address (C-BIND-2). Loop thread only.
// Memory is bounded: at most `maxTrackedAddresses` addresses are remembered, oldest dropped first.

/// Tunables, from the `[auth]` config table.
public struct BindFailurePolicy: Sendable, Equatable {
    /// Every failed bind is answered only after this delay.
    public var failureDelay: Duration = .seconds(1)
    /// Failures from one address within `window` that trigger a lockout.
    public var maxFailures: Int = 5
    public var window: Duration = .seconds(60)
    /// While locked out, every bind from the address is refused with ESME_RBINDFAIL.
    public var lockout: Duration = .seconds(60)
    public var maxTrackedAddresses: Int = 65_536
    public init() {}
}

/// Counts failed binds per peer address and says whether the address is locked out.
public struct BindFailureLimiter {
    private struct Record { var failures: [Int64]; var lockedUntil: Int64 }
    private var records: [String: Record] = [:]
    public var policy: BindFailurePolicy

    public init(policy: BindFailurePolicy) { self.policy = policy }

    private static func ms(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return s * 1000 + atto / 1_000_000_000_000_000
    }

    /// True when binds from `ip` are refused at time `nowMs` (loop milliseconds).
    public func isLockedOut(_ ip: String, nowMs: Int64) -> Bool {
        guard let r = records[ip] else { return false }
        return r.lockedUntil > nowMs
    }

    /// Records one failed bind. Returns true when this failure started a lockout.
    @discardableResult
    public mutating func recordFailure(_ ip: String, nowMs: Int64) -> Bool {
        let windowStart = nowMs - Self.ms(policy.window)
        var r = records[ip] ?? Record(failures: [], lockedUntil: 0)
        r.failures.removeAll { $0 < windowStart }
        r.failures.append(nowMs)
        var locked = false
        if r.failures.count >= policy.maxFailures, r.lockedUntil <= nowMs {
            r.lockedUntil = nowMs + Self.ms(policy.lockout)
            r.failures.removeAll()
            locked = true
        }
        if records[ip] == nil, records.count >= policy.maxTrackedAddresses { evictOldest(nowMs: nowMs) }
        records[ip] = r
        return locked
    }

    /// A successful bind clears the address's failure history (not an active lockout).
    public mutating func recordSuccess(_ ip: String) {
        guard var r = records[ip] else { return }
        r.failures.removeAll()
        records[ip] = r.lockedUntil == 0 ? nil : r
    }

    /// Drops records with no recent failure and no lockout; then, if still full, any one.
    private mutating func evictOldest(nowMs: Int64) {
        let windowStart = nowMs - Self.ms(policy.window)
        records = records.filter { $0.value.lockedUntil > nowMs || ($0.value.failures.last ?? 0) >= windowStart }
        if records.count >= policy.maxTrackedAddresses, let any = records.keys.first { records[any] = nil }
    }

    public var trackedAddressCount: Int { records.count }
}
