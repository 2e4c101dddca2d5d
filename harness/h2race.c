/*
 * h2race: the HTTP/2 single-packet release (see h2race.h for the technique).
 *
 * nghttp2 does the framing and the stream bookkeeping; this file owns the
 * sockets, so it decides exactly which bytes leave in which write. Bodies
 * are fed through nghttp2 data providers that defer the final byte (or, for a
 * bodiless request, the empty final DATA frame) until released; releasing is
 * nghttp2_session_resume_data on every stream and nghttp2_session_mem_send
 * into a buffer, which is written once. Keeping nghttp2's state consistent
 * this way (rather than forging the final frames by hand) keeps its flow
 * control and stream states right for the responses.
 */
#include "h2race.h"

#include "alloc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Final frames of one connection larger than this are still written at once, just in more segments. */
#define RELEASE_BUF_INITIAL 4096
#define READ_CHUNK 65536
#define H2_FRAME_HEADER_BYTES 9 /* RFC 9113 4.1 */

typedef struct h2conn h2conn;

typedef struct {
    br_h2_request *req;
    h2conn *conn;
    int32_t id;
    size_t sent;
    uint8_t *final_buf; /* staggered release: this stream's final frame(s), written at its offset */
    size_t final_len, final_cap;
    int released, closed;
    int ended;   /* the server's END_STREAM arrived: the response is whole */
    char **kept; /* the last value of each of the request's record_headers, NULL when absent */
} h2stream;

struct h2conn {
    int fd;
    SSL *ssl;
    nghttp2_session *session;
    br_h2_url origin;
    int got_settings, ping_acks, checked_preface;
    h2stream **streams;
    size_t stream_count;
    uint8_t *release_buf;
    size_t release_len, release_cap;
    int64_t segs_before; /* the kernel's data segment count before the release, -1 unknown */
    int released;
    int writes_after; /* writes of control frames after the release (window updates, resets) */
    int mss;
    const br_h2_options *opt;
};

typedef struct {
    const br_h2_options *opt;
    h2conn **conns; /* each allocated alone: nghttp2 keeps a pointer to it */
    size_t conn_count, conn_cap;
    h2stream *streams;
    size_t n;
    int64_t deadline_us;
    SSL_CTX *ssl_ctx;
    char *err;
    size_t errlen;
} burst;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int fail(burst *b, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, b->errlen, fmt, ap);
    va_end(ap);
    return code;
}

const char *br_h2_status_name(int status)
{
    switch (status) {
    case BR_H2_OK:
        return "ok";
    case BR_H2_EARG:
        return "bad request for HTTP/2";
    case BR_H2_ECONNECT:
        return "cannot connect";
    case BR_H2_EREFUSED:
        return "server does not speak HTTP/2";
    case BR_H2_EPROTO:
        return "HTTP/2 connection failed";
    case BR_H2_EINTERRUPTED:
        return "interrupted";
    }
    return "unknown";
}

/* ---- pure parts ------------------------------------------------------------------------------------ */

int br_h2_split_url(const char *url, br_h2_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *p;
    if (strncasecmp(url, "http://", 7) == 0) {
        p = url + 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        p = url + 8;
        out->tls = 1;
    } else {
        snprintf(err, errlen, "%s: not an http:// or https:// URL", url);
        return -1;
    }
    const char *host = p, *host_end;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (host_end == NULL) {
            snprintf(err, errlen, "%s: unterminated IPv6 address", url);
            return -1;
        }
        p = host_end + 1;
    } else {
        host_end = p + strcspn(p, ":/?#");
        p = host_end;
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len == 0 || host_len >= sizeof(out->host)) {
        snprintf(err, errlen, "%s: %s host", url, host_len ? "overlong" : "no");
        return -1;
    }
    memcpy(out->host, host, host_len);
    const char *port = out->tls ? "443" : "80";
    size_t port_len = strlen(port);
    if (*p == ':') {
        port = p + 1;
        port_len = strspn(port, "0123456789");
        p = port + port_len;
        if (port_len == 0 || port_len > 5 || atoi(port) > 65535) {
            snprintf(err, errlen, "%s: bad port", url);
            return -1;
        }
    }
    memcpy(out->port, port, port_len);
    if (*p != '\0' && *p != '/' && *p != '?') {
        snprintf(err, errlen, "%s: unexpected '%c' after the host", url, *p);
        return -1;
    }
    int v6 = strchr(out->host, ':') != NULL;
    snprintf(out->authority, sizeof(out->authority), "%s%s%s:%s", v6 ? "[" : "", out->host, v6 ? "]" : "",
             out->port);
    out->path = *p == '/' ? p : NULL; /* "?q" or "": the caller prefixes "/" */
    if (*p == '?')
        out->path = p;
    return 0;
}

