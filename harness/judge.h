/*
 * Judging a trial after the oracle: which of its findings are the bug, which
 * are the target failing, and which refusals were justified.
 *
 * A refusal of a step that required success is a false conflict only if, when
 * it was answered, no active booking overlapping it existed, whoever made it.
 * The evidence, in order:
 *   1. the day's bookings listed before the trial (the profile's `list`),
 *      unless this run cancelled them before the refusal was sent;
 *   2. this run's own acknowledged (or indeterminate) bookings and other
 *      actors' holds that were sent before the refusal completed and not
 *      cancelled before it was sent;
 *   3. the conflict answer's own evidence, when the profile points at it
 *      (`conflictEvidence`): a booking whose range overlaps the request;
 *   4. bookings of other clients that the list after the trial shows and the
 *      list before did not (made during the trial: they may have come first).
 * Nothing found and the day was listed before the trial (or the target gave
 * evidence that does not overlap): FALSE CONFLICT. Nothing found and neither:
 * the refusal cannot be judged, and the report says so instead of guessing.
 *
 * A step's outcome that is a target error (401, 5xx, a timeout: verdict.h) is
 * reported as the target's failure, never as an expectation failure.
 * Pure functions over plain data; tests in test_judge.c.
 */
#ifndef BR_JUDGE_H
#define BR_JUDGE_H

#include "oracle.h"
#include "verdict.h"

#include <stddef.h>
#include <stdint.h>

/* What a conflict answer says it conflicted with (the profile's conflictEvidence pointer). */
typedef struct {
    int present;
    char id[BR_ID_MAX];
    char inspector[BR_NAME_MAX]; /* "" when the evidence does not say: the request's inspector */
    int64_t start_us, end_us;    /* 0 when the evidence has no range */
} br_conflict_evidence;

typedef struct {
    const br_op_record *ops;
    size_t op_count;
    const br_conflict_evidence *evidence; /* op_count entries, or NULL */
    const unsigned char *raced;           /* op_count flags: released by a barrier; or NULL */
    const br_truth_booking *before;       /* the day's bookings before the trial */
    size_t before_count;
    int before_checked; /* the list before the trial was read */
    const br_truth_booking *after;
    size_t after_count;
    int after_checked;
    int barrier_short; /* a barrier released fewer racers than it names */
    int precheck_failed;
} br_judge_input;

typedef enum { BR_REFUSAL_FALSE, BR_REFUSAL_JUSTIFIED, BR_REFUSAL_UNJUDGED } br_refusal_kind;

/* Judges the refusal ops[i]; |why| gets the evidence in words ("booking 7 09:26-11:26 ..."). */
br_refusal_kind br_judge_refusal(const br_judge_input *in, size_t i, char *why, size_t whylen);

/*
 * Re-reads the oracle's outcome findings in |v|: target errors and justified
 * or unjudged refusals move to |explained| (one line each: "TARGET ERROR
 * ...", "JUSTIFIED REFUSAL ...", "REFUSAL NOT JUDGED ..."); false conflicts
 * stay. Fills |tally| for br_trial_classify. A refusal that was justified or
 * could not be judged on a step that required success means the scenario
 * could not run as written: |tally->blocked| counts them.
 */
void br_judge_trial(const br_judge_input *in, br_violations *v, br_violations *explained,
                    br_trial_tally *tally);

/*
 * Whether |truth| holds an active booking of any of |inspectors| (all
 * inspectors when |count| is 0): the test --free-day applies to each day.
 */
int br_truth_holds_any(const br_truth_booking *truth, size_t n, const char *const *inspectors, size_t count);

/*
 * One line on what the target answered to the requests it failed:
 * "17 x 401", "2 x no response (Timeout was reached), 1 x 503".
 * |errors| gives each op's transport error text or NULL (may be NULL).
 */
void br_judge_target_answers(const br_op_record *ops, const char *const *errors, size_t n, char *out,
                             size_t cap);

#endif
