/*
 * bookd's connection limits under hostile clients (issue 13 items 1, 3, 5):
 *   - clients that pipeline thousands of requests and never read are cut off
 *     by the write timeout, so they cannot pin every connection slot;
 *   - HTTP/2 is served on purpose (prior knowledge), with the HTTP/1.1
 *     limits: a request trickled over HTTP/2 is cut by --request-timeout-ms,
 *     and the header, body and target limits answer the same JSON errors;
 *   - below its descriptor limit bookd caps --max-connections and says so,
 *     answers every client (200 or 503, none left hanging) and does not spin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bookd_proc.h"
#include "http.h"
#include "process.h"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(int port, int rcvbuf)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (rcvbuf > 0)
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* Reads and discards until the peer closes (1) or |timeout_ms| passes (0). */
static int drain_until_closed(int fd, int timeout_ms)
{
    char buf[65536];
    int64_t until = now_ms() + timeout_ms;
    while (now_ms() < until) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) != 1)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return 1;
    }
    return 0;
}

static long health_status(int port)
{
    test_reply r = test_http(port, "GET", "/health", NULL, NULL);
    long status = r.status;
    test_reply_free(&r);
    return status;
}

static void test_clients_that_never_read_are_cut_by_the_write_timeout(void **state)
{
    (void)state;
    /* The reproduction as it was: the write timeout defaults to the request timeout. */
    const char *args[] = {
        "--db", ":memory:", "--threads", "1", "--max-connections", "4", "--request-timeout-ms", "1000", NULL};
    test_process p;
    test_bookd_start(&p, args);
    static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    char *burst = malloc(2000 * (sizeof(req) - 1));
    for (int i = 0; i < 2000; i++)
        memcpy(burst + (size_t)i * (sizeof(req) - 1), req, sizeof(req) - 1);
    size_t burst_len = 2000 * (sizeof(req) - 1);
    /* Four sockets with a 4 KiB receive buffer, each sending 2000 pipelined requests and never reading. */
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = connect_to(p.port, 4096);
        fcntl(fds[i], F_SETFL, O_NONBLOCK);
        size_t sent = 0;
        int64_t until = now_ms() + 3000;
        while (sent < burst_len && now_ms() < until) {
            ssize_t n = write(fds[i], burst + sent, burst_len - sent);
            if (n > 0)
                sent += (size_t)n;
            else
                usleep(10000);
        }
    }
    free(burst);
    /* The slots come free: within 20 s /health answers 200 again (without the write timeout: never). */
    int64_t start = now_ms();
    long status = 0;
    while (now_ms() - start < 20000 && (status = health_status(p.port)) != 200)
        usleep(200000);
    if (status != 200)
        fail_msg("/health still answers %ld after 20 s: four non-reading clients pin every slot", status);
    print_message("slots free again after %lld ms\n", (long long)(now_ms() - start));
    /* And the four were closed by the server. */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(drain_until_closed(fds[i], 20000), 1);
        close(fds[i]);
    }
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
}

/* ---- HTTP/2 by prior knowledge ---------------------------------------------------------------------- */

/* Appends an HPACK "literal without indexing, new name" field (lengths below 127). */
static size_t hpack_field(unsigned char *out, const char *name, const char *value)
{
    size_t n = 0, nl = strlen(name), vl = strlen(value);
    out[n++] = 0x00;
    out[n++] = (unsigned char)nl;
    memcpy(out + n, name, nl), n += nl;
    out[n++] = (unsigned char)vl;
    memcpy(out + n, value, vl), n += vl;
    return n;
}

static size_t h2_frame(unsigned char *out, unsigned type, unsigned flags, unsigned stream,
                       const void *payload, size_t len)
{
    out[0] = (unsigned char)(len >> 16), out[1] = (unsigned char)(len >> 8), out[2] = (unsigned char)len;
    out[3] = (unsigned char)type, out[4] = (unsigned char)flags;
    out[5] = (unsigned char)(stream >> 24), out[6] = (unsigned char)(stream >> 16);
    out[7] = (unsigned char)(stream >> 8), out[8] = (unsigned char)stream;
    if (len > 0)
        memcpy(out + 9, payload, len);
    return 9 + len;
}

static void write_all(int fd, const void *data, size_t len)
{
    if (write(fd, data, len) != (ssize_t)len)
        fail_msg("short write: %s", strerror(errno));
}

