// HTTPResultsDecoder: reads a 200 response body, `{"results":[{"id":…,"status":…}, …]}`
// (docs/upstream-http.md), into a reused array of results. It validates the whole body before
// anything is reported, so a body that turns out malformed half-way changes nothing (the batch
// is retried). Unknown keys are skipped, whatever their value. Any thread; pure.

import SMPP

/// One message's answer. The id's unescaped bytes are `ids[idRange]` of the decoder.
struct HTTPResult: Equatable {
    enum Outcome: Equatable {
        case accepted(upstreamID: UpstreamID)
        case refused(state: MessageState, errorCode: UInt16)
    }
    var idRange: Range<Int>
    var outcome: Outcome
}

struct HTTPBodyError: Error, Equatable, CustomStringConvertible {
    /// Byte offset where reading failed.
    var offset: Int
    var reason: String
    var description: String { "\(reason) at byte \(offset)" }
}

struct HTTPResultsDecoder {
    /// Results of the last decode, in body order.
    private(set) var results: [HTTPResult] = []
    /// Every result's id bytes, back to back (one buffer, reused).
    private(set) var ids: [UInt8] = []
    private var scratch: [UInt8] = []

    /// Deeper nesting than this (in values we skip) is refused rather than recursed into.
    static let maximumDepth = 32

    init() {
        results.reserveCapacity(128)
        ids.reserveCapacity(4096)
        scratch.reserveCapacity(256)
    }

    /// Whether result `i`'s id is `text`.
    /// The bytes of `result`'s id.
    func idText(of result: HTTPResult) -> ArraySlice<UInt8> { ids[result.idRange] }

    mutating func decode(_ body: [UInt8]) throws(HTTPBodyError) {
        results.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        var r = JSONReader(bytes: body)
        var sawResults = false
        try r.object { (r: inout JSONReader, key: ArraySlice<UInt8>) throws(HTTPBodyError) in
            if key.elementsEqual(Word.results) {
                sawResults = true
                try r.array { (r: inout JSONReader) throws(HTTPBodyError) in try readResult(&r) }
            } else {
                try r.skipValue(depth: 1)
            }
        }
        r.skipWhitespace()
        guard r.isAtEnd else { throw r.error("text after the body") }
        guard sawResults else { throw HTTPBodyError(offset: 0, reason: "no \"results\" array") }
    }

    private mutating func readResult(_ r: inout JSONReader) throws(HTTPBodyError) {
        let start = r.offset
        var idRange: Range<Int>?
        var isAccepted: Bool?
        var upstreamID: UpstreamID?
        var state = MessageState.rejected
        var errorCode: UInt16 = 0
        try r.object { (r: inout JSONReader, key: ArraySlice<UInt8>) throws(HTTPBodyError) in
            switch key {
            case _ where key.elementsEqual(Word.id):
                let from = ids.count
                try r.string(into: &ids)
                idRange = from..<ids.count
            case _ where key.elementsEqual(Word.status):
                scratch.removeAll(keepingCapacity: true)
                try r.string(into: &scratch)
                if scratch.elementsEqual(Word.accepted) { isAccepted = true }
                else if scratch.elementsEqual(Word.refused) { isAccepted = false }
                else { throw r.error("status is neither accepted nor refused") }
            case _ where key.elementsEqual(Word.upstreamID):
                scratch.removeAll(keepingCapacity: true)
                try r.string(into: &scratch)
                upstreamID = UpstreamID(bytes: scratch)
            case _ where key.elementsEqual(Word.state):
                scratch.removeAll(keepingCapacity: true)
                try r.string(into: &scratch)
                if scratch.elementsEqual(Word.rejected) { state = .rejected }
                else if scratch.elementsEqual(Word.undeliverable) { state = .undeliverable }
                else { throw r.error("state is neither REJECTED nor UNDELIVERABLE") }
            case _ where key.elementsEqual(Word.errorCode):
                let n = try r.integer()
                guard (0...999).contains(n) else { throw r.error("error_code outside 0...999") }
                errorCode = UInt16(n)
            default:
                try r.skipValue(depth: 2)
            }
        }
        guard let idRange else { throw HTTPBodyError(offset: start, reason: "a result without an id") }
        guard let isAccepted else { throw HTTPBodyError(offset: start, reason: "a result without a status") }
        if isAccepted {
            guard let upstreamID, !upstreamID.isEmpty else {
                throw HTTPBodyError(offset: start, reason: "an accepted result without an upstream_id")
            }
            results.append(HTTPResult(idRange: idRange, outcome: .accepted(upstreamID: upstreamID)))
        } else {
            results.append(HTTPResult(idRange: idRange, outcome: .refused(state: state, errorCode: errorCode)))
        }
    }
}

