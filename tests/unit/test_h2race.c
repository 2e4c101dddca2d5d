/*
 * The HTTP/2 single-packet transport (br_h2race_run) against an HTTP/2
 * server in a thread of the test (an nghttp2 server session on an ephemeral
 * port), and its pure parts.
 *
 * The server records, per connection, which read() delivered each stream's
 * HEADERS and which delivered its END_STREAM. The single-packet property is
 * then checked where it matters, at the receiver: every final frame of a
 * connection arrived in one read, and that read came after the one that
 * completed the last HEADERS (the streams were primed, then released). The
 * release is one write of a few hundred bytes on loopback (MSS ~65 KB), which
 * the kernel queues as one segment, so the server's 64 KB read takes it
 * whole: the verdict does not depend on timing.
 *
 * Cases: a mixed burst of POSTs with bodies and bodiless GETs in one write;
 * a burst larger than the server's MAX_CONCURRENT_STREAMS split over as few
 * connections as carry it; an HTTP/1.1 server refusing the preface; a stream
 * the server resets; a closed port; and URL, header, planning and segment
 * arithmetic.
 */
#include "h2race.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- the test server ---------------------------------------------------------------------------------- */

#define MAX_CLIENTS 16
#define MAX_STREAMS 256

typedef enum { SERVE_H2, SERVE_HTTP1 } serve_mode;

typedef struct {
    int32_t id;
    int headers_read, end_read; /* the client's read() count at HEADERS and at END_STREAM */
    char path[128], method[16];
    char body[512];
    size_t body_len;
    char out[768];
    size_t out_len, out_sent;
} srv_stream;

typedef struct {
    int fd;
    int reads;
    nghttp2_session *session;
    srv_stream streams[MAX_STREAMS];
    int stream_count;
    int max_open, open;
} srv_client;

typedef struct {
    serve_mode mode;
    uint32_t max_streams;
    int port, listen_fd, stop_pipe[2];
    pthread_t thread;
    srv_client clients[MAX_CLIENTS];
    int client_count;
} server;

static srv_stream *find_stream(srv_client *c, int32_t id)
{
    for (int i = 0; i < c->stream_count; i++)
        if (c->streams[i].id == id)
            return &c->streams[i];
    if (c->stream_count == MAX_STREAMS)
        return NULL;
    srv_stream *st = &c->streams[c->stream_count++];
    memset(st, 0, sizeof(*st));
    st->id = id;
    return st;
}

static ssize_t srv_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *user)
{
    (void)s, (void)flags;
    srv_client *c = user;
    ssize_t w = send(c->fd, data, len, MSG_NOSIGNAL);
    return w < 0 ? NGHTTP2_ERR_CALLBACK_FAILURE : w;
}

static int srv_header(nghttp2_session *s, const nghttp2_frame *f, const uint8_t *name, size_t namelen,
                      const uint8_t *value, size_t valuelen, uint8_t flags, void *user)
{
    (void)s, (void)flags;
    srv_client *c = user;
    srv_stream *st = find_stream(c, f->hd.stream_id);
    if (st == NULL)
        return 0;
    if (namelen == 5 && memcmp(name, ":path", 5) == 0)
        snprintf(st->path, sizeof(st->path), "%.*s", (int)valuelen, value);
    if (namelen == 7 && memcmp(name, ":method", 7) == 0)
        snprintf(st->method, sizeof(st->method), "%.*s", (int)valuelen, value);
    return 0;
}

static int srv_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                    void *user)
{
    (void)s, (void)flags;
    srv_stream *st = find_stream(user, id);
    if (st && st->body_len + len < sizeof(st->body)) {
        memcpy(st->body + st->body_len, data, len);
        st->body_len += len;
    }
    return 0;
}

static ssize_t srv_read_out(nghttp2_session *s, int32_t id, uint8_t *buf, size_t cap, uint32_t *flags,
                            nghttp2_data_source *src, void *user)
{
    (void)s, (void)id, (void)user;
    srv_stream *st = src->ptr;
    size_t n = st->out_len - st->out_sent < cap ? st->out_len - st->out_sent : cap;
    memcpy(buf, st->out + st->out_sent, n);
    st->out_sent += n;
    if (st->out_sent == st->out_len)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    return (ssize_t)n;
}

