/*
 * The judge (judge.h): after the oracle has found what the history and the
 * stored bookings show, it separates the target's failures from the
 * scenario's expectations and looks for the booking that justified each
 * refusal, so a repeated run against a database that keeps yesterday's
 * bookings reports "justified" instead of a false conflict.
 */
#include "judge.h"

#include "iso8601.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int overlaps(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    return a0 < b1 && b0 < a1;
}

static void hhmm_range(int64_t s, int64_t e, char *out, size_t cap)
{
    char a[BR_TIME_BUFSIZE], b[BR_TIME_BUFSIZE];
    br_time_format(s, a);
    br_time_format(e, b);
    snprintf(out, cap, "%.5s-%.5s", a + 11, b + 11);
}

/* Whether this run cancelled booking |id| (acknowledged) before |before_us|. */
static int cancelled_before(const br_judge_input *in, const char *id, int64_t before_us)
{
    for (size_t i = 0; i < in->op_count; i++) {
        const br_op_record *c = &in->ops[i];
        if (c->op == BR_OP_CANCEL && c->outcome == BR_OUTCOME_OK && id[0] && strcmp(c->id, id) == 0 &&
            c->complete_us <= before_us)
            return 1;
    }
    return 0;
}

static int same_slot_space(const br_op_record *r, const char *inspector, int64_t s, int64_t e)
{
    return strcmp(r->inspector, inspector) == 0 && overlaps(r->start_us, r->end_us, s, e);
}

/* 1: a booking listed before the trial holds the range. */
static int by_earlier_booking(const br_judge_input *in, const br_op_record *r, char *why, size_t cap)
{
    for (size_t i = 0; in->before_checked && i < in->before_count; i++) {
        const br_truth_booking *b = &in->before[i];
        if (!b->active || !same_slot_space(r, b->inspector, b->start_us, b->end_us) ||
            cancelled_before(in, b->id, r->invoke_us))
            continue;
        char range[32];
        hhmm_range(b->start_us, b->end_us, range, sizeof(range));
        snprintf(why, cap, "inspector %s already had booking %s %s before the trial", b->inspector, b->id,
                 range);
        return 1;
    }
    return 0;
}

/* 2: this run's own booking or another actor's hold, sent before the refusal completed. */
static int by_this_run(const br_judge_input *in, const br_op_record *r, char *why, size_t cap)
{
    for (size_t i = 0; i < in->op_count; i++) {
        const br_op_record *o = &in->ops[i];
        if (o == r || (o->op != BR_OP_BOOK && o->op != BR_OP_HOLD) || o->outcome == BR_OUTCOME_FAIL ||
            (o->op == BR_OP_HOLD && o->actor == r->actor) || o->invoke_us > r->complete_us ||
            !same_slot_space(r, o->inspector, o->start_us, o->end_us) ||
            (o->op == BR_OP_BOOK && cancelled_before(in, o->id, r->invoke_us)))
            continue;
        char range[32];
        hhmm_range(o->start_us, o->end_us, range, sizeof(range));
        snprintf(why, cap, "actor %s's %s %s %s (%s at +%.3fs) came first", o->actor_name,
                 br_op_history_name(o->op), range,
                 o->outcome == BR_OUTCOME_OK ? "acknowledged" : "indeterminate, may have taken effect",
                 o->outcome == BR_OUTCOME_OK ? "answered" : "sent", (double)o->invoke_scenario_us / 1e6);
        return 1;
    }
    return 0;
}

/* 3: the conflict answer names what it conflicted with. 1 justified, 0 no evidence, -1 evidence that does not
 * overlap. */
static int by_evidence(const br_judge_input *in, size_t idx, const br_op_record *r, char *why, size_t cap)
{
    if (in->evidence == NULL || !in->evidence[idx].present)
        return 0;
    const br_conflict_evidence *e = &in->evidence[idx];
    const char *insp = e->inspector[0] ? e->inspector : r->inspector;
    if (e->end_us > e->start_us) {
        char range[32];
        hhmm_range(e->start_us, e->end_us, range, sizeof(range));
        if (!same_slot_space(r, insp, e->start_us, e->end_us)) {
            snprintf(why, cap, "the target named booking %s %s of %s, which does not overlap",
                     e->id[0] ? e->id : "?", range, insp);
            return -1;
        }
        snprintf(why, cap, "the target named booking %s %s of inspector %s", e->id[0] ? e->id : "?", range,
                 insp);
        return 1;
    }
    /* An id alone: justified when a listed booking with that id holds the range. */
    const br_truth_booking *lists[] = {in->before, in->after};
    size_t counts[] = {in->before_count, in->after_count};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; e->id[0] && lists[l] && i < counts[l]; i++)
            if (strcmp(lists[l][i].id, e->id) == 0 &&
                same_slot_space(r, lists[l][i].inspector, lists[l][i].start_us, lists[l][i].end_us)) {
                snprintf(why, cap, "the target named booking %s, which overlaps", e->id);
                return 1;
            }
    return 0;
}

