/*
 * Hostile input to bookd, table-driven: over 200 malformed or hostile
 * requests (truncated and invalid JSON, deep nesting, huge numbers, NUL
 * bytes, invalid UTF-8, wrong types, bad dates, ranges spanning days,
 * oversized bodies and headers, SQL metacharacters in every identifier,
 * unknown fields, path traversal, bad credentials, other companies'
 * objects), each expecting a specific 4xx and error code; afterwards the
 * stored data is unchanged and the server still answers. Then the limits:
 * a connection cap, and slow clients cut off by the request timeout.
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
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "process.h"

typedef struct {
    char method[8];
    char *target;
    const char *key; /* NULL: no Authorization */
    char *body;      /* NULL: none */
    long status;
    const char *code; /* the "error" field expected, or NULL for a non-JSON answer from the HTTP layer */
} hostile;

static hostile cases[512];
static size_t ncases;

static void add(const char *method, const char *target, const char *key, const char *body, long status,
                const char *code)
{
    assert_true(ncases < sizeof(cases) / sizeof(cases[0]));
    hostile *h = &cases[ncases++];
    snprintf(h->method, sizeof(h->method), "%s", method);
    h->target = strdup(target);
    h->key = key;
    h->body = body ? strdup(body) : NULL;
    h->status = status;
    h->code = code;
}

#define BOOK "/inspection/book-job"
#define K "acme-key"
static const char *fields[] = {"serviceId", "inspectorId",   "datetime",
                               "address",   "customer.name", "customer.email"};
static const char *good[] = {"full-inspection", "martin", "2026-12-01T09:26:00Z",
                             "4249 Melinda Ln", "Ann",    "ann@x.com"};

/* A booking body with field |f| replaced by the raw JSON |value| (NULL: the field left out). */
static char *booking_with(int f, const char *value)
{
    static char out[70000];
    char v[6][66000];
    for (int i = 0; i < 6; i++)
        snprintf(v[i], sizeof(v[i]), "\"%s\"", good[i]);
    if (f >= 0)
        snprintf(v[f], sizeof(v[f]), "%s", value ? value : "");
    char customer[132200];
    if (f == 4 && value == NULL)
        snprintf(customer, sizeof(customer), "{\"email\":%s}", v[5]);
    else if (f == 5 && value == NULL)
        snprintf(customer, sizeof(customer), "{\"name\":%s}", v[4]);
    else
        snprintf(customer, sizeof(customer), "{\"name\":%s,\"email\":%s}", v[4], v[5]);
    size_t n = 0;
    n += (size_t)snprintf(out + n, sizeof(out) - n, "{");
    for (int i = 0; i < 4; i++)
        if (!(f == i && value == NULL))
            n += (size_t)snprintf(out + n, sizeof(out) - n, "\"%s\":%s,", fields[i], v[i]);
    snprintf(out + n, sizeof(out) - n, "\"customer\":%s}", customer);
    return out;
}

