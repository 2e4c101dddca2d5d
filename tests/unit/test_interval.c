/*
 * The online oracle: overlaps found as bookings arrive (half-open ranges, a
 * long booking over several), refusals and repeated indeterminate outcomes
 * never stored, and a final verdict that does not depend on the order the
 * bookings arrived in and equals the batch oracle's over the whole history.
 */
#include "interval.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define H (INT64_C(3600) * 1000000)
#define DAY0 INT64_C(1796083200000000) /* 2026-12-01T00:00:00Z */

static const char *const actors[] = {"melinda", "martin", "jo"};

static br_interval_booking bk(const char *insp, int64_t start_h, int64_t end_h, br_outcome outcome,
                              const char *id)
{
    return (br_interval_booking){.actor = 0,
                                 .outcome = outcome,
                                 .status = outcome == BR_OUTCOME_OK     ? 201
                                           : outcome == BR_OUTCOME_FAIL ? 409
                                                                        : 0,
                                 .inspector = insp,
                                 .id = id,
                                 .start_us = DAY0 + start_h * H,
                                 .end_us = DAY0 + end_h * H,
                                 .invoke_us = 10,
                                 .complete_us = 20};
}

static void test_online_overlaps(void **state)
{
    (void)state;
    br_interval_oracle *o = br_interval_new(actors, 3);
    br_interval_booking a = bk("martin", 9, 11, BR_OUTCOME_OK, "a");
    br_interval_booking b = bk("martin", 10, 12, BR_OUTCOME_OK, "b");
    br_interval_booking c = bk("martin", 11, 13, BR_OUTCOME_OK, "c");
    br_interval_booking d = bk("martin", 8, 14, BR_OUTCOME_OK, "d");
    br_interval_booking other = bk("jo", 9, 11, BR_OUTCOME_OK, "e");
    assert_int_equal(br_interval_add(o, &a), 0);
    assert_int_equal(br_interval_add(o, &b), 1);
    assert_int_equal(br_interval_add(o, &c), 1); /* touches a at 11:00: half-open, no overlap */
    assert_int_equal(br_interval_add(o, &other), 0);
    assert_int_equal(br_interval_add(o, &d), 3);
    /* A booking that starts after a long one began is found through the longest stored duration. */
    br_interval_booking late = bk("martin", 13, 15, BR_OUTCOME_OK, "f");
    assert_int_equal(br_interval_add(o, &late), 1); /* d (8-14); c ends at 13:00 */
    assert_int_equal(br_interval_double_bookings(o), 6);
    assert_int_equal(br_interval_acknowledged(o), 6);
    br_violations v = {0};
    assert_int_equal(br_interval_finish(o, NULL, 0, 0, &v), 6);
    for (size_t i = 0; i < v.count; i++)
        assert_int_equal(v.items[i].kind, BR_VIOLATION_DOUBLE_BOOKING);
    br_violations_free(&v);
    br_interval_free(o);
}

static void test_bounded_memory(void **state)
{
    (void)state;
    br_interval_oracle *o = br_interval_new(actors, 3);
    for (int i = 0; i < 200000; i++) {
        br_interval_booking f = bk("martin", i % 10, i % 10 + 2, BR_OUTCOME_FAIL, "");
        br_interval_booking x = bk("martin", i % 10, i % 10 + 2, BR_OUTCOME_INFO, "");
        br_interval_add(o, &f);
        br_interval_add(o, &x);
    }
    assert_int_equal(br_interval_stored(o), 10);
    assert_int_equal(br_interval_acknowledged(o), 0);
    assert_int_equal(br_interval_double_bookings(o), 0);
    br_interval_free(o);
}

/* A pseudo-random history: bookings on a few inspectors, some overlapping, in 15-minute steps. */
static br_op_record *random_history(unsigned seed, size_t n, char ids[][16], char names[][16])
{
    br_op_record *ops = calloc(n, sizeof(br_op_record));
    srand(seed);
    for (size_t i = 0; i < n; i++) {
        br_op_record *r = &ops[i];
        r->index = (int)i;
        r->actor = rand() % 3;
        snprintf(r->actor_name, sizeof(r->actor_name), "%s", actors[r->actor]);
        r->op = BR_OP_BOOK;
        int k = rand() % 10;
        r->outcome = k < 2 ? BR_OUTCOME_OK : k < 9 ? BR_OUTCOME_FAIL : BR_OUTCOME_INFO;
        r->status = r->outcome == BR_OUTCOME_OK ? 201 : r->outcome == BR_OUTCOME_FAIL ? 409 : 0;
        snprintf(names[i], 16, "insp%d", rand() % 4);
        snprintf(r->inspector, sizeof(r->inspector), "%s", names[i]);
        r->start_us = DAY0 + (rand() % 200) * H / 4;
        r->end_us = r->start_us + (1 + rand() % 8) * H / 4;
        snprintf(ids[i], 16, "id%zu", i % 100000);
        if (r->outcome == BR_OUTCOME_OK)
            snprintf(r->id, sizeof(r->id), "%s", ids[i]);
        r->invoke_us = r->invoke_scenario_us = (int64_t)i * 100;
        r->complete_us = r->complete_scenario_us = (int64_t)i * 100 + rand() % 1000;
        r->expect = -1;
    }
    return ops;
}

