#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "hist.h"

static br_hist *new_hist(void)
{
    br_hist *h = malloc(sizeof(*h));
    br_hist_init(h);
    return h;
}

static void test_bucket_arithmetic(void **state)
{
    (void)state;
    /* Exact below 2048; every value lies in [lowest, highest] of its bucket; relative width < 0.1%. */
    for (int64_t v = 0; v < 2048; v++)
        assert_int_equal(br_hist_lowest(br_hist_index(v)), v);
    for (int64_t v = 2048; v < INT64_C(1) << 40; v = v * 1.37 + 1) {
        size_t i = br_hist_index(v);
        int64_t lo = br_hist_lowest(i), hi = br_hist_highest(i);
        assert_true(lo <= v && v <= hi);
        assert_true((double)(hi - lo + 1) / (double)lo <= 1.0 / 1024 + 1e-12);
        assert_int_equal(br_hist_index(lo), i);
        assert_int_equal(br_hist_index(hi), i);
        assert_int_equal(br_hist_index(hi + 1), i + 1);
    }
    assert_int_equal(br_hist_index(-5), 0);
    assert_int_equal(br_hist_index(INT64_MAX), BR_HIST_BUCKETS - 1);
}

static void test_percentiles_to_three_digits(void **state)
{
    (void)state;
    br_hist *h = new_hist();
    /* 1..100000 us, once each: pN is N% of 100000 within 0.1%. */
    for (int64_t v = 1; v <= 100000; v++)
        br_hist_record(h, v);
    assert_int_equal(h->total, 100000);
    double ps[] = {50, 90, 99, 99.9, 99.99};
    for (size_t i = 0; i < 5; i++) {
        double want = ps[i] * 1000;
        double got = (double)br_hist_percentile(h, ps[i]);
        assert_true(got >= want && got <= want * 1.001 + 1);
    }
    assert_int_equal(br_hist_percentile(h, 100), 100000);
    assert_int_equal(h->min, 1);
    assert_true(br_hist_mean(h) > 50000 && br_hist_mean(h) < 50001);
    free(h);
}

static void test_small_counts_and_empty(void **state)
{
    (void)state;
    br_hist *h = new_hist();
    assert_int_equal(br_hist_percentile(h, 99), 0);
    br_hist_record(h, 7);
    br_hist_record(h, 1000000);
    /* Nearest rank: p50 of two values is the first, p51 the second (capped at the recorded max). */
    assert_int_equal(br_hist_percentile(h, 50), 7);
    assert_int_equal(br_hist_percentile(h, 51), 1000000);
    assert_int_equal(br_hist_percentile(h, 99.99), 1000000);
    free(h);
}

static void test_merge_equals_recording_everything_in_one(void **state)
{
    (void)state;
    br_hist *a = new_hist(), *b = new_hist(), *all = new_hist();
    for (int64_t v = 1; v < 50000; v += 7) {
        br_hist_record(v % 2 ? a : b, v * 3);
        br_hist_record(all, v * 3);
    }
    br_hist_merge(a, b);
    assert_int_equal(a->total, all->total);
    assert_int_equal(a->min, all->min);
    assert_int_equal(a->max, all->max);
    for (double p = 1; p <= 100; p += 3.3)
        assert_int_equal(br_hist_percentile(a, p), br_hist_percentile(all, p));
    free(a);
    free(b);
    free(all);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket_arithmetic),
        cmocka_unit_test(test_percentiles_to_three_digits),
        cmocka_unit_test(test_small_counts_and_empty),
        cmocka_unit_test(test_merge_equals_recording_everything_in_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
