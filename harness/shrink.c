/*
 * Candidate generation for `bookrace shrink` (shrink.h): the dependency
 * closure of (step, actor) units, the violating pair read from run.json, the
 * candidate's scenario document and the ddmin search state. Pure: everything
 * here is a function of its arguments, so the search is unit-tested without a
 * server, and the command (cmd_shrink.c) only decides by running candidates.
 */
#include "shrink.h"

#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *unit(const br_shrink_set *s, size_t step, size_t actor)
{
    return &s->keep[step * s->actor_count + actor];
}

void br_shrink_set_init(br_shrink_set *s, const br_scenario *sc, int all)
{
    s->step_count = sc->step_count;
    s->actor_count = sc->actor_count;
    s->keep = xcalloc(s->step_count * s->actor_count + 1, 1);
    s->timing = xcalloc(s->step_count + 1, 1);
    for (size_t i = 0; i < sc->step_count; i++)
        s->timing[i] = sc->steps[i].kind == BR_STEP_SLEEP || sc->steps[i].kind == BR_STEP_ADVANCE;
    if (!all)
        return;
    for (size_t i = 0; i < sc->step_count; i++) {
        const br_step *st = &sc->steps[i];
        if (st->kind == BR_STEP_SLEEP || st->kind == BR_STEP_ADVANCE)
            *unit(s, i, 0) = 1;
        for (size_t a = 0; a < st->actor_count; a++)
            *unit(s, i, (size_t)st->actors[a]) = 1;
    }
}

void br_shrink_set_copy(br_shrink_set *dst, const br_shrink_set *src)
{
    size_t n = src->step_count * src->actor_count;
    dst->step_count = src->step_count;
    dst->actor_count = src->actor_count;
    dst->keep = xcalloc(n + 1, 1);
    memcpy(dst->keep, src->keep, n);
    dst->timing = xcalloc(src->step_count + 1, 1);
    memcpy(dst->timing, src->timing, src->step_count);
}

void br_shrink_set_free(br_shrink_set *s)
{
    free(s->keep);
    free(s->timing);
    s->keep = NULL;
    s->timing = NULL;
}

int br_shrink_set_equal(const br_shrink_set *a, const br_shrink_set *b)
{
    return a->step_count == b->step_count && a->actor_count == b->actor_count &&
           memcmp(a->keep, b->keep, a->step_count * a->actor_count) == 0;
}

static int is_timing(const br_step *st)
{
    return st->kind == BR_STEP_SLEEP || st->kind == BR_STEP_ADVANCE;
}

int br_shrink_step_droppable(const br_scenario *sc, size_t step)
{
    return step < sc->step_count &&
           (br_step_is_http(sc->steps[step].kind) || sc->steps[step].kind == BR_STEP_PICK);
}

int br_shrink_actor_kept(const br_shrink_set *s, size_t actor)
{
    for (size_t i = 0; i < s->step_count; i++)
        if (!s->timing[i] && *unit(s, i, actor))
            return 1;
    return 0;
}

int br_shrink_step_kept(const br_shrink_set *s, size_t step)
{
    for (size_t a = 0; a < s->actor_count; a++)
        if (*unit(s, step, a))
            return 1;
    return 0;
}

size_t br_shrink_actors_kept(const br_shrink_set *s)
{
    size_t n = 0;
    for (size_t a = 0; a < s->actor_count; a++)
        n += (size_t)br_shrink_actor_kept(s, a);
    return n;
}

size_t br_shrink_steps_kept(const br_shrink_set *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->step_count; i++)
        n += (size_t)br_shrink_step_kept(s, i);
    return n;
}

static int step_has_actor(const br_step *st, int actor)
{
    for (size_t i = 0; i < st->actor_count; i++)
        if (st->actors[i] == actor)
            return 1;
    return 0;
}

/* The latest step before |before| of |kind| in which |actor| saved |name|; -1 when none. */
static int saver(const br_scenario *sc, size_t before, br_step_kind kind, int actor, const char *name)
{
    for (size_t i = before; i-- > 0;) {
        const br_step *st = &sc->steps[i];
        if (st->kind == kind && st->save && strcmp(st->save, name) == 0 && step_has_actor(st, actor))
            return (int)i;
    }
    return -1;
}

