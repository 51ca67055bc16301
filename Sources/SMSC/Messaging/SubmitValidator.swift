// Checks one submit_sm (or data_sm / submit_multi destination) against CONTRACT §4 and
// docs/messaging.md's table, in the table's order, and extracts what the store needs.
// Pure: no state, any thread; allocation-free on the success path.
import SMPP
import Store

/// smppd's status for a data_coding outside 0x00/0x01/0x03/0x08: SMPP 5.0's ESME_RINVDCS,
/// which lies in v3.4's reserved extension range (CONTRACT C-SUB-3 leaves the value to us).
extension CommandStatus {
    public static var ESME_RINVDCS: CommandStatus { CommandStatus(rawValue: 0x0000_0104) }
}

/// The fields of a message that validation reads, whichever PDU carried them.
struct SubmitFields {
    var sourceAddrTon: TON
    var sourceAddrNpi: NPI
    var sourceAddr: BytesView
    var destAddrTon: TON
    var destAddrNpi: NPI
    var destinationAddr: BytesView
    var esmClass: UInt8
    var scheduleDeliveryTime: BytesView
    var validityPeriod: BytesView
    var registeredDelivery: UInt8
    var dataCoding: UInt8
    var shortMessage: BytesView
    var tlvs: TLVList
    /// Read only when the message is forwarded upstream (OutboundMessage).
    var protocolID: UInt8 = 0
    var priorityFlag: UInt8 = 0
}

/// The validator's answer: the message as the store keeps it, or the status to answer with.
enum SubmitCheck {
    case valid(ValidatedSubmit)
    case refused(CommandStatus)
}

/// What a valid submit becomes.
struct ValidatedSubmit {
    var source: StoredAddress
    var destination: StoredAddress
    /// E.164 digits as an integer (for the carrier's test-number match).
    var sourceNumber: UInt64
    var destinationNumber: UInt64
    var coding: DataCoding
    /// Credits it costs: 1, or the number of segments a message_payload splits into.
    var segments: Int
    var concatenation: ConcatenationInfo?
    var receiptText: ShortBytes
    var registeredDelivery: UInt8
    var validityDeadlineMs: Int64?
}

/// What an account may send from (C-SUB-2), worked out once per bind instead of per submit_sm
/// (reading the Account for each message copied its reference-counted fields).
struct SourceRules {
    /// The default number, parsed: the source of a submit_sm with an empty source_addr.
    let defaultSource: (digits: ShortBytes, number: UInt64)?
    /// The account's numbers without '+'; empty: any source (a bare --account ID:PASSWORD).
    let owned: [ShortBytes]

    init(_ account: Account) {
        defaultSource = account.defaultNumber.flatMap { E164.parse($0) }
        owned = account.numbers.map { ShortBytes(truncating: $0.hasPrefix("+") ? $0.utf8.dropFirst() : $0.utf8[...]) }
    }

    func owns(_ digits: ShortBytes) -> Bool { owned.isEmpty || owned.contains(digits) }
}

enum SubmitValidator {
    static func validate(_ f: SubmitFields, account: Account, nowMs: Int64) -> SubmitCheck {
        validate(f, rules: SourceRules(account), nowMs: nowMs)
    }

