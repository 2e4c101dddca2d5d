/*
 * The BSON bookd sends to MongoDB, built by pure functions (no server, no
 * I/O) so test_store_mongo checks every filter, document and command
 * without a database; and the classification of the driver's errors.
 */
#include "store_mongo_bson.h"

#include <mongoc/mongoc.h>
#include <string.h>

#define MS(us) ((int64_t)((us) / 1000))
#define SPAN_MS (BOOKD_MAX_SPAN_US / 1000)

/* ---- pure BSON builders -------------------------------------------------------------------------- */

bson_t *bookd_mongo_overlap_filter(const char *company, const char *inspector, int64_t start_us,
                                   int64_t end_us)
{
    /* datetime > start - max span bounds the index scan (see BOOKD_MAX_SPAN_US). */
    return BCON_NEW("_companyId", BCON_UTF8(company), "_inspectorId", BCON_UTF8(inspector), "status",
                    BCON_UTF8("scheduled"), "datetime", "{", "$lt", BCON_DATE_TIME(MS(end_us)), "$gt",
                    BCON_DATE_TIME(MS(start_us) - SPAN_MS), "}", "endtime", "{", "$gt",
                    BCON_DATE_TIME(MS(start_us)), "}");
}

void bookd_mongo_append_id(bson_t *doc, const char *key, const char *id)
{
    bson_oid_t oid;
    if (bson_oid_is_valid(id, strlen(id)) && strlen(id) == 24) {
        bson_oid_init_from_string(&oid, id);
        BSON_APPEND_OID(doc, key, &oid);
    } else {
        BSON_APPEND_UTF8(doc, key, id);
    }
}

bson_t *bookd_mongo_hold_overlap_filter(const char *company, const char *inspector, int64_t start_us,
                                        int64_t end_us, int64_t now_us, const char *except_id)
{
    bson_t *f = BCON_NEW("_companyId", BCON_UTF8(company), "_inspectorId", BCON_UTF8(inspector), "type",
                         BCON_UTF8("Block"), "status", BCON_UTF8("active"), "expiresAt", "{", "$gt",
                         BCON_DATE_TIME(MS(now_us)), "}", "datetime", "{", "$lt", BCON_DATE_TIME(MS(end_us)),
                         "$gt", BCON_DATE_TIME(MS(start_us) - SPAN_MS), "}", "endtime", "{", "$gt",
                         BCON_DATE_TIME(MS(start_us)), "}");
    if (except_id && *except_id) {
        bson_t ne;
        BSON_APPEND_DOCUMENT_BEGIN(f, "_id", &ne);
        bookd_mongo_append_id(&ne, "$ne", except_id);
        bson_append_document_end(f, &ne);
    }
    return f;
}

bson_t *bookd_mongo_list_filter(const char *company, int64_t from_us, int64_t to_us, const char *inspector,
                                const char *status)
{
    bson_t *f = BCON_NEW("_companyId", BCON_UTF8(company), "datetime", "{", "$lt", BCON_DATE_TIME(MS(to_us)),
                         "$gt", BCON_DATE_TIME(MS(from_us) - SPAN_MS), "}", "endtime", "{", "$gt",
                         BCON_DATE_TIME(MS(from_us)), "}");
    if (inspector)
        BSON_APPEND_UTF8(f, "_inspectorId", inspector);
    if (status)
        BSON_APPEND_UTF8(f, "status", status);
    return f;
}

bson_t *bookd_mongo_inspection_document(const char *company, const bookd_inspection *in)
{
    bson_t *d = bson_new();
    bookd_mongo_append_id(d, "_id", in->id);
    BSON_APPEND_UTF8(d, "_companyId", company);
    BSON_APPEND_UTF8(d, "_inspectorId", in->inspector_id);
    BSON_APPEND_UTF8(d, "serviceId", in->service_id);
    BSON_APPEND_DATE_TIME(d, "datetime", MS(in->start_us));
    BSON_APPEND_DATE_TIME(d, "endtime", MS(in->end_us));
    BSON_APPEND_UTF8(d, "status", bookd_inspection_status_name(in->status));
    BSON_APPEND_UTF8(d, "jobCreationType", "online");
    BSON_APPEND_DATE_TIME(d, "scheduledTs", MS(in->scheduled_us));
    BSON_APPEND_UTF8(d, "address", in->address);
    bson_t customer;
    BSON_APPEND_DOCUMENT_BEGIN(d, "customer", &customer);
    BSON_APPEND_UTF8(&customer, "name", in->customer_name);
    BSON_APPEND_UTF8(&customer, "email", in->customer_email);
    bson_append_document_end(d, &customer);
    if (in->hold_id[0])
        bookd_mongo_append_id(d, "holdId", in->hold_id);
    return d;
}

