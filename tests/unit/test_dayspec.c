/*
 * Relative booking days: every form of the grammar against fixed todays
 * (including a Friday and a Sunday, where "next-weekday" skips the weekend),
 * and the errors.
 */
#include "dayspec.h"

#include "iso8601.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static int64_t day(int y, unsigned m, unsigned d)
{
    return br_days_from_civil(y, m, d);
}

static int64_t resolve(const char *spec, int64_t today)
{
    int64_t out = -1;
    char err[256] = "";
    if (br_dayspec_resolve(spec, today, &out, err, sizeof(err)) != 0)
        fail_msg("%s: %s", spec, err);
    return out;
}

static void test_weekdays(void **state)
{
    (void)state;
    assert_int_equal(br_weekday(0), 3);                 /* 1970-01-01, Thursday */
    assert_int_equal(br_weekday(day(2026, 11, 28)), 5); /* Saturday */
    assert_int_equal(br_weekday(day(2026, 12, 1)), 1);  /* Tuesday */
    assert_int_equal(br_weekday(day(1969, 12, 29)), 0); /* Monday, before the epoch */
}

static void test_forms(void **state)
{
    (void)state;
    int64_t sat = day(2026, 11, 28), fri = day(2026, 11, 27), sun = day(2026, 11, 29);
    assert_int_equal(resolve("2026-12-01", sat), day(2026, 12, 1));
    assert_int_equal(resolve("today", sat), sat);
    assert_int_equal(resolve("tomorrow", sat), sat + 1);
    assert_int_equal(resolve("+0d", sat), sat);
    assert_int_equal(resolve("+14d", sat), day(2026, 12, 12));
    assert_int_equal(resolve("+2w", sat), day(2026, 12, 12));
    assert_int_equal(resolve("+3650d", sat), sat + 3650);
    assert_int_equal(resolve("next-weekday", fri), day(2026, 11, 30)); /* Friday -> Monday */
    assert_int_equal(resolve("next-weekday", sat), day(2026, 11, 30));
    assert_int_equal(resolve("next-weekday", sun), day(2026, 11, 30));
    assert_int_equal(resolve("next-weekday", day(2026, 11, 30)), day(2026, 12, 1));
    assert_int_equal(resolve("next-monday", day(2026, 11, 30)), day(2026, 12, 7)); /* strictly after */
    assert_int_equal(resolve("next-sunday", sat), sun);
    assert_int_equal(resolve("next-tuesday", sat), day(2026, 12, 1));
    assert_false(br_dayspec_is_relative("2026-12-01"));
    assert_true(br_dayspec_is_relative("+14d"));
}

static void test_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "",          "+",       "+d",    "+14",         "+14x",  "+14dd",      "-1d",
        "+3651d",    "+99999d", "next-", "next-funday", "Today", "2026-13-01", "2026-12-01T00:00:00Z",
        "yesterday", "+1d "};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t out = 42;
        char err[256] = "";
        if (br_dayspec_resolve(bad[i], 20000, &out, err, sizeof(err)) == 0)
            fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(out, 42);
        assert_non_null(strstr(err, "next-weekday"));
        char quoted[64];
        snprintf(quoted, sizeof(quoted), "'%s'", bad[i]);
        assert_non_null(strstr(err, quoted));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weekdays),
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
