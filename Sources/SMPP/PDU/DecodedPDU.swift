// DecodedPDU: the result of decoding one PDU, one case per v3.4 command, and the dispatch from
// command_id to each type's decoder. Views into the caller's buffer (BytesView lifetimes).

/// One decoded PDU. Body-bearing requests (and the larger responses) come as `…PDU` views: a
/// 40-byte `RawPDU` whose fields are computed on access, named as in the matching encodable
/// type (`SubmitSMPDU.destinationAddr` ~ `SubmitSM.destinationAddr`; `.encodable` converts).
/// Small responses come as their encodable type directly. Every string and octet field is a
/// view into the buffer given to `PDUDecoder.decode`, valid only while that buffer is unchanged.
public enum DecodedPDU {
    case bindTransmitter(BindPDU)
    case bindReceiver(BindPDU)
    case bindTransceiver(BindPDU)
    case bindTransmitterResp(BindRespPDU)
    case bindReceiverResp(BindRespPDU)
    case bindTransceiverResp(BindRespPDU)
    case outbind(OutbindPDU)
    case unbind(Unbind)
    case unbindResp(UnbindResp)
    case genericNack(GenericNack)
    case submitSM(SubmitSMPDU)
    case submitSMResp(SubmitSMResp)
    case submitMulti(SubmitMultiPDU)
    case submitMultiResp(SubmitMultiRespPDU)
    case deliverSM(DeliverSMPDU)
    case deliverSMResp(DeliverSMResp)
    case dataSM(DataSMPDU)
    case dataSMResp(DataSMResp)
    case querySM(QuerySMPDU)
    case querySMResp(QuerySMRespPDU)
    case cancelSM(CancelSMPDU)
    case cancelSMResp(CancelSMResp)
    case replaceSM(ReplaceSMPDU)
    case replaceSMResp(ReplaceSMResp)
    case enquireLink(EnquireLink)
    case enquireLinkResp(EnquireLinkResp)
    case alertNotification(AlertNotificationPDU)

    /// Decodes the body for `header.commandID`; the reader is positioned after the header.
    /// Inlined into PDUDecoder.decode, and each case returns its own `.success`, so the payload
    /// is built in the caller's result instead of being copied through temporaries.
    @inline(__always)
    static func decodeBody(of header: PDUHeader, from r: inout PDUReader) -> Result<DecodedPDU, DecodeError> {
        do throws(FieldError) {
            switch header.commandID {
            case .submit_sm: return .success(.submitSM(try SubmitSMPDU(decoding: &r, header: header)))
            case .deliver_sm_resp: return .success(.deliverSMResp(try DeliverSMResp(decoding: &r, header: header)))
            case .enquire_link: return .success(.enquireLink(try EnquireLink(decoding: &r, header: header)))
            case .enquire_link_resp: return .success(.enquireLinkResp(try EnquireLinkResp(decoding: &r, header: header)))
            case .deliver_sm: return .success(.deliverSM(try DeliverSMPDU(decoding: &r, header: header)))
            case .submit_sm_resp: return .success(.submitSMResp(try SubmitSMResp(decoding: &r, header: header)))
            case .bind_transmitter: return .success(.bindTransmitter(try BindPDU(decoding: &r, header: header)))
            case .bind_receiver: return .success(.bindReceiver(try BindPDU(decoding: &r, header: header)))
            case .bind_transceiver: return .success(.bindTransceiver(try BindPDU(decoding: &r, header: header)))
            case .bind_transmitter_resp: return .success(.bindTransmitterResp(try BindRespPDU(decoding: &r, header: header)))
            case .bind_receiver_resp: return .success(.bindReceiverResp(try BindRespPDU(decoding: &r, header: header)))
            case .bind_transceiver_resp: return .success(.bindTransceiverResp(try BindRespPDU(decoding: &r, header: header)))
            case .outbind: return .success(.outbind(try OutbindPDU(decoding: &r, header: header)))
            case .unbind: return .success(.unbind(try Unbind(decoding: &r, header: header)))
            case .unbind_resp: return .success(.unbindResp(try UnbindResp(decoding: &r, header: header)))
            case .generic_nack: return .success(.genericNack(try GenericNack(decoding: &r, header: header)))
            case .submit_multi: return .success(.submitMulti(try SubmitMultiPDU(decoding: &r, header: header)))
            case .submit_multi_resp: return .success(.submitMultiResp(try SubmitMultiRespPDU(decoding: &r, header: header)))
            case .data_sm: return .success(.dataSM(try DataSMPDU(decoding: &r, header: header)))
            case .data_sm_resp: return .success(.dataSMResp(try DataSMResp(decoding: &r, header: header)))
            case .query_sm: return .success(.querySM(try QuerySMPDU(decoding: &r, header: header)))
            case .query_sm_resp: return .success(.querySMResp(try QuerySMRespPDU(decoding: &r, header: header)))
            case .cancel_sm: return .success(.cancelSM(try CancelSMPDU(decoding: &r, header: header)))
            case .cancel_sm_resp: return .success(.cancelSMResp(try CancelSMResp(decoding: &r, header: header)))
            case .replace_sm: return .success(.replaceSM(try ReplaceSMPDU(decoding: &r, header: header)))
            case .replace_sm_resp: return .success(.replaceSMResp(try ReplaceSMResp(decoding: &r, header: header)))
            case .alert_notification: return .success(.alertNotification(try AlertNotificationPDU(decoding: &r, header: header)))
            default: throw FieldError("command_id", .ESME_RINVCMDID)
            }
        } catch {
            return .failure(DecodeError(header: header, field: error.field, status: error.status))
        }
    }

