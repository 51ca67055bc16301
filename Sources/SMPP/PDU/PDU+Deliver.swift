// deliver_sm: SMPP v3.4 §4.6. deliver_sm carries MO messages (C-DLV-2) and delivery receipts
// (C-DLV-1). The struct, its view (DeliverSMPDU; receipt TLVs via `tlvs.receiptedMessageID`,
// `tlvs.messageState`, `tlvs.networkErrorCode`) and the fields come from pdus.def
// (Generated/ShortMessageLayout.swift); here only the receipt TLVs' encoding. Any thread.

extension DeliverSM {
    /// The mandatory fields and `tlvs`, then the receipt TLVs that are set. A
    /// receipted_message_id of 65 octets or more is ESME_RINVPARLEN (it must fit 65 with its NUL).
    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try writeFields(&w)
        if let receiptedMessageID {
            guard receiptedMessageID.count < 65 else { throw FieldError("receipted_message_id", .ESME_RINVPARLEN) }
            try w.tlvCString(.receipted_message_id, receiptedMessageID)
        }
        if let messageState { w.tlv(.message_state, uint8: messageState) }
        if let networkErrorCode {
            w.uint16(TLVTag.network_error_code.rawValue)
            w.uint16(3)
            w.uint8(networkErrorCode.networkType)
            w.uint16(networkErrorCode.errorCode)
        }
    }
}
