/*
 * A latency histogram in a load result (load.json): the percentile summary
 * "latencyUs" and the non-empty buckets "histogram": [[highestUs, count],
 * ...], in bucket order. The buckets are written whole, so a reader
 * rebuilds the very histogram that was written: results of several load
 * generators are merged exactly (same buckets), and the percentiles of the
 * merge are those of all the requests together.
 */
#ifndef BR_HISTJSON_H
#define BR_HISTJSON_H

#include "hist.h"

#include <jansson.h>
#include <stddef.h>

/* Sets "latencyUs" (p50 ... p99.99, max, mean) and "histogram" on |obj|. */
void br_hist_json_write(json_t *obj, const br_hist *h);

/*
 * Adds the histogram of |obj| (as br_hist_json_write wrote it) into |into|.
 * |where| names |obj| in errors ("a.json: /operations/book"). Returns 0, or
 * -1 with |err| naming the JSON path, when a bucket is not one of this
 * build's bucket boundaries or a count is not a whole number.
 */
int br_hist_json_read(json_t *obj, br_hist *into, const char *where, char *err, size_t errlen);

#endif
