// DecodedPDU: the result of decoding one PDU, one case per v3.4 command, and the dispatch from
// command_id to each type's decoder. Views into the caller's buffer (BytesView lifetimes).

/// One decoded PDU. Every string and octet field is a view into the buffer given to
/// `PDUDecoder.decode`, valid only while that buffer is unchanged.
public enum DecodedPDU {
    case bindTransmitter(Bind)
    case bindReceiver(Bind)
    case bindTransceiver(Bind)
    case bindTransmitterResp(BindResp)
    case bindReceiverResp(BindResp)
    case bindTransceiverResp(BindResp)
    case outbind(Outbind)
    case unbind(Unbind)
    case unbindResp(UnbindResp)
    case genericNack(GenericNack)
    case submitSM(SubmitSM)
    case submitSMResp(SubmitSMResp)
    case submitMulti(SubmitMulti)
    case submitMultiResp(SubmitMultiResp)
    case deliverSM(DeliverSM)
    case deliverSMResp(DeliverSMResp)
    case dataSM(DataSM)
    case dataSMResp(DataSMResp)
    case querySM(QuerySM)
    case querySMResp(QuerySMResp)
    case cancelSM(CancelSM)
    case cancelSMResp(CancelSMResp)
    case replaceSM(ReplaceSM)
    case replaceSMResp(ReplaceSMResp)
    case enquireLink(EnquireLink)
    case enquireLinkResp(EnquireLinkResp)
    case alertNotification(AlertNotification)

    /// Decodes the body for `header.commandID`; the reader is positioned after the header.
    init(decodingBodyOf header: PDUHeader, from r: inout PDUReader) throws(FieldError) {
        switch header.commandID {
        case .submit_sm: self = .submitSM(try SubmitSM(decoding: &r, header: header))
        case .deliver_sm_resp: self = .deliverSMResp(try DeliverSMResp(decoding: &r, header: header))
        case .enquire_link: self = .enquireLink(try EnquireLink(decoding: &r, header: header))
        case .enquire_link_resp: self = .enquireLinkResp(try EnquireLinkResp(decoding: &r, header: header))
        case .deliver_sm: self = .deliverSM(try DeliverSM(decoding: &r, header: header))
        case .submit_sm_resp: self = .submitSMResp(try SubmitSMResp(decoding: &r, header: header))
        case .bind_transmitter: self = .bindTransmitter(try Bind(decoding: &r, header: header, kind: .transmitter))
        case .bind_receiver: self = .bindReceiver(try Bind(decoding: &r, header: header, kind: .receiver))
        case .bind_transceiver: self = .bindTransceiver(try Bind(decoding: &r, header: header, kind: .transceiver))
        case .bind_transmitter_resp: self = .bindTransmitterResp(try BindResp(decoding: &r, header: header, kind: .transmitter))
        case .bind_receiver_resp: self = .bindReceiverResp(try BindResp(decoding: &r, header: header, kind: .receiver))
        case .bind_transceiver_resp: self = .bindTransceiverResp(try BindResp(decoding: &r, header: header, kind: .transceiver))
        case .outbind: self = .outbind(try Outbind(decoding: &r, header: header))
        case .unbind: self = .unbind(try Unbind(decoding: &r, header: header))
        case .unbind_resp: self = .unbindResp(try UnbindResp(decoding: &r, header: header))
        case .generic_nack: self = .genericNack(try GenericNack(decoding: &r, header: header))
        case .submit_multi: self = .submitMulti(try SubmitMulti(decoding: &r, header: header))
        case .submit_multi_resp: self = .submitMultiResp(try SubmitMultiResp(decoding: &r, header: header))
        case .data_sm: self = .dataSM(try DataSM(decoding: &r, header: header))
        case .data_sm_resp: self = .dataSMResp(try DataSMResp(decoding: &r, header: header))
        case .query_sm: self = .querySM(try QuerySM(decoding: &r, header: header))
        case .query_sm_resp: self = .querySMResp(try QuerySMResp(decoding: &r, header: header))
        case .cancel_sm: self = .cancelSM(try CancelSM(decoding: &r, header: header))
        case .cancel_sm_resp: self = .cancelSMResp(try CancelSMResp(decoding: &r, header: header))
        case .replace_sm: self = .replaceSM(try ReplaceSM(decoding: &r, header: header))
        case .replace_sm_resp: self = .replaceSMResp(try ReplaceSMResp(decoding: &r, header: header))
        case .alert_notification: self = .alertNotification(try AlertNotification(decoding: &r, header: header))
        default: throw FieldError("command_id", .ESME_RINVCMDID)
        }
    }

    /// The decoded PDU as something encodable (for re-encoding, relaying, logging).
    public var pdu: any EncodablePDU {
        switch self {
        case .bindTransmitter(let p), .bindReceiver(let p), .bindTransceiver(let p): p
        case .bindTransmitterResp(let p), .bindReceiverResp(let p), .bindTransceiverResp(let p): p
        case .outbind(let p): p
        case .unbind(let p): p
        case .unbindResp(let p): p
        case .genericNack(let p): p
        case .submitSM(let p): p
        case .submitSMResp(let p): p
        case .submitMulti(let p): p
        case .submitMultiResp(let p): p
        case .deliverSM(let p): p
        case .deliverSMResp(let p): p
        case .dataSM(let p): p
        case .dataSMResp(let p): p
        case .querySM(let p): p
        case .querySMResp(let p): p
        case .cancelSM(let p): p
        case .cancelSMResp(let p): p
        case .replaceSM(let p): p
        case .replaceSMResp(let p): p
        case .enquireLink(let p): p
        case .enquireLinkResp(let p): p
        case .alertNotification(let p): p
        }
    }

    /// The command_id this PDU was decoded from.
    public var commandID: CommandID { pdu.commandID }
    /// The sequence_number from the header.
    public var sequenceNumber: UInt32 { pdu.sequenceNumber }
    /// The command_status from the header.
    public var commandStatus: CommandStatus { pdu.commandStatus }
}
