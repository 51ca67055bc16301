// The answers of MessageStore's mutating calls, each case mapped to what the session layer
// does with it (the SMPP status, a receipt). Values: any thread.

import SMPP

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
    /// Now forwarded; cancel_sm fails from here on. (No record: the carrier path that calls
    /// this for every message has no use for one, and copying it out cost a record-sized move.)
    case forwarded
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

/// What a carrier outcome did to its record: whether it moved (else the transition table
/// refused or ignored it: cancelled meanwhile, already final), the fields a journal records,
/// and the record itself only when a receipt (or ACCEPTD notice) is due.
public struct AppliedOutcome: Sendable {
    public var moved: Bool
    public var isForwarded: Bool
    public var finalTime: Int64?
    public var errorCode: UInt16
    public var receipt: MessageRecord?
    public init(moved: Bool, isForwarded: Bool, finalTime: Int64?, errorCode: UInt16, receipt: MessageRecord?) {
        self.moved = moved
        self.isForwarded = isForwarded
        self.finalTime = finalTime
        self.errorCode = errorCode
        self.receipt = receipt
    }
    static let ignored = AppliedOutcome(moved: false, isForwarded: false, finalTime: nil, errorCode: 0, receipt: nil)
}