static void test_h2_request_trickled_is_cut_by_the_request_timeout(void **state)
{
    (void)state;
    const char *args[] = {"--db", ":memory:", "--threads", "1", "--request-timeout-ms", "1000", NULL};
    test_process p;
    test_bookd_start(&p, args);
    int fd = connect_to(p.port, 0);
    static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    unsigned char buf[1024];
    write_all(fd, preface, sizeof(preface) - 1);
    write_all(fd, buf, h2_frame(buf, 0x4, 0, 0, NULL, 0));   /* SETTINGS */
    write_all(fd, buf, h2_frame(buf, 0x4, 0x1, 0, NULL, 0)); /* SETTINGS ACK */
    unsigned char block[512];
    size_t b = 0;
    b += hpack_field(block + b, ":method", "POST");
    b += hpack_field(block + b, ":scheme", "http");
    b += hpack_field(block + b, ":path", "/inspection/book-job");
    b += hpack_field(block + b, ":authority", "x");
    b += hpack_field(block + b, "authorization", "Bearer acme-key");
    write_all(fd, buf, h2_frame(buf, 0x1, 0x4, 1, block, b)); /* HEADERS, END_HEADERS, no END_STREAM */
    /* The body, one byte every 200 ms, for up to 10 s: the server must close the connection long before. */
    int64_t start = now_ms();
    int closed = 0;
    while (!closed && now_ms() - start < 10000) {
        if (write(fd, buf, h2_frame(buf, 0x0, 0, 1, "{", 1)) < 0)
            closed = 1;
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        while (!closed && poll(&pf, 1, 200) == 1) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                closed = 1;
        }
    }
    int64_t took = now_ms() - start;
    if (!closed)
        fail_msg("an HTTP/2 request trickled for 10 s was not cut (--request-timeout-ms 1000)");
    print_message("trickled HTTP/2 request cut after %lld ms\n", (long long)took);
    close(fd);
    /* The server still serves. */
    assert_int_equal(health_status(p.port), 200);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
}

static size_t sink(char *data, size_t size, size_t n, void *arg)
{
    char **out = arg;
    size_t have = *out ? strlen(*out) : 0, add = size * n;
    *out = realloc(*out, have + add + 1);
    memcpy(*out + have, data, add);
    (*out)[have + add] = '\0';
    return add;
}

/* One request over h2c (prior knowledge); returns the status and the body (malloc'd) in |body|. */
static long h2_call(int port, const char *method, const char *target, const char *header, const char *payload,
                    char **body)
{
    char url[16384];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, target);
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer acme-key");
    if (header)
        h = curl_slist_append(h, header);
    *body = NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (payload)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload);
    CURLcode rc = curl_easy_perform(c);
    long status = 0, version = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, &version);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        fail_msg("h2c %s %.60s: %s", method, target, curl_easy_strerror(rc));
    assert_int_equal(version, CURL_HTTP_VERSION_2_0);
    return status;
}

static void expect_h2(int port, const char *method, const char *target, const char *header,
                      const char *payload, long status, const char *code)
{
    char *body;
    long got = h2_call(port, method, target, header, payload, &body);
    if (got != status || (code && (body == NULL || strstr(body, code) == NULL)))
        fail_msg("h2c %s %.40s: expected %ld %s, got %ld %.200s", method, target, status, code ? code : "",
                 got, body ? body : "");
    free(body);
}

static void test_h2_gets_every_http1_limit(void **state)
{
    (void)state;
    const char *args[] = {"--db", ":memory:", "--threads", "1", NULL};
    test_process p;
    test_bookd_start(&p, args);
    expect_h2(p.port, "GET", "/health", NULL, NULL, 200, "\"status\":\"ok\"");
    /* Headers over 16 KiB: 431. */
    char *big = malloc(20100);
    int n = snprintf(big, 20100, "X-Big: ");
    memset(big + n, 'a', 20000);
    big[n + 20000] = '\0';
    expect_h2(p.port, "GET", "/health", big, NULL, 431, "headers_too_large");
    /* Bodies over 64 KiB: 413. */
    char *body = malloc(70001);
    memset(body, ' ', 70000);
    body[0] = '{', body[69999] = '}', body[70000] = '\0';
    expect_h2(p.port, "POST", "/inspection/book-job", NULL, body, 413, "payload_too_large");
    /* Targets over 8 KiB: 414. */
    char target[10000];
    n = snprintf(target, sizeof(target), "/health?");
    memset(target + n, 'a', 9000);
    target[n + 9000] = '\0';
    expect_h2(p.port, "GET", target, NULL, NULL, 414, "uri_too_long");
    free(big);
    free(body);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
}

