/* Out-of-line shims: the GNU extensions Swift cannot see without _GNU_SOURCE, and mmap calls
 * whose flag macros are awkward from Swift. Not on the per-event hot path except accept4. */
#define _GNU_SOURCE 1
#include <sys/socket.h>
#include <sys/mman.h>
#include "CShims.h"

int shim_accept4_nonblock(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int shim_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

void *shim_mmap_reserve(size_t len) {
    void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void *shim_mmap_shared_fixed(void *addr, size_t len, int fd) {
    void *p = mmap(addr, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}
