// Prefetch: cache hints over the store's Swift arrays, fenced here (STYLE 9.3) so that the
// tables using them stay free of pointers. A prefetch never faults and changes nothing; the
// index is still checked, so a wrong one is a bug found, not a hint silently dropped.
// Unsafe code (allowlisted, STYLE 9.3). Invariant: the address is formed only after the
// index was checked against the array's count, inside withUnsafeBufferPointer.
import CIntrinsics

enum Prefetch {
    /// Starts loading the cache line of `array[index]` for a read soon.
    @inline(__always)
    static func read<Element>(_ array: [Element], _ index: Int) {
        precondition(index >= 0 && index < array.count, "Prefetch index out of range")
        array.withUnsafeBufferPointer { smppd_prefetch_read($0.baseAddress! + index) }
    }

    /// Starts loading the cache line of `array[index]` for a write soon.
    @inline(__always)
    static func write<Element>(_ array: [Element], _ index: Int) {
        precondition(index >= 0 && index < array.count, "Prefetch index out of range")
        array.withUnsafeBufferPointer { smppd_prefetch_write($0.baseAddress! + index) }
    }
}
