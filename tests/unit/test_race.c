/*
 * The race runner (race.h) without a backend: how a pick step chooses its slot,
 * how a barrier's release is decided, the trial counts a verdict is made of,
 * and a run against a target nobody answers (an error naming the target, the
 * trial kept, never a verdict).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "race.h"
#include "ports.h"

static br_slot slot(const char *inspector, int start_h, int start_min, int hours)
{
    br_slot s;
    memset(&s, 0, sizeof(s));
    snprintf(s.inspector, sizeof(s.inspector), "%s", inspector);
    s.start_us = ((int64_t)start_h * 60 + start_min) * 60 * 1000000;
    s.end_us = s.start_us + (int64_t)hours * 3600 * 1000000;
    return s;
}

/* martin 09:00, martin 10:00, lena 09:00, martin 13:00, martin 09:30 (2 h services). */
static br_slot list[5];
static const br_slot *cands[5];

static int setup_list(void **state)
{
    (void)state;
    list[0] = slot("martin", 9, 0, 2);
    list[1] = slot("martin", 10, 0, 2);
    list[2] = slot("lena", 9, 0, 2);
    list[3] = slot("martin", 13, 0, 2);
    list[4] = slot("martin", 9, 30, 2);
    for (int i = 0; i < 5; i++)
        cands[i] = &list[i];
    return 0;
}

static void test_pick_first_and_nth(void **state)
{
    (void)state;
    assert_ptr_equal(br_pick_slot(BR_PICK_FIRST, 0, 0, NULL, cands, 5), &list[0]);
    assert_ptr_equal(br_pick_slot(BR_PICK_NTH, 3, 0, NULL, cands, 5), &list[3]);
    assert_ptr_equal(br_pick_slot(BR_PICK_NTH, 4, 0, NULL, cands, 5), &list[4]);
    /* Past the end, or an empty list: nothing (the step notes it and the actor sits out). */
    assert_null(br_pick_slot(BR_PICK_NTH, 5, 0, NULL, cands, 5));
    assert_null(br_pick_slot(BR_PICK_FIRST, 0, 0, NULL, cands, 0));
    assert_null(br_pick_slot(BR_PICK_RANDOM, 0, 7, NULL, cands, 0));
}

/* The same key always picks the same slot; over many keys every candidate is picked. */
static void test_pick_random_is_a_function_of_the_key(void **state)
{
    (void)state;
    int seen[5] = {0};
    for (uint64_t key = 0; key < 200; key++) {
        const br_slot *a = br_pick_slot(BR_PICK_RANDOM, 0, key, NULL, cands, 5);
        assert_ptr_equal(a, br_pick_slot(BR_PICK_RANDOM, 0, key, NULL, cands, 5));
        assert_true(a >= &list[0] && a <= &list[4]);
        seen[a - list]++;
    }
    for (int i = 0; i < 5; i++)
        if (seen[i] == 0)
            fail_msg("choose random never picked candidate %d in 200 keys", i);
}

static void test_pick_same_as(void **state)
{
    (void)state;
    br_slot other = slot("martin", 10, 0, 2);
    assert_ptr_equal(br_pick_slot(BR_PICK_SAME_AS, 0, 0, &other, cands, 5), &list[1]);
    /* Same start, other inspector: not the same slot. */
    br_slot lena = slot("lena", 10, 0, 2);
    assert_null(br_pick_slot(BR_PICK_SAME_AS, 0, 0, &lena, cands, 5));
    /* The other actor's slot is not in this actor's list (a stale or filtered list). */
    assert_null(br_pick_slot(BR_PICK_SAME_AS, 0, 0, &other, cands, 1));
}

