// Data codings, text conversion and the per-segment limit check (C-SUB-3, C-SUB-4).
import Testing
@testable import SMPP

@Suite struct DataCodingTests {
    @Test func supportsExactlyTheFourCodingsOfC_SUB_3() {
        for raw in UInt8.min...UInt8.max {
            let coding = DataCoding(rawValue: raw)
            #expect(coding.isSupported == [0x00, 0x01, 0x03, 0x08].contains(raw), "0x\(String(raw, radix: 16))")
            #expect(coding.rawValue == raw)
        }
        #expect(DataCoding.smscDefault.charset == .ascii)
        #expect(DataCoding.ascii.charset == .ascii)
        #expect(DataCoding.latin1.charset == .latin1)
        #expect(DataCoding.ucs2.charset == .ucs2)
        #expect(DataCoding(rawValue: 0x04).charset == nil)
    }

    @Test func describesCodingForLogs() {
        #expect(DataCoding.ucs2.description == "0x08 (UCS-2)")
        #expect(DataCoding(rawValue: 0xF0).description == "0xF0 (unsupported)")
    }

    @Test func narrowestCodingPicksAsciiThenLatin1ThenUCS2() {
        #expect(DataCoding.narrowestCoding(for: "") == .ascii)
        #expect(DataCoding.narrowestCoding(for: "Hello, world\u{7F}") == .ascii)
        #expect(DataCoding.narrowestCoding(for: "café") == .latin1)
        #expect(DataCoding.narrowestCoding(for: "ÿ") == .latin1)
        #expect(DataCoding.narrowestCoding(for: "€") == .ucs2)
        #expect(DataCoding.narrowestCoding(for: "hi 😀") == .ucs2)
    }

    @Test func countsCharactersPerC_SUB_3EmojiAsTwoUCS2Units() {
        #expect(DataCoding.ascii.characterCount(of: "hello") == 5)
        #expect(DataCoding.latin1.characterCount(of: "é") == 1)
        #expect(DataCoding.ucs2.characterCount(of: "😀") == 2)
        #expect(DataCoding.ucs2.characterCount(of: "a😀b") == 4)
        #expect(DataCoding(rawValue: 0x02).characterCount(of: "x") == nil)
        #expect(DataCoding.ascii.characterCount(ofByteCount: 160) == 160)
        #expect(DataCoding.ucs2.characterCount(ofByteCount: 140) == 70)
        #expect(DataCoding(rawValue: 0x02).characterCount(ofByteCount: 4) == nil)
    }
}

@Suite struct TranscodingTests {
    @Test func asciiDecodesSevenBitAndRejectsHighBytes_C_SUB_3() {
        #expect(DataCoding.ascii.decode(hex("48 69 00 7F")) == .success("Hi\u{0}\u{7F}"))
        #expect(DataCoding.smscDefault.decode(hex("41 80 42")) == .failure(.invalidByte(offset: 1)))
        #expect(DataCoding.ascii.encode("é") == .failure(.unrepresentable("é")))
        #expect(DataCoding.ascii.encode("Hi") == .success(hex("48 69")))
    }

    @Test func latin1MapsBytesOneToOne_C_SUB_3() {
        #expect(DataCoding.latin1.encode("é") == .success([0xE9]))
        #expect(DataCoding.latin1.decode([0xE9]) == .success("é"))
        #expect(DataCoding.latin1.encode("€") == .failure(.unrepresentable("€")))
        let all = (UInt8.min...UInt8.max).map { $0 }
        let decoded = try! DataCoding.latin1.decode(all).get()
        #expect(decoded.unicodeScalars.map(\.value) == all.map(UInt32.init))
        #expect(DataCoding.latin1.encode(decoded) == .success(all))
    }

