/*
 * The race runner (race.h): runs a scenario's trials step by step. HTTP steps
 * become requests rendered from the target profile (br_target_render) and sent
 * through the worker pool (pool.c), barrier steps release racing requests
 * together; every completed request is recorded in the trial's history, the
 * ground truth is read back (truth.c) and the oracle (oracle.c) judges it.
 */
#include "race.h"

#include "alloc.h"
#include "h2batch.h"
#include "iso8601.h"
#include "jsonptr.h"
#include "pool.h"
#include "template.h"
#include "truth.h"
#include "util.h"
#include "vars.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef br_slot slot;

typedef struct {
    const char *name; /* borrowed from the scenario */
    br_step_kind kind;
    int valid;
    slot *list; /* fetch_slots */
    size_t list_count;
    slot picked;        /* pick */
    char id[BR_ID_MAX]; /* hold, book */
    slot booked;        /* book */
    int fetch_op;       /* fetch_slots, pick: history index of the fetch the list came from */
} saved_value;

typedef struct {
    saved_value *values;
    size_t count, cap;
    char email[160];
    br_actor_view view;
} actor_state;

typedef struct {
    const br_run_config *cfg;
    const br_scenario *sc;
    const br_target *tg;
    br_pool *pool;
    int64_t origin_us;
    br_trial *trial;
    actor_state *actors;
    char date_end[11];
    char run_tag[48];
    br_run_result *result;
} run_ctx;

/* ---- small helpers --------------------------------------------------------------------------------- */

static void trial_note(br_trial *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    t->notes = xreallocarray(t->notes, t->note_count + 1, sizeof(char *));
    t->notes[t->note_count++] = xstrdup(buf);
}

static int fail_target(run_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->result->error, sizeof(c->result->error), fmt, ap);
    va_end(ap);
    c->result->status = BR_RUN_ETARGET;
    return -1;
}

static saved_value *find_saved(actor_state *a, const char *name, br_step_kind kind)
{
    for (size_t i = 0; i < a->count; i++)
        if (a->values[i].kind == kind && strcmp(a->values[i].name, name) == 0)
            return &a->values[i];
    return NULL;
}

/* Returns the value to overwrite for (name, kind), creating it; the previous list is freed. */
static saved_value *save_slot_for(actor_state *a, const char *name, br_step_kind kind)
{
    saved_value *v = find_saved(a, name, kind);
    if (v == NULL) {
        if (a->count == a->cap) {
            a->cap = a->cap ? a->cap * 2 : 8;
            a->values = xreallocarray(a->values, a->cap, sizeof(saved_value));
        }
        v = &a->values[a->count++];
        memset(v, 0, sizeof(*v));
        v->name = name;
        v->kind = kind;
    }
    free(v->list);
    v->list = NULL;
    v->list_count = 0;
    v->valid = 0;
    return v;
}

static void free_actor_states(actor_state *actors, size_t n)
{
    for (size_t i = 0; actors && i < n; i++) {
        for (size_t j = 0; j < actors[i].count; j++)
            free(actors[i].values[j].list);
        free(actors[i].values);
    }
    free(actors);
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* ---- requests -------------------------------------------------------------------------------------- */

typedef struct {
    br_request req;
    br_op_kind op;
    int actor;
    int base_url;
    char *path;
    struct curl_slist *headers;
    slot slot_used; /* what a hold or book asked for */
    int has_slot;
    char target_id[BR_ID_MAX]; /* cancel: the booking */
    int from_list;             /* hold, book: history index of the fetch the slot came from, or -1 */
} pending;

static void pending_free(pending *p)
{
    free(p->req.url);
    free(p->req.body);
    free(p->req.response);
    free(p->req.recorded);
    free(p->path);
    curl_slist_free_all(p->headers);
}

static void fill_template_ctx(run_ctx *c, br_template_ctx *t, int actor, const slot *s,
                              const char *booking_id, const char *hold_id, br_slot_view *sv)
{
    memset(t, 0, sizeof(*t));
    if (actor >= 0)
        t->actor = &c->actors[actor].view;
    if (s != NULL) {
        sv->inspector = s->inspector;
        sv->start = s->start;
        sv->end = s->end;
        t->slot = sv;
    }
    t->variables = c->cfg->variables ? c->cfg->variables : c->sc->variables;
    t->booking_id = booking_id;
    t->hold_id = hold_id;
    t->date = c->trial->date;
    t->date_end = c->date_end;
    t->run_id = c->cfg->run_id;
    t->trial = c->trial->index;
}

/* Collects the expanded value of a secret header ("Name: value"), so it is redacted wherever it shows up. */
static void remember_secret(run_ctx *c, const char *line)
{
    const char *colon = strchr(line, ':');
    if (colon == NULL || (size_t)(colon - line) >= 128)
        return;
    char name[128];
    snprintf(name, sizeof(name), "%.*s", (int)(colon - line), line);
    if (!br_target_header_is_secret(c->tg, name))
        return;
    for (colon++; *colon == ' '; colon++)
        ;
    br_secrets_add(&c->result->secrets, colon);
}

/*
 * Builds one request of operation |op| for |actor| (-1 for none) against base
 * URL |base|. Returns 0, or -1 with the reason in |err| (a template error: a
 * bad scenario or profile, exit 2).
 */
static int build_request(run_ctx *c, pending *p, br_op_kind op, int actor, int base, br_template_ctx *tctx,
                         char *err, size_t errlen)
{
    memset(p, 0, sizeof(*p));
    p->op = op;
    p->actor = actor;
    p->base_url = base;
    br_rendered r;
    if (br_target_render(c->tg, op, tctx, &r, err, errlen) != 0) {
        br_rendered_free(&r);
        return -1;
    }
    const char *baseurl = c->tg->base_urls[base];
    size_t len = strlen(baseurl) + strlen(r.path) + 1;
    p->req.url = xmalloc(len);
    snprintf(p->req.url, len, "%s%s", baseurl, r.path);
    for (size_t i = 0; i < r.header_count; i++) {
        p->headers = curl_slist_append(p->headers, r.header_lines[i]);
        remember_secret(c, r.header_lines[i]);
    }
    /* A known length and no "Expect: 100-continue": the body follows the headers at once. */
    p->headers = curl_slist_append(p->headers, "Expect:");
    p->path = r.path;
    r.path = NULL;
    if (r.body != NULL) {
        p->req.body = r.body;
        p->req.body_len = strlen(r.body);
        r.body = NULL;
    }
    br_rendered_free(&r);
    p->req.method = c->tg->ops[op].method;
    p->req.headers = p->headers;
    p->req.timeout_ms = c->tg->timeout_ms;
    p->req.thread = actor >= 0 ? actor : 0;
    p->req.record_headers = c->tg->record_headers;
    p->req.record_header_count = c->tg->record_header_count;
    p->from_list = -1;
    return 0;
}

/* "Name: value\n" lines kept by the pool, as an object; NULL when none. */
static json_t *recorded_headers(const char *lines)
{
    if (lines == NULL)
        return NULL;
    json_t *o = json_object();
    for (const char *l = lines; *l;) {
        const char *nl = strchr(l, '\n'), *colon = strchr(l, ':');
        if (nl == NULL || colon == NULL || colon > nl)
            break;
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)(colon - l), l);
        const char *v = colon + 1 + (colon[1] == ' ');
        json_object_set_new(o, name, json_stringn(v, (size_t)(nl - v)));
        l = nl + 1;
    }
    return o;
}

