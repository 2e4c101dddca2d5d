#include "load.h"

#include "iso8601.h"
#include "bookd_proc.h"
#include "race.h"
#include "hist.h"
#include "jsonptr.h"
#include "loadgen.h"
#include "oracle.h"
#include "results.h"
#include "scenario.h"
#include "target.h"
#include "template.h"
#include "verify_mongo.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_BOOKINGS 50000

static const char usage[] =
    "usage: bookrace load SCENARIO.json|--url URL [--target TARGET.json] [--base-url URL]... [--threads N]\n"
    "                     [--connections N] [--duration 30s] [--rate R/s] [--warmup 5s] [--days N]\n"
    "                     [--mix fetch_slots=10,book=1] [--date YYYY-MM-DD] [--out DIR] [--json FILE] "
    "[--quiet]\n"
    "                     [--verify-mongo URI [--mongo-db NAME] [--mongo-collection NAME]]\n";

typedef struct {
    int actor;
    char inspector[BR_NAME_MAX];
    int64_t start_us, end_us;
} booking_info;

typedef struct {
    size_t fetch_count, book_count;
    int fetch_weight, book_weight, connections;
    booking_info *bookings; /* index-aligned with the booking requests, which follow the fetches */
} mix;

static size_t pick_url(void *arg, int connection, uint64_t seq)
{
    (void)arg;
    (void)connection;
    (void)seq;
    return 0;
}

/* Requests are [fetches..., bookings...]. Each connection walks the bookings in its own stripe. */
static size_t pick_mix(void *arg, int connection, uint64_t seq)
{
    const mix *m = arg;
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

static int parse_duration(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || v < 0)
        return -1;
    if (strcmp(end, "ms") == 0)
        v /= 1000;
    else if (strcmp(end, "m") == 0)
        v *= 60;
    else if (*end != '\0' && strcmp(end, "s") != 0)
        return -1;
    *out = v;
    return 0;
}

typedef struct {
    char *data;
    size_t len;
} buffer;

static size_t collect(char *p, size_t s, size_t n, void *arg)
{
    buffer *b = arg;
    if (b->len + s * n > (8u << 20))
        return 0;
    b->data = realloc(b->data, b->len + s * n + 1);
    memcpy(b->data + b->len, p, s * n);
    b->len += s * n;
    b->data[b->len] = '\0';
    return s * n;
}

/*
 * A blocking request with libcurl (set-up work before and after the load, not the load itself).
 * |headers| is a block of "Name: value\r\n" lines. Fills |out| (caller frees out->data) and |status|.
 */
static CURLcode fetch(CURL *curl, const char *url, const char *headers, long timeout_s, buffer *out,
                      long *status)
{
    struct curl_slist *hl = NULL;
    for (const char *line = headers; line && *line;) {
        const char *eol = strstr(line, "\r\n");
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        char one[4096];
        snprintf(one, sizeof(one), "%.*s", (int)n, line);
        hl = curl_slist_append(hl, one);
        line = eol ? eol + 2 : line + n;
    }
    memset(out, 0, sizeof(*out));
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
    CURLcode cc = curl_easy_perform(curl);
    *status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(hl);
    return cc;
}

