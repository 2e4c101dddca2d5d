/*
 * `bookrace compare` over load results (docs/results.md "compare"): each side
 * is one or more load.json documents (several runs of a release), and every
 * metric is a distribution of per-second samples, not one number:
 *
 *   - "all req/s": the requests of each whole second (every operation);
 *   - "OP req/s": the same per operation, when there are several;
 *   - "OP p50" / "OP p90" / "OP p99": the percentiles of each second's own
 *     histogram (the load's per-interval percentiles), seconds without a
 *     request of OP left out.
 *
 * Each metric is judged by compare.h (bootstrap CI of the median's change,
 * Mann-Whitney U): a REGRESSION only when the whole interval is worse than
 * --max-regress. A side with fewer than BR_CMP_MIN_SAMPLES samples of a
 * metric is "too few samples" (not judged, as benchstat does), and says how
 * to get more. The oracle's verdict and the transport errors are compared
 * per run: more violations or transport errors per run in the new release
 * is worse.
 *
 * Reading is separate from judging: br_cmp_add_doc takes a parsed document
 * (errors name the file and the JSON path), br_cmp_judge needs no I/O.
 */
#ifndef BR_COMPARE_LOAD_H
#define BR_COMPARE_LOAD_H

#include "compare.h"

#include <jansson.h>
#include <stdio.h>

/* Mann-Whitney with 4 against 4 can reach p 0.03; with 3 against 3 never below 0.1. */
#define BR_CMP_MIN_SAMPLES 4

typedef struct {
    double *v;
    size_t n, cap;
} br_cmp_samples;

typedef struct {
    char name[96];        /* "all req/s", "book p99" */
    int higher_is_better; /* throughput */
    br_cmp_samples side[2];
    br_change change; /* valid when judged */
    int judged;       /* both sides have BR_CMP_MIN_SAMPLES samples */
    int empty;        /* every sample 0 (an operation the mix never sent): not shown */
    double median[2];
} br_cmp_metric;

typedef struct {
    br_cmp_metric *metrics;
    size_t count, cap;
    size_t runs[2];
    size_t violations[2]; /* totals over the runs of a side; judged per run */
    double errors[2];
    double max_regress_pct;
    int regressions;   /* judged metrics whose CI is past the limit */
    int verdict_worse; /* more violations or transport errors */
    int unjudged;      /* metrics with too few samples */
} br_cmp_report;

enum { BR_CMP_BASE = 0, BR_CMP_NEW = 1 };

void br_cmp_init(br_cmp_report *r, double max_regress_pct);
void br_cmp_free(br_cmp_report *r);

/*
 * Adds the samples of one load.json document to side |side| (BR_CMP_BASE or
 * BR_CMP_NEW). |path| names it in errors. Returns 0, or -1 with
 * "PATH: /timeseries/3/operations/book/p99: not an integer" (or the like)
 * in |err|.
 */
int br_cmp_add_doc(br_cmp_report *r, int side, json_t *doc, const char *path, char *err, size_t errlen);

/* Judges every metric; fills regressions, verdict_worse and unjudged. */
void br_cmp_judge(br_cmp_report *r);

/* The text table and the verdict lines. */
void br_cmp_print(const br_cmp_report *r, FILE *out);

/* compare.json (schema "bookrace.compare/1"). */
json_t *br_cmp_json(const br_cmp_report *r);

/* JUnit: one test case per judged metric, a failure per regression, one for the oracle. */
char *br_cmp_junit(const br_cmp_report *r);

#endif
