// bind_transmitter / bind_receiver / bind_transceiver (+ _resp) and outbind: SMPP v3.4 §4.1.
// Value types holding views into the decoded buffer (see BytesView for lifetimes); any thread
// that owns the buffer.

/// Which of the three binds.
public enum BindKind: Sendable, Hashable {
    case transmitter, receiver, transceiver

    /// bind_transmitter, bind_receiver or bind_transceiver.
    @inlinable
    public var requestID: CommandID {
        switch self {
        case .transmitter: .bind_transmitter
        case .receiver: .bind_receiver
        case .transceiver: .bind_transceiver
        }
    }

    /// The matching *_resp command_id.
    @inlinable public var responseID: CommandID { requestID.response }
}

/// bind_transmitter, bind_receiver, bind_transceiver (§4.1.1, §4.1.3, §4.1.5).
public struct Bind: EncodablePDU {
    public var kind: BindKind
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// system_id, C-Octet String, max 16 (ESME_RINVSYSID when longer).
    public var systemID: BytesView
    /// password, C-Octet String, max 9 (ESME_RINVPASWD when longer).
    public var password: BytesView
    /// system_type, C-Octet String, max 13 (ESME_RINVSYSTYP when longer).
    public var systemType: BytesView
    /// interface_version; 0x34 for v3.4.
    public var interfaceVersion: UInt8
    public var addrTon: TON
    public var addrNpi: NPI
    /// address_range, C-Octet String, max 41.
    public var addressRange: BytesView
    /// Optional parameters (none are defined for binds in v3.4; kept if sent).
    public var tlvs: TLVList

    public init(
        kind: BindKind, sequenceNumber: UInt32, systemID: BytesView, password: BytesView,
        systemType: BytesView = .empty, interfaceVersion: UInt8 = 0x34, addrTon: TON = .unknown,
        addrNpi: NPI = .unknown, addressRange: BytesView = .empty, tlvs: TLVList = .none
    ) {
        self.kind = kind
        self.sequenceNumber = sequenceNumber
        self.commandStatus = .ESME_ROK
        self.systemID = systemID
        self.password = password
        self.systemType = systemType
        self.interfaceVersion = interfaceVersion
        self.addrTon = addrTon
        self.addrNpi = addrNpi
        self.addressRange = addressRange
        self.tlvs = tlvs
    }

    public var commandID: CommandID { kind.requestID }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(systemID, Field.systemID)
        try w.cString(password, Field.password)
        try w.cString(systemType, Field.systemType)
        w.uint8(interfaceVersion)
        w.uint8(addrTon.rawValue)
        w.uint8(addrNpi.rawValue)
        try w.cString(addressRange, Field.addressRange)
        w.bytes(tlvs.bytes)
    }
}

/// bind_transmitter_resp, bind_receiver_resp, bind_transceiver_resp (§4.1.2, §4.1.4, §4.1.6).
public struct BindResp: EncodablePDU {
    public var kind: BindKind
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// system_id of the SMSC, C-Octet String, max 16. Empty in a decoded error response
    /// whose body was omitted.
    public var systemID: BytesView
    /// Encode only: when set, an sc_interface_version TLV is written after `tlvs`. Decoding
    /// leaves it nil; read `tlvs.scInterfaceVersion`.
    public var scInterfaceVersion: UInt8?
    public var tlvs: TLVList

    public init(
        kind: BindKind, sequenceNumber: UInt32, status commandStatus: CommandStatus = .ESME_ROK,
        systemID: BytesView, scInterfaceVersion: UInt8? = nil, tlvs: TLVList = .none
    ) {
        self.kind = kind
        self.sequenceNumber = sequenceNumber
        self.commandStatus = commandStatus
        self.systemID = systemID
        self.scInterfaceVersion = scInterfaceVersion
        self.tlvs = tlvs
    }

    public var commandID: CommandID { kind.responseID }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(systemID, Field.systemID)
        w.bytes(tlvs.bytes)
        if let scInterfaceVersion { w.tlv(.sc_interface_version, uint8: scInterfaceVersion) }
    }
}

/// outbind (§4.1.7): the SMSC asks an ESME to bind_receiver.
public struct Outbind: EncodablePDU {
    public var sequenceNumber: UInt32
    public var commandStatus: CommandStatus
    /// system_id, C-Octet String, max 16.
    public var systemID: BytesView
    /// password, C-Octet String, max 9.
    public var password: BytesView
    public var tlvs: TLVList

    public init(sequenceNumber: UInt32, systemID: BytesView, password: BytesView, tlvs: TLVList = .none) {
        self.sequenceNumber = sequenceNumber
        self.commandStatus = .ESME_ROK
        self.systemID = systemID
        self.password = password
        self.tlvs = tlvs
    }

