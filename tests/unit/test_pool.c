/*
 * The worker pool (pool.h) against a small HTTP/1.1 server inside the test,
 * on an ephemeral port: every request of a batch completes with its status,
 * body and recorded headers, whatever thread it runs on; bodies arrive whole
 * through the last-byte release (the held byte is neither lost nor sent twice);
 * the release happens only after every racer has started; and each failure
 * (refused connection, oversized response, timeout, stop flag) ends its
 * request with a reason instead of hanging the batch. Orderings are asserted
 * from the pool's own timestamps, which the release logic fixes; no speed is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pool.h"
#include "ports.h"

/* ---- the server: one thread, poll over the listener and its connections ---------------------------- */

#define MAX_CONNS 64

typedef struct {
    int fd;
    char buf[4096];
    size_t len;
    int answered;
} conn;

typedef struct {
    int listen_fd;
    int port;
    atomic_int stop;
    pthread_t thread;
    conn conns[MAX_CONNS];
    size_t count;
} server;

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the client gave up (an oversized answer): nothing to do */
        data += n;
        len -= (size_t)n;
    }
}

static void respond(int fd, const char *extra_headers, const char *body, size_t body_len)
{
    char head[512];
    int n =
        snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
                 body_len, extra_headers);
    send_all(fd, head, (size_t)n);
    send_all(fd, body, body_len);
}

/* A complete request is in c->buf: answers by path. Returns 1 when the connection is done. */
static int answer(conn *c)
{
    char method[16] = "", path[64] = "";
    sscanf(c->buf, "%15s %63s", method, path);
    const char *end = strstr(c->buf, "\r\n\r\n") + 4;
    size_t body_len = c->len - (size_t)(end - c->buf);
    if (strcmp(path, "/hang") == 0)
        return 0;
    if (strcmp(path, "/big") == 0) {
        size_t size = BR_MAX_RESPONSE + 4096;
        char *big = malloc(size);
        memset(big, 'x', size);
        respond(c->fd, "", big, size);
        free(big);
        return 1;
    }
    char body[256];
    int n = snprintf(body, sizeof(body), "%s %s %zu %.*s", method, path, body_len, (int)body_len, end);
    respond(c->fd, strcmp(path, "/hdr") == 0 ? "X-Cache: HIT\r\nX-Other: 1\r\n" : "", body, (size_t)n);
    return 1;
}

/* Whether c->buf holds a whole request: the head, and Content-Length bytes of body. */
static int complete(const conn *c)
{
    const char *end = strstr(c->buf, "\r\n\r\n");
    if (end == NULL)
        return 0;
    size_t want = 0;
    const char *cl = strcasestr(c->buf, "\r\nContent-Length:");
    if (cl != NULL && cl < end)
        want = (size_t)strtoul(cl + 17, NULL, 10);
    return c->len >= (size_t)(end + 4 - c->buf) + want;
}

static void *serve(void *arg)
{
    server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p[MAX_CONNS + 1];
        p[0] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (size_t i = 0; i < s->count; i++)
            p[i + 1] = (struct pollfd){.fd = s->conns[i].answered ? -1 : s->conns[i].fd, .events = POLLIN};
        if (poll(p, s->count + 1, 20) <= 0)
            continue;
        int fd;
        while (s->count < MAX_CONNS && (fd = accept(s->listen_fd, NULL, NULL)) >= 0)
            s->conns[s->count++] = (conn){.fd = fd};
        for (size_t i = 0; i < s->count && i < MAX_CONNS; i++) {
            conn *c = &s->conns[i];
            if (i + 1 > (size_t)MAX_CONNS || !(p[i + 1].revents & (POLLIN | POLLHUP)) || c->answered)
                continue;
            ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
            if (n <= 0) {
                c->answered = 1;
                continue;
            }
            c->len += (size_t)n;
            c->buf[c->len] = '\0';
            if (complete(c)) {
                c->answered = 1;
                if (answer(c))
                    shutdown(c->fd, SHUT_WR);
            }
        }
    }
    return NULL;
}

static int server_start(void **state)
{
    server *s = calloc(1, sizeof(*s));
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->listen_fd, 64), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &len), 0);
    fcntl(s->listen_fd, F_SETFL, O_NONBLOCK);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
    *state = s;
    return 0;
}

static int server_stop(void **state)
{
    server *s = *state;
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    for (size_t i = 0; i < s->count; i++)
        close(s->conns[i].fd);
    close(s->listen_fd);
    free(s);
    return 0;
}

/* ---- requests ------------------------------------------------------------------------------------- */

typedef struct {
    br_request r;
    char url[128];
    char body[64];
} req;

