#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "booking.h"

#include <sqlite3.h>

#define MIN INT64_C(60000000)
#define T0 INT64_C(1796117160000000) /* 2026-12-01T09:26:00Z */

typedef struct {
    bookd_store *store;
    bookd_clock *clock;
    bookd_booking booking;
} fixture;

static fixture *fixture_new(bookd_fix fix, int64_t race_window_us)
{
    fixture *f = calloc(1, sizeof(*f));
    char err[256];
    assert_int_equal(bookd_store_sqlite_open(":memory:", 100, &f->store, err, sizeof(err)), 0);
    assert_int_equal(f->store->ops->set_unique_index(f->store, bookd_fix_has_index(fix)), 0);
    f->clock = bookd_clock_new(BOOKD_CLOCK_VIRTUAL, T0 - 60 * MIN);
    f->booking = (bookd_booking){.store = f->store,
                                 .clock = f->clock,
                                 .fix = fix,
                                 .race_window_us = race_window_us,
                                 .hold_ttl_us = 10 * MIN};
    return f;
}

static void fixture_del(fixture *f)
{
    bookd_store_del(f->store);
    bookd_clock_del(f->clock);
    free(f);
}

static bookd_pending_write booking_at(const char *inspector, int64_t start, const char *hold_id)
{
    bookd_pending_write p;
    memset(&p, 0, sizeof(p));
    snprintf(p.company, sizeof(p.company), "acme");
    snprintf(p.inspection.inspector_id, sizeof(p.inspection.inspector_id), "%s", inspector);
    snprintf(p.inspection.service_id, sizeof(p.inspection.service_id), "full-inspection");
    snprintf(p.inspection.address, sizeof(p.inspection.address), "9665 Pine Thicket");
    snprintf(p.inspection.customer_name, sizeof(p.inspection.customer_name), "B");
    snprintf(p.inspection.customer_email, sizeof(p.inspection.customer_email), "b@example.com");
    snprintf(p.inspection.hold_id, sizeof(p.inspection.hold_id), "%s", hold_id ? hold_id : "");
    p.inspection.start_us = start;
    p.inspection.end_us = start + 120 * MIN;
    return p;
}

static bookd_write_result book(fixture *f, const char *inspector, int64_t start, bookd_conflict *c)
{
    bookd_pending_write p = booking_at(inspector, start, NULL);
    bookd_conflict scratch;
    return bookd_book(&f->booking, &p, c ? c : &scratch);
}

static bookd_write_result hold(fixture *f, const char *inspector, int64_t start, int64_t end, char *id_out)
{
    bookd_pending_write p;
    bookd_conflict c;
    memset(&p, 0, sizeof(p));
    snprintf(p.company, sizeof(p.company), "acme");
    snprintf(p.hold.inspector_id, sizeof(p.hold.inspector_id), "%s", inspector);
    p.hold.start_us = start;
    p.hold.end_us = end;
    bookd_write_result r = bookd_hold_place(&f->booking, &p, &c);
    if (id_out)
        memcpy(id_out, p.hold.id, BOOKD_ID_LEN + 1);
    return r;
}

/* The table the rest of the project is built on: what each fix does with each incident shape. */
static void test_identical_and_partial_overlap_per_mode(void **state)
{
    (void)state;
    struct {
        bookd_fix fix;
        bookd_write_result identical, partial;
    } expect[] = {
        {BOOKD_FIX_NONE, BOOKD_WRITE_DONE, BOOKD_WRITE_DONE},
        {BOOKD_FIX_C, BOOKD_WRITE_CONFLICT_UNIQUE, BOOKD_WRITE_DONE},
        {BOOKD_FIX_A_NOTX, BOOKD_WRITE_CONFLICT_OVERLAP, BOOKD_WRITE_CONFLICT_OVERLAP},
        {BOOKD_FIX_A, BOOKD_WRITE_CONFLICT_OVERLAP, BOOKD_WRITE_CONFLICT_OVERLAP},
        {BOOKD_FIX_A_C, BOOKD_WRITE_CONFLICT_OVERLAP, BOOKD_WRITE_CONFLICT_OVERLAP},
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        fixture *f = fixture_new(expect[i].fix, 0);
        bookd_conflict c;
        memset(&c, 0, sizeof(c));
        assert_int_equal(book(f, "martin", T0, NULL), BOOKD_WRITE_DONE);
        assert_int_equal(book(f, "martin", T0, &c), expect[i].identical);
        if (expect[i].identical != BOOKD_WRITE_DONE) {
            assert_int_equal(c.inspection.start_us, T0);
            assert_string_equal(c.inspection.inspector_id, "martin");
        }
        assert_int_equal(book(f, "martin", T0 + 3 * MIN, NULL), expect[i].partial);
        /* Touching ranges never conflict; other inspectors never conflict. */
        assert_int_equal(book(f, "martin", T0 + 240 * MIN, NULL), BOOKD_WRITE_DONE);
        assert_int_equal(book(f, "martin", T0 + 360 * MIN, NULL), BOOKD_WRITE_DONE);
        assert_int_equal(book(f, "ana", T0, NULL), BOOKD_WRITE_DONE);
        fixture_del(f);
    }
}

