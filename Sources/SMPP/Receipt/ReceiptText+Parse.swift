// ReceiptText+Parse: reading delivery receipt text back into a DeliveryReceipt, tolerant of
// what clients and carriers actually emit: keys in any case, "submit_date"/"done_date",
// 12-digit dates with seconds, any field order (text last), unknown fields, no text field.
// Allocates (Strings); used by clients, tests and tools, not per PDU in the server.

extension ReceiptText {
    /// Parses receipt text (a deliver_sm short_message with esm_class 0x04, or a
    /// message_payload). Returns nil when the `id:` or the `stat:` field is missing.
    ///
    /// Keys match case-insensitively, with "_" accepted for the space in "submit date" and
    /// "done date". Values run to the next space, except `text:`, which runs to the end
    /// (trailing NULs dropped). Dates are YYMMDDhhmm or YYMMDDhhmmss, read as 20YY; an
    /// impossible date is nil. Unknown tokens are skipped. Text is read as UTF-8, with
    /// invalid bytes replaced.
    public static func parse<Bytes: Collection<UInt8>>(_ receipt: Bytes) -> DeliveryReceipt? {
        let bytes = Array(receipt)
        var fields: [ReceiptKey: ArraySlice<UInt8>] = [:]
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: " ") {
                index += 1
                continue
            }
            guard let (key, valueStart) = ReceiptKey.match(bytes, at: index) else {
                index = bytes[index...].firstIndex(of: UInt8(ascii: " ")) ?? bytes.count
                continue
            }
            var valueEnd = key == .text ? bytes.count : (bytes[valueStart...].firstIndex(of: UInt8(ascii: " ")) ?? bytes.count)
            if key == .text {
                while valueEnd > valueStart && bytes[valueEnd - 1] == 0 { valueEnd -= 1 }
            }
            fields[key] = bytes[valueStart..<valueEnd]
            index = valueEnd
        }
        func string(_ key: ReceiptKey) -> String? { fields[key].map { String(decoding: $0, as: UTF8.self) } }
        guard let id = string(.id), let stat = string(.stat) else { return nil }
        var receipt = DeliveryReceipt(id: id, stat: stat)
        receipt.submitted = fields[.sub].flatMap(decimal)
        receipt.delivered = fields[.dlvrd].flatMap(decimal)
        receipt.submitDate = fields[.submitDate].flatMap(receiptDate)
        receipt.doneDate = fields[.doneDate].flatMap(receiptDate)
        receipt.error = string(.err)
        receipt.text = string(.text)
        return receipt
    }

    /// Parses receipt text held in a String; see `parse(_:)` for bytes.
    public static func parse(_ receipt: String) -> DeliveryReceipt? {
        parse(Array(receipt.utf8))
    }

    /// A non-negative decimal of at most 9 digits, nil otherwise.
    private static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        guard (1...9).contains(digits.count) else { return nil }
        var value = 0
        for byte in digits {
            guard (0x30...0x39).contains(byte) else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// YYMMDDhhmm or YYMMDDhhmmss as a valid date in 2000...2099, else nil.
    private static func receiptDate(_ digits: ArraySlice<UInt8>) -> CivilDateTime? {
        guard digits.count == 10 || digits.count == 12 else { return nil }
        let start = digits.startIndex
        func pair(_ offset: Int) -> Int? { decimal(digits[(start + offset)..<(start + offset + 2)]) }
        guard let year = pair(0), let month = pair(2), let day = pair(4), let hour = pair(6),
              let minute = pair(8) else { return nil }
        let second = digits.count == 12 ? pair(10) : 0
        guard let second else { return nil }
        let date = CivilDateTime(year: 2000 + year, month: month, day: day, hour: hour, minute: minute, second: second)
        return date.isValid ? date : nil
    }
}

/// The receipt keys `ReceiptText.parse` knows.
enum ReceiptKey: CaseIterable {
    case id, sub, dlvrd, submitDate, doneDate, stat, err, text

    /// The key as C-DLV-1 writes it, lower case.
    var spelling: String {
        switch self {
        case .id: return "id"
        case .sub: return "sub"
        case .dlvrd: return "dlvrd"
        case .submitDate: return "submit date"
        case .doneDate: return "done date"
        case .stat: return "stat"
        case .err: return "err"
        case .text: return "text"
        }
    }

    /// The key spelled at `index` followed by ":", and where its value starts.
    /// Case-insensitive; a space in the key also matches "_".
    static func match(_ bytes: [UInt8], at index: Int) -> (ReceiptKey, Int)? {
        for key in allCases {
            var position = index
            var matched = true
            for expected in key.spelling.utf8 {
                guard position < bytes.count else { matched = false; break }
                let actual = bytes[position] | 0x20  // ASCII letters to lower case
                let isMatch = expected == UInt8(ascii: " ")
                    ? bytes[position] == UInt8(ascii: " ") || bytes[position] == UInt8(ascii: "_")
                    : actual == expected
                guard isMatch else { matched = false; break }
                position += 1
            }
            if matched && position < bytes.count && bytes[position] == UInt8(ascii: ":") {
                return (key, position + 1)
            }
        }
        return nil
    }
}
