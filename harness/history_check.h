/*
 * `bookrace check` on a load: the streamed history read back into the same
 * online oracle the load ran (interval.c), with the ground truth recorded at
 * the end of the stream, so the violations come out text for text as the load
 * reported them. Memory is that of the oracle, not of the file.
 */
#ifndef BR_HISTORY_CHECK_H
#define BR_HISTORY_CHECK_H

#include "oracle.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    uint64_t records;    /* operation records read */
    size_t acknowledged; /* acknowledged bookings */
    int truth_checked;   /* the stream carried the ground truth */
} br_history_check_stats;

/* Checks the history at |path|. Returns 0 with |out| filled, or -1 with |err| (file:line:column). */
int br_history_check(const char *path, br_violations *out, br_history_check_stats *stats, char *err,
                     size_t errlen);

/*
 * `bookrace check FILE` for a load: FILE is a load.json (its history is found
 * next to it and its violations compared with the recomputed ones) or a history
 * file. Prints the violations to |out|. Returns the number of violations, -2
 * when they differ from those load.json recorded, or -1 with |err|; 0 in
 * |*is_load| (and nothing done) when FILE is neither.
 */
/*
 * Calls |fn| with each booking request (ok or indeterminate) of the history a
 * load.json at |load_path| points to, as an oracle record whose times are
 * microseconds since that load's start (bookrace merge feeds a merged oracle
 * this way). Returns 0, |fn|'s first nonzero result, or -1 with |err|.
 */
int br_history_each_booking(const char *load_path, json_t *load_doc,
                            int (*fn)(const br_op_record *booking, void *ctx), void *ctx, char *err,
                            size_t errlen);

long br_history_check_file(const char *path, FILE *out, int *is_load, char *err, size_t errlen);

#endif
