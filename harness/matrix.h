/*
 * bookrace matrix: every scenario against bookd in every listed mode, each
 * cell on a fresh bookd (fresh database, virtual clock, the mode's flags,
 * several processes for multi-pod scenarios), compared with the expected
 * outcome. The project's CI gate. Format: docs/matrix.md.
 */
#ifndef BR_MATRIX_H
#define BR_MATRIX_H

#include "scenario.h"

#include <stdatomic.h>
#include <stddef.h>

typedef struct {
    char *name;
    char *fix, *slot_cache;
    long race_window_us;
    int threads; /* bookd threads per pod */
} br_matrix_mode;

typedef struct {
    int violation; /* 1: expect violations in at least |share| of the trials; 0: expect clean */
    double share;  /* 1.0: in every trial; below 1: a rate, judged on its 95% Wilson interval */
} br_matrix_expect;

/* What a cell showed against its expectation. */
typedef enum { BR_CELL_AS_EXPECTED, BR_CELL_UNEXPECTED, BR_CELL_UNDECIDED } br_cell_verdict;

/*
 * Judges a cell from its trials of each class (br_trial_class). A trial counts
 * as "with a violation" when the scenario's rule broke: an invariant violation
 * or an outcome it rules out (a false conflict). "clean": none, and no
 * inconclusive or target-error trial. "violation" (share 1.0): every trial.
 * "violation>=SHARE": the rate over the conclusive trials, on its 95% interval:
 * as expected when the whole interval is at or above SHARE, unexpected when it
 * is wholly below, undecided when it straddles SHARE ("need more trials"), so a
 * lucky or unlucky few trials neither pass nor fail. |reason| gets one line.
 */
br_cell_verdict br_matrix_judge(const br_matrix_expect *e, const size_t counts[5], char *reason, size_t cap);

typedef struct {
    char *label; /* the row's name in the table: the scenario's unless the matrix gives one */
    char *file;  /* resolved path */
    br_scenario *scenario;
    int pods;
    int repeat;
    br_matrix_expect *expect; /* one per mode */
} br_matrix_row;

typedef struct {
    char *name, *description, *origin;
    char *target_file; /* resolved path */
    int repeat;
    double min_share;
    br_matrix_mode *modes;
    size_t mode_count;
    br_matrix_row *rows;
    size_t row_count;
} br_matrix;

br_matrix *br_matrix_load(const char *path, char *err, size_t errlen);
void br_matrix_free(br_matrix *m);

typedef struct {
    const char *bookd_bin;
    const char *out_dir;
    int harness_threads; /* 0 = default */
    int quiet;
    atomic_int *stop;
    const char *only_scenario, *only_mode; /* NULL = all */
} br_matrix_options;

/* Runs every cell, prints the table, writes matrix.json and junit.xml. Returns the exit code (0 all as
 * expected). */
int br_matrix_run(const br_matrix *m, const br_matrix_options *opts);

#endif
