// The PDUs that are a header and nothing else: enquire_link(_resp), unbind(_resp), generic_nack,
// cancel_sm_resp, replace_sm_resp (SMPP v3.4 §4.11, §4.2, §4.3, §4.9.2, §4.10.2; the structs
// come from pdus.def, Generated/HeaderOnlyPDUs.swift), and ErrorResponse for answering any
// request with a bare error header. Value types; any thread.

/// A PDU with no body. A decoded one had exactly 16 octets (anything more is ESME_RINVCMDLEN).
public protocol HeaderOnlyPDU: EncodablePDU {
    init(sequenceNumber: UInt32, status commandStatus: CommandStatus)
}

extension HeaderOnlyPDU {
    public func writeBody(to w: inout PDUWriter) throws(FieldError) {}

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        try r.expectEnd()
        self.init(sequenceNumber: header.sequenceNumber, status: header.commandStatus)
    }
}

/// A bare 16-octet response header with an error status for any command_id: the spec lets an
/// error response omit its body (e.g. §4.4.2 "not returned if the command_status field contains
/// a non-zero value"), so this answers every request, or a `DecodeError` via
/// `DecodeError.response`. Encode only.
public struct ErrorResponse: EncodablePDU, Hashable, Sendable {
    public var commandID: CommandID
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus

    public init(commandID: CommandID, sequenceNumber: UInt32, status commandStatus: CommandStatus) {
        self.commandID = commandID
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {}
}
