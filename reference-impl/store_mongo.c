/*
 * The MongoDB store of store_mongo.h: a client pool shared by the server's
 * threads, the store operations over it, and fix A's transaction (a
 * per-inspector lock document first, so concurrent transactions conflict
 * instead of write-skewing). The BSON it sends is built by the pure
 * functions of store_mongo_bson.c.
 */
#include "store_mongo.h"
#include "store_mongo_bson.h"

#include "alloc.h"

#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS(us) ((int64_t)((us) / 1000))
#define SPAN_MS (BOOKD_MAX_SPAN_US / 1000)

struct bookd_mongo {
    mongoc_client_pool_t *pool;
    mongoc_uri_t *uri;
    char db[128];
};

typedef struct {
    bookd_store base;
    bookd_mongo *m;
    mongoc_client_session_t *session; /* set while a transaction body runs */
    bson_error_t last_error;
    bson_t last_reply; /* the server's reply to the last failed operation */
    char errmsg[600];
} mongo_store;

/* ---- the pool ------------------------------------------------------------------------------------- */

/* The driver logs its server monitoring at DEBUG on some builds; bookd passes on warnings and worse only. */
static void quiet_log(mongoc_log_level_t level, const char *domain, const char *message, void *arg)
{
    (void)arg;
    if (level <= MONGOC_LOG_LEVEL_WARNING)
        fprintf(stderr, "bookd: mongoc %s: %s\n", domain, message);
}

