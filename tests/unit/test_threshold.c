/*
 * Thresholds: the k6-style expressions the issue names parse into what they
 * say (units converted, operation and abort read), every malformed one is an
 * error naming its column, and judging uses the histogram, rate and error
 * figures given, at the boundary exactly as the comparison reads.
 */
#include "threshold.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static br_threshold parse_ok(const char *s)
{
    br_threshold t;
    char err[256] = "";
    if (br_threshold_parse(s, &t, err, sizeof(err)) != 0)
        fail_msg("'%s': %s", s, err);
    return t;
}

static void test_parse(void **state)
{
    (void)state;
    br_threshold t = parse_ok("book:p99<50ms");
    assert_string_equal(t.op, "book");
    assert_int_equal(t.metric, BR_TM_PERCENTILE);
    assert_true(t.percentile == 99);
    assert_int_equal(t.cmp, BR_CMP_LT);
    assert_true(t.value == 50000);
    assert_false(t.abort);
    t = parse_ok("all:rate>=1000/s");
    assert_string_equal(t.op, "all");
    assert_int_equal(t.metric, BR_TM_RATE);
    assert_int_equal(t.cmp, BR_CMP_GE);
    assert_true(t.value == 1000);
    t = parse_ok("errors<0.1%");
    assert_string_equal(t.op, "all");
    assert_int_equal(t.metric, BR_TM_ERRORS_PCT);
    assert_true(t.value == 0.1);
    t = parse_ok("fetch_slots:p99.9 <= 1.5s,abort");
    assert_true(t.percentile == 99.9);
    assert_int_equal(t.cmp, BR_CMP_LE);
    assert_true(t.value == 1500000);
    assert_true(t.abort);
    t = parse_ok("max<200us");
    assert_int_equal(t.metric, BR_TM_MAX);
    assert_true(t.value == 200);
    t = parse_ok("book:errors<=3");
    assert_int_equal(t.metric, BR_TM_ERRORS);
    t = parse_ok("requests>100");
    assert_int_equal(t.metric, BR_TM_REQUESTS);
    assert_int_equal(t.cmp, BR_CMP_GT);
    t = parse_ok("mean<2ms");
    assert_int_equal(t.metric, BR_TM_MEAN);
}

static void parse_bad(const char *s, const char *fragment)
{
    br_threshold t;
    char err[256] = "";
    assert_int_equal(br_threshold_parse(s, &t, err, sizeof(err)), -1);
    if (strstr(err, fragment) == NULL)
        fail_msg("'%s': error \"%s\" lacks \"%s\"", s, err, fragment);
}

static void test_parse_errors(void **state)
{
    (void)state;
    parse_bad("book:p99<50", "column 12: a latency needs a unit");
    parse_bad("rate>=1000", "a rate needs /s");
    parse_bad("p99=50ms", "column 4: expected a comparison");
    parse_bad("latency<5ms", "column 1: expected a metric");
    parse_bad("p0<5ms", "expected a metric");
    parse_bad("p101<5ms", "expected a metric");
    parse_bad(":p99<5ms", "operation name");
    parse_bad("bo ok:p99<5ms", "column 3: an operation name");
    parse_bad("p99<-5ms", "expected a number");
    parse_bad("p99<ms", "expected a number");
    parse_bad("errors<101%", "at most 100%");
    parse_bad("requests>1.5", "whole number");
    parse_bad("requests>10/s", "a count takes no unit");
    parse_bad("p99<5ms,stop", "only \",abort\"");
    parse_bad("p99<nan ms", "expected a number");
    char big[300];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    parse_bad(big, "too long");
}

static void test_eval(void **state)
{
    (void)state;
    br_hist *book = malloc(sizeof(br_hist)), *fetch = malloc(sizeof(br_hist)), *all = malloc(sizeof(br_hist));
    br_hist_init(book);
    br_hist_init(fetch);
    br_hist_init(all);
    for (int i = 1; i <= 100; i++)
        br_hist_record(book, i * 1000); /* 1 .. 100 ms: p99 is 99 ms */
    for (int i = 0; i < 900; i++)
        br_hist_record(fetch, 500);
    br_hist_merge(all, book);
    br_hist_merge(all, fetch);
    br_threshold_op ops[2] = {{"fetch_slots", fetch, 900, 0}, {"book", book, 100, 1}};
    br_threshold_input in = {ops, 2, {"all", all, 1000, 1}, 10.0};
    double v;
    br_threshold t = parse_ok("book:p99<50ms");
    assert_int_equal(br_threshold_eval(&t, &in, &v), 0);
    assert_true(v >= 98900 && v <= 99100);
    t = parse_ok("book:p99<100ms");
    assert_int_equal(br_threshold_eval(&t, &in, NULL), 1);
    t = parse_ok("all:rate>=100/s"); /* 1000 requests in 10 s: exactly at the limit */
    assert_int_equal(br_threshold_eval(&t, &in, &v), 1);
    assert_true(v == 100);
    t = parse_ok("all:rate>100/s");
    assert_int_equal(br_threshold_eval(&t, &in, NULL), 0);
    t = parse_ok("errors<0.1%"); /* 1 error in 1001 attempts: 0.0999% */
    assert_int_equal(br_threshold_eval(&t, &in, &v), 1);
    t = parse_ok("book:errors<0.1%"); /* 1 in 101 */
    assert_int_equal(br_threshold_eval(&t, &in, &v), 0);
    assert_true(v > 0.99 && v < 0.991);
    t = parse_ok("fetch_slots:max<=500us");
    assert_int_equal(br_threshold_eval(&t, &in, NULL), 1);
    t = parse_ok("cancel:p99<1ms");
    assert_int_equal(br_threshold_op_index(&t, &in), -1);
    t = parse_ok("book:errors<1,abort");
    assert_true(br_threshold_final_failure(&t, &in));
    t = parse_ok("all:rate>=2000/s,abort"); /* failing now, but a rate can recover */
    assert_false(br_threshold_final_failure(&t, &in));
    char buf[256];
    t = parse_ok("book:p99<50ms");
    br_threshold_eval(&t, &in, &v);
    assert_non_null(strstr(br_threshold_describe(&t, v, buf, sizeof(buf)), "book:p99<50ms: observed 99"));
    free(book);
    free(fetch);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_eval),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