static int listed_before(const br_judge_input *in, const char *id)
{
    for (size_t i = 0; i < in->before_count; i++)
        if (strcmp(in->before[i].id, id) == 0)
            return 1;
    return 0;
}

static int acknowledged_by_run(const br_judge_input *in, const char *id)
{
    for (size_t i = 0; i < in->op_count; i++)
        if (in->ops[i].op == BR_OP_BOOK && in->ops[i].outcome == BR_OUTCOME_OK &&
            strcmp(in->ops[i].id, id) == 0)
            return 1;
    return 0;
}

/* 4: another client's booking that appeared during the trial. */
static int by_other_client(const br_judge_input *in, const br_op_record *r, char *why, size_t cap)
{
    for (size_t i = 0; in->after_checked && in->before_checked && i < in->after_count; i++) {
        const br_truth_booking *b = &in->after[i];
        if (!b->active || b->ours == 1 || !same_slot_space(r, b->inspector, b->start_us, b->end_us) ||
            listed_before(in, b->id) || acknowledged_by_run(in, b->id))
            continue;
        char range[32];
        hhmm_range(b->start_us, b->end_us, range, sizeof(range));
        snprintf(why, cap, "booking %s %s of another client appeared during the trial", b->id, range);
        return 1;
    }
    return 0;
}

/* A booking refused although its own actor's hold on the range was acknowledged first: the slot was its. */
static int own_hold(const br_judge_input *in, const br_op_record *r, char *why, size_t cap)
{
    for (size_t i = 0; r->op == BR_OP_BOOK && i < in->op_count; i++) {
        const br_op_record *h = &in->ops[i];
        if (h->op != BR_OP_HOLD || h->actor != r->actor || h->outcome != BR_OUTCOME_OK ||
            h->complete_us > r->invoke_us || !same_slot_space(r, h->inspector, h->start_us, h->end_us))
            continue;
        char range[32];
        hhmm_range(h->start_us, h->end_us, range, sizeof(range));
        snprintf(why, cap, "its own hold %s was acknowledged at +%.3fs: the slot was its to book", range,
                 (double)h->complete_scenario_us / 1e6);
        return 1;
    }
    return 0;
}

br_refusal_kind br_judge_refusal(const br_judge_input *in, size_t i, char *why, size_t whylen)
{
    const br_op_record *r = &in->ops[i];
    if (own_hold(in, r, why, whylen))
        return BR_REFUSAL_FALSE;
    if (by_earlier_booking(in, r, why, whylen) || by_this_run(in, r, why, whylen))
        return BR_REFUSAL_JUSTIFIED;
    int ev = by_evidence(in, i, r, why, whylen);
    if (ev > 0)
        return BR_REFUSAL_JUSTIFIED;
    if (by_other_client(in, r, why, whylen))
        return BR_REFUSAL_JUSTIFIED;
    if (ev < 0)
        return BR_REFUSAL_FALSE;
    if (in->before_checked) {
        snprintf(why, whylen, "no active booking of %s overlapped it before or during the trial",
                 r->inspector);
        return BR_REFUSAL_FALSE;
    }
    snprintf(why, whylen,
             "false conflicts cannot be judged: the profile has no list operation (or it failed) and the "
             "answer carries no conflictEvidence");
    return BR_REFUSAL_UNJUDGED;
}

static int is_target_error(const br_op_record *o)
{
    return o->outcome != BR_OUTCOME_OK && br_status_is_target_error(o->status);
}

static void move(br_violations *to, const br_violation *v, const char *text)
{
    br_violation *x = br_violations_add(to, v->kind, v->op_a, v->op_b);
    snprintf(x->text, sizeof(x->text), "%s", text);
}

