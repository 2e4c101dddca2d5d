#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clock.h"

static void test_virtual_clock_stands_still_and_moves_on_request(void **state)
{
    (void)state;
    bookd_clock *c = bookd_clock_new(BOOKD_CLOCK_VIRTUAL, 1000);
    assert_non_null(c);
    assert_int_equal(bookd_clock_now_us(c), 1000);
    assert_int_equal(bookd_clock_now_us(c), 1000);
    assert_int_equal(bookd_clock_advance(c, 180 * INT64_C(1000000)), 0);
    assert_int_equal(bookd_clock_now_us(c), 1000 + 180 * INT64_C(1000000));
    assert_int_equal(bookd_clock_set(c, 42), 0);
    assert_int_equal(bookd_clock_now_us(c), 42);
    bookd_clock_del(c);
}

static void test_real_clock_cannot_be_moved(void **state)
{
    (void)state;
    bookd_clock *c = bookd_clock_new(BOOKD_CLOCK_REAL, 0);
    int64_t before = bookd_wall_now_us();
    int64_t now = bookd_clock_now_us(c);
    assert_true(now >= before);
    assert_int_equal(bookd_clock_advance(c, 1), -1);
    assert_int_equal(bookd_clock_set(c, 1), -1);
    assert_true(bookd_clock_now_us(c) >= now);
    bookd_clock_del(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtual_clock_stands_still_and_moves_on_request),
        cmocka_unit_test(test_real_clock_cannot_be_moved),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