/* Answers with what it received: 201 for POST, 200 otherwise; "/reset" gets RST_STREAM instead. */
static void srv_answer(nghttp2_session *s, srv_client *c, srv_stream *st)
{
    if (strcmp(st->path, "/reset") == 0) {
        nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_REFUSED_STREAM);
        return;
    }
    st->out_len =
        (size_t)snprintf(st->out, sizeof(st->out), "{\"method\":\"%s\",\"path\":\"%s\",\"body\":\"%.*s\"}",
                         st->method, st->path, (int)st->body_len, st->body);
    const char *status = strcmp(st->method, "POST") == 0 ? "201" : "200";
    nghttp2_nv nv[] = {{(uint8_t *)":status", (uint8_t *)status, 7, 3, NGHTTP2_NV_FLAG_NONE}};
    nghttp2_data_provider dp = {.source.ptr = st, .read_callback = srv_read_out};
    nghttp2_submit_response(s, st->id, nv, 1, &dp);
    (void)c;
}

static int srv_frame(nghttp2_session *s, const nghttp2_frame *f, void *user)
{
    srv_client *c = user;
    if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
        return 0;
    srv_stream *st = find_stream(c, f->hd.stream_id);
    if (st == NULL)
        return 0;
    if (f->hd.type == NGHTTP2_HEADERS) {
        st->headers_read = c->reads;
        if (++c->open > c->max_open)
            c->max_open = c->open;
    }
    if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
        st->end_read = c->reads;
        c->open--;
        srv_answer(s, c, st);
    }
    return 0;
}

static void srv_client_start(server *s, int fd)
{
    srv_client *c = &s->clients[s->client_count++];
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    if (s->mode == SERVE_HTTP1)
        return;
    nghttp2_session_callbacks *cb;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_send_callback(cb, srv_send);
    nghttp2_session_callbacks_set_on_header_callback(cb, srv_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, srv_data);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, srv_frame);
    nghttp2_session_server_new(&c->session, cb, c);
    nghttp2_session_callbacks_del(cb);
    nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->max_streams}};
    nghttp2_submit_settings(c->session, NGHTTP2_FLAG_NONE, iv, 1);
    nghttp2_session_send(c->session);
}

static void srv_client_read(server *s, srv_client *c)
{
    uint8_t buf[65536];
    ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
    if (r <= 0) {
        close(c->fd);
        c->fd = -1;
        return;
    }
    c->reads++;
    if (s->mode == SERVE_HTTP1) {
        static const char refuse[] =
            "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        send(c->fd, refuse, sizeof(refuse) - 1, MSG_NOSIGNAL);
        close(c->fd);
        c->fd = -1;
        return;
    }
    nghttp2_session_mem_recv(c->session, buf, (size_t)r);
    nghttp2_session_send(c->session);
}

static void *server_main(void *arg)
{
    server *s = arg;
    for (;;) {
        struct pollfd p[MAX_CLIENTS + 2];
        int n = 0;
        p[n++] = (struct pollfd){.fd = s->stop_pipe[0], .events = POLLIN};
        p[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (int i = 0; i < s->client_count; i++)
            p[n++] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
        poll(p, (nfds_t)n, -1);
        if (p[0].revents)
            return NULL;
        if ((p[1].revents & POLLIN) && s->client_count < MAX_CLIENTS)
            srv_client_start(s, accept(s->listen_fd, NULL, NULL));
        for (int i = 0; i < s->client_count; i++)
            if (p[i + 2].revents && s->clients[i].fd >= 0)
                srv_client_read(s, &s->clients[i]);
    }
}

static void server_start(server *s, serve_mode mode, uint32_t max_streams)
{
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->max_streams = max_streams;
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->listen_fd, 64), 0);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pipe(s->stop_pipe), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(server *s)
{
    assert_int_equal(write(s->stop_pipe[1], "x", 1), 1);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->client_count; i++) {
        if (s->clients[i].session)
            nghttp2_session_del(s->clients[i].session);
        if (s->clients[i].fd >= 0)
            close(s->clients[i].fd);
    }
    close(s->listen_fd);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
}

/* ---- helpers ------------------------------------------------------------------------------------------ */

static const char *const json_headers[] = {"Content-Type: application/json", "Expect:", "X-Run: t1"};

typedef struct {
    br_h2_request reqs[MAX_STREAMS];
    char urls[MAX_STREAMS][96], bodies[MAX_STREAMS][32];
    size_t n;
} burst_case;

