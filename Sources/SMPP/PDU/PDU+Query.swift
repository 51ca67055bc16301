// query_sm(_resp), cancel_sm and replace_sm: SMPP v3.4 §4.8, §4.9, §4.10 (cancel_sm_resp and
// replace_sm_resp are header-only, in PDU+HeaderOnly.swift). Views into the decoded buffer.

/// query_sm (§4.8.1, C-MGT-1).
public struct QuerySM: EncodablePDU {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// message_id, max 65 with NUL (ESME_RINVMSGID when longer).
    public var messageID: BytesView
    public var sourceAddrTon: TON
    public var sourceAddrNpi: NPI
    /// source_addr, max 21.
    public var sourceAddr: BytesView
    public var tlvs: TLVList

    public init(
        sequenceNumber: UInt32, messageID: BytesView, sourceAddrTon: TON = .international,
        sourceAddrNpi: NPI = .isdn, sourceAddr: BytesView, tlvs: TLVList = .none
    ) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = .ESME_ROK
        self.messageID = messageID
        self.sourceAddrTon = sourceAddrTon
        self.sourceAddrNpi = sourceAddrNpi
        self.sourceAddr = sourceAddr
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .query_sm }
}

/// query_sm_resp (§4.8.2): final_date, message_state (raw octet: ENROUTE 1 … REJECTED 8) and
/// error_code (C-MGT-1).
public struct QuerySMResp: EncodablePDU {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// message_id, max 65 with NUL.
    public var messageID: BytesView
    /// final_date: empty (not final yet) or a 16-character SMPP absolute time.
    public var finalDate: BytesView
    public var messageState: UInt8
    /// error_code: network-specific error, 0 when none.
    public var errorCode: UInt8
    public var tlvs: TLVList

    public init(
        sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK, messageID: BytesView,
        finalDate: BytesView = .empty, messageState: UInt8, errorCode: UInt8 = 0, tlvs: TLVList = .none
    ) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
        self.messageID = messageID
        self.finalDate = finalDate
        self.messageState = messageState
        self.errorCode = errorCode
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .query_sm_resp }
}

/// cancel_sm (§4.9.1, C-MGT-2). An empty message_id means "all messages from source_addr to
/// destination_addr" (with service_type).
public struct CancelSM: EncodablePDU {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public var serviceType: BytesView
    public var messageID: BytesView
    public var sourceAddrTon: TON
    public var sourceAddrNpi: NPI
    public var sourceAddr: BytesView
    public var destAddrTon: TON
    public var destAddrNpi: NPI
    public var destinationAddr: BytesView
    public var tlvs: TLVList

    public init(
        sequenceNumber: UInt32, serviceType: BytesView = .empty, messageID: BytesView,
        sourceAddrTon: TON = .international, sourceAddrNpi: NPI = .isdn, sourceAddr: BytesView,
        destAddrTon: TON = .international, destAddrNpi: NPI = .isdn, destinationAddr: BytesView = .empty,
        tlvs: TLVList = .none
    ) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = .ESME_ROK
        self.serviceType = serviceType
        self.messageID = messageID
        self.sourceAddrTon = sourceAddrTon
        self.sourceAddrNpi = sourceAddrNpi
        self.sourceAddr = sourceAddr
        self.destAddrTon = destAddrTon
        self.destAddrNpi = destAddrNpi
        self.destinationAddr = destinationAddr
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .cancel_sm }
}

/// replace_sm (§4.10.1).
public struct ReplaceSM: EncodablePDU {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    public var messageID: BytesView
    public var sourceAddrTon: TON
    public var sourceAddrNpi: NPI
    public var sourceAddr: BytesView
    public var scheduleDeliveryTime: BytesView
    public var validityPeriod: BytesView
    public var registeredDelivery: UInt8
    public var smDefaultMsgID: UInt8
    public var shortMessage: BytesView
    public var tlvs: TLVList

    public init(
        sequenceNumber: UInt32, messageID: BytesView, sourceAddrTon: TON = .international,
        sourceAddrNpi: NPI = .isdn, sourceAddr: BytesView, scheduleDeliveryTime: BytesView = .empty,
        validityPeriod: BytesView = .empty, registeredDelivery: UInt8 = 0, smDefaultMsgID: UInt8 = 0,
        shortMessage: BytesView, tlvs: TLVList = .none
    ) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = .ESME_ROK
        self.messageID = messageID
        self.sourceAddrTon = sourceAddrTon
        self.sourceAddrNpi = sourceAddrNpi
        self.sourceAddr = sourceAddr
        self.scheduleDeliveryTime = scheduleDeliveryTime
        self.validityPeriod = validityPeriod
        self.registeredDelivery = registeredDelivery
        self.smDefaultMsgID = smDefaultMsgID
        self.shortMessage = shortMessage
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .replace_sm }
}

/// A decoded query_sm (fields as in `QuerySM`).
public struct QuerySMPDU: PDUView {
    public let raw: RawPDU

    public var encodable: QuerySM {
        QuerySM(sequenceNumber: sequenceNumber, messageID: messageID, sourceAddrTon: sourceAddrTon, sourceAddrNpi: sourceAddrNpi,
                sourceAddr: sourceAddr, tlvs: tlvs).withCommandStatus(commandStatus)
    }
}

/// A decoded query_sm_resp (fields as in `QuerySMResp`; all empty/0 when an error response
/// omitted its body).
public struct QuerySMRespPDU: PDUView {
    public let raw: RawPDU

    public var encodable: QuerySMResp {
        QuerySMResp(sequenceNumber: sequenceNumber, status: commandStatus, messageID: messageID, finalDate: finalDate,
                    messageState: messageState, errorCode: errorCode, tlvs: tlvs)
    }
}

/// A decoded cancel_sm (fields as in `CancelSM`).
public struct CancelSMPDU: PDUView {
    public let raw: RawPDU

    public var encodable: CancelSM {
        CancelSM(sequenceNumber: sequenceNumber, serviceType: serviceType, messageID: messageID, sourceAddrTon: sourceAddrTon,
                 sourceAddrNpi: sourceAddrNpi, sourceAddr: sourceAddr, destAddrTon: destAddrTon, destAddrNpi: destAddrNpi,
                 destinationAddr: destinationAddr, tlvs: tlvs).withCommandStatus(commandStatus)
    }
}

/// A decoded replace_sm (fields as in `ReplaceSM`).
public struct ReplaceSMPDU: PDUView {
    public let raw: RawPDU

    public var encodable: ReplaceSM {
        ReplaceSM(sequenceNumber: sequenceNumber, messageID: messageID, sourceAddrTon: sourceAddrTon, sourceAddrNpi: sourceAddrNpi,
                  sourceAddr: sourceAddr, scheduleDeliveryTime: scheduleDeliveryTime, validityPeriod: validityPeriod,
                  registeredDelivery: registeredDelivery, smDefaultMsgID: smDefaultMsgID, shortMessage: shortMessage, tlvs: tlvs)
            .withCommandStatus(commandStatus)
    }
}