int br_h2_header_from_line(const char *line, char *name, size_t name_cap, const char **value,
                           size_t *value_len)
{
    /* RFC 9113 8.2.2: connection-specific header fields are malformed in HTTP/2. */
    static const char *const dropped[] = {
        "connection", "keep-alive", "proxy-connection", "upgrade", "transfer-encoding",
        "host",       "te",         "expect",           NULL};
    const char *colon = strchr(line, ':');
    if (colon == NULL || colon == line || (size_t)(colon - line) >= name_cap)
        return -1;
    size_t nlen = (size_t)(colon - line);
    for (size_t i = 0; i < nlen; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch <= ' ' || ch >= 127)
            return -1;
        name[i] = (char)tolower(ch);
    }
    name[nlen] = '\0';
    const char *v = colon + 1;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t vlen = strlen(v);
    while (vlen > 0 &&
           (v[vlen - 1] == ' ' || v[vlen - 1] == '\t' || v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
        vlen--;
    *value = v;
    *value_len = vlen;
    if (vlen == 0)
        return 0;
    for (size_t i = 0; dropped[i]; i++)
        if (strcmp(name, dropped[i]) == 0)
            return 0;
    return 1;
}

br_h2_plan br_h2_plan_burst(size_t n, uint32_t max_streams)
{
    br_h2_plan p = {1, n};
    if (max_streams == 0)
        max_streams = 1; /* a server that allows none: one stream a connection is the best there is */
    if (n > max_streams) {
        p.connections = (n + max_streams - 1) / max_streams;
        p.per_connection = (n + p.connections - 1) / p.connections; /* balanced: 100 at 64 = 2 x 50 */
    }
    return p;
}

size_t br_h2_final_frame_bytes(size_t body_len)
{
    return H2_FRAME_HEADER_BYTES + (body_len > 0 ? 1 : 0);
}

int br_h2_segments_for(size_t bytes, int mss)
{
    if (bytes == 0 || mss <= 0)
        return 1;
    return (int)((bytes + (size_t)mss - 1) / (size_t)mss);
}

/* ---- socket and TLS I/O ---------------------------------------------------------------------------- */

static int wait_fd(int fd, short events, int64_t deadline_us)
{
    int64_t left_ms = (deadline_us - now_us()) / 1000;
    if (left_ms <= 0)
        return 0;
    struct pollfd p = {.fd = fd, .events = events};
    int rc = poll(&p, 1, left_ms > 100 ? 100 : (int)left_ms);
    return rc < 0 && errno == EINTR ? 0 : rc;
}

/* Writes everything; returns the number of write calls it took, or -1. */
static int conn_write_all(h2conn *c, const uint8_t *buf, size_t len, int64_t deadline_us)
{
    int calls = 0;
    while (len > 0) {
        ssize_t w;
        int again;
        calls++;
        if (c->ssl) {
            w = SSL_write(c->ssl, buf, (int)len);
            int e = w > 0 ? 0 : SSL_get_error(c->ssl, (int)w);
            again = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
        } else {
            w = send(c->fd, buf, len, MSG_NOSIGNAL);
            again = w < 0 && (errno == EAGAIN || errno == EINTR);
        }
        if (w > 0) {
            buf += w;
            len -= (size_t)w;
            continue;
        }
        if (!again || now_us() > deadline_us)
            return -1;
        wait_fd(c->fd, POLLOUT | POLLIN, deadline_us);
    }
    return calls;
}

/* Reads what is there: >0 bytes, 0 nothing yet, -1 closed or failed. */
static ssize_t conn_read(h2conn *c, uint8_t *buf, size_t cap)
{
    if (c->ssl) {
        int r = SSL_read(c->ssl, buf, (int)cap);
        if (r > 0)
            return r;
        int e = SSL_get_error(c->ssl, r);
        return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
    }
    ssize_t r = recv(c->fd, buf, cap, 0);
    if (r > 0)
        return r;
    if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    return -1;
}

/* Sends whatever nghttp2 has queued. */
static int conn_flush(h2conn *c, int64_t deadline_us)
{
    for (;;) {
        const uint8_t *data;
        ssize_t len = nghttp2_session_mem_send(c->session, &data);
        if (len < 0)
            return -1;
        if (len == 0)
            return 0;
        int calls = conn_write_all(c, data, (size_t)len, deadline_us);
        if (calls < 0)
            return -1;
        if (c->released)
            c->writes_after += calls;
    }
}

/*
 * Waits up to the deadline for bytes and feeds them to nghttp2. Returns 0, or
 * -1 when the connection closed or broke, with a sentence in |why|.
 */
static int conn_pump(h2conn *c, int64_t deadline_us, char *why, size_t whylen)
{
    uint8_t buf[READ_CHUNK];
    if (!(c->ssl && SSL_pending(c->ssl) > 0) && wait_fd(c->fd, POLLIN, deadline_us) <= 0)
        return 0;
    ssize_t r = conn_read(c, buf, sizeof(buf));
    if (r < 0) {
        snprintf(why, whylen, "the server closed the connection");
        return -1;
    }
    if (r == 0)
        return 0;
    if (!c->checked_preface) {
        /* The server's preface is a SETTINGS frame: type 0x4 in the fourth byte, without ACK. */
        c->checked_preface = 1;
        if (r < 5 || buf[3] != NGHTTP2_SETTINGS || (buf[4] & NGHTTP2_FLAG_ACK)) {
            char shown[48];
            size_t k = 0;
            for (ssize_t i = 0; i < r && k + 1 < sizeof(shown); i++)
                shown[k++] = isprint(buf[i]) ? (char)buf[i] : '.';
            shown[k] = '\0';
            snprintf(why, whylen, "the server answered the HTTP/2 preface with \"%s\", not SETTINGS", shown);
            return -2;
        }
    }
    ssize_t used = nghttp2_session_mem_recv(c->session, buf, (size_t)r);
    if (used < 0) {
        snprintf(why, whylen, "HTTP/2 framing error: %s", nghttp2_strerror((int)used));
        return -1;
    }
    if (conn_flush(c, deadline_us) != 0) {
        snprintf(why, whylen, "writing to the server failed");
        return -1;
    }
    return 0;
}

/* ---- nghttp2 callbacks ----------------------------------------------------------------------------- */

static ssize_t on_send_unused(nghttp2_session *s, const uint8_t *d, size_t l, int f, void *u)
{
    (void)s, (void)d, (void)l, (void)f, (void)u;
    return NGHTTP2_ERR_CALLBACK_FAILURE; /* every byte goes through mem_send */
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    h2conn *c = user;
    if (f->hd.type == NGHTTP2_SETTINGS && !(f->hd.flags & NGHTTP2_FLAG_ACK))
        c->got_settings = 1;
    if (f->hd.type == NGHTTP2_PING && (f->hd.flags & NGHTTP2_FLAG_ACK))
        c->ping_acks++;
    if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
        (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
        h2stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
        if (st != NULL)
            st->ended = 1;
    }
    return 0;
}

/* Keeps the value of a response header the request asked to record (the last one wins, as with libcurl). */
static void keep_header(h2stream *st, const uint8_t *name, size_t namelen, const uint8_t *value,
                        size_t valuelen)
{
    const br_h2_request *r = st->req;
    for (size_t i = 0; i < r->record_header_count; i++) {
        if (strlen(r->record_headers[i]) != namelen ||
            strncasecmp(r->record_headers[i], (const char *)name, namelen))
            continue;
        if (st->kept == NULL)
            st->kept = xcalloc(r->record_header_count, sizeof(char *));
        free(st->kept[i]);
        st->kept[i] = xmemdup0(value, valuelen < 256 ? valuelen : 256);
    }
}

/* The kept headers as "Name: value\n" lines in the request's order, into the request. */
static void record_kept(h2stream *st)
{
    br_h2_request *r = st->req;
    size_t len = 0;
    for (size_t i = 0; st->kept && i < r->record_header_count; i++) {
        if (st->kept[i] == NULL)
            continue;
        size_t need = strlen(r->record_headers[i]) + strlen(st->kept[i]) + 4;
        r->recorded = xrealloc(r->recorded, len + need);
        len += (size_t)snprintf(r->recorded + len, need, "%s: %s\n", r->record_headers[i], st->kept[i]);
        free(st->kept[i]);
    }
    free(st->kept);
    st->kept = NULL;
}

static int on_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
                     const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
    (void)flags, (void)user;
    h2stream *st = nghttp2_session_get_stream_user_data(s, f->hd.stream_id);
    if (f->hd.type != NGHTTP2_HEADERS || st == NULL)
        return 0;
    if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
        if (valuelen == 3)
            st->req->status = atoi((const char *)value);
    } else if (namelen > 0 && name[0] != ':') {
        keep_header(st, name, namelen, value, valuelen);
    }
    return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *user)
{
    (void)flags, (void)user;
    h2stream *st = nghttp2_session_get_stream_user_data(s, id);
    if (st == NULL)
        return 0;
    br_h2_request *r = st->req;
    if (r->response_len + len > st->conn->opt->max_response) {
        snprintf(r->error, sizeof(r->error), "response larger than %zu bytes", st->conn->opt->max_response);
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
        return 0;
    }
    r->response = xrealloc(r->response, r->response_len + len + 1);
    memcpy(r->response + r->response_len, data, len);
    r->response_len += len;
    r->response[r->response_len] = '\0';
    return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t code, void *user)
{
    (void)user;
    h2stream *st = nghttp2_session_get_stream_user_data(s, id);
    if (st == NULL)
        return 0;
    st->closed = 1;
    st->req->complete_us = now_us();
    if (st->ended)
        record_kept(st);
    else if (st->req->error[0] == '\0')
        snprintf(st->req->error, sizeof(st->req->error), "the server reset the stream (%s)%s",
                 nghttp2_http2_strerror(code), st->req->status ? " before the response was complete" : "");
    return 0;
}

