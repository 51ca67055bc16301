// JSON the admin API writes: a small value tree rendered to text, for the read endpoints'
// nested answers (sessions, accounts, one message). Any thread.

public indirect enum JSONOut: Sendable, Equatable {
    case string(String), int(Int64), double(Double), bool(Bool), null
    case array([JSONOut])
    /// Keys in the order given (stable output for people and diffs).
    case object([(String, JSONOut)])

    public static func int(_ n: Int) -> JSONOut { .int(Int64(n)) }
    public static func int(_ n: UInt64) -> JSONOut { .int(Int64(clamping: n)) }
    public static func optional(_ s: String?) -> JSONOut { s.map { .string($0) } ?? .null }

    public var text: String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .string(let s): out += AdminJSON.quote(s)
        case .int(let n): out += String(n)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (i, (key, value)) in fields.enumerated() {
                if i > 0 { out += "," }
                out += AdminJSON.quote(key) + ":"
                value.write(to: &out)
            }
            out += "}"
        }
    }

    public static func == (a: JSONOut, b: JSONOut) -> Bool { a.text == b.text }
}
