// DecodeError: why a PDU did not decode, which field, and what to answer (C-ERR-2).
// A value type; any thread.

/// A PDU that did not decode. Carries the header as read (all zero except commandLength when
/// fewer than 16 octets were given), the failing field's spec name, and the status to answer.
public struct DecodeError: Error, Equatable, CustomStringConvertible {
    public let header: PDUHeader
    /// The field's spec name: "source_addr", "sm_length", "command_id", a TLV's name, ….
    public let field: StaticString
    public let status: CommandStatus

    public init(header: PDUHeader, field: StaticString, status: CommandStatus) {
        self.header = header
        self.field = field
        self.status = status
    }

    /// `field` as a String. Allocates when longer than 15 bytes; for logs and tests.
    public var fieldName: String { field.description }

    /// The command_id to answer with: the request's `*_resp`, or generic_nack when the
    /// command_id is unknown, is itself a response, or has no response (outbind,
    /// alert_notification) — C-ERR-2.
    public var responseCommandID: CommandID {
        header.commandID.hasResponse ? header.commandID.response : .generic_nack
    }

    /// The answer to send: a bare error header (`ErrorResponse`), with the PDU's sequence_number.
    public var response: ErrorResponse {
        ErrorResponse(commandID: responseCommandID, sequenceNumber: header.sequenceNumber, status: status)
    }

    public static func == (a: DecodeError, b: DecodeError) -> Bool {
        a.header == b.header && a.status == b.status && a.fieldName == b.fieldName
    }

    public var description: String { "\(header.commandID.name): \(fieldName): \(status.name)" }
}
