/*
 * shrink's pure core: the dependency closure keeps exactly what a violating
 * pair needs (a hold its book converts, the other actor's pick a same-as pick
 * reads, barriers and timing), drops cascade to what depended on the dropped,
 * every candidate document loads as a scenario, the witness is read from a
 * run.json, and ddmin finds the minimal set against a simulated target.
 */
#include "shrink.h"

#include "scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *doc = json_loads(text, 0, &e);
    if (doc == NULL)
        fail_msg("bad test JSON: %s at %d:%d", e.text, e.line, e.column);
    return doc;
}

static br_scenario *scenario(json_t *doc)
{
    char err[1024];
    br_scenario *sc = br_scenario_from_json(doc, "test.json", err, sizeof(err));
    if (sc == NULL)
        fail_msg("%s", err);
    return sc;
}

/* same-slot-burst in small: 4 actors fetch, pick, race to book. */
static const char burst[] =
    "{\"name\": \"burst\", \"date\": \"2026-12-01\", \"description\": \"d\","
    " \"actors\": {\"count\": 4, \"namePrefix\": \"customer\", \"lat\": 30, \"lng\": 0},"
    " \"steps\": [{\"do\": \"fetch_slots\", \"save\": \"slots\", \"expect\": \"ok\"},"
    "  {\"do\": \"pick\", \"from\": \"slots\", \"save\": \"slot\"},"
    "  {\"do\": \"barrier\", \"release\": \"last-byte\"},"
    "  {\"do\": \"book\", \"slot\": \"slot\", \"save\": \"booking\"},"
    "  {\"do\": \"advance\", \"seconds\": 60},"
    "  {\"do\": \"cancel\", \"booking\": \"booking\"}]}";

/* A candidate document loads, with |actors| actors and |steps| steps; returns it parsed. */
static br_scenario *candidate(const br_scenario *sc, json_t *src, const br_shrink_set *s, size_t actors,
                              size_t steps)
{
    json_t *doc = br_shrink_scenario_json(sc, src, s, "burst-minimal", "shrunk");
    assert_non_null(doc);
    br_scenario *c = scenario(doc);
    json_decref(doc);
    assert_int_equal(c->actor_count, actors);
    assert_int_equal(c->step_count, steps);
    assert_string_equal(c->name, "burst-minimal");
    return c;
}

static void test_seed_keeps_the_pair_and_what_it_needs(void **state)
{
    (void)state;
    json_t *src = parse(burst);
    br_scenario *sc = scenario(src);
    br_shrink_witness w = {.kind = "double-booking", .count = 2, .actors = {1, 3}, .steps = {3, 3}};
    br_shrink_set s;
    br_shrink_seed(sc, &w, &s);
    assert_int_equal(br_shrink_actors_kept(&s), 2);
    /* fetch, pick, barrier, book and the advance (timing stays); not the cancel nobody needs. */
    assert_int_equal(br_shrink_steps_kept(&s), 5);
    assert_false(br_shrink_step_kept(&s, 5));
    br_scenario *c = candidate(sc, src, &s, 2, 5);
    assert_string_equal(c->actors[0].name, "customer1");
    assert_string_equal(c->actors[1].name, "customer3");
    assert_int_equal(c->steps[2].kind, BR_STEP_BARRIER);
    assert_int_equal(c->steps[2].actor_count, 2);
    assert_int_equal(c->steps[3].barrier, 2);
    assert_int_equal(c->steps[2].release, BR_RELEASE_LAST_BYTE);
    assert_true(c->steps[4].kind == BR_STEP_ADVANCE && c->steps[4].seconds == 60);
    /* Actors keep their coordinates: the generator's lat for every one. */
    assert_true(c->actors[1].lat == 30.0);
    br_scenario_free(c);
    br_shrink_set_free(&s);
    br_scenario_free(sc);
    json_decref(src);
}

