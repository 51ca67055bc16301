// data_sm and data_sm_resp: SMPP v3.4 §4.7. Views into the decoded buffer (BytesView lifetimes).

/// data_sm (§4.7.1): addresses up to 65 octets; the payload travels in message_payload.
public struct DataSM: EncodablePDU {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// service_type, max 6.
    public var serviceType: BytesView
    public var sourceAddrTon: TON
    public var sourceAddrNpi: NPI
    /// source_addr, max 65 (ESME_RINVSRCADR when longer).
    public var sourceAddr: BytesView
    public var destAddrTon: TON
    public var destAddrNpi: NPI
    /// destination_addr, max 65 (ESME_RINVDSTADR when longer).
    public var destinationAddr: BytesView
    public var esmClass: UInt8
    public var registeredDelivery: UInt8
    public var dataCoding: UInt8
    /// Optional parameters (message_payload, sar_*, receipt TLVs, …).
    public var tlvs: TLVList

    public init(
        sequenceNumber: UInt32, serviceType: BytesView = .empty, sourceAddrTon: TON = .international,
        sourceAddrNpi: NPI = .isdn, sourceAddr: BytesView, destAddrTon: TON = .international,
        destAddrNpi: NPI = .isdn, destinationAddr: BytesView, esmClass: UInt8 = 0,
        registeredDelivery: UInt8 = 0, dataCoding: UInt8 = 0, tlvs: TLVList = .none
    ) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = .ESME_ROK
        self.serviceType = serviceType
        self.sourceAddrTon = sourceAddrTon
        self.sourceAddrNpi = sourceAddrNpi
        self.sourceAddr = sourceAddr
        self.destAddrTon = destAddrTon
        self.destAddrNpi = destAddrNpi
        self.destinationAddr = destinationAddr
        self.esmClass = esmClass
        self.registeredDelivery = registeredDelivery
        self.dataCoding = dataCoding
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .data_sm }

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(sequenceNumber: header.sequenceNumber, sourceAddr: .empty, destinationAddr: .empty)
        commandStatus = header.commandStatus
        serviceType = try r.cString(Field.serviceType)
        sourceAddrTon = TON(rawValue: try r.uint8("source_addr_ton"))
        sourceAddrNpi = NPI(rawValue: try r.uint8("source_addr_npi"))
        sourceAddr = try r.cString(Field.sourceAddrLong)
        destAddrTon = TON(rawValue: try r.uint8("dest_addr_ton"))
        destAddrNpi = NPI(rawValue: try r.uint8("dest_addr_npi"))
        destinationAddr = try r.cString(Field.destinationAddrLong)
        esmClass = try r.uint8("esm_class")
        registeredDelivery = try r.uint8("registered_delivery")
        dataCoding = try r.uint8("data_coding")
        tlvs = try r.tlvs()
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(serviceType, Field.serviceType)
        w.uint8(sourceAddrTon.rawValue)
        w.uint8(sourceAddrNpi.rawValue)
        try w.cString(sourceAddr, Field.sourceAddrLong)
        w.uint8(destAddrTon.rawValue)
        w.uint8(destAddrNpi.rawValue)
        try w.cString(destinationAddr, Field.destinationAddrLong)
        w.uint8(esmClass)
        w.uint8(registeredDelivery)
        w.uint8(dataCoding)
        w.bytes(tlvs.bytes)
    }
}

/// data_sm_resp (§4.7.2): message_id, then optional delivery_failure_reason, network_error_code,
/// additional_status_info_text, dpf_result (build them with `TLVEncoder`).
public struct DataSMResp: MessageIDResponse {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// message_id, max 65 with its NUL.
    public var messageID: BytesView
    public var tlvs: TLVList

    public init(sequenceNumber: UInt32, commandStatus: CommandStatus = .ESME_ROK, messageID: BytesView, tlvs: TLVList = .none) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
        self.messageID = messageID
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .data_sm_resp }
}
