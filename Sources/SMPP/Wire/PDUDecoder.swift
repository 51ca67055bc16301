// PDUDecoder: the entry point that turns one framed PDU into a DecodedPDU or a DecodeError.
// Reads in place through PDUReader; allocates nothing; the caller's thread.
// Invariants: PDUReader's (nothing is read outside `pdu`).

/// Decodes one complete PDU.
public enum PDUDecoder {
    /// Decodes `pdu`, which must hold exactly one PDU (`pdu.count == command_length`, as
    /// `PDUFramer.frame` reports). Never traps and never reads outside `pdu`, whatever it holds.
    /// - Success: the PDU, whose views point into `pdu` (valid while the caller keeps it).
    /// - Failure: a `DecodeError` naming the field and the status to answer with. Fewer than 16
    ///   octets, or a command_length other than `pdu.count`: field "command_length",
    ///   ESME_RINVCMDLEN. Unknown command_id: field "command_id", ESME_RINVCMDID.
    public static func decode(_ pdu: UnsafeRawBufferPointer) -> Result<DecodedPDU, DecodeError> {
        guard let base = pdu.baseAddress, pdu.count >= PDUHeader.size else {
            let header = PDUHeader(commandLength: UInt32(truncatingIfNeeded: pdu.count), commandID: CommandID(rawValue: 0),
                                   commandStatus: .ESME_ROK, sequenceNumber: 0)
            return .failure(DecodeError(header: header, field: "command_length", status: .ESME_RINVCMDLEN))
        }
        let header = PDUReader.uncheckedHeader(at: base)
        guard Int(header.commandLength) == pdu.count else {
            return .failure(DecodeError(header: header, field: "command_length", status: .ESME_RINVCMDLEN))
        }
        var reader = PDUReader(base: base, count: pdu.count, offset: PDUHeader.size)
        return DecodedPDU.decodeBody(of: header, from: &reader)
    }
}
