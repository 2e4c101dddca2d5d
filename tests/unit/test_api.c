#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "seed.h"

#define T_START INT64_C(1796112000000000) /* 2026-12-01T08:00:00Z */

typedef struct {
    bookd_catalog catalog;
    bookd_clock *clock;
    bookd_slot_cache *cache;
    bookd_metrics *metrics;
    bookd_api *api;
} fixture;

static fixture *fixture_new(bookd_fix fix, const char *cache_spec, int64_t race_window_us)
{
    fixture *f = calloc(1, sizeof(*f));
    bookd_store *s;
    char err[256];
    assert_int_equal(bookd_store_sqlite_open(":memory:", 100, &s, err, sizeof(err)), 0);
    assert_int_equal(bookd_seed(s, "demo", err, sizeof(err)), 0);
    assert_int_equal(s->ops->set_unique_index(s, bookd_fix_has_index(fix)), 0);
    assert_int_equal(s->ops->load_catalog(s, &f->catalog), 0);
    bookd_cache_mode mode;
    int64_t ttl;
    assert_int_equal(bookd_cache_mode_parse(cache_spec, &mode, &ttl), 0);
    f->clock = bookd_clock_new(BOOKD_CLOCK_VIRTUAL, T_START);
    f->cache = bookd_slot_cache_new(mode, ttl, 1 << 20);
    f->metrics = bookd_metrics_new();
    bookd_api_shared shared = {.catalog = &f->catalog,
                               .clock = f->clock,
                               .cache = f->cache,
                               .cache_spec = cache_spec,
                               .metrics = f->metrics,
                               .fix = fix,
                               .race_window_us = race_window_us};
    f->api = bookd_api_new(&shared, s);
    return f;
}

static void fixture_del(fixture *f)
{
    bookd_api_del(f->api);
    bookd_catalog_free(&f->catalog);
    bookd_clock_del(f->clock);
    bookd_slot_cache_del(f->cache);
    bookd_metrics_del(f->metrics);
    free(f);
}

static int setup(void **state)
{
    *state = fixture_new(BOOKD_FIX_A_C, "versioned", 0);
    return 0;
}

static int teardown(void **state)
{
    fixture_del(*state);
    return 0;
}

typedef struct {
    int status;
    json_t *json;
    char x_cache[8];
    const char *allow;
} reply;

/* Sends one request; |target| may hold a query string; |key| NULL sends no Authorization. */
static reply call_len(fixture *f, const char *method, const char *target, const char *key, const char *body,
                      size_t body_len)
{
    bookd_request req;
    memset(&req, 0, sizeof(req));
    char auth[300];
    req.method = method;
    req.method_len = strlen(method);
    req.path = target;
    const char *q = strchr(target, '?');
    req.path_len = q ? (size_t)(q - target) : strlen(target);
    if (q) {
        req.query = q + 1;
        req.query_len = strlen(q + 1);
    }
    if (key) {
        snprintf(auth, sizeof(auth), "Bearer %s", key);
        req.authorization = auth;
        req.authorization_len = strlen(auth);
    }
    req.body = body;
    req.body_len = body_len;
    bookd_response res;
    bookd_api_handle(f->api, &req, &res);
    if (res.status == 0) {
        assert_non_null(res.deferred);
        bookd_pending_write *p = res.deferred;
        res.deferred = NULL;
        bookd_api_resume(f->api, p, &res);
    }
    reply r = {.status = res.status, .allow = res.allow};
    if (res.x_cache)
        snprintf(r.x_cache, sizeof(r.x_cache), "%s", res.x_cache);
    json_error_t err;
    if (res.content_type && strcmp(res.content_type, "application/json") == 0) {
        r.json = json_loadb(res.body, res.body_len, 0, &err);
        if (r.json == NULL)
            fail_msg("response is not JSON: %.*s", (int)res.body_len, res.body);
    }
    bookd_response_clear(&res);
    return r;
}

static reply call(fixture *f, const char *method, const char *target, const char *key, const char *body)
{
    return call_len(f, method, target, key, body, body ? strlen(body) : 0);
}