/// A cursor over JSON text: just what the results need (objects, arrays, strings, integers)
/// and skipping of any other value.
struct JSONReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset >= bytes.count }

    func error(_ reason: String) -> HTTPBodyError { HTTPBodyError(offset: offset, reason: reason) }

    mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    private mutating func peek() throws(HTTPBodyError) -> UInt8 {
        skipWhitespace()
        guard offset < bytes.count else { throw error("unexpected end") }
        return bytes[offset]
    }

    private mutating func expect(_ byte: UInt8) throws(HTTPBodyError) {
        guard try peek() == byte else { throw error("expected '\(Character(Unicode.Scalar(byte)))'") }
        offset += 1
    }

    /// Reads `{ "key": value, … }`; `member` must consume each value. A key is a slice of the
    /// body (no copy) unless it has escapes, which are then undone in a copy.
    mutating func object(_ member: (inout JSONReader, ArraySlice<UInt8>) throws(HTTPBodyError) -> Void) throws(HTTPBodyError) {
        try expect(UInt8(ascii: "{"))
        if try peek() == UInt8(ascii: "}") { offset += 1; return }
        while true {
            let key: ArraySlice<UInt8>
            if let plain = try plainString() {
                key = plain
            } else {
                var unescaped: [UInt8] = []
                try string(into: &unescaped)
                key = unescaped[...]
            }
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            let next = try peek()
            offset += 1
            if next == UInt8(ascii: "}") { return }
            guard next == UInt8(ascii: ",") else { offset -= 1; throw error("expected ',' or '}'") }
        }
    }

    /// Reads `[ value, … ]`; `element` must consume each value.
    mutating func array(_ element: (inout JSONReader) throws(HTTPBodyError) -> Void) throws(HTTPBodyError) {
        try expect(UInt8(ascii: "["))
        if try peek() == UInt8(ascii: "]") { offset += 1; return }
        while true {
            try element(&self)
            let next = try peek()
            offset += 1
            if next == UInt8(ascii: "]") { return }
            guard next == UInt8(ascii: ",") else { offset -= 1; throw error("expected ',' or ']'") }
        }
    }

    /// A string without escapes as a slice of the body, read past; nil (nothing read) when it
    /// has escapes. Throws where string(into:) would.
    mutating func plainString() throws(HTTPBodyError) -> ArraySlice<UInt8>? {
        try expect(UInt8(ascii: "\""))
        let start = offset
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: "\""):
                offset += 1
                return bytes[start..<offset - 1]
            case UInt8(ascii: "\\"):
                offset = start - 1
                return nil
            case 0..<0x20:
                throw error("control character in a string")
            default:
                offset += 1
            }
        }
        throw error("unterminated string")
    }

    /// Appends a string's unescaped UTF-8 to `out` (\uXXXX and surrogate pairs included).
    mutating func string(into out: inout [UInt8]) throws(HTTPBodyError) {
        try expect(UInt8(ascii: "\""))
        // Ids and words have no escapes: up to the closing quote in one append.
        var end = offset
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 { end += 1 }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            out.append(contentsOf: bytes[offset..<end])
            offset = end + 1
            return
        }
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"): try escape(into: &out)
            case 0..<0x20: offset -= 1; throw error("control character in a string")
            default: out.append(byte)
            }
        }
        throw error("unterminated string")
    }

    private mutating func escape(into out: inout [UInt8]) throws(HTTPBodyError) {
        guard offset < bytes.count else { throw error("unterminated escape") }
        let c = bytes[offset]
        offset += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(c)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u")
                else { throw error("lone surrogate") }
                offset += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("lone surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw error("lone surrogate")
            }
            out.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
        default:
            offset -= 1
            throw error("bad escape")
        }
    }

    private mutating func hex4() throws(HTTPBodyError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw error("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[offset]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw error("bad \\u escape")
            }
            value = value << 4 | UInt32(digit)
            offset += 1
        }
        return value
    }

    /// An integer without fraction or exponent, at most 18 digits.
    mutating func integer() throws(HTTPBodyError) -> Int64 {
        _ = try peek()
        let negative = bytes[offset] == UInt8(ascii: "-")
        if negative { offset += 1 }
        var value: Int64 = 0
        var digits = 0
        while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) {
            value = value * 10 + Int64(bytes[offset] - UInt8(ascii: "0"))
            digits += 1
            offset += 1
            guard digits <= 18 else { throw error("number too long") }
        }
        guard digits > 0 else { throw error("expected an integer") }
        if offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): throw error("expected an integer")
            default: break
            }
        }
        return negative ? -value : value
    }

    /// Skips one value of any kind, checking its syntax.
    mutating func skipValue(depth: Int) throws(HTTPBodyError) {
        guard depth <= HTTPResultsDecoder.maximumDepth else { throw error("nested too deeply") }
        switch try peek() {
        case UInt8(ascii: "{"):
            try object { (r: inout JSONReader, _) throws(HTTPBodyError) in try r.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            try array { (r: inout JSONReader) throws(HTTPBodyError) in try r.skipValue(depth: depth + 1) }
        case UInt8(ascii: "\""):
            if try plainString() == nil {
                var unescaped: [UInt8] = []
                try string(into: &unescaped)
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try skipNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws(HTTPBodyError) {
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count,
              word.withUTF8Buffer({ $0.elementsEqual(bytes[offset..<offset + n]) }) else { throw error("bad literal") }
        offset += n
    }

    private mutating func skipNumber() throws(HTTPBodyError) {
        let start = offset
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        var digits = 0
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits += 1
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"): break
            default:
                guard digits > 0 else { offset = start; throw error("unexpected character") }
                return
            }
            offset += 1
        }
        guard digits > 0 else { offset = start; throw error("unexpected end") }
    }
}

/// The answer's keys and words as bytes: comparing a slice with an Array is a tight loop,
/// with a String's UTF8View the generic, much slower one (it ran for every key of every result).
private enum Word {
    static let results = Array("results".utf8)
    static let id = Array("id".utf8)
    static let status = Array("status".utf8)
    static let accepted = Array("accepted".utf8)
    static let refused = Array("refused".utf8)
    static let upstreamID = Array("upstream_id".utf8)
    static let state = Array("state".utf8)
    static let rejected = Array("REJECTED".utf8)
    static let undeliverable = Array("UNDELIVERABLE".utf8)
    static let errorCode = Array("error_code".utf8)
}
