/*
 * bookrace matrix's rate judgement against real bookd processes: a
 * `violation>=0.6` cell with too few trials to decide is "undecided: need more
 * trials" and the matrix exits 5 (never 0), enough trials decide it (exit 0),
 * and a cell that is not as expected outranks an undecided one (exit 1).
 * matrix.json and junit.xml say the same. Deterministic: --fix none has no
 * overlap check, so every trial of a burst double-books; only the number of
 * trials differs between the cases.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "process.h"

/* Writes a one-mode (--fix none) matrix over same-slot-burst: |repeat| trials, then |extra_row| if any. */
static void write_matrix(const char *path, int repeat, const char *extra_row)
{
    char sc[600], tg[600];
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(
        f,
        "{\"name\": \"rates\", \"target\": \"%s\", \"modes\": [{\"name\": \"none\", \"fix\": \"none\"}],\n"
        " \"scenarios\": [{\"file\": \"%s\", \"repeat\": %d, \"expect\": {\"none\": "
        "\"violation>=0.6\"}}%s]}\n",
        test_source_path("scenarios/targets/bookd.json", tg, sizeof(tg)),
        test_source_path("scenarios/same-slot-burst.json", sc, sizeof(sc)), repeat,
        extra_row ? extra_row : "");
    fclose(f);
}

static int run_matrix(const char *matrix, const char *out, char *output, size_t cap)
{
    const char *argv[] = {test_bookrace_bin(), "matrix", matrix, "--bookd", test_bookd_bin(), "--out", out,
                          "--quiet",           NULL};
    return test_run(argv, output, cap);
}

static json_t *load(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (doc == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return doc;
}

static char *read_text(const char *dir, const char *name)
{
    char path[700], *text = NULL;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t len = 0;
    assert_int_not_equal(getdelim(&text, &len, '\0', f), -1);
    fclose(f);
    return text;
}

static void test_undecided_then_decided(void **state)
{
    (void)state;
    char matrix[512], out[512], output[16384];
    test_temp_path(matrix, sizeof(matrix), "-rates.json");
    /* 3/3 violated: the interval 44-100% straddles 0.6. */
    write_matrix(matrix, 3, NULL);
    test_temp_path(out, sizeof(out), "-rates");
    int rc = run_matrix(matrix, out, output, sizeof(output));
    if (rc != 5)
        fail_msg("3 trials: exit %d, want 5: %s", rc, output);
    assert_non_null(strstr(output, "undecided: need more trials: 3/3 (100%, 95% CI 43-100%)"));
    json_t *doc = load(out, "matrix.json");
    assert_int_equal(json_integer_value(json_object_get(doc, "cellsUndecided")), 1);
    json_t *cell = json_array_get(json_object_get(doc, "cells"), 0);
    assert_string_equal(json_string_value(json_object_get(cell, "verdict")), "undecided");
    assert_false(json_is_true(json_object_get(cell, "asExpected")));
    json_t *rep = json_object_get(cell, "reproduction");
    assert_int_equal(json_integer_value(json_object_get(rep, "k")), 3);
    assert_int_equal(json_integer_value(json_object_get(rep, "n")), 3);
    json_decref(doc);
    char *junit = read_text(out, "junit.xml");
    assert_non_null(strstr(junit, "<error type=\"undecided\""));
    free(junit);

    /* 8/8: 68-100%, wholly above 0.6. */
    write_matrix(matrix, 8, NULL);
    test_temp_path(out, sizeof(out), "-rates");
    rc = run_matrix(matrix, out, output, sizeof(output));
    if (rc != 0)
        fail_msg("8 trials: exit %d, want 0: %s", rc, output);
    remove(matrix);
}

static void test_failure_outranks_undecided(void **state)
{
    (void)state;
    char matrix[512], out[512], output[16384], sc[600], row[900];
    test_temp_path(matrix, sizeof(matrix), "-rates.json");
    snprintf(row, sizeof(row),
             ", {\"name\": \"wrong\", \"file\": \"%s\", \"repeat\": 1, \"expect\": {\"none\": \"clean\"}}",
             test_source_path("scenarios/same-slot-burst.json", sc, sizeof(sc)));
    write_matrix(matrix, 2, row);
    test_temp_path(out, sizeof(out), "-rates");
    int rc = run_matrix(matrix, out, output, sizeof(output));
    if (rc != 1)
        fail_msg("exit %d, want 1: %s", rc, output);
    json_t *doc = load(out, "matrix.json");
    assert_int_equal(json_integer_value(json_object_get(doc, "cellsUndecided")), 1);
    assert_int_equal(json_integer_value(json_object_get(doc, "cellsUnexpected")), 1);
    json_decref(doc);
    remove(matrix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_undecided_then_decided),
        cmocka_unit_test(test_failure_outranks_undecided),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