/* overlapping: same inspector, intersecting, not the other's own slot, nearest start first. */
static void test_pick_overlapping(void **state)
{
    (void)state;
    br_slot other = slot("martin", 9, 0, 2); /* 09:00-11:00 */
    /* 09:30 (30 min away) beats 10:00 (60 min); 13:00 does not overlap; lena's 09:00 is someone else. */
    assert_ptr_equal(br_pick_slot(BR_PICK_OVERLAPPING, 0, 0, &other, cands, 5), &list[4]);
    /* Without the 09:30 slot, 10:00. */
    const br_slot *fewer[] = {&list[0], &list[1], &list[2], &list[3]};
    assert_ptr_equal(br_pick_slot(BR_PICK_OVERLAPPING, 0, 0, &other, fewer, 4), &list[1]);
    /* Slots that only touch (11:00 after 09:00-11:00) do not overlap. */
    br_slot touching = slot("martin", 11, 0, 2);
    const br_slot *only_touching[] = {&list[0], &touching};
    assert_null(br_pick_slot(BR_PICK_OVERLAPPING, 0, 0, &other, only_touching, 2));
}

static void test_barrier_release(void **state)
{
    (void)state;
    br_step barrier;
    memset(&barrier, 0, sizeof(barrier));
    barrier.kind = BR_STEP_BARRIER;
    /* No barrier: the requests go as they are. */
    assert_int_equal(br_barrier_release(NULL, 0), BR_RELEASE_PLAIN);
    assert_int_equal(br_barrier_release(NULL, 1), BR_RELEASE_PLAIN);
    /* A barrier that names none: last-byte, or single-packet when the target speaks HTTP/2. */
    barrier.release = BR_RELEASE_LAST_BYTE;
    barrier.release_given = 0;
    assert_int_equal(br_barrier_release(&barrier, 0), BR_RELEASE_LAST_BYTE);
    assert_int_equal(br_barrier_release(&barrier, 1), BR_RELEASE_SINGLE_PACKET);
    /* A named release is kept whatever the target speaks. */
    barrier.release_given = 1;
    barrier.release = BR_RELEASE_PLAIN;
    assert_int_equal(br_barrier_release(&barrier, 1), BR_RELEASE_PLAIN);
    barrier.release = BR_RELEASE_LAST_BYTE;
    assert_int_equal(br_barrier_release(&barrier, 1), BR_RELEASE_LAST_BYTE);
    barrier.release = BR_RELEASE_SINGLE_PACKET;
    assert_int_equal(br_barrier_release(&barrier, 0), BR_RELEASE_SINGLE_PACKET);
}

static void test_trial_counts(void **state)
{
    (void)state;
    br_trial trials[5];
    memset(trials, 0, sizeof(trials));
    br_violation v[3];
    memset(v, 0, sizeof(v));
    trials[0].cls = BR_TRIAL_VIOLATION;
    trials[0].violations = (br_violations){.items = v, .count = 2, .cap = 3};
    trials[1].cls = BR_TRIAL_CLEAN;
    trials[2].cls = BR_TRIAL_INCONCLUSIVE;
    trials[3].cls = BR_TRIAL_VIOLATION;
    trials[3].violations = (br_violations){.items = v, .count = 1, .cap = 3};
    trials[4].cls = BR_TRIAL_TARGET_ERROR;
    /* A violation explained away (judge.h) is not counted as one. */
    trials[4].explained = (br_violations){.items = v, .count = 1, .cap = 3};
    br_run_result r = {.trials = trials, .trial_count = 5};
    assert_int_equal(br_run_trials_with_violations(&r), 2);
    assert_int_equal(br_run_trials_reproduced(&r), 2);
    assert_int_equal(br_run_trials_inconclusive(&r), 1);
    size_t counts[5];
    br_run_class_counts(&r, counts);
    assert_int_equal(counts[BR_TRIAL_VIOLATION], 2);
    assert_int_equal(counts[BR_TRIAL_TARGET_ERROR], 1);
    assert_int_equal(counts[BR_TRIAL_INCONCLUSIVE], 1);
    assert_int_equal(counts[BR_TRIAL_EXPECTATION], 0);
    assert_int_equal(counts[BR_TRIAL_CLEAN], 1);
}

/* Runs same-slot-burst against the bookd profile pointed at a closed port, with or without its health check.
 */
