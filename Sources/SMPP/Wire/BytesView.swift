// BytesView: a read-only window into bytes someone else owns (a decoded PDU's input buffer, a
// StaticString's literal storage, or a caller's scratch buffer). Any thread may read it, but a
// view is valid only while its source is: it is not Sendable and must not be stored past that.
// Invariants: the block on the type below.

/// A borrowed, read-only run of bytes: a pointer and a count, nothing owned, nothing copied.
///
/// Invariants (checked at every construction, relied on by every read):
/// - `count >= 0`, and `start == nil` only when `count == 0`.
/// - `start ..< start + count` is initialised memory that the creator of the view keeps alive and
///   unchanged for as long as the view is used. For views returned by `PDUDecoder.decode` that is
///   the caller's input buffer; for `init(_: StaticString)` it is the binary's constant data.
/// - Memory is only ever read, byte by byte or with unaligned loads; it is never bound to a type
///   and never written through.
/// - Every read of an element or a sub-range is bounds-checked against `count`.
public struct BytesView {
    @usableFromInline let start: UnsafeRawPointer?
    /// Number of bytes in the view.
    public let count: Int

    @inlinable
    init(uncheckedStart start: UnsafeRawPointer?, count: Int) {
        self.start = start
        self.count = count
    }

    /// A view over `buffer`. The caller promises the buffer outlives every use of the view.
    @inlinable
    public init(unsafeBorrowing buffer: UnsafeRawBufferPointer) {
        self.init(uncheckedStart: buffer.baseAddress, count: buffer.count)
    }

    /// A view over a string literal's UTF-8 bytes, which live as long as the program.
    /// Single-scalar StaticStrings without a pointer representation are rejected (precondition).
    @inlinable
    public init(_ literal: StaticString) {
        precondition(literal.hasPointerRepresentation, "BytesView needs a pointer-backed StaticString")
        self.init(uncheckedStart: UnsafeRawPointer(literal.utf8Start), count: literal.utf8CodeUnitCount)
    }

    /// The empty view.
    @inlinable
    public init() {
        self.init(uncheckedStart: nil, count: 0)
    }

    @inlinable public static var empty: BytesView { BytesView() }

