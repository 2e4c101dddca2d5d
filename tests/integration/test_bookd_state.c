/*
 * bookd's state under hostile or unlucky use (issue 13 items 6, 7, 8, 9, 11):
 *   - the slot cache is keyed by the parsed query (empty '&' segments,
 *     parameter order and number spellings give one entry) and bounded in
 *     bytes by --slot-cache-bytes;
 *   - a cached list stops hiding a slot when the hold behind it expires;
 *   - the fix modes run synchronous=FULL by default, --synchronous relaxes it;
 *   - a second bookd with another kind of --fix on the same database is
 *     refused while the first runs, and the unique index stays;
 *   - a hold converts once; bookings in the past, outside working hours or
 *     off the slot grid are accepted, as documented in README.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "process.h"

#define K "acme-key"
#define SLOTS "/schedule/optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=30.0026&lng=0"

static int slot_count(const test_reply *r)
{
    return (int)json_array_size(json_object_get(r->json, "slots"));
}

static test_reply get_slots(int port, const char *target)
{
    test_reply r = test_http(port, "GET", target, K, NULL);
    if (r.status != 200)
        fail_msg("GET %s: %ld %s", target, r.status, r.body);
    return r;
}

static void test_cache_key_is_the_parsed_query_and_bytes_are_bounded(void **state)
{
    (void)state;
    const char *args[] = {"--db",
                          ":memory:",
                          "--threads",
                          "1",
                          "--slot-cache-bytes",
                          "64k",
                          "--clock",
                          "virtual:2026-12-01T07:00:00Z",
                          NULL};
    test_process p;
    test_bookd_start(&p, args);
    test_reply r = get_slots(p.port, SLOTS);
    assert_string_equal(r.x_cache, "MISS");
    test_reply_free(&r);
    /* The same query spelled differently: one entry, a hit. */
    const char *spellings[] = {
        SLOTS "&",
        "/schedule/optimal-slots?&&&serviceId=full-inspection&&startDate=2026-12-01&lat=30.0026&lng=0&&",
        "/schedule/optimal-slots?lng=0&lat=30.0026&startDate=2026-12-01&serviceId=full-inspection",
        "/schedule/optimal-slots?serviceId=full%2Dinspection&startDate=2026-12-01&lat=30.00260&lng=-0.0e0",
    };
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        r = get_slots(p.port, spellings[i]);
        if (strcmp(r.x_cache, "HIT") != 0)
            fail_msg("'%s' missed the cache: the key is not the parsed query", spellings[i]);
        test_reply_free(&r);
    }
    assert_int_equal((int)test_metric(p.port, "bookd_slot_cache_entries"), 1);
    /* 300 distinct queries of ~3 KB each: the cache stays within its 64 KiB. */
    for (int i = 0; i < 300; i++) {
        char target[256];
        snprintf(target, sizeof(target),
                 "/schedule/optimal-slots?serviceId=full-inspection&startDate=2026-12-01&lat=%d.5&lng=1",
                 i % 89);
        snprintf(target + strlen(target), sizeof(target) - strlen(target), "&inspectorId=%s",
                 i % 3 == 0   ? "martin"
                 : i % 3 == 1 ? "ana"
                              : "li");
        r = get_slots(p.port, target);
        test_reply_free(&r);
    }
    double bytes = test_metric(p.port, "bookd_slot_cache_bytes");
    print_message("slot cache after 300 distinct queries: %.0f bytes, %.0f entries\n", bytes,
                  test_metric(p.port, "bookd_slot_cache_entries"));
    assert_true(bytes > 0 && bytes <= 64 * 1024);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
}

static void test_cached_list_shows_the_slot_again_when_the_hold_expires(void **state)
{
    (void)state;
    const char *args[] = {"--db",
                          ":memory:",
                          "--threads",
                          "1",
                          "--slot-cache",
                          "versioned",
                          "--clock",
                          "virtual:2026-12-01T07:00:00Z",
                          NULL};
    test_process p;
    test_bookd_start(&p, args);
    const char *q = SLOTS "&inspectorId=martin";
    test_reply r = get_slots(p.port, q);
    int free_slots = slot_count(&r);
    test_reply_free(&r);
    r = test_http(p.port, "POST", "/event", K,
                  "{\"type\":\"Block\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:00:00Z\","
                  "\"endtime\":\"2026-12-01T12:00:00Z\"}");
    assert_int_equal(r.status, 201);
    test_reply_free(&r);
    r = get_slots(p.port, q);
    int held = slot_count(&r);
    test_reply_free(&r);
    assert_true(held < free_slots);
    r = get_slots(p.port, q); /* cached now */
    assert_string_equal(r.x_cache, "HIT");
    test_reply_free(&r);
    /* The hold lives 10 minutes; 11 minutes on, nothing was written, yet the slots are free again. */
    r = test_http(p.port, "POST", "/__test/clock", NULL, "{\"advanceSeconds\":660}");
    assert_int_equal(r.status, 200);
    test_reply_free(&r);
    r = get_slots(p.port, q);
    if (slot_count(&r) != free_slots)
        fail_msg("after the hold expired: %d slots (%s), expected %d", slot_count(&r), r.x_cache, free_slots);
    test_reply_free(&r);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
}