/* Scrubs secret values out of what the history keeps of one request. */
static void redact_op(const br_secrets *s, br_history_op *h)
{
    if (s->count == 0)
        return;
    br_redact_json(s, h->response);
    br_redact_json(s, h->headers);
    char **texts[] = {&h->path, &h->error};
    for (size_t i = 0; i < 2; i++)
        if (*texts[i] && br_secrets_found(s, *texts[i], strlen(*texts[i]))) {
            char *clean = br_redact_text(s, *texts[i], strlen(*texts[i]), NULL, NULL);
            free(*texts[i]);
            *texts[i] = clean;
        }
}

static void keep_response(br_history_op *h, pending *p);

/* Appends the completed request to the trial's history; returns the record. */
static br_history_op *record(run_ctx *c, pending *p, int step, int barrier_step, int expect)
{
    br_trial *t = c->trial;
    if (t->op_count == t->op_cap) {
        t->op_cap = t->op_cap ? t->op_cap * 2 : 64;
        t->ops = xreallocarray(t->ops, t->op_cap, sizeof(br_history_op));
    }
    br_history_op *h = &t->ops[t->op_count];
    memset(h, 0, sizeof(*h));
    br_op_record *r = &h->rec;
    r->index = (int)t->op_count++;
    r->actor = p->actor;
    if (p->actor >= 0)
        snprintf(r->actor_name, sizeof(r->actor_name), "%s", c->sc->actors[p->actor].name);
    r->step = step;
    r->expect = expect;
    r->op = p->op;
    r->outcome = br_outcome_of(&c->tg->ops[p->op], p->req.curl_code == CURLE_OK ? p->req.status : 0);
    r->status = p->req.status;
    r->invoke_us = p->req.invoke_us;
    r->complete_us = p->req.complete_us;
    r->invoke_scenario_us = p->req.invoke_us + t->advanced_us;
    r->complete_scenario_us = p->req.complete_us + t->advanced_us;
    if (p->has_slot) {
        snprintf(r->inspector, sizeof(r->inspector), "%s", p->slot_used.inspector);
        r->start_us = p->slot_used.start_us;
        r->end_us = p->slot_used.end_us;
    }
    if (p->target_id[0])
        snprintf(r->id, sizeof(r->id), "%s", p->target_id);
    h->barrier_step = barrier_step;
    h->from_list = p->from_list;
    snprintf(h->method, sizeof(h->method), "%s", p->req.method);
    h->path = p->path;
    p->path = NULL;
    h->error = p->req.curl_code != CURLE_OK ? xstrdup(p->req.curl_error) : NULL;
    h->last_byte_us = p->req.last_byte_us;
    h->base_url = p->base_url;
    h->headers = recorded_headers(p->req.recorded);
    keep_response(h, p);
    redact_op(&c->result->secrets, h);
    return h;
}

/* The parsed body, or what came as text cut to a readable size; the raw bytes are freed at once. */
static void keep_response(br_history_op *h, pending *p)
{
    if (p->req.response != NULL) {
        json_error_t jerr;
        h->response = json_loadb(p->req.response, p->req.response_len, 0, &jerr);
        if (h->response == NULL) /* keep what came as text, cut to a readable size */
            h->response =
                json_stringn(p->req.response, p->req.response_len > 4096 ? 4096 : p->req.response_len);
        if (h->response == NULL) {
            char note[96];
            snprintf(note, sizeof(note), "(%zu bytes that are neither JSON nor UTF-8 text)",
                     p->req.response_len);
            h->response = json_string(note);
        }
    }
    free(p->req.response);
    p->req.response = NULL;
}

/*
 * Runs |n| requests as one batch. A single-packet release goes over HTTP/2
 * (h2batch), which records in |h2| how, or why it fell back to last-byte.
 */
static int64_t run_batch(run_ctx *c, pending *ps, size_t n, int barrier_step, br_release release,
                         br_h2_batch_result *h2)
{
    br_request **reqs = xcalloc(n ? n : 1, sizeof(*reqs));
    for (size_t i = 0; i < n; i++) {
        ps[i].req.thread = ps[i].actor >= 0 ? ps[i].actor % br_pool_threads(c->pool) : 0;
        ps[i].req.ca_file = c->tg->tls_ca_file;
        ps[i].req.tls_insecure = c->tg->tls_insecure;
        reqs[i] = &ps[i].req;
        if (barrier_step >= 0 && barrier_step == c->cfg->stagger_step &&
            c->cfg->stagger_us > 0) { /* racer i waits i delays: so does its timeout */
            ps[i].req.release_offset_us = (int64_t)i * c->cfg->stagger_us;
            ps[i].req.timeout_ms += (long)(ps[i].req.release_offset_us / 1000) + 1;
        }
    }
    int64_t skew;
    if (barrier_step >= 0 && release == BR_RELEASE_SINGLE_PACKET) {
        br_h2_batch_options o = {.max_streams = c->tg->h2_max_streams,
                                 .tls_insecure = c->tg->tls_insecure,
                                 .ca_file = c->tg->tls_ca_file};
        skew = br_h2_batch_run(c->pool, reqs, n, &o, c->cfg->stop, h2);
    } else {
        skew = br_pool_run(c->pool, reqs, n, barrier_step >= 0, release);
    }
    free(reqs);
    return skew;
}

/* The release a barrier asks for: its own, or single-packet when it names none and the target says "http":
 * "2". */
br_release br_barrier_release(const br_step *barrier, int target_http2)
{
    if (barrier == NULL)
        return BR_RELEASE_PLAIN;
    if (!barrier->release_given && target_http2)
        return BR_RELEASE_SINGLE_PACKET;
    return barrier->release;
}

