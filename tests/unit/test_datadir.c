/*
 * The data lookup: each place in the documented order, the first match
 * winning, the source tree consulted only from the build tree, bare names
 * found under the subfolder, and a miss naming every path tried. Runs in a
 * temporary folder laid out like an installed prefix, a build tree and a
 * $BOOKRACE_DATADIR.
 */
#include "datadir.h"

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

static char root[PATH_MAX], old_cwd[PATH_MAX];

static void mkdirs(const char *rel)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0755);
            *p = '/';
        }
    }
    mkdir(path, 0755);
}

static void touch(const char *rel)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/%s", root, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("{}", f);
    fclose(f);
}

static char *at(const char *rel)
{
    static char bufs[8][PATH_MAX + 64];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof(bufs[0]), "%s/%s", root, rel);
    return b;
}

/* A prefix (bin/, share/bookrace/scenarios/targets/), a build tree inside a source tree, an env dir, an
 * empty working folder. */
static int setup(void **state)
{
    (void)state;
    assert_non_null(getcwd(old_cwd, sizeof(old_cwd)));
    snprintf(root, sizeof(root), "/tmp/test_datadir.XXXXXX");
    assert_non_null(mkdtemp(root));
    mkdirs("prefix/bin");
    mkdirs("prefix/share/bookrace/scenarios/targets");
    touch("prefix/share/bookrace/scenarios/targets/bookd.json");
    touch("prefix/share/bookrace/scenarios/incident.json");
    mkdirs("src/build");
    mkdirs("src/scenarios/targets");
    touch("src/scenarios/targets/bookd.json");
    mkdirs("elsewhere/build");
    mkdirs("env/scenarios/targets");
    touch("env/scenarios/targets/bookd.json");
    mkdirs("work");
    assert_int_equal(chdir(at("work")), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(chdir(old_cwd), 0);
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_order_of_places(void **state)
{
    (void)state;
    br_datadir_inputs in = {.env_datadir = "/e",
                            .exe_dir = at("src/build"),
                            .configured = "/usr/local/share/bookrace",
                            .build_dir = at("src/build"),
                            .source_dir = "/the/source"};
    const char *places[BR_DATADIR_MAX_PLACES];
    char storage[2][PATH_MAX + 64];
    size_t n = br_datadir_places(&in, places, BR_DATADIR_MAX_PLACES, storage[0], sizeof(storage[0]));
    assert_int_equal(n, 6);
    assert_string_equal(places[0], "/e");
    assert_string_equal(places[1], ".");
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "%s/..", at("src/build"));
    assert_string_equal(places[2], want);
    snprintf(want, sizeof(want), "%s/../share/bookrace", at("src/build"));
    assert_string_equal(places[3], want);
    assert_string_equal(places[4], "/usr/local/share/bookrace");
    assert_string_equal(places[5], "/the/source");
}

/* An installed binary (not in its build tree) never looks at the source tree; unset places are left out. */
static void test_installed_binary_skips_source_tree(void **state)
{
    (void)state;
    br_datadir_inputs in = {
        .exe_dir = at("prefix/bin"), .build_dir = at("src/build"), .source_dir = at("src")};
    const char *places[BR_DATADIR_MAX_PLACES];
    char storage[2][PATH_MAX + 64];
    size_t n = br_datadir_places(&in, places, BR_DATADIR_MAX_PLACES, storage[0], sizeof(storage[0]));
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++)
        assert_string_not_equal(places[i], at("src"));
}

static void test_installed_prefix_found(void **state)
{
    (void)state;
    br_datadir_inputs in = {
        .exe_dir = at("prefix/bin"), .build_dir = at("src/build"), .source_dir = at("src")};
    char out[PATH_MAX], err[4096];
    assert_int_equal(br_datadir_resolve_in(&in, BR_DEFAULT_TARGET, NULL, out, sizeof(out), err, sizeof(err)),
                     0);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want), "%s/../share/bookrace/%s", at("prefix/bin"), BR_DEFAULT_TARGET);
    assert_string_equal(out, want);
}

/* From the build tree: build/.. is the source tree, found before the configured datadir. */
static void test_build_tree_found(void **state)
{
    (void)state;
    br_datadir_inputs in = {.exe_dir = at("src/build"),
                            .configured = at("prefix/share/bookrace"),
                            .build_dir = at("src/build"),
                            .source_dir = at("src")};
    char out[PATH_MAX], err[4096], want[PATH_MAX + 64];
    assert_int_equal(br_datadir_resolve_in(&in, BR_DEFAULT_TARGET, NULL, out, sizeof(out), err, sizeof(err)),
                     0);
    snprintf(want, sizeof(want), "%s/../%s", at("src/build"), BR_DEFAULT_TARGET);
    assert_string_equal(out, want);
}

/* A build tree outside the source tree: build/.. has nothing, the source tree (place 6) does. */
static void test_out_of_tree_build_uses_source(void **state)
{
    (void)state;
    br_datadir_inputs in = {
        .exe_dir = at("elsewhere/build"), .build_dir = at("elsewhere/build"), .source_dir = at("src")};
    char out[PATH_MAX], err[4096], want[PATH_MAX + 64];
    assert_int_equal(br_datadir_resolve_in(&in, BR_DEFAULT_TARGET, NULL, out, sizeof(out), err, sizeof(err)),
                     0);
    snprintf(want, sizeof(want), "%s/%s", at("src"), BR_DEFAULT_TARGET);
    assert_string_equal(out, want);
}

