/*
 * bookd's HTTP/1.1 conformance, over raw sockets (issue 13 items 2, 4, 10):
 * request-smuggling framing (two Content-Lengths, Content-Length with
 * Transfer-Encoding) answered 400 with the connection closed and the
 * smuggled bytes never run; Host rules; absolute-form targets; HEAD; the
 * 414 limit; the 503 for connections over the cap carrying a true
 * Content-Length; error details that are always valid UTF-8; %ff in a query
 * refused as malformed; bookings whose end would leave RFC 3339 refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "process.h"

static test_process server;

static int start_server(void **state)
{
    (void)state;
    const char *args[] = {"--db", ":memory:", "--threads", "1", "--clock", "virtual:2026-12-01T07:00:00Z",
                          NULL};
    test_bookd_start(&server, args);
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    return test_process_stop(&server, SIGTERM);
}

static int count_of(const char *haystack, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The body of the first response in |raw| (after the blank line), or NULL. */
static const char *body_of(const char *raw)
{
    const char *b = strstr(raw, "\r\n\r\n");
    return b ? b + 4 : NULL;
}

/* Sends |req|, expects exactly one response with |status| and the JSON error |code| (NULL: any body). */
static char *expect_one(const char *req, const char *status, const char *code)
{
    char *got = test_http_raw(server.port, req, strlen(req));
    if (strncmp(got, status, strlen(status)) != 0)
        fail_msg("expected '%s' for %.60s..., got: %.300s", status, req, got);
    if (count_of(got, "\r\nDate: ") != 1)
        fail_msg("expected one response (the smuggled request must not run), got: %.600s", got);
    if (code != NULL) {
        char want[128];
        snprintf(want, sizeof(want), "\"error\":\"%s\"", code);
        if (strstr(got, want) == NULL)
            fail_msg("expected %s in %.300s", want, got);
    }
    return got;
}

