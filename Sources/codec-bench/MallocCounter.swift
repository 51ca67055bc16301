// Counts every heap allocation the process makes, for allocs_per_pdu. Benchmark-only.
//
// How it counts: this executable defines the C symbols malloc, calloc, realloc, posix_memalign,
// aligned_alloc and memalign. The dynamic linker resolves every library's calls to those names
// (libswiftCore's swift_slowAlloc included) to the executable's definitions first, so each
// allocation passes through here, bumps an atomic counter, and is forwarded to glibc's own
// allocator entry points (__libc_malloc & co., exported by glibc 2.36). free is not
// interposed: glibc's free handles memory from __libc_* directly.
// The `control_alloc_one` op allocates one array per iteration and must report 1.0, which
// proves the interposition is live (if the linker did not export these symbols, it reads 0).
// Linux/glibc only; the __libc_* declarations use @_silgen_name, whose Swift calling convention
// matches the C one for these integer/pointer signatures on x86-64 and arm64.
import Synchronization

let mallocCalls = Atomic<Int>(0)

@_silgen_name("__libc_malloc") func libcMalloc(_ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_calloc") func libcCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_realloc") func libcRealloc(_ p: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer?
@_silgen_name("__libc_memalign") func libcMemalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer?

@_cdecl("malloc")
public func countingMalloc(_ size: Int) -> UnsafeMutableRawPointer? {
    mallocCalls.add(1, ordering: .relaxed)
    return libcMalloc(size)
}

@_cdecl("calloc")
public func countingCalloc(_ count: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    mallocCalls.add(1, ordering: .relaxed)
    return libcCalloc(count, size)
}

@_cdecl("realloc")
public func countingRealloc(_ p: UnsafeMutableRawPointer?, _ size: Int) -> UnsafeMutableRawPointer? {
    mallocCalls.add(1, ordering: .relaxed)
    return libcRealloc(p, size)
}

@_cdecl("memalign")
public func countingMemalign(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    mallocCalls.add(1, ordering: .relaxed)
    return libcMemalign(alignment, size)
}

@_cdecl("aligned_alloc")
public func countingAlignedAlloc(_ alignment: Int, _ size: Int) -> UnsafeMutableRawPointer? {
    mallocCalls.add(1, ordering: .relaxed)
    return libcMemalign(alignment, size)
}

@_cdecl("posix_memalign")
public func countingPosixMemalign(_ out: UnsafeMutablePointer<UnsafeMutableRawPointer?>, _ alignment: Int, _ size: Int) -> Int32 {
    mallocCalls.add(1, ordering: .relaxed)
    guard let p = libcMemalign(alignment, size) else { return 12 }  // ENOMEM
    out.pointee = p
    return 0
}

/// Allocations so far.
func allocationCount() -> Int { mallocCalls.load(ordering: .relaxed) }