    /// The decoded PDU as its encodable type, boxed (allocates for the larger types: tests and
    /// tools only; on a hot path use `encode(into:)` or the view's `.encodable`).
    public var pdu: any EncodablePDU {
        switch self {
        case .bindTransmitter(let p), .bindReceiver(let p), .bindTransceiver(let p): p.encodable
        case .bindTransmitterResp(let p), .bindReceiverResp(let p), .bindTransceiverResp(let p): p.encodable
        case .outbind(let p): p.encodable
        case .unbind(let p): p
        case .unbindResp(let p): p
        case .genericNack(let p): p
        case .submitSM(let p): p.encodable
        case .submitSMResp(let p): p
        case .submitMulti(let p): p.encodable
        case .submitMultiResp(let p): p.encodable
        case .deliverSM(let p): p.encodable
        case .deliverSMResp(let p): p
        case .dataSM(let p): p.encodable
        case .dataSMResp(let p): p
        case .querySM(let p): p.encodable
        case .querySMResp(let p): p.encodable
        case .cancelSM(let p): p.encodable
        case .cancelSMResp(let p): p
        case .replaceSM(let p): p.encodable
        case .replaceSMResp(let p): p
        case .enquireLink(let p): p
        case .enquireLinkResp(let p): p
        case .alertNotification(let p): p.encodable
        }
    }

    /// (command_id, command_status, sequence_number) without building anything.
    @inlinable
    var headerFields: (CommandID, CommandStatus, UInt32) {
        switch self {
        case .bindTransmitter(let p), .bindReceiver(let p), .bindTransceiver(let p): (p.raw.header.commandID, p.commandStatus, p.sequenceNumber)
        case .bindTransmitterResp(let p), .bindReceiverResp(let p), .bindTransceiverResp(let p): (p.raw.header.commandID, p.commandStatus, p.sequenceNumber)
        case .outbind(let p): (.outbind, p.commandStatus, p.sequenceNumber)
        case .unbind(let p): (.unbind, p.commandStatus, p.sequenceNumber)
        case .unbindResp(let p): (.unbind_resp, p.commandStatus, p.sequenceNumber)
        case .genericNack(let p): (.generic_nack, p.commandStatus, p.sequenceNumber)
        case .submitSM(let p): (.submit_sm, p.commandStatus, p.sequenceNumber)
        case .submitSMResp(let p): (.submit_sm_resp, p.commandStatus, p.sequenceNumber)
        case .submitMulti(let p): (.submit_multi, p.commandStatus, p.sequenceNumber)
        case .submitMultiResp(let p): (.submit_multi_resp, p.commandStatus, p.sequenceNumber)
        case .deliverSM(let p): (.deliver_sm, p.commandStatus, p.sequenceNumber)
        case .deliverSMResp(let p): (.deliver_sm_resp, p.commandStatus, p.sequenceNumber)
        case .dataSM(let p): (.data_sm, p.commandStatus, p.sequenceNumber)
        case .dataSMResp(let p): (.data_sm_resp, p.commandStatus, p.sequenceNumber)
        case .querySM(let p): (.query_sm, p.commandStatus, p.sequenceNumber)
        case .querySMResp(let p): (.query_sm_resp, p.commandStatus, p.sequenceNumber)
        case .cancelSM(let p): (.cancel_sm, p.commandStatus, p.sequenceNumber)
        case .cancelSMResp(let p): (.cancel_sm_resp, p.commandStatus, p.sequenceNumber)
        case .replaceSM(let p): (.replace_sm, p.commandStatus, p.sequenceNumber)
        case .replaceSMResp(let p): (.replace_sm_resp, p.commandStatus, p.sequenceNumber)
        case .enquireLink(let p): (.enquire_link, p.commandStatus, p.sequenceNumber)
        case .enquireLinkResp(let p): (.enquire_link_resp, p.commandStatus, p.sequenceNumber)
        case .alertNotification(let p): (.alert_notification, p.commandStatus, p.sequenceNumber)
        }
    }

    /// The command_id this PDU was decoded from.
    @inlinable public var commandID: CommandID { headerFields.0 }
    /// The command_status from the header.
    @inlinable public var commandStatus: CommandStatus { headerFields.1 }
    /// The sequence_number from the header.
    @inlinable public var sequenceNumber: UInt32 { headerFields.2 }
}