static void expect_synchronous(const char *fix, const char *flag, const char *want)
{
    char db[512];
    test_temp_path(db, sizeof(db), "-sync.db");
    const char *args[] = {"--db", db,  "--threads", "1", "--fix", fix, flag ? "--synchronous" : NULL,
                          flag,   NULL};
    test_process p;
    test_bookd_start(&p, args);
    char expect[64];
    snprintf(expect, sizeof(expect), "synchronous=%s", want);
    if (strstr(p.line, expect) == NULL)
        fail_msg("--fix %s %s: expected %s in '%s'", fix, flag ? flag : "", expect, p.line);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

static void test_fix_modes_are_durable_by_default(void **state)
{
    (void)state;
    expect_synchronous("A+C", NULL, "full");
    expect_synchronous("A", NULL, "full");
    expect_synchronous("C", NULL, "full");
    expect_synchronous("none", NULL, "normal");
    expect_synchronous("A-notx", NULL, "normal");
    expect_synchronous("A+C", "normal", "normal");
    expect_synchronous("none", "full", "full");
    char out[2048];
    const char *bad[] = {test_bookd_bin(), "--synchronous", "extra", NULL};
    assert_int_equal(test_run(bad, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "--synchronous"));
}

static int index_exists(const char *db)
{
    sqlite3 *h;
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = "
                                        "'inspections_active_start'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void test_second_process_cannot_drop_the_index_under_a_running_one(void **state)
{
    (void)state;
    char db[512], out[4096];
    test_temp_path(db, sizeof(db), "-index.db");
    const char *ac[] = {"--db", db, "--fix", "A+C", NULL};
    test_process first;
    test_bookd_start(&first, ac);
    assert_int_equal(index_exists(db), 1);
    /* Every mode that drops the index is refused, with a sentence saying why. */
    const char *dropping[] = {"none", "A-notx", "A"};
    for (size_t i = 0; i < 3; i++) {
        const char *argv[] = {test_bookd_bin(), "--listen",  "127.0.0.1:0", "--db", db,
                              "--fix",          dropping[i], NULL};
        int rc = test_run(argv, out, sizeof(out));
        if (rc == 0 || strstr(out, "unique index") == NULL)
            fail_msg("--fix %s beside a running A+C: exit %d, '%s'", dropping[i], rc, out);
        assert_int_equal(index_exists(db), 1);
    }
    /* The same kind of mode may join. */
    const char *c[] = {"--db", db, "--fix", "C", NULL};
    test_process second;
    test_bookd_start(&second, c);
    assert_int_equal(test_process_stop(&second, SIGTERM), 0);
    assert_int_equal(test_process_stop(&first, SIGTERM), 0);
    /* With nobody relying on it, the index may go. */
    const char *none[] = {"--db", db, "--fix", "none", NULL};
    test_bookd_start(&first, none);
    assert_int_equal(index_exists(db), 0);
    /* And now A+C cannot create it under the running "none". */
    const char *argv[] = {test_bookd_bin(), "--listen", "127.0.0.1:0", "--db", db, "--fix", "A+C", NULL};
    assert_true(test_run(argv, out, sizeof(out)) != 0);
    assert_non_null(strstr(out, "unique index"));
    assert_int_equal(test_process_stop(&first, SIGTERM), 0);
    test_remove_db(db);
}

static test_reply book(int port, const char *when, const char *hold_id)
{
    char body[512];
    snprintf(
        body, sizeof(body),
        "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\",\"datetime\":\"%s\",\"address\":\"x\","
        "\"customer\":{\"name\":\"A\",\"email\":\"a@x.com\"}%s%s%s}",
        when, hold_id ? ",\"holdId\":\"" : "", hold_id ? hold_id : "", hold_id ? "\"" : "");
    return test_http(port, "POST", "/inspection/book-job", K, body);
}

static void test_hold_converts_once_and_booking_rules_are_as_documented(void **state)
{
    (void)state;
    const char *args[] = {"--db", ":memory:", "--threads", "1", "--clock", "virtual:2026-12-01T07:00:00Z",
                          NULL};
    test_process p;
    test_bookd_start(&p, args);
    /* A hold long enough for two bookings. */
    test_reply r =
        test_http(p.port, "POST", "/event", K,
                  "{\"type\":\"Block\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:00:00Z\","
                  "\"endtime\":\"2026-12-01T15:00:00Z\"}");
    assert_int_equal(r.status, 201);
    char hold[32];
    snprintf(hold, sizeof(hold), "%s", test_json_str(r.json, "event._id"));
    test_reply_free(&r);
    r = book(p.port, "2026-12-01T09:00:00Z", hold);
    assert_int_equal(r.status, 201);
    test_reply_free(&r);
    r = book(p.port, "2026-12-01T12:00:00Z", hold);
    if (r.status != 409)
        fail_msg("a second booking with a converted hold: expected 409, got %ld %s", r.status, r.body);
    assert_string_equal(test_json_str(r.json, "error"), "hold_converted");
    test_reply_free(&r);
    /* Decided and documented: the past, the night and off-grid starts are accepted (the incident's API did).
     */
    const char *accepted[] = {"2026-11-30T09:00:00Z", "2026-12-02T02:13:00Z", "2026-12-03T09:29:00Z"};
    for (size_t i = 0; i < 3; i++) {
        r = book(p.port, accepted[i], NULL);
        if (r.status != 201)
            fail_msg("booking at %s: expected 201 (documented), got %ld %s", accepted[i], r.status, r.body);
        test_reply_free(&r);
    }
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cache_key_is_the_parsed_query_and_bytes_are_bounded),
        cmocka_unit_test(test_cached_list_shows_the_slot_again_when_the_hold_expires),
        cmocka_unit_test(test_fix_modes_are_durable_by_default),
        cmocka_unit_test(test_second_process_cannot_drop_the_index_under_a_running_one),
        cmocka_unit_test(test_hold_converts_once_and_booking_rules_are_as_documented),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