static void build_cases(void)
{
    char buf[70000];
    /* Truncated JSON: every prefix of a valid body at 30 cut points. */
    const char *valid = booking_with(-1, NULL);
    size_t vlen = strlen(valid);
    for (int i = 1; i <= 30; i++) {
        snprintf(buf, sizeof(buf), "%.*s", (int)(vlen * (size_t)i / 31), valid);
        add("POST", BOOK, K, buf, 400, "invalid_json");
    }
    /* Invalid JSON. */
    const char *invalid[] = {"{'serviceId':'x'}",
                             "{\"a\":1}}",
                             "{\"a\":NaN}",
                             "{\"a\":1,}",
                             "{/*c*/}",
                             "[1,2",
                             "\xef\xbb\xbf{}",
                             "{\"a\" 1}",
                             "nul",
                             "{\"a\":\"\\x41\"}",
                             "{\"serviceId\":\"a\",\"serviceId\":\"b\"}",
                             "{\"a\":\"\\ud800\"}"};
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        add("POST", BOOK, K, invalid[i], 400, "invalid_json");
    add("POST", BOOK, K, "[]", 400, "invalid_json");
    add("POST", BOOK, K, "\"just a string\"", 400, "invalid_json");
    add("POST", BOOK, K, "42", 400, "invalid_json");
    /* Deep nesting. */
    char *deep = malloc(40002);
    memset(deep, '[', 20000);
    memset(deep + 20000, ']', 20000);
    deep[40000] = '\0';
    add("POST", BOOK, K, deep, 400, "invalid_json");
    for (int i = 0; i < 20000; i++)
        memcpy(deep + i * 2, "{\"", 2);
    deep[40000] = '\0';
    add("POST", BOOK, K, deep, 400, "invalid_json");
    free(deep);
    /* NUL bytes and invalid UTF-8 in every string field. */
    for (int f = 0; f < 6; f++) {
        add("POST", BOOK, K, booking_with(f, "\"a\\u0000b\""), 400, "invalid_json");
        add("POST", BOOK, K, booking_with(f, "\"\xc3\x28\""), 400, "invalid_json");
        add("POST", BOOK, K, booking_with(f, "\"\xff\xfe\xfd\""), 400, "invalid_json");
    }
    /* Wrong types and missing fields: every field. */
    const char *types[] = {"1", "1.5e300", "[\"martin\"]", "{\"x\":1}", "true"};
    for (int f = 0; f < 6; f++) {
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++)
            add("POST", BOOK, K, booking_with(f, types[t]), 400, "invalid_field");
        add("POST", BOOK, K, booking_with(f, "null"), 400, "missing_field");
        add("POST", BOOK, K, booking_with(f, NULL), 400, "missing_field");
        if (f != 2)
            add("POST", BOOK, K, booking_with(f, "\"\""), 400, "invalid_field");
    }
    add("POST", BOOK, K, booking_with(4, NULL) /* customer without name */, 400, "missing_field");
    /* Dates out of range, with offsets, malformed. */
    const char *dates[] = {"1969-12-31T23:00:00Z",      "2026-13-01T09:00:00Z",
                           "2026-02-30T09:00:00Z",      "2026-12-32T09:00:00Z",
                           "2026-12-01T24:00:00Z",      "2026-12-01T09:60:00Z",
                           "2026-12-01T09:26:00+01:00", "2026-12-01T09:26:00-05:00",
                           "2026-12-01T09:26:00",       "2026-12-01 09:26:00Z",
                           "2026-12-01T09:26:00.5Z",    "20261201T092600Z",
                           "+002026-12-01T09:26:00Z",   "2026-12-01",
                           "tomorrow at nine",          "99999-12-01T09:26:00Z",
                           "2026-12-01T09:26:00ZZ",     "2026-12-01T09:26:00.1234567Z"};
    for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
        snprintf(buf, sizeof(buf), "\"%s\"", dates[i]);
        add("POST", BOOK, K, booking_with(2, buf), 400, "invalid_field");
        snprintf(buf, sizeof(buf),
                 "{\"type\":\"Block\",\"inspectorId\":\"ana\",\"datetime\":\"%s\",\"endtime\":\"2026-12-"
                 "01T12:00:00Z\"}",
                 dates[i]);
        add("POST", "/event", K, buf, 400, "invalid_field");
    }
    /* Holds: end before or at start, spanning days, too long, unknown type, unknown fields. */
    const char *ranges[][2] = {{"2026-12-01T10:00:00Z", "2026-12-01T09:00:00Z"},
                               {"2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"},
                               {"2026-12-01T22:00:00Z", "2026-12-02T02:00:00Z"},
                               {"2026-12-01T00:00:00Z", "2026-12-01T23:00:00Z"},
                               {"2026-12-01T10:00:00Z", "2027-12-01T10:00:00Z"}};
    for (size_t i = 0; i < 5; i++) {
        snprintf(buf, sizeof(buf),
                 "{\"type\":\"Block\",\"inspectorId\":\"ana\",\"datetime\":\"%s\",\"endtime\":\"%s\"}",
                 ranges[i][0], ranges[i][1]);
        add("POST", "/event", K, buf, 400, "invalid_field");
    }
    add("POST", "/event", K,
        "{\"type\":\"Meeting\",\"inspectorId\":\"ana\",\"datetime\":\"2026-12-01T10:00:00Z\",\"endtime\":"
        "\"2026-12-01T11:00:00Z\"}",
        400, "invalid_field");
    add("POST", "/event", K,
        "{\"type\":\"Block\",\"inspectorId\":\"ana\",\"datetime\":\"2026-12-01T10:00:00Z\",\"endtime\":"
        "\"2026-12-01T11:00:00Z\",\"x\":1}",
        400, "unknown_field");
    /* SQL metacharacters (and other noise) in every identifier: unknown, never executed. */
    const char *sql[] = {"martin' OR '1'='1",
                         "'; DROP TABLE inspections; --",
                         "\\\" OR 1=1 --",
                         "martin%",
                         "ma_tin",
                         "martin/*",
                         "*",
                         "martin\\\\"};
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        snprintf(buf, sizeof(buf), "\"%s\"", sql[i]);
        add("POST", BOOK, K, booking_with(0, buf), 404, "not_found");
        add("POST", BOOK, K, booking_with(1, buf), 404, "not_found");
        snprintf(buf, sizeof(buf),
                 "{\"type\":\"Block\",\"inspectorId\":\"%s\",\"datetime\":\"2026-12-01T10:00:00Z\","
                 "\"endtime\":\"2026-12-01T11:00:00Z\"}",
                 sql[i]);
        add("POST", "/event", K, buf, 404, "not_found");
        char esc[128];
        CURL *c = curl_easy_init();
        char *e = curl_easy_escape(c, sql[i], 0);
        snprintf(esc, sizeof(esc), "%s", e);
        curl_free(e);
        curl_easy_cleanup(c);
        snprintf(buf, sizeof(buf), "/inspection/%s/cancel", esc);
        add("POST", buf, K, NULL, 404, "not_found");
        snprintf(buf, sizeof(buf), "/schedule/optimal-slots?serviceId=%s&startDate=2026-12-01&lat=1&lng=1",
                 esc);
        add("GET", buf, K, NULL, 404, "not_found");
        snprintf(buf, sizeof(buf),
                 "/schedule/"
                 "optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=1&lng=1&inspectorId=%s",
                 esc);
        add("GET", buf, K, NULL, 404, "not_found");
        snprintf(buf, sizeof(buf), "/inspections?from=2026-12-01&to=2026-12-02&status=%s", esc);
        add("GET", buf, K, NULL, 400, "invalid_field");
        snprintf(buf, sizeof(buf), "\"0123456789abcdef01234567\",\"holdId\":\"%s\"", sql[i]);
    }
    /* Unknown fields. */
    char *body = strdup(booking_with(-1, NULL));
    snprintf(buf, sizeof(buf), "%.*s,\"priority\":\"high\"}", (int)strlen(body) - 1, body);
    add("POST", BOOK, K, buf, 400, "unknown_field");
    snprintf(buf, sizeof(buf), "%.*s,\"__proto__\":{}}", (int)strlen(body) - 1, body);
    add("POST", BOOK, K, buf, 400, "unknown_field");
    snprintf(buf, sizeof(buf), "%.*s,\"status\":\"cancelled\"}", (int)strlen(body) - 1, body);
    add("POST", BOOK, K, buf, 400, "unknown_field");
    add("POST", BOOK, K, booking_with(5, "\"ann@x.com\",\"phone\":\"1\""), 400, "unknown_field");
    add("POST", BOOK, K, booking_with(5, "\"not-an-email\""), 400, "invalid_field");
    free(body);
    /* holdId: unknown, malformed, another company's shape. */
    add("POST", BOOK, K, booking_with(3, "\"x\",\"holdId\":\"0123456789abcdef01234567\""), 404, "not_found");
    add("POST", BOOK, K, booking_with(3, "\"x\",\"holdId\":\"../../etc/passwd\""), 404, "not_found");
    add("POST", BOOK, K, booking_with(3, "\"x\",\"holdId\":42"), 400, "invalid_field");
    /* Path traversal and odd ids. */
    const char *paths[] = {"/inspection/../../etc/passwd/cancel",
                           "/inspection/%2e%2e%2f%2e%2e/cancel",
                           "/inspection/0123456789ABCDEF01234567/cancel",
                           "/inspection/0123456789abcdef0123456/cancel",
                           "/inspection//cancel",
                           "/inspection/0123456789abcdef01234567/cancel/",
                           "/inspection/0123456789abcdef01234567%00/cancel"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        add("POST", paths[i], K, NULL, 404, "not_found");
    /* Credentials. */
    const char *keys[] = {
        "", "acme", "ACME-KEY", "acme-key ", " acme-key", "acme-keyacme-key", "globex-keyx", "acme-key\tx"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        add("GET", "/inspections?from=2026-12-01&to=2026-12-02", keys[i], NULL, 401, "unauthorized");
    add("GET", "/inspections?from=2026-12-01&to=2026-12-02", NULL, NULL, 401, "unauthorized");
    add("POST", BOOK, NULL, booking_with(-1, NULL), 401, "unauthorized");
    add("POST", "/event", NULL, "{}", 401, "unauthorized");
    /* Another company's inspector, service and objects: not found, never touched. */
    add("POST", BOOK, "globex-key", booking_with(-1, NULL), 404, "not_found");
    add("POST", "/event", "globex-key",
        "{\"type\":\"Block\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T10:00:00Z\",\"endtime\":"
        "\"2026-12-01T11:00:00Z\"}",
        404, "not_found");
    add("GET",
        "/schedule/"
        "optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=1&lng=1&inspectorId=martin",
        "globex-key", NULL, 404, "not_found");
    /* Routes and methods. */
    const char *routes[] = {"/",
                            "/admin",
                            "/inspection",
                            "/inspection/book-job/",
                            "/events",
                            "/schedule",
                            "/schedule/optimal-slots/x",
                            "/__test/clockwork",
                            "/HEALTH",
                            "/inspections/1"};
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
        add("GET", routes[i], K, NULL, 404, "not_found");
    add("GET", BOOK, K, NULL, 405, "method_not_allowed");
    add("PUT", BOOK, K, "{}", 405, "method_not_allowed");
    add("DELETE", "/event", K, NULL, 405, "method_not_allowed");
    add("POST", "/inspections", K, "{}", 405, "method_not_allowed");
    add("POST", "/health", NULL, "{}", 405, "method_not_allowed");
    add("PATCH", "/schedule/optimal-slots", K, "{}", 405, "method_not_allowed");
    add("GET", "/inspection/0123456789abcdef01234567/cancel", K, NULL, 405, "method_not_allowed");
    add("OPTIONS", "/metrics", NULL, NULL, 405, "method_not_allowed");
    add("GET", "/__test/clock", NULL, NULL, 405, "method_not_allowed");
    /* The test clock: malformed moves. */
    const char *moves[] = {"{}",
                           "{\"advanceSeconds\":-1}",
                           "{\"advanceSeconds\":\"180\"}",
                           "{\"advanceSeconds\":1e20}",
                           "{\"set\":\"2026-12-01T09:00:00+02:00\"}",
                           "{\"set\":1}",
                           "{\"advanceSeconds\":1,\"set\":\"2026-12-01T09:00:00Z\"}"};
    for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
        add("POST", "/__test/clock", NULL, moves[i], 400, "invalid_field");
    add("POST", "/__test/clock", NULL, "{\"advanceSeconds\":1,\"x\":2}", 400, "unknown_field");
    /* Query parameters. */
    const char *queries[] = {
        "serviceId=full-inspection&startDate=2026-12-01&lat=1&lng=1&lat=2",
        "serviceId=full-inspection&startDate=2026-12-01&lat=1&lng=1&debug=1",
        "serviceId=full%zzinspection&startDate=2026-12-01&lat=1&lng=1",
        "serviceId=full-inspection&startDate=2026-12-01&lat=1e400&lng=1",
        "serviceId=full-inspection&startDate=2026-12-01&lat=-91&lng=1",
        "serviceId=full-inspection&startDate=2026-12-01&lat=1&lng=181",
        "serviceId=full-inspection&startDate=2026-12-01&lat=inf&lng=1",
        "serviceId=full-inspection&startDate=2026-12-01&lat=0x10&lng=1",
        "serviceId=full-inspection&startDate=2026-12-01&lat=&lng=1",
        "serviceId=full-inspection&startDate=12/01/2026&lat=1&lng=1",
        "serviceId=full-inspection&startDate=2026-12-01T00:00:00Z&lat=1&lng=1",
        "serviceId=full-inspection&startDate=1969-12-31&lat=1&lng=1",
        "serviceId=&startDate=2026-12-01&lat=1&lng=1",
        "startDate=2026-12-01&lat=1&lng=1",
        "serviceId=full-inspection%00x&startDate=2026-12-01&lat=1&lng=1",
    };
    const char *qcodes[] = {"invalid_query", "unknown_parameter", "invalid_query", "invalid_field",
                            "invalid_field", "invalid_field",     "invalid_field", "invalid_field",
                            "missing_field", "invalid_field",     "invalid_field", "invalid_field",
                            "missing_field", "missing_field",     "invalid_query"};
    for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
        snprintf(buf, sizeof(buf), "/schedule/optimal-slots?%s", queries[i]);
        add("GET", buf, K, NULL, 400, qcodes[i]);
    }
    char longv[600];
    memset(longv, 'a', 400);
    longv[400] = '\0';
    snprintf(buf, sizeof(buf), "/schedule/optimal-slots?serviceId=%s&startDate=2026-12-01&lat=1&lng=1",
             longv);
    add("GET", buf, K, NULL, 400, "invalid_query");
    add("GET", "/inspections?from=2026-12-02&to=2026-12-01", K, NULL, 400, "invalid_field");
    add("GET", "/inspections?from=2026-12-01", K, NULL, 400, "missing_field");
    add("GET", "/inspections?from=yesterday&to=2026-12-01", K, NULL, 400, "invalid_field");
    add("GET", "/inspections?from=2026-12-01&to=2026-12-02&inspectorId=martin&inspectorId=ana", K, NULL, 400,
        "invalid_query");
    /* Oversized body: bookd's JSON 413. */
    char *huge = malloc(70000);
    memset(huge, ' ', 69999);
    huge[0] = '{';
    huge[69998] = '}';
    huge[69999] = '\0';
    add("POST", BOOK, K, huge, 413, "payload_too_large");
    free(huge);
    /* Huge numbers where numbers belong. */
    add("POST", BOOK, K, booking_with(2, "1e999999"), 400, "invalid_json");
    add("POST", BOOK, K, booking_with(2, "-0"), 400, "invalid_field");
    add("POST", BOOK, K, booking_with(2, "123456789012345678901234567890"), 400, "invalid_json");
}

