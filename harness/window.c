/*
 * window.c: the sweep grid, point rates, release precision and the window
 * estimator of `bookrace window` (window.h). Pure: the command (cmd_window.c)
 * measures, this decides what the measurements say, so every rule here is
 * unit-tested without a target. The window is where the reproduction rate,
 * fitted as non-increasing in the delay, falls through half its peak
 * (window.h says why not the largest reproducing delay); its bracket comes
 * from the points' Wilson intervals, so a sweep with too few trials says so
 * (an unbounded or zero bracket) instead of guessing.
 */
#include "window.h"

#include "alloc.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *br_sweep_name(br_sweep_kind k)
{
    return k == BR_SWEEP_ADVANCE ? "advance" : "barrier";
}

long br_window_grid(int64_t max_us, int64_t step_us, int64_t *out, size_t cap, char *err, size_t errlen)
{
    if (step_us <= 0) {
        snprintf(err, errlen, "the step must be positive");
        return -1;
    }
    if (max_us < 0) {
        snprintf(err, errlen, "the maximum must not be negative");
        return -1;
    }
    int64_t whole = max_us / step_us;
    size_t n = (size_t)whole + 1 + (max_us % step_us != 0);
    if (whole >= (int64_t)cap || n > cap) {
        snprintf(err, errlen, "%zu delays from 0 to %lld us by %lld us: at most %zu points per sweep", n,
                 (long long)max_us, (long long)step_us, cap);
        return -1;
    }
    for (int64_t i = 0; i <= whole; i++)
        out[i] = i * step_us;
    if (max_us % step_us != 0)
        out[n - 1] = max_us;
    return (long)n;
}

void br_window_point_rate(br_window_point *p)
{
    p->rate = p->trials ? (double)p->reproduced / (double)p->trials : 0.0;
    br_wilson(p->reproduced, p->trials, BR_Z95, &p->ci_lo, &p->ci_hi);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t br_window_percentile(int64_t *v, size_t n, double pct)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_i64);
    size_t rank = (size_t)(pct / 100.0 * (double)n + 0.999999999); /* nearest rank: ceil(pct/100 * n) */
    if (rank < 1)
        rank = 1;
    return v[(rank > n ? n : rank) - 1];
}

void br_window_point_offsets(br_window_point *p, int64_t *gaps_us, size_t n)
{
    if (n == 0)
        return;
    p->has_offsets = 1;
    p->offset_median_us = br_window_percentile(gaps_us, n, 50);
    p->offset_min_us = gaps_us[0]; /* sorted by the percentile */
    p->offset_max_us = gaps_us[n - 1];
}

int64_t br_window_precision(int64_t *gaps_at_zero_us, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        gaps_at_zero_us[i] = llabs(gaps_at_zero_us[i]);
    int64_t median = br_window_percentile(gaps_at_zero_us, n, 50);
    return median < 1 ? 1 : median;
}

int br_window_slipped(int64_t gap_us, int64_t delay_us, int64_t precision_us)
{
    int64_t tolerance = delay_us / 10 > precision_us ? delay_us / 10 : precision_us;
    return llabs(gap_us - delay_us) > tolerance;
}

int br_window_resolvable(int64_t delay_us, int64_t precision_us)
{
    return delay_us == 0 || delay_us >= precision_us;
}

static int usable(const br_window_point *p)
{
    return p->resolvable && p->trials > 0;
}

/*
 * The rate curve fitted as non-increasing in the delay (isotonic regression,
 * pool-adjacent-violators, each point weighted by its trials): the maximum
 * likelihood curve under "a longer delay never makes the race likelier".
 * One noisy point (a stall of the machine that made 5 of 10 trials reproduce
 * well past the edge) is pooled with its neighbours instead of moving the
 * crossing. |fit| gets a value for every usable point.
 */
static void fit_decreasing(const br_window_point *pts, size_t n, double *fit)
{
    size_t *start = xcalloc(n + 1, sizeof(size_t));
    double *k = xcalloc(n + 1, sizeof(double)), *w = xcalloc(n + 1, sizeof(double));
    size_t blocks = 0;
    for (size_t i = 0; i < n; i++) {
        if (!usable(&pts[i]))
            continue;
        start[blocks] = i;
        k[blocks] = (double)pts[i].reproduced;
        w[blocks] = (double)pts[i].trials;
        blocks++;
        while (blocks > 1 && k[blocks - 1] / w[blocks - 1] > k[blocks - 2] / w[blocks - 2]) {
            k[blocks - 2] += k[blocks - 1];
            w[blocks - 2] += w[blocks - 1];
            blocks--;
        }
    }
    for (size_t b = 0; b < blocks; b++) {
        size_t end = b + 1 < blocks ? start[b + 1] : n;
        for (size_t i = start[b]; i < end; i++)
            fit[i] = k[b] / w[b];
    }
    free(start);
    free(k);
    free(w);
}

/* The last usable point whose fitted rate is at or above |level|, and the next usable point (n when none). */
static void crossing(const br_window_point *pts, const double *fit, size_t n, double level, size_t *above,
                     size_t *below)
{
    *above = *below = n;
    for (size_t i = 0; i < n; i++)
        if (usable(&pts[i]) && fit[i] >= level)
            *above = i;
    for (size_t i = *above + 1; i < n; i++)
        if (usable(&pts[i])) {
            *below = i;
            return;
        }
}

static void witnesses(const br_window_point *pts, size_t n, br_window_estimate *out)
{
    int seen = 0;
    for (size_t i = 0; i < n; i++)
        if (usable(&pts[i]) && pts[i].reproduced > 0) {
            out->first_us = seen ? out->first_us : pts[i].delay_us;
            out->last_us = pts[i].delay_us;
            seen = 1;
        }
}

/* lo and hi from the points' own intervals around the crossing between |a| and |b|. */
static void bracket(const br_window_point *pts, size_t n, size_t a, size_t b, br_window_estimate *out)
{
    for (size_t i = 0; i <= a; i++)
        if (usable(&pts[i]) && pts[i].ci_lo > out->half_rate)
            out->lo_us = pts[i].delay_us;
    for (size_t i = b; i < n && !out->hi_bounded; i++)
        if (usable(&pts[i]) && pts[i].ci_hi < out->half_rate) {
            out->hi_bounded = 1;
            out->hi_us = pts[i].delay_us;
        }
}

void br_window_estimate_of(const br_window_point *points, size_t n, br_window_estimate *out)
{
    *out = (br_window_estimate){0};
    double *fit = xcalloc(n + 1, sizeof(double));
    fit_decreasing(points, n, fit);
    for (size_t i = 0; i < n; i++)
        if (usable(&points[i]) && fit[i] > out->peak_rate)
            out->peak_rate = fit[i];
    if (out->peak_rate > 0) {
        out->found = 1;
        out->half_rate = out->peak_rate / 2;
        witnesses(points, n, out);
        size_t a, b;
        crossing(points, fit, n, out->half_rate, &a, &b);
        out->estimate_us = points[a].delay_us;
        if (b < n) {
            double f = (fit[a] - out->half_rate) / (fit[a] - fit[b]);
            out->estimate_us += (int64_t)llround(f * (double)(points[b].delay_us - points[a].delay_us));
        }
        bracket(points, n, a, b, out);
    }
    free(fit);
}

size_t br_window_unmeasured(const br_window_point *points, size_t n)
{
    size_t empty = 0;
    for (size_t i = 0; i < n; i++)
        empty += points[i].trials == 0;
    return empty;
}
