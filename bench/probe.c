/*
 * bench/probe: a one-thread epoll HTTP server that records when the final
 * byte of each POST arrived, as the kernel's receive timestamp of the segment
 * that carried it (SO_TIMESTAMPNS via recvmsg), not the time this loop got
 * round to it: a serial server would otherwise add its own processing to the
 * spread it measures.
 *
 *   GET  /slots          a fixed slot list, so bookrace can pick and book
 *   POST /book           records the arrival, answers 201 {"id": N}
 *   GET  /stats          the recorded arrivals (ns) since the last /stats, as JSON, and forgets them
 *
 * It also speaks HTTP/2 with prior knowledge (h2c) on the same port, when
 * built with nghttp2: a connection that opens with the HTTP/2 preface gets an
 * nghttp2 server session, and a POST's arrival is the kernel timestamp of the
 * read that carried its END_STREAM. Final frames that shared one TCP segment
 * share one timestamp, so distinct timestamps in a burst count its segments.
 * MAX_STREAMS (default 1000) is the SETTINGS_MAX_CONCURRENT_STREAMS it
 * announces, to make a client split a burst.
 *
 * usage: probe PORT [MAX_STREAMS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifdef BOOKRACE_HAVE_H2
#include <nghttp2/nghttp2.h>
#endif

#define MAX_ARRIVALS 65536

typedef struct {
    int fd;
    char buf[65536];
    size_t len;
#ifdef BOOKRACE_HAVE_H2
    void *h2; /* nghttp2_session once the connection opened with the HTTP/2 preface */
    int64_t ts;
#endif
} conn;

static int64_t arrivals[MAX_ARRIVALS];
static size_t arrival_count;
static long next_id;
static unsigned max_streams = 1000;

static const char slots_json[] =
    "{\"slots\":[{\"inspectorId\":\"probe\",\"datetime\":\"2026-12-01T09:00:00Z\","
    "\"endtime\":\"2026-12-01T10:00:00Z\"}]}";

/* The recorded arrivals as JSON; forgets them. */
static const char *stats_json(void)
{
    static char out[MAX_ARRIVALS * 24 + 64];
    size_t n = (size_t)snprintf(out, sizeof(out), "{\"arrivalsNs\":[");
    for (size_t i = 0; i < arrival_count; i++)
        n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%lld", i ? "," : "", (long long)arrivals[i]);
    snprintf(out + n, sizeof(out) - n, "]}");
    arrival_count = 0;
    return out;
}

static void reply(int fd, int status, const char *body)
{
    char out[1 << 20];
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     status, strlen(body), body);
    if (write(fd, out, (size_t)n) < 0)
        perror("write");
}

static void handle(conn *c, int64_t last_ts)
{
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (end == NULL)
            return;
        size_t head = (size_t)(end - c->buf) + 4, body = 0;
        char *cl = strcasestr(c->buf, "\r\ncontent-length:");
        if (cl && cl < end)
            body = (size_t)atol(cl + 17);
        if (c->len < head + body)
            return;
        if (strncmp(c->buf, "POST /book", 10) == 0) {
            if (arrival_count < MAX_ARRIVALS)
                arrivals[arrival_count++] = last_ts;
            char b[64];
            snprintf(b, sizeof(b), "{\"id\":%ld}", ++next_id);
            reply(c->fd, 201, b);
        } else if (strncmp(c->buf, "GET /slots", 10) == 0) {
            reply(c->fd, 200, slots_json);
        } else if (strncmp(c->buf, "GET /stats", 10) == 0) {
            reply(c->fd, 200, stats_json());
        } else {
            reply(c->fd, 404, "{}");
        }
        memmove(c->buf, c->buf + head + body, c->len - head - body);
        c->len -= head + body;
    }
}

#ifdef BOOKRACE_HAVE_H2
/* ---- h2c ---------------------------------------------------------------------------------------------- */

typedef struct {
    char method[8], path[64];
    char *out;
    size_t out_len, out_sent;
} h2_stream;

static ssize_t h2_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *user)
{
    (void)s, (void)flags;
    conn *c = user;
    size_t done = 0;
    while (done < len) { /* the probe's sockets block: small responses, a bench tool */
        ssize_t w = write(c->fd, data + done, len - done);
        if (w <= 0)
            return NGHTTP2_ERR_CALLBACK_FAILURE;
        done += (size_t)w;
    }
    return (ssize_t)len;
}

static int h2_begin(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    (void)user;
    if (f->hd.type == NGHTTP2_HEADERS)
        nghttp2_session_set_stream_user_data(s, f->hd.stream_id, calloc(1, sizeof(h2_stream)));
    return 0;
}

static int h2_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
    (void)flags, (void)user;
    h2_stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (st && namelen == 5 && memcmp(name, ":path", 5) == 0)
        snprintf(st->path, sizeof(st->path), "%.*s", (int)valuelen, value);
    if (st && namelen == 7 && memcmp(name, ":method", 7) == 0)
        snprintf(st->method, sizeof(st->method), "%.*s", (int)valuelen, value);
    return 0;
}

