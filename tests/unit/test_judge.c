/*
 * The judge: each source of a refusal's justification (a booking listed
 * before the trial, this run's own earlier booking, the answer's evidence, a
 * booking another client made during the trial), the false conflict that
 * remains when none applies, the refusal that cannot be judged without a list,
 * target errors kept apart from expectations, and the trial classes that
 * result. Hand-written histories, no I/O.
 */
#include "judge.h"

#include "iso8601.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static int64_t at(const char *hhmm)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "2026-12-01T%s:00Z", hhmm);
    int64_t us;
    assert_int_equal(br_time_parse(buf, strlen(buf), &us), 0);
    return us;
}

static br_op_record op(int index, int actor, const char *name, br_op_kind kind, br_outcome outcome,
                       long status, const char *from, const char *to, int64_t invoke_us, int expect)
{
    br_op_record r;
    memset(&r, 0, sizeof(r));
    r.index = index;
    r.actor = actor;
    snprintf(r.actor_name, sizeof(r.actor_name), "%s", name);
    r.step = index;
    r.op = kind;
    r.outcome = outcome;
    r.status = status;
    snprintf(r.inspector, sizeof(r.inspector), "martin");
    if (from) {
        r.start_us = at(from);
        r.end_us = at(to);
    }
    r.invoke_us = r.invoke_scenario_us = invoke_us;
    r.complete_us = r.complete_scenario_us = invoke_us + 1000;
    r.expect = expect;
    return r;
}

static br_truth_booking booking(const char *id, const char *from, const char *to, int active)
{
    br_truth_booking b;
    memset(&b, 0, sizeof(b));
    snprintf(b.id, sizeof(b.id), "%s", id);
    snprintf(b.inspector, sizeof(b.inspector), "martin");
    b.start_us = at(from);
    b.end_us = at(to);
    b.active = active;
    b.ours = 0;
    return b;
}

/* Runs the oracle and the judge over |ops|; returns the trial class. */
static br_trial_class judge(br_judge_input *in, br_violations *v, br_violations *explained)
{
    memset(v, 0, sizeof(*v));
    memset(explained, 0, sizeof(*explained));
    br_oracle_check(in->ops, in->op_count, in->after, in->after_count, in->after_checked, v);
    br_trial_tally t;
    br_judge_trial(in, v, explained, &t);
    return br_trial_classify(&t);
}

/* The third run of cancel-rebook: the slot is held by a booking from an earlier run. */
static void test_refusal_justified_by_earlier_booking(void **state)
{
    (void)state;
    br_op_record ops[] = {op(0, 0, "first", BR_OP_BOOK, BR_OUTCOME_FAIL, 409, "09:26", "11:26", 100, 0)};
    br_truth_booking before[] = {booking("17", "09:00", "11:00", 1)};
    br_judge_input in = {.ops = ops, .op_count = 1, .before = before, .before_count = 1, .before_checked = 1};
    br_violations v, ex;
    assert_int_equal(judge(&in, &v, &ex), BR_TRIAL_INCONCLUSIVE);
    assert_int_equal(v.count, 0);
    assert_int_equal(ex.count, 1);
    assert_non_null(strstr(ex.items[0].text, "JUSTIFIED REFUSAL steps[0] (book) actor first: HTTP 409"));
    assert_non_null(strstr(ex.items[0].text, "booking 17 09:00-11:00 before the trial"));
    br_violations_free(&v);
    br_violations_free(&ex);
    /* A cancelled booking, or one that only touches the range, justifies nothing. */
    before[0] = booking("17", "09:00", "11:00", 0);
    assert_int_equal(judge(&in, &v, &ex), BR_TRIAL_EXPECTATION);
    assert_int_equal(v.count, 1);
    assert_non_null(strstr(v.items[0].text, "FALSE CONFLICT"));
    assert_non_null(strstr(v.items[0].text, "no active booking of martin overlapped it"));
    br_violations_free(&v);
    br_violations_free(&ex);
    before[0] = booking("17", "07:26", "09:26", 1);
    assert_int_equal(judge(&in, &v, &ex), BR_TRIAL_EXPECTATION);
    br_violations_free(&v);
    br_violations_free(&ex);
}

/* A booking listed before, which this run cancelled before the refusal was sent, does not justify it. */
static void test_cancelled_by_this_run_first(void **state)
{
    (void)state;
    br_op_record ops[] = {op(0, 0, "first", BR_OP_CANCEL, BR_OUTCOME_OK, 200, NULL, NULL, 100, 0),
                          op(1, 1, "second", BR_OP_BOOK, BR_OUTCOME_FAIL, 409, "09:26", "11:26", 5000, 0)};
    snprintf(ops[0].id, sizeof(ops[0].id), "17");
    br_truth_booking before[] = {booking("17", "09:26", "11:26", 1)};
    br_judge_input in = {.ops = ops, .op_count = 2, .before = before, .before_count = 1, .before_checked = 1};
    char why[400];
    assert_int_equal(br_judge_refusal(&in, 1, why, sizeof(why)), BR_REFUSAL_FALSE);
    /* Sent before the cancel completed: the server may have ordered it first. */
    ops[1].invoke_us = 500;
    assert_int_equal(br_judge_refusal(&in, 1, why, sizeof(why)), BR_REFUSAL_JUSTIFIED);
}

