// The field layout submit_sm and deliver_sm share (SMPP v3.4 §4.4.1, §4.6.1): one decode and one
// encode routine for both, so the 17 mandatory fields are listed once. Internal; any thread.

/// The mandatory fields of submit_sm and deliver_sm, in wire order.
protocol ShortMessageFields {
    var serviceType: BytesView { get set }
    var sourceAddrTon: TON { get set }
    var sourceAddrNpi: NPI { get set }
    var sourceAddr: BytesView { get set }
    var destAddrTon: TON { get set }
    var destAddrNpi: NPI { get set }
    var destinationAddr: BytesView { get set }
    var esmClass: UInt8 { get set }
    var protocolID: UInt8 { get set }
    var priorityFlag: UInt8 { get set }
    var scheduleDeliveryTime: BytesView { get set }
    var validityPeriod: BytesView { get set }
    var registeredDelivery: UInt8 { get set }
    var replaceIfPresentFlag: UInt8 { get set }
    var dataCoding: UInt8 { get set }
    var smDefaultMsgID: UInt8 { get set }
    var shortMessage: BytesView { get set }
    var tlvs: TLVList { get set }
}

extension ShortMessageFields {
    /// Reads every field after the header, TLVs included.
    mutating func readFields(_ r: inout PDUReader) throws(FieldError) {
        serviceType = try r.cString(Field.serviceType)
        sourceAddrTon = TON(rawValue: try r.uint8("source_addr_ton"))
        sourceAddrNpi = NPI(rawValue: try r.uint8("source_addr_npi"))
        sourceAddr = try r.cString(Field.sourceAddr)
        destAddrTon = TON(rawValue: try r.uint8("dest_addr_ton"))
        destAddrNpi = NPI(rawValue: try r.uint8("dest_addr_npi"))
        destinationAddr = try r.cString(Field.destinationAddr)
        esmClass = try r.uint8("esm_class")
        protocolID = try r.uint8("protocol_id")
        priorityFlag = try r.uint8("priority_flag")
        scheduleDeliveryTime = try r.timeString(Field.scheduleDeliveryTime)
        validityPeriod = try r.timeString(Field.validityPeriod)
        registeredDelivery = try r.uint8("registered_delivery")
        replaceIfPresentFlag = try r.uint8("replace_if_present_flag")
        dataCoding = try r.uint8("data_coding")
        smDefaultMsgID = try r.uint8("sm_default_msg_id")
        shortMessage = try r.shortMessage()
        tlvs = try r.tlvs()
    }

    /// Writes every field, then `tlvs` verbatim.
    func writeFields(_ w: inout PDUWriter) throws(FieldError) {
        try w.cString(serviceType, Field.serviceType)
        w.uint8(sourceAddrTon.rawValue)
        w.uint8(sourceAddrNpi.rawValue)
        try w.cString(sourceAddr, Field.sourceAddr)
        w.uint8(destAddrTon.rawValue)
        w.uint8(destAddrNpi.rawValue)
        try w.cString(destinationAddr, Field.destinationAddr)
        w.uint8(esmClass)
        w.uint8(protocolID)
        w.uint8(priorityFlag)
        try w.timeString(scheduleDeliveryTime, Field.scheduleDeliveryTime)
        try w.timeString(validityPeriod, Field.validityPeriod)
        w.uint8(registeredDelivery)
        w.uint8(replaceIfPresentFlag)
        w.uint8(dataCoding)
        w.uint8(smDefaultMsgID)
        try w.shortMessage(shortMessage)
        w.bytes(tlvs.bytes)
    }
}