static int cmp_text(const void *a, const void *b)
{
    return strcmp(((const br_violation *)a)->text, ((const br_violation *)b)->text);
}

static void feed(br_interval_oracle *o, const br_op_record *ops, const size_t *order, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const br_op_record *r = &ops[order[k]];
        br_interval_booking b = {.actor = r->actor,
                                 .outcome = r->outcome,
                                 .status = (int)r->status,
                                 .inspector = r->inspector,
                                 .id = r->id,
                                 .start_us = r->start_us,
                                 .end_us = r->end_us,
                                 .invoke_us = r->invoke_us,
                                 .complete_us = r->complete_us};
        br_interval_add(o, &b);
    }
}

static void test_order_independent_and_equal_to_batch(void **state)
{
    (void)state;
    enum { N = 1500 }; /* few enough pairs to be listed in full (BR_VIOLATIONS_LISTED_MAX) */
    static char ids[N][16], names[N][16];
    br_op_record *ops = random_history(7, N, ids, names);
    /* Ground truth: every acknowledged booking stored except the first, plus one stranger of this run. */
    br_truth_booking *truth = calloc(N + 1, sizeof(br_truth_booking));
    size_t tn = 0, skipped = 0;
    for (size_t i = 0; i < N; i++) {
        if (ops[i].outcome != BR_OUTCOME_OK)
            continue;
        if (!skipped++)
            continue;
        br_truth_booking *t = &truth[tn++];
        snprintf(t->id, sizeof(t->id), "%s", ops[i].id);
        snprintf(t->inspector, sizeof(t->inspector), "%s", ops[i].inspector);
        t->start_us = ops[i].start_us;
        t->end_us = ops[i].end_us;
        t->active = 1;
        t->ours = 1;
    }
    truth[tn] = (br_truth_booking){
        .id = "stranger", .inspector = "insp9", .start_us = DAY0, .end_us = DAY0 + H, .active = 1, .ours = 1};
    tn++;
    size_t order[N];
    br_violations runs[2] = {{0}, {0}};
    for (int run = 0; run < 2; run++) {
        for (size_t i = 0; i < N; i++)
            order[i] = run == 0 ? i : N - 1 - i;
        br_interval_oracle *o = br_interval_new(actors, 3);
        feed(o, ops, order, N);
        br_interval_finish(o, truth, tn, 1, &runs[run]);
        br_interval_free(o);
    }
    br_violations batch = {0};
    br_oracle_check(ops, N, truth, tn, 1, &batch);
    assert_true(batch.count > 10);
    assert_int_equal(batch.count, batch.total);
    assert_true(batch.listed[BR_VIOLATION_DOUBLE_BOOKING] < BR_VIOLATIONS_LISTED_MAX);
    assert_int_equal(runs[0].count, batch.count);
    assert_int_equal(runs[1].count, batch.count);
    /* Same violations in the same order whatever the arrival order; the same texts as the batch oracle. */
    for (size_t i = 0; i < batch.count; i++)
        assert_string_equal(runs[0].items[i].text, runs[1].items[i].text);
    qsort(runs[0].items, runs[0].count, sizeof(br_violation), cmp_text);
    qsort(batch.items, batch.count, sizeof(br_violation), cmp_text);
    int lost = 0, unexpected = 0;
    for (size_t i = 0; i < batch.count; i++) {
        assert_string_equal(runs[0].items[i].text, batch.items[i].text);
        lost += batch.items[i].kind == BR_VIOLATION_LOST;
        unexpected += batch.items[i].kind == BR_VIOLATION_UNEXPECTED;
    }
    assert_int_equal(lost, 1);
    assert_int_equal(unexpected, 1);
    br_violations_free(&runs[0]);
    br_violations_free(&runs[1]);
    br_violations_free(&batch);
    free(truth);
    free(ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_online_overlaps),
        cmocka_unit_test(test_bounded_memory),
        cmocka_unit_test(test_order_independent_and_equal_to_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
