// MessageRecord+ReceiptText: reduces a short_message to the receipt's 20-character `text:`
// field once, at submit, so the record keeps 20 bytes instead of up to 80 (20 UCS-2 scalars).
// Same rule as SMPP's ReceiptText (whose helper is internal to SMPP); StoreTests checks the two
// agree byte for byte. Pure function: any thread.

import SMPP

extension MessageRecord {
    /// The first 20 characters of `text` (UDH removed) as ASCII, "?" for every non-ASCII
    /// character and every unpaired UTF-16 surrogate; an unsupported coding gives empty.
    /// Pass the result as `text:` with `textCoding: .ascii` to `ReceiptText.format`.
    /// Never allocates.
    /// The same over a PDU field's bytes from `offset`: ASCII and Latin-1 go into ShortBytes'
    /// words a word at a time: this runs on every submit that asks for a receipt, and a
    /// byte-at-a-time loop is several times the work.
    public static func receiptText(of field: BytesView, from offset: Int, coding: DataCoding) -> ShortBytes {
        switch coding.charset {
        case .ascii, .latin1:
            let count = Swift.min(Swift.max(field.count - offset, 0), ReceiptText.textFieldCharacterCount)
            guard let words = field.packedWords(from: offset, count: count) else { return ShortBytes() }
            return ShortBytes(packingASCII: words, count: count, replacingNonASCIIWith: UInt8(ascii: "?"))
        default:
            return field.withUnsafeBytes { receiptText(of: $0[Swift.min(Swift.max(offset, 0), $0.count)...], coding: coding) }
        }
    }

    public static func receiptText<Bytes: Collection<UInt8>>(of text: Bytes, coding: DataCoding) -> ShortBytes {
        let limit = ReceiptText.textFieldCharacterCount
        let question = UInt8(ascii: "?")
        var field = ShortBytes()
        switch coding.charset {
        case .ascii, .latin1:
            var index = text.startIndex
            var taken = 0
            while taken < limit && index != text.endIndex {
                let byte = text[index]
                _ = field.append(byte <= 0x7F ? byte : question)
                text.formIndex(after: &index)
                taken += 1
            }
        case .ucs2:
            var bytes = text.makeIterator()
            var pending: UInt16?
            func nextUnit() -> UInt16? {
                if let unit = pending {
                    pending = nil
                    return unit
                }
                guard let high = bytes.next(), let low = bytes.next() else { return nil }
                return UInt16(high) << 8 | UInt16(low)
            }
            while field.count < limit, let unit = nextUnit() {
                switch unit {
                case 0xD800...0xDBFF:
                    // A pair is one (non-ASCII) character; an unpaired high surrogate is one
                    // "?" and the unit after it is read again as a character of its own.
                    if let trail = nextUnit(), !(0xDC00...0xDFFF).contains(trail) { pending = trail }
                    _ = field.append(question)
                case 0x0000...0x007F:
                    _ = field.append(UInt8(unit))
                default:
                    _ = field.append(question)
                }
            }
        case nil:
            break
        }
        return field
    }
}