static ssize_t h2_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t cap, uint32_t *flags,
                       nghttp2_data_source *src, void *user)
{
    (void)s, (void)id, (void)user;
    h2_stream *st = src->ptr;
    size_t n = st->out_len - st->out_sent < cap ? st->out_len - st->out_sent : cap;
    memcpy(buf, st->out + st->out_sent, n);
    st->out_sent += n;
    if (st->out_sent == st->out_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

static void h2_reply(nghttp2_session *s, int32_t id, h2_stream *st, const char *status, const char *body)
{
    st->out = strdup(body);
    st->out_len = strlen(body);
    nghttp2_nv nv[] = {
        {(uint8_t *)":status", (uint8_t *)status, 7, 3, NGHTTP2_NV_FLAG_NONE},
        {(uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16, NGHTTP2_NV_FLAG_NONE}};
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = h2_body};
    nghttp2_submit_response(s, id, nv, 2, &dp);
}

/* A request is complete at its END_STREAM: that read's kernel timestamp is its arrival. */
static int h2_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    conn *c = user;
    if (!(f->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
        (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA))
        return 0;
    h2_stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (st == NULL)
        return 0;
    if (strcmp(st->method, "POST") == 0 && strncmp(st->path, "/book", 5) == 0) {
        if (arrival_count < MAX_ARRIVALS)
            arrivals[arrival_count++] = c->ts;
        char b[64];
        snprintf(b, sizeof(b), "{\"id\":%ld}", ++next_id);
        h2_reply(s, f->hd.stream_id, st, "201", b);
    } else if (strncmp(st->path, "/slots", 6) == 0) {
        h2_reply(s, f->hd.stream_id, st, "200", slots_json);
    } else if (strncmp(st->path, "/stats", 6) == 0) {
        h2_reply(s, f->hd.stream_id, st, "200", stats_json());
    } else {
        h2_reply(s, f->hd.stream_id, st, "404", "{}");
    }
    return 0;
}

static int h2_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
    (void)code, (void)user;
    h2_stream *st = nghttp2_session_get_stream_user_data(s, id);
    if (st) {
        free(st->out);
        free(st);
    }
    return 0;
}

static void h2_start(conn *c)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, h2_send);
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, h2_begin);
    nghttp2_session_callbacks_set_on_header_callback(cb, h2_header);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, h2_frame);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2_close);
    nghttp2_session *s;
    nghttp2_session_server_new(&s, cb, c);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams}};
    nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, iv, 1);
    c->h2 = s;
}

/* Returns -1 when the connection should close. */
static int h2_feed(conn *c, int64_t ts)
{
    c->ts = ts;
    ssize_t used = nghttp2_session_mem_recv(c->h2, (const uint8_t *)c->buf, c->len);
    c->len = 0;
    if (used < 0 || nghttp2_session_send(c->h2) != 0)
        return -1;
    return nghttp2_session_want_read(c->h2) || nghttp2_session_want_write(c->h2) ? 0 : -1;
}
#endif

static void drop(int ep, conn *c)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
#ifdef BOOKRACE_HAVE_H2
    if (c->h2)
        nghttp2_session_del(c->h2);
#endif
    free(c);
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: probe PORT [MAX_STREAMS]\n");
        return 2;
    }
    if (argc == 3)
        max_streams = (unsigned)atoi(argv[2]);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* Set on the listener, so accepted sockets timestamp their very first segment too. */
    setsockopt(ls, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 4096) != 0) {
        perror("probe: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    printf("probe listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    for (;;) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                int fd = accept(ls, NULL, NULL);
                if (fd < 0)
                    continue;
                setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                conn *c = calloc(1, sizeof(conn));
                c->fd = fd;
                struct epoll_event ce = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
                continue;
            }
            conn *c = evs[i].data.ptr;
            char control[256];
            struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = sizeof(c->buf) - c->len};
            struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
            ssize_t got = recvmsg(c->fd, &msg, 0);
            if (got <= 0) {
                drop(ep, c);
                continue;
            }
            int64_t ts = 0;
            for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                    struct timespec t;
                    memcpy(&t, CMSG_DATA(cm), sizeof(t));
                    ts = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
                }
            if (ts == 0) {
                /* No kernel timestamp on this read: fall back to now, and say so. */
                struct timespec t;
                clock_gettime(CLOCK_REALTIME, &t);
                ts = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
                fprintf(stderr, "probe: a read without a kernel timestamp\n");
            }
            c->len += (size_t)got;
#ifdef BOOKRACE_HAVE_H2
            static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
            if (c->h2 == NULL && c->len >= sizeof(preface) - 1 &&
                memcmp(c->buf, preface, sizeof(preface) - 1) == 0)
                h2_start(c);
            if (c->h2 == NULL && c->len < sizeof(preface) - 1 && memcmp(c->buf, preface, c->len) == 0)
                continue; /* the rest of the preface is on its way */
            if (c->h2 != NULL) {
                if (h2_feed(c, ts) != 0)
                    drop(ep, c);
                continue;
            }
#endif
            handle(c, ts);
        }
    }
}
