/*
 * The plan of `bookrace load` (load_plan.h): resolving the target's addresses,
 * fetching each actor's slot lists once, and preformatting every request the
 * load engine (loadgen.c) will send, so nothing is formatted or allocated while
 * the clock runs. Requests are rendered by br_target_render, the same code the
 * race runner uses.
 */
#include "load_plan.h"

#include "alloc.h"
#include "bookd_proc.h"
#include "datadir.h"
#include "exitcode.h"
#include "iso8601.h"
#include "jsonptr.h"
#include "oracle.h"
#include "util.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESPONSE_BYTES (8u << 20)

typedef struct {
    char *data;
    size_t len;
} buffer;

static size_t collect(char *p, size_t s, size_t n, void *arg)
{
    buffer *b = arg;
    if (b->len + s * n > MAX_RESPONSE_BYTES)
        return 0;
    b->data = xrealloc(b->data, b->len + s * n + 1);
    memcpy(b->data + b->len, p, s * n);
    b->len += s * n;
    b->data[b->len] = '\0';
    return s * n;
}

char *br_load_http_get(const char *url, char *const *headers, size_t header_count, long timeout_ms,
                       long *status, char *err, size_t errlen)
{
    struct curl_slist *hl = NULL;
    for (size_t i = 0; i < header_count; i++)
        hl = curl_slist_append(hl, headers[i]);
    buffer out = {NULL, 0};
    CURL *curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    CURLcode cc = curl_easy_perform(curl);
    *status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(curl);
    curl_slist_free_all(hl);
    if (cc != CURLE_OK) {
        snprintf(err, errlen, "%s", curl_easy_strerror(cc));
        free(out.data);
        return NULL;
    }
    return out.data ? out.data : xstrdup("");
}

/* The rendered header lines as one "Name: value\r\n" block, as br_load_format_request takes them. */
static char *header_block(const br_rendered *r)
{
    size_t cap = 1;
    for (size_t i = 0; i < r->header_count; i++)
        cap += strlen(r->header_lines[i]) + 2;
    char *h = xmalloc(cap);
    size_t at = 0;
    for (size_t i = 0; i < r->header_count; i++)
        at += (size_t)snprintf(h + at, cap - at, "%s\r\n", r->header_lines[i]);
    h[at] = '\0';
    return h;
}

/* Preformats |r| as operation |op| (index into the op names) for the Host |host|. */
static void add_request(br_load_request *slot, const char *method, const br_rendered *r, const char *host,
                        int op)
{
    char *headers = header_block(r);
    slot->data = br_load_format_request(method, r->path, host, headers, r->body,
                                        r->body ? strlen(r->body) : 0, &slot->len);
    slot->op = op;
    free(headers);
}

static size_t pick_url(void *arg, int connection, uint64_t seq)
{
    (void)arg;
    (void)connection;
    (void)seq;
    return 0;
}

size_t br_load_pick_mix(void *arg, int connection, uint64_t seq)
{
    const br_load_plan *m = arg;
    uint64_t unit = (uint64_t)(m->fetch_weight + m->book_weight);
    uint64_t r = seq % unit, round = seq / unit;
    if (m->book_count == 0 || r < (uint64_t)m->fetch_weight || m->fetch_count == 0) {
        uint64_t k = round * (uint64_t)m->fetch_weight + r;
        return (size_t)((k * 7919u + (uint64_t)connection * 104729u) % m->fetch_count);
    }
    uint64_t b =
        (round * (uint64_t)m->book_weight + (r - (uint64_t)m->fetch_weight)) * (uint64_t)m->connections +
        (uint64_t)connection;
    return m->fetch_count + (size_t)(b % m->book_count);
}

