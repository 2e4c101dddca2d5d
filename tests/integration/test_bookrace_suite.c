/*
 * The one-line CI gate: `bookrace run scenarios/ --target ...` runs every stock
 * scenario against one bookd, each with its own expectation, into one results
 * folder with one JUnit file. Against --fix A+C it exits 0 with one JUnit test
 * case per scenario (and trial); against --fix none every scenario is
 * reported as the failure it is. A folder of scenarios that say
 * "expect": "violation" is held to that instead; a broken scenario stops the
 * suite before a request is sent. What is not a scenario (the matrix, the
 * targets/ folder) is skipped with its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process.h"

static const char *bookrace_bin(void)
{
    const char *b = getenv("BOOKRACE_BIN");
    return b ? b : "./bookrace";
}

/* "A/B" into |buf|; a path that does not fit fails the test. */
static const char *join(char *buf, size_t cap, const char *a, const char *b)
{
    if (snprintf(buf, cap, "%s/%s", a, b) >= (int)cap)
        fail_msg("path too long: %s/%s", a, b);
    return buf;
}

static const char *source_path(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("BOOKRACE_SOURCE_DIR");
    return join(buf, cap, root ? root : "..", rel);
}

/* The scenario names in scenarios/, counted here independently of bookrace: *.json with a "steps" list. */
static size_t stock_scenarios(char names[][80], size_t max)
{
    char dir[600];
    source_path("scenarios", dir, sizeof(dir));
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < max) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[1200];
        join(path, sizeof(path), dir, e->d_name);
        json_t *doc = json_load_file(path, 0, NULL);
        if (json_is_array(json_object_get(doc, "steps")))
            snprintf(names[n++], 80, "%s", json_string_value(json_object_get(doc, "name")));
        json_decref(doc);
    }
    closedir(d);
    return n;
}

static void start_bookd(test_process *p, const char *fix, const char *cache)
{
    char db[512];
    test_temp_path(db, sizeof(db), ".db");
    const char *args[] = {"--db",    db,          "--fix", fix, "--slot-cache", cache, "--clock",
                          "virtual", "--threads", "2",     NULL};
    test_bookd_start(p, args);
}

static int run_suite(const char *path, int port, const char *out, const char *junit, char *output, size_t cap)
{
    char target[600], url[64];
    source_path("scenarios/targets/bookd.json", target, sizeof(target));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    const char *argv[] = {bookrace_bin(), "run", path,      "--target", target,    "--base-url", url,
                          "--out",        out,   "--junit", junit,      "--quiet", NULL};
    return test_run(argv, output, cap);
}

