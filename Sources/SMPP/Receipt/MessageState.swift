// MessageState: the message_state values of SMPP v3.4 5.2.28 (query_sm_resp, the
// message_state TLV 0x0427) and the `stat:` word of a delivery receipt (Appendix B),
// both ways (C-MGT-1, C-DLV-1). Pure values: any thread.

/// A message's state, SMPP v3.4 section 5.2.28 (C-MGT-1).
public enum MessageState: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// 1 ENROUTE: in transit, not yet final.
    case enroute = 1
    /// 2 DELIVERED: delivered to the destination.
    case delivered = 2
    /// 3 EXPIRED: validity period ended before delivery.
    case expired = 3
    /// 4 DELETED: cancelled (cancel_sm) before delivery.
    case deleted = 4
    /// 5 UNDELIVERABLE: the network could not deliver it.
    case undeliverable = 5
    /// 6 ACCEPTED: accepted on the subscriber's behalf, final outcome not known yet.
    case accepted = 6
    /// 7 UNKNOWN: state not known.
    case unknown = 7
    /// 8 REJECTED: refused by the network.
    case rejected = 8

    /// The spec's name, for logs ("DELIVERED", "UNDELIVERABLE", ...).
    public var description: String {
        switch self {
        case .enroute: return "ENROUTE"
        case .delivered: return "DELIVERED"
        case .expired: return "EXPIRED"
        case .deleted: return "DELETED"
        case .undeliverable: return "UNDELIVERABLE"
        case .accepted: return "ACCEPTED"
        case .unknown: return "UNKNOWN"
        case .rejected: return "REJECTED"
        }
    }

    /// The receipt `stat:` word (C-DLV-1): DELIVRD, EXPIRED, DELETED, UNDELIV, ACCEPTD,
    /// UNKNOWN, REJECTD; ENROUTE (not in C-DLV-1's list, but the word carriers use for
    /// intermediate receipts). Always 7 ASCII characters; a literal, so reading it does
    /// not allocate.
    @inlinable
    public var stat: String { statLiteral.description }   // 7 ASCII bytes: a small string, no heap

    /// `stat` as a StaticString, for the receipt formatter's byte loop.
    @inlinable
    var statLiteral: StaticString {
        switch self {
        case .enroute: return "ENROUTE"
        case .delivered: return "DELIVRD"
        case .expired: return "EXPIRED"
        case .deleted: return "DELETED"
        case .undeliverable: return "UNDELIV"
        case .accepted: return "ACCEPTD"
        case .unknown: return "UNKNOWN"
        case .rejected: return "REJECTD"
        }
    }

    /// True for the states after which nothing changes (all but ENROUTE and ACCEPTED).
    @inlinable
    public var isFinal: Bool { self != .enroute && self != .accepted }

    /// The state a receipt `stat:` word names, ignoring case. Accepts the seven C-DLV-1
    /// words and ENROUTE, and also the spec's full names (DELIVERED, UNDELIVERABLE, ...)
    /// that some carriers write instead. Nil for anything else.
    public init?(stat: String) {
        let word = stat.uppercased()
        if let state = MessageState.allCases.first(where: { $0.stat == word || $0.description == word }) {
            self = state
        } else {
            return nil
        }
    }
}
