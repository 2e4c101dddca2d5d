#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "jsonload.h"

static void test_errors_carry_file_line_column(void **state)
{
    (void)state;
    char err[600];
    FILE *f = fopen("jsonload-test.json", "w");
    fputs("{\n  \"a\": 1,\n  \"a\": 2\n}\n", f);
    fclose(f);
    assert_null(br_json_load_file("jsonload-test.json", err, sizeof(err)));
    assert_non_null(strstr(err, "jsonload-test.json:3:"));
    assert_non_null(strstr(err, "duplicate"));
    f = fopen("jsonload-test.json", "w");
    fputs("{\"a\": [1, 2,]}", f);
    fclose(f);
    assert_null(br_json_load_file("jsonload-test.json", err, sizeof(err)));
    assert_non_null(strstr(err, "jsonload-test.json:1:"));
    remove("jsonload-test.json");
    assert_null(br_json_load_file("/nonexistent/x.json", err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/x.json: No such file"));
    /* A folder given for a file (bookrace report results/...) was "1:0: '[' or '{' expected". */
    assert_null(br_json_load_file(".", err, sizeof(err)));
    assert_non_null(strstr(err, ".: is a directory"));
}

static void test_key_check(void **state)
{
    (void)state;
    char err[600];
    json_t *o = json_pack("{s:i, s:i}", "name", 1, "nmae", 2);
    const char *const allowed[] = {"name", "steps", NULL};
    assert_int_equal(br_json_check_keys(o, allowed, "steps[0]", err, sizeof(err)), -1);
    assert_string_equal(err, "steps[0]: unknown key 'nmae' (expected one of: name, steps)");
    json_object_del(o, "nmae");
    assert_int_equal(br_json_check_keys(o, allowed, "x", err, sizeof(err)), 0);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors_carry_file_line_column),
        cmocka_unit_test(test_key_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
