/*
 * The pure parts of a suite run: what counts as a scenario, what a folder
 * contributes (in name order, skips named with their reason, sub-folders not
 * searched), what is an error rather than a skip, the exit code's precedence
 * and the merged JUnit document.
 */
#include "suite.h"

#include "exitcode.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char root[PATH_MAX];

static void write_at(const char *rel, const char *text)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *at(const char *rel)
{
    static char bufs[4][PATH_MAX + 64];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s/%s", root, rel);
    return b;
}

#define SCENARIO "{\"name\": \"x\", \"steps\": []}"

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/test_suite.XXXXXX");
    assert_non_null(mkdtemp(root));
    assert_int_equal(mkdir(at("dir"), 0755), 0);
    assert_int_equal(mkdir(at("dir/targets"), 0755), 0);
    write_at("dir/b-second.json", SCENARIO);
    write_at("dir/a-first.json", SCENARIO);
    write_at("dir/matrix.json", "{\"modes\": [], \"scenarios\": []}");
    write_at("dir/profile.json", "{\"name\": \"t\", \"operations\": {}}");
    write_at("dir/notes.md", "# not json\n");
    write_at("dir/.hidden.json", "{");
    write_at("dir/targets/bookd.json", "{\"operations\": {}}");
    assert_int_equal(mkdir(at("broken"), 0755), 0);
    write_at("broken/bad.json", "{\"steps\": [\n  1,\n  }\n");
    assert_int_equal(mkdir(at("empty"), 0755), 0);
    write_at("empty/matrix.json", "{\"modes\": []}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_classify(void **state)
{
    (void)state;
    json_t *doc = json_loads(SCENARIO, 0, NULL);
    assert_null(br_suite_classify(doc));
    json_decref(doc);
    doc = json_loads("{\"modes\": []}", 0, NULL);
    assert_non_null(strstr(br_suite_classify(doc), "matrix"));
    json_decref(doc);
    doc = json_loads("{\"baseUrls\": []}", 0, NULL);
    assert_non_null(strstr(br_suite_classify(doc), "target profile"));
    json_decref(doc);
    doc = json_loads("{\"schema\": \"bookrace.run/1\"}", 0, NULL);
    assert_non_null(strstr(br_suite_classify(doc), "results file"));
    json_decref(doc);
    doc = json_loads("[1]", 0, NULL);
    assert_non_null(strstr(br_suite_classify(doc), "not a JSON object"));
    json_decref(doc);
    doc = json_loads("{\"steps\": {}}", 0, NULL); /* steps must be a list */
    assert_non_null(strstr(br_suite_classify(doc), "no \"steps\" list"));
    json_decref(doc);
}

/* A folder: scenarios and skips in name order, hidden files left out, the sub-folder skipped, not read. */
static void test_folder(void **state)
{
    (void)state;
    const char *paths[] = {at("dir")};
    br_suite_list l;
    char err[512];
    assert_int_equal(br_suite_collect(paths, 1, &l, err, sizeof(err)), 0);
    assert_int_equal(l.count, 6);
    assert_int_equal(br_suite_scenario_count(&l), 2);
    const char *want[] = {"a-first.json", "b-second.json", "matrix.json",
                          "notes.md",     "profile.json",  "targets"};
    for (size_t i = 0; i < 6; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/dir/%s", root, want[i]);
        assert_string_equal(l.items[i].path, path);
    }
    assert_null(l.items[0].skip_reason);
    assert_null(l.items[1].skip_reason);
    assert_non_null(strstr(l.items[2].skip_reason, "matrix"));
    assert_non_null(strstr(l.items[3].skip_reason, "not a .json file"));
    assert_non_null(strstr(l.items[4].skip_reason, "target profile"));
    assert_non_null(strstr(l.items[5].skip_reason, "folder"));
    br_suite_list_free(&l);
}

/* Files named on the command line come in the order given; a folder's trailing slash changes nothing. */
static void test_files_and_folders_mixed(void **state)
{
    (void)state;
    char dir_slash[PATH_MAX + 64];
    snprintf(dir_slash, sizeof(dir_slash), "%s/", at("dir"));
    const char *paths[] = {at("dir/b-second.json"), dir_slash};
    br_suite_list l;
    char err[512];
    assert_int_equal(br_suite_collect(paths, 2, &l, err, sizeof(err)), 0);
    assert_int_equal(br_suite_scenario_count(&l), 3);
    assert_string_equal(l.items[0].path, at("dir/b-second.json"));
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "%s/dir/a-first.json", root);
    assert_string_equal(l.items[1].path, want);
    br_suite_list_free(&l);
}

