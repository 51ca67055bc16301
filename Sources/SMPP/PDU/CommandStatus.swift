// CommandStatus: the command_status codes of SMPP v3.4 §5.1.3 with their spec names and texts.
// Transcribed from the spec table; one row per code. A value type; any thread.
// C-ERR-1: the specification's numbering wins over the product page (0x0A ESME_RINVSRCADR,
// 0x0B ESME_RINVDSTADR, 0x0D ESME_RBINDFAIL, 0x0E ESME_RINVPASWD).

/// A command_status. Values outside the table (reserved, vendor-specific 0x400–0x4FF) are
/// representable; `name` is `"unknown"` for them.
public struct CommandStatus: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// 0x00000000: No Error
    @inlinable public static var ESME_ROK: CommandStatus { CommandStatus(rawValue: 0x00000000) }
    /// 0x00000001: Message Length is invalid
    @inlinable public static var ESME_RINVMSGLEN: CommandStatus { CommandStatus(rawValue: 0x00000001) }
    /// 0x00000002: Command Length is invalid
    @inlinable public static var ESME_RINVCMDLEN: CommandStatus { CommandStatus(rawValue: 0x00000002) }
    /// 0x00000003: Invalid Command ID
    @inlinable public static var ESME_RINVCMDID: CommandStatus { CommandStatus(rawValue: 0x00000003) }
    /// 0x00000004: Incorrect BIND Status for given command
    @inlinable public static var ESME_RINVBNDSTS: CommandStatus { CommandStatus(rawValue: 0x00000004) }
    /// 0x00000005: ESME Already in Bound State
    @inlinable public static var ESME_RALYBND: CommandStatus { CommandStatus(rawValue: 0x00000005) }
    /// 0x00000006: Invalid Priority Flag
    @inlinable public static var ESME_RINVPRTFLG: CommandStatus { CommandStatus(rawValue: 0x00000006) }
    /// 0x00000007: Invalid Registered Delivery Flag
    @inlinable public static var ESME_RINVREGDLVFLG: CommandStatus { CommandStatus(rawValue: 0x00000007) }
    /// 0x00000008: System Error
    @inlinable public static var ESME_RSYSERR: CommandStatus { CommandStatus(rawValue: 0x00000008) }
    /// 0x0000000A: Invalid Source Address
    @inlinable public static var ESME_RINVSRCADR: CommandStatus { CommandStatus(rawValue: 0x0000000A) }
    /// 0x0000000B: Invalid Dest Addr
    @inlinable public static var ESME_RINVDSTADR: CommandStatus { CommandStatus(rawValue: 0x0000000B) }
    /// 0x0000000C: Message ID is invalid
    @inlinable public static var ESME_RINVMSGID: CommandStatus { CommandStatus(rawValue: 0x0000000C) }
    /// 0x0000000D: Bind Failed
    @inlinable public static var ESME_RBINDFAIL: CommandStatus { CommandStatus(rawValue: 0x0000000D) }
    /// 0x0000000E: Invalid Password
    @inlinable public static var ESME_RINVPASWD: CommandStatus { CommandStatus(rawValue: 0x0000000E) }
    /// 0x0000000F: Invalid System ID
    @inlinable public static var ESME_RINVSYSID: CommandStatus { CommandStatus(rawValue: 0x0000000F) }
    /// 0x00000011: Cancel SM Failed
    @inlinable public static var ESME_RCANCELFAIL: CommandStatus { CommandStatus(rawValue: 0x00000011) }
    /// 0x00000013: Replace SM Failed
    @inlinable public static var ESME_RREPLACEFAIL: CommandStatus { CommandStatus(rawValue: 0x00000013) }
    /// 0x00000014: Message Queue Full
    @inlinable public static var ESME_RMSGQFUL: CommandStatus { CommandStatus(rawValue: 0x00000014) }
    /// 0x00000015: Invalid Service Type
    @inlinable public static var ESME_RINVSERTYP: CommandStatus { CommandStatus(rawValue: 0x00000015) }
    /// 0x00000033: Invalid number of destinations
    @inlinable public static var ESME_RINVNUMDESTS: CommandStatus { CommandStatus(rawValue: 0x00000033) }
    /// 0x00000034: Invalid Distribution List name
    @inlinable public static var ESME_RINVDLNAME: CommandStatus { CommandStatus(rawValue: 0x00000034) }
    /// 0x00000040: Destination flag is invalid (submit_multi)
    @inlinable public static var ESME_RINVDESTFLAG: CommandStatus { CommandStatus(rawValue: 0x00000040) }
    /// 0x00000042: Invalid 'submit with replace' request (i.e. submit_sm with replace_if_present_flag set)
    @inlinable public static var ESME_RINVSUBREP: CommandStatus { CommandStatus(rawValue: 0x00000042) }
    /// 0x00000043: Invalid esm_class field data
    @inlinable public static var ESME_RINVESMCLASS: CommandStatus { CommandStatus(rawValue: 0x00000043) }
    /// 0x00000044: Cannot Submit to Distribution List
    @inlinable public static var ESME_RCNTSUBDL: CommandStatus { CommandStatus(rawValue: 0x00000044) }
    /// 0x00000045: submit_sm or submit_multi failed
    @inlinable public static var ESME_RSUBMITFAIL: CommandStatus { CommandStatus(rawValue: 0x00000045) }
    /// 0x00000048: Invalid Source address TON
    @inlinable public static var ESME_RINVSRCTON: CommandStatus { CommandStatus(rawValue: 0x00000048) }
    /// 0x00000049: Invalid Source address NPI
    @inlinable public static var ESME_RINVSRCNPI: CommandStatus { CommandStatus(rawValue: 0x00000049) }
    /// 0x00000050: Invalid Destination address TON
    @inlinable public static var ESME_RINVDSTTON: CommandStatus { CommandStatus(rawValue: 0x00000050) }
    /// 0x00000051: Invalid Destination address NPI
    @inlinable public static var ESME_RINVDSTNPI: CommandStatus { CommandStatus(rawValue: 0x00000051) }
    /// 0x00000053: Invalid system_type field
    @inlinable public static var ESME_RINVSYSTYP: CommandStatus { CommandStatus(rawValue: 0x00000053) }
    /// 0x00000054: Invalid replace_if_present flag
    @inlinable public static var ESME_RINVREPFLAG: CommandStatus { CommandStatus(rawValue: 0x00000054) }
    /// 0x00000055: Invalid number of messages
    @inlinable public static var ESME_RINVNUMMSGS: CommandStatus { CommandStatus(rawValue: 0x00000055) }
    /// 0x00000058: Throttling error (ESME has exceeded allowed message limits)
    @inlinable public static var ESME_RTHROTTLED: CommandStatus { CommandStatus(rawValue: 0x00000058) }
    /// 0x00000061: Invalid Scheduled Delivery Time
    @inlinable public static var ESME_RINVSCHED: CommandStatus { CommandStatus(rawValue: 0x00000061) }
    /// 0x00000062: Invalid message validity period (Expiry time)
    @inlinable public static var ESME_RINVEXPIRY: CommandStatus { CommandStatus(rawValue: 0x00000062) }
    /// 0x00000063: Predefined Message Invalid or Not Found
    @inlinable public static var ESME_RINVDFTMSGID: CommandStatus { CommandStatus(rawValue: 0x00000063) }
    /// 0x00000064: ESME Receiver Temporary App Error Code
    @inlinable public static var ESME_RX_T_APPN: CommandStatus { CommandStatus(rawValue: 0x00000064) }
    /// 0x00000065: ESME Receiver Permanent App Error Code
    @inlinable public static var ESME_RX_P_APPN: CommandStatus { CommandStatus(rawValue: 0x00000065) }
    /// 0x00000066: ESME Receiver Reject Message Error Code
    @inlinable public static var ESME_RX_R_APPN: CommandStatus { CommandStatus(rawValue: 0x00000066) }
    /// 0x00000067: query_sm request failed
    @inlinable public static var ESME_RQUERYFAIL: CommandStatus { CommandStatus(rawValue: 0x00000067) }
    /// 0x000000C0: Error in the optional part of the PDU Body.
    @inlinable public static var ESME_RINVOPTPARSTREAM: CommandStatus { CommandStatus(rawValue: 0x000000C0) }
    /// 0x000000C1: Optional Parameter not allowed
    @inlinable public static var ESME_ROPTPARNOTALLWD: CommandStatus { CommandStatus(rawValue: 0x000000C1) }
    /// 0x000000C2: Invalid Parameter Length.
    @inlinable public static var ESME_RINVPARLEN: CommandStatus { CommandStatus(rawValue: 0x000000C2) }
    /// 0x000000C3: Expected Optional Parameter missing
    @inlinable public static var ESME_RMISSINGOPTPARAM: CommandStatus { CommandStatus(rawValue: 0x000000C3) }
    /// 0x000000C4: Invalid Optional Parameter Value
    @inlinable public static var ESME_RINVOPTPARAMVAL: CommandStatus { CommandStatus(rawValue: 0x000000C4) }
    /// 0x000000FE: Delivery Failure (used for data_sm_resp)
    @inlinable public static var ESME_RDELIVERYFAILURE: CommandStatus { CommandStatus(rawValue: 0x000000FE) }
    /// 0x000000FF: Unknown Error
    @inlinable public static var ESME_RUNKNOWNERR: CommandStatus { CommandStatus(rawValue: 0x000000FF) }

    /// Every status of the v3.4 table.
    public static let allKnown: [CommandStatus] = [
        .ESME_ROK, .ESME_RINVMSGLEN, .ESME_RINVCMDLEN, .ESME_RINVCMDID,
        .ESME_RINVBNDSTS, .ESME_RALYBND, .ESME_RINVPRTFLG, .ESME_RINVREGDLVFLG,
        .ESME_RSYSERR, .ESME_RINVSRCADR, .ESME_RINVDSTADR, .ESME_RINVMSGID,
        .ESME_RBINDFAIL, .ESME_RINVPASWD, .ESME_RINVSYSID, .ESME_RCANCELFAIL,
        .ESME_RREPLACEFAIL, .ESME_RMSGQFUL, .ESME_RINVSERTYP, .ESME_RINVNUMDESTS,
        .ESME_RINVDLNAME, .ESME_RINVDESTFLAG, .ESME_RINVSUBREP, .ESME_RINVESMCLASS,
        .ESME_RCNTSUBDL, .ESME_RSUBMITFAIL, .ESME_RINVSRCTON, .ESME_RINVSRCNPI,
        .ESME_RINVDSTTON, .ESME_RINVDSTNPI, .ESME_RINVSYSTYP, .ESME_RINVREPFLAG,
        .ESME_RINVNUMMSGS, .ESME_RTHROTTLED, .ESME_RINVSCHED, .ESME_RINVEXPIRY,
        .ESME_RINVDFTMSGID, .ESME_RX_T_APPN, .ESME_RX_P_APPN, .ESME_RX_R_APPN,
        .ESME_RQUERYFAIL, .ESME_RINVOPTPARSTREAM, .ESME_ROPTPARNOTALLWD, .ESME_RINVPARLEN,
        .ESME_RMISSINGOPTPARAM, .ESME_RINVOPTPARAMVAL, .ESME_RDELIVERYFAILURE, .ESME_RUNKNOWNERR,
    ]

    /// True for ESME_ROK.
    @inlinable public var isOK: Bool { rawValue == 0 }

    /// True for the values of the v3.4 table.
    public var isKnown: Bool { name != "unknown" }

    /// The spec name (`"ESME_RINVMSGLEN"`), or `"unknown"`. Never allocates: for logs and metric labels.
    public var name: String {
        switch rawValue {
        case 0x00000000: "ESME_ROK"
        case 0x00000001: "ESME_RINVMSGLEN"
        case 0x00000002: "ESME_RINVCMDLEN"
        case 0x00000003: "ESME_RINVCMDID"
        case 0x00000004: "ESME_RINVBNDSTS"
        case 0x00000005: "ESME_RALYBND"
        case 0x00000006: "ESME_RINVPRTFLG"
        case 0x00000007: "ESME_RINVREGDLVFLG"
        case 0x00000008: "ESME_RSYSERR"
        case 0x0000000A: "ESME_RINVSRCADR"
        case 0x0000000B: "ESME_RINVDSTADR"
        case 0x0000000C: "ESME_RINVMSGID"
        case 0x0000000D: "ESME_RBINDFAIL"
        case 0x0000000E: "ESME_RINVPASWD"
        case 0x0000000F: "ESME_RINVSYSID"
        case 0x00000011: "ESME_RCANCELFAIL"
        case 0x00000013: "ESME_RREPLACEFAIL"
        case 0x00000014: "ESME_RMSGQFUL"
        case 0x00000015: "ESME_RINVSERTYP"
        case 0x00000033: "ESME_RINVNUMDESTS"
        case 0x00000034: "ESME_RINVDLNAME"
        case 0x00000040: "ESME_RINVDESTFLAG"
        case 0x00000042: "ESME_RINVSUBREP"
        case 0x00000043: "ESME_RINVESMCLASS"
        case 0x00000044: "ESME_RCNTSUBDL"
        case 0x00000045: "ESME_RSUBMITFAIL"
        case 0x00000048: "ESME_RINVSRCTON"
        case 0x00000049: "ESME_RINVSRCNPI"
        case 0x00000050: "ESME_RINVDSTTON"
        case 0x00000051: "ESME_RINVDSTNPI"
        case 0x00000053: "ESME_RINVSYSTYP"
        case 0x00000054: "ESME_RINVREPFLAG"
        case 0x00000055: "ESME_RINVNUMMSGS"
        case 0x00000058: "ESME_RTHROTTLED"
        case 0x00000061: "ESME_RINVSCHED"
        case 0x00000062: "ESME_RINVEXPIRY"
        case 0x00000063: "ESME_RINVDFTMSGID"
        case 0x00000064: "ESME_RX_T_APPN"
        case 0x00000065: "ESME_RX_P_APPN"
        case 0x00000066: "ESME_RX_R_APPN"
        case 0x00000067: "ESME_RQUERYFAIL"
        case 0x000000C0: "ESME_RINVOPTPARSTREAM"
        case 0x000000C1: "ESME_ROPTPARNOTALLWD"
        case 0x000000C2: "ESME_RINVPARLEN"
        case 0x000000C3: "ESME_RMISSINGOPTPARAM"
        case 0x000000C4: "ESME_RINVOPTPARAMVAL"
        case 0x000000FE: "ESME_RDELIVERYFAILURE"
        case 0x000000FF: "ESME_RUNKNOWNERR"
        default: "unknown"
        }
    }

    /// The spec's description text (`"Message Length is invalid"`), or `"Reserved"`.
    public var specText: String {
        switch rawValue {
        case 0x00000000: "No Error"
        case 0x00000001: "Message Length is invalid"
        case 0x00000002: "Command Length is invalid"
        case 0x00000003: "Invalid Command ID"
        case 0x00000004: "Incorrect BIND Status for given command"
        case 0x00000005: "ESME Already in Bound State"
        case 0x00000006: "Invalid Priority Flag"
        case 0x00000007: "Invalid Registered Delivery Flag"
        case 0x00000008: "System Error"
        case 0x0000000A: "Invalid Source Address"
        case 0x0000000B: "Invalid Dest Addr"
        case 0x0000000C: "Message ID is invalid"
        case 0x0000000D: "Bind Failed"
        case 0x0000000E: "Invalid Password"
        case 0x0000000F: "Invalid System ID"
        case 0x00000011: "Cancel SM Failed"
        case 0x00000013: "Replace SM Failed"
        case 0x00000014: "Message Queue Full"
        case 0x00000015: "Invalid Service Type"
        case 0x00000033: "Invalid number of destinations"
        case 0x00000034: "Invalid Distribution List name"
        case 0x00000040: "Destination flag is invalid (submit_multi)"
        case 0x00000042: "Invalid 'submit with replace' request (i.e. submit_sm with replace_if_present_flag set)"
        case 0x00000043: "Invalid esm_class field data"
        case 0x00000044: "Cannot Submit to Distribution List"
        case 0x00000045: "submit_sm or submit_multi failed"
        case 0x00000048: "Invalid Source address TON"
        case 0x00000049: "Invalid Source address NPI"
        case 0x00000050: "Invalid Destination address TON"
        case 0x00000051: "Invalid Destination address NPI"
        case 0x00000053: "Invalid system_type field"
        case 0x00000054: "Invalid replace_if_present flag"
        case 0x00000055: "Invalid number of messages"
        case 0x00000058: "Throttling error (ESME has exceeded allowed message limits)"
        case 0x00000061: "Invalid Scheduled Delivery Time"
        case 0x00000062: "Invalid message validity period (Expiry time)"
        case 0x00000063: "Predefined Message Invalid or Not Found"
        case 0x00000064: "ESME Receiver Temporary App Error Code"
        case 0x00000065: "ESME Receiver Permanent App Error Code"
        case 0x00000066: "ESME Receiver Reject Message Error Code"
        case 0x00000067: "query_sm request failed"
        case 0x000000C0: "Error in the optional part of the PDU Body."
        case 0x000000C1: "Optional Parameter not allowed"
        case 0x000000C2: "Invalid Parameter Length."
        case 0x000000C3: "Expected Optional Parameter missing"
        case 0x000000C4: "Invalid Optional Parameter Value"
        case 0x000000FE: "Delivery Failure (used for data_sm_resp)"
        case 0x000000FF: "Unknown Error"
        default: "Reserved"
        }
    }
}

extension CommandStatus: CustomStringConvertible {
    /// `name(0xXXXXXXXX)`. Allocates; for logs.
    public var description: String { "\(name)(\(hex32(rawValue)))" }
}
