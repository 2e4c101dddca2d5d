/*
 * Runs a scenario against a target: trials, steps, requests through the
 * worker pool, the history, the ground-truth read-back and the oracle.
 */
#ifndef BR_RACE_H
#define BR_RACE_H

#include "judge.h"
#include "oracle.h"
#include "redact.h"
#include "scenario.h"
#include "target.h"
#include "verify_mongo.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct br_trial;

typedef struct {
    const br_scenario *scenario;
    const br_target *target;
    int repeat;
    /* Trial i books on the scenario's date + day_offset + i days (no reset operation), so the scenarios
     * of a suite never see each other's bookings on one backend. 0 for a single run. */
    int day_offset;
    uint64_t seed;
    int threads;
    int quiet;
    char run_id[17];
    atomic_int *stop;
    const br_mongo_verify
        *verify_mongo; /* read the ground truth from MongoDB instead of the list operation */
    json_t *variables; /* merged scenario < profile < --var (vars.h); NULL: the scenario's own */
    int64_t day_us; /* the first trial's day (UTC midnight), resolved at run start; 0: the scenario's date */
    int free_day;   /* move each trial to the first day on which its inspectors hold no booking */
    /* Called after each judged trial; a nonzero return ends the run there, as planned (status OK):
     * run --until-reproduced stops at the first violation, shrink at a candidate that can no longer
     * reach its rate. NULL: every trial runs. */
    int (*after_trial)(void *arg, const struct br_trial *trial);
    void *after_trial_arg;
    /* bookrace window: racer k of barrier steps[stagger_step] is released k * stagger_us after the first
     * (stagger_us 0: together, as every other barrier) */
    int64_t stagger_us;
    int stagger_step;
} br_run_config;

/* The most days --free-day looks ahead of a trial's day. */
#define BR_FREE_DAY_SEARCH 60
/* Slots a saved list keeps per actor (after the picks' inspector filters): bounded memory at any list size.
 */
#define BR_SLOTS_KEPT_MAX 2048
/* A fetchSlots response larger than this is summarised in the history, not kept whole. */
#define BR_FETCH_KEPT_BYTES 16384

typedef struct {
    int step;             /* the released step */
    int barrier_step;     /* the barrier that released it */
    br_release release;   /* the release that happened */
    br_release requested; /* the one asked for: single-packet falls back to last-byte without HTTP/2 */
    /* single-packet over HTTP/2: connections, release writes, TCP segments (-1: unknown), server's stream cap
     */
    int h2_connections, h2_writes, h2_segments;
    unsigned h2_server_max_streams;
    int racers;
    int64_t skew_us;
    int64_t released_us; /* first final byte, relative to the run start */
    int64_t stagger_us;  /* the delay asked between consecutive racers (br_run_config), 0 for none */
} br_barrier_record;

/* One recorded operation with what the history file keeps beyond the oracle's fields. */
typedef struct {
    br_op_record rec;
    int barrier_step; /* -1 when not released by a barrier */
    char method[16];
    char *path;       /* the request target, without the base URL */
    char *error;      /* transport error, NULL when a response arrived */
    json_t *response; /* the parsed body, or a string for non-JSON, or NULL */
    int64_t last_byte_us;
    int base_url;
    json_t *headers; /* the profile's recordHeaders present in the answer ({"X-Cache": "HIT"}), or NULL */
    int from_list;   /* book, hold: history index of the fetch whose list the slot came from; -1 */
} br_history_op;

typedef struct br_trial {
    int index;
    char date[11];
    br_history_op *ops;
    size_t op_count, op_cap;
    br_truth_booking *truth;
    size_t truth_count;
    int truth_checked;
    char truth_note[1024]; /* why ground truth was not checked, or "" */
    br_barrier_record *barriers;
    size_t barrier_count;
    br_violations violations;
    char **notes; /* skipped steps and the like */
    size_t note_count;
    int64_t advanced_us;
    int inconclusive;         /* a barrier released fewer racers than it names: the race did not happen */
    br_truth_booking *before; /* the day's bookings listed before the trial (judge.h) */
    size_t before_count;
    int before_checked;
    br_violations explained; /* target errors, justified and unjudged refusals, taken out of violations */
    br_trial_tally tally;
    br_trial_class cls;
    char target_answers[256]; /* what the target answered to the requests it failed ("3 x 401") */
} br_trial;

enum { BR_RUN_OK = 0, BR_RUN_ETARGET = -1, BR_RUN_EINTERRUPTED = -2, BR_RUN_EINTERNAL = -3 };

typedef struct {
    br_trial *trials;
    size_t trial_count;
    int64_t started_wall_us, finished_wall_us;
    int status; /* BR_RUN_* */
    char error[768];
    br_secrets secrets; /* expanded secret header values, redacted from everything kept and written */
} br_run_result;

/*
 * The race runner's pure decisions, callable without a target (tests/unit/test_race.c).
 *
 * The slot a pick step chooses among |n| candidates (the fetched list after the
 * step's inspector filter): first; the |nth| (from 0); one chosen by |random_key|
 * (the same key, the same slot: a run's seed replays its picks); the one of
 * |other| (another actor's pick: same inspector and start); or the slot of
 * |other|'s inspector that overlaps it and starts nearest to it (not |other|
 * itself). NULL when none qualifies.
 */
const br_slot *br_pick_slot(br_pick_rule rule, int nth, uint64_t random_key, const br_slot *other,
                            const br_slot *const *cands, size_t n);
/* How the step after |barrier| is released: plain without a barrier; the barrier's own release when it
 * names one; single-packet when it names none and the target speaks HTTP/2 ("http": "2"); else last-byte. */
br_release br_barrier_release(const br_step *barrier, int target_http2);

/* Runs every trial. Always fills |out| with what was recorded, even on error or interruption. */
int br_run(const br_run_config *cfg, br_run_result *out);
void br_run_result_free(br_run_result *r);

/* Trials in which at least one violation was found. */
size_t br_run_trials_with_violations(const br_run_result *r);
/* Trials classed inconclusive (verdict.h). */
size_t br_run_trials_inconclusive(const br_run_result *r);
/* Trials classed as an invariant violation: what --expect-violation counts as reproduced. */
size_t br_run_trials_reproduced(const br_run_result *r);
/* Trials of each class, indexed by br_trial_class, for br_verdict_decide. */
void br_run_class_counts(const br_run_result *r, size_t counts[5]);
/*
 * A run that ended at a trial the target failed (every request 401/5xx/no answer, or the pre-check):
 * br_run stops there with BR_RUN_OK, since the verdict is the caller's. Says it in |buf| ("trial 3: the
 * target failed every request: it answered 2 x 401") and returns 1; 0 (|buf| untouched) when none did.
 * What run, window and shrink tell the user instead of a rate over no trials.
 */
int br_run_target_failure(const br_run_result *r, char *buf, size_t cap);

#endif