/*
 * The body: all but its final byte while held; then the final byte (or
 * nothing, for a bodiless request) with END_STREAM once released.
 */
static ssize_t read_body(nghttp2_session *s, int32_t id, uint8_t *buf, size_t cap, uint32_t *flags,
                         nghttp2_data_source *src, void *user)
{
    (void)s, (void)id, (void)user;
    h2stream *st = src->ptr;
    const br_h2_request *r = st->req;
    size_t hold = st->released || r->body_len == 0 ? 0 : 1;
    size_t avail = r->body_len - st->sent - hold;
    if (avail == 0 && !st->released)
        return NGHTTP2_ERR_DEFERRED;
    size_t give = avail < cap ? avail : cap;
    if (give)
        memcpy(buf, r->body + st->sent, give);
    st->sent += give;
    if (st->released && st->sent == r->body_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)give;
}

/* ---- connections ----------------------------------------------------------------------------------- */

static int tcp_connect(burst *b, h2conn *c)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
    int rc = getaddrinfo(c->origin.host, c->origin.port, &hints, &res);
    if (rc != 0)
        return fail(b, BR_H2_ECONNECT, "%s: %s", c->origin.authority, gai_strerror(rc));
    int saved = 0;
    for (ai = res; ai; ai = ai->ai_next) {
        c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (c->fd < 0)
            continue;
        if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        saved = errno;
        close(c->fd);
        c->fd = -1;
    }
    freeaddrinfo(res);
    if (c->fd < 0)
        return fail(b, BR_H2_ECONNECT, "%s: %s", c->origin.authority, strerror(saved ? saved : ECONNREFUSED));
    int one = 1;
    /* Nagle would hold a small final-frame write back until the previous write is acknowledged. */
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    socklen_t sl = sizeof(c->mss);
    if (getsockopt(c->fd, IPPROTO_TCP, TCP_MAXSEG, &c->mss, &sl) != 0)
        c->mss = 0;
    return BR_H2_OK;
}