int bookd_mongo_new(const char *uri_text, const char *db_name, bookd_mongo **out, char *err, size_t errlen)
{
    static int initialised;
    if (!initialised) {
        mongoc_log_set_handler(quiet_log, NULL);
        mongoc_init();
        initialised = 1;
    }
    bson_error_t error;
    bookd_mongo *m = xcalloc(1, sizeof(*m));
    m->uri = mongoc_uri_new_with_error(uri_text, &error);
    if (m->uri == NULL) {
        snprintf(err, errlen, "invalid --mongo-uri: %s", error.message);
        goto fail_uri;
    }
    /* Fail fast at start-up when nothing answers, unless the URI says otherwise (the default is 30 s). */
    if (!mongoc_uri_has_option(m->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS))
        mongoc_uri_set_option_as_int32(m->uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 5000);
    m->pool = mongoc_client_pool_new(m->uri);
    if (m->pool == NULL) {
        snprintf(err, errlen, "cannot create a MongoDB client pool for %s", uri_text);
        goto fail_pool;
    }
    mongoc_client_pool_set_error_api(m->pool, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_pool_set_appname(m->pool, "bookd");
    snprintf(m->db, sizeof(m->db), "%s", db_name);
    *out = m;
    return 0;
fail_pool:
    mongoc_uri_destroy(m->uri);
fail_uri:
    free(m);
    return -1;
}

void bookd_mongo_del(bookd_mongo *m)
{
    if (m == NULL)
        return;
    mongoc_client_pool_destroy(m->pool);
    mongoc_uri_destroy(m->uri);
    free(m);
}

int bookd_mongo_supports_transactions(bookd_mongo *m, char *err, size_t errlen)
{
    mongoc_client_t *client = mongoc_client_pool_pop(m->pool);
    bson_t *cmd = BCON_NEW("hello", BCON_INT32(1));
    bson_t reply;
    bson_error_t error;
    int result = -1;
    if (!mongoc_client_command_simple(client, "admin", cmd, NULL, &reply, &error)) {
        snprintf(err, errlen, "cannot reach MongoDB: %s", error.message);
    } else {
        bson_iter_t it;
        int replica_set = bson_iter_init_find(&it, &reply, "setName");
        int mongos = bson_iter_init_find(&it, &reply, "msg") && BSON_ITER_HOLDS_UTF8(&it) &&
                     strcmp(bson_iter_utf8(&it, NULL), "isdbgrid") == 0;
        result = replica_set || mongos;
    }
    bson_destroy(&reply);
    bson_destroy(cmd);
    mongoc_client_pool_push(m->pool, client);
    return result;
}

/* ---- the store ------------------------------------------------------------------------------------ */

/* A client for one operation: the transaction's own while one runs, else one from the pool. */
static mongoc_client_t *client_get(mongo_store *s)
{
    return s->session ? mongoc_client_session_get_client(s->session) : mongoc_client_pool_pop(s->m->pool);
}

static void client_put(mongo_store *s, mongoc_client_t *c)
{
    if (s->session == NULL)
        mongoc_client_pool_push(s->m->pool, c);
}

/* Operation options carrying the session, when there is one. */
static bson_t *op_opts(mongo_store *s, bson_t *opts)
{
    if (s->session != NULL) {
        bson_error_t e;
        mongoc_client_session_append(s->session, opts, &e);
    }
    return opts;
}

/* Records a failure and returns its store code. */
static int failed(mongo_store *s, const bson_error_t *error, const bson_t *reply)
{
    s->last_error = *error;
    bson_reinit(&s->last_reply);
    if (reply != NULL && !bson_empty(reply))
        bson_copy_to_excluding_noinit(reply, &s->last_reply, "", NULL);
    snprintf(s->errmsg, sizeof(s->errmsg), "MongoDB: %s (code %u)", error->message, error->code);
    return bookd_mongo_store_code(bookd_mongo_classify(error, reply));
}

static void mongo_del(bookd_store *base)
{
    mongo_store *s = (mongo_store *)base;
    bson_destroy(&s->last_reply);
    free(s);
}

static const char *mongo_errmsg(bookd_store *base)
{
    return ((mongo_store *)base)->errmsg;
}

/*
 * update_one; consumes |selector| and |update|. Returns 1 when a document
 * matched (or, with |upsert|, was inserted), 0 when none matched, or a
 * negative store code.
 */
static int update_one(mongo_store *s, const char *collection, bson_t *selector, bson_t *update, int upsert_it)
{
    mongoc_client_t *c = client_get(s);
    mongoc_collection_t *coll = mongoc_client_get_collection(c, s->m->db, collection);
    bson_t opts = BSON_INITIALIZER, reply;
    if (upsert_it)
        BSON_APPEND_BOOL(&opts, "upsert", true);
    bson_error_t error;
    int rc;
    if (!mongoc_collection_update_one(coll, selector, update, op_opts(s, &opts), &reply, &error)) {
        rc = failed(s, &error, &reply);
    } else {
        bson_iter_t it;
        rc = upsert_it || (bson_iter_init_find(&it, &reply, "matchedCount") && bson_iter_as_int64(&it) > 0);
    }
    bson_destroy(&reply);
    bson_destroy(&opts);
    bson_destroy(selector);
    bson_destroy(update);
    mongoc_collection_destroy(coll);
    client_put(s, c);
    return rc;
}

/* update_one with upsert; returns 0 or a store code. */
static int upsert(mongo_store *s, const char *collection, bson_t *selector, bson_t *update)
{
    int rc = update_one(s, collection, selector, update, 1);
    return rc < 0 ? rc : 0;
}

static int mongo_put_company(bookd_store *base, const char *company, const char *api_key)
{
    return upsert((mongo_store *)base, "companies", BCON_NEW("_id", BCON_UTF8(company)),
                  BCON_NEW("$set", "{", "apiKey", BCON_UTF8(api_key), "}"));
}

static int mongo_put_inspector(bookd_store *base, const char *company, const char *inspector)
{
    mongo_store *s = (mongo_store *)base;
    int rc = upsert(s, "inspectors",
                    BCON_NEW("_companyId", BCON_UTF8(company), "inspectorId", BCON_UTF8(inspector)),
                    BCON_NEW("$set", "{", "_companyId", BCON_UTF8(company), "}"));
    /* Create the lock document now, so transactions never race to insert it. */
    if (rc == 0)
        rc = upsert(s, "inspector_locks", bookd_mongo_lock_selector(company, inspector),
                    BCON_NEW("$setOnInsert", "{", "n", BCON_INT64(0), "}"));
    return rc;
}

static int mongo_put_service(bookd_store *base, const char *company, const char *service, int minutes)
{
    return upsert((mongo_store *)base, "services",
                  BCON_NEW("_companyId", BCON_UTF8(company), "serviceId", BCON_UTF8(service)),
                  BCON_NEW("$set", "{", "durationMinutes", BCON_INT32(minutes), "}"));
}

typedef void (*doc_cb)(void *arg, const bson_t *doc);

/* Runs a find and calls |cb| per document; returns 0 or a store code. */
static int find_each(mongo_store *s, const char *collection, const bson_t *filter, bson_t *opts, doc_cb cb,
                     void *arg)
{
    mongoc_client_t *c = client_get(s);
    mongoc_collection_t *coll = mongoc_client_get_collection(c, s->m->db, collection);
    bson_t empty = BSON_INITIALIZER;
    mongoc_cursor_t *cur =
        mongoc_collection_find_with_opts(coll, filter, op_opts(s, opts ? opts : &empty), NULL);
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc))
        cb(arg, doc);
    bson_error_t error;
    const bson_t *reply = NULL;
    int rc = 0;
    if (mongoc_cursor_error_document(cur, &error, &reply))
        rc = failed(s, &error, reply);
    mongoc_cursor_destroy(cur);
    bson_destroy(&empty);
    mongoc_collection_destroy(coll);
    client_put(s, c);
    return rc;
}