typedef struct {
    int step[2], actor[2];
    size_t count;
} unit_list;

static void add_need(unit_list *l, int step, int actor)
{
    if (step >= 0) {
        l->step[l->count] = step;
        l->actor[l->count++] = actor;
    }
}

/* The units (step, actor) that unit (|step|, |actor|) reads: at most two. */
static unit_list needs(const br_scenario *sc, size_t step, int actor)
{
    const br_step *st = &sc->steps[step];
    unit_list l = {.count = 0};
    if (st->kind == BR_STEP_PICK) {
        add_need(&l, saver(sc, step, BR_STEP_FETCH_SLOTS, actor, st->from), actor);
        if (st->other_actor >= 0)
            add_need(&l, saver(sc, step, BR_STEP_PICK, st->other_actor, st->other_pick), st->other_actor);
    } else if (st->kind == BR_STEP_HOLD || st->kind == BR_STEP_BOOK) {
        add_need(&l, saver(sc, step, BR_STEP_PICK, actor, st->slot), actor);
        if (st->hold)
            add_need(&l, saver(sc, step, BR_STEP_HOLD, actor, st->hold), actor);
    } else if (st->kind == BR_STEP_CANCEL) {
        add_need(&l, saver(sc, step, BR_STEP_BOOK, actor, st->booking), actor);
    }
    return l;
}

/* Barriers keep the racers of the step they release; timing steps stay while anything else does. */
static void fix_barriers_and_timing(const br_scenario *sc, br_shrink_set *s)
{
    int any = 0;
    for (size_t i = 0; i < sc->step_count; i++) {
        const br_step *st = &sc->steps[i];
        if (st->kind == BR_STEP_BARRIER) {
            for (size_t a = 0; a < sc->actor_count; a++)
                *unit(s, i, a) = i + 1 < sc->step_count && step_has_actor(st, (int)a) && *unit(s, i + 1, a);
        } else if (!is_timing(st)) {
            any |= br_shrink_step_kept(s, i);
        }
    }
    for (size_t i = 0; i < sc->step_count; i++)
        if (is_timing(&sc->steps[i]))
            *unit(s, i, 0) = (unsigned char)any;
}

void br_shrink_close(const br_scenario *sc, br_shrink_set *s)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = sc->step_count; i-- > 0;)
            for (size_t a = 0; a < sc->actor_count; a++) {
                if (!*unit(s, i, a) || is_timing(&sc->steps[i]))
                    continue;
                unit_list l = needs(sc, i, (int)a);
                for (size_t k = 0; k < l.count; k++)
                    if (!*unit(s, (size_t)l.step[k], (size_t)l.actor[k])) {
                        *unit(s, (size_t)l.step[k], (size_t)l.actor[k]) = 1;
                        changed = 1;
                    }
            }
    }
    fix_barriers_and_timing(sc, s);
}

void br_shrink_prune(const br_scenario *sc, br_shrink_set *s)
{
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < sc->step_count; i++)
            for (size_t a = 0; a < sc->actor_count; a++) {
                if (!*unit(s, i, a) || is_timing(&sc->steps[i]) || sc->steps[i].kind == BR_STEP_BARRIER)
                    continue;
                unit_list l = needs(sc, i, (int)a);
                for (size_t k = 0; k < l.count; k++)
                    if (!*unit(s, (size_t)l.step[k], (size_t)l.actor[k])) {
                        *unit(s, i, a) = 0;
                        changed = 1;
                        break;
                    }
            }
    }
    fix_barriers_and_timing(sc, s);
}

void br_shrink_drop_actors(const br_scenario *sc, br_shrink_set *s, const size_t *actors, size_t n)
{
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < sc->step_count; i++)
            if (!is_timing(&sc->steps[i]) && actors[k] < s->actor_count)
                *unit(s, i, actors[k]) = 0;
    br_shrink_prune(sc, s);
}

void br_shrink_drop_steps(const br_scenario *sc, br_shrink_set *s, const size_t *steps, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (br_shrink_step_droppable(sc, steps[k]))
            for (size_t a = 0; a < sc->actor_count; a++)
                *unit(s, steps[k], a) = 0;
    br_shrink_prune(sc, s);
}

/* ---- the witness: a violating pair from run.json ---------------------------------------------------- */

