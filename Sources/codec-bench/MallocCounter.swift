// The allocation count for allocs_per_pdu, from the MallocCounter C target (which interposes
// malloc & co.; see Sources/MallocCounter/malloc_counter.c for how and why in C).
import MallocCounter

/// Allocations so far.
func allocationCount() -> Int { Int(malloc_counter_calls()) }
