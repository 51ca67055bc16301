// MessageTransition: every allowed move of a message's state, written once as a pure
// function (the table Kannel and Jasmin keep per message). The store applies it and nothing
// else changes a record's state. Pure values: any thread.

// The rule that keeps cancel and delivery apart (C-MGT-2). Both events are applied on the
// loop thread, which owns the store, so they are ordered; the table then guarantees:
//   1. cancel succeeds only from ENROUTE and not forwarded;
//   2. every carrier outcome (DELIVERED included) first forwards the message, and is refused
//      once the message is final;
//   3. final states are absorbing.
// Hence a DELETED message is never DELIVERED and a forwarded (so possibly delivered) one is
// never DELETED. "Forwarded" means: a worker's take, reported through the completion queue,
// was applied on the loop (`.forward`), or the hold rule's deadline passed
// (MessageRecord.forwardDeadline), or any carrier outcome arrived. A worker that took a
// message the loop cancelled meanwhile learns it from markForwarded's answer (or simply has
// its outcome refused); what it simulated then never happened.

import SMPP

/// Where a message is in the table: its SMPP state and whether the carrier has it.
public struct MessageStatus: Hashable, Sendable, CustomStringConvertible {
    public var state: MessageState
    public var isForwarded: Bool

    @inlinable
    public init(state: MessageState, isForwarded: Bool) {
        self.state = state
        self.isForwarded = isForwarded
    }

    /// A fresh message: ENROUTE, still cancellable.
    public static let stored = MessageStatus(state: .enroute, isForwarded: false)

    public var description: String { "\(state)\(isForwarded ? "+forwarded" : "")" }
}

/// What can happen to a message.
public enum MessageEvent: Hashable, Sendable {
    /// The carrier took it (worker's take confirmed on the loop, or the hold time passed).
    case forward
    /// cancel_sm (C-MGT-2).
    case cancel
    /// The carrier's report: ACCEPTED (intermediate), or DELIVERED, UNDELIVERABLE, REJECTED,
    /// EXPIRED, UNKNOWN (final). ENROUTE and DELETED are not carrier outcomes.
    case outcome(MessageState)
    /// The validity deadline passed before a final outcome (C-SUB-7).
    case expire
}

/// Why the table refused an event; the status is unchanged.
public enum TransitionRefusal: Hashable, Sendable {
    /// The message is final; nothing moves it again (repeated outcomes land here).
    case final(MessageState)
    /// cancel_sm after the carrier took it: ESME_RCANCELFAIL.
    case alreadyForwarded
    /// An outcome that no carrier reports (ENROUTE, DELETED), or ACCEPTED going back to ENROUTE.
    case invalidOutcome(MessageState)
}

/// The answer of the table.
public enum Transition: Hashable, Sendable {
    /// The status changes to this.
    case move(MessageStatus)
    /// Allowed, nothing changes (a second `.forward`, a repeated ACCEPTED).
    case unchanged
    /// Not allowed; nothing changes.
    case refused(TransitionRefusal)
}

/// The transition table.
public enum MessageTransition {
    /// The one place that says which event moves which status where.
    public static func apply(_ event: MessageEvent, to status: MessageStatus) -> Transition {
        if status.state.isFinal { return .refused(.final(status.state)) }
        // From here: ENROUTE (forwarded or not) or ACCEPTED, which only the carrier reports,
        // so it counts as forwarded even in a status built by hand without the flag.
        let isForwarded = status.isForwarded || status.state == .accepted
        switch event {
        case .forward:
            return status.isForwarded ? .unchanged : .move(MessageStatus(state: status.state, isForwarded: true))
        case .cancel:
            return isForwarded ? .refused(.alreadyForwarded) : .move(MessageStatus(state: .deleted, isForwarded: false))
        case .expire:
            return .move(MessageStatus(state: .expired, isForwarded: isForwarded))
        case .outcome(let outcome):
            switch outcome {
            case .delivered, .undeliverable, .rejected, .expired, .unknown:
                return .move(MessageStatus(state: outcome, isForwarded: true))
            case .accepted:
                return status.state == .accepted ? .unchanged : .move(MessageStatus(state: .accepted, isForwarded: true))
            case .enroute:
                // A late ENROUTE report after ACCEPTED would move backwards; before that it
                // only says the carrier has the message.
                return status.state == .accepted
                    ? .refused(.invalidOutcome(.enroute))
                    : (isForwarded ? .unchanged : .move(MessageStatus(state: .enroute, isForwarded: true)))
            case .deleted:
                return .refused(.invalidOutcome(.deleted))
            }
        }
    }
}
