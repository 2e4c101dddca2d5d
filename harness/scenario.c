/*
 * Loading race scenarios (scenario.h). Everything that can be known before a
 * request is sent is checked here, with the file and the step in every
 * message: step kinds and the keys each allows, actors (listed, or generated
 * from a count), the names each step reads having been saved by an earlier
 * step of the same actor, and every barrier being followed by a step that
 * sends requests for each actor it names.
 */
#include "scenario.h"

#include "alloc.h"
#include "dayspec.h"

#include "iso8601.h"
#include "jsonload.h"
#include "template.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ACTORS 4096

static const char *const kind_names[] = {"fetch_slots", "pick",  "hold",    "book",
                                         "cancel",      "sleep", "advance", "barrier"};

const char *br_step_kind_name(br_step_kind kind)
{
    return kind_names[kind];
}

const char *br_release_name(br_release release)
{
    static const char *const names[] = {"last-byte", "plain", "single-packet"};
    return names[release];
}

int br_step_is_http(br_step_kind kind)
{
    return kind == BR_STEP_FETCH_SLOTS || kind == BR_STEP_HOLD || kind == BR_STEP_BOOK ||
           kind == BR_STEP_CANCEL;
}

void br_scenario_free(br_scenario *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->description);
    free(s->origin);
    json_decref(s->variables);
    json_decref(s->source);
    for (size_t i = 0; i < s->actor_count; i++) {
        free(s->actors[i].name);
        free(s->actors[i].address);
    }
    free(s->actors);
    for (size_t i = 0; i < s->step_count; i++) {
        br_step *st = &s->steps[i];
        free(st->description);
        free(st->actors);
        free(st->save);
        free(st->from);
        free(st->other_pick);
        free(st->inspector);
        free(st->slot);
        free(st->hold);
        free(st->booking);
    }
    free(s->steps);
    free(s);
}

#define FAIL(...)                                                                                            \
    do {                                                                                                     \
        snprintf(err, errlen, __VA_ARGS__);                                                                  \
        return -1;                                                                                           \
    } while (0)

static int valid_name(const char *s)
{
    if (*s == '\0' || strlen(s) > 64)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_'))
            return 0;
    return 1;
}

