/*
 * The MongoDB store. Without a server (none can be installed here) this
 * checks every filter, document, update and index specification bookd sends,
 * as canonical extended JSON, and the classification of driver errors. With
 * MONGODB_URI set (a replica set, see README) it also runs the store against
 * the server; otherwise those tests say "skipped: MONGODB_URI not set".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_mongo.h"
#include "store_mongo_bson.h"

#define MIN INT64_C(60000000)
#define T0 INT64_C(1796117160000000) /* 2026-12-01T09:26:00Z */

static void expect_json(bson_t *doc, const char *expected)
{
    char *got = bson_as_canonical_extended_json(doc, NULL);
    if (strcmp(got, expected) != 0)
        fail_msg("BSON differs.\n got: %s\nwant: %s", got, expected);
    bson_free(got);
    bson_destroy(doc);
}

static void test_overlap_filters(void **state)
{
    (void)state;
    /* Positive status (no $ne), half-open overlap, and the 12 h bound on the index scan. */
    expect_json(
        bookd_mongo_overlap_filter("acme", "martin", T0, T0 + 120 * MIN),
        "{ \"_companyId\" : \"acme\", \"_inspectorId\" : \"martin\", \"status\" : \"scheduled\", "
        "\"datetime\" : "
        "{ \"$lt\" : { \"$date\" : { \"$numberLong\" : \"1796124360000\" } }, \"$gt\" : { \"$date\" : { "
        "\"$numberLong\" : \"1796073960000\" } } }, \"endtime\" : { \"$gt\" : { \"$date\" : { "
        "\"$numberLong\" : "
        "\"1796117160000\" } } } }");
    expect_json(
        bookd_mongo_hold_overlap_filter("acme", "martin", T0, T0 + 120 * MIN, T0 - 86 * MIN,
                                        "6b09eb621396f6a076000000"),
        "{ \"_companyId\" : \"acme\", \"_inspectorId\" : \"martin\", \"type\" : \"Block\", \"status\" : "
        "\"active\", \"expiresAt\" : { \"$gt\" : { \"$date\" : { \"$numberLong\" : \"1796112000000\" } } }, "
        "\"datetime\" : { \"$lt\" : { \"$date\" : { \"$numberLong\" : \"1796124360000\" } }, \"$gt\" : { "
        "\"$date\" : { \"$numberLong\" : \"1796073960000\" } } }, \"endtime\" : { \"$gt\" : { \"$date\" : { "
        "\"$numberLong\" : \"1796117160000\" } } }, \"_id\" : { \"$ne\" : { \"$oid\" : "
        "\"6b09eb621396f6a076000000\" } } }");
    /* No hold of one's own: no _id condition at all. */
    bson_t *f = bookd_mongo_hold_overlap_filter("acme", "martin", T0, T0 + MIN, 0, "");
    bson_iter_t it;
    assert_false(bson_iter_init_find(&it, f, "_id"));
    bson_destroy(f);
    expect_json(bookd_mongo_list_filter("acme", T0 - 566 * MIN, T0 + 874 * MIN, "martin", "scheduled"),
                "{ \"_companyId\" : \"acme\", \"datetime\" : { \"$lt\" : { \"$date\" : { \"$numberLong\" : "
                "\"1796169600000\" } }, \"$gt\" : { \"$date\" : { \"$numberLong\" : \"1796040000000\" } } }, "
                "\"endtime\" : { \"$gt\" : { \"$date\" : { \"$numberLong\" : \"1796083200000\" } } }, "
                "\"_inspectorId\" "
                ": \"martin\", \"status\" : \"scheduled\" }");
}

