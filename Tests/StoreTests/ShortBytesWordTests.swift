// ShortBytes' word-at-a-time paths (copying, ASCII packing, the digit check) against their
// byte-by-byte definitions, over every length and the bytes at each boundary.
import Testing
import Carrier
@testable import Store

@Suite struct ShortBytesWordTests {
    /// Bytes that sit at the edges the SWAR checks distinguish, plus ordinary ones.
    static let edgeBytes: [UInt8] = [0x00, 0x06, 0x29, 0x2F, 0x30, 0x31, 0x35, 0x39, 0x3A, 0x3F, 0x40, 0x41, 0x7F, 0x80, 0xB0, 0xB9, 0xF0, 0xFF]

    func randomBytes(_ count: Int, _ random: inout SplitMix64, digitsMostly: Bool) -> [UInt8] {
        (0..<count).map { _ in
            if digitsMostly && random.next() % 4 != 0 { return UInt8(0x30 + random.next() % 10) }
            return Self.edgeBytes[Int(random.next() % UInt64(Self.edgeBytes.count))]
        }
    }

    @Test func copyingMatchesAppendingEveryByte() {
        var random = SplitMix64(seed: 11)
        for count in 0...ShortBytes.capacity {
            for _ in 0..<200 {
                let bytes = randomBytes(count, &random, digitsMostly: false)
                let copied = bytes.withUnsafeBytes { ShortBytes(copying: $0) }
                #expect(copied == ShortBytes(bytes), "\(bytes)")
                #expect(copied.map(Array.init) == bytes)
            }
        }
        let tooLong = [UInt8](repeating: 0x31, count: ShortBytes.capacity + 1)
        #expect(tooLong.withUnsafeBytes { ShortBytes(copying: $0) } == nil)
    }

    @Test func packingASCIIFromRawBytesMatchesTheGenericPacking() {
        var random = SplitMix64(seed: 12)
        for count in 0...(ShortBytes.capacity + 5) {
            for _ in 0..<200 {
                let bytes = randomBytes(count, &random, digitsMostly: false)
                let raw = bytes.withUnsafeBytes { ShortBytes(packingASCII: $0, replacingNonASCIIWith: UInt8(ascii: "?")) }
                let generic = ShortBytes(packingASCII: bytes, replacingNonASCIIWith: UInt8(ascii: "?"))
                #expect(raw == generic, "\(bytes)")
                #expect(Array(raw) == bytes.prefix(ShortBytes.capacity).map { $0 <= 0x7F ? $0 : UInt8(ascii: "?") })
            }
        }
    }

    @Test func isAllASCIIDigitsMatchesTheByteTest() {
        var random = SplitMix64(seed: 13)
        var sawDigitsOnly = 0, sawOther = 0
        for count in 0...ShortBytes.capacity {
            for _ in 0..<500 {
                let bytes = randomBytes(count, &random, digitsMostly: true)
                let expected = bytes.allSatisfy { (0x30...0x39).contains($0) }
                #expect(ShortBytes(bytes)!.isAllASCIIDigits == expected, "\(bytes)")
                if expected { sawDigitsOnly += 1 } else { sawOther += 1 }
            }
            // One non-digit edge byte at each position of an all-digit value.
            for position in 0..<count {
                for edge in Self.edgeBytes where !(0x30...0x39).contains(edge) {
                    var bytes = [UInt8](repeating: 0x39, count: count)
                    bytes[position] = edge
                    #expect(!ShortBytes(bytes)!.isAllASCIIDigits, "\(bytes)")
                }
            }
        }
        #expect(sawDigitsOnly > 1_000 && sawOther > 1_000)
    }
}
