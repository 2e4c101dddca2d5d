#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "slots.h"

#define MIN INT64_C(60000000)
#define HOUR (60 * MIN)
/* 2026-12-01T00:00:00Z */
#define DAY INT64_C(1796083200000000)

static void test_offsets_are_deterministic_and_in_range(void **state)
{
    (void)state;
    for (double lat = -90; lat <= 90; lat += 7.3)
        for (double lng = -180; lng <= 180; lng += 11.1) {
            int o = bookd_travel_offset_minutes(lat, lng);
            assert_true(o >= 0 && o < 30);
            assert_int_equal(o, bookd_travel_offset_minutes(lat, lng));
        }
    /* 1e-4 degree steps move the offset by a minute: nearby customers get nearby, distinct starts. */
    assert_int_equal(bookd_travel_offset_minutes(30.0026, 0), 26);
    assert_int_equal(bookd_travel_offset_minutes(30.0029, 0), 29);
    assert_int_equal(bookd_travel_offset_minutes(30.0000, -97.0000), (300000 + 970000) % 30);
}

static void test_free_day_has_a_start_every_hour_inside_working_hours(void **state)
{
    (void)state;
    int64_t starts[BOOKD_MAX_SLOTS_PER_INSPECTOR];
    /* 60-minute service, offset 0: 08:00 .. 16:00 (16:00-17:00 still fits). */
    size_t n = bookd_slots_for_inspector(DAY, 0, HOUR, NULL, 0, starts);
    assert_int_equal(n, 9);
    assert_int_equal(starts[0], DAY + 8 * HOUR);
    assert_int_equal(starts[8], DAY + 16 * HOUR);
    /* 120-minute service, offset 26: 08:26 .. 14:26; 15:26 would end 17:26. */
    n = bookd_slots_for_inspector(DAY, 26, 2 * HOUR, NULL, 0, starts);
    assert_int_equal(n, 7);
    assert_int_equal(starts[0], DAY + 8 * HOUR + 26 * MIN);
    assert_int_equal(starts[6], DAY + 14 * HOUR + 26 * MIN);
    for (size_t i = 1; i < n; i++)
        assert_int_equal(starts[i] - starts[i - 1], HOUR);
}

static void test_busy_ranges_exclude_overlapping_slots_only(void **state)
{
    (void)state;
    int64_t starts[BOOKD_MAX_SLOTS_PER_INSPECTOR];
    /* The incident: 09:26-11:26 booked; a customer with offset 29 must not see 09:29 or 10:29. */
    bookd_interval busy[] = {{DAY + 9 * HOUR + 26 * MIN, DAY + 11 * HOUR + 26 * MIN}};
    size_t n = bookd_slots_for_inspector(DAY, 29, 2 * HOUR, busy, 1, starts);
    for (size_t i = 0; i < n; i++) {
        assert_int_not_equal(starts[i], DAY + 9 * HOUR + 29 * MIN);
        assert_int_not_equal(starts[i], DAY + 10 * HOUR + 29 * MIN);
    }
    /* 08:29-10:29 overlaps too (ends after 09:26): left are 11:29 .. 14:29. */
    assert_int_equal(n, 4);
    assert_int_equal(starts[0], DAY + 11 * HOUR + 29 * MIN);
}

static void test_half_open_edges_touching_is_free(void **state)
{
    (void)state;
    int64_t starts[BOOKD_MAX_SLOTS_PER_INSPECTOR];
    /* Busy 09:00-10:00 exactly: the 08:00-09:00 and 10:00-11:00 slots touch it and stay free. */
    bookd_interval busy[] = {{DAY + 9 * HOUR, DAY + 10 * HOUR}};
    size_t n = bookd_slots_for_inspector(DAY, 0, HOUR, busy, 1, starts);
    assert_int_equal(n, 8);
    assert_int_equal(starts[0], DAY + 8 * HOUR);
    assert_int_equal(starts[1], DAY + 10 * HOUR);
    assert_true(bookd_intervals_overlap(0, 10, 9, 20));
    assert_false(bookd_intervals_overlap(0, 10, 10, 20));
    assert_false(bookd_intervals_overlap(10, 20, 0, 10));
    assert_true(bookd_intervals_overlap(0, 100, 10, 20)); /* containment */
}

static void test_busy_whole_day_leaves_nothing(void **state)
{
    (void)state;
    int64_t starts[BOOKD_MAX_SLOTS_PER_INSPECTOR];
    bookd_interval busy[] = {{DAY + 12 * HOUR, DAY + 24 * HOUR}, {DAY, DAY + 12 * HOUR}};
    assert_int_equal(bookd_slots_for_inspector(DAY, 5, HOUR, busy, 2, starts), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_are_deterministic_and_in_range),
        cmocka_unit_test(test_free_day_has_a_start_every_hour_inside_working_hours),
        cmocka_unit_test(test_busy_ranges_exclude_overlapping_slots_only),
        cmocka_unit_test(test_half_open_edges_touching_is_free),
        cmocka_unit_test(test_busy_whole_day_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