/* A call whose reply only needs to succeed. */
static void call_ok(fixture *f, const char *method, const char *target, const char *key, const char *body)
{
    reply r = call(f, method, target, key, body);
    if (r.status != 200 && r.status != 201)
        fail_msg("%s %s: HTTP %d", method, target, r.status);
    json_decref(r.json);
}

static const char *str_at(json_t *root, const char *path)
{
    json_t *v = root;
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *part = strtok(buf, "."); part && v; part = strtok(NULL, "."))
        v = json_object_get(v, part);
    return json_string_value(v);
}

/* Asserts an error reply: status, code, and (when given) the field it names. */
static void expect_error(reply r, int status, const char *code, const char *field)
{
    if (r.status != status)
        fail_msg("expected %d, got %d", status, r.status);
    assert_non_null(r.json);
    assert_string_equal(str_at(r.json, "error"), code);
    assert_non_null(str_at(r.json, "detail"));
    if (field)
        assert_string_equal(str_at(r.json, "field"), field);
    json_decref(r.json);
}

static char *booking_body(const char *inspector, const char *datetime)
{
    static char body[512];
    snprintf(body, sizeof(body),
             "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"%s\",\"datetime\":\"%s\","
             "\"address\":\"4249 Melinda Ln\",\"customer\":{\"name\":\"Ann\",\"email\":\"ann@example.com\"}}",
             inspector, datetime);
    return body;
}

