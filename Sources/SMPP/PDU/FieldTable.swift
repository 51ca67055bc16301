// What a bounded C-Octet String field is (FieldSpec), what a decode failure says (FieldError),
// and the statuses for malformed input that is not one field's length. The fields themselves
// are in pdus.def. Value types only; any thread. Used by PDUReader (decode) and PDUWriter (encode).

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

/// The limits of each bounded field are in pdus.def (generated into `Field`, Generated/Field.swift).
///
/// Status for malformed input other than a field's length:
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