static br_release barrier_release(const run_ctx *c, const br_step *barrier)
{
    return br_barrier_release(barrier, c->tg->http2);
}

/* ---- steps ----------------------------------------------------------------------------------------- */

static int parse_slot(run_ctx *c, json_t *item, const br_operation *o, slot *out, int step, size_t index)
{
    const char *missing;
    int rc = br_slot_from_item(o, item, out, &missing);
    if (rc == -1)
        return fail_target(
            c, "steps[%d] (fetch_slots): slot %zu lacks %s (pointer %s does not resolve to a string)", step,
            index,
            missing == o->ptr_inspector ? "its inspector"
            : missing == o->ptr_start   ? "its start"
                                        : "its end",
            missing);
    if (rc != 0) {
        char b1[32], b2[32];
        return fail_target(
            c,
            "steps[%d] (fetch_slots): slot %zu has an unusable range '%s' - '%s' (RFC 3339 UTC, "
            "end after start)",
            step, index, br_json_pointer_text(item, o->ptr_start, b1, sizeof(b1)),
            br_json_pointer_text(item, o->ptr_end, b2, sizeof(b2)));
    }
    return 0;
}

/*
 * The inspectors the picks reading list |name| of |actor| filter on, expanded
 * (malloc'd, at most |cap|). 0 when a pick takes any inspector: then every slot
 * is kept. Keeping only what the picks can use bounds the memory of a run
 * whatever the size of the target's slot list (docs/performance.md).
 */
static size_t pick_filters(run_ctx *c, int actor, const char *name, char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < c->sc->step_count; i++) {
        const br_step *st = &c->sc->steps[i];
        int mine = 0;
        for (size_t k = 0; k < st->actor_count; k++)
            mine |= st->actors[k] == actor;
        if (st->kind != BR_STEP_PICK || !mine || strcmp(st->from, name) != 0)
            continue;
        char err[256];
        br_template_ctx t;
        br_slot_view sv;
        fill_template_ctx(c, &t, actor, NULL, NULL, NULL, &sv);
        char *only =
            st->inspector ? br_template_string(st->inspector, &t, BR_ESCAPE_NONE, err, sizeof(err)) : NULL;
        if (only == NULL || n == cap) { /* any inspector (or a filter the pick reports itself) */
            free(only);
            for (size_t k = 0; k < n; k++)
                free(out[k]);
            return 0;
        }
        out[n++] = only;
    }
    return n;
}

static void free_filters(char **only, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(only[i]);
}

static int slot_wanted(const slot *s, char *const *only, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->inspector, only[i]) == 0)
            return 1;
    return n == 0;
}

/* A large slot list is not kept whole in the history: its size and what the picks kept of it are. */
static void summarise_list(br_history_op *h, size_t total, size_t kept)
{
    char *text = json_dumps(h->response, JSON_COMPACT);
    size_t bytes = text ? strlen(text) : 0;
    free(text);
    if (bytes <= BR_FETCH_KEPT_BYTES)
        return;
    json_decref(h->response);
    h->response = json_pack("{s:s, s:I, s:I, s:I}", "bookrace", "slot list summarised (docs/results.md)",
                            "bytes", (json_int_t)bytes, "slots", (json_int_t)total, "kept", (json_int_t)kept);
}

static int after_fetch(run_ctx *c, const br_step *st, pending *p, br_history_op *h, int step)
{
    actor_state *a = &c->actors[p->actor];
    saved_value *v = save_slot_for(a, st->save, BR_STEP_FETCH_SLOTS);
    if (h->rec.outcome != BR_OUTCOME_OK)
        return 0;
    const br_operation *o = &c->tg->ops[BR_OP_FETCH_SLOTS];
    json_t *items = h->response ? br_json_pointer_get(h->response, o->ptr_items) : NULL;
    if (!json_is_array(items))
        return fail_target(
            c,
            "steps[%d] (fetch_slots): pointer %s does not resolve to an array in the %ld response "
            "to actor %s",
            step, o->ptr_items, h->rec.status, a->view.name);
    size_t total = json_array_size(items), kept = 0;
    char *only[16];
    size_t nonly = pick_filters(c, p->actor, st->save, only, 16);
    v->list = xcalloc((total < BR_SLOTS_KEPT_MAX ? total : BR_SLOTS_KEPT_MAX) + 1, sizeof(slot));
    for (size_t i = 0; i < total && kept < BR_SLOTS_KEPT_MAX; i++) {
        if (parse_slot(c, json_array_get(items, i), o, &v->list[kept], step, i)) {
            free_filters(only, nonly);
            return -1;
        }
        kept += slot_wanted(&v->list[kept], only, nonly);
    }
    free_filters(only, nonly);
    v->list_count = kept;
    v->fetch_op = h->rec.index;
    v->valid = 1;
    if (kept == BR_SLOTS_KEPT_MAX)
        trial_note(c->trial,
                   "steps[%d] (fetch_slots): actor %s keeps the first %d of %zu slots (the limit per list)",
                   step, a->view.name, BR_SLOTS_KEPT_MAX, total);
    summarise_list(h, total, kept);
    return 0;
}

static int after_write(run_ctx *c, const br_step *st, pending *p, br_history_op *h, int step)
{
    actor_state *a = &c->actors[p->actor];
    const br_operation *o = &c->tg->ops[p->op];
    saved_value *v = st->save ? save_slot_for(a, st->save, st->kind) : NULL;
    if (h->rec.outcome != BR_OUTCOME_OK)
        return 0;
    char b[64];
    const char *id = br_json_pointer_text(h->response, o->ptr_id, b, sizeof(b));
    if (id == NULL)
        return fail_target(
            c, "steps[%d] (%s): pointer %s does not resolve to an id in the %ld response to actor %s", step,
            br_step_kind_name(st->kind), o->ptr_id, h->rec.status, a->view.name);
    snprintf(h->rec.id, sizeof(h->rec.id), "%s", id);
    /* The response's own range and inspector, when the profile says where they are, are the truth. */
    if (p->op == BR_OP_BOOK) {
        char b1[32], b2[32], b3[32];
        const char *insp =
            o->ptr_inspector ? br_json_pointer_text(h->response, o->ptr_inspector, b1, sizeof(b1)) : NULL;
        const char *start =
            o->ptr_start ? br_json_pointer_text(h->response, o->ptr_start, b2, sizeof(b2)) : NULL;
        const char *end = o->ptr_end ? br_json_pointer_text(h->response, o->ptr_end, b3, sizeof(b3)) : NULL;
        int64_t s_us, e_us;
        if (insp)
            snprintf(h->rec.inspector, sizeof(h->rec.inspector), "%s", insp);
        if (start && end && br_time_parse(start, strlen(start), &s_us) == 0 &&
            br_time_parse(end, strlen(end), &e_us) == 0 && e_us > s_us) {
            h->rec.start_us = s_us;
            h->rec.end_us = e_us;
        }
    }
    if (v != NULL) {
        snprintf(v->id, sizeof(v->id), "%s", id);
        v->booked = p->slot_used;
        v->valid = 1;
    }
    return 0;
}