static int tls_connect(burst *b, h2conn *c)
{
    static const unsigned char alpn[] = {2, 'h', '2'};
    c->ssl = SSL_new(b->ssl_ctx);
    if (c->ssl == NULL)
        return fail(b, BR_H2_ECONNECT, "%s: SSL_new failed", c->origin.authority);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, c->origin.host);
    if (!b->opt->tls_insecure)
        SSL_set1_host(c->ssl, c->origin.host);
    SSL_set_alpn_protos(c->ssl, alpn, sizeof(alpn));
    if (SSL_connect(c->ssl) != 1) {
        char e[160];
        ERR_error_string_n(ERR_get_error(), e, sizeof(e));
        long v = SSL_get_verify_result(c->ssl);
        return fail(b, BR_H2_ECONNECT, "%s: TLS handshake failed: %s%s%s", c->origin.authority, e,
                    v != X509_V_OK ? "; certificate: " : "",
                    v != X509_V_OK ? X509_verify_cert_error_string(v) : "");
    }
    const unsigned char *sel = NULL;
    unsigned int sel_len = 0;
    SSL_get0_alpn_selected(c->ssl, &sel, &sel_len);
    if (sel_len != 2 || memcmp(sel, "h2", 2) != 0)
        return fail(b, BR_H2_EREFUSED, "%s: the TLS server did not select ALPN h2 (it selected %s%.*s)",
                    c->origin.authority, sel_len ? "" : "none", (int)sel_len, sel ? (const char *)sel : "");
    return BR_H2_OK;
}

static int session_new(h2conn *c)
{
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, on_send_unused);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
    int rc = nghttp2_session_client_new(&c->session, cb, c);
    nghttp2_session_callbacks_del(cb);
    return rc;
}

/* Waits until |cond| holds for |c|, the deadline passes, or the stop flag rises. */
static int conn_wait(burst *b, h2conn *c, int (*cond)(const h2conn *), const char *what)
{
    char why[200];
    while (!cond(c)) {
        if (b->opt->stop && atomic_load(b->opt->stop))
            return fail(b, BR_H2_EINTERRUPTED, "interrupted");
        if (now_us() > b->deadline_us)
            return fail(b, c->got_settings ? BR_H2_EPROTO : BR_H2_EREFUSED, "%s: no %s within %d ms",
                        c->origin.authority, what, b->opt->timeout_ms);
        int rc = conn_pump(c, b->deadline_us, why, sizeof(why));
        if (rc == -2 || (rc < 0 && !c->got_settings))
            return fail(b, BR_H2_EREFUSED, "%s: %s", c->origin.authority, why);
        if (rc < 0)
            return fail(b, BR_H2_EPROTO, "%s: %s", c->origin.authority, why);
    }
    return BR_H2_OK;
}

static int warmed(const h2conn *c)
{
    return c->got_settings && c->ping_acks >= 1;
}

/* Connects, handshakes, exchanges SETTINGS and one PING round trip. */
static int conn_open(burst *b, h2conn *c, const br_h2_url *origin)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->origin = *origin;
    c->opt = b->opt;
    int rc = tcp_connect(b, c);
    if (rc == BR_H2_OK && origin->tls)
        rc = tls_connect(b, c);
    if (rc != BR_H2_OK)
        return rc;
    if (session_new(c) != 0)
        return fail(b, BR_H2_EPROTO, "nghttp2 session: out of memory");
    /* No push; windows large enough that no racer's body or response waits for a WINDOW_UPDATE. */
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                   {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24}};
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 2);
    nghttp2_session_set_local_window_size(c->session, NGHTTP2_FLAG_NONE, 0, 1 << 26);
    nghttp2_submit_ping(c->session, NGHTTP2_FLAG_NONE, NULL);
    if (conn_flush(c, b->deadline_us) != 0)
        return fail(b, BR_H2_EREFUSED, "%s: the server closed the connection on the HTTP/2 preface",
                    c->origin.authority);
    /* Non-blocking from here on: reads must not stall the loop that pumps several connections. */
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    return conn_wait(b, c, warmed, "SETTINGS and PING answer");
}

