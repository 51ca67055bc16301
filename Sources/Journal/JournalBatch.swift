// JournalBatch: the buffer one batch is built in on the loop thread and written from on the
// writer thread. A class over raw memory, not an Array: an array handed between threads is
// copied on its next write whenever the other side still holds a reference for an instant
// (copy-on-write), which under load means copying a whole batch every few batches. Here ownership
// moves with the batch instead: the loop fills it, hands it to the writer through the queue
// and does not touch it again until the writer hands it back (the queue's release/acquire
// orders the bytes).
//
// The bytes live in their own anonymous mapping, not on the malloc heap: batches are made on
// one thread, grown on another and shrunk on the first, and glibc's heaps keep what such
// large, cross-thread allocations leave behind, so a durable daemon's RSS would creep up
// under a steady load. A mapping is returned whole to the kernel.
//
// Unsafe code (allow-listed). Invariants: `storage` maps `allocated` bytes (a page multiple),
// of which the first `used` are initialised; used >= JournalFrame.headerBytes after reset;
// only the thread that owns the batch (see above) reads or writes it.

#if canImport(Glibc)
import Glibc
#endif

public final class JournalBatch: @unchecked Sendable {
    // @unchecked Sendable: one owner at a time, handed over through the journal's queues.
    // usableFromInline, with the appends below inlinable: the loop appends a few dozen fields
    // per message, and a call into this module for each one was 3 % of a durable smppd's
    // instructions (callgrind, perf/RESULTS.md).
    @usableFromInline var storage: UnsafeMutableRawPointer
    @usableFromInline var allocated: Int
    @usableFromInline var used = 0
    public var capacity: Int { allocated }
    public var count: Int { used }

    public init(capacity: Int = 256 * 1024, sequence: UInt64 = 0) {
        allocated = Self.pages(capacity)
        storage = Self.map(allocated)
        reset(sequence: sequence)
    }

    deinit { munmap(storage, allocated) }

    private static func pages(_ bytes: Int) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (max(bytes, JournalFrame.headerBytes) + page - 1) / page * page
    }

    private static func map(_ bytes: Int) -> UnsafeMutableRawPointer {
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { fatalError("journal batch: mmap of \(bytes) bytes failed: errno \(errno)") }
        return p
    }

    /// Empties the batch into a new one numbered `sequence` (the header's room reserved).
    public func reset(sequence: UInt64) {
        used = JournalFrame.headerBytes
        storage.storeBytes(of: 0, as: UInt64.self)
        storage.storeBytes(of: sequence.littleEndian, toByteOffset: JournalFrame.prefixBytes, as: UInt64.self)
    }

    public var sequence: UInt64 {
        UInt64(littleEndian: storage.loadUnaligned(fromByteOffset: JournalFrame.prefixBytes, as: UInt64.self))
    }

    /// True when no entry was appended since reset.
    public var isEmpty: Bool { count <= JournalFrame.headerBytes }

    @inlinable @inline(__always)
    func reserve(_ n: Int) {
        if used + n > allocated { grow(to: used + n) }
    }

    @usableFromInline
    func grow(to needed: Int) {
        var next = allocated * 2
        while next < needed { next *= 2 }
        let bigger = Self.map(next)
        bigger.copyMemory(from: storage, byteCount: used)
        munmap(storage, allocated)
        storage = bigger
        allocated = next
    }

    @inlinable @inline(__always)
    public func append(_ v: UInt8) {
        reserve(1)
        storage.storeBytes(of: v, toByteOffset: used, as: UInt8.self)
        used += 1
    }

    /// `v` little-endian.
    @inlinable @inline(__always)
    public func append<T: FixedWidthInteger>(littleEndian v: T) {
        reserve(MemoryLayout<T>.size)
        (storage + used).storeBytes(of: v.littleEndian, as: T.self)
        used += MemoryLayout<T>.size
    }

    public func append(contentsOf bytes: [UInt8]) {
        reserve(bytes.count)
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { (storage + used).copyMemory(from: base, byteCount: raw.count) }
        }
        used += bytes.count
    }

    /// Gives back the memory of a batch that grew past `limit` bytes (a compaction step, or a
    /// turn that waited for a slow disk): it starts over at `size`. Without this every pooled
    /// batch would keep the largest size it ever reached.
    func shrink(ifLargerThan limit: Int, to size: Int) {
        guard capacity > limit else { return }
        munmap(storage, allocated)
        allocated = Self.pages(size)
        storage = Self.map(allocated)
        used = 0
    }

    /// Fills in length and CRC32C (the writer does this, off the loop).
    func seal() {
        let length = UInt32(count - JournalFrame.prefixBytes)
        let crc = JournalFrame.checksum(UnsafeRawBufferPointer(start: storage + JournalFrame.prefixBytes, count: Int(length)))
        storage.storeBytes(of: length.littleEndian, as: UInt32.self)
        storage.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
    }

    /// The batch's bytes, header included, for the duration of `body`.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage, count: count))
    }

    /// The bytes for pwritev: valid while the batch lives and is not appended to.
    var vector: iovec { iovec(iov_base: storage, iov_len: count) }

    /// A copy of the bytes (tests and tools).
    public var bytes: [UInt8] { withBytes { Array($0) } }
}
