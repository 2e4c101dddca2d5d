/*
 * The ground truth straight from MongoDB (verify_mongo.h): the profile's
 * "mongo" section is read and checked here whether or not bookrace was built
 * with libmongoc, so a profile means the same everywhere; the read itself
 * (one find over the run's time range, fields by the profile's dotted paths)
 * exists only with BOOKRACE_MONGO, and without it says how to get it.
 */
#include "verify_mongo.h"

#include "alloc.h"
#include "iso8601.h"
#include "jsonload.h"

#ifdef BOOKRACE_HAVE_MONGO
#include <mongoc/mongoc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bookings are never longer than this (bookd's limit, and far beyond any inspection): bounds the query. */
#define MAX_SPAN_US (INT64_C(12) * 3600 * 1000000)

void br_mongo_verify_free(br_mongo_verify *v)
{
    free(v->uri);
    free(v->db);
    free(v->collection);
    free(v->f_id);
    free(v->f_inspector);
    free(v->f_start);
    free(v->f_end);
    free(v->f_status);
    free(v->f_tag);
    free(v->f_company);
    for (size_t i = 0; i < v->cancelled_count; i++)
        free(v->cancelled_statuses[i]);
    free(v->cancelled_statuses);
    free(v->company);
    memset(v, 0, sizeof(*v));
}

static int take_field(json_t *fields, const char *key, const char *dflt, char **out, const char *origin,
                      char *err, size_t errlen)
{
    json_t *f = fields ? json_object_get(fields, key) : NULL;
    if (f != NULL && (!json_is_string(f) || json_string_length(f) == 0)) {
        snprintf(err, errlen, "%s: mongo.fields.%s must be a non-empty field path", origin, key);
        return -1;
    }
    *out = xstrdup(f ? json_string_value(f) : dflt);
    return 0;
}

int br_mongo_verify_from_json(br_mongo_verify *v, json_t *mongo, const char *origin, char *err, size_t errlen)
{
    static const char *const keys[] = {"fields", "cancelledStatuses", "company", NULL};
    static const char *const field_keys[] = {"id",     "inspector", "start",   "end",
                                             "status", "tag",       "company", NULL};
    char kerr[600];
    json_t *fields = NULL, *cancelled = NULL, *company = NULL;
    if (mongo != NULL) {
        if (!json_is_object(mongo) || br_json_check_keys(mongo, keys, "mongo", kerr, sizeof(kerr))) {
            snprintf(err, errlen, "%s: %s", origin, json_is_object(mongo) ? kerr : "mongo must be an object");
            return -1;
        }
        fields = json_object_get(mongo, "fields");
        cancelled = json_object_get(mongo, "cancelledStatuses");
        company = json_object_get(mongo, "company");
        if (fields && (!json_is_object(fields) ||
                       br_json_check_keys(fields, field_keys, "mongo.fields", kerr, sizeof(kerr)))) {
            snprintf(err, errlen, "%s: %s", origin,
                     json_is_object(fields) ? kerr : "mongo.fields must be an object");
            return -1;
        }
        if (company && !json_is_string(company)) {
            snprintf(err, errlen, "%s: mongo.company must be a string", origin);
            return -1;
        }
    }
    if (take_field(fields, "id", "_id", &v->f_id, origin, err, errlen) ||
        take_field(fields, "inspector", "_inspectorId", &v->f_inspector, origin, err, errlen) ||
        take_field(fields, "start", "datetime", &v->f_start, origin, err, errlen) ||
        take_field(fields, "end", "endtime", &v->f_end, origin, err, errlen) ||
        take_field(fields, "status", "status", &v->f_status, origin, err, errlen) ||
        take_field(fields, "tag", "customer.email", &v->f_tag, origin, err, errlen) ||
        take_field(fields, "company", "_companyId", &v->f_company, origin, err, errlen))
        return -1;
    if (cancelled != NULL) {
        if (!json_is_array(cancelled)) {
            snprintf(err, errlen, "%s: mongo.cancelledStatuses must be an array of strings", origin);
            return -1;
        }
        v->cancelled_count = json_array_size(cancelled);
        v->cancelled_statuses = xcalloc(v->cancelled_count + 1, sizeof(char *));
        for (size_t i = 0; i < v->cancelled_count; i++) {
            json_t *s = json_array_get(cancelled, i);
            if (!json_is_string(s)) {
                snprintf(err, errlen, "%s: mongo.cancelledStatuses[%zu] must be a string", origin, i);
                return -1;
            }
            v->cancelled_statuses[i] = xstrdup(json_string_value(s));
        }
    } else {
        v->cancelled_count = 1;
        v->cancelled_statuses = xcalloc(2, sizeof(char *));
        v->cancelled_statuses[0] = xstrdup("cancelled");
    }
    v->company = company ? xstrdup(json_string_value(company)) : NULL;
    return 0;
}

