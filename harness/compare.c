/*
 * Distribution comparison for `bookrace compare` (see compare.h): ranks with
 * averaged ties for Mann-Whitney, a splitmix64 generator for a bootstrap
 * that gives the same interval on every machine, and the verdict that gates
 * on the interval's bound.
 */
#include "compare.h"

#include "alloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double v;
    int first;
} tagged;

static int cmp_tagged(const void *a, const void *b)
{
    return cmp_double(&((const tagged *)a)->v, &((const tagged *)b)->v);
}

br_mann_whitney br_mann_whitney_u(const double *x, size_t n, const double *y, size_t m)
{
    br_mann_whitney r = {0, 0, 1};
    if (n == 0 || m == 0)
        return r;
    size_t total = n + m;
    tagged *all = xmalloc(total * sizeof(tagged));
    for (size_t i = 0; i < n; i++)
        all[i] = (tagged){x[i], 1};
    for (size_t i = 0; i < m; i++)
        all[n + i] = (tagged){y[i], 0};
    qsort(all, total, sizeof(tagged), cmp_tagged);
    double rank_sum = 0, ties = 0;
    for (size_t i = 0; i < total;) {
        size_t j = i;
        while (j < total && all[j].v == all[i].v)
            j++;
        double t = (double)(j - i), avg = (double)(i + j + 1) / 2.0; /* ranks i+1 .. j */
        for (size_t k = i; k < j; k++)
            rank_sum += all[k].first ? avg : 0;
        ties += t * t * t - t;
        i = j;
    }
    free(all);
    double dn = (double)n, dm = (double)m, dt = (double)total;
    r.u = rank_sum - dn * (dn + 1) / 2;
    double mu = dn * dm / 2;
    double var = dn * dm / 12.0 * ((dt + 1) - ties / (dt * (dt - 1)));
    if (var <= 0)
        return r;
    double d = r.u - mu;
    double cc = d > 0 ? 0.5 : d < 0 ? -0.5 : 0;
    r.z = (d - cc) / sqrt(var);
    r.p_value = erfc(fabs(r.z) / sqrt(2.0));
    return r;
}

double br_median(const double *v, size_t n)
{
    if (n == 0)
        return 0;
    double *c = xmalloc(n * sizeof(double));
    memcpy(c, v, n * sizeof(double));
    qsort(c, n, sizeof(double), cmp_double);
    double med = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    free(c);
    return med;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* The median of a resample of |v| drawn into |scratch|. */
static double resampled_median(const double *v, size_t n, double *scratch, uint64_t *seed)
{
    for (size_t i = 0; i < n; i++)
        scratch[i] = v[splitmix64(seed) % n];
    qsort(scratch, n, sizeof(double), cmp_double);
    return n % 2 ? scratch[n / 2] : (scratch[n / 2 - 1] + scratch[n / 2]) / 2;
}

static double rel_change_pct(double base, double next)
{
    if (base == 0)
        return next == 0 ? 0 : (next > 0 ? INFINITY : -INFINITY);
    return (next / base - 1) * 100;
}

double br_bootstrap_change(const double *base, size_t n, const double *next, size_t m, int resamples,
                           double level, uint64_t seed, double *lo, double *hi)
{
    double point = rel_change_pct(br_median(base, n), br_median(next, m));
    *lo = *hi = point;
    if (n == 0 || m == 0 || resamples < 2)
        return point;
    double *scratch = xmalloc((n > m ? n : m) * sizeof(double));
    double *changes = xmalloc((size_t)resamples * sizeof(double));
    for (int b = 0; b < resamples; b++) {
        double mb = resampled_median(base, n, scratch, &seed);
        double mn = resampled_median(next, m, scratch, &seed);
        changes[b] = rel_change_pct(mb, mn);
    }
    qsort(changes, (size_t)resamples, sizeof(double), cmp_double);
    double tail = (1 - level) / 2;
    size_t ilo = (size_t)floor(tail * (resamples - 1)), ihi = (size_t)ceil((1 - tail) * (resamples - 1));
    *lo = changes[ilo];
    *hi = changes[ihi];
    free(changes);
    free(scratch);
    return point;
}

br_change br_change_judge(const double *base, size_t n, const double *next, size_t m, int higher_is_better,
                          double max_regress_pct)
{
    br_change c = {0};
    c.base_n = n;
    c.next_n = m;
    c.change_pct = br_bootstrap_change(base, n, next, m, 2000, 0.95, 0x62726163u, &c.lo_pct, &c.hi_pct);
    c.p_value = br_mann_whitney_u(base, n, next, m).p_value;
    double sign = higher_is_better ? -1 : 1;
    c.worse_pct = sign * c.change_pct;
    c.worse_lo_pct = higher_is_better ? -c.hi_pct : c.lo_pct;
    c.worse_hi_pct = higher_is_better ? -c.lo_pct : c.hi_pct;
    int significant = c.p_value < 0.05 && (c.lo_pct > 0 || c.hi_pct < 0);
    if (c.worse_lo_pct > max_regress_pct && significant)
        c.verdict = BR_CHANGE_REGRESSION;
    else if (significant)
        c.verdict = c.worse_pct > 0 ? BR_CHANGE_WORSE : BR_CHANGE_BETTER;
    else
        c.verdict = BR_CHANGE_NONE;
    return c;
}

char *br_change_format(const br_change *c, char *buf, size_t cap)
{
    static const char *const words[] = {"no significant change", "better", "worse (within the limit)",
                                        "REGRESSION"};
    snprintf(buf, cap, "%s %+.1f%% [%+.1f, %+.1f], p %.3g, n %zu/%zu", words[c->verdict], c->change_pct,
             c->lo_pct, c->hi_pct, c->p_value, c->base_n, c->next_n);
    return buf;
}
