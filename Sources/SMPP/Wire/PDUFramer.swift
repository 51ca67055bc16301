// PDUFramer: finds PDU boundaries in a byte stream by command_length alone (C-ERR-2), and peeks
// at headers. Reads at most the first 16 octets of the region; allocates nothing; any thread.
// Invariants: reads only inside `bytes`, with unaligned big-endian loads.

/// What the start of a byte region holds.
public enum Framing: Hashable, Sendable {
    /// Not enough bytes yet to know (fewer than 4), or the PDU is not complete yet.
    case needMoreBytes
    /// A whole PDU of this many octets starts the region.
    case pdu(length: Int)
    /// command_length below 16 or above the maximum: answer generic_nack ESME_RINVCMDLEN and
    /// close the connection, since the stream cannot be resynchronised (C-ERR-2).
    case badCommandLength(UInt32)
}

/// Framing by command_length.
public enum PDUFramer {
    /// Classifies the start of `bytes`. `maxPDULength` is the largest command_length accepted.
    @inlinable
    public static func frame(_ bytes: UnsafeRawBufferPointer, maxPDULength: Int) -> Framing {
        frame(bytes, maxPDULength: maxPDULength, maxPayloadPDULength: maxPDULength)
    }

    /// As `frame(_:maxPDULength:)`, but allows up to `maxPayloadPDULength` for the commands that
    /// can carry a message_payload TLV (submit_sm, deliver_sm, data_sm, submit_multi): C-ERR-2's
    /// "4 KiB, a message_payload PDU up to 70 KiB". The decoder does not re-check the limit; a
    /// server that wants "large only with message_payload" checks `tlvs.messagePayload`.
    @inlinable
    public static func frame(_ bytes: UnsafeRawBufferPointer, maxPDULength: Int, maxPayloadPDULength: Int) -> Framing {
        guard bytes.count >= 4, let base = bytes.baseAddress else { return .needMoreBytes }
        let length = UInt32(bigEndian: base.loadUnaligned(as: UInt32.self))
        if length < UInt32(PDUHeader.size) { return .badCommandLength(length) }
        if Int(length) > maxPDULength {
            if Int(length) > Swift.max(maxPDULength, maxPayloadPDULength) { return .badCommandLength(length) }
            guard bytes.count >= 8 else { return .needMoreBytes }
            let id = UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            switch CommandID(rawValue: id) {
            case .submit_sm, .deliver_sm, .data_sm, .submit_multi: break
            default: return .badCommandLength(length)
            }
        }
        return bytes.count >= Int(length) ? .pdu(length: Int(length)) : .needMoreBytes
    }

    /// The header at the start of `bytes`, or nil when fewer than 16 octets are there. Nothing
    /// is validated: use it to find the sequence_number for a generic_nack.
    @inlinable
    public static func peekHeader(_ bytes: UnsafeRawBufferPointer) -> PDUHeader? {
        guard bytes.count >= PDUHeader.size, let base = bytes.baseAddress else { return nil }
        return PDUHeader(
            commandLength: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 0, as: UInt32.self)),
            commandID: CommandID(rawValue: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 4, as: UInt32.self))),
            commandStatus: CommandStatus(rawValue: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 8, as: UInt32.self))),
            sequenceNumber: UInt32(bigEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        )
    }
}
