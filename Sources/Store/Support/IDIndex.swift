// IDIndex: message_id → store slot, the store's only hash table; internal to Store.
//
// Why not Dictionary: every submit_sm inserts one id and every carrier event looks one up, and
// Dictionary hashes each key with seeded SipHash, a large share of the loop's work per
// message.
//
// The hash keeps neighbours together. MessageIDGenerator's ids are [millisecond | 4-bit
// instance | 19-bit counter] and count up by one; the carrier's events look up ids issued a
// few milliseconds earlier. A multiplicative hash would scatter those over a table of millions
// of buckets and make every lookup a cache miss. `home` squeezes the instance field out
// ((millisecond << 19) | counter is consecutive across the counter's wrap) and folds it into
// the low bits instead, so one run's ids fill consecutive buckets and never collide, until
// the live range outgrows the table (which grows first, at 3/4).
//
// Open addressing with Robin Hood linear probing in two parallel arrays (12 bytes a bucket,
// so the store stays under 200 bytes a record at the <= 3/4 load kept here). Robin Hood
// keeps every probe run ordered by distance from home, which is what makes the locality hash
// safe: one run's ids form a single cluster of millions of buckets, and with plain linear
// probing a deletion's backward shift (or a failed lookup) would walk to the cluster's end,
// O(n) per purge of a record, enough to stall the loop once purges begin. Here a lookup
// stops at the first key closer to its home than the probe has come,
// and a deletion shifts back only the keys behind it that are away from home, stopping at
// the first key at home (every key of one run: O(1)).
// Not thread-safe: its owner's thread. Invariant: along the table, each key's distance from
// its home is at most one more than the previous bucket's key's (no empty bucket inside a
// probe run, runs ordered by distance).

struct IDIndex: ~Copyable {
    /// UInt64.max marks an empty bucket; that one key, if ever stored, lives in `maxKeySlot`.
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var slots: [UInt32]
    private var maxKeySlot: UInt32?
    private var mask: Int
    private(set) var count = 0
    /// Buckets visited by lookups, inserts and deletions (tests: the work stays O(1) each).
    private(set) var bucketsVisited = 0

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

    /// How far bucket `i`'s key sits from its home.
    @inline(__always)
    private func distance(at i: Int) -> Int { (i &- home(keys[i])) & mask }

    /// The bucket holding `key`, or nil.
    private func find(_ key: UInt64) -> Int? {
        var i = home(key)
        var probed = 0
        while true {
            let k = keys[i]
            if k == key { return i }
            // An empty bucket, or a key nearer its home than we have come from ours: Robin
            // Hood would have placed `key` before it, so it is not here.
            if k == Self.empty || distance(at: i) < probed { return nil }
            i = (i + 1) & mask
            probed += 1
        }
    }

    /// Starts loading `key`'s home bucket into cache (both arrays), for a lookup soon.
    func prefetch(_ key: UInt64) {
        let i = home(key)
        Prefetch.read(keys, i)
        Prefetch.read(slots, i)
    }

    subscript(key: UInt64) -> UInt32? {
        if key == Self.empty { return maxKeySlot }
        return find(key).map { slots[$0] }
    }

    /// Stores `slot` for `key`; false (nothing changed) when `key` is already present.
    mutating func insert(_ key: UInt64, slot: UInt32) -> Bool {
        if key == Self.empty {
            guard maxKeySlot == nil else { return false }
            maxKeySlot = slot
            count += 1
            return true
        }
        guard find(key) == nil else { return false }
        if (count + 1) * 4 > keys.count * 3 { grow() }
        place(key, slot)
        count += 1
        return true
    }

    /// Robin Hood placement of a key known to be absent: it takes the bucket of the first key
    /// nearer its home than it is, and that key moves on in its place.
    private mutating func place(_ key: UInt64, _ slot: UInt32) {
        var k = key, s = slot
        var i = home(k)
        var probed = 0
        while true {
            bucketsVisited &+= 1
            if keys[i] == Self.empty {
                keys[i] = k
                slots[i] = s
                return
            }
            let d = distance(at: i)
            if d < probed {
                swap(&k, &keys[i])
                swap(&s, &slots[i])
                probed = d
            }
            i = (i + 1) & mask
            probed += 1
        }
    }

    /// Removes `key`; returns its slot, or nil when absent.
    @discardableResult
    mutating func remove(_ key: UInt64) -> UInt32? {
        if key == Self.empty {
            defer { if maxKeySlot != nil { count -= 1 }; maxKeySlot = nil }
            return maxKeySlot
        }
        guard var hole = find(key) else { return nil }
        let removed = slots[hole]
        // Backward shift: the keys behind it that are away from home move one bucket nearer;
        // the first empty bucket or key at home ends it.
        var next = (hole + 1) & mask
        while keys[next] != Self.empty && distance(at: next) > 0 {
            bucketsVisited &+= 1
            keys[hole] = keys[next]
            slots[hole] = slots[next]
            hole = next
            next = (next + 1) & mask
        }
        keys[hole] = Self.empty
        count -= 1
        return removed
    }

    /// The longest distance of a stored key from its home bucket (tests: probe quality).
    var longestProbe: Int {
        var longest = 0
        for i in keys.indices where keys[i] != Self.empty { longest = max(longest, distance(at: i)) }
        return longest
    }

    /// Every (key, slot) pair, in no particular order (tests and invariant checks).
    func forEach(_ body: (UInt64, UInt32) -> Void) {
        if let s = maxKeySlot { body(Self.empty, s) }
        for i in keys.indices where keys[i] != Self.empty { body(keys[i], slots[i]) }
    }

    /// Checks the Robin Hood invariant (O(n); tests only).
    func testsOnly_checkInvariants() {
        for i in keys.indices where keys[i] != Self.empty {
            let d = distance(at: i)
            guard d > 0 else { continue }
            let previous = (i - 1) & mask
            precondition(keys[previous] != Self.empty && distance(at: previous) >= d - 1,
                         "bucket \(i): distance \(d) after a gap or a key nearer home")
        }
    }

    private mutating func grow() {
        let oldKeys = keys, oldSlots = slots
        let newCount = oldKeys.count * 2
        keys = [UInt64](repeating: Self.empty, count: newCount)
        slots = [UInt32](repeating: 0, count: newCount)
        mask = newCount - 1
        for j in oldKeys.indices where oldKeys[j] != Self.empty { place(oldKeys[j], oldSlots[j]) }
    }
}
