/* Unit tests of http_head.c: bookd's request-head framing and Host rules, field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "http_head.h"

/* Builds fields from "name", "value" pairs (NULL-terminated) and checks them as HTTP/1.|minor|. */
static bookd_head_verdict check(int minor, const char *const *pairs)
{
    bookd_head_field f[16];
    size_t n = 0;
    for (; pairs[2 * n] != NULL; n++)
        f[n] = (bookd_head_field){pairs[2 * n], strlen(pairs[2 * n]), pairs[2 * n + 1],
                                  strlen(pairs[2 * n + 1])};
    return bookd_head_check(minor, f, n);
}

static void test_framing_rules(void **state)
{
    (void)state;
    const char *ok[] = {"Host", "x", "Content-Length", "12", NULL};
    assert_int_equal(check(1, ok), BOOKD_HEAD_OK);
    const char *ok_chunked[] = {"host", "x", "transfer-encoding", " Chunked ", NULL};
    assert_int_equal(check(1, ok_chunked), BOOKD_HEAD_OK);
    const char *two[] = {"Host", "x", "Content-Length", "2", "content-length", "30", NULL};
    assert_int_equal(check(1, two), BOOKD_HEAD_DUPLICATE_LENGTH);
    const char *same[] = {"Host", "x", "Content-Length", "2", "Content-Length", "2", NULL};
    assert_int_equal(check(1, same), BOOKD_HEAD_DUPLICATE_LENGTH);
    const char *both[] = {"Host", "x", "Transfer-Encoding", "chunked", "Content-Length", "5", NULL};
    assert_int_equal(check(1, both), BOOKD_HEAD_LENGTH_AND_CHUNKED);
    const char *list[] = {"Host", "x", "Content-Length", "2, 30", NULL};
    assert_int_equal(check(1, list), BOOKD_HEAD_BAD_LENGTH);
    const char *plus[] = {"Host", "x", "Content-Length", "+5", NULL};
    assert_int_equal(check(1, plus), BOOKD_HEAD_BAD_LENGTH);
    const char *empty[] = {"Host", "x", "Content-Length", "", NULL};
    assert_int_equal(check(1, empty), BOOKD_HEAD_BAD_LENGTH);
    const char *gzip[] = {"Host", "x", "Transfer-Encoding", "gzip, chunked", NULL};
    assert_int_equal(check(1, gzip), BOOKD_HEAD_BAD_ENCODING);
    const char *two_te[] = {"Host",    "x", "Transfer-Encoding", "chunked", "Transfer-Encoding",
                            "chunked", NULL};
    assert_int_equal(check(1, two_te), BOOKD_HEAD_BAD_ENCODING);
}

static void test_host_rules(void **state)
{
    (void)state;
    const char *none[] = {"Accept", "*/*", NULL};
    assert_int_equal(check(1, none), BOOKD_HEAD_NO_HOST);
    assert_int_equal(check(0, none), BOOKD_HEAD_OK);
    const char *two[] = {"Host", "a", "host", "a", NULL};
    assert_int_equal(check(1, two), BOOKD_HEAD_DUPLICATE_HOST);
    assert_int_equal(check(0, two), BOOKD_HEAD_DUPLICATE_HOST);
    const char *bad[] = {"Host", "a b", NULL};
    assert_int_equal(check(1, bad), BOOKD_HEAD_BAD_HOST);
    const char *blank[] = {"Host", "", NULL};
    assert_int_equal(check(1, blank), BOOKD_HEAD_BAD_HOST);
    const char *good[] = {"Host", "[::1]:8080", NULL};
    assert_int_equal(check(1, good), BOOKD_HEAD_OK);
}

static void test_names_and_markers(void **state)
{
    (void)state;
    for (int v = BOOKD_HEAD_DUPLICATE_LENGTH; v <= BOOKD_HEAD_BAD_HOST; v++) {
        size_t len;
        const char *m = bookd_head_marker((bookd_head_verdict)v, &len);
        assert_int_equal(bookd_head_marker_verdict(m, len), v);
        assert_true(strlen(bookd_head_verdict_code((bookd_head_verdict)v)) > 0);
        assert_non_null(strstr(bookd_head_verdict_detail((bookd_head_verdict)v), "RFC 9112"));
    }
    /* Ordinary targets carry no verdict. */
    assert_int_equal(bookd_head_marker_verdict("/", 1), BOOKD_HEAD_OK);
    assert_int_equal(bookd_head_marker_verdict("/1", 2), BOOKD_HEAD_OK);
    assert_int_equal(bookd_head_marker_verdict("\x01"
                                               "0",
                                               2),
                     BOOKD_HEAD_OK);
    assert_int_equal(bookd_head_marker_verdict("\x01"
                                               "9",
                                               2),
                     BOOKD_HEAD_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framing_rules),
        cmocka_unit_test(test_host_rules),
        cmocka_unit_test(test_names_and_markers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