static void add(burst_case *bc, int port, const char *method, const char *path, int with_body)
{
    br_h2_request *r = &bc->reqs[bc->n];
    memset(r, 0, sizeof(*r));
    snprintf(bc->urls[bc->n], sizeof(bc->urls[0]), "http://127.0.0.1:%d%s", port, path);
    r->url = bc->urls[bc->n];
    r->method = method;
    r->headers = json_headers;
    r->header_count = 3;
    if (with_body) {
        int len = snprintf(bc->bodies[bc->n], sizeof(bc->bodies[0]), "{'n':%zu}", bc->n);
        r->body = bc->bodies[bc->n];
        r->body_len = (size_t)len;
    }
    bc->n++;
}

static int run(burst_case *bc, uint32_t max_streams, br_h2_report *rep, char *err)
{
    br_h2_options o = {.timeout_ms = 10000, .max_response = 65536, .max_streams = max_streams};
    return br_h2race_run(&o, bc->reqs, bc->n, rep, err, 256);
}

static void burst_free(burst_case *bc)
{
    for (size_t i = 0; i < bc->n; i++)
        br_h2_request_reset(&bc->reqs[i]);
}

/* Every final frame of each connection arrived in one read, after the reads that carried its HEADERS. */
static void assert_single_packet_at_server(const server *s)
{
    int streams = 0;
    for (int i = 0; i < s->client_count; i++) {
        const srv_client *c = &s->clients[i];
        int last_headers = 0;
        for (int j = 0; j < c->stream_count; j++)
            if (c->streams[j].headers_read > last_headers)
                last_headers = c->streams[j].headers_read;
        for (int j = 0; j < c->stream_count; j++) {
            assert_int_equal(c->streams[j].end_read, c->streams[0].end_read);
            assert_true(c->streams[j].end_read > last_headers);
            streams++;
        }
    }
    assert_true(streams > 0);
}

/* ---- cases -------------------------------------------------------------------------------------------- */

static void test_mixed_burst_in_one_write(void **state)
{
    (void)state;
    server s;
    server_start(&s, SERVE_H2, 100);
    burst_case *bc = calloc(1, sizeof(*bc));
    for (int i = 0; i < 20; i++)
        add(bc, s.port, "POST", "/book?x=1", 1);
    for (int i = 0; i < 4; i++)
        add(bc, s.port, "GET", "/slots", 0);
    br_h2_report rep;
    char err[256];
    assert_int_equal(run(bc, 0, &rep, err), BR_H2_OK);
    assert_int_equal(rep.connections, 1);
    assert_int_equal(rep.writes, 1);
    assert_int_equal(rep.segments, 1);
    assert_int_equal(rep.server_max_streams, 100);
    /* 20 final DATA frames of one byte, 4 empty ones */
    assert_true(rep.release_bytes >= 20 * 10 + 4 * 9);
    assert_string_equal(rep.note, "");
    for (size_t i = 0; i < bc->n; i++) {
        br_h2_request *r = &bc->reqs[i];
        assert_string_equal(r->error, "");
        char want[160];
        if (i < 20)
            snprintf(want, sizeof(want), "{\"method\":\"POST\",\"path\":\"/book?x=1\",\"body\":\"%s\"}",
                     bc->bodies[i]);
        else
            snprintf(want, sizeof(want), "{\"method\":\"GET\",\"path\":\"/slots\",\"body\":\"\"}");
        assert_int_equal(r->status, i < 20 ? 201 : 200);
        assert_string_equal(r->response, want);
        assert_true(r->last_byte_us > 0 && r->complete_us >= r->last_byte_us);
    }
    server_stop(&s);
    assert_int_equal(s.client_count, 1);
    assert_int_equal(s.clients[0].stream_count, 24);
    assert_single_packet_at_server(&s);
    burst_free(bc);
    free(bc);
}

