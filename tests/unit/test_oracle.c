#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "oracle.h"

#define MIN INT64_C(60000000)
#define T0 INT64_C(1796117160000000) /* 2026-12-01T09:26:00Z */

static br_op_record op(int index, br_op_kind kind, br_outcome outcome, long status, const char *inspector,
                       int64_t start, int64_t minutes, const char *id, int64_t invoke, int64_t complete)
{
    br_op_record o;
    memset(&o, 0, sizeof(o));
    o.index = index;
    o.actor = index;
    snprintf(o.actor_name, sizeof(o.actor_name), "c%d", index);
    o.op = kind;
    o.outcome = outcome;
    o.status = status;
    o.expect = -1;
    if (inspector)
        snprintf(o.inspector, sizeof(o.inspector), "%s", inspector);
    o.start_us = start;
    o.end_us = start + minutes * MIN;
    if (id)
        snprintf(o.id, sizeof(o.id), "%s", id);
    o.invoke_us = o.invoke_scenario_us = invoke;
    o.complete_us = o.complete_scenario_us = complete;
    return o;
}

static br_truth_booking truth(const char *id, const char *inspector, int64_t start, int64_t minutes,
                              int active, int ours)
{
    br_truth_booking t;
    memset(&t, 0, sizeof(t));
    snprintf(t.id, sizeof(t.id), "%s", id);
    snprintf(t.inspector, sizeof(t.inspector), "%s", inspector);
    t.start_us = start;
    t.end_us = start + minutes * MIN;
    t.active = active;
    t.ours = ours;
    return t;
}

static void test_incident_double_booking_is_written_up(void **state)
{
    (void)state;
    br_op_record ops[] = {
        op(0, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0, 120, "a", 0, 1000),
        op(1, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0 + 3 * MIN, 120, "b", 180000000, 180004000),
    };
    br_violations v = {0};
    assert_int_equal(br_oracle_check(ops, 2, NULL, 0, 0, &v), 1);
    assert_int_equal(v.items[0].kind, BR_VIOLATION_DOUBLE_BOOKING);
    assert_string_equal(v.items[0].text,
                        "DOUBLE BOOKING inspector martin: 09:26-11:26 (actor 0 c0, 201 at +0.001s) "
                        "overlaps 09:29-11:29 (actor 1 c1, 201 at +180.004s)");
    assert_int_equal(v.items[0].op_a, 0);
    assert_int_equal(v.items[0].op_b, 1);
    br_violations_free(&v);
}

static void test_no_violation_cases(void **state)
{
    (void)state;
    br_op_record ops[] = {
        /* Touching ranges: [09:26, 11:26) and [11:26, 13:26). */
        op(0, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0, 120, "a", 0, 10),
        op(1, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0 + 120 * MIN, 120, "b", 20, 30),
        /* Other inspector, same range. */
        op(2, BR_OP_BOOK, BR_OUTCOME_OK, 201, "ana", T0, 120, "c", 20, 30),
        /* Refused and indeterminate bookings are not acknowledged. */
        op(3, BR_OP_BOOK, BR_OUTCOME_FAIL, 409, "martin", T0, 120, NULL, 20, 30),
        op(4, BR_OP_BOOK, BR_OUTCOME_INFO, 503, "martin", T0 + MIN, 120, NULL, 20, 30),
    };
    br_violations v = {0};
    assert_int_equal(br_oracle_check(ops, 5, NULL, 0, 0, &v), 0);
    br_violations_free(&v);
}

static void test_cancelled_bookings(void **state)
{
    (void)state;
    /* Book, cancel (acknowledged), rebook the same range: fine. */
    br_op_record ops[] = {
        op(0, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0, 120, "a", 0, 10),
        op(1, BR_OP_CANCEL, BR_OUTCOME_OK, 200, "martin", T0, 120, "a", 20, 30),
        op(2, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0, 120, "b", 40, 50),
    };
    br_truth_booking t[] = {truth("a", "martin", T0, 120, 0, 1), truth("b", "martin", T0, 120, 1, 1)};
    br_violations v = {0};
    assert_int_equal(br_oracle_check(ops, 3, t, 2, 1, &v), 0);
    br_violations_free(&v);
    /* A cancel that was refused does not excuse the overlap. */
    ops[1].outcome = BR_OUTCOME_FAIL;
    t[0].active = 1;
    assert_true(br_oracle_check(ops, 3, t, 2, 1, &v) >= 1);
    assert_int_equal(v.items[0].kind, BR_VIOLATION_DOUBLE_BOOKING);
    br_violations_free(&v);
    /* An indeterminate cancel sent before the rebook completed may have applied: no proof either way. */
    ops[1].outcome = BR_OUTCOME_INFO;
    t[0].active = 0;
    assert_int_equal(br_oracle_check(ops, 3, t, 2, 1, &v), 0);
    br_violations_free(&v);
}