static void test_documents_updates_and_indexes(void **state)
{
    (void)state;
    bookd_inspection in;
    memset(&in, 0, sizeof(in));
    strcpy(in.id, "6b09eb621396f6a076000000");
    strcpy(in.inspector_id, "martin");
    strcpy(in.service_id, "full-inspection");
    in.start_us = T0;
    in.end_us = T0 + 120 * MIN;
    in.scheduled_us = INT64_C(1796112000123456);
    strcpy(in.address, "4249 Melinda Ln");
    strcpy(in.customer_name, "Ann");
    strcpy(in.customer_email, "ann@example.com");
    /* The write-up's field names; the id is an ObjectId as the real collection's. */
    expect_json(
        bookd_mongo_inspection_document("acme", &in),
        "{ \"_id\" : { \"$oid\" : \"6b09eb621396f6a076000000\" }, \"_companyId\" : \"acme\", "
        "\"_inspectorId\" : "
        "\"martin\", \"serviceId\" : \"full-inspection\", \"datetime\" : { \"$date\" : { \"$numberLong\" : "
        "\"1796117160000\" } }, \"endtime\" : { \"$date\" : { \"$numberLong\" : \"1796124360000\" } }, "
        "\"status\" : \"scheduled\", \"jobCreationType\" : \"online\", \"scheduledTs\" : { \"$date\" : { "
        "\"$numberLong\" : \"1796112000123\" } }, \"address\" : \"4249 Melinda Ln\", \"customer\" : { "
        "\"name\" : "
        "\"Ann\", \"email\" : \"ann@example.com\" } }");
    bookd_hold h = {.id = "6b09eb621396f6a076000001",
                    .inspector_id = "ana",
                    .start_us = T0,
                    .end_us = T0 + 60 * MIN,
                    .created_us = T0 - 60 * MIN,
                    .expires_us = T0 - 50 * MIN,
                    .status = BOOKD_HOLD_ACTIVE};
    expect_json(bookd_mongo_hold_document("acme", &h),
                "{ \"_id\" : { \"$oid\" : \"6b09eb621396f6a076000001\" }, \"_companyId\" : \"acme\", "
                "\"_inspectorId\" : "
                "\"ana\", \"type\" : \"Block\", \"datetime\" : { \"$date\" : { \"$numberLong\" : "
                "\"1796117160000\" } }, "
                "\"endtime\" : { \"$date\" : { \"$numberLong\" : \"1796120760000\" } }, \"createdAt\" : { "
                "\"$date\" : { "
                "\"$numberLong\" : \"1796113560000\" } }, \"expiresAt\" : { \"$date\" : { \"$numberLong\" : "
                "\"1796114160000\" } }, \"status\" : \"active\" }");
    /* The write that makes concurrent transactions of one inspector conflict: a real change. */
    expect_json(bookd_mongo_lock_selector("acme", "martin"),
                "{ \"_id\" : { \"companyId\" : \"acme\", \"inspectorId\" : \"martin\" } }");
    expect_json(bookd_mongo_lock_update(), "{ \"$inc\" : { \"n\" : { \"$numberLong\" : \"1\" } } }");
    /* Fix C: unique over active bookings, the filter said positively ($eq, not $ne). */
    expect_json(bookd_mongo_create_indexes_command("inspections", 1),
                "{ \"createIndexes\" : \"inspections\", \"indexes\" : [ { \"key\" : { \"_companyId\" : { "
                "\"$numberInt\" "
                ": \"1\" }, \"_inspectorId\" : { \"$numberInt\" : \"1\" }, \"datetime\" : { \"$numberInt\" : "
                "\"1\" } }, "
                "\"name\" : \"inspections_active_start\", \"unique\" : true, \"partialFilterExpression\" : { "
                "\"status\" "
                ": { \"$eq\" : \"scheduled\" } } } ] }");
    bson_t *supporting = bookd_mongo_create_indexes_command("inspections", 0);
    char *text = bson_as_canonical_extended_json(supporting, NULL);
    assert_non_null(strstr(text, "\"inspections_by_inspector\""));
    assert_null(strstr(text, "unique"));
    bson_free(text);
    bson_destroy(supporting);
}

static void test_error_classification(void **state)
{
    (void)state;
    bson_error_t e;
    memset(&e, 0, sizeof(e));
    assert_int_equal(bookd_mongo_classify(&e, NULL), BOOKD_MONGO_OK);
    bson_set_error(&e, MONGOC_ERROR_SERVER, 112, "WriteConflict");
    assert_int_equal(bookd_mongo_classify(&e, NULL), BOOKD_MONGO_TRANSIENT);
    bson_set_error(&e, MONGOC_ERROR_SERVER, 24, "LockTimeout");
    bson_t *labelled = BCON_NEW("ok", BCON_INT32(0), "code", BCON_INT32(24), "errorLabels", "[",
                                BCON_UTF8("TransientTransactionError"), "]");
    assert_int_equal(bookd_mongo_classify(&e, labelled), BOOKD_MONGO_TRANSIENT);
    bson_destroy(labelled);
    labelled = BCON_NEW("errorLabels", "[", BCON_UTF8("UnknownTransactionCommitResult"), "]");
    assert_int_equal(bookd_mongo_classify(&e, labelled), BOOKD_MONGO_TRANSIENT);
    bson_destroy(labelled);
    assert_int_equal(bookd_mongo_classify(&e, NULL), BOOKD_MONGO_FAILURE);
    bson_set_error(&e, MONGOC_ERROR_SERVER, 11000, "E11000 duplicate key error");
    assert_int_equal(bookd_mongo_classify(&e, NULL), BOOKD_MONGO_DUPLICATE);
    bson_set_error(&e, MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET, "socket error");
    assert_int_equal(bookd_mongo_classify(&e, NULL), BOOKD_MONGO_FAILURE);
    assert_int_equal(bookd_mongo_store_code(BOOKD_MONGO_TRANSIENT), BOOKD_STORE_EBUSY);
    assert_int_equal(bookd_mongo_store_code(BOOKD_MONGO_DUPLICATE), BOOKD_STORE_EUNIQUE);
    assert_int_equal(bookd_mongo_store_code(BOOKD_MONGO_FAILURE), BOOKD_STORE_EIO);
    assert_int_equal(bookd_mongo_store_code(BOOKD_MONGO_OK), 0);
}

