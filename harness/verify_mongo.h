/*
 * The ground-truth check straight from a backend's MongoDB, as the
 * write-up's investigation did by hand ("pull both inspections, confirm same
 * _inspectorId, overlapping [datetime, endtime)"). Field names come from the
 * target profile's "mongo" section; they default to the write-up's.
 */
#ifndef BR_VERIFY_MONGO_H
#define BR_VERIFY_MONGO_H

#include "oracle.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *uri, *db, *collection;
    /* Field paths (dotted) in each booking document. */
    char *f_id, *f_inspector, *f_start, *f_end, *f_status, *f_tag, *f_company;
    char **cancelled_statuses;
    size_t cancelled_count;
    char *company; /* only this company's bookings, when set */
} br_mongo_verify;

/*
 * Fills the field names from a profile's "mongo" object (may be NULL for the
 * defaults: _id, _inspectorId, datetime, endtime, status, customer.email,
 * _companyId; cancelled status "cancelled"). Returns 0, or -1 with |err|.
 */
int br_mongo_verify_from_json(br_mongo_verify *v, json_t *mongo, const char *origin, char *err,
                              size_t errlen);
void br_mongo_verify_free(br_mongo_verify *v);

/*
 * Reads every booking overlapping [from, to) and marks those whose tag
 * contains |run_tag| as this run's. Times may be stored as BSON dates or as
 * RFC 3339 strings. Returns 0, or -1 with |err| (unreachable server, bad
 * document).
 */
int br_mongo_read_truth(const br_mongo_verify *v, int64_t from_us, int64_t to_us, const char *run_tag,
                        br_truth_booking **out, size_t *count, char *err, size_t errlen);

#endif
