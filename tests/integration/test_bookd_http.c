/*
 * bookd over real HTTP: every route and error path, company isolation, the
 * virtual clock, the HTTP layer's own limits, and clean shutdown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "process.h"

typedef struct {
    test_process proc;
    char db[512];
} server;

static server *start(const char *fix, const char *cache, const char *clock)
{
    server *s = calloc(1, sizeof(*s));
    test_temp_path(s->db, sizeof(s->db), ".db");
    const char *args[] = {"--db", s->db,       "--fix", fix, "--slot-cache", cache, "--clock",
                          clock,  "--threads", "2",     NULL};
    test_bookd_start(&s->proc, args);
    return s;
}

static void stop(server *s)
{
    assert_int_equal(test_process_stop(&s->proc, SIGTERM), 0);
    test_remove_db(s->db);
    free(s);
}

static const char *booking(const char *inspector, const char *datetime)
{
    static char body[512];
    snprintf(body, sizeof(body),
             "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"%s\",\"datetime\":\"%s\","
             "\"address\":\"4249 Melinda Ln\",\"customer\":{\"name\":\"Ann\",\"email\":\"ann@example.com\"}}",
             inspector, datetime);
    return body;
}

static void expect(test_reply *r, long status, const char *error_code)
{
    if (r->status != status)
        fail_msg("expected HTTP %ld, got %ld: %s", status, r->status, r->body);
    if (error_code) {
        assert_non_null(r->json);
        assert_string_equal(test_json_str(r->json, "error"), error_code);
    }
    test_reply_free(r);
}

static void test_listening_line_and_health(void **state)
{
    (void)state;
    server *s = start("A+C", "versioned", "virtual:2026-12-01T08:00:00Z");
    assert_non_null(strstr(s->proc.line, "bookd listening on 127.0.0.1:"));
    assert_non_null(strstr(s->proc.line, "fix=A+C slot-cache=versioned clock=virtual"));
    test_reply r = test_http(s->proc.port, "GET", "/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(test_json_str(r.json, "status"), "ok");
    assert_string_equal(test_json_str(r.json, "now"), "2026-12-01T08:00:00Z");
    test_reply_free(&r);
    stop(s);
}

static void test_booking_flow_over_http(void **state)
{
    (void)state;
    server *s = start("A+C", "versioned", "virtual:2026-12-01T08:00:00Z");
    int port = s->proc.port;
    const char *slots =
        "/schedule/optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=30.0026&lng=0";
    test_reply r = test_http(port, "GET", slots, "acme-key", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.x_cache, "MISS");
    assert_int_equal(json_array_size(json_object_get(r.json, "slots")), 21);
    test_reply_free(&r);
    r = test_http(port, "GET", slots, "acme-key", NULL);
    assert_string_equal(r.x_cache, "HIT");
    test_reply_free(&r);

    r = test_http(port, "POST", "/inspection/book-job", "acme-key",
                  booking("martin", "2026-12-01T09:26:00Z"));
    assert_int_equal(r.status, 201);
    char id[32];
    snprintf(id, sizeof(id), "%s", test_json_str(r.json, "inspection._id"));
    test_reply_free(&r);
    r = test_http(port, "POST", "/inspection/book-job", "acme-key",
                  booking("martin", "2026-12-01T09:29:00Z"));
    assert_int_equal(r.status, 409);
    assert_string_equal(test_json_str(r.json, "reason"), "overlap");
    test_reply_free(&r);
    /* The booking bumped the version: the next fetch recomputes and no longer offers martin's 09:26. */
    r = test_http(port, "GET", slots, "acme-key", NULL);
    assert_string_equal(r.x_cache, "MISS");
    assert_int_equal(json_array_size(json_object_get(r.json, "slots")), 18);
    test_reply_free(&r);

    /* Holds expire on the server's clock. */
    const char *block = "{\"type\":\"Block\",\"inspectorId\":\"ana\",\"datetime\":\"2026-12-01T10:00:00Z\","
                        "\"endtime\":\"2026-12-01T12:00:00Z\"}";
    r = test_http(port, "POST", "/event", "acme-key", block);
    assert_int_equal(r.status, 201);
    test_reply_free(&r);
    r = test_http(port, "POST", "/inspection/book-job", "acme-key", booking("ana", "2026-12-01T10:30:00Z"));
    assert_int_equal(r.status, 409);
    assert_string_equal(test_json_str(r.json, "reason"), "hold");
    test_reply_free(&r);
    r = test_http(port, "POST", "/__test/clock", NULL, "{\"advanceSeconds\":600}");
    assert_string_equal(test_json_str(r.json, "now"), "2026-12-01T08:10:00Z");
    test_reply_free(&r);
    r = test_http(port, "POST", "/inspection/book-job", "acme-key", booking("ana", "2026-12-01T10:30:00Z"));
    assert_int_equal(r.status, 201);
    test_reply_free(&r);

    /* Cancel frees the range, and the index does not count the cancelled row. */
    char path[128];
    snprintf(path, sizeof(path), "/inspection/%s/cancel", id);
    r = test_http(port, "POST", path, "globex-key", NULL);
    expect(&r, 404, "not_found");
    r = test_http(port, "POST", path, "acme-key", NULL);
    expect(&r, 200, NULL);
    r = test_http(port, "POST", "/inspection/book-job", "acme-key",
                  booking("martin", "2026-12-01T09:26:00Z"));
    expect(&r, 201, NULL);

    r = test_http(port, "GET", "/inspections?from=2026-12-01&to=2026-12-02", "acme-key", NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 3);
    test_reply_free(&r);
    r = test_http(port, "GET", "/inspections?from=2026-12-01&to=2026-12-02", "globex-key", NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 0);
    test_reply_free(&r);

    assert_true(test_metric(port, "bookd_bookings_created_total") == 3);
    assert_true(test_metric(port, "bookd_conflicts_total{reason=\"overlap\"}") == 1);
    assert_true(test_metric(port, "bookd_conflicts_total{reason=\"hold\"}") == 1);
    assert_true(test_metric(port, "bookd_slot_cache_hits_total") == 1);
    stop(s);
}

