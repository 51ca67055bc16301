// JSONByteWriter: writes a request body's bytes straight into the body array's memory. An
// append per byte cost a uniqueness and a capacity check each (a message's JSON took ~6,000
// instructions that way; perf/RESULTS.md, forwarding profiles): the array is grown once, by a
// bound the caller computed, and the writer stores into it.
// Unsafe code (allowlisted, STYLE 9.3). Invariants: the writer exists only inside
// `append(to:atMost:_:)`, for the duration of `withUnsafeMutableBufferPointer` on the array it
// writes; every store is at an offset below `capacity` (checked: a precondition, not a
// silent overflow), and `capacity` bytes were appended to the array before the pointer was
// taken; the array is trimmed to what was written before the call returns.

struct JSONByteWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private(set) var count = 0

    private init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Appends to `out` what `body` writes, at most `capacity` bytes (a bound: exceeding it traps).
    static func append(to out: inout [UInt8], atMost capacity: Int, _ body: (inout JSONByteWriter) -> Void) {
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: capacity))
        let written = out.withUnsafeMutableBufferPointer { buffer -> Int in
            var writer = JSONByteWriter(base: buffer.baseAddress! + start, capacity: capacity)
            body(&writer)
            return writer.count
        }
        out.removeLast(capacity - written)
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        precondition(count < capacity, "JSONByteWriter: past the bound its caller computed")
        base[count] = b
        count += 1
    }

    mutating func bytes(_ literal: StaticString) {
        literal.withUTF8Buffer { copy($0) }
    }

    mutating func bytes(_ array: [UInt8]) {
        array.withUnsafeBufferPointer { copy($0) }
    }

    /// `source`'s bytes, in one copy.
    private mutating func copy(_ source: UnsafeBufferPointer<UInt8>) {
        precondition(source.count <= capacity - count, "JSONByteWriter: past the bound its caller computed")
        guard let from = source.baseAddress else { return }
        (base + count).update(from: from, count: source.count)
        count += source.count
    }

    /// A JSON string: `"` and `\` escaped, control characters as \n, \r, \t or \u00XX; the rest
    /// (valid UTF-8, as every Swift String is) as it is. At most 6 bytes per byte, plus 2.
    mutating func string(_ s: String) {
        byte(UInt8(ascii: "\""))
        var text = s
        text.withUTF8 { utf8 in
            // Addresses and system_ids need no escape: copied whole.
            if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                copy(utf8)
            } else {
                escape(utf8)
            }
        }
        byte(UInt8(ascii: "\""))
    }

    private mutating func escape(_ utf8: UnsafeBufferPointer<UInt8>) {
        for b in utf8 {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte(UInt8(ascii: "\\")); byte(b)
            case 0x0A: byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "n"))
            case 0x0D: byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "r"))
            case 0x09: byte(UInt8(ascii: "\\")); byte(UInt8(ascii: "t"))
            case 0..<0x20:
                bytes(#"\u00"#)
                byte(Self.hexDigit(b >> 4)); byte(Self.hexDigit(b & 0x0F))
            default: byte(b)
            }
        }
    }

    /// Lowercase hex, two bytes per byte.
    mutating func hex(_ data: [UInt8]) {
        for b in data {
            byte(Self.hexDigit(b >> 4))
            byte(Self.hexDigit(b & 0x0F))
        }
    }

    /// Decimal digits, at most 20.
    mutating func number(_ value: Int64) {
        if value >= 0 && value < 100 {   // the one-byte fields: TON, NPI, coding, esm_class
            if value >= 10 { byte(UInt8(ascii: "0") + UInt8(value / 10)) }
            byte(UInt8(ascii: "0") + UInt8(value % 10))
            return
        }
        if value < 0 { byte(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // up to 20 digits, least significant first
        var n = 0
        repeat {
            let d = UInt64(magnitude % 10)
            switch n >> 3 {
            case 0: digits.0 |= d << (8 * UInt64(n & 7))
            case 1: digits.1 |= d << (8 * UInt64(n & 7))
            default: digits.2 |= d << (8 * UInt64(n & 7))
            }
            magnitude /= 10
            n += 1
        } while magnitude > 0
        for i in stride(from: n - 1, through: 0, by: -1) {
            let word = i >> 3 == 0 ? digits.0 : i >> 3 == 1 ? digits.1 : digits.2
            byte(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: word >> (8 * UInt64(i & 7))))
        }
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