static void test_refusal_justified_by_this_run(void **state)
{
    (void)state;
    br_op_record ops[] = {op(0, 0, "melinda", BR_OP_BOOK, BR_OUTCOME_OK, 201, "09:26", "11:26", 100, 0),
                          op(1, 1, "pine", BR_OP_BOOK, BR_OUTCOME_FAIL, 409, "09:29", "11:29", 5000, 0)};
    br_judge_input in = {.ops = ops, .op_count = 2, .before_checked = 1};
    char why[400];
    assert_int_equal(br_judge_refusal(&in, 1, why, sizeof(why)), BR_REFUSAL_JUSTIFIED);
    assert_non_null(strstr(why, "actor melinda's book 09:26-11:26 acknowledged"));
    /* An indeterminate booking may have taken effect: it justifies too. */
    ops[0].outcome = BR_OUTCOME_INFO;
    ops[0].status = 0;
    assert_int_equal(br_judge_refusal(&in, 1, why, sizeof(why)), BR_REFUSAL_JUSTIFIED);
    /* One sent after the refusal completed cannot have. */
    ops[0].invoke_us = 9000;
    assert_int_equal(br_judge_refusal(&in, 1, why, sizeof(why)), BR_REFUSAL_FALSE);
    /* The actor's own hold does not justify its booking being refused. */
    ops[0] = op(0, 1, "pine", BR_OP_HOLD, BR_OUTCOME_OK, 201, "09:29", "11:29", 100, 0);
    assert_int_equal(br_judge_refusal(&in, 1, why, sizeof(why)), BR_REFUSAL_FALSE);
    ops[0].actor = 0;
    assert_int_equal(br_judge_refusal(&in, 1, why, sizeof(why)), BR_REFUSAL_JUSTIFIED);
}

static void test_conflict_evidence(void **state)
{
    (void)state;
    br_op_record ops[] = {op(0, 0, "pine", BR_OP_BOOK, BR_OUTCOME_FAIL, 409, "09:29", "11:29", 100, 0)};
    br_conflict_evidence ev[1];
    memset(ev, 0, sizeof(ev));
    ev[0].present = 1;
    snprintf(ev[0].id, sizeof(ev[0].id), "64b0");
    ev[0].start_us = at("09:26");
    ev[0].end_us = at("11:26");
    /* No list at all: the target's own evidence decides. */
    br_judge_input in = {.ops = ops, .op_count = 1, .evidence = ev};
    char why[400];
    assert_int_equal(br_judge_refusal(&in, 0, why, sizeof(why)), BR_REFUSAL_JUSTIFIED);
    assert_non_null(strstr(why, "the target named booking 64b0 09:26-11:26"));
    ev[0].start_us = at("12:00");
    ev[0].end_us = at("14:00");
    assert_int_equal(br_judge_refusal(&in, 0, why, sizeof(why)), BR_REFUSAL_FALSE);
    assert_non_null(strstr(why, "does not overlap"));
    /* Evidence of another inspector does not justify either. */
    ev[0].start_us = at("09:26");
    ev[0].end_us = at("11:26");
    snprintf(ev[0].inspector, sizeof(ev[0].inspector), "ana");
    assert_int_equal(br_judge_refusal(&in, 0, why, sizeof(why)), BR_REFUSAL_FALSE);
}

static void test_without_list_cannot_judge(void **state)
{
    (void)state;
    br_op_record ops[] = {op(0, 0, "first", BR_OP_BOOK, BR_OUTCOME_FAIL, 409, "09:26", "11:26", 100, 0)};
    br_judge_input in = {.ops = ops, .op_count = 1};
    br_violations v, ex;
    assert_int_equal(judge(&in, &v, &ex), BR_TRIAL_INCONCLUSIVE);
    assert_int_equal(v.count, 0);
    assert_int_equal(ex.count, 1);
    assert_non_null(strstr(ex.items[0].text, "REFUSAL NOT JUDGED"));
    assert_non_null(strstr(ex.items[0].text, "false conflicts cannot be judged"));
    br_violations_free(&v);
    br_violations_free(&ex);
}

