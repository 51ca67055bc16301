// PendingDeliveries: per-account store and forward of deliver_sm work (receipts, MO) with
// at-least-once delivery: take, ack, nack with backoff, requeue on session loss (C-DLV-3,
// C-DLV-4, C-DLV-5, C-SESS-5). Owned by the loop thread (not Sendable). Pure logic over the
// loop time in ms passed in; no clocks inside. Invariants (testsOnly_checkInvariants): every
// entry is in exactly one place: its account's ready heap, its delayed heap, or its
// holder's in-flight list; an account's count is the number of its entries.
//
// Session-layer protocol: a receiver/transceiver session with room in its window (C-DLV-5)
// calls take(for:holder:now:), sends the deliver_sm and keeps the token by sequence number.
// deliver_sm_resp 0 → ack; a temporary error or the response timeout → nack(.temporary);
// a permanent error → nack(.permanent); the session closing for any reason →
// requeue(holder:now:). Call expire(now:) periodically (with the store's purge) and arm a
// timer for nextRetryTime(for:).

/// Store and forward of deliver_sm work per account; see the file header.
public final class PendingDeliveries<Payload> {
    public let configuration: PendingDeliveriesConfiguration
    public private(set) var statistics = PendingDeliveriesStatistics()

    private enum Place {
        case ready
        case delayed
        case inFlight(holder: UInt64)
    }

    private struct Entry {
        var payload: Payload
        let account: ShortBytes
        let enqueuedAt: Int64
        var attempts: Int
        var place: Place
    }

    private struct Retry: Comparable {
        var notBefore: Int64
        var token: UInt64
        static func < (lhs: Retry, rhs: Retry) -> Bool { (lhs.notBefore, lhs.token) < (rhs.notBefore, rhs.token) }
    }

    /// One account's items: waiting ones oldest first (tokens grow with time), retries by due time.
    private struct AccountQueue {
        var ready = MinHeap<UInt64>()
        var delayed = MinHeap<Retry>()
        var count = 0
    }

    private var entries: [UInt64: Entry] = [:]
    private var queues: [ShortBytes: AccountQueue] = [:]
    private var inFlight: [UInt64: [UInt64]] = [:]
    private var nextToken: UInt64 = 1

    public init(configuration: PendingDeliveriesConfiguration = PendingDeliveriesConfiguration()) {
        self.configuration = configuration
    }

    /// Items waiting or in flight, all accounts.
    public var count: Int { entries.count }

    /// Items waiting or in flight for `account`.
    public func count(for account: ShortBytes) -> Int { queues[account]?.count ?? 0 }

    /// Items `holder` has in flight (its window, C-DLV-5).
    public func inFlightCount(holder: UInt64) -> Int { inFlight[holder]?.count ?? 0 }

    /// Accounts with at least one item (waiting or in flight), for a bind to check (C-DLV-4).
    public var accounts: some Collection<ShortBytes> { queues.keys }

    // MARK: Queue and hand out

    /// Queues `payload` for `account`'s receivers. Never drops silently: past the count
    /// bound it drops, counts and hands back the oldest ready item (else the next retry due;
    /// when every item is in flight, the new one).
    public func enqueue(_ payload: Payload, for account: ShortBytes, now: Int64) -> EnqueueResult<Payload> {
        var dropped: Payload?
        // Read the count without binding a copy of the queue: a copy would share its heaps'
        // storage and make the push below copy them (an allocation per enqueue).
        if (queues[account]?.count ?? 0) >= configuration.maximumCountPerAccount {
            guard let oldest = popOldestWaiting(account) else {
                statistics.count(.overflow)
                return .droppedNewest
            }
            dropped = removeEntry(oldest, account: account).payload
            statistics.count(.overflow)
        }
        let token = nextToken
        nextToken += 1
        entries[token] = Entry(payload: payload, account: account, enqueuedAt: now, attempts: 0, place: .ready)
        queues[account, default: AccountQueue()].ready.push(token)
        queues[account]!.count += 1
        statistics.enqueued += 1
        if let dropped { return .queuedDroppingOldest(DeliveryToken(rawValue: token), dropped: dropped) }
        return .queued(DeliveryToken(rawValue: token))
    }

    /// The next item for `account` that is due at `now` (retries first once due, then the
    /// oldest), now in flight for `holder` (a session id); nil when none is due.
    public func take(for account: ShortBytes, holder: UInt64, now: Int64) -> Delivery<Payload>? {
        guard queues[account] != nil else { return nil }
        promoteDue(account, now: now)
        guard let token = queues[account]!.ready.popMin() else { return nil }
        entries[token]!.attempts += 1
        entries[token]!.place = .inFlight(holder: holder)
        inFlight[holder, default: []].append(token)
        let entry = entries[token]!
        return Delivery(token: DeliveryToken(rawValue: token), payload: entry.payload,
                        attempt: entry.attempts, enqueuedAt: entry.enqueuedAt)
    }

    /// When the next delayed retry of `account` falls due (for a timer); nil if none.
    public func nextRetryTime(for account: ShortBytes) -> Int64? {
        queues[account]?.delayed.min?.notBefore
    }

    /// True when `take` would return an item for `account` at `now`.
    public func hasDue(for account: ShortBytes, now: Int64) -> Bool {
        guard let queue = queues[account] else { return false }
        return !queue.ready.isEmpty || (queue.delayed.min.map { $0.notBefore <= now } ?? false)
    }

    // MARK: Outcomes

    /// deliver_sm_resp OK: the item is done. False if the token is not in flight.
    @discardableResult
    public func ack(_ token: DeliveryToken) -> Bool {
        guard let entry = entries[token.rawValue], case .inFlight(let holder) = entry.place else { return false }
        leaveInFlight(token.rawValue, holder: holder)
        _ = removeEntry(token.rawValue, account: entry.account)
        statistics.acknowledged += 1
        return true
    }

