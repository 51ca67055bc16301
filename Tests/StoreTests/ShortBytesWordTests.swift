// ShortBytes' word-at-a-time paths (packed words from a BytesView, ASCII packing, the digit
// check) against their byte-by-byte definitions, over every length and the bytes at each boundary.
import Testing
import Carrier
import SMPP
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

    /// The words of `bytes[offset ..< offset + count]`, through a BytesView.
    func words(_ bytes: [UInt8], from offset: Int = 0, count: Int? = nil) -> (UInt64, UInt64, UInt64)? {
        bytes.withUnsafeBytes { BytesView(unsafeBorrowing: $0).packedWords(from: offset, count: count ?? bytes.count - offset) }
    }

    @Test func packedWordsMatchAppendingEveryByte() {
        var random = SplitMix64(seed: 11)
        for count in 0...ShortBytes.capacity {
            for _ in 0..<200 {
                let bytes = randomBytes(count + 3, &random, digitsMostly: false)
                // From an offset, so the bytes around the field must not leak in.
                let packed = words(bytes, from: 1, count: count).flatMap { ShortBytes(packed: $0, count: count) }
                #expect(packed == ShortBytes(bytes[1..<(1 + count)]), "\(bytes)")
            }
        }
        #expect(words([UInt8](repeating: 0x31, count: 25)) == nil, "more than 24 bytes")
        #expect(words([1, 2, 3], from: 2, count: 2) == nil, "past the end")
        #expect(words([1, 2, 3], from: -1, count: 1) == nil)
        #expect(ShortBytes(packed: (.max, .max, .max), count: 21) == nil)
        // Bytes past `count` are cleared, so == and hashing stay exact.
        #expect(ShortBytes(packed: (.max, .max, .max), count: 9) == ShortBytes([UInt8](repeating: 0xFF, count: 9)))
    }

    @Test func packingASCIIWordsMatchesByteByByteReplacement() {
        var random = SplitMix64(seed: 12)
        for count in 0...(ShortBytes.capacity + 4) {
            for _ in 0..<200 {
                let bytes = randomBytes(count, &random, digitsMostly: false)
                let taken = min(count, ShortBytes.capacity)
                let packed = ShortBytes(packingASCII: words(bytes, count: taken)!, count: taken, replacingNonASCIIWith: UInt8(ascii: "?"))
                let byteByByte = ShortBytes(bytes.prefix(ShortBytes.capacity).map { $0 <= 0x7F ? $0 : UInt8(ascii: "?") })
                #expect(packed == byteByByte, "\(bytes)")
            }
        }
    }

    /// The receipt text from a PDU field (words) and from the bytes (generic) agree, at any
    /// offset (after a UDH) and in every coding.
    @Test func receiptTextFromAFieldMatchesTheGenericOne() {
        var random = SplitMix64(seed: 14)
        for coding in [DataCoding(rawValue: 0x00), DataCoding(rawValue: 0x01), DataCoding(rawValue: 0x03), DataCoding(rawValue: 0x08)] {
            for count in [0, 1, 7, 8, 19, 20, 21, 40, 140] {
                for offset in [0, 1, 6] where offset <= count {
                    let bytes = randomBytes(count, &random, digitsMostly: false)
                    let field = bytes.withUnsafeBytes { MessageRecord.receiptText(of: BytesView(unsafeBorrowing: $0), from: offset, coding: coding) }
                    #expect(field == MessageRecord.receiptText(of: bytes[offset...], coding: coding), "\(coding) \(bytes) from \(offset)")
                }
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
