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
public struct DataSMPDU: PDUView {
    public let raw: RawPDU

    public var encodable: DataSM {
        DataSM(sequenceNumber: sequenceNumber, serviceType: serviceType, sourceAddrTon: sourceAddrTon, sourceAddrNpi: sourceAddrNpi,
               sourceAddr: sourceAddr, destAddrTon: destAddrTon, destAddrNpi: destAddrNpi, destinationAddr: destinationAddr,
               esmClass: esmClass, registeredDelivery: registeredDelivery, dataCoding: dataCoding, tlvs: tlvs)
            .withCommandStatus(commandStatus)
    }
}
