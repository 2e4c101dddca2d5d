#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "seed.h"

static void test_demo_seed(void **state)
{
    (void)state;
    bookd_store *s;
    char err[256];
    assert_int_equal(bookd_store_sqlite_open(":memory:", 100, &s, err, sizeof(err)), 0);
    assert_int_equal(bookd_seed(s, "demo", err, sizeof(err)), 0);
    assert_int_equal(bookd_seed(s, "demo", err, sizeof(err)), 0); /* idempotent */
    bookd_catalog cat;
    assert_int_equal(s->ops->load_catalog(s, &cat), 0);
    assert_int_equal(cat.company_count, 2);
    assert_string_equal(cat.companies[0].id, "acme");
    assert_string_equal(cat.companies[0].api_key, "acme-key");
    assert_int_equal(cat.companies[0].inspector_count, 3);
    assert_string_equal(cat.companies[1].id, "globex");
    assert_int_equal(cat.companies[1].service_count, 2);
    assert_string_equal(cat.companies[1].services[0].id, "full-inspection");
    assert_int_equal(cat.companies[1].services[0].duration_minutes, 120);
    assert_int_equal(cat.companies[1].services[1].duration_minutes, 60);
    bookd_catalog_free(&cat);
    bookd_store_del(s);
}

static void test_bad_seeds_name_where(void **state)
{
    (void)state;
    struct {
        const char *json, *mentions;
    } cases[] = {
        {"{\"companies\": [\n  {\"id\": \"a\",}\n]}", "x.json:2:"},
        {"[]", "(top level)"},
        {"{\"companies\": []}", "non-empty"},
        {"{\"companies\": [], \"extra\": 1}", "unknown key 'extra'"},
        {"{\"companies\":[{\"id\":\"a "
         "b\",\"apiKey\":\"k\",\"inspectors\":[\"x\"],\"services\":[{\"id\":\"s\","
         "\"durationMinutes\":60}]}]}",
         "companies[0]: 'id'"},
        {"{\"companies\":[{\"id\":\"a\",\"apiKey\":\"k\",\"inspectors\":[\"x\"],\"services\":[{\"id\":\"s\","
         "\"durationMinutes\":0}]}]}",
         "companies[0].services[0]: 'durationMinutes'"},
        {"{\"companies\":[{\"id\":\"a\",\"apiKey\":\"k\",\"inspectors\":[7],\"services\":[{\"id\":\"s\","
         "\"durationMinutes\":30}]}]}",
         "companies[0].inspectors[0]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bookd_store *s;
        char err[256] = "";
        assert_int_equal(bookd_store_sqlite_open(":memory:", 100, &s, err, sizeof(err)), 0);
        assert_int_equal(
            bookd_seed_from_json(s, cases[i].json, strlen(cases[i].json), "x.json", err, sizeof(err)), -1);
        if (strstr(err, cases[i].mentions) == NULL)
            fail_msg("case %zu: '%s' does not mention '%s'", i, err, cases[i].mentions);
        /* Nothing was half-written. */
        bookd_catalog cat;
        assert_int_equal(s->ops->load_catalog(s, &cat), 0);
        assert_int_equal(cat.company_count, 0);
        bookd_store_del(s);
    }
    bookd_store *s;
    char err[256];
    assert_int_equal(bookd_store_sqlite_open(":memory:", 100, &s, err, sizeof(err)), 0);
    assert_int_equal(bookd_seed(s, "/nonexistent/seed.json", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/seed.json"));
    bookd_store_del(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_seed),
        cmocka_unit_test(test_bad_seeds_name_where),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