static const char *doc_utf8(const bson_t *doc, const char *dotted)
{
    bson_iter_t it, child;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, dotted, &child) &&
        BSON_ITER_HOLDS_UTF8(&child))
        return bson_iter_utf8(&child, NULL);
    return "";
}

static int64_t doc_us(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_DATE_TIME(&it))
        return bson_iter_date_time(&it) * 1000;
    return 0;
}

static void doc_id(const bson_t *doc, const char *key, char *out, size_t cap)
{
    bson_iter_t it;
    out[0] = '\0';
    if (!bson_iter_init_find(&it, doc, key))
        return;
    if (BSON_ITER_HOLDS_OID(&it)) {
        char hex[25];
        bson_oid_to_string(bson_iter_oid(&it), hex);
        snprintf(out, cap, "%s", hex);
    } else if (BSON_ITER_HOLDS_UTF8(&it)) {
        snprintf(out, cap, "%s", bson_iter_utf8(&it, NULL));
    }
}

static void read_inspection(const bson_t *doc, bookd_inspection *in)
{
    memset(in, 0, sizeof(*in));
    doc_id(doc, "_id", in->id, sizeof(in->id));
    snprintf(in->inspector_id, sizeof(in->inspector_id), "%s", doc_utf8(doc, "_inspectorId"));
    snprintf(in->service_id, sizeof(in->service_id), "%s", doc_utf8(doc, "serviceId"));
    in->start_us = doc_us(doc, "datetime");
    in->end_us = doc_us(doc, "endtime");
    in->status =
        strcmp(doc_utf8(doc, "status"), "cancelled") == 0 ? BOOKD_STATUS_CANCELLED : BOOKD_STATUS_SCHEDULED;
    in->scheduled_us = doc_us(doc, "scheduledTs");
    snprintf(in->address, sizeof(in->address), "%s", doc_utf8(doc, "address"));
    snprintf(in->customer_name, sizeof(in->customer_name), "%s", doc_utf8(doc, "customer.name"));
    snprintf(in->customer_email, sizeof(in->customer_email), "%s", doc_utf8(doc, "customer.email"));
    doc_id(doc, "holdId", in->hold_id, sizeof(in->hold_id));
}

static void read_hold(const bson_t *doc, bookd_hold *h)
{
    memset(h, 0, sizeof(*h));
    doc_id(doc, "_id", h->id, sizeof(h->id));
    snprintf(h->inspector_id, sizeof(h->inspector_id), "%s", doc_utf8(doc, "_inspectorId"));
    h->start_us = doc_us(doc, "datetime");
    h->end_us = doc_us(doc, "endtime");
    h->created_us = doc_us(doc, "createdAt");
    h->expires_us = doc_us(doc, "expiresAt");
    h->status = strcmp(doc_utf8(doc, "status"), "active") == 0 ? BOOKD_HOLD_ACTIVE : BOOKD_HOLD_CONVERTED;
}

