/*
 * Ground truth: the bookings the target holds after a run, read back through
 * the profile's list operation or straight from MongoDB (--verify-mongo), for
 * the oracle to hold the history against. One reader for run and load; each
 * sends the list request its own way (the race pool, or a blocking libcurl
 * call), so the request is a callback.
 */
#ifndef BR_TRUTH_H
#define BR_TRUTH_H

#include "oracle.h"
#include "target.h"
#include "verify_mongo.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    br_truth_booking *items; /* malloc'd */
    size_t count;
    int checked;     /* the items are the target's bookings */
    char note[1024]; /* when not checked: why */
} br_truth;

/*
 * Reads the bookings out of a list operation's response: its pointers, its
 * cancelled statuses, and bookings whose tag holds |run_tag| marked as this
 * run's. Returns 0 with a malloc'd array, or -1 with |err| for a response
 * that does not fit the profile.
 */
int br_truth_from_list(const br_operation *o, json_t *response, const char *run_tag, br_truth_booking **out,
                       size_t *count, char *err, size_t errlen);

/*
 * Sends the list operation and hands back its parsed response (the caller of
 * br_truth_read frees nothing: the fetcher owns it). 0, or -1 with |err|.
 */
typedef int (*br_list_fetcher)(void *arg, json_t **response, char *err, size_t errlen);

enum {
    BR_TRUTH_CHECKED = 0, /* out->items hold the target's bookings */
    BR_TRUTH_NONE = 1,    /* no source, or the list request failed: out->note says which */
    BR_TRUTH_BAD = -1     /* the source answered what the profile does not describe: out->note */
};

/*
 * Reads the ground truth of [from_us, to_us) for |run_tag|: from MongoDB when
 * |verify| is given, else through the list operation (|fetch|), else none.
 */
int br_truth_read(const br_target *tg, const br_mongo_verify *verify, int64_t from_us, int64_t to_us,
                  const char *run_tag, br_list_fetcher fetch, void *fetch_arg, br_truth *out);

void br_truth_free(br_truth *t);

#endif
