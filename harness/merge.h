/*
 * Merging the load results (load.json) of several load generators, e.g. the
 * segments of a fleet (segment.h), into one result of the same schema, so
 * `report` and `compare` read a merge like any load:
 *   histograms   added bucket by bucket (histjson.h): exact, the merge's
 *                percentiles are those of all the requests together;
 *   series       per-second completions placed on the wall clock: each
 *                input's second s goes to the merged second nearest to its
 *                measured start + s (with a coordinated start the inputs are
 *                milliseconds apart, so nothing moves);
 *   counts       requests, statuses, errors and late sends summed;
 *   oracle       the bookings of all inputs, on one wall-clock time line,
 *                checked together: a double booking made by two different
 *                generators is found. The violations an input found against
 *                the target's ground truth are kept, naming their input.
 * Inputs of different loads (other scenario, URL or model), two results of
 * the same segment, or segment counts that disagree are refused.
 * Pure: JSON documents in, a JSON document out; cmd_merge.c reads and writes
 * the files.
 */
#ifndef BR_MERGE_H
#define BR_MERGE_H

#include <jansson.h>
#include <stddef.h>

#define BR_MERGE_MAX_INPUTS 1024
#define BR_MERGE_MAX_BOOKINGS 2000000 /* bookings checked together (about 0.6 KB each) */
#define BR_MERGE_MAX_SECONDS 1000000  /* per-second series entries per input */

typedef struct br_merger br_merger;

br_merger *br_merger_new(void);
void br_merger_free(br_merger *m);

/*
 * Adds one load result. |name| (its file) prefixes errors, which name the
 * JSON path: "b.json: /operations/book/histogram/3: ...". Returns 0, or -1
 * with |err|; the merger is unchanged by an input it refuses.
 */
int br_merger_add(br_merger *m, json_t *doc, const char *name, char *err, size_t errlen);

/*
 * The merged result (schema bookrace.load/1 with a "merge" object: inputs,
 * their offsets, the start spread, whether every segment is there). NULL
 * with |err| when nothing was added.
 */
json_t *br_merger_finish(br_merger *m, char *err, size_t errlen);

#endif
