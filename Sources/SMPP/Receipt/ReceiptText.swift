// ReceiptText: the delivery receipt's short_message text of C-DLV-1 (SMPP v3.4 Appendix B):
//   id:<id> sub:001 dlvrd:<001|000> submit date:<YYMMDDhhmm> done date:<YYMMDDhhmm>
//   stat:<STAT> err:<3 digits> text:<first 20 chars>
// Owns formatting it (per receipt: into the caller's buffer, no allocation); parsing is in
// ReceiptText+Parse.swift. The layout is written once, in `emit`, and drives both passes.
// Pure functions: any thread.

/// Formats and parses delivery receipt text (C-DLV-1).
public enum ReceiptText {
    /// Characters of the original message the `text:` field carries.
    public static let textFieldCharacterCount = 20

    /// Writes a receipt into `buffer` from its start index.
    ///
    /// - Parameters:
    ///   - id: the message_id bytes (e.g. `messageID.utf8`), written as given.
    ///   - state: gives `stat:`, and `dlvrd:` (001 when `.delivered`, else 000); `sub:` is
    ///     always 001 (one receipt per segment, C-SUB-5).
    ///   - submitDate, doneDate: UTC, written as YYMMDDhhmm (seconds dropped, year mod 100).
    ///   - errorCode: `err:`, three digits; clamped into 0...999.
    ///   - text: the original short_message text, UDH removed, in `textCoding`. The field
    ///     holds its first 20 characters counted as Unicode scalars (a UCS-2 emoji is one),
    ///     converted to ASCII: every non-ASCII character, and each unpaired surrogate,
    ///     becomes "?". An unsupported coding gives an empty field.
    ///   - buffer: any mutable byte collection with Int indices (an `[UInt8]` of
    ///     sufficient count, a raw mutable buffer over the output ring).
    /// - Returns: `.written(n)`, or `.needsCapacity(n)` with nothing written when the
    ///   buffer is shorter than the receipt. Never allocates.
    @inlinable
    public static func format<ID: Collection<UInt8>, Text: Collection<UInt8>, Buffer: MutableCollection<UInt8>>(
        id: ID, state: MessageState, submitDate: CivilDateTime, doneDate: CivilDateTime,
        errorCode: Int, text: Text, textCoding: DataCoding, into buffer: inout Buffer
    ) -> WriteOutcome where Buffer.Index == Int {
        // Every field but id and text has a fixed width (92 bytes in all) and text is at most
        // 20 bytes, so when the buffer holds that bound one pass writes and counts. Else
        // count first, so nothing is written when the receipt does not fit.
        if buffer.count < fixedFieldBytes + id.count + textFieldCharacterCount {
            var counter = ReceiptByteCounter()
            emit(id: id, state: state, submitDate: submitDate, doneDate: doneDate, errorCode: errorCode,
                 text: text, textCoding: textCoding, into: &counter)
            guard counter.count <= buffer.count else { return .needsCapacity(byteCount: counter.count) }
        }
        // The sink takes the buffer over (consume: no second reference, so an Array is not
        // copied on the first write) and hands it back.
        let start = buffer.startIndex
        var sink = ReceiptCollectionSink(buffer: consume buffer, index: start)
        emit(id: id, state: state, submitDate: submitDate, doneDate: doneDate, errorCode: errorCode,
             text: text, textCoding: textCoding, into: &sink)
        buffer = sink.buffer
        return .written(byteCount: sink.index - start)
    }

    /// The receipt's bytes other than the id and the text field's characters.
    @usableFromInline
    static let fixedFieldBytes = 92

    /// The receipt of `format(id:state:submitDate:doneDate:errorCode:text:textCoding:into:)`
    /// as a new array (allocates).
    public static func format<Text: Collection<UInt8>>(
        id: String, state: MessageState, submitDate: CivilDateTime, doneDate: CivilDateTime,
        errorCode: Int, text: Text, textCoding: DataCoding
    ) -> [UInt8] {
        var sink = ReceiptArraySink()
        emit(id: id.utf8, state: state, submitDate: submitDate, doneDate: doneDate, errorCode: errorCode,
             text: text, textCoding: textCoding, into: &sink)
        return sink.bytes
    }

