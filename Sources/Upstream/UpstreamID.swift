// UpstreamID: a service's id for a message (the submit_sm_resp's message_id, the HTTP
// answer's upstream_id), as carriers report it and as the forwarding finds our id by. Ids are
// short ASCII strings ("up-1042", a 16-digit hex, a UUID): up to 32 bytes are held inline as
// four words, made straight from the PDU's or the JSON's bytes and hashed as one word mixed at
// creation, where a String cost an allocation per message, a byte-wise hash and a memcmp per
// lookup (perf/RESULTS.md, forwarding profiles). Longer ids keep a String. Pure value.

public struct UpstreamID: Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    private enum Storage: Hashable, Sendable {
        case inline(UInt64, UInt64, UInt64, UInt64, count: Int)
        case long(String)
    }
    private let storage: Storage
    /// The words mixed once, at creation: all that hashing feeds.
    private let mixed: UInt64

    private init(storage: Storage, mixed: UInt64) {
        self.storage = storage
        self.mixed = mixed
    }

    public init(_ text: String) {
        var copy = text
        if let (words, count, mixed) = copy.withUTF8({ Self.pack($0) }) {
            self.init(storage: .inline(words.0, words.1, words.2, words.3, count: count), mixed: mixed)
        } else {
            self.init(storage: .long(text), mixed: UInt64(truncatingIfNeeded: text.hashValue))
        }
    }

    /// From the bytes as they came (UTF-8 expected; a longer id is decoded, invalid bytes repaired).
    public init<Bytes: Collection<UInt8>>(bytes: Bytes) {
        if let (words, count, mixed) = Self.pack(bytes) {
            self.init(storage: .inline(words.0, words.1, words.2, words.3, count: count), mixed: mixed)
        } else {
            self.init(String(decoding: bytes, as: UTF8.self))
        }
    }

    public init(stringLiteral text: String) { self.init(text) }

    public var isEmpty: Bool {
        if case .inline(_, _, _, _, let count) = storage { return count == 0 }
        return false
    }

    /// The bytes as four little-endian words and their mix; nil past 32 bytes.
    private static func pack<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> ((UInt64, UInt64, UInt64, UInt64), Int, UInt64)? {
        guard bytes.count <= 32 else { return nil }
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var i = 0
        for b in bytes {
            let v = UInt64(b) << (8 * UInt64(i & 7))
            switch i >> 3 {
            case 0: w.0 |= v
            case 1: w.1 |= v
            case 2: w.2 |= v
            default: w.3 |= v
            }
            i += 1
        }
        @inline(__always) func mix(_ h: UInt64, _ word: UInt64) -> UInt64 {
            let m = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
            return m ^ (m >> 29)
        }
        let h = mix(mix(mix(mix(UInt64(i) &* 0x9E37_79B9_7F4A_7C15, w.0), w.1), w.2), w.3)
        return (w, i, h)
    }

    /// The id as the service gave it.
    public var description: String {
        switch storage {
        case .inline(let a, let b, let c, let d, let count):
            return withUnsafeBytes(of: (a, b, c, d)) { String(decoding: $0.prefix(count), as: UTF8.self) }
        case .long(let s):
            return s
        }
    }

    public static func == (a: UpstreamID, b: UpstreamID) -> Bool { a.mixed == b.mixed && a.storage == b.storage }
    public func hash(into hasher: inout Hasher) { hasher.combine(mixed) }
    /// Dictionary asks this, not hash(into:): the mixed word with the table's seed, without
    /// setting up a SipHash state per lookup (which cost as much as the lookup itself).
    public func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: mixed ^ UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15)
    }
}
