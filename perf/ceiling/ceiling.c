/* The ceiling: the least an SMPP-over-TLS server can do on this machine. One epoll thread,
 * nonblocking OpenSSL, reads a burst, walks the 16-byte headers only, and answers every request
 * with its response (submit_sm_resp with a fixed message_id, bind_*_resp OK, enquire_link_resp,
 * unbind_resp, anything else generic_nack) in one SSL_write per read burst. No validation, no
 * store, no carrier: every end-to-end figure of smppd is given next to this one, measured in the
 * same run with the same client (perf/RESULTS.md).
 *   cc -O2 -o ceiling ceiling.c -lssl -lcrypto
 *   ./ceiling PORT CERT.pem KEY.pem [--plaintext]      (prints "listening 127.0.0.1:PORT")
 * Limits, on purpose: edge-triggered epoll with 256 KiB buffers per connection, so a client
 * with more than ~2,000 PDUs in flight per connection could stall it; benchmark windows are
 * far below that. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BUF = 256 * 1024 };
/* retry_len: the length of an SSL_write that asked to be retried (WANT_WRITE); OpenSSL requires
 * the retry with the same length, even though responses were appended behind it meanwhile. */
struct conn { int fd; SSL *ssl; int ready; size_t in_len, out_len, out_off, retry_len; unsigned char in[BUF], out[BUF]; };

static uint32_t be32(const unsigned char *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }

static void respond(struct conn *c) {
    size_t off = 0;
    static const char id[] = "ceiling0000001";
    while (c->in_len - off >= 16) {
        uint32_t len = be32(c->in + off), cmd = be32(c->in + off + 4), seq = be32(c->in + off + 12);
        if (len < 16 || len > 70000) { c->in_len = 0; return; }
        if (c->in_len - off < len) break;
        if (cmd & 0x80000000u) { off += len; continue; }            /* a response: nothing to say */
        unsigned char *o = c->out + c->out_len;
        if (c->out_len + 64 > BUF) break;                           /* back-pressure: keep the rest */
        size_t n = 16;
        uint32_t rcmd = cmd | 0x80000000u, status = 0;
        if (cmd == 0x00000004 || cmd == 0x00000103) { memcpy(o + 16, id, sizeof id); n += sizeof id; }
        else if (cmd == 0x1 || cmd == 0x2 || cmd == 0x9) { memcpy(o + 16, "ceiling", 8); n += 8; }
        else if (cmd != 0x15 && cmd != 0x6) { rcmd = 0x80000000u; status = 3; }
        put32(o, (uint32_t)n); put32(o + 4, rcmd); put32(o + 8, status); put32(o + 12, seq);
        c->out_len += n;
        off += len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

/* Why a connection ends, on stderr (a peer's close is SSL_ERROR_ZERO_RETURN or SYSCALL). */
static int closing(const char *call, int e) {
    if (e != SSL_ERROR_ZERO_RETURN && e != SSL_ERROR_SYSCALL) {
        fprintf(stderr, "ceiling: %s failed (SSL error %d): ", call, e);
        ERR_print_errors_fp(stderr);
        fputc('\n', stderr);
    }
    ERR_clear_error();
    return -1;
}

static int io(struct conn *c) {      /* 0 keep, -1 close */
    if (c->ssl && !c->ready) {
        int r = SSL_accept(c->ssl);
        if (r != 1) { int e = SSL_get_error(c->ssl, r); return (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) ? 0 : -1; }
        c->ready = 1;
    }
    for (;;) {
        for (;;) {
            int n;
            if (c->ssl) {
                n = SSL_read(c->ssl, c->in + c->in_len, (int)(BUF - c->in_len));
                if (n <= 0) { int e = SSL_get_error(c->ssl, n); if (e == SSL_ERROR_WANT_READ) break; if (e == SSL_ERROR_WANT_WRITE) break; return closing("SSL_read", e); }
            } else {
                n = (int)read(c->fd, c->in + c->in_len, BUF - c->in_len);
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
                if (n <= 0) return -1;
            }
            c->in_len += (size_t)n;
            respond(c);
            if (c->in_len == BUF) break;
        }
        while (c->out_off < c->out_len) {   /* one write per burst */
            size_t len = c->retry_len ? c->retry_len : c->out_len - c->out_off;
            int n = c->ssl ? SSL_write(c->ssl, c->out + c->out_off, (int)len)
                           : (int)write(c->fd, c->out + c->out_off, len);
            if (n <= 0) {
                if (c->ssl) {
                    int e = SSL_get_error(c->ssl, n);
                    if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) { c->retry_len = len; return 0; }
                    return closing("SSL_write", e);
                }
                if (errno == EAGAIN) return 0;
                return -1;
            }
            c->retry_len = 0;
            c->out_off += (size_t)n;
        }
        c->out_off = c->out_len = 0;
        /* Reading stopped at WANT_READ: nothing is left unseen. It stopped because input was
           full (answers held back by a full output): the socket, or OpenSSL's read-ahead
           buffer, may hold more that no new edge will announce; answer and read on. */
        if (c->in_len < BUF) return 0;
        respond(c);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s PORT CERT KEY [--plaintext]\n", argv[0]); return 64; }
    int plaintext = argc > 4 && strcmp(argv[4], "--plaintext") == 0;
    signal(SIGPIPE, SIG_IGN);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    /* Read-ahead, as smppd has: one read(2) per socket-full of records. io() reads until
       WANT_READ, or comes back for what it left (see the end of io()). */
    SSL_CTX_set_read_ahead(ctx, 1);
    if (SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 || SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
        ERR_print_errors_fp(stderr); return 1;
    }
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])) };
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 1024)) { perror("bind/listen"); return 1; }
    socklen_t al = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &al);
    printf("listening 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    c = calloc(1, sizeof *c);
                    c->fd = fd;
                    if (!plaintext) { c->ssl = SSL_new(ctx); SSL_set_fd(c->ssl, fd); }
                    struct epoll_event e = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
                }
                continue;
            }
            if (io(c) < 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                if (c->ssl) SSL_free(c->ssl);
                close(c->fd);
                free(c);
            }
        }
    }
}