const br_slot *br_pick_slot(br_pick_rule rule, int nth, uint64_t random_key, const br_slot *other,
                            const br_slot *const *cands, size_t n)
{
    const slot *chosen = NULL;
    switch (rule) {
    case BR_PICK_FIRST:
        return n ? cands[0] : NULL;
    case BR_PICK_NTH:
        return nth >= 0 && (size_t)nth < n ? cands[nth] : NULL;
    case BR_PICK_RANDOM:
        return n ? cands[mix64(random_key) % n] : NULL;
    case BR_PICK_SAME_AS:
        for (size_t i = 0; i < n && other && !chosen; i++)
            if (strcmp(cands[i]->inspector, other->inspector) == 0 && cands[i]->start_us == other->start_us)
                chosen = cands[i];
        return chosen;
    case BR_PICK_OVERLAPPING: {
        int64_t best = INT64_MAX;
        for (size_t i = 0; i < n && other; i++) {
            const slot *s = cands[i];
            if (strcmp(s->inspector, other->inspector) != 0 || s->start_us == other->start_us ||
                !(s->start_us < other->end_us && other->start_us < s->end_us))
                continue;
            int64_t d = llabs(s->start_us - other->start_us);
            if (d < best) {
                best = d;
                chosen = s;
            }
        }
        return chosen;
    }
    }
    return NULL;
}

/* The candidates of a pick: the list's slots, or those of the inspector the step's filter names. */
static const slot **pick_candidates(run_ctx *c, const br_step *st, int actor, const saved_value *list,
                                    size_t *n, char *why, size_t whylen)
{
    char err[256];
    char *only = NULL;
    if (st->inspector) {
        br_template_ctx t;
        br_slot_view sv;
        fill_template_ctx(c, &t, actor, NULL, NULL, NULL, &sv);
        only = br_template_string(st->inspector, &t, BR_ESCAPE_NONE, err, sizeof(err));
        if (only == NULL) {
            snprintf(why, whylen, "inspector filter: %s", err);
            return NULL;
        }
    }
    const slot **cands = xcalloc(list->list_count + 1, sizeof(*cands));
    *n = 0;
    for (size_t i = 0; i < list->list_count; i++)
        if (only == NULL || strcmp(list->list[i].inspector, only) == 0)
            cands[(*n)++] = &list->list[i];
    free(only);
    return cands;
}

static const slot *pick_slot(run_ctx *c, const br_step *st, int actor, const saved_value *list, char *why,
                             size_t whylen)
{
    size_t n = 0;
    const slot **cands = pick_candidates(c, st, actor, list, &n, why, whylen);
    if (cands == NULL)
        return NULL;
    const saved_value *other = NULL;
    if (st->rule == BR_PICK_SAME_AS || st->rule == BR_PICK_OVERLAPPING) {
        other = find_saved(&c->actors[st->other_actor], st->other_pick, BR_STEP_PICK);
        if (other == NULL || !other->valid) {
            snprintf(why, whylen, "actor %s has no valid pick '%s'", c->sc->actors[st->other_actor].name,
                     st->other_pick);
            free(cands);
            return NULL;
        }
    }
    /* choose random: the run's seed, the trial, the actor and the step, so a seed replays a run's picks. */
    uint64_t key = c->cfg->seed ^ mix64(((uint64_t)c->trial->index << 40) ^ ((uint64_t)actor << 20) ^
                                        (uint64_t)(st - c->sc->steps));
    const slot *chosen = br_pick_slot(st->rule, st->nth, key, other ? &other->picked : NULL, cands, n);
    if (chosen == NULL)
        snprintf(why, whylen, "no slot in '%s' (%zu slots, %zu after the inspector filter) matches choose %s",
                 st->from, list->list_count, n,
                 (const char *[]){"first", "nth", "random", "same-as", "overlapping"}[st->rule]);
    free(cands);
    return chosen;
}

static void do_pick(run_ctx *c, const br_step *st, int step)
{
    for (size_t i = 0; i < st->actor_count; i++) {
        int a = st->actors[i];
        saved_value *list = find_saved(&c->actors[a], st->from, BR_STEP_FETCH_SLOTS);
        char why[400];
        const slot *chosen = NULL;
        if (list == NULL || !list->valid)
            snprintf(why, sizeof(why), "its list '%s' was not fetched successfully", st->from);
        else
            chosen = pick_slot(c, st, a, list, why, sizeof(why));
        saved_value *v = save_slot_for(&c->actors[a], st->save, BR_STEP_PICK);
        if (chosen != NULL) {
            v->picked = *chosen;
            v->fetch_op = list->fetch_op;
            v->valid = 1;
        } else {
            trial_note(c->trial, "steps[%d] (pick): actor %s picked nothing: %s", step, c->sc->actors[a].name,
                       why);
        }
    }
}

/* The history operation an HTTP step sends. */
static br_op_kind step_op(br_step_kind kind)
{
    return kind == BR_STEP_FETCH_SLOTS ? BR_OP_FETCH_SLOTS
           : kind == BR_STEP_HOLD      ? BR_OP_HOLD
           : kind == BR_STEP_BOOK      ? BR_OP_BOOK
                                       : BR_OP_CANCEL;
}

/* What one actor's request in a step refers to: values earlier steps saved under the names the step gives. */
typedef struct {
    const slot *slot;
    const char *booking_id, *hold_id;
    const char *missing; /* a name given that has no valid value (the last one looked up), or NULL */
    int from_list;       /* history index of the fetch the slot came from, or -1 */
} step_refs;

static void find_step_refs(actor_state *as, const br_step *st, step_refs *r)
{
    *r = (step_refs){.from_list = -1};
    if (st->slot) {
        saved_value *v = find_saved(as, st->slot, BR_STEP_PICK);
        if (v && v->valid) {
            r->slot = &v->picked;
            r->from_list = v->fetch_op;
        } else
            r->missing = st->slot;
    }
    if (st->hold) {
        saved_value *v = find_saved(as, st->hold, BR_STEP_HOLD);
        if (v && v->valid)
            r->hold_id = v->id;
        else
            r->missing = st->hold;
    }
    if (st->booking) {
        saved_value *v = find_saved(as, st->booking, BR_STEP_BOOK);
        if (v && v->valid) {
            r->booking_id = v->id;
            r->slot = &v->booked;
        } else {
            r->missing = st->booking;
        }
    }
}

