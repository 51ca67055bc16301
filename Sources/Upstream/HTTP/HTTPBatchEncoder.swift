// HTTPBatchEncoder: a batch of OutboundMessages as the request body docs/upstream-http.md
// defines, written straight into a reused byte buffer (no intermediate strings). Any thread;
// pure.

enum HTTPBatchEncoder {
    /// Replaces `out` with the JSON body for `messages` (keeps its capacity).
    static func encode(_ messages: [OutboundMessage], ids: MessageIDText, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var idText: [UInt8] = []
        idText.reserveCapacity(32)
        var bound = 16
        for m in messages { bound += Self.bound(of: m) }
        JSONByteWriter.append(to: &out, atMost: bound) { w in
            w.bytes(#"{"messages":["#)
            for i in messages.indices {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                idText.removeAll(keepingCapacity: true)
                ids.write(messages[i].id, &idText)
                encode(messages[i], idText: idText, into: &w)
            }
            w.bytes("]}")
        }
    }

    /// The most bytes `m`'s object can take: its keys and punctuation, 20 per number, 6 per
    /// byte of text (an escape), 2 per byte of hex.
    private static func bound(of m: OutboundMessage) -> Int {
        let text = m.messagePayload?.count ?? m.shortMessage.count
        return 260 + 12 * 20 + 6 * (m.systemID.utf8.count + m.source.utf8.count + m.destination.utf8.count + 24) + 2 * text
    }

    private static func encode(_ m: OutboundMessage, idText: [UInt8], into w: inout JSONByteWriter) {
        w.bytes(#"{"id":""#); w.bytes(idText); w.byte(UInt8(ascii: "\""))
        w.bytes(#","account":"#); w.string(m.systemID)
        w.bytes(#","from":"#); w.string(m.source)
        w.bytes(#","from_ton":"#); w.number(Int64(m.sourceTon))
        w.bytes(#","from_npi":"#); w.number(Int64(m.sourceNpi))
        w.bytes(#","to":"#); w.string(m.destination)
        w.bytes(#","to_ton":"#); w.number(Int64(m.destinationTon))
        w.bytes(#","to_npi":"#); w.number(Int64(m.destinationNpi))
        w.bytes(#","data_coding":"#); w.number(Int64(m.dataCoding))
        w.bytes(#","esm_class":"#); w.number(Int64(m.esmClass))
        w.bytes(#","text_hex":""#)
        w.hex(m.messagePayload ?? m.shortMessage)
        w.byte(UInt8(ascii: "\""))
        if let sar = m.sar {
            w.bytes(#","sar":{"ref":"#); w.number(Int64(sar.reference))
            w.bytes(#","total":"#); w.number(Int64(sar.total))
            w.bytes(#","seq":"#); w.number(Int64(sar.sequence))
            w.byte(UInt8(ascii: "}"))
        }
        w.bytes(#","submitted_at_ms":"#); w.number(m.submitTimeMs)
        w.bytes(#","valid_until_ms":"#); w.number(m.validityDeadlineMs)
        w.byte(UInt8(ascii: "}"))
    }

    /// `value` in decimal, appended (the encoder writes numbers through its writer; tests
    /// check the digits here).
    static func number(_ value: Int64, to out: inout [UInt8]) {
        JSONByteWriter.append(to: &out, atMost: 20) { $0.number(value) }
    }
}
