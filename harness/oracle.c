/*
 * The oracle (oracle.h): classifies each response by the profile's status
 * lists, then checks the history (acknowledged bookings of one inspector,
 * sorted by start, must not overlap), the ground truth (every acknowledged
 * booking still there and active, no two active stored bookings overlapping,
 * none of this run's that no request created) and the outcomes a scenario
 * ruled out. Each violation is explained in words naming the operations and
 * times involved. Pure: no I/O, so `bookrace check` and the unit tests call it
 * on saved or hand-written histories.
 */
#include "oracle.h"

#include "alloc.h"
#include "iso8601.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

br_outcome br_outcome_of(const br_operation *op, long status)
{
    if (status == 0)
        return BR_OUTCOME_INFO;
    switch (br_operation_classify(op, status)) {
    case BR_CLASS_SUCCESS:
        return BR_OUTCOME_OK;
    case BR_CLASS_CONFLICT:
    case BR_CLASS_REJECTED:
        return BR_OUTCOME_FAIL;
    default:
        return BR_OUTCOME_INFO;
    }
}

const char *br_outcome_name(br_outcome outcome)
{
    static const char *const names[] = {"ok", "fail", "info"};
    return names[outcome];
}

const char *br_violation_kind_name(br_violation_kind kind)
{
    static const char *const names[] = {"double-booking", "double-booking-stored", "lost", "unexpected",
                                        "outcome"};
    return names[kind];
}

void br_violations_free(br_violations *v)
{
    free(v->items);
    memset(v, 0, sizeof(*v));
}

static br_violation *add(br_violations *v, br_violation_kind kind, int a, int b)
{
    if (v->count == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        v->items = xreallocarray(v->items, cap, sizeof(*v->items));
        v->cap = cap;
    }
    br_violation *x = &v->items[v->count++];
    x->kind = kind;
    x->op_a = a;
    x->op_b = b;
    x->text[0] = '\0';
    return x;
}

static int overlaps(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    return a0 < b1 && b0 < a1;
}

/* "09:26" or, for a range not on one day, the full timestamp. */
static void hhmm(int64_t us, char *out, size_t cap)
{
    char full[BR_TIME_BUFSIZE];
    br_time_format(us, full);
    snprintf(out, cap, "%.5s", full + 11);
}

static void describe_range(const br_op_record *o, char *out, size_t cap)
{
    char s[16], e[16];
    hhmm(o->start_us, s, sizeof(s));
    hhmm(o->end_us, e, sizeof(e));
    snprintf(out, cap, "%s-%s (actor %d %s, %ld at +%.3fs)", s, e, o->actor, o->actor_name, o->status,
             (double)o->complete_scenario_us / 1e6);
}

/*
 * Whether |booking| may have stopped being active before |other| was
 * acknowledged: an acknowledged or indeterminate cancel of it was sent
 * before |other| completed. Then the pair does not prove a double booking.
 */
static int possibly_cancelled_before(const br_op_record *ops, size_t n, const br_op_record *booking,
                                     const br_op_record *other)
{
    for (size_t i = 0; i < n; i++) {
        const br_op_record *c = &ops[i];
        if (c->op == BR_OP_CANCEL && c->outcome != BR_OUTCOME_FAIL && booking->id[0] &&
            strcmp(c->id, booking->id) == 0 && c->invoke_us <= other->complete_us)
            return 1;
    }
    return 0;
}

