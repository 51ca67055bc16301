// Helpers for the codec tests: hex vectors, decoding from arrays, an arena that keeps encode
// inputs alive, and a tiny deterministic PRNG (no Foundation).
import SMPP

/// Bytes from a hex string; spaces, newlines and `|` separators are ignored.
func hex(_ s: String) -> [UInt8] {
    let digits = s.unicodeScalars.filter { "0123456789abcdefABCDEF".unicodeScalars.contains($0) }
    precondition(digits.count % 2 == 0, "odd hex digit count")
    var out: [UInt8] = []
    var it = digits.makeIterator()
    while let hi = it.next(), let lo = it.next() {
        out.append(UInt8(String(hi), radix: 16)! << 4 | UInt8(String(lo), radix: 16)!)
    }
    return out
}

/// Hex of bytes, for failure messages.
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { b in
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined()
}

/// Keeps byte arrays alive at stable addresses for the life of the test, so views into them
/// can be handed to encoders.
final class Arena {
    private var blocks: [UnsafeMutableRawBufferPointer] = []

    func view(_ bytes: [UInt8]) -> BytesView {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
        block.copyBytes(from: bytes)
        blocks.append(block)
        return BytesView(unsafeBorrowing: UnsafeRawBufferPointer(rebasing: block[0..<bytes.count]))
    }

    func view(_ s: String) -> BytesView { view(Array(s.utf8)) }

    /// A scratch buffer of `count` bytes that lives as long as the arena.
    func scratch(_ count: Int) -> UnsafeMutableRawBufferPointer {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        block.initializeMemory(as: UInt8.self, repeating: 0)
        blocks.append(block)
        return block
    }

    deinit { for b in blocks { b.deallocate() } }
}

/// Decodes `bytes`; the closure sees the result while the bytes are alive.
func withDecoded<R>(_ bytes: [UInt8], _ body: (Result<DecodedPDU, DecodeError>) -> R) -> R {
    bytes.withUnsafeBytes { body(PDUDecoder.decode($0)) }
}

/// Encodes into a fresh array sized by a first `.needs` pass; nil on `.invalidField`.
func encodeToArray(_ pdu: some EncodablePDU) -> [UInt8]? {
    var probe: [UInt8] = []
    let needed: Int
    switch probe.withUnsafeMutableBytes({ pdu.encode(into: $0) }) {
    case .needs(let n): needed = n
    case .wrote(let n): return Array(probe.prefix(n))
    case .invalidField: return nil
    }
    var out = [UInt8](repeating: 0xEE, count: needed)
    guard case .wrote(let n) = out.withUnsafeMutableBytes({ pdu.encode(into: $0) }), n == needed else { return nil }
    return out
}

/// splitmix64: small, deterministic, good enough for test data.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
