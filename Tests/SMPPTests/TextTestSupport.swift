// Helpers shared by the text, UDH, segmentation and receipt tests: a seeded PRNG (so
// randomized round trips replay exactly) and hex notation for byte vectors.

/// SplitMix64: tiny, seeded, good enough to drive randomized tests reproducibly.
struct TextTestRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

// `hex("05 00 03 CC 03 01")` comes from CodecTestSupport.swift.

/// `count` copies of an ASCII byte.
func asciiBytes(_ character: Character, count: Int) -> [UInt8] {
    [UInt8](repeating: character.asciiValue!, count: count)
}
