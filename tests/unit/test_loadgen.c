/*
 * The load engine (br_load_run) against a small HTTP server in a thread of
 * the test, on an ephemeral port. The engine runs for a duration, so the
 * counts are made exact another way: the server answers the first |answer|
 * requests, holds every later one, and sets the engine's stop flag once each
 * connection holds one. In the closed model a connection sends its next
 * request only after it has read the previous response, so by then every
 * answered response has been read and counted, and nothing else was. The
 * duration (30 s) is only a safety net, and nothing asserts a speed.
 *
 * Cases: keep-alive with two statuses, chunked responses written in pieces
 * with bookings' bodies kept, Connection: close and close-delimited bodies,
 * HEAD, dropped connections and malformed responses counted as errors, the
 * open model, a server that never answers (timeouts), and the request
 * formatting and URL resolution helpers.
 */
#include "loadgen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

/* ---- the test server ---------------------------------------------------------------------------------- */

#define MAX_CLIENTS 64
#define MAX_ANSWERS 1024

typedef enum {
    ANSWER_LENGTH,  /* keep-alive, Content-Length; request i gets 404 when i % 4 == 3, else 200 */
    ANSWER_CHUNKED, /* GET: 200, POST: 201 {"id":"i"}, chunked with an extension and a trailer, in pieces */
    ANSWER_CLOSE,   /* Connection: close after a Content-Length body, then the server closes */
    ANSWER_UNTIL_CLOSE, /* HTTP/1.0 without a length: the body ends with the connection */
    ANSWER_HEAD,        /* Content-Length: 100 and no body (the requests are HEAD) */
    ANSWER_FAULTS,      /* i % 5 == 3: close without answering; i % 5 == 4: a malformed status line */
    ANSWER_NEVER,       /* reads requests, answers none */
} answer_mode;

typedef struct {
    int fd, held;
    char in[8192];
    size_t in_len;
} client;

typedef struct {
    /* set before the start */
    answer_mode mode;
    size_t answer;          /* requests answered; the rest are held */
    int connections;        /* the engine's: stop once this many hold a request (0: never) */
    int stop_after_accepts; /* stop at this many accepted connections (0: never) */
    atomic_int *stop;       /* the engine's stop flag */
    /* the server's */
    int listen_fd, port, wake[2];
    pthread_t thread;
    client clients[MAX_CLIENTS];
    int client_count;
    /* counted by the server; read after it is joined */
    size_t handled, answered_get, answered_post, dropped, malformed, held;
    int accepted;
    unsigned char post_ids[MAX_ANSWERS]; /* 1 for each index answered as a POST */
} server;

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n <= 0)
            return; /* the engine closed first: nothing to assert here */
        data += n;
        len -= (size_t)n;
    }
}

/* A response in three pieces with pauses, so the engine reads it in parts. */
static void send_in_pieces(int fd, const char *data, size_t len)
{
    size_t a = len / 3, b = 2 * len / 3;
    send_all(fd, data, a);
    usleep(300);
    send_all(fd, data + a, b - a);
    usleep(300);
    send_all(fd, data + b, len - b);
}

static void drop_client(server *s, client *c)
{
    close(c->fd);
    *c = s->clients[--s->client_count];
}