static void test_cancelled_booking_frees_the_range_in_every_mode(void **state)
{
    (void)state;
    for (int fix = BOOKD_FIX_NONE; fix <= BOOKD_FIX_A_C; fix++) {
        fixture *f = fixture_new((bookd_fix)fix, 0);
        bookd_pending_write p = booking_at("martin", T0, NULL);
        bookd_conflict c;
        assert_int_equal(bookd_book(&f->booking, &p, &c), BOOKD_WRITE_DONE);
        assert_int_equal(strlen(p.inspection.id), BOOKD_ID_LEN);
        assert_int_equal(p.inspection.scheduled_us, T0 - 60 * MIN);
        assert_int_equal(bookd_cancel(&f->booking, "acme", p.inspection.id), BOOKD_WRITE_DONE);
        assert_int_equal(bookd_cancel(&f->booking, "acme", p.inspection.id), BOOKD_WRITE_ALREADY_CANCELLED);
        assert_int_equal(bookd_cancel(&f->booking, "globex", p.inspection.id), BOOKD_WRITE_NOT_FOUND);
        /* Rebooking the same range succeeds: the index must not count the cancelled row. */
        assert_int_equal(book(f, "martin", T0, NULL), BOOKD_WRITE_DONE);
        fixture_del(f);
    }
}

static void test_a_notx_race_window_defers_and_lets_both_through(void **state)
{
    (void)state;
    fixture *f = fixture_new(BOOKD_FIX_A_NOTX, 2000);
    bookd_pending_write first = booking_at("martin", T0, NULL),
                        second = booking_at("martin", T0 + 3 * MIN, NULL);
    bookd_conflict c;
    /* Both checks run before either insert, as two requests interleaved on one event loop. */
    assert_int_equal(bookd_book(&f->booking, &first, &c), BOOKD_WRITE_DEFERRED);
    assert_int_equal(bookd_book(&f->booking, &second, &c), BOOKD_WRITE_DEFERRED);
    assert_int_equal(bookd_write_resume(&f->booking, &first), BOOKD_WRITE_DONE);
    assert_int_equal(bookd_write_resume(&f->booking, &second), BOOKD_WRITE_DONE);
    /* The double booking exists; a later, non-interleaved check sees it. */
    assert_int_equal(book(f, "martin", T0 + 10 * MIN, &c), BOOKD_WRITE_CONFLICT_OVERLAP);
    fixture_del(f);
}

static void test_a_race_window_blocks_inside_the_transaction(void **state)
{
    (void)state;
    fixture *f = fixture_new(BOOKD_FIX_A, 1000);
    assert_int_equal(book(f, "martin", T0, NULL), BOOKD_WRITE_DONE);
    assert_int_equal(book(f, "martin", T0 + 3 * MIN, NULL), BOOKD_WRITE_CONFLICT_OVERLAP);
    fixture_del(f);
}

