/*
 * Ground truth (truth.h): where it comes from (MongoDB, the list operation or
 * nowhere) and how a list response is read through the profile's pointers.
 * Pure but for the callback and the MongoDB read, so the unit tests feed it
 * hand-written responses.
 */
#include "truth.h"

#include "alloc.h"
#include "iso8601.h"
#include "jsonptr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a list item's status is one of the profile's cancelled statuses. */
static int is_cancelled(const br_operation *o, json_t *item)
{
    char buf[64];
    const char *status = br_json_pointer_text(item, o->ptr_status, buf, sizeof(buf));
    for (size_t k = 0; status && k < o->cancelled_count; k++)
        if (strcmp(status, o->cancelled_statuses[k]) == 0)
            return 1;
    return 0;
}

static int read_item(const br_operation *o, json_t *item, const char *run_tag, br_truth_booking *b)
{
    char b1[64], b2[64], b3[64], b4[64];
    const char *id = br_json_pointer_text(item, o->ptr_id, b1, sizeof(b1));
    const char *insp = br_json_pointer_text(item, o->ptr_inspector, b2, sizeof(b2));
    const char *start = br_json_pointer_text(item, o->ptr_start, b3, sizeof(b3));
    const char *end = br_json_pointer_text(item, o->ptr_end, b4, sizeof(b4));
    if (!id || !insp || !start || !end || br_time_parse(start, strlen(start), &b->start_us) ||
        br_time_parse(end, strlen(end), &b->end_us))
        return -1;
    snprintf(b->id, sizeof(b->id), "%s", id);
    snprintf(b->inspector, sizeof(b->inspector), "%s", insp);
    b->active = !is_cancelled(o, item);
    b->ours = -1;
    if (o->ptr_tag) {
        json_t *tag = br_json_pointer_get(item, o->ptr_tag);
        b->ours = json_is_string(tag) && strstr(json_string_value(tag), run_tag) != NULL;
    }
    return 0;
}

int br_truth_from_list(const br_operation *o, json_t *response, const char *run_tag, br_truth_booking **out,
                       size_t *count, char *err, size_t errlen)
{
    *out = NULL;
    *count = 0;
    json_t *items = br_json_pointer_get(response, o->ptr_items);
    if (!json_is_array(items)) {
        snprintf(err, errlen, "pointer %s does not resolve to an array", o->ptr_items);
        return -1;
    }
    size_t n = json_array_size(items);
    br_truth_booking *truth = xcalloc(n + 1, sizeof(br_truth_booking));
    for (size_t i = 0; i < n; i++) {
        if (read_item(o, json_array_get(items, i), run_tag, &truth[i]) != 0) {
            snprintf(err, errlen, "item %zu lacks a readable id, inspector, start or end", i);
            free(truth);
            return -1;
        }
    }
    *out = truth;
    *count = n;
    return 0;
}

int br_truth_read(const br_target *tg, const br_mongo_verify *verify, int64_t from_us, int64_t to_us,
                  const char *run_tag, br_list_fetcher fetch, void *fetch_arg, br_truth *out)
{
    memset(out, 0, sizeof(*out));
    char err[900];
    if (verify != NULL) {
        if (br_mongo_read_truth(verify, from_us, to_us, run_tag, &out->items, &out->count, err,
                                sizeof(err)) != 0) {
            snprintf(out->note, sizeof(out->note), "%s", err);
            return BR_TRUTH_BAD;
        }
        out->checked = 1;
        return BR_TRUTH_CHECKED;
    }
    const br_operation *o = &tg->ops[BR_OP_LIST];
    if (!o->present) {
        snprintf(out->note, sizeof(out->note), "the target profile has no list operation");
        return BR_TRUTH_NONE;
    }
    json_t *response = NULL;
    if (fetch(fetch_arg, &response, err, sizeof(err)) != 0) {
        snprintf(out->note, sizeof(out->note), "the list operation failed: %s", err);
        return BR_TRUTH_NONE;
    }
    if (br_truth_from_list(o, response, run_tag, &out->items, &out->count, err, sizeof(err)) != 0) {
        snprintf(out->note, sizeof(out->note), "list operation: %s", err);
        return BR_TRUTH_BAD;
    }
    out->checked = 1;
    return BR_TRUTH_CHECKED;
}

void br_truth_free(br_truth *t)
{
    free(t->items);
    memset(t, 0, sizeof(*t));
}
