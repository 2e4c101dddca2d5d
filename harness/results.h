/*
 * What a run leaves behind, in results/<UTC timestamp>-<scenario>/:
 * run.json (schema "bookrace.run/1", docs/results.md), junit.xml and
 * summary.txt. Every file is written to a temporary name and renamed, so a
 * reader never sees half a file, even when the run is interrupted.
 */
#ifndef BR_RESULTS_H
#define BR_RESULTS_H

#include "race.h"

#include <jansson.h>
#include <stdio.h>

#define BR_RUN_SCHEMA "bookrace.run/1"

typedef struct {
    const char *scenario_file;
    const char *target_file;
    int expect_violation;
    int exit_code;
    const char *outcome;      /* "pass", "fail", "target-error", "interrupted", ... */
    const char *reason;       /* the verdict's one line (verdict.h), or NULL */
    const char *date_spec;    /* the day as given (--date or the scenario's "date"), or NULL */
    json_t *variable_sources; /* {"NAME": "scenario" | "profile" | "command line"}, or NULL */
    int until_reproduced;     /* run --until-reproduced: the trials stopped at the first violation */
} br_run_meta;

/*
 * The run's reproduction rate: |k| trials classed as an invariant violation
 * among the |n| conclusive ones (br_verdict_conclusive). |first| is the
 * 1-based trial of the first violation, 0 when none.
 */
void br_run_reproduction(const br_run_result *r, size_t *k, size_t *n, size_t *first);
/* "reproduced in 9/10 (90%, 95% CI 59-99%) conclusive trials", or "no conclusive trial to rate" for n 0. */
char *br_run_rate_phrase(size_t k, size_t n, char *buf, size_t cap);

/* Builds the run.json document (the caller owns it). Secret header values never appear in it. */
json_t *br_results_run_json(const br_run_config *cfg, const br_run_result *r, const br_run_meta *meta);

/* "X-Cache: HIT, Age: 180" from a history op's recorded headers; "" for NULL or none. Returns |buf|. */
char *br_headers_line(json_t *headers, char *buf, size_t cap);

/* Writes the human summary: one line per violation, barrier skews, totals. */
void br_results_summary(FILE *out, const br_run_config *cfg, const br_run_result *r, const br_run_meta *meta);

/* Writes |s| to |f| escaped for XML text and attributes (control characters dropped). */
void br_xml_escape(FILE *f, const char *s);

/* Writes |data| to |dir|/|name| atomically (temp file, fsync, rename). Returns 0 or -1 with errno set. */
int br_write_file_atomic(const char *dir, const char *name, const char *data, size_t len);

/* The same for a file path in any folder ("out/x.json", "x.json", "/tmp/x.json"). */
int br_write_path_atomic(const char *path, const char *data, size_t len);

/* Creates |dir| and its parents. Returns 0, or -1 with errno set (ENOTDIR when it exists as a file). */
int br_mkdir_p(const char *dir);

/* Writes run.json, junit.xml and summary.txt into |dir|. Returns 0, or -1 with a message in |err|. */
int br_results_write(const char *dir, const br_run_config *cfg, const br_run_result *r,
                     const br_run_meta *meta, char *err, size_t errlen);

/*
 * Re-runs the oracle on a saved run.json. Prints each violation to |out| and
 * returns the number of trials with a violation, or -1 with |err| for a file
 * that is not a readable run (file:line:column for JSON errors).
 */
int br_results_check(const char *path, FILE *out, int *expect_violation, size_t *trials, char *err,
                     size_t errlen);
/*
 * The same, with the judge (judge.h) as in `run`: the return value counts the
 * trials with a violation or a false conflict (justified refusals and target
 * errors are printed, not counted), |counts| the trials of each class
 * (br_trial_class), for br_verdict_decide.
 */
int br_results_check_ex(const char *path, FILE *out, int *expect_violation, size_t *trials, size_t counts[5],
                        char *err, size_t errlen);

#endif
