// CPU intrinsics Swift has no spelling for: inline hints here, CRC32C in intrinsics.c.
#ifndef SMPPD_CINTRINSICS_H
#define SMPPD_CINTRINSICS_H

/* Starts loading the cache line holding `address` for a read, without waiting for it (x86
   PREFETCHT0; no-op where unsupported). A hint: it never faults, even on a bad address. */
static inline void smppd_prefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }

/* The same, for a line about to be written (x86 PREFETCHW where available). */
static inline void smppd_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

#include <stddef.h>
#include <stdint.h>

/* CRC32C (Castagnoli, the checksum of iSCSI, ext4 metadata and most logs) of `length` bytes,
   continuing from `crc` (0 to start). Uses the SSE4.2 crc32 instruction when the CPU has it,
   a table otherwise; both give the same value. */
uint32_t smppd_crc32c(uint32_t crc, const void *bytes, size_t length);

#endif