typedef struct {
    int found;
    void *out;
    int is_hold;
} first_doc;

static void take_first(void *arg, const bson_t *doc)
{
    first_doc *f = arg;
    if (f->found++)
        return;
    if (f->is_hold)
        read_hold(doc, f->out);
    else
        read_inspection(doc, f->out);
}

/* find_one: 1 found, 0 none, or a store code. |filter| is consumed. */
static int find_one(mongo_store *s, const char *collection, bson_t *filter, void *out, int is_hold)
{
    bson_t *opts = BCON_NEW("limit", BCON_INT64(1), "sort", "{", "datetime", BCON_INT32(1), "}");
    first_doc f = {.out = out, .is_hold = is_hold};
    int rc = find_each(s, collection, filter, opts, take_first, &f);
    bson_destroy(opts);
    bson_destroy(filter);
    return rc < 0 ? rc : f.found > 0;
}

static bson_t *id_filter(const char *company, const char *id)
{
    bson_t *f = bson_new();
    bookd_mongo_append_id(f, "_id", id);
    BSON_APPEND_UTF8(f, "_companyId", company);
    return f;
}

static void read_company(void *arg, const bson_t *doc)
{
    bookd_catalog *cat = arg;
    cat->companies = xreallocarray(cat->companies, cat->company_count + 1, sizeof(*cat->companies));
    bookd_company *c = &cat->companies[cat->company_count++];
    memset(c, 0, sizeof(*c));
    snprintf(c->id, sizeof(c->id), "%s", doc_utf8(doc, "_id"));
    snprintf(c->api_key, sizeof(c->api_key), "%s", doc_utf8(doc, "apiKey"));
}

static void read_inspector(void *arg, const bson_t *doc)
{
    bookd_company *c = arg;
    c->inspectors = xreallocarray(c->inspectors, c->inspector_count + 1, sizeof(*c->inspectors));
    snprintf(c->inspectors[c->inspector_count++], BOOKD_NAME_MAX + 1, "%s", doc_utf8(doc, "inspectorId"));
}

static void read_service(void *arg, const bson_t *doc)
{
    bookd_company *c = arg;
    c->services = xreallocarray(c->services, c->service_count + 1, sizeof(*c->services));
    bookd_service *svc = &c->services[c->service_count++];
    snprintf(svc->id, sizeof(svc->id), "%s", doc_utf8(doc, "serviceId"));
    bson_iter_t it;
    svc->duration_minutes =
        bson_iter_init_find(&it, doc, "durationMinutes") ? (int)bson_iter_as_int64(&it) : 0;
}

static int mongo_load_catalog(bookd_store *base, bookd_catalog *out)
{
    mongo_store *s = (mongo_store *)base;
    memset(out, 0, sizeof(*out));
    bson_t empty = BSON_INITIALIZER;
    bson_t *by_id = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
    int rc = find_each(s, "companies", &empty, by_id, read_company, out);
    for (size_t i = 0; rc == 0 && i < out->company_count; i++) {
        bookd_company *c = &out->companies[i];
        bson_t *f = BCON_NEW("_companyId", BCON_UTF8(c->id));
        bson_t *by_inspector = BCON_NEW("sort", "{", "inspectorId", BCON_INT32(1), "}");
        bson_t *by_service = BCON_NEW("sort", "{", "serviceId", BCON_INT32(1), "}");
        rc = find_each(s, "inspectors", f, by_inspector, read_inspector, c);
        if (rc == 0)
            rc = find_each(s, "services", f, by_service, read_service, c);
        bson_destroy(f);
        bson_destroy(by_inspector);
        bson_destroy(by_service);
    }
    bson_destroy(by_id);
    bson_destroy(&empty);
    if (rc != 0) {
        bookd_catalog_free(out);
        return rc;
    }
    return 0;
}