    /// Calls `body` with the viewed bytes. The pointer must not escape `body`.
    @inlinable
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: start, count: count))
    }

    /// Bytes `offset ..< offset + length` (at most 24) packed little-endian into three words,
    /// byte i at bits 8*(i%8) of word i/8, the rest zero; nil when out of range. One copy
    /// instead of a byte loop: for fixed-size inline holders such as Store's ShortBytes.
    @inlinable
    public func packedWords(from offset: Int, count length: Int) -> (UInt64, UInt64, UInt64)? {
        guard offset >= 0, length >= 0, length <= 24, offset <= count - length else { return nil }
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        if length > 0 {
            Swift.withUnsafeMutableBytes(of: &words) { out in
                out.copyMemory(from: UnsafeRawBufferPointer(start: start.unsafelyUnwrapped + offset, count: length))
            }
        }
        return (UInt64(littleEndian: words.0), UInt64(littleEndian: words.1), UInt64(littleEndian: words.2))
    }

    /// The byte at `offset` (bounds-checked).
    @inlinable
    public subscript(offset: Int) -> UInt8 {
        precondition(offset >= 0 && offset < count, "BytesView index out of range")
        return start.unsafelyUnwrapped.load(fromByteOffset: offset, as: UInt8.self)
    }

    /// The sub-view `offset ..< offset + length`, or nil when it does not lie inside this view.
    @inlinable
    public func slice(from offset: Int, count length: Int) -> BytesView? {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else { return nil }
        if length == 0 { return BytesView() }
        return BytesView(uncheckedStart: start.unsafelyUnwrapped + offset, count: length)
    }

    /// The big-endian UInt16 at `offset`, or nil when fewer than 2 bytes are there.
    @inlinable
    public func bigEndianUInt16(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count - 2 else { return nil }
        return UInt16(bigEndian: start.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// The big-endian UInt32 at `offset`, or nil when fewer than 4 bytes are there.
    @inlinable
    public func bigEndianUInt32(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        return UInt32(bigEndian: start.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Offset of the first zero byte at or after `offset`, before `limit` (clamped to `count`).
    @inlinable
    public func firstZero(from offset: Int, before limit: Int) -> Int? {
        let end = Swift.min(limit, count)
        guard offset >= 0, offset < end, let p = start else { return nil }
        var i = offset
        while i < end {
            if p.load(fromByteOffset: i, as: UInt8.self) == 0 { return i }
            i &+= 1
        }
        return nil
    }

    /// A new String from the bytes, decoded as UTF-8 with invalid sequences repaired.
    /// Allocates (unless short enough for a small string): call it on demand, not per PDU.
    public func makeString() -> String {
        withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// A new array holding a copy of the bytes. Allocates.
    public func makeArray() -> [UInt8] {
        withUnsafeBytes { Array($0) }
    }

    /// True when both views hold the same bytes.
    @inlinable
    public func elementsEqual(_ other: BytesView) -> Bool {
        guard count == other.count else { return false }
        if count == 0 { return true }
        let a = start.unsafelyUnwrapped, b = other.start.unsafelyUnwrapped
        if a == b { return true }
        var i = 0
        while i < count {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i &+= 1
        }
        return true
    }

    /// True when the view holds exactly the bytes of `other`.
    @inlinable
    public func elementsEqual(_ other: [UInt8]) -> Bool {
        other.withUnsafeBytes { elementsEqual(BytesView(unsafeBorrowing: $0)) }
    }

    /// True when the view holds exactly the UTF-8 bytes of `literal`.
    @inlinable
    public func elementsEqual(_ literal: StaticString) -> Bool {
        guard literal.hasPointerRepresentation else {
            return literal.withUTF8Buffer { elementsEqual(BytesView(unsafeBorrowing: UnsafeRawBufferPointer($0))) }
        }
        return elementsEqual(BytesView(literal))
    }
}

extension BytesView: Equatable {
    /// Content equality: two views are equal when they hold the same bytes.
    @inlinable
    public static func == (lhs: BytesView, rhs: BytesView) -> Bool { lhs.elementsEqual(rhs) }

    @inlinable
    public static func == (lhs: BytesView, rhs: [UInt8]) -> Bool { lhs.elementsEqual(rhs) }

    @inlinable
    public static func == (lhs: [UInt8], rhs: BytesView) -> Bool { rhs.elementsEqual(lhs) }

    @inlinable
    public static func == (lhs: BytesView, rhs: StaticString) -> Bool { lhs.elementsEqual(rhs) }
}

/// False for nil; content equality otherwise (for optional lookups such as TLV values).
@inlinable
public func == (lhs: BytesView?, rhs: StaticString) -> Bool { lhs?.elementsEqual(rhs) ?? false }

extension BytesView: RandomAccessCollection {
    public typealias Index = Int
    public typealias Element = UInt8
    public typealias Indices = Range<Int>
    public typealias SubSequence = Slice<BytesView>

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { count }
    @inlinable public var isEmpty: Bool { count == 0 }

    @inlinable
    public func withContiguousStorageIfAvailable<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R? {
        // Reading raw bytes as UInt8 needs no binding: UInt8 is the raw-memory type.
        try withUnsafeBytes { raw in try body(raw.assumingMemoryBound(to: UInt8.self)) }
    }
}

extension BytesView: CustomStringConvertible, CustomDebugStringConvertible {
    /// Printable ASCII as is, other bytes as `\xNN`. Allocates; for logs and test failures.
    public var description: String {
        var s = ""
        for b in self {
            if b >= 0x20 && b < 0x7F && b != 0x5C { s.unicodeScalars.append(Unicode.Scalar(b)) } else {
                s += "\\x"
                let hex: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f"]
                s.append(hex[Int(b >> 4)])
                s.append(hex[Int(b & 0xF)])
            }
        }
        return s
    }

    public var debugDescription: String { "BytesView(\"\(description)\")" }
}