static void conn_close(h2conn *c)
{
    if (c->session)
        nghttp2_session_del(c->session);
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->fd >= 0)
        close(c->fd);
    free(c->streams);
    free(c->release_buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}

/* ---- the burst ------------------------------------------------------------------------------------- */

#define NV(n, v, vl) ((nghttp2_nv){(uint8_t *)(n), (uint8_t *)(v), strlen(n), (vl), NGHTTP2_NV_FLAG_NONE})
#define HEADER_NAME_MAX 128

/* Sends HEADERS (and all of the body but its final byte, once flushed) for one stream. */
static int submit_stream(burst *b, h2conn *c, h2stream *st)
{
    const br_h2_request *r = st->req;
    br_h2_url u;
    char e[200];
    br_h2_split_url(r->url, &u, e, sizeof(e)); /* validated by the caller */
    const char *p = u.path ? u.path : "/";
    char *joined = u.path && u.path[0] == '?' ? xmalloc(strlen(u.path) + 2) : NULL;
    if (joined) {
        sprintf(joined, "/%s", u.path);
        p = joined;
    }
    nghttp2_nv *nv = xcalloc(r->header_count + 5, sizeof(*nv));
    char(*names)[HEADER_NAME_MAX] = xcalloc(r->header_count + 1, HEADER_NAME_MAX);
    size_t k = 0;
    int has_length = 0, rc = BR_H2_OK;
    nv[k++] = NV(":method", r->method, strlen(r->method));
    nv[k++] = NV(":scheme", u.tls ? "https" : "http", u.tls ? 5 : 4);
    nv[k++] = NV(":authority", u.authority, strlen(u.authority));
    nv[k++] = NV(":path", p, strlen(p));
    for (size_t i = 0; i < r->header_count && rc == BR_H2_OK; i++) {
        const char *value;
        size_t vlen;
        int use = br_h2_header_from_line(r->headers[i], names[i], HEADER_NAME_MAX, &value, &vlen);
        if (use < 0)
            rc = fail(b, BR_H2_EARG, "header \"%s\" cannot be sent over HTTP/2", r->headers[i]);
        if (use > 0) {
            has_length |= strcmp(names[i], "content-length") == 0;
            nv[k++] = NV(names[i], value, vlen);
        }
    }
    char length[24];
    snprintf(length, sizeof(length), "%zu", r->body_len);
    if (r->body_len > 0 && !has_length)
        nv[k++] = NV("content-length", length, strlen(length));
    if (rc == BR_H2_OK) {
        nghttp2_data_provider dp = {.source.ptr = st, .read_callback = read_body};
        st->id = nghttp2_submit_request(c->session, NULL, nv, k, &dp, st);
        if (st->id < 0)
            rc = fail(b, BR_H2_EARG, "%s %s: %s", r->method, r->url, nghttp2_strerror(st->id));
    }
    free(names);
    free(nv);
    free(joined);
    return rc;
}

static h2conn *add_conn(burst *b)
{
    if (b->conn_count == b->conn_cap) {
        b->conn_cap = b->conn_cap ? b->conn_cap * 2 : 4;
        b->conns = xreallocarray(b->conns, b->conn_cap, sizeof(h2conn *));
    }
    h2conn *c = xcalloc(1, sizeof(*c));
    c->fd = -1;
    b->conns[b->conn_count++] = c;
    return c;
}

static int same_origin(const br_h2_url *a, const br_h2_url *o)
{
    return a->tls == o->tls && strcasecmp(a->authority, o->authority) == 0;
}

/*
 * Opens the connections of one origin: the first tells the server's stream
 * limit, and the burst is split over as few connections as carry it.
 */