static void test_hold_is_kept_for_the_book_that_converts_it(void **state)
{
    (void)state;
    json_t *src = parse("{\"name\": \"hold-race\", \"date\": \"2026-12-01\","
                        " \"actors\": {\"count\": 8, \"lat\": 30, \"lng\": 0},"
                        " \"steps\": [{\"do\": \"fetch_slots\", \"save\": \"slots\"},"
                        "  {\"do\": \"pick\", \"from\": \"slots\", \"save\": \"slot\"},"
                        "  {\"do\": \"barrier\"},"
                        "  {\"do\": \"hold\", \"slot\": \"slot\", \"save\": \"hold\"},"
                        "  {\"do\": \"book\", \"slot\": \"slot\", \"hold\": \"hold\", \"expect\": \"ok\"}]}");
    br_scenario *sc = scenario(src);
    br_shrink_witness w = {.kind = "double-booking", .count = 2, .actors = {2, 6}, .steps = {4, 4}};
    br_shrink_set s;
    br_shrink_seed(sc, &w, &s);
    br_scenario *c = candidate(sc, src, &s, 2, 5);
    assert_int_equal(c->steps[3].kind, BR_STEP_HOLD);
    assert_string_equal(c->steps[4].hold, "hold");
    br_scenario_free(c);
    /* Dropping the hold step takes the book that converts it with it: nothing races any more. */
    size_t hold_step = 3;
    br_shrink_drop_steps(sc, &s, &hold_step, 1);
    assert_false(br_shrink_step_kept(&s, 4));
    assert_false(br_shrink_step_kept(&s, 2)); /* the barrier went with the step it released */
    br_shrink_set_free(&s);
    br_scenario_free(sc);
    json_decref(src);
}

/* b picks the same slot as a: keeping b's book keeps a's pick (and fetch), not a's book. */
static const char same_as[] =
    "{\"name\": \"same-as\", \"date\": \"2026-12-01\","
    " \"actors\": [{\"name\": \"a\", \"lat\": 1, \"lng\": 2}, {\"name\": \"b\", \"lat\": 3, \"lng\": 4},"
    "              {\"name\": \"c\", \"lat\": 5, \"lng\": 6}],"
    " \"steps\": [{\"do\": \"fetch_slots\", \"save\": \"list\"},"
    "  {\"do\": \"pick\", \"actors\": \"a\", \"from\": \"list\", \"save\": \"slot\"},"
    "  {\"do\": \"pick\", \"actors\": [\"b\", \"c\"], \"from\": \"list\", \"choose\": \"same-as\","
    "   \"actor\": \"a\", \"save\": \"slot\"},"
    "  {\"do\": \"book\", \"slot\": \"slot\"}]}";

static void test_same_as_pick_keeps_the_other_actor(void **state)
{
    (void)state;
    json_t *src = parse(same_as);
    br_scenario *sc = scenario(src);
    br_shrink_witness w = {.kind = "lost", .count = 1, .actors = {1}, .steps = {3}};
    br_shrink_set s;
    br_shrink_seed(sc, &w, &s);
    assert_int_equal(br_shrink_actors_kept(&s), 2);
    assert_true(br_shrink_actor_kept(&s, 0) && br_shrink_actor_kept(&s, 1));
    br_scenario *c = candidate(sc, src, &s, 2, 4);
    assert_int_equal(c->steps[3].actor_count, 1); /* only b books */
    assert_string_equal(c->actors[c->steps[3].actors[0]].name, "b");
    br_scenario_free(c);
    br_shrink_set_free(&s);

    /* Dropping a from the full scenario cascades to b's and c's picks and books. */
    br_shrink_set_init(&s, sc, 1);
    size_t a = 0;
    br_shrink_drop_actors(sc, &s, &a, 1);
    assert_int_equal(br_shrink_actors_kept(&s), 2); /* b and c still fetch */
    assert_false(br_shrink_step_kept(&s, 2));
    assert_false(br_shrink_step_kept(&s, 3));
    br_shrink_set_free(&s);
    br_scenario_free(sc);
    json_decref(src);
}

static void test_empty_candidate_has_no_document(void **state)
{
    (void)state;
    json_t *src = parse(burst);
    br_scenario *sc = scenario(src);
    br_shrink_set s;
    br_shrink_set_init(&s, sc, 1);
    size_t fetch = 0;
    br_shrink_drop_steps(sc, &s, &fetch, 1);
    assert_int_equal(br_shrink_actors_kept(&s), 0);
    assert_false(br_shrink_step_kept(&s, 4)); /* the advance goes when nothing is left */
    assert_null(br_shrink_scenario_json(sc, src, &s, "x", "y"));
    /* Barriers and timing steps are never dropped on their own. */
    assert_false(br_shrink_step_droppable(sc, 2));
    assert_false(br_shrink_step_droppable(sc, 4));
    assert_true(br_shrink_step_droppable(sc, 1));
    br_shrink_set_free(&s);
    br_scenario_free(sc);
    json_decref(src);
}

