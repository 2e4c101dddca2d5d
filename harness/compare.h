/*
 * The statistics behind `bookrace compare`: is a release slower, or was the
 * machine noisy? One number per metric cannot tell (two back-to-back 2 s runs
 * of one build once differed by +263% in p90 here), so a comparison takes
 * samples, one per measured second (and per run, with several runs), and
 * judges their distributions:
 *
 *   - the change is the relative difference of the medians, new vs base;
 *   - its 95% confidence interval comes from a percentile bootstrap
 *     (resampling each side with replacement, fixed seed: reproducible);
 *   - the Mann-Whitney U test (normal approximation with tie and continuity
 *     correction) says whether the two samples differ at all.
 *
 * A metric regresses only when the whole interval is worse by more than the
 * allowed regression: the gate is on the CI's bound, not the point estimate.
 * A pure core: the unit tests check it against published values.
 */
#ifndef BR_COMPARE_H
#define BR_COMPARE_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double u;       /* U of the first sample */
    double z;       /* standardised, with continuity correction */
    double p_value; /* two-sided */
} br_mann_whitney;

/* Mann-Whitney U of |x| (n) against |y| (m). n or m of 0 gives p 1. */
br_mann_whitney br_mann_whitney_u(const double *x, size_t n, const double *y, size_t m);

/* The median of |n| values (copied and sorted; n == 0 gives 0). */
double br_median(const double *v, size_t n);

/*
 * The percentile bootstrap CI (|level|, e.g. 0.95) of the relative change of
 * the median, median(new)/median(base) - 1, in percent, from |resamples|
 * resamples with a fixed |seed|. Returns the point estimate.
 */
double br_bootstrap_change(const double *base, size_t n, const double *next, size_t m, int resamples,
                           double level, uint64_t seed, double *lo, double *hi);

typedef enum { BR_CHANGE_NONE, BR_CHANGE_BETTER, BR_CHANGE_WORSE, BR_CHANGE_REGRESSION } br_change_verdict;

typedef struct {
    double change_pct;                            /* new vs base, + means higher */
    double lo_pct, hi_pct;                        /* its 95% CI */
    double worse_pct, worse_lo_pct, worse_hi_pct; /* the same, signed so + is worse */
    double p_value;
    size_t base_n, next_n;
    br_change_verdict verdict;
} br_change;

/*
 * Judges one metric. |higher_is_better|: 1 for throughput, 0 for latency.
 * REGRESSION when the CI's better bound is worse than |max_regress_pct|;
 * WORSE / BETTER when significant (p < 0.05 and the CI excludes 0) but not
 * past the limit; NONE otherwise ("no significant change").
 */
br_change br_change_judge(const double *base, size_t n, const double *next, size_t m, int higher_is_better,
                          double max_regress_pct);

/* "no significant change (+1.2% [-3.0, +5.1], p 0.41)" or "REGRESSION +12.0% [+9.1, +15.2] ...". */
char *br_change_format(const br_change *c, char *buf, size_t cap);

#endif