static void test_error_paths_over_http(void **state)
{
    (void)state;
    server *s = start("A+C", "versioned", "real");
    int port = s->proc.port;
    test_reply r = test_http(port, "GET", "/nope", "acme-key", NULL);
    expect(&r, 404, "not_found");
    r = test_http(port, "PUT", "/event", "acme-key", "{}");
    expect(&r, 405, "method_not_allowed");
    r = test_http(port, "GET", "/inspections?from=2026-12-01&to=2026-12-02", NULL, NULL);
    expect(&r, 401, "unauthorized");
    r = test_http(port, "POST", "/inspection/book-job", "acme-key", "{\"serviceId\": tru");
    expect(&r, 400, "invalid_json");
    /* A real clock cannot be moved: the test route does not exist. */
    r = test_http(port, "POST", "/__test/clock", NULL, "{\"advanceSeconds\":1}");
    expect(&r, 404, "not_found");
    /* 64 KiB + 1: bookd's own JSON 413. */
    size_t big = 64 * 1024 + 1;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    r = test_http(port, "POST", "/inspection/book-job", "acme-key", huge);
    expect(&r, 413, "payload_too_large");
    free(huge);
    /* Garbage that is not HTTP: the server answers 400 and keeps serving. */
    char *raw = test_http_raw(port, "\x01\x02 NOT HTTP\r\n\r\n", 15);
    assert_non_null(strstr(raw, "400"));
    free(raw);
    r = test_http(port, "GET", "/health", NULL, NULL);
    expect(&r, 200, NULL);
    stop(s);
}

static void test_shutdown_keeps_data_and_restart_reads_it(void **state)
{
    (void)state;
    char db[512];
    test_temp_path(db, sizeof(db), ".db");
    const char *args[] = {"--db", db, "--fix", "A", "--clock", "virtual:2026-12-01T08:00:00Z", NULL};
    test_process p;
    test_bookd_start(&p, args);
    test_reply r =
        test_http(p.port, "POST", "/inspection/book-job", "acme-key", booking("li", "2026-12-01T13:00:00Z"));
    expect(&r, 201, NULL);
    assert_int_equal(test_process_stop(&p, SIGINT), 0);
    test_bookd_start(&p, args);
    r = test_http(p.port, "GET", "/inspections?from=2026-12-01&to=2026-12-02&inspectorId=li", "acme-key",
                  NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 1);
    test_reply_free(&r);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

static void test_bad_command_lines(void **state)
{
    (void)state;
    char out[4096];
    const char *bad_flag[] = {test_bookd_bin(), "--fix", "B", NULL};
    assert_int_equal(test_run(bad_flag, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "invalid value 'B' for --fix"));
    assert_non_null(strstr(out, "usage: bookd"));

    char seed[512];
    test_temp_path(seed, sizeof(seed), ".json");
    FILE *f = fopen(seed, "w");
    fputs("{\"companies\": [\n  {\"id\": \"acme\",\n   \"apiKey\": }\n]}\n", f);
    fclose(f);
    char expected[600];
    snprintf(expected, sizeof(expected), "%s:3:", seed);
    const char *bad_seed[] = {test_bookd_bin(), "--db",        ":memory:", "--seed", seed,
                              "--listen",       "127.0.0.1:0", NULL};
    assert_int_equal(test_run(bad_seed, out, sizeof(out)), 1);
    assert_non_null(strstr(out, expected));
    remove(seed);

    const char *help[] = {test_bookd_bin(), "--help", NULL};
    assert_int_equal(test_run(help, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "--race-window-us"));
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listening_line_and_health),
        cmocka_unit_test(test_booking_flow_over_http),
        cmocka_unit_test(test_error_paths_over_http),
        cmocka_unit_test(test_shutdown_keeps_data_and_restart_reads_it),
        cmocka_unit_test(test_bad_command_lines),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
