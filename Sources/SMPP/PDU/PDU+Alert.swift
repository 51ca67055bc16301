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
        try writeFields(&w)
        if let msAvailabilityStatus { w.tlv(.ms_availability_status, uint8: msAvailabilityStatus) }
    }
}

/// A decoded alert_notification (fields as in `AlertNotification`; ms_availability_status via
/// `tlvs.uint8(.ms_availability_status)`).
public struct AlertNotificationPDU: PDUView {
    public let raw: RawPDU

    public var encodable: AlertNotification {
        AlertNotification(sequenceNumber: sequenceNumber, sourceAddrTon: sourceAddrTon, sourceAddrNpi: sourceAddrNpi, sourceAddr: sourceAddr,
                          esmeAddrTon: esmeAddrTon, esmeAddrNpi: esmeAddrNpi, esmeAddr: esmeAddr, tlvs: tlvs)
            .withCommandStatus(commandStatus)
    }
}
