// MessageStore: the interface the session layer (SMSC, loop thread) calls for message
// records: insert at submit_sm, query_sm, cancel_sm, the carrier's take and outcome, expiry
// and retention. Implementations are owned by one thread (the loop) and are not Sendable;
// every state change goes through MessageTransition.apply. Memory back-end:
// MemoryMessageStore.swift. The durable seam (C-DATA-1) is written at the end of this file.

import SMPP

/// Limits of a store.
public struct MessageStoreConfiguration: Hashable, Sendable {
    /// Most records kept, final and not. When full, the oldest final record is evicted
    /// (before its retention ends); when every record is live, inserts are refused.
    public var capacity: Int
    /// Longest validity a message gets: a record's validityDeadline is clamped to
    /// submitTime + this (and set to it when the client gave none), so every live record
    /// ends within it and the store stays bounded (C-SUB-7).
    public var maximumValidityMillis: Int64

    public init(capacity: Int = 2_000_000, maximumValidityMillis: Int64 = 48 * 3_600_000) {
        precondition(capacity > 0 && capacity < Int(UInt32.max), "store capacity must be 1..<2^32")
        precondition(maximumValidityMillis > 0, "maximum validity must be positive")
        self.capacity = capacity
        self.maximumValidityMillis = maximumValidityMillis
    }
}

/// Counters since the store was made, for metrics (C-OPS-2). Nothing leaves silently.
public struct MessageStoreStatistics: Hashable, Sendable {
    public var inserted = 0
    /// Inserts refused because every record was live (answered ESME_RMSGQFUL).
    public var refusedFull = 0
    /// Final records removed early to make room for an insert.
    public var evicted = 0
    /// Final records removed when their retention ended.
    public var purged = 0
    /// Records moved to EXPIRED by `expire(now:)`.
    public var expired = 0
    /// Records moved to DELETED by cancel_sm.
    public var cancelled = 0
    /// Records moved to a final state by a carrier outcome.
    public var finished = 0

    public init() {}
}

/// The answer to `insert`.
public enum InsertResult: Hashable, Sendable {
    case inserted
    /// Every slot holds a live (non-final) record: answer ESME_RMSGQFUL, nothing stored.
    case full
    /// The id is already stored: a generator bug; nothing stored.
    case duplicateID
}

/// The answer to `cancel` (C-MGT-2). Everything but `.cancelled` is ESME_RCANCELFAIL.
public enum CancelResult: Hashable, Sendable {
    /// Now DELETED, final time set; send a receipt if `record.wantsReceipt(for: .deleted)`.
    case cancelled(MessageRecord)
    /// No such id for this account (unknown, purged, or another account's).
    case notFound
    /// The carrier has it (taken, held past its forward deadline, or reported on).
    case alreadyForwarded
    /// Already final in this state.
    case final(MessageState)
}

/// The answer to `markForwarded`.
public enum ForwardResult: Hashable, Sendable {
    /// Now forwarded; cancel_sm fails from here on.
    case forwarded(MessageRecord)
    /// It already was (a repeated take, or the hold deadline passed first).
    case alreadyForwarded
    /// Final before the take counted (cancelled, expired): the worker's work is void and
    /// its outcome will be refused.
    case final(MessageState)
    /// No such id (purged: only final records are).
    case notFound
}

/// The answer to `finish`.
public enum FinishResult: Hashable, Sendable {
    /// Now final (state, errorCode, finalTime set); receipt if `record.wantsReceipt(for:)`.
    case finished(MessageRecord)
    /// Moved to an intermediate state (ACCEPTED); receipt only if intermediate ones are asked.
    case updated(MessageRecord)
    /// Allowed but nothing changed (a repeated ACCEPTED).
    case unchanged
    /// Refused by the table: already final (repeated or late outcomes), or not a carrier outcome.
    case refused(TransitionRefusal)
    /// No such id.
    case notFound
}

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

    /// cancel_sm (C-MGT-2): DELETED if the account owns it and the carrier does not have it.
    func cancel(_ id: MessageID, systemID: ShortBytes, now: Int64) -> CancelResult

    /// A worker's take of `id`, applied on the loop: from now on cancel_sm fails.
    func markForwarded(_ id: MessageID, now: Int64) -> ForwardResult

    /// A carrier outcome for `id`: a final state (DELIVERED, UNDELIVERABLE, REJECTED, EXPIRED,
    /// UNKNOWN) or ACCEPTED. Moves only non-final records; repeated finals are refused.
    /// `errorCode` (0...999) is kept for `err:` and network_error_code.
    func finish(_ id: MessageID, state: MessageState, errorCode: UInt16, now: Int64) -> FinishResult

    /// Moves up to `limit` live records whose validity deadline is <= `now` to EXPIRED,
    /// soonest deadline first, and hands each (already updated) to `expired` so the caller
    /// can queue receipts. Returns how many; more may remain when it returns `limit`.
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
