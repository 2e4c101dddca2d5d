/*
 * Target profiles: everything that differs between booking backends (routes,
 * field names, status codes, headers) lives in one JSON file, so the harness
 * itself knows nothing about any backend. Format: docs/targets.md.
 */
#ifndef BR_TARGET_H
#define BR_TARGET_H

#include "iso8601.h"
#include "template.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define BR_ID_MAX 128
#define BR_NAME_MAX 80

/*
 * The most base URLs a profile's baseUrls or the --base-url flags may give (one
 * per pod a run spreads its actors over; the load engine keeps one address
 * each). Checked where they are read: more is an error, never an overflow.
 */
#define BR_MAX_BASE_URLS 16

typedef enum {
    BR_OP_FETCH_SLOTS,
    BR_OP_BOOK,
    BR_OP_HOLD,
    BR_OP_CANCEL,
    BR_OP_LIST,
    BR_OP_CLOCK,
    BR_OP_RESET,
    BR_OP_COUNT
} br_op_kind;

/* "fetchSlots", "book", ... as in profiles; and the history's names ("fetch_slots", "book", ...). */
const char *br_op_profile_name(br_op_kind op);
const char *br_op_history_name(br_op_kind op);

#define BR_MAX_STATUSES 16

typedef struct {
    int present;
    char *method;
    char *path;   /* template, may hold a query */
    json_t *body; /* template, NULL for none */
    int success[BR_MAX_STATUSES], success_count;
    int conflict[BR_MAX_STATUSES], conflict_count;
    /* RFC 6901 pointers into the response (NULL when not given). */
    char *ptr_items;     /* fetchSlots: the slot array; list: the booking array */
    char *ptr_id;        /* book, hold: in the response; list: in each item */
    char *ptr_inspector; /* fetchSlots and list: in each item; book: in the response */
    char *ptr_start, *ptr_end;
    char *ptr_status, *ptr_tag; /* list only */
    char **cancelled_statuses;  /* list only: status values that mean "not active" */
    size_t cancelled_count;
} br_operation;

typedef struct {
    char *name;
    char **base_urls;
    size_t base_url_count;
    char **header_names, **header_values; /* values are templates */
    size_t header_count;
    char **secret_headers; /* redacted in results: Authorization always, plus these */
    size_t secret_count;
    int timeout_ms;
    br_operation ops[BR_OP_COUNT];
    json_t *mongo; /* the profile's "mongo" section (field names for --verify-mongo), or NULL */
    /* "http": "2": barriers that name no release use the HTTP/2 single-packet release. */
    int http2;
    /* "http2": {"maxStreams", "caFile", "insecure"}: for every single-packet release. */
    unsigned h2_max_streams; /* 0: the server's SETTINGS_MAX_CONCURRENT_STREAMS */
    char *h2_ca_file;
    int h2_insecure;
} br_target;

/* Loads and validates a profile. Returns NULL with a message naming the file and the key in |err|. */
br_target *br_target_load(const char *path, char *err, size_t errlen);
/* The same from an already parsed document; |origin| names it in errors. */
br_target *br_target_from_json(json_t *root, const char *origin, char *err, size_t errlen);
void br_target_free(br_target *t);

/* Replaces the base URLs (each --base-url). -1 for a URL that is not http(s) or more than BR_MAX_BASE_URLS.
 */
int br_target_set_base_urls(br_target *t, char *const *urls, size_t count);

/*
 * Collects one --base-url flag into |urls| (room for BR_MAX_BASE_URLS). Returns 0,
 * or -1 with the reason in |err| for the one past the limit.
 */
int br_target_add_base_url_arg(char **urls, size_t *count, const char *url, char *err, size_t errlen);

/* One operation rendered for one request: what both the race runner and the load engine send. */
typedef struct {
    char *path;          /* the request target (path and query), URL-escaped */
    char **header_lines; /* "Name: value", the profile's headers, then a JSON Content-Type when needed */
    size_t header_count;
    char *body; /* compact JSON, or NULL */
} br_rendered;

/*
 * Renders operation |op| of |t| in |ctx|. Returns 0, or -1 with the template
 * error in |err| (a bad scenario or profile). Free with br_rendered_free either way.
 */
int br_target_render(const br_target *t, br_op_kind op, const br_template_ctx *ctx, br_rendered *out,
                     char *err, size_t errlen);
void br_rendered_free(br_rendered *r);

/* A slot as one item of a fetchSlots list gives it; the times keep the target's own spelling. */
typedef struct {
    char inspector[BR_NAME_MAX];
    char start[BR_TIME_BUFSIZE], end[BR_TIME_BUFSIZE];
    int64_t start_us, end_us;
} br_slot;

/*
 * Reads one fetchSlots item through the profile's pointers (strings, or integers
 * as decimal text). Returns 0; -1 with |missing| naming the pointer that did not
 * resolve; -2 for a range that is not RFC 3339 or does not end after it starts.
 */
int br_slot_from_item(const br_operation *fetch, json_t *item, br_slot *out, const char **missing);

/* Whether a header is secret (never written to results or logs). Case-insensitive. */
int br_target_header_is_secret(const br_target *t, const char *name);

typedef enum {
    BR_CLASS_SUCCESS,
    BR_CLASS_CONFLICT,
    BR_CLASS_REJECTED,
    BR_CLASS_INDETERMINATE
} br_status_class;

/* How an HTTP status is read for |op|: success and conflict lists, other 4xx rejected, the rest
 * indeterminate. */
br_status_class br_operation_classify(const br_operation *op, long status);

#endif
