/*
 * `bookrace load`'s verdict and output: the oracle over the acknowledged
 * bookings, load.json (schema "bookrace.load/1", docs/results.md) and the table
 * on stdout.
 */
#ifndef BR_LOAD_RESULTS_H
#define BR_LOAD_RESULTS_H

#include "load_live.h"
#include "load_plan.h"
#include "loadgen.h"
#include "oracle.h"
#include "threshold.h"
#include "truth.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int checked; /* a scenario ran with the oracle on */
    br_truth truth;
    size_t acknowledged, stored; /* acknowledged bookings; bookings the online oracle held at the end */
    br_violations violations;
    const char *history_file; /* the streamed history's name in the results folder, NULL when none */
    br_history_stats history;
    int history_failed;
    char history_error[512];
} br_load_verdict;

/*
 * The final verdict of the online oracle over the load's bookings and the ground truth (read back once,
 * over all days); appends the truth to the streamed history and closes it.
 */
void br_load_verdict_make(const br_load_options *opt, const br_load_plan *plan, br_load_live *live,
                          const char *history_file, br_load_verdict *out);
void br_load_verdict_free(br_load_verdict *v);

/* The thresholds judged at the end of a load. */
typedef struct {
    const br_threshold *items;
    size_t count;
    double observed[BR_THRESHOLD_MAX];
    int ok[BR_THRESHOLD_MAX];
    size_t failed;
    const char *abort_reason; /* a threshold that ended the run early, or NULL */
} br_load_thresholds;

/* Judges |t->items| on the result (|t->items| and |t->count| set by the caller). */
void br_load_thresholds_eval(const br_load_config *cfg, const br_load_result *res, br_load_thresholds *t);

/* A request's errors per operation: failures without a response and 5xx responses. */
uint64_t br_load_op_errors(const br_load_result *res, int op);

/* load.json's document. */
json_t *br_load_results_json(const br_load_options *opt, const br_load_config *cfg, const br_load_plan *plan,
                             const br_load_result *res, const br_load_verdict *v,
                             const br_load_thresholds *th, int64_t started_wall_us);

/* The JUnit report of a load: one test case for the oracle, one per threshold. */
char *br_load_junit(const br_load_plan *plan, const br_load_verdict *v, const br_load_thresholds *th);

/* Writes load.json into |out_dir| (and the --json copy). Returns 0, or -1 when a file could not be written.
 */
int br_load_results_write(const br_load_options *opt, const char *out_dir, json_t *doc);

/* The table on stdout: per operation and overall, errors, lateness, the oracle, the results path. */
void br_load_results_print(const br_load_options *opt, const br_load_config *cfg, const br_load_result *res,
                           const br_load_verdict *v, const br_load_thresholds *th, const char *out_dir);

#endif
