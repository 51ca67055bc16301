// AddressPrefix: an IPv4 or IPv6 address or CIDR prefix ("127.0.0.1", "10.0.0.0/8", "::1",
// "fd00::/8"), for the list of balancers whose connections start with a PROXY header
// (`[server] proxy-protocol-from`). A Sendable value; parsing happens at start-up, matching at
// accept. The numeric conversions are inet_pton/inet_ntop (Sys), so an address matches the
// way the kernel's getpeername() reports it.

public struct AddressPrefix: Sendable, Equatable, CustomStringConvertible {
    /// The network's bytes (4 or 16), host bits zero.
    public let network: [UInt8]
    /// Leading bits that must match: 0…32 (IPv4) or 0…128 (IPv6).
    public let bits: Int

    /// Parses "ADDRESS" (a single host) or "ADDRESS/BITS". Throws a message saying what is
    /// wrong: not an address, a prefix length out of range, host bits set ("10.1.0.0/8").
    public init(parsing text: String) throws(ReactorError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bytes = Sys.numericAddress(String(parts[0])) else {
            throw .invalidArgument("\"\(text)\" is not an IPv4 or IPv6 address (or ADDRESS/BITS prefix)")
        }
        let maxBits = bytes.count * 8
        var bits = maxBits
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0 >= "0" && $0 <= "9" }),
                  let n = Int(parts[1]), n <= maxBits
            else { throw .invalidArgument("\"\(text)\": the prefix length must be 0…\(maxBits)") }
            bits = n
        }
        guard AddressPrefix.masked(bytes, bits: bits) == bytes else {
            throw .invalidArgument("\"\(text)\" has bits set beyond the /\(bits) prefix (the network is \(Sys.addressText(AddressPrefix.masked(bytes, bits: bits)) ?? "?")/\(bits))")
        }
        network = bytes
        self.bits = bits
    }

    /// Whether `address` (4 or 16 bytes) lies in this prefix. An IPv4-mapped IPv6 address
    /// (::ffff:a.b.c.d, how a dual-stack socket reports an IPv4 client) matches as IPv4.
    public func contains(_ address: [UInt8]) -> Bool {
        var address = address
        if network.count == 4 && address.count == 16 && address[..<12].elementsEqual(AddressPrefix.mappedPrefix) {
            address = Array(address[12...])
        }
        guard address.count == network.count else { return false }
        return AddressPrefix.masked(address, bits: bits) == network
    }

    /// Whether the textual address `host` (as a connection's peer gives it) lies in this prefix.
    public func contains(host: String) -> Bool {
        guard let bytes = Sys.numericAddress(host) else { return false }
        return contains(bytes)
    }

    /// "10.0.0.0/8"; a single host without "/32" or "/128".
    public var description: String {
        let text = Sys.addressText(network) ?? "?"
        return bits == network.count * 8 ? text : "\(text)/\(bits)"
    }

    private static let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]

    private static func masked(_ bytes: [UInt8], bits: Int) -> [UInt8] {
        var out = bytes
        for i in out.indices {
            let keep = max(0, min(8, bits - i * 8))
            out[i] &= keep == 8 ? 0xFF : ~(0xFF >> UInt8(keep))
        }
        return out
    }
}

extension Array where Element == AddressPrefix {
    /// Whether any prefix of the list contains `host` (false for an empty list).
    public func contains(host: String) -> Bool {
        guard !isEmpty, let bytes = Sys.numericAddress(host) else { return false }
        return contains { $0.contains(bytes) }
    }
}
