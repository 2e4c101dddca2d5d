/*
 * The oracle (oracle.h): classifies each response by the profile's status
 * lists, then checks the history (acknowledged bookings of one inspector,
 * sorted by start, must not overlap), the ground truth (every acknowledged
 * booking still there and active, no two active stored bookings overlapping,
 * none of this run's that no request created) and the outcomes a scenario
 * ruled out, each violation explained in words naming the operations and
 * times involved. Pure: no I/O, so `bookrace check` and the unit tests call it
 * on saved or hand-written histories.
 *
 * Every lookup a pair check needs (was this booking cancelled, which request
 * acknowledged that stored booking, did an indeterminate request aim at this
 * slot) goes through a sorted index built once per check, so a load's tens of
 * thousands of bookings cost O(n log n + pairs), not O(n x pairs); past
 * BR_VIOLATIONS_LISTED_MAX the pairs are counted without being written up.
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

static int listing_full(const br_violations *v, br_violation_kind kind)
{
    return v->listed[kind] >= BR_VIOLATIONS_LISTED_MAX;
}

br_violation *br_violations_add(br_violations *v, br_violation_kind kind, int op_a, int op_b)
{
    v->total++;
    br_violation *x = &v->unlisted;
    if (!listing_full(v, kind)) {
        v->listed[kind]++;
        if (v->count == v->cap) {
            v->cap = v->cap ? v->cap * 2 : 8;
            v->items = xreallocarray(v->items, v->cap, sizeof(br_violation));
        }
        x = &v->items[v->count++];
    }
    x->kind = kind;
    x->op_a = op_a;
    x->op_b = op_b;
    x->text[0] = '\0';
    return x;
}

/* Whether two ranges share an instant; an empty or inverted range overlaps nothing. */
static int overlaps(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    return a0 < a1 && b0 < b1 && a0 < b1 && b0 < a1;
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

/* ---- the lookups, sorted once per check ------------------------------------------------------------- */

typedef struct {
    const char *id;
    int64_t first_invoke_us; /* the earliest acknowledged or indeterminate cancel of it */
} cancel_entry;

typedef struct {
    const br_op_record *ops;
    size_t n;
    cancel_entry *cancels; /* by id, one per id */
    size_t cancel_count;
    size_t *ok_by_id; /* acknowledged bookings by id, then index */
    size_t ok_count;
    size_t *info_by_slot; /* indeterminate bookings by inspector, then start */
    size_t info_count;
} oracle_index;

static int cmp_cancel(const void *a, const void *b)
{
    const cancel_entry *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->first_invoke_us > y->first_invoke_us) - (x->first_invoke_us < y->first_invoke_us);
}