    /// deliver_sm failed (C-DLV-3): retried after backoff, or dropped when permanent, out of
    /// attempts, or when the retry would come after the age limit.
    public func nack(_ token: DeliveryToken, _ failure: DeliveryFailure, now: Int64) -> NackResult<Payload> {
        guard let entry = entries[token.rawValue], case .inFlight(let holder) = entry.place else { return .unknownToken }
        leaveInFlight(token.rawValue, holder: holder)
        let retryAt = now + configuration.retry.backoffMillis(afterAttempt: entry.attempts)
        let reason: DeliveryDropReason? =
            failure == .permanent ? .rejected
            : entry.attempts >= configuration.retry.maximumAttempts ? .attemptsExhausted
            : retryAt > entry.enqueuedAt + configuration.maximumAgeMillis ? .expired
            : nil
        if let reason {
            statistics.count(reason)
            return .dropped(removeEntry(token.rawValue, account: entry.account).payload, reason)
        }
        entries[token.rawValue]!.place = .delayed
        queues[entry.account]!.delayed.push(Retry(notBefore: retryAt, token: token.rawValue))
        statistics.retried += 1
        return .retryAt(retryAt)
    }

    /// The session `holder` is gone (C-SESS-5): its in-flight items wait again, due at once
    /// (another session may take them now), unless they used up their attempts (dropped,
    /// each handed to `dropped`). Returns how many were requeued.
    @discardableResult
    public func requeue(holder: UInt64, now: Int64, dropped: (Payload, DeliveryDropReason) -> Void = { _, _ in }) -> Int {
        guard let tokens = inFlight.removeValue(forKey: holder) else { return 0 }
        var requeued = 0
        for token in tokens {
            let entry = entries[token]!
            if entry.attempts >= configuration.retry.maximumAttempts {
                statistics.count(.attemptsExhausted)
                dropped(removeEntry(token, account: entry.account).payload, .attemptsExhausted)
                continue
            }
            entries[token]!.place = .ready
            queues[entry.account]!.ready.push(token)
            statistics.requeued += 1
            requeued += 1
        }
        return requeued
    }

    /// Drops every waiting item older than maximumAgeMillis at `now` (C-DLV-4), handing each
    /// to `dropped`. Items in flight wait for their response or timeout. Returns how many.
    @discardableResult
    public func expire(now: Int64, dropped: (Payload, DeliveryDropReason) -> Void = { _, _ in }) -> Int {
        let oldestAllowed = now - configuration.maximumAgeMillis
        var count = 0
        for account in Array(queues.keys) {
            promoteDue(account, now: now)
            while let token = queues[account]?.ready.min, entries[token]!.enqueuedAt < oldestAllowed {
                _ = queues[account]!.ready.popMin()
                statistics.count(.expired)
                dropped(removeEntry(token, account: account).payload, .expired)
                count += 1
            }
        }
        return count
    }

    // MARK: Internals

    /// Moves due retries into the ready heap (where their old token puts them first).
    private func promoteDue(_ account: ShortBytes, now: Int64) {
        while let retry = queues[account]!.delayed.min, retry.notBefore <= now {
            _ = queues[account]!.delayed.popMin()
            entries[retry.token]!.place = .ready
            queues[account]!.ready.push(retry.token)
        }
    }

    /// Removes the oldest item not in flight from its heap; nil when all are in flight.
    private func popOldestWaiting(_ account: ShortBytes) -> UInt64? {
        if let token = queues[account]!.ready.popMin() { return token }
        return queues[account]!.delayed.popMin()?.token
    }

    /// Takes `token` off its holder's list. An emptied list is kept (with its capacity) until
    /// requeue(holder:) forgets the holder, so a session's steady take/ack cycle allocates nothing.
    private func leaveInFlight(_ token: UInt64, holder: UInt64) {
        guard var tokens = inFlight.removeValue(forKey: holder) else { return }
        if let index = tokens.firstIndex(of: token) { tokens.remove(at: index) }
        inFlight[holder] = tokens
    }

    /// Forgets `token` (already out of every heap and in-flight list) and returns its entry.
    private func removeEntry(_ token: UInt64, account: ShortBytes) -> Entry {
        let entry = entries.removeValue(forKey: token)!
        queues[account]!.count -= 1
        if queues[account]!.count == 0 { queues[account] = nil }
        return entry
    }

    /// Checks the header's invariants (O(n); tests only).
    public func testsOnly_checkInvariants() {
        var seen = Set<UInt64>()
        for (account, queue) in queues {
            precondition(queue.count > 0, "empty account queue kept")
            for token in queue.ready.elements {
                precondition(seen.insert(token).inserted, "token in two places")
                guard case .ready = entries[token]!.place, entries[token]!.account == account else { preconditionFailure("ready token misplaced") }
            }
            for retry in queue.delayed.elements {
                precondition(seen.insert(retry.token).inserted, "token in two places")
                guard case .delayed = entries[retry.token]!.place, entries[retry.token]!.account == account else { preconditionFailure("delayed token misplaced") }
            }
        }
        for (holder, tokens) in inFlight {
            for token in tokens {
                precondition(seen.insert(token).inserted, "token in two places")
                guard case .inFlight(let owner) = entries[token]!.place, owner == holder else { preconditionFailure("in-flight token misplaced") }
            }
        }
        precondition(seen.count == entries.count, "entry in no place")
        for (account, queue) in queues {
            precondition(queue.count == entries.values.filter { $0.account == account }.count, "account count wrong")
        }
    }
}
