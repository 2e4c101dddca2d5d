/*
 * Execution segments: K/N and auto/N parsing with every error, shares that
 * add up to the whole load for many (total, N) pairs, and the plans of
 * disjoint and shared days.
 */
#include "segment.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static br_segment parse_ok(const char *spec, const char *env)
{
    br_segment s;
    char err[256] = "";
    if (br_segment_parse(spec, env, &s, err, sizeof(err)) != 0)
        fail_msg("%s: %s", spec, err);
    return s;
}

static void expect_error(const char *spec, const char *env, const char *needle)
{
    br_segment s;
    char err[256] = "";
    assert_int_equal(br_segment_parse(spec, env, &s, err, sizeof(err)), -1);
    if (strstr(err, needle) == NULL)
        fail_msg("%s: error '%s' lacks '%s'", spec, err, needle);
}

static void test_parse(void **state)
{
    (void)state;
    br_segment s = parse_ok("0/4", NULL);
    assert_int_equal(s.index, 0);
    assert_int_equal(s.count, 4);
    assert_int_equal(s.from_env, 0);
    s = parse_ok("3/4", "1");
    assert_int_equal(s.index, 3);
    s = parse_ok("auto/4", "2");
    assert_int_equal(s.index, 2);
    assert_int_equal(s.count, 4);
    assert_int_equal(s.from_env, 1);
    s = parse_ok("0/1", NULL);
    assert_int_equal(s.count, 1);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error("4/4", NULL, "from 0 to 3");
    expect_error("-1/4", NULL, "from 0 to 3");
    expect_error("1", NULL, "expected K/N");
    expect_error("1/0", NULL, "N must be");
    expect_error("1/1025", NULL, "N must be");
    expect_error("1/4x", NULL, "N must be");
    expect_error("/4", NULL, "K must be");
    expect_error("auto/4", NULL, "JOB_COMPLETION_INDEX is not set");
    expect_error("auto/4", "", "JOB_COMPLETION_INDEX is not set");
    expect_error("auto/4", "4", "JOB_COMPLETION_INDEX='4'");
    expect_error("auto/4", "x", "JOB_COMPLETION_INDEX='x'");
}

/* The shares of every segment cover 0..total exactly once, in order, sizes within one of each other. */
static void test_shares_cover_the_whole(void **state)
{
    (void)state;
    for (int64_t total = 0; total < 200; total += 7)
        for (int n = 1; n <= 16; n++) {
            int64_t next = 0, smallest = INT64_MAX, largest = 0;
            for (int k = 0; k < n; k++) {
                int64_t lo, hi;
                br_segment_share(k, n, total, &lo, &hi);
                assert_int_equal(lo, next);
                assert_true(hi >= lo);
                next = hi;
                smallest = hi - lo < smallest ? hi - lo : smallest;
                largest = hi - lo > largest ? hi - lo : largest;
            }
            assert_int_equal(next, total);
            assert_true(largest - smallest <= 1);
        }
}

static br_segment_plan plan_ok(const char *spec, int shared, long conns, double rate, long days,
                               size_t actors)
{
    br_segment s = parse_ok(spec, NULL);
    s.shared_days = shared;
    br_segment_plan p;
    char err[256] = "";
    if (br_segment_plan_make(&s, conns, rate, days, actors, &p, err, sizeof(err)) != 0)
        fail_msg("%s: %s", spec, err);
    return p;
}

/* Four segments of a 10-connection, 1000/s, 14-day, 16-actor load add up to that load. */
static void test_plans_add_up(void **state)
{
    (void)state;
    for (int shared = 0; shared <= 1; shared++) {
        long conns = 0, days = 0;
        size_t actors = 0;
        double rate = 0;
        for (int k = 0; k < 4; k++) {
            char spec[16];
            snprintf(spec, sizeof(spec), "%d/4", k);
            br_segment_plan p = plan_ok(spec, shared, 10, 1000, 14, 16);
            conns += p.connections;
            rate += p.rate;
            assert_true(p.connections == 2 || p.connections == 3);
            if (shared) {
                assert_int_equal(p.day_lo, 0);
                assert_int_equal(p.day_hi, 14);
                assert_int_equal(p.actor_lo, (size_t)k * 4);
                actors += p.actor_hi - p.actor_lo;
            } else {
                assert_int_equal(p.actor_lo, 0);
                assert_int_equal(p.actor_hi, 16);
                assert_int_equal(p.day_lo, days);
                days += p.day_hi - p.day_lo;
            }
        }
        assert_int_equal(conns, 10);
        assert_true(rate > 999.999 && rate < 1000.001);
        assert_int_equal(shared ? (long)actors : days, shared ? 16 : 14);
    }
}

static void test_unsegmented_and_url_loads(void **state)
{
    (void)state;
    br_segment none = {0};
    br_segment_plan p;
    char err[256];
    assert_int_equal(br_segment_plan_make(&none, 7, 0, 3, 5, &p, err, sizeof(err)), 0);
    assert_int_equal(p.connections, 7);
    assert_int_equal(p.day_hi, 3);
    assert_int_equal(p.actor_hi, 5);
    /* A plain URL load (no actors, no days to share) needs only connections. */
    p = plan_ok("1/2", 0, 4, 100, 1, 0);
    assert_int_equal(p.connections, 2);
    assert_true(p.rate > 49.99 && p.rate < 50.01);
}

static void test_plan_errors(void **state)
{
    (void)state;
    br_segment s = parse_ok("0/4", NULL);
    br_segment_plan p;
    char err[256];
    assert_int_equal(br_segment_plan_make(&s, 3, 0, 14, 16, &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--connections 3"));
    assert_int_equal(br_segment_plan_make(&s, 8, 0, 3, 16, &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--days 3"));
    assert_non_null(strstr(err, "--shared-days"));
    s.shared_days = 1;
    assert_int_equal(br_segment_plan_make(&s, 8, 0, 3, 2, &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "has 2"));
    assert_int_equal(br_segment_plan_make(&s, 8, 0, 3, 4, &p, err, sizeof(err)), 0);
}

static void test_json(void **state)
{
    (void)state;
    br_segment s = parse_ok("auto/4", "1");
    s.shared_days = 1;
    br_segment_plan p = {
        .connections = 2, .rate = 250, .day_lo = 0, .day_hi = 14, .actor_lo = 4, .actor_hi = 8};
    json_t *j = br_segment_json(&s, &p);
    assert_int_equal(json_integer_value(json_object_get(j, "index")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "count")), 4);
    assert_true(json_is_true(json_object_get(j, "sharedDays")));
    assert_true(json_is_true(json_object_get(j, "fromEnv")));
    assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "actors"), 1)), 8);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_shares_cover_the_whole),
        cmocka_unit_test(test_plans_add_up),
        cmocka_unit_test(test_unsegmented_and_url_loads),
        cmocka_unit_test(test_plan_errors),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