static void test_smuggling_framing_is_refused_and_closes(void **state)
{
    (void)state;
    /* Two Content-Lengths: h2o alone took the first and ran "GET /metrics" as a second request. */
    free(expect_one("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n"
                    "abGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                    "HTTP/1.1 400", "duplicate_content_length"));
    /* The same value twice is refused too: one field, one number. */
    free(expect_one("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab",
                    "HTTP/1.1 400", "duplicate_content_length"));
    /* Content-Length with chunked: 400 and close, whatever order. */
    free(expect_one(
        "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        "0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        "HTTP/1.1 400", "content_length_with_transfer_encoding"));
    free(expect_one(
        "POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
        "0\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        "HTTP/1.1 400", "content_length_with_transfer_encoding"));
    free(expect_one("POST /health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                    "HTTP/1.1 400", "unsupported_transfer_encoding"));
    free(expect_one("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\nhello", "HTTP/1.1 400",
                    NULL));
    /* The connection is closed after the 400 even when the client keeps it open. */
    char *got =
        expect_one("POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
                   "HTTP/1.1 400", NULL);
    assert_non_null(strstr(got, "Connection: close"));
    free(got);
    /* And a well-framed request still works. */
    free(expect_one("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200", NULL));
}

static void test_host_rules_absolute_form_head_and_414(void **state)
{
    (void)state;
    free(expect_one("GET /health HTTP/1.1\r\n\r\n", "HTTP/1.1 400", "missing_host"));
    free(expect_one("GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "HTTP/1.1 400", "duplicate_host"));
    free(expect_one("GET /health HTTP/1.1\r\nHost: a b\r\n\r\n", "HTTP/1.1 400", "invalid_host"));
    /* HTTP/1.0 needs no Host. */
    free(expect_one("GET /health HTTP/1.0\r\n\r\n", "HTTP/1.1 200", NULL));
    /* Absolute form: accepted, the authority in the target wins (RFC 9112 section 3.2.2). */
    free(expect_one("GET http://bookd.example/health HTTP/1.1\r\nHost: other\r\nConnection: close\r\n\r\n",
                    "HTTP/1.1 200", NULL));
    free(expect_one("GET HTTP://bookd.example:8080/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    "HTTP/1.1 200", NULL));
    /* HEAD: GET's status and Content-Length, no body. */
    char *get =
        expect_one("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200", NULL);
    char *head =
        expect_one("HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200", NULL);
    assert_non_null(strstr(head, "Content-Length: "));
    assert_int_equal(strlen(body_of(head)), 0);
    assert_true(strlen(body_of(get)) > 0);
    free(get);
    free(head);
    free(expect_one("HEAD /inspection/book-job HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    "HTTP/1.1 405", NULL));
    /* A 100 KB request line: 414 above the documented 8 KiB. */
    size_t n = 100 * 1024;
    char *big = malloc(n + 64);
    int k = snprintf(big, n + 64, "GET /health?");
    memset(big + k, 'a', n);
    snprintf(big + k + n, 64, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    free(expect_one(big, "HTTP/1.1 414", "uri_too_long"));
    free(big);
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void test_busy_503_declares_its_true_length(void **state)
{
    (void)state;
    const char *args[] = {"--db", ":memory:", "--threads", "1", "--max-connections", "1", NULL};
    test_process p;
    test_bookd_start(&p, args);
    int held = connect_to(p.port);
    /* Make sure the first connection is accepted before the second arrives. */
    assert_int_equal(write(held, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 33), 33);
    char buf[4096];
    struct pollfd pf = {.fd = held, .events = POLLIN};
    assert_int_equal(poll(&pf, 1, 5000), 1);
    assert_true(read(held, buf, sizeof(buf)) > 0);
    char *got = test_http_raw(p.port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 33);
    assert_non_null(strstr(got, "HTTP/1.1 503"));
    const char *cl = strstr(got, "Content-Length: ");
    assert_non_null(cl);
    long declared = strtol(cl + 16, NULL, 10);
    const char *body = body_of(got);
    assert_non_null(body);
    if ((long)strlen(body) != declared)
        fail_msg("503 declares Content-Length %ld and sends %zu bytes: %s", declared, strlen(body), body);
    json_error_t e;
    json_t *j = json_loads(body, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "error")), "busy");
    json_decref(j);
    free(got);
    close(held);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
}

static void test_error_details_are_valid_utf8(void **state)
{
    (void)state;
    /* Invalid UTF-8 in a path that the 404 echoes: the body must still be JSON (jansson rejects bad UTF-8).
     */
    char *got = expect_one("GET /\xff\xfe\xc3\x28 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                           "HTTP/1.1 404", "not_found");
    json_error_t e;
    json_t *j = json_loads(body_of(got), 0, &e);
    if (j == NULL)
        fail_msg("404 body is not valid JSON (%s): %s", e.text, body_of(got));
    json_decref(j);
    free(got);
    /* A long path of two-byte characters, echoed cut to a limit: cut between characters. */
    char req[2048];
    int n = snprintf(req, sizeof(req), "GET /");
    for (int i = 0; i < 300; i++)
        n += snprintf(req + n, sizeof(req) - (size_t)n, "\xc3\xa9");
    snprintf(req + n, sizeof(req) - (size_t)n, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    got = expect_one(req, "HTTP/1.1 404", "not_found");
    j = json_loads(body_of(got), 0, &e);
    if (j == NULL)
        fail_msg("404 body is not valid JSON (%s): %s", e.text, body_of(got));
    assert_null(strstr(json_string_value(json_object_get(j, "detail")), "\xef\xbf\xbd"));
    json_decref(j);
    free(got);
    /* %ff decodes to no UTF-8 at all: a malformed query, not an unknown service. */
    test_reply r =
        test_http(server.port, "GET",
                  "/schedule/optimal-slots?serviceId=%ff&startDate=2026-12-01&lat=1&lng=1", "acme-key", NULL);
    assert_int_equal(r.status, 400);
    assert_string_equal(test_json_str(r.json, "error"), "invalid_query");
    test_reply_free(&r);
}

static void test_dates_whose_end_leaves_rfc3339_are_refused(void **state)
{
    (void)state;
    test_reply r = test_http(
        server.port, "POST", "/inspection/book-job", "acme-key",
        "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\",\"datetime\":\"9999-12-31T23:30:00Z\","
        "\"address\":\"x\",\"customer\":{\"name\":\"A\",\"email\":\"a@x.com\"}}");
    if (r.status != 400)
        fail_msg("expected 400, got %ld: %s", r.status, r.body);
    assert_string_equal(test_json_str(r.json, "field"), "datetime");
    test_reply_free(&r);
    /* Nothing with a five-digit year was stored. */
    r = test_http(server.port, "GET", "/inspections?from=9999-12-01&to=9999-12-31T23:59:59Z", "acme-key",
                  NULL);
    assert_int_equal(r.status, 200);
    assert_null(strstr(r.body, "10000-"));
    test_reply_free(&r);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smuggling_framing_is_refused_and_closes),
        cmocka_unit_test(test_host_rules_absolute_form_head_and_414),
        cmocka_unit_test(test_error_details_are_valid_utf8),
        cmocka_unit_test(test_dates_whose_end_leaves_rfc3339_are_refused),
    };
    const struct CMUnitTest alone[] = {
        cmocka_unit_test(test_busy_503_declares_its_true_length),
    };
    int rc = cmocka_run_group_tests(tests, start_server, stop_server);
    rc |= cmocka_run_group_tests(alone, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
