/*
 * `bookrace window` against real bookd processes (issue 14). The delays are
 * chosen far from every edge: against --fix A-notx --race-window-us 20000
 * racers 0 and 5 ms apart land inside the 20 ms check-then-insert pause (both
 * booked), 60 ms apart well after the first insert (refused), and the window
 * found lies inside the sweep with a bracket around 20 ms. A stall of the
 * shared machine longer than 15 ms can flip a single trial (seen under ASan),
 * so the verdict rests on the window and the direction of the rates, not on
 * unanimous points (assert_window_of_20ms); the same over HTTP/2, where the
 * staggered single-packet barrier must write each racer's final frame on its
 * own (two writes). Against A+C nothing reproduces at
 * any delay and --expect-no-window holds. The advance sweep against the
 * incident's five-minute slot cache (virtual clock) reproduces at 0 and 200 s
 * and not at 400 s; against the versioned cache never. And the refusals: a
 * barrier sweep of a scenario without a barrier, bad --delays; a target that
 * is down or refuses every request (401) is exit 3, never "no window", and
 * a sweep whose every trial was inconclusive is exit 1, never "no window". No
 * timing is asserted, only what reproduced.
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

#include "process.h"

typedef struct {
    test_process p;
    char db[512];
    char url[64];
} server;

static void serve(server *s, const char *const *extra)
{
    test_temp_path(s->db, sizeof(s->db), ".db");
    const char *args[16] = {"--db", s->db, "--threads", "2"};
    size_t n = 4;
    for (size_t i = 0; extra[i] && n < 15; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    test_bookd_start(&s->p, args);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->p.port);
}

static void unserve(server *s)
{
    assert_int_equal(test_process_stop(&s->p, SIGTERM), 0);
    test_remove_db(s->db);
}

/* Runs bookrace window with |extra| arguments; returns the exit code and the parsed window.json (or NULL). */
static int window(const char *scenario, const char *url, const char *const *extra, json_t **doc, char *out,
                  size_t cap)
{
    char sc[1024], target[1024], dir[512], file[600];
    test_temp_path(dir, sizeof(dir), "-window");
    const char *argv[32] = {test_bookrace_bin(),
                            "window",
                            scenario[0] == '/' ? scenario : test_source_path(scenario, sc, sizeof(sc)),
                            "--target",
                            test_source_path("scenarios/targets/bookd.json", target, sizeof(target)),
                            "--base-url",
                            url,
                            "--out",
                            dir,
                            "--quiet"};
    size_t n = 10;
    for (size_t i = 0; extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    int rc = test_run(argv, out, cap);
    snprintf(file, sizeof(file), "%s/window.json", dir);
    json_error_t jerr;
    *doc = json_load_file(file, 0, &jerr);
    return rc;
}

static json_t *point(json_t *doc, size_t i)
{
    return json_array_get(json_object_get(doc, "points"), i);
}

static json_int_t num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/*
 * What a sweep of 0, 5 and 60 ms must show against a 20 ms window, robustly: a stall of the shared
 * machine longer than the gap between a delay and the edge (15 or 40 ms) can flip one trial either way, so
 * no point is required to be unanimous except in its direction: 0 ms reproduces, 60 ms does not always, 5
 * ms at least as often as 60 ms; and the window found lies strictly inside the sweep, its bracket around
 * 20 ms. Without the stagger 60 ms would reproduce every time and the window would be unbounded.
 */
static void assert_window_of_20ms(json_t *doc)
{
    json_int_t delays[] = {0, 5000, 60000};
    for (size_t i = 0; i < 3; i++) {
        json_t *p = point(doc, i);
        assert_int_equal(num(p, "delay_us"), delays[i]);
        assert_true(num(p, "trials") >= 4); /* at most the odd inconclusive trial */
        assert_true(json_is_true(json_object_get(p, "resolvable")));
        assert_true(json_is_object(json_object_get(p, "measured_offset_us")));
        assert_true(json_real_value(json_object_get(p, "ci_lo")) <=
                    json_real_value(json_object_get(p, "rate")));
    }
    assert_true(num(point(doc, 0), "reproduced") >= 1);
    assert_true(num(point(doc, 2), "reproduced") < num(point(doc, 2), "trials"));
    assert_true(json_real_value(json_object_get(point(doc, 1), "rate")) >=
                json_real_value(json_object_get(point(doc, 2), "rate")));
    json_t *w = json_object_get(doc, "window_us");
    assert_true(json_is_object(w));
    assert_true(num(w, "estimate") > 0 && num(w, "estimate") < 60000);
    assert_true(num(w, "lo") <= 20000);
    assert_true(json_is_null(json_object_get(w, "hi")) || num(w, "hi") >= 20000);
}

static void test_barrier_window_of_a_notx(void **state)
{
    (void)state;
    server s;
    serve(&s, (const char *const[]){"--fix", "A-notx", "--race-window-us", "20000", NULL});
    char out[65536];
    json_t *doc;
    int rc = window("scenarios/window-pair.json", s.url,
                    (const char *const[]){"--delays", "0,5ms,60ms", "--trials", "6", NULL}, &doc, out,
                    sizeof(out));
    if (rc != 0 || doc == NULL)
        fail_msg("bookrace window exited %d:\n%s", rc, out);
    assert_string_equal(json_string_value(json_object_get(doc, "kind")), "window");
    assert_string_equal(json_string_value(json_object_get(doc, "sweep")), "barrier");
    assert_string_equal(json_string_value(json_object_get(doc, "unit")), "us");
    assert_int_equal(json_array_size(json_object_get(doc, "points")), 3);
    assert_window_of_20ms(doc);
    assert_true(num(doc, "precision_us") >= 1);
    assert_non_null(strstr(out, "window: "));
    json_decref(doc);
    unserve(&s);
}

/* The same over HTTP/2: a staggered single-packet barrier writes each racer's final frame on its own. */
static void test_barrier_window_over_http2(void **state)
{
    (void)state;
    server s;
    serve(&s, (const char *const[]){"--fix", "A-notx", "--race-window-us", "20000", NULL});
    char sc[600], src[1024], out[65536];
    test_temp_path(sc, sizeof(sc), "-pair-h2.json");
    FILE *in = fopen(test_source_path("scenarios/window-pair.json", src, sizeof(src)), "r");
    assert_non_null(in);
    char text[4096];
    size_t len = fread(text, 1, sizeof(text) - 1, in);
    fclose(in);
    text[len] = '\0';
    char *release = strstr(text, "\"last-byte\"");
    assert_non_null(release);
    FILE *f = fopen(sc, "w");
    assert_non_null(f);
    fprintf(f, "%.*s\"single-packet\"%s", (int)(release - text), text, release + strlen("\"last-byte\""));
    fclose(f);
    json_t *doc;
    char run[700];
    int rc = window(sc, s.url, (const char *const[]){"--delays", "5ms,60ms", "--trials", "4", NULL}, &doc,
                    out, sizeof(out));
    if (rc != 0 || doc == NULL)
        fail_msg("bookrace window (single-packet) exited %d:\n%s", rc, out);
    assert_window_of_20ms(doc);
    /* The 5 ms point's barriers: HTTP/2, two writes (one per racer), the stagger asked recorded. */
    const char *results = strstr(out, "results: ");
    assert_non_null(results);
    snprintf(run, sizeof(run), "%.*s/points/001-5000us/run.json", (int)strcspn(results + 9, "\n"),
             results + 9);
    json_error_t jerr;
    json_t *r = json_load_file(run, 0, &jerr);
    if (r == NULL)
        fail_msg("%s: %s", run, jerr.text);
    json_t *b =
        json_array_get(json_object_get(json_array_get(json_object_get(r, "trials"), 0), "barriers"), 0);
    assert_string_equal(json_string_value(json_object_get(b, "release")), "single-packet");
    assert_int_equal(num(b, "staggerUs"), 5000);
    assert_int_equal(num(json_object_get(b, "http2"), "writes"), 2);
    json_decref(r);
    json_decref(doc);
    unserve(&s);
}

static void test_no_window_with_the_fix(void **state)
{
    (void)state;
    server s;
    serve(&s, (const char *const[]){"--fix", "A+C", NULL});
    char out[65536];
    json_t *doc;
    int rc =
        window("scenarios/window-pair.json", s.url,
               (const char *const[]){"--delays", "0,5ms,60ms", "--trials", "4", "--expect-no-window", NULL},
               &doc, out, sizeof(out));
    if (rc != 0 || doc == NULL)
        fail_msg("bookrace window --expect-no-window exited %d against A+C:\n%s", rc, out);
    for (size_t i = 0; i < 3; i++) {
        assert_true(num(point(doc, i), "trials") >= 3);
        assert_int_equal(num(point(doc, i), "reproduced"), 0);
    }
    assert_true(json_is_null(json_object_get(doc, "window_us")));
    assert_non_null(strstr(out, "window: none"));
    json_decref(doc);
    unserve(&s);
}

static void test_advance_sweep_of_the_ttl_cache(void **state)
{
    (void)state;
    const char *caches[] = {"ttl:300", "versioned"};
    for (size_t c = 0; c < 2; c++) {
        server s;
        serve(&s, (const char *const[]){"--fix", "none", "--slot-cache", caches[c], "--clock",
                                        "virtual:2026-11-01T00:00:00Z", NULL});
        char out[65536];
        json_t *doc;
        int rc = window(
            "scenarios/stale-cache-same-slot.json", s.url,
            (const char *const[]){"--sweep", "advance", "--delays", "200s,400s", "--trials", "4", NULL}, &doc,
            out, sizeof(out));
        if (rc != 0 || doc == NULL)
            fail_msg("advance sweep against %s exited %d:\n%s", caches[c], rc, out);
        assert_string_equal(json_string_value(json_object_get(doc, "sweep")), "advance");
        /* ttl:300: a list cached at 0 is served until 300 s; versioned: never once a booking changed it. */
        for (size_t i = 0; i < 3; i++)
            assert_int_equal(num(point(doc, i), "reproduced"),
                             c == 0 && i < 2 ? num(point(doc, i), "trials") : 0);
        json_t *w = json_object_get(doc, "window_us");
        if (c == 0) {
            assert_int_equal(num(w, "lo"), 200000000);
            assert_int_equal(num(w, "hi"), 400000000);
        } else {
            assert_true(json_is_null(w));
        }
        json_decref(doc);
        unserve(&s);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    char out[8192];
    json_t *doc;
    /* No server is needed: the command line is refused before a request is sent. */
    int rc = window("scenarios/incident-stale-replay.json", "http://127.0.0.1:9", (const char *const[]){NULL},
                    &doc, out, sizeof(out));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "has no barrier step"));
    assert_null(doc);
    rc = window("scenarios/window-pair.json", "http://127.0.0.1:9",
                (const char *const[]){"--delays", "5ms,2ms", NULL}, &doc, out, sizeof(out));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "not larger than the delay before it"));
    rc = window("scenarios/window-pair.json", "http://127.0.0.1:9",
                (const char *const[]){"--sweep", "advance", NULL}, &doc, out, sizeof(out));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "has no advance step"));
    rc = window("scenarios/window-pair.json", "http://127.0.0.1:9",
                (const char *const[]){"--step", "0", NULL}, &doc, out, sizeof(out));
    assert_int_equal(rc, 2);
    /* A delay whose microseconds overflow was refused as "negative"; an empty item was skipped silently. */
    rc = window("scenarios/window-pair.json", "http://127.0.0.1:9",
                (const char *const[]){"--max", "99999999999999s", NULL}, &doc, out, sizeof(out));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "longer than a day"));
    rc = window("scenarios/window-pair.json", "http://127.0.0.1:9",
                (const char *const[]){"--delays", "5ms,,10ms", NULL}, &doc, out, sizeof(out));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "'' is not a duration"));
    assert_null(doc);
    /* One racer: nothing to stagger, so "no window" would be vacuous (it exited 0). */
    char one[512];
    test_temp_path(one, sizeof(one), "-one-racer.json");
    char pair[1024];
    json_error_t jerr;
    json_t *sc = json_load_file(test_source_path("scenarios/window-pair.json", pair, sizeof(pair)), 0, &jerr);
    assert_non_null(sc);
    json_object_set_new(json_object_get(sc, "actors"), "count", json_integer(1));
    assert_int_equal(json_dump_file(sc, one, 0), 0);
    json_decref(sc);
    rc = window(one, "http://127.0.0.1:9", (const char *const[]){"--delays", "5ms", NULL}, &doc, out,
                sizeof(out));
    if (rc != 2 || strstr(out, "releases 1 racer") == NULL)
        fail_msg("a sweep of a one-racer barrier: exit %d: %s", rc, out);
    assert_null(doc);
    remove(one);
    /* A target that cannot be reached: exit 3, and window.json says so with what was measured (nothing). */
    rc = window("scenarios/window-pair.json", "http://127.0.0.1:9",
                (const char *const[]){"--delays", "5ms", "--trials", "1", NULL}, &doc, out, sizeof(out));
    assert_int_equal(rc, 3);
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "outcome")), "target-error");
    assert_true(json_is_null(json_object_get(doc, "window_us")));
    assert_null(strstr(out, "window: none")); /* no verdict on a window the target never let us measure */
    json_decref(doc);
}

