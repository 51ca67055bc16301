// RedisScript: a Lua script and its SHA-1 (lower-case hex, as SCRIPT LOAD returns it), computed
// here once so RedisClient.eval can send EVALSHA first. A value; any thread.

import CShims

public struct RedisScript: Sendable, Hashable {
    public let source: String
    /// SHA-1 of the source's UTF-8 bytes, 40 lower-case hex digits.
    public let sha1: String

    public init(source: String) {
        self.source = source
        sha1 = Self.sha1Hex(Array(source.utf8))
    }

    /// OpenSSL's one-shot EVP_Digest (libcrypto is linked through CShims already).
    static func sha1Hex(_ bytes: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let ok = EVP_Digest(bytes, bytes.count, &digest, &length, EVP_sha1(), nil)
        precondition(ok == 1 && length == 20, "EVP_Digest(SHA-1) failed")
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(40)
        for b in digest {
            text.append(hex[Int(b >> 4)])
            text.append(hex[Int(b & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