static int count_stored(int port, const char *key)
{
    test_reply r = test_http(port, "GET", "/inspections?from=2026-01-01&to=2028-01-01", key, NULL);
    assert_int_equal(r.status, 200);
    int n = (int)json_integer_value(json_object_get(r.json, "count"));
    test_reply_free(&r);
    return n;
}

static void test_hostile_requests_get_their_4xx_and_change_nothing(void **state)
{
    (void)state;
    char db[512];
    test_temp_path(db, sizeof(db), "-hostile.db");
    const char *args[] = {"--db", db, "--clock", "virtual:2026-12-01T07:00:00Z", NULL};
    test_process p;
    test_bookd_start(&p, args);
    /* Some data to protect. */
    test_reply r = test_http(
        p.port, "POST", BOOK, K,
        "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"li\",\"datetime\":\"2026-12-01T13:00:00Z\","
        "\"address\":\"O'Brien; DROP TABLE inspections; --\",\"customer\":{\"name\":\"Robert'); DROP "
        "TABLE inspections;--\",\"email\":\"r@x.com\"}}");
    assert_int_equal(r.status, 201);
    /* Metacharacters in free text are data: stored and returned verbatim. */
    assert_string_equal(test_json_str(r.json, "inspection.address"), "O'Brien; DROP TABLE inspections; --");
    test_reply_free(&r);
    int acme = count_stored(p.port, K), globex = count_stored(p.port, "globex-key");
    double created = test_metric(p.port, "bookd_bookings_created_total");

    build_cases();
    assert_true(ncases >= 200);
    for (size_t i = 0; i < ncases; i++) {
        hostile *h = &cases[i];
        r = test_http(p.port, h->method, h->target, h->key, h->body);
        if (r.status != h->status)
            fail_msg("case %zu (%s %s): expected %ld, got %ld: %.200s", i, h->method, h->target, h->status,
                     r.status, r.body);
        if (h->code) {
            const char *code = r.json ? test_json_str(r.json, "error") : NULL;
            if (code == NULL || strcmp(code, h->code) != 0)
                fail_msg("case %zu (%s %s): expected error %s, got %.200s", i, h->method, h->target, h->code,
                         r.body);
        }
        test_reply_free(&r);
    }
    /* Raw HTTP the client library would not send. */
    struct {
        const char *bytes;
        const char *expect;
    } raw[] = {
        {"GET /health HTTP/1.1\r\nHost: x\r\nX: \x01\x02\r\n\r\n", "HTTP/1.1 "},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not tls\r\n\r\n", "400"},
        {"GET /health\r\n\r\n", "HTTP/1."},
        {"POST /inspection/book-job HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "400"},
        {"POST /inspection/book-job HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400"},
    };
    for (size_t i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
        char *got = test_http_raw(p.port, raw[i].bytes, strlen(raw[i].bytes));
        if (strstr(got, raw[i].expect) == NULL)
            fail_msg("raw case %zu: expected '%s' in '%.100s'", i, raw[i].expect, got);
        free(got);
    }
    /* Oversized headers: bookd's JSON 431 (h2o itself accepts up to 400 KiB of request head). */
    char *big = malloc(200000);
    int n = snprintf(big, 200000, "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(big + n, 'a', 150000);
    memcpy(big + n + 150000, "\r\n\r\n", 5);
    char *got = test_http_raw(p.port, big, strlen(big));
    assert_non_null(strstr(got, "HTTP/1.1 431"));
    assert_non_null(strstr(got, "\"error\":\"headers_too_large\""));
    free(got);
    free(big);

    /* Nothing changed, and the server still answers. */
    assert_int_equal(count_stored(p.port, K), acme);
    assert_int_equal(count_stored(p.port, "globex-key"), globex);
    assert_true(test_metric(p.port, "bookd_bookings_created_total") == created);
    r = test_http(p.port, "GET", "/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    test_reply_free(&r);
    print_message("%zu hostile requests and %zu raw ones: each its 4xx, nothing changed\n", ncases,
                  sizeof(raw) / sizeof(raw[0]) + 1);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
    for (size_t i = 0; i < ncases; i++) {
        free(cases[i].target);
        free(cases[i].body);
    }
}

static int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

/* Reads until EOF or |timeout_ms|; returns what came (NUL-terminated) and whether the peer closed. */
static int read_until_close(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) != 1)
            break;
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0) {
            buf[len] = '\0';
            return 1;
        }
        len += (size_t)n;
    }
    buf[len] = '\0';
    return 0;
}