/* Orders acknowledged bookings by inspector, then start: overlapping pairs are then neighbours-in-range. */
static int by_inspector_start(const void *a, const void *b, void *arg)
{
    const br_op_record *ops = arg;
    const br_op_record *x = &ops[*(const size_t *)a], *y = &ops[*(const size_t *)b];
    int c = strcmp(x->inspector, y->inspector);
    if (c != 0)
        return c;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Every pair of acknowledged bookings of one inspector whose ranges overlap.
 * Sorted by start, the bookings overlapping booking i are the ones after it
 * that start before i ends: O(n log n + pairs), so a load run with tens of
 * thousands of bookings is checked as quickly as a race of two.
 */
static void check_history(const br_op_record *ops, size_t n, br_violations *out, size_t *found)
{
    size_t *idx = xcalloc(n ? n : 1, sizeof(size_t)), k = 0;
    for (size_t i = 0; i < n; i++)
        if (ops[i].op == BR_OP_BOOK && ops[i].outcome == BR_OUTCOME_OK)
            idx[k++] = i;
    qsort_r(idx, k, sizeof(size_t), by_inspector_start, (void *)ops);
    for (size_t x = 0; x < k; x++) {
        const br_op_record *a = &ops[idx[x]];
        for (size_t y = x + 1; y < k; y++) {
            const br_op_record *b = &ops[idx[y]];
            if (strcmp(a->inspector, b->inspector) != 0 || b->start_us >= a->end_us)
                break;
            if (!overlaps(a->start_us, a->end_us, b->start_us, b->end_us))
                continue;
            if (possibly_cancelled_before(ops, n, a, b) || possibly_cancelled_before(ops, n, b, a))
                continue;
            const br_op_record *first = a->complete_us <= b->complete_us ? a : b;
            const br_op_record *second = first == a ? b : a;
            br_violation *v = add(out, BR_VIOLATION_DOUBLE_BOOKING, first->index, second->index);
            char r1[200], r2[200];
            describe_range(first, r1, sizeof(r1));
            describe_range(second, r2, sizeof(r2));
            snprintf(v->text, sizeof(v->text), "DOUBLE BOOKING inspector %s: %s overlaps %s",
                     first->inspector, r1, r2);
            (*found)++;
        }
    }
    free(idx);
}

/* Whether the history check already reported this pair of acknowledged bookings. */
static int already_reported(const br_violations *v, int a, int b)
{
    for (size_t i = 0; i < v->count; i++)
        if (v->items[i].kind == BR_VIOLATION_DOUBLE_BOOKING &&
            ((v->items[i].op_a == a && v->items[i].op_b == b) ||
             (v->items[i].op_a == b && v->items[i].op_b == a)))
            return 1;
    return 0;
}

static const br_op_record *find_ok_booking(const br_op_record *ops, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].op == BR_OP_BOOK && ops[i].outcome == BR_OUTCOME_OK && strcmp(ops[i].id, id) == 0)
            return &ops[i];
    return NULL;
}

/* Whether an indeterminate booking request may have created |t| (same inspector and start). */
static int maybe_from_info(const br_op_record *ops, size_t n, const br_truth_booking *t)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].op == BR_OP_BOOK && ops[i].outcome == BR_OUTCOME_INFO &&
            strcmp(ops[i].inspector, t->inspector) == 0 && ops[i].start_us == t->start_us)
            return 1;
    return 0;
}

static int cancelled_by_us(const br_op_record *ops, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (ops[i].op == BR_OP_CANCEL && ops[i].outcome != BR_OUTCOME_FAIL && strcmp(ops[i].id, id) == 0)
            return 1;
    return 0;
}

