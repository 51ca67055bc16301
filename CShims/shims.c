/* Out-of-line shims: the GNU extensions Swift cannot see without _GNU_SOURCE.
 * shim_accept4 runs once per accepted connection; shim_memfd_create once per ring mapping. */
#define _GNU_SOURCE 1
#include <sys/socket.h>
#include <sys/mman.h>
#include "CShims.h"

int shim_accept4(int fd, struct sockaddr *addr, unsigned int *len) {
    return accept4(fd, addr, (socklen_t *)len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int shim_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

/* ---- libmicrohttpd ----------------------------------------------------------------------- */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>

/* The Swift handler and its context, kept for the daemon's life (freed by shim_mhd_stop). */
struct shim_mhd_binding { shim_mhd_handler handler; void *ctx; struct MHD_Daemon *daemon; };

static enum MHD_Result shim_mhd_adapter(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                        const char *version, const char *upload_data, size_t *upload_size, void **req) {
    (void)version;
    struct shim_mhd_binding *b = cls;
    return b->handler(b->ctx, c, url, method, upload_data, upload_size, req) ? MHD_YES : MHD_NO;
}

static struct shim_mhd_binding *shim_mhd_bindings[64];

struct MHD_Daemon *shim_mhd_start(const char *host, uint16_t port, shim_mhd_handler handler, void *ctx) {
    struct sockaddr_in v4; struct sockaddr_in6 v6; struct sockaddr *addr; unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    memset(&v4, 0, sizeof v4); memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, host, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET; v4.sin_port = htons(port); addr = (struct sockaddr *)&v4;
    } else if (inet_pton(AF_INET6, host, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6; v6.sin6_port = htons(port); addr = (struct sockaddr *)&v6; flags |= MHD_USE_IPv6;
    } else { errno = EINVAL; return NULL; }
    struct shim_mhd_binding *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->handler = handler; b->ctx = ctx;
    b->daemon = MHD_start_daemon(flags, port, NULL, NULL, shim_mhd_adapter, b,
                                 MHD_OPTION_SOCK_ADDR, addr,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)64,
                                 MHD_OPTION_END);
    if (!b->daemon) { int e = errno; free(b); errno = e ? e : EADDRINUSE; return NULL; }
    for (int i = 0; i < 64; i++) if (!shim_mhd_bindings[i]) { shim_mhd_bindings[i] = b; break; }
    return b->daemon;
}

uint16_t shim_mhd_bound_port(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void shim_mhd_stop(struct MHD_Daemon *d) {
    MHD_stop_daemon(d);
    for (int i = 0; i < 64; i++) if (shim_mhd_bindings[i] && shim_mhd_bindings[i]->daemon == d) {
        free(shim_mhd_bindings[i]); shim_mhd_bindings[i] = NULL;
    }
}

int shim_mhd_respond(struct MHD_Connection *c, unsigned status, const char *content_type, const char *allow,
                     const void *body, size_t length) {
    struct MHD_Response *r = MHD_create_response_from_buffer(length, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return 0;
    MHD_add_response_header(r, "Content-Type", content_type);
    if (allow) MHD_add_response_header(r, "Allow", allow);
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok == MHD_YES;
}

const char *shim_mhd_header(struct MHD_Connection *c, const char *name) {
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}
