// MessageStore: the interface the session layer (SMSC, loop thread) calls for message
// records: insert at submit_sm, query_sm, cancel_sm, the carrier's take and outcome, expiry
// and retention. Implementations are owned by one thread (the loop) and are not Sendable;
// every state change goes through MessageTransition.apply. Memory back-end:
// MemoryMessageStore.swift. The durable seam (C-DATA-1) is written at the end of this file.

import SMPP

/// Message records for one loop thread. See the file header; all times are Unix ms.
public protocol MessageStore: AnyObject {
    /// Records held, final and not.
    var count: Int { get }
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

    /// A worker's take of `id`, applied on the loop: from now on cancel_sm fails.
    func markForwarded(_ id: MessageID, now: Int64) -> ForwardResult

    /// A carrier outcome for `id`: a final state (DELIVERED, UNDELIVERABLE, REJECTED, EXPIRED,
    /// UNKNOWN) or ACCEPTED. Moves only non-final records; repeated finals are refused.
    /// `errorCode` (0...999) is kept for `err:` and network_error_code.
    func finish(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> FinishResult

    /// Moves up to `limit` live records whose validity deadline is <= `now` to EXPIRED
    /// (final time = the deadline), soonest first, and hands each, updated, to `expired` so
    /// the caller can queue receipts. Returns how many; more may remain when it returns `limit`.
    func expire(now: Int64, limit: Int, _ expired: (MessageRecord) -> Void) -> Int

    /// Removes up to `limit` final records whose final time is before `cutoff`
    /// (`now - retention`, C-DATA-2), oldest first. Live records are never purged. Returns
    /// how many; more may remain when it returns `limit`.
    func purge(olderThan cutoff: Int64, limit: Int) -> Int

    /// Makes every change so far durable. The session layer calls it once per loop turn,
    /// before flushing the responses of that turn (the group commit below). No-op in memory.
    func commit()
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

// The durable seam (C-DATA-1), for a later SQLite back-end (WAL mode) behind this protocol.
//
// What must be on disk before a response says OK, and so before the session flushes it:
// - submit_sm_resp OK: the inserted record (all MessageRecord fields). The id generator's
//   restart floor is implied: at start, floor = the largest stored id
//   (MessageIDGenerator(startUnixMillis:floor:)), so no id is reissued even if the clock
//   stepped back.
// - cancel_sm_resp OK: the DELETED state and final time.
// - a state change that queues a receipt (finish, expire): the new state, final time and
//   error code, plus "receipt pending" (a flag column on the record, cleared on
//   deliver_sm_resp OK, so a restart re-queues exactly the unacknowledged receipts by scanning
//   final records with the flag set); MO waiting in PendingDeliveries needs its own table,
//   written when queued and deleted on ack. At-least-once tolerates the window between an
//   ack and its delete: after a crash that receipt may be sent again, never lost.
// - markForwarded: the flag (a restart must not let a forwarded message be cancelled).
// How: each mutating call stages its rows; `commit()` writes one transaction per loop turn
// (group commit), called from the loop's prepare hook before output is flushed, so one fsync
// covers every response of the turn and nothing acknowledged is in memory only. Reads
// (lookup) are served from memory: the durable store wraps a MemoryMessageStore as its cache
// and replays the table into it at start (records within retention only).