static json_t *load_json(const char *dir, const char *name)
{
    char path[2048];
    join(path, sizeof(path), dir, name);
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (doc == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return doc;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, m);
    fclose(m);
    fclose(f);
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* The <testcase> elements of |scenario| in |junit|, and how many of them carry a <failure>. */
static void junit_cases(const char *junit, const char *scenario, size_t *cases, size_t *failures)
{
    char open[160];
    snprintf(open, sizeof(open), "<testcase classname=\"bookrace.%s\"", scenario);
    *cases = *failures = 0;
    for (const char *p = junit; (p = strstr(p, open)) != NULL; p += strlen(open)) {
        const char *end = strstr(p, "</testcase>");
        assert_non_null(end);
        (*cases)++;
        const char *fail = strstr(p, "<failure");
        *failures += fail != NULL && fail < end;
    }
}

static const char *outcome_of(json_t *suite, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach (json_object_get(suite, "scenarios"), i, s)
        if (strcmp(json_string_value(json_object_get(s, "name")), name) == 0)
            return json_string_value(json_object_get(s, "outcome"));
    fail_msg("scenario %s is not in suite.json", name);
    return NULL;
}

/* The skipped entries name the matrix and the targets/ folder, with a reason each. */
static void assert_skips_named(json_t *suite)
{
    json_t *skipped = json_object_get(suite, "skipped");
    int matrix = 0, targets = 0;
    size_t i;
    json_t *s;
    json_array_foreach (skipped, i, s) {
        const char *path = json_string_value(json_object_get(s, "path"));
        assert_true(strlen(json_string_value(json_object_get(s, "reason"))) > 10);
        matrix |= strstr(path, "/matrix.json") != NULL;
        targets |= strstr(path, "/targets") != NULL;
    }
    assert_true(matrix);
    assert_true(targets);
}

static void test_stock_scenarios_against_fixed_and_broken(void **state)
{
    (void)state;
    char names[32][80], dir[600], out[512], junit_path[512], output[16384];
    size_t n = stock_scenarios(names, 32);
    assert_true(n >= 8);
    source_path("scenarios/", dir, sizeof(dir));

    test_process p;
    start_bookd(&p, "A+C", "versioned");
    test_temp_path(out, sizeof(out), "-suite");
    test_temp_path(junit_path, sizeof(junit_path), "-junit.xml");
    int rc = run_suite(dir, p.port, out, junit_path, output, sizeof(output));
    test_process_stop(&p, SIGTERM);
    if (rc != 0)
        fail_msg("suite against --fix A+C exited %d:\n%s", rc, output);
    json_t *suite = load_json(out, "suite.json");
    assert_int_equal(json_array_size(json_object_get(suite, "scenarios")), n);
    assert_skips_named(suite);
    char in_out[1024];
    char *junit = slurp(junit_path), *junit_in_out = slurp(join(in_out, sizeof(in_out), out, "junit.xml"));
    assert_string_equal(junit, junit_in_out); /* --junit is the folder's junit.xml */
    assert_int_equal(count(junit, "<testcase "), n);
    assert_int_equal(count(junit, "<failure"), 0);
    for (size_t i = 0; i < n; i++) {
        size_t cases, failures;
        junit_cases(junit, names[i], &cases, &failures);
        assert_int_equal(cases, 1);
        assert_string_equal(outcome_of(suite, names[i]), "pass");
        char sub[1024], report[2048];
        join(report, sizeof(report), join(sub, sizeof(sub), out, names[i]), "report.html");
        assert_int_equal(access(report, R_OK), 0);
    }
    free(junit);
    free(junit_in_out);
    json_decref(suite);

    /* The incident's server: every stock scenario expects a clean run, and every one is reported failing. */
    start_bookd(&p, "none", "ttl:300");
    test_temp_path(out, sizeof(out), "-suite");
    rc = run_suite(dir, p.port, out, junit_path, output, sizeof(output));
    test_process_stop(&p, SIGTERM);
    if (rc != 1)
        fail_msg("suite against --fix none exited %d, not 1:\n%s", rc, output);
    suite = load_json(out, "suite.json");
    junit = slurp(junit_path);
    assert_int_equal(count(junit, "<testcase "), n);
    for (size_t i = 0; i < n; i++) {
        size_t cases, failures;
        junit_cases(junit, names[i], &cases, &failures);
        assert_int_equal(cases, 1);
        assert_int_equal(failures, 1);
        assert_string_equal(outcome_of(suite, names[i]), "fail");
        assert_non_null(strstr(output, names[i])); /* each reported on stdout too */
    }
    assert_int_equal(json_integer_value(json_object_get(suite, "exitCode")), 1);
    free(junit);
    json_decref(suite);
}

/* Writes scenarios/|name|.json, with "expect" set when |expect| is not NULL, into |dir|. */
static void copy_scenario(const char *dir, const char *name, const char *expect)
{
    char src[1024], dst[1024], file[128];
    snprintf(file, sizeof(file), "%s.json", name);
    source_path(join(dst, sizeof(dst), "scenarios", file), src, sizeof(src));
    json_t *doc = json_load_file(src, 0, NULL);
    assert_non_null(doc);
    if (expect)
        json_object_set_new(doc, "expect", json_string(expect));
    join(dst, sizeof(dst), dir, file);
    assert_int_equal(json_dump_file(doc, dst, JSON_INDENT(1)), 0);
    json_decref(doc);
}

static void test_own_expectations_and_trials(void **state)
{
    (void)state;
    char dir[512], out[512], junit_path[512], output[16384];
    test_temp_path(dir, sizeof(dir), "-scenarios");
    assert_int_equal(mkdir(dir, 0755), 0);
    copy_scenario(dir, "incident-stale-replay", "violation");
    copy_scenario(dir, "same-slot-burst", NULL);

    /* Against the incident's server: the reproduction holds, the clean expectation does not. */
    test_process p;
    start_bookd(&p, "none", "ttl:300");
    test_temp_path(out, sizeof(out), "-suite");
    test_temp_path(junit_path, sizeof(junit_path), "-junit.xml");
    int rc = run_suite(dir, p.port, out, junit_path, output, sizeof(output));
    test_process_stop(&p, SIGTERM);
    if (rc != 1)
        fail_msg("exited %d, not 1:\n%s", rc, output);
    json_t *suite = load_json(out, "suite.json");
    assert_string_equal(outcome_of(suite, "incident-stale-replay"), "pass");
    assert_string_equal(outcome_of(suite, "same-slot-burst"), "fail");
    char *junit = slurp(junit_path);
    size_t cases, failures;
    junit_cases(junit, "incident-stale-replay", &cases, &failures);
    assert_int_equal(cases, 1);
    assert_int_equal(failures, 0);
    junit_cases(junit, "same-slot-burst", &cases, &failures);
    assert_int_equal(failures, 1);
    free(junit);
    json_decref(suite);

    /* Against the fix with --repeat 2: a test case per scenario and trial, each scenario on its own days. */
    start_bookd(&p, "A+C", "versioned");
    char target[600], url[64];
    source_path("scenarios/targets/bookd.json", target, sizeof(target));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    test_temp_path(out, sizeof(out), "-suite");
    const char *argv[] = {
        bookrace_bin(), "run", dir,       "--target", target,    "--base-url", url, "--out", out,
        "--repeat",     "2",   "--junit", junit_path, "--quiet", NULL};
    rc = test_run(argv, output, sizeof(output));
    test_process_stop(&p, SIGTERM);
    if (rc != 1)
        fail_msg("exited %d, not 1 (the expected violation is not reproduced by the fix):\n%s", rc, output);
    suite = load_json(out, "suite.json");
    assert_string_equal(outcome_of(suite, "incident-stale-replay"), "fail");
    assert_string_equal(outcome_of(suite, "same-slot-burst"), "pass");
    junit = slurp(junit_path);
    junit_cases(junit, "incident-stale-replay", &cases, &failures);
    assert_int_equal(cases, 2);
    assert_int_equal(failures, 2);
    junit_cases(junit, "same-slot-burst", &cases, &failures);
    assert_int_equal(cases, 2);
    assert_int_equal(failures, 0);
    free(junit);
    /* Four trials, four distinct days: the two scenarios never raced over each other's bookings. */
    char seen[4][11];
    int k = 0;
    const char *names[] = {"incident-stale-replay", "same-slot-burst"};
    for (int s = 0; s < 2; s++) {
        char sub[1024];
        join(sub, sizeof(sub), out, names[s]);
        json_t *run = load_json(sub, "run.json");
        size_t i;
        json_t *t;
        json_array_foreach (json_object_get(run, "trials"), i, t)
            snprintf(seen[k++], 11, "%s", json_string_value(json_object_get(t, "date")));
        json_decref(run);
    }
    assert_int_equal(k, 4);
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_string_not_equal(seen[i], seen[j]);
    json_decref(suite);
}

/* A broken scenario in the folder: exit 2 naming file:line:column, before any request (no results folder). */
static void test_broken_scenario_stops_the_suite(void **state)
{
    (void)state;
    char dir[512], out[512], junit_path[512], output[8192], path[1024];
    test_temp_path(dir, sizeof(dir), "-scenarios");
    assert_int_equal(mkdir(dir, 0755), 0);
    copy_scenario(dir, "same-slot-burst", NULL);
    join(path, sizeof(path), dir, "zz-broken.json");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"name\": \"broken\",\n \"steps\": [\n", f);
    fclose(f);
    test_temp_path(out, sizeof(out), "-suite");
    test_temp_path(junit_path, sizeof(junit_path), "-junit.xml");
    /* Port 9 (discard): nothing may be sent anyway. */
    int rc = run_suite(dir, 9, out, junit_path, output, sizeof(output));
    assert_int_equal(rc, 2);
    assert_non_null(strstr(output, "zz-broken.json:3:"));
    assert_int_not_equal(access(out, F_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stock_scenarios_against_fixed_and_broken),
        cmocka_unit_test(test_own_expectations_and_trials),
        cmocka_unit_test(test_broken_scenario_stops_the_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
