// A strict reader for the flat JSON objects the admin API takes ({"key": "string" | number |
// true | false | null}) and the string quoting its answers use. Any thread.

public enum JSONValue: Sendable, Equatable {
    case string(String), number(Double), bool(Bool), null
}

public struct AdminJSONError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var offset: Int
    public var description: String { "invalid JSON at byte \(offset): \(message)" }
}

public enum AdminJSON {
    /// Parses one object of scalar values; nested objects and arrays are refused.
    public static func parseObject(_ bytes: [UInt8]) -> Result<[String: JSONValue], AdminJSONError> {
        var p = Parser(bytes: bytes)
        do { return .success(try p.object()) } catch { return .failure(error) }
    }

    /// `s` as a JSON string literal.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    struct Parser {
        let bytes: [UInt8]
        var i = 0

        func fail(_ m: String) -> AdminJSONError { AdminJSONError(message: m, offset: i) }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
        }

        mutating func expect(_ c: UInt8) throws(AdminJSONError) {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
            i += 1
        }

        mutating func object() throws(AdminJSONError) -> [String: JSONValue] {
            try expect(UInt8(ascii: "{"))
            var out: [String: JSONValue] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return try end(out) }
            while true {
                skipSpace()
                let key = try string()
                try expect(UInt8(ascii: ":"))
                let value = try scalar()
                guard out[key] == nil else { throw fail("duplicate key \"\(key)\"") }
                out[key] = value
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return try end(out) }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func end(_ out: [String: JSONValue]) throws(AdminJSONError) -> [String: JSONValue] {
            skipSpace()
            guard i == bytes.count else { throw fail("trailing bytes after the object") }
            return out
        }

        mutating func scalar() throws(AdminJSONError) -> JSONValue {
            skipSpace()
            guard i < bytes.count else { throw fail("missing value") }
            switch bytes[i] {
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try word("true"); return .bool(true)
            case UInt8(ascii: "f"): try word("false"); return .bool(false)
            case UInt8(ascii: "n"): try word("null"); return .null
            case UInt8(ascii: "{"), UInt8(ascii: "["): throw fail("nested objects and arrays are not accepted")
            default: return .number(try number())
            }
        }

        mutating func word(_ w: String) throws(AdminJSONError) {
            let u = Array(w.utf8)
            guard i + u.count <= bytes.count, Array(bytes[i..<i + u.count]) == u else { throw fail("bad literal") }
            i += u.count
        }

        mutating func number() throws(AdminJSONError) -> Double {
            let start = i
            while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            guard i > start, let v = Double(String(decoding: bytes[start..<i], as: UTF8.self)), v.isFinite else {
                i = start
                throw fail("bad number")
            }
            return v
        }

        mutating func string() throws(AdminJSONError) -> String {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a string") }
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let c = bytes[i]
                i += 1
                switch c {
                case UInt8(ascii: "\""):
                    guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not UTF-8") }
                    return s
                case UInt8(ascii: "\\"):
                    guard i < bytes.count else { throw fail("unterminated escape") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                                throw fail("unpaired surrogate")
                            }
                            i += 2
                            let low = try hex4()
                            guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate") }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let u = Unicode.Scalar(scalar) else { throw fail("bad \\u escape") }
                        out.append(contentsOf: Array(String(Character(u)).utf8))
                    default: throw fail("bad escape")
                    }
                default:
                    guard c >= 0x20 else { throw fail("control character in string") }
                    out.append(c)
                }
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws(AdminJSONError) -> UInt32 {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
                throw fail("bad \\u escape")
            }
            i += 4
            return v
        }
    }
}

/// The admin endpoints, matched from method and path (docs/admin-openapi.yaml lists them).
public enum AdminRoute: Equatable {
    case statusPage
    case health
    case ready
    case metrics
    case openAPI
    case stats
    case sessions
    case accounts
    case injectMO
    /// POST /v1/receipts: a receipt from the SMS service upstream, by its id or ours.
    case receipts
    /// GET /v1/carriers: the carriers upstream and their state.
    case carriers
    case message(id: String)
    case messageState(id: String)
    /// The path exists but takes other methods (the Allow header's value).
    case methodNotAllowed(allow: String)
    case notFound

    public static func match(method: String, path rawPath: String) -> AdminRoute {
        let path = rawPath.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? rawPath
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        func get(_ route: AdminRoute) -> AdminRoute { method == "GET" ? route : .methodNotAllowed(allow: "GET") }
        func post(_ route: AdminRoute) -> AdminRoute { method == "POST" ? route : .methodNotAllowed(allow: "POST") }
        switch parts {
        case [""]: return get(.statusPage)
        case ["healthz"]: return get(.health)
        case ["readyz"]: return get(.ready)
        case ["metrics"]: return get(.metrics)
        case ["openapi.yaml"]: return get(.openAPI)
        case ["v1", "stats"]: return get(.stats)
        case ["v1", "sessions"]: return get(.sessions)
        case ["v1", "accounts"]: return get(.accounts)
        case ["v1", "mo"]: return post(.injectMO)
        case ["v1", "receipts"]: return post(.receipts)
        case ["v1", "carriers"]: return get(.carriers)
        default: break
        }
        if parts.count == 3, parts[0] == "v1", parts[1] == "messages", !parts[2].isEmpty {
            return get(.message(id: percentDecoded(parts[2])))
        }
        if parts.count == 4, parts[0] == "v1", parts[1] == "messages", !parts[2].isEmpty, parts[3] == "state" {
            return post(.messageState(id: percentDecoded(parts[2])))
        }
        return .notFound
    }

    static func percentDecoded(_ s: String) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let v = UInt8(String(decoding: b[i + 1...i + 2], as: UTF8.self), radix: 16) {
                out.append(v)
                i += 3
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