/* --url: one GET, sent over and over. */
static int plan_url(const br_load_options *opt, br_load_plan *plan, br_load_config *cfg)
{
    char err[1024], *host, *path;
    if (br_load_resolve(opt->url, &cfg->addrs[0], &cfg->addr_lens[0], &host, &path, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        return BR_EXIT_USAGE;
    }
    cfg->addr_count = 1;
    plan->requests = xcalloc(1, sizeof(br_load_request));
    plan->requests[0].data = br_load_format_request("GET", path, host, NULL, NULL, 0, &plan->requests[0].len);
    plan->request_count = 1;
    free(host);
    free(path);
    cfg->op_names[0] = "get";
    cfg->op_count = 1;
    cfg->pick = pick_url;
    return BR_EXIT_HELD;
}

/* Scenario, profile and --base-url overrides. */
static int load_inputs(const br_load_options *opt, br_load_plan *plan)
{
    char err[1024], scenario_path[PATH_MAX];
    if (br_datadir_scenario(opt->scenario_path, scenario_path, sizeof(scenario_path), err, sizeof(err)) !=
            0 ||
        (plan->sc = br_scenario_load(scenario_path, err, sizeof(err))) == NULL ||
        br_datadir_target(opt->target_path, plan->target_buf, sizeof(plan->target_buf), err, sizeof(err)) !=
            0) {
        fprintf(stderr, "bookrace: %s\n", err);
        return BR_EXIT_USAGE;
    }
    plan->target_path = plan->target_buf;
    plan->tg = br_target_load(plan->target_path, err, sizeof(err));
    if (plan->tg == NULL || (opt->base_url_count &&
                             br_target_set_base_urls(plan->tg, opt->base_urls, opt->base_url_count) != 0)) {
        fprintf(stderr, "bookrace: %s\n", plan->tg ? "--base-url must be an http:// URL" : err);
        return BR_EXIT_USAGE;
    }
    return BR_EXIT_HELD;
}

/* Every base URL's address (for the engine) and Host value (for the requests). */
static int resolve_hosts(const br_load_plan *plan, br_load_config *cfg, char **hosts)
{
    char err[1024];
    for (size_t b = 0; b < plan->tg->base_url_count; b++) {
        char *path;
        if (br_load_resolve(plan->tg->base_urls[b], &cfg->addrs[b], &cfg->addr_lens[b], &hosts[b], &path, err,
                            sizeof(err)) != 0) {
            fprintf(stderr, "bookrace: %s\n", err);
            return BR_EXIT_USAGE;
        }
        free(path);
        cfg->addr_count++;
    }
    return BR_EXIT_HELD;
}

/* One day and one actor: what the templates see. */
typedef struct {
    br_actor_view actor;
    char email[160];
    char date[BR_TIME_BUFSIZE], date_end[BR_TIME_BUFSIZE];
    br_template_ctx t;
    int base; /* the base URL this actor uses */
    char *host;
} actor_day;

static void actor_day_init(actor_day *ad, const br_load_plan *plan, size_t a, int64_t day_us, char **hosts)
{
    const br_scenario *sc = plan->sc;
    memset(ad, 0, sizeof(*ad));
    br_time_format(day_us, ad->date);
    br_time_format(day_us + 86400 * BR_USEC_PER_SEC, ad->date_end);
    ad->date[10] = ad->date_end[10] = '\0';
    snprintf(ad->email, sizeof(ad->email), "%s.%s@bookrace.test", sc->actors[a].name, plan->run_tag);
    ad->actor = (br_actor_view){.name = sc->actors[a].name,
                                .email = ad->email,
                                .address = sc->actors[a].address,
                                .lat = sc->actors[a].lat,
                                .lng = sc->actors[a].lng,
                                .index = (int)a};
    ad->t = (br_template_ctx){.actor = &ad->actor,
                              .variables = sc->variables,
                              .date = ad->date,
                              .date_end = ad->date_end,
                              .run_id = plan->run_id};
    ad->base = (int)(a % plan->tg->base_url_count);
    ad->host = hosts[ad->base];
}

/* Fetches the actor's slot list once now, for the slots it offers. BR_EXIT_HELD with |*doc|, or exit 3. */
static int fetch_slot_list(const br_load_plan *plan, const actor_day *ad, const br_rendered *r, json_t **doc,
                           json_t **items)
{
    const br_operation *o = &plan->tg->ops[BR_OP_FETCH_SLOTS];
    char full[2048], err[256];
    snprintf(full, sizeof(full), "%s%s", plan->tg->base_urls[ad->base], r->path);
    long status;
    /* The profile's timeoutMs, as every request to the target obeys. */
    char *body = br_load_http_get(full, r->header_lines, r->header_count, plan->tg->timeout_ms, &status, err,
                                  sizeof(err));
    if (body == NULL) {
        fprintf(stderr, "bookrace: the target could not be reached: %s\n", err);
        return BR_EXIT_TARGET;
    }
    json_error_t je;
    *doc = json_loads(body, 0, &je);
    free(body);
    *items = *doc ? br_json_pointer_get(*doc, o->ptr_items) : NULL;
    if (br_outcome_of(o, status) != BR_OUTCOME_OK || !json_is_array(*items)) {
        fprintf(stderr, "bookrace: fetchSlots answered %ld without a slot list at %s\n", status,
                o->ptr_items);
        json_decref(*doc);
        *doc = NULL;
        return BR_EXIT_TARGET;
    }
    return BR_EXIT_HELD;
}

/* One booking request for every usable slot in |items| (until BR_LOAD_MAX_BOOKINGS). */
static int add_bookings(br_load_plan *plan, actor_day *ad, json_t *items, br_load_request *books)
{
    const br_target *tg = plan->tg;
    char err[1024];
    size_t k;
    json_t *item;
    json_array_foreach (items, k, item) {
        if (plan->book_count >= BR_LOAD_MAX_BOOKINGS)
            break;
        br_slot s;
        const char *missing;
        if (br_slot_from_item(&tg->ops[BR_OP_FETCH_SLOTS], item, &s, &missing) != 0)
            continue;
        br_slot_view sv = {.inspector = s.inspector, .start = s.start, .end = s.end};
        ad->t.slot = &sv;
        br_rendered r;
        int rc = br_target_render(tg, BR_OP_BOOK, &ad->t, &r, err, sizeof(err));
        ad->t.slot = NULL;
        if (rc != 0) {
            fprintf(stderr, "bookrace: book: %s\n", err);
            br_rendered_free(&r);
            return BR_EXIT_USAGE;
        }
        br_load_booking *bi = &plan->bookings[plan->book_count];
        bi->actor = ad->actor.index;
        snprintf(bi->inspector, sizeof(bi->inspector), "%s", s.inspector);
        bi->start_us = s.start_us;
        bi->end_us = s.end_us;
        br_load_request *req = &books[plan->book_count++];
        add_request(req, tg->ops[BR_OP_BOOK].method, &r, ad->host, 1);
        req->keep_body = 1;
        br_rendered_free(&r);
    }
    return BR_EXIT_HELD;
}

/* The actor's fetch request for one day, and a booking request for each slot it is offered. */
static int plan_actor_day(br_load_plan *plan, actor_day *ad, br_load_request *books)
{
    const br_target *tg = plan->tg;
    char err[1024];
    br_rendered r;
    if (br_target_render(tg, BR_OP_FETCH_SLOTS, &ad->t, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: fetchSlots: %s\n", err);
        br_rendered_free(&r);
        return BR_EXIT_USAGE;
    }
    add_request(&plan->requests[plan->request_count++], tg->ops[BR_OP_FETCH_SLOTS].method, &r, ad->host, 0);
    json_t *doc, *items;
    int rc = fetch_slot_list(plan, ad, &r, &doc, &items);
    br_rendered_free(&r);
    if (rc != BR_EXIT_HELD)
        return rc;
    rc = add_bookings(plan, ad, items, books);
    json_decref(doc);
    return rc;
}

/* Every day, every actor; then the bookings follow the fetches, in the order they were offered. */
static int plan_requests(const br_load_options *opt, br_load_plan *plan, char **hosts)
{
    const br_scenario *sc = plan->sc;
    int64_t day0;
    br_date_parse(opt->date ? opt->date : sc->date, 10, &day0);
    plan->requests =
        xcalloc(sc->actor_count * (size_t)opt->days + BR_LOAD_MAX_BOOKINGS + 1, sizeof(br_load_request));
    br_load_request *books = xcalloc(BR_LOAD_MAX_BOOKINGS + 1, sizeof(br_load_request));
    plan->bookings = xcalloc(BR_LOAD_MAX_BOOKINGS + 1, sizeof(br_load_booking));
    int rc = BR_EXIT_HELD;
    const br_segment_plan *seg = &plan->segment;
    for (long d = seg->day_lo; d < seg->day_hi && rc == BR_EXIT_HELD; d++) {
        for (size_t a = seg->actor_lo; a < seg->actor_hi && rc == BR_EXIT_HELD; a++) {
            actor_day ad;
            actor_day_init(&ad, plan, a, day0 + d * 86400 * BR_USEC_PER_SEC, hosts);
            if (d == seg->day_lo)
                snprintf(plan->first_day, sizeof(plan->first_day), "%.10s", ad.date);
            snprintf(plan->end_day, sizeof(plan->end_day), "%.10s", ad.date_end);
            rc = plan_actor_day(plan, &ad, books);
        }
    }
    plan->fetch_count = plan->request_count;
    /*
     * The bookings follow the fetches, in the order they were offered (day, customer, slot): the
     * connections walk them in interleaved stripes (br_load_pick_mix), so concurrent connections ask for
     * neighbouring, overlapping slots at the same time.
     */
    for (size_t i = 0; i < plan->book_count; i++)
        plan->requests[plan->request_count++] = books[i];
    free(books);
    return rc;
}

/* This segment's days and actors (segment.h); all of them when the load is not segmented. */
static int plan_segment(const br_load_options *opt, br_load_plan *plan)
{
    char err[512];
    if (br_segment_plan_make(&opt->segment, opt->total_connections, opt->total_rate, opt->days,
                             plan->sc ? plan->sc->actor_count : 0, &plan->segment, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        return BR_EXIT_USAGE;
    }
    return BR_EXIT_HELD;
}

static int plan_scenario(const br_load_options *opt, br_load_plan *plan, br_load_config *cfg)
{
    int rc = load_inputs(opt, plan);
    char *hosts[BR_MAX_BASE_URLS] = {NULL};
    if (rc == BR_EXIT_HELD)
        rc = plan_segment(opt, plan);
    if (rc == BR_EXIT_HELD)
        rc = resolve_hosts(plan, cfg, hosts);
    if (rc == BR_EXIT_HELD)
        rc = plan_requests(opt, plan, hosts);
    for (size_t b = 0; b < BR_MAX_BASE_URLS; b++)
        free(hosts[b]);
    if (rc != BR_EXIT_HELD)
        return rc;
    if (opt->book_weight > 0 && plan->book_count == 0) {
        fprintf(stderr, "bookrace: the target offered no slot to book in %ld days from %s%s\n", opt->days,
                opt->date ? opt->date : plan->sc->date, opt->date ? " (--date)" : " (the scenario's date)");
        return BR_EXIT_TARGET;
    }
    cfg->op_names[0] = "fetch_slots";
    cfg->op_names[1] = "book";
    cfg->op_count = 2;
    cfg->pick = br_load_pick_mix;
    cfg->pick_arg = plan;
    return BR_EXIT_HELD;
}

int br_load_parse_mix(const char *text, int *fetch_weight, int *book_weight)
{
    int weights[2] = {-1, -1};
    static const char *const names[2] = {"fetch_slots", "book"};
    for (const char *p = text; *p;) {
        const char *eq = strchr(p, '=');
        if (eq == NULL)
            return -1;
        int which = -1;
        for (int i = 0; i < 2; i++)
            if ((size_t)(eq - p) == strlen(names[i]) && strncmp(p, names[i], strlen(names[i])) == 0)
                which = i;
        char *end;
        long w = strtol(eq + 1, &end, 10);
        if (which < 0 || weights[which] >= 0 || end == eq + 1 || w < 0 || w > 1000000 ||
            (*end && *end != ','))
            return -1;
        weights[which] = (int)w;
        p = *end ? end + 1 : end;
        if (*end == ',' && *p == '\0')
            return -1;
    }
    int f = weights[0] < 0 ? 0 : weights[0], b = weights[1] < 0 ? 0 : weights[1];
    if (f + b == 0)
        return -1;
    *fetch_weight = f;
    *book_weight = b;
    return 0;
}

int br_load_plan_make(const br_load_options *opt, br_load_plan *plan, br_load_config *cfg)
{
    memset(plan, 0, sizeof(*plan));
    plan->fetch_weight = opt->fetch_weight;
    plan->book_weight = opt->book_weight;
    plan->connections = cfg->connections;
    br_new_run_id(plan->run_id);
    snprintf(plan->run_tag, sizeof(plan->run_tag), "%s.load", plan->run_id);
    int rc = opt->url ? plan_segment(opt, plan) : BR_EXIT_HELD;
    if (rc == BR_EXIT_HELD)
        rc = opt->url ? plan_url(opt, plan, cfg) : plan_scenario(opt, plan, cfg);
    cfg->requests = plan->requests;
    cfg->request_count = plan->request_count;
    return rc;
}

void br_load_plan_free(br_load_plan *plan)
{
    for (size_t i = 0; i < plan->request_count; i++)
        free(plan->requests[i].data);
    free(plan->requests);
    free(plan->bookings);
    br_scenario_free(plan->sc);
    br_target_free(plan->tg);
    memset(plan, 0, sizeof(*plan));
}