    static func validate(_ f: SubmitFields, rules: SourceRules, nowMs: Int64) -> SubmitCheck {
        // C-SUB-7: no scheduling over SMPP.
        if f.scheduleDeliveryTime.count > 0 { return .refused(.ESME_RINVSCHED) }
        var validity: Int64? = nil
        if f.validityPeriod.count > 0 {
            guard let v = SMPPTime.deadline(f.validityPeriod, nowMs: nowMs) else { return .refused(.ESME_RINVEXPIRY) }
            validity = v
        }
        // C-SUB-2: destination first (TON/NPI tables, then E.164).
        guard f.destAddrTon.isKnown else { return .refused(.ESME_RINVDSTTON) }
        guard f.destAddrNpi.isKnown else { return .refused(.ESME_RINVDSTNPI) }
        guard let destination = E164.parse(f.destinationAddr) else { return .refused(.ESME_RINVDSTADR) }
        guard f.sourceAddrTon.isKnown else { return .refused(.ESME_RINVSRCTON) }
        guard f.sourceAddrNpi.isKnown else { return .refused(.ESME_RINVSRCNPI) }
        let source: (digits: ShortBytes, number: UInt64)
        if f.sourceAddr.count == 0 {
            guard let parsed = rules.defaultSource else { return .refused(.ESME_RINVSRCADR) }
            source = parsed
        } else {
            guard let parsed = E164.parse(f.sourceAddr), rules.owns(parsed.digits) else {
                return .refused(.ESME_RINVSRCADR)
            }
            source = parsed
        }
        // C-SUB-3: codings.
        let coding = DataCoding(rawValue: f.dataCoding)
        guard coding.isSupported else { return .refused(.ESME_RINVDCS) }
        // C-SUB-4/5: lengths, UDH, sar_*, message_payload.
        var segments = 1
        var concatenation: ConcatenationInfo? = nil
        var receiptText = ShortBytes()
        if let payload = f.tlvs.messagePayload {
            guard f.shortMessage.count == 0 else { return .refused(.ESME_RINVMSGLEN) }
            let check = payload.withUnsafeBytes { SegmentLimits.check($0, coding: coding, hasConcatenationUDH: false) }
            switch check {
            case .ok, .tooLong: break
            default: return .refused(.ESME_RINVMSGLEN)
            }
            segments = payload.withUnsafeBytes { Self.segmentCount(byteCount: $0.count, coding: coding, bytes: $0) }
            guard segments <= 255 else { return .refused(.ESME_RINVMSGLEN) }
            receiptText = MessageRecord.receiptText(of: payload, from: 0, coding: coding)
        } else {
            let hasUDH = f.esmClass & 0x40 != 0
            var textStart = 0
            if hasUDH {
                switch f.shortMessage.withUnsafeBytes({ UserDataHeader.parse($0) }) {
                case .success(let udh):
                    textStart = udh.length
                    concatenation = udh.concatenation
                case .failure:
                    return .refused(.ESME_RINVMSGLEN)
                }
            }
            switch SarInfo.fromTLVs(sarMsgRefNum: f.tlvs.sarMsgRefNum, sarTotalSegments: f.tlvs.sarTotalSegments,
                                    sarSegmentSeqnum: f.tlvs.sarSegmentSeqnum) {
            case .success(let sar?): concatenation = concatenation ?? sar.concatenation
            case .success(nil): break
            case .failure: return .refused(.ESME_RINVMSGLEN)
            }
            let check = f.shortMessage.withUnsafeBytes { raw in
                SegmentLimits.check(raw[textStart...], coding: coding,
                                    hasConcatenationUDH: concatenation != nil)
            }
            guard case .ok = check else { return .refused(.ESME_RINVMSGLEN) }
            receiptText = MessageRecord.receiptText(of: f.shortMessage, from: textStart, coding: coding)
        }
        return .valid(ValidatedSubmit(
            source: StoredAddress(source.digits, ton: f.sourceAddrTon.rawValue == 0 && f.sourceAddr.count == 0 ? 1 : f.sourceAddrTon.rawValue,
                                  npi: f.sourceAddrNpi.rawValue == 0 && f.sourceAddr.count == 0 ? 1 : f.sourceAddrNpi.rawValue),
            destination: StoredAddress(destination.digits, ton: f.destAddrTon.rawValue, npi: f.destAddrNpi.rawValue),
            sourceNumber: source.number, destinationNumber: destination.number,
            coding: coding, segments: segments, concatenation: concatenation, receiptText: receiptText,
            registeredDelivery: f.registeredDelivery, validityDeadlineMs: validity))
    }

