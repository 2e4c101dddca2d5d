#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

#define MIN INT64_C(60000000)
#define T0 INT64_C(1796117160000000) /* 2026-12-01T09:26:00Z */

static int setup(void **state)
{
    bookd_store *s;
    char err[256];
    assert_int_equal(bookd_store_sqlite_open(":memory:", 100, &s, err, sizeof(err)), 0);
    assert_int_equal(s->ops->put_company(s, "acme", "acme-key"), 0);
    assert_int_equal(s->ops->put_company(s, "globex", "globex-key"), 0);
    assert_int_equal(s->ops->put_inspector(s, "acme", "martin"), 0);
    assert_int_equal(s->ops->put_inspector(s, "acme", "ana"), 0);
    assert_int_equal(s->ops->put_inspector(s, "globex", "omar"), 0);
    assert_int_equal(s->ops->put_service(s, "acme", "full-inspection", 120), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    bookd_store_del(*state);
    return 0;
}

static bookd_inspection make(const char *id, const char *inspector, int64_t start, int minutes)
{
    bookd_inspection in;
    memset(&in, 0, sizeof(in));
    snprintf(in.id, sizeof(in.id), "%s", id);
    snprintf(in.inspector_id, sizeof(in.inspector_id), "%s", inspector);
    snprintf(in.service_id, sizeof(in.service_id), "full-inspection");
    in.start_us = start;
    in.end_us = start + minutes * MIN;
    in.scheduled_us = 1;
    snprintf(in.address, sizeof(in.address), "4249 Melinda Ln");
    snprintf(in.customer_name, sizeof(in.customer_name), "O'Brien; DROP TABLE inspections; --");
    snprintf(in.customer_email, sizeof(in.customer_email), "a@example.com");
    return in;
}

static void test_catalog_round_trip_and_idempotent_seed(void **state)
{
    bookd_store *s = *state;
    /* Upserting again changes nothing. */
    assert_int_equal(s->ops->put_inspector(s, "acme", "martin"), 0);
    assert_int_equal(s->ops->put_service(s, "acme", "full-inspection", 120), 0);
    bookd_catalog cat;
    assert_int_equal(s->ops->load_catalog(s, &cat), 0);
    assert_int_equal(cat.company_count, 2);
    assert_string_equal(cat.companies[0].id, "acme");
    assert_string_equal(cat.companies[0].api_key, "acme-key");
    assert_int_equal(cat.companies[0].inspector_count, 2);
    assert_string_equal(cat.companies[0].inspectors[0], "ana");
    assert_string_equal(cat.companies[0].inspectors[1], "martin");
    assert_int_equal(cat.companies[0].service_count, 1);
    assert_int_equal(cat.companies[0].services[0].duration_minutes, 120);
    assert_int_equal(cat.companies[1].inspector_count, 1);
    assert_int_equal(cat.companies[1].service_count, 0);
    bookd_catalog_free(&cat);
}

static void test_overlap_queries_are_half_open_and_scoped(void **state)
{
    bookd_store *s = *state;
    bookd_inspection a = make("aaaaaaaaaaaaaaaaaaaaaaaa", "martin", T0, 120), found;
    assert_int_equal(s->ops->insert_inspection(s, "acme", &a), 0);
    /* 09:29-11:29 overlaps 09:26-11:26. */
    assert_int_equal(
        s->ops->find_inspection_overlap(s, "acme", "martin", T0 + 3 * MIN, T0 + 123 * MIN, &found), 1);
    assert_string_equal(found.id, a.id);
    assert_string_equal(found.customer_name, "O'Brien; DROP TABLE inspections; --");
    /* Touching on either side does not overlap. */
    assert_int_equal(
        s->ops->find_inspection_overlap(s, "acme", "martin", T0 + 120 * MIN, T0 + 180 * MIN, &found), 0);
    assert_int_equal(s->ops->find_inspection_overlap(s, "acme", "martin", T0 - 60 * MIN, T0, &found), 0);
    /* Another inspector, another company: nothing. */
    assert_int_equal(s->ops->find_inspection_overlap(s, "acme", "ana", T0, T0 + MIN, &found), 0);
    assert_int_equal(s->ops->find_inspection_overlap(s, "globex", "martin", T0, T0 + MIN, &found), 0);
    assert_int_equal(s->ops->get_inspection(s, "globex", a.id, &found), BOOKD_STORE_ENOTFOUND);
    assert_int_equal(s->ops->cancel_inspection(s, "globex", a.id), BOOKD_STORE_ENOTFOUND);
    assert_int_equal(s->ops->find_inspection_at(s, "acme", "martin", T0, &found), 1);
    assert_int_equal(s->ops->find_inspection_at(s, "acme", "martin", T0 + MIN, &found), 0);
}

static void test_cancel_frees_and_reports_state(void **state)
{
    bookd_store *s = *state;
    bookd_inspection a = make("bbbbbbbbbbbbbbbbbbbbbbbb", "martin", T0, 120), found;
    assert_int_equal(s->ops->insert_inspection(s, "acme", &a), 0);
    assert_int_equal(s->ops->cancel_inspection(s, "acme", a.id), 0);
    assert_int_equal(s->ops->cancel_inspection(s, "acme", a.id), BOOKD_STORE_ESTATE);
    assert_int_equal(s->ops->cancel_inspection(s, "acme", "cccccccccccccccccccccccc"), BOOKD_STORE_ENOTFOUND);
    assert_int_equal(s->ops->find_inspection_overlap(s, "acme", "martin", T0, T0 + MIN, &found), 0);
    assert_int_equal(s->ops->get_inspection(s, "acme", a.id, &found), 0);
    assert_int_equal(found.status, BOOKD_STATUS_CANCELLED);
}

static void test_unique_partial_index_ignores_cancelled(void **state)
{
    bookd_store *s = *state;
    assert_int_equal(s->ops->set_unique_index(s, 1), 0);
    assert_int_equal(s->ops->set_unique_index(s, 1), 0); /* idempotent */
    bookd_inspection a = make("dddddddddddddddddddddddd", "martin", T0, 120);
    bookd_inspection b = make("eeeeeeeeeeeeeeeeeeeeeeee", "martin", T0, 120);
    bookd_inspection c = make("ffffffffffffffffffffffff", "martin", T0 + 3 * MIN, 120);
    bookd_inspection g = make("000000000000000000000000", "martin", T0, 120);
    assert_int_equal(s->ops->insert_inspection(s, "acme", &a), 0);
    assert_int_equal(s->ops->insert_inspection(s, "acme", &b), BOOKD_STORE_EUNIQUE);
    /* The index sees identical starts only: 09:29 slips through, as in the incident. */
    assert_int_equal(s->ops->insert_inspection(s, "acme", &c), 0);
    /* Another company may use the same inspector name and start. */
    assert_int_equal(s->ops->insert_inspection(s, "globex", &g), 0);
    /* Cancelled rows are outside the partial index. */
    assert_int_equal(s->ops->cancel_inspection(s, "acme", a.id), 0);
    assert_int_equal(s->ops->insert_inspection(s, "acme", &b), 0);
    /* With duplicates present the index cannot be created again. */
    assert_int_equal(s->ops->set_unique_index(s, 0), 0);
    bookd_inspection dup = make("111111111111111111111111", "martin", T0, 120);
    assert_int_equal(s->ops->insert_inspection(s, "acme", &dup), 0);
    assert_int_equal(s->ops->set_unique_index(s, 1), BOOKD_STORE_EUNIQUE);
}

typedef struct {
    int count;
    char ids[8][BOOKD_ID_LEN + 1];
} listed;

static void on_listed(void *arg, const bookd_inspection *in)
{
    listed *l = arg;
    if (l->count < 8)
        snprintf(l->ids[l->count], sizeof(l->ids[0]), "%s", in->id);
    l->count++;
}

static void test_list_filters(void **state)
{
    bookd_store *s = *state;
    bookd_inspection a = make("aaaaaaaaaaaaaaaaaaaaaaa1", "martin", T0, 120);
    bookd_inspection b = make("aaaaaaaaaaaaaaaaaaaaaaa2", "ana", T0 + 60 * MIN, 60);
    bookd_inspection c = make("aaaaaaaaaaaaaaaaaaaaaaa3", "martin", T0 + 24 * 60 * MIN, 60);
    assert_int_equal(s->ops->insert_inspection(s, "acme", &a), 0);
    assert_int_equal(s->ops->insert_inspection(s, "acme", &b), 0);
    assert_int_equal(s->ops->insert_inspection(s, "acme", &c), 0);
    assert_int_equal(s->ops->cancel_inspection(s, "acme", b.id), 0);
    listed l = {0};
    assert_int_equal(s->ops->list_inspections(s, "acme", T0, T0 + 12 * 60 * MIN, NULL, NULL, on_listed, &l),
                     0);
    assert_int_equal(l.count, 2);
    assert_string_equal(l.ids[0], a.id);
    assert_string_equal(l.ids[1], b.id);
    memset(&l, 0, sizeof(l));
    assert_int_equal(s->ops->list_inspections(s, "acme", 0, INT64_MAX, "martin", "scheduled", on_listed, &l),
                     0);
    assert_int_equal(l.count, 2);
    memset(&l, 0, sizeof(l));
    assert_int_equal(s->ops->list_inspections(s, "acme", 0, INT64_MAX, NULL, "cancelled", on_listed, &l), 0);
    assert_int_equal(l.count, 1);
    memset(&l, 0, sizeof(l));
    assert_int_equal(s->ops->list_inspections(s, "globex", 0, INT64_MAX, NULL, NULL, on_listed, &l), 0);
    assert_int_equal(l.count, 0);
}

static int busy_count;
static void on_busy(void *arg, const char *inspector, int64_t start, int64_t end, int64_t expires)
{
    (void)arg;
    assert_true(expires > 0);
    (void)inspector;
    assert_true(end > start);
    busy_count++;
}

static void test_holds_expire_and_convert(void **state)
{
    bookd_store *s = *state;
    bookd_hold h = {.id = "abcabcabcabcabcabcabcabc",
                    .inspector_id = "martin",
                    .start_us = T0,
                    .end_us = T0 + 120 * MIN,
                    .created_us = 0,
                    .expires_us = 10 * MIN};
    bookd_hold found;
    assert_int_equal(s->ops->insert_hold(s, "acme", &h), 0);
    assert_int_equal(s->ops->find_hold_overlap(s, "acme", "martin", T0 + MIN, T0 + 2 * MIN, 0, "", &found),
                     1);
    assert_string_equal(found.id, h.id);
    /* One's own hold does not block one's booking. */
    assert_int_equal(s->ops->find_hold_overlap(s, "acme", "martin", T0, T0 + MIN, 0, h.id, &found), 0);
    /* Expired at 10 minutes. */
    assert_int_equal(s->ops->find_hold_overlap(s, "acme", "martin", T0, T0 + MIN, 10 * MIN, "", &found), 0);
    busy_count = 0;
    assert_int_equal(s->ops->list_busy(s, "acme", 0, INT64_MAX, 0, on_busy, NULL), 0);
    assert_int_equal(busy_count, 1);
    busy_count = 0;
    assert_int_equal(s->ops->list_busy(s, "acme", 0, INT64_MAX, 10 * MIN, on_busy, NULL), 0);
    assert_int_equal(busy_count, 0);
    assert_int_equal(s->ops->convert_hold(s, "acme", h.id), 0);
    assert_int_equal(s->ops->find_hold_overlap(s, "acme", "martin", T0, T0 + MIN, 0, "", &found), 0);
    assert_int_equal(s->ops->get_hold(s, "acme", h.id, &found), 0);
    assert_int_equal(found.status, BOOKD_HOLD_CONVERTED);
    assert_int_equal(s->ops->get_hold(s, "globex", h.id, &found), BOOKD_STORE_ENOTFOUND);
    assert_int_equal(s->ops->convert_hold(s, "globex", h.id), BOOKD_STORE_ENOTFOUND);
    /* A hold converts once. */
    assert_int_equal(s->ops->convert_hold(s, "acme", h.id), BOOKD_STORE_ESTATE);
}

typedef struct {
    bookd_store *store;
    bookd_inspection a;
    int outcome, calls;
} tx_ctx;

/* Inserts and bumps, then asks for |outcome| (0 commit, >0 roll back, <0 error). */
static int insert_then(void *arg)
{
    tx_ctx *c = arg;
    c->calls++;
    assert_int_equal(c->store->ops->insert_inspection(c->store, "acme", &c->a), 0);
    assert_int_equal(c->store->ops->version_bump(c->store, "acme"), 0);
    return c->outcome;
}

static void test_version_stamp_and_transactions(void **state)
{
    bookd_store *s = *state;
    int64_t v = -1;
    assert_int_equal(s->ops->version_get(s, "acme", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(s->ops->version_bump(s, "acme"), 0);
    assert_int_equal(s->ops->version_bump(s, "acme"), 0);
    assert_int_equal(s->ops->version_get(s, "acme", &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(s->ops->version_get(s, "globex", &v), 0);
    assert_int_equal(v, 0);
    /* A rolled-back transaction leaves nothing behind; a committed one everything. */
    tx_ctx ctx = {.store = s, .outcome = 1};
    ctx.a = make("999999999999999999999999", "martin", T0, 120);
    bookd_inspection found;
    assert_int_equal(s->ops->transaction(s, "acme", "martin", insert_then, &ctx), 1);
    assert_int_equal(ctx.calls, 1);
    assert_int_equal(s->ops->get_inspection(s, "acme", ctx.a.id, &found), BOOKD_STORE_ENOTFOUND);
    assert_int_equal(s->ops->version_get(s, "acme", &v), 0);
    assert_int_equal(v, 2);
    ctx.outcome = 0;
    assert_int_equal(s->ops->transaction(s, "acme", "martin", insert_then, &ctx), 0);
    assert_int_equal(s->ops->get_inspection(s, "acme", ctx.a.id, &found), 0);
    assert_int_equal(s->ops->version_get(s, "acme", &v), 0);
    assert_int_equal(v, 3);
    /* A store error inside the body rolls back and is returned as it is. */
    ctx.outcome = BOOKD_STORE_EIO;
    ctx.a.id[0] = '8';
    assert_int_equal(s->ops->transaction(s, "acme", "martin", insert_then, &ctx), BOOKD_STORE_EIO);
    assert_int_equal(s->ops->get_inspection(s, "acme", ctx.a.id, &found), BOOKD_STORE_ENOTFOUND);
}

static void test_open_failure_is_reported(void **state)
{
    (void)state;
    bookd_store *s = NULL;
    char err[256] = "";
    assert_int_not_equal(bookd_store_sqlite_open("/nonexistent-dir/x/y.db", 100, &s, err, sizeof(err)), 0);
    assert_null(s);
    assert_non_null(strstr(err, "/nonexistent-dir/x/y.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_catalog_round_trip_and_idempotent_seed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_overlap_queries_are_half_open_and_scoped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_frees_and_reports_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unique_partial_index_ignores_cancelled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_holds_expire_and_convert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_version_stamp_and_transactions, setup, teardown),
        cmocka_unit_test(test_open_failure_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
