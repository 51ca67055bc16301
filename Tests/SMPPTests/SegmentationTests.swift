// Splitting long text into segments and building their short_messages (C-SUB-4, C-SUB-5).
import Testing
@testable import SMPP

@Suite struct SegmentationTests {
    @Test func asciiTextOf160CharactersStaysOneSegment_C_SUB_4() throws {
        let segments = try TextSegmenter.split(asciiBytes("a", count: 160), coding: .ascii).get()
        #expect(segments.map(\.count) == [160])
    }

    @Test func asciiTextOf300CharactersSplitsInto153And147_C_SUB_4() throws {
        let text = (0..<300).map { UInt8(ascii: "a") + UInt8($0 % 26) }
        let segments = try TextSegmenter.split(text, coding: .ascii).get()
        #expect(segments.map(\.count) == [153, 147])
        #expect(Array(segments.joined()) == text)
    }

    @Test func asciiTextOf161CharactersSplitsInto153And8_C_SUB_4() throws {
        #expect(try TextSegmenter.split(asciiBytes("z", count: 161), coding: .smscDefault).get().map(\.count) == [153, 8])
    }

    @Test func latin1SplitsByBytesLikeAscii_C_SUB_4() throws {
        let text = String(repeating: "é", count: 307)
        let segments = try TextSegmenter.split(text: text, coding: .latin1).get()
        #expect(segments.map(\.count) == [153, 153, 1])
        #expect(segments.allSatisfy { $0.allSatisfy { $0 == 0xE9 } })
    }

    @Test func ucs2TextOf70UnitsStaysOneAnd71SplitsInto67And4_C_SUB_4() throws {
        #expect(try TextSegmenter.split(text: String(repeating: "Ж", count: 70), coding: .ucs2).get().map(\.count) == [140])
        #expect(try TextSegmenter.split(text: String(repeating: "Ж", count: 71), coding: .ucs2).get().map(\.count) == [134, 8])
    }

    @Test func ucs2SplitNeverBreaksASurrogatePair_C_SUB_3() throws {
        // 66 BMP units, then emoji: unit 67 would be the emoji's high surrogate.
        let text = String(repeating: "a", count: 66) + "😀" + String(repeating: "b", count: 10)
        let segments = try TextSegmenter.split(text: text, coding: .ucs2).get()
        #expect(segments.map { $0.count / 2 } == [66, 12])
        #expect(segments[1].prefix(4) == hex("D8 3D DE 00")[...])
        for segment in segments { #expect(DataCoding.ucs2.decode(segment).map { _ in true } == .success(true)) }
        #expect(try segments.map { try DataCoding.ucs2.decode($0).get() }.joined() == text)
    }

    @Test func ucs2AllEmojiTextSplitsOnPairBoundaries() throws {
        let text = String(repeating: "😀", count: 40)  // 80 units
        let segments = try TextSegmenter.split(text: text, coding: .ucs2).get()
        #expect(segments.map { $0.count / 2 } == [66, 14])
    }

    @Test func emptyTextIsOneEmptySegment() throws {
        #expect(try TextSegmenter.split([UInt8](), coding: .ucs2).get() == [[]])
    }

    @Test func invalidTextIsRejectedBeforeSplitting() {
        #expect(TextSegmenter.split(hex("41 80"), coding: .ascii) == .failure(.invalidText(.invalidByte(offset: 1))))
        #expect(TextSegmenter.split(hex("00 41 00"), coding: .ucs2) == .failure(.invalidText(.oddLength)))
        #expect(TextSegmenter.split(hex("DC 00"), coding: .ucs2) == .failure(.invalidText(.unpairedSurrogate(offset: 0))))
        #expect(TextSegmenter.split(text: "€", coding: .latin1) == .failure(.invalidText(.unrepresentable("€"))))
        let unsupported = DataCoding(rawValue: 0x02)
        #expect(TextSegmenter.split([0x41], coding: unsupported) == .failure(.invalidText(.unsupportedCoding(unsupported))))
    }

    @Test func moreThan255SegmentsIsRefused() throws {
        #expect(try TextSegmenter.split(asciiBytes("a", count: 153 * 255), coding: .ascii).get().count == 255)
        #expect(TextSegmenter.split(asciiBytes("a", count: 153 * 255 + 1), coding: .ascii) == .failure(.tooManySegments(256)))
    }

    @Test func shortMessagesCarryAConcatenationUDHNumberedFromOne_C_SUB_5() throws {
        let segments = try TextSegmenter.split(asciiBytes("a", count: 300), coding: .ascii).get()
        let messages = TextSegmenter.shortMessages(segments: segments, reference: .eightBit(0xCC))
        #expect(messages.count == 2)
        #expect(Array(messages[0].prefix(6)) == hex("05 00 03 CC 02 01"))
        #expect(Array(messages[1].prefix(6)) == hex("05 00 03 CC 02 02"))
        #expect(messages.map(\.count) == [159, 153])

        let wide = TextSegmenter.shortMessages(segments: segments, reference: .sixteenBit(0x1234))
        #expect(Array(wide[1].prefix(7)) == hex("06 08 04 12 34 02 02"))
    }

    @Test func builtShortMessagesPassTheServerChecks_C_SUB_4() throws {
        var random = TextTestRandom(seed: 0x5EED_0004)
        let pools: [ClosedRange<UInt32>] = [0x20...0x7E, 0xC0...0xFF, 0x0410...0x044F, 0x1F600...0x1F64F]
        for _ in 0..<200 {
            var text = String()
            for _ in 0..<Int.random(in: 1...700, using: &random) {
                let pool = pools[Int.random(in: 0..<pools.count, using: &random)]
                text.unicodeScalars.append(Unicode.Scalar(UInt32.random(in: pool, using: &random))!)
            }
            let coding = DataCoding.narrowestCoding(for: text)
            let segments = try TextSegmenter.split(text: text, coding: coding).get()
            var rebuilt: [UInt8] = []
            if segments.count == 1 {
                let check = SegmentLimits.check(segments[0], coding: coding, hasConcatenationUDH: false)
                #expect(check == .ok(characters: coding.characterCount(of: text)!))
                rebuilt = segments[0]
            } else {
                let reference = UInt16.random(in: 0...0xFFFF, using: &random)
                for (index, message) in TextSegmenter.shortMessages(segments: segments, reference: .sixteenBit(reference)).enumerated() {
                    let header = try UserDataHeader.parse(message).get()
                    #expect(header.concatenation?.sequence == UInt8(index + 1))
                    #expect(header.concatenation?.total == UInt8(segments.count))
                    let body = message[header.length...]
                    guard case .ok = SegmentLimits.check(body, coding: coding, hasConcatenationUDH: true) else {
                        Issue.record("segment \(index + 1) of \(segments.count) fails the check")
                        continue
                    }
                    #expect(coding.decode(body).map { _ in true } == .success(true), "a segment must never split a pair")
                    rebuilt += body
                }
            }
            #expect(coding.decode(rebuilt) == .success(text))
        }
    }
}