static int run_command(mongo_store *s, bson_t *cmd, int ignore_code)
{
    mongoc_client_t *c = client_get(s);
    bson_t reply;
    bson_error_t error;
    int rc = 0;
    if (!mongoc_client_write_command_with_opts(c, s->m->db, cmd, NULL, &reply, &error) &&
        (ignore_code == 0 || (int)error.code != ignore_code))
        rc = failed(s, &error, &reply);
    bson_destroy(&reply);
    bson_destroy(cmd);
    client_put(s, c);
    return rc;
}

static int mongo_set_unique_index(bookd_store *base, int want)
{
    mongo_store *s = (mongo_store *)base;
    /* The supporting indexes first (idempotent: createIndexes of an existing index is a no-op). */
    int rc = run_command(s, bookd_mongo_create_indexes_command("inspections", 0), 0);
    if (rc == 0)
        rc = run_command(s, bookd_mongo_create_indexes_command("events", 0), 0);
    if (rc != 0)
        return rc;
    if (want)
        return run_command(s, bookd_mongo_create_indexes_command("inspections", 1), 0);
    /* 27 IndexNotFound, 26 NamespaceNotFound: nothing to drop. */
    rc = run_command(
        s, BCON_NEW("dropIndexes", BCON_UTF8("inspections"), "index", BCON_UTF8(BOOKD_MONGO_UNIQUE_INDEX)),
        27);
    return rc != 0 && s->last_error.code == 26 ? 0 : rc;
}

typedef struct {
    mongo_store *s;
    const char *company, *inspector;
    int (*body)(void *arg);
    void *arg;
    int rc;
} txn_ctx;

static bool txn_callback(mongoc_client_session_t *session, void *arg, bson_t **reply, bson_error_t *error)
{
    txn_ctx *t = arg;
    mongo_store *s = t->s;
    s->session = session;
    t->rc = 0;
    if (t->inspector != NULL)
        t->rc = upsert(s, "inspector_locks", bookd_mongo_lock_selector(t->company, t->inspector),
                       bookd_mongo_lock_update());
    if (t->rc == 0)
        t->rc = t->body(t->arg);
    s->session = NULL;
    if (t->rc == 0)
        return true;
    if (t->rc == BOOKD_STORE_EBUSY) {
        /* Hand the server's reply back: its TransientTransactionError label is what makes the driver retry.
         */
        *reply = bson_copy(&s->last_reply);
        *error = s->last_error;
        return false;
    }
    bson_set_error(error, 0, 0, "transaction rolled back (%d)", t->rc);
    return false;
}

static int mongo_transaction(bookd_store *base, const char *company, const char *inspector,
                             int (*body)(void *arg), void *arg)
{
    mongo_store *s = (mongo_store *)base;
    mongoc_client_t *client = mongoc_client_pool_pop(s->m->pool);
    bson_error_t error;
    mongoc_client_session_t *session = mongoc_client_start_session(client, NULL, &error);
    int rc;
    if (session == NULL) {
        rc = failed(s, &error, NULL);
    } else {
        txn_ctx t = {.s = s, .company = company, .inspector = inspector, .body = body, .arg = arg};
        bson_t reply;
        if (mongoc_client_session_with_transaction(session, txn_callback, NULL, &t, &reply, &error))
            rc = 0;
        else if (t.rc != 0)
            rc = t.rc; /* the body's own outcome, or the transient error that outlived the driver's retries */
        else
            rc = failed(s, &error, &reply); /* the commit failed */
        bson_destroy(&reply);
        mongoc_client_session_destroy(session);
    }
    mongoc_client_pool_push(s->m->pool, client);
    return rc;
}

static int mongo_find_inspection_overlap(bookd_store *base, const char *company, const char *inspector,
                                         int64_t start_us, int64_t end_us, bookd_inspection *out)
{
    return find_one((mongo_store *)base, "inspections",
                    bookd_mongo_overlap_filter(company, inspector, start_us, end_us), out, 0);
}

static int mongo_find_inspection_at(bookd_store *base, const char *company, const char *inspector,
                                    int64_t start_us, bookd_inspection *out)
{
    return find_one((mongo_store *)base, "inspections",
                    BCON_NEW("_companyId", BCON_UTF8(company), "_inspectorId", BCON_UTF8(inspector), "status",
                             BCON_UTF8("scheduled"), "datetime", BCON_DATE_TIME(MS(start_us))),
                    out, 0);
}

