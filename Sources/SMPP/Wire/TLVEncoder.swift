// TLVEncoder: builds a TLV region in a caller-provided scratch buffer, to pass as `tlvs` to an
// encoder (message_payload, sar_*, data_sm_resp's TLVs …). No allocation; the caller's thread.
// Invariants: the block on the type below.

/// Appends TLVs into a scratch buffer; `tlvs` views what was written.
///
/// Invariants:
/// - `buffer` is the caller's; it must stay valid and unchanged while `tlvs` is used.
/// - `0 <= committed <= buffer.count`, and `buffer[0..<committed]` holds whole, well-formed
///   TLVs only: an append that does not fit (or breaks a length rule) is not committed, and
///   every later append is refused (`isComplete == false`).
/// - Writes go through PDUWriter, so nothing outside `buffer` is touched.
public struct TLVEncoder {
    @usableFromInline var writer: PDUWriter
    @usableFromInline let buffer: UnsafeMutableRawBufferPointer
    /// False once an append did not fit or broke a length rule; `tlvs` then holds only the
    /// TLVs appended before.
    public private(set) var isComplete = true
    @usableFromInline var committed = 0

    /// An encoder over `buffer`, which the caller keeps alive while `tlvs` is used.
    public init(unsafeBuffer buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
        self.writer = PDUWriter(unsafeBuffer: buffer)
    }

    /// The TLVs written so far.
    public var tlvs: TLVList {
        TLVList(bytes: BytesView(unsafeBorrowing: UnsafeRawBufferPointer(rebasing: buffer[0..<committed])))
    }

    private mutating func append(_ body: (inout PDUWriter) throws(FieldError) -> Void) {
        guard isComplete else { return }
        do {
            try body(&writer)
        } catch {
            isComplete = false
            return
        }
        if writer.count > buffer.count { isComplete = false } else { committed = writer.count }
    }

    public mutating func append(_ tag: TLVTag, _ value: BytesView) { append { w throws(FieldError) in try w.tlv(tag, value) } }
    public mutating func appendCString(_ tag: TLVTag, _ value: BytesView) { append { w throws(FieldError) in try w.tlvCString(tag, value) } }
    public mutating func append(_ tag: TLVTag, uint8 value: UInt8) { append { w in w.tlv(tag, uint8: value) } }
    public mutating func append(_ tag: TLVTag, uint16 value: UInt16) { append { w in w.tlv(tag, uint16: value) } }
    public mutating func append(_ tag: TLVTag, uint32 value: UInt32) { append { w in w.tlv(tag, uint32: value) } }
}