static void test_health_and_metrics_need_no_key(void **state)
{
    fixture *f = *state;
    reply r = call(f, "GET", "/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "fix"), "A+C");
    assert_string_equal(str_at(r.json, "slotCache"), "versioned");
    assert_string_equal(str_at(r.json, "clock"), "virtual");
    assert_string_equal(str_at(r.json, "now"), "2026-12-01T08:00:00Z");
    json_decref(r.json);
    r = call(f, "GET", "/metrics", NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_null(r.json);
}

static void test_routing_errors(void **state)
{
    fixture *f = *state;
    expect_error(call(f, "GET", "/nope", "acme-key", NULL), 404, "not_found", NULL);
    reply r = call(f, "GET", "/inspection/book-job", "acme-key", NULL);
    assert_string_equal(r.allow, "POST");
    expect_error(r, 405, "method_not_allowed", NULL);
    expect_error(call(f, "DELETE", "/health", NULL, NULL), 405, "method_not_allowed", NULL);
    expect_error(call(f, "POST", "/inspection/x/y/cancel", "acme-key", "{}"), 404, "not_found", NULL);
    /* Authentication. */
    expect_error(call(f, "GET", "/inspections?from=2026-12-01&to=2026-12-02", NULL, NULL), 401,
                 "unauthorized", NULL);
    expect_error(call(f, "GET", "/inspections?from=2026-12-01&to=2026-12-02", "acme-ke", NULL), 401,
                 "unauthorized", NULL);
    expect_error(call(f, "GET", "/inspections?from=2026-12-01&to=2026-12-02", "acme-keyy", NULL), 401,
                 "unauthorized", NULL);
    /* Oversized body: 413 before anything is parsed. */
    size_t big = BOOKD_MAX_BODY + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    expect_error(call_len(f, "POST", "/inspection/book-job", "acme-key", huge, big), 413, "payload_too_large",
                 NULL);
    free(huge);
}

static void test_book_job_validation(void **state)
{
    fixture *f = *state;
    const char *P = "/inspection/book-job";
    expect_error(call(f, "POST", P, "acme-key", NULL), 400, "invalid_json", NULL);
    reply r = call(f, "POST", P, "acme-key", "{\"serviceId\":\n  \"x\",,}");
    assert_non_null(strstr(str_at(r.json, "detail"), "line 2, column"));
    expect_error(r, 400, "invalid_json", NULL);
    expect_error(call(f, "POST", P, "acme-key", "[1,2]"), 400, "invalid_json", NULL);
    expect_error(call(f, "POST", P, "acme-key", "{\"serviceId\":\"a\",\"serviceId\":\"b\"}"), 400,
                 "invalid_json", NULL);
    expect_error(call(f, "POST", P, "acme-key", "{}"), 400, "missing_field", "serviceId");
    expect_error(call(f, "POST", P, "acme-key", "{\"serviceId\":5}"), 400, "invalid_field", "serviceId");
    expect_error(
        call(f, "POST", P, "acme-key", "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\"}"), 400,
        "missing_field", "datetime");
    const char *base = "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\",\"address\":\"a\","
                       "\"customer\":{\"name\":\"n\",\"email\":\"e@x\"},\"datetime\":";
    char body[512];
    const char *bad_times[] = {"\"2026-12-01T09:26:00\"",
                               "\"2026-12-01T09:26:00+02:00\"",
                               "\"tomorrow\"",
                               "\"2026-02-30T09:00:00Z\"",
                               "\"2026-12-01T09:26:00.5Z\"",
                               "1796117160",
                               "null"};
    for (size_t i = 0; i < sizeof(bad_times) / sizeof(bad_times[0]); i++) {
        snprintf(body, sizeof(body), "%s%s}", base, bad_times[i]);
        r = call(f, "POST", P, "acme-key", body);
        assert_int_equal(r.status, 400);
        assert_string_equal(str_at(r.json, "field"), "datetime");
        json_decref(r.json);
    }
    snprintf(body, sizeof(body), "%s\"2026-12-01T09:26:00Z\",\"priority\":1}", base);
    expect_error(call(f, "POST", P, "acme-key", body), 400, "unknown_field", "priority");
    expect_error(call(f, "POST", P, "acme-key",
                      "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\",\"address\":\"a\","
                      "\"datetime\":\"2026-12-01T09:26:00Z\",\"customer\":{\"name\":\"n\"}}"),
                 400, "missing_field", "customer.email");
    expect_error(call(f, "POST", P, "acme-key",
                      "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\",\"address\":\"a\","
                      "\"datetime\":\"2026-12-01T09:26:00Z\",\"customer\":\"ann\"}"),
                 400, "invalid_field", "customer");
    expect_error(
        call(f, "POST", P, "acme-key",
             "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\",\"address\":\"a\","
             "\"datetime\":\"2026-12-01T09:26:00Z\",\"customer\":{\"name\":\"n\",\"email\":\"nope\"}}"),
        400, "invalid_field", "customer.email");
    /* Invalid UTF-8 and embedded NULs are refused by the parser. */
    expect_error(call(f, "POST", P, "acme-key", "{\"serviceId\":\"\xff\xfe\"}"), 400, "invalid_json", NULL);
    expect_error(call(f, "POST", P, "acme-key", "{\"serviceId\":\"a\\u0000b\"}"), 400, "invalid_json", NULL);
    /* Unknown catalogue entries are 404, including another company's inspector. */
    expect_error(call(f, "POST", P, "acme-key", booking_body("omar", "2026-12-01T09:26:00Z")), 404,
                 "not_found", "inspectorId");
    /* Nothing above was written. */
    r = call(f, "GET", "/inspections?from=2026-12-01&to=2026-12-02", "acme-key", NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 0);
    json_decref(r.json);
}

static void test_book_conflict_cancel_rebook(void **state)
{
    fixture *f = *state;
    const char *P = "/inspection/book-job";
    reply r = call(f, "POST", P, "acme-key", booking_body("martin", "2026-12-01T09:26:00Z"));
    assert_int_equal(r.status, 201);
    assert_string_equal(str_at(r.json, "inspection.datetime"), "2026-12-01T09:26:00Z");
    assert_string_equal(str_at(r.json, "inspection.endtime"), "2026-12-01T11:26:00Z");
    assert_string_equal(str_at(r.json, "inspection.status"), "scheduled");
    assert_string_equal(str_at(r.json, "inspection.scheduledTs"), "2026-12-01T08:00:00Z");
    char id[BOOKD_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", str_at(r.json, "inspection._id"));
    json_decref(r.json);

    r = call(f, "POST", P, "acme-key", booking_body("martin", "2026-12-01T09:29:00Z"));
    assert_int_equal(r.status, 409);
    assert_string_equal(str_at(r.json, "reason"), "overlap");
    assert_string_equal(str_at(r.json, "conflictsWith.inspection._id"), id);
    json_decref(r.json);

    /* Another company cannot see, cancel or collide with acme's booking. */
    r = call(f, "POST", P, "globex-key", booking_body("omar", "2026-12-01T09:26:00Z"));
    assert_int_equal(r.status, 201);
    json_decref(r.json);
    char path[128];
    snprintf(path, sizeof(path), "/inspection/%s/cancel", id);
    expect_error(call(f, "POST", path, "globex-key", NULL), 404, "not_found", NULL);
    r = call(f, "GET", "/inspections?from=2026-12-01&to=2026-12-02", "globex-key", NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 1);
    json_decref(r.json);

    r = call(f, "POST", path, "acme-key", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "inspection.status"), "cancelled");
    json_decref(r.json);
    expect_error(call(f, "POST", path, "acme-key", NULL), 409, "already_cancelled", NULL);
    expect_error(call(f, "POST", "/inspection/..%2F..%2Fetc/cancel", "acme-key", NULL), 404, "not_found",
                 NULL);

    r = call(f, "POST", P, "acme-key", booking_body("martin", "2026-12-01T09:26:00Z"));
    assert_int_equal(r.status, 201);
    json_decref(r.json);
    r = call(f, "GET", "/inspections?from=2026-12-01T00:00:00Z&to=2026-12-02&status=scheduled", "acme-key",
             NULL);
    assert_int_equal(json_integer_value(json_object_get(r.json, "count")), 1);
    json_decref(r.json);
    expect_error(call(f, "GET", "/inspections?from=2026-12-02&to=2026-12-01", "acme-key", NULL), 400,
                 "invalid_field", "to");
    expect_error(call(f, "GET", "/inspections?from=2026-12-01&to=2026-12-02&status=done", "acme-key", NULL),
                 400, "invalid_field", "status");
    expect_error(call(f, "GET", "/inspections?to=2026-12-02", "acme-key", NULL), 400, "missing_field",
                 "from");
    expect_error(call(f, "GET", "/inspections?from=2026-12-01&to=2026-12-02&x=1", "acme-key", NULL), 400,
                 "unknown_parameter", "x");
}

static void test_events(void **state)
{
    fixture *f = *state;
    const char *E = "/event";
    reply r = call(f, "POST", E, "acme-key",
                   "{\"type\":\"Block\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:26:00Z\","
                   "\"endtime\":\"2026-12-01T11:26:00Z\"}");
    assert_int_equal(r.status, 201);
    assert_string_equal(str_at(r.json, "event.expiresAt"), "2026-12-01T08:10:00Z");
    char hold_id[BOOKD_ID_LEN + 1];
    snprintf(hold_id, sizeof(hold_id), "%s", str_at(r.json, "event._id"));
    json_decref(r.json);
    r = call(f, "POST", E, "acme-key",
             "{\"type\":\"Block\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:29:00Z\","
             "\"endtime\":\"2026-12-01T11:29:00Z\"}");
    assert_int_equal(r.status, 409);
    assert_string_equal(str_at(r.json, "reason"), "hold");
    json_decref(r.json);
    /* Booking with the hold converts it. */
    char body[600];
    snprintf(
        body, sizeof(body),
        "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:26:00Z\","
        "\"address\":\"a\",\"customer\":{\"name\":\"n\",\"email\":\"e@x\"},\"holdId\":\"%s\"}",
        hold_id);
    r = call(f, "POST", "/inspection/book-job", "acme-key", body);
    assert_int_equal(r.status, 201);
    assert_string_equal(str_at(r.json, "inspection.holdId"), hold_id);
    json_decref(r.json);
    expect_error(
        call(f, "POST", E, "acme-key",
             "{\"type\":\"Meeting\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:26:00Z\","
             "\"endtime\":\"2026-12-01T11:26:00Z\"}"),
        400, "invalid_field", "type");
    expect_error(call(f, "POST", E, "acme-key",
                      "{\"type\":\"Block\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:26:00Z\","
                      "\"endtime\":\"2026-12-01T09:26:00Z\"}"),
                 400, "invalid_field", "endtime");
    expect_error(call(f, "POST", E, "acme-key",
                      "{\"type\":\"Block\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T20:00:00Z\","
                      "\"endtime\":\"2026-12-02T02:00:00Z\"}"),
                 400, "invalid_field", "endtime");
    expect_error(
        call(f, "POST", E, "acme-key",
             "{\"type\":\"Block\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:26:00Z\"}"),
        400, "missing_field", "endtime");
}

static void test_clock_endpoint(void **state)
{
    fixture *f = *state;
    reply r = call(f, "POST", "/__test/clock", NULL, "{\"advanceSeconds\":180}");
    assert_int_equal(r.status, 200);
    assert_string_equal(str_at(r.json, "now"), "2026-12-01T08:03:00Z");
    json_decref(r.json);
    r = call(f, "POST", "/__test/clock", NULL, "{\"set\":\"2026-12-02T10:00:00Z\"}");
    assert_string_equal(str_at(r.json, "now"), "2026-12-02T10:00:00Z");
    json_decref(r.json);
    expect_error(call(f, "POST", "/__test/clock", NULL, "{}"), 400, "invalid_field", NULL);
    expect_error(call(f, "POST", "/__test/clock", NULL, "{\"advanceSeconds\":-1}"), 400, "invalid_field",
                 "advanceSeconds");
    expect_error(call(f, "POST", "/__test/clock", NULL, "{\"set\":\"2026-12-02T10:00:00+01:00\"}"), 400,
                 "invalid_field", "set");
}

static int slot_count(json_t *root)
{
    return (int)json_array_size(json_object_get(root, "slots"));
}

static void test_optimal_slots_and_cache_modes(void **state)
{
    (void)state;
    const char *Q = "/schedule/optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=30.0026&lng=0"
                    "&inspectorId=martin";
    struct {
        const char *cache;
        int stale_after_booking; /* does a booking leave the cached list unchanged? */
    } modes[] = {{"off", 0}, {"ttl:300", 1}, {"versioned", 0}};
    for (size_t i = 0; i < 3; i++) {
        fixture *f = fixture_new(BOOKD_FIX_A_C, modes[i].cache, 0);
        reply r = call(f, "GET", Q, "acme-key", NULL);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.x_cache, "MISS");
        assert_int_equal(slot_count(r.json), 7);
        json_t *first = json_array_get(json_object_get(r.json, "slots"), 1);
        assert_string_equal(json_string_value(json_object_get(first, "datetime")), "2026-12-01T09:26:00Z");
        json_decref(r.json);
        r = call(f, "GET", Q, "acme-key", NULL);
        assert_string_equal(r.x_cache, strcmp(modes[i].cache, "off") == 0 ? "MISS" : "HIT");
        json_decref(r.json);
        r = call(f, "POST", "/inspection/book-job", "acme-key",
                 booking_body("martin", "2026-12-01T09:26:00Z"));
        assert_int_equal(r.status, 201);
        json_decref(r.json);
        /* Three minutes later: the incident's cache still offers 09:26; the others do not. */
        call_ok(f, "POST", "/__test/clock", NULL, "{\"advanceSeconds\":180}");
        r = call(f, "GET", Q, "acme-key", NULL);
        assert_int_equal(slot_count(r.json), modes[i].stale_after_booking ? 7 : 4);
        assert_string_equal(r.x_cache, modes[i].stale_after_booking ? "HIT" : "MISS");
        json_decref(r.json);
        if (modes[i].stale_after_booking) {
            call_ok(f, "POST", "/__test/clock", NULL, "{\"advanceSeconds\":120}");
            r = call(f, "GET", Q, "acme-key", NULL);
            assert_string_equal(r.x_cache, "MISS");
            assert_int_equal(slot_count(r.json), 4);
            json_decref(r.json);
        }
        /* The same URL for another company is another cache entry. */
        r = call(f, "GET",
                 "/schedule/optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=30.0026&lng=0",
                 "globex-key", NULL);
        assert_int_equal(slot_count(r.json), 21);
        json_decref(r.json);
        fixture_del(f);
    }
}

static void test_optimal_slots_validation(void **state)
{
    fixture *f = *state;
    const char *S = "/schedule/optimal-slots";
    char q[300];
    expect_error(call(f, "GET", S, "acme-key", NULL), 400, "missing_field", "serviceId");
    snprintf(q, sizeof(q), "%s?serviceId=full-inspection&startDate=2026-12-01&lat=91&lng=0", S);
    expect_error(call(f, "GET", q, "acme-key", NULL), 400, "invalid_field", "lat");
    snprintf(q, sizeof(q), "%s?serviceId=full-inspection&startDate=2026-12-01&lat=1&lng=nan", S);
    expect_error(call(f, "GET", q, "acme-key", NULL), 400, "invalid_field", "lng");
    snprintf(q, sizeof(q), "%s?serviceId=full-inspection&startDate=12/01/2026&lat=1&lng=1", S);
    expect_error(call(f, "GET", q, "acme-key", NULL), 400, "invalid_field", "startDate");
    snprintf(q, sizeof(q), "%s?serviceId=nope&startDate=2026-12-01&lat=1&lng=1", S);
    expect_error(call(f, "GET", q, "acme-key", NULL), 404, "not_found", "serviceId");
    snprintf(q, sizeof(q), "%s?serviceId=full-inspection&startDate=2026-12-01&lat=1&lng=1&inspectorId=omar",
             S);
    expect_error(call(f, "GET", q, "acme-key", NULL), 404, "not_found", "inspectorId");
    snprintf(q, sizeof(q), "%s?serviceId=full%%2Dinspection&startDate=2026-12-01&lat=1&lng=1&lat=2", S);
    expect_error(call(f, "GET", q, "acme-key", NULL), 400, "invalid_query", "lat");
    snprintf(q, sizeof(q), "%s?serviceId=full-inspection%%zz&startDate=2026-12-01&lat=1&lng=1", S);
    expect_error(call(f, "GET", q, "acme-key", NULL), 400, "invalid_query", "serviceId");
    snprintf(q, sizeof(q), "%s?serviceId=full%%2Dinspection&startDate=2026-12-01&lat=1&lng=1", S);
    reply r = call(f, "GET", q, "acme-key", NULL);
    assert_int_equal(r.status, 200);
    json_decref(r.json);
}

static void test_a_notx_deferral_through_the_api(void **state)
{
    (void)state;
    fixture *f = fixture_new(BOOKD_FIX_A_NOTX, "off", 5000);
    bookd_request req;
    memset(&req, 0, sizeof(req));
    const char *body1 = strdup(booking_body("martin", "2026-12-01T09:26:00Z"));
    const char *body2 = booking_body("martin", "2026-12-01T09:29:00Z");
    req.method = "POST";
    req.method_len = 4;
    req.path = "/inspection/book-job";
    req.path_len = strlen(req.path);
    req.authorization = "Bearer acme-key";
    req.authorization_len = strlen(req.authorization);
    bookd_response r1, r2;
    req.body = body1;
    req.body_len = strlen(body1);
    bookd_api_handle(f->api, &req, &r1);
    req.body = body2;
    req.body_len = strlen(body2);
    bookd_api_handle(f->api, &req, &r2);
    assert_int_equal(r1.status, 0);
    assert_int_equal(r2.status, 0);
    assert_int_equal(r1.defer_us, 5000);
    bookd_pending_write *p1 = r1.deferred, *p2 = r2.deferred;
    r1.deferred = r2.deferred = NULL;
    bookd_api_resume(f->api, p1, &r1);
    bookd_api_resume(f->api, p2, &r2);
    assert_int_equal(r1.status, 201);
    assert_int_equal(r2.status, 201);
    bookd_response_clear(&r1);
    bookd_response_clear(&r2);
    free((void *)body1);
    fixture_del(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_and_metrics_need_no_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_routing_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_book_job_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_book_conflict_cancel_rebook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clock_endpoint, setup, teardown),
        cmocka_unit_test(test_optimal_slots_and_cache_modes),
        cmocka_unit_test_setup_teardown(test_optimal_slots_validation, setup, teardown),
        cmocka_unit_test(test_a_notx_deferral_through_the_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
