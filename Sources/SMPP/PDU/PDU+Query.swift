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

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(sequenceNumber: header.sequenceNumber, messageID: .empty, sourceAddr: .empty)
        commandStatus = header.commandStatus
        messageID = try r.cString(Field.messageID)
        sourceAddrTon = TON(rawValue: try r.uint8("source_addr_ton"))
        sourceAddrNpi = NPI(rawValue: try r.uint8("source_addr_npi"))
        sourceAddr = try r.cString(Field.sourceAddr)
        tlvs = try r.tlvs()
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(messageID, Field.messageID)
        w.uint8(sourceAddrTon.rawValue)
        w.uint8(sourceAddrNpi.rawValue)
        try w.cString(sourceAddr, Field.sourceAddr)
        w.bytes(tlvs.bytes)
    }
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
        sequenceNumber: UInt32, commandStatus: CommandStatus = .ESME_ROK, messageID: BytesView,
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

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(sequenceNumber: header.sequenceNumber, commandStatus: header.commandStatus, messageID: .empty, messageState: 0)
        if r.isOmittedErrorBody(header) { return }
        messageID = try r.cString(Field.messageID)
        finalDate = try r.timeString(Field.finalDate)
        messageState = try r.uint8("message_state")
        errorCode = try r.uint8("error_code")
        tlvs = try r.tlvs()
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(messageID, Field.messageID)
        try w.timeString(finalDate, Field.finalDate)
        w.uint8(messageState)
        w.uint8(errorCode)
        w.bytes(tlvs.bytes)
    }
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

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(sequenceNumber: header.sequenceNumber, messageID: .empty, sourceAddr: .empty)
        commandStatus = header.commandStatus
        serviceType = try r.cString(Field.serviceType)
        messageID = try r.cString(Field.messageID)
        sourceAddrTon = TON(rawValue: try r.uint8("source_addr_ton"))
        sourceAddrNpi = NPI(rawValue: try r.uint8("source_addr_npi"))
        sourceAddr = try r.cString(Field.sourceAddr)
        destAddrTon = TON(rawValue: try r.uint8("dest_addr_ton"))
        destAddrNpi = NPI(rawValue: try r.uint8("dest_addr_npi"))
        destinationAddr = try r.cString(Field.destinationAddr)
        tlvs = try r.tlvs()
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(serviceType, Field.serviceType)
        try w.cString(messageID, Field.messageID)
        w.uint8(sourceAddrTon.rawValue)
        w.uint8(sourceAddrNpi.rawValue)
        try w.cString(sourceAddr, Field.sourceAddr)
        w.uint8(destAddrTon.rawValue)
        w.uint8(destAddrNpi.rawValue)
        try w.cString(destinationAddr, Field.destinationAddr)
        w.bytes(tlvs.bytes)
    }
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

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(sequenceNumber: header.sequenceNumber, messageID: .empty, sourceAddr: .empty, shortMessage: .empty)
        commandStatus = header.commandStatus
        messageID = try r.cString(Field.messageID)
        sourceAddrTon = TON(rawValue: try r.uint8("source_addr_ton"))
        sourceAddrNpi = NPI(rawValue: try r.uint8("source_addr_npi"))
        sourceAddr = try r.cString(Field.sourceAddr)
        scheduleDeliveryTime = try r.timeString(Field.scheduleDeliveryTime)
        validityPeriod = try r.timeString(Field.validityPeriod)
        registeredDelivery = try r.uint8("registered_delivery")
        smDefaultMsgID = try r.uint8("sm_default_msg_id")
        shortMessage = try r.shortMessage()
        tlvs = try r.tlvs()
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(messageID, Field.messageID)
        w.uint8(sourceAddrTon.rawValue)
        w.uint8(sourceAddrNpi.rawValue)
        try w.cString(sourceAddr, Field.sourceAddr)
        try w.timeString(scheduleDeliveryTime, Field.scheduleDeliveryTime)
        try w.timeString(validityPeriod, Field.validityPeriod)
        w.uint8(registeredDelivery)
        w.uint8(smDefaultMsgID)
        try w.shortMessage(shortMessage)
        w.bytes(tlvs.bytes)
    }
}
