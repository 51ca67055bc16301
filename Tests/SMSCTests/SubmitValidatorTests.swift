// submit_sm validation in the order of docs/messaging.md's table (CONTRACT C-SUB-1..8),
// checked without sockets: each row provoked once, plus the successful shapes.
import Testing
import SMPP
import Store
import Carrier
@testable import SMSC

@Suite struct SubmitValidatorTests {
    let account = Account(systemID: "acme", password: .plaintext(Array("pw".utf8)),
                          numbers: ["+12125550100", "12125550101"], defaultNumber: "+12125550100")

    /// Runs `body` with a SubmitFields whose views point into arrays kept alive for the call.
    func check(source: String = "", destination: String = "+447700900123", sourceTon: UInt8 = 1, sourceNpi: UInt8 = 1,
               destTon: UInt8 = 1, destNpi: UInt8 = 1, esmClass: UInt8 = 0, schedule: String = "", validity: String = "",
               coding: UInt8 = 1, message: [UInt8] = Array("hello".utf8), tlvs: [UInt8] = [],
               registered: UInt8 = 1) -> SubmitCheck {
        let s = Array(source.utf8), d = Array(destination.utf8), sc = Array(schedule.utf8), v = Array(validity.utf8)
        let m = message, t = tlvs
        return s.withUnsafeBytes { sp in d.withUnsafeBytes { dp in sc.withUnsafeBytes { scp in v.withUnsafeBytes { vp in
            m.withUnsafeBytes { mp in t.withUnsafeBytes { tp in
                let f = SubmitFields(sourceAddrTon: TON(rawValue: sourceTon), sourceAddrNpi: NPI(rawValue: sourceNpi),
                                     sourceAddr: BytesView(unsafeBorrowing: sp), destAddrTon: TON(rawValue: destTon),
                                     destAddrNpi: NPI(rawValue: destNpi), destinationAddr: BytesView(unsafeBorrowing: dp),
                                     esmClass: esmClass, scheduleDeliveryTime: BytesView(unsafeBorrowing: scp),
                                     validityPeriod: BytesView(unsafeBorrowing: vp), registeredDelivery: registered,
                                     dataCoding: coding, shortMessage: BytesView(unsafeBorrowing: mp),
                                     tlvs: TLVList(bytes: BytesView(unsafeBorrowing: tp)))
                return SubmitValidator.validate(f, account: account, nowMs: 1_700_000_000_000)
            } }
        } } } }
    }

    func status(_ c: SubmitCheck) -> CommandStatus? {
        if case .refused(let s) = c { return s }
        return nil
    }

    @Test func plainSubmitIsValidAndUsesTheDefaultNumber_C_SUB_2() throws {
        guard case .valid(let v) = check() else { Issue.record("refused"); return }
        #expect(String(describing: v.source.digits) == "12125550100")
        #expect(v.destinationNumber == 447_700_900_123)
        #expect(v.segments == 1)
        #expect(String(describing: v.receiptText) == "hello")
    }

    @Test func scheduleDeliveryTimeIsRefused_C_SUB_7() {
        #expect(status(check(schedule: "240101000000000+")) == .ESME_RINVSCHED)
    }

    @Test func malformedValidityIsRefused_C_SUB_7() {
        #expect(status(check(validity: "2401")) == .ESME_RINVEXPIRY)
        #expect(status(check(validity: "000001000000000X")) == .ESME_RINVEXPIRY)
        guard case .valid(let v) = check(validity: "000001000000000R") else { Issue.record("refused"); return }
        let deadline: Int64? = 1_700_086_400_000
        #expect(v.validityDeadlineMs == deadline)
    }

    @Test(arguments: ["12345", "+0123456789", "+1234567890123456", "+1212555x100", ""])
    func destinationMustBeE164_C_SUB_2(_ d: String) {
        #expect(status(check(destination: d)) == .ESME_RINVDSTADR)
    }

    /// The PDU-field parser (words at a time) agrees with the generic one on valid numbers,
    /// every length either side of 8-15, a leading 0 or +, and a non-digit at each position.
    @Test func e164OverAFieldAgreesWithTheGenericParser() {
        var inputs: [String] = ["", "+", "0", "+0"]
        for length in 6...17 {
            let digits = String((0..<length).map { Character(String(($0 * 7 + 1) % 10)) })
            inputs += [digits, "+" + digits, "0" + digits.dropFirst(), "+0" + digits.dropFirst()]
            for position in 0..<length {
                for bad in ["/", ":", "a", " ", "\u{00}", "é"] {
                    var chars = Array(digits)
                    chars[position] = Character(bad)
                    inputs += [String(chars), "+" + String(chars)]
                }
            }
        }
        var random = SplitMix64(seed: 21)
        for _ in 0..<10_000 {
            let length = 8 + Int(random.next() % 8)
            inputs.append(String((0..<length).map { $0 == 0 ? "123456789".randomElement(using: &random)! : "0123456789".randomElement(using: &random)! }))
        }
        var accepted = 0
        for input in inputs {
            var bytes = Array(input.utf8)
            let field = bytes.withUnsafeMutableBytes { E164.parse(BytesView(unsafeBorrowing: UnsafeRawBufferPointer($0))) }
            let generic = E164.parse(input.utf8)
            #expect(field?.digits == generic?.digits && field?.number == generic?.number, "\(input.debugDescription)")
            if generic != nil { accepted += 1 }
        }
        #expect(accepted == 16 + 10_000, "8...15 digits, with and without +")
    }