static int open_origin(burst *b, const br_h2_url *origin, br_h2_report *rep)
{
    size_t count = 0;
    for (size_t i = 0; i < b->n; i++) {
        br_h2_url u;
        char e[8];
        br_h2_split_url(b->streams[i].req->url, &u, e, sizeof(e));
        count += b->streams[i].conn == NULL && same_origin(&u, origin);
    }
    h2conn *first = add_conn(b);
    int rc = conn_open(b, first, origin);
    if (rc != BR_H2_OK)
        return rc;
    uint32_t limit =
        nghttp2_session_get_remote_settings(first->session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
    if (limit < rep->server_max_streams)
        rep->server_max_streams = limit;
    if (b->opt->max_streams && b->opt->max_streams < limit)
        limit = b->opt->max_streams;
    br_h2_plan plan = br_h2_plan_burst(count, limit);
    h2conn *c = first;
    size_t on_conn = 0;
    for (size_t i = 0; i < b->n; i++) {
        br_h2_url u;
        char e[8];
        br_h2_split_url(b->streams[i].req->url, &u, e, sizeof(e));
        if (b->streams[i].conn != NULL || !same_origin(&u, origin))
            continue;
        if (on_conn == plan.per_connection) {
            c = add_conn(b);
            if ((rc = conn_open(b, c, origin)) != BR_H2_OK)
                return rc;
            on_conn = 0;
        }
        c->streams = xreallocarray(c->streams, c->stream_count + 1, sizeof(h2stream *));
        c->streams[c->stream_count++] = &b->streams[i];
        b->streams[i].conn = c;
        b->streams[i].req->connection = (int)b->conn_count - 1;
        on_conn++;
    }
    return BR_H2_OK;
}

static int primed(const h2conn *c)
{
    return c->ping_acks >= 2;
}

/* Sends every stream's HEADERS and held body, then a PING: its answer means the server read them all. */
static int prime_all(burst *b)
{
    for (size_t i = 0; i < b->conn_count; i++) {
        h2conn *c = b->conns[i];
        for (size_t j = 0; j < c->stream_count; j++) {
            int rc = submit_stream(b, c, c->streams[j]);
            if (rc != BR_H2_OK)
                return rc;
        }
        /* nghttp2 sends a PING before queued HEADERS, so the streams go out first and the PING after. */
        if (conn_flush(c, b->deadline_us) != 0 ||
            nghttp2_submit_ping(c->session, NGHTTP2_FLAG_NONE, NULL) != 0 ||
            conn_flush(c, b->deadline_us) != 0)
            return fail(b, BR_H2_EPROTO, "%s: writing the primed streams failed", c->origin.authority);
    }
    for (size_t i = 0; i < b->conn_count; i++) {
        int rc = conn_wait(b, b->conns[i], primed, "PING answer after priming");
        if (rc != BR_H2_OK)
            return rc;
    }
    return BR_H2_OK;
}

/* Appends what nghttp2 has queued for |c| to a buffer that grows to twice what it needs plus |initial|;
 * sends nothing. */
static int drain_into(burst *b, h2conn *c, uint8_t **buf, size_t *len, size_t *cap, size_t initial)
{
    for (;;) {
        const uint8_t *data;
        ssize_t n = nghttp2_session_mem_send(c->session, &data);
        if (n < 0)
            return fail(b, BR_H2_EPROTO, "%s: %s", c->origin.authority, nghttp2_strerror((int)n));
        if (n == 0)
            return BR_H2_OK;
        if (*len + (size_t)n > *cap) {
            *cap = (*len + (size_t)n) * 2 + initial;
            *buf = xrealloc(*buf, *cap);
        }
        memcpy(*buf + *len, data, (size_t)n);
        *len += (size_t)n;
    }
}

/* Serialises every stream's final frame of one connection into its release buffer, sending nothing. */
static int build_release(burst *b, h2conn *c)
{
    for (size_t j = 0; j < c->stream_count; j++) {
        h2stream *st = c->streams[j];
        st->released = 1;
        if (!st->closed)
            nghttp2_session_resume_data(c->session, st->id);
    }
    return drain_into(b, c, &c->release_buf, &c->release_len, &c->release_cap, RELEASE_BUF_INITIAL);
}

static int64_t data_segs_out(int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);
    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_data_segs_out) + sizeof(ti.tcpi_data_segs_out))
        return -1;
    return ti.tcpi_data_segs_out;
}

/*
 * The release: one write per connection in a tight loop. The segments are
 * counted later (count_segments): the kernel may hold a write for a moment
 * (autocorking, while the previous segment is still in the device queue), so
 * its count is read once the responses are in.
 */
static void release_all(burst *b, br_h2_report *rep)
{
    for (size_t i = 0; i < b->conn_count; i++)
        b->conns[i]->segs_before = data_segs_out(b->conns[i]->fd);
    int64_t t0 = now_us();
    for (size_t i = 0; i < b->conn_count; i++) {
        h2conn *c = b->conns[i];
        int calls = conn_write_all(c, c->release_buf, c->release_len, b->deadline_us);
        int64_t t = now_us();
        c->released = 1;
        rep->writes += calls > 0 ? calls : 1;
        rep->release_bytes += c->release_len;
        for (size_t j = 0; j < c->stream_count; j++) {
            c->streams[j]->req->last_byte_us = t;
            if (calls < 0 && !c->streams[j]->closed)
                snprintf(c->streams[j]->req->error, sizeof(c->streams[j]->req->error),
                         "writing the final frame failed");
        }
    }
    rep->release_us = now_us() - t0;
}