static int invariant_kind(const char *kind)
{
    return strcmp(kind, "double-booking") == 0 || strcmp(kind, "double-booking-stored") == 0 ||
           strcmp(kind, "lost") == 0 || strcmp(kind, "unexpected") == 0;
}

/* Reads history[op] of trial |t| into the witness's |k|th actor and step. 0, or -1 with |err|. */
static int witness_op(json_t *history, size_t t, json_int_t op, const br_scenario *sc, br_shrink_witness *w,
                      char *err, size_t errlen)
{
    json_t *h = json_array_get(history, (size_t)op);
    json_t *actor = json_object_get(h, "actor"), *step = json_object_get(h, "step");
    if (op < 0 || !json_is_integer(actor) || !json_is_integer(step)) {
        snprintf(err, errlen, "trials[%zu].history[%lld]: no such operation with an actor and a step", t,
                 (long long)op);
        return -1;
    }
    json_int_t a = json_integer_value(actor), s = json_integer_value(step);
    if (a < 0 || (size_t)a >= sc->actor_count || s < 0 || (size_t)s >= sc->step_count ||
        !step_has_actor(&sc->steps[s], (int)a)) {
        snprintf(err, errlen,
                 "trials[%zu].history[%lld]: actor %lld at step %lld is not in the scenario (was it edited "
                 "since the run?)",
                 t, (long long)op, (long long)a, (long long)s);
        return -1;
    }
    w->actors[w->count] = (int)a;
    w->steps[w->count++] = (int)s;
    return 0;
}

/* The first invariant violation of trial |t| that names operations: 1, 0 none, -1 a bad reference. */
static int trial_witness(json_t *trial, size_t t, const br_scenario *sc, br_shrink_witness *w, char *err,
                         size_t errlen)
{
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(trial, "violations"), i, v) {
        const char *kind = json_string_value(json_object_get(v, "kind"));
        json_t *ops = json_object_get(v, "ops");
        if (kind == NULL || !invariant_kind(kind) || json_array_size(ops) == 0 || json_array_size(ops) > 2)
            continue;
        memset(w, 0, sizeof(*w));
        snprintf(w->kind, sizeof(w->kind), "%s", kind);
        const char *text = json_string_value(json_object_get(v, "text"));
        snprintf(w->text, sizeof(w->text), "%s", text ? text : "");
        w->trial = (int)t;
        size_t k;
        json_t *op;
        json_array_foreach (ops, k, op)
            if (witness_op(json_object_get(trial, "history"), t, json_integer_value(op), sc, w, err, errlen))
                return -1;
        return 1;
    }
    return 0;
}

int br_shrink_find_witness(json_t *run, const br_scenario *sc, br_shrink_witness *w, char *err, size_t errlen)
{
    size_t t;
    json_t *trial;
    json_array_foreach (json_object_get(run, "trials"), t, trial) {
        int rc = trial_witness(trial, t, sc, w, err, errlen);
        if (rc != 0)
            return rc;
    }
    snprintf(err, errlen,
             "no trial has an invariant violation (double booking, lost or unexpected booking) "
             "that names its operations: nothing to shrink");
    return 0;
}

void br_shrink_seed(const br_scenario *sc, const br_shrink_witness *w, br_shrink_set *out)
{
    br_shrink_set_init(out, sc, 0);
    for (size_t k = 0; k < w->count; k++)
        *unit(out, (size_t)w->steps[k], (size_t)w->actors[k]) = 1;
    br_shrink_close(sc, out);
}

/* ---- the candidate's scenario document --------------------------------------------------------------- */

static json_t *actors_json(const br_scenario *sc, const br_shrink_set *s)
{
    json_t *arr = json_array();
    for (size_t a = 0; a < sc->actor_count; a++)
        if (br_shrink_actor_kept(s, a))
            json_array_append_new(arr, json_pack("{s:s, s:s, s:f, s:f}", "name", sc->actors[a].name,
                                                 "address", sc->actors[a].address, "lat", sc->actors[a].lat,
                                                 "lng", sc->actors[a].lng));
    return arr;
}

