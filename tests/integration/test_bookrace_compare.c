/*
 * `bookrace compare` as a process, on hand-made load.json files (so the
 * verdicts do not depend on this machine's speed): identical series are "no
 * significant change" (exit 0), a clear drop is a REGRESSION (exit 6) in the
 * text, compare.json and JUnit, several runs a side pool (files after "--",
 * or a directory of runs), a malformed file is refused naming
 * file:line:column, a malformed series naming the JSON path (exit 2), and
 * too few seconds are not judged; `load --runs N` against a real bookd
 * writes the runs compare reads as one side.
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
#include <sys/stat.h>
#include <unistd.h>

#include "process.h"

static char output[65536];
static char dir[512];

/* A load.json of |seconds| whole seconds around |rps| (+-2%) and a book p99 around |p99|. */
static void write_load(const char *name, int seconds, int rps, int p99)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{\"schema\": \"bookrace.load/1\", \"errors\": {\"connect\": 0, \"timeout\": 0},\n"
               " \"oracle\": {\"violations\": []},\n \"timeseries\": [\n");
    for (int s = 0; s < seconds; s++) {
        int j = (s % 5) - 2; /* -2 .. +2 % */
        int n = rps + rps * j / 100;
        fprintf(
            f,
            "  {\"second\": %d, \"requests\": %d, \"operations\": {\"get\": {\"requests\": %d, \"p50\": 100, "
            "\"p90\": 200, \"p99\": %d}}}%s\n",
            s, n, n, p99 - p99 * j / 100, s + 1 < seconds ? "," : "");
    }
    fprintf(f, " ]}\n");
    fclose(f);
}