/*
 * Renders actor |a|'s request for step |st| into |p|. Returns 0 when prepared, 1 when the actor sits the step
 * out because a value it refers to is missing (noted in the trial), -1 on a rendering error (in c->result).
 */
static int prepare_request(run_ctx *c, const br_step *st, int step, br_op_kind op, int a, pending *p)
{
    actor_state *as = &c->actors[a];
    step_refs r;
    find_step_refs(as, st, &r);
    if (r.missing) {
        trial_note(c->trial, "steps[%d] (%s): actor %s skipped: '%s' has no value (an earlier step failed)",
                   step, br_step_kind_name(st->kind), as->view.name, r.missing);
        if (st->save)
            save_slot_for(as, st->save, st->kind);
        return 1;
    }
    br_template_ctx t;
    br_slot_view sv;
    char err[512];
    fill_template_ctx(c, &t, a, r.slot, r.booking_id, r.hold_id, &sv);
    if (build_request(c, p, op, a, a % (int)c->tg->base_url_count, &t, err, sizeof(err)) != 0) {
        snprintf(c->result->error, sizeof(c->result->error), "steps[%d] (%s), actor %s: %s", step,
                 br_step_kind_name(st->kind), as->view.name, err);
        c->result->status = BR_RUN_EINTERNAL;
        pending_free(p);
        return -1;
    }
    if (r.slot != NULL && op != BR_OP_FETCH_SLOTS) {
        p->slot_used = *r.slot;
        p->has_slot = 1;
    }
    if (r.booking_id)
        snprintf(p->target_id, sizeof(p->target_id), "%s", r.booking_id);
    p->from_list = r.from_list;
    return 0;
}

/* Prepares the step's requests into |ps|, |*n| of them (actors that sit out have none). */
static int prepare_requests(run_ctx *c, const br_step *st, int step, br_op_kind op, pending *ps, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < st->actor_count; i++) {
        int rc = prepare_request(c, st, step, op, st->actors[i], &ps[*n]);
        if (rc < 0)
            return -1;
        if (rc == 0)
            (*n)++;
    }
    return 0;
}

/* A barrier that releases fewer racers than it gathered raced nothing: the trial cannot be judged. */
static void note_short_barrier(run_ctx *c, const br_step *st, int step, size_t n)
{
    if (st->barrier < 0 || n >= c->sc->steps[st->barrier].actor_count)
        return;
    c->trial->inconclusive = 1;
    trial_note(c->trial,
               "steps[%d] (%s): the barrier released %zu of its %zu racers; this trial raced nothing", step,
               br_step_kind_name(st->kind), n, c->sc->steps[st->barrier].actor_count);
}

/* Failures that mean the request never reached the target's HTTP layer. */
static int unreachable(CURLcode code)
{
    return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
           code == CURLE_PEER_FAILED_VERIFICATION || code == CURLE_SSL_CONNECT_ERROR;
}

/* How a batch went out, kept in the trial for a barrier step. */
typedef struct {
    br_release requested, release;
    br_h2_batch_result h2;
    int64_t skew_us;
    int64_t first_us; /* the earliest last byte sent, or INT64_MAX */
} batch_outcome;

static void keep_barrier_record(run_ctx *c, const br_step *st, int step, size_t n, const batch_outcome *b)
{
    br_trial *t = c->trial;
    t->barriers = xreallocarray(t->barriers, t->barrier_count + 1, sizeof(br_barrier_record));
    t->barriers[t->barrier_count++] =
        (br_barrier_record){.step = step,
                            .barrier_step = st->barrier,
                            .release = b->release,
                            .requested = b->requested,
                            .h2_connections = b->h2.connections,
                            .h2_writes = b->h2.writes,
                            .h2_segments = b->h2.segments,
                            .h2_server_max_streams = b->h2.server_max_streams,
                            .racers = (int)n,
                            .skew_us = b->skew_us,
                            .released_us = b->first_us == INT64_MAX ? 0 : b->first_us,
                            .stagger_us = st->barrier == c->cfg->stagger_step ? c->cfg->stagger_us : 0};
}

/* Sends the batch, releasing it together when the step follows a barrier. */
static void send_batch(run_ctx *c, const br_step *st, int step, pending *ps, size_t n, batch_outcome *b)
{
    const br_step *barrier = st->barrier >= 0 ? &c->sc->steps[st->barrier] : NULL;
    b->requested = b->release = barrier_release(c, barrier);
    b->h2 = (br_h2_batch_result){.segments = -1};
    b->skew_us = run_batch(c, ps, n, barrier ? st->barrier : -1, b->requested, &b->h2);
    if (b->requested == BR_RELEASE_SINGLE_PACKET && !b->h2.used_h2)
        b->release = BR_RELEASE_LAST_BYTE;
    if (b->requested == BR_RELEASE_SINGLE_PACKET && b->h2.note[0])
        trial_note(c->trial, "steps[%d] (%s): %s", step, br_step_kind_name(st->kind), b->h2.note);
}

/*
 * Records every response of the batch in the history and saves what the step keeps; stops saving at the first
 * failure but records the rest. Counts the requests that never reached the target in |*unreached|.
 */
static int record_batch(run_ctx *c, const br_step *st, int step, br_op_kind op, pending *ps, size_t n,
                        batch_outcome *b, size_t *unreached)
{
    int rc = 0;
    b->first_us = INT64_MAX;
    *unreached = 0;
    for (size_t i = 0; i < n; i++) {
        br_history_op *h = record(c, &ps[i], step, st->barrier >= 0 ? st->barrier : -1, st->expect);
        if (ps[i].req.last_byte_us && ps[i].req.last_byte_us < b->first_us)
            b->first_us = ps[i].req.last_byte_us;
        if (unreachable(ps[i].req.curl_code))
            (*unreached)++;
        if (rc == 0) {
            if (op == BR_OP_FETCH_SLOTS)
                rc = after_fetch(c, st, &ps[i], h, step);
            else if (op == BR_OP_HOLD || op == BR_OP_BOOK)
                rc = after_write(c, st, &ps[i], h, step);
        }
    }
    return rc;
}