/* Expands an operation into a request for one actor/slot: path, header block (with Content-Type) and body. */
static int expand(const br_target *tg, br_op_kind op, const br_template_ctx *t, char **path, char **headers,
                  char **body, char *err, size_t errlen)
{
    const br_operation *o = &tg->ops[op];
    *path = br_template_string(o->path, t, BR_ESCAPE_URL, err, errlen);
    *headers = NULL;
    *body = NULL;
    if (*path == NULL)
        return -1;
    size_t cap = 256;
    for (size_t i = 0; i < tg->header_count; i++)
        cap += strlen(tg->header_names[i]) + 512;
    char *h = calloc(1, cap);
    int has_type = 0;
    for (size_t i = 0; i < tg->header_count; i++) {
        char *v = br_template_string(tg->header_values[i], t, BR_ESCAPE_NONE, err, errlen);
        if (v == NULL) {
            free(h);
            return -1;
        }
        snprintf(h + strlen(h), cap - strlen(h), "%s: %s\r\n", tg->header_names[i], v);
        has_type |= strcasecmp(tg->header_names[i], "Content-Type") == 0;
        free(v);
    }
    if (o->body) {
        json_t *b = br_template_json(o->body, t, err, errlen);
        if (b == NULL) {
            free(h);
            return -1;
        }
        *body = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(b);
        if (!has_type)
            snprintf(h + strlen(h), cap - strlen(h), "Content-Type: application/json\r\n");
    }
    *headers = h;
    return 0;
}

static void write_latency(json_t *obj, const br_hist *h)
{
    json_object_set_new(
        obj, "latencyUs",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "p50", (json_int_t)br_hist_percentile(h, 50), "p90",
                  (json_int_t)br_hist_percentile(h, 90), "p99", (json_int_t)br_hist_percentile(h, 99),
                  "p99.9", (json_int_t)br_hist_percentile(h, 99.9), "p99.99",
                  (json_int_t)br_hist_percentile(h, 99.99), "max", (json_int_t)h->max, "mean",
                  br_hist_mean(h)));
    json_t *buckets = json_array();
    for (size_t i = 0; i < BR_HIST_BUCKETS; i++)
        if (h->counts[i])
            json_array_append_new(
                buckets, json_pack("[I, I]", (json_int_t)br_hist_highest(i), (json_int_t)h->counts[i]));
    json_object_set_new(obj, "histogram", buckets);
}

static int64_t wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