/* Answers request |i|; returns 0 when the connection is closed (the client slot is then reused). */
static int answer(server *s, client *c, size_t i, int is_post)
{
    char r[512];
    int n;
    switch (s->mode) {
    case ANSWER_LENGTH:
        n = snprintf(r, sizeof(r), "HTTP/1.1 %s\r\nContent-Length: 5\r\n\r\nhello",
                     i % 4 == 3 ? "404 Not Found" : "200 OK");
        break;
    case ANSWER_CHUNKED: {
        char body[64];
        int bl = is_post ? snprintf(body, sizeof(body), "{\"id\":\"%zu\"}", i)
                         : snprintf(body, sizeof(body), "[]");
        n = snprintf(
            r, sizeof(r),
            "HTTP/1.1 %s\r\nTransfer-Encoding: chunked\r\n\r\n%x;i=%zu\r\n%s\r\n0\r\nX-Index: %zu\r\n\r\n",
            is_post ? "201 Created" : "200 OK", bl, i, body, i);
        if (is_post)
            s->answered_post++, s->post_ids[i] = 1;
        else
            s->answered_get++;
        if (i % 3 == 0) {
            send_in_pieces(c->fd, r, (size_t)n);
            return 1;
        }
        break;
    }
    case ANSWER_CLOSE:
    case ANSWER_UNTIL_CLOSE:
        n = s->mode == ANSWER_CLOSE ? snprintf(r, sizeof(r),
                                               "HTTP/1.1 200 OK\r\nConnection: close\r\n"
                                               "Content-Length: 2\r\n\r\nok")
                                    : snprintf(r, sizeof(r), "HTTP/1.0 200 OK\r\n\r\nuntil close");
        send_all(c->fd, r, (size_t)n);
        drop_client(s, c);
        return 0;
    case ANSWER_HEAD:
        n = snprintf(r, sizeof(r), "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        break;
    case ANSWER_FAULTS:
        if (i % 5 == 3) {
            s->dropped++;
            drop_client(s, c);
            return 0;
        }
        if (i % 5 == 4)
            s->malformed++;
        n = snprintf(r, sizeof(r), "%s",
                     i % 5 == 4 ? "HTTP/1.1 2OO OK\r\n\r\n" : "HTTP/1.1 204 No Content\r\n\r\n");
        break;
    default:
        return 1;
    }
    send_all(c->fd, r, (size_t)n);
    return 1;
}

/* The length of the first whole request in |in| (head and Content-Length body), or 0. */
static size_t request_length(const char *in, size_t len)
{
    const char *end = memmem(in, len, "\r\n\r\n", 4);
    if (end == NULL)
        return 0;
    size_t head = (size_t)(end - in) + 4, body = 0;
    for (const char *h = in; h != NULL && h < end;) {
        if (strncasecmp(h, "Content-Length:", 15) == 0)
            body = strtoul(h + 15, NULL, 10);
        const char *nl = memchr(h, '\n', (size_t)(end + 2 - h));
        h = nl ? nl + 1 : NULL;
    }
    return head + body <= len ? head + body : 0;
}

/* Takes the whole requests |c| has sent; stops when it closed the connection. */
static void serve_requests(server *s, client *c)
{
    size_t len;
    while ((len = request_length(c->in, c->in_len)) > 0) {
        int is_post = strncmp(c->in, "POST ", 5) == 0;
        memmove(c->in, c->in + len, c->in_len - len);
        c->in_len -= len;
        if (c->held)
            continue;
        size_t i = s->handled++;
        if (i >= s->answer || s->mode == ANSWER_NEVER) {
            c->held = 1;
            if (++s->held == (size_t)s->connections && s->connections > 0)
                atomic_store(s->stop, 1);
        } else if (!answer(s, c, i, is_post)) {
            return;
        }
    }
}

static void accept_client(server *s)
{
    int fd = accept(s->listen_fd, NULL, NULL);
    if (fd < 0)
        return;
    assert_true(s->client_count < MAX_CLIENTS);
    s->clients[s->client_count++] = (client){.fd = fd};
    if (++s->accepted == s->stop_after_accepts)
        atomic_store(s->stop, 1);
}

static void *server_main(void *arg)
{
    server *s = arg;
    for (;;) {
        struct pollfd fds[MAX_CLIENTS + 2] = {{.fd = s->wake[0], .events = POLLIN},
                                              {.fd = s->listen_fd, .events = POLLIN}};
        for (int i = 0; i < s->client_count; i++)
            fds[i + 2] = (struct pollfd){.fd = s->clients[i].fd, .events = POLLIN};
        int nfds = s->client_count + 2;
        if (poll(fds, (nfds_t)nfds, -1) < 0)
            continue;
        if (fds[0].revents)
            return NULL;
        /* Clients from the last to the first: dropping one moves the last into its slot. */
        for (int i = nfds - 3; i >= 0; i--) {
            if (!fds[i + 2].revents)
                continue;
            client *c = &s->clients[i];
            ssize_t n = read(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
            if (n <= 0) {
                drop_client(s, c);
                continue;
            }
            c->in_len += (size_t)n;
            serve_requests(s, c);
        }
        if (fds[1].revents)
            accept_client(s);
    }
}

static void server_start(server *s)
{
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->listen_fd, 64), 0);
    socklen_t len = sizeof(a);
    getsockname(s->listen_fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pipe(s->wake), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(server *s)
{
    assert_int_equal(write(s->wake[1], "x", 1), 1);
    pthread_join(s->thread, NULL);
    for (int i = 0; i < s->client_count; i++)
        close(s->clients[i].fd);
    close(s->listen_fd);
    close(s->wake[0]);
    close(s->wake[1]);
}

/* ---- running the engine ------------------------------------------------------------------------------- */

typedef struct {
    server srv;
    atomic_int stop;
    br_load_request requests[2];
    size_t request_count;
    br_load_config cfg;
    br_load_result res;
    br_load_observer observe; /* copied into the config */
    void *observe_arg;
} load_case;

/* Connection c's |seq|-th request: the requests alternate (GET, POST, GET, ...) on each connection. */
static size_t alternate(void *arg, int connection, uint64_t seq)
{
    (void)arg;
    (void)connection;
    return (size_t)seq;
}

/* One request (op 0, "fetch"), or two alternating (op 1 "book", a POST whose body is kept). */
static void add_request(load_case *lc, const char *method, int keep_body)
{
    br_load_request *r = &lc->requests[lc->request_count];
    const char *body = keep_body ? "{\"slot\":1}" : NULL;
    /* The test server does not look at Host. */
    r->data = br_load_format_request(method, "/x", "127.0.0.1", "Accept: */*\r\n", body,
                                     body ? strlen(body) : 0, &r->len);
    r->op = (int)lc->request_count;
    r->keep_body = keep_body;
    lc->request_count++;
}

static void run_load(load_case *lc, int threads, int connections, double rate, int timeout_ms)
{
    server *s = &lc->srv;
    s->stop = &lc->stop;
    if (s->connections == 0 && s->stop_after_accepts == 0)
        s->connections = connections;
    server_start(s);
    if (lc->request_count == 0)
        add_request(lc, s->mode == ANSWER_HEAD ? "HEAD" : "GET", 0);
    br_load_config *cfg = &lc->cfg;
    memset(cfg, 0, sizeof(*cfg));
    struct sockaddr_in *a = (struct sockaddr_in *)&cfg->addrs[0];
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)s->port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cfg->addr_lens[0] = sizeof(*a);
    cfg->addr_count = 1;
    cfg->requests = lc->requests;
    cfg->request_count = lc->request_count;
    cfg->pick = alternate;
    cfg->op_names[0] = "fetch";
    cfg->op_names[1] = "book";
    cfg->op_count = (int)lc->request_count;
    cfg->threads = threads;
    cfg->connections = connections;
    cfg->duration_s = 30; /* a safety net: the server stops the run */
    cfg->rate = rate;
    cfg->timeout_ms = timeout_ms;
    cfg->stop = &lc->stop;
    cfg->observe = lc->observe;
    cfg->observe_arg = lc->observe_arg;
    assert_int_equal(br_load_run(cfg, &lc->res), 0);
    server_stop(s);
}

static void load_case_free(load_case *lc)
{
    br_load_result_free(&lc->res);
    for (size_t i = 0; i < lc->request_count; i++)
        free(lc->requests[i].data);
}

static uint64_t status_count(const br_load_result *r, int op, int status)
{
    for (int i = 0; i < BR_LOAD_MAX_STATUSES; i++)
        if (r->statuses[op][i].count > 0 && r->statuses[op][i].status == status)
            return r->statuses[op][i].count;
    return 0;
}

static uint64_t per_second_total(const br_load_result *r)
{
    uint64_t sum = 0;
    for (size_t s = 0; s < r->seconds; s++)
        sum += r->per_second[s];
    return sum;
}

/* Every completed request counted once: in requests, the histogram, the statuses and the seconds. */
static void assert_consistent(const br_load_result *r, int ops)
{
    uint64_t total = 0;
    for (int op = 0; op < ops; op++) {
        assert_int_equal(r->hist[op]->total, r->requests[op]);
        uint64_t statuses = 0;
        for (int i = 0; i < BR_LOAD_MAX_STATUSES; i++)
            statuses += r->statuses[op][i].count;
        assert_int_equal(statuses, r->requests[op]);
        total += r->requests[op];
        uint64_t per_second = 0;
        for (size_t sec = 0; sec < r->seconds; sec++) {
            size_t cell = sec * (size_t)ops + (size_t)op;
            per_second += r->op_second_count[cell];
            assert_true(r->op_second_p50[cell] <= r->op_second_p90[cell]);
            assert_true(r->op_second_p90[cell] <= r->op_second_p99[cell]);
            assert_true(r->op_second_count[cell] > 0 || r->op_second_p99[cell] == 0);
        }
        assert_int_equal(per_second, r->requests[op]);
    }
    assert_int_equal(per_second_total(r), total);
}

static void assert_no_errors(const br_load_result *r)
{
    assert_int_equal(r->errors_connect, 0);
    assert_int_equal(r->errors_read, 0);
    assert_int_equal(r->errors_write, 0);
    assert_int_equal(r->errors_timeout, 0);
    assert_int_equal(r->errors_parse, 0);
}

/* ---- the cases ---------------------------------------------------------------------------------------- */

static void test_keep_alive_counts_exact(void **state)
{
    (void)state;
    load_case lc = {.srv = {.mode = ANSWER_LENGTH, .answer = 200}};
    run_load(&lc, 2, 4, 0, 10000);
    assert_int_equal(lc.res.requests[0], 200);
    assert_int_equal(status_count(&lc.res, 0, 200), 150);
    assert_int_equal(status_count(&lc.res, 0, 404), 50);
    assert_consistent(&lc.res, 1);
    assert_no_errors(&lc.res);
    assert_int_equal(lc.srv.accepted, 4); /* one connection each, kept alive throughout */
    assert_int_equal(lc.res.ack_count, 0);
    load_case_free(&lc);
}

static void test_chunked_in_pieces_keeps_booking_bodies(void **state)
{
    (void)state;
    load_case lc = {.srv = {.mode = ANSWER_CHUNKED, .answer = 120}};
    add_request(&lc, "GET", 0);
    add_request(&lc, "POST", 1);
    run_load(&lc, 1, 3, 0, 10000);
    assert_int_equal(lc.res.requests[0] + lc.res.requests[1], 120);
    assert_int_equal(lc.res.requests[0], lc.srv.answered_get);
    assert_int_equal(lc.res.requests[1], lc.srv.answered_post);
    assert_int_equal(status_count(&lc.res, 0, 200), lc.srv.answered_get);
    assert_int_equal(status_count(&lc.res, 1, 201), lc.srv.answered_post);
    assert_consistent(&lc.res, 2);
    assert_no_errors(&lc.res);
    /*
     * One ack per booking answered, with the body the server sent for that request, and one without a
     * status for each booking the server held when the run ended (in flight: indeterminate).
     */
    assert_int_equal(lc.res.unfinished, 3); /* each connection holds one request */
    unsigned char seen[MAX_ANSWERS] = {0};
    size_t answered = 0, held = 0;
    for (size_t i = 0; i < lc.res.ack_count; i++) {
        const br_load_ack *a = &lc.res.acks[i];
        assert_int_equal(a->request, 1);
        if (a->status == 0) {
            assert_null(a->body);
            held++;
            continue;
        }
        answered++;
        assert_int_equal(a->status, 201);
        assert_true(0 <= a->send_us && a->send_us <= a->complete_us);
        unsigned id;
        int end = 0;
        assert_non_null(a->body);
        assert_int_equal(sscanf(a->body, "{\"id\":\"%u\"}%n", &id, &end), 1);
        assert_int_equal((size_t)end, strlen(a->body));
        assert_true(id < MAX_ANSWERS && lc.srv.post_ids[id] && !seen[id]);
        seen[id] = 1;
    }
    assert_int_equal(answered, lc.srv.answered_post);
    assert_true(held <= 3);
    assert_int_equal(lc.res.errors_op[1], held);
    assert_int_equal(lc.res.errors_op[0] + lc.res.errors_op[1], 3);
    load_case_free(&lc);
}

static void test_server_closes(void **state)
{
    (void)state;
    /* Connection: close: each response on a connection of its own, and no error. */
    load_case lc = {.srv = {.mode = ANSWER_CLOSE, .answer = 60}};
    run_load(&lc, 1, 2, 0, 10000);
    assert_int_equal(lc.res.requests[0], 60);
    assert_int_equal(status_count(&lc.res, 0, 200), 60);
    assert_consistent(&lc.res, 1);
    assert_no_errors(&lc.res);
    assert_int_equal(lc.srv.accepted, 60 + 2); /* and the two holding the last requests */
    load_case_free(&lc);
    /* A body delimited by the close is complete when the server closes. */
    lc = (load_case){.srv = {.mode = ANSWER_UNTIL_CLOSE, .answer = 40}};
    run_load(&lc, 1, 2, 0, 10000);
    assert_int_equal(lc.res.requests[0], 40);
    assert_int_equal(status_count(&lc.res, 0, 200), 40);
    assert_consistent(&lc.res, 1);
    assert_no_errors(&lc.res);
    assert_int_equal(lc.srv.accepted, 40 + 2);
    load_case_free(&lc);
}

static void test_head_responses_have_no_body(void **state)
{
    (void)state;
    /* Content-Length: 100 and no body: read as a body, the run would stall until the timeout. */
    load_case lc = {.srv = {.mode = ANSWER_HEAD, .answer = 50}};
    run_load(&lc, 1, 2, 0, 10000);
    assert_int_equal(lc.res.requests[0], 50);
    assert_int_equal(status_count(&lc.res, 0, 200), 50);
    assert_consistent(&lc.res, 1);
    assert_no_errors(&lc.res);
    assert_int_equal(lc.srv.accepted, 2);
    load_case_free(&lc);
}

static void test_failures_counted_exactly(void **state)
{
    (void)state;
    /* Of 100 requests, 20 dropped (read errors) and 20 answered with garbage (parse errors); both reconnect.
     */
    load_case lc = {.srv = {.mode = ANSWER_FAULTS, .answer = 100}};
    run_load(&lc, 2, 2, 0, 10000);
    assert_int_equal(lc.srv.dropped, 20);
    assert_int_equal(lc.srv.malformed, 20);
    assert_int_equal(lc.res.errors_read, 20);
    assert_int_equal(lc.res.errors_parse, 20);
    assert_int_equal(lc.res.requests[0], 60);
    assert_int_equal(status_count(&lc.res, 0, 204), 60);
    assert_consistent(&lc.res, 1);
    assert_int_equal(lc.res.errors_connect + lc.res.errors_write + lc.res.errors_timeout, 0);
    assert_int_equal(lc.srv.accepted, 2 + 40); /* a new connection after each failure */
    load_case_free(&lc);
}

static void test_open_model_counts_exact(void **state)
{
    (void)state;
    load_case lc = {.srv = {.mode = ANSWER_LENGTH, .answer = 40}};
    run_load(&lc, 1, 2, 2000, 10000);
    assert_int_equal(lc.res.requests[0], 40);
    assert_int_equal(status_count(&lc.res, 0, 200), 30);
    assert_int_equal(status_count(&lc.res, 0, 404), 10);
    assert_consistent(&lc.res, 1);
    assert_no_errors(&lc.res);
    load_case_free(&lc);
}

static void test_server_never_answers(void **state)
{
    (void)state;
    /* Every request times out and its connection is replaced; the run stops at the first replacement. */
    load_case lc = {.srv = {.mode = ANSWER_NEVER, .stop_after_accepts = 3}};
    run_load(&lc, 1, 2, 0, 100);
    assert_true(lc.res.errors_timeout >= 1);
    assert_true(lc.res.errors_timeout >=
                (uint64_t)lc.srv.accepted - 2); /* every new connection follows one */
    assert_int_equal(lc.res.requests[0], 0);
    assert_int_equal(lc.res.hist[0]->total, 0);
    assert_int_equal(lc.res.statuses[0][0].count, 0);
    assert_int_equal(per_second_total(&lc.res), 0);
    assert_int_equal(lc.res.errors_connect + lc.res.errors_read + lc.res.errors_write + lc.res.errors_parse,
                     0);
    /* The requests the server held when the run ended are counted, not dropped: the run has errors. */
    assert_true(lc.res.unfinished >= 1 && lc.res.unfinished <= 2);
    assert_int_equal(lc.res.errors_op[0], lc.res.errors_timeout + lc.res.unfinished);
    load_case_free(&lc);
}

/* With an observer, every sent request is reported once, on its own thread, and nothing is kept. */
typedef struct {
    atomic_uint answered[2], held, bodies, bad;
} observed;

static void observe(void *arg, const br_load_event *ev)
{
    observed *o = arg;
    if (ev->status == 0) {
        atomic_fetch_add(&o->held, 1);
        if (!ev->unfinished || ev->body != NULL)
            atomic_fetch_add(&o->bad, 1);
        return;
    }
    atomic_fetch_add(&o->answered[ev->request], 1);
    if (ev->request == 1 && ev->status == 201 && ev->body && ev->body_len > 0 &&
        memcmp(ev->body, "{\"id\":\"", 7) == 0)
        atomic_fetch_add(&o->bodies, 1);
    if (ev->send_us < 0 || ev->complete_us < ev->send_us || ev->thread < 0 || ev->thread > 1)
        atomic_fetch_add(&o->bad, 1);
}

static void test_observer_sees_every_request(void **state)
{
    (void)state;
    observed o;
    memset(&o, 0, sizeof(o));
    load_case lc = {.srv = {.mode = ANSWER_CHUNKED, .answer = 200}, .observe = observe, .observe_arg = &o};
    add_request(&lc, "GET", 0);
    add_request(&lc, "POST", 1);
    run_load(&lc, 2, 4, 0, 10000);
    assert_int_equal(atomic_load(&o.answered[0]), lc.res.requests[0]);
    assert_int_equal(atomic_load(&o.answered[1]), lc.res.requests[1]);
    assert_int_equal(atomic_load(&o.bodies), lc.srv.answered_post);
    assert_int_equal(atomic_load(&o.held), lc.res.unfinished);
    assert_int_equal(lc.res.unfinished, 4);
    assert_int_equal(atomic_load(&o.bad), 0);
    assert_int_equal(lc.res.ack_count, 0);
    assert_consistent(&lc.res, 2);
    load_case_free(&lc);
}

/* ---- helpers ------------------------------------------------------------------------------------------ */

static void test_format_request(void **state)
{
    (void)state;
    size_t len;
    char *r = br_load_format_request("POST", "/book?x=1", "h:81", "A: b\r\n", "{}", 2, &len);
    const char *want = "POST /book?x=1 HTTP/1.1\r\nHost: h:81\r\nA: b\r\nContent-Length: 2\r\n\r\n{}";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(r, want, len);
    free(r);
    r = br_load_format_request("GET", "/", "h", NULL, NULL, 0, &len);
    assert_int_equal(len, strlen("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert_memory_equal(r, "GET / HTTP/1.1\r\nHost: h\r\n\r\n", len);
    free(r);
}

static void test_resolve(void **state)
{
    (void)state;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char *host, *path, err[256];
    assert_int_equal(
        br_load_resolve("http://127.0.0.1:8080/a/b?c=d", &addr, &addr_len, &host, &path, err, sizeof(err)),
        0);
    assert_string_equal(host, "127.0.0.1:8080");
    assert_string_equal(path, "/a/b?c=d");
    assert_int_equal(addr.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&addr)->sin_port), 8080);
    free(host);
    free(path);
    assert_int_equal(br_load_resolve("http://[::1]:81", &addr, &addr_len, &host, &path, err, sizeof(err)), 0);
    assert_string_equal(host, "[::1]:81");
    assert_string_equal(path, "/");
    assert_int_equal(addr.ss_family, AF_INET6);
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&addr)->sin6_port), 81);
    free(host);
    free(path);
    assert_int_equal(br_load_resolve("https://127.0.0.1/", &addr, &addr_len, &host, &path, err, sizeof(err)),
                     -1);
    assert_string_equal(err, "https://127.0.0.1/: only http:// URLs can be loaded");
    assert_int_equal(br_load_resolve("http:///x", &addr, &addr_len, &host, &path, err, sizeof(err)), -1);
    assert_string_equal(err, "http:///x: bad host");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keep_alive_counts_exact),
        cmocka_unit_test(test_chunked_in_pieces_keeps_booking_bodies),
        cmocka_unit_test(test_server_closes),
        cmocka_unit_test(test_head_responses_have_no_body),
        cmocka_unit_test(test_failures_counted_exactly),
        cmocka_unit_test(test_open_model_counts_exact),
        cmocka_unit_test(test_server_never_answers),
        cmocka_unit_test(test_observer_sees_every_request),
        cmocka_unit_test(test_format_request),
        cmocka_unit_test(test_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