/* Sends the prepared requests of a step and records them; a target nobody reached fails the run. */
static int send_step(run_ctx *c, const br_step *st, int step, br_op_kind op, pending *ps, size_t n)
{
    batch_outcome b;
    size_t unreached;
    send_batch(c, st, step, ps, n, &b);
    int rc = record_batch(c, st, step, op, ps, n, &b, &unreached);
    if (st->barrier >= 0)
        keep_barrier_record(c, st, step, n, &b);
    if (rc == 0 && unreached == n)
        rc = fail_target(c, "steps[%d] (%s): the target could not be reached (%s)", step,
                         br_step_kind_name(st->kind), ps[0].req.curl_error);
    return rc;
}

/* Builds, runs and records the requests of one HTTP step. */
static int do_http_step(run_ctx *c, const br_step *st, int step)
{
    br_op_kind op = step_op(st->kind);
    if (!c->tg->ops[op].present) {
        snprintf(c->result->error, sizeof(c->result->error),
                 "steps[%d] (%s): the target profile has no %s operation", step, br_step_kind_name(st->kind),
                 br_op_profile_name(op));
        c->result->status = BR_RUN_EINTERNAL;
        return -1;
    }
    pending *ps = xcalloc(st->actor_count + 1, sizeof(pending));
    size_t n = 0;
    int rc = prepare_requests(c, st, step, op, ps, &n);
    if (rc == 0)
        note_short_barrier(c, st, step, n);
    if (rc == 0 && n > 0)
        rc = send_step(c, st, step, op, ps, n);
    for (size_t i = 0; i < n; i++)
        pending_free(&ps[i]);
    free(ps);
    if (rc == 0 && atomic_load(c->cfg->stop)) {
        c->result->status = BR_RUN_EINTERRUPTED;
        return -1;
    }
    return rc;
}

/* A one-off request outside a scenario step (clock, reset, list), run on thread 0. */
static int simple_request(run_ctx *c, br_op_kind op, int base, double seconds, br_history_op **out, int step)
{
    br_template_ctx t;
    br_slot_view sv;
    char err[512];
    fill_template_ctx(c, &t, -1, NULL, NULL, NULL, &sv);
    t.seconds = seconds;
    t.has_seconds = 1;
    pending p;
    if (build_request(c, &p, op, -1, base, &t, err, sizeof(err)) != 0) {
        snprintf(c->result->error, sizeof(c->result->error), "%s operation: %s", br_op_profile_name(op), err);
        c->result->status = BR_RUN_EINTERNAL;
        pending_free(&p);
        return -1;
    }
    run_batch(c, &p, 1, -1, BR_RELEASE_PLAIN, NULL);
    br_history_op *h = record(c, &p, step, -1, -1);
    int ok = h->rec.outcome == BR_OUTCOME_OK;
    if (!ok)
        fail_target(c, "%s operation on %s answered %ld%s%s", br_op_profile_name(op), c->tg->base_urls[base],
                    h->rec.status, h->error ? ": " : "", h->error ? h->error : "");
    pending_free(&p);
    if (out)
        *out = h;
    return ok ? 0 : -1;
}

static int interruptible_wait(run_ctx *c, double seconds, const char *what)
{
    int64_t until = br_monotonic_us() + (int64_t)(seconds * 1e6);
    int tty = !c->cfg->quiet && isatty(STDERR_FILENO);
    int64_t last_shown = -1;
    for (;;) {
        if (atomic_load(c->cfg->stop)) {
            c->result->status = BR_RUN_EINTERRUPTED;
            return -1;
        }
        int64_t left = until - br_monotonic_us();
        if (left <= 0)
            break;
        int64_t secs = (left + 999999) / 1000000;
        if (!c->cfg->quiet && secs != last_shown) {
            if (tty)
                fprintf(stderr, "\r%s: %llds left ", what, (long long)secs);
            else if (last_shown < 0)
                fprintf(stderr, "%s: waiting %.1fs in real time\n", what, seconds);
            last_shown = secs;
        }
        struct timespec ts = {0, (left < 100000 ? left : 100000) * 1000};
        nanosleep(&ts, NULL);
    }
    if (tty && last_shown >= 0)
        fprintf(stderr, "\r%s: done%20s\n", what, "");
    return 0;
}

static int do_advance(run_ctx *c, const br_step *st, int step)
{
    if (c->tg->ops[BR_OP_CLOCK].present) {
        for (size_t b = 0; b < c->tg->base_url_count; b++)
            if (simple_request(c, BR_OP_CLOCK, (int)b, st->seconds, NULL, step) != 0)
                return -1;
        c->trial->advanced_us += (int64_t)llround(st->seconds * 1e6);
        return 0;
    }
    char what[96];
    snprintf(what, sizeof(what), "steps[%d] advance %.0fs (the target has no clock operation)", step,
             st->seconds);
    return interruptible_wait(c, st->seconds, what);
}

/* The list operation through the pool (thread 0), for br_truth_read. */
static int fetch_list(void *arg, json_t **response, char *err, size_t errlen)
{
    run_ctx *c = arg;
    br_history_op *h = NULL;
    if (simple_request(c, BR_OP_LIST, 0, 0, &h, -1) != 0) {
        snprintf(err, errlen, "%s", c->result->error);
        c->result->status = BR_RUN_OK;
        c->result->error[0] = '\0';
        return -1;
    }
    *response = h->response;
    return 0;
}

/* The ground truth of the trial's day: a source that answers nonsense is a target error. */
static void read_ground_truth(run_ctx *c)
{
    br_trial *t = c->trial;
    int64_t day;
    br_date_parse(t->date, 10, &day);
    br_truth truth;
    int rc = br_truth_read(c->tg, c->cfg->verify_mongo, day, day + 86400 * BR_USEC_PER_SEC, c->run_tag,
                           fetch_list, c, &truth);
    t->truth = truth.items;
    t->truth_count = truth.count;
    t->truth_checked = truth.checked;
    if (rc == BR_TRUTH_BAD)
        fail_target(c, "%s", truth.note);
    else if (rc == BR_TRUTH_NONE)
        snprintf(t->truth_note, sizeof(t->truth_note), "%s", truth.note);
}

