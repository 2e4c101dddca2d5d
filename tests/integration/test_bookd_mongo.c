/*
 * bookd on MongoDB, raced by bookrace: the same 16-actor same-slot race as
 * on SQLite, with the ground truth read straight from MongoDB
 * (--verify-mongo), and two bookd processes against one replica set.
 * Needs a replica set in MONGODB_URI (README: mongod --replSet rs0, then
 * rs.initiate()); without it the test reports itself skipped (exit 77).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "process.h"

static int count_created(const char *out_dir)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/run.json", out_dir);
    json_error_t e;
    json_t *run = json_load_file(path, 0, &e);
    if (run == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    int created = 0;
    json_t *history = json_object_get(json_array_get(json_object_get(run, "trials"), 0), "history");
    size_t i;
    json_t *op;
    json_array_foreach (history, i, op) {
        created += strcmp(json_string_value(json_object_get(op, "op")), "book") == 0 &&
                   json_integer_value(json_object_get(op, "status")) == 201;
    }
    json_t *truth = json_object_get(json_array_get(json_object_get(run, "trials"), 0), "groundTruth");
    assert_true(json_is_true(json_object_get(truth, "checked")));
    json_decref(run);
    return created;
}

static void race(const char *fix, int pods, int expect_exit, int expect_created)
{
    const char *uri = getenv("MONGODB_URI");
    char dbname[64], out[512], output[8192], urls[2][64], sc[512];
    snprintf(dbname, sizeof(dbname), "bookrace_it_%d_%s_%d", (int)getpid(), fix[0] == 'n' ? "none" : "ac",
             pods);
    const char *args[] = {"--store", "mongo", "--mongo-uri", uri,       "--mongo-db",
                          dbname,    "--fix", fix,           "--clock", "virtual:2026-12-01T07:00:00Z",
                          NULL};
    test_process p[2];
    for (int i = 0; i < pods; i++) {
        test_bookd_start(&p[i], args);
        snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d", p[i].port);
    }
    test_temp_path(out, sizeof(out), "-mongo");
    snprintf(sc, sizeof(sc), "%s/scenarios/same-slot-burst.json", getenv("BOOKRACE_SOURCE_DIR"));
    const char *argv[] = {getenv("BOOKRACE_BIN"),
                          "run",
                          sc,
                          "--base-url",
                          urls[0],
                          "--base-url",
                          urls[pods - 1],
                          "--verify-mongo",
                          uri,
                          "--mongo-db",
                          dbname,
                          "--out",
                          out,
                          "--quiet",
                          NULL};
    assert_int_equal(test_run(argv, output, sizeof(output)), expect_exit);
    int created = count_created(out);
    if (expect_created > 0)
        assert_int_equal(created, expect_created);
    else
        assert_true(created > 1);
    for (int i = 0; i < pods; i++)
        assert_int_equal(test_process_stop(&p[i], SIGTERM), 0);
}

static void test_fix_a_c_on_mongo_keeps_one(void **state)
{
    (void)state;
    race("A+C", 1, 0, 1);
}

static void test_two_processes_on_one_replica_set_keep_one(void **state)
{
    (void)state;
    race("A", 2, 0, 1);
}

static void test_fix_none_on_mongo_double_books(void **state)
{
    (void)state;
    race("none", 1, 1, 0);
}

int main(void)
{
    if (getenv("MONGODB_URI") == NULL || getenv("MONGODB_URI")[0] == '\0') {
        printf("skipped: MONGODB_URI not set\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fix_a_c_on_mongo_keeps_one),
        cmocka_unit_test(test_two_processes_on_one_replica_set_keep_one),
        cmocka_unit_test(test_fix_none_on_mongo_double_books),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
