/*
 * The version banner: the release is CMake's project version, the revision is
 * what git says about the source tree the test was built from (or "unknown"
 * outside git), and the line has the shape scripts and help2man read.
 */
#include "version.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_release_is_project_version(void **state)
{
    (void)state;
    assert_string_equal(br_version(), BOOKRACE_TEST_PROJECT_VERSION);
}

/* The revision is 7+ lowercase hex digits with an optional "-dirty", or "unknown". */
static void test_gitrev_shape(void **state)
{
    (void)state;
    const char *rev = br_version_gitrev();
    if (strcmp(rev, "unknown") == 0)
        return;
    size_t n = strspn(rev, "0123456789abcdef");
    assert_true(n >= 7);
    assert_true(rev[n] == '\0' || strcmp(rev + n, "-dirty") == 0);
}

/*
 * The test is built from the same tree: in a git checkout the revision must be
 * a commit that checkout has (HEAD itself until someone commits after building).
 */
static void test_gitrev_names_a_commit(void **state)
{
    (void)state;
    char cmd[4400];
    snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse --git-dir >/dev/null 2>&1", BOOKRACE_SOURCE_DIR);
    if (system(cmd) != 0) {
        skip(); /* not a git checkout (or no git): "unknown" is checked by test_gitrev_shape */
        return;
    }
    const char *rev = br_version_gitrev();
    assert_string_not_equal(rev, "unknown");
    char hash[64];
    snprintf(hash, sizeof(hash), "%.*s", (int)strspn(rev, "0123456789abcdef"), rev);
    snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse --quiet --verify '%s^{commit}' >/dev/null",
             BOOKRACE_SOURCE_DIR, hash);
    assert_int_equal(system(cmd), 0);
}

static void test_line_for_each_program(void **state)
{
    (void)state;
    char want[256], line[256];
    snprintf(want, sizeof(want), "bookrace %s (git %s)", br_version(), br_version_gitrev());
    assert_int_equal(br_version_line(line, sizeof(line), "bookrace"), (int)strlen(want));
    assert_string_equal(line, want);
    snprintf(want, sizeof(want), "bookd (bookrace) %s (git %s)", br_version(), br_version_gitrev());
    br_version_line(line, sizeof(line), "bookd");
    assert_string_equal(line, want);
}

/* A short buffer gets a truncated, terminated line and the full length back (snprintf's contract). */
static void test_line_truncates(void **state)
{
    (void)state;
    char line[8];
    int n = br_version_line(line, sizeof(line), "bookrace");
    assert_true(n > 8);
    assert_string_equal(line, "bookrac");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_is_project_version),
        cmocka_unit_test(test_gitrev_shape),
        cmocka_unit_test(test_gitrev_names_a_commit),
        cmocka_unit_test(test_line_for_each_program),
        cmocka_unit_test(test_line_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
