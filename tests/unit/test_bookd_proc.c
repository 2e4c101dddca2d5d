/*
 * bookd process start-up (bookd_proc.h), with real processes: bookd on port 0
 * answers on the port its listening line names and stops cleanly; a bookd
 * refusing its arguments, a missing binary, a program that never says it
 * listens and one that says something else each fail with a reason, leaving
 * no process behind. Also where bookd is looked for.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bookd_proc.h"
#include "http.h"
#include "process.h"

/* Whether |pid| is gone (reaped: not even a zombie of ours). */
static int gone(pid_t pid)
{
    return kill(pid, 0) != 0 && errno == ESRCH;
}

static void test_bookd_on_port_zero_answers_and_stops(void **state)
{
    (void)state;
    char db[512], err[600] = "";
    test_temp_path(db, sizeof(db), ".db");
    const char *args[] = {"--db", db, "--threads", "1", NULL};
    br_server s;
    if (br_server_start(&s, test_bookd_bin(), args, 10000, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_true(s.pid > 0);
    assert_true(s.port > 0 && s.port < 65536);
    char want[64];
    snprintf(want, sizeof(want), "listening on 127.0.0.1:%d ", s.port);
    assert_non_null(strstr(s.line, want));
    test_reply r = test_http(s.port, "GET", "/health", NULL, NULL);
    assert_int_equal(r.status, 200);
    test_reply_free(&r);
    pid_t pid = s.pid;
    assert_int_equal(br_server_stop(&s), 0);
    assert_int_equal(s.pid, -1);
    assert_true(gone(pid));
    /* Stopping twice is refused, not a second kill. */
    assert_int_equal(br_server_stop(&s), -1);
    test_remove_db(db);
}

static void test_refused_arguments_say_the_exit_status(void **state)
{
    (void)state;
    char err[600] = "";
    const char *args[] = {"--fix", "bogus", NULL};
    br_server s;
    assert_int_equal(br_server_start(&s, test_bookd_bin(), args, 10000, err, sizeof(err)), -1);
    if (strstr(err, "exited with status 2 before listening (it printed nothing; its reason is on stderr)") ==
        NULL)
        fail_msg("unexpected reason: %s", err);
    assert_non_null(strstr(err, test_bookd_bin()));
    assert_int_equal(s.pid, -1);
}

static void test_missing_binary(void **state)
{
    (void)state;
    char err[600] = "";
    const char *args[] = {NULL};
    br_server s;
    assert_int_equal(br_server_start(&s, "/nonexistent/bookd", args, 1000, err, sizeof(err)), -1);
    assert_string_equal(err, "cannot start /nonexistent/bookd: No such file or directory");
    assert_int_equal(s.pid, -1);
    /* A bare name is looked up in PATH (an installed bookd), and a name found nowhere says so. */
    assert_int_equal(br_server_start(&s, "bookd-that-is-not-installed", args, 1000, err, sizeof(err)), -1);
    assert_string_equal(err, "cannot start bookd-that-is-not-installed: No such file or directory");
}

/* Writes an executable shell script into the scratch folder; its path into |path|. */
static void script(char *path, size_t cap, const char *body)
{
    test_temp_path(path, cap, ".sh");
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

/* A server that prints nothing is given the time asked for, in all, then stopped. */
static void test_silence_times_out_and_is_stopped(void **state)
{
    (void)state;
    char path[512], err[600] = "";
    script(path, sizeof(path), "printf 'starting'; exec sleep 30");
    const char *args[] = {NULL};
    br_server s;
    assert_int_equal(br_server_start(&s, path, args, 300, err, sizeof(err)), -1);
    char want[700];
    snprintf(want, sizeof(want), "%s did not start listening within 300 ms (it printed: starting)", path);
    assert_string_equal(err, want);
    assert_int_equal(s.pid, -1);
    unlink(path);
}

static void test_another_first_line(void **state)
{
    (void)state;
    char path[512], err[600] = "";
    script(path, sizeof(path), "echo 'ready on port 80'; exec sleep 30");
    const char *args[] = {NULL};
    br_server s;
    assert_int_equal(br_server_start(&s, path, args, 5000, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unexpected first line from "));
    assert_non_null(strstr(err, ": ready on port 80"));
    assert_int_equal(s.pid, -1);
    unlink(path);
}

static void test_paths_next_to_the_executable(void **state)
{
    (void)state;
    char buf[4096];
    /* This test's own binary is next to itself; a name that is not, is not. */
    assert_int_equal(br_path_next_to_exe("test_bookd_proc", buf, sizeof(buf)), 0);
    assert_int_equal(buf[0], '/');
    assert_non_null(strstr(buf, "/test_bookd_proc"));
    assert_int_equal(access(buf, X_OK), 0);
    assert_int_equal(br_path_next_to_exe("no-such-file", buf, sizeof(buf)), -1);
    /* No bookd beside the tests: the bare name, for PATH. */
    br_default_bookd_path(buf, sizeof(buf));
    assert_string_equal(buf, "bookd");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bookd_on_port_zero_answers_and_stops),
        cmocka_unit_test(test_refused_arguments_say_the_exit_status),
        cmocka_unit_test(test_missing_binary),
        cmocka_unit_test(test_silence_times_out_and_is_stopped),
        cmocka_unit_test(test_another_first_line),
        cmocka_unit_test(test_paths_next_to_the_executable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
