// Message states, civil dates from Unix time, and delivery receipt text (C-DLV-1, C-MGT-1).
import Testing
@testable import SMPP

@Suite struct MessageStateTests {
    @Test func valuesAreThoseOfSpecSection5_2_28_C_MGT_1() {
        let expected: [(MessageState, UInt8, String)] = [
            (.enroute, 1, "ENROUTE"), (.delivered, 2, "DELIVERED"), (.expired, 3, "EXPIRED"),
            (.deleted, 4, "DELETED"), (.undeliverable, 5, "UNDELIVERABLE"), (.accepted, 6, "ACCEPTED"),
            (.unknown, 7, "UNKNOWN"), (.rejected, 8, "REJECTED"),
        ]
        for (state, raw, name) in expected {
            #expect(state.rawValue == raw)
            #expect(MessageState(rawValue: raw) == state)
            #expect(state.description == name)
        }
        #expect(MessageState(rawValue: 0) == nil)
        #expect(MessageState(rawValue: 9) == nil)
    }

    @Test func statWordsMapBothWays_C_DLV_1() {
        let words: [(MessageState, String)] = [
            (.delivered, "DELIVRD"), (.expired, "EXPIRED"), (.deleted, "DELETED"), (.undeliverable, "UNDELIV"),
            (.accepted, "ACCEPTD"), (.unknown, "UNKNOWN"), (.rejected, "REJECTD"), (.enroute, "ENROUTE"),
        ]
        for (state, word) in words {
            #expect(state.stat == word)
            #expect(state.stat.utf8.count == 7)
            #expect(MessageState(stat: word) == state)
            #expect(MessageState(stat: word.lowercased()) == state)
        }
        #expect(MessageState(stat: "DELIVERED") == .delivered)
        #expect(MessageState(stat: "undeliverable") == .undeliverable)
        #expect(MessageState(stat: "FAILED") == nil)
    }

    @Test func onlyEnrouteAndAcceptedAreNotFinal() {
        #expect(MessageState.allCases.filter { !$0.isFinal } == [.enroute, .accepted])
    }
}

@Suite struct CivilDateTimeTests {
    @Test(arguments: [
        (Int64(0), CivilDateTime(year: 1970, month: 1, day: 1)),
        (951_782_400, CivilDateTime(year: 2000, month: 2, day: 29)),
        (1_735_689_599, CivilDateTime(year: 2024, month: 12, day: 31, hour: 23, minute: 59, second: 59)),
        (1_709_164_800, CivilDateTime(year: 2024, month: 2, day: 29)),
        (1_700_000_000, CivilDateTime(year: 2023, month: 11, day: 14, hour: 22, minute: 13, second: 20)),
        (4_102_444_800, CivilDateTime(year: 2100, month: 1, day: 1)),
        (253_402_300_799, CivilDateTime(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59)),
        (-1, CivilDateTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59)),
        (-31_536_000, CivilDateTime(year: 1969, month: 1, day: 1)),
        (-62_135_596_800, CivilDateTime(year: 1, month: 1, day: 1)),
    ] as [(Int64, CivilDateTime)])
    func convertsKnownUnixTimestamps(unixSeconds: Int64, expected: CivilDateTime) {
        let date = CivilDateTime(unixSeconds: unixSeconds)
        #expect(date == expected)
        #expect(date.isValid)
        #expect(date.unixSeconds == unixSeconds)
    }

    @Test func roundTripsEveryDayOverFourCenturiesAndRandomSeconds() {
        var previous = CivilDateTime(unixSeconds: -86_400 * 146_097 - 86_400)
        for day in Int64(-146_097)...Int64(146_097) {
            let date = CivilDateTime(unixSeconds: day * 86_400)
            #expect(date.unixSeconds == day * 86_400)
            #expect(date.isValid)
            let isNextDay = (date.day == previous.day + 1 && date.month == previous.month)
                || (date.day == 1 && (date.month == previous.month % 12 + 1))
            if !isNextDay { Issue.record("\(previous) is not followed by \(date)") }
            previous = date
        }
        var random = TextTestRandom(seed: 0x5EED_0005)
        for _ in 0..<10_000 {
            let seconds = Int64.random(in: -10_000_000_000...10_000_000_000, using: &random)
            #expect(CivilDateTime(unixSeconds: seconds).unixSeconds == seconds)
        }
    }

    @Test func validityChecksEveryField() {
        #expect(CivilDateTime(year: 2024, month: 2, day: 29).isValid)
        #expect(!CivilDateTime(year: 2023, month: 2, day: 29).isValid)
        #expect(!CivilDateTime(year: 2100, month: 2, day: 29).isValid)
        #expect(CivilDateTime(year: 2000, month: 2, day: 29).isValid)
        #expect(!CivilDateTime(year: 2024, month: 4, day: 31).isValid)
        #expect(!CivilDateTime(year: 2024, month: 13, day: 1).isValid)
        #expect(!CivilDateTime(year: 2024, month: 1, day: 0).isValid)
        #expect(!CivilDateTime(year: 2024, month: 1, day: 1, hour: 24).isValid)
        #expect(!CivilDateTime(year: 2024, month: 1, day: 1, minute: 60).isValid)
        #expect(!CivilDateTime(year: 2024, month: 1, day: 1, second: 60).isValid)
        #expect(CivilDateTime(unixSeconds: 1_735_689_599).description == "2024-12-31 23:59:59")
    }
}

