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
//
// Layout, for the receipt path's sake (one enqueue, take and ack per receipt, so no Hasher
// and no Dictionary keyed by token, account or holder on it): entries sit in a SlotArena
// found through an IDIndex by token; each
// account has a numbered queue (the last account asked about is remembered, so a run of calls
// for one account hashes nothing); a holder's in-flight tokens are a list in which each entry
// knows its own index, so removing one is a swap, not a search.

/// Store and forward of deliver_sm work per account; see the file header.
public final class PendingDeliveries<Payload> {
    public let configuration: PendingDeliveriesConfiguration
    public private(set) var statistics = PendingDeliveriesStatistics()

    private enum Place {
        case ready
        case delayed
        /// In `holder`'s in-flight list at `index`.
        case inFlight(holder: UInt64, index: Int)
    }

    private struct Entry {
        var payload: Payload
        let token: UInt64
        let queue: Int
        let enqueuedAt: Int64
        let commit: UInt64
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
        let account: ShortBytes
        var ready = MinHeap<UInt64>()
        var delayed = MinHeap<Retry>()
        var count = 0
    }

    private var entries = SlotArena<Entry>()
    private var slotByToken = IDIndex()
    /// Queues are never removed (accounts are few); an empty one just has count 0.
    private var queues: [AccountQueue] = []
    private var queueByAccount: [ShortBytes: Int] = [:]
    private var lastAccount = ShortBytes()
    private var lastQueue = -1
    private var inFlight: [UInt64: [UInt64]] = [:]
    private var nextToken: UInt64 = 1

    public init(configuration: PendingDeliveriesConfiguration = PendingDeliveriesConfiguration()) {
        self.configuration = configuration
    }

    /// Items waiting or in flight, all accounts.
    public var count: Int { slotByToken.count }

    /// Items waiting or in flight for `account`.
    public func count(for account: ShortBytes) -> Int { queueIndex(account).map { queues[$0].count } ?? 0 }

    /// Items `holder` has in flight (its window, C-DLV-5).
    public func inFlightCount(holder: UInt64) -> Int { inFlight[holder]?.count ?? 0 }

    /// Accounts with at least one item (waiting or in flight), for a bind to check (C-DLV-4).
    public var accounts: [ShortBytes] { queues.filter { $0.count > 0 }.map(\.account) }

    // MARK: Queue and hand out

    /// Queues `payload` for `account`'s receivers. Never drops silently: past the count
    /// bound it drops, counts and hands back the oldest ready item (else the next retry due;
    /// when every item is in flight, the new one).
    /// `commit`: the journal batch that holds the change the item reports (durable mode), so
    /// that it is not sent before that batch is on disk; 0 for none.
    public func enqueue(_ payload: Payload, for account: ShortBytes, now: Int64, commit: UInt64 = 0) -> EnqueueResult<Payload> {
        let q = queueIndex(creating: account)
        var dropped: Payload?
        if queues[q].count >= configuration.maximumCountPerAccount {
            guard let oldest = popOldestWaiting(q) else {
                statistics.count(.overflow)
                return .droppedNewest
            }
            dropped = removeEntry(oldest).payload
            statistics.count(.overflow)
        }
        let token = nextToken
        nextToken += 1
        let slot = entries.allocate(Entry(payload: payload, token: token, queue: q, enqueuedAt: now, commit: commit, attempts: 0, place: .ready))
        _ = slotByToken.insert(token, slot: slot)
        queues[q].ready.push(token)
        queues[q].count += 1
        statistics.enqueued += 1
        if let dropped { return .queuedDroppingOldest(DeliveryToken(rawValue: token), dropped: dropped) }
        return .queued(DeliveryToken(rawValue: token))
    }

    /// The next item for `account` that is due at `now` (retries first once due, then the
    /// oldest), now in flight for `holder` (a session id); nil when none is due.
    public func take(for account: ShortBytes, holder: UInt64, now: Int64) -> Delivery<Payload>? {
        guard let q = queueIndex(account), queues[q].count > 0 else { return nil }
        promoteDue(q, now: now)
        guard let token = queues[q].ready.popMin() else { return nil }
        let slot = slotByToken[token]!
        var list = inFlight.removeValue(forKey: holder) ?? []
        list.append(token)
        let index = list.count - 1
        inFlight[holder] = list
        entries[slot].attempts += 1
        entries[slot].place = .inFlight(holder: holder, index: index)
        let entry = entries[slot]
        return Delivery(token: DeliveryToken(rawValue: token), payload: entry.payload,
                        attempt: entry.attempts, enqueuedAt: entry.enqueuedAt, commit: entry.commit)
    }