static int mongo_find_hold_overlap(bookd_store *base, const char *company, const char *inspector,
                                   int64_t start_us, int64_t end_us, int64_t now_us,
                                   const char *except_hold_id, bookd_hold *out)
{
    return find_one(
        (mongo_store *)base, "events",
        bookd_mongo_hold_overlap_filter(company, inspector, start_us, end_us, now_us, except_hold_id), out,
        1);
}

static int insert_doc(mongo_store *s, const char *collection, bson_t *doc)
{
    mongoc_client_t *c = client_get(s);
    mongoc_collection_t *coll = mongoc_client_get_collection(c, s->m->db, collection);
    bson_t opts = BSON_INITIALIZER, reply;
    bson_error_t error;
    int rc = 0;
    if (!mongoc_collection_insert_one(coll, doc, op_opts(s, &opts), &reply, &error))
        rc = failed(s, &error, &reply);
    bson_destroy(&reply);
    bson_destroy(&opts);
    bson_destroy(doc);
    mongoc_collection_destroy(coll);
    client_put(s, c);
    return rc;
}

static int mongo_insert_inspection(bookd_store *base, const char *company, const bookd_inspection *in)
{
    return insert_doc((mongo_store *)base, "inspections", bookd_mongo_inspection_document(company, in));
}

static int mongo_get_inspection(bookd_store *base, const char *company, const char *id, bookd_inspection *out)
{
    int rc = find_one((mongo_store *)base, "inspections", id_filter(company, id), out, 0);
    return rc == 0 ? BOOKD_STORE_ENOTFOUND : rc < 0 ? rc : 0;
}

static int mongo_cancel_inspection(bookd_store *base, const char *company, const char *id)
{
    mongo_store *s = (mongo_store *)base;
    bson_t *sel = id_filter(company, id);
    BSON_APPEND_UTF8(sel, "status", "scheduled");
    int rc =
        update_one(s, "inspections", sel, BCON_NEW("$set", "{", "status", BCON_UTF8("cancelled"), "}"), 0);
    if (rc < 0)
        return rc;
    if (rc == 1)
        return 0;
    bookd_inspection existing;
    rc = mongo_get_inspection(base, company, id, &existing);
    return rc == 0 ? BOOKD_STORE_ESTATE : rc;
}

static int mongo_insert_hold(bookd_store *base, const char *company, const bookd_hold *hold)
{
    return insert_doc((mongo_store *)base, "events", bookd_mongo_hold_document(company, hold));
}

static int mongo_get_hold(bookd_store *base, const char *company, const char *id, bookd_hold *out)
{
    int rc = find_one((mongo_store *)base, "events", id_filter(company, id), out, 1);
    return rc == 0 ? BOOKD_STORE_ENOTFOUND : rc < 0 ? rc : 0;
}

static int mongo_convert_hold(bookd_store *base, const char *company, const char *id)
{
    bson_t *filter = id_filter(company, id);
    BSON_APPEND_UTF8(filter, "status", "active");
    int rc = update_one((mongo_store *)base, "events", filter,
                        BCON_NEW("$set", "{", "status", BCON_UTF8("converted"), "}"), 0);
    if (rc == 1)
        return 0;
    bookd_hold h;
    return rc < 0                                       ? rc
           : mongo_get_hold(base, company, id, &h) == 0 ? BOOKD_STORE_ESTATE
                                                        : BOOKD_STORE_ENOTFOUND;
}

typedef struct {
    bookd_inspection_cb cb;
    void *arg;
} list_ctx;

static void list_one(void *arg, const bson_t *doc)
{
    list_ctx *l = arg;
    bookd_inspection in;
    read_inspection(doc, &in);
    l->cb(l->arg, &in);
}

