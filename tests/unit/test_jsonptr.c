#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "jsonptr.h"

static void test_rfc6901_examples(void **state)
{
    (void)state;
    json_error_t e;
    json_t *doc = json_loads("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
                             "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}",
                             0, &e);
    assert_non_null(doc);
    assert_ptr_equal(br_json_pointer_get(doc, ""), doc);
    assert_ptr_equal(br_json_pointer_get(doc, "/foo"), json_object_get(doc, "foo"));
    assert_string_equal(json_string_value(br_json_pointer_get(doc, "/foo/0")), "bar");
    assert_int_equal(json_integer_value(br_json_pointer_get(doc, "/")), 0);
    assert_int_equal(json_integer_value(br_json_pointer_get(doc, "/a~1b")), 1);
    assert_int_equal(json_integer_value(br_json_pointer_get(doc, "/c%d")), 2);
    assert_int_equal(json_integer_value(br_json_pointer_get(doc, "/i\\j")), 5);
    assert_int_equal(json_integer_value(br_json_pointer_get(doc, "/k\"l")), 6);
    assert_int_equal(json_integer_value(br_json_pointer_get(doc, "/ ")), 7);
    assert_int_equal(json_integer_value(br_json_pointer_get(doc, "/m~0n")), 8);
    json_decref(doc);
}

static void test_unresolvable_pointers(void **state)
{
    (void)state;
    json_error_t e;
    json_t *doc = json_loads("{\"list\":[{\"id\":7}],\"n\":1}", 0, &e);
    assert_null(br_json_pointer_get(doc, "/missing"));
    assert_null(br_json_pointer_get(doc, "/list/1"));
    assert_null(br_json_pointer_get(doc, "/list/01")); /* leading zero */
    assert_null(br_json_pointer_get(doc, "/list/-"));  /* past the end */
    assert_null(br_json_pointer_get(doc, "/list/x"));
    assert_null(br_json_pointer_get(doc, "/n/0"));  /* into a scalar */
    assert_null(br_json_pointer_get(doc, "list"));  /* no leading slash */
    assert_null(br_json_pointer_get(doc, "/a~2b")); /* bad escape */
    assert_int_equal(json_integer_value(br_json_pointer_get(doc, "/list/0/id")), 7);
    assert_false(br_json_pointer_valid("x"));
    assert_false(br_json_pointer_valid("/~"));
    assert_false(br_json_pointer_valid(NULL));
    assert_true(br_json_pointer_valid("/~0~1"));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc6901_examples),
        cmocka_unit_test(test_unresolvable_pointers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
