/* CShims: the one place with C. static-inline wrappers, named shim_<exact C name>, for the
 * libev and OpenSSL macros Swift cannot import, and typed copies of their constants.
 * Anything that needs _GNU_SOURCE or must not be inline lives in shims.c.
 * Owner: Reactor. Thread rules are those of the wrapped C call. */
#ifndef SMPPD_CSHIMS_H
#define SMPPD_CSHIMS_H

#include <stdint.h>
#include <stddef.h>
#include <ev.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/kdf.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

/* ---- libev: constants as typed ints (Swift imports the enum values as Int) ------------- */
static const int SHIM_EV_READ = EV_READ;
static const int SHIM_EV_WRITE = EV_WRITE;
static const int SHIM_EVBREAK_ALL = EVBREAK_ALL;
static const int SHIM_EVBREAK_ONE = EVBREAK_ONE;
static const unsigned SHIM_EVFLAG_AUTO = EVFLAG_AUTO;

/* ---- libev: watcher set-up macros ------------------------------------------------------ */
typedef void (*shim_ev_io_cb)(struct ev_loop *, ev_io *, int);
typedef void (*shim_ev_timer_cb)(struct ev_loop *, ev_timer *, int);
typedef void (*shim_ev_async_cb)(struct ev_loop *, ev_async *, int);
typedef void (*shim_ev_prepare_cb)(struct ev_loop *, ev_prepare *, int);
typedef void (*shim_ev_idle_cb)(struct ev_loop *, ev_idle *, int);
typedef void (*shim_ev_signal_cb)(struct ev_loop *, ev_signal *, int);

static inline void shim_ev_io_init(ev_io *w, shim_ev_io_cb cb, int fd, int events) { ev_io_init(w, cb, fd, events); }
/* ev_timer_init with at = repeat = 0: LoopTimer arms it with ev_timer_again after setting `repeat`. */
static inline void shim_ev_timer_init(ev_timer *w, shim_ev_timer_cb cb) { ev_timer_init(w, cb, 0., 0.); }
static inline void shim_ev_async_init(ev_async *w, shim_ev_async_cb cb) { ev_async_init(w, cb); }
static inline void shim_ev_prepare_init(ev_prepare *w, shim_ev_prepare_cb cb) { ev_prepare_init(w, cb); }
static inline void shim_ev_idle_init(ev_idle *w, shim_ev_idle_cb cb) { ev_idle_init(w, cb); }
static inline void shim_ev_signal_init(ev_signal *w, shim_ev_signal_cb cb, int signum) { ev_signal_init(w, cb, signum); }
static inline int shim_ev_is_active(const void *w) { return ev_is_active((const ev_watcher *)w); }

/* ---- OpenSSL: macros and SSL_OP_BIT constants that do not import ----------------------- */
static inline long shim_SSL_CTX_set_mode(SSL_CTX *c, long m) { return SSL_CTX_set_mode(c, m); }
static inline void shim_SSL_CTX_set_read_ahead(SSL_CTX *c, int yes) { SSL_CTX_set_read_ahead(c, yes); }
static inline int shim_SSL_CTX_set_min_proto_version(SSL_CTX *c, int v) { return (int)SSL_CTX_set_min_proto_version(c, v); }
static inline int shim_SSL_CTX_set_max_proto_version(SSL_CTX *c, int v) { return (int)SSL_CTX_set_max_proto_version(c, v); }
static inline long shim_SSL_CTX_set_session_cache_mode(SSL_CTX *c, long m) { return SSL_CTX_set_session_cache_mode(c, m); }
static inline long shim_SSL_set_tlsext_host_name(SSL *s, const char *name) { return SSL_set_tlsext_host_name(s, name); }
static inline long shim_BIO_get_mem_data(BIO *b, char **p) { return BIO_get_mem_data(b, p); }
static inline void shim_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline EVP_PKEY *shim_EVP_EC_gen(const char *curve) { return EVP_EC_gen(curve); }
static inline uint64_t shim_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t shim_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t shim_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }
static inline uint64_t shim_SSL_OP_NO_TICKET(void) { return SSL_OP_NO_TICKET; }
static inline int shim_ERR_GET_LIB(unsigned long e) { return ERR_GET_LIB(e); }
static inline int shim_ERR_GET_REASON(unsigned long e) { return ERR_GET_REASON(e); }

/* ---- Glibc: GNU extensions that need _GNU_SOURCE (defined in shims.c) ------------------ */
struct sockaddr;
/* accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC): the fd, or -1 with errno. The peer's
 * address comes with the socket (getpeername fails later on a connection already reset, such
 * as a balancer's health check). */
int shim_accept4(int fd, struct sockaddr *addr, unsigned int *len);
/* memfd_create(name, MFD_CLOEXEC): the fd, or -1 with errno. */
int shim_memfd_create(const char *name);

/* ---- libmicrohttpd (admin interface; defined in shims.c) --------------------------------- */
/* MHD_start_daemon is variadic, so it does not import: these wrap the one way we use it. */
struct MHD_Daemon;
struct MHD_Connection;
/* Called on libmicrohttpd's thread for every chunk of a request, like MHD_AccessHandlerCallback
 * (upload_data / *upload_size as MHD passes them; *request_ctx is ours per request). Return 1
 * to go on, 0 to drop the connection. */
typedef int (*shim_mhd_handler)(void *ctx, struct MHD_Connection *c, const char *url, const char *method,
                                const char *upload_data, size_t *upload_size, void **request_ctx);
/* Starts a daemon with its own polling thread on host (an IPv4 or IPv6 literal) and port (0 =
 * any); NULL with errno on failure. The port it bound is shim_mhd_bound_port's. */
struct MHD_Daemon *shim_mhd_start(const char *host, uint16_t port, shim_mhd_handler handler, void *ctx);
uint16_t shim_mhd_bound_port(struct MHD_Daemon *d);
void shim_mhd_stop(struct MHD_Daemon *d);
/* Queues a response (body copied) with a Content-Type and, unless NULL, an Allow header
 * (405 answers); 1 on success. */
int shim_mhd_respond(struct MHD_Connection *c, unsigned status, const char *content_type, const char *allow,
                     const void *body, size_t length);
/* A request header's value, or NULL. */
const char *shim_mhd_header(struct MHD_Connection *c, const char *name);

#endif
