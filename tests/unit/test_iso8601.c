#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "iso8601.h"

static int64_t parse_ok(const char *text)
{
    int64_t us = -1;
    assert_int_equal(br_time_parse(text, strlen(text), &us), 0);
    return us;
}

static int parse_rc(const char *text)
{
    int64_t us = 12345;
    int rc = br_time_parse(text, strlen(text), &us);
    if (rc != 0)
        assert_int_equal(us, 12345); /* untouched on error */
    return rc;
}

static void test_parses_utc_forms(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("2026-12-01T09:26:00Z"), INT64_C(1796117160) * 1000000);
    assert_int_equal(parse_ok("2026-12-01T09:26:00+00:00"), INT64_C(1796117160) * 1000000);
    assert_int_equal(parse_ok("2026-12-01T09:26:00.5Z"), INT64_C(1796117160) * 1000000 + 500000);
    assert_int_equal(parse_ok("2026-12-01T09:26:00.000001Z"), INT64_C(1796117160) * 1000000 + 1);
    assert_int_equal(parse_ok("2024-02-29T23:59:59Z"), INT64_C(1709251199) * 1000000);
}

static void test_rejects_bad_timestamps(void **state)
{
    (void)state;
    assert_int_equal(parse_rc("2026-12-01T09:26:00"), BR_TIME_EZONE);
    assert_int_equal(parse_rc("2026-12-01T09:26:00+01:00"), BR_TIME_EZONE);
    assert_int_equal(parse_rc("2026-12-01T09:26:00-05:00"), BR_TIME_EZONE);
    assert_int_equal(parse_rc("2026-13-01T09:26:00Z"), BR_TIME_ERANGE);
    assert_int_equal(parse_rc("2025-02-29T09:26:00Z"), BR_TIME_ERANGE);
    assert_int_equal(parse_rc("2026-12-01T24:00:00Z"), BR_TIME_ERANGE);
    assert_int_equal(parse_rc("1969-12-31T23:59:59Z"), BR_TIME_ERANGE);
    assert_int_equal(parse_rc("2026-12-01 09:26:00Z"), BR_TIME_EFORMAT);
    assert_int_equal(parse_rc("2026-12-01T09:26Z"), BR_TIME_EFORMAT);
    assert_int_equal(parse_rc("2026-12-01T09:26:00.Z"), BR_TIME_EFORMAT);
    assert_int_equal(parse_rc("2026-12-01T09:26:00.1234567Z"), BR_TIME_EFORMAT);
    assert_int_equal(parse_rc("2026-12-01T09:26:00Zjunk"), BR_TIME_EFORMAT);
    assert_int_equal(parse_rc(""), BR_TIME_EFORMAT);
    assert_int_equal(parse_rc("+2026-12-01T09:26:00Z"), BR_TIME_EFORMAT);
    /* A NUL inside the given length is not a terminator. */
    int64_t us;
    assert_int_equal(br_time_parse("2026-12-01T09:26:00Z\0", 21, &us), BR_TIME_EFORMAT);
}

static void test_format_round_trips(void **state)
{
    (void)state;
    const char *samples[] = {"1970-01-01T00:00:00Z", "2026-12-01T09:26:00Z", "2026-12-01T09:26:00.125Z",
                             "2000-02-29T12:00:00.000001Z", "9999-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char buf[BR_TIME_BUFSIZE];
        size_t n = br_time_format(parse_ok(samples[i]), buf);
        assert_int_equal(n, strlen(samples[i]));
        assert_string_equal(buf, samples[i]);
    }
}

static void test_dates(void **state)
{
    (void)state;
    int64_t us;
    assert_int_equal(br_date_parse("2026-12-01", 10, &us), 0);
    assert_int_equal(us, parse_ok("2026-12-01T00:00:00Z"));
    assert_int_equal(br_date_parse("2026-12-32", 10, &us), BR_TIME_ERANGE);
    assert_int_equal(br_date_parse("2026/12/01", 10, &us), BR_TIME_EFORMAT);
    assert_int_equal(br_date_parse("2026-12-01T", 11, &us), BR_TIME_EFORMAT);
    /* days_from_civil and civil_from_days invert each other across leap rules. */
    for (int64_t d = -1000; d < 200000; d += 37) {
        int64_t y;
        unsigned m, dd;
        br_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(br_days_from_civil(y, m, dd), d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parses_utc_forms),
        cmocka_unit_test(test_rejects_bad_timestamps),
        cmocka_unit_test(test_format_round_trips),
        cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
