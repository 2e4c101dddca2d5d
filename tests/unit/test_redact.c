/*
 * Secret redaction: the expanded value and its credential are found and
 * replaced in text (including embedded NULs and overlapping candidates), in
 * every JSON string and object key, and short or duplicate values are not
 * collected.
 */
#include "redact.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_collects_value_and_credential(void **state)
{
    (void)state;
    br_secrets s = {0};
    assert_int_equal(br_secrets_add(&s, "Bearer s3cret-key"), 2);
    assert_int_equal(s.count, 2);
    /* Longest first. */
    assert_string_equal(s.values[0], "Bearer s3cret-key");
    assert_string_equal(s.values[1], "s3cret-key");
    /* Again: nothing new. Too short: ignored. NULL: ignored. */
    assert_int_equal(br_secrets_add(&s, "Bearer s3cret-key"), 0);
    assert_int_equal(br_secrets_add(&s, "abc"), 0);
    assert_int_equal(br_secrets_add(&s, NULL), 0);
    assert_int_equal(s.count, 2);
    br_secrets_free(&s);
    assert_int_equal(s.count, 0);
}

static void test_redacts_text(void **state)
{
    (void)state;
    br_secrets s = {0};
    br_secrets_add(&s, "Bearer k3y-42");
    const char *in = "echo: Authorization: Bearer k3y-42; token k3y-42 and k3y-4";
    size_t n = 0, len = 0;
    char *out = br_redact_text(&s, in, strlen(in), &len, &n);
    assert_string_equal(out, "echo: Authorization: [redacted]; token [redacted] and k3y-4");
    assert_int_equal(n, 2);
    assert_int_equal(len, strlen(out));
    assert_true(br_secrets_found(&s, in, strlen(in)));
    assert_false(br_secrets_found(&s, out, len));
    free(out);
    /* Bytes after an embedded NUL are searched too. */
    const char bin[] = "a\0k3y-42\0b";
    out = br_redact_text(&s, bin, sizeof(bin) - 1, &len, &n);
    assert_int_equal(n, 1);
    assert_int_equal(len, 2 + strlen(BR_REDACTED) + 2);
    assert_memory_equal(out, "a\0[redacted]\0b", len);
    free(out);
    br_secrets_free(&s);
}

static void test_nothing_to_redact_is_a_copy(void **state)
{
    (void)state;
    br_secrets s = {0};
    size_t n = 7;
    char *out = br_redact_text(&s, "plain", 5, NULL, &n);
    assert_string_equal(out, "plain");
    assert_int_equal(n, 0);
    free(out);
    assert_int_equal(br_redact_json(&s, NULL), 0);
}

static void test_redacts_json_values_and_keys(void **state)
{
    (void)state;
    br_secrets s = {0};
    br_secrets_add(&s, "Token t0ps3cret");
    json_error_t e;
    json_t *doc = json_loads("{\"headers\":{\"authorization\":\"Token t0ps3cret\"},"
                             "\"seen\":[\"t0ps3cret\",1,{\"t0ps3cret\":true}],\"ok\":\"fine\"}",
                             0, &e);
    assert_non_null(doc);
    assert_int_equal(br_redact_json(&s, doc), 3);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(text, "{\"headers\":{\"authorization\":\"[redacted]\"},"
                              "\"ok\":\"fine\",\"seen\":[\"[redacted]\",1,{\"[redacted]\":true}]}");
    free(text);
    json_decref(doc);
    br_secrets_free(&s);
}

static void test_set_is_bounded(void **state)
{
    (void)state;
    br_secrets s = {0};
    char v[32];
    for (int i = 0; i < BR_SECRET_MAX + 10; i++) {
        snprintf(v, sizeof(v), "secret-%03d", i);
        br_secrets_add(&s, v);
    }
    assert_int_equal(s.count, BR_SECRET_MAX);
    br_secrets_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collects_value_and_credential),
        cmocka_unit_test(test_redacts_text),
        cmocka_unit_test(test_nothing_to_redact_is_a_copy),
        cmocka_unit_test(test_redacts_json_values_and_keys),
        cmocka_unit_test(test_set_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
