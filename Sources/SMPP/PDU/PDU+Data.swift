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

    public init(sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK, messageID: BytesView, tlvs: TLVList = .none) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
        self.messageID = messageID
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .data_sm_resp }
}

/// A decoded data_sm (fields as in `DataSM`).
/// Slots: 0 service_type's NUL, 1 source_addr's, 2 destination_addr's.
public struct DataSMPDU: PDUView {
    public let raw: RawPDU

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        var raw = RawPDU(header: header, reader: r)
        raw.setSlot(0, try r.cStringEnd(Field.serviceType))
        try r.skip(1, "source_addr_ton")
        try r.skip(1, "source_addr_npi")
        raw.setSlot(1, try r.cStringEnd(Field.sourceAddrLong))
        try r.skip(1, "dest_addr_ton")
        try r.skip(1, "dest_addr_npi")
        raw.setSlot(2, try r.cStringEnd(Field.destinationAddrLong))
        try r.skip(1, "esm_class")
        try r.skip(1, "registered_delivery")
        try r.skip(1, "data_coding")
        _ = try r.tlvs()
        self.raw = raw
    }

    @inlinable public var serviceType: BytesView { raw.string(16, raw.slot(0)) }
    @inlinable public var sourceAddrTon: TON { TON(rawValue: raw.byte(raw.slot(0) &+ 1)) }
    @inlinable public var sourceAddrNpi: NPI { NPI(rawValue: raw.byte(raw.slot(0) &+ 2)) }
    @inlinable public var sourceAddr: BytesView { raw.string(raw.slot(0) &+ 3, raw.slot(1)) }
    @inlinable public var destAddrTon: TON { TON(rawValue: raw.byte(raw.slot(1) &+ 1)) }
    @inlinable public var destAddrNpi: NPI { NPI(rawValue: raw.byte(raw.slot(1) &+ 2)) }
    @inlinable public var destinationAddr: BytesView { raw.string(raw.slot(1) &+ 3, raw.slot(2)) }
    @inlinable public var esmClass: UInt8 { raw.byte(raw.slot(2) &+ 1) }
    @inlinable public var registeredDelivery: UInt8 { raw.byte(raw.slot(2) &+ 2) }
    @inlinable public var dataCoding: UInt8 { raw.byte(raw.slot(2) &+ 3) }
    @inlinable public var tlvs: TLVList { raw.tlvs(from: raw.slot(2) &+ 4) }

    public var encodable: DataSM {
        DataSM(sequenceNumber: sequenceNumber, serviceType: serviceType, sourceAddrTon: sourceAddrTon, sourceAddrNpi: sourceAddrNpi,
               sourceAddr: sourceAddr, destAddrTon: destAddrTon, destAddrNpi: destAddrNpi, destinationAddr: destinationAddr,
               esmClass: esmClass, registeredDelivery: registeredDelivery, dataCoding: dataCoding, tlvs: tlvs)
            .withCommandStatus(commandStatus)
    }
}
