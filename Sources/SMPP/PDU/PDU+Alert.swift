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

/// A decoded alert_notification (fields as in `AlertNotification`; ms_availability_status via
/// `tlvs.uint8(.ms_availability_status)`). Slots: 0 source_addr's NUL, 1 esme_addr's.
public struct AlertNotificationPDU: PDUView {
    public let raw: RawPDU

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        var raw = RawPDU(header: header, reader: r)
        try r.skip(1, "source_addr_ton")
        try r.skip(1, "source_addr_npi")
        raw.setSlot(0, try r.cStringEnd(Field.sourceAddrLong))
        try r.skip(1, "esme_addr_ton")
        try r.skip(1, "esme_addr_npi")
        raw.setSlot(1, try r.cStringEnd(Field.esmeAddr))
        _ = try r.tlvs()
        self.raw = raw
    }

    @inlinable public var sourceAddrTon: TON { TON(rawValue: raw.byte(16)) }
    @inlinable public var sourceAddrNpi: NPI { NPI(rawValue: raw.byte(17)) }
    @inlinable public var sourceAddr: BytesView { raw.string(18, raw.slot(0)) }
    @inlinable public var esmeAddrTon: TON { TON(rawValue: raw.byte(raw.slot(0) &+ 1)) }
    @inlinable public var esmeAddrNpi: NPI { NPI(rawValue: raw.byte(raw.slot(0) &+ 2)) }
    @inlinable public var esmeAddr: BytesView { raw.string(raw.slot(0) &+ 3, raw.slot(1)) }
    @inlinable public var tlvs: TLVList { raw.tlvs(from: raw.slot(1) &+ 1) }

    public var encodable: AlertNotification {
        AlertNotification(sequenceNumber: sequenceNumber, sourceAddrTon: sourceAddrTon, sourceAddrNpi: sourceAddrNpi, sourceAddr: sourceAddr,
                          esmeAddrTon: esmeAddrTon, esmeAddrNpi: esmeAddrNpi, esmeAddr: esmeAddr, tlvs: tlvs)
            .withCommandStatus(commandStatus)
    }
}
