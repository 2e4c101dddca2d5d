#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

static void test_grows_and_escapes(void **state)
{
    (void)state;
    bookd_strbuf b;
    bookd_strbuf_init(&b, 1, 0);
    for (int i = 0; i < 1000; i++)
        bookd_strbuf_printf(&b, "%d,", i);
    assert_false(b.failed);
    assert_int_equal(b.len, strlen(b.data));
    bookd_strbuf_free(&b);

    bookd_strbuf_init(&b, 4, 0);
    bookd_strbuf_json_string(&b, "a\"b\\c\nd\x01\x1f"
                                 "\xc3\xa9");
    size_t len;
    char *out = bookd_strbuf_take(&b, &len);
    assert_string_equal(out, "\"a\\\"b\\\\c\\nd\\u0001\\u001f\xc3\xa9\"");
    assert_int_equal(len, strlen(out));
    free(out);

    bookd_strbuf_init(&b, 4, 0);
    bookd_strbuf_json_time(&b, INT64_C(1796117160000000));
    out = bookd_strbuf_take(&b, NULL);
    assert_string_equal(out, "\"2026-12-01T09:26:00Z\"");
    free(out);
}

static void test_limit_fails_the_whole_buffer(void **state)
{
    (void)state;
    bookd_strbuf b;
    bookd_strbuf_init(&b, 4, 8);
    bookd_strbuf_puts(&b, "12345678");
    assert_false(b.failed);
    bookd_strbuf_puts(&b, "9");
    assert_true(b.failed);
    bookd_strbuf_puts(&b, "more");
    assert_null(bookd_strbuf_take(&b, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grows_and_escapes),
        cmocka_unit_test(test_limit_fails_the_whole_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