static void test_connection_cap_and_slow_clients(void **state)
{
    (void)state;
    const char *args[] = {
        "--db", ":memory:", "--threads", "1", "--max-connections", "3", "--request-timeout-ms", "300", NULL};
    test_process p;
    test_bookd_start(&p, args);
    char buf[4096];
    /* Three connections fill the cap; each sends a request head slowly, one byte at a time. */
    int slow[3];
    for (int i = 0; i < 3; i++) {
        slow[i] = connect_to(p.port);
        assert_int_equal(write(slow[i], "G", 1), 1);
    }
    /* The fourth is refused at once with a JSON 503. */
    int extra = connect_to(p.port);
    assert_int_equal(read_until_close(extra, buf, sizeof(buf), 5000), 1);
    assert_non_null(strstr(buf, "503"));
    assert_non_null(strstr(buf, "\"error\":\"busy\""));
    close(extra);
    /* One of them turns into a slow body: a complete head, then a 100-byte body one byte at a time. */
    const char *head = "ET /inspection/book-job HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer acme-key\r\n"
                       "Content-Length: 100\r\n\r\n{";
    assert_int_equal(write(slow[0], head, strlen(head)), (ssize_t)strlen(head));
    /* The slow ones never finish their request: the server closes them (at 300 ms), freeing the slots. */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(read_until_close(slow[i], buf, sizeof(buf), 10000), 1);
        assert_null(strstr(buf, "201")); /* the half-sent booking was never made */
        close(slow[i]);
    }
    /* And serves everybody else again. */
    test_reply r = test_http(p.port, "GET", "/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    test_reply_free(&r);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_requests_get_their_4xx_and_change_nothing),
        cmocka_unit_test(test_connection_cap_and_slow_clients),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
