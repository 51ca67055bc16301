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
        try writeFields(&w)
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
}

/// A decoded bind_transmitter / bind_receiver / bind_transceiver (fields as in `Bind`).
public struct BindPDU: PDUView {
    public let raw: RawPDU

    @inlinable
    public var kind: BindKind {
        switch raw.header.commandID {
        case .bind_receiver: .receiver
        case .bind_transceiver: .transceiver
        default: .transmitter
        }
    }

    public var encodable: Bind {
        Bind(kind: kind, sequenceNumber: sequenceNumber, systemID: systemID, password: password, systemType: systemType,
             interfaceVersion: interfaceVersion, addrTon: addrTon, addrNpi: addrNpi, addressRange: addressRange, tlvs: tlvs)
            .withCommandStatus(commandStatus)
    }
}

/// A decoded bind_*_resp (fields as in `BindResp`; sc_interface_version via
/// `tlvs.scInterfaceVersion`). An error response whose body was omitted has an empty systemID.
public struct BindRespPDU: PDUView {
    public let raw: RawPDU

    @inlinable
    public var kind: BindKind {
        switch raw.header.commandID {
        case .bind_receiver_resp: .receiver
        case .bind_transceiver_resp: .transceiver
        default: .transmitter
        }
    }

    public var encodable: BindResp {
        BindResp(kind: kind, sequenceNumber: sequenceNumber, status: commandStatus, systemID: systemID, tlvs: tlvs)
    }
}

/// A decoded outbind (fields as in `Outbind`).
public struct OutbindPDU: PDUView {
    public let raw: RawPDU

    public var encodable: Outbind {
        Outbind(sequenceNumber: sequenceNumber, systemID: systemID, password: password, tlvs: tlvs).withCommandStatus(commandStatus)
    }
}
