/*
 * The pure core of `bookrace window` (cmd_window.c): the sweep grid, the
 * per-point reproduction rate with its Wilson interval, the release precision
 * and the window estimator. No I/O, so the estimator's every case is a unit
 * test (tests/unit/test_window.c). docs/window.md explains the estimator.
 *
 * A sweep measures, for each delay d of a grid, how often the scenario's
 * violation reproduces when d separates the racers (a barrier sweep: racer k
 * released k·d after the first) or when d is the scenario's `advance` (how
 * long a stale list stays dangerous). The window is the largest delay at
 * which it still reproduces.
 */
#ifndef BR_WINDOW_H
#define BR_WINDOW_H

#include <stddef.h>
#include <stdint.h>

/* The most points one sweep measures: every point is N trials against a real target. */
#define BR_WINDOW_MAX_POINTS 1001
/* The longest delay a sweep takes (one day): beyond it a barrier's racers outlive every request timeout
 * and an advance outlives every cache, and microseconds of larger durations overflow int64 arithmetic. */
#define BR_WINDOW_MAX_DELAY_S 86400.0

typedef enum { BR_SWEEP_BARRIER, BR_SWEEP_ADVANCE } br_sweep_kind;

/* "barrier" or "advance". */
const char *br_sweep_name(br_sweep_kind k);

/*
 * The grid 0, step, 2·step, ... up to max, and max itself when it is not a
 * multiple of step. Returns the number of points written to |out| (room for
 * |cap|), or -1 with the reason in |err| (step not positive, max negative,
 * more than |cap| points).
 */
long br_window_grid(int64_t max_us, int64_t step_us, int64_t *out, size_t cap, char *err, size_t errlen);

typedef struct {
    int64_t delay_us;
    size_t trials;             /* conclusive trials: the n of the rate */
    size_t reproduced;         /* trials that reproduced the violation: the k */
    size_t inconclusive;       /* trials that raced nothing (a barrier short of racers), not in n */
    size_t slipped;            /* trials (of all) whose release missed the delay asked (br_window_slipped) */
    double rate, ci_lo, ci_hi; /* k/n and its 95% Wilson interval (br_window_point_rate) */
    int resolvable;            /* the delay is 0 or at least the release precision */
    /* The measured delay between consecutive racers over all trials (barrier sweeps; has_offsets 0
     * otherwise): what the release actually did for the delay asked. */
    int has_offsets;
    int64_t offset_median_us, offset_min_us, offset_max_us;
} br_window_point;

/* Fills rate, ci_lo and ci_hi from reproduced and trials (n == 0: rate 0, interval [0, 1]). */
void br_window_point_rate(br_window_point *p);

/* Summarises measured gaps (sorted in place) into the point's offset fields; nothing for n == 0. */
void br_window_point_offsets(br_window_point *p, int64_t *gaps_us, size_t n);

/* The nearest-rank |pct| percentile (0 < pct <= 100) of |v|, sorted in place; 0 for n == 0. */
int64_t br_window_percentile(int64_t *v, size_t n, double pct);

/*
 * The release precision: the median of the gaps (absolute) between
 * consecutive racers of a release meant to be simultaneous (delay 0), at
 * least 1 us. A delay below it cannot be told from the simultaneous release's
 * own jitter. The median, not a high percentile: with the few trials of a
 * sweep point a high percentile is the largest gap, and one stall of a shared
 * machine (5 ms under ASan) would make every delay below it unresolvable.
 * 0 when |n| is 0 (nothing measured: every delay is taken as resolvable).
 */
int64_t br_window_precision(int64_t *gaps_at_zero_us, size_t n);

/*
 * Whether a measured gap between two consecutive racers missed the delay
 * asked: by more than the precision, or than a tenth of the delay when that
 * is larger. A point's trials that slipped are counted and shown, not
 * dropped: the rate stays that of the delay asked, and the count says how
 * far to trust it on a busy machine.
 */
int br_window_slipped(int64_t gap_us, int64_t delay_us, int64_t precision_us);

/* Whether a delay can be resolved at |precision_us|: 0 (the reference release) or at least the precision. */
int br_window_resolvable(int64_t delay_us, int64_t precision_us);

typedef struct {
    int found;           /* some resolvable delay reproduced; nothing below is meaningful otherwise */
    double peak_rate;    /* the fitted (non-increasing) rate curve's highest value: its first plateau */
    double half_rate;    /* peak_rate / 2: the level whose crossing is the window's edge */
    int64_t estimate_us; /* where the fitted rate falls through half_rate (interpolated between points) */
    int64_t lo_us;       /* the largest delay at or before the crossing whose interval lies above half_rate
                            (0 when none does: too few trials to bound the window from below) */
    int64_t hi_us;       /* the smallest delay after the crossing whose interval lies below half_rate */
    int hi_bounded;      /* 0: no such delay (the rate never fell, or too few trials): hi is meaningless */
    int64_t last_us;     /* the largest delay that reproduced at all: the tail of the window */
    int64_t first_us;    /* the smallest delay that reproduced */
} br_window_estimate;

/*
 * The window of a measured sweep (points in increasing delay), as the delay
 * at which the reproduction rate falls through half its peak: the "full width
 * at half maximum" of the rate curve, which does not grow with the number of
 * trials as the largest reproducing delay does (the tail of the jitter). The
 * rates are first fitted as non-increasing in the delay (isotonic regression,
 * weighted by trials), so one point inflated by a stall of a noisy machine
 * is pooled with its neighbours rather than taken as the edge; the peak is
 * the fitted curve's, the crossing interpolated between the fitted values of
 * the two points around it. Bracketed by the raw 95% intervals: lo is the
 * last delay at or before the crossing confidently above the half rate, hi
 * the first after it confidently below. Unresolvable delays and points
 * without conclusive trials are ignored.
 */
void br_window_estimate_of(const br_window_point *points, size_t n, br_window_estimate *out);

/*
 * The points that measured nothing (no conclusive trial). A fix gate
 * (--expect-no-window) cannot pass over one: "no window" there is no
 * evidence, only an absence of trials.
 */
size_t br_window_unmeasured(const br_window_point *points, size_t n);

#endif
