/*
 * Latency histograms: log-linear buckets precise to three significant
 * digits (1024 linear sub-buckets per power of two, relative error < 0.1%),
 * from 1 us to about 12 days, as in HdrHistogram. One per thread and
 * operation, filled without locks, merged after the threads join (wrk2's
 * hdr_add).
 */
#ifndef BR_HIST_H
#define BR_HIST_H

#include <stddef.h>
#include <stdint.h>

#define BR_HIST_SUB 1024   /* sub-buckets per power of two */
#define BR_HIST_MAX_EXP 30 /* values below 2^(10+30+1) us */
#define BR_HIST_BUCKETS (2 * BR_HIST_SUB + BR_HIST_MAX_EXP * BR_HIST_SUB)

typedef struct {
    uint64_t counts[BR_HIST_BUCKETS];
    uint64_t total;
    int64_t min, max;
    double sum;
} br_hist;

void br_hist_init(br_hist *h);
/* Records one value (microseconds; negatives count as 0, huge ones as the largest bucket). */
void br_hist_record(br_hist *h, int64_t value_us);
/* Adds every count of |from| into |into|. */
void br_hist_merge(br_hist *into, const br_hist *from);
/*
 * The value at percentile |p| (0..100]: the highest value equivalent to the
 * bucket holding the ceil(p% * total)-th value, capped at the recorded max. 0 when empty.
 */
int64_t br_hist_percentile(const br_hist *h, double p);
double br_hist_mean(const br_hist *h);

/* Bucket arithmetic, exposed for tests and for writing the histogram out. */
size_t br_hist_index(int64_t value_us);
int64_t br_hist_lowest(size_t index);
int64_t br_hist_highest(size_t index);

#endif