bson_t *bookd_mongo_hold_document(const char *company, const bookd_hold *h)
{
    bson_t *d = bson_new();
    bookd_mongo_append_id(d, "_id", h->id);
    BSON_APPEND_UTF8(d, "_companyId", company);
    BSON_APPEND_UTF8(d, "_inspectorId", h->inspector_id);
    BSON_APPEND_UTF8(d, "type", "Block");
    BSON_APPEND_DATE_TIME(d, "datetime", MS(h->start_us));
    BSON_APPEND_DATE_TIME(d, "endtime", MS(h->end_us));
    BSON_APPEND_DATE_TIME(d, "createdAt", MS(h->created_us));
    BSON_APPEND_DATE_TIME(d, "expiresAt", MS(h->expires_us));
    BSON_APPEND_UTF8(d, "status", h->status == BOOKD_HOLD_ACTIVE ? "active" : "converted");
    return d;
}

bson_t *bookd_mongo_lock_selector(const char *company, const char *inspector)
{
    return BCON_NEW("_id", "{", "companyId", BCON_UTF8(company), "inspectorId", BCON_UTF8(inspector), "}");
}

bson_t *bookd_mongo_lock_update(void)
{
    /* A real change: a no-op write would not conflict. */
    return BCON_NEW("$inc", "{", "n", BCON_INT64(1), "}");
}

bson_t *bookd_mongo_create_indexes_command(const char *collection, int unique)
{
    if (strcmp(collection, "inspections") == 0) {
        if (unique)
            return BCON_NEW("createIndexes", BCON_UTF8("inspections"), "indexes", "[", "{", "key", "{",
                            "_companyId", BCON_INT32(1), "_inspectorId", BCON_INT32(1), "datetime",
                            BCON_INT32(1), "}", "name", BCON_UTF8(BOOKD_MONGO_UNIQUE_INDEX), "unique",
                            BCON_BOOL(true), "partialFilterExpression", "{", "status", "{", "$eq",
                            BCON_UTF8("scheduled"), "}", "}", "}", "]");
        return BCON_NEW("createIndexes", BCON_UTF8("inspections"), "indexes", "[", "{", "key", "{",
                        "_companyId", BCON_INT32(1), "_inspectorId", BCON_INT32(1), "datetime", BCON_INT32(1),
                        "}", "name", BCON_UTF8("inspections_by_inspector"), "}", "{", "key", "{",
                        "_companyId", BCON_INT32(1), "datetime", BCON_INT32(1), "}", "name",
                        BCON_UTF8("inspections_by_time"), "}", "]");
    }
    return BCON_NEW("createIndexes", BCON_UTF8(collection), "indexes", "[", "{", "key", "{", "_companyId",
                    BCON_INT32(1), "_inspectorId", BCON_INT32(1), "datetime", BCON_INT32(1), "}", "name",
                    BCON_UTF8("by_inspector"), "}", "]");
}

bookd_mongo_error_class bookd_mongo_classify(const bson_error_t *error, const bson_t *reply)
{
    if (error->code == 0 && error->domain == 0)
        return BOOKD_MONGO_OK;
    if (reply != NULL && !bson_empty(reply) &&
        (mongoc_error_has_label(reply, "TransientTransactionError") ||
         mongoc_error_has_label(reply, "UnknownTransactionCommitResult")))
        return BOOKD_MONGO_TRANSIENT;
    if (error->code == 112 /* WriteConflict */ || error->code == 251 /* NoSuchTransaction */)
        return BOOKD_MONGO_TRANSIENT;
    if (error->code == 11000 || error->code == 11001)
        return BOOKD_MONGO_DUPLICATE;
    return BOOKD_MONGO_FAILURE;
}

int bookd_mongo_store_code(bookd_mongo_error_class c)
{
    switch (c) {
    case BOOKD_MONGO_OK:
        return 0;
    case BOOKD_MONGO_TRANSIENT:
        return BOOKD_STORE_EBUSY;
    case BOOKD_MONGO_DUPLICATE:
        return BOOKD_STORE_EUNIQUE;
    default:
        return BOOKD_STORE_EIO;
    }
}