int br_load_main(int argc, char **argv, atomic_int *stop)
{
    const char *scenario_path = NULL, *url = NULL, *target_path = NULL, *out_dir = NULL, *json_path = NULL;
    const char *verify_uri = NULL, *mongo_db = "bookd", *mongo_collection = "inspections", *date = NULL;
    char *base_urls[16];
    int base_count = 0, quiet = 0;
    long threads = 0, connections = 0, days = 14;
    double duration = 10, warmup = 0, rate = 0;
    int fetch_w = 10, book_w = 1;
    char err[1024], target_buf[PATH_MAX + 64];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
            continue;
        }
        if (a[0] != '-') {
            if (scenario_path) {
                fprintf(stderr, "bookrace: unexpected argument %s\n%s", a, usage);
                return 2;
            }
            scenario_path = a;
            continue;
        }
        if (v == NULL) {
            fprintf(stderr, "bookrace: %s needs a value\n%s", a, usage);
            return 2;
        }
        i++;
        char *end = NULL;
        int bad = 0;
        if (strcmp(a, "--url") == 0)
            url = v;
        else if (strcmp(a, "--target") == 0)
            target_path = v;
        else if (strcmp(a, "--base-url") == 0)
            bad = base_count >= 16, base_urls[base_count++] = (char *)v;
        else if (strcmp(a, "--out") == 0)
            out_dir = v;
        else if (strcmp(a, "--json") == 0)
            json_path = v;
        else if (strcmp(a, "--verify-mongo") == 0)
            verify_uri = v;
        else if (strcmp(a, "--date") == 0) {
            int64_t d;
            date = v;
            bad = br_date_parse(v, strlen(v), &d) != 0;
        } else if (strcmp(a, "--mongo-db") == 0)
            mongo_db = v;
        else if (strcmp(a, "--mongo-collection") == 0)
            mongo_collection = v;
        else if (strcmp(a, "--threads") == 0)
            threads = strtol(v, &end, 10), bad = *end || threads < 1 || threads > 256;
        else if (strcmp(a, "--connections") == 0)
            connections = strtol(v, &end, 10), bad = *end || connections < 1 || connections > 100000;
        else if (strcmp(a, "--days") == 0)
            days = strtol(v, &end, 10), bad = *end || days < 1 || days > 3650;
        else if (strcmp(a, "--duration") == 0)
            bad = parse_duration(v, &duration) || duration <= 0;
        else if (strcmp(a, "--warmup") == 0)
            bad = parse_duration(v, &warmup);
        else if (strcmp(a, "--rate") == 0) {
            rate = strtod(v, &end);
            bad = end == v || rate <= 0 || (*end && strcmp(end, "/s") != 0);
        } else if (strcmp(a, "--mix") == 0)
            bad = sscanf(v, "fetch_slots=%d,book=%d", &fetch_w, &book_w) != 2 || fetch_w < 0 || book_w < 0 ||
                  fetch_w + book_w == 0;
        else {
            fprintf(stderr, "bookrace: unknown option %s\n%s", a, usage);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "bookrace: invalid value '%s' for %s\n%s", v, a, usage);
            return 2;
        }
    }
    if ((scenario_path == NULL) == (url == NULL)) {
        fprintf(stderr, "bookrace: load needs a SCENARIO.json or --url URL (one of them)\n%s", usage);
        return 2;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads == 0)
        threads = cpus < 1 ? 1 : cpus;
    if (connections == 0)
        connections = threads * 16;
    if (connections < threads)
        threads = connections;

    br_load_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.threads = (int)threads;
    cfg.connections = (int)connections;
    cfg.duration_s = duration;
    cfg.warmup_s = warmup;
    cfg.rate = rate;
    cfg.timeout_ms = 10000;
    cfg.stop = stop;
    cfg.progress = !quiet && isatty(STDERR_FILENO);
    br_scenario *sc = NULL;
    br_target *tg = NULL;
    mix m = {.fetch_weight = fetch_w, .book_weight = book_w, .connections = (int)connections};
    br_load_request *reqs = NULL;
    size_t nreq = 0;
    int rc = 2;
    char run_id[17];
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)time(NULL);
    snprintf(run_id, sizeof(run_id), "%08x", rnd);
    char run_tag[48];
    snprintf(run_tag, sizeof(run_tag), "%s.load", run_id);
    char first_day[11] = "", end_day[11] = "";

    if (url != NULL) {
        char *host, *path;
        if (br_load_resolve(url, &cfg.addrs[0], &cfg.addr_lens[0], &host, &path, err, sizeof(err)) != 0) {
            fprintf(stderr, "bookrace: %s\n", err);
            return 2;
        }
        cfg.addr_count = 1;
        reqs = calloc(1, sizeof(br_load_request));
        reqs[0].data = br_load_format_request("GET", path, host, NULL, NULL, 0, &reqs[0].len);
        nreq = 1;
        free(host);
        free(path);
        cfg.op_names[0] = "get";
        cfg.op_count = 1;
        cfg.pick = pick_url;
    } else {
        sc = br_scenario_load(scenario_path, err, sizeof(err));
        if (sc == NULL) {
            fprintf(stderr, "bookrace: %s\n", err);
            return 2;
        }
        if (target_path == NULL)
            target_path = br_default_target_path(target_buf, sizeof(target_buf));
        tg = br_target_load(target_path, err, sizeof(err));
        if (tg == NULL || (base_count && br_target_set_base_urls(tg, base_urls, (size_t)base_count) != 0)) {
            fprintf(stderr, "bookrace: %s\n", tg ? "--base-url must be an http:// URL" : err);
            goto done;
        }
        char *hosts[16];
        for (size_t b = 0; b < tg->base_url_count && b < 16; b++) {
            char *path;
            if (br_load_resolve(tg->base_urls[b], &cfg.addrs[b], &cfg.addr_lens[b], &hosts[b], &path, err,
                                sizeof(err)) != 0) {
                fprintf(stderr, "bookrace: %s\n", err);
                goto done;
            }
            free(path);
            cfg.addr_count++;
        }
        /*
         * Preformat every request once. Slot lists are fetched first (each actor, each day) so that
         * bookings ask for what the backend offers, whatever its slot rules.
         */
        int64_t day0;
        br_date_parse(date ? date : sc->date, 10, &day0);
        size_t cap_req = sc->actor_count * (size_t)days + MAX_BOOKINGS + 1;
        reqs = calloc(cap_req, sizeof(br_load_request));
        br_load_request *books = calloc(MAX_BOOKINGS + 1, sizeof(br_load_request));
        m.bookings = calloc(MAX_BOOKINGS + 1, sizeof(booking_info));
        CURL *curl = curl_easy_init();
        int failed = 0;
        for (long d = 0; d < days && !failed; d++) {
            char date[BR_TIME_BUFSIZE], date_end[BR_TIME_BUFSIZE];
            br_time_format(day0 + d * 86400 * BR_USEC_PER_SEC, date);
            br_time_format(day0 + (d + 1) * 86400 * BR_USEC_PER_SEC, date_end);
            date[10] = date_end[10] = '\0';
            if (d == 0)
                snprintf(first_day, sizeof(first_day), "%.10s", date);
            snprintf(end_day, sizeof(end_day), "%.10s", date_end);
            for (size_t a = 0; a < sc->actor_count && !failed; a++) {
                char email[160];
                snprintf(email, sizeof(email), "%s.%s@bookrace.test", sc->actors[a].name, run_tag);
                br_actor_view av = {.name = sc->actors[a].name,
                                    .email = email,
                                    .address = sc->actors[a].address,
                                    .lat = sc->actors[a].lat,
                                    .lng = sc->actors[a].lng,
                                    .index = (int)a};
                br_template_ctx t = {.actor = &av,
                                     .variables = sc->variables,
                                     .date = date,
                                     .date_end = date_end,
                                     .run_id = run_id};
                char *path, *headers, *body;
                int base = (int)(a % tg->base_url_count);
                if (expand(tg, BR_OP_FETCH_SLOTS, &t, &path, &headers, &body, err, sizeof(err)) != 0) {
                    fprintf(stderr, "bookrace: fetchSlots: %s\n", err);
                    failed = 1;
                    break;
                }
                br_load_request *r = &reqs[nreq++];
                r->data = br_load_format_request(tg->ops[BR_OP_FETCH_SLOTS].method, path, hosts[base],
                                                 headers, body, body ? strlen(body) : 0, &r->len);
                r->op = 0;
                /* Fetch it once now for the slots it offers. */
                char full[2048];
                snprintf(full, sizeof(full), "%s%s", tg->base_urls[base], path);
                buffer resp;
                long status;
                CURLcode cc = fetch(curl, full, headers, 10, &resp, &status);
                free(path);
                free(headers);
                free(body);
                if (cc != CURLE_OK) {
                    fprintf(stderr, "bookrace: the target could not be reached: %s\n",
                            curl_easy_strerror(cc));
                    free(resp.data);
                    rc = 3;
                    failed = 2;
                    break;
                }
                json_error_t je;
                json_t *doc = resp.data ? json_loads(resp.data, 0, &je) : NULL;
                json_t *items = doc ? br_json_pointer_get(doc, tg->ops[BR_OP_FETCH_SLOTS].ptr_items) : NULL;
                free(resp.data);
                if (br_operation_classify(&tg->ops[BR_OP_FETCH_SLOTS], status) != BR_CLASS_SUCCESS ||
                    !json_is_array(items)) {
                    fprintf(stderr, "bookrace: fetchSlots answered %ld without a slot list at %s\n", status,
                            tg->ops[BR_OP_FETCH_SLOTS].ptr_items);
                    json_decref(doc);
                    rc = 3;
                    failed = 2;
                    break;
                }
                size_t k;
                json_t *item;
                json_array_foreach (items, k, item) {
                    if (m.book_count >= MAX_BOOKINGS)
                        break;
                    json_t *ins = br_json_pointer_get(item, tg->ops[BR_OP_FETCH_SLOTS].ptr_inspector);
                    json_t *st = br_json_pointer_get(item, tg->ops[BR_OP_FETCH_SLOTS].ptr_start);
                    json_t *en = br_json_pointer_get(item, tg->ops[BR_OP_FETCH_SLOTS].ptr_end);
                    booking_info *bi = &m.bookings[m.book_count];
                    if (!json_is_string(ins) || !json_is_string(st) || !json_is_string(en) ||
                        br_time_parse(json_string_value(st), json_string_length(st), &bi->start_us) ||
                        br_time_parse(json_string_value(en), json_string_length(en), &bi->end_us))
                        continue;
                    snprintf(bi->inspector, sizeof(bi->inspector), "%s", json_string_value(ins));
                    bi->actor = (int)a;
                    br_slot_view sv = {.inspector = json_string_value(ins),
                                       .start = json_string_value(st),
                                       .end = json_string_value(en)};
                    t.slot = &sv;
                    if (expand(tg, BR_OP_BOOK, &t, &path, &headers, &body, err, sizeof(err)) != 0) {
                        fprintf(stderr, "bookrace: book: %s\n", err);
                        failed = 1;
                        break;
                    }
                    br_load_request *br = &books[m.book_count++];
                    br->data = br_load_format_request(tg->ops[BR_OP_BOOK].method, path, hosts[base], headers,
                                                      body, body ? strlen(body) : 0, &br->len);
                    br->op = 1;
                    br->keep_body = 1;
                    free(path);
                    free(headers);
                    free(body);
                }
                json_decref(doc);
            }
        }
        curl_easy_cleanup(curl);
        for (size_t b = 0; b < (size_t)cfg.addr_count; b++)
            free(hosts[b]);
        m.fetch_count = nreq;
        /*
         * The bookings follow the fetches, in the order they were offered (day, customer, slot): the
         * connections walk them in interleaved stripes (pick_mix), so concurrent connections ask for
         * neighbouring, overlapping slots at the same time.
         */
        for (size_t i = 0; i < m.book_count; i++)
            reqs[nreq++] = books[i];
        free(books);
        if (failed) {
            if (failed == 1)
                rc = 2;
            goto done;
        }
        if (book_w > 0 && m.book_count == 0) {
            fprintf(stderr, "bookrace: the target offered no slot to book in %ld days from %s\n", days,
                    sc->date);
            rc = 3;
            goto done;
        }
        cfg.op_names[0] = "fetch_slots";
        cfg.op_names[1] = "book";
        cfg.op_count = 2;
        cfg.pick = pick_mix;
        cfg.pick_arg = &m;
    }
    cfg.requests = reqs;
    cfg.request_count = nreq;

    int64_t started_wall = wall_us();
    br_load_result res;
    if (br_load_run(&cfg, &res) != 0) {
        fprintf(stderr, "bookrace: cannot start %d threads\n", cfg.threads);
        rc = 2;
        goto done;
    }

    /* Everything booked goes through the oracle. */
    br_violations violations = {0};
    json_t *bookings_json = NULL;
    int truth_checked = 0;
    size_t acknowledged = 0;
    char truth_note[1100] = "";
    if (tg != NULL) {
        br_op_record *ops = calloc(res.ack_count + 1, sizeof(br_op_record));
        for (size_t i = 0; i < res.ack_count; i++) {
            br_load_ack *a = &res.acks[i];
            booking_info *bi = &m.bookings[a->request - m.fetch_count];
            br_op_record *o = &ops[i];
            o->index = (int)i;
            o->actor = bi->actor;
            snprintf(o->actor_name, sizeof(o->actor_name), "%s", sc->actors[bi->actor].name);
            o->op = BR_OP_BOOK;
            o->expect = -1;
            o->status = a->status;
            o->outcome = a->status == 0 ? BR_OUTCOME_INFO
                         : br_operation_classify(&tg->ops[BR_OP_BOOK], a->status) == BR_CLASS_SUCCESS
                             ? BR_OUTCOME_OK
                         : br_operation_classify(&tg->ops[BR_OP_BOOK], a->status) == BR_CLASS_INDETERMINATE
                             ? BR_OUTCOME_INFO
                             : BR_OUTCOME_FAIL;
            snprintf(o->inspector, sizeof(o->inspector), "%s", bi->inspector);
            o->start_us = bi->start_us;
            o->end_us = bi->end_us;
            o->invoke_us = o->invoke_scenario_us = a->send_us;
            o->complete_us = o->complete_scenario_us = a->complete_us;
            if (o->outcome == BR_OUTCOME_OK && a->body) {
                json_error_t je;
                json_t *doc = json_loads(a->body, 0, &je);
                json_t *id = doc ? br_json_pointer_get(doc, tg->ops[BR_OP_BOOK].ptr_id) : NULL;
                if (json_is_string(id))
                    snprintf(o->id, sizeof(o->id), "%s", json_string_value(id));
                else if (json_is_integer(id))
                    snprintf(o->id, sizeof(o->id), "%lld", (long long)json_integer_value(id));
                json_decref(doc);
            }
            acknowledged += o->outcome == BR_OUTCOME_OK;
        }
        br_truth_booking *truth = NULL;
        size_t truth_count = 0;
        if (verify_uri != NULL) {
            br_mongo_verify v;
            memset(&v, 0, sizeof(v));
            br_mongo_verify_from_json(&v, tg->mongo, target_path, err, sizeof(err));
            v.uri = strdup(verify_uri);
            v.db = strdup(mongo_db);
            v.collection = strdup(mongo_collection);
            int64_t from, to;
            br_date_parse(first_day, 10, &from);
            br_date_parse(end_day, 10, &to);
            if (br_mongo_read_truth(&v, from, to, run_tag, &truth, &truth_count, err, sizeof(err)) == 0)
                truth_checked = 1;
            else
                snprintf(truth_note, sizeof(truth_note), "%s", err);
            br_mongo_verify_free(&v);
        } else if (tg->ops[BR_OP_LIST].present) {
            /* One list call over the whole range of days. */
            br_template_ctx t = {
                .variables = sc->variables, .date = first_day, .date_end = end_day, .run_id = run_id};
            char *path, *headers, *body;
            if (expand(tg, BR_OP_LIST, &t, &path, &headers, &body, err, sizeof(err)) == 0) {
                char full[2048];
                snprintf(full, sizeof(full), "%s%s", tg->base_urls[0], path);
                CURL *curl = curl_easy_init();
                buffer resp;
                long list_status;
                if (fetch(curl, full, headers, 60, &resp, &list_status) == CURLE_OK && resp.data) {
                    const br_operation *o = &tg->ops[BR_OP_LIST];
                    json_error_t je;
                    json_t *doc = json_loads(resp.data, 0, &je);
                    char lerr[512];
                    if (doc == NULL)
                        snprintf(truth_note, sizeof(truth_note), "the list operation returned no JSON");
                    else if (br_truth_from_list(o, doc, run_tag, &truth, &truth_count, lerr, sizeof(lerr)) !=
                             0)
                        snprintf(truth_note, sizeof(truth_note), "the list operation: %s", lerr);
                    else
                        truth_checked = 1;
                    json_decref(doc);
                } else {
                    snprintf(truth_note, sizeof(truth_note), "the list operation failed");
                }
                free(resp.data);
                curl_easy_cleanup(curl);
                free(path);
                free(headers);
                free(body);
            }
        } else {
            snprintf(truth_note, sizeof(truth_note), "the target profile has no list operation");
        }
        br_oracle_check(ops, res.ack_count, truth, truth_count, truth_checked, &violations);
        /* Every booking request that got an answer or may have taken effect, for checks after the run. */
        bookings_json = json_array();
        for (size_t i = 0; i < res.ack_count; i++) {
            char s1[BR_TIME_BUFSIZE], s2[BR_TIME_BUFSIZE];
            br_time_format(ops[i].start_us, s1);
            br_time_format(ops[i].end_us, s2);
            json_array_append_new(bookings_json,
                                  json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I}", "id", ops[i].id,
                                            "inspector", ops[i].inspector, "start", s1, "end", s2, "status",
                                            (int)ops[i].status, "outcome", br_outcome_name(ops[i].outcome),
                                            "sendUs", (json_int_t)ops[i].invoke_us, "completeUs",
                                            (json_int_t)ops[i].complete_us));
        }
        free(truth);
        free(ops);
    }

    /* Results. */
    br_hist *overall = malloc(sizeof(br_hist));
    br_hist_init(overall);
    uint64_t total = 0;
    json_t *opsj = json_object();
    for (int o = 0; o < cfg.op_count; o++) {
        br_hist_merge(overall, res.hist[o]);
        total += res.requests[o];
        json_t *statuses = json_object();
        for (int s = 0; s < BR_LOAD_MAX_STATUSES && res.statuses[o][s].count; s++) {
            char key[16];
            snprintf(key, sizeof(key), "%d", res.statuses[o][s].status);
            json_object_set_new(statuses, key, json_integer((json_int_t)res.statuses[o][s].count));
        }
        json_t *oj = json_pack(
            "{s:I, s:f, s:o}", "requests", (json_int_t)res.requests[o], "throughputPerSecond",
            res.measured_s > 0 ? (double)res.requests[o] / res.measured_s : 0.0, "statuses", statuses);
        write_latency(oj, res.hist[o]);
        json_object_set_new(opsj, cfg.op_names[o], oj);
    }
    json_t *overallj = json_pack("{s:I, s:f}", "requests", (json_int_t)total, "throughputPerSecond",
                                 res.measured_s > 0 ? (double)total / res.measured_s : 0.0);
    write_latency(overallj, overall);
    json_t *series = json_array();
    for (size_t s = 0; s < res.seconds && (double)s < res.measured_s; s++)
        json_array_append_new(
            series, json_pack("{s:i, s:I}", "second", (int)s, "requests", (json_int_t)res.per_second[s]));
    json_t *vj = json_array();
    for (size_t i = 0; i < violations.count; i++)
        json_array_append_new(vj, json_pack("{s:s, s:s}", "kind",
                                            br_violation_kind_name(violations.items[i].kind), "text",
                                            violations.items[i].text));
    char started[BR_TIME_BUFSIZE];
    br_time_format(started_wall, started);
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:f, s:i, s:i, s:f, s:f, s:f, s:o, s:o, s:o, s:I, s:{s:I, s:I, "
        "s:I, s:I, "
        "s:I}}",
        "schema", "bookrace.load/1", "tool", "name", "bookrace", "version", BOOKRACE_VERSION, "startedAt",
        started, "runId", run_id, "model", rate > 0 ? "open" : "closed", "rate", rate, "threads", cfg.threads,
        "connections", cfg.connections, "durationSeconds", duration, "warmupSeconds", warmup,
        "measuredSeconds", res.measured_s, "operations", opsj, "overall", overallj, "timeseries", series,
        "lateSends", (json_int_t)res.late_sends, "errors", "connect", (json_int_t)res.errors_connect, "read",
        (json_int_t)res.errors_read, "write", (json_int_t)res.errors_write, "timeout",
        (json_int_t)res.errors_timeout, "parse", (json_int_t)res.errors_parse);
    if (url)
        json_object_set_new(doc, "url", json_string(url));
    else
        json_object_set_new(doc, "scenario",
                            json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", sc->name, "file", scenario_path,
                                      "target", tg->name, "mix",
                                      fetch_w == 10 && book_w == 1 ? "fetch_slots=10,book=1" : "custom",
                                      "days", (int)days));
    json_object_set_new(doc, "oracle",
                        json_pack("{s:b, s:b, s:s, s:I, s:o, s:o}", "checked", tg != NULL, "groundTruth",
                                  truth_checked, "note", truth_note, "bookingsAcknowledged",
                                  (json_int_t)acknowledged, "violations", vj, "bookings",
                                  bookings_json ? bookings_json : json_array()));
    char *text = json_dumps(doc, JSON_INDENT(1));
    json_decref(doc);

    char dir_buf[4096];
    if (out_dir == NULL) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
        snprintf(dir_buf, sizeof(dir_buf), "results/%s-load-%s", stamp, sc ? sc->name : "url");
        out_dir = dir_buf;
    }
    int write_failed =
        br_mkdir_p(out_dir) != 0 || br_write_file_atomic(out_dir, "load.json", text, strlen(text)) != 0;
    if (json_path != NULL)
        write_failed |= br_write_path_atomic(json_path, text, strlen(text)) != 0;
    free(text);

    printf("%-12s %10s %12s %9s %9s %9s %9s %9s\n", "operation", "requests", "req/s", "p50 us", "p90 us",
           "p99 us", "p99.9 us", "max us");
    for (int o = 0; o <= cfg.op_count; o++) {
        const br_hist *h = o < cfg.op_count ? res.hist[o] : overall;
        uint64_t n = o < cfg.op_count ? res.requests[o] : total;
        if (o == cfg.op_count && cfg.op_count == 1)
            break;
        printf("%-12s %10llu %12.1f %9lld %9lld %9lld %9lld %9lld\n",
               o < cfg.op_count ? cfg.op_names[o] : "all", (unsigned long long)n,
               res.measured_s > 0 ? (double)n / res.measured_s : 0, (long long)br_hist_percentile(h, 50),
               (long long)br_hist_percentile(h, 90), (long long)br_hist_percentile(h, 99),
               (long long)br_hist_percentile(h, 99.9), (long long)h->max);
    }
    if (res.errors_connect + res.errors_read + res.errors_write + res.errors_timeout + res.errors_parse)
        printf("errors: connect %llu, read %llu, write %llu, timeout %llu, parse %llu\n",
               (unsigned long long)res.errors_connect, (unsigned long long)res.errors_read,
               (unsigned long long)res.errors_write, (unsigned long long)res.errors_timeout,
               (unsigned long long)res.errors_parse);
    if (rate > 0)
        printf("open model at %.0f req/s: %llu sends were more than 1 ms late\n", rate,
               (unsigned long long)res.late_sends);
    if (tg != NULL) {
        for (size_t i = 0; i < violations.count && i < 10; i++)
            printf("%s\n", violations.items[i].text);
        printf("oracle: %zu acknowledged bookings, %zu violations%s%s\n", acknowledged, violations.count,
               truth_checked ? " (history and ground truth)" : " (history only: ",
               truth_checked ? "" : truth_note);
        if (!truth_checked)
            printf(")\n");
    }
    printf("results: %s/load.json\n", out_dir);
    /*
     * A violation outranks everything; a target that refused connections at some point (it died, or was
     * never there) is exit 3, as for run; otherwise 0.
     */
    rc = violations.count > 0 || write_failed ? 1 : total == 0 || res.errors_connect > 0 ? 3 : 0;
    if (atomic_load(stop))
        rc = 130;
    br_violations_free(&violations);
    free(overall);
    br_load_result_free(&res);
done:
    for (size_t i = 0; i < nreq; i++)
        free(reqs[i].data);
    free(reqs);
    free(m.bookings);
    br_scenario_free(sc);
    br_target_free(tg);
    return rc;
}