static void test_burst_split_over_stream_limit(void **state)
{
    (void)state;
    server s;
    server_start(&s, SERVE_H2, 4);
    burst_case *bc = calloc(1, sizeof(*bc));
    for (int i = 0; i < 10; i++)
        add(bc, s.port, "POST", "/book", 1);
    br_h2_report rep;
    char err[256];
    assert_int_equal(run(bc, 0, &rep, err), BR_H2_OK);
    assert_int_equal(rep.server_max_streams, 4);
    assert_int_equal(rep.connections, 3); /* ceil(10 / 4), balanced 4 + 4 + 2 */
    assert_int_equal(rep.writes, 3);
    assert_int_equal(rep.segments, 3);
    assert_non_null(strstr(rep.note, "10 racers split over 3 connections"));
    assert_non_null(strstr(rep.note, "allows 4 concurrent streams"));
    for (size_t i = 0; i < bc->n; i++) {
        assert_string_equal(bc->reqs[i].error, "");
        assert_int_equal(bc->reqs[i].status, 201);
        assert_int_equal(bc->reqs[i].connection, (int)(i / 4));
    }
    server_stop(&s);
    assert_int_equal(s.client_count, 3);
    for (int i = 0; i < s.client_count; i++)
        assert_true(s.clients[i].max_open <= 4);
    assert_single_packet_at_server(&s);
    burst_free(bc);
    free(bc);
}

static void test_own_stream_cap(void **state)
{
    (void)state;
    server s;
    server_start(&s, SERVE_H2, 100);
    burst_case *bc = calloc(1, sizeof(*bc));
    for (int i = 0; i < 6; i++)
        add(bc, s.port, "POST", "/book", 1);
    br_h2_report rep;
    char err[256];
    assert_int_equal(run(bc, 3, &rep, err), BR_H2_OK);
    assert_int_equal(rep.connections, 2);
    assert_int_equal(rep.writes, 2);
    server_stop(&s);
    burst_free(bc);
    free(bc);
}

static void test_http1_server_refuses(void **state)
{
    (void)state;
    server s;
    server_start(&s, SERVE_HTTP1, 0);
    burst_case *bc = calloc(1, sizeof(*bc));
    add(bc, s.port, "POST", "/book", 1);
    add(bc, s.port, "POST", "/book", 1);
    br_h2_report rep;
    char err[256];
    assert_int_equal(run(bc, 0, &rep, err), BR_H2_EREFUSED);
    assert_non_null(strstr(err, "HTTP/1.1 400"));
    assert_non_null(strstr(err, "not SETTINGS"));
    for (size_t i = 0; i < bc->n; i++) {
        assert_int_equal(bc->reqs[i].status, 0);
        assert_int_equal(bc->reqs[i].last_byte_us, 0);
    }
    server_stop(&s);
    burst_free(bc);
    free(bc);
}

static void test_reset_stream_fails_alone(void **state)
{
    (void)state;
    server s;
    server_start(&s, SERVE_H2, 100);
    burst_case *bc = calloc(1, sizeof(*bc));
    add(bc, s.port, "POST", "/book", 1);
    add(bc, s.port, "POST", "/reset", 1);
    add(bc, s.port, "GET", "/slots", 0);
    br_h2_report rep;
    char err[256];
    assert_int_equal(run(bc, 0, &rep, err), BR_H2_OK);
    assert_int_equal(bc->reqs[0].status, 201);
    assert_int_equal(bc->reqs[1].status, 0);
    assert_non_null(strstr(bc->reqs[1].error, "REFUSED_STREAM"));
    assert_int_equal(bc->reqs[2].status, 200);
    server_stop(&s);
    burst_free(bc);
    free(bc);
}

static void test_closed_port(void **state)
{
    (void)state;
    server s;
    server_start(&s, SERVE_H2, 100);
    int port = s.port;
    server_stop(&s); /* the port is closed now */
    burst_case *bc = calloc(1, sizeof(*bc));
    add(bc, port, "POST", "/book", 1);
    br_h2_report rep;
    char err[256];
    assert_int_equal(run(bc, 0, &rep, err), BR_H2_ECONNECT);
    assert_non_null(strstr(err, "127.0.0.1:"));
    burst_free(bc);
    free(bc);
}