@Suite struct ReceiptFormatTests {
    let submitted = CivilDateTime(unixSeconds: 1_735_689_599)  // 2024-12-31 23:59:59
    let done = CivilDateTime(year: 2025, month: 1, day: 1, hour: 0, minute: 0, second: 5)

    @Test func formatsTheC_DLV_1LayoutByteExact() {
        let receipt = ReceiptText.format(
            id: "abc123", state: .delivered, submitDate: submitted, doneDate: done,
            errorCode: 0, text: "Hello world, this is a long message")
        #expect(String(decoding: receipt, as: UTF8.self)
            == "id:abc123 sub:001 dlvrd:001 submit date:2412312359 done date:2501010000 stat:DELIVRD err:000 text:Hello world, this is")
    }

    @Test func failedStatesReportNothingDelivered_C_DLV_1() {
        for state in MessageState.allCases where state != .delivered {
            let receipt = ReceiptText.format(
                id: "9", state: state, submitDate: submitted, doneDate: done, errorCode: 1, text: "x")
            #expect(String(decoding: receipt, as: UTF8.self)
                == "id:9 sub:001 dlvrd:000 submit date:2412312359 done date:2501010000 stat:\(state.stat) err:001 text:x")
        }
    }

    @Test func errorCodeIsThreeDigitsClamped() {
        func err(_ code: Int) -> String {
            let receipt = ReceiptText.format(id: "1", state: .undeliverable, submitDate: submitted, doneDate: done, errorCode: code, text: "")
            return String(String(decoding: receipt, as: UTF8.self).split(separator: " ")[8])
        }
        #expect(err(7) == "err:007")
        #expect(err(42) == "err:042")
        #expect(err(999) == "err:999")
        #expect(err(1234) == "err:999")
        #expect(err(-5) == "err:000")
    }

    @Test func textFieldIsFirst20CharactersAsAscii() {
        func field(_ bytes: [UInt8], _ coding: DataCoding) -> String {
            func receipt(_ text: [UInt8]) -> [UInt8] {
                ReceiptText.format(
                    id: "1", state: .delivered, submitDate: submitted, doneDate: done, errorCode: 0, text: text, textCoding: coding)
            }
            let layoutCount = receipt([]).count  // everything up to and including "text:"
            return String(decoding: receipt(bytes)[layoutCount...], as: UTF8.self)
        }
        #expect(field(asciiBytes("a", count: 25), .ascii) == String(repeating: "a", count: 20))
        #expect(field(Array("café".utf8.map { $0 }), .ascii) == "caf??")  // UTF-8 bytes given as ASCII: each high byte is "?"
        #expect(field([0x63, 0x61, 0x66, 0xE9], .latin1) == "caf?")
        #expect(field(try! DataCoding.ucs2.encode("Привет 😀 hi").get(), .ucs2) == "?????? ? hi")
        #expect(field(try! DataCoding.ucs2.encode(String(repeating: "😀", count: 30)).get(), .ucs2) == String(repeating: "?", count: 20))
        #expect(field(hex("DC 00 00 41"), .ucs2) == "?A")
        #expect(field([0x41], DataCoding(rawValue: 0x02)) == "")
        #expect(field([], .ascii) == "")
    }

    @Test func writesIntoACallerBufferWithoutTouchingItWhenTooSmall() {
        let expected = ReceiptText.format(
            id: "abc123", state: .expired, submitDate: submitted, doneDate: done, errorCode: 0, text: "hi")
        var small = [UInt8](repeating: 0xEE, count: expected.count - 1)
        let outcome = ReceiptText.format(
            id: "abc123".utf8, state: .expired, submitDate: submitted, doneDate: done, errorCode: 0,
            text: "hi".utf8, textCoding: .ascii, into: &small)
        #expect(outcome == .needsCapacity(byteCount: expected.count))
        #expect(small.allSatisfy { $0 == 0xEE })

        var ring = [UInt8](repeating: 0xEE, count: expected.count + 8)
        ring.withUnsafeMutableBytes { raw in
            var region = raw[4...]
            let written = ReceiptText.format(
                id: "abc123".utf8, state: .expired, submitDate: submitted, doneDate: done, errorCode: 0,
                text: "hi".utf8, textCoding: .ascii, into: &region)
            #expect(written == .written(byteCount: expected.count))
        }
        #expect(Array(ring[4..<(4 + expected.count)]) == expected)
        #expect(ring.prefix(4).allSatisfy { $0 == 0xEE } && ring.suffix(4).allSatisfy { $0 == 0xEE })
    }
}