/*
 * A target that answers, but refuses every request (expired credentials: 401): exit 3 at the first delay,
 * with what it answered, never "window: none" and exit 0 (a sweep of rates over no trial at all).
 */
static void test_refusing_target(void **state)
{
    (void)state;
    server s;
    serve(&s, (const char *const[]){"--fix", "none", NULL});
    setenv("BOOKRACE_API_KEY", "expired-key-0042", 1);
    char out[65536];
    json_t *doc;
    int rc =
        window("scenarios/window-pair.json", s.url,
               (const char *const[]){"--delays", "5ms,10ms", "--trials", "2", NULL}, &doc, out, sizeof(out));
    unsetenv("BOOKRACE_API_KEY");
    if (rc != 3 || doc == NULL)
        fail_msg("a sweep against a 401 target exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "answered 2 x 401"));
    assert_null(strstr(out, "window: none"));
    assert_string_equal(json_string_value(json_object_get(doc, "outcome")), "target-error");
    assert_non_null(strstr(json_string_value(json_object_get(doc, "error")), "401"));
    assert_int_equal(json_array_size(json_object_get(doc, "points")), 1); /* stopped at the first delay */
    json_decref(doc);
    /* Every trial inconclusive (no slot of that inspector: nothing raced): no window was measured, so not
     * "window: none" with exit 0, which passed --expect-no-window on zero conclusive trials. */
    rc = window("scenarios/window-pair.json", s.url,
                (const char *const[]){"--delays", "5ms", "--trials", "2", "--var", "inspectorId=nobody",
                                      "--expect-no-window", NULL},
                &doc, out, sizeof(out));
    if (rc != 1 || doc == NULL)
        fail_msg("a sweep of inconclusive trials exited %d:\n%s", rc, out);
    assert_non_null(strstr(out, "every trial of every delay was inconclusive"));
    assert_null(strstr(out, "window: none"));
    assert_string_equal(json_string_value(json_object_get(doc, "outcome")), "inconclusive");
    json_decref(doc);
    unserve(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_barrier_window_of_a_notx),
        cmocka_unit_test(test_barrier_window_over_http2),
        cmocka_unit_test(test_no_window_with_the_fix),
        cmocka_unit_test(test_advance_sweep_of_the_ttl_cache),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_refusing_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
