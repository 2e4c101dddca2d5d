#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "options.h"

static int parse(bookd_options *o, char *err, int argc, char **argv)
{
    return bookd_options_parse(argc, argv, o, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    bookd_options o;
    char err[256];
    char *argv[] = {"bookd"};
    assert_int_equal(parse(&o, err, 1, argv), BOOKD_OPTIONS_OK);
    assert_string_equal(o.listen_host, "127.0.0.1");
    assert_int_equal(o.listen_port, 8080);
    assert_string_equal(o.db_path, "bookd.db");
    assert_int_equal(o.fix, BOOKD_FIX_A_C);
    assert_int_equal(o.cache_mode, BOOKD_CACHE_VERSIONED);
    assert_int_equal(o.clock_kind, BOOKD_CLOCK_REAL);
    assert_int_equal(o.race_window_us, 0);
    assert_string_equal(o.seed, "demo");
    assert_true(o.threads >= 1);
}

static void test_every_flag(void **state)
{
    (void)state;
    bookd_options o;
    char err[256];
    char *argv[] = {"bookd",
                    "--listen",
                    "0.0.0.0:0",
                    "--db",
                    "x.db",
                    "--fix",
                    "A-notx",
                    "--slot-cache=ttl:300",
                    "--clock",
                    "virtual:2026-12-01T08:00:00Z",
                    "--race-window-us",
                    "2000",
                    "--threads",
                    "3",
                    "--seed",
                    "none",
                    "--delay-us",
                    "40"};
    assert_int_equal(parse(&o, err, 18, argv), BOOKD_OPTIONS_OK);
    assert_string_equal(o.listen_host, "0.0.0.0");
    assert_int_equal(o.listen_port, 0);
    assert_string_equal(o.db_path, "x.db");
    assert_int_equal(o.fix, BOOKD_FIX_A_NOTX);
    assert_int_equal(o.cache_mode, BOOKD_CACHE_TTL);
    assert_int_equal(o.cache_ttl_us, INT64_C(300000000));
    assert_string_equal(o.cache_spec, "ttl:300");
    assert_int_equal(o.clock_kind, BOOKD_CLOCK_VIRTUAL);
    assert_int_equal(o.clock_start_us, INT64_C(1796112000000000));
    assert_int_equal(o.race_window_us, 2000);
    assert_int_equal(o.delay_us, 40);
    assert_int_equal(o.threads, 3);
    assert_string_equal(o.seed, "none");
}

static void test_errors_name_the_flag(void **state)
{
    (void)state;
    struct {
        int argc;
        char *argv[6];
        const char *mentions;
    } cases[] = {
        {2, {"bookd", "--fix"}, "--fix needs a value"},
        {3, {"bookd", "--fix", "B"}, "--fix"},
        {3, {"bookd", "--listen", "localhost"}, "--listen"},
        {3, {"bookd", "--listen", "h:70000"}, "--listen"},
        {3, {"bookd", "--clock", "virtual:yesterday"}, "--clock"},
        {3, {"bookd", "--race-window-us", "-1"}, "--race-window-us"},
        {3, {"bookd", "--threads", "0"}, "--threads"},
        {3, {"bookd", "--delay-us", "2000000"}, "--delay-us"},
        {3, {"bookd", "--slot-cache", "ttl"}, "--slot-cache"},
        {3, {"bookd", "--bogus", "1"}, "unknown flag '--bogus'"},
        {2, {"bookd", "stray"}, "unexpected argument"},
        {4, {"bookd", "--db", ":memory:", "--threads=2"}, ":memory:"},
#ifdef BOOKRACE_HAVE_MONGO
        {3, {"bookd", "--store", "mongo"}, "--store mongo needs --mongo-uri"},
#else
        {3, {"bookd", "--store", "mongo"}, "built without MongoDB"},
#endif
        {3, {"bookd", "--store", "postgres"}, "--store"},
        {3, {"bookd", "--mongo-uri", "mongodb://h"}, "only used with --store mongo"},
        {2, {"bookd", "--mongo-uri=http://h"}, "--mongo-uri"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bookd_options o;
        char err[256] = "";
        assert_int_equal(parse(&o, err, cases[i].argc, cases[i].argv), BOOKD_OPTIONS_ERROR);
        assert_non_null(strstr(err, cases[i].mentions));
    }
    bookd_options o;
    char err[256];
    char *help[] = {"bookd", "--help"};
    assert_int_equal(parse(&o, err, 2, help), BOOKD_OPTIONS_HELP);
    char *mongo[] = {"bookd",      "--store",  "mongo", "--mongo-uri", "mongodb://127.0.0.1/?replicaSet=rs0",
                     "--mongo-db", "prod_copy"};
#ifdef BOOKRACE_HAVE_MONGO
    assert_int_equal(parse(&o, err, 7, mongo), BOOKD_OPTIONS_OK);
    assert_int_equal(o.store, BOOKD_STORE_MONGO);
    assert_string_equal(o.mongo_db, "prod_copy");
#else
    assert_int_equal(parse(&o, err, 7, mongo), BOOKD_OPTIONS_ERROR);
#endif
    char *memory[] = {"bookd", "--db", ":memory:"};
    assert_int_equal(parse(&o, err, 3, memory), BOOKD_OPTIONS_OK);
    assert_int_equal(o.threads, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_flag),
        cmocka_unit_test(test_errors_name_the_flag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