/* What a conflict answer says it conflicted with, through the profile's conflictEvidence pointers. */
static void read_evidence(const br_operation *o, const br_history_op *h, br_conflict_evidence *e)
{
    memset(e, 0, sizeof(*e));
    if (h->rec.outcome != BR_OUTCOME_FAIL || h->response == NULL || (o->ev_id == NULL && o->ev_start == NULL))
        return;
    char b1[BR_ID_MAX], b2[BR_NAME_MAX], b3[64], b4[64];
    const char *id = o->ev_id ? br_json_pointer_text(h->response, o->ev_id, b1, sizeof(b1)) : NULL;
    const char *insp =
        o->ev_inspector ? br_json_pointer_text(h->response, o->ev_inspector, b2, sizeof(b2)) : NULL;
    const char *start = o->ev_start ? br_json_pointer_text(h->response, o->ev_start, b3, sizeof(b3)) : NULL;
    const char *end = o->ev_end ? br_json_pointer_text(h->response, o->ev_end, b4, sizeof(b4)) : NULL;
    if (start && end &&
        (br_time_parse(start, strlen(start), &e->start_us) || br_time_parse(end, strlen(end), &e->end_us)))
        e->start_us = e->end_us = 0;
    if (id == NULL && e->end_us <= e->start_us)
        return;
    e->present = 1;
    snprintf(e->id, sizeof(e->id), "%s", id ? id : "");
    snprintf(e->inspector, sizeof(e->inspector), "%s", insp ? insp : "");
}

/*
 * The oracle, then the judge: what the trial shows, with target errors and
 * justified refusals taken apart from the findings, and the trial's class.
 * The oracle sees what was recorded, even after an error: a partial history is still evidence.
 */
static void judge_trial(run_ctx *c)
{
    br_trial *t = c->trial;
    size_t n = t->op_count;
    br_op_record *recs = xcalloc(n + 1, sizeof(br_op_record));
    br_conflict_evidence *ev = xcalloc(n + 1, sizeof(br_conflict_evidence));
    unsigned char *raced = xcalloc(n + 1, 1);
    const char **errors = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        recs[i] = t->ops[i].rec;
        raced[i] = t->ops[i].barrier_step >= 0;
        errors[i] = t->ops[i].error;
        read_evidence(&c->tg->ops[recs[i].op], &t->ops[i], &ev[i]);
    }
    br_oracle_check(recs, n, t->truth, t->truth_count, t->truth_checked, &t->violations);
    br_judge_input in = {.ops = recs,
                         .op_count = n,
                         .evidence = ev,
                         .raced = raced,
                         .before = t->before,
                         .before_count = t->before_count,
                         .before_checked = t->before_checked,
                         .after = t->truth,
                         .after_count = t->truth_count,
                         .after_checked = t->truth_checked,
                         .barrier_short = t->inconclusive,
                         .precheck_failed = t->tally.precheck_failed};
    br_judge_trial(&in, &t->violations, &t->explained, &t->tally);
    t->cls = br_trial_classify(&t->tally);
    br_judge_target_answers(recs, errors, n, t->target_answers, sizeof(t->target_answers));
    free(errors);
    free(raced);
    free(ev);
    free(recs);
}

static void setup_actors(run_ctx *c)
{
    const br_scenario *s = c->sc;
    c->actors = xcalloc(s->actor_count, sizeof(actor_state));
    snprintf(c->run_tag, sizeof(c->run_tag), "%s.t%d", c->cfg->run_id, c->trial->index);
    for (size_t i = 0; i < s->actor_count; i++) {
        actor_state *a = &c->actors[i];
        snprintf(a->email, sizeof(a->email), "%s.%s@bookrace.test", s->actors[i].name, c->run_tag);
        a->view = (br_actor_view){.name = s->actors[i].name,
                                  .email = a->email,
                                  .address = s->actors[i].address,
                                  .lat = s->actors[i].lat,
                                  .lng = s->actors[i].lng,
                                  .index = (int)i};
        /* A profile's or --var's coordinates for this actor (validated by the caller: vars.h). */
        char err[160];
        if (c->cfg->variables)
            br_vars_actor_override(c->cfg->variables, a->view.name, &a->view.lat, &a->view.lng,
                                   &a->view.address, err, sizeof(err));
    }
}

static void set_day(run_ctx *c, int64_t day)
{
    char buf[BR_TIME_BUFSIZE];
    br_time_format(day, buf);
    snprintf(c->trial->date, sizeof(c->trial->date), "%.10s", buf);
    br_time_format(day + 86400 * BR_USEC_PER_SEC, buf);
    snprintf(c->date_end, sizeof(c->date_end), "%.10s", buf);
}

/* The day's bookings through the list operation (or MongoDB): BR_TRUTH_* as br_truth_read. */
static int read_day(run_ctx *c, br_truth *out)
{
    int64_t day;
    br_date_parse(c->trial->date, 10, &day);
    return br_truth_read(c->tg, c->cfg->verify_mongo, day, day + 86400 * BR_USEC_PER_SEC, c->run_tag,
                         fetch_list, c, out);
}

/* The inspectors the scenario's picks filter on, expanded (malloc'd); 0 when a pick takes any. */
static size_t scenario_inspectors(run_ctx *c, char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < c->sc->step_count; i++) {
        const br_step *st = &c->sc->steps[i];
        if (st->kind != BR_STEP_PICK)
            continue;
        char err[256];
        br_template_ctx t;
        br_slot_view sv;
        fill_template_ctx(c, &t, st->actor_count ? st->actors[0] : -1, NULL, NULL, NULL, &sv);
        char *only =
            st->inspector ? br_template_string(st->inspector, &t, BR_ESCAPE_NONE, err, sizeof(err)) : NULL;
        if (only == NULL || n == cap) {
            free(only);
            free_filters(out, n);
            return 0;
        }
        out[n++] = only;
    }
    return n;
}

/*
 * --free-day: from the trial's day on, the first day on which the scenario's
 * inspectors hold no active booking. 0, or -1 (a target error, or no such day
 * within BR_FREE_DAY_SEARCH days) with the reason in the result.
 */
static int find_free_day(run_ctx *c, int64_t *day)
{
    char *insp[16];
    size_t n = scenario_inspectors(c, insp, 16);
    int rc = -1;
    for (int k = 0; k < BR_FREE_DAY_SEARCH && c->result->status == BR_RUN_OK;
         k++, *day += 86400 * BR_USEC_PER_SEC) {
        set_day(c, *day);
        br_truth day_truth;
        int got = read_day(c, &day_truth);
        int busy = got == BR_TRUTH_CHECKED &&
                   br_truth_holds_any(day_truth.items, day_truth.count, (const char *const *)insp, n);
        if (got != BR_TRUTH_CHECKED)
            fail_target(c, "--free-day: cannot read the bookings of %s: %s", c->trial->date, day_truth.note);
        br_truth_free(&day_truth);
        if (got == BR_TRUTH_CHECKED && !busy) {
            rc = 0;
            break;
        }
    }
    if (rc != 0 && c->result->status == BR_RUN_OK)
        fail_target(c, "--free-day: every day up to %s holds bookings of the scenario's inspectors",
                    c->trial->date);
    free_filters(insp, n);
    return rc;
}

