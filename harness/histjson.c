/*
 * Histograms to and from load.json (see histjson.h). The reader accepts only
 * this build's bucket boundaries: adding counts of differently cut buckets
 * would give percentiles that belong to no set of requests, so it refuses.
 * Min is not written: a read histogram's min is the lowest value of its
 * first bucket; sum comes back as mean x count.
 */
#include "histjson.h"

#include <stdio.h>

void br_hist_json_write(json_t *obj, const br_hist *h)
{
    json_object_set_new(
        obj, "latencyUs",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "p50", (json_int_t)br_hist_percentile(h, 50), "p90",
                  (json_int_t)br_hist_percentile(h, 90), "p99", (json_int_t)br_hist_percentile(h, 99),
                  "p99.9", (json_int_t)br_hist_percentile(h, 99.9), "p99.99",
                  (json_int_t)br_hist_percentile(h, 99.99), "max", (json_int_t)h->max, "mean",
                  br_hist_mean(h)));
    json_t *buckets = json_array();
    for (size_t i = 0; i < BR_HIST_BUCKETS; i++)
        if (h->counts[i])
            json_array_append_new(
                buckets, json_pack("[I, I]", (json_int_t)br_hist_highest(i), (json_int_t)h->counts[i]));
    json_object_set_new(obj, "histogram", buckets);
}

int br_hist_json_read(json_t *obj, br_hist *into, const char *where, char *err, size_t errlen)
{
    json_t *buckets = json_object_get(obj, "histogram");
    json_t *lat = json_object_get(obj, "latencyUs");
    if (!json_is_array(buckets) || !json_is_object(lat)) {
        snprintf(err, errlen, "%s: needs \"histogram\" (an array) and \"latencyUs\" (an object)", where);
        return -1;
    }
    json_t *max = json_object_get(lat, "max"), *mean = json_object_get(lat, "mean");
    if (!json_is_integer(max) || json_integer_value(max) < 0 || !json_is_number(mean)) {
        snprintf(err, errlen, "%s/latencyUs: needs \"max\" (a whole number >= 0) and \"mean\"", where);
        return -1;
    }
    br_hist h;
    br_hist_init(&h);
    size_t i;
    json_t *b;
    size_t previous = 0;
    json_array_foreach (buckets, i, b) {
        json_t *hi = json_array_get(b, 0), *n = json_array_get(b, 1);
        if (!json_is_array(b) || json_array_size(b) != 2 || !json_is_integer(hi) || !json_is_integer(n) ||
            json_integer_value(hi) < 0 || json_integer_value(n) < 0) {
            snprintf(err, errlen, "%s/histogram/%zu: expected [highestUs, count], two whole numbers >= 0",
                     where, i);
            return -1;
        }
        size_t index = br_hist_index(json_integer_value(hi));
        if (br_hist_highest(index) != json_integer_value(hi) || (i > 0 && index <= previous)) {
            snprintf(err, errlen,
                     "%s/histogram/%zu: %lld us is not the next bucket boundary of this build's histogram "
                     "(written with other buckets?)",
                     where, i, (long long)json_integer_value(hi));
            return -1;
        }
        previous = index;
        uint64_t count = (uint64_t)json_integer_value(n);
        h.counts[index] += count;
        h.total += count;
        if (count && h.min == INT64_MAX)
            h.min = br_hist_lowest(index);
    }
    if (h.total) {
        h.max = json_integer_value(max);
        h.sum = json_number_value(mean) * (double)h.total;
    }
    br_hist_merge(into, &h);
    return 0;
}
