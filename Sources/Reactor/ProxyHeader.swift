// ProxyHeader: the PROXY protocol version 2 header a TCP balancer (HAProxy `send-proxy-v2`)
// puts in front of a connection's first byte to say whom it forwards. A pure parser: bytes in,
// a verdict out; no I/O, no state, any thread. Connection reads the header with it before the
// TLS handshake (Connection.readProxyHeader). Spec: haproxy's doc/proxy-protocol.txt, 2.2.
//
// Wire format (all integers big-endian):
//   0..<12  signature  0D 0A 0D 0A 00 0D 0A 51 55 49 54 0A
//   12      version (high nibble, must be 2) and command (low nibble: 0 LOCAL, 1 PROXY)
//   13      address family (high nibble: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX) and transport
//           (low nibble: 0 UNSPEC, 1 STREAM, 2 DGRAM)
//   14..<16 length of what follows: the addresses, then TLVs (skipped)
//   INET:  src 4, dst 4, src port 2, dst port 2 (12 bytes); INET6: 16, 16, 2, 2 (36 bytes)

/// An address from a PROXY header: 4 (IPv4) or 16 (IPv6) bytes in network order, and a port.
public struct ProxyAddress: Sendable, Equatable, CustomStringConvertible {
    public var bytes: [UInt8]
    public var port: UInt16

    public init(bytes: [UInt8], port: UInt16) {
        precondition(bytes.count == 4 || bytes.count == 16, "an IPv4 or IPv6 address is 4 or 16 bytes")
        self.bytes = bytes
        self.port = port
    }

    /// As a connection's peer: "10.1.2.3:40000" / "[2001:db8::1]:40000" (inet_ntop's text).
    public var endpoint: Endpoint {
        Endpoint(host: Sys.addressText(bytes) ?? "unknown", port: port)
    }

    public var description: String { endpoint.description }
}

public enum ProxyHeader {
    /// The 12 bytes every v2 header starts with (chosen to be invalid as HTTP, SMTP, TLS...).
    public static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// Signature, version/command, family/transport, length.
    public static let fixedBytes = 16
    /// Largest address-and-TLV block accepted. Addresses need at most 36 bytes (216 for UNIX
    /// ones, which we refuse anyway); the rest is TLVs, which a TCP balancer in passthrough
    /// mode sends few of. A larger length is taken for garbage rather than buffered.
    public static let maxBlockBytes = 512
    /// The longest header parse() accepts.
    public static let maxHeaderBytes = fixedBytes + maxBlockBytes

    public enum Verdict: Equatable, Sendable {
        /// No verdict yet: at least this many more bytes (≥ 1) are needed, and never more
        /// than the header still has, so a reader that reads exactly this many never takes
        /// a byte of what follows the header.
        case needMore(Int)
        /// A PROXY command over TCP: the connection's real client and the address it reached.
        /// `length` is the whole header's size in bytes (TLVs included).
        case header(source: ProxyAddress, destination: ProxyAddress, length: Int)
        /// A LOCAL command (the balancer's own health check): keep the socket's addresses.
        case local(length: Int)
        /// Not a v2 header we accept; the text says why (for the log).
        case invalid(String)
    }

    private static let v1Prefix = Array("PROXY ".utf8)

    /// Parses the first bytes a connection sent. A prefix of a valid header is `.needMore`;
    /// bad bytes are `.invalid` as soon as they are seen (a TLS ClientHello or an SMPP PDU
    /// fails on its first byte), so garbage never waits for the timeout. Bytes beyond the
    /// header's length are ignored.
    public static func parse(_ bytes: [UInt8]) -> Verdict {
        let have = bytes.count
        let signatureSeen = min(have, signature.count)
        if !bytes[..<signatureSeen].elementsEqual(signature[..<signatureSeen]) {
            return versionOneOrGarbage(bytes)
        }
        guard have > 12 else { return .needMore(13 - have) }
        let version = bytes[12] >> 4
        let command = bytes[12] & 0x0F
        guard version == 2 else { return .invalid("unsupported version \(version) (only version 2 is accepted)") }
        guard command <= 1 else { return .invalid("unknown command \(command)") }
        let isProxy = command == 1
        guard have > 13 else { return .needMore(14 - have) }
        let family = bytes[13] >> 4
        let transport = bytes[13] & 0x0F
        // LOCAL: the receiver must ignore the family (and the addresses); PROXY: only TCP over
        // IPv4 or IPv6 names a client we can check accounts and limits against.
        if isProxy, let problem = unsupported(family: family, transport: transport) { return .invalid(problem) }
        guard have >= fixedBytes else { return .needMore(fixedBytes - have) }
        let blockLength = Int(bytes[14]) << 8 | Int(bytes[15])
        guard blockLength <= maxBlockBytes else {
            return .invalid("length \(blockLength) over the limit of \(maxBlockBytes)")
        }
        let addressBytes = family == 1 ? 12 : 36
        if isProxy && blockLength < addressBytes {
            return .invalid("length \(blockLength) too short for the \(family == 1 ? "IPv4" : "IPv6") addresses (\(addressBytes))")
        }
        let total = fixedBytes + blockLength
        guard have >= total else { return .needMore(total - have) }
        guard isProxy else { return .local(length: total) }
        let size = family == 1 ? 4 : 16
        let start = fixedBytes
        let ports = start + 2 * size
        let source = ProxyAddress(bytes: Array(bytes[start..<start + size]), port: port(bytes, at: ports))
        let destination = ProxyAddress(bytes: Array(bytes[start + size..<ports]), port: port(bytes, at: ports + 2))
        return .header(source: source, destination: destination, length: total)
    }

    private static func port(_ bytes: [UInt8], at i: Int) -> UInt16 {
        UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
    }

    /// nil when a PROXY command may carry this family and transport; else why not.
    private static func unsupported(family: UInt8, transport: UInt8) -> String? {
        switch family {
        case 1, 2: break
        case 0: return "PROXY command with family UNSPEC (no client address)"
        case 3: return "unsupported family UNIX"
        default: return "unknown address family \(family)"
        }
        switch transport {
        case 1: return nil
        case 0: return "PROXY command with transport UNSPEC"
        case 2: return "unsupported transport DGRAM"
        default: return "unknown transport \(transport)"
        }
    }

    /// The bytes are not a v2 signature: name a v1 (text) header when that is what it is.
    private static func versionOneOrGarbage(_ bytes: [UInt8]) -> Verdict {
        let seen = min(bytes.count, v1Prefix.count)
        guard bytes[..<seen].elementsEqual(v1Prefix[..<seen]) else { return .invalid("bad signature") }
        guard seen == v1Prefix.count else { return .needMore(v1Prefix.count - seen) }
        return .invalid("version 1 (text) header; only version 2 is accepted")
    }
}
