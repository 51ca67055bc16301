/* LD_PRELOAD allocation counter for whole-process measurements of smppd: counts malloc,
 * calloc, realloc and the aligned variants, and writes the total to the file named by
 * $MALLOC_COUNT_FILE whenever the process receives SIGUSR2 (so a script can read the count
 * before and after a burst of PDUs). Build: cc -O2 -shared -fPIC -o malloc_count.so malloc_count.c -ldl */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static atomic_ulong count;
extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t), *__libc_realloc(void *, size_t),
            *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_realloc(p, n); }
void *memalign(size_t a, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_memalign(a, n); }
void *aligned_alloc(size_t a, size_t n) { atomic_fetch_add_explicit(&count, 1, memory_order_relaxed); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    atomic_fetch_add_explicit(&count, 1, memory_order_relaxed);
    void *p = __libc_memalign(a, n);
    if (!p) return 12;
    *out = p;
    return 0;
}

static void dump(int sig) {
    (void)sig;
    const char *path = getenv("MALLOC_COUNT_FILE");
    if (!path) return;
    char buf[32];
    unsigned long v = atomic_load(&count);
    int n = 0; char tmp[32]; do { tmp[n++] = '0' + v % 10; v /= 10; } while (v);
    for (int i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    buf[n++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) { (void)!write(fd, buf, n); close(fd); }
}

__attribute__((constructor)) static void init(void) { signal(SIGUSR2, dump); }
