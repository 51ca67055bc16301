/* Counts every heap allocation of the process, for codec-bench's allocs_per_pdu. Benchmark-only.
 *
 * This object defines malloc, calloc, realloc, memalign, aligned_alloc and posix_memalign. It is
 * linked into the codec-bench executable (pulled in by its reference to malloc_counter_calls),
 * which is linked with --export-dynamic, so the dynamic linker resolves every library's calls
 * to those names (libswiftCore's swift_slowAlloc included) to these definitions first. Each one
 * bumps an atomic counter and forwards to glibc's own entry points (__libc_malloc & co.). free
 * is not interposed: glibc's free handles memory from __libc_* directly. codec-bench's
 * control_alloc_one op must read 1.0 per iteration, which proves the interposition is live.
 * In C, not Swift: Swift reserves the name malloc for its runtime (@_cdecl("malloc") warns, and
 * is to become an error). Same counting as perf/alloc/malloc_count.c, the LD_PRELOAD version. */
#include <stdatomic.h>
#include <stddef.h>
#include "malloc_counter.h"

extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t), *__libc_realloc(void *, size_t),
            *__libc_memalign(size_t, size_t);

static atomic_size_t calls;

static inline void counted(void) { atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed); }

void *malloc(size_t n) { counted(); return __libc_malloc(n); }
void *calloc(size_t count, size_t size) { counted(); return __libc_calloc(count, size); }
void *realloc(void *p, size_t n) { counted(); return __libc_realloc(p, n); }
void *memalign(size_t alignment, size_t n) { counted(); return __libc_memalign(alignment, n); }
void *aligned_alloc(size_t alignment, size_t n) { counted(); return __libc_memalign(alignment, n); }
int posix_memalign(void **out, size_t alignment, size_t n) {
    counted();
    void *p = __libc_memalign(alignment, n);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

size_t malloc_counter_calls(void) { return atomic_load_explicit(&calls, memory_order_relaxed); }
