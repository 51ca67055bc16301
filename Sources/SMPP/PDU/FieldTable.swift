// The mandatory C-Octet String fields of SMPP v3.4 (chapter 4 field tables): each field's
// maximum size and the command_status to answer when it is too long or malformed.
// Value types only; any thread. Used by PDUReader (decode) and PDUWriter (encode).

/// One bounded C-Octet String field: its spec name, maximum size in octets *including* the
/// terminating NUL ("Var. max N" in the spec), and the status for a value that is too long.
public struct FieldSpec: Sendable {
    public let name: StaticString
    public let maxLength: Int
    public let tooLongStatus: CommandStatus

    @inlinable
    public init(_ name: StaticString, _ maxLength: Int, _ tooLongStatus: CommandStatus) {
        self.name = name
        self.maxLength = maxLength
        self.tooLongStatus = tooLongStatus
    }
}

/// A decode failure inside a body: which field, and what to answer. Internal plumbing of the
/// typed throws in PDUReader; callers see `DecodeError`.
public struct FieldError: Error, Equatable {
    public let field: StaticString
    public let status: CommandStatus

    @inlinable
    public init(_ field: StaticString, _ status: CommandStatus) {
        self.field = field
        self.status = status
    }

    public static func == (a: FieldError, b: FieldError) -> Bool {
        a.status == b.status && a.field.description == b.field.description
    }
}

/// The field table. Sizes are the spec's; the status column is our choice where the spec has no
/// field-specific code (documented in the `Status for…` table below, C-ERR-2).
///
/// | field                     | max (incl. NUL) | too long / malformed   | used by                         |
/// |---------------------------|-----------------|------------------------|---------------------------------|
/// | system_id                 | 16              | ESME_RINVSYSID         | bind_*, bind_*_resp, outbind    |
/// | password                  | 9               | ESME_RINVPASWD         | bind_*, outbind                 |
/// | system_type               | 13              | ESME_RINVSYSTYP        | bind_*                          |
/// | address_range             | 41              | ESME_RINVPARLEN        | bind_*                          |
/// | service_type              | 6               | ESME_RINVSERTYP        | submit_sm, deliver_sm, data_sm, submit_multi, cancel_sm |
/// | source_addr               | 21              | ESME_RINVSRCADR        | submit_sm, deliver_sm, submit_multi, query_sm, cancel_sm, replace_sm |
/// | source_addr (long)        | 65              | ESME_RINVSRCADR        | data_sm, alert_notification     |
/// | destination_addr          | 21              | ESME_RINVDSTADR        | submit_sm, deliver_sm, submit_multi, cancel_sm, submit_multi_resp |
/// | destination_addr (long)   | 65              | ESME_RINVDSTADR        | data_sm                         |
/// | esme_addr                 | 65              | ESME_RINVDSTADR        | alert_notification              |
/// | dl_name                   | 21              | ESME_RINVDLNAME        | submit_multi                    |
/// | schedule_delivery_time    | 17 (0 or 16 chars) | ESME_RINVSCHED      | submit_sm, deliver_sm, submit_multi, replace_sm |
/// | validity_period           | 17 (0 or 16 chars) | ESME_RINVEXPIRY     | same                            |
/// | final_date                | 17 (0 or 16 chars) | ESME_RINVPARLEN     | query_sm_resp                   |
/// | message_id                | 65              | ESME_RINVMSGID         | *_sm_resp, query_sm, cancel_sm, replace_sm |
///
/// Status for other malformed input:
///
/// | problem                                               | status                 |
/// |-------------------------------------------------------|------------------------|
/// | body ends inside a fixed field or before a NUL        | ESME_RINVCMDLEN        |
/// | bytes after the header of a header-only PDU           | ESME_RINVCMDLEN        |
/// | sm_length > 254, or past the end of the body          | ESME_RINVMSGLEN        |
/// | number_of_dests 0 or above 254                        | ESME_RINVNUMDESTS      |
/// | dest_flag not 1 or 2                                  | ESME_RINVDESTFLAG      |
/// | 1–3 stray bytes where a TLV header should start       | ESME_RINVOPTPARSTREAM  |
/// | TLV length past the end, or wrong for a known tag     | ESME_RINVPARLEN        |
/// | unknown command_id                                    | ESME_RINVCMDID         |
/// | command_length != bytes given, or < 16                | ESME_RINVCMDLEN        |
public enum Field {
    public static var systemID: FieldSpec { FieldSpec("system_id", 16, .ESME_RINVSYSID) }
    public static var password: FieldSpec { FieldSpec("password", 9, .ESME_RINVPASWD) }
    public static var systemType: FieldSpec { FieldSpec("system_type", 13, .ESME_RINVSYSTYP) }
    public static var addressRange: FieldSpec { FieldSpec("address_range", 41, .ESME_RINVPARLEN) }
    public static var serviceType: FieldSpec { FieldSpec("service_type", 6, .ESME_RINVSERTYP) }
    public static var sourceAddr: FieldSpec { FieldSpec("source_addr", 21, .ESME_RINVSRCADR) }
    public static var sourceAddrLong: FieldSpec { FieldSpec("source_addr", 65, .ESME_RINVSRCADR) }
    public static var destinationAddr: FieldSpec { FieldSpec("destination_addr", 21, .ESME_RINVDSTADR) }
    public static var destinationAddrLong: FieldSpec { FieldSpec("destination_addr", 65, .ESME_RINVDSTADR) }
    public static var esmeAddr: FieldSpec { FieldSpec("esme_addr", 65, .ESME_RINVDSTADR) }
    public static var dlName: FieldSpec { FieldSpec("dl_name", 21, .ESME_RINVDLNAME) }
    public static var scheduleDeliveryTime: FieldSpec { FieldSpec("schedule_delivery_time", 17, .ESME_RINVSCHED) }
    public static var validityPeriod: FieldSpec { FieldSpec("validity_period", 17, .ESME_RINVEXPIRY) }
    public static var finalDate: FieldSpec { FieldSpec("final_date", 17, .ESME_RINVPARLEN) }
    public static var messageID: FieldSpec { FieldSpec("message_id", 65, .ESME_RINVMSGID) }
}