static void make(req *q, const server *s, int thread, const char *method, const char *path, const char *body)
{
    memset(q, 0, sizeof(*q));
    snprintf(q->url, sizeof(q->url), "http://127.0.0.1:%d%s", s ? s->port : 1, path);
    q->r.url = q->url;
    q->r.method = method;
    q->r.thread = thread;
    q->r.timeout_ms = 10000;
    if (body != NULL) {
        snprintf(q->body, sizeof(q->body), "%s", body);
        q->r.body = q->body;
        q->r.body_len = strlen(body);
    }
}

static void done_with(req *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(q[i].r.response);
        free(q[i].r.recorded);
    }
}

static int64_t run(req *q, size_t n, int threads, int barrier, br_release release, atomic_int *stop)
{
    atomic_int no_stop = 0;
    br_pool *pool = br_pool_new(threads, br_monotonic_us(), stop ? stop : &no_stop);
    assert_non_null(pool);
    assert_int_equal(br_pool_threads(pool), threads);
    br_request *reqs[16];
    for (size_t i = 0; i < n; i++)
        reqs[i] = &q[i].r;
    int64_t skew = br_pool_run(pool, reqs, n, barrier, release);
    br_pool_del(pool);
    return skew;
}

static void test_batch_completes_on_every_thread(void **state)
{
    server *s = *state;
    req q[6];
    const char *methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "GET"};
    for (int i = 0; i < 6; i++) {
        char path[16];
        snprintf(path, sizeof(path), "/r%d", i);
        make(&q[i], s, i, methods[i], path, i == 1 || i == 2 || i == 4 ? "{\"n\":1}" : NULL);
    }
    int64_t skew = run(q, 6, 3, 0, BR_RELEASE_PLAIN, NULL);
    assert_true(skew >= 0);
    for (int i = 0; i < 6; i++) {
        br_request *r = &q[i].r;
        if (r->curl_code != CURLE_OK)
            fail_msg("request %d: %s", i, r->curl_error);
        assert_int_equal(r->status, 200);
        /* Threads wrap around the pool's size. */
        assert_int_equal(r->thread, i % 3);
        char want[128];
        const char *body = r->body ? r->body : "";
        snprintf(want, sizeof(want), "%s /r%d %zu %s", methods[i], i, strlen(body), body);
        assert_string_equal(r->response, want);
        assert_int_equal(r->response_len, strlen(want));
        assert_null(r->recorded);
        assert_true(r->invoke_us <= r->last_byte_us && r->last_byte_us <= r->complete_us);
    }
    done_with(q, 6);
}

/*
 * Last-byte: every body arrives whole (its final byte held and then sent once), and no final byte is sent
 * before every racer, on every thread, has started.
 */
static void test_last_byte_release(void **state)
{
    server *s = *state;
    req q[8];
    for (int i = 0; i < 8; i++) {
        char body[32];
        snprintf(body, sizeof(body), "{\"racer\":%d}", i);
        make(&q[i], s, i, "POST", "/book", body);
    }
    /* A bodiless racer goes at the release too. */
    make(&q[7], s, 7, "GET", "/list", NULL);
    int64_t skew = run(q, 8, 2, 1, BR_RELEASE_LAST_BYTE, NULL);
    int64_t last_start = INT64_MIN, first_last_byte = INT64_MAX, last_last_byte = INT64_MIN;
    for (int i = 0; i < 7; i++) {
        br_request *r = &q[i].r;
        if (r->curl_code != CURLE_OK)
            fail_msg("racer %d: %s", i, r->curl_error);
        assert_int_equal(r->status, 200);
        char want[128];
        snprintf(want, sizeof(want), "POST /book %zu %s", r->body_len, r->body);
        assert_string_equal(r->response, want);
        if (r->invoke_us > last_start)
            last_start = r->invoke_us;
    }
    for (int i = 0; i < 8; i++) {
        if (q[i].r.last_byte_us < first_last_byte)
            first_last_byte = q[i].r.last_byte_us;
        if (q[i].r.last_byte_us > last_last_byte)
            last_last_byte = q[i].r.last_byte_us;
    }
    assert_true(first_last_byte >= last_start);
    /* The spread the pool reports is that of the final bytes it timed (the bodiless one's is its start). */
    assert_int_equal(skew, last_last_byte - first_last_byte);
    /* The bodiless request starts after the release, and its last byte is its start. */
    assert_int_equal(q[7].r.status, 200);
    assert_string_equal(q[7].r.response, "GET /list 0 ");
    assert_true(q[7].r.invoke_us >= last_start);
    assert_int_equal(q[7].r.last_byte_us, q[7].r.invoke_us);
    done_with(q, 8);
}

