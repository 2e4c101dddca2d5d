/*
 * Wilson intervals and the rate judgements built on them (stats.h). Pure math,
 * unit-tested against published values; br_rate_json only packs the same
 * numbers for the result files, so every file states a rate the same way.
 */
#include "stats.h"

#include <math.h>
#include <stdio.h>

void br_wilson(size_t k, size_t n, double z, double *lo, double *hi)
{
    if (n == 0 || k > n) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    double nn = (double)n, p = (double)k / nn, z2 = z * z;
    double centre = (p + z2 / (2 * nn)) / (1 + z2 / nn);
    double half = z * sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / (1 + z2 / nn);
    *lo = k == 0 ? 0.0 : fmax(0.0, centre - half);
    *hi = k == n ? 1.0 : fmin(1.0, centre + half);
}

char *br_rate_format(size_t k, size_t n, char *buf, size_t cap)
{
    double lo, hi;
    br_wilson(k, n, BR_Z95, &lo, &hi);
    if (n == 0)
        snprintf(buf, cap, "0/0 (no trials)");
    else
        snprintf(buf, cap, "%zu/%zu (%.0f%%, 95%% CI %.0f-%.0f%%)", k, n, 100.0 * (double)k / (double)n,
                 floor(100.0 * lo), ceil(100.0 * hi));
    return buf;
}

int br_rate_at_least(size_t k, size_t n, double min_rate)
{
    double lo, hi;
    br_wilson(k, n, BR_Z95, &lo, &hi);
    if (lo >= min_rate)
        return 1;
    if (hi < min_rate)
        return 0;
    return -1;
}

json_t *br_rate_json(size_t k, size_t n)
{
    double lo, hi;
    char text[64];
    br_wilson(k, n, BR_Z95, &lo, &hi);
    /* Four decimals: the precision of the published tables the tests compare with. */
    lo = round(lo * 1e4) / 1e4;
    hi = round(hi * 1e4) / 1e4;
    json_t *j = json_pack("{s:I, s:I, s:[f, f], s:s}", "k", (json_int_t)k, "n", (json_int_t)n, "ci95", lo, hi,
                          "text", br_rate_format(k, n, text, sizeof(text)));
    json_object_set_new(j, "rate", n ? json_real((double)k / (double)n) : json_null());
    return j;
}