/* Errors, not skips: a named file that is not a scenario, a .json that does not parse, no scenario, no path.
 */
static void test_errors(void **state)
{
    (void)state;
    br_suite_list l;
    char err[1024];
    const char *named[] = {at("dir/matrix.json")};
    assert_int_equal(br_suite_collect(named, 1, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "matrix.json: a regression/fix matrix"));
    br_suite_list_free(&l);
    const char *broken[] = {at("broken")};
    assert_int_equal(br_suite_collect(broken, 1, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "bad.json:3:"));
    br_suite_list_free(&l);
    const char *empty[] = {at("empty")};
    assert_int_equal(br_suite_collect(empty, 1, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no scenario in"));
    br_suite_list_free(&l);
    const char *missing[] = {at("nope")};
    assert_int_equal(br_suite_collect(missing, 1, &l, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "No such file"));
    br_suite_list_free(&l);
}

static int code_of(const char *a, const char *b, const char *c)
{
    const char *o[3] = {a, b, c};
    return br_suite_exit_code(o, 3);
}

/* The single-run table's order: interrupted, scenario error, a definite failure, target error, inconclusive.
 */
static void test_exit_code_precedence(void **state)
{
    (void)state;
    assert_int_equal(code_of("pass", "pass", "pass"), BR_EXIT_HELD);
    assert_int_equal(code_of("pass", "inconclusive", "pass"), BR_EXIT_NOT_HELD);
    assert_int_equal(code_of("pass", "inconclusive", "target-error"), BR_EXIT_TARGET);
    assert_int_equal(code_of("fail", "inconclusive", "target-error"), BR_EXIT_NOT_HELD);
    assert_int_equal(code_of("fail", "scenario-error", "target-error"), BR_EXIT_USAGE);
    assert_int_equal(code_of("fail", "scenario-error", "interrupted"), BR_EXIT_INTERRUPTED);
    assert_int_equal(code_of("pass", "pass", "something-new"), BR_EXIT_NOT_HELD);
    assert_int_equal(br_suite_exit_code(NULL, 0), BR_EXIT_NOT_HELD);
}

static void test_junit_merge(void **state)
{
    (void)state;
    const char *docs[] = {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"a\" tests=\"1\">\n"
        "  <testcase name=\"trial 0\"/>\n</testsuite>\n</testsuites>\n",
        "<?xml version=\"1.0\"?>\n<testsuites>\n<testsuite name=\"b\" tests=\"2\">\n  <testcase name=\"trial "
        "0\"/>\n"
        "  <testcase name=\"trial 1\"><failure message=\"1 violation(s)\">x</failure></testcase>\n"
        "</testsuite>\n</testsuites>\n",
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(br_suite_junit_merge(docs, 2, f), 2);
    fclose(f);
    assert_string_equal(buf,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n"
                        "<testsuite name=\"a\" tests=\"1\">\n  <testcase name=\"trial 0\"/>\n</testsuite>\n"
                        "<testsuite name=\"b\" tests=\"2\">\n  <testcase name=\"trial 0\"/>\n"
                        "  <testcase name=\"trial 1\"><failure message=\"1 violation(s)\">x</failure>"
                        "</testcase>\n</testsuite>\n</testsuites>\n");
    free(buf);
    const char *bad[] = {"<testsuites></testsuites>"};
    f = open_memstream(&buf, &len);
    assert_int_equal(br_suite_junit_merge(bad, 1, f), -1);
    fclose(f);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify),
        cmocka_unit_test(test_folder),
        cmocka_unit_test(test_files_and_folders_mixed),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_exit_code_precedence),
        cmocka_unit_test(test_junit_merge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
