// SlotArena: stable UInt32 slots for values, in fixed-size chunks, with a free list; internal
// to Store (MemoryMessageStore's records, PendingDeliveries' entries). Chunks never move or
// shrink, so growth copies nothing and costs at most one chunk of slack; freed slots are
// reused first. Not thread-safe; its owner's thread. Invariants: every slot below `created`
// holds an initialized value; a slot is either allocated or in `free`.
//
// Why raw chunks: the values are large (a message record is 141 bytes) and are read a field
// at a time. Through nested Arrays a read such as `arena[slot].record.state` copies the whole
// value out (a memmove per field read); here the subscript hands out the
// value's address, so a field read is one load. The unsafe part stays in this file: slots are
// checked against `created` on every access, and the chunks are freed by deinit. ~Copyable
// because the arena owns its memory: a copy would share it.
import CIntrinsics

struct SlotArena<Value>: ~Copyable {
    /// Slots per chunk: 2^14 (a few MB of records), small enough that the last chunk's slack
    /// is noise next to millions of records, large enough that the chunk table stays tiny.
    static var chunkShift: UInt32 { 14 }
    private static var chunkMask: UInt32 { (1 << chunkShift) - 1 }
    private static var chunkSlots: Int { 1 << Int(chunkShift) }

    private var chunks: [UnsafeMutablePointer<Value>] = []
    /// Slots ever created; all of them are initialized.
    private var created: UInt32 = 0
    private var free: [UInt32] = []

    init() {}

    deinit {
        for (index, chunk) in chunks.enumerated() {
            let initialized = min(Int(created) - index * Self.chunkSlots, Self.chunkSlots)
            chunk.deinitialize(count: initialized)
            UnsafeMutableRawPointer(chunk).deallocate()
        }
    }

    /// Slots ever created (allocated or free).
    var capacity: Int { chunks.count * Self.chunkSlots }
    /// Slots ever created (allocated now or released and holding a stale value).
    var createdCount: Int { Int(created) }
    var freeListCapacity: Int { free.capacity }

    /// Stores `value` in a free slot (or a new one) and returns the slot.
    mutating func allocate(_ value: Value) -> UInt32 {
        if let slot = free.popLast() {
            self[slot] = value
            return slot
        }
        precondition(created < UInt32.max, "SlotArena beyond 2^32 slots")
        let slot = created
        if Int(slot >> Self.chunkShift) == chunks.count { chunks.append(Self.newChunk()) }
        (chunks[Int(slot >> Self.chunkShift)] + Int(slot & Self.chunkMask)).initialize(to: value)
        created += 1
        return slot
    }

    /// Returns `slot` to the free list; its old value stays until the slot is reused.
    mutating func release(_ slot: UInt32) {
        free.append(slot)
    }

    /// The value in `slot`, read and written in place.
    subscript(slot: UInt32) -> Value {
        unsafeAddress { UnsafePointer(address(of: slot)) }
        unsafeMutableAddress { address(of: slot) }
    }

    /// Starts loading the first cache line of `slot`'s value, for a read soon.
    func prefetch(_ slot: UInt32) {
        smppd_prefetch_read(address(of: slot))
    }

    /// Starts loading every cache line of `slot`'s value, to be overwritten soon.
    func prefetchForOverwrite(_ slot: UInt32) {
        let start = UnsafeRawPointer(address(of: slot))
        for offset in stride(from: 0, to: MemoryLayout<Value>.size, by: 64) { smppd_prefetch_write(start + offset) }
    }

    @inline(__always)
    private func address(of slot: UInt32) -> UnsafeMutablePointer<Value> {
        precondition(slot < created, "SlotArena: slot never allocated")
        return chunks[Int(slot >> Self.chunkShift)] + Int(slot & Self.chunkMask)
    }

    /// One chunk, uninitialized. (Advising chunks as transparent huge pages was tried: fewer
    /// page faults, but the fault that zeroes 2 MiB stalls the loop, and p99 submit latency
    /// doubled under load. See perf/RESULTS.md.)
    /// Cache-line aligned, so the layout of a value decides which of its bytes share a line.
    private static func newChunk() -> UnsafeMutablePointer<Value> {
        UnsafeMutableRawPointer.allocate(byteCount: chunkSlots * MemoryLayout<Value>.stride,
                                         alignment: max(64, MemoryLayout<Value>.alignment))
            .bindMemory(to: Value.self, capacity: chunkSlots)
    }
}
