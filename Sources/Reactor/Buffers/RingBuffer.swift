// RingBuffer: a byte ring over a mirrored mapping (Sys.mapMirrored), so readable and writable
// regions are always one contiguous block, even across the wrap point: a PDU that straddles
// the end is parsed in place, and SSL_read/SSL_write get one pointer. Loop thread only.
// Unsafe code (allowlisted, STYLE 9.3): the mapping and the pointers lent to closures.
//
// Invariants (checked by checkInvariants() in debug builds after every mutation):
//  - capacity is a power of two and a multiple of the page size; mask == capacity - 1.
//  - 0 <= readIndex <= writeIndex and writeIndex - readIndex <= capacity. The indices grow
//    monotonically and both return to 0 whenever the ring becomes empty, so a ring that is
//    drained between bursts (the common case) keeps touching the same first page.
//  - base == nil  =>  readIndex == writeIndex == 0 (memory is mapped lazily, released when idle).
//  - the bytes at [readIndex, writeIndex) are initialised; they start at base + (readIndex & mask)
//    and, thanks to the mirror, are contiguous for their whole length. Likewise the free region
//    starts at base + (writeIndex & mask) with writableBytes contiguous bytes.
//  - pointers handed to closures are valid only during the call (non-escaping by contract).

final class RingBuffer {
    let capacity: Int
    private let mask: Int
    private var base: UnsafeMutableRawPointer?
    private var readIndex = 0
    private var writeIndex = 0

    /// - Parameter requested: minimum capacity in bytes; rounded up to a power-of-two page multiple.
    init(capacity requested: Int) {
        precondition(requested > 0, "ring capacity must be positive")
        var cap = Sys.pageSize
        while cap < requested { cap <<= 1 }
        capacity = cap
        mask = cap - 1
    }

    deinit {
        if let base { Sys.unmapMirrored(base, size: capacity) }
    }

    var readableBytes: Int { writeIndex - readIndex }
    var writableBytes: Int { capacity - readableBytes }
    var isEmpty: Bool { readIndex == writeIndex }
    var isFull: Bool { readableBytes == capacity }
    var isMapped: Bool { base != nil }

    /// Maps the ring's memory if it is not mapped yet. Returns 0, or the errno of the failed call.
    func mapIfNeeded() -> Int32 {
        if base != nil { return 0 }
        guard let mapped = Sys.mapMirrored(size: capacity) else { return Sys.lastErrno }
        base = mapped
        return 0
    }

    /// Unmaps the memory of an empty ring (its pages return to the kernel); the next write maps
    /// it again. No-op when the ring holds bytes or is not mapped.
    func releaseMemoryIfEmpty() {
        guard isEmpty, let mapped = base else { return }
        Sys.unmapMirrored(mapped, size: capacity)
        base = nil
        readIndex = 0
        writeIndex = 0
        checkInvariants()
    }

    /// Lends the readable bytes (contiguous, possibly empty) to `body` for the duration of the call.
    func withUnsafeReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        guard let base else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + (readIndex & mask), count: readableBytes))
    }

    /// Lends the whole free region (contiguous) to `body`. The ring must be mapped.
    /// Bytes written there become readable only through `commitWrite`.
    func withUnsafeWritableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        guard let base else { preconditionFailure("RingBuffer: write region requested before mapIfNeeded()") }
        return try body(UnsafeMutableRawBufferPointer(start: base + (writeIndex & mask), count: writableBytes))
    }

    /// Makes `count` bytes just written into the free region readable.
    func commitWrite(_ count: Int) {
        precondition(count >= 0 && count <= writableBytes, "RingBuffer.commitWrite(\(count)) beyond free space \(writableBytes)")
        writeIndex += count
        checkInvariants()
    }

    /// Drops `count` bytes from the front.
    func consume(_ count: Int) {
        precondition(count >= 0 && count <= readableBytes, "RingBuffer.consume(\(count)) beyond readable \(readableBytes)")
        readIndex += count
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
        checkInvariants()
    }

    @inline(__always) private func checkInvariants() {
        assert(capacity & mask == 0 && capacity % Sys.pageSize == 0)
        assert(0 <= readIndex && readIndex <= writeIndex && writeIndex - readIndex <= capacity)
        assert(base != nil || (readIndex == 0 && writeIndex == 0))
    }

    /// Tests only: the raw indices, to prove wrap-around behaviour.
    var testsOnly_indices: (read: Int, write: Int) { (readIndex, writeIndex) }
    var testsOnly_straddlesWrap: Bool { (readIndex & mask) + readableBytes > capacity }
}
