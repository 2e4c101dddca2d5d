/*
 * Wilson intervals against published values (Newcombe 1998, table I; and the
 * textbook 0/10, 5/10, 10/10 cases), the printed form, and rate judgements
 * that say "undecided" instead of passing by luck.
 */
#include "stats.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void close_to(double got, double want)
{
    if (got < want - 0.00006 || got > want + 0.00006)
        fail_msg("got %.5f, want %.4f", got, want);
}

static void test_known_values(void **state)
{
    (void)state;
    struct {
        size_t k, n;
        double lo, hi;
    } rows[] = {
        {81, 263, 0.2553, 0.3662}, /* Newcombe 1998, example (a) */
        {15, 148, 0.0624, 0.1605}, /* example (b) */
        {0, 20, 0.0000, 0.1611},   /* example (c) */
        {1, 29, 0.0061, 0.1718},   /* example (d) */
        {0, 10, 0.0000, 0.2775},   {5, 10, 0.2366, 0.7634}, {10, 10, 0.7225, 1.0000}, {9, 10, 0.5958, 0.9821},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        double lo, hi;
        br_wilson(rows[i].k, rows[i].n, BR_Z95, &lo, &hi);
        close_to(lo, rows[i].lo);
        close_to(hi, rows[i].hi);
    }
    double lo, hi;
    br_wilson(0, 0, BR_Z95, &lo, &hi);
    assert_true(lo == 0.0 && hi == 1.0);
}

static void test_format(void **state)
{
    (void)state;
    char buf[64];
    assert_string_equal(br_rate_format(9, 10, buf, sizeof(buf)), "9/10 (90%, 95% CI 59-99%)");
    assert_string_equal(br_rate_format(0, 10, buf, sizeof(buf)), "0/10 (0%, 95% CI 0-28%)");
    assert_string_equal(br_rate_format(10, 10, buf, sizeof(buf)), "10/10 (100%, 95% CI 72-100%)");
    assert_string_equal(br_rate_format(0, 0, buf, sizeof(buf)), "0/0 (no trials)");
}

/* The JSON form carries the same numbers as the text, and no rate for no trials. */
static void test_rate_json(void **state)
{
    (void)state;
    json_t *j = br_rate_json(9, 10);
    assert_int_equal(json_integer_value(json_object_get(j, "k")), 9);
    assert_int_equal(json_integer_value(json_object_get(j, "n")), 10);
    close_to(json_real_value(json_object_get(j, "rate")), 0.9);
    close_to(json_real_value(json_array_get(json_object_get(j, "ci95"), 0)), 0.5958);
    close_to(json_real_value(json_array_get(json_object_get(j, "ci95"), 1)), 0.9821);
    assert_string_equal(json_string_value(json_object_get(j, "text")), "9/10 (90%, 95% CI 59-99%)");
    json_decref(j);
    j = br_rate_json(0, 0);
    assert_true(json_is_null(json_object_get(j, "rate")));
    close_to(json_real_value(json_array_get(json_object_get(j, "ci95"), 1)), 1.0);
    json_decref(j);
}

static void test_rate_judgement(void **state)
{
    (void)state;
    /* violation>=0.6: 3/3 cannot tell (interval 0.44-1), 10/10 can (0.72-1). */
    assert_int_equal(br_rate_at_least(3, 3, 0.6), -1);
    assert_int_equal(br_rate_at_least(10, 10, 0.6), 1);
    /* 0/10 is clearly below 0.6; 5/10 straddles it. */
    assert_int_equal(br_rate_at_least(0, 10, 0.6), 0);
    assert_int_equal(br_rate_at_least(5, 10, 0.6), -1);
    assert_int_equal(br_rate_at_least(0, 0, 0.6), -1);
    assert_int_equal(br_rate_at_least(0, 0, 0.0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_rate_json),
        cmocka_unit_test(test_rate_judgement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
