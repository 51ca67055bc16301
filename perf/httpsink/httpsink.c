/* httpsink: the HTTP SMS API at its fastest, for the forwarding benchmark (perf/bench.py).
 * One thread, epoll, keep-alive HTTP/1.1. Every POST body in docs/upstream-http.md's request
 * format is answered at once: each message's "id" is accepted, its upstream_id "s" + the id.
 * It parses only what it needs (Content-Length, then every "id":"..." in the body), so it
 * costs little next to the smppd it measures.
 *
 *   httpsink PORT      (0: the OS picks; prints "listening 127.0.0.1:PORT" once ready)
 *
 * Counters go to stderr at SIGTERM/SIGINT: requests and messages answered. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    int fd;
    char *in; size_t in_len, in_cap;
    char *out; size_t out_len, out_off, out_cap;
} conn_t;

static volatile sig_atomic_t stopping = 0;
static unsigned long long requests = 0, messages = 0;

static void on_signal(int s) { (void)s; stopping = 1; }

static void reserve(char **buf, size_t *cap, size_t need) {
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 65536;
    while (c < need) c *= 2;
    *buf = realloc(*buf, c);
    if (!*buf) { perror("realloc"); exit(1); }
    *cap = c;
}

static void append(conn_t *c, const char *s, size_t n) {
    reserve(&c->out, &c->out_cap, c->out_len + n);
    memcpy(c->out + c->out_len, s, n);
    c->out_len += n;
}

/* Answers one request whose body is body[0..len). */
static void answer(conn_t *c, const char *body, size_t len) {
    static char *json = NULL; static size_t json_cap = 0;
    size_t j = 0;
    reserve(&json, &json_cap, 64 + len * 2);
    j += (size_t)sprintf(json + j, "{\"results\":[");
    const char *p = body, *end = body + len;
    int first = 1;
    while (p < end) {
        const char *k = memmem(p, (size_t)(end - p), "\"id\":\"", 6);
        if (!k) break;
        const char *v = k + 6;
        const char *q = memchr(v, '"', (size_t)(end - v));
        if (!q) break;
        size_t n = (size_t)(q - v);
        reserve(&json, &json_cap, j + 2 * n + 64);
        if (!first) json[j++] = ',';
        first = 0;
        j += (size_t)sprintf(json + j, "{\"id\":\"%.*s\",\"status\":\"accepted\",\"upstream_id\":\"s%.*s\"}",
                             (int)n, v, (int)n, v);
        messages++;
        p = q + 1;
    }
    j += (size_t)sprintf(json + j, "]}");
    char head[160];
    int h = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", j);
    append(c, head, (size_t)h);
    append(c, json, j);
    requests++;
}

/* Consumes every complete request in c->in. */
static void parse(conn_t *c) {
    size_t off = 0;
    for (;;) {
        char *start = c->in + off;
        size_t avail = c->in_len - off;
        char *hend = memmem(start, avail, "\r\n\r\n", 4);
        if (!hend) break;
        size_t header_len = (size_t)(hend - start) + 4;
        size_t body_len = 0;
        char *cl = memmem(start, header_len, "Content-Length:", 15);
        if (!cl) cl = memmem(start, header_len, "content-length:", 15);
        if (cl) body_len = strtoul(cl + 15, NULL, 10);
        if (avail < header_len + body_len) break;
        answer(c, start + header_len, body_len);
        off += header_len + body_len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static int flush_out(conn_t *c) {
    while (c->out_off < c->out_len) {
        ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0) return errno == EAGAIN ? 0 : -1;
        c->out_off += (size_t)n;
    }
    c->out_off = c->out_len = 0;
    return 0;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 512)) { perror("bind/listen"); return 1; }
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    printf("listening 127.0.0.1:%d\n", ntohs(a.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    struct epoll_event events[64];
    while (!stopping) {
        int n = epoll_wait(ep, events, 64, 200);
        for (int i = 0; i < n; i++) {
            conn_t *c = events[i].data.ptr;
            if (!c) {
                int fd;
                while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn_t *nc = calloc(1, sizeof *nc);
                    nc->fd = fd;
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = nc };
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            int dead = 0;
            if (events[i].events & EPOLLIN) {
                for (;;) {
                    reserve(&c->in, &c->in_cap, c->in_len + 65536);
                    ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
                    if (r > 0) { c->in_len += (size_t)r; continue; }
                    if (r == 0 || errno != EAGAIN) dead = 1;
                    break;
                }
                parse(c);
            }
            if (!dead && flush_out(c) < 0) dead = 1;
            if (dead || (events[i].events & (EPOLLHUP | EPOLLERR))) {
                close(c->fd);
                free(c->in); free(c->out); free(c);
            }
        }
    }
    fprintf(stderr, "httpsink: %llu requests, %llu messages\n", requests, messages);
    return 0;
}
