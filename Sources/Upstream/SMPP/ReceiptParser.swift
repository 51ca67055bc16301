// ReceiptParser: what an upstream delivery receipt (deliver_sm, esm_class & 0x3C == 0x04) says:
// the service's message id, the state and the network error. TLVs first (receipted_message_id,
// message_state, network_error_code), then the text's `id:`, `stat:` and `err:` (Appendix B
// format, keys in any case, any order). Reads the decoded PDU's views in place; the only
// allocation is the id String when it is longer than a small string (15 bytes). Any thread
// that owns the PDU's buffer.

import SMPP

/// A receipt's content, as the delegate wants it.
struct UpstreamReceipt: Equatable {
    var upstreamID: UpstreamID
    var state: MessageState
    var errorCode: UInt16
}

enum ReceiptParser {
    /// The receipt in `deliver`, or nil when its id or state cannot be found.
    static func parse(_ deliver: DeliverSMPDU) -> UpstreamReceipt? {
        let tlvs = deliver.tlvs
        var text = deliver.shortMessage
        if text.isEmpty, let payload = tlvs.messagePayload { text = payload }
        return parse(tlvs: tlvs, text: text)
    }

    static func parse(tlvs: TLVList, text: BytesView) -> UpstreamReceipt? {
        var id = tlvs.receiptedMessageID
        if id?.isEmpty ?? true { id = value(of: "id:", in: text) }
        guard let id, !id.isEmpty else { return nil }
        var state: MessageState?
        if let raw = tlvs.messageState { state = MessageState(rawValue: raw) }
        if state == nil, let word = value(of: "stat:", in: text) { state = stateNamed(word) }
        guard let state else { return nil }
        var errorCode: UInt16 = 0
        if let network = tlvs.networkErrorCode {
            errorCode = network.errorCode
        } else if let digits = value(of: "err:", in: text) {
            errorCode = decimal(digits)
        }
        return UpstreamReceipt(upstreamID: UpstreamID(bytes: id), state: state, errorCode: errorCode)
    }

    /// The value after `key` (lower case, with its colon) where the key starts a token, up to
    /// the next space; nil when the key is absent.
    static func value(of key: StaticString, in text: BytesView) -> BytesView? {
        let keyLength = key.utf8CodeUnitCount
        let n = text.count
        var i = 0
        while i + keyLength <= n {
            if (i == 0 || text[i - 1] == 0x20) && matches(key, in: text, at: i) {
                let start = i + keyLength
                var end = start
                while end < n && text[end] != 0x20 && text[end] != 0 { end += 1 }
                return text.slice(from: start, count: end - start)
            }
            i += 1
        }
        return nil
    }

    /// ASCII letters compared without case.
    private static func matches(_ key: StaticString, in text: BytesView, at offset: Int) -> Bool {
        let bytes = BytesView(key)
        for j in 0..<bytes.count {
            let k = bytes[j]
            var t = text[offset + j]
            if t >= 0x41 && t <= 0x5A { t |= 0x20 }
            if t != k { return false }
        }
        return true
    }

    /// The states by their receipt word (Appendix B's seven, ENROUTE, and the spec's full
    /// names some services write instead), lower case.
    private static let words: [(StaticString, MessageState)] = [
        ("delivrd", .delivered), ("expired", .expired), ("deleted", .deleted), ("undeliv", .undeliverable),
        ("acceptd", .accepted), ("unknown", .unknown), ("rejectd", .rejected), ("enroute", .enroute),
        ("delivered", .delivered), ("undeliverable", .undeliverable), ("accepted", .accepted), ("rejected", .rejected),
    ]

    static func stateNamed(_ word: BytesView) -> MessageState? {
        for (name, state) in words where name.utf8CodeUnitCount == word.count && matches(name, in: word, at: 0) {
            return state
        }
        return nil
    }

    /// Leading decimal digits, saturating at UInt16.max; 0 when there are none.
    private static func decimal(_ digits: BytesView) -> UInt16 {
        var value = 0
        for i in 0..<digits.count {
            let d = digits[i]
            guard d >= 0x30 && d <= 0x39 else { break }
            value = min(value * 10 + Int(d - 0x30), Int(UInt16.max))
        }
        return UInt16(value)
    }
}