static int cmp_by_id(const void *a, const void *b, void *arg)
{
    const br_op_record *ops = arg, *x = &ops[*(const size_t *)a], *y = &ops[*(const size_t *)b];
    int c = strcmp(x->id, y->id);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static int cmp_by_slot(const void *a, const void *b, void *arg)
{
    const br_op_record *ops = arg, *x = &ops[*(const size_t *)a], *y = &ops[*(const size_t *)b];
    int c = strcmp(x->inspector, y->inspector);
    return c ? c : (x->start_us > y->start_us) - (x->start_us < y->start_us);
}

/* Sorted cancels, one entry per id with its earliest send. */
static void index_cancels(oracle_index *ix)
{
    ix->cancels = xcalloc(ix->n + 1, sizeof(cancel_entry));
    size_t k = 0;
    for (size_t i = 0; i < ix->n; i++)
        if (ix->ops[i].op == BR_OP_CANCEL && ix->ops[i].outcome != BR_OUTCOME_FAIL)
            ix->cancels[k++] = (cancel_entry){ix->ops[i].id, ix->ops[i].invoke_us};
    qsort(ix->cancels, k, sizeof(cancel_entry), cmp_cancel);
    size_t kept = 0;
    for (size_t i = 0; i < k; i++)
        if (kept == 0 || strcmp(ix->cancels[kept - 1].id, ix->cancels[i].id) != 0)
            ix->cancels[kept++] = ix->cancels[i];
    ix->cancel_count = kept;
}

static void index_build(oracle_index *ix, const br_op_record *ops, size_t n)
{
    memset(ix, 0, sizeof(*ix));
    ix->ops = ops;
    ix->n = n;
    index_cancels(ix);
    ix->ok_by_id = xcalloc(n + 1, sizeof(size_t));
    ix->info_by_slot = xcalloc(n + 1, sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        if (ops[i].op == BR_OP_BOOK && ops[i].outcome == BR_OUTCOME_OK)
            ix->ok_by_id[ix->ok_count++] = i;
        else if (ops[i].op == BR_OP_BOOK && ops[i].outcome == BR_OUTCOME_INFO)
            ix->info_by_slot[ix->info_count++] = i;
    }
    qsort_r(ix->ok_by_id, ix->ok_count, sizeof(size_t), cmp_by_id, (void *)ops);
    qsort_r(ix->info_by_slot, ix->info_count, sizeof(size_t), cmp_by_slot, (void *)ops);
}

static void index_free(oracle_index *ix)
{
    free(ix->cancels);
    free(ix->ok_by_id);
    free(ix->info_by_slot);
}

/* The earliest send of a non-refused cancel of |id|, or NULL when there is none. */
static const cancel_entry *find_cancel(const oracle_index *ix, const char *id)
{
    size_t lo = 0, hi = ix->cancel_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->cancels[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->cancel_count && strcmp(ix->cancels[lo].id, id) == 0 ? &ix->cancels[lo] : NULL;
}

/*
 * Whether |booking| may have stopped being active before |other| was
 * acknowledged: an acknowledged or indeterminate cancel of it was sent
 * before |other| completed. Then the pair does not prove a double booking.
 */
static int possibly_cancelled_before(const oracle_index *ix, const br_op_record *booking,
                                     const br_op_record *other)
{
    const cancel_entry *c = booking->id[0] ? find_cancel(ix, booking->id) : NULL;
    return c != NULL && c->first_invoke_us <= other->complete_us;
}

/* The first acknowledged booking request whose response carried |id|, or NULL. */
static const br_op_record *find_ok_booking(const oracle_index *ix, const char *id)
{
    size_t lo = 0, hi = ix->ok_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->ops[ix->ok_by_id[mid]].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->ok_count && strcmp(ix->ops[ix->ok_by_id[lo]].id, id) == 0 ? &ix->ops[ix->ok_by_id[lo]]
                                                                              : NULL;
}

/* Whether an indeterminate booking request may have created |t| (same inspector and start). */
static int maybe_from_info(const oracle_index *ix, const br_truth_booking *t)
{
    size_t lo = 0, hi = ix->info_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const br_op_record *o = &ix->ops[ix->info_by_slot[mid]];
        int c = strcmp(o->inspector, t->inspector);
        if (c < 0 || (c == 0 && o->start_us < t->start_us))
            lo = mid + 1;
        else
            hi = mid;
    }
    const br_op_record *o = lo < ix->info_count ? &ix->ops[ix->info_by_slot[lo]] : NULL;
    return o != NULL && strcmp(o->inspector, t->inspector) == 0 && o->start_us == t->start_us;
}

/* Whether the history check reports the pair |a|, |b| of acknowledged requests. */
static int proves_double_booking(const oracle_index *ix, const br_op_record *a, const br_op_record *b)
{
    return strcmp(a->inspector, b->inspector) == 0 &&
           overlaps(a->start_us, a->end_us, b->start_us, b->end_us) && !possibly_cancelled_before(ix, a, b) &&
           !possibly_cancelled_before(ix, b, a);
}

/* ---- double bookings in the history ------------------------------------------------------------------ */

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

/* The end of booking x's range in |idx|: the first later one of another inspector or starting after x ends.
 */
static size_t range_end(const br_op_record *ops, const size_t *idx, size_t k, size_t x)
{
    const br_op_record *a = &ops[idx[x]];
    size_t lo = x + 1, hi = k;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const br_op_record *b = &ops[idx[mid]];
        if (strcmp(b->inspector, a->inspector) == 0 && b->start_us < a->end_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void report_pair(const br_op_record *a, const br_op_record *b, br_violations *out)
{
    const br_op_record *first = a->complete_us <= b->complete_us ? a : b;
    const br_op_record *second = first == a ? b : a;
    br_violation *v = br_violations_add(out, BR_VIOLATION_DOUBLE_BOOKING, first->index, second->index);
    if (v == &out->unlisted)
        return;
    char r1[200], r2[200];
    describe_range(first, r1, sizeof(r1));
    describe_range(second, r2, sizeof(r2));
    snprintf(v->text, sizeof(v->text), "DOUBLE BOOKING inspector %s: %s overlaps %s", first->inspector, r1,
             r2);
}

/*
 * Counts, without writing them up, the pairs of booking x with the bookings
 * at [from, end) once the listing is full. Every one of them overlaps x (they
 * start in [x.start, x.end) and are not empty), so when x was never cancelled
 * only the ones that were need a look: O(log n + cancelled in range).
 */
static size_t count_pairs(const oracle_index *ix, const size_t *idx, const size_t *cancelled,
                          size_t cancelled_count, size_t x, size_t from, size_t end)
{
    const br_op_record *a = &ix->ops[idx[x]];
    size_t pairs = 0;
    if (a->id[0] && find_cancel(ix, a->id)) {
        for (size_t y = from; y < end; y++)
            pairs += (size_t)proves_double_booking(ix, a, &ix->ops[idx[y]]);
        return pairs;
    }
    size_t lo = 0, hi = cancelled_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cancelled[mid] < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    pairs = end - from;
    for (size_t c = lo; c < cancelled_count && cancelled[c] < end; c++)
        pairs -= (size_t)possibly_cancelled_before(ix, &ix->ops[idx[cancelled[c]]], a);
    return pairs;
}

/*
 * Every pair of acknowledged bookings of one inspector whose ranges overlap.
 * Sorted by start, the bookings overlapping booking i are the ones after it
 * that start before i ends: O(n log n + pairs) while they are listed, then
 * counted in O(log n) per booking.
 */
static void check_history(const oracle_index *ix, br_violations *out)
{
    const br_op_record *ops = ix->ops;
    size_t *idx = xcalloc(ix->n + 1, sizeof(size_t)), *cancelled = xcalloc(ix->n + 1, sizeof(size_t));
    size_t k = 0, cancelled_count = 0;
    for (size_t i = 0; i < ix->n; i++)
        if (ops[i].op == BR_OP_BOOK && ops[i].outcome == BR_OUTCOME_OK && ops[i].start_us < ops[i].end_us)
            idx[k++] = i;
    qsort_r(idx, k, sizeof(size_t), by_inspector_start, (void *)ops);
    for (size_t x = 0; x < k; x++)
        if (ops[idx[x]].id[0] && find_cancel(ix, ops[idx[x]].id))
            cancelled[cancelled_count++] = x;
    for (size_t x = 0; x < k; x++) {
        size_t end = range_end(ops, idx, k, x), y = x + 1;
        for (; y < end && !listing_full(out, BR_VIOLATION_DOUBLE_BOOKING); y++)
            if (proves_double_booking(ix, &ops[idx[x]], &ops[idx[y]]))
                report_pair(&ops[idx[x]], &ops[idx[y]], out);
        if (y < end) /* the listing filled up: count the rest of x's pairs */
            out->total += count_pairs(ix, idx, cancelled, cancelled_count, x, y, end);
    }
    free(idx);
    free(cancelled);
}

/* ---- the ground truth ------------------------------------------------------------------------------ */
/* Lost: acknowledged, never cancelled by us, and not stored as active. */
static void check_lost(const oracle_index *ix, const br_truth_booking *truth, const size_t *truth_by_id,
                       size_t tn, br_violations *out)
{
    for (size_t i = 0; i < ix->n; i++) {
        const br_op_record *o = &ix->ops[i];
        if (o->op != BR_OP_BOOK || o->outcome != BR_OUTCOME_OK || find_cancel(ix, o->id))
            continue;
        size_t lo = 0, hi = tn;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(truth[truth_by_id[mid]].id, o->id) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        const br_truth_booking *t =
            lo < tn && strcmp(truth[truth_by_id[lo]].id, o->id) == 0 ? &truth[truth_by_id[lo]] : NULL;
        if (t != NULL && t->active)
            continue;
        br_violation *v = br_violations_add(out, BR_VIOLATION_LOST, o->index, -1);
        char r[200];
        describe_range(o, r, sizeof(r));
        snprintf(v->text, sizeof(v->text), "LOST BOOKING inspector %s: %s, id %s, is %s", o->inspector, r,
                 o->id, t ? "stored but no longer active" : "missing from the target's bookings");
    }
}

static void report_stored_pair(const br_truth_booking *a, const br_op_record *oa, const br_truth_booking *b,
                               const br_op_record *ob, br_violations *out)
{
    br_violation *v =
        br_violations_add(out, BR_VIOLATION_DOUBLE_BOOKING_STORED, oa ? oa->index : -1, ob ? ob->index : -1);
    if (v == &out->unlisted)
        return;
    char s1[16], e1[16], s2[16], e2[16];
    hhmm(a->start_us, s1, sizeof(s1));
    hhmm(a->end_us, e1, sizeof(e1));
    hhmm(b->start_us, s2, sizeof(s2));
    hhmm(b->end_us, e2, sizeof(e2));
    snprintf(v->text, sizeof(v->text),
             "DOUBLE BOOKING STORED inspector %s: %s-%s (id %s%s) overlaps %s-%s (id %s%s)", a->inspector, s1,
             e1, a->id, oa ? ", acknowledged" : "", s2, e2, b->id, ob ? ", acknowledged" : "");
}

/*
 * Stored double bookings: active pairs of one inspector that overlap, at
 * least one of them ours, not already proved from the history. |by_slot|
 * holds the active ones by inspector, then start; |acked| the request that
 * acknowledged each truth entry (NULL when none).
 */
static void check_stored_pairs(const oracle_index *ix, const br_truth_booking *truth, const size_t *by_slot,
                               size_t active, const br_op_record *const *acked, br_violations *out)
{
    for (size_t x = 0; x < active; x++) {
        const br_truth_booking *a = &truth[by_slot[x]];
        const br_op_record *oa = acked[by_slot[x]];
        for (size_t y = x + 1; y < active; y++) {
            const br_truth_booking *b = &truth[by_slot[y]];
            if (strcmp(a->inspector, b->inspector) != 0 || b->start_us >= a->end_us)
                break;
            const br_op_record *ob = acked[by_slot[y]];
            if (!overlaps(a->start_us, a->end_us, b->start_us, b->end_us) ||
                !(oa || ob || a->ours == 1 || b->ours == 1) ||
                (oa && ob && proves_double_booking(ix, oa, ob)))
                continue;
            report_stored_pair(a, oa, b, ob, out);
        }
    }
}

/* Unexpected: tagged as this run's, active, created by no acknowledged or indeterminate request. */
static void check_unexpected(const oracle_index *ix, const br_truth_booking *truth, size_t tn,
                             const br_op_record *const *acked, br_violations *out)
{
    for (size_t i = 0; i < tn; i++) {
        const br_truth_booking *t = &truth[i];
        if (t->ours != 1 || !t->active || acked[i] || maybe_from_info(ix, t))
            continue;
        br_violation *v = br_violations_add(out, BR_VIOLATION_UNEXPECTED, -1, -1);
        char s1[16], e1[16];
        hhmm(t->start_us, s1, sizeof(s1));
        hhmm(t->end_us, e1, sizeof(e1));
        snprintf(
            v->text, sizeof(v->text),
            "UNEXPECTED BOOKING inspector %s: %s-%s (id %s) is stored, but no request of this run created it",
            t->inspector, s1, e1, t->id);
    }
}

static int truth_by_id(const void *a, const void *b, void *arg)
{
    const br_truth_booking *t = arg, *x = &t[*(const size_t *)a], *y = &t[*(const size_t *)b];
    int c = strcmp(x->id, y->id);
    return c ? c : (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static int truth_by_slot(const void *a, const void *b, void *arg)
{
    const br_truth_booking *t = arg, *x = &t[*(const size_t *)a], *y = &t[*(const size_t *)b];
    int c = strcmp(x->inspector, y->inspector);
    if (c != 0)
        return c;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    return (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static void check_truth(const oracle_index *ix, const br_truth_booking *truth, size_t tn, br_violations *out)
{
    size_t *by_id = xcalloc(tn + 1, sizeof(size_t)), *by_slot = xcalloc(tn + 1, sizeof(size_t)), active = 0;
    const br_op_record **acked = xcalloc(tn + 1, sizeof(br_op_record *));
    for (size_t i = 0; i < tn; i++) {
        by_id[i] = i;
        if (truth[i].active)
            by_slot[active++] = i;
        acked[i] = find_ok_booking(ix, truth[i].id);
    }
    qsort_r(by_id, tn, sizeof(size_t), truth_by_id, (void *)truth);
    qsort_r(by_slot, active, sizeof(size_t), truth_by_slot, (void *)truth);
    check_lost(ix, truth, by_id, tn, out);
    check_stored_pairs(ix, truth, by_slot, active, acked, out);
    check_unexpected(ix, truth, tn, acked, out);
    free(by_id);
    free(by_slot);
    free(acked);
}

/* Steps that require an outcome: a 409 where success was required is a false conflict. */
static void check_expectations(const br_op_record *ops, size_t n, br_violations *out)
{
    for (size_t i = 0; i < n; i++) {
        const br_op_record *o = &ops[i];
        if (o->expect < 0 || (int)o->outcome == o->expect)
            continue;
        br_violation *v = br_violations_add(out, BR_VIOLATION_OUTCOME, o->index, -1);
        const char *what = o->expect == BR_OUTCOME_OK && o->outcome == BR_OUTCOME_FAIL ? "FALSE CONFLICT"
                                                                                       : "UNEXPECTED OUTCOME";
        snprintf(v->text, sizeof(v->text), "%s steps[%d] (%s) actor %d %s: expected %s, got %s (HTTP %ld)",
                 what, o->step, br_op_history_name(o->op), o->actor, o->actor_name,
                 o->expect == BR_OUTCOME_OK ? "success" : "a refusal", br_outcome_name(o->outcome),
                 o->status);
    }
}

size_t br_oracle_check(const br_op_record *ops, size_t op_count, const br_truth_booking *truth,
                       size_t truth_count, int truth_checked, br_violations *out)
{
    size_t before = out->total;
    oracle_index ix;
    index_build(&ix, ops, op_count);
    check_history(&ix, out);
    check_expectations(ops, op_count, out);
    if (truth_checked)
        check_truth(&ix, truth, truth_count, out);
    index_free(&ix);
    return out->total - before;
}
