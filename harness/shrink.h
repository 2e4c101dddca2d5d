/*
 * The pure core of `bookrace shrink`: which smaller scenarios to try, never
 * how to run them. A candidate is a set of (step, actor) units of the original
 * scenario. Every candidate is closed under what its steps read (a pick needs
 * the fetch whose list it picks from and, for same-as/overlapping, the other
 * actor's pick; a hold or book needs the pick of its slot; a book converting a
 * hold needs that hold; a cancel needs its booking), so it always loads. A
 * barrier keeps exactly the racers of the step it releases, and sleep and
 * advance steps stay while anything stays: the shrunk scenario keeps the
 * original's release and timing. The search is delta debugging (Zeller's
 * ddmin, complements only): drop chunks of actors, then chunks of steps, keep a
 * drop when the smaller scenario still reproduces, halve the chunks when none
 * does. cmd_shrink.c runs the candidates; no I/O here (tests/unit/test_shrink.c).
 */
#ifndef BR_SHRINK_H
#define BR_SHRINK_H

#include "scenario.h"

#include <jansson.h>
#include <stddef.h>

/* A candidate: keep[step * actor_count + actor]; sleep and advance steps use column 0. */
typedef struct {
    size_t step_count, actor_count;
    unsigned char *keep;
    unsigned char *timing; /* timing[step]: a sleep or advance (it names no actors) */
} br_shrink_set;

/* Every unit of |sc| (the original scenario) when |all|, else none. Free with br_shrink_set_free. */
void br_shrink_set_init(br_shrink_set *s, const br_scenario *sc, int all);
void br_shrink_set_copy(br_shrink_set *dst, const br_shrink_set *src);
void br_shrink_set_free(br_shrink_set *s);
int br_shrink_set_equal(const br_shrink_set *a, const br_shrink_set *b);
/* Actors with at least one unit kept, steps with at least one unit kept. */
size_t br_shrink_actors_kept(const br_shrink_set *s);
size_t br_shrink_steps_kept(const br_shrink_set *s);
int br_shrink_actor_kept(const br_shrink_set *s, size_t actor);
int br_shrink_step_kept(const br_shrink_set *s, size_t step);

/* Adds every unit a kept unit reads (transitively), then the barriers and timing steps. */
void br_shrink_close(const br_scenario *sc, br_shrink_set *s);
/* Drops every unit whose reads are gone (transitively), then fixes barriers and timing steps. */
void br_shrink_prune(const br_scenario *sc, br_shrink_set *s);

/* |s| without the listed actors / steps (and what depended on them). */
void br_shrink_drop_actors(const br_scenario *sc, br_shrink_set *s, const size_t *actors, size_t n);
void br_shrink_drop_steps(const br_scenario *sc, br_shrink_set *s, const size_t *steps, size_t n);

/* The steps the step phase may drop: those that send requests or pick (barriers follow their step). */
int br_shrink_step_droppable(const br_scenario *sc, size_t step);

/* What a run's violation points at: the operations' actors and steps (run.json's history). */
typedef struct {
    char kind[32];  /* "double-booking", "lost", ...: what a candidate must reproduce */
    char text[768]; /* the violation as the run wrote it */
    int trial;      /* the trial it came from */
    size_t count;   /* 1 or 2 operations */
    int actors[2], steps[2];
} br_shrink_witness;

/*
 * The first invariant violation of |run| (a parsed run.json) that names its
 * operations, checked against |sc|. 1 found, 0 none (|err| says why), -1 the
 * run does not fit the scenario (|err| names the JSON path).
 */
int br_shrink_find_witness(json_t *run, const br_scenario *sc, br_shrink_witness *w, char *err,
                           size_t errlen);

/* The witness's units, closed: the pair's actors and only the steps they need. */
void br_shrink_seed(const br_scenario *sc, const br_shrink_witness *w, br_shrink_set *out);

/*
 * The scenario document of a candidate: |source| (the original scenario's
 * JSON) with the kept actors listed explicitly (same names, addresses and
 * coordinates), only the kept steps, each naming only its kept actors ("all"
 * stays "all" when every kept actor takes part), and |name|, |description|.
 * NULL for an empty candidate. The caller owns the result.
 */
json_t *br_shrink_scenario_json(const br_scenario *sc, json_t *source, const br_shrink_set *s,
                                const char *name, const char *description);

/* ddmin over a list of item ids: propose a chunk to drop, learn whether the rest still reproduced. */
typedef struct {
    size_t *items, count; /* what is left */
    size_t granularity;   /* how many chunks the items are cut into */
    size_t chunk;         /* the chunk proposed next */
    int done;
} br_ddmin;

void br_ddmin_init(br_ddmin *d, const size_t *items, size_t count);
void br_ddmin_free(br_ddmin *d);
/* The next chunk to drop into |out| (room for d->count); returns its size, 0 when the search is over. */
size_t br_ddmin_next(const br_ddmin *d, size_t *out);
/* Whether the items without the proposed chunk still reproduced. */
void br_ddmin_answer(br_ddmin *d, int reproduced);

#endif
