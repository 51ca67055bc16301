// MessageID: the message_id of C-SUB-1 as a 64-bit value, rendered as hex or decimal text
// (the configured MessageIDFormat) and parsed back from what a client sends in query_sm and
// cancel_sm (C-MGT-1, C-MGT-2). How ids are made unique is in MessageIDGenerator.swift.
// Pure values: any thread. Rendering and parsing never allocate.
// Unsafe code (allowlisted, STYLE 9.3). Invariant: rendering copies at most 16 bytes out of a
// 16-byte stack value into a buffer the caller checked holds `length` bytes.

import SMPP

/// How message_ids are written on the wire, to mimic a given carrier.
public enum MessageIDFormat: String, Hashable, Sendable, CaseIterable {
    /// Lowercase hexadecimal, at most 16 characters ("1b3f0c2a9d000007").
    case hex
    /// Uppercase hexadecimal, at most 16 characters ("1B3F0C2A9D000007").
    case upperHex = "upper-hex"
    /// Decimal, at most 20 digits ("1963527458213625863").
    case decimal

    /// The longest text an id can have in this format.
    @inlinable
    public var maximumLength: Int { self == .decimal ? 20 : 16 }
}

/// A message_id (C-SUB-1): the same 64-bit value behind submit_sm_resp, the receipt's `id:`,
/// receipted_message_id, query_sm and cancel_sm. Zero is never issued.
///
/// The text form is canonical: no leading zeros, no sign, no padding. One id has exactly one
/// text per format, so the string a client saw in submit_sm_resp is the one it finds in the
/// receipt.
public struct MessageID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    @inlinable
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable
    public static func < (lhs: MessageID, rhs: MessageID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The id's text in `format`, held inline (never allocates).
    @inlinable
    public func text(_ format: MessageIDFormat) -> ShortBytes {
        var digits = ShortBytes()
        var value = rawValue
        // Digits come out least significant first; collect them reversed, then flip.
        var reversed = ShortBytes()
        let radix: UInt64 = format == .decimal ? 10 : 16
        let letterBase = format == .upperHex ? UInt8(ascii: "A") : UInt8(ascii: "a")
        repeat {
            let digit = UInt8(truncatingIfNeeded: value % radix)
            _ = reversed.append(digit < 10 ? UInt8(ascii: "0") + digit : letterBase + digit - 10)
            value /= radix
        } while value != 0
        for index in stride(from: reversed.count - 1, through: 0, by: -1) {
            _ = digits.append(reversed[index])
        }
        return digits
    }

    /// Writes the id's text in `format` from `buffer`'s start index.
    ///
    /// - Returns: `.written(n)`, or `.needsCapacity(n)` with nothing written when `buffer` is
    ///   shorter than the text. Never allocates. Digits go straight into the buffer, right to
    ///   left, with no intermediate `text` built one append at a time: this runs for every
    ///   submit_sm_resp.
    @inlinable
    public func render<Buffer: MutableCollection<UInt8>>(
        _ format: MessageIDFormat, into buffer: inout Buffer
    ) -> WriteOutcome where Buffer.Index == Int {
        if format != .decimal { return renderHex(upper: format == .upperHex, into: &buffer) }
        // A constant divisor: a division by a variable radix is a real `div`, tens of cycles
        // per digit.
        let decimal = format == .decimal
        var length = 1
        var rest = decimal ? rawValue / 10 : rawValue >> 4
        while rest != 0 {
            length += 1
            rest = decimal ? rest / 10 : rest >> 4
        }
        guard length <= buffer.count else { return .needsCapacity(byteCount: length) }
        let letterBase = format == .upperHex ? UInt8(ascii: "A") &- 10 : UInt8(ascii: "a") &- 10
        var index = buffer.startIndex + length
        var value = rawValue
        repeat {
            index -= 1
            let digit = UInt8(truncatingIfNeeded: decimal ? value % 10 : value & 0xF)
            buffer[index] = digit < 10 ? UInt8(ascii: "0") &+ digit : letterBase &+ digit
            value = decimal ? value / 10 : value >> 4
        } while value != 0
        return .written(byteCount: length)
    }

    /// `render` for the hex formats, all 16 digits at once: the nibbles are spread into the
    /// bytes of two words and turned into ASCII there, a fraction of a digit loop's work (hex
    /// is the default format, written into every submit_sm_resp).
    @inlinable
    func renderHex<Buffer: MutableCollection<UInt8>>(upper: Bool, into buffer: inout Buffer) -> WriteOutcome
    where Buffer.Index == Int {
        let length = Swift.max(1, (64 - rawValue.leadingZeroBitCount + 3) / 4)
        guard length <= buffer.count else { return .needsCapacity(byteCount: length) }
        // Bytes 0...7 of a word get nibbles 0...7 (least significant first), then ASCII.
        @inline(__always) func digits(_ half: UInt32) -> UInt64 {
            var v = UInt64(half)
            v = (v | v &<< 16) & 0x0000_FFFF_0000_FFFF
            v = (v | v &<< 8) & 0x00FF_00FF_00FF_00FF
            v = (v | v &<< 4) & 0x0F0F_0F0F_0F0F_0F0F
            let letters = ((v &+ 0x0606_0606_0606_0606) & 0x1010_1010_1010_1010) >> 4   // 1 where nibble >= 10
            let letterOffset: UInt64 = upper ? 7 : 39   // "A" or "a", less "0" and 10
            return v &+ 0x3030_3030_3030_3030 &+ letters &* letterOffset
        }
        // Text order is most significant first: text byte 0 is the high half's top byte, so
        // the words go to memory big-endian. The id is the text's last `length` bytes.
        let text = (digits(UInt32(truncatingIfNeeded: rawValue >> 32)).bigEndian, digits(UInt32(truncatingIfNeeded: rawValue)).bigEndian)
        withUnsafeBytes(of: text) { all in
            let id = UnsafeRawBufferPointer(rebasing: all[(16 - length)...])
            let copied = buffer.withContiguousMutableStorageIfAvailable { out in
                UnsafeMutableRawBufferPointer(out).copyMemory(from: id)
            }
            if copied == nil {
                for (offset, byte) in id.enumerated() { buffer[buffer.startIndex + offset] = byte }
            }
        }
        return .written(byteCount: length)
    }

    /// The id's text in `format` as a String (allocates; for logs and tests).
    public func string(_ format: MessageIDFormat) -> String {
        text(format).description
    }

    /// Lowercase hex, for logs.
    public var description: String { string(.hex) }

    /// The id a client's message_id bytes name, or nil ("unknown id": ESME_RQUERYFAIL,
    /// ESME_RCANCELFAIL) when they are not the canonical text of an id in `format`.
    ///
    /// Rejects: empty; longer than `format.maximumLength`; any byte that is not a digit of the
    /// format (hex accepts either letter case, since some clients upper-case ids they store;
    /// decimal accepts digits only); a leading "0"; a value above UInt64.max. The bytes
    /// exclude the C-Octet string's NUL. Never allocates.
    @inlinable
    public init?<Bytes: Collection<UInt8>>(parsing bytes: Bytes, format: MessageIDFormat) {
        guard let first = bytes.first, first != UInt8(ascii: "0"),
              bytes.count <= format.maximumLength else { return nil }
        var value: UInt64 = 0
        let radix: UInt64 = format == .decimal ? 10 : 16
        for byte in bytes {
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where format != .decimal:
                digit = UInt64(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F") where format != .decimal:
                digit = UInt64(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            let (scaled, overflowScale) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflowAdd) = scaled.addingReportingOverflow(digit)
            guard !overflowScale, !overflowAdd else { return nil }
            value = sum
        }
        self.init(rawValue: value)
    }

    /// `init(parsing:format:)` over a String's UTF-8.
    @inlinable
    public init?(parsing string: String, format: MessageIDFormat) {
        self.init(parsing: string.utf8, format: format)
    }
}
