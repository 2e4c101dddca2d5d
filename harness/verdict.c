/*
 * The verdict table (verdict.h, docs/oracle.md): how each trial is classed from
 * its counts, and how a run's trials become one exit code and one line of
 * reason. Kept apart from the oracle, which finds violations, and from the
 * race runner, which counts answers, so the policy lives in one place.
 */
#include "verdict.h"

#include <stdio.h>

enum { EXIT_HELD = 0, EXIT_NOT_HELD = 1, EXIT_TARGET = 3 };

br_trial_class br_trial_classify(const br_trial_tally *t)
{
    /* Definite acknowledgements that break the invariant stand whatever else failed around them. */
    if (t->invariant_violations > 0)
        return BR_TRIAL_VIOLATION;
    if (t->precheck_failed || (t->requests > 0 && t->target_errors == t->requests))
        return BR_TRIAL_TARGET_ERROR;
    if (t->barrier_short || t->racers_definite < t->racers || t->blocked > 0)
        return BR_TRIAL_INCONCLUSIVE;
    if (t->expectation_failures > 0)
        return BR_TRIAL_EXPECTATION;
    return BR_TRIAL_CLEAN;
}

const char *br_trial_class_name(br_trial_class c)
{
    static const char *const names[] = {"violation", "target-error", "inconclusive", "expectation-failed",
                                        "clean"};
    return (unsigned)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

int br_status_is_target_error(long status)
{
    if (status <= 0 || (status >= 300 && status < 400) || status >= 500)
        return 1;
    switch (status) {
    case 401:
    case 403:
    case 404:
    case 405:
    case 407:
    case 408:
    case 429:
        return 1;
    default:
        return 0;
    }
}

size_t br_verdict_conclusive(const size_t counts[5])
{
    return counts[BR_TRIAL_VIOLATION] + counts[BR_TRIAL_EXPECTATION] + counts[BR_TRIAL_CLEAN];
}

static void set(br_verdict *v, int code, const char *result)
{
    v->exit_code = code;
    v->result = result;
}

void br_verdict_decide(const size_t counts[5], int expect_violation, br_verdict *v)
{
    size_t n = 0;
    for (int i = 0; i < 5; i++)
        n += counts[i];
    size_t viol = counts[BR_TRIAL_VIOLATION], target = counts[BR_TRIAL_TARGET_ERROR];
    size_t inconclusive = counts[BR_TRIAL_INCONCLUSIVE], expect = counts[BR_TRIAL_EXPECTATION];
    if (viol > 0) {
        set(v, expect_violation ? EXIT_HELD : EXIT_NOT_HELD, expect_violation ? "pass" : "fail");
        snprintf(v->reason, sizeof(v->reason), "%zu/%zu trials violated the invariant%s", viol, n,
                 expect_violation ? ": reproduced" : "");
    } else if (target > 0) {
        set(v, EXIT_TARGET, "target-error");
        snprintf(
            v->reason, sizeof(v->reason),
            "the target failed in %zu/%zu trials (every request failed, or its pre-check did): no verdict",
            target, n);
    } else if (n == 0 || inconclusive == n) {
        set(v, EXIT_NOT_HELD, "inconclusive");
        snprintf(
            v->reason, sizeof(v->reason),
            "%zu/%zu trials inconclusive: a racer got no definite answer, a barrier released too few, or a "
            "required step was refused for a reason or failed (the notes say which)",
            inconclusive, n);
    } else if (expect_violation) {
        set(v, EXIT_NOT_HELD, "fail");
        snprintf(v->reason, sizeof(v->reason),
                 "not reproduced: no violation in %zu conclusive trials (%zu inconclusive)", n - inconclusive,
                 inconclusive);
    } else if (expect > 0) {
        set(v, EXIT_NOT_HELD, "fail");
        snprintf(v->reason, sizeof(v->reason), "%zu/%zu trials had an outcome the scenario rules out", expect,
                 n);
    } else {
        set(v, EXIT_HELD, "pass");
        snprintf(v->reason, sizeof(v->reason), "no violation in %zu/%zu conclusive trials", n - inconclusive,
                 n);
    }
}
