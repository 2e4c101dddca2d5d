/*
 * The verdict table, row by row (docs/oracle.md): a trial's class from its
 * counts, which statuses are target errors, and a run's exit code with and
 * without --expect-violation.
 */
#include "verdict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_trial_classes(void **state)
{
    (void)state;
    struct {
        br_trial_tally t;
        br_trial_class want;
    } rows[] = {
        /* 16 racers, all definite, no violation. */
        {{0, 0, 17, 0, 16, 16, 0, 0, 0}, BR_TRIAL_CLEAN},
        /* The double booking stands even when other requests of the trial failed. */
        {{1, 0, 17, 3, 16, 14, 0, 0, 0}, BR_TRIAL_VIOLATION},
        /* Wrong API key: every request 401. */
        {{0, 3, 17, 17, 16, 16, 0, 0, 0}, BR_TRIAL_TARGET_ERROR},
        /* A health pre-check failure, whatever the requests did. */
        {{0, 0, 0, 0, 0, 0, 0, 1, 0}, BR_TRIAL_TARGET_ERROR},
        /* Two racers timed out: nothing judged. */
        {{0, 0, 17, 2, 16, 14, 0, 0, 0}, BR_TRIAL_INCONCLUSIVE},
        /* A barrier released fewer than it names. */
        {{0, 0, 17, 0, 16, 16, 1, 0, 0}, BR_TRIAL_INCONCLUSIVE},
        /* A refusal the scenario rules out (false conflict), every racer definite. */
        {{0, 1, 17, 0, 16, 16, 0, 0, 0}, BR_TRIAL_EXPECTATION},
        /* Inconclusive outranks an expectation failure: the failure may be the missing answer's doing. */
        {{0, 1, 17, 1, 16, 15, 0, 0, 0}, BR_TRIAL_INCONCLUSIVE},
        /* A required success refused because the day already held the slot: the scenario did not run. */
        {{0, 0, 5, 0, 0, 0, 0, 0, 1}, BR_TRIAL_INCONCLUSIVE},
        /* ... but a violation in the same trial still stands. */
        {{1, 0, 5, 0, 0, 0, 0, 0, 1}, BR_TRIAL_VIOLATION},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (br_trial_classify(&rows[i].t) != rows[i].want)
            fail_msg("row %zu: got %s, want %s", i, br_trial_class_name(br_trial_classify(&rows[i].t)),
                     br_trial_class_name(rows[i].want));
    }
    assert_string_equal(br_trial_class_name(BR_TRIAL_EXPECTATION), "expectation-failed");
}

static void test_target_error_statuses(void **state)
{
    (void)state;
    long target[] = {0, -1, 301, 302, 307, 401, 403, 404, 405, 407, 408, 429, 500, 502, 503, 504, 599};
    long decided[] = {200, 201, 204, 400, 409, 410, 412, 422};
    for (size_t i = 0; i < sizeof(target) / sizeof(target[0]); i++)
        if (!br_status_is_target_error(target[i]))
            fail_msg("%ld should be a target error", target[i]);
    for (size_t i = 0; i < sizeof(decided) / sizeof(decided[0]); i++)
        if (br_status_is_target_error(decided[i]))
            fail_msg("%ld is an answer, not a target error", decided[i]);
}

/* counts: violation, target-error, inconclusive, expectation, clean */
static br_verdict decide(size_t v, size_t t, size_t i, size_t e, size_t c, int expect_violation)
{
    size_t counts[5] = {v, t, i, e, c};
    br_verdict out;
    br_verdict_decide(counts, expect_violation, &out);
    return out;
}

static void test_run_without_expect_violation(void **state)
{
    (void)state;
    br_verdict r = decide(0, 0, 0, 0, 5, 0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.result, "pass");
    assert_string_equal(r.reason, "no violation in 5/5 conclusive trials");
    r = decide(2, 0, 0, 0, 3, 0);
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.reason, "2/5 trials violated the invariant");
    r = decide(0, 0, 0, 1, 4, 0);
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.result, "fail");
    r = decide(0, 5, 0, 0, 0, 0);
    assert_int_equal(r.exit_code, 3);
    assert_string_equal(r.result, "target-error");
    r = decide(0, 0, 3, 0, 0, 0);
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.result, "inconclusive");
    /* Some inconclusive, the rest clean: passes, and says how many were judged. */
    r = decide(0, 0, 1, 0, 4, 0);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.reason, "no violation in 4/5 conclusive trials");
}

static void test_run_with_expect_violation(void **state)
{
    (void)state;
    br_verdict r = decide(3, 0, 0, 0, 0, 1);
    assert_int_equal(r.exit_code, 0);
    assert_string_equal(r.reason, "3/3 trials violated the invariant: reproduced");
    /* A broken target never "reproduces" the bug. */
    r = decide(0, 3, 0, 0, 0, 1);
    assert_int_equal(r.exit_code, 3);
    r = decide(0, 1, 0, 0, 2, 1);
    assert_int_equal(r.exit_code, 3);
    /* Inconclusive is never reproduced. */
    r = decide(0, 0, 3, 0, 0, 1);
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.result, "inconclusive");
    r = decide(0, 0, 1, 1, 1, 1);
    assert_int_equal(r.exit_code, 1);
    assert_string_equal(r.reason, "not reproduced: no violation in 2 conclusive trials (1 inconclusive)");
    /* An empty run proves nothing either way. */
    r = decide(0, 0, 0, 0, 0, 1);
    assert_int_equal(r.exit_code, 1);
    r = decide(0, 0, 0, 0, 0, 0);
    assert_int_equal(r.exit_code, 1);
}

/* A rate counts violations among the trials that showed the bug or its absence. */
static void test_conclusive_trials(void **state)
{
    (void)state;
    size_t counts[5] = {3, 2, 4, 1, 5}; /* violation, target-error, inconclusive, expectation, clean */
    assert_int_equal(br_verdict_conclusive(counts), 9);
    size_t none[5] = {0, 1, 1, 0, 0};
    assert_int_equal(br_verdict_conclusive(none), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trial_classes),
        cmocka_unit_test(test_target_error_statuses),
        cmocka_unit_test(test_run_without_expect_violation),
        cmocka_unit_test(test_run_with_expect_violation),
        cmocka_unit_test(test_conclusive_trials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
