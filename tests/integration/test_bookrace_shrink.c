/*
 * bookrace shrink against real bookd processes: the 16-actor same-slot burst
 * run against --fix none shrinks to a 2-actor scenario, which `bookrace run`
 * loads and which reproduces in 10/10 trials against --fix none and 0/10
 * against --fix A+C; hold-race shrinks to two actors and keeps the hold their
 * bookings convert; a run without a violation, a file that is not a run and a
 * target where the bug no longer reproduces, one that refuses every request
 * (401) and one that is down are refused with their exit codes and write
 * nothing.
 *
 * The verdicts are deterministic, not lucky: --fix none has no overlap check
 * at all, so every racer of a burst is acknowledged (each trial double-books),
 * and A+C's transaction and unique index refuse every second booking however
 * the requests interleave. Each run books days of its own (--date), so no run
 * meets another's bookings.
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
#include <sys/stat.h>
#include <unistd.h>

#include "process.h"

typedef struct {
    test_process p;
    char db[512], url[64];
} server;

static void start(server *s, const char *fix)
{
    test_temp_path(s->db, sizeof(s->db), ".db");
    const char *args[] = {"--db",      s->db, "--fix", fix, "--clock", "virtual:2026-12-01T07:00:00Z",
                          "--threads", "2",   NULL};
    test_bookd_start(&s->p, args);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->p.port);
}

static void stop(server *s)
{
    assert_int_equal(test_process_stop(&s->p, SIGTERM), 0);
    test_remove_db(s->db);
}

/* bookrace run SCENARIO against |url| on |date|, |repeat| trials, into |out|; returns the exit code. */
static int run(const char *scenario, const char *url, const char *date, const char *repeat, const char *out,
               char *output, size_t cap)
{
    const char *argv[] = {test_bookrace_bin(), "run",  scenario, "--base-url", url,       "--date", date,
                          "--repeat",          repeat, "--out",  out,          "--quiet", NULL};
    return test_run(argv, output, cap);
}

/* bookrace shrink OUT/run.json -o MINIMAL [--base-url URL]; returns the exit code. */
static int shrink(const char *out, const char *minimal, const char *url, char *output, size_t cap)
{
    char run_json[600];
    snprintf(run_json, sizeof(run_json), "%s/run.json", out);
    const char *argv[] = {test_bookrace_bin(),       "shrink", run_json, "-o", minimal, "--trials", "10",
                          url ? "--base-url" : NULL, url,      NULL};
    return test_run(argv, output, cap);
}

static json_t *load(const char *path)
{
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (doc == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return doc;
}

/* run.json's reproduction: k of n conclusive trials. */
static void reproduction(const char *out, json_int_t *k, json_int_t *n)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/run.json", out);
    json_t *doc = load(path);
    json_t *rep = json_object_get(doc, "reproduction");
    *k = json_integer_value(json_object_get(rep, "k"));
    *n = json_integer_value(json_object_get(rep, "n"));
    json_decref(doc);
}

/* The minimal scenario's steps, as "fetch_slots,pick,barrier,book". */
static void step_kinds(json_t *doc, char *buf, size_t cap)
{
    size_t i, len = 0;
    json_t *st;
    buf[0] = '\0';
    json_array_foreach (json_object_get(doc, "steps"), i, st)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "",
                                json_string_value(json_object_get(st, "do")));
}