static void test_other_client_during_trial(void **state)
{
    (void)state;
    br_op_record ops[] = {op(0, 0, "first", BR_OP_BOOK, BR_OUTCOME_FAIL, 409, "09:26", "11:26", 100, 0)};
    br_truth_booking after[] = {booking("99", "09:30", "10:30", 1)};
    br_judge_input in = {
        .ops = ops, .op_count = 1, .before_checked = 1, .after = after, .after_count = 1, .after_checked = 1};
    char why[400];
    assert_int_equal(br_judge_refusal(&in, 0, why, sizeof(why)), BR_REFUSAL_JUSTIFIED);
    assert_non_null(strstr(why, "another client appeared during the trial"));
    /* Tagged as this run's: not another client. */
    after[0].ours = 1;
    assert_int_equal(br_judge_refusal(&in, 0, why, sizeof(why)), BR_REFUSAL_FALSE);
}

/* A wrong API key: every request 401. Not an expectation failure, not reproduced: the target failed. */
static void test_target_errors_apart(void **state)
{
    (void)state;
    br_op_record ops[] = {op(0, 0, "melinda", BR_OP_FETCH_SLOTS, BR_OUTCOME_FAIL, 401, NULL, NULL, 100, 0),
                          op(1, 1, "pine", BR_OP_FETCH_SLOTS, BR_OUTCOME_FAIL, 401, NULL, NULL, 100, 0)};
    br_judge_input in = {.ops = ops, .op_count = 2, .before_checked = 1};
    br_violations v, ex;
    assert_int_equal(judge(&in, &v, &ex), BR_TRIAL_TARGET_ERROR);
    assert_int_equal(v.count, 0);
    assert_int_equal(ex.count, 2);
    assert_non_null(
        strstr(ex.items[0].text, "TARGET ERROR steps[0] (fetch_slots) actor melinda: answered HTTP 401"));
    br_violations_free(&v);
    br_violations_free(&ex);
    char line[256];
    const char *errors[] = {NULL, NULL};
    br_judge_target_answers(ops, errors, 2, line, sizeof(line));
    assert_string_equal(line, "2 x 401");
    ops[1].status = 0;
    ops[1].outcome = BR_OUTCOME_INFO;
    errors[1] = "Timeout was reached";
    br_judge_target_answers(ops, errors, 2, line, sizeof(line));
    assert_string_equal(line, "1 x 401, 1 x no response (Timeout was reached)");
    ops[0].status = 200;
    ops[0].outcome = BR_OUTCOME_OK;
    ops[1].status = 409;
    ops[1].outcome = BR_OUTCOME_FAIL;
    br_judge_target_answers(ops, errors, 2, line, sizeof(line));
    assert_string_equal(line, "no failed request");
}

/* Racers that timed out: inconclusive, even though the double booking check found nothing. */
static void test_raced_without_answers(void **state)
{
    (void)state;
    br_op_record ops[] = {op(0, 0, "a", BR_OP_BOOK, BR_OUTCOME_OK, 201, "09:00", "11:00", 100, -1),
                          op(1, 1, "b", BR_OP_BOOK, BR_OUTCOME_INFO, 0, "09:00", "11:00", 100, -1)};
    unsigned char raced[] = {1, 1};
    br_judge_input in = {.ops = ops, .op_count = 2, .raced = raced, .before_checked = 1};
    br_violations v, ex;
    assert_int_equal(judge(&in, &v, &ex), BR_TRIAL_INCONCLUSIVE);
    br_violations_free(&v);
    br_violations_free(&ex);
    /* Both definite and both acknowledged: the double booking is a violation. */
    ops[1].outcome = BR_OUTCOME_OK;
    ops[1].status = 201;
    snprintf(ops[0].id, sizeof(ops[0].id), "1");
    snprintf(ops[1].id, sizeof(ops[1].id), "2");
    assert_int_equal(judge(&in, &v, &ex), BR_TRIAL_VIOLATION);
    br_violations_free(&v);
    br_violations_free(&ex);
}

static void test_truth_holds_any(void **state)
{
    (void)state;
    br_truth_booking t[] = {booking("1", "09:00", "10:00", 0), booking("2", "10:00", "11:00", 1)};
    const char *martin[] = {"martin"}, *ana[] = {"ana"};
    assert_true(br_truth_holds_any(t, 2, martin, 1));
    assert_false(br_truth_holds_any(t, 2, ana, 1));
    assert_true(br_truth_holds_any(t, 2, NULL, 0));
    assert_false(br_truth_holds_any(t, 1, NULL, 0));
    assert_false(br_truth_holds_any(NULL, 0, martin, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusal_justified_by_earlier_booking),
        cmocka_unit_test(test_cancelled_by_this_run_first),
        cmocka_unit_test(test_refusal_justified_by_this_run),
        cmocka_unit_test(test_conflict_evidence),
        cmocka_unit_test(test_without_list_cannot_judge),
        cmocka_unit_test(test_other_client_during_trial),
        cmocka_unit_test(test_target_errors_apart),
        cmocka_unit_test(test_raced_without_answers),
        cmocka_unit_test(test_truth_holds_any),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