static int compare(const char *const *args)
{
    const char *argv[32] = {getenv("BOOKRACE_BIN"), "compare"};
    size_t n = 2;
    for (; *args && n < 31; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    return test_run(argv, output, sizeof(output));
}

static json_t *read_json(const char *name)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (doc == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return doc;
}

static const char *verdict_of(json_t *cmp, const char *metric)
{
    size_t i;
    json_t *m;
    json_array_foreach (json_object_get(cmp, "metrics"), i, m)
        if (strcmp(json_string_value(json_object_get(m, "metric")), metric) == 0)
            return json_string_value(json_object_get(m, "verdict"));
    fail_msg("no metric %s", metric);
    return NULL;
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void test_identical_and_regressed(void **state)
{
    (void)state;
    char a[700], b[700], c[700], out[700], junit[700];
    write_load("a.json", 8, 10000, 2000);
    write_load("b.json", 8, 10000, 2000);
    write_load("c.json", 8, 7000, 3000); /* -30% throughput, +50% p99 */
    path_of(a, sizeof(a), "a.json");
    path_of(b, sizeof(b), "b.json");
    path_of(c, sizeof(c), "c.json");
    path_of(out, sizeof(out), "same.json");
    const char *same[] = {a, b, "--max-regress", "5%", "--json", out, NULL};
    assert_int_equal(compare(same), 0);
    assert_non_null(strstr(output, "no significant change"));
    assert_null(strstr(output, "REGRESSION"));
    json_t *doc = read_json("same.json");
    assert_string_equal(verdict_of(doc, "all req/s"), "none");
    json_decref(doc);

    path_of(out, sizeof(out), "regressed.json");
    path_of(junit, sizeof(junit), "regressed.xml");
    const char *worse[] = {"--max-regress", "5%", a, c, "--json", out, "--junit", junit, NULL};
    assert_int_equal(compare(worse), 6);
    assert_non_null(strstr(output, "REGRESSION"));
    doc = read_json("regressed.json");
    assert_string_equal(json_string_value(json_object_get(doc, "schema")), "bookrace.compare/1");
    assert_string_equal(verdict_of(doc, "all req/s"), "regression");
    assert_string_equal(verdict_of(doc, "get p99"), "regression");
    assert_string_equal(verdict_of(doc, "get p50"), "none");
    double hi = json_number_value(
        json_object_get(json_array_get(json_object_get(doc, "metrics"), 0), "ciHighPercent"));
    assert_true(hi < -5);
    json_decref(doc);
    char *text = NULL;
    FILE *f = fopen(junit, "r");
    assert_non_null(f);
    size_t cap = 0;
    assert_true(getdelim(&text, &cap, '\0', f) > 0);
    fclose(f);
    assert_non_null(strstr(text, "<failure"));
    free(text);
}

static void test_several_runs_a_side(void **state)
{
    (void)state;
    char runs[700], r1[700], r2[700], a[700], b[700];
    path_of(runs, sizeof(runs), "runs");
    mkdir(runs, 0755);
    path_of(r1, sizeof(r1), "runs/1");
    path_of(r2, sizeof(r2), "runs/2");
    mkdir(r1, 0755);
    mkdir(r2, 0755);
    write_load("runs/1/load.json", 3, 10000, 2000);
    write_load("runs/2/load.json", 3, 10000, 2000);
    write_load("x.json", 3, 10000, 2000);
    write_load("y.json", 3, 10000, 2000);
    path_of(a, sizeof(a), "x.json");
    path_of(b, sizeof(b), "y.json");
    /* One 3-second run a side is too few to judge... */
    const char *one[] = {a, b, NULL};
    assert_int_equal(compare(one), 0);
    assert_non_null(strstr(output, "too few samples"));
    /* ...two a side are enough: files after "--", or a directory of runs. */
    const char *files[] = {"--max-regress", "5%", a, b, "--", runs, NULL};
    assert_int_equal(compare(files), 0);
    assert_non_null(strstr(output, "base: 2 run(s); new: 2 run(s)"));
    assert_null(strstr(output, "too few"));
    assert_non_null(strstr(output, "no significant change"));
}

static void test_bad_input(void **state)
{
    (void)state;
    char bad[700], good[700], empty[700];
    write_load("good.json", 5, 100, 100);
    path_of(good, sizeof(good), "good.json");
    path_of(bad, sizeof(bad), "bad.json");
    FILE *f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\"schema\": \"bookrace.load/1\",\n  \"timeseries\": [1,]\n}\n", f);
    fclose(f);
    const char *broken[] = {good, bad, NULL};
    assert_int_equal(compare(broken), 2);
    char want[800];
    snprintf(want, sizeof(want), "%s:2:", bad);
    assert_non_null(strstr(output, want));
    /* Valid JSON, a bad series: the JSON path. */
    f = fopen(bad, "w");
    assert_non_null(f);
    fputs("{\"schema\": \"bookrace.load/1\", \"timeseries\": [{\"second\": 0, \"requests\": \"many\"}]}\n",
          f);
    fclose(f);
    assert_int_equal(compare(broken), 2);
    assert_non_null(strstr(output, "/timeseries/0/requests: not a non-negative integer"));
    /* A directory without runs, nothing after "--", a bad limit. */
    path_of(empty, sizeof(empty), "empty");
    mkdir(empty, 0755);
    const char *nodir[] = {good, empty, NULL};
    assert_int_equal(compare(nodir), 2);
    assert_non_null(strstr(output, "without load.json"));
    const char *nothing[] = {good, "--", NULL};
    assert_int_equal(compare(nothing), 2);
    const char *limit[] = {good, good, "--max-regress", "ten", NULL};
    assert_int_equal(compare(limit), 2);
    assert_non_null(strstr(output, "--max-regress"));
}

/* load --runs N against a real bookd: OUT/run-1 ... run-N, which compare reads as one side. */
static void test_load_runs(void **state)
{
    (void)state;
    char db[700], out[700], url[96];
    path_of(db, sizeof(db), "runs.db");
    path_of(out, sizeof(out), "load-runs");
    const char *args[] = {"--db", db, "--threads", "1", NULL};
    test_process p;
    test_bookd_start(&p, args);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", p.port);
    const char *load[] = {
        getenv("BOOKRACE_BIN"), "load", "--url",     url, "--runs", "2", "--duration", "1s", "--warmup", "0s",
        "--connections",        "2",    "--threads", "1", "--out",  out, "--quiet",    NULL};
    assert_int_equal(test_run(load, output, sizeof(output)), 0);
    assert_non_null(strstr(output, "run-1 ... run-2"));
    char run[800];
    for (int k = 1; k <= 2; k++) {
        snprintf(run, sizeof(run), "%s/run-%d/load.json", out, k);
        assert_int_equal(access(run, R_OK), 0);
    }
    const char *cmp[] = {out, out, NULL};
    assert_int_equal(compare(cmp), 0);
    assert_non_null(strstr(output, "base: 2 run(s); new: 2 run(s)"));
    /* One file for N runs is refused. */
    const char *json[] = {getenv("BOOKRACE_BIN"), "load", "--url", url, "--runs", "2", "--json", db, NULL};
    assert_int_equal(test_run(json, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "--runs"));
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

int main(void)
{
    test_temp_path(dir, sizeof(dir), "compare");
    mkdir(dir, 0755);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_and_regressed),
        cmocka_unit_test(test_several_runs_a_side),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_load_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
