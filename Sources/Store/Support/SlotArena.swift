// SlotArena: stable UInt32 slots for values, in fixed-size chunks, with a free list; internal
// to Store (MemoryMessageStore's records). Chunks never move or shrink, so growth copies
// nothing and costs at most one chunk of slack; freed slots are reused first. Not
// thread-safe; its owner's thread. Invariant: a slot is either allocated or in `free`.

struct SlotArena<Value> {
    /// Slots per chunk: 2^14 (a few MB of records), small enough that the last chunk's slack
    /// is noise next to millions of records, large enough that the chunk table stays tiny.
    static var chunkShift: UInt32 { 14 }
    private static var chunkMask: UInt32 { (1 << chunkShift) - 1 }

    private var chunks: [[Value]] = []
    private var free: [UInt32] = []

    /// Slots ever created (allocated or free).
    var capacity: Int { chunks.reduce(0) { $0 + $1.capacity } }
    var freeListCapacity: Int { free.capacity }

    /// Stores `value` in a free slot (or a new one) and returns the slot.
    mutating func allocate(_ value: Value) -> UInt32 {
        if let slot = free.popLast() {
            self[slot] = value
            return slot
        }
        let chunkSize = 1 << Int(Self.chunkShift)
        if chunks.isEmpty || chunks[chunks.count - 1].count == chunkSize {
            precondition(chunks.count < 1 << (32 - Int(Self.chunkShift)), "SlotArena beyond 2^32 slots")
            var chunk: [Value] = []
            chunk.reserveCapacity(chunkSize)
            chunks.append(chunk)
        }
        let chunkIndex = chunks.count - 1
        chunks[chunkIndex].append(value)
        return UInt32(chunkIndex) << Self.chunkShift | UInt32(chunks[chunkIndex].count - 1)
    }

    /// Returns `slot` to the free list; its old value stays until the slot is reused.
    mutating func release(_ slot: UInt32) {
        free.append(slot)
    }

    /// The value in `slot`. Mutations go through `_modify`, in place: with a plain setter,
    /// `arena[slot].field = x` copied the whole value out and back (two copies of a ~180-byte
    /// entry per field written, in callgrind).
    /// (A `_read` accessor was tried for reads: through the nested arrays it retained and
    /// released the chunk on every access, slower than `get` in perf.)
    subscript(slot: UInt32) -> Value {
        get { chunks[Int(slot >> Self.chunkShift)][Int(slot & Self.chunkMask)] }
        _modify { yield &chunks[Int(slot >> Self.chunkShift)][Int(slot & Self.chunkMask)] }
    }
}
