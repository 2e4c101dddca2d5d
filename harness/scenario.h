/*
 * Race scenarios: actors (virtual customers), variables and an ordered list of
 * steps. Loading validates everything that can be known before a request is
 * sent: step kinds, actor names, and that every name a step reads (a slot
 * list, a picked slot, a hold, a booking) was saved by an earlier step of the
 * same actor. Format: docs/scenarios.md.
 */
#ifndef BR_SCENARIO_H
#define BR_SCENARIO_H

#include <jansson.h>
#include <stddef.h>

typedef enum {
    BR_STEP_FETCH_SLOTS,
    BR_STEP_PICK,
    BR_STEP_HOLD,
    BR_STEP_BOOK,
    BR_STEP_CANCEL,
    BR_STEP_SLEEP,
    BR_STEP_ADVANCE,
    BR_STEP_BARRIER,
} br_step_kind;

typedef enum {
    BR_PICK_FIRST,
    BR_PICK_NTH,
    BR_PICK_RANDOM,
    BR_PICK_SAME_AS,
    BR_PICK_OVERLAPPING
} br_pick_rule;
/* last-byte and plain over HTTP/1.1 (the worker pool); single-packet over HTTP/2 (h2batch.h). */
typedef enum { BR_RELEASE_LAST_BYTE, BR_RELEASE_PLAIN, BR_RELEASE_SINGLE_PACKET } br_release;

const char *br_step_kind_name(br_step_kind kind);
const char *br_release_name(br_release release);

typedef struct {
    char *name;
    char *address;
    double lat, lng;
} br_actor;

typedef struct {
    br_step_kind kind;
    char *description;
    int *actors; /* indexes into the scenario's actors */
    size_t actor_count;
    char *save; /* fetch_slots: list; pick: slot; hold: hold; book: booking (may be NULL) */
    char *from; /* pick: the list */
    br_pick_rule rule;
    int nth;            /* pick nth (0-based) */
    int other_actor;    /* pick same-as / overlapping: whose pick */
    char *other_pick;   /* ... and which of its picks */
    char *inspector;    /* pick: only slots of this inspector (may hold ${var.x}); NULL for any */
    char *slot;         /* hold, book: the picked slot */
    char *hold;         /* book: the hold to convert (optional) */
    char *booking;      /* cancel: the booking */
    double seconds;     /* sleep, advance */
    br_release release; /* barrier */
    int release_given;  /* barrier: "release" was in the scenario (else the target's "http" may choose) */
    int barrier;        /* HTTP steps: index of the barrier step releasing it, or -1 */
    int expect;         /* HTTP steps: the outcome every request must have (br_outcome), or -1 for any */
} br_step;

typedef struct {
    char *name, *description, *origin;
    char date[11];      /* YYYY-MM-DD: the day, relative specs resolved when the scenario was loaded */
    char date_spec[32]; /* "date" as written ("2026-12-01", "+14d", "next-weekday"), recorded in run.json */
    json_t *variables;  /* object */
    br_actor *actors;
    size_t actor_count;
    br_step *steps;
    size_t step_count;
    int expect_violation; /* "expect": "violation" (1) or "clean" (0, the default): what a run must show */
    json_t *source;       /* the document as written: run.json keeps it, so shrink needs no other file */
} br_scenario;

/* Loads and validates a scenario file. NULL with "file:line:col: ..." or "file: steps[3] (book): ..." in
 * |err|. */
br_scenario *br_scenario_load(const char *path, char *err, size_t errlen);
br_scenario *br_scenario_from_json(json_t *root, const char *origin, char *err, size_t errlen);
void br_scenario_free(br_scenario *s);

/*
 * Resolves a day spec (dayspec.h: "2026-12-01", "+14d", "next-weekday", ...)
 * against today (UTC) into "YYYY-MM-DD". 0, or -1 with |err| listing the forms.
 */
int br_scenario_resolve_day(const char *spec, char out[11], char *err, size_t errlen);

/* Whether a step sends requests. */
int br_step_is_http(br_step_kind kind);

#endif