/* Spins out the last 300 us before |until_us| after sleeping the rest (as the pool's staggered release). */
static void h2_wait_until(int64_t until_us)
{
    int64_t sleep_until = until_us - 300;
    if (sleep_until > now_us()) {
        struct timespec ts = {(time_t)(sleep_until / 1000000), (long)(sleep_until % 1000000) * 1000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    while (now_us() < until_us)
        ;
}

/* Stream indices by release offset, earliest first (stable). */
static size_t *stream_order(const burst *b)
{
    size_t *order = xcalloc(b->n ? b->n : 1, sizeof(size_t));
    for (size_t i = 0; i < b->n; i++) {
        size_t j = i;
        for (;
             j > 0 && b->streams[order[j - 1]].req->release_offset_us > b->streams[i].req->release_offset_us;
             j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    return order;
}

/* Serialises one stream's final frame (and whatever nghttp2 queued with it) into its own buffer. */
static int build_stream_final(burst *b, h2stream *st)
{
    h2conn *c = st->conn;
    st->released = 1;
    if (!st->closed)
        nghttp2_session_resume_data(c->session, st->id);
    return drain_into(b, c, &st->final_buf, &st->final_len, &st->final_cap, 64);
}

/* Whether a burst's streams are released at different times (a window sweep's delay). */
static int staggered(const burst *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->streams[i].req->release_offset_us > 0)
            return 1;
    return 0;
}

/*
 * The staggered release: every stream's final frame built first, in offset
 * order, then each written at the release plus its offset. The responses to
 * early racers wait in the kernel until collect() reads them.
 */
static int release_staggered(burst *b, br_h2_report *rep)
{
    size_t *order = stream_order(b);
    int rc = BR_H2_OK;
    for (size_t k = 0; k < b->n && rc == BR_H2_OK; k++)
        rc = build_stream_final(b, &b->streams[order[k]]);
    for (size_t i = 0; i < b->conn_count && rc == BR_H2_OK; i++)
        b->conns[i]->segs_before = data_segs_out(b->conns[i]->fd);
    int64_t t0 = now_us();
    for (size_t k = 0; k < b->n && rc == BR_H2_OK; k++) {
        h2stream *st = &b->streams[order[k]];
        h2_wait_until(t0 + st->req->release_offset_us);
        st->req->last_byte_us =
            now_us(); /* before the write, as the pool's uncork: the server may preempt it */
        int calls = conn_write_all(st->conn, st->final_buf, st->final_len, b->deadline_us);
        rep->writes += calls > 0 ? calls : 1;
        rep->release_bytes += st->final_len;
        if (calls < 0 && !st->closed)
            snprintf(st->req->error, sizeof(st->req->error), "writing the final frame failed");
    }
    for (size_t i = 0; i < b->conn_count; i++)
        b->conns[i]->released = 1;
    rep->release_us = now_us() - t0;
    free(order);
    return rc;
}

/*
 * The data segments the release took: the kernel's count since the release,
 * less one per later write of control frames (each a few bytes, one segment).
 * -1 when the kernel does not say.
 */
static void count_segments(burst *b, br_h2_report *rep)
{
    rep->segments = 0;
    for (size_t i = 0; i < b->conn_count && rep->segments >= 0; i++) {
        h2conn *c = b->conns[i];
        int64_t after = data_segs_out(c->fd);
        rep->segments = c->segs_before < 0 || after < 0
                            ? -1
                            : rep->segments + (int)(after - c->segs_before) - c->writes_after;
    }
}

static int all_closed(const burst *b)
{
    for (size_t i = 0; i < b->n; i++)
        if (!b->streams[i].closed && b->streams[i].req->error[0] == '\0')
            return 0;
    return 1;
}

static void fail_open_streams(h2conn *c, const char *why)
{
    for (size_t j = 0; j < c->stream_count; j++) {
        h2stream *st = c->streams[j];
        if (st->closed)
            continue;
        st->closed = 1;
        st->req->complete_us = now_us();
        if (st->req->error[0] == '\0') /* a longer reason is cut, as error[] says */
            snprintf(st->req->error, sizeof(st->req->error), "%.*s", (int)sizeof(st->req->error) - 1, why);
    }
}

/* Reads responses on every connection until each stream has closed, the deadline or the stop flag. */
static int collect(burst *b)
{
    struct pollfd *pf = xcalloc(b->conn_count, sizeof(*pf));
    int interrupted = 0;
    while (!all_closed(b)) {
        if ((b->opt->stop && atomic_load(b->opt->stop)) || now_us() > b->deadline_us) {
            interrupted = b->opt->stop && atomic_load(b->opt->stop);
            char why[64];
            snprintf(why, sizeof(why), interrupted ? "interrupted" : "no response within %d ms",
                     b->opt->timeout_ms);
            for (size_t i = 0; i < b->conn_count; i++)
                fail_open_streams(b->conns[i], why);
            break;
        }
        for (size_t i = 0; i < b->conn_count; i++)
            pf[i] = (struct pollfd){.fd = b->conns[i]->fd, .events = POLLIN};
        if (poll(pf, b->conn_count, 50) < 0 && errno != EINTR)
            break;
        for (size_t i = 0; i < b->conn_count; i++) {
            h2conn *c = b->conns[i];
            char why[200];
            if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)) && !(c->ssl && SSL_pending(c->ssl)))
                continue;
            if (conn_pump(c, b->deadline_us, why, sizeof(why)) < 0)
                fail_open_streams(c, why);
        }
    }
    free(pf);
    return BR_H2_OK;
}