    /// When the next delayed retry of `account` falls due (for a timer); nil if none.
    public func nextRetryTime(for account: ShortBytes) -> Int64? {
        queueIndex(account).flatMap { queues[$0].delayed.min?.notBefore }
    }

    /// True when `take` would return an item for `account` at `now`.
    public func hasDue(for account: ShortBytes, now: Int64) -> Bool {
        guard let q = queueIndex(account) else { return false }
        return !queues[q].ready.isEmpty || (queues[q].delayed.min.map { $0.notBefore <= now } ?? false)
    }

    // MARK: Outcomes

    /// deliver_sm_resp OK: the item is done. False if the token is not in flight.
    @discardableResult
    public func ack(_ token: DeliveryToken) -> Bool {
        guard let slot = slotByToken[token.rawValue], case .inFlight = entries[slot].place else { return false }
        leaveInFlight(slot)
        _ = removeEntry(token.rawValue)
        statistics.acknowledged += 1
        return true
    }

    /// `ack`, handing back what was delivered (a journal records which item is done); nil if
    /// the token is not in flight.
    public func acknowledge(_ token: DeliveryToken) -> Payload? {
        guard let slot = slotByToken[token.rawValue], case .inFlight = entries[slot].place else { return nil }
        leaveInFlight(slot)
        statistics.acknowledged += 1
        return removeEntry(token.rawValue).payload
    }

    /// Every item held, waiting or in flight, oldest first, with its account (compaction
    /// copies them; O(n log n)).
    public func forEachItem(_ body: (ShortBytes, Payload) -> Void) {
        var held: [(token: UInt64, slot: UInt32)] = []
        held.reserveCapacity(slotByToken.count)
        slotByToken.forEach { token, slot in held.append((token, slot)) }
        held.sort { $0.token < $1.token }
        for h in held { body(queues[entries[h.slot].queue].account, entries[h.slot].payload) }
    }