#ifndef BOOKRACE_HAVE_MONGO
int br_mongo_read_truth(const br_mongo_verify *v, int64_t from_us, int64_t to_us, const char *run_tag,
                        br_truth_booking **out, size_t *count, char *err, size_t errlen)
{
    (void)v, (void)from_us, (void)to_us, (void)run_tag;
    *out = NULL;
    *count = 0;
    snprintf(err, errlen,
             "--verify-mongo: this bookrace was built without MongoDB (configure with "
             "libmongoc-dev installed, or -DBOOKRACE_MONGO=ON)");
    return -1;
}
#else
/* A field's value as text (strings, ObjectIds, integers); "" when absent. */
static void field_text(const bson_t *doc, const char *path, char *out, size_t cap)
{
    bson_iter_t it, f;
    out[0] = '\0';
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &f))
        return;
    if (BSON_ITER_HOLDS_UTF8(&f))
        snprintf(out, cap, "%s", bson_iter_utf8(&f, NULL));
    else if (BSON_ITER_HOLDS_OID(&f))
        bson_oid_to_string(bson_iter_oid(&f), out);
    else if (BSON_ITER_HOLDS_INT32(&f) || BSON_ITER_HOLDS_INT64(&f))
        snprintf(out, cap, "%lld", (long long)bson_iter_as_int64(&f));
}

/* A time stored as a BSON date or an RFC 3339 string; -1 when neither. */
static int field_time(const bson_t *doc, const char *path, int64_t *out)
{
    bson_iter_t it, f;
    if (!bson_iter_init(&it, doc) || !bson_iter_find_descendant(&it, path, &f))
        return -1;
    if (BSON_ITER_HOLDS_DATE_TIME(&f)) {
        *out = bson_iter_date_time(&f) * 1000;
        return 0;
    }
    if (BSON_ITER_HOLDS_UTF8(&f)) {
        uint32_t len;
        const char *s = bson_iter_utf8(&f, &len);
        return br_time_parse(s, len, out) == 0 ? 0 : -1;
    }
    return -1;
}

int br_mongo_read_truth(const br_mongo_verify *v, int64_t from_us, int64_t to_us, const char *run_tag,
                        br_truth_booking **out, size_t *count, char *err, size_t errlen)
{
    static int initialised;
    if (!initialised) {
        mongoc_init();
        initialised = 1;
    }
    *out = NULL;
    *count = 0;
    bson_error_t error;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(v->uri, &error);
    if (uri == NULL) {
        snprintf(err, errlen, "--verify-mongo: %s", error.message);
        return -1;
    }
    if (!mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
    mongoc_client_t *client = mongoc_client_new_from_uri(uri);
    mongoc_uri_destroy(uri);
    mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
    mongoc_collection_t *coll = mongoc_client_get_collection(client, v->db, v->collection);

    /* Starts within [from - span, to), whether stored as dates or as strings; overlap is decided below. */
    char lo[BR_TIME_BUFSIZE], hi[BR_TIME_BUFSIZE];
    br_time_format(from_us - MAX_SPAN_US, lo);
    br_time_format(to_us, hi);
    bson_t *filter =
        BCON_NEW("$or", "[", "{", v->f_start, "{", "$gte", BCON_DATE_TIME((from_us - MAX_SPAN_US) / 1000),
                 "$lt", BCON_DATE_TIME(to_us / 1000), "}", "}", "{", v->f_start, "{", "$gte", BCON_UTF8(lo),
                 "$lt", BCON_UTF8(hi), "}", "}", "]");
    if (v->company)
        BSON_APPEND_UTF8(filter, v->f_company, v->company);
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, filter, NULL, NULL);
    const bson_t *doc;
    size_t cap = 0;
    int rc = 0;
    while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
        br_truth_booking b;
        memset(&b, 0, sizeof(b));
        char status[64], tag[256];
        field_text(doc, v->f_id, b.id, sizeof(b.id));
        field_text(doc, v->f_inspector, b.inspector, sizeof(b.inspector));
        if (b.id[0] == '\0' || field_time(doc, v->f_start, &b.start_us) ||
            field_time(doc, v->f_end, &b.end_us)) {
            char *json = bson_as_relaxed_extended_json(doc, NULL);
            snprintf(err, errlen, "--verify-mongo: a booking lacks %s, %s or %s: %.200s", v->f_id, v->f_start,
                     v->f_end, json);
            bson_free(json);
            rc = -1;
            break;
        }
        if (!(b.start_us < to_us && from_us < b.end_us))
            continue;
        field_text(doc, v->f_status, status, sizeof(status));
        b.active = 1;
        for (size_t i = 0; i < v->cancelled_count; i++)
            if (strcmp(status, v->cancelled_statuses[i]) == 0)
                b.active = 0;
        field_text(doc, v->f_tag, tag, sizeof(tag));
        b.ours = strstr(tag, run_tag) != NULL;
        if (*count == cap) {
            cap = cap ? cap * 2 : 16;
            *out = xreallocarray(*out, cap, sizeof(br_truth_booking));
        }
        (*out)[(*count)++] = b;
    }
    if (rc == 0 && mongoc_cursor_error(cur, &error)) {
        snprintf(err, errlen, "--verify-mongo: %s", error.message);
        rc = -1;
    }
    mongoc_cursor_destroy(cur);
    bson_destroy(filter);
    mongoc_collection_destroy(coll);
    mongoc_client_destroy(client);
    if (rc != 0) {
        free(*out);
        *out = NULL;
        *count = 0;
    }
    return rc;
}
#endif