    @Test func ucs2IsUTF16BigEndianWithSurrogatePairs_C_SUB_3() {
        #expect(DataCoding.ucs2.encode("😀") == .success(hex("D8 3D DE 00")))
        #expect(DataCoding.ucs2.decode(hex("D8 3D DE 00")) == .success("😀"))
        #expect(DataCoding.ucs2.encode("Aé€") == .success(hex("00 41 00 E9 20 AC")))
        #expect(DataCoding.ucs2.decode(hex("00 41 00 E9 20 AC")) == .success("Aé€"))
    }

    @Test func ucs2RejectsOddLengthAndUnpairedSurrogates_C_SUB_3() {
        #expect(DataCoding.ucs2.decode(hex("00 41 00")) == .failure(.oddLength))
        #expect(DataCoding.ucs2.decode(hex("00 41 D8 3D")) == .failure(.unpairedSurrogate(offset: 2)))
        #expect(DataCoding.ucs2.decode(hex("DE 00 00 41")) == .failure(.unpairedSurrogate(offset: 0)))
        #expect(DataCoding.ucs2.decode(hex("D8 3D 00 41")) == .failure(.unpairedSurrogate(offset: 0)))
        #expect(DataCoding.ucs2.decode(hex("D8 3D D8 3D DE 00")) == .failure(.unpairedSurrogate(offset: 0)))
    }

    @Test func unsupportedCodingConvertsNothing_C_SUB_3() {
        let gsm8 = DataCoding(rawValue: 0x04)
        #expect(gsm8.decode([0x41]) == .failure(.unsupportedCoding(gsm8)))
        #expect(gsm8.encode("A") == .failure(.unsupportedCoding(gsm8)))
    }

    @Test func randomTextsRoundTripInTheirNarrowestCoding() {
        var random = TextTestRandom(seed: 0x5EED_0001)
        let pools: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0xFF, 0x0400...0x04FF, 0x1F600...0x1F64F, 0x4E00...0x4EFF]
        for _ in 0..<500 {
            var text = String()
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                let pool = pools[Int.random(in: 0..<pools.count, using: &random)]
                text.unicodeScalars.append(Unicode.Scalar(UInt32.random(in: pool, using: &random))!)
            }
            let coding = DataCoding.narrowestCoding(for: text)
            let bytes = try! coding.encode(text).get()
            #expect(coding.decode(bytes) == .success(text))
            #expect(DataCoding.ucs2.decode(try! DataCoding.ucs2.encode(text).get()) == .success(text))
            #expect(bytes.count == (coding == .ucs2 ? 2 : 1) * coding.characterCount(of: text)!)
        }
    }
}