static void test_burst_shrinks_to_two_actors(void **state)
{
    (void)state;
    server none, fixed;
    start(&none, "none");
    start(&fixed, "A+C");
    char sc[600], out[512], minimal[512], output[16384], kinds[256];
    test_temp_path(out, sizeof(out), "-burst");
    test_source_path("scenarios/same-slot-burst.json", sc, sizeof(sc));
    assert_int_equal(run(sc, none.url, "2026-12-01", "1", out, output, sizeof(output)), 1);
    test_temp_path(minimal, sizeof(minimal), "-minimal.json");
    int rc = shrink(out, minimal, NULL, output, sizeof(output));
    if (rc != 0)
        fail_msg("shrink exit %d: %s", rc, output);
    assert_non_null(strstr(output, "16 actors, 4 steps -> 2 actors"));
    json_t *doc = load(minimal);
    assert_int_equal(json_array_size(json_object_get(doc, "actors")), 2);
    step_kinds(doc, kinds, sizeof(kinds));
    assert_string_equal(kinds, "fetch_slots,pick,barrier,book");
    assert_string_equal(json_string_value(json_object_get(doc, "name")), "same-slot-burst-minimal");
    /* The same release: the barrier still says last-byte. */
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(doc, "steps"), 2), "release")),
        "last-byte");
    json_decref(doc);

    /* The witness loads with bookrace run and separates the broken build from the fixed one. */
    json_int_t k, n;
    test_temp_path(out, sizeof(out), "-min-none");
    assert_int_equal(run(minimal, none.url, "2027-06-01", "10", out, output, sizeof(output)), 1);
    reproduction(out, &k, &n);
    assert_int_equal(n, 10);
    assert_true(k >= 9);
    test_temp_path(out, sizeof(out), "-min-fixed");
    rc = run(minimal, fixed.url, "2026-12-01", "10", out, output, sizeof(output));
    if (rc != 0)
        fail_msg("the minimal scenario against A+C: exit %d: %s", rc, output);
    reproduction(out, &k, &n);
    assert_int_equal(k, 0);
    assert_int_equal(n, 10);

    /* A run without a violation has nothing to shrink; against the fixed build the bug is gone: exit 1. */
    char none_min[512];
    test_temp_path(none_min, sizeof(none_min), "-nothing.json");
    assert_int_equal(shrink(out, none_min, NULL, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "nothing to shrink"));
    test_temp_path(out, sizeof(out), "-burst2");
    assert_int_equal(run(sc, none.url, "2027-08-01", "1", out, output, sizeof(output)), 1);
    assert_int_equal(shrink(out, none_min, fixed.url, output, sizeof(output)), 1);
    assert_non_null(strstr(output, "no longer reproduces"));
    assert_int_equal(access(none_min, F_OK), -1);
    /* A target that refuses every request (401) or is down failed: exit 3 with its answer, never
     * "no longer reproduces" (exit 1), and nothing written. */
    setenv("BOOKRACE_API_KEY", "expired-key-0042", 1);
    rc = shrink(out, none_min, none.url, output, sizeof(output));
    unsetenv("BOOKRACE_API_KEY");
    if (rc != 3 || strstr(output, " x 401") == NULL)
        fail_msg("shrink against a 401 target: exit %d: %s", rc, output);
    assert_null(strstr(output, "no longer reproduces"));
    assert_int_equal(shrink(out, none_min, "http://127.0.0.1:9", output, sizeof(output)), 3);
    assert_int_equal(access(none_min, F_OK), -1);
    /* A run.json from another machine: its profile is not here, and the error says what to give. */
    char moved[600];
    snprintf(moved, sizeof(moved), "%s/run.json", out);
    doc = load(moved);
    json_object_set_new(json_object_get(doc, "target"), "file", json_string("/nonexistent/profile.json"));
    assert_int_equal(json_dump_file(doc, moved, 0), 0);
    json_decref(doc);
    assert_int_equal(shrink(out, none_min, NULL, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "give --target"));
    /* Not a run at all: refused with the reason. */
    test_temp_path(out, sizeof(out), "-notrun");
    assert_int_equal(mkdir(out, 0755), 0);
    snprintf(sc, sizeof(sc), "%s/run.json", out);
    FILE *f = fopen(sc, "w");
    assert_non_null(f);
    fputs("{\"schema\": \"bookrace.load/1\"}\n", f);
    fclose(f);
    assert_int_equal(shrink(out, none_min, NULL, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "not a bookrace run"));
    stop(&none);
    stop(&fixed);
}

static void test_hold_race_keeps_the_hold(void **state)
{
    (void)state;
    server none;
    start(&none, "none");
    char sc[600], out[512], minimal[512], output[16384], kinds[256];
    test_temp_path(out, sizeof(out), "-hold");
    test_source_path("scenarios/hold-race.json", sc, sizeof(sc));
    assert_int_equal(run(sc, none.url, "2026-12-01", "1", out, output, sizeof(output)), 1);
    test_temp_path(minimal, sizeof(minimal), "-hold-minimal.json");
    int rc = shrink(out, minimal, NULL, output, sizeof(output));
    if (rc != 0)
        fail_msg("shrink exit %d: %s", rc, output);
    json_t *doc = load(minimal);
    assert_int_equal(json_array_size(json_object_get(doc, "actors")), 2);
    step_kinds(doc, kinds, sizeof(kinds));
    assert_string_equal(kinds, "fetch_slots,pick,barrier,hold,book");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(doc, "steps"), 4), "hold")), "hold");
    json_decref(doc);
    test_temp_path(out, sizeof(out), "-hold-min");
    assert_int_equal(run(minimal, none.url, "2027-06-01", "3", out, output, sizeof(output)), 1);
    stop(&none);
}

/*
 * --trials that cannot show --min-rate even when every trial reproduces (2/2's 95% interval reaches down
 * to 0.34) were run to the end and reported as "no longer reproduces" (exit 1): refused up front now,
 * with the number of trials it takes. Needs no server: nothing is sent.
 */
static void test_unreachable_rate_is_refused(void **state)
{
    (void)state;
    char output[8192];
    const char *two[] = {test_bookrace_bin(), "shrink", "no-such-run.json", "--trials", "2", NULL};
    assert_int_equal(test_run(two, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "it takes --trials 4 or more"));
    const char *one[] = {test_bookrace_bin(), "shrink", "no-such-run.json", "--min-rate", "1", NULL};
    assert_int_equal(test_run(one, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "--min-rate 1 cannot be shown"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_burst_shrinks_to_two_actors),
        cmocka_unit_test(test_hold_race_keeps_the_hold),
        cmocka_unit_test(test_unreachable_rate_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