static int run_unreachable(int with_health, char *url, size_t urlcap, br_run_result *r)
{
    char path[600], err[700];
    snprintf(path, sizeof(path), "%s/scenarios/same-slot-burst.json", BOOKRACE_SOURCE_DIR);
    br_scenario *sc = br_scenario_load(path, err, sizeof(err));
    if (sc == NULL)
        fail_msg("%s", err);
    snprintf(path, sizeof(path), "%s/scenarios/targets/bookd.json", BOOKRACE_SOURCE_DIR);
    br_target *tg = br_target_load(path, err, sizeof(err));
    if (tg == NULL)
        fail_msg("%s", err);
    assert_true(tg->ops[BR_OP_HEALTH].present);
    tg->ops[BR_OP_HEALTH].present = with_health;
    snprintf(url, urlcap, "http://127.0.0.1:%d", test_closed_port());
    char *urls[] = {url};
    assert_int_equal(br_target_set_base_urls(tg, urls, 1), 0);
    atomic_int stop = 0;
    br_run_config cfg = {
        .scenario = sc, .target = tg, .repeat = 3, .seed = 1, .threads = 2, .quiet = 1, .stop = &stop};
    snprintf(cfg.run_id, sizeof(cfg.run_id), "testrace");
    int status = br_run(&cfg, r);
    tg->ops[BR_OP_HEALTH].present = 1;
    br_target_free(tg);
    br_scenario_free(sc);
    return status;
}

/* The health pre-check fails first, naming the operation and the URL; the trial is kept, classed. */
static void test_unreachable_target_fails_the_precheck(void **state)
{
    (void)state;
    char url[64], want[128];
    br_run_result r;
    assert_int_equal(run_unreachable(1, url, sizeof(url), &r), BR_RUN_ETARGET);
    assert_int_equal(r.status, BR_RUN_ETARGET);
    snprintf(want, sizeof(want), "health operation on %s answered 0", url);
    if (strstr(r.error, want) == NULL)
        fail_msg("expected \"%s\" in: %s", want, r.error);
    assert_int_equal(r.trial_count, 1);
    assert_int_equal(r.trials[0].tally.precheck_failed, 1);
    assert_int_equal(br_run_trials_with_violations(&r), 0);
    br_run_result_free(&r);
}

/* Without a health check, the first step finds nobody there: an error, the requests it sent recorded. */
static void test_unreachable_target_is_an_error_not_a_verdict(void **state)
{
    (void)state;
    char url[64];
    br_run_result r;
    assert_int_equal(run_unreachable(0, url, sizeof(url), &r), BR_RUN_ETARGET);
    if (strstr(r.error, "steps[0] (fetch_slots): the target could not be reached") == NULL)
        fail_msg("the error does not say the target could not be reached: %s", r.error);
    /* The run stops at its first trial, which keeps what it recorded; nothing is judged found. */
    assert_int_equal(r.trial_count, 1);
    assert_true(r.trials[0].op_count > 0);
    const br_history_op *last = &r.trials[0].ops[r.trials[0].op_count - 1];
    assert_int_equal(last->rec.op, BR_OP_FETCH_SLOTS);
    assert_int_equal(last->rec.status, 0);
    assert_non_null(last->error);
    assert_int_equal(br_run_trials_with_violations(&r), 0);
    assert_true(r.finished_wall_us >= r.started_wall_us);
    br_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_pick_first_and_nth, setup_list),
        cmocka_unit_test_setup(test_pick_random_is_a_function_of_the_key, setup_list),
        cmocka_unit_test_setup(test_pick_same_as, setup_list),
        cmocka_unit_test_setup(test_pick_overlapping, setup_list),
        cmocka_unit_test(test_barrier_release),
        cmocka_unit_test(test_trial_counts),
        cmocka_unit_test(test_unreachable_target_fails_the_precheck),
        cmocka_unit_test(test_unreachable_target_is_an_error_not_a_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
