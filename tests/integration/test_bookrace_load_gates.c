/*
 * bookrace load as a gate, against real bookd processes and a server that
 * never answers: thresholds fail with their own exit code and are listed in
 * the summary, load.json and junit.xml; `bookrace check` on the streamed
 * history reproduces the violations load reported; requests in flight at the
 * end are counted and the start-up fetch obeys the profile's timeoutMs;
 * `--mix book=1` alone works; the "no slot" message names the date in effect;
 * the per-second series holds whole seconds only, and the CSV and OpenMetrics
 * exports say what load.json says.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "process.h"

static char output[65536];

static json_t *read_json(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (doc == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return doc;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot read %s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/*
 * bookrace load SCENARIO against |port| for 2 s (8 connections, 3 days) with up to 6 extra arguments. Each
 * load books its own month (a --date among the extra arguments comes later and wins), so a second load on
 * one bookd still finds free slots.
 */
static int load(const char *scenario, int port, const char *out, const char *const *extra)
{
    static int month;
    char sc[600], url[64], target[600], date[16];
    snprintf(date, sizeof(date), "2027-%02d-01", 1 + month++ % 12);
    snprintf(sc, sizeof(sc), "%s/scenarios/%s", getenv("BOOKRACE_SOURCE_DIR"), scenario);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    snprintf(target, sizeof(target), "%s/scenarios/targets/bookd.json", getenv("BOOKRACE_SOURCE_DIR"));
    const char *argv[32] = {getenv("BOOKRACE_BIN"),
                            "load",
                            sc,
                            "--target",
                            target,
                            "--base-url",
                            url,
                            "--duration",
                            "2",
                            "--threads",
                            "1",
                            "--connections",
                            "8",
                            "--days",
                            "3",
                            "--out",
                            out,
                            "--quiet",
                            "--date",
                            date};
    size_t n = 20;
    for (size_t i = 0; extra && extra[i] && n < 31; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    return test_run(argv, output, sizeof(output));
}

/* An exit code, with the program's output when it is not the one expected. */
#define expect_exit(call, want)                                                                              \
    do {                                                                                                     \
        int got_ = (call);                                                                                   \
        if (got_ != (want))                                                                                  \
            fail_msg("exit %d, expected %d; output:\n%s", got_, (want), output);                             \
    } while (0)

static void start(test_process *p, char *db, size_t cap, const char *fix, const char *seed)
{
    test_temp_path(db, cap, ".db");
    const char *args[] = {"--db", db, "--fix", fix, "--threads", "1", "--seed", seed, NULL};
    test_bookd_start(p, args);
}

static void stop(test_process *p, const char *db)
{
    assert_int_equal(test_process_stop(p, SIGTERM), 0);
    test_remove_db(db);
}

static void test_thresholds_gate(void **state)
{
    (void)state;
    char db[512], out[512];
    test_process p;
    start(&p, db, sizeof(db), "A+C", "demo");
    test_temp_path(out, sizeof(out), "-load");
    /* Nothing answers in under 1 us: the gate fails with exit 4, and says so everywhere. */
    const char *failing[] = {"--threshold", "book:p99<1us", "--threshold", "all:requests>0", NULL};
    expect_exit(load("overlap-burst.json", p.port, out, failing), 4);
    assert_non_null(strstr(output, "threshold FAILED book:p99<1us: observed"));
    assert_non_null(strstr(output, "threshold ok     all:requests>0"));
    json_t *doc = read_json(out, "load.json");
    json_t *th = json_object_get(doc, "thresholds");
    assert_int_equal(json_array_size(th), 2);
    assert_true(json_is_false(json_object_get(json_array_get(th, 0), "ok")));
    assert_true(json_real_value(json_object_get(json_array_get(th, 0), "observed")) >= 1);
    assert_true(json_is_true(json_object_get(json_array_get(th, 1), "ok")));
    json_decref(doc);
    char path[700];
    snprintf(path, sizeof(path), "%s/junit.xml", out);
    const char *junit = read_text(path);
    assert_non_null(strstr(junit, "failures=\"1\""));
    assert_non_null(strstr(junit, "name=\"book:p99&lt;1us\"><failure message=\"book:p99&lt;1us: observed"));
    /* Thresholds that hold: exit 0. */
    const char *holding[] = {"--threshold", "errors<50%", "--threshold", "book:rate>=1/s", NULL};
    expect_exit(load("overlap-burst.json", p.port, out, holding), 0);
    /* A malformed threshold, and one naming an operation the load does not have: exit 2 before any load. */
    const char *bad[] = {"--threshold", "book:p99<50", NULL};
    expect_exit(load("overlap-burst.json", p.port, out, bad), 2);
    assert_non_null(strstr(output, "a latency needs a unit"));
    const char *unknown[] = {"--threshold", "cancel:p99<50ms", NULL};
    expect_exit(load("overlap-burst.json", p.port, out, unknown), 2);
    assert_non_null(strstr(output, "no operation 'cancel'"));
    stop(&p, db);
}

static int check(const char *path)
{
    const char *argv[] = {getenv("BOOKRACE_BIN"), "check", path, NULL};
    return test_run(argv, output, sizeof(output));
}

static void test_check_reproduces_the_violations(void **state)
{
    (void)state;
    char db[512], out[512], path[700];
    test_process p;
    start(&p, db, sizeof(db), "none", "demo");
    test_temp_path(out, sizeof(out), "-load");
    /*
     * Booking only: the broken mode acknowledges every request, so the pairs grow as n^2 (tens of millions):
     * counted, and at most 1,000 of them listed.
     */
    const char *book_only[] = {"--mix", "book=1", NULL};
    expect_exit(load("overlap-burst.json", p.port, out, book_only), 1);
    json_t *doc = read_json(out, "load.json");
    json_t *oracle = json_object_get(doc, "oracle");
    size_t found = json_array_size(json_object_get(oracle, "violations"));
    assert_true(found > 0);
    assert_true(found <= 5 * 1000); /* at most BR_VIOLATIONS_LISTED_MAX (oracle.h) of each kind */
    long long total = (long long)json_integer_value(json_object_get(oracle, "violationCount"));
    /* Whether the load read the target's bookings afterwards (a loaded machine can time that out). */
    int truth = json_is_true(json_object_get(oracle, "groundTruth"));
    assert_true(total >= (long long)found);
    assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "history"), "file")),
                        "history.jsonl.zst");
    /* --mix book=1 alone: no fetches at all during the load. */
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(doc, "operations"), "fetch_slots"), "requests")),
                     0);
    json_decref(doc);
    snprintf(path, sizeof(path), "%s/load.json", out);
    expect_exit(check(path), 1);
    if (strstr(output, "load.json recorded the same violations") == NULL)
        fail_msg("bookrace check disagrees with the load:\n%s", output);
    char want[96];
    snprintf(want, sizeof(want), ", %lld violations (%s)", total,
             truth ? "history and ground truth" : "history only");
    if (strstr(output, want) == NULL)
        fail_msg("expected \"%s\" in:\n%s", want, output);
    /* The history alone gives the same verdict. */
    snprintf(path, sizeof(path), "%s/history.jsonl.zst", out);
    expect_exit(check(path), 1);
    if (strstr(output, want) == NULL)
        fail_msg("expected \"%s\" in:\n%s", want, output);
    stop(&p, db);
    /* On the fix: clean, and check agrees. */
    start(&p, db, sizeof(db), "A+C", "demo");
    const char *mix[] = {"--mix", "book=1", NULL};
    expect_exit(load("overlap-burst.json", p.port, out, mix), 0);
    /* --mix book=1 alone: no fetches at all during the load. */
    doc = read_json(out, "load.json");
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(doc, "operations"), "fetch_slots"), "requests")),
                     0);
    json_decref(doc);
    snprintf(path, sizeof(path), "%s/load.json", out);
    expect_exit(check(path), 0);
    assert_non_null(strstr(output, " 0 violations (history and ground truth)"));
    stop(&p, db);
}

/* A TCP port that accepts connections (the kernel completes them) and never answers. */
static int silent_server(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 64), 0);
    socklen_t len = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_a_server_that_never_answers(void **state)
{
    (void)state;
    int port;
    int fd = silent_server(&port);
    char url[64], out[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/health", port);
    test_temp_path(out, sizeof(out), "-load");
    const char *argv[] = {getenv("BOOKRACE_BIN"), "load", "--url", url, "--duration", "1", "--threads", "1",
                          "--connections",        "4",    "--out", out, "--quiet",    NULL};
    /* Not a clean run: nothing answered, and the requests held at the end are counted. */
    expect_exit(test_run(argv, output, sizeof(output)), 3);
    assert_non_null(strstr(output, "unfinished 4"));
    json_t *doc = read_json(out, "load.json");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "errors"), "unfinished")), 4);
    json_decref(doc);
    /* The start-up slot fetch obeys the profile's timeoutMs (300 ms here), not a fixed 10 s. */
    char target[600], sc[600];
    snprintf(target, sizeof(target), "%s/scenarios/targets/bookd.json", getenv("BOOKRACE_SOURCE_DIR"));
    json_error_t e;
    json_t *profile = json_load_file(target, 0, &e);
    assert_non_null(profile);
    json_object_set_new(profile, "timeoutMs", json_integer(300));
    test_temp_path(target, sizeof(target), "-target.json");
    assert_int_equal(json_dump_file(profile, target, 0), 0);
    json_decref(profile);
    snprintf(sc, sizeof(sc), "%s/scenarios/overlap-burst.json", getenv("BOOKRACE_SOURCE_DIR"));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    const char *scen[] = {getenv("BOOKRACE_BIN"), "load", sc,      "--target", target,    "--base-url", url,
                          "--duration",           "1",    "--out", out,        "--quiet", NULL};
    double t0 = now_s();
    expect_exit(test_run(scen, output, sizeof(output)), 3);
    assert_true(now_s() - t0 < 5); /* a bound on a timeout, not a speed: 10 s when the profile is ignored */
    assert_non_null(strstr(output, "could not be reached"));
    unlink(target);
    close(fd);
}

