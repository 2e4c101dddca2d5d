/*
 * bookrace load, report and compare against real bookd processes: the oracle
 * stays clean under load on the fix and catches the double bookings of the
 * broken mode; the open model and the plain-URL mode produce their results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process.h"

static json_t *read_json(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (doc == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return doc;
}

static int load(const char *scenario, int port, const char *out, const char *extra1, const char *extra2)
{
    char sc[600], url[64], output[16384];
    snprintf(sc, sizeof(sc), "%s/scenarios/%s", getenv("BOOKRACE_SOURCE_DIR"), scenario);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    char target[600];
    snprintf(target, sizeof(target), "%s/scenarios/targets/bookd.json", getenv("BOOKRACE_SOURCE_DIR"));
    const char *argv[] = {getenv("BOOKRACE_BIN"),
                          "load",
                          sc,
                          "--target",
                          target,
                          "--base-url",
                          url,
                          "--duration",
                          "1",
                          "--threads",
                          "1",
                          "--connections",
                          "8",
                          "--days",
                          "3",
                          "--out",
                          out,
                          "--quiet",
                          extra1,
                          extra2,
                          NULL};
    return test_run(argv, output, sizeof(output));
}

static void start(test_process *p, char *db, size_t cap, const char *fix)
{
    test_temp_path(db, cap, ".db");
    const char *args[] = {"--db", db, "--fix", fix, "--threads", "1", NULL};
    test_bookd_start(p, args);
}

static void test_load_on_the_fix_is_clean_and_reports(void **state)
{
    (void)state;
    char db[512], out1[512], out2[512], output[8192];
    test_process p;
    start(&p, db, sizeof(db), "A+C");
    test_temp_path(out1, sizeof(out1), "-load");
    test_temp_path(out2, sizeof(out2), "-load");
    assert_int_equal(load("same-slot-burst.json", p.port, out1, NULL, NULL), 0);
    json_t *doc = read_json(out1, "load.json");
    json_t *book = json_object_get(json_object_get(doc, "operations"), "book");
    json_t *fetch = json_object_get(json_object_get(doc, "operations"), "fetch_slots");
    assert_true(json_integer_value(json_object_get(book, "requests")) > 0);
    /* The 10:1 mix. */
    assert_true(json_integer_value(json_object_get(fetch, "requests")) >
                5 * json_integer_value(json_object_get(book, "requests")));
    json_t *oracle = json_object_get(doc, "oracle");
    assert_true(json_is_true(json_object_get(oracle, "groundTruth")));
    assert_true(json_integer_value(json_object_get(oracle, "bookingsAcknowledged")) > 0);
    assert_int_equal(json_array_size(json_object_get(oracle, "violations")), 0);
    assert_true(json_integer_value(json_object_get(json_object_get(fetch, "latencyUs"), "p99")) > 0);
    json_decref(doc);

    /* An open-model run at a fixed rate (on a fresh database: the first run booked up those days), then the
       two compared and reported. */
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
    start(&p, db, sizeof(db), "A+C");
    assert_int_equal(load("same-slot-burst.json", p.port, out2, "--rate", "300"), 0);
    doc = read_json(out2, "load.json");
    assert_string_equal(json_string_value(json_object_get(doc, "model")), "open");
    /* The open model's own fields, not its speed (a loaded machine or a sanitizer build may not keep 300/s:
     * that is what lateSends counts). */
    assert_true(json_number_value(json_object_get(doc, "rate")) == 300);
    json_t *overall = json_object_get(doc, "overall");
    assert_true(json_integer_value(json_object_get(overall, "requests")) > 0);
    assert_true(json_number_value(json_object_get(overall, "throughputPerSecond")) > 0);
    assert_true(json_is_integer(json_object_get(doc, "lateSends")));
    assert_true(json_integer_value(json_object_get(doc, "lateSends")) >= 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(doc, "oracle"), "violations")), 0);
    json_decref(doc);
    char a[600], b[600], html[600];
    snprintf(a, sizeof(a), "%s/load.json", out1);
    snprintf(b, sizeof(b), "%s/load.json", out2);
    snprintf(html, sizeof(html), "%s/compare.html", out2);
    /* One second a side cannot tell a release from noise: not judged (test_bookrace_compare judges
       longer, hand-made series, independent of this machine's speed); the page and compare.json are
       written all the same. */
    const char *cmp[] = {getenv("BOOKRACE_BIN"), "compare", a, b, "--max-regress", "10%", "-o", html, NULL};
    assert_int_equal(test_run(cmp, output, sizeof(output)), 0);
    assert_non_null(strstr(output, "too few samples"));
    assert_int_equal(access(html, R_OK), 0);
    snprintf(html, sizeof(html), "%s/compare.json", out2);
    assert_int_equal(access(html, R_OK), 0);
    const char *same[] = {getenv("BOOKRACE_BIN"), "compare", b, b, "--max-regress", "10%", NULL};
    assert_int_equal(test_run(same, output, sizeof(output)), 0);
    assert_null(strstr(output, "REGRESSION"));
    const char *report[] = {getenv("BOOKRACE_BIN"), "report", a, NULL};
    assert_int_equal(test_run(report, output, sizeof(output)), 0);
    snprintf(html, sizeof(html), "%s/report.html", out1);
    assert_int_equal(access(html, R_OK), 0);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

static void test_load_on_the_broken_mode_finds_double_bookings(void **state)
{
    (void)state;
    char db[512], out[512];
    test_process p;
    start(&p, db, sizeof(db), "none");
    test_temp_path(out, sizeof(out), "-load");
    /* Consecutive hourly slots of one inspector overlap (2 h services): without a check, booking them
     * double-books. */
    assert_int_equal(load("overlap-burst.json", p.port, out, NULL, NULL), 1);
    json_t *doc = read_json(out, "load.json");
    json_t *v = json_object_get(json_object_get(doc, "oracle"), "violations");
    assert_true(json_array_size(v) > 0);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(v, 0), "text")), "DOUBLE BOOKING"));
    json_decref(doc);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

static void test_plain_url_mode(void **state)
{
    (void)state;
    char db[512], out[512], url[64], output[8192];
    test_process p;
    start(&p, db, sizeof(db), "A+C");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", p.port);
    test_temp_path(out, sizeof(out), "-load");
    const char *argv[] = {getenv("BOOKRACE_BIN"), "load", "--url", url, "--duration", "1", "--threads", "1",
                          "--connections",        "4",    "--out", out, "--quiet",    NULL};
    assert_int_equal(test_run(argv, output, sizeof(output)), 0);
    json_t *doc = read_json(out, "load.json");
    json_t *get = json_object_get(json_object_get(doc, "operations"), "get");
    assert_true(json_integer_value(json_object_get(get, "requests")) > 100);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(get, "statuses"), "200")),
                     json_integer_value(json_object_get(get, "requests")));
    json_decref(doc);
    const char *bad[] = {getenv("BOOKRACE_BIN"), "load", "--url", url, "--duration", "soon", NULL};
    assert_int_equal(test_run(bad, output, sizeof(output)), 2);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_on_the_fix_is_clean_and_reports),
        cmocka_unit_test(test_load_on_the_broken_mode_finds_double_bookings),
        cmocka_unit_test(test_plain_url_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
