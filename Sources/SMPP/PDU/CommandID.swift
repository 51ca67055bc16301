// CommandID: the command_id values of SMPP v3.4 §5.1.2, with their spec names.
// A value type; any thread.

/// A command_id. Unknown values are representable (the decoder answers them with
/// `ESME_RINVCMDID`); `isKnown` tells them apart.
public struct CommandID: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    @inlinable public static var generic_nack: CommandID { CommandID(rawValue: 0x8000_0000) }
    @inlinable public static var bind_receiver: CommandID { CommandID(rawValue: 0x0000_0001) }
    @inlinable public static var bind_receiver_resp: CommandID { CommandID(rawValue: 0x8000_0001) }
    @inlinable public static var bind_transmitter: CommandID { CommandID(rawValue: 0x0000_0002) }
    @inlinable public static var bind_transmitter_resp: CommandID { CommandID(rawValue: 0x8000_0002) }
    @inlinable public static var query_sm: CommandID { CommandID(rawValue: 0x0000_0003) }
    @inlinable public static var query_sm_resp: CommandID { CommandID(rawValue: 0x8000_0003) }
    @inlinable public static var submit_sm: CommandID { CommandID(rawValue: 0x0000_0004) }
    @inlinable public static var submit_sm_resp: CommandID { CommandID(rawValue: 0x8000_0004) }
    @inlinable public static var deliver_sm: CommandID { CommandID(rawValue: 0x0000_0005) }
    @inlinable public static var deliver_sm_resp: CommandID { CommandID(rawValue: 0x8000_0005) }
    @inlinable public static var unbind: CommandID { CommandID(rawValue: 0x0000_0006) }
    @inlinable public static var unbind_resp: CommandID { CommandID(rawValue: 0x8000_0006) }
    @inlinable public static var replace_sm: CommandID { CommandID(rawValue: 0x0000_0007) }
    @inlinable public static var replace_sm_resp: CommandID { CommandID(rawValue: 0x8000_0007) }
    @inlinable public static var cancel_sm: CommandID { CommandID(rawValue: 0x0000_0008) }
    @inlinable public static var cancel_sm_resp: CommandID { CommandID(rawValue: 0x8000_0008) }
    @inlinable public static var bind_transceiver: CommandID { CommandID(rawValue: 0x0000_0009) }
    @inlinable public static var bind_transceiver_resp: CommandID { CommandID(rawValue: 0x8000_0009) }
    @inlinable public static var outbind: CommandID { CommandID(rawValue: 0x0000_000B) }
    @inlinable public static var enquire_link: CommandID { CommandID(rawValue: 0x0000_0015) }
    @inlinable public static var enquire_link_resp: CommandID { CommandID(rawValue: 0x8000_0015) }
    @inlinable public static var submit_multi: CommandID { CommandID(rawValue: 0x0000_0021) }
    @inlinable public static var submit_multi_resp: CommandID { CommandID(rawValue: 0x8000_0021) }
    @inlinable public static var alert_notification: CommandID { CommandID(rawValue: 0x0000_0102) }
    @inlinable public static var data_sm: CommandID { CommandID(rawValue: 0x0000_0103) }
    @inlinable public static var data_sm_resp: CommandID { CommandID(rawValue: 0x8000_0103) }

    /// Every command_id of the v3.4 specification.
    public static let allKnown: [CommandID] = [
        .generic_nack, .bind_receiver, .bind_receiver_resp, .bind_transmitter, .bind_transmitter_resp,
        .query_sm, .query_sm_resp, .submit_sm, .submit_sm_resp, .deliver_sm, .deliver_sm_resp,
        .unbind, .unbind_resp, .replace_sm, .replace_sm_resp, .cancel_sm, .cancel_sm_resp,
        .bind_transceiver, .bind_transceiver_resp, .outbind, .enquire_link, .enquire_link_resp,
        .submit_multi, .submit_multi_resp, .alert_notification, .data_sm, .data_sm_resp,
    ]

    /// True for response command_ids (bit 31 set), generic_nack included.
    @inlinable public var isResponse: Bool { rawValue & 0x8000_0000 != 0 }

    /// The command_id of the response to this request (`0x80000000 | id`).
    @inlinable public var response: CommandID { CommandID(rawValue: rawValue | 0x8000_0000) }

    /// True for the command_ids the v3.4 specification defines.
    public var isKnown: Bool { name != "unknown" }

    /// True for requests whose response the spec defines (all requests except outbind and
    /// alert_notification, which have no response).
    public var hasResponse: Bool {
        !isResponse && isKnown && self != .outbind && self != .alert_notification
    }

    /// The spec name (`"submit_sm"`), or `"unknown"`. Never allocates: for logs and metric labels.
    public var name: String {
        switch rawValue {
        case 0x8000_0000: "generic_nack"
        case 0x0000_0001: "bind_receiver"
        case 0x8000_0001: "bind_receiver_resp"
        case 0x0000_0002: "bind_transmitter"
        case 0x8000_0002: "bind_transmitter_resp"
        case 0x0000_0003: "query_sm"
        case 0x8000_0003: "query_sm_resp"
        case 0x0000_0004: "submit_sm"
        case 0x8000_0004: "submit_sm_resp"
        case 0x0000_0005: "deliver_sm"
        case 0x8000_0005: "deliver_sm_resp"
        case 0x0000_0006: "unbind"
        case 0x8000_0006: "unbind_resp"
        case 0x0000_0007: "replace_sm"
        case 0x8000_0007: "replace_sm_resp"
        case 0x0000_0008: "cancel_sm"
        case 0x8000_0008: "cancel_sm_resp"
        case 0x0000_0009: "bind_transceiver"
        case 0x8000_0009: "bind_transceiver_resp"
        case 0x0000_000B: "outbind"
        case 0x0000_0015: "enquire_link"
        case 0x8000_0015: "enquire_link_resp"
        case 0x0000_0021: "submit_multi"
        case 0x8000_0021: "submit_multi_resp"
        case 0x0000_0102: "alert_notification"
        case 0x0000_0103: "data_sm"
        case 0x8000_0103: "data_sm_resp"
        default: "unknown"
        }
    }
}

extension CommandID: CustomStringConvertible {
    /// `name(0xXXXXXXXX)`. Allocates; for logs.
    public var description: String { "\(name)(\(hex32(rawValue)))" }
}

/// `0x` and 8 upper-case hex digits.
func hex32(_ v: UInt32) -> String {
    let digits = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
