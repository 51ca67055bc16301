// TLVTag: the optional-parameter tags of SMPP v3.4 §5.3.2, with each tag's spec name and the
// value length the spec allows (§5.3.2.x). Transcribed from the spec, one row per tag.
// A value type; any thread.

/// An optional parameter's tag. Unknown tags (vendor-specific 0x1400–0x3FFF, or anything else)
/// are representable; the decoder keeps and skips them.
public struct TLVTag: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// 0x0005, value 1 octets (Integer).
    @inlinable public static var dest_addr_subunit: TLVTag { TLVTag(rawValue: 0x0005) }
    /// 0x0006, value 1 octets (Integer).
    @inlinable public static var dest_network_type: TLVTag { TLVTag(rawValue: 0x0006) }
    /// 0x0007, value 1 octets (Integer).
    @inlinable public static var dest_bearer_type: TLVTag { TLVTag(rawValue: 0x0007) }
    /// 0x0008, value 2 octets (Integer).
    @inlinable public static var dest_telematics_id: TLVTag { TLVTag(rawValue: 0x0008) }
    /// 0x000D, value 1 octets (Integer).
    @inlinable public static var source_addr_subunit: TLVTag { TLVTag(rawValue: 0x000D) }
    /// 0x000E, value 1 octets (Integer).
    @inlinable public static var source_network_type: TLVTag { TLVTag(rawValue: 0x000E) }
    /// 0x000F, value 1 octets (Integer).
    @inlinable public static var source_bearer_type: TLVTag { TLVTag(rawValue: 0x000F) }
    /// 0x0010, value 1 octets (Integer).
    @inlinable public static var source_telematics_id: TLVTag { TLVTag(rawValue: 0x0010) }
    /// 0x0017, value 4 octets (Integer).
    @inlinable public static var qos_time_to_live: TLVTag { TLVTag(rawValue: 0x0017) }
    /// 0x0019, value 1 octets (Integer).
    @inlinable public static var payload_type: TLVTag { TLVTag(rawValue: 0x0019) }
    /// 0x001D, value 1–256 octets (C-Octet String).
    @inlinable public static var additional_status_info_text: TLVTag { TLVTag(rawValue: 0x001D) }
    /// 0x001E, value 1–65 octets (C-Octet String).
    @inlinable public static var receipted_message_id: TLVTag { TLVTag(rawValue: 0x001E) }
    /// 0x0030, value 1 octets (Bit mask).
    @inlinable public static var ms_msg_wait_facilities: TLVTag { TLVTag(rawValue: 0x0030) }
    /// 0x0201, value 1 octets (Integer).
    @inlinable public static var privacy_indicator: TLVTag { TLVTag(rawValue: 0x0201) }
    /// 0x0202, value 2–23 octets (Octet String).
    @inlinable public static var source_subaddress: TLVTag { TLVTag(rawValue: 0x0202) }
    /// 0x0203, value 2–23 octets (Octet String).
    @inlinable public static var dest_subaddress: TLVTag { TLVTag(rawValue: 0x0203) }
    /// 0x0204, value 2 octets (Integer).
    @inlinable public static var user_message_reference: TLVTag { TLVTag(rawValue: 0x0204) }
    /// 0x0205, value 1 octets (Integer).
    @inlinable public static var user_response_code: TLVTag { TLVTag(rawValue: 0x0205) }
    /// 0x020A, value 2 octets (Integer).
    @inlinable public static var source_port: TLVTag { TLVTag(rawValue: 0x020A) }
    /// 0x020B, value 2 octets (Integer).
    @inlinable public static var destination_port: TLVTag { TLVTag(rawValue: 0x020B) }
    /// 0x020C, value 2 octets (Integer).
    @inlinable public static var sar_msg_ref_num: TLVTag { TLVTag(rawValue: 0x020C) }
    /// 0x020D, value 1 octets (Integer).
    @inlinable public static var language_indicator: TLVTag { TLVTag(rawValue: 0x020D) }
    /// 0x020E, value 1 octets (Integer).
    @inlinable public static var sar_total_segments: TLVTag { TLVTag(rawValue: 0x020E) }
    /// 0x020F, value 1 octets (Integer).
    @inlinable public static var sar_segment_seqnum: TLVTag { TLVTag(rawValue: 0x020F) }
    /// 0x0210, value 1 octets (Integer).
    @inlinable public static var sc_interface_version: TLVTag { TLVTag(rawValue: 0x0210) }
    /// 0x0302, value 1 octets (Bit mask).
    @inlinable public static var callback_num_pres_ind: TLVTag { TLVTag(rawValue: 0x0302) }
    /// 0x0303, value 0–65 octets (Octet String).
    @inlinable public static var callback_num_atag: TLVTag { TLVTag(rawValue: 0x0303) }
    /// 0x0304, value 1 octets (Integer).
    @inlinable public static var number_of_messages: TLVTag { TLVTag(rawValue: 0x0304) }
    /// 0x0381, value 4–19 octets (Octet String).
    @inlinable public static var callback_num: TLVTag { TLVTag(rawValue: 0x0381) }
    /// 0x0420, value 1 octets (Integer).
    @inlinable public static var dpf_result: TLVTag { TLVTag(rawValue: 0x0420) }
    /// 0x0421, value 1 octets (Integer).
    @inlinable public static var set_dpf: TLVTag { TLVTag(rawValue: 0x0421) }
    /// 0x0422, value 1 octets (Integer).
    @inlinable public static var ms_availability_status: TLVTag { TLVTag(rawValue: 0x0422) }
    /// 0x0423, value 3 octets (Octet String).
    @inlinable public static var network_error_code: TLVTag { TLVTag(rawValue: 0x0423) }
    /// 0x0424, value 0–65535 octets (Octet String).
    @inlinable public static var message_payload: TLVTag { TLVTag(rawValue: 0x0424) }
    /// 0x0425, value 1 octets (Integer).
    @inlinable public static var delivery_failure_reason: TLVTag { TLVTag(rawValue: 0x0425) }
    /// 0x0426, value 1 octets (Integer).
    @inlinable public static var more_messages_to_send: TLVTag { TLVTag(rawValue: 0x0426) }
    /// 0x0427, value 1 octets (Integer).
    @inlinable public static var message_state: TLVTag { TLVTag(rawValue: 0x0427) }
    /// 0x0501, value 1 octets (Octet String).
    @inlinable public static var ussd_service_op: TLVTag { TLVTag(rawValue: 0x0501) }
    /// 0x1201, value 1 octets (Integer).
    @inlinable public static var display_time: TLVTag { TLVTag(rawValue: 0x1201) }
    /// 0x1203, value 2 octets (Integer).
    @inlinable public static var sms_signal: TLVTag { TLVTag(rawValue: 0x1203) }
    /// 0x1204, value 1 octets (Integer).
    @inlinable public static var ms_validity: TLVTag { TLVTag(rawValue: 0x1204) }
    /// 0x130C, value 0 octets (none).
    @inlinable public static var alert_on_message_delivery: TLVTag { TLVTag(rawValue: 0x130C) }
    /// 0x1380, value 1 octets (Integer).
    @inlinable public static var its_reply_type: TLVTag { TLVTag(rawValue: 0x1380) }
    /// 0x1383, value 2 octets (Octet String).
    @inlinable public static var its_session_info: TLVTag { TLVTag(rawValue: 0x1383) }

    /// Every tag of the v3.4 table.
    public static let allKnown: [TLVTag] = [
        .dest_addr_subunit, .dest_network_type, .dest_bearer_type,
        .dest_telematics_id, .source_addr_subunit, .source_network_type,
        .source_bearer_type, .source_telematics_id, .qos_time_to_live,
        .payload_type, .additional_status_info_text, .receipted_message_id,
        .ms_msg_wait_facilities, .privacy_indicator, .source_subaddress,
        .dest_subaddress, .user_message_reference, .user_response_code,
        .source_port, .destination_port, .sar_msg_ref_num,
        .language_indicator, .sar_total_segments, .sar_segment_seqnum,
        .sc_interface_version, .callback_num_pres_ind, .callback_num_atag,
        .number_of_messages, .callback_num, .dpf_result,
        .set_dpf, .ms_availability_status, .network_error_code,
        .message_payload, .delivery_failure_reason, .more_messages_to_send,
        .message_state, .ussd_service_op, .display_time,
        .sms_signal, .ms_validity, .alert_on_message_delivery,
        .its_reply_type, .its_session_info,
    ]

    /// The value-length bounds of a known tag, or nil for an unknown tag (any length allowed).
    /// C-Octet String values count their NUL. The decoder answers a known tag whose length is
    /// outside these bounds with ESME_RINVPARLEN.
    @inlinable
    public var valueLengthRange: ClosedRange<Int>? {
        switch rawValue {
        case 0x130C: 0...0
        case 0x0303: 0...65
        case 0x0424: 0...65535
        case 0x0005, 0x0006, 0x0007, 0x000D, 0x000E, 0x000F, 0x0010, 0x0019, 0x0030, 0x0201, 0x0205, 0x020D, 0x020E, 0x020F, 0x0210, 0x0302, 0x0304, 0x0420, 0x0421, 0x0422, 0x0425, 0x0426, 0x0427, 0x0501, 0x1201, 0x1204, 0x1380: 1...1
        case 0x001E: 1...65
        case 0x001D: 1...256
        case 0x0008, 0x0204, 0x020A, 0x020B, 0x020C, 0x1203, 0x1383: 2...2
        case 0x0202, 0x0203: 2...23
        case 0x0423: 3...3
        case 0x0017: 4...4
        case 0x0381: 4...19
        default: nil
        }
    }

    /// True for the tags of the v3.4 table.
    @inlinable public var isKnown: Bool { valueLengthRange != nil }

    /// The spec name (`"receipted_message_id"`), or `"unknown"`, as a StaticString (for
    /// `DecodeError.field`).
    public var staticName: StaticString { specName() }

    /// The spec name (`"receipted_message_id"`), or `"unknown"`. Never allocates: the literal
    /// becomes an immortal String.
    public var name: String { specName() }

    /// The one table of spec names, as whichever literal type the caller wants (StaticString
    /// for error fields, String for logs), so the two names cannot disagree.
    private func specName<Name: ExpressibleByStringLiteral>() -> Name {
        switch rawValue {
        case 0x0005: "dest_addr_subunit"
        case 0x0006: "dest_network_type"
        case 0x0007: "dest_bearer_type"
        case 0x0008: "dest_telematics_id"
        case 0x000D: "source_addr_subunit"
        case 0x000E: "source_network_type"
        case 0x000F: "source_bearer_type"
        case 0x0010: "source_telematics_id"
        case 0x0017: "qos_time_to_live"
        case 0x0019: "payload_type"
        case 0x001D: "additional_status_info_text"
        case 0x001E: "receipted_message_id"
        case 0x0030: "ms_msg_wait_facilities"
        case 0x0201: "privacy_indicator"
        case 0x0202: "source_subaddress"
        case 0x0203: "dest_subaddress"
        case 0x0204: "user_message_reference"
        case 0x0205: "user_response_code"
        case 0x020A: "source_port"
        case 0x020B: "destination_port"
        case 0x020C: "sar_msg_ref_num"
        case 0x020D: "language_indicator"
        case 0x020E: "sar_total_segments"
        case 0x020F: "sar_segment_seqnum"
        case 0x0210: "sc_interface_version"
        case 0x0302: "callback_num_pres_ind"
        case 0x0303: "callback_num_atag"
        case 0x0304: "number_of_messages"
        case 0x0381: "callback_num"
        case 0x0420: "dpf_result"
        case 0x0421: "set_dpf"
        case 0x0422: "ms_availability_status"
        case 0x0423: "network_error_code"
        case 0x0424: "message_payload"
        case 0x0425: "delivery_failure_reason"
        case 0x0426: "more_messages_to_send"
        case 0x0427: "message_state"
        case 0x0501: "ussd_service_op"
        case 0x1201: "display_time"
        case 0x1203: "sms_signal"
        case 0x1204: "ms_validity"
        case 0x130C: "alert_on_message_delivery"
        case 0x1380: "its_reply_type"
        case 0x1383: "its_session_info"
        default: "unknown"
        }
    }
}

extension TLVTag: CustomStringConvertible {
    /// `name(0xXXXX)`. Allocates; for logs.
    public var description: String {
        let digits = String(rawValue, radix: 16, uppercase: true)
        return "\(name)(0x" + String(repeating: "0", count: 4 - digits.count) + digits + ")"
    }
}