@Suite struct SegmentLimitTests {
    @Test func asciiAndLatin1AllowExactly160WithoutUDH_C_SUB_4() {
        for coding in [DataCoding.smscDefault, .ascii, .latin1] {
            #expect(SegmentLimits.check(asciiBytes("a", count: 160), coding: coding, hasConcatenationUDH: false) == .ok(characters: 160))
            #expect(SegmentLimits.check(asciiBytes("a", count: 161), coding: coding, hasConcatenationUDH: false)
                == .tooLong(characters: 161, limit: 160))
        }
    }

    @Test func asciiAndLatin1AllowExactly153WithConcatenationUDH_C_SUB_4() {
        #expect(SegmentLimits.check(asciiBytes("a", count: 153), coding: .ascii, hasConcatenationUDH: true) == .ok(characters: 153))
        #expect(SegmentLimits.check(asciiBytes("a", count: 154), coding: .latin1, hasConcatenationUDH: true)
            == .tooLong(characters: 154, limit: 153))
    }

    @Test func ucs2AllowsExactly70UnitsWithoutUDHAnd67With_C_SUB_4() {
        let units70 = [UInt8](repeating: 0x04, count: 140)
        let units71 = [UInt8](repeating: 0x04, count: 142)
        #expect(SegmentLimits.check(units70, coding: .ucs2, hasConcatenationUDH: false) == .ok(characters: 70))
        #expect(SegmentLimits.check(units71, coding: .ucs2, hasConcatenationUDH: false) == .tooLong(characters: 71, limit: 70))
        #expect(SegmentLimits.check(units70.prefix(134), coding: .ucs2, hasConcatenationUDH: true) == .ok(characters: 67))
        #expect(SegmentLimits.check(units70.prefix(136), coding: .ucs2, hasConcatenationUDH: true) == .tooLong(characters: 68, limit: 67))
    }

    @Test func ucs2EmojiCountsTwoUnitsTowardTheLimit_C_SUB_3() {
        let emoji35 = Array([[UInt8]](repeating: hex("D8 3D DE 00"), count: 35).joined())
        #expect(SegmentLimits.check(emoji35, coding: .ucs2, hasConcatenationUDH: false) == .ok(characters: 70))
        #expect(SegmentLimits.check(emoji35 + hex("00 41"), coding: .ucs2, hasConcatenationUDH: false)
            == .tooLong(characters: 71, limit: 70))
    }

    @Test func oddLengthUCS2IsRejected_C_SUB_4() {
        #expect(SegmentLimits.check(hex("00 41 00"), coding: .ucs2, hasConcatenationUDH: false) == .oddLength)
    }

    @Test func asciiByteAbove7FIsAnInvalidCharacter_C_SUB_3() {
        #expect(SegmentLimits.check(hex("41 E9"), coding: .ascii, hasConcatenationUDH: false) == .invalidCharacter)
        #expect(SegmentLimits.check(hex("41 E9"), coding: .smscDefault, hasConcatenationUDH: false) == .invalidCharacter)
        #expect(SegmentLimits.check(hex("41 E9"), coding: .latin1, hasConcatenationUDH: false) == .ok(characters: 2))
    }

    @Test func unpairedSurrogateIsInvalidExceptAtAConcatenatedSegmentEdge_C_SUB_3() {
        let trailingHigh = hex("00 41 D8 3D")
        let leadingLow = hex("DE 00 00 41")
        let middleHigh = hex("D8 3D 00 41 DE 00")
        #expect(SegmentLimits.check(trailingHigh, coding: .ucs2, hasConcatenationUDH: false) == .invalidCharacter)
        #expect(SegmentLimits.check(leadingLow, coding: .ucs2, hasConcatenationUDH: false) == .invalidCharacter)
        #expect(SegmentLimits.check(trailingHigh, coding: .ucs2, hasConcatenationUDH: true) == .ok(characters: 2))
        #expect(SegmentLimits.check(leadingLow, coding: .ucs2, hasConcatenationUDH: true) == .ok(characters: 2))
        #expect(SegmentLimits.check(middleHigh, coding: .ucs2, hasConcatenationUDH: true) == .invalidCharacter)
        #expect(SegmentLimits.check(hex("DE 00 DE 00"), coding: .ucs2, hasConcatenationUDH: true) == .invalidCharacter)
    }

    @Test func unsupportedCodingIsReportedBeforeLength_C_SUB_3() {
        #expect(SegmentLimits.check(asciiBytes("a", count: 200), coding: DataCoding(rawValue: 0xF5), hasConcatenationUDH: false)
            == .unsupportedCoding)
    }

    @Test func emptyTextIsZeroCharacters() {
        #expect(SegmentLimits.check([UInt8](), coding: .ucs2, hasConcatenationUDH: false) == .ok(characters: 0))
    }

    @Test func checksRawBuffersAndSlicesLikeArrays() {
        let message = hex("05 00 03 CC 03 01") + asciiBytes("x", count: 153)
        let text = message[6...]
        #expect(SegmentLimits.check(text, coding: .ascii, hasConcatenationUDH: true) == .ok(characters: 153))
        message.withUnsafeBytes { raw in
            #expect(SegmentLimits.check(raw[6...], coding: .ascii, hasConcatenationUDH: true) == .ok(characters: 153))
            #expect(SegmentLimits.check(raw, coding: .ascii, hasConcatenationUDH: false) == .invalidCharacter)
        }
    }
}