    /// The same receipt with the original message given as a String: its first 20 Unicode
    /// scalars, non-ASCII ones as "?" (allocates).
    public static func format(
        id: String, state: MessageState, submitDate: CivilDateTime, doneDate: CivilDateTime,
        errorCode: Int, text: String
    ) -> [UInt8] {
        let ascii = text.unicodeScalars.prefix(textFieldCharacterCount).map { scalar in
            scalar.isASCII ? UInt8(scalar.value) : UInt8(ascii: "?")
        }
        return format(id: id, state: state, submitDate: submitDate, doneDate: doneDate,
                      errorCode: errorCode, text: ascii, textCoding: .ascii)
    }

    /// Produces the receipt byte by byte; the one place that knows the layout.
    @inlinable
    static func emit<ID: Collection<UInt8>, Text: Collection<UInt8>, Sink: ReceiptByteSink>(
        id: ID, state: MessageState, submitDate: CivilDateTime, doneDate: CivilDateTime,
        errorCode: Int, text: Text, textCoding: DataCoding, into sink: inout Sink
    ) {
        // A generic sink, not a closure: the writes specialise and inline (with a `put`
        // closure every byte would be an indirect call).
        // StaticString: its UTF-8 is read straight from the binary.
        func literal(_ string: StaticString) { string.withUTF8Buffer { for byte in $0 { sink.put(byte) } } }
        func digits(_ value: Int, count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            while divisor > 0 {
                sink.put(UInt8(ascii: "0") + UInt8(value / divisor % 10))
                divisor /= 10
            }
        }
        func date(_ date: CivilDateTime) {
            let year = date.year % 100
            digits(year < 0 ? year + 100 : year, count: 2)
            digits(min(max(date.month, 0), 99), count: 2)
            digits(min(max(date.day, 0), 99), count: 2)
            digits(min(max(date.hour, 0), 99), count: 2)
            digits(min(max(date.minute, 0), 99), count: 2)
        }
        literal("id:")
        for byte in id { sink.put(byte) }
        literal(" sub:001 dlvrd:")
        literal(state == .delivered ? "001" : "000")
        literal(" submit date:")
        date(submitDate)
        literal(" done date:")
        date(doneDate)
        literal(" stat:")
        literal(state.statLiteral)
        literal(" err:")
        digits(min(max(errorCode, 0), 999), count: 3)
        literal(" text:")
        emitTextField(text, coding: textCoding, into: &sink)
    }

    /// The first 20 characters of `text` as ASCII, "?" for anything else.
    @inlinable
    static func emitTextField<Text: Collection<UInt8>, Sink: ReceiptByteSink>(
        _ text: Text, coding: DataCoding, into sink: inout Sink
    ) {
        let question = UInt8(ascii: "?")
        switch coding.charset {
        case .ascii, .latin1:
            for byte in text.prefix(textFieldCharacterCount) { sink.put(byte <= 0x7F ? byte : question) }
        case .ucs2:
            var scalars = UCS2Scalars(text)
            var written = 0
            while written < textFieldCharacterCount, let step = scalars.next() {
                if case .scalar(let scalar) = step, scalar.isASCII {
                    sink.put(UInt8(scalar.value))
                } else {
                    sink.put(question)
                }
                written += 1
            }
        case nil:
            break
        }
    }
}

/// Where `ReceiptText.emit` puts the receipt's bytes, one at a time.
@usableFromInline
protocol ReceiptByteSink {
    mutating func put(_ byte: UInt8)
}

/// Counts the bytes (the first pass when the buffer might be too short).
@usableFromInline
struct ReceiptByteCounter: ReceiptByteSink {
    @usableFromInline var count = 0
    @inlinable init() {}
    @inlinable mutating func put(_ byte: UInt8) { count += 1 }
}

/// Writes into a mutable collection from `index` (the caller checked the room).
@usableFromInline
struct ReceiptCollectionSink<Buffer: MutableCollection<UInt8>>: ReceiptByteSink where Buffer.Index == Int {
    @usableFromInline var buffer: Buffer
    @usableFromInline var index: Int
    @inlinable init(buffer: consuming Buffer, index: Int) {
        self.buffer = buffer
        self.index = index
    }
    @inlinable mutating func put(_ byte: UInt8) {
        buffer[index] = byte
        index += 1
    }
}

/// Appends to a new array (the allocating convenience API).
@usableFromInline
struct ReceiptArraySink: ReceiptByteSink {
    @usableFromInline var bytes: [UInt8] = []
    @inlinable init() {}
    @inlinable mutating func put(_ byte: UInt8) { bytes.append(byte) }
}
