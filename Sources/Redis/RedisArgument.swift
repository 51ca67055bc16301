// RedisArgument: one element of a command's argv, as bytes (binary-safe: NULs and any byte
// value pass unchanged). Strings are sent as UTF-8, integers as decimal text (as Redis expects).

public struct RedisArgument: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public let bytes: [UInt8]

    public init(_ string: String) { bytes = Array(string.utf8) }
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public init(_ number: Int) { bytes = Array(String(number).utf8) }
    public init(_ number: Int64) { bytes = Array(String(number).utf8) }
    public init(_ number: UInt64) { bytes = Array(String(number).utf8) }
    public init(stringLiteral value: String) { self.init(value) }
    public init(integerLiteral value: Int) { self.init(value) }
}
