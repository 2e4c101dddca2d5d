/*
 * Load thresholds, the gate k6 users expect: `--threshold 'book:p99<50ms'`,
 * `'all:rate>=1000/s'`, `'errors<0.1%'`. A pure core: the parser and the
 * evaluation take plain numbers, so the unit tests and the fuzz target call
 * them without a load.
 *
 * Grammar:  [OP ":"] METRIC CMP VALUE ["," "abort"]
 *   OP      an operation of the run ("fetch_slots", "book", "get") or "all" (the default)
 *   METRIC  p50 p90 p99 p99.9 ... (any pN, 0 < N <= 100), max, mean   VALUE with us | ms | s
 *           rate                                                      VALUE with /s (requests per second)
 *           requests                                                  VALUE a count
 *           errors                                                    VALUE with % (of requests) or a count
 *   CMP     <  <=  >  >=
 * Errors are transport failures (connect, read, write, timeout, parse, still
 * in flight at the end) and 5xx responses; an operation's own errors are its
 * 5xx responses and the failures of its requests. ",abort" stops the run as
 * soon as the threshold is failed for good (only for metrics that can only
 * grow: max, requests and error counts), or at the end otherwise.
 */
#ifndef BR_THRESHOLD_H
#define BR_THRESHOLD_H

#include "hist.h"

#include <stddef.h>
#include <stdint.h>

#define BR_THRESHOLD_MAX 32
#define BR_THRESHOLD_TEXT_MAX 128

typedef enum {
    BR_TM_PERCENTILE,
    BR_TM_MAX,
    BR_TM_MEAN,
    BR_TM_RATE,
    BR_TM_REQUESTS,
    BR_TM_ERRORS_PCT,
    BR_TM_ERRORS,
} br_threshold_metric;

typedef enum { BR_CMP_LT, BR_CMP_LE, BR_CMP_GT, BR_CMP_GE } br_threshold_cmp;

typedef struct {
    char text[BR_THRESHOLD_TEXT_MAX]; /* as given */
    char op[64];                      /* "all" when none was given */
    br_threshold_metric metric;
    double percentile; /* BR_TM_PERCENTILE */
    br_threshold_cmp cmp;
    double value; /* microseconds, requests per second, percent or a count */
    int abort;
} br_threshold;

/* Parses one threshold. Returns 0, or -1 with |err| naming the offending part and its column. */
int br_threshold_parse(const char *text, br_threshold *out, char *err, size_t errlen);

/* What a threshold is judged on: one operation's figures, or all of them. */
typedef struct {
    const char *name;
    const br_hist *hist; /* latency of the measured requests */
    uint64_t requests, errors;
} br_threshold_op;

typedef struct {
    const br_threshold_op *ops;
    size_t op_count;
    br_threshold_op all;
    double seconds; /* the measured period */
} br_threshold_input;

/* The operation a threshold names: its index, BR_THRESHOLD_ALL, or -1 when the run has none of that name. */
#define BR_THRESHOLD_ALL (-2)
int br_threshold_op_index(const br_threshold *t, const br_threshold_input *in);

/* The observed value in the threshold's unit. */
double br_threshold_observed(const br_threshold *t, const br_threshold_input *in);

/* 1 the threshold holds, 0 it failed. |observed| (may be NULL) gets the value judged. */
int br_threshold_eval(const br_threshold *t, const br_threshold_input *in, double *observed);

/* Whether a failure seen mid-run is final (the metric can only grow: max, requests, error counts). */
int br_threshold_final_failure(const br_threshold *t, const br_threshold_input *in);

/* "p99 of book 61.2ms, limit <50ms" style description of the observed value into |buf|. */
char *br_threshold_describe(const br_threshold *t, double observed, char *buf, size_t cap);

#endif