static void check_truth(const br_op_record *ops, size_t n, const br_truth_booking *truth, size_t tn,
                        br_violations *out, size_t *found)
{
    char s1[16], e1[16], s2[16], e2[16];
    /* Lost: acknowledged, never cancelled by us, and not stored as active. */
    for (size_t i = 0; i < n; i++) {
        const br_op_record *o = &ops[i];
        if (o->op != BR_OP_BOOK || o->outcome != BR_OUTCOME_OK || cancelled_by_us(ops, n, o->id))
            continue;
        const br_truth_booking *t = NULL;
        for (size_t j = 0; j < tn && t == NULL; j++)
            if (strcmp(truth[j].id, o->id) == 0)
                t = &truth[j];
        if (t != NULL && t->active)
            continue;
        br_violation *v = add(out, BR_VIOLATION_LOST, o->index, -1);
        char r[200];
        describe_range(o, r, sizeof(r));
        snprintf(v->text, sizeof(v->text), "LOST BOOKING inspector %s: %s, id %s, is %s", o->inspector, r,
                 o->id, t ? "stored but no longer active" : "missing from the target's bookings");
        (*found)++;
    }
    /* Stored double bookings: active pairs of one inspector that overlap, at least one of them ours. */
    for (size_t i = 0; i < tn; i++) {
        const br_truth_booking *a = &truth[i];
        if (!a->active)
            continue;
        const br_op_record *oa = find_ok_booking(ops, n, a->id);
        for (size_t j = i + 1; j < tn; j++) {
            const br_truth_booking *b = &truth[j];
            if (!b->active || strcmp(a->inspector, b->inspector) != 0 ||
                !overlaps(a->start_us, a->end_us, b->start_us, b->end_us))
                continue;
            const br_op_record *ob = find_ok_booking(ops, n, b->id);
            int involves_us = oa || ob || a->ours == 1 || b->ours == 1;
            if (!involves_us || (oa && ob && already_reported(out, oa->index, ob->index)))
                continue;
            br_violation *v =
                add(out, BR_VIOLATION_DOUBLE_BOOKING_STORED, oa ? oa->index : -1, ob ? ob->index : -1);
            hhmm(a->start_us, s1, sizeof(s1));
            hhmm(a->end_us, e1, sizeof(e1));
            hhmm(b->start_us, s2, sizeof(s2));
            hhmm(b->end_us, e2, sizeof(e2));
            snprintf(v->text, sizeof(v->text),
                     "DOUBLE BOOKING STORED inspector %s: %s-%s (id %s%s) overlaps %s-%s (id %s%s)",
                     a->inspector, s1, e1, a->id, oa ? ", acknowledged" : "", s2, e2, b->id,
                     ob ? ", acknowledged" : "");
            (*found)++;
        }
    }
    /* Unexpected: tagged as this run's, active, created by no acknowledged or indeterminate request. */
    for (size_t i = 0; i < tn; i++) {
        const br_truth_booking *t = &truth[i];
        if (t->ours != 1 || !t->active || find_ok_booking(ops, n, t->id) || maybe_from_info(ops, n, t))
            continue;
        br_violation *v = add(out, BR_VIOLATION_UNEXPECTED, -1, -1);
        hhmm(t->start_us, s1, sizeof(s1));
        hhmm(t->end_us, e1, sizeof(e1));
        snprintf(
            v->text, sizeof(v->text),
            "UNEXPECTED BOOKING inspector %s: %s-%s (id %s) is stored, but no request of this run created it",
            t->inspector, s1, e1, t->id);
        (*found)++;
    }
}

/* Steps that require an outcome: a 409 where success was required is a false conflict. */
static void check_expectations(const br_op_record *ops, size_t n, br_violations *out, size_t *found)
{
    for (size_t i = 0; i < n; i++) {
        const br_op_record *o = &ops[i];
        if (o->expect < 0 || (int)o->outcome == o->expect)
            continue;
        br_violation *v = add(out, BR_VIOLATION_OUTCOME, o->index, -1);
        const char *what = o->expect == BR_OUTCOME_OK && o->outcome == BR_OUTCOME_FAIL ? "FALSE CONFLICT"
                                                                                       : "UNEXPECTED OUTCOME";
        snprintf(v->text, sizeof(v->text), "%s steps[%d] (%s) actor %d %s: expected %s, got %s (HTTP %ld)",
                 what, o->step, br_op_history_name(o->op), o->actor, o->actor_name,
                 o->expect == BR_OUTCOME_OK ? "success" : "a refusal", br_outcome_name(o->outcome),
                 o->status);
        (*found)++;
    }
}

size_t br_oracle_check(const br_op_record *ops, size_t op_count, const br_truth_booking *truth,
                       size_t truth_count, int truth_checked, br_violations *out)
{
    size_t found = 0;
    check_history(ops, op_count, out, &found);
    check_expectations(ops, op_count, out, &found);
    if (truth_checked)
        check_truth(ops, op_count, truth, truth_count, out, &found);
    return found;
}
