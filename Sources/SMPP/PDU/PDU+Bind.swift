// bind_transmitter / bind_receiver / bind_transceiver (+ _resp) and outbind: SMPP v3.4 §4.1.
// The structs, their views and the fields come from pdus.def (Generated/Bind*Layout.swift,
// OutbindLayout.swift); here the bind kind and sc_interface_version. Value types holding views
// into the decoded buffer (see BytesView for lifetimes); any thread that owns the buffer.

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

extension BindResp {
    /// The mandatory fields and `tlvs`, then sc_interface_version when set.
    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try writeFields(&w)
        if let scInterfaceVersion { w.tlv(.sc_interface_version, uint8: scInterfaceVersion) }
    }
}

extension BindPDU {
    /// Which bind, from the command_id.
    @inlinable
    public var kind: BindKind {
        switch raw.header.commandID {
        case .bind_receiver: .receiver
        case .bind_transceiver: .transceiver
        default: .transmitter
        }
    }
}

extension BindRespPDU {
    /// Which bind this answers, from the command_id. sc_interface_version: `tlvs.scInterfaceVersion`.
    @inlinable
    public var kind: BindKind {
        switch raw.header.commandID {
        case .bind_receiver_resp: .receiver
        case .bind_transceiver_resp: .transceiver
        default: .transmitter
        }
    }
}