static void test_lost_and_unexpected(void **state)
{
    (void)state;
    br_op_record ops[] = {
        op(0, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0, 60, "a", 0, 10),
        op(1, BR_OP_BOOK, BR_OUTCOME_OK, 201, "ana", T0, 60, "b", 0, 10),
        op(2, BR_OP_BOOK, BR_OUTCOME_INFO, 0, "li", T0, 60, NULL, 0, 10),
    };
    /* "a" missing, "b" stored but cancelled by nobody of ours, an info booking of li stored (fine either
       way), an untagged stranger's booking (ignored), and one of ours that no request created. */
    br_truth_booking t[] = {
        truth("b", "ana", T0, 60, 0, 1),
        truth("x", "li", T0, 60, 1, 1),
        truth("s", "tom", T0, 60, 1, 0),
        truth("u", "omar", T0, 60, 1, 1),
    };
    br_violations v = {0};
    assert_int_equal(br_oracle_check(ops, 3, t, 4, 1, &v), 3);
    assert_int_equal(v.items[0].kind, BR_VIOLATION_LOST);
    assert_non_null(strstr(v.items[0].text, "missing from the target's bookings"));
    assert_int_equal(v.items[1].kind, BR_VIOLATION_LOST);
    assert_non_null(strstr(v.items[1].text, "stored but no longer active"));
    assert_int_equal(v.items[2].kind, BR_VIOLATION_UNEXPECTED);
    assert_non_null(strstr(v.items[2].text, "id u"));
    br_violations_free(&v);
    /* Without ground truth none of that can be seen. */
    assert_int_equal(br_oracle_check(ops, 3, t, 4, 0, &v), 0);
    br_violations_free(&v);
}

static void test_stored_double_booking_from_indeterminate_requests(void **state)
{
    (void)state;
    /* One acknowledged booking; a timed-out one that did take effect, overlapping it. */
    br_op_record ops[] = {
        op(0, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0, 120, "a", 0, 10),
        op(1, BR_OP_BOOK, BR_OUTCOME_INFO, 0, "martin", T0 + 3 * MIN, 120, NULL, 0, 10),
    };
    br_truth_booking t[] = {truth("a", "martin", T0, 120, 1, 1),
                            truth("z", "martin", T0 + 3 * MIN, 120, 1, 1),
                            /* Two strangers overlapping each other: not this run's business. */
                            truth("s1", "tom", T0, 120, 1, 0), truth("s2", "tom", T0, 120, 1, 0)};
    br_violations v = {0};
    assert_int_equal(br_oracle_check(ops, 2, t, 4, 1, &v), 1);
    assert_int_equal(v.items[0].kind, BR_VIOLATION_DOUBLE_BOOKING_STORED);
    assert_non_null(strstr(v.items[0].text, "09:26-11:26 (id a, acknowledged) overlaps 09:29-11:29 (id z)"));
    br_violations_free(&v);
    /* Pairs the history already reported are not reported twice. */
    br_op_record ops2[] = {
        op(0, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0, 120, "a", 0, 10),
        op(1, BR_OP_BOOK, BR_OUTCOME_OK, 201, "martin", T0 + 3 * MIN, 120, "z", 0, 10),
    };
    assert_int_equal(br_oracle_check(ops2, 2, t, 2, 1, &v), 1);
    assert_int_equal(v.items[0].kind, BR_VIOLATION_DOUBLE_BOOKING);
    br_violations_free(&v);
}

static void test_expected_outcomes(void **state)
{
    (void)state;
    br_op_record ops[] = {
        op(0, BR_OP_BOOK, BR_OUTCOME_FAIL, 409, "martin", T0, 120, NULL, 0, 10),
        op(1, BR_OP_BOOK, BR_OUTCOME_OK, 201, "ana", T0, 120, "b", 0, 10),
    };
    ops[0].expect = BR_OUTCOME_OK;
    ops[1].expect = BR_OUTCOME_FAIL;
    ops[0].step = 4;
    br_violations v = {0};
    assert_int_equal(br_oracle_check(ops, 2, NULL, 0, 0, &v), 2);
    assert_string_equal(v.items[0].text,
                        "FALSE CONFLICT steps[4] (book) actor 0 c0: expected success, got fail (HTTP 409)");
    assert_non_null(strstr(v.items[1].text, "UNEXPECTED OUTCOME"));
    br_violations_free(&v);
}

