#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "results.h"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_atomic_write_leaves_no_temp_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/bookrace-results-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char nested[128];
    snprintf(nested, sizeof(nested), "%s/a/b/c", dir);
    assert_int_equal(br_mkdir_p(nested), 0);
    assert_int_equal(br_mkdir_p(nested), 0);
    assert_int_equal(br_write_file_atomic(nested, "run.json", "{}\n", 3), 0);
    assert_int_equal(br_write_file_atomic(nested, "run.json", "{\"x\":1}\n", 8), 0);
    char path[256];
    snprintf(path, sizeof(path), "%s/run.json", nested);
    FILE *f = fopen(path, "r");
    char buf[32] = "";
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    assert_string_equal(buf, "{\"x\":1}\n");
    DIR *d = opendir(nested);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' || strstr(e->d_name, ".tmp"))
            files++;
    closedir(d);
    assert_int_equal(files, 1);
    /* --out naming a file: refused (it was 'created' and the results lost after the run). */
    write_text("mkdir-p-file", "x");
    errno = 0;
    assert_int_equal(br_mkdir_p("mkdir-p-file"), -1);
    assert_int_equal(errno, ENOTDIR);
    unlink("mkdir-p-file");
    /* A folder that cannot be written: an error, not a crash or a partial file. */
    assert_int_equal(br_write_file_atomic("/nonexistent-dir", "run.json", "{}", 2), -1);
    unlink(path);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

#define BOOK(i, start, end, outcome)                                                                         \
    "{\"index\":" #i ",\"actor\":" #i ",\"actorName\":\"c" #i                                                \
    "\",\"step\":3,\"op\":\"book\",\"outcome\":\"" outcome                                                   \
    "\",\"status\":201,\"invokeUs\":1,\"completeUs\":2,\"invokeScenarioUs\":1,\"completeScenarioUs\":2,"     \
    "\"inspector\":\"martin\",\"start\":\"" start "\",\"end\":\"" end "\",\"id\":\"id" #i "\"}"

static void test_check_reruns_the_oracle(void **state)
{
    (void)state;
    const char *path = "check-test-run.json";
    char err[600];
    int expect = 0;
    size_t trials = 0;
    FILE *out = fopen("/dev/null", "w");
    write_text(
        path,
        "{\"schema\":\"bookrace.run/1\",\"expectation\":\"violation\",\"trials\":[{\"history\":[" BOOK(
            0, "2026-12-01T09:26:00Z", "2026-12-01T11:26:00Z",
            "ok") "," BOOK(1, "2026-12-01T09:29:00Z", "2026-12-01T11:29:00Z",
                           "ok") "],\"groundTruth\":{\"checked\":false,\"bookings\":[]}},"
                                 "{\"history\":[" BOOK(
                                     0, "2026-12-02T09:26:00Z", "2026-12-02T11:26:00Z",
                                     "ok") "," BOOK(1, "2026-12-02T11:26:00Z", "2026-12-02T13:26:00Z",
                                                    "ok") "],\"groundTruth\":{\"checked\":true,\"bookings\":["
                                                          "{\"id\":\"id0\",\"inspector\":\"martin\","
                                                          "\"start\":\"2026-12-02T09:26:00Z\",\"end\":\"2026-"
                                                          "12-02T11:26:00Z\",\"active\":true,\"ours\":true}]}"
                                                          "}]}");
    /* Trial 0 double-books; trial 1 touches (fine) but lost id1. */
    assert_int_equal(br_results_check(path, out, &expect, &trials, err, sizeof(err)), 2);
    assert_int_equal(expect, 1);
    assert_int_equal(trials, 2);
    write_text(path, "{\"schema\":\"something/2\",\"trials\":[]}");
    assert_int_equal(br_results_check(path, out, &expect, &trials, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a bookrace run"));
    write_text(path, "{\"schema\":\"bookrace.run/1\",\"trials\":[{\"history\":[{\"op\":\"teleport\"}]}]}");
    assert_int_equal(br_results_check(path, out, &expect, &trials, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "trials[0].history[0]"));
    write_text(path, "{\"schema\":\n\"bookrace.run/1\",,}");
    assert_int_equal(br_results_check(path, out, &expect, &trials, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "check-test-run.json:2:"));
    fclose(out);
    remove(path);
}

/*
 * A damaged saved run is refused with the JSON path of the field, never read with a default: times that
 * do not parse used to read as 0, so the double booking below (09:26 and 09:29) vanished and a failing run
 * re-checked as a pass.
 */
static void test_check_refuses_damaged_fields(void **state)
{
    (void)state;
    const char *path = "check-damaged-run.json";
    char err[600];
    int expect = 0;
    size_t trials = 0;
    FILE *out = fopen("/dev/null", "w");
    write_text(path, "{\"schema\":\"bookrace.run/1\",\"trials\":[{\"history\":[" BOOK(
                         0, "09:26", "11:26", "ok") "," BOOK(1, "09:29", "11:29", "ok") "]}]}");
    assert_int_equal(br_results_check(path, out, &expect, &trials, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "check-damaged-run.json: trials[0].history[0].start:"));
    write_text(path, "{\"schema\":\"bookrace.run/1\",\"trials\":[{\"history\":[{\"op\":\"book\","
                     "\"outcome\":\"ok\",\"completeUs\":2,\"status\":\"201\"}]}]}");
    assert_int_equal(br_results_check(path, out, &expect, &trials, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "trials[0].history[0].status:"));
    write_text(path, "{\"schema\":\"bookrace.run/1\",\"trials\":[{\"history\":[],\"groundTruth\":{"
                     "\"checked\":true,\"bookings\":[{\"id\":\"a\",\"start\":\"2026-12-01T09:26:00Z\"},"
                     "{\"id\":\"b\",\"end\":\"tomorrow\"}]}}]}");
    assert_int_equal(br_results_check(path, out, &expect, &trials, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "trials[0].groundTruth.bookings[1].end:"));
    /* Absent and null are the writer's "none": still read. */
    write_text(path, "{\"schema\":\"bookrace.run/1\",\"trials\":[{\"history\":[{\"op\":\"health\","
                     "\"outcome\":\"ok\",\"completeUs\":2,\"start\":null,\"expect\":null}]}]}");
    assert_int_equal(br_results_check(path, out, &expect, &trials, err, sizeof(err)), 0);
    fclose(out);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_write_leaves_no_temp_files),
        cmocka_unit_test(test_check_reruns_the_oracle),
        cmocka_unit_test(test_check_refuses_damaged_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
