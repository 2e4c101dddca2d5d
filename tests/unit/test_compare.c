/*
 * The comparison statistics against known values: Mann-Whitney U and its
 * asymptotic p-value on scipy's documented example (males vs females: U 17,
 * p 0.1113) and on two separated samples (U 0, p 0.0122); bootstrap intervals
 * that contain 0 for identical samples, bracket a true 10% change and repeat
 * exactly with the same seed; verdicts that gate on the interval's bound.
 */
#include "compare.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void near(double got, double want, double tol)
{
    if (fabs(got - want) > tol)
        fail_msg("got %.6f, want %.6f", got, want);
}

static void test_mann_whitney_known(void **state)
{
    (void)state;
    /* scipy.stats.mannwhitneyu docs: mannwhitneyu(males, females, method="asymptotic") -> U 17, p 0.111347 */
    double males[] = {19, 22, 16, 29, 24}, females[] = {20, 11, 17, 12};
    br_mann_whitney r = br_mann_whitney_u(males, 5, females, 4);
    near(r.u, 17, 1e-12);
    near(r.p_value, 0.11134688653314041, 1e-9);
    /* Fully separated: U 0, z (0 - 12.5 + 0.5) / sqrt(25 * 11 / 12), p 0.012186. */
    double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
    r = br_mann_whitney_u(a, 5, b, 5);
    near(r.u, 0, 1e-12);
    near(r.z, -12.0 / sqrt(25.0 * 11 / 12), 1e-12);
    near(r.p_value, 0.012185, 5e-6);
    /* Symmetric, and ties averaged: all equal gives p 1. */
    near(br_mann_whitney_u(b, 5, a, 5).u, 25, 1e-12);
    double same[] = {3, 3, 3};
    near(br_mann_whitney_u(same, 3, same, 3).p_value, 1, 1e-12);
    near(br_mann_whitney_u(a, 0, b, 5).p_value, 1, 1e-12);
}

static void test_median(void **state)
{
    (void)state;
    double v[] = {5, 1, 4, 2, 3};
    near(br_median(v, 5), 3, 0);
    near(br_median(v, 4), 3, 0); /* 1 2 4 5 */
    near(br_median(v, 0), 0, 0);
}

/* A deterministic noisy series around |level|: +-5% in a fixed pattern. */
static void series(double *v, size_t n, double level, unsigned salt)
{
    for (size_t i = 0; i < n; i++)
        v[i] = level * (1 + 0.05 * sin((double)(i * 7 + salt) * 1.3));
}

static void test_bootstrap(void **state)
{
    (void)state;
    double base[40], same[40], slower[40];
    series(base, 40, 1000, 0);
    series(same, 40, 1000, 3);
    series(slower, 40, 900, 5);
    double lo, hi;
    double c = br_bootstrap_change(base, 40, same, 40, 2000, 0.95, 1, &lo, &hi);
    assert_true(lo <= 0 && hi >= 0);
    assert_true(fabs(c) < 3);
    c = br_bootstrap_change(base, 40, slower, 40, 2000, 0.95, 1, &lo, &hi);
    assert_true(lo < -10 + 0.5 && hi > -10 - 0.5); /* the true change is in the interval */
    assert_true(hi < -5);                          /* and the interval is clearly below 0 */
    double lo2, hi2;
    br_bootstrap_change(base, 40, slower, 40, 2000, 0.95, 1, &lo2, &hi2);
    assert_true(lo == lo2 && hi == hi2);
}

static void test_verdicts(void **state)
{
    (void)state;
    double base[40], same[40], slower[40], faster_latency[40], worse_latency[40];
    series(base, 40, 1000, 0);
    series(same, 40, 1000, 3);
    series(slower, 40, 900, 5);
    series(faster_latency, 40, 800, 2);
    series(worse_latency, 40, 1250, 4);
    char buf[200];
    br_change c = br_change_judge(base, 40, same, 40, 1, 5);
    assert_int_equal(c.verdict, BR_CHANGE_NONE);
    assert_non_null(strstr(br_change_format(&c, buf, sizeof(buf)), "no significant change"));
    /* Throughput -10%: worse by 10, whole interval past a 5% limit. */
    c = br_change_judge(base, 40, slower, 40, 1, 5);
    assert_int_equal(c.verdict, BR_CHANGE_REGRESSION);
    assert_true(c.worse_lo_pct > 5 && c.worse_pct > 9 && c.worse_pct < 11);
    /* The same drop with a 20% allowance is worse, not a regression. */
    c = br_change_judge(base, 40, slower, 40, 1, 20);
    assert_int_equal(c.verdict, BR_CHANGE_WORSE);
    /* Latency: lower is better. */
    c = br_change_judge(base, 40, faster_latency, 40, 0, 5);
    assert_int_equal(c.verdict, BR_CHANGE_BETTER);
    c = br_change_judge(base, 40, worse_latency, 40, 0, 10);
    assert_int_equal(c.verdict, BR_CHANGE_REGRESSION);
    br_change_format(&c, buf, sizeof(buf));
    if (strstr(buf, "REGRESSION +2") == NULL)
        fail_msg("%s", buf);
    /* Three samples a side cannot reach significance: never a regression on that little evidence. */
    double b3[] = {1000, 1010, 990}, n3[] = {500, 510, 490};
    c = br_change_judge(b3, 3, n3, 3, 1, 5);
    assert_int_equal(c.verdict, BR_CHANGE_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mann_whitney_known),
        cmocka_unit_test(test_median),
        cmocka_unit_test(test_bootstrap),
        cmocka_unit_test(test_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
