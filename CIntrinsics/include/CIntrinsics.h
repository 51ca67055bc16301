// CPU intrinsics Swift has no spelling for. Header-only: each is one instruction, inlined.
#ifndef SMPPD_CINTRINSICS_H
#define SMPPD_CINTRINSICS_H

/* Starts loading the cache line holding `address` for a read, without waiting for it (x86
   PREFETCHT0; no-op where unsupported). A hint: it never faults, even on a bad address. */
static inline void smppd_prefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }

/* The same, for a line about to be written (x86 PREFETCHW where available). */
static inline void smppd_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

#endif