/* Step |i|'s "actors": "all" when it had every actor and keeps every kept one, else the kept names. */
static json_t *step_actors_json(const br_scenario *sc, const br_shrink_set *s, size_t i, json_t *original)
{
    size_t kept = 0, all = br_shrink_actors_kept(s);
    json_t *names = json_array();
    for (size_t a = 0; a < sc->actor_count; a++)
        if (*unit(s, i, a)) {
            json_array_append_new(names, json_string(sc->actors[a].name));
            kept++;
        }
    int was_all =
        original == NULL || (json_is_string(original) && strcmp(json_string_value(original), "all") == 0);
    if (was_all && kept == all) {
        json_decref(names);
        return json_string("all");
    }
    return names;
}

/* |obj| with the keys |first| in that order, then the others: a file reads as docs/scenarios.md writes it. */
static json_t *ordered(json_t *obj, const char *const *first)
{
    json_t *out = json_object(), *v;
    const char *key;
    for (const char *const *k = first; *k; k++)
        if ((v = json_object_get(obj, *k)) != NULL)
            json_object_set(out, *k, v);
    json_object_foreach (obj, key, v)
        if (json_object_get(out, key) == NULL)
            json_object_set(out, key, v);
    json_decref(obj);
    return out;
}

json_t *br_shrink_scenario_json(const br_scenario *sc, json_t *source, const br_shrink_set *s,
                                const char *name, const char *description)
{
    if (br_shrink_actors_kept(s) == 0)
        return NULL;
    json_t *doc = json_deep_copy(source), *steps = json_array();
    json_t *src_steps = json_object_get(source, "steps");
    for (size_t i = 0; i < sc->step_count; i++) {
        if (!br_shrink_step_kept(s, i))
            continue;
        json_t *step = json_deep_copy(json_array_get(src_steps, i));
        static const char *const step_keys[] = {"do", "description", "actors", NULL};
        if (!is_timing(&sc->steps[i]))
            json_object_set_new(step, "actors", step_actors_json(sc, s, i, json_object_get(step, "actors")));
        json_array_append_new(steps, ordered(step, step_keys));
    }
    json_object_set_new(doc, "name", json_string(name));
    json_object_set_new(doc, "description", json_string(description));
    json_object_set_new(doc, "actors", actors_json(sc, s));
    json_object_set_new(doc, "steps", steps);
    static const char *const keys[] = {"name",      "description", "date",  "expect",
                                       "variables", "actors",      "steps", NULL};
    return ordered(doc, keys);
}

/* ---- ddmin -------------------------------------------------------------------------------------------- */

void br_ddmin_init(br_ddmin *d, const size_t *items, size_t count)
{
    d->items = xcalloc(count + 1, sizeof(size_t));
    memcpy(d->items, items, count * sizeof(size_t));
    d->count = count;
    d->granularity = count < 2 ? count : 2;
    d->chunk = 0;
    d->done = count == 0;
}

void br_ddmin_free(br_ddmin *d)
{
    free(d->items);
    d->items = NULL;
}

/* Chunk |c| of |n| over |count| items: [*from, *to). */
static void chunk_bounds(size_t count, size_t n, size_t c, size_t *from, size_t *to)
{
    *from = count * c / n;
    *to = count * (c + 1) / n;
}

size_t br_ddmin_next(const br_ddmin *d, size_t *out)
{
    if (d->done)
        return 0;
    size_t from, to;
    chunk_bounds(d->count, d->granularity, d->chunk, &from, &to);
    memcpy(out, d->items + from, (to - from) * sizeof(size_t));
    return to - from;
}

void br_ddmin_answer(br_ddmin *d, int reproduced)
{
    if (d->done)
        return;
    if (reproduced) {
        size_t from, to;
        chunk_bounds(d->count, d->granularity, d->chunk, &from, &to);
        memmove(d->items + from, d->items + to, (d->count - to) * sizeof(size_t));
        d->count -= to - from;
        d->granularity = d->granularity > 2 ? d->granularity - 1 : 2;
        if (d->granularity > d->count)
            d->granularity = d->count;
        d->chunk = 0;
        d->done = d->count == 0;
        return;
    }
    if (++d->chunk < d->granularity)
        return;
    if (d->granularity >= d->count) {
        d->done = 1;
        return;
    }
    d->granularity = d->granularity * 2 < d->count ? d->granularity * 2 : d->count;
    d->chunk = 0;
}
