/*
 * Statistics for statements a reviewer can trust: "reproduced in 9/10 trials"
 * means little without the interval around it. The Wilson score interval is
 * used for every rate bookrace prints (trial reproduction, matrix cells,
 * window points): unlike the normal approximation it stays inside [0, 1] and
 * is honest at 0/n and n/n, where most of our rates live.
 */
#ifndef BR_STATS_H
#define BR_STATS_H

#include <jansson.h>
#include <stddef.h>

/* z for a two-sided 95% interval. */
#define BR_Z95 1.959963984540054

/* Wilson score interval of k successes in n trials at |z|; n == 0 gives [0, 1]. */
void br_wilson(size_t k, size_t n, double z, double *lo, double *hi);

/* "9/10 (90%, 95% CI 59-99%)" (bounds rounded outwards); |cap| of 64 is always enough. Returns |buf|. */
char *br_rate_format(size_t k, size_t n, char *buf, size_t cap);

/*
 * Judges a rate expectation on the interval, not the point estimate: returns
 * 1 when the whole 95% interval is at or above |min_rate|, 0 when the whole
 * interval is below it, and -1 when the interval straddles it (undecided: more
 * trials are needed).
 */
int br_rate_at_least(size_t k, size_t n, double min_rate);

/*
 * The same rate as JSON, for run.json, matrix.json and shrink's log:
 * {"k": 9, "n": 10, "rate": 0.9, "ci95": [0.5958, 0.9821], "text": "9/10 (90%, 95% CI 59-99%)"};
 * "rate" is null when n is 0. The caller owns the object.
 */
json_t *br_rate_json(size_t k, size_t n);

#endif
