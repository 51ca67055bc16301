// The field layout submit_sm and deliver_sm share (SMPP v3.4 §4.4.1, §4.6.1): one decoded view
// (ShortMessageView) for both, and the decode entry point that tries the hand-tuned fast path
// before the generated field-by-field decoder. The fields themselves, their encoder, the
// reference decoder and the view's accessors come from pdus.def (Generated/ShortMessageLayout.swift).
// Any thread that owns the buffer.

/// The decoded form of submit_sm and deliver_sm: every field computed from a `RawPDU`.
public protocol ShortMessageView: PDUView {}

extension RawPDU {
    /// Validates the submit_sm / deliver_sm body and records the ShortMessageView slots.
    init(decodingShortMessage r: inout PDUReader, header: PDUHeader) throws(FieldError) {
        self.init(header: header, reader: r)
        if let (s0, s1, s2, s3, s4) = r.fastShortMessageNULs() {
            slots = (UInt16(truncatingIfNeeded: s0), UInt16(truncatingIfNeeded: s1), UInt16(truncatingIfNeeded: s2),
                     UInt16(truncatingIfNeeded: s3), UInt16(truncatingIfNeeded: s4), 0, 0, 0)
            _ = try r.tlvs()
            return
        }
        // Slow path, only for malformed input: field by field, naming the failing field.
        try self.init(decodingShortMessageFieldByField: &r, header: header)
    }
}