static SSL_CTX *client_ctx(const br_h2_options *opt, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (opt->tls_insecure) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        int ok = opt->ca_file ? SSL_CTX_load_verify_locations(ctx, opt->ca_file, NULL)
                              : SSL_CTX_set_default_verify_paths(ctx);
        if (ok != 1) {
            snprintf(err, errlen, "cannot load CA certificates%s%s", opt->ca_file ? " from " : "",
                     opt->ca_file ? opt->ca_file : "");
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    return ctx;
}

/* Validates the URLs, then opens the connections origin by origin. */
static int open_all(burst *b, br_h2_report *rep)
{
    int any_tls = 0;
    for (size_t i = 0; i < b->n; i++) {
        br_h2_url u;
        char e[300];
        if (br_h2_split_url(b->streams[i].req->url, &u, e, sizeof(e)) != 0)
            return fail(b, BR_H2_EARG, "%s", e);
        any_tls |= u.tls;
    }
    if (any_tls && (b->ssl_ctx = client_ctx(b->opt, b->err, b->errlen)) == NULL)
        return b->err[0] ? BR_H2_ECONNECT : fail(b, BR_H2_ECONNECT, "SSL_CTX_new failed");
    rep->tls = any_tls;
    for (size_t i = 0; i < b->n; i++) {
        if (b->streams[i].conn != NULL)
            continue;
        br_h2_url u;
        char e[8];
        br_h2_split_url(b->streams[i].req->url, &u, e, sizeof(e));
        int rc = open_origin(b, &u, rep);
        if (rc != BR_H2_OK)
            return rc;
    }
    return BR_H2_OK;
}

static void describe(const burst *b, br_h2_report *rep, size_t n)
{
    rep->connections = (int)b->conn_count;
    rep->mss = 0;
    for (size_t i = 0; i < b->conn_count; i++)
        if (b->conns[i]->mss > 0 && (rep->mss == 0 || b->conns[i]->mss < rep->mss))
            rep->mss = b->conns[i]->mss;
    if (staggered(b))
        snprintf(rep->note, sizeof(rep->note),
                 "HTTP/2 staggered release: %zu racers over %d connection(s), each final frame in a write of "
                 "its own at its offset: %d writes, %d TCP segments (control frames included)",
                 n, rep->connections, rep->writes, rep->segments);
    else if (b->conn_count > 1)
        snprintf(
            rep->note, sizeof(rep->note),
            "HTTP/2 single-packet: %zu racers split over %d connections (the server allows %u concurrent "
            "streams): %d writes, %d TCP segments",
            n, rep->connections, rep->server_max_streams, rep->writes, rep->segments);
    else if (rep->segments > rep->writes)
        snprintf(rep->note, sizeof(rep->note),
                 "HTTP/2 single-packet: the final frames (%zu bytes) took %d TCP segments (MSS %d)",
                 rep->release_bytes, rep->segments, rep->mss);
}

int br_h2race_run(const br_h2_options *opt, br_h2_request *reqs, size_t n, br_h2_report *rep, char *err,
                  size_t errlen)
{
    memset(rep, 0, sizeof(*rep));
    rep->server_max_streams = UINT32_MAX;
    err[0] = '\0';
    burst b = {.opt = opt, .n = n, .err = err, .errlen = errlen};
    b.deadline_us = now_us() + (int64_t)opt->timeout_ms * 1000;
    b.streams = xcalloc(n ? n : 1, sizeof(h2stream));
    for (size_t i = 0; i < n; i++) {
        br_h2_request_reset(&reqs[i]);
        b.streams[i].req = &reqs[i];
    }
    int rc = open_all(&b, rep);
    if (rc == BR_H2_OK)
        rc = prime_all(&b);
    int stagger = staggered(&b);
    for (size_t i = 0; i < b.conn_count && rc == BR_H2_OK && !stagger; i++)
        rc = build_release(&b, b.conns[i]);
    if (rc == BR_H2_OK && stagger)
        rc = release_staggered(&b, rep);
    else if (rc == BR_H2_OK)
        release_all(&b, rep);
    if (rc == BR_H2_OK) {
        rc = collect(&b);
        count_segments(&b, rep);
    }
    describe(&b, rep, n);
    for (size_t i = 0; i < b.conn_count; i++) {
        conn_close(b.conns[i]);
        free(b.conns[i]);
    }
    free(b.conns);
    for (size_t i = 0; i < n; i++)
        free(b.streams[i].final_buf);
    for (size_t i = 0; i < n; i++)
        if (b.streams[i].kept) {
            for (size_t k = 0; k < reqs[i].record_header_count; k++)
                free(b.streams[i].kept[k]);
            free(b.streams[i].kept);
        }
    free(b.streams);
    if (b.ssl_ctx)
        SSL_CTX_free(b.ssl_ctx);
    return rc;
}

void br_h2_request_reset(br_h2_request *r)
{
    free(r->response);
    r->response = NULL;
    r->response_len = 0;
    free(r->recorded);
    r->recorded = NULL;
    r->status = 0;
    r->error[0] = '\0';
    r->last_byte_us = r->complete_us = 0;
    r->connection = 0;
}
