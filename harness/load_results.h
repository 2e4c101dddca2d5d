/*
 * `bookrace load`'s verdict and output: the oracle over the acknowledged
 * bookings, load.json (schema "bookrace.load/1", docs/results.md) and the table
 * on stdout.
 */
#ifndef BR_LOAD_RESULTS_H
#define BR_LOAD_RESULTS_H

#include "load_plan.h"
#include "loadgen.h"
#include "oracle.h"
#include "truth.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int checked; /* a scenario ran, so the oracle did */
    br_truth truth;
    size_t acknowledged;
    br_violations violations;
    json_t *bookings; /* every booking request that got an answer or may have taken effect */
} br_load_verdict;

/* The oracle over the load's acknowledged bookings and the ground truth (read back once, over all days). */
void br_load_verdict_make(const br_load_options *opt, const br_load_plan *plan, const br_load_result *res,
                          br_load_verdict *out);
void br_load_verdict_free(br_load_verdict *v);

/* load.json's document. */
json_t *br_load_results_json(const br_load_options *opt, const br_load_config *cfg, const br_load_plan *plan,
                             const br_load_result *res, const br_load_verdict *v, int64_t started_wall_us);

/* Writes load.json into |out_dir| (and the --json copy). Returns 0, or -1 when a file could not be written.
 */
int br_load_results_write(const br_load_options *opt, const char *out_dir, json_t *doc);

/* The table on stdout: per operation and overall, errors, lateness, the oracle, the results path. */
void br_load_results_print(const br_load_options *opt, const br_load_config *cfg, const br_load_result *res,
                           const br_load_verdict *v, const char *out_dir);

#endif