static void test_split_url(void **state)
{
    (void)state;
    br_h2_url u;
    char err[256];
    assert_int_equal(br_h2_split_url("http://127.0.0.1:8080/book?a=1", &u, err, sizeof(err)), 0);
    assert_int_equal(u.tls, 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_string_equal(u.port, "8080");
    assert_string_equal(u.authority, "127.0.0.1:8080");
    assert_string_equal(u.path, "/book?a=1");
    assert_int_equal(br_h2_split_url("HTTPS://[::1]/x", &u, err, sizeof(err)), 0);
    assert_int_equal(u.tls, 1);
    assert_string_equal(u.host, "::1");
    assert_string_equal(u.authority, "[::1]:443");
    assert_int_equal(br_h2_split_url("http://example.com", &u, err, sizeof(err)), 0);
    assert_null(u.path);
    assert_string_equal(u.port, "80");
    assert_int_equal(br_h2_split_url("http://example.com?q", &u, err, sizeof(err)), 0);
    assert_string_equal(u.path, "?q");
    assert_int_equal(br_h2_split_url("ftp://x/", &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not an http"));
    assert_int_equal(br_h2_split_url("http://x:99999/", &u, err, sizeof(err)), -1);
    assert_int_equal(br_h2_split_url("http://[::1/", &u, err, sizeof(err)), -1);
    assert_int_equal(br_h2_split_url("http:///p", &u, err, sizeof(err)), -1);
    assert_int_equal(br_h2_split_url("http://x:80@evil/", &u, err, sizeof(err)), -1);
}

static void test_header_from_line(void **state)
{
    (void)state;
    char name[64];
    const char *v;
    size_t vl;
    assert_int_equal(
        br_h2_header_from_line("Content-Type:  application/json \r\n", name, sizeof(name), &v, &vl), 1);
    assert_string_equal(name, "content-type");
    assert_int_equal(vl, 16);
    assert_memory_equal(v, "application/json", 16);
    assert_int_equal(br_h2_header_from_line("Expect:", name, sizeof(name), &v, &vl), 0);
    assert_int_equal(br_h2_header_from_line("Connection: keep-alive", name, sizeof(name), &v, &vl), 0);
    assert_int_equal(br_h2_header_from_line("Host: a", name, sizeof(name), &v, &vl), 0);
    assert_int_equal(br_h2_header_from_line("Transfer-Encoding: chunked", name, sizeof(name), &v, &vl), 0);
    assert_int_equal(br_h2_header_from_line("no colon", name, sizeof(name), &v, &vl), -1);
    assert_int_equal(br_h2_header_from_line(": empty name", name, sizeof(name), &v, &vl), -1);
    assert_int_equal(br_h2_header_from_line("Bad Name: x", name, sizeof(name), &v, &vl), -1);
    assert_int_equal(br_h2_header_from_line("Authorization: Bearer t", name, 4, &v, &vl), -1); /* too long */
}

static void test_plan_and_segments(void **state)
{
    (void)state;
    br_h2_plan p = br_h2_plan_burst(20, 100);
    assert_int_equal(p.connections, 1);
    assert_int_equal(p.per_connection, 20);
    p = br_h2_plan_burst(100, 64);
    assert_int_equal(p.connections, 2);
    assert_int_equal(p.per_connection, 50);
    p = br_h2_plan_burst(100, 100);
    assert_int_equal(p.connections, 1);
    p = br_h2_plan_burst(129, 128); /* nginx */
    assert_int_equal(p.connections, 2);
    assert_int_equal(p.per_connection, 65);
    p = br_h2_plan_burst(3, 0);
    assert_int_equal(p.connections, 3);
    assert_int_equal(p.per_connection, 1);
    assert_int_equal(br_h2_final_frame_bytes(0), 9);
    assert_int_equal(br_h2_final_frame_bytes(120), 10);
    /* 146 one-byte final frames fit one Ethernet MSS (1460), the 147th needs a second segment */
    assert_int_equal(br_h2_segments_for(146 * br_h2_final_frame_bytes(1), 1460), 1);
    assert_int_equal(br_h2_segments_for(147 * br_h2_final_frame_bytes(1), 1460), 2);
    assert_int_equal(br_h2_segments_for(0, 1460), 1);
    assert_string_equal(br_h2_status_name(BR_H2_EREFUSED), "server does not speak HTTP/2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_burst_in_one_write),
        cmocka_unit_test(test_burst_split_over_stream_limit),
        cmocka_unit_test(test_own_stream_cap),
        cmocka_unit_test(test_http1_server_refuses),
        cmocka_unit_test(test_reset_stream_fails_alone),
        cmocka_unit_test(test_closed_port),
        cmocka_unit_test(test_split_url),
        cmocka_unit_test(test_header_from_line),
        cmocka_unit_test(test_plan_and_segments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
