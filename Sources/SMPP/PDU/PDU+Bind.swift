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

    init(decoding r: inout PDUReader, header: PDUHeader, kind: BindKind) throws(FieldError) {
        self.kind = kind
        sequenceNumber = header.sequenceNumber
        commandStatus = header.commandStatus
        systemID = try r.cString(Field.systemID)
        password = try r.cString(Field.password)
        systemType = try r.cString(Field.systemType)
        interfaceVersion = try r.uint8("interface_version")
        addrTon = TON(rawValue: try r.uint8("addr_ton"))
        addrNpi = NPI(rawValue: try r.uint8("addr_npi"))
        addressRange = try r.cString(Field.addressRange)
        tlvs = try r.tlvs()
    }

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
        kind: BindKind, sequenceNumber: UInt32, commandStatus: CommandStatus = .ESME_ROK,
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

    init(decoding r: inout PDUReader, header: PDUHeader, kind: BindKind) throws(FieldError) {
        self.init(kind: kind, sequenceNumber: header.sequenceNumber, commandStatus: header.commandStatus, systemID: .empty)
        if r.isOmittedErrorBody(header) { return }
        systemID = try r.cString(Field.systemID)
        tlvs = try r.tlvs()
    }

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

    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        sequenceNumber = header.sequenceNumber
        commandStatus = header.commandStatus
        systemID = try r.cString(Field.systemID)
        password = try r.cString(Field.password)
        tlvs = try r.tlvs()
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(systemID, Field.systemID)
        try w.cString(password, Field.password)
        w.bytes(tlvs.bytes)
    }
}
