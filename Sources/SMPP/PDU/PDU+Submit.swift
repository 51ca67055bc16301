// submit_sm and submit_sm_resp: SMPP v3.4 §4.4. Views into the decoded buffer (BytesView
// lifetimes); any thread that owns the buffer.

/// submit_sm (§4.4.1). data_coding and esm_class are raw octets (the Text and Concatenation
/// modules interpret them).
public struct SubmitSM: EncodablePDU, ShortMessageFields {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// service_type, max 6 (ESME_RINVSERTYP when longer).
    public var serviceType: BytesView
    public var sourceAddrTon: TON
    public var sourceAddrNpi: NPI
    /// source_addr, max 21 (ESME_RINVSRCADR when longer).
    public var sourceAddr: BytesView
    public var destAddrTon: TON
    public var destAddrNpi: NPI
    /// destination_addr, max 21 (ESME_RINVDSTADR when longer).
    public var destinationAddr: BytesView
    public var esmClass: UInt8
    public var protocolID: UInt8
    public var priorityFlag: UInt8
    /// schedule_delivery_time: empty or 16 characters (else ESME_RINVSCHED).
    public var scheduleDeliveryTime: BytesView
    /// validity_period: empty or 16 characters (else ESME_RINVEXPIRY).
    public var validityPeriod: BytesView
    public var registeredDelivery: UInt8
    public var replaceIfPresentFlag: UInt8
    public var dataCoding: UInt8
    public var smDefaultMsgID: UInt8
    /// short_message, 0–254 octets (sm_length is its count).
    public var shortMessage: BytesView
    /// Optional parameters, wire order (sar_*, message_payload, … via `tlvs.sarMsgRefNum` etc.).
    public var tlvs: TLVList

    /// A submit_sm with the given addresses and text; every other field zero/empty, settable.
    public init(
        sequenceNumber: UInt32, sourceAddrTon: TON = .international, sourceAddrNpi: NPI = .isdn,
        sourceAddr: BytesView, destAddrTon: TON = .international, destAddrNpi: NPI = .isdn,
        destinationAddr: BytesView, registeredDelivery: UInt8 = 0, dataCoding: UInt8 = 0,
        shortMessage: BytesView, tlvs: TLVList = .none
    ) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = .ESME_ROK
        self.serviceType = .empty
        self.sourceAddrTon = sourceAddrTon
        self.sourceAddrNpi = sourceAddrNpi
        self.sourceAddr = sourceAddr
        self.destAddrTon = destAddrTon
        self.destAddrNpi = destAddrNpi
        self.destinationAddr = destinationAddr
        self.esmClass = 0
        self.protocolID = 0
        self.priorityFlag = 0
        self.scheduleDeliveryTime = .empty
        self.validityPeriod = .empty
        self.registeredDelivery = registeredDelivery
        self.replaceIfPresentFlag = 0
        self.dataCoding = dataCoding
        self.smDefaultMsgID = 0
        self.shortMessage = shortMessage
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .submit_sm }
}

/// submit_sm_resp (§4.4.2): the message_id the SMSC assigned (C-SUB-1: at most 64 characters).
public struct SubmitSMResp: MessageIDResponse {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// message_id, C-Octet String, max 65 with its NUL. Empty in a decoded error response
    /// whose body was omitted.
    public var messageID: BytesView
    /// Optional parameters (none defined in v3.4; kept if sent).
    public var tlvs: TLVList

    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK, messageID: BytesView, tlvs: TLVList = .none) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
        self.messageID = messageID
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .submit_sm_resp }
}

/// A decoded submit_sm: a 40-byte view whose fields (same names as `SubmitSM`) are computed
/// from the caller's buffer on access.
public struct SubmitSMPDU: ShortMessageView {
    public let raw: RawPDU

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        raw = try RawPDU(decodingShortMessage: &r, header: header)
    }

    /// The same PDU as an encodable value (views into the same buffer; nothing allocated).
    public var encodable: SubmitSM {
        var s = SubmitSM(sequenceNumber: sequenceNumber, sourceAddr: .empty, destinationAddr: .empty, shortMessage: .empty)
        s.commandStatus = commandStatus
        copyFields(into: &s)
        return s
    }
}
