#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix.h"

static void test_shipped_matrix_loads(void **state)
{
    (void)state;
    char err[800];
    br_matrix *m = br_matrix_load(BOOKRACE_SOURCE_DIR "/scenarios/matrix.json", err, sizeof(err));
    if (m == NULL)
        fail_msg("%s", err);
    assert_int_equal(m->mode_count, 6);
    assert_string_equal(m->modes[0].name, "none");
    assert_string_equal(m->modes[0].slot_cache, "ttl:300");
    assert_int_equal(m->modes[2].race_window_us, 2000);
    assert_true(m->row_count >= 7);
    /* The incident replay: the index-only fix does not catch it, the transactional check does. */
    assert_string_equal(m->rows[0].label, "incident-stale-replay");
    assert_int_equal(m->rows[0].expect[1].violation, 1);
    assert_int_equal(m->rows[0].expect[3].violation, 0);
    br_matrix_free(m);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static void test_matrix_errors(void **state)
{
    (void)state;
    struct {
        const char *json, *mentions;
    } cases[] = {
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"none\",\"fix\":\"none\"}],"
         "\"scenarios\":[{\"file\":"
         "\"" BOOKRACE_SOURCE_DIR "/scenarios/cancel-rebook.json\",\"expect\":{}}]}",
         "gives nothing for mode 'none'"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"none\",\"fix\":\"none\"}],"
         "\"scenarios\":[{\"file\":"
         "\"" BOOKRACE_SOURCE_DIR
         "/scenarios/cancel-rebook.json\",\"expect\":{\"none\":\"clean\",\"X\":\"clean\"}}]}",
         "names mode 'X'"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"none\",\"fix\":\"none\"}],"
         "\"scenarios\":[{\"file\":"
         "\"" BOOKRACE_SOURCE_DIR "/scenarios/cancel-rebook.json\",\"expect\":{\"none\":\"violation>=2\"}}]}",
         "expect.none must be"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"none\",\"fix\":\"none\"}],"
         "\"scenarios\":[{\"file\":"
         "\"missing.json\",\"expect\":{\"none\":\"clean\"}}]}",
         "missing.json"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[],\"scenarios\":[]}",
         "modes must be a non-empty array"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"modes\":[{\"name\":\"a\",\"fix\":\"A\"},{\"name\":\"a\","
         "\"fix\":\"C\"}],"
         "\"scenarios\":[]}",
         "used twice"},
        {"{\"name\":\"m\",\"target\":\"t.json\",\"cells\":1}", "unknown key 'cells'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[800] = "";
        write_text("matrix-test.json", cases[i].json);
        br_matrix *m = br_matrix_load("matrix-test.json", err, sizeof(err));
        if (m != NULL)
            fail_msg("case %zu loaded", i);
        if (strstr(err, cases[i].mentions) == NULL)
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].mentions);
    }
    remove("matrix-test.json");
}

/* counts: violation, target-error, inconclusive, expectation-failed, clean */
static br_cell_verdict judge(const char *expect, size_t v, size_t t, size_t i, size_t e, size_t c,
                             char *reason)
{
    br_matrix_expect ex = {.violation = strcmp(expect, "clean") != 0, .share = 1.0};
    if (strncmp(expect, "violation>=", 11) == 0)
        ex.share = strtod(expect + 11, NULL);
    size_t counts[5] = {v, t, i, e, c};
    return br_matrix_judge(&ex, counts, reason, 256);
}

/* Rate expectations are judged on the Wilson interval: too few trials is "undecided", never luck. */
static void test_cell_judgement(void **state)
{
    (void)state;
    char reason[256];
    /* violation>=0.6: 5/5 cannot tell (56-100%), 10/10 can (72-100%), 0/10 is clearly below. */
    assert_int_equal(judge("violation>=0.6", 5, 0, 0, 0, 0, reason), BR_CELL_UNDECIDED);
    assert_string_equal(
        reason, "undecided: need more trials: 5/5 (100%, 95% CI 56-100%) with a violation cannot tell "
                "violation>=0.6");
    assert_int_equal(judge("violation>=0.6", 10, 0, 0, 0, 0, reason), BR_CELL_AS_EXPECTED);
    assert_int_equal(judge("violation>=0.6", 0, 0, 0, 0, 10, reason), BR_CELL_UNEXPECTED);
    /* The old point rule passed 2/3 against >=0.6; the interval (20-94%) cannot tell. */
    assert_int_equal(judge("violation>=0.6", 2, 0, 0, 0, 1, reason), BR_CELL_UNDECIDED);
    /* A false conflict breaks the scenario's rule too (hold-race in C); inconclusive trials are left out. */
    assert_int_equal(judge("violation>=0.5", 3, 0, 2, 7, 0, reason), BR_CELL_AS_EXPECTED);
    assert_non_null(strstr(reason, "10/10 (100%, 95% CI 72-100%) with a violation (2 inconclusive"));
    assert_int_equal(judge("violation>=0.5", 0, 0, 4, 0, 0, reason), BR_CELL_UNDECIDED);
    /* "violation" means every trial; "clean" means none, and nothing inconclusive. */
    assert_int_equal(judge("violation", 3, 0, 0, 0, 0, reason), BR_CELL_AS_EXPECTED);
    assert_int_equal(judge("violation", 2, 0, 0, 0, 1, reason), BR_CELL_UNEXPECTED);
    assert_int_equal(judge("violation", 2, 0, 1, 0, 0, reason), BR_CELL_UNEXPECTED);
    assert_int_equal(judge("clean", 0, 0, 0, 0, 5, reason), BR_CELL_AS_EXPECTED);
    assert_string_equal(reason, "0/5 (0%, 95% CI 0-44%) with a violation; expected clean");
    assert_int_equal(judge("clean", 0, 0, 1, 0, 4, reason), BR_CELL_UNEXPECTED);
    assert_int_equal(judge("clean", 0, 0, 0, 1, 4, reason), BR_CELL_UNEXPECTED);
    assert_int_equal(judge("clean", 0, 0, 0, 0, 0, reason), BR_CELL_UNEXPECTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_matrix_loads),
        cmocka_unit_test(test_matrix_errors),
        cmocka_unit_test(test_cell_judgement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