static void test_plain_barrier_and_a_single_request(void **state)
{
    server *s = *state;
    req q[4];
    for (int i = 0; i < 4; i++)
        make(&q[i], s, i, "POST", "/hold", "x");
    run(q, 4, 2, 1, BR_RELEASE_PLAIN, NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(q[i].r.status, 200);
        assert_string_equal(q[i].r.response, "POST /hold 1 x");
    }
    done_with(q, 4);
    /* One racer has no spread. */
    make(&q[0], s, 0, "POST", "/one", "ab");
    assert_int_equal(run(q, 1, 1, 1, BR_RELEASE_LAST_BYTE, NULL), 0);
    assert_string_equal(q[0].r.response, "POST /one 2 ab");
    done_with(q, 1);
}

static void test_recorded_headers(void **state)
{
    server *s = *state;
    req q[1];
    char *names[] = {"X-Cache", "Age"};
    make(&q[0], s, 0, "GET", "/hdr", NULL);
    q[0].r.record_headers = names;
    q[0].r.record_header_count = 2;
    run(q, 1, 1, 0, BR_RELEASE_PLAIN, NULL);
    assert_int_equal(q[0].r.status, 200);
    /* Only the named headers that were present. */
    assert_string_equal(q[0].r.recorded, "X-Cache: HIT\n");
    done_with(q, 1);
}

static void test_failures_end_their_request_with_a_reason(void **state)
{
    server *s = *state;
    req q[4];
    make(&q[0], s, 0, "GET", "/big", NULL);
    make(&q[1], s, 1, "POST", "/hang", "z");
    q[1].r.timeout_ms = 200;
    make(&q[2], NULL, 0, "POST", "/", "y");
    snprintf(q[2].url, sizeof(q[2].url), "http://127.0.0.1:%d/refused", test_closed_port());
    make(&q[3], s, 1, "GET", "/fine", NULL);
    run(q, 4, 2, 1, BR_RELEASE_LAST_BYTE, NULL);
    /* A response over BR_MAX_RESPONSE is cut off: the request is indeterminate, memory bounded. */
    assert_int_equal(q[0].r.curl_code, CURLE_WRITE_ERROR);
    assert_true(q[0].r.response_len <= BR_MAX_RESPONSE);
    assert_int_equal(q[1].r.curl_code, CURLE_OPERATION_TIMEDOUT);
    assert_int_equal(q[1].r.status, 0);
    assert_int_equal(q[2].r.curl_code, CURLE_COULDNT_CONNECT);
    assert_int_equal(q[2].r.status, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(q[i].r.curl_error[0] != '\0');
        assert_true(q[i].r.complete_us >= q[i].r.invoke_us);
    }
    /* The others' failures do not touch it. */
    assert_int_equal(q[3].r.curl_code, CURLE_OK);
    assert_string_equal(q[3].r.response, "GET /fine 0 ");
    done_with(q, 4);
}

static void test_stop_flag_interrupts(void **state)
{
    server *s = *state;
    req q[3];
    for (int i = 0; i < 3; i++)
        make(&q[i], s, i, "POST", "/hang", "w");
    atomic_int stop = 1;
    run(q, 3, 2, 0, BR_RELEASE_PLAIN, &stop);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(q[i].r.curl_code, CURLE_ABORTED_BY_CALLBACK);
        assert_string_equal(q[i].r.curl_error, "interrupted");
        assert_int_equal(q[i].r.status, 0);
    }
    done_with(q, 3);
}

/* A pool runs batch after batch; each request's state is reset by the run. */
static void test_batches_reuse_the_pool(void **state)
{
    server *s = *state;
    atomic_int stop = 0;
    br_pool *pool = br_pool_new(2, br_monotonic_us(), &stop);
    assert_non_null(pool);
    req q[2];
    make(&q[0], s, 0, "POST", "/a", "1");
    make(&q[1], s, 1, "POST", "/b", "22");
    br_request *reqs[] = {&q[0].r, &q[1].r};
    for (int round = 0; round < 3; round++) {
        br_pool_run(pool, reqs, 2, round % 2, BR_RELEASE_LAST_BYTE);
        assert_string_equal(q[0].r.response, "POST /a 1 1");
        assert_string_equal(q[1].r.response, "POST /b 2 22");
        done_with(q, 2);
        q[0].r.response = q[1].r.response = NULL;
        q[0].r.response_len = q[1].r.response_len = 0;
    }
    assert_true(br_pool_origin_us(pool) > 0);
    br_pool_del(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch_completes_on_every_thread, server_start, server_stop),
        cmocka_unit_test_setup_teardown(test_last_byte_release, server_start, server_stop),
        cmocka_unit_test_setup_teardown(test_plain_barrier_and_a_single_request, server_start, server_stop),
        cmocka_unit_test_setup_teardown(test_recorded_headers, server_start, server_stop),
        cmocka_unit_test_setup_teardown(test_failures_end_their_request_with_a_reason, server_start,
                                        server_stop),
        cmocka_unit_test_setup_teardown(test_stop_flag_interrupts, server_start, server_stop),
        cmocka_unit_test_setup_teardown(test_batches_reuse_the_pool, server_start, server_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