    /// deliver_sm failed (C-DLV-3): retried after backoff, or dropped when permanent, out of
    /// attempts, or when the retry would come after the age limit.
    public func nack(_ token: DeliveryToken, _ failure: DeliveryFailure, now: Int64) -> NackResult<Payload> {
        guard let slot = slotByToken[token.rawValue], case .inFlight = entries[slot].place else { return .unknownToken }
        leaveInFlight(slot)
        let entry = entries[slot]
        let retryAt = now + configuration.retry.backoffMillis(afterAttempt: entry.attempts)
        let reason: DeliveryDropReason? =
            failure == .permanent ? .rejected
            : entry.attempts >= configuration.retry.maximumAttempts ? .attemptsExhausted
            : retryAt > entry.enqueuedAt + configuration.maximumAgeMillis ? .expired
            : nil
        if let reason {
            statistics.count(reason)
            return .dropped(removeEntry(token.rawValue).payload, reason)
        }
        entries[slot].place = .delayed
        queues[entry.queue].delayed.push(Retry(notBefore: retryAt, token: token.rawValue))
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
            let slot = slotByToken[token]!
            let entry = entries[slot]
            if entry.attempts >= configuration.retry.maximumAttempts {
                statistics.count(.attemptsExhausted)
                dropped(removeEntry(token).payload, .attemptsExhausted)
                continue
            }
            entries[slot].place = .ready
            queues[entry.queue].ready.push(token)
            statistics.requeued += 1
            requeued += 1
        }
        return requeued
    }

    /// `holder`'s in-flight items wait again, due at once, as if never taken: their attempt is
    /// not counted and none is dropped. Returns how many.
    @discardableResult
    public func giveBack(holder: UInt64) -> Int {
        guard let tokens = inFlight.removeValue(forKey: holder) else { return 0 }
        for token in tokens {
            let slot = slotByToken[token]!
            entries[slot].attempts = max(entries[slot].attempts - 1, 0)
            entries[slot].place = .ready
            queues[entries[slot].queue].ready.push(token)
        }
        return tokens.count
    }

    /// Drops every waiting item older than maximumAgeMillis at `now` (C-DLV-4), handing each
    /// to `dropped`. Items in flight wait for their response or timeout. Returns how many.
    @discardableResult
    public func expire(now: Int64, dropped: (Payload, DeliveryDropReason) -> Void = { _, _ in }) -> Int {
        let oldestAllowed = now - configuration.maximumAgeMillis
        var count = 0
        for q in queues.indices where queues[q].count > 0 {
            promoteDue(q, now: now)
            while let token = queues[q].ready.min, entries[slotByToken[token]!].enqueuedAt < oldestAllowed {
                _ = queues[q].ready.popMin()
                statistics.count(.expired)
                dropped(removeEntry(token).payload, .expired)
                count += 1
            }
        }
        return count
    }

    // MARK: Internals

    /// The queue of `account`, if it ever had one. Remembers the last account asked about.
    private func queueIndex(_ account: ShortBytes) -> Int? {
        if lastQueue >= 0 && lastAccount == account { return lastQueue }
        guard let q = queueByAccount[account] else { return nil }
        lastAccount = account
        lastQueue = q
        return q
    }

    private func queueIndex(creating account: ShortBytes) -> Int {
        if let q = queueIndex(account) { return q }
        let q = queues.count
        queues.append(AccountQueue(account: account))
        queueByAccount[account] = q
        lastAccount = account
        lastQueue = q
        return q
    }

    /// Moves due retries into the ready heap (where their old token puts them first).
    private func promoteDue(_ q: Int, now: Int64) {
        while let retry = queues[q].delayed.min, retry.notBefore <= now {
            _ = queues[q].delayed.popMin()
            entries[slotByToken[retry.token]!].place = .ready
            queues[q].ready.push(retry.token)
        }
    }

    /// Removes the oldest item not in flight from its heap; nil when all are in flight.
    private func popOldestWaiting(_ q: Int) -> UInt64? {
        if let token = queues[q].ready.popMin() { return token }
        return queues[q].delayed.popMin()?.token
    }

    /// Takes the entry in `slot` off its holder's list: the list's last token moves into its
    /// place (and is told so). An emptied list is kept (with its capacity) until
    /// requeue(holder:) forgets the holder, so a session's take/ack cycle allocates nothing.
    private func leaveInFlight(_ slot: UInt32) {
        guard case .inFlight(let holder, let index) = entries[slot].place,
              var list = inFlight.removeValue(forKey: holder) else { return }
        let last = list.removeLast()
        if index < list.count {
            list[index] = last
            entries[slotByToken[last]!].place = .inFlight(holder: holder, index: index)
        }
        inFlight[holder] = list
    }

    /// Forgets `token` (already out of every heap and in-flight list) and returns its entry.
    private func removeEntry(_ token: UInt64) -> Entry {
        let slot = slotByToken.remove(token)!
        let entry = entries[slot]
        entries.release(slot)
        queues[entry.queue].count -= 1
        return entry
    }

    /// Checks the header's invariants (O(n); tests only).
    public func testsOnly_checkInvariants() {
        var seen = Set<UInt64>()
        var perQueue = [Int](repeating: 0, count: queues.count)
        for (q, queue) in queues.enumerated() {
            precondition(queueByAccount[queue.account] == q, "account index out of step")
            for token in queue.ready.elements {
                precondition(seen.insert(token).inserted, "token in two places")
                let e = entries[slotByToken[token]!]
                guard case .ready = e.place, e.queue == q else { preconditionFailure("ready token misplaced") }
            }
            for retry in queue.delayed.elements {
                precondition(seen.insert(retry.token).inserted, "token in two places")
                let e = entries[slotByToken[retry.token]!]
                guard case .delayed = e.place, e.queue == q else { preconditionFailure("delayed token misplaced") }
            }
        }
        for (holder, tokens) in inFlight {
            for (i, token) in tokens.enumerated() {
                precondition(seen.insert(token).inserted, "token in two places")
                guard case .inFlight(let owner, let index) = entries[slotByToken[token]!].place, owner == holder, index == i
                else { preconditionFailure("in-flight token misplaced") }
            }
        }
        precondition(seen.count == slotByToken.count, "entry in no place")
        slotByToken.forEach { token, slot in
            precondition(entries[slot].token == token, "index points at another entry")
            perQueue[entries[slot].queue] += 1
        }
        for q in queues.indices { precondition(queues[q].count == perQueue[q], "account count wrong") }
    }
}
