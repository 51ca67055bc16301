/* Out-of-line shims: the GNU extensions Swift cannot see without _GNU_SOURCE.
 * shim_accept4 runs once per accepted connection; shim_memfd_create once per ring mapping. */
#define _GNU_SOURCE 1
#include <sys/socket.h>
#include <sys/mman.h>
#include "CShims.h"

int shim_accept4(int fd) { return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); }

int shim_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }
