/*
 * Crash recovery: bookrace load books against bookd (SQLite, WAL, fix A+C);
 * bookd is killed with SIGKILL at a random moment while bookings are being
 * made, restarted on the same database, and then every booking acknowledged
 * with 201 before the kill must be there and active, no two active bookings
 * of one inspector may overlap, and the requests in flight at the kill must
 * be reported as indeterminate (info), never as refusals. 20 kills.
 * The kill moment is random; the verdict is not: it holds for any moment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "http.h"
#include "process.h"

#define KILLS 20

extern char **environ;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

typedef struct {
    char id[64], inspector[64], start[32], end[32];
} booking;

static void test_nothing_acknowledged_is_lost_across_kills(void **state)
{
    (void)state;
    char db[512];
    test_temp_path(db, sizeof(db), "-crash.db");
    const char *args[] = {"--db", db, "--fix", "A+C", "--threads", "2", NULL};
    unsigned seed = (unsigned)time(NULL);
    size_t verified = 0, indeterminate = 0;
    for (int kill_no = 0; kill_no < KILLS; kill_no++) {
        test_process p;
        test_bookd_start(&p, args);
        char url[64], out[512], sc[600], target[600], date[16];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
        test_temp_path(out, sizeof(out), "-crash-load");
        snprintf(sc, sizeof(sc), "%s/scenarios/overlap-burst.json", getenv("BOOKRACE_SOURCE_DIR"));
        snprintf(target, sizeof(target), "%s/scenarios/targets/bookd.json", getenv("BOOKRACE_SOURCE_DIR"));
        /* Each round books its own days, so every round has free slots. */
        snprintf(date, sizeof(date), "2027-%02d-%02d", 1 + kill_no / 9, 1 + (kill_no % 9) * 3);
        const char *argv[] = {getenv("BOOKRACE_BIN"),
                              "load",
                              sc,
                              "--target",
                              target,
                              "--base-url",
                              url,
                              "--date",
                              date,
                              "--days",
                              "3",
                              "--duration",
                              "1",
                              "--threads",
                              "1",
                              "--connections",
                              "8",
                              "--out",
                              out,
                              "--quiet",
                              NULL};
        pid_t load;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        assert_int_equal(posix_spawn(&load, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
        posix_spawn_file_actions_destroy(&fa);
        /* Wait until bookings are being acknowledged, then kill at a random moment within 300 ms. */
        int waited = 0;
        while (test_metric(p.port, "bookd_bookings_created_total") < 1) {
            sleep_ms(5);
            if (++waited > 2000)
                fail_msg("round %d: no booking was made within 10 s", kill_no);
        }
        sleep_ms(rand_r(&seed) % 300);
        kill(p.pid, SIGKILL);
        int status;
        waitpid(p.pid, &status, 0);
        close(p.stdout_fd);
        /* libmongoc's shared-memory counters of the killed process: its exit handler never ran. */
        char shm[64];
        snprintf(shm, sizeof(shm), "/dev/shm/mongoc-%d", (int)p.pid);
        unlink(shm);
        waitpid(load, &status, 0);
        /* The harness survived its target's death: results written, exit 3. */
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 3);

        char path[600];
        snprintf(path, sizeof(path), "%s/load.json", out);
        json_error_t e;
        json_t *doc = json_load_file(path, 0, &e);
        if (doc == NULL)
            fail_msg("round %d: %s: %s", kill_no, path, e.text);
        /* The bookings' outcomes are in the streamed history the load.json points to. */
        const char *hfile = json_string_value(json_object_get(json_object_get(doc, "history"), "file"));
        assert_non_null(hfile);
        char hpath[700], herr[512];
        snprintf(hpath, sizeof(hpath), "%s/%s", out, hfile);
        br_history_reader *hr = br_history_reader_open(hpath, herr, sizeof(herr));
        if (hr == NULL)
            fail_msg("round %d: %s", kill_no, herr);

        /* Restart on the same database and read everything back. */
        test_bookd_start(&p, args);
        test_reply r = test_http(p.port, "GET", "/inspections?from=2027-01-01&to=2028-01-01&status=scheduled",
                                 "acme-key", NULL);
        assert_int_equal(r.status, 200);
        json_t *stored = json_object_get(r.json, "inspections");
        br_history_record b;
        int hrc;
        while ((hrc = br_history_next(hr, &b, herr, sizeof(herr))) == 1) {
            if (b.type > BR_HREC_INFO || strcmp(br_history_op_name(hr, b.op), "book") != 0)
                continue;
            if (b.status == 0) {
                /* In flight at the kill: it may or may not have happened, and it says so. */
                assert_int_equal(b.type, BR_HREC_INFO);
                indeterminate++;
                continue;
            }
            if (b.type != BR_HREC_OK)
                continue;
            const char *id = b.id;
            int found = 0;
            size_t k;
            json_t *s;
            json_array_foreach (stored, k, s) {
                found |= strcmp(json_string_value(json_object_get(s, "_id")), id) == 0;
            }
            if (!found)
                fail_msg("round %d: booking %s was acknowledged (201) before the kill and is gone", kill_no,
                         id);
            verified++;
        }
        /* No two active bookings of one inspector overlap (timestamps in one format compare as strings). */
        size_t n = json_array_size(stored);
        for (size_t x = 0; x < n; x++)
            for (size_t y = x + 1; y < n; y++) {
                json_t *a = json_array_get(stored, x), *c = json_array_get(stored, y);
                if (strcmp(json_string_value(json_object_get(a, "inspectorId")),
                           json_string_value(json_object_get(c, "inspectorId"))) == 0 &&
                    strcmp(json_string_value(json_object_get(a, "datetime")),
                           json_string_value(json_object_get(c, "endtime"))) < 0 &&
                    strcmp(json_string_value(json_object_get(c, "datetime")),
                           json_string_value(json_object_get(a, "endtime"))) < 0)
                    fail_msg("round %d: bookings %s and %s overlap", kill_no,
                             json_string_value(json_object_get(a, "_id")),
                             json_string_value(json_object_get(c, "_id")));
            }
        if (hrc < 0)
            fail_msg("round %d: %s", kill_no, herr);
        br_history_reader_close(hr);
        test_reply_free(&r);
        json_decref(doc);
        assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    }
    print_message(
        "%d kills survived: %zu acknowledged bookings all present, %zu in-flight reported as info\n", KILLS,
        verified, indeterminate);
    assert_true(verified > 0);
    test_remove_db(db);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_acknowledged_is_lost_across_kills),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
