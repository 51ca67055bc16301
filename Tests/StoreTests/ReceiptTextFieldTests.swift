// The record's 20-character text field agrees with SMPP's receipt text byte for byte (C-DLV-1).
import Testing
import SMPP
@testable import Store

@Suite struct ReceiptTextFieldTests {
    static func ucs2(_ units: [UInt16]) -> [UInt8] { units.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] } }

    static let cases: [(String, [UInt8], DataCoding)] = [
        ("ascii", Array("hello world".utf8), .ascii),
        ("default", Array("exactly twenty chars and more".utf8), .smscDefault),
        ("latin1", [0x48, 0xE9, 0x6C, 0x6C, 0xF6, 0x21], .latin1),
        ("ucs2", ucs2(Array("Grüße aus Köln, schön hier!".utf16)), .ucs2),
        ("emoji", ucs2(Array("ok 😀 fine 👍🏽 and then some more".utf16)), .ucs2),
        ("unpaired high", ucs2([0x0041, 0xD800, 0x0042, 0x0043]), .ucs2),
        ("high at end", ucs2([0x0041, 0xD800]), .ucs2),
        ("high high low", ucs2([0xD800, 0xD83D, 0xDE00, 0x0041]), .ucs2),
        ("lone low", ucs2([0xDC00, 0x0041]), .ucs2),
        ("odd byte", ucs2([0x0041, 0x0042]) + [0x00], .ucs2),
        ("unsupported", Array("binary".utf8), DataCoding(rawValue: 0x04)),
        ("empty", [], .ascii),
    ]

    @Test(arguments: cases.indices)
    func recordTextMatchesReceiptText_C_DLV_1(index: Int) {
        let (name, text, coding) = Self.cases[index]
        let date = CivilDateTime(unixSeconds: testNow / 1000)
        let field = MessageRecord.receiptText(of: text, coding: coding)
        #expect(field.count <= 20)
        let direct = ReceiptText.format(id: "1", state: .delivered, submitDate: date, doneDate: date,
                                        errorCode: 0, text: text, textCoding: coding)
        let viaRecord = ReceiptText.format(id: "1", state: .delivered, submitDate: date, doneDate: date,
                                           errorCode: 0, text: Array(field), textCoding: .ascii)
        #expect(direct == viaRecord, "\(name): \(String(decoding: direct, as: UTF8.self)) vs \(field)")
    }

    @Test func shortBytesHoldsTwentyBytesAndRefusesMore() {
        #expect(ShortBytes("12345678901234567890".utf8)?.count == 20)
        #expect(ShortBytes("123456789012345678901".utf8) == nil)
        #expect(ShortBytes(truncating: "123456789012345678901".utf8).description == "12345678901234567890")
        let bytes: ShortBytes = "+4917098769990"
        #expect(bytes.equals("+4917098769990") && !bytes.equals("+491709876999"))
        #expect(Array(bytes) == Array("+4917098769990".utf8))
        #expect(ShortBytes("ab".utf8)! < ShortBytes("abc".utf8)!)
        #expect(ShortBytes("abc".utf8)! == "abc" && ShortBytes("abc".utf8)!.hashValue == ("abc" as ShortBytes).hashValue)
    }
}

/// The contiguous fast path of receiptText(of:coding:) against the generic one, byte for byte.
@Suite struct ReceiptTextPackingTests {
    @Test(arguments: [0, 1, 7, 8, 9, 15, 16, 17, 19, 20, 21, 40])
    func packedEqualsAppendedForEveryLength(length: Int) {
        var bytes: [UInt8] = []
        for i in 0..<length {
            let letter = UInt8(0x41 + i % 26)
            bytes.append(i % 5 == 3 ? letter | 0x80 : letter)   // every fifth byte is not ASCII
        }
        let fast = MessageRecord.receiptText(of: bytes, coding: .smscDefault)             // Array: contiguous
        let slow = MessageRecord.receiptText(of: AnySequenceCollection(bytes), coding: .smscDefault)
        #expect(fast == slow)
        #expect(fast.count == min(length, 20))
        #expect(Array(fast) == bytes.prefix(20).map { $0 <= 0x7F ? $0 : UInt8(ascii: "?") })
    }
}

/// A Collection without contiguous storage, to drive the generic path.
struct AnySequenceCollection: Collection {
    let base: [UInt8]
    init(_ base: [UInt8]) { self.base = base }
    var startIndex: Int { base.startIndex }
    var endIndex: Int { base.endIndex }
    func index(after i: Int) -> Int { i + 1 }
    subscript(i: Int) -> UInt8 { base[i] }
}
