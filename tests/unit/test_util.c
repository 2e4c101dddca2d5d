/*
 * The harness's homeless helpers (util.h): the wall clock, run ids, thread
 * defaults, results folders that never collide, and whole-file reading.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The wall clock is the Unix epoch in microseconds: time(2) brackets it. */
static void test_wall_clock_is_epoch_microseconds(void **state)
{
    (void)state;
    time_t before = time(NULL);
    int64_t us = br_wall_us();
    time_t after = time(NULL);
    assert_true(us >= (int64_t)before * 1000000);
    assert_true(us < ((int64_t)after + 1) * 1000000);
}

static void test_run_ids_are_eight_hex_digits_and_differ(void **state)
{
    (void)state;
    char a[17], b[17];
    memset(a, 'x', sizeof(a));
    br_new_run_id(a);
    br_new_run_id(b);
    assert_int_equal(strlen(a), 8);
    assert_int_equal(strspn(a, "0123456789abcdef"), 8);
    assert_int_equal(strspn(b, "0123456789abcdef"), 8);
    /* 32 random bits each: equal by chance once in four billion. */
    assert_string_not_equal(a, b);
}

static void test_thread_defaults(void **state)
{
    (void)state;
    int cpus = br_cpu_count();
    assert_true(cpus >= 1);
    assert_int_equal(cpus, (int)sysconf(_SC_NPROCESSORS_ONLN));
    assert_int_equal(br_default_race_threads(0), 1);
    assert_int_equal(br_default_race_threads(1), 1);
    assert_int_equal(br_default_race_threads(100000), cpus);
    assert_int_equal(br_default_race_threads((size_t)cpus), cpus);
}

/* Runs |fn| in a fresh temporary folder as the working directory. */
static void in_temp_dir(void (*fn)(void))
{
    char old[PATH_MAX], dir[] = "/tmp/test_util-XXXXXX";
    assert_non_null(getcwd(old, sizeof(old)));
    assert_non_null(mkdtemp(dir));
    assert_int_equal(chdir(dir), 0);
    fn();
    assert_int_equal(chdir(old), 0);
    char cmd[64];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

static void out_dirs(void)
{
    char a[256], b[256], c[256];
    br_default_out_dir(a, sizeof(a), "race");
    /* results/<YYYYMMDDTHHMMSSZ>-race */
    assert_int_equal(strncmp(a, "results/", 8), 0);
    assert_int_equal(strlen(a), strlen("results/20261206T224917Z-race"));
    assert_int_equal(a[16], 'T');
    assert_int_equal(a[23], 'Z');
    assert_string_equal(a + 24, "-race");
    assert_int_equal(mkdir("results", 0755), 0);
    assert_int_equal(mkdir(a, 0755), 0);
    /* Taken: the next gets -2, then -3 (unless the second turned meanwhile, giving a fresh stamp). */
    br_default_out_dir(b, sizeof(b), "race");
    assert_string_not_equal(a, b);
    if (strncmp(a, b, strlen(a)) == 0)
        assert_string_equal(b + strlen(a), "-2");
    assert_int_equal(mkdir(b, 0755), 0);
    br_default_out_dir(c, sizeof(c), "race");
    assert_string_not_equal(c, a);
    assert_string_not_equal(c, b);
    if (strncmp(a, c, strlen(a)) == 0)
        assert_string_equal(c + strlen(a), "-3");
}

static void test_out_dirs_never_collide(void **state)
{
    (void)state;
    in_temp_dir(out_dirs);
}

static void test_read_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_util-read-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* Larger than the first buffer (8 KiB), with a NUL byte inside. */
    size_t size = 20000;
    char *data = malloc(size);
    for (size_t i = 0; i < size; i++)
        data[i] = (char)('a' + i % 26);
    data[100] = '\0';
    assert_int_equal(write(fd, data, size), (ssize_t)size);
    close(fd);
    size_t len = 0;
    char *got = br_read_file(path, &len);
    assert_non_null(got);
    assert_int_equal(len, size);
    assert_memory_equal(got, data, size);
    assert_int_equal(got[len], '\0');
    free(got);

    /* An empty file is an empty string, not a failure. */
    FILE *f = fopen(path, "w");
    fclose(f);
    got = br_read_file(path, &len);
    assert_non_null(got);
    assert_int_equal(len, 0);
    assert_string_equal(got, "");
    free(got);
    unlink(path);
    free(data);

    errno = 0;
    assert_null(br_read_file("/nonexistent/file.json", &len));
    assert_int_equal(errno, ENOENT);
    /* A folder opens but does not read. */
    errno = 0;
    assert_null(br_read_file("/tmp", &len));
    assert_int_equal(errno, EISDIR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wall_clock_is_epoch_microseconds),
        cmocka_unit_test(test_run_ids_are_eight_hex_digits_and_differ),
        cmocka_unit_test(test_thread_defaults),
        cmocka_unit_test(test_out_dirs_never_collide),
        cmocka_unit_test(test_read_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