/* Re-reads one outcome finding; returns 1 when it moved to |explained|. */
static int explain(const br_judge_input *in, br_violation *v, br_violations *explained, br_trial_tally *tally)
{
    const br_op_record *o = &in->ops[v->op_a];
    char text[768], why[400];
    if (is_target_error(o)) {
        snprintf(text, sizeof(text), "TARGET ERROR steps[%d] (%s) actor %s: answered %s%ld instead of %s",
                 o->step, br_op_history_name(o->op), o->actor_name,
                 o->status ? "HTTP " : "no response, status ", o->status,
                 o->expect == BR_OUTCOME_OK ? "a success" : "a refusal");
        move(explained, v, text);
        return 1;
    }
    if (!(o->expect == BR_OUTCOME_OK && o->outcome == BR_OUTCOME_FAIL &&
          (o->op == BR_OP_BOOK || o->op == BR_OP_HOLD)))
        return 0;
    br_refusal_kind k = br_judge_refusal(in, (size_t)v->op_a, why, sizeof(why));
    if (k == BR_REFUSAL_FALSE) {
        size_t len = strlen(v->text);
        snprintf(v->text + len, sizeof(v->text) - len, ": %.*s", (int)(sizeof(v->text) - len), why);
        return 0;
    }
    snprintf(text, sizeof(text), "%s steps[%d] (%s) actor %s: HTTP %ld, %s",
             k == BR_REFUSAL_JUSTIFIED ? "JUSTIFIED REFUSAL" : "REFUSAL NOT JUDGED", o->step,
             br_op_history_name(o->op), o->actor_name, o->status, why);
    move(explained, v, text);
    tally->blocked++;
    return 1;
}

void br_judge_trial(const br_judge_input *in, br_violations *v, br_violations *explained,
                    br_trial_tally *tally)
{
    memset(tally, 0, sizeof(*tally));
    tally->barrier_short = in->barrier_short;
    tally->precheck_failed = in->precheck_failed;
    for (size_t i = 0; i < in->op_count; i++) {
        const br_op_record *o = &in->ops[i];
        if (o->op > BR_OP_CANCEL) /* the harness's own list, clock, reset and health requests */
            continue;
        int bad = is_target_error(o), raced = in->raced && in->raced[i];
        tally->requests++;
        tally->target_errors += (size_t)bad;
        tally->racers += (size_t)raced;
        tally->racers_definite += raced && o->outcome != BR_OUTCOME_INFO && !bad;
        /* A step the target failed did not run as written: what follows it judges nothing. */
        tally->blocked += !raced && bad;
    }
    size_t kept = 0;
    for (size_t i = 0; i < v->count; i++) {
        br_violation *x = &v->items[i];
        int moved = x->kind == BR_VIOLATION_OUTCOME && x->op_a >= 0 && (size_t)x->op_a < in->op_count &&
                    explain(in, x, explained, tally);
        if (moved)
            continue;
        if (x->kind == BR_VIOLATION_OUTCOME)
            tally->expectation_failures++;
        else
            tally->invariant_violations++;
        v->items[kept++] = *x;
    }
    v->listed[BR_VIOLATION_OUTCOME] -= v->count - kept; /* only outcome findings move */
    v->total -= v->count - kept;
    v->count = kept;
}

int br_truth_holds_any(const br_truth_booking *truth, size_t n, const char *const *inspectors, size_t count)
{
    for (size_t i = 0; i < n; i++) {
        if (!truth[i].active)
            continue;
        if (count == 0)
            return 1;
        for (size_t k = 0; k < count; k++)
            if (strcmp(truth[i].inspector, inspectors[k]) == 0)
                return 1;
    }
    return 0;
}

void br_judge_target_answers(const br_op_record *ops, const char *const *errors, size_t n, char *out,
                             size_t cap)
{
    /* Distinct answers in order of first appearance, each with its count. */
    long statuses[16];
    const char *texts[16];
    size_t counts[16], kinds = 0, other = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_target_error(&ops[i]) || ops[i].op > BR_OP_CANCEL)
            continue;
        const char *err = errors && ops[i].status == 0 ? errors[i] : NULL;
        size_t k = 0;
        while (k < kinds && !(statuses[k] == ops[i].status &&
                              (err == NULL ? texts[k] == NULL : texts[k] && strcmp(texts[k], err) == 0)))
            k++;
        if (k == kinds) {
            if (kinds == 16) {
                other++;
                continue;
            }
            statuses[kinds] = ops[i].status;
            texts[kinds] = err;
            counts[kinds++] = 0;
        }
        counts[k]++;
    }
    size_t len = 0;
    out[0] = '\0';
    for (size_t k = 0; k < kinds && len < cap; k++) {
        if (statuses[k] == 0)
            len +=
                (size_t)snprintf(out + len, cap - len, "%s%zu x no response%s%s%s", k ? ", " : "", counts[k],
                                 texts[k] ? " (" : "", texts[k] ? texts[k] : "", texts[k] ? ")" : "");
        else
            len +=
                (size_t)snprintf(out + len, cap - len, "%s%zu x %ld", k ? ", " : "", counts[k], statuses[k]);
    }
    if (other && len < cap)
        snprintf(out + len, cap - len, ", %zu more", other);
    if (kinds == 0)
        snprintf(out, cap, "no failed request");
}
