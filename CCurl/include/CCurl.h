/* CCurl: typed static-inline wrappers for the libcurl calls Swift cannot import (the variadic
 * curl_easy_setopt, curl_multi_setopt and curl_easy_getinfo, the CURLMsg union) and typed
 * copies of the constants that arrive as untyped or cast macros. Named ccurl_<exact C name>
 * (CNIOLinux's prefix rule). Owner: Upstream's HTTP carrier (Sources/Upstream/HTTP/CurlBridge.swift).
 * Thread rules are those of the wrapped call: a CURLM and its easy handles stay on one thread. */
#ifndef SMPPD_CCURL_H
#define SMPPD_CCURL_H

#include <curl/curl.h>

/* ---- constants Swift would import untyped (or not at all) ------------------------------ */
static const int CCURL_POLL_IN = CURL_POLL_IN;
static const int CCURL_POLL_OUT = CURL_POLL_OUT;
static const int CCURL_POLL_INOUT = CURL_POLL_INOUT;
static const int CCURL_POLL_REMOVE = CURL_POLL_REMOVE;
static const int CCURL_CSELECT_IN = CURL_CSELECT_IN;
static const int CCURL_CSELECT_OUT = CURL_CSELECT_OUT;
static const int CCURL_CSELECT_ERR = CURL_CSELECT_ERR;
static const curl_socket_t CCURL_SOCKET_TIMEOUT = CURL_SOCKET_TIMEOUT;
static const long CCURL_GLOBAL_DEFAULT = CURL_GLOBAL_DEFAULT;
static const long CCURLAUTH_BASIC = (long)CURLAUTH_BASIC;
static const long CCURL_HTTP_VERSION_1_1 = CURL_HTTP_VERSION_1_1;
static const long CCURLPROTO_HTTP_HTTPS = CURLPROTO_HTTP | CURLPROTO_HTTPS;

/* ---- callbacks ---------------------------------------------------------------------------- */
typedef int (*ccurl_socket_cb)(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp);
typedef int (*ccurl_timer_cb)(CURLM *multi, long timeout_ms, void *userp);
typedef size_t (*ccurl_write_cb)(char *data, size_t size, size_t nmemb, void *userp);

/* ---- curl_multi_setopt ------------------------------------------------------------------ */
static inline CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode ccurl_multi_setopt_socketfunction(CURLM *m, ccurl_socket_cb cb, void *userp) {
    CURLMcode rc = curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, cb);
    return rc != CURLM_OK ? rc : curl_multi_setopt(m, CURLMOPT_SOCKETDATA, userp);
}
static inline CURLMcode ccurl_multi_setopt_timerfunction(CURLM *m, ccurl_timer_cb cb, void *userp) {
    CURLMcode rc = curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, cb);
    return rc != CURLM_OK ? rc : curl_multi_setopt(m, CURLMOPT_TIMERDATA, userp);
}

/* ---- curl_easy_setopt / getinfo --------------------------------------------------------- */
static inline CURLcode ccurl_easy_setopt_long(CURL *e, CURLoption o, long v) { return curl_easy_setopt(e, o, v); }
/* Strings (curl copies them, since 7.17), slists, CURLOPT_PRIVATE, CURLOPT_WRITEDATA. */
static inline CURLcode ccurl_easy_setopt_pointer(CURL *e, CURLoption o, const void *p) { return curl_easy_setopt(e, o, p); }
static inline CURLcode ccurl_easy_setopt_writefunction(CURL *e, ccurl_write_cb cb, void *userp) {
    CURLcode rc = curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, cb);
    return rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_WRITEDATA, userp);
}
static inline CURLcode ccurl_easy_getinfo_long(CURL *e, CURLINFO i, long *out) { return curl_easy_getinfo(e, i, out); }
static inline CURLcode ccurl_easy_getinfo_private(CURL *e, void **out) { return curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)out); }

/* ---- curl_multi_info_read: the next finished transfer ------------------------------------ */
/* 1 with *easy and *result set when a transfer finished, 0 when none is left. */
static inline int ccurl_multi_next_done(CURLM *m, CURL **easy, CURLcode *result) {
    int left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        if (msg->msg == CURLMSG_DONE) {
            *easy = msg->easy_handle;
            *result = msg->data.result;
            return 1;
        }
    }
    return 0;
}

#endif
