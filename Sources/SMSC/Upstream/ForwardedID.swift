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
