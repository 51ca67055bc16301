// The PDUs that are a header and nothing else: enquire_link(_resp), unbind(_resp), generic_nack,
// cancel_sm_resp, replace_sm_resp (SMPP v3.4 §4.11, §4.2, §4.3, §4.9.2, §4.10.2), and
// ErrorResponse for answering any request with a bare error header. Value types; any thread.

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

/// enquire_link (§4.11.1, C-SESS-1).
public struct EnquireLink: HeaderOnlyPDU, Hashable, Sendable {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }
    public var commandID: CommandID { .enquire_link }
}

/// enquire_link_resp (§4.11.2).
public struct EnquireLinkResp: HeaderOnlyPDU, Hashable, Sendable {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }
    public var commandID: CommandID { .enquire_link_resp }
}

/// unbind (§4.2.1, C-SESS-3).
public struct Unbind: HeaderOnlyPDU, Hashable, Sendable {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }
    public var commandID: CommandID { .unbind }
}

/// unbind_resp (§4.2.2).
public struct UnbindResp: HeaderOnlyPDU, Hashable, Sendable {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }
    public var commandID: CommandID { .unbind_resp }
}

/// generic_nack (§4.3.1): the answer to a PDU that cannot be identified or framed (C-ERR-2).
/// Use the offending PDU's sequence_number when known, else 0.
public struct GenericNack: HeaderOnlyPDU, Hashable, Sendable {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }
    public var commandID: CommandID { .generic_nack }
}

/// cancel_sm_resp (§4.9.2).
public struct CancelSMResp: HeaderOnlyPDU, Hashable, Sendable {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }
    public var commandID: CommandID { .cancel_sm_resp }
}

/// replace_sm_resp (§4.10.2).
public struct ReplaceSMResp: HeaderOnlyPDU, Hashable, Sendable {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
    }
    public var commandID: CommandID { .replace_sm_resp }
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
