// The field layout submit_sm and deliver_sm share (SMPP v3.4 §4.4.1, §4.6.1): one encode routine
// (ShortMessageFields) and one decoded view (ShortMessageView) for both, so the 17 mandatory
// fields are listed once each way. Any thread that owns the buffer.

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

/// The decoded form of submit_sm and deliver_sm: every field computed from a `RawPDU`.
/// Slots: 0 service_type's NUL, 1 source_addr's, 2 destination_addr's, 3 schedule_delivery_time's,
/// 4 validity_period's.
public protocol ShortMessageView: PDUView {}

extension ShortMessageView {
    @inlinable public var serviceType: BytesView { raw.string(16, raw.slot(0)) }
    @inlinable public var sourceAddrTon: TON { TON(rawValue: raw.byte(raw.slot(0) &+ 1)) }
    @inlinable public var sourceAddrNpi: NPI { NPI(rawValue: raw.byte(raw.slot(0) &+ 2)) }
    @inlinable public var sourceAddr: BytesView { raw.string(raw.slot(0) &+ 3, raw.slot(1)) }
    @inlinable public var destAddrTon: TON { TON(rawValue: raw.byte(raw.slot(1) &+ 1)) }
    @inlinable public var destAddrNpi: NPI { NPI(rawValue: raw.byte(raw.slot(1) &+ 2)) }
    @inlinable public var destinationAddr: BytesView { raw.string(raw.slot(1) &+ 3, raw.slot(2)) }
    @inlinable public var esmClass: UInt8 { raw.byte(raw.slot(2) &+ 1) }
    @inlinable public var protocolID: UInt8 { raw.byte(raw.slot(2) &+ 2) }
    @inlinable public var priorityFlag: UInt8 { raw.byte(raw.slot(2) &+ 3) }
    @inlinable public var scheduleDeliveryTime: BytesView { raw.string(raw.slot(2) &+ 4, raw.slot(3)) }
    @inlinable public var validityPeriod: BytesView { raw.string(raw.slot(3) &+ 1, raw.slot(4)) }
    @inlinable public var registeredDelivery: UInt8 { raw.byte(raw.slot(4) &+ 1) }
    @inlinable public var replaceIfPresentFlag: UInt8 { raw.byte(raw.slot(4) &+ 2) }
    @inlinable public var dataCoding: UInt8 { raw.byte(raw.slot(4) &+ 3) }
    @inlinable public var smDefaultMsgID: UInt8 { raw.byte(raw.slot(4) &+ 4) }
    /// short_message (sm_length octets).
    @inlinable public var shortMessage: BytesView { raw.bytes(raw.slot(4) &+ 6, count: Int(raw.byte(raw.slot(4) &+ 5))) }
    /// The optional parameters after short_message.
    @inlinable public var tlvs: TLVList { raw.tlvs(from: raw.slot(4) &+ 6 &+ Int(raw.byte(raw.slot(4) &+ 5))) }

    /// Copies every field into `fields` (views stay views: nothing is allocated).
    func copyFields<T: ShortMessageFields>(into fields: inout T) {
        fields.serviceType = serviceType
        fields.sourceAddrTon = sourceAddrTon
        fields.sourceAddrNpi = sourceAddrNpi
        fields.sourceAddr = sourceAddr
        fields.destAddrTon = destAddrTon
        fields.destAddrNpi = destAddrNpi
        fields.destinationAddr = destinationAddr
        fields.esmClass = esmClass
        fields.protocolID = protocolID
        fields.priorityFlag = priorityFlag
        fields.scheduleDeliveryTime = scheduleDeliveryTime
        fields.validityPeriod = validityPeriod
        fields.registeredDelivery = registeredDelivery
        fields.replaceIfPresentFlag = replaceIfPresentFlag
        fields.dataCoding = dataCoding
        fields.smDefaultMsgID = smDefaultMsgID
        fields.shortMessage = shortMessage
        fields.tlvs = tlvs
    }
}

extension RawPDU {
    /// Validates the submit_sm / deliver_sm body and records the ShortMessageView slots.
    init(decodingShortMessage r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(header: header, reader: r)
        if let (s0, s1, s2, s3, s4) = r.fastShortMessageNULs() {
            slots = (UInt16(truncatingIfNeeded: s0), UInt16(truncatingIfNeeded: s1), UInt16(truncatingIfNeeded: s2),
                     UInt16(truncatingIfNeeded: s3), UInt16(truncatingIfNeeded: s4), 0, 0, 0)
            _ = try r.tlvs()
            return
        }
        // Slow path, only for malformed input: field by field, naming the failing field.
        try self.init(decodingShortMessageFieldByField: &r, header: header)
    }

    /// The reference decoder: every field checked on its own, so a failure names its field.
    /// The fast path must accept exactly what this accepts (tested differentially).
    init(decodingShortMessageFieldByField r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(header: header, reader: r)
        setSlot(0, try r.cStringEnd(Field.serviceType))
        try r.skip(1, "source_addr_ton")
        try r.skip(1, "source_addr_npi")
        setSlot(1, try r.cStringEnd(Field.sourceAddr))
        try r.skip(1, "dest_addr_ton")
        try r.skip(1, "dest_addr_npi")
        setSlot(2, try r.cStringEnd(Field.destinationAddr))
        try r.skip(1, "esm_class")
        try r.skip(1, "protocol_id")
        try r.skip(1, "priority_flag")
        setSlot(3, try r.timeStringEnd(Field.scheduleDeliveryTime))
        setSlot(4, try r.timeStringEnd(Field.validityPeriod))
        try r.skip(1, "registered_delivery")
        try r.skip(1, "replace_if_present_flag")
        try r.skip(1, "data_coding")
        try r.skip(1, "sm_default_msg_id")
        _ = try r.shortMessage()
        _ = try r.tlvs()
    }
}