static void test_env_wins(void **state)
{
    (void)state;
    br_datadir_inputs in = {.env_datadir = at("env"), .exe_dir = at("prefix/bin")};
    char out[PATH_MAX], err[4096], want[PATH_MAX + 64];
    assert_int_equal(br_datadir_resolve_in(&in, BR_DEFAULT_TARGET, NULL, out, sizeof(out), err, sizeof(err)),
                     0);
    snprintf(want, sizeof(want), "%s/%s", at("env"), BR_DEFAULT_TARGET);
    assert_string_equal(out, want);
}

/* The current folder beats the prefix, and an existing relative path comes back as given. */
static void test_cwd_beats_prefix(void **state)
{
    (void)state;
    mkdirs("work/scenarios/targets");
    touch("work/scenarios/targets/bookd.json");
    br_datadir_inputs in = {.exe_dir = at("prefix/bin")};
    char out[PATH_MAX], err[4096];
    assert_int_equal(br_datadir_resolve_in(&in, BR_DEFAULT_TARGET, NULL, out, sizeof(out), err, sizeof(err)),
                     0);
    assert_string_equal(out, BR_DEFAULT_TARGET);
    assert_int_equal(unlink(at("work/" BR_DEFAULT_TARGET)), 0);
}

/* A bare name is looked up under the subfolder: "--target bookd.json", "run incident.json". */
static void test_bare_name_under_subdir(void **state)
{
    (void)state;
    br_datadir_inputs in = {.exe_dir = at("prefix/bin")};
    char out[PATH_MAX], err[4096], want[PATH_MAX + 64];
    assert_int_equal(
        br_datadir_resolve_in(&in, "bookd.json", "scenarios/targets", out, sizeof(out), err, sizeof(err)), 0);
    snprintf(want, sizeof(want), "%s/../share/bookrace/scenarios/targets/bookd.json", at("prefix/bin"));
    assert_string_equal(out, want);
    assert_int_equal(
        br_datadir_resolve_in(&in, "incident.json", "scenarios", out, sizeof(out), err, sizeof(err)), 0);
    snprintf(want, sizeof(want), "%s/../share/bookrace/scenarios/incident.json", at("prefix/bin"));
    assert_string_equal(out, want);
}

/* A miss names the file and every path tried, in order. */
static void test_miss_names_every_place(void **state)
{
    (void)state;
    br_datadir_inputs in = {
        .env_datadir = "/nowhere/env", .exe_dir = at("prefix/bin"), .configured = "/nowhere/conf"};
    char out[PATH_MAX], err[4096];
    assert_int_equal(
        br_datadir_resolve_in(&in, "missing.json", "scenarios", out, sizeof(out), err, sizeof(err)), -1);
    assert_non_null(strstr(err,
                           "cannot find missing.json; looked in missing.json, /nowhere/env/missing.json, "
                           "/nowhere/env/scenarios/missing.json, scenarios/missing.json, "));
    char want[PATH_MAX + 64];
    snprintf(want, sizeof(want),
             "%s/../share/bookrace/scenarios/missing.json, /nowhere/conf/missing.json, "
             "/nowhere/conf/scenarios/missing.json (set BOOKRACE_DATADIR",
             at("prefix/bin"));
    assert_non_null(strstr(err, want));
}

static void test_absolute_and_empty(void **state)
{
    (void)state;
    br_datadir_inputs in = {0};
    char out[PATH_MAX], err[512];
    assert_int_equal(
        br_datadir_resolve_in(&in, "/abs/missing.json", "scenarios", out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "/abs/missing.json");
    assert_int_equal(br_datadir_resolve_in(&in, "", NULL, out, sizeof(out), err, sizeof(err)), -1);
    char tiny[4];
    assert_int_equal(br_datadir_resolve_in(&in, "/abs/x.json", NULL, tiny, sizeof(tiny), err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "too long"));
}

/* The wrapper reads the process: $BOOKRACE_DATADIR, and the executable's folder (build/tests/). */
static void test_current_process(void **state)
{
    (void)state;
    char out[PATH_MAX], err[4096], exe[PATH_MAX];
    setenv("BOOKRACE_DATADIR", BOOKRACE_SOURCE_DIR, 1);
    assert_int_equal(br_datadir_resolve(BR_DEFAULT_TARGET, NULL, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, BOOKRACE_SOURCE_DIR "/" BR_DEFAULT_TARGET);
    unsetenv("BOOKRACE_DATADIR");
    br_datadir_inputs in;
    br_datadir_inputs_current(&in, exe, sizeof(exe));
    assert_null(in.env_datadir);
    assert_non_null(in.exe_dir);
    assert_non_null(strstr(in.exe_dir, "/tests"));
    assert_int_equal(access(in.exe_dir, X_OK), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_of_places),
        cmocka_unit_test(test_installed_binary_skips_source_tree),
        cmocka_unit_test(test_installed_prefix_found),
        cmocka_unit_test(test_build_tree_found),
        cmocka_unit_test(test_out_of_tree_build_uses_source),
        cmocka_unit_test(test_env_wins),
        cmocka_unit_test(test_cwd_beats_prefix),
        cmocka_unit_test(test_bare_name_under_subdir),
        cmocka_unit_test(test_miss_names_every_place),
        cmocka_unit_test(test_absolute_and_empty),
        cmocka_unit_test(test_current_process),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
