/* CShims: the one place with C. static-inline wrappers, named shim_<exact C name>, for the
 * libev and OpenSSL macros Swift cannot import, and typed copies of their constants.
 * Anything that needs _GNU_SOURCE or must not be inline lives in shims.c. */
#ifndef SMPPD_CSHIMS_H
#define SMPPD_CSHIMS_H

#include <ev.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/kdf.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

/* ---- libev ------------------------------------------------------------------------- */
static const int SHIM_EV_READ = EV_READ;
static const int SHIM_EV_WRITE = EV_WRITE;
static const int SHIM_EVBREAK_ALL = EVBREAK_ALL;
static const int SHIM_EVBREAK_ONE = EVBREAK_ONE;

#endif