/* The pairs a brute-force O(n^2) reading of the invariant finds (the reference for the capped count). */
static size_t brute_force_pairs(const br_op_record *ops, size_t n)
{
    size_t pairs = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const br_op_record *a = &ops[i], *b = &ops[j];
            if (a->op != BR_OP_BOOK || b->op != BR_OP_BOOK || a->outcome != BR_OUTCOME_OK ||
                b->outcome != BR_OUTCOME_OK || strcmp(a->inspector, b->inspector) != 0 ||
                !(a->start_us < b->end_us && b->start_us < a->end_us))
                continue;
            int cancelled = 0; /* a cancel of either sent before the other completed */
            for (size_t c = 0; c < n; c++)
                if (ops[c].op == BR_OP_CANCEL && ops[c].outcome != BR_OUTCOME_FAIL &&
                    ((strcmp(ops[c].id, a->id) == 0 && ops[c].invoke_us <= b->complete_us) ||
                     (strcmp(ops[c].id, b->id) == 0 && ops[c].invoke_us <= a->complete_us)))
                    cancelled = 1;
            pairs += !cancelled;
        }
    return pairs;
}

/*
 * A broken backend under load: 2,000 acknowledged bookings of overlapping
 * slots, some cancelled part-way, and one lost. The pairs are counted exactly
 * (as a brute force does) but only BR_VIOLATIONS_LISTED_MAX are written up,
 * and the lost booking is still listed.
 */
static void test_pairs_past_the_listing_limit_are_counted(void **state)
{
    (void)state;
    enum { N = 2000, CANCELS = 40 };
    static br_op_record ops[N + CANCELS];
    static char id[16];
    for (int i = 0; i < N; i++) {
        snprintf(id, sizeof(id), "b%d", i);
        ops[i] = op(i, BR_OP_BOOK, BR_OUTCOME_OK, 201, i % 3 ? "martin" : "ana", T0 + (i % 7) * MIN, 60, id,
                    i * 10, i * 10 + 5);
    }
    for (int c = 0; c < CANCELS; c++) {
        snprintf(id, sizeof(id), "b%d", c * 37);
        ops[N + c] = op(N + c, BR_OP_CANCEL, BR_OUTCOME_OK, 204, NULL, 0, 0, id, c * 500, c * 500 + 5);
    }
    /* The target lists every booking but b1 (never cancelled: lost); cancelled ones are inactive. */
    br_truth_booking *truth = calloc(N, sizeof(br_truth_booking));
    size_t tn = 0;
    for (int i = 0; i < N; i++)
        if (i != 1)
            truth[tn++] = (br_truth_booking){.start_us = ops[i].start_us,
                                             .end_us = ops[i].end_us,
                                             .active = i % 37 != 0 || i / 37 >= CANCELS,
                                             .ours = 1};
    for (size_t t = 0, i = 0; t < tn; t++, i++) {
        i += i == 1;
        snprintf(truth[t].id, sizeof(truth[t].id), "%s", ops[i].id);
        snprintf(truth[t].inspector, sizeof(truth[t].inspector), "%s", ops[i].inspector);
    }
    size_t want = brute_force_pairs(ops, N + CANCELS);
    assert_true(want > 100 * BR_VIOLATIONS_LISTED_MAX);
    br_violations v = {0};
    size_t found = br_oracle_check(ops, N + CANCELS, truth, tn, 1, &v);
    assert_int_equal(found, want + 1);
    assert_int_equal(v.total, want + 1);
    assert_int_equal(v.count, BR_VIOLATIONS_LISTED_MAX + 1);
    assert_int_equal(v.listed[BR_VIOLATION_DOUBLE_BOOKING], BR_VIOLATIONS_LISTED_MAX);
    assert_int_equal(v.items[BR_VIOLATIONS_LISTED_MAX].kind, BR_VIOLATION_LOST);
    assert_non_null(strstr(v.items[BR_VIOLATIONS_LISTED_MAX].text, "id b1,"));
    br_violations_free(&v);
    free(truth);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_incident_double_booking_is_written_up),
        cmocka_unit_test(test_no_violation_cases),
        cmocka_unit_test(test_cancelled_bookings),
        cmocka_unit_test(test_lost_and_unexpected),
        cmocka_unit_test(test_stored_double_booking_from_indeterminate_requests),
        cmocka_unit_test(test_expected_outcomes),
        cmocka_unit_test(test_pairs_past_the_listing_limit_are_counted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
