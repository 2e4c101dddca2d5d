/*
 * The verdict: what a run proved, from what each trial saw. A CI gate that
 * goes green because the credentials expired is worse than none, so three
 * things are kept apart (docs/oracle.md has the table):
 *   - invariant violations: a double booking, a lost or an unexpected booking
 *     (the bug);
 *   - expectation failures: a step did not get the outcome it required, e.g.
 *     an unjustified refusal (a false conflict);
 *   - target errors: the backend failed rather than answered: no response, a
 *     timeout, a reset, a redirect, 401/403, a wrong route, 429, a 5xx, an
 *     answer the profile's pointers cannot read.
 * A trial whose racing requests did not all get a definite answer raced
 * nothing anyone can judge: it is inconclusive, never "reproduced" and never
 * "clean". So is a trial whose required step was refused because the day
 * already held the slot (a justified refusal): the scenario did not run as
 * written. Pure functions over counts, so every row of the table is a unit test.
 */
#ifndef BR_VERDICT_H
#define BR_VERDICT_H

#include <stddef.h>

/* What one trial showed, most serious first. */
typedef enum {
    BR_TRIAL_VIOLATION,    /* an invariant violation: definite acknowledgements that break the invariant */
    BR_TRIAL_TARGET_ERROR, /* the target failed every request of the trial, or its pre-check failed */
    BR_TRIAL_INCONCLUSIVE, /* a racer got no definite answer, or a barrier released fewer racers than named */
    BR_TRIAL_EXPECTATION,  /* a step's outcome was one the scenario ruled out */
    BR_TRIAL_CLEAN,        /* every racer answered definitely, nothing ruled out happened */
} br_trial_class;

/* The counts a trial's oracle pass produces. */
typedef struct {
    size_t invariant_violations; /* double bookings (history or stored), lost and unexpected bookings */
    size_t expectation_failures; /* outcome mismatches NOT explained by a target error */
    size_t requests;             /* requests the trial sent */
    size_t target_errors;        /* of those, how many the target failed (br_status_is_target_error) */
    size_t racers;               /* requests released by barriers */
    size_t racers_definite;      /* of those, how many got a definite answer (ok or a refusal) */
    int barrier_short;           /* a barrier released fewer racers than it names */
    int precheck_failed;         /* the health pre-check before the trial failed */
    size_t blocked; /* required successes refused for a justified reason, or not judgeable (judge.h) */
} br_trial_tally;

br_trial_class br_trial_classify(const br_trial_tally *t);
/* "violation", "target-error", "inconclusive", "expectation-failed", "clean". */
const char *br_trial_class_name(br_trial_class c);

/*
 * Whether an answer means the target failed rather than decided: no response
 * (0), 3xx, 401, 403, 404, 405, 407, 408, 429 and every 5xx. A 404 or 405 on a
 * route the profile names is a profile that does not match the backend, not a
 * refusal of the booking. Statuses the profile lists as success or conflict
 * are never target errors (the caller checks those first).
 */
int br_status_is_target_error(long status);

/*
 * The trials that can speak to a reproduction rate: violation, expectation-failed
 * and clean. Inconclusive and target-error trials showed neither the bug nor its
 * absence, so a rate "k/n" counts k violations among these n (docs/oracle.md).
 */
size_t br_verdict_conclusive(const size_t counts[5]);

/* The decision for a whole run. */
typedef struct {
    int exit_code;      /* BR_EXIT_* values: 0 held, 1 did not, 3 target error */
    const char *result; /* "pass", "fail", "target-error", "inconclusive" */
    char reason[256];   /* one line a person reads in CI: what happened, in numbers */
} br_verdict;

/* Trials of each class (indexed by br_trial_class) and the expectation; fills |out|. */
void br_verdict_decide(const size_t counts[5], int expect_violation, br_verdict *out);

#endif