    public var commandID: CommandID { .outbind }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(systemID, Field.systemID)
        try w.cString(password, Field.password)
        w.bytes(tlvs.bytes)
    }
}

/// A decoded bind_transmitter / bind_receiver / bind_transceiver (fields as in `Bind`).
/// Slots: 0 system_id's NUL, 1 password's, 2 system_type's, 3 address_range's.
public struct BindPDU: PDUView {
    public let raw: RawPDU

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        var raw = RawPDU(header: header, reader: r)
        raw.setSlot(0, try r.cStringEnd(Field.systemID))
        raw.setSlot(1, try r.cStringEnd(Field.password))
        raw.setSlot(2, try r.cStringEnd(Field.systemType))
        try r.skip(1, "interface_version")
        try r.skip(1, "addr_ton")
        try r.skip(1, "addr_npi")
        raw.setSlot(3, try r.cStringEnd(Field.addressRange))
        _ = try r.tlvs()
        self.raw = raw
    }

    @inlinable
    public var kind: BindKind {
        switch raw.header.commandID {
        case .bind_receiver: .receiver
        case .bind_transceiver: .transceiver
        default: .transmitter
        }
    }
    @inlinable public var systemID: BytesView { raw.string(16, raw.slot(0)) }
    @inlinable public var password: BytesView { raw.string(raw.slot(0) &+ 1, raw.slot(1)) }
    @inlinable public var systemType: BytesView { raw.string(raw.slot(1) &+ 1, raw.slot(2)) }
    @inlinable public var interfaceVersion: UInt8 { raw.byte(raw.slot(2) &+ 1) }
    @inlinable public var addrTon: TON { TON(rawValue: raw.byte(raw.slot(2) &+ 2)) }
    @inlinable public var addrNpi: NPI { NPI(rawValue: raw.byte(raw.slot(2) &+ 3)) }
    @inlinable public var addressRange: BytesView { raw.string(raw.slot(2) &+ 4, raw.slot(3)) }
    @inlinable public var tlvs: TLVList { raw.tlvs(from: raw.slot(3) &+ 1) }

    public var encodable: Bind {
        Bind(kind: kind, sequenceNumber: sequenceNumber, systemID: systemID, password: password, systemType: systemType,
             interfaceVersion: interfaceVersion, addrTon: addrTon, addrNpi: addrNpi, addressRange: addressRange, tlvs: tlvs)
            .withCommandStatus(commandStatus)
    }
}

/// A decoded bind_*_resp (fields as in `BindResp`; sc_interface_version via
/// `tlvs.scInterfaceVersion`). An error response whose body was omitted has an empty systemID.
/// Slots: 0 system_id's NUL.
public struct BindRespPDU: PDUView {
    public let raw: RawPDU

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        var raw = RawPDU(header: header, reader: r)
        if !r.isOmittedErrorBody(header) {
            raw.setSlot(0, try r.cStringEnd(Field.systemID))
            _ = try r.tlvs()
        }
        self.raw = raw
    }

    @inlinable
    public var kind: BindKind {
        switch raw.header.commandID {
        case .bind_receiver_resp: .receiver
        case .bind_transceiver_resp: .transceiver
        default: .transmitter
        }
    }
    @inlinable public var systemID: BytesView { raw.hasNoBody ? .empty : raw.string(16, raw.slot(0)) }
    @inlinable public var tlvs: TLVList { raw.hasNoBody ? .none : raw.tlvs(from: raw.slot(0) &+ 1) }

    public var encodable: BindResp {
        BindResp(kind: kind, sequenceNumber: sequenceNumber, status: commandStatus, systemID: systemID, tlvs: tlvs)
    }
}

/// A decoded outbind (fields as in `Outbind`). Slots: 0 system_id's NUL, 1 password's.
public struct OutbindPDU: PDUView {
    public let raw: RawPDU

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        var raw = RawPDU(header: header, reader: r)
        raw.setSlot(0, try r.cStringEnd(Field.systemID))
        raw.setSlot(1, try r.cStringEnd(Field.password))
        _ = try r.tlvs()
        self.raw = raw
    }

    @inlinable public var systemID: BytesView { raw.string(16, raw.slot(0)) }
    @inlinable public var password: BytesView { raw.string(raw.slot(0) &+ 1, raw.slot(1)) }
    @inlinable public var tlvs: TLVList { raw.tlvs(from: raw.slot(1) &+ 1) }

    public var encodable: Outbind {
        Outbind(sequenceNumber: sequenceNumber, systemID: systemID, password: password, tlvs: tlvs).withCommandStatus(commandStatus)
    }
}