/* ---- descriptor limit ------------------------------------------------------------------------------- */

/* A shell wrapper that starts bookd under |ulimits| ("-n 64", or "-Hn 4096 -Sn 64" as two commands). */
static void write_wrapper(char *path, size_t cap, const char *ulimit_cmds)
{
    test_temp_path(path, cap, "-limited.sh");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s || exit 99\nexec '%s' \"$@\"\n", ulimit_cmds, test_bookd_bin());
    fclose(f);
    chmod(path, 0755);
}

static long cpu_ticks(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL || fgets(line, sizeof(line), f) == NULL)
        fail_msg("cannot read %s", path);
    fclose(f);
    const char *p = strrchr(line, ')');
    long utime = 0, stime = 0;
    /* Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
     * stime. */
    assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime), 2);
    return utime + stime;
}

static int max_connections_of(const char *line)
{
    const char *m = strstr(line, "max-connections=");
    return m ? atoi(m + 16) : -1;
}

static void test_descriptor_limit_caps_connections_and_never_spins(void **state)
{
    (void)state;
    char wrapper[512], err[512];
    write_wrapper(wrapper, sizeof(wrapper), "ulimit -n 64");
    const char *args[] = {"--db", ":memory:", "--threads", "1", "--max-connections", "300", NULL};
    br_server s;
    if (br_server_start(&s, wrapper, args, 10000, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    int cap = max_connections_of(s.line);
    print_message("ulimit -n 64: %s\n", s.line);
    /* 100 clients: each gets an answer, 200 while under the cap, 503 above it; nobody hangs. */
    enum { CLIENTS = 100 };
    int fds[CLIENTS], ok = 0, busy = 0;
    static const char req[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = connect_to(s.port, 0);
        if (write(fds[i], req, sizeof(req) - 1) < 0) {
            busy++; /* already refused and closed */
            continue;
        }
        char buf[2048];
        struct pollfd pf = {.fd = fds[i], .events = POLLIN};
        if (poll(&pf, 1, 10000) != 1)
            fail_msg("client %d got no answer in 10 s (%d ok, %d busy so far)", i, ok, busy);
        ssize_t n = read(fds[i], buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        if (strncmp(buf, "HTTP/1.1 200", 12) == 0)
            ok++;
        else if (strncmp(buf, "HTTP/1.1 503", 12) == 0 || n <= 0)
            busy++;
        else
            fail_msg("client %d: unexpected answer %.100s", i, buf);
    }
    print_message("cap %d: %d served, %d refused\n", cap, ok, busy);
    if (cap <= 0 || cap >= 64)
        fail_msg("the listening line must state a cap below the limit of 64: '%s'", s.line);
    assert_int_equal(ok + busy, CLIENTS);
    assert_true(ok <= cap);
    assert_true(busy >= CLIENTS - cap);
    /* Holding its cap, bookd idles: under half a CPU-second in a second (a spin takes all of it). */
    long before = cpu_ticks(s.pid);
    usleep(1000000);
    long used = cpu_ticks(s.pid) - before;
    if (used * 2 >= sysconf(_SC_CLK_TCK))
        fail_msg("bookd used %ld of %ld ticks in an idle second: spinning", used, sysconf(_SC_CLK_TCK));
    for (int i = 0; i < CLIENTS; i++)
        close(fds[i]);
    assert_int_equal(br_server_stop(&s), 0);
    unlink(wrapper);

    /* A soft limit under a higher hard one is raised to it: no cap then (while the hard limit allows 300). */
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
    write_wrapper(wrapper, sizeof(wrapper), "ulimit -Sn 64");
    if (br_server_start(&s, wrapper, args, 10000, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    long room = rl.rlim_max == RLIM_INFINITY ? 1L << 20 : (long)rl.rlim_max - 24;
    assert_int_equal(max_connections_of(s.line), room < 300 ? room : 300);
    assert_int_equal(br_server_stop(&s), 0);
    unlink(wrapper);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clients_that_never_read_are_cut_by_the_write_timeout),
        cmocka_unit_test(test_h2_request_trickled_is_cut_by_the_request_timeout),
        cmocka_unit_test(test_h2_gets_every_http1_limit),
        cmocka_unit_test(test_descriptor_limit_caps_connections_and_never_spins),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
