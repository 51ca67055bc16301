// deliver_sm and deliver_sm_resp: SMPP v3.4 §4.6. deliver_sm carries MO messages (C-DLV-2) and
// delivery receipts (C-DLV-1). Views into the decoded buffer (BytesView lifetimes).

/// deliver_sm (§4.6.1). Same mandatory fields as submit_sm; schedule_delivery_time,
/// validity_period, replace_if_present_flag and sm_default_msg_id are unused (NULL/0).
public struct DeliverSM: EncodablePDU, ShortMessageFields {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public var serviceType: BytesView
    public var sourceAddrTon: TON
    public var sourceAddrNpi: NPI
    /// source_addr, max 21. For a receipt: the original destination (C-DLV-1).
    public var sourceAddr: BytesView
    public var destAddrTon: TON
    public var destAddrNpi: NPI
    /// destination_addr, max 21. For a receipt: the original source.
    public var destinationAddr: BytesView
    /// 0x04 for a delivery receipt, 0x00 for an MO message; 0x40 when short_message has a UDH.
    public var esmClass: UInt8
    public var protocolID: UInt8
    public var priorityFlag: UInt8
    public var scheduleDeliveryTime: BytesView
    public var validityPeriod: BytesView
    public var registeredDelivery: UInt8
    public var replaceIfPresentFlag: UInt8
    public var dataCoding: UInt8
    public var smDefaultMsgID: UInt8
    /// short_message, 0–254 octets: the receipt text or the MO payload.
    public var shortMessage: BytesView
    /// Optional parameters written verbatim before the typed ones below; all TLVs of a decoded PDU.
    public var tlvs: TLVList
    /// Encode only: receipted_message_id (0x001E), written as a C-Octet String (max 65 with NUL).
    /// Decoding leaves it nil; read `tlvs.receiptedMessageID`.
    public var receiptedMessageID: BytesView?
    /// Encode only: message_state (0x0427), raw octet. Decoding leaves it nil; read `tlvs.messageState`.
    public var messageState: UInt8?
    /// Encode only: network_error_code (0x0423). Decoding leaves it nil; read `tlvs.networkErrorCode`.
    public var networkErrorCode: NetworkErrorCode?

    /// A deliver_sm; for a receipt pass esmClass 0x04 and the three receipt TLVs (C-DLV-1).
    public init(
        sequenceNumber: UInt32, sourceAddrTon: TON = .international, sourceAddrNpi: NPI = .isdn,
        sourceAddr: BytesView, destAddrTon: TON = .international, destAddrNpi: NPI = .isdn,
        destinationAddr: BytesView, esmClass: UInt8 = 0, dataCoding: UInt8 = 0, shortMessage: BytesView,
        receiptedMessageID: BytesView? = nil, messageState: UInt8? = nil,
        networkErrorCode: NetworkErrorCode? = nil, tlvs: TLVList = .none
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
        self.esmClass = esmClass
        self.protocolID = 0
        self.priorityFlag = 0
        self.scheduleDeliveryTime = .empty
        self.validityPeriod = .empty
        self.registeredDelivery = 0
        self.replaceIfPresentFlag = 0
        self.dataCoding = dataCoding
        self.smDefaultMsgID = 0
        self.shortMessage = shortMessage
        self.tlvs = tlvs
        self.receiptedMessageID = receiptedMessageID
        self.messageState = messageState
        self.networkErrorCode = networkErrorCode
    }

    public var commandID: CommandID { .deliver_sm }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try writeFields(&w)
        if let receiptedMessageID {
            guard receiptedMessageID.count < 65 else { throw FieldError("receipted_message_id", .ESME_RINVPARLEN) }
            try w.tlvCString(.receipted_message_id, receiptedMessageID)
        }
        if let messageState { w.tlv(.message_state, uint8: messageState) }
        if let networkErrorCode {
            w.uint16(TLVTag.network_error_code.rawValue)
            w.uint16(3)
            w.uint8(networkErrorCode.networkType)
            w.uint16(networkErrorCode.errorCode)
        }
    }
}

/// deliver_sm_resp (§4.6.2). message_id is unused (NULL) in v3.4; a non-empty one is kept.
public struct DeliverSMResp: MessageIDResponse {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public var messageID: BytesView
    public var tlvs: TLVList

    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK, messageID: BytesView = .empty, tlvs: TLVList = .none) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
        self.messageID = messageID
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .deliver_sm_resp }
}

/// A decoded deliver_sm: a 40-byte view whose fields (same names as `DeliverSM`) are computed
/// from the caller's buffer on access. Receipt TLVs: `tlvs.receiptedMessageID`,
/// `tlvs.messageState`, `tlvs.networkErrorCode`.
public struct DeliverSMPDU: ShortMessageView {
    public let raw: RawPDU

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        raw = try RawPDU(decodingShortMessage: &r, header: header)
    }

    /// The same PDU as an encodable value (TLVs all in `tlvs`; the typed TLV members stay nil).
    public var encodable: DeliverSM {
        var d = DeliverSM(sequenceNumber: sequenceNumber, sourceAddr: .empty, destinationAddr: .empty, shortMessage: .empty)
        d.commandStatus = commandStatus
        copyFields(into: &d)
        return d
    }
}