    @Test func tonAndNpiOutsideTheTablesAreRefused_C_SUB_2() {
        #expect(status(check(destTon: 7)) == .ESME_RINVDSTTON)
        #expect(status(check(destNpi: 2)) == .ESME_RINVDSTNPI)
        #expect(status(check(source: "+12125550100", sourceTon: 9)) == .ESME_RINVSRCTON)
        #expect(status(check(source: "+12125550100", sourceNpi: 5)) == .ESME_RINVSRCNPI)
        if case .refused = check(destTon: 0, destNpi: 0) { Issue.record("TON 0 / NPI 0 are in the tables") }
    }

    @Test func sourceMustBeTheAccountsOwn_C_SUB_2() {
        #expect(status(check(source: "+19995550100")) == .ESME_RINVSRCADR)
        if case .refused = check(source: "12125550100") { Issue.record("own number without + refused") }
        if case .refused = check(source: "+12125550101") { Issue.record("own number with + refused") }
    }

    @Test(arguments: [UInt8(0x02), 0x04, 0xF0])
    func unsupportedCodingsAreRefused_C_SUB_3(_ coding: UInt8) {
        #expect(status(check(coding: coding)) == .ESME_RINVDCS)
    }

    @Test func segmentLimits_C_SUB_4() {
        if case .refused = check(message: [UInt8](repeating: 0x41, count: 160)) { Issue.record("160 ASCII refused") }
        #expect(status(check(message: [UInt8](repeating: 0x41, count: 161))) == .ESME_RINVMSGLEN)
        if case .refused = check(coding: 8, message: [UInt8](repeating: 0x30, count: 140)) { Issue.record("70 UCS-2 refused") }
        #expect(status(check(coding: 8, message: [UInt8](repeating: 0x30, count: 142))) == .ESME_RINVMSGLEN)
        #expect(status(check(coding: 8, message: [0x00, 0x41, 0x00])) == .ESME_RINVMSGLEN)
    }

    @Test func concatenationUDHSegments_C_SUB_5() {
        let udh: [UInt8] = [0x05, 0x00, 0x03, 0xCC, 0x03, 0x01]
        guard case .valid(let v) = check(esmClass: 0x40, message: udh + [UInt8](repeating: 0x41, count: 153)) else {
            Issue.record("153 with UDH refused"); return
        }
        #expect(v.concatenation?.total == 3)
        #expect(status(check(esmClass: 0x40, message: udh + [UInt8](repeating: 0x41, count: 154))) == .ESME_RINVMSGLEN)
        #expect(status(check(esmClass: 0x40, message: [0x05, 0x00, 0x03, 0xCC, 0x03, 0x04, 0x41])) == .ESME_RINVMSGLEN)
        #expect(status(check(esmClass: 0x40, message: [0x09, 0x00])) == .ESME_RINVMSGLEN)
    }

    @Test func messagePayloadCostsOneCreditPerSegment_C_SUB_5() {
        let text = [UInt8](repeating: 0x41, count: 400)
        let tlv: [UInt8] = [0x04, 0x24, UInt8(text.count >> 8), UInt8(text.count & 0xFF)] + text
        guard case .valid(let v) = check(message: [], tlvs: tlv) else { Issue.record("payload refused"); return }
        #expect(v.segments == 3)
        #expect(status(check(message: Array("x".utf8), tlvs: tlv)) == .ESME_RINVMSGLEN)
    }

    @Test func smppTimeFinalDateIsSixteenCharacters() {
        let d = SMPPTime.absolute(unixMs: 951_782_400_000)
        #expect(String(decoding: d, as: UTF8.self) == "000229000000000+")
    }

    /// Dates break at month and year ends: the last second of a year and the first of the next
    /// are one second apart in both directions of the §7.1.1 format, whatever today is.
    @Test func smppTimeAcrossAYearBoundary() {
        let lastSecond: Int64 = 1_798_761_599_000   // 2026-12-31 23:59:59 UTC
        #expect(String(decoding: SMPPTime.absolute(unixMs: lastSecond), as: UTF8.self) == "261231235959000+")
        #expect(String(decoding: SMPPTime.absolute(unixMs: lastSecond + 1_000), as: UTF8.self) == "270101000000000+")
        func deadline(_ text: String, now: Int64 = 0) -> Int64? {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBytes { SMPPTime.deadline(BytesView(unsafeBorrowing: $0), nowMs: now) }
        }
        #expect(deadline("261231235959000+") == lastSecond)
        #expect(deadline("270101000000000+") == lastSecond + 1_000)
        // An offset moves a local time across the boundary: 00:30 on 1 January at UTC+1 (4
        // quarter hours) is 23:30 on 31 December UTC.
        #expect(deadline("270101003000004+") == lastSecond + 1_000 - 30 * 60_000)
        // A relative validity counts seconds from now, across the boundary too.
        #expect(deadline("000000000010000R", now: lastSecond) == lastSecond + 10_000)
        #expect(deadline("270229000000000+") == nil)   // 2027 is not a leap year
    }
}
