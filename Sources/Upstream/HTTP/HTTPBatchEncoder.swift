// HTTPBatchEncoder: a batch of OutboundMessages as the request body docs/upstream-http.md
// defines, written straight into a reused byte buffer (no intermediate strings). Any thread;
// pure.

enum HTTPBatchEncoder {
    /// Replaces `out` with the JSON body for `messages` (keeps its capacity).
    static func encode(_ messages: [OutboundMessage], ids: MessageIDText, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        append(#"{"messages":["#, to: &out)
        for i in messages.indices {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            encode(messages[i], ids: ids, into: &out)
        }
        append("]}", to: &out)
    }

    private static func encode(_ m: OutboundMessage, ids: MessageIDText, into out: inout [UInt8]) {
        append(#"{"id":""#, to: &out); ids.write(m.id, &out); out.append(UInt8(ascii: "\""))
        append(#","account":"#, to: &out); string(m.systemID, to: &out)
        append(#","from":"#, to: &out); string(m.source, to: &out)
        append(#","from_ton":"#, to: &out); number(Int64(m.sourceTon), to: &out)
        append(#","from_npi":"#, to: &out); number(Int64(m.sourceNpi), to: &out)
        append(#","to":"#, to: &out); string(m.destination, to: &out)
        append(#","to_ton":"#, to: &out); number(Int64(m.destinationTon), to: &out)
        append(#","to_npi":"#, to: &out); number(Int64(m.destinationNpi), to: &out)
        append(#","data_coding":"#, to: &out); number(Int64(m.dataCoding), to: &out)
        append(#","esm_class":"#, to: &out); number(Int64(m.esmClass), to: &out)
        append(#","text_hex":""#, to: &out)
        hex(m.messagePayload ?? m.shortMessage, to: &out)
        out.append(UInt8(ascii: "\""))
        if let sar = m.sar {
            append(#","sar":{"ref":"#, to: &out); number(Int64(sar.reference), to: &out)
            append(#","total":"#, to: &out); number(Int64(sar.total), to: &out)
            append(#","seq":"#, to: &out); number(Int64(sar.sequence), to: &out)
            out.append(UInt8(ascii: "}"))
        }
        append(#","submitted_at_ms":"#, to: &out); number(m.submitTimeMs, to: &out)
        append(#","valid_until_ms":"#, to: &out); number(m.validityDeadlineMs, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    @inline(__always)
    private static func append(_ literal: StaticString, to out: inout [UInt8]) {
        literal.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// A JSON string: `"` and `\` escaped, control characters as \n, \r, \t or \u00XX; the rest
    /// (valid UTF-8, as every Swift String is) as it is.
    static func string(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                append(#"\u00"#, to: &out)
                out.append(hexDigits[Int(byte >> 4)]); out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func hex(_ bytes: [UInt8], to out: inout [UInt8]) {
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    /// Decimal digits, written in place (no String). The one-byte fields (TON, NPI, coding,
    /// esm_class) take the first two branches.
    static func number(_ value: Int64, to out: inout [UInt8]) {
        if value >= 0 && value < 10 {
            out.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        if value >= 10 && value < 100 {
            out.append(UInt8(ascii: "0") + UInt8(value / 10))
            out.append(UInt8(ascii: "0") + UInt8(value % 10))
            return
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }
}