@Suite struct ReceiptParseTests {
    @Test func parsesWhatFormatWrites_C_DLV_1() throws {
        let text = "id:abc123 sub:001 dlvrd:001 submit date:2412312359 done date:2501010000 stat:DELIVRD err:000 text:Hello world, this is"
        let receipt = try #require(ReceiptText.parse(text))
        #expect(receipt.id == "abc123")
        #expect(receipt.submitted == 1)
        #expect(receipt.delivered == 1)
        #expect(receipt.submitDate == CivilDateTime(year: 2024, month: 12, day: 31, hour: 23, minute: 59))
        #expect(receipt.doneDate == CivilDateTime(year: 2025, month: 1, day: 1))
        #expect(receipt.stat == "DELIVRD")
        #expect(receipt.state == .delivered)
        #expect(receipt.error == "000")
        #expect(receipt.errorCode == 0)
        #expect(receipt.text == "Hello world, this is")
    }

    @Test func acceptsUpperCaseKeysAndFullStateNames() throws {
        let receipt = try #require(ReceiptText.parse(
            "ID:7F3A SUB:001 DLVRD:000 SUBMIT DATE:2401021530 DONE DATE:2401021531 STAT:UNDELIVERABLE ERR:034 TEXT:hi there"))
        #expect(receipt.id == "7F3A")
        #expect(receipt.state == .undeliverable)
        #expect(receipt.errorCode == 34)
        #expect(receipt.text == "hi there")
        #expect(receipt.doneDate == CivilDateTime(year: 2024, month: 1, day: 2, hour: 15, minute: 31))
    }

    @Test func acceptsUnderscoreKeysTwelveDigitDatesAndNoTextField() throws {
        let receipt = try #require(ReceiptText.parse(
            "id:1234567890 sub:001 dlvrd:001 submit_date:240229153045 done_date:240229153159 stat:DELIVRD err:000"))
        #expect(receipt.submitDate == CivilDateTime(year: 2024, month: 2, day: 29, hour: 15, minute: 30, second: 45))
        #expect(receipt.doneDate == CivilDateTime(year: 2024, month: 2, day: 29, hour: 15, minute: 31, second: 59))
        #expect(receipt.text == nil)
        #expect(receipt.error == "000")
    }

    @Test func acceptsMixedCaseTextKeyExtraSpacesUnknownFieldsAndTrailingNUL() throws {
        let receipt = try #require(ReceiptText.parse(Array(
            "id:42  sub:001 dlvrd:001 carrier:xyz submit date:2401010000 done date:2401010001 stat:ACCEPTD err:0 Text:a:b c\u{0}".utf8)))
        #expect(receipt.id == "42")
        #expect(receipt.state == .accepted)
        #expect(receipt.errorCode == 0)
        #expect(receipt.text == "a:b c")
    }

    @Test func keepsUnknownStatWordsAndNonNumericErrors() throws {
        let receipt = try #require(ReceiptText.parse("id:x stat:FAILED err:X9"))
        #expect(receipt.stat == "FAILED")
        #expect(receipt.state == nil)
        #expect(receipt.error == "X9")
        #expect(receipt.errorCode == nil)
        #expect(receipt.submitDate == nil)
    }

    @Test func impossibleDatesAreNilNotFatal() throws {
        let receipt = try #require(ReceiptText.parse(
            "id:1 submit date:2413011200 done date:23022912 stat:DELIVRD"))
        #expect(receipt.submitDate == nil)
        #expect(receipt.doneDate == nil)
        #expect(try #require(ReceiptText.parse("id:1 submit date:2302291200 stat:DELIVRD")).submitDate == nil)
    }

    @Test func requiresIdAndStat() {
        #expect(ReceiptText.parse("sub:001 dlvrd:001 stat:DELIVRD") == nil)
        #expect(ReceiptText.parse("id:1 sub:001 dlvrd:001") == nil)
        #expect(ReceiptText.parse("") == nil)
        #expect(ReceiptText.parse("hello, this is an MO message") == nil)
    }

    @Test func randomReceiptsRoundTripThroughFormatAndParse_C_DLV_1() throws {
        var random = TextTestRandom(seed: 0x5EED_0006)
        let idAlphabet = Array("0123456789abcdefABCDEF-".utf8)
        for _ in 0..<1_000 {
            let id = String(decoding: (0..<Int.random(in: 1...64, using: &random)).map { _ in
                idAlphabet.randomElement(using: &random)!
            }, as: UTF8.self)
            let state = MessageState.allCases.randomElement(using: &random)!
            let submit = CivilDateTime(unixSeconds: Int64.random(in: 946_684_800...4_102_444_799, using: &random))
            let done = CivilDateTime(unixSeconds: submit.unixSeconds + Int64.random(in: 0...864_000, using: &random))
            let errorCode = Int.random(in: 0...999, using: &random)
            let text = String(decoding: (0..<Int.random(in: 0...40, using: &random)).map { _ in
                UInt8.random(in: 0x20...0x7E, using: &random)
            }, as: UTF8.self)

            var buffer = [UInt8](repeating: 0, count: 256)
            let outcome = ReceiptText.format(
                id: id.utf8, state: state, submitDate: submit, doneDate: done, errorCode: errorCode,
                text: text.utf8, textCoding: .ascii, into: &buffer)
            guard case .written(let count) = outcome else {
                Issue.record("256 bytes should hold any receipt with a 64-character id")
                continue
            }
            let receipt = try #require(ReceiptText.parse(buffer[..<count]))
            #expect(receipt.id == id)
            #expect(receipt.state == state)
            #expect(receipt.submitted == 1)
            #expect(receipt.delivered == (state == .delivered ? 1 : 0))
            var submitMinute = submit
            submitMinute.second = 0
            var doneMinute = done
            doneMinute.second = 0
            if done.year < 2100 { #expect(receipt.doneDate == doneMinute) }
            #expect(receipt.submitDate == submitMinute)
            #expect(receipt.errorCode == errorCode)
            #expect(receipt.text == String(text.prefix(20)))
        }
    }
}