static int mongo_list_inspections(bookd_store *base, const char *company, int64_t from_us, int64_t to_us,
                                  const char *inspector, const char *status, bookd_inspection_cb cb,
                                  void *arg)
{
    bson_t *f = bookd_mongo_list_filter(company, from_us, to_us, inspector, status);
    bson_t *opts = BCON_NEW("sort", "{", "datetime", BCON_INT32(1), "_inspectorId", BCON_INT32(1), "_id",
                            BCON_INT32(1), "}");
    list_ctx l = {.cb = cb, .arg = arg};
    int rc = find_each((mongo_store *)base, "inspections", f, opts, list_one, &l);
    bson_destroy(f);
    bson_destroy(opts);
    return rc;
}

typedef struct {
    bookd_busy_cb cb;
    void *arg;
} busy_ctx;

static void busy_one(void *arg, const bson_t *doc)
{
    busy_ctx *b = arg;
    b->cb(b->arg, doc_utf8(doc, "_inspectorId"), doc_us(doc, "datetime"), doc_us(doc, "endtime"),
          bson_has_field(doc, "expiresAt") ? doc_us(doc, "expiresAt") : INT64_MAX);
}

static int mongo_list_busy(bookd_store *base, const char *company, int64_t from_us, int64_t to_us,
                           int64_t now_us, bookd_busy_cb cb, void *arg)
{
    mongo_store *s = (mongo_store *)base;
    busy_ctx b = {.cb = cb, .arg = arg};
    bson_t *f = bookd_mongo_list_filter(company, from_us, to_us, NULL, "scheduled");
    int rc = find_each(s, "inspections", f, NULL, busy_one, &b);
    bson_destroy(f);
    if (rc != 0)
        return rc;
    f = bookd_mongo_list_filter(company, from_us, to_us, NULL, "active");
    bson_t expires;
    BSON_APPEND_DOCUMENT_BEGIN(f, "expiresAt", &expires);
    BSON_APPEND_DATE_TIME(&expires, "$gt", MS(now_us));
    bson_append_document_end(f, &expires);
    rc = find_each(s, "events", f, NULL, busy_one, &b);
    bson_destroy(f);
    return rc;
}

typedef struct {
    int64_t version;
} version_ctx;

static void read_version(void *arg, const bson_t *doc)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "version"))
        ((version_ctx *)arg)->version = bson_iter_as_int64(&it);
}

static int mongo_version_get(bookd_store *base, const char *company, int64_t *out)
{
    bson_t *f = BCON_NEW("_id", BCON_UTF8(company));
    version_ctx v = {0};
    int rc = find_each((mongo_store *)base, "company_versions", f, NULL, read_version, &v);
    bson_destroy(f);
    *out = v.version;
    return rc;
}

static int mongo_version_bump(bookd_store *base, const char *company)
{
    return upsert((mongo_store *)base, "company_versions", BCON_NEW("_id", BCON_UTF8(company)),
                  BCON_NEW("$inc", "{", "version", BCON_INT64(1), "}"));
}

static const bookd_store_ops mongo_ops = {
    .name = "mongo",
    .del = mongo_del,
    .errmsg = mongo_errmsg,
    .put_company = mongo_put_company,
    .put_inspector = mongo_put_inspector,
    .put_service = mongo_put_service,
    .load_catalog = mongo_load_catalog,
    .set_unique_index = mongo_set_unique_index,
    .transaction = mongo_transaction,
    .find_inspection_overlap = mongo_find_inspection_overlap,
    .find_inspection_at = mongo_find_inspection_at,
    .find_hold_overlap = mongo_find_hold_overlap,
    .insert_inspection = mongo_insert_inspection,
    .get_inspection = mongo_get_inspection,
    .cancel_inspection = mongo_cancel_inspection,
    .insert_hold = mongo_insert_hold,
    .get_hold = mongo_get_hold,
    .convert_hold = mongo_convert_hold,
    .list_inspections = mongo_list_inspections,
    .list_busy = mongo_list_busy,
    .version_get = mongo_version_get,
    .version_bump = mongo_version_bump,
};

bookd_store *bookd_store_mongo_open(bookd_mongo *m)
{
    mongo_store *s = xcalloc(1, sizeof(*s));
    s->base.ops = &mongo_ops;
    s->m = m;
    bson_init(&s->last_reply);
    return &s->base;
}
