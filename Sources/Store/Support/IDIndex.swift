// IDIndex: message_id → store slot, the store's only hash table; internal to Store.
//
// Why not Dictionary: every submit_sm inserts one id and every carrier event looks one up, and
// Dictionary hashes each key with seeded SipHash (Hasher.init/_finalize were ~1,300 of the
// loop's instructions per message in callgrind).
//
// The hash keeps neighbours together. MessageIDGenerator's ids are [millisecond | 4-bit
// instance | 19-bit counter] and count up by one; the carrier's events look up ids issued a
// few milliseconds earlier. A multiplicative hash scattered those over a table of millions of
// buckets, so every lookup was a cache miss (IDIndex.subscript was 16 % of the loop thread in
// perf at 500k submits/s with a 4M-record store). `home` squeezes the instance field out
// ((millisecond << 19) | counter is consecutive across the counter's wrap) and folds it into
// the low bits instead, so one run's ids fill consecutive buckets and never collide, until
// the live range outgrows the table (which grows first, at 3/4).
//
// Open addressing with linear probing in two parallel arrays (12 bytes a bucket, so the
// store stays under 200 bytes a record at the ≤ 3/4 load kept here), and deletion by
// backward shift, so there are no tombstones and probe runs never grow with churn.
// Not thread-safe: its owner's thread. Invariant: every stored key sits in the probe run that
// starts at its home bucket, with no empty bucket between its home and itself.

struct IDIndex {
    /// UInt64.max marks an empty bucket; that one key, if ever stored, lives in `maxKeySlot`.
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var slots: [UInt32]
    private var maxKeySlot: UInt32?
    private var mask: Int
    private(set) var count = 0

    init() {
        keys = [UInt64](repeating: Self.empty, count: 16)
        slots = [UInt32](repeating: 0, count: 16)
        mask = 15
    }

    /// Buckets allocated (for the store's memory figure).
    var bucketCount: Int { keys.count }
    static var bytesPerBucket: Int { MemoryLayout<UInt64>.stride + MemoryLayout<UInt32>.stride }

    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        let sequence = (key >> 23) << 19 | (key & 0x7_FFFF)
        return Int(truncatingIfNeeded: sequence ^ ((key >> 19) & 0xF)) & mask
    }

    subscript(key: UInt64) -> UInt32? {
        if key == Self.empty { return maxKeySlot }
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { return slots[i] }
            if k == Self.empty { return nil }
            i = (i + 1) & mask
        }
    }

    /// Stores `slot` for `key`; false (nothing changed) when `key` is already present.
    mutating func insert(_ key: UInt64, slot: UInt32) -> Bool {
        if key == Self.empty {
            guard maxKeySlot == nil else { return false }
            maxKeySlot = slot
            count += 1
            return true
        }
        if (count + 1) * 4 > keys.count * 3 { grow() }
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { return false }
            if k == Self.empty { break }
            i = (i + 1) & mask
        }
        keys[i] = key
        slots[i] = slot
        count += 1
        return true
    }

    /// Removes `key`; returns its slot, or nil when absent.
    @discardableResult
    mutating func remove(_ key: UInt64) -> UInt32? {
        if key == Self.empty {
            defer { if maxKeySlot != nil { count -= 1 }; maxKeySlot = nil }
            return maxKeySlot
        }
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { break }
            if k == Self.empty { return nil }
            i = (i + 1) & mask
        }
        let removed = slots[i]
        // Backward shift: pull later members of the run into the hole when the hole lies on
        // their way from home (cyclically in [home, position)), so lookups still find them.
        var hole = i
        var j = (i + 1) & mask
        while keys[j] != Self.empty {
            let h = home(keys[j])
            let distanceFromHome = (j - h) & mask
            let distanceToHole = (j - hole) & mask
            if distanceToHole <= distanceFromHome {
                keys[hole] = keys[j]
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        keys[hole] = Self.empty
        count -= 1
        return removed
    }

    /// The longest distance of a stored key from its home bucket (tests: probe quality).
    var longestProbe: Int {
        var longest = 0
        for i in keys.indices where keys[i] != Self.empty {
            longest = max(longest, (i - home(keys[i])) & mask)
        }
        return longest
    }

    /// Every (key, slot) pair, in no particular order (tests and invariant checks).
    func forEach(_ body: (UInt64, UInt32) -> Void) {
        if let s = maxKeySlot { body(Self.empty, s) }
        for i in keys.indices where keys[i] != Self.empty { body(keys[i], slots[i]) }
    }

    private mutating func grow() {
        let oldKeys = keys, oldSlots = slots
        let newCount = oldKeys.count * 2
        keys = [UInt64](repeating: Self.empty, count: newCount)
        slots = [UInt32](repeating: 0, count: newCount)
        mask = newCount - 1
        for j in oldKeys.indices where oldKeys[j] != Self.empty {
            var i = home(oldKeys[j])
            while keys[i] != Self.empty { i = (i + 1) & mask }
            keys[i] = oldKeys[j]
            slots[i] = oldSlots[j]
        }
    }
}
