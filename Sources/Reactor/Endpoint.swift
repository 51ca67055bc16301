// Endpoint: a "HOST:PORT" value (IPv4, name, or "[IPv6]:PORT"). Pure parsing; resolution
// happens when a Listener binds (Sys.listen). Sendable value, any thread.

public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses "HOST:PORT", "[IPv6]:PORT" or ":PORT" (all interfaces). Returns nil for a missing or
    /// out-of-range port, an unbracketed IPv6 address, or stray characters.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), !host.isEmpty, host.contains(":") else { return nil }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            guard !host.contains(":"), !host.contains("["), !host.contains("]") else { return nil }
            portText = text[text.index(after: colon)...]
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0 >= "0" && $0 <= "9" }),
              let port = UInt16(portText)
        else { return nil }
        guard !host.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        self.host = String(host)
        self.port = port
    }

    /// This endpoint with its host name looked up now (blocking: at start-up, not on the
    /// loop) and replaced by a numeric address. Throws when the name does not resolve.
    public func resolved() throws(ReactorError) -> Endpoint { try Sys.resolve(self) }

    /// "127.0.0.1:2775" or "[::1]:2775".
    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
