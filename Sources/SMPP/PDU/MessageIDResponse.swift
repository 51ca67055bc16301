// The response shape submit_sm_resp, deliver_sm_resp and data_sm_resp share: a message_id then
// optional parameters (SMPP v3.4 §4.4.2, §4.6.2, §4.7.2). One decode and one encode routine;
// the three structs come from pdus.def (Generated/MessageIDResponses.swift).

/// A response whose body is message_id (C-Octet String, max 65) followed by TLVs.
public protocol MessageIDResponse: EncodablePDU {
    var messageID: BytesView { get set }
    var tlvs: TLVList { get set }
    init(sequenceNumber: UInt32, status commandStatus: CommandStatus, messageID: BytesView, tlvs: TLVList)
}

extension MessageIDResponse {
    init(decoding r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(sequenceNumber: header.sequenceNumber, status: header.commandStatus, messageID: .empty, tlvs: .none)
        if r.isOmittedErrorBody(header) { return }
        messageID = try r.cString(Field.messageID)
        tlvs = try r.tlvs()
    }

    public func writeBody(to w: inout PDUWriter) throws(FieldError) {
        try w.cString(messageID, Field.messageID)
        w.bytes(tlvs.bytes)
    }
}