static void test_no_slot_names_the_date(void **state)
{
    (void)state;
    char db[512], out[512], seed[512];
    test_process p;
    /* One inspector whose one service fills a working day: one slot a day, which a first load books up. */
    test_temp_path(seed, sizeof(seed), "-seed.json");
    FILE *f = fopen(seed, "w");
    assert_non_null(f);
    fputs("{\"companies\": [{\"id\": \"acme\", \"apiKey\": \"acme-key\", \"inspectors\": [\"martin\"],"
          " \"services\": [{\"id\": \"full-inspection\", \"durationMinutes\": 540}]}]}",
          f);
    assert_int_equal(fclose(f), 0);
    start(&p, db, sizeof(db), "A+C", seed);
    test_temp_path(out, sizeof(out), "-load");
    const char *date[] = {"--date", "2031-03-04", NULL};
    expect_exit(load("overlap-burst.json", p.port, out, date), 0);
    expect_exit(load("overlap-burst.json", p.port, out, date), 3);
    assert_non_null(strstr(output, "no slot to book in 3 days from 2031-03-04 (--date)"));
    stop(&p, db);
    unlink(seed);
}

static void test_series_and_exports(void **state)
{
    (void)state;
    char db[512], out[512], csv[512], om[512];
    test_process p;
    start(&p, db, sizeof(db), "A+C", "demo");
    test_temp_path(out, sizeof(out), "-load");
    test_temp_path(csv, sizeof(csv), ".csv");
    test_temp_path(om, sizeof(om), ".om");
    const char *extra[] = {"--csv", csv, "--openmetrics", om, NULL};
    expect_exit(load("overlap-burst.json", p.port, out, extra), 0);
    json_t *doc = read_json(out, "load.json");
    /* Whole seconds only: 2 s measured (a little more) gives 2 points, none of them a fall to zero. */
    json_t *series = json_object_get(doc, "timeseries");
    double measured = json_real_value(json_object_get(doc, "measuredSeconds"));
    assert_int_equal(json_array_size(series), (size_t)measured);
    size_t i;
    json_t *pt;
    json_array_foreach (series, i, pt)
        assert_true(json_integer_value(json_object_get(pt, "requests")) > 0);
    /* The CSV: a header and one row per whole second and operation, counts as in load.json. */
    const char *text = read_text(csv);
    assert_true(strncmp(text, "second,operation,requests,p50_us,p90_us,p99_us\n", 47) == 0);
    json_int_t sum = 0;
    size_t rows = 0;
    for (const char *l = strchr(text, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
        unsigned sec;
        char op[32];
        long long n;
        assert_int_equal(sscanf(l, "%u,%31[^,],%lld,", &sec, op, &n), 3);
        sum += n;
        rows++;
    }
    assert_int_equal(rows, 2 * json_array_size(series));
    json_int_t want = 0;
    json_array_foreach (series, i, pt)
        want += json_integer_value(json_object_get(pt, "requests"));
    assert_int_equal(sum, want);
    /* OpenMetrics: the counters load.json has, a histogram whose count is the requests, and # EOF. */
    text = read_text(om);
    json_t *book = json_object_get(json_object_get(doc, "operations"), "book");
    char line[200];
    snprintf(line, sizeof(line), "bookrace_load_latency_seconds_count{operation=\"book\"} %lld\n",
             (long long)json_integer_value(json_object_get(book, "requests")));
    assert_non_null(strstr(text, line));
    assert_non_null(strstr(text, "# TYPE bookrace_load_requests counter\n"));
    assert_non_null(strstr(text, "bookrace_load_violations 0\n"));
    assert_true(strlen(text) > 6 && strcmp(text + strlen(text) - 6, "# EOF\n") == 0);
    json_decref(doc);
    unlink(csv);
    unlink(om);
    stop(&p, db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_thresholds_gate),
        cmocka_unit_test(test_check_reproduces_the_violations),
        cmocka_unit_test(test_a_server_that_never_answers),
        cmocka_unit_test(test_no_slot_names_the_date),
        cmocka_unit_test(test_series_and_exports),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
