/*
 * Latency histograms (hist.h): a value's bucket is found from its highest set
 * bit (the power of two) and the next ten bits (the linear sub-bucket), so
 * recording is a few instructions with no search and no lock, and two
 * histograms merge exactly by adding counts. Percentiles walk the counts and
 * answer a bucket's upper bound, as HdrHistogram does.
 */
#include "hist.h"

#include <string.h>

void br_hist_init(br_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = INT64_MAX;
    h->max = 0;
}

static int floor_log2(uint64_t v)
{
    return 63 - __builtin_clzll(v);
}

size_t br_hist_index(int64_t value_us)
{
    if (value_us < 0)
        value_us = 0;
    uint64_t v = (uint64_t)value_us;
    if (v < 2 * BR_HIST_SUB)
        return (size_t)v;
    int e = floor_log2(v) - 10; /* v >> e lies in [1024, 2048) */
    if (e > BR_HIST_MAX_EXP)
        return BR_HIST_BUCKETS - 1;
    return (size_t)(2 * BR_HIST_SUB + (e - 1) * BR_HIST_SUB + ((v >> e) - BR_HIST_SUB));
}

int64_t br_hist_lowest(size_t index)
{
    if (index < 2 * BR_HIST_SUB)
        return (int64_t)index;
    size_t rel = index - 2 * BR_HIST_SUB;
    int e = (int)(rel / BR_HIST_SUB) + 1;
    uint64_t sub = rel % BR_HIST_SUB + BR_HIST_SUB;
    return (int64_t)(sub << e);
}

int64_t br_hist_highest(size_t index)
{
    if (index < 2 * BR_HIST_SUB)
        return (int64_t)index;
    size_t rel = index - 2 * BR_HIST_SUB;
    int e = (int)(rel / BR_HIST_SUB) + 1;
    return br_hist_lowest(index) + ((int64_t)1 << e) - 1;
}

void br_hist_record(br_hist *h, int64_t value_us)
{
    if (value_us < 0)
        value_us = 0;
    h->counts[br_hist_index(value_us)]++;
    h->total++;
    h->sum += (double)value_us;
    if (value_us < h->min)
        h->min = value_us;
    if (value_us > h->max)
        h->max = value_us;
}

void br_hist_merge(br_hist *into, const br_hist *from)
{
    for (size_t i = 0; i < BR_HIST_BUCKETS; i++)
        into->counts[i] += from->counts[i];
    into->total += from->total;
    into->sum += from->sum;
    if (from->total) {
        if (from->min < into->min)
            into->min = from->min;
        if (from->max > into->max)
            into->max = from->max;
    }
}

int64_t br_hist_percentile(const br_hist *h, double p)
{
    if (h->total == 0)
        return 0;
    if (p > 100)
        p = 100;
    uint64_t rank = (uint64_t)((p / 100.0) * (double)h->total + 0.999999999);
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < BR_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) {
            int64_t v = br_hist_highest(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

double br_hist_mean(const br_hist *h)
{
    return h->total ? h->sum / (double)h->total : 0;
}
