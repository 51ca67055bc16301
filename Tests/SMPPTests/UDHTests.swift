// User Data Header parsing and building, and sar_* TLV validation (C-SUB-4, C-SUB-5).
import Testing
@testable import SMPP

@Suite struct UDHParseTests {
    @Test func parsesEightBitReferenceHeader_C_SUB_5() throws {
        let header = try UserDataHeader.parse(hex("05 00 03 CC 03 01") + asciiBytes("h", count: 3)).get()
        #expect(header.length == 6)
        let info = try #require(header.concatenation)
        #expect(info.reference == .eightBit(0xCC))
        #expect(info.reference.value == 0xCC)
        #expect(info.total == 3)
        #expect(info.sequence == 1)
    }

    @Test func parsesSixteenBitReferenceHeader_C_SUB_5() throws {
        let header = try UserDataHeader.parse(hex("06 08 04 12 34 03 02 00 41")).get()
        #expect(header.length == 7)
        #expect(try header.concatenation == ConcatenationInfo.validated(reference: .sixteenBit(0x1234), total: 3, sequence: 2).get())
    }

    @Test func headerFillingTheWholeMessageIsValid() throws {
        let header = try UserDataHeader.parse(hex("05 00 03 01 02 02")).get()
        #expect(header.length == 6)
        #expect(header.concatenation?.sequence == 2)
    }

    @Test func skipsOtherElementsAroundTheConcatenationElement_C_SUB_5() throws {
        // IEI 0x05 (16-bit port addressing, 4 bytes), then 0x00, then 0x24 with no data.
        let header = try UserDataHeader.parse(hex("0D 05 04 0B 84 23 F0 00 03 7F 02 02 24 00 41 42")).get()
        #expect(header.length == 14)
        #expect(try header.concatenation == ConcatenationInfo.validated(reference: .eightBit(0x7F), total: 2, sequence: 2).get())
    }

    @Test func headerWithoutConcatenationElementHasNoConcatenationInfo() throws {
        let header = try UserDataHeader.parse(hex("04 05 02 0B 84 41")).get()
        #expect(header.length == 5)
        #expect(header.concatenation == nil)
        let empty = try UserDataHeader.parse(hex("00 41")).get()
        #expect(empty.length == 1)
        #expect(empty.concatenation == nil)
    }

    @Test func lastOfRepeatedConcatenationElementsWins() throws {
        let header = try UserDataHeader.parse(hex("0B 00 03 01 02 01 08 04 AB CD 05 04")).get()
        #expect(header.concatenation?.reference == .sixteenBit(0xABCD))
        #expect(header.concatenation?.sequence == 4)
    }

    @Test(arguments: [
        ([], ConcatenationError.missingHeaderLength),
        ([0x05, 0x00, 0x03, 0xCC, 0x03], .headerPastEnd),
        ([0xFF] + asciiBytes("a", count: 100), .headerPastEnd),
        ([0x04, 0x00, 0x03, 0xCC, 0x03, 0x01], .elementPastHeader),
        ([0x05, 0x00, 0x04, 0xCC, 0x03, 0x01, 0x00], .elementPastHeader),
        ([0x01, 0x00, 0x41], .elementPastHeader),
        ([0x03, 0x24, 0x00, 0x24, 0x41], .elementPastHeader),
        ([0x04, 0x00, 0x02, 0xCC, 0x03, 0x41], .badConcatenationLength),
        ([0x06, 0x00, 0x04, 0xCC, 0xCC, 0x03, 0x01], .badConcatenationLength),
        ([0x05, 0x08, 0x03, 0x12, 0x03, 0x01], .badConcatenationLength),
        ([0x07, 0x08, 0x05, 0x12, 0x34, 0x03, 0x01, 0x00], .badConcatenationLength),
        ([0x05, 0x00, 0x03, 0xCC, 0x00, 0x00], .zeroTotal),
        ([0x05, 0x00, 0x03, 0xCC, 0x00, 0x01], .zeroTotal),
        ([0x05, 0x00, 0x03, 0xCC, 0x03, 0x00], .zeroSequence),
        ([0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x00], .zeroSequence),
        ([0x05, 0x00, 0x03, 0xCC, 0x03, 0x04], .sequenceAboveTotal),
        ([0x06, 0x08, 0x04, 0x12, 0x34, 0x01, 0x02], .sequenceAboveTotal),
    ] as [([UInt8], ConcatenationError)])
    func malformedHeaderIsATypedError_C_SUB_4(message: [UInt8], expected: ConcatenationError) {
        #expect(UserDataHeader.parse(message) == .failure(expected))
    }

    @Test func parsesRawBufferAndSliceWithNonZeroStart() throws {
        let pdu = hex("FF FF 06 08 04 12 34 03 02 00 41")
        let fromSlice = try UserDataHeader.parse(pdu[2...]).get()
        #expect(fromSlice.length == 7)
        #expect(fromSlice.concatenation?.reference == .sixteenBit(0x1234))
        try pdu.withUnsafeBytes { raw in
            let fromRaw = try UserDataHeader.parse(raw[2...]).get()
            #expect(fromRaw == fromSlice)
        }
    }

