// MessageStore: the seam between the messaging code (SMSC, loop thread) and message records:
// insert at submit_sm, query_sm, cancel_sm, the carrier's take and outcome, expiry and
// retention. Two implementations: MemoryMessageStore (memory mode, and the cache every other
// one reads), and JournaledMessageStore (Durable/), which writes each change to a journal
// before it is acknowledged (C-DATA-1). A shared store on a distributed engine would be a
// third. Implementations are owned by one thread (the loop) and are not Sendable; every state
// change goes through MessageTransition.apply.

import SMPP

/// Message records for one loop thread. See the file header; all times are Unix ms.
public protocol MessageStore: AnyObject {
    /// Records held, final and not.
    var count: Int { get }
    /// Records it holds at most (messages.max-records).
    var capacity: Int { get }
    /// Counters since creation.
    var statistics: MessageStoreStatistics { get }

    /// Stores a new record (ENROUTE, not forwarded; `state`, `isForwarded`, `finalTime` and
    /// `errorCode` of the argument are ignored), its validity clamped (configuration). When
    /// full, evicts the oldest final record first; refuses with `.full` if none is final.
    func insert(_ record: MessageRecord) -> InsertResult

    /// The record of `id` if it belongs to `systemID`; nil for unknown ids and for another
    /// account's (both ESME_RQUERYFAIL, C-MGT-1).
    func lookup(_ id: MessageID, systemID: ShortBytes) -> MessageRecord?

    /// The record of `id` whatever its account, for the loop's own use (receipts, logs),
    /// never to answer a client.
    func record(_ id: MessageID) -> MessageRecord?

    /// cancel_sm (C-MGT-2): DELETED if the account owns it and the carrier does not have it.
    /// `carrierHasTaken`: a carrier worker has taken the message from its queue, which is when a
    /// message without a hold is forwarded (one with a hold is forwarded when the hold ends).
    func cancel(_ id: MessageID, systemID: ShortBytes, now: Int64, carrierHasTaken: Bool) -> CancelResult

    /// A final state (DELIVERED, UNDELIVERABLE, REJECTED, EXPIRED, UNKNOWN, DELETED) or ACCEPTED
    /// set from outside the carrier (the admin API). Moves only non-final records; repeated
    /// finals are refused. `errorCode` (0...999) is kept for `err:` and network_error_code.
    func finish(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> FinishResult

    /// A carrier outcome for `id`, at full rate: what it did, and the record only when a
    /// receipt (or ACCEPTD notice) is due.
    func finishReturningReceipt(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> AppliedOutcome

    /// Starts loading `id`'s index entry, then its record, for an update soon (hints).
    func prefetchIndexEntry(_ id: MessageID)
    func prefetchRecord(_ id: MessageID)

    /// Moves up to `limit` live records whose validity deadline is <= `now` to EXPIRED
    /// (final time = the deadline), soonest first, and hands each, updated, to `expired` so
    /// the caller can queue receipts. Returns how many; more may remain when it returns `limit`.
    func expire(now: Int64, limit: Int, _ expired: (MessageRecord) -> Void) -> Int

    /// Removes up to `limit` final records whose final time is before `cutoff`
    /// (`now - retention`, C-DATA-2), oldest first. Live records are never purged. Returns
    /// how many; more may remain when it returns `limit`.
    func purge(olderThan cutoff: Int64, limit: Int) -> Int

    /// Hands up to `limit` records to `body` from `cursor` on; returns where to continue, nil
    /// when every record was visited (after recovery; a takeover's adoption).
    func forEachRecord(from cursor: Int, limit: Int, _ body: (MessageRecord) -> Void) -> Int?
}

extension MessageStore {
    /// `expire` without a limit.
    @discardableResult
    public func expire(now: Int64, _ expired: (MessageRecord) -> Void = { _ in }) -> Int {
        expire(now: now, limit: .max, expired)
    }

    /// `purge` without a limit.
    @discardableResult
    public func purge(olderThan cutoff: Int64) -> Int {
        purge(olderThan: cutoff, limit: .max)
    }
}
