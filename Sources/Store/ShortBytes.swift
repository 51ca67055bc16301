// ShortBytes: up to 20 bytes held inline in three integers, never on the heap. Used for the
// short fields a record keeps (system_id, addresses, the receipt's text prefix) and for a
// rendered message_id, so storing or rendering them allocates nothing. Pure value: any thread.
// Invariant: bytes at positions >= count are zero (so synthesized == and hash are exact).

/// At most `capacity` (20) bytes stored inline; a `RandomAccessCollection` of `UInt8`.
///
/// 20 covers every field it holds: system_id (15 characters, SMPP v3.4 5.2.1), addresses
/// (20 characters), the receipt's 20-character `text:` field and a decimal UInt64 (20 digits).
public struct ShortBytes: RandomAccessCollection, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The most bytes a ShortBytes holds.
    public static let capacity = 20

    // Bytes 0..<8 in `low` and 8..<16 in `middle` (byte i at bits 8*(i%8)), 16..<20 in `high`.
    @usableFromInline var low: UInt64 = 0
    @usableFromInline var middle: UInt64 = 0
    @usableFromInline var high: UInt32 = 0
    @usableFromInline var length: UInt8 = 0

    /// The empty value.
    @inlinable
    public init() {}

    /// The bytes of `bytes`, or nil when there are more than 20. Never allocates.
    @inlinable
    public init?<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        for byte in bytes {
            guard append(byte) else { return nil }
        }
    }

    /// The first 20 bytes of `bytes` (the rest ignored). Never allocates.
    @inlinable
    public init<Bytes: Sequence<UInt8>>(truncating bytes: Bytes) {
        for byte in bytes {
            guard append(byte) else { return }
        }
    }

    /// The first `count` bytes of `words` (laid out as `packedWords`: byte i at bits 8*(i%8)
    /// of word i/8), or nil when `count` is above 20. Bytes past `count` are cleared. With
    /// `BytesView.packedWords(from:count:)`, a field becomes a ShortBytes in three word moves
    /// instead of a byte loop (the validator copies both addresses of every submit_sm).
    @inlinable
    public init?(packed words: (UInt64, UInt64, UInt64), count: Int) {
        guard count >= 0 && count <= ShortBytes.capacity else { return nil }
        @inline(__always) func kept(_ word: UInt64, _ used: Int) -> UInt64 {
            used >= 8 ? word : used <= 0 ? 0 : word & ((1 &<< UInt64(8 * used)) &- 1)
        }
        low = kept(words.0, count)
        middle = kept(words.1, count - 8)
        high = UInt32(truncatingIfNeeded: kept(words.2, count - 16))
        length = UInt8(count)
    }

    /// As `init?(packed:count:)` with every byte above 0x7F replaced by `replacement` (an ASCII
    /// byte) and at most the first 20 kept: the receipt's text field, a word at a time.
    @inlinable
    public init(packingASCII words: (UInt64, UInt64, UInt64), count: Int, replacingNonASCIIWith replacement: UInt8) {
        self.init(packed: words, count: Swift.min(Swift.max(count, 0), ShortBytes.capacity))!
        @inline(__always) func replaced(_ word: UInt64) -> UInt64 {
            // 0xFF in every byte whose top bit is set, 0 elsewhere; then swap those bytes.
            let high = (word & 0x8080_8080_8080_8080) >> 7
            let mask = high &* 0xFF
            return word & ~mask | (UInt64(replacement) &* 0x0101_0101_0101_0101) & mask
        }
        low = replaced(low)
        middle = replaced(middle)
        high = UInt32(truncatingIfNeeded: replaced(UInt64(high)))
    }

    /// Whether every byte is an ASCII digit, `0`...`9` (true when empty), a word at a time.
    @inlinable
    public var isAllASCIIDigits: Bool {
        @inline(__always) func digits(_ word: UInt64, _ used: Int) -> Bool {
            guard used > 0 else { return true }
            let mask: UInt64 = used >= 8 ? ~0 : (1 &<< UInt64(8 * used)) &- 1
            let tens = 0x3030_3030_3030_3030 & mask, highNibbles = 0xF0F0_F0F0_F0F0_F0F0 & mask
            // 0x30...0x3F have high nibble 3; of those, +6 keeps only 0x30...0x39 below 0x40
            // (no byte carries: at most 0x3F + 6).
            return word & highNibbles == tens && (word &+ 0x0606_0606_0606_0606) & highNibbles == tens
        }
        let n = Int(length)
        return digits(low, Swift.min(n, 8)) && digits(middle, Swift.min(Swift.max(n - 8, 0), 8))
            && digits(UInt64(high), Swift.max(n - 16, 0))
    }

    /// Appends `byte`; false (and nothing changed) when already full. Always inlined: the
    /// validator builds addresses and the receipt text byte by byte, and a call per byte
    /// would cost far more than the append itself.
    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) -> Bool {
        let index = Int(length)
        guard index < ShortBytes.capacity else { return false }
        let shift = UInt64(index & 7) &<< 3
        if index < 8 {
            low |= UInt64(byte) &<< shift
        } else if index < 16 {
            middle |= UInt64(byte) &<< shift
        } else {
            high |= UInt32(byte) &<< UInt32(truncatingIfNeeded: shift)
        }
        length &+= 1
        return true
    }

    /// The inline storage itself: byte i at bits 8*(i%8) of word i/8 (the third word holds
    /// bytes 16..<20). For copying into another inline holder without a byte loop.
    @inlinable
    public var packedWords: (low: UInt64, middle: UInt64, high: UInt32) { (low, middle, high) }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { Int(length) }
    @inlinable public var count: Int { Int(length) }

    @inlinable @inline(__always)
    public subscript(position: Int) -> UInt8 {
        precondition(position >= 0 && position < Int(length), "ShortBytes index out of range")
        let shift = UInt64((position & 7) * 8)
        switch position {
        case 0..<8: return UInt8(truncatingIfNeeded: low >> shift)
        case 8..<16: return UInt8(truncatingIfNeeded: middle >> shift)
        default: return UInt8(truncatingIfNeeded: high >> UInt32(shift))
        }
    }

    /// Byte-wise order (shorter first on a common prefix), for sorted output in tests and logs.
    public static func < (lhs: ShortBytes, rhs: ShortBytes) -> Bool {
        lhs.lexicographicallyPrecedes(rhs)
    }

    /// The bytes as a String, invalid UTF-8 repaired (allocates past 15 bytes). Decoded from
    /// the words' contiguous bytes: decoding the collection itself went through the generic
    /// path, dynamic casts included, and forwarding asks this for every message's addresses.
    public var description: String {
        withUnsafeBytes(of: (low, middle, high)) { String(decoding: $0.prefix(count), as: UTF8.self) }
    }

    /// True when the bytes equal `string`'s UTF-8. Never allocates for native strings.
    @inlinable
    public func equals(_ string: String) -> Bool {
        string.utf8.elementsEqual(self)
    }
}

extension ShortBytes: ExpressibleByStringLiteral {
    /// A literal of at most 20 UTF-8 bytes; a longer literal is a programming error.
    public init(stringLiteral value: String) {
        guard let bytes = ShortBytes(value.utf8) else {
            preconditionFailure("ShortBytes literal longer than \(ShortBytes.capacity) bytes: \(value)")
        }
        self = bytes
    }
}
