// UpstreamKey: a carrier's id for a message, as the key the forwarding finds our id by. A
// service's ids are short ASCII strings ("up-1042", a 16-digit hex, a UUID): up to 32 bytes
// are held inline as four words and hashed as one word mixed at creation, where a String key
// cost a byte-wise hash and a memcmp per lookup (perf/RESULTS.md, forwarding profiles).
// Longer ids keep their String. Pure value, any thread.

struct UpstreamKey: Hashable {
    private enum Storage: Hashable {
        case inline(UInt64, UInt64, UInt64, UInt64, count: Int)
        case long(String)
    }
    private let storage: Storage
    /// The words mixed once, at creation: all that hash(into:) feeds.
    private let mixed: UInt64

    init(_ id: String) {
        var text = id
        if let (words, count, mixed) = text.withUTF8({ Self.pack($0) }) {
            storage = .inline(words.0, words.1, words.2, words.3, count: count)
            self.mixed = mixed
        } else {
            storage = .long(id)
            mixed = UInt64(truncatingIfNeeded: id.hashValue)
        }
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

    /// The id as the carrier gave it.
    var text: String {
        switch storage {
        case .inline(let a, let b, let c, let d, let count):
            return withUnsafeBytes(of: (a, b, c, d)) { String(decoding: $0.prefix(count), as: UTF8.self) }
        case .long(let s):
            return s
        }
    }

    static func == (a: UpstreamKey, b: UpstreamKey) -> Bool { a.mixed == b.mixed && a.storage == b.storage }
    func hash(into hasher: inout Hasher) { hasher.combine(mixed) }
    /// Dictionary asks this, not hash(into:): the mixed word with the table's seed, without
    /// setting up a SipHash state per lookup (which cost as much as the lookup itself).
    func _rawHashValue(seed: Int) -> Int { Int(truncatingIfNeeded: mixed ^ UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15) }
}

/// Our message id as the forwarding's table key: hashed with one multiply (the generator's
/// ids are consecutive, and a multiply spreads them) instead of a SipHash set up per lookup.
struct ForwardedID: Hashable {
    let raw: UInt64
    init(_ raw: UInt64) { self.raw = raw }
    func hash(into hasher: inout Hasher) { hasher.combine(raw) }
    func _rawHashValue(seed: Int) -> Int {
        Int(truncatingIfNeeded: (raw ^ UInt64(truncatingIfNeeded: seed)) &* 0x9E37_79B9_7F4A_7C15)
    }
}