static void test_witness_from_run_json(void **state)
{
    (void)state;
    json_t *src = parse(burst);
    br_scenario *sc = scenario(src);
    json_t *run =
        parse("{\"trials\": [{\"violations\": [], \"history\": []},"
              " {\"violations\": [{\"kind\": \"outcome\", \"text\": \"FALSE CONFLICT\", \"ops\": [1]},"
              "   {\"kind\": \"double-booking\", \"text\": \"DOUBLE BOOKING x\", \"ops\": [2, 3]}],"
              "  \"history\": [{\"actor\": 0, \"step\": 0}, {\"actor\": 1, \"step\": 3},"
              "   {\"actor\": 2, \"step\": 3}, {\"actor\": 0, \"step\": 3}]}]}");
    br_shrink_witness w;
    char err[512];
    assert_int_equal(br_shrink_find_witness(run, sc, &w, err, sizeof(err)), 1);
    assert_string_equal(w.kind, "double-booking");
    assert_string_equal(w.text, "DOUBLE BOOKING x");
    assert_int_equal(w.trial, 1);
    assert_int_equal(w.count, 2);
    assert_int_equal(w.actors[0], 2);
    assert_int_equal(w.actors[1], 0);
    assert_int_equal(w.steps[0], 3);
    /* An operation the scenario does not have: the run and the scenario do not fit. */
    json_integer_set(
        json_object_get(
            json_array_get(json_object_get(json_array_get(json_object_get(run, "trials"), 1), "history"), 2),
            "actor"),
        9);
    assert_int_equal(br_shrink_find_witness(run, sc, &w, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "trials[1].history[2]"));
    json_decref(run);
    run = parse("{\"trials\": [{\"violations\": [{\"kind\": \"outcome\", \"text\": \"t\", \"ops\": [0]}]}]}");
    assert_int_equal(br_shrink_find_witness(run, sc, &w, err, sizeof(err)), 0);
    assert_non_null(strstr(err, "nothing to shrink"));
    json_decref(run);
    br_scenario_free(sc);
    json_decref(src);
}

/* ddmin against a simulated target that reproduces while items 2 and 5 are both left. */
static void test_ddmin_finds_the_minimal_pair(void **state)
{
    (void)state;
    size_t items[16], chunk[16];
    for (size_t i = 0; i < 16; i++)
        items[i] = i;
    br_ddmin d;
    br_ddmin_init(&d, items, 16);
    int tests = 0;
    size_t n;
    while ((n = br_ddmin_next(&d, chunk)) > 0) {
        int drops_needed = 0;
        for (size_t k = 0; k < n; k++)
            drops_needed |= chunk[k] == 2 || chunk[k] == 5;
        br_ddmin_answer(&d, !drops_needed);
        tests++;
        assert_true(tests < 200);
    }
    assert_int_equal(d.count, 2);
    assert_int_equal(d.items[0], 2);
    assert_int_equal(d.items[1], 5);
    br_ddmin_free(&d);
    /* One item that is needed: one test, and it stays. */
    br_ddmin_init(&d, items, 1);
    assert_int_equal(br_ddmin_next(&d, chunk), 1);
    br_ddmin_answer(&d, 0);
    assert_int_equal(br_ddmin_next(&d, chunk), 0);
    assert_int_equal(d.count, 1);
    br_ddmin_free(&d);
    br_ddmin_init(&d, items, 0);
    assert_int_equal(br_ddmin_next(&d, chunk), 0);
    br_ddmin_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_keeps_the_pair_and_what_it_needs),
        cmocka_unit_test(test_hold_is_kept_for_the_book_that_converts_it),
        cmocka_unit_test(test_same_as_pick_keeps_the_other_actor),
        cmocka_unit_test(test_empty_candidate_has_no_document),
        cmocka_unit_test(test_witness_from_run_json),
        cmocka_unit_test(test_ddmin_finds_the_minimal_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