static void test_bad_uri(void **state)
{
    (void)state;
    bookd_mongo *m = NULL;
    char err[256];
    assert_int_equal(bookd_mongo_new("mongodb://host:notaport", "bookd", &m, err, sizeof(err)), -1);
    assert_null(m);
    assert_non_null(strstr(err, "invalid --mongo-uri"));
}

/* ---- against a real server (MONGODB_URI) ---------------------------------------------------------- */

static bookd_mongo *server_or_skip(void)
{
    const char *uri = getenv("MONGODB_URI");
    if (uri == NULL || *uri == '\0') {
        print_message("skipped: MONGODB_URI not set\n");
        skip();
    }
    bookd_mongo *m;
    char err[256], db[64];
    snprintf(db, sizeof(db), "bookd_test_%d", (int)getpid());
    if (bookd_mongo_new(uri, db, &m, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return m;
}

typedef struct {
    bookd_store *s;
    bookd_inspection in;
} insert_ctx;

static int insert_body(void *arg)
{
    insert_ctx *c = arg;
    bookd_inspection found;
    int rc = c->s->ops->find_inspection_overlap(c->s, "acme", c->in.inspector_id, c->in.start_us,
                                                c->in.end_us, &found);
    if (rc != 0)
        return rc < 0 ? rc : 1;
    return c->s->ops->insert_inspection(c->s, "acme", &c->in);
}

static void test_store_against_server(void **state)
{
    (void)state;
    bookd_mongo *m = server_or_skip();
    char err[256];
    int tx = bookd_mongo_supports_transactions(m, err, sizeof(err));
    assert_true(tx >= 0);
    bookd_store *s = bookd_store_mongo_open(m);
    assert_int_equal(s->ops->put_company(s, "acme", "acme-key"), 0);
    assert_int_equal(s->ops->put_inspector(s, "acme", "martin"), 0);
    assert_int_equal(s->ops->put_service(s, "acme", "full-inspection", 120), 0);
    bookd_catalog cat;
    assert_int_equal(s->ops->load_catalog(s, &cat), 0);
    assert_int_equal(cat.company_count, 1);
    assert_int_equal(cat.companies[0].inspector_count, 1);
    bookd_catalog_free(&cat);
    assert_int_equal(s->ops->set_unique_index(s, 1), 0);
    assert_int_equal(s->ops->set_unique_index(s, 1), 0);
    bookd_inspection a;
    memset(&a, 0, sizeof(a));
    strcpy(a.id, "6b09eb621396f6a0760000a1");
    strcpy(a.inspector_id, "martin");
    strcpy(a.service_id, "full-inspection");
    a.start_us = T0;
    a.end_us = T0 + 120 * MIN;
    strcpy(a.customer_email, "a@example.com");
    assert_int_equal(s->ops->insert_inspection(s, "acme", &a), 0);
    bookd_inspection b = a, found;
    strcpy(b.id, "6b09eb621396f6a0760000a2");
    assert_int_equal(s->ops->insert_inspection(s, "acme", &b), BOOKD_STORE_EUNIQUE);
    b.start_us += 3 * MIN;
    b.end_us += 3 * MIN;
    assert_int_equal(s->ops->find_inspection_overlap(s, "acme", "martin", b.start_us, b.end_us, &found), 1);
    assert_string_equal(found.id, a.id);
    assert_int_equal(s->ops->find_inspection_overlap(s, "acme", "martin", a.end_us, a.end_us + MIN, &found),
                     0);
    if (tx == 1) {
        insert_ctx c = {.s = s, .in = b};
        assert_int_equal(s->ops->transaction(s, "acme", "martin", insert_body, &c), 1);
    }
    assert_int_equal(s->ops->cancel_inspection(s, "acme", a.id), 0);
    assert_int_equal(s->ops->cancel_inspection(s, "acme", a.id), BOOKD_STORE_ESTATE);
    assert_int_equal(s->ops->insert_inspection(s, "acme", &b), 0);
    int64_t v;
    assert_int_equal(s->ops->version_bump(s, "acme"), 0);
    assert_int_equal(s->ops->version_get(s, "acme", &v), 0);
    assert_int_equal(v, 1);
    /* Drop the test database. */
    mongoc_client_t *client = mongoc_client_new(getenv("MONGODB_URI"));
    char db[64];
    snprintf(db, sizeof(db), "bookd_test_%d", (int)getpid());
    mongoc_database_t *d = mongoc_client_get_database(client, db);
    mongoc_database_drop(d, NULL);
    mongoc_database_destroy(d);
    mongoc_client_destroy(client);
    bookd_store_del(s);
    bookd_mongo_del(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_overlap_filters),      cmocka_unit_test(test_documents_updates_and_indexes),
        cmocka_unit_test(test_error_classification), cmocka_unit_test(test_bad_uri),
        cmocka_unit_test(test_store_against_server),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    mongoc_cleanup();
    return rc;
}
