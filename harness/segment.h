/*
 * Execution segments: `bookrace load --segment K/N` runs the K-th of N equal
 * shares of a load, so that N load generators (the pods of a Kubernetes
 * Indexed Job, k6-operator style) together do what one unsegmented run does.
 *
 * K is 0-based (0..N-1), as JOB_COMPLETION_INDEX is: `--segment auto/N`
 * reads K from that variable. What is shared out:
 *   connections  split as evenly as integers allow (both models);
 *   rate         the open model's total rate, divided by N;
 *   booking work the (actor, day) cells whose slots are fetched and booked.
 *                By default each segment books its own contiguous range of
 *                days with every actor (disjoint days: the segments never
 *                race each other). With shared days every segment books all
 *                the days with its own range of actors, so the fleet races
 *                itself on the same slots.
 * Pure: no I/O, no globals; the unit tests and `load` call the same code.
 */
#ifndef BR_SEGMENT_H
#define BR_SEGMENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define BR_SEGMENT_MAX 1024 /* the most segments one load may be cut into */

typedef struct {
    int index;       /* K, 0..count-1 */
    int count;       /* N; 0 when the run is not segmented */
    int shared_days; /* --shared-days */
    int from_env;    /* K came from JOB_COMPLETION_INDEX (--segment auto/N) */
} br_segment;

/* What one segment runs, derived from the whole load's settings. */
typedef struct {
    long connections;
    double rate;               /* 0 for the closed model */
    long day_lo, day_hi;       /* booking days [lo, hi) relative to the first day */
    size_t actor_lo, actor_hi; /* actors [lo, hi) of the scenario */
} br_segment_plan;

/*
 * Parses "K/N" or "auto/N" (|job_index| is the value of JOB_COMPLETION_INDEX,
 * or NULL when it is not set). Returns 0, or -1 with a message in |err|.
 */
int br_segment_parse(const char *spec, const char *job_index, br_segment *out, char *err, size_t errlen);

/* The K-th of N contiguous shares of |total| units: [*lo, *hi), sizes differ by at most one. */
void br_segment_share(int index, int count, int64_t total, int64_t *lo, int64_t *hi);

/*
 * The segment's share of a load of |connections| connections at |rate|
 * requests per second (0 = closed model), |days| booking days and |actors|
 * actors (0 for a plain --url load, which books nothing). An unsegmented
 * |seg| (count 0) gives the whole load. Returns 0, or -1 with |err| when the
 * load cannot be cut into that many segments (fewer connections, days or
 * actors than segments).
 */
int br_segment_plan_make(const br_segment *seg, long connections, double rate, long days, size_t actors,
                         br_segment_plan *out, char *err, size_t errlen);

/* The "segment" object of load.json: index, count, sharedDays, fromEnv and the plan. */
json_t *br_segment_json(const br_segment *seg, const br_segment_plan *plan);

#endif
