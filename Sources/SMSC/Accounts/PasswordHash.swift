// Password storage for accounts (C-BIND-2): scrypt hashes from OpenSSL's EVP_PBE_scrypt and,
// for tests, plaintext. Comparison is constant-time (CRYPTO_memcmp). Values are immutable and
// Sendable; verifying a scrypt hash is slow on purpose, so the session layer runs it off the loop.
import CShims

/// A stored credential. The text form of a hash is `scrypt$N$r$p$<salt hex>$<key hex>`.
public enum PasswordHash: Sendable, Equatable {
    case plaintext([UInt8])
    case scrypt(ScryptParameters, salt: [UInt8], key: [UInt8])

    /// Parameters of one scrypt derivation. The defaults cost about 16 MiB and tens of ms.
    public struct ScryptParameters: Sendable, Equatable {
        public var n: UInt64 = 16384
        public var r: UInt64 = 8
        public var p: UInt64 = 1
        public init(n: UInt64 = 16384, r: UInt64 = 8, p: UInt64 = 1) {
            self.n = n; self.r = r; self.p = p
        }
        /// Memory scrypt needs (128·r·N plus slack), passed as OpenSSL's maxmem.
        var maxMemoryBytes: UInt64 { 128 * r * n * 2 + 1 << 20 }
    }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case notScrypt, badField(String)
        public var description: String {
            switch self {
            case .notScrypt: return "expected scrypt$N$r$p$SALT$KEY (the output of `smppd hash-password`)"
            case .badField(let f): return "malformed scrypt hash: bad \(f)"
            }
        }
    }

    /// Parses the text form written by `make(password:)` / `smppd hash-password`.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt" else { throw .notScrypt }
        guard let n = UInt64(parts[1]), n > 1, n & (n - 1) == 0 else { throw .badField("N (a power of two)") }
        guard let r = UInt64(parts[2]), r > 0 else { throw .badField("r") }
        guard let p = UInt64(parts[3]), p > 0 else { throw .badField("p") }
        guard let salt = Hex.decode(parts[4]), salt.count >= 8 else { throw .badField("salt") }
        guard let key = Hex.decode(parts[5]), key.count >= 16 else { throw .badField("key") }
        self = .scrypt(ScryptParameters(n: n, r: r, p: p), salt: salt, key: key)
    }

    /// Hashes a new password with a random 16-byte salt.
    public static func make(password: String, parameters: ScryptParameters = .init()) -> PasswordHash? {
        var salt = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&salt, Int32(salt.count)) == 1 else { return nil }
        guard let key = derive(Array(password.utf8), salt: salt, parameters: parameters, count: 32) else { return nil }
        return .scrypt(parameters, salt: salt, key: key)
    }

    /// A random password of letters and digits (the demo account's), or nil if OpenSSL's RNG fails.
    public static func randomPassword(length: Int = 8) -> String? {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".utf8)
        var raw = [UInt8](repeating: 0, count: length)
        guard RAND_bytes(&raw, Int32(length)) == 1 else { return nil }
        // 256 % 56 != 0 leaves a slight bias; irrelevant for of a generated demo secret.
        return String(decoding: raw.map { alphabet[Int($0) % alphabet.count] }, as: UTF8.self)
    }

    /// The text form for config files (`password-hash = "..."`).
    public var text: String {
        switch self {
        case .plaintext: return "(plaintext)"
        case .scrypt(let p, let salt, let key):
            return "scrypt$\(p.n)$\(p.r)$\(p.p)$\(Hex.encode(salt))$\(Hex.encode(key))"
        }
    }

    /// True when checking this hash is slow enough that it must not run on the loop thread.
    public var isSlowToVerify: Bool {
        if case .scrypt = self { return true }
        return false
    }

    /// Constant-time check of a candidate password. Slow for scrypt: call it off the loop thread.
    public func verify(_ candidate: [UInt8]) -> Bool {
        switch self {
        case .plaintext(let stored):
            // Compare over the longer length so timing does not reveal the stored length.
            let n = max(stored.count, candidate.count, 1)
            var a = [UInt8](repeating: 0, count: n), b = [UInt8](repeating: 0xFF, count: n)
            a.replaceSubrange(0..<stored.count, with: stored)
            b.replaceSubrange(0..<candidate.count, with: candidate)
            let equalBytes = CRYPTO_memcmp(a, b, n) == 0
            return equalBytes && stored.count == candidate.count
        case .scrypt(let parameters, let salt, let key):
            guard let derived = Self.derive(candidate, salt: salt, parameters: parameters, count: key.count) else {
                return false
            }
            return CRYPTO_memcmp(derived, key, key.count) == 0
        }
    }

    static func derive(_ password: [UInt8], salt: [UInt8], parameters p: ScryptParameters, count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        // OpenSSL takes the password as `const char *` with a length; the NUL only keeps an
        // empty password's pointer valid.
        let pw = password.map { CChar(bitPattern: $0) } + [0]
        let ok = EVP_PBE_scrypt(pw, password.count, salt, salt.count, p.n, p.r, p.p, p.maxMemoryBytes, &out, count)
        return ok == 1 ? out : nil
    }
}

/// Lower-case hex, for hashes in config files.
enum Hex {
    static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
