/* CHiredis: hiredis 0.14's async API for Sources/Redis (HiredisConnection.swift), plus
 * static-inline accessors for what Swift cannot read conveniently: redisContext's errstr is a
 * char[128] (a 128-tuple in Swift) and its flags are bit macros. Named chiredis_<what it reads>.
 * No event-library adapter here: HiredisConnection installs hiredis's five ev hooks itself and
 * drives the socket with Reactor's SocketWatcher (its header says why).
 * Thread rules are hiredis's: one redisAsyncContext stays on one thread (our loop thread). */
#ifndef SMPPD_CHIREDIS_H
#define SMPPD_CHIREDIS_H

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

/* The reason of the context's last error ("Connection refused", "Server closed the
 * connection", …), or "" when there was none. Valid until the context is freed. */
static inline const char *chiredis_errstr(const redisAsyncContext *ac) { return ac->c.errstr; }
/* REDIS_ERR_IO, REDIS_ERR_EOF, REDIS_ERR_PROTOCOL, … or 0. */
static inline int chiredis_err(const redisAsyncContext *ac) { return ac->c.err; }
/* The socket hiredis connects on (non-blocking, TCP_NODELAY set by hiredis). */
static inline int chiredis_fd(const redisAsyncContext *ac) { return ac->c.fd; }

#endif
