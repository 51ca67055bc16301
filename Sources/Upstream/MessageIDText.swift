// MessageIDText: how the SMSC writes and reads its message ids as text. The id format is the
// SMSC's (messages.id-format); the HTTP carrier writes each message's id straight into the
// request body with it and finds each result's message by the id it parses back, so no id
// becomes a String on the way. Sendable closures; any thread.

public struct MessageIDText: Sendable {
    /// Appends the text of id `id` (no quotes; the formats need no escaping).
    public let write: @Sendable (UInt64, inout [UInt8]) -> Void
    /// The id a text names, or nil when it names none.
    public let parse: @Sendable (ArraySlice<UInt8>) -> UInt64?

    public init(write: @escaping @Sendable (UInt64, inout [UInt8]) -> Void,
                parse: @escaping @Sendable (ArraySlice<UInt8>) -> UInt64?) {
        self.write = write
        self.parse = parse
    }

    /// Plain decimal: for tests and tools that do not care about the format.
    public static let decimal = MessageIDText(
        write: { id, out in out.append(contentsOf: String(id).utf8) },
        parse: { text in text.isEmpty || text.count > 20 ? nil : UInt64(String(decoding: text, as: UTF8.self)) })
}
