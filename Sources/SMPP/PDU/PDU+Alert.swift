// alert_notification: SMPP v3.4 §4.12 (SMSC to ESME; it has no response).

/// alert_notification (§4.12.1).
public struct AlertNotification: EncodablePDU {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public var sourceAddrTon: TON
    public var sourceAddrNpi: NPI
    /// source_addr, max 65.
    public var sourceAddr: BytesView
    public var esmeAddrTon: TON
    public var esmeAddrNpi: NPI
    /// esme_addr, max 65.
    public var esmeAddr: BytesView
    public var tlvs: TLVList
    /// Encode only: ms_availability_status (0x0422), written after `tlvs`. Decoding leaves it
    /// nil; read `tlvs.uint8(.ms_availability_status)`.
    public var msAvailabilityStatus: UInt8?

    public init(
        sequenceNumber: UInt32, sourceAddrTon: TON = .international, sourceAddrNpi: NPI = .isdn,
        sourceAddr: BytesView, esmeAddrTon: TON = .international, esmeAddrNpi: NPI = .isdn,
        esmeAddr: BytesView, msAvailabilityStatus: UInt8? = nil, tlvs: TLVList = .none
    ) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = .ESME_ROK
        self.sourceAddrTon = sourceAddrTon
        self.sourceAddrNpi = sourceAddrNpi
        self.sourceAddr = sourceAddr
        self.esmeAddrTon = esmeAddrTon
        self.esmeAddrNpi = esmeAddrNpi
        self.esmeAddr = esmeAddr
        self.msAvailabilityStatus = msAvailabilityStatus
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .alert_notification }

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(sequenceNumber: header.sequenceNumber, sourceAddr: .empty, esmeAddr: .empty)
        commandStatus = header.commandStatus
        sourceAddrTon = TON(rawValue: try r.uint8("source_addr_ton"))
        sourceAddrNpi = NPI(rawValue: try r.uint8("source_addr_npi"))
        sourceAddr = try r.cString(Field.sourceAddrLong)
        esmeAddrTon = TON(rawValue: try r.uint8("esme_addr_ton"))
        esmeAddrNpi = NPI(rawValue: try r.uint8("esme_addr_npi"))
        esmeAddr = try r.cString(Field.esmeAddr)
        tlvs = try r.tlvs()
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        w.uint8(sourceAddrTon.rawValue)
        w.uint8(sourceAddrNpi.rawValue)
        try w.cString(sourceAddr, Field.sourceAddrLong)
        w.uint8(esmeAddrTon.rawValue)
        w.uint8(esmeAddrNpi.rawValue)
        try w.cString(esmeAddr, Field.esmeAddr)
        w.bytes(tlvs.bytes)
        if let msAvailabilityStatus { w.tlv(.ms_availability_status, uint8: msAvailabilityStatus) }
    }
}