static void test_a_serialises_against_another_connection(void **state)
{
    (void)state;
    char path[] = "/tmp/bookd-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    bookd_store *s1, *s2;
    char err[256];
    assert_int_equal(bookd_store_sqlite_open(path, 50, &s1, err, sizeof(err)), 0);
    assert_int_equal(bookd_store_sqlite_open(path, 50, &s2, err, sizeof(err)), 0);
    bookd_clock *clock = bookd_clock_new(BOOKD_CLOCK_VIRTUAL, T0);
    bookd_booking b = {.store = s2, .clock = clock, .fix = BOOKD_FIX_A, .hold_ttl_us = 10 * MIN};
    /* Another process holds the write lock: A must not slip its check in; it reports busy instead. */
    sqlite3 *holder;
    assert_int_equal(sqlite3_open(path, &holder), SQLITE_OK);
    assert_int_equal(sqlite3_exec(holder, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    bookd_pending_write p = booking_at("martin", T0, NULL);
    bookd_conflict c;
    assert_int_equal(bookd_book(&b, &p, &c), BOOKD_WRITE_BUSY);
    assert_int_equal(sqlite3_exec(holder, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(holder);
    p = booking_at("martin", T0, NULL);
    assert_int_equal(bookd_book(&b, &p, &c), BOOKD_WRITE_DONE);
    /* The first connection sees the committed booking at once. */
    bookd_inspection found;
    assert_int_equal(s1->ops->find_inspection_overlap(s1, "acme", "martin", T0, T0 + MIN, &found), 1);
    bookd_store_del(s1);
    bookd_store_del(s2);
    bookd_clock_del(clock);
    char side[64];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

static void test_holds_block_others_until_expiry_in_a(void **state)
{
    (void)state;
    for (int fix = BOOKD_FIX_A; fix <= BOOKD_FIX_A_C; fix++) {
        fixture *f = fixture_new((bookd_fix)fix, 0);
        char hold_id[BOOKD_ID_LEN + 1], other[BOOKD_ID_LEN + 1];
        bookd_conflict c;
        assert_int_equal(hold(f, "martin", T0, T0 + 120 * MIN, hold_id), BOOKD_WRITE_DONE);
        /* A second hold over it, and someone else's booking, conflict with the hold. */
        assert_int_equal(hold(f, "martin", T0 + 3 * MIN, T0 + 123 * MIN, other), BOOKD_WRITE_CONFLICT_HOLD);
        assert_int_equal(book(f, "martin", T0 + 3 * MIN, &c), BOOKD_WRITE_CONFLICT_HOLD);
        assert_string_equal(c.hold.id, hold_id);
        /* The holder books with its hold id: converted, and it no longer blocks as a hold. */
        bookd_pending_write p = booking_at("martin", T0, hold_id);
        assert_int_equal(bookd_book(&f->booking, &p, &c), BOOKD_WRITE_DONE);
        bookd_hold h;
        assert_int_equal(f->store->ops->get_hold(f->store, "acme", hold_id, &h), 0);
        assert_int_equal(h.status, BOOKD_HOLD_CONVERTED);
        /* A hold that expires frees its range: 10 minutes later, another customer can book. */
        assert_int_equal(hold(f, "ana", T0, T0 + 120 * MIN, other), BOOKD_WRITE_DONE);
        assert_int_equal(book(f, "ana", T0, NULL), BOOKD_WRITE_CONFLICT_HOLD);
        bookd_clock_advance(f->clock, 10 * MIN);
        assert_int_equal(book(f, "ana", T0, NULL), BOOKD_WRITE_DONE);
        fixture_del(f);
    }
}

static void test_hold_id_validation(void **state)
{
    (void)state;
    fixture *f = fixture_new(BOOKD_FIX_A_C, 0);
    char hold_id[BOOKD_ID_LEN + 1];
    bookd_conflict c;
    assert_int_equal(hold(f, "martin", T0, T0 + 120 * MIN, hold_id), BOOKD_WRITE_DONE);
    bookd_pending_write p = booking_at("martin", T0, "0123456789abcdef01234567");
    assert_int_equal(bookd_book(&f->booking, &p, &c), BOOKD_WRITE_HOLD_NOT_FOUND);
    p = booking_at("ana", T0, hold_id);
    assert_int_equal(bookd_book(&f->booking, &p, &c), BOOKD_WRITE_HOLD_MISMATCH);
    p = booking_at("martin", T0 + 3 * MIN, hold_id); /* ends after the hold */
    assert_int_equal(bookd_book(&f->booking, &p, &c), BOOKD_WRITE_HOLD_MISMATCH);
    fixture_del(f);
}

static void test_none_and_c_accept_holds_blindly(void **state)
{
    (void)state;
    for (int fix = BOOKD_FIX_NONE; fix <= BOOKD_FIX_C; fix++) {
        fixture *f = fixture_new((bookd_fix)fix, 0);
        assert_int_equal(hold(f, "martin", T0, T0 + 120 * MIN, NULL), BOOKD_WRITE_DONE);
        assert_int_equal(hold(f, "martin", T0, T0 + 120 * MIN, NULL), BOOKD_WRITE_DONE);
        assert_int_equal(book(f, "martin", T0 + 3 * MIN, NULL), BOOKD_WRITE_DONE);
        fixture_del(f);
    }
}

static void test_fix_names_round_trip_and_ids_are_unique(void **state)
{
    (void)state;
    for (int fix = BOOKD_FIX_NONE; fix <= BOOKD_FIX_A_C; fix++) {
        bookd_fix parsed;
        assert_int_equal(bookd_fix_parse(bookd_fix_name((bookd_fix)fix), &parsed), 0);
        assert_int_equal(parsed, fix);
    }
    bookd_fix parsed;
    assert_int_equal(bookd_fix_parse("a+c", &parsed), -1);
    char prev[BOOKD_ID_LEN + 1], id[BOOKD_ID_LEN + 1];
    bookd_id_generate(prev);
    for (int i = 0; i < 1000; i++) {
        bookd_id_generate(id);
        assert_int_equal(strlen(id), BOOKD_ID_LEN);
        assert_string_not_equal(id, prev);
        memcpy(prev, id, sizeof(id));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identical_and_partial_overlap_per_mode),
        cmocka_unit_test(test_cancelled_booking_frees_the_range_in_every_mode),
        cmocka_unit_test(test_a_notx_race_window_defers_and_lets_both_through),
        cmocka_unit_test(test_a_race_window_blocks_inside_the_transaction),
        cmocka_unit_test(test_a_serialises_against_another_connection),
        cmocka_unit_test(test_holds_block_others_until_expiry_in_a),
        cmocka_unit_test(test_hold_id_validation),
        cmocka_unit_test(test_none_and_c_accept_holds_blindly),
        cmocka_unit_test(test_fix_names_round_trip_and_ids_are_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