/* The trial's day: the run's first day plus the trial index (or the same day with a reset operation). */
static int choose_day(run_ctx *c)
{
    int64_t day = c->cfg->day_us;
    if (day == 0)
        br_date_parse(c->sc->date, 10, &day);
    if (!c->tg->ops[BR_OP_RESET].present)
        day += (int64_t)(c->cfg->day_offset + c->trial->index) * 86400 * BR_USEC_PER_SEC;
    if (c->cfg->free_day && c->trial->index > 0 && !c->tg->ops[BR_OP_RESET].present) {
        int64_t prev;
        br_date_parse(c->result->trials[c->trial->index - 1].date, 10, &prev);
        if (prev >= day)
            day = prev + 86400 * BR_USEC_PER_SEC;
    }
    set_day(c, day);
    return c->cfg->free_day ? find_free_day(c, &day) : 0;
}

/* Before the steps: the health pre-check, the reset, and the day's bookings for judging refusals. */
static int before_steps(run_ctx *c)
{
    br_trial *t = c->trial;
    if (c->tg->ops[BR_OP_HEALTH].present && simple_request(c, BR_OP_HEALTH, 0, 0, NULL, -1) != 0) {
        t->tally.precheck_failed = 1;
        return -1;
    }
    if (c->tg->ops[BR_OP_RESET].present && simple_request(c, BR_OP_RESET, 0, 0, NULL, -1) != 0)
        return -1;
    br_truth before;
    int got = read_day(c, &before);
    if (got == BR_TRUTH_BAD) {
        fail_target(c, "%s", before.note);
        br_truth_free(&before);
        return -1;
    }
    t->before = before.items;
    t->before_count = before.count;
    t->before_checked = got == BR_TRUTH_CHECKED;
    if (got != BR_TRUTH_CHECKED)
        trial_note(t, "the day's bookings before the trial: %s", before.note);
    return 0;
}

static int run_trial(run_ctx *c)
{
    const br_scenario *s = c->sc;
    setup_actors(c);
    int rc = choose_day(c);
    if (rc == 0)
        rc = before_steps(c);
    for (size_t i = 0; i < s->step_count && rc == 0; i++) {
        const br_step *st = &s->steps[i];
        switch (st->kind) {
        case BR_STEP_PICK:
            do_pick(c, st, (int)i);
            break;
        case BR_STEP_SLEEP: {
            char what[64];
            snprintf(what, sizeof(what), "steps[%zu] sleep", i);
            rc = interruptible_wait(c, st->seconds, what);
            break;
        }
        case BR_STEP_ADVANCE:
            rc = do_advance(c, st, (int)i);
            break;
        case BR_STEP_BARRIER:
            break;
        default:
            rc = do_http_step(c, st, (int)i);
            break;
        }
    }
    if (rc == 0)
        read_ground_truth(c);
    judge_trial(c);
    free_actor_states(c->actors, s->actor_count);
    c->actors = NULL;
    return c->result->status == BR_RUN_OK ? 0 : -1;
}

int br_run(const br_run_config *cfg, br_run_result *out)
{
    memset(out, 0, sizeof(*out));
    out->started_wall_us = br_wall_us();
    run_ctx c = {.cfg = cfg, .sc = cfg->scenario, .tg = cfg->target, .result = out};
    c.origin_us = br_monotonic_us();
    c.pool = br_pool_new(cfg->threads, c.origin_us, cfg->stop);
    if (c.pool == NULL) {
        snprintf(out->error, sizeof(out->error), "cannot start %d worker threads", cfg->threads);
        out->status = BR_RUN_EINTERNAL;
        return out->status;
    }
    out->trials = xcalloc((size_t)cfg->repeat, sizeof(br_trial));
    for (int i = 0; i < cfg->repeat; i++) {
        c.trial = &out->trials[i];
        c.trial->index = i;
        out->trial_count++;
        if (run_trial(&c) != 0 || c.trial->cls == BR_TRIAL_TARGET_ERROR)
            break; /* a failed target fails the next trial too: stop with what it answered */
        if (cfg->after_trial && cfg->after_trial(cfg->after_trial_arg, c.trial) != 0)
            break;
        if (atomic_load(cfg->stop)) {
            out->status = BR_RUN_EINTERRUPTED;
            break;
        }
    }
    br_pool_del(c.pool);
    out->finished_wall_us = br_wall_us();
    return out->status;
}

void br_run_result_free(br_run_result *r)
{
    for (size_t i = 0; i < r->trial_count; i++) {
        br_trial *t = &r->trials[i];
        for (size_t j = 0; j < t->op_count; j++) {
            free(t->ops[j].path);
            free(t->ops[j].error);
            json_decref(t->ops[j].response);
            json_decref(t->ops[j].headers);
        }
        free(t->ops);
        free(t->truth);
        free(t->before);
        free(t->barriers);
        br_violations_free(&t->violations);
        br_violations_free(&t->explained);
        for (size_t j = 0; j < t->note_count; j++)
            free(t->notes[j]);
        free(t->notes);
    }
    free(r->trials);
    br_secrets_free(&r->secrets);
    memset(r, 0, sizeof(*r));
}

void br_run_class_counts(const br_run_result *r, size_t counts[5])
{
    for (int k = 0; k < 5; k++)
        counts[k] = 0;
    for (size_t i = 0; i < r->trial_count; i++)
        counts[r->trials[i].cls]++;
}

int br_run_target_failure(const br_run_result *r, char *buf, size_t cap)
{
    for (size_t i = 0; i < r->trial_count; i++) {
        const br_trial *t = &r->trials[i];
        if (t->cls != BR_TRIAL_TARGET_ERROR)
            continue;
        if (t->target_answers[0])
            snprintf(buf, cap, "trial %d: the target failed every request: it answered %s", t->index,
                     t->target_answers);
        else
            snprintf(buf, cap, "trial %d: the target failed its pre-check", t->index);
        return 1;
    }
    return 0;
}

size_t br_run_trials_inconclusive(const br_run_result *r)
{
    size_t counts[5];
    br_run_class_counts(r, counts);
    return counts[BR_TRIAL_INCONCLUSIVE];
}

size_t br_run_trials_reproduced(const br_run_result *r)
{
    size_t counts[5];
    br_run_class_counts(r, counts);
    return counts[BR_TRIAL_VIOLATION];
}

size_t br_run_trials_with_violations(const br_run_result *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->trial_count; i++)
        n += r->trials[i].violations.count > 0;
    return n;
}