static int find_actor(const br_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->actor_count; i++)
        if (strcmp(s->actors[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int parse_coordinate(json_t *v, double limit, double *out)
{
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (!isfinite(d) || d < -limit || d > limit)
        return -1;
    *out = d;
    return 0;
}

static int parse_actors(br_scenario *s, json_t *v, const char *origin, char *err, size_t errlen)
{
    static const char *const actor_keys[] = {"name", "address", "lat", "lng", NULL};
    static const char *const gen_keys[] = {"count", "namePrefix", "address", "lat",
                                           "lng",   "latStep",    "lngStep", NULL};
    char kerr[600], where[64];
    if (json_is_array(v)) {
        if (json_array_size(v) == 0 || json_array_size(v) > MAX_ACTORS)
            FAIL("%s: actors must list 1 to %d actors", origin, MAX_ACTORS);
        s->actor_count = json_array_size(v);
        s->actors = xcalloc(s->actor_count, sizeof(br_actor));
        size_t i;
        json_t *a;
        json_array_foreach (v, i, a) {
            snprintf(where, sizeof(where), "actors[%zu]", i);
            if (!json_is_object(a))
                FAIL("%s: %s must be an object", origin, where);
            if (br_json_check_keys(a, actor_keys, where, kerr, sizeof(kerr)))
                FAIL("%s: %s", origin, kerr);
            json_t *name = json_object_get(a, "name"), *addr = json_object_get(a, "address");
            if (!json_is_string(name) || !valid_name(json_string_value(name)))
                FAIL("%s: %s.name must be 1-64 letters, digits, '-' or '_'", origin, where);
            if (addr != NULL && !json_is_string(addr))
                FAIL("%s: %s.address must be a string", origin, where);
            if (parse_coordinate(json_object_get(a, "lat"), 90, &s->actors[i].lat) ||
                parse_coordinate(json_object_get(a, "lng"), 180, &s->actors[i].lng))
                FAIL("%s: %s needs lat (-90..90) and lng (-180..180) numbers", origin, where);
            s->actors[i].name = xstrdup(json_string_value(name));
            char fallback[96];
            snprintf(fallback, sizeof(fallback), "%zu Race Street", i + 1);
            s->actors[i].address = xstrdup(addr ? json_string_value(addr) : fallback);
            if (find_actor(s, s->actors[i].name) != (int)i)
                FAIL("%s: %s: actor name '%s' is used twice", origin, where, s->actors[i].name);
        }
        return 0;
    }
    if (!json_is_object(v))
        FAIL("%s: actors must be an array of actors or a generator object {\"count\": N, ...}", origin);
    if (br_json_check_keys(v, gen_keys, "actors", kerr, sizeof(kerr)))
        FAIL("%s: %s", origin, kerr);
    json_t *count = json_object_get(v, "count"), *prefix = json_object_get(v, "namePrefix");
    json_t *addr = json_object_get(v, "address");
    if (!json_is_integer(count) || json_integer_value(count) < 1 || json_integer_value(count) > MAX_ACTORS)
        FAIL("%s: actors.count must be an integer from 1 to %d", origin, MAX_ACTORS);
    if (prefix != NULL && (!json_is_string(prefix) || !valid_name(json_string_value(prefix))))
        FAIL("%s: actors.namePrefix must be 1-64 letters, digits, '-' or '_'", origin);
    if (addr != NULL && !json_is_string(addr))
        FAIL("%s: actors.address must be a string (\"%%d\" is replaced by the actor's number)", origin);
    double lat, lng, lat_step = 0, lng_step = 0;
    if (parse_coordinate(json_object_get(v, "lat"), 90, &lat) ||
        parse_coordinate(json_object_get(v, "lng"), 180, &lng))
        FAIL("%s: actors needs lat (-90..90) and lng (-180..180) numbers", origin);
    if ((json_object_get(v, "latStep") && parse_coordinate(json_object_get(v, "latStep"), 1, &lat_step)) ||
        (json_object_get(v, "lngStep") && parse_coordinate(json_object_get(v, "lngStep"), 1, &lng_step)))
        FAIL("%s: actors.latStep and lngStep must be numbers from -1 to 1", origin);
    s->actor_count = (size_t)json_integer_value(count);
    s->actors = xcalloc(s->actor_count, sizeof(br_actor));
    for (size_t i = 0; i < s->actor_count; i++) {
        char buf[160];
        snprintf(buf, sizeof(buf), "%s%zu", prefix ? json_string_value(prefix) : "c", i);
        s->actors[i].name = xstrdup(buf);
        const char *fmt = addr ? json_string_value(addr) : "%d Race Street";
        const char *pct = strstr(fmt, "%d");
        if (pct)
            snprintf(buf, sizeof(buf), "%.*s%zu%s", (int)(pct - fmt), fmt, i + 1, pct + 2);
        else
            snprintf(buf, sizeof(buf), "%s", fmt);
        s->actors[i].address = xstrdup(buf);
        s->actors[i].lat = lat + lat_step * (double)i;
        s->actors[i].lng = lng + lng_step * (double)i;
        if (fabs(s->actors[i].lat) > 90 || fabs(s->actors[i].lng) > 180)
            FAIL("%s: actors: actor %zu's coordinates step out of range", origin, i);
    }
    return 0;
}

/* The names each actor has saved so far, by kind, for the static checks. */
typedef struct {
    char **names;
    br_step_kind *kinds;
    size_t count, cap;
} defined_names;

static void define(defined_names *d, const char *name, br_step_kind kind)
{
    if (d->count == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 8;
        d->names = xreallocarray(d->names, d->cap, sizeof(char *));
        d->kinds = xreallocarray(d->kinds, d->cap, sizeof(br_step_kind));
    }
    d->names[d->count] = (char *)name;
    d->kinds[d->count++] = kind;
}

static int is_defined(const defined_names *d, const char *name, br_step_kind kind)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->kinds[i] == kind && strcmp(d->names[i], name) == 0)
            return 1;
    return 0;
}

static int parse_step_actors(br_scenario *s, br_step *st, json_t *v, const char *origin, const char *where,
                             char *err, size_t errlen)
{
    if (v == NULL || (json_is_string(v) && strcmp(json_string_value(v), "all") == 0)) {
        st->actor_count = s->actor_count;
        st->actors = xcalloc(st->actor_count, sizeof(int));
        for (size_t i = 0; i < s->actor_count; i++)
            st->actors[i] = (int)i;
        return 0;
    }
    json_t *list = v;
    json_t *single = NULL;
    if (json_is_string(v)) {
        single = json_array();
        json_array_append(single, v);
        list = single;
    }
    if (!json_is_array(list) || json_array_size(list) == 0) {
        json_decref(single);
        FAIL("%s: %s: actors must be \"all\", an actor name, or a non-empty list of names", origin, where);
    }
    st->actor_count = json_array_size(list);
    st->actors = xcalloc(st->actor_count, sizeof(int));
    size_t i;
    json_t *name;
    int rc = 0;
    json_array_foreach (list, i, name) {
        int a = json_is_string(name) ? find_actor(s, json_string_value(name)) : -1;
        if (a < 0) {
            snprintf(err, errlen, "%s: %s: unknown actor %s", origin, where,
                     json_is_string(name) ? json_string_value(name) : "(not a string)");
            rc = -1;
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (st->actors[j] == a) {
                snprintf(err, errlen, "%s: %s: actor %s is listed twice", origin, where,
                         json_string_value(name));
                rc = -1;
            }
        st->actors[i] = a;
    }
    json_decref(single);
    return rc;
}

static int take_string(json_t *step, const char *key, int required, char **out, const char *origin,
                       const char *where, char *err, size_t errlen)
{
    json_t *v = json_object_get(step, key);
    if (v == NULL) {
        if (required)
            FAIL("%s: %s: '%s' is required", origin, where, key);
        return 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0)
        FAIL("%s: %s: '%s' must be a non-empty string", origin, where, key);
    *out = xstrdup(json_string_value(v));
    return 0;
}

/* The keys each step kind allows ("do" and "description" with every kind). */
static const char *const step_keys[][10] = {
    [BR_STEP_FETCH_SLOTS] = {"do", "description", "actors", "save", "expect", NULL},
    [BR_STEP_PICK] = {"do", "description", "actors", "from", "choose", "n", "actor", "pick", "inspector",
                      "save"},
    [BR_STEP_HOLD] = {"do", "description", "actors", "slot", "save", "expect", NULL},
    [BR_STEP_BOOK] = {"do", "description", "actors", "slot", "hold", "save", "expect", NULL},
    [BR_STEP_CANCEL] = {"do", "description", "actors", "booking", "expect", NULL},
    [BR_STEP_SLEEP] = {"do", "description", "seconds", NULL},
    [BR_STEP_ADVANCE] = {"do", "description", "seconds", NULL},
    [BR_STEP_BARRIER] = {"do", "description", "actors", "release", NULL},
};

/* "do", the keys that kind allows, "description" and "expect"; |where| becomes "steps[I] (KIND)". */
static int parse_step_head(br_step *st, size_t index, json_t *v, const char *origin, char *where,
                           size_t wherelen, char *err, size_t errlen)
{
    char kerr[600];
    if (!json_is_object(v))
        FAIL("%s: %s must be an object", origin, where);
    json_t *kind = json_object_get(v, "do");
    int k = -1;
    for (int i = 0; json_is_string(kind) && i <= BR_STEP_BARRIER; i++)
        if (strcmp(json_string_value(kind), kind_names[i]) == 0)
            k = i;
    if (k < 0)
        FAIL(
            "%s: %s: unknown step kind '%s' (fetch_slots, pick, hold, book, cancel, sleep, advance, barrier)",
            origin, where, json_is_string(kind) ? json_string_value(kind) : "(missing \"do\")");
    st->kind = (br_step_kind)k;
    snprintf(where, wherelen, "steps[%zu] (%s)", index, kind_names[k]);
    const char *allowed[11];
    memcpy(allowed, step_keys[k], sizeof(step_keys[k]));
    allowed[10] = NULL;
    if (br_json_check_keys(v, allowed, where, kerr, sizeof(kerr)))
        FAIL("%s: %s", origin, kerr);
    if (take_string(v, "description", 0, &st->description, origin, where, err, errlen))
        return -1;
    json_t *expect = json_object_get(v, "expect");
    if (expect != NULL) {
        const char *e = json_is_string(expect) ? json_string_value(expect) : "";
        if (strcmp(e, "ok") == 0)
            st->expect = 0;
        else if (strcmp(e, "fail") == 0)
            st->expect = 1;
        else if (strcmp(e, "any") != 0)
            FAIL("%s: %s: expect must be \"ok\", \"fail\" or \"any\"", origin, where);
    }
    return 0;
}

/* sleep and advance: 'seconds'. */
static int parse_seconds(br_step *st, json_t *v, const char *origin, const char *where, char *err,
                         size_t errlen)
{
    json_t *sec = json_object_get(v, "seconds");
    if (!json_is_number(sec) || json_number_value(sec) < 0 || json_number_value(sec) > 86400)
        FAIL("%s: %s: 'seconds' must be a number from 0 to 86400", origin, where);
    st->seconds = json_number_value(sec);
    return 0;
}

/* barrier: 'release', last-byte unless given. */
static int parse_release(br_step *st, json_t *v, const char *origin, const char *where, char *err,
                         size_t errlen)
{
    json_t *rel = json_object_get(v, "release");
    const char *name = json_is_string(rel) ? json_string_value(rel) : "";
    st->release_given = rel != NULL;
    if (rel == NULL || strcmp(name, "last-byte") == 0)
        st->release = BR_RELEASE_LAST_BYTE;
    else if (strcmp(name, "plain") == 0)
        st->release = BR_RELEASE_PLAIN;
    else if (strcmp(name, "single-packet") == 0)
        st->release = BR_RELEASE_SINGLE_PACKET;
    else
        FAIL("%s: %s: release must be \"last-byte\", \"plain\" or \"single-packet\"", origin, where);
    return 0;
}

/* pick: 'choose' and, for choose nth, 'n'. */
static int parse_pick_rule(br_step *st, json_t *v, const char *origin, const char *where, char *err,
                           size_t errlen)
{
    static const char *const rules[] = {"first", "nth", "random", "same-as", "overlapping"};
    json_t *choose = json_object_get(v, "choose");
    const char *c = choose == NULL ? "first" : json_is_string(choose) ? json_string_value(choose) : "";
    int r = -1;
    for (int i = 0; i < 5; i++)
        if (strcmp(c, rules[i]) == 0)
            r = i;
    if (r < 0)
        FAIL("%s: %s: choose must be first, nth, random, same-as or overlapping", origin, where);
    st->rule = (br_pick_rule)r;
    json_t *n = json_object_get(v, "n");
    if (st->rule == BR_PICK_NTH) {
        if (!json_is_integer(n) || json_integer_value(n) < 0 || json_integer_value(n) > 10000)
            FAIL("%s: %s: choose nth needs 'n', an integer from 0", origin, where);
        st->nth = (int)json_integer_value(n);
    } else if (n != NULL) {
        FAIL("%s: %s: 'n' only goes with choose nth", origin, where);
    }
    return 0;
}

/* pick with choose same-as or overlapping: 'actor', another actor that has already picked 'pick'. */
static int parse_pick_other(br_scenario *s, br_step *st, json_t *v, const defined_names *names,
                            const char *origin, const char *where, char *err, size_t errlen)
{
    st->other_actor = -1;
    if (st->rule != BR_PICK_SAME_AS && st->rule != BR_PICK_OVERLAPPING) {
        if (json_object_get(v, "actor") || json_object_get(v, "pick"))
            FAIL("%s: %s: 'actor' and 'pick' only go with choose same-as or overlapping", origin, where);
        return 0;
    }
    char *other = NULL;
    if (take_string(v, "actor", 1, &other, origin, where, err, errlen))
        return -1;
    st->other_actor = find_actor(s, other);
    if (st->other_actor < 0) {
        snprintf(err, errlen, "%s: %s: unknown actor %s", origin, where, other);
        free(other);
        return -1;
    }
    free(other);
    if (take_string(v, "pick", 0, &st->other_pick, origin, where, err, errlen))
        return -1;
    if (st->other_pick == NULL)
        st->other_pick = xstrdup(st->save);
    if (!is_defined(&names[st->other_actor], st->other_pick, BR_STEP_PICK))
        FAIL("%s: %s: actor %s has not picked '%s' before this step", origin, where,
             s->actors[st->other_actor].name, st->other_pick);
    for (size_t i = 0; i < st->actor_count; i++)
        if (st->actors[i] == st->other_actor)
            FAIL("%s: %s: actor %s cannot pick relative to its own pick", origin, where,
                 s->actors[st->other_actor].name);
    return 0;
}

/* pick: 'from', 'save', 'inspector', the rule and the other actor. */
static int parse_pick(br_scenario *s, br_step *st, json_t *v, const defined_names *names, const char *origin,
                      const char *where, char *err, size_t errlen)
{
    char kerr[600];
    if (take_string(v, "from", 1, &st->from, origin, where, err, errlen) ||
        take_string(v, "save", 1, &st->save, origin, where, err, errlen) ||
        take_string(v, "inspector", 0, &st->inspector, origin, where, err, errlen))
        return -1;
    if (st->inspector && br_template_check(st->inspector, kerr, sizeof(kerr)))
        FAIL("%s: %s: inspector: %s", origin, where, kerr);
    if (parse_pick_rule(st, v, origin, where, err, errlen))
        return -1;
    return parse_pick_other(s, st, v, names, origin, where, err, errlen);
}

/* The names a step reads and saves: 'save', 'slot', 'hold', 'booking' by kind (pick has its own). */
static int parse_step_names(br_step *st, json_t *v, const char *origin, const char *where, char *err,
                            size_t errlen)
{
    switch (st->kind) {
    case BR_STEP_FETCH_SLOTS:
        return take_string(v, "save", 1, &st->save, origin, where, err, errlen);
    case BR_STEP_HOLD:
        return take_string(v, "slot", 1, &st->slot, origin, where, err, errlen) ||
                       take_string(v, "save", 1, &st->save, origin, where, err, errlen)
                   ? -1
                   : 0;
    case BR_STEP_BOOK:
        return take_string(v, "slot", 1, &st->slot, origin, where, err, errlen) ||
                       take_string(v, "hold", 0, &st->hold, origin, where, err, errlen) ||
                       take_string(v, "save", 0, &st->save, origin, where, err, errlen)
                   ? -1
                   : 0;
    case BR_STEP_CANCEL:
        return take_string(v, "booking", 1, &st->booking, origin, where, err, errlen);
    default:
        return 0;
    }
}

/* Each actor's names: what this step reads must exist, what it saves is defined from here on. */
static int check_step_names(const br_scenario *s, const br_step *st, defined_names *names, const char *origin,
                            const char *where, char *err, size_t errlen)
{
    const char *need_list = st->kind == BR_STEP_PICK ? st->from : NULL;
    for (size_t i = 0; i < st->actor_count; i++) {
        defined_names *d = &names[st->actors[i]];
        const char *actor = s->actors[st->actors[i]].name;
        if (need_list && !is_defined(d, need_list, BR_STEP_FETCH_SLOTS))
            FAIL("%s: %s: actor %s picks from '%s', a list it never fetched", origin, where, actor,
                 need_list);
        if (st->slot && !is_defined(d, st->slot, BR_STEP_PICK))
            FAIL("%s: %s: actor %s uses slot '%s', which it never picked", origin, where, actor, st->slot);
        if (st->hold && !is_defined(d, st->hold, BR_STEP_HOLD))
            FAIL("%s: %s: actor %s converts hold '%s', which it never placed", origin, where, actor,
                 st->hold);
        if (st->booking && !is_defined(d, st->booking, BR_STEP_BOOK))
            FAIL("%s: %s: actor %s cancels booking '%s', which it never made", origin, where, actor,
                 st->booking);
        if (st->save)
            define(d, st->save, st->kind);
    }
    return 0;
}

static int parse_step(br_scenario *s, size_t index, json_t *v, defined_names *names, const char *origin,
                      char *err, size_t errlen)
{
    br_step *st = &s->steps[index];
    st->barrier = -1;
    st->expect = -1;
    char where[96];
    snprintf(where, sizeof(where), "steps[%zu]", index);
    if (parse_step_head(st, index, v, origin, where, sizeof(where), err, errlen))
        return -1;
    if (st->kind == BR_STEP_SLEEP || st->kind == BR_STEP_ADVANCE)
        return parse_seconds(st, v, origin, where, err, errlen);
    if (parse_step_actors(s, st, json_object_get(v, "actors"), origin, where, err, errlen))
        return -1;
    if (st->kind == BR_STEP_BARRIER)
        return parse_release(st, v, origin, where, err, errlen);
    if (st->kind == BR_STEP_PICK ? parse_pick(s, st, v, names, origin, where, err, errlen)
                                 : parse_step_names(st, v, origin, where, err, errlen))
        return -1;
    return check_step_names(s, st, names, origin, where, err, errlen);
}

/* A barrier releases the next step, which must send requests for every actor it names. */
static int link_barriers(br_scenario *s, const char *origin, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->step_count; i++) {
        br_step *b = &s->steps[i];
        if (b->kind != BR_STEP_BARRIER)
            continue;
        if (i + 1 >= s->step_count || !br_step_is_http(s->steps[i + 1].kind))
            FAIL("%s: steps[%zu] (barrier) must be followed by a step that sends requests "
                 "(fetch_slots, hold, book or cancel)",
                 origin, i);
        br_step *next = &s->steps[i + 1];
        for (size_t a = 0; a < b->actor_count; a++) {
            int found = 0;
            for (size_t j = 0; j < next->actor_count; j++)
                found |= next->actors[j] == b->actors[a];
            if (!found)
                FAIL("%s: steps[%zu] (barrier) names actor %s, but steps[%zu] does not include it", origin, i,
                     s->actors[b->actors[a]].name, i + 1);
        }
        next->barrier = (int)i;
    }
    return 0;
}

int br_scenario_resolve_day(const char *spec, char out[11], char *err, size_t errlen)
{
    int64_t days;
    if (br_dayspec_resolve(spec, (int64_t)time(NULL) / 86400, &days, err, errlen) != 0)
        return -1;
    char buf[BR_TIME_BUFSIZE];
    br_time_format(days * 86400 * BR_USEC_PER_SEC, buf);
    snprintf(out, 11, "%.10s", buf);
    return 0;
}

/* "expect": what a run of this scenario must show, "clean" (the default) or "violation". */
static int parse_expectation(br_scenario *s, json_t *v, const char *origin, char *err, size_t errlen)
{
    const char *text = json_string_value(v);
    if (v == NULL || (text && strcmp(text, "clean") == 0))
        s->expect_violation = 0;
    else if (text && strcmp(text, "violation") == 0)
        s->expect_violation = 1;
    else {
        snprintf(err, errlen, "%s: expect must be \"clean\" or \"violation\"", origin);
        return -1;
    }
    return 0;
}

br_scenario *br_scenario_from_json(json_t *root, const char *origin, char *err, size_t errlen)
{
    static const char *const keys[] = {"name",   "description", "date",   "variables",
                                       "actors", "steps",       "expect", NULL};
    br_scenario *s = xcalloc(1, sizeof(*s));
    defined_names *names = NULL;
    char kerr[600];
    s->origin = xstrdup(origin);
    if (!json_is_object(root)) {
        snprintf(err, errlen, "%s: a scenario must be a JSON object", origin);
        goto fail;
    }
    if (br_json_check_keys(root, keys, "(top level)", kerr, sizeof(kerr))) {
        snprintf(err, errlen, "%s: %s", origin, kerr);
        goto fail;
    }
    json_t *name = json_object_get(root, "name"), *desc = json_object_get(root, "description");
    json_t *date = json_object_get(root, "date"), *vars = json_object_get(root, "variables");
    json_t *steps = json_object_get(root, "steps");
    if (!json_is_string(name) || !valid_name(json_string_value(name))) {
        snprintf(err, errlen, "%s: name must be 1-64 letters, digits, '-' or '_'", origin);
        goto fail;
    }
    s->name = xstrdup(json_string_value(name));
    s->source = json_incref(root);
    s->description = xstrdup(json_is_string(desc) ? json_string_value(desc) : "");
    char derr[400];
    if (!json_is_string(date) || json_string_length(date) >= sizeof(s->date_spec) ||
        br_scenario_resolve_day(json_string_value(date), s->date, derr, sizeof(derr)) != 0) {
        snprintf(err, errlen, "%s: %s", origin,
                 json_is_string(date) ? derr : "date must be a day such as \"2026-12-01\" or \"+14d\"");
        goto fail;
    }
    snprintf(s->date_spec, sizeof(s->date_spec), "%s", json_string_value(date));
    if (vars != NULL && !json_is_object(vars)) {
        snprintf(err, errlen, "%s: variables must be an object", origin);
        goto fail;
    }
    s->variables = vars ? json_incref(vars) : json_object();
    if (parse_expectation(s, json_object_get(root, "expect"), origin, err, errlen))
        goto fail;
    if (parse_actors(s, json_object_get(root, "actors"), origin, err, errlen))
        goto fail;
    if (!json_is_array(steps) || json_array_size(steps) == 0) {
        snprintf(err, errlen, "%s: steps must be a non-empty array", origin);
        goto fail;
    }
    s->step_count = json_array_size(steps);
    s->steps = xcalloc(s->step_count, sizeof(br_step));
    names = xcalloc(s->actor_count, sizeof(defined_names));
    for (size_t i = 0; i < s->step_count; i++)
        if (parse_step(s, i, json_array_get(steps, i), names, origin, err, errlen))
            goto fail;
    if (link_barriers(s, origin, err, errlen))
        goto fail;
    for (size_t i = 0; i < s->actor_count; i++) {
        free(names[i].names);
        free(names[i].kinds);
    }
    free(names);
    return s;
fail:
    for (size_t i = 0; names && i < s->actor_count; i++) {
        free(names[i].names);
        free(names[i].kinds);
    }
    free(names);
    br_scenario_free(s);
    return NULL;
}

br_scenario *br_scenario_load(const char *path, char *err, size_t errlen)
{
    json_t *root = br_json_load_file(path, err, errlen);
    if (root == NULL)
        return NULL;
    br_scenario *s = br_scenario_from_json(root, path, err, errlen);
    json_decref(root);
    return s;
}
