/*
 * bookrace shrink's pure core on arbitrary run files: the witness read from
 * whatever a run.json claims (its scenario.source and history), and the
 * property the search relies on: every candidate it can generate (the seed,
 * and the seed or the whole scenario without any one actor or step) is a
 * scenario that loads. A candidate that does not load aborts the fuzzer.
 */
#include "shrink.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

/* The candidate's document must load as a scenario (or be empty). */
static void check_loads(const br_scenario *sc, json_t *source, const br_shrink_set *s)
{
    json_t *doc = br_shrink_scenario_json(sc, source, s, "fuzz-minimal", "fuzz");
    if (doc == NULL)
        return;
    char err[1024];
    br_scenario *c = br_scenario_from_json(doc, "candidate", err, sizeof(err));
    if (c == NULL)
        abort();
    br_scenario_free(c);
    json_decref(doc);
}

/* |base| without each actor, then without each step, one at a time. */
static void check_drops(const br_scenario *sc, json_t *source, const br_shrink_set *base)
{
    check_loads(sc, source, base);
    for (size_t i = 0; i < sc->actor_count + sc->step_count && i < 64; i++) {
        br_shrink_set s;
        br_shrink_set_copy(&s, base);
        size_t item = i < sc->actor_count ? i : i - sc->actor_count;
        if (i < sc->actor_count)
            br_shrink_drop_actors(sc, &s, &item, 1);
        else
            br_shrink_drop_steps(sc, &s, &item, 1);
        check_loads(sc, source, &s);
        br_shrink_set_free(&s);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *run = json_loadb((const char *)data, size, 0, &e);
    json_t *source = json_object_get(json_object_get(run, "scenario"), "source");
    char err[1024];
    br_scenario *sc = source ? br_scenario_from_json(source, "fuzz", err, sizeof(err)) : NULL;
    /* Generated actors are capped at 4096; keep an input's work bounded. */
    if (sc && sc->actor_count <= 64 && sc->step_count <= 64) {
        br_shrink_witness w;
        br_shrink_set s;
        if (br_shrink_find_witness(run, sc, &w, err, sizeof(err)) == 1) {
            br_shrink_seed(sc, &w, &s);
            check_drops(sc, source, &s);
            br_shrink_set_free(&s);
        }
        br_shrink_set_init(&s, sc, 1);
        check_drops(sc, source, &s);
        br_shrink_set_free(&s);
    }
    br_scenario_free(sc);
    json_decref(run);
    return 0;
}