    @Test func randomBytesNeverTrapAndValidHeadersStayInsideTheMessage() {
        var random = TextTestRandom(seed: 0x5EED_0002)
        for _ in 0..<5_000 {
            let count = Int.random(in: 0...24, using: &random)
            var message = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            if !message.isEmpty { message[0] = UInt8.random(in: 0...UInt8(min(count + 1, 255)), using: &random) }
            if case .success(let header) = UserDataHeader.parse(message) {
                #expect(header.length >= 1 && header.length <= message.count)
                if let info = header.concatenation { #expect(info.sequence >= 1 && info.sequence <= info.total) }
            }
        }
    }
}

@Suite struct UDHBuildTests {
    @Test func buildsEightBitReferenceHeaderByteExact_C_SUB_5() throws {
        let info = try ConcatenationInfo.validated(reference: .eightBit(0xCC), total: 3, sequence: 1).get()
        #expect(UserDataHeader.concatenationHeader(info) == hex("05 00 03 CC 03 01"))
        #expect(UserDataHeader.concatenationHeaderLength(for: info.reference) == 6)
    }

    @Test func buildsSixteenBitReferenceHeaderByteExact_C_SUB_5() throws {
        let info = try ConcatenationInfo.validated(reference: .sixteenBit(0x1234), total: 3, sequence: 2).get()
        #expect(UserDataHeader.concatenationHeader(info) == hex("06 08 04 12 34 03 02"))
    }

    @Test func writesIntoCallerBufferOnlyWhenItFits() throws {
        let info = try ConcatenationInfo.validated(reference: .sixteenBit(0xBEEF), total: 9, sequence: 9).get()
        var small = [UInt8](repeating: 0xAA, count: 6)
        #expect(UserDataHeader.writeConcatenation(info, into: &small) == .needsCapacity(byteCount: 7))
        #expect(small == [UInt8](repeating: 0xAA, count: 6))

        var output = [UInt8](repeating: 0xAA, count: 10)
        output.withUnsafeMutableBytes { raw in
            var tail = raw[2...]
            #expect(UserDataHeader.writeConcatenation(info, into: &tail) == .written(byteCount: 7))
        }
        #expect(output == hex("AA AA 06 08 04 BE EF 09 09 AA"))
    }

    @Test func builtHeadersParseBackToTheSameInfo() throws {
        var random = TextTestRandom(seed: 0x5EED_0003)
        for _ in 0..<1_000 {
            let total = UInt8.random(in: 1...255, using: &random)
            let sequence = UInt8.random(in: 1...total, using: &random)
            let reference: ConcatenationReference = Bool.random(using: &random)
                ? .eightBit(.random(in: 0...255, using: &random)) : .sixteenBit(.random(in: 0...0xFFFF, using: &random))
            let info = try ConcatenationInfo.validated(reference: reference, total: total, sequence: sequence).get()
            let header = try UserDataHeader.parse(UserDataHeader.concatenationHeader(info) + [0x41]).get()
            #expect(header.concatenation == info)
            #expect(header.length == UserDataHeader.concatenationHeaderLength(for: reference))
        }
    }

    @Test func concatenationInfoRejectsBadNumbering_C_SUB_5() {
        #expect(ConcatenationInfo.validated(reference: .eightBit(1), total: 0, sequence: 0) == .failure(.zeroTotal))
        #expect(ConcatenationInfo.validated(reference: .eightBit(1), total: 2, sequence: 0) == .failure(.zeroSequence))
        #expect(ConcatenationInfo.validated(reference: .eightBit(1), total: 2, sequence: 3) == .failure(.sequenceAboveTotal))
    }
}

@Suite struct SarInfoTests {
    @Test func acceptsValidSarNumbering_C_SUB_5() throws {
        let sar = try SarInfo.validated(sarMsgRefNum: 0x1234, sarTotalSegments: 3, sarSegmentSeqnum: 3).get()
        #expect(sar.sarMsgRefNum == 0x1234)
        #expect(sar.concatenation.reference == .sixteenBit(0x1234))
        #expect(sar.concatenation.total == 3)
        #expect(SarInfo(sar.concatenation) == sar)
    }

    @Test func appliesTheUDHNumberingRulesToSar_C_SUB_5() {
        #expect(SarInfo.validated(sarMsgRefNum: 1, sarTotalSegments: 0, sarSegmentSeqnum: 1) == .failure(.zeroTotal))
        #expect(SarInfo.validated(sarMsgRefNum: 1, sarTotalSegments: 2, sarSegmentSeqnum: 0) == .failure(.zeroSequence))
        #expect(SarInfo.validated(sarMsgRefNum: 1, sarTotalSegments: 2, sarSegmentSeqnum: 3) == .failure(.sequenceAboveTotal))
    }

    @Test func sarTLVsComeAllTogetherOrNotAtAll_C_SUB_5() throws {
        #expect(SarInfo.fromTLVs(sarMsgRefNum: nil, sarTotalSegments: nil, sarSegmentSeqnum: nil) == .success(nil))
        #expect(SarInfo.fromTLVs(sarMsgRefNum: 7, sarTotalSegments: 2, sarSegmentSeqnum: nil) == .failure(.incompleteSar))
        #expect(SarInfo.fromTLVs(sarMsgRefNum: nil, sarTotalSegments: 2, sarSegmentSeqnum: 1) == .failure(.incompleteSar))
        #expect(SarInfo.fromTLVs(sarMsgRefNum: 7, sarTotalSegments: 2, sarSegmentSeqnum: 5) == .failure(.sequenceAboveTotal))
        let sar = try #require(try SarInfo.fromTLVs(sarMsgRefNum: 7, sarTotalSegments: 2, sarSegmentSeqnum: 1).get())
        #expect(sar.sarSegmentSeqnum == 1)
    }

    @Test func eightBitUDHReferenceWidensToSarReference() throws {
        let info = try ConcatenationInfo.validated(reference: .eightBit(0xCC), total: 2, sequence: 1).get()
        #expect(SarInfo(info).sarMsgRefNum == 0x00CC)
    }
}