    /// Segments a message_payload of `byteCount` bytes needs: 1 when it fits one SMS, else
    /// split at 153/67 characters (never breaking a UCS-2 surrogate pair).
    static func segmentCount<Bytes: RandomAccessCollection<UInt8>>(byteCount: Int, coding: DataCoding, bytes: Bytes) -> Int where Bytes.Index == Int {
        guard let charset = coding.charset else { return 1 }
        let single = SegmentLimits.limit(for: charset, hasConcatenationUDH: false)
        let units = charset == .ucs2 ? byteCount / 2 : byteCount
        if units <= single { return 1 }
        if charset != .ucs2 { return (units + SegmentLimits.singleByteSegmentLimit - 1) / SegmentLimits.singleByteSegmentLimit }
        // UCS-2: walk segments so a high surrogate never ends one.
        var start = 0, count = 0
        while start < units {
            var end = min(start + SegmentLimits.ucs2SegmentLimit, units)
            if end < units {
                let hi = UInt16(bytes[(end - 1) * 2]) << 8 | UInt16(bytes[(end - 1) * 2 + 1])
                if (0xD800...0xDBFF).contains(hi) { end -= 1 }
            }
            start = end
            count += 1
        }
        return count
    }
}

/// E.164 as CONTRACT C-SUB-2 has it: `+` optional, then 8–15 digits, first not 0. The one
/// parser for every place a number arrives (PDU fields, the admin API, the config file and
/// `--account`): each spelling only moves the digits into a ShortBytes, and `parse(digits:)`
/// decides, so the rule is written once.
public enum E164 {
    /// Digits (no `+`) and their value, or nil when `digits` (already without `+`) is not an
    /// E.164 number. Checked a word at a time: every submit_sm parses two addresses.
    @inline(__always)
    static func parse(digits: ShortBytes) -> (digits: ShortBytes, number: UInt64)? {
        guard (8...15).contains(digits.count), digits[0] != UInt8(ascii: "0"), digits.isAllASCIIDigits else { return nil }
        return (digits, value(ofDigits: digits))
    }

    /// The same over a PDU field: the digits copied a word at a time.
    static func parse(_ view: BytesView) -> (digits: ShortBytes, number: UInt64)? {
        let start = view.count > 0 && view[0] == UInt8(ascii: "+") ? 1 : 0
        let length = view.count - start
        guard (8...15).contains(length), let words = view.packedWords(from: start, count: length),
              let digits = ShortBytes(packed: words, count: length) else { return nil }
        return parse(digits: digits)
    }

    /// The same over any bytes (text from the admin API, the store's records).
    static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> (digits: ShortBytes, number: UInt64)? {
        var rest = bytes[...]
        if rest.first == UInt8(ascii: "+") { rest = rest.dropFirst() }
        guard let digits = ShortBytes(rest) else { return nil }
        return parse(digits: digits)
    }

    static func parse(_ text: String) -> (digits: ShortBytes, number: UInt64)? { parse(text.utf8) }

    /// Whether `text` is an E.164 number (the config loader's and `--account`'s check).
    public static func isValid(_ text: String) -> Bool { parse(text) != nil }

    /// The value of 8...15 ASCII digits: eight at a time in a word (pairs, then quads, then
    /// the eight), the rest right-aligned behind '0's and done the same way.
    @inline(__always)
    static func value(ofDigits digits: ShortBytes) -> UInt64 {
        let words = digits.packedWords
        let first = eightDigits(words.low)
        let rest = digits.count - 8
        guard rest > 0 else { return first }
        let shift = UInt64(8 * (8 - rest))
        let aligned = words.middle &<< shift | 0x3030_3030_3030_3030 &>> UInt64(8 * rest)
        return first &* powersOfTen[rest] &+ eightDigits(aligned)
    }

    /// Eight ASCII digits, the most significant in the lowest byte, as a number.
    @inline(__always)
    static func eightDigits(_ word: UInt64) -> UInt64 {
        var v = word &- 0x3030_3030_3030_3030
        v = (v &* 10 &+ v &>> 8) & 0x00FF_00FF_00FF_00FF
        v = (v &* 100 &+ v &>> 16) & 0x0000_FFFF_0000_FFFF
        return (v &* 10_000 &+ v &>> 32) & 0xFFFF_FFFF
    }

    static let powersOfTen: [UInt64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]
}
