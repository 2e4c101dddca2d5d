/*
 * bookd's HTTP API (api.h), independent of the HTTP library: routing,
 * authentication, query and JSON body validation, the handlers of every
 * route, the optimal-slots cache lookups, and JSON error bodies that name
 * the field and the rule. It never touches a socket, so unit tests and
 * fuzz_bookd_request drive exactly what the server runs.
 */
#include "api.h"

#include "alloc.h"
#include "http_head.h"
#include "iso8601.h"
#include "slots.h"
#include "strbuf.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_TYPE "application/json"
#define USEC_PER_MIN INT64_C(60000000)
#define USEC_PER_DAY (INT64_C(86400) * 1000000)
/* A hold may cover at most this much of one day. */
#define MAX_HOLD_US (INT64_C(12) * 3600 * 1000000)
/* 10000-01-01T00:00:00Z: a booking must end before it, or its endtime leaves RFC 3339's four-digit years. */
#define MAX_RFC3339_END_US (INT64_C(253402300800) * 1000000)
/* Query parameter values longer than this are refused. */
#define MAX_PARAM_LEN 256

struct bookd_api {
    bookd_api_shared shared;
    bookd_booking booking;
    bookd_store *store;
};

bookd_api *bookd_api_new(const bookd_api_shared *shared, bookd_store *store)
{
    bookd_api *api = xcalloc(1, sizeof(*api));
    api->shared = *shared;
    api->store = store;
    api->booking = (bookd_booking){
        .store = store,
        .clock = shared->clock,
        .fix = shared->fix,
        .race_window_us = shared->race_window_us,
        .hold_ttl_us = BOOKD_HOLD_TTL_US,
    };
    return api;
}

void bookd_api_del(bookd_api *api)
{
    if (api == NULL)
        return;
    bookd_store_del(api->store);
    free(api);
}

void bookd_response_clear(bookd_response *res)
{
    free(res->body);
    free(res->deferred);
    memset(res, 0, sizeof(*res));
}

/* ---- responses ---------------------------------------------------------------------------------------- */

/* Response buffers have no limit and grow with xrealloc (strbuf.h), so taking one yields the whole body. */
static void set_body(bookd_response *res, int status, bookd_strbuf *b)
{
    res->status = status;
    res->body = bookd_strbuf_take(b, &res->body_len);
    res->content_type = JSON_TYPE;
}

/* An error body {"error": code, "field"?: field, "detail": ...}. */
static void __attribute__((format(printf, 5, 6)))
set_error(bookd_response *res, int status, const char *code, const char *field, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    /* A detail cut at 511 bytes is cut between characters, never inside one. */
    if (n >= (int)sizeof(detail))
        detail[bookd_utf8_trim_len(detail, sizeof(detail) - 1)] = '\0';
    bookd_strbuf b;
    bookd_strbuf_init(&b, 256, 0);
    bookd_strbuf_puts(&b, "{\"error\":");
    bookd_strbuf_json_string(&b, code);
    if (field != NULL) {
        bookd_strbuf_puts(&b, ",\"field\":");
        bookd_strbuf_json_string(&b, field);
    }
    bookd_strbuf_puts(&b, ",\"detail\":");
    bookd_strbuf_json_string(&b, detail);
    bookd_strbuf_puts(&b, "}");
    free(res->body);
    res->body = NULL;
    set_body(res, status, &b);
}

static void store_error(bookd_api *api, bookd_response *res, bookd_write_result r)
{
    if (r == BOOKD_WRITE_BUSY)
        set_error(res, 503, "busy", NULL, "the database stayed locked; retry");
    else
        set_error(res, 500, "internal", NULL, "storage error: %s", api->store->ops->errmsg(api->store));
}

static void json_inspection(bookd_strbuf *b, const bookd_inspection *in)
{
    bookd_strbuf_puts(b, "{\"_id\":");
    bookd_strbuf_json_string(b, in->id);
    bookd_strbuf_puts(b, ",\"inspectorId\":");
    bookd_strbuf_json_string(b, in->inspector_id);
    bookd_strbuf_puts(b, ",\"serviceId\":");
    bookd_strbuf_json_string(b, in->service_id);
    bookd_strbuf_puts(b, ",\"datetime\":");
    bookd_strbuf_json_time(b, in->start_us);
    bookd_strbuf_puts(b, ",\"endtime\":");
    bookd_strbuf_json_time(b, in->end_us);
    bookd_strbuf_puts(b, ",\"status\":");
    bookd_strbuf_json_string(b, bookd_inspection_status_name(in->status));
    bookd_strbuf_puts(b, ",\"scheduledTs\":");
    bookd_strbuf_json_time(b, in->scheduled_us);
    bookd_strbuf_puts(b, ",\"address\":");
    bookd_strbuf_json_string(b, in->address);
    bookd_strbuf_puts(b, ",\"customer\":{\"name\":");
    bookd_strbuf_json_string(b, in->customer_name);
    bookd_strbuf_puts(b, ",\"email\":");
    bookd_strbuf_json_string(b, in->customer_email);
    bookd_strbuf_puts(b, "}");
    if (in->hold_id[0]) {
        bookd_strbuf_puts(b, ",\"holdId\":");
        bookd_strbuf_json_string(b, in->hold_id);
    }
    bookd_strbuf_puts(b, ",\"jobCreationType\":\"online\"}");
}

static void json_hold(bookd_strbuf *b, const bookd_hold *h)
{
    bookd_strbuf_puts(b, "{\"_id\":");
    bookd_strbuf_json_string(b, h->id);
    bookd_strbuf_puts(b, ",\"type\":\"Block\",\"inspectorId\":");
    bookd_strbuf_json_string(b, h->inspector_id);
    bookd_strbuf_puts(b, ",\"datetime\":");
    bookd_strbuf_json_time(b, h->start_us);
    bookd_strbuf_puts(b, ",\"endtime\":");
    bookd_strbuf_json_time(b, h->end_us);
    bookd_strbuf_puts(b, ",\"createdAt\":");
    bookd_strbuf_json_time(b, h->created_us);
    bookd_strbuf_puts(b, ",\"expiresAt\":");
    bookd_strbuf_json_time(b, h->expires_us);
    bookd_strbuf_puts(b, h->status == BOOKD_HOLD_ACTIVE ? ",\"status\":\"active\"}"
                                                        : ",\"status\":\"converted\"}");
}

/* 409 with what the write collided with, and counts the conflict. */
static void set_conflict(bookd_api *api, bookd_response *res, bookd_write_result r, const bookd_conflict *c)
{
    bookd_conflict_reason reason = r == BOOKD_WRITE_CONFLICT_HOLD     ? BOOKD_CONFLICT_REASON_HOLD
                                   : r == BOOKD_WRITE_CONFLICT_UNIQUE ? BOOKD_CONFLICT_REASON_UNIQUE_INDEX
                                                                      : BOOKD_CONFLICT_REASON_OVERLAP;
    bookd_metrics_conflict(api->shared.metrics, reason);
    bookd_strbuf b;
    bookd_strbuf_init(&b, 1024, 0);
    bookd_strbuf_puts(&b, "{\"error\":\"conflict\",\"reason\":");
    bookd_strbuf_json_string(&b, bookd_conflict_reason_name(reason));
    if (r == BOOKD_WRITE_CONFLICT_HOLD) {
        bookd_strbuf_puts(&b, ",\"detail\":\"the range overlaps another customer's working hold\","
                              "\"conflictsWith\":{\"kind\":\"hold\",\"event\":");
        json_hold(&b, &c->hold);
    } else {
        bookd_strbuf_puts(&b,
                          r == BOOKD_WRITE_CONFLICT_UNIQUE
                              ? ",\"detail\":\"an active booking of this inspector starts at the same time\""
                              : ",\"detail\":\"the range overlaps an active booking of this inspector\"");
        bookd_strbuf_puts(&b, ",\"conflictsWith\":{\"kind\":\"inspection\",\"inspection\":");
        if (c->inspection.id[0])
            json_inspection(&b, &c->inspection);
        else
            bookd_strbuf_puts(&b, "null");
    }
    bookd_strbuf_puts(&b, "}}");
    set_body(res, 409, &b);
}

/* ---- request parsing --------------------------------------------------------------------------------- */

static int path_is(const bookd_request *req, const char *path)
{
    size_t n = strlen(path);
    return req->path_len == n && memcmp(req->path, path, n) == 0;
}

static int method_is(const bookd_request *req, const char *method)
{
    size_t n = strlen(method);
    return req->method_len == n && memcmp(req->method, method, n) == 0;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/*
 * Percent-decodes into |out| (|cap| bytes incl. NUL). Returns 0, or -1 if
 * malformed, too long, has a NUL or is not UTF-8.
 */
static int url_decode(const char *in, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi, lo;
            if (i + 2 >= len || (hi = hex_value(in[i + 1])) < 0 || (lo = hex_value(in[i + 2])) < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    /* Every identifier and value bookd knows is UTF-8: %ff and friends are malformed, not unknown. */
    return bookd_utf8_valid(out, o) ? 0 : -1;
}

typedef struct {
    const char *name;
    char value[MAX_PARAM_LEN + 1];
    int present;
} query_param;

/*
 * Fills |params| from the query string. Unknown, repeated or malformed
 * parameters are refused with a 400 written to |res|; returns -1 then.
 */
static int parse_query(const bookd_request *req, query_param *params, size_t count, bookd_response *res)
{
    const char *q = req->query, *end = req->query ? req->query + req->query_len : NULL;
    while (q != NULL && q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        if (stop == q) {
            q = stop + 1;
            continue;
        }
        const char *name_end = eq ? eq : stop;
        char name[MAX_PARAM_LEN + 1];
        if (url_decode(q, (size_t)(name_end - q), name, sizeof(name)) != 0) {
            set_error(res, 400, "invalid_query", NULL, "malformed query parameter name");
            return -1;
        }
        query_param *p = NULL;
        for (size_t i = 0; i < count; i++)
            if (strcmp(params[i].name, name) == 0)
                p = &params[i];
        if (p == NULL) {
            set_error(res, 400, "unknown_parameter", name, "unknown query parameter '%s'", name);
            return -1;
        }
        if (p->present) {
            set_error(res, 400, "invalid_query", name, "query parameter '%s' is given twice", name);
            return -1;
        }
        const char *value = eq ? eq + 1 : stop;
        if (url_decode(value, (size_t)(stop - value), p->value, sizeof(p->value)) != 0) {
            set_error(res, 400, "invalid_query", name,
                      "query parameter '%s' is malformed or longer than %d bytes", name, MAX_PARAM_LEN);
            return -1;
        }
        p->present = 1;
        q = amp ? amp + 1 : end;
    }
    return 0;
}

static int require_param(const query_param *p, bookd_response *res)
{
    if (!p->present || p->value[0] == '\0') {
        set_error(res, 400, "missing_field", p->name, "query parameter '%s' is required", p->name);
        return -1;
    }
    return 0;
}

/* A plain decimal number: digits, an optional fraction and exponent. strtod alone also takes hex and "inf".
 */
static int is_decimal(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    int digits = 0;
    while (*s >= '0' && *s <= '9')
        s++, digits++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits++;
    if (digits == 0)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '-' || *s == '+')
            s++;
        if (*s < '0' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

static int parse_coordinate(const query_param *p, double limit, double *out, bookd_response *res)
{
    if (require_param(p, res))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(p->value, &end);
    if (!is_decimal(p->value) || *end != '\0' || errno != 0 || !isfinite(v) || v < -limit || v > limit) {
        set_error(res, 400, "invalid_field", p->name, "'%s' must be a number between %g and %g", p->name,
                  -limit, limit);
        return -1;
    }
    *out = v;
    return 0;
}

/* A date ("2026-12-01") or timestamp ("2026-12-01T09:00:00Z") query parameter. */
static int parse_time_param(const query_param *p, int64_t *out, bookd_response *res)
{
    if (require_param(p, res))
        return -1;
    size_t len = strlen(p->value);
    int rc = len == 10 ? br_date_parse(p->value, len, out) : br_time_parse(p->value, len, out);
    if (rc != 0) {
        set_error(res, 400, "invalid_field", p->name, "'%s': %s", p->name, br_time_strerror(rc));
        return -1;
    }
    return 0;
}

/* Parses the body as one JSON object. On failure writes a 400 naming line and column. */
static json_t *parse_body(const bookd_request *req, bookd_response *res)
{
    if (req->body == NULL || req->body_len == 0) {
        set_error(res, 400, "invalid_json", NULL, "a JSON object body is required");
        return NULL;
    }
    json_error_t err;
    json_t *root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &err);
    if (root == NULL) {
        set_error(res, 400, "invalid_json", NULL, "line %d, column %d: %s", err.line, err.column, err.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        set_error(res, 400, "invalid_json", NULL, "the body must be a JSON object");
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Refuses any key of |obj| not in the NULL-terminated |allowed| list. */
static int reject_unknown_keys(json_t *obj, const char *const *allowed, const char *prefix,
                               bookd_response *res)
{
    const char *key;
    json_t *value;
    json_object_foreach (obj, key, value) {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known) {
            set_error(res, 400, "unknown_field", key, "unknown field '%s%s'", prefix, key);
            return -1;
        }
    }
    return 0;
}

/*
 * Copies the string member |name| of |obj| into |out| (|cap| bytes). A
 * missing member is an error when |required|, else leaves "" in |out|.
 */
static int get_string(json_t *obj, const char *name, const char *label, int required, char *out, size_t cap,
                      bookd_response *res)
{
    json_t *v = json_object_get(obj, name);
    out[0] = '\0';
    if (v == NULL || json_is_null(v)) {
        if (!required)
            return 0;
        set_error(res, 400, "missing_field", label, "'%s' is required", label);
        return -1;
    }
    if (!json_is_string(v)) {
        set_error(res, 400, "invalid_field", label, "'%s' must be a string", label);
        return -1;
    }
    size_t len = json_string_length(v);
    if (len == 0 && required) {
        set_error(res, 400, "invalid_field", label, "'%s' must not be empty", label);
        return -1;
    }
    if (len >= cap) {
        set_error(res, 400, "invalid_field", label, "'%s' is longer than %zu bytes", label, cap - 1);
        return -1;
    }
    memcpy(out, json_string_value(v), len + 1);
    return 0;
}

static int get_time(json_t *obj, const char *name, int64_t *out, bookd_response *res)
{
    char text[64];
    if (get_string(obj, name, name, 1, text, sizeof(text), res))
        return -1;
    int rc = br_time_parse(text, strlen(text), out);
    if (rc != 0) {
        set_error(res, 400, "invalid_field", name, "'%s': %s", name, br_time_strerror(rc));
        return -1;
    }
    if (*out % 1000000 != 0) {
        set_error(res, 400, "invalid_field", name, "'%s' must be a whole second", name);
        return -1;
    }
    return 0;
}

static int is_hex_id(const char *s)
{
    if (strlen(s) != BOOKD_ID_LEN)
        return 0;
    for (const char *p = s; *p; p++)
        if (hex_value(*p) < 0 || (*p >= 'A' && *p <= 'F'))
            return 0;
    return 1;
}

static const char *find_inspector(const bookd_company *c, const char *id)
{
    for (size_t i = 0; i < c->inspector_count; i++)
        if (strcmp(c->inspectors[i], id) == 0)
            return c->inspectors[i];
    return NULL;
}

static const bookd_service *find_service(const bookd_company *c, const char *id)
{
    for (size_t i = 0; i < c->service_count; i++)
        if (strcmp(c->services[i].id, id) == 0)
            return &c->services[i];
    return NULL;
}

const bookd_company *bookd_catalog_company_by_key(const bookd_catalog *catalog, const char *key,
                                                  size_t key_len)
{
    /*
     * Compare every byte of every key, whatever matches, so the time taken
     * says nothing about how much of a guessed key was right.
     */
    const bookd_company *found = NULL;
    for (size_t i = 0; i < catalog->company_count; i++) {
        const char *candidate = catalog->companies[i].api_key;
        size_t clen = strlen(candidate);
        unsigned diff = (unsigned)(clen ^ key_len);
        for (size_t j = 0; j < clen; j++)
            diff |= (unsigned char)candidate[j] ^ (unsigned char)(j < key_len ? key[j] : 0);
        if (diff == 0 && clen > 0)
            found = &catalog->companies[i];
    }
    return found;
}

static const bookd_company *authenticate(bookd_api *api, const bookd_request *req, bookd_response *res)
{
    static const char prefix[] = "Bearer ";
    const bookd_company *c = NULL;
    if (req->authorization != NULL && req->authorization_len > sizeof(prefix) - 1 &&
        strncasecmp(req->authorization, prefix, sizeof(prefix) - 1) == 0)
        c = bookd_catalog_company_by_key(api->shared.catalog, req->authorization + sizeof(prefix) - 1,
                                         req->authorization_len - (sizeof(prefix) - 1));
    if (c == NULL)
        set_error(res, 401, "unauthorized", NULL, "missing or unknown API key (Authorization: Bearer <key>)");
    return c;
}

/* ---- handlers ---------------------------------------------------------------------------------------- */

static void handle_health(bookd_api *api, bookd_response *res)
{
    bookd_strbuf b;
    bookd_strbuf_init(&b, 256, 0);
    bookd_strbuf_printf(&b,
                        "{\"status\":\"ok\",\"fix\":\"%s\",\"slotCache\":", bookd_fix_name(api->shared.fix));
    bookd_strbuf_json_string(&b, api->shared.cache_spec);
    bookd_strbuf_printf(&b, ",\"clock\":\"%s\",\"now\":",
                        bookd_clock_get_kind(api->shared.clock) == BOOKD_CLOCK_VIRTUAL ? "virtual" : "real");
    bookd_strbuf_json_time(&b, bookd_clock_now_us(api->shared.clock));
    bookd_strbuf_printf(&b, ",\"raceWindowUs\":%lld}", (long long)api->shared.race_window_us);
    set_body(res, 200, &b);
}

static void handle_metrics(bookd_api *api, bookd_response *res)
{
    size_t len;
    char *text = bookd_metrics_render(api->shared.metrics, &len);
    bookd_strbuf b;
    bookd_strbuf_init(&b, len + 512, 0);
    bookd_strbuf_append(&b, text, len);
    free(text);
    /* The slot cache's footprint, next to its budget (--slot-cache-bytes). */
    bookd_strbuf_printf(&b,
                        "# HELP bookd_slot_cache_bytes Bytes held by the optimal-slots cache.\n"
                        "# TYPE bookd_slot_cache_bytes gauge\nbookd_slot_cache_bytes %zu\n"
                        "# HELP bookd_slot_cache_entries Entries in the optimal-slots cache.\n"
                        "# TYPE bookd_slot_cache_entries gauge\nbookd_slot_cache_entries %zu\n",
                        bookd_slot_cache_bytes(api->shared.cache), bookd_slot_cache_size(api->shared.cache));
    set_body(res, 200, &b);
    res->content_type = "text/plain; version=0.0.4";
}

/* Busy ranges per inspector of one company, index-aligned with company->inspectors. */
typedef struct {
    const bookd_company *company;
    bookd_interval **busy;
    size_t *busy_count, *busy_cap;
    int64_t valid_until_us; /* the earliest expiry of any hold collected: the list changes then */
} busy_collector;

static void collect_busy(void *arg, const char *inspector, int64_t start_us, int64_t end_us,
                         int64_t expires_us)
{
    busy_collector *bc = arg;
    if (expires_us < bc->valid_until_us)
        bc->valid_until_us = expires_us;
    for (size_t i = 0; i < bc->company->inspector_count; i++) {
        if (strcmp(bc->company->inspectors[i], inspector) != 0)
            continue;
        if (bc->busy_count[i] == bc->busy_cap[i]) {
            size_t cap = bc->busy_cap[i] ? bc->busy_cap[i] * 2 : 8;
            bc->busy[i] = xreallocarray(bc->busy[i], cap, sizeof(*bc->busy[i]));
            bc->busy_cap[i] = cap;
        }
        bc->busy[i][bc->busy_count[i]++] = (bookd_interval){start_us, end_us};
        return;
    }
}

typedef struct {
    int64_t start_us;
    const char *inspector;
} slot_entry;

static int compare_slots(const void *a, const void *b)
{
    const slot_entry *x = a, *y = b;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    return strcmp(x->inspector, y->inspector);
}

/* Computes the slot list body (no caching here), and until when it holds if nothing is written. */
static int compute_slots(bookd_api *api, const bookd_company *company, const bookd_service *service,
                         const char *only_inspector, int64_t day_us, double lat, double lng,
                         bookd_strbuf *out, int64_t *valid_until_us)
{
    size_t n = company->inspector_count;
    busy_collector bc = {
        .company = company,
        .valid_until_us = INT64_MAX,
        .busy = xcalloc(n + 1, sizeof(*bc.busy)),
        .busy_count = xcalloc(n + 1, sizeof(size_t)),
        .busy_cap = xcalloc(n + 1, sizeof(size_t)),
    };
    slot_entry *slots = xcalloc(n * BOOKD_MAX_SLOTS_PER_INSPECTOR + 1, sizeof(*slots));
    int64_t now = bookd_clock_now_us(api->shared.clock);
    int rc = api->store->ops->list_busy(api->store, company->id, day_us, day_us + USEC_PER_DAY, now,
                                        collect_busy, &bc);
    int offset = bookd_travel_offset_minutes(lat, lng);
    int64_t duration = service->duration_minutes * USEC_PER_MIN;
    size_t count = 0;
    if (rc == 0) {
        for (size_t i = 0; i < n; i++) {
            if (only_inspector && strcmp(only_inspector, company->inspectors[i]) != 0)
                continue;
            int64_t starts[BOOKD_MAX_SLOTS_PER_INSPECTOR];
            size_t k =
                bookd_slots_for_inspector(day_us, offset, duration, bc.busy[i], bc.busy_count[i], starts);
            for (size_t j = 0; j < k; j++)
                slots[count++] = (slot_entry){starts[j], company->inspectors[i]};
        }
        qsort(slots, count, sizeof(*slots), compare_slots);
        bookd_strbuf_puts(out, "{\"slots\":[");
        for (size_t i = 0; i < count; i++) {
            bookd_strbuf_puts(out, i ? ",{\"inspectorId\":" : "{\"inspectorId\":");
            bookd_strbuf_json_string(out, slots[i].inspector);
            bookd_strbuf_puts(out, ",\"serviceId\":");
            bookd_strbuf_json_string(out, service->id);
            bookd_strbuf_puts(out, ",\"datetime\":");
            bookd_strbuf_json_time(out, slots[i].start_us);
            bookd_strbuf_puts(out, ",\"endtime\":");
            bookd_strbuf_json_time(out, slots[i].start_us + duration);
            bookd_strbuf_puts(out, "}");
        }
        bookd_strbuf_puts(out, "]}");
    }
    *valid_until_us = bc.valid_until_us;
    free(slots);
    for (size_t i = 0; i < n; i++)
        free(bc.busy[i]);
    free(bc.busy);
    free(bc.busy_count);
    free(bc.busy_cap);
    return rc != 0 ? -1 : 0;
}

static void handle_optimal_slots(bookd_api *api, const bookd_request *req, const bookd_company *company,
                                 bookd_response *res)
{
    query_param params[] = {{.name = "serviceId"},
                            {.name = "startDate"},
                            {.name = "lat"},
                            {.name = "lng"},
                            {.name = "inspectorId"}};
    double lat, lng;
    int64_t day_us;
    if (parse_query(req, params, 5, res) || require_param(&params[0], res) || require_param(&params[1], res))
        return;
    int rc = br_date_parse(params[1].value, strlen(params[1].value), &day_us);
    if (rc != 0) {
        set_error(res, 400, "invalid_field", "startDate", "'startDate' must be a date such as 2026-12-01");
        return;
    }
    if (parse_coordinate(&params[2], 90, &lat, res) || parse_coordinate(&params[3], 180, &lng, res))
        return;
    const bookd_service *service = find_service(company, params[0].value);
    if (service == NULL) {
        set_error(res, 404, "not_found", "serviceId", "no service '%s'", params[0].value);
        return;
    }
    const char *only = NULL;
    if (params[4].present && (only = find_inspector(company, params[4].value)) == NULL) {
        set_error(res, 404, "not_found", "inspectorId", "no inspector '%s'", params[4].value);
        return;
    }

    /*
     * The cache key: company, then the parsed query in one canonical form
     * (parameter order, empty '&' segments and spellings of one number give
     * one key), then (versioned) the company's version stamp.
     */
    bookd_cache_mode mode = bookd_slot_cache_mode(api->shared.cache);
    int64_t now = bookd_clock_now_us(api->shared.clock);
    bookd_strbuf key;
    bookd_strbuf_init(&key, 256, 0);
    if (mode != BOOKD_CACHE_OFF) {
        bookd_strbuf_puts(&key, company->id);
        /* "+ 0.0" folds -0 into 0: one coordinate, one key. */
        bookd_strbuf_printf(&key, "\nslots\n%s\n%lld\n%a\n%a\n", service->id, (long long)day_us, lat + 0.0,
                            lng + 0.0);
        bookd_strbuf_puts(&key, only ? only : "*");
        if (mode == BOOKD_CACHE_VERSIONED) {
            int64_t version;
            if (api->store->ops->version_get(api->store, company->id, &version) != 0) {
                bookd_strbuf_free(&key);
                store_error(api, res, BOOKD_WRITE_ERROR);
                return;
            }
            bookd_strbuf_printf(&key, "\n%lld", (long long)version);
        }
        char *cached;
        size_t cached_len;
        if (bookd_slot_cache_lookup(api->shared.cache, key.data, key.len, now, &cached, &cached_len) == 1) {
            bookd_strbuf_free(&key);
            bookd_metrics_cache(api->shared.metrics, 1);
            res->status = 200;
            res->body = cached;
            res->body_len = cached_len;
            res->content_type = JSON_TYPE;
            res->x_cache = "HIT";
            return;
        }
    }
    bookd_metrics_cache(api->shared.metrics, 0);
    bookd_strbuf body;
    bookd_strbuf_init(&body, 2048, 0);
    int64_t valid_until = INT64_MAX;
    if (compute_slots(api, company, service, only, day_us, lat, lng, &body, &valid_until) != 0) {
        bookd_strbuf_free(&body);
        bookd_strbuf_free(&key);
        store_error(api, res, BOOKD_WRITE_ERROR);
        return;
    }
    if (mode != BOOKD_CACHE_OFF)
        bookd_slot_cache_store(api->shared.cache, key.data, key.len, now,
                               mode == BOOKD_CACHE_VERSIONED ? valid_until : INT64_MAX, body.data, body.len);
    bookd_strbuf_free(&key);
    set_body(res, 200, &body);
    res->x_cache = "MISS";
}

static void respond_write(bookd_api *api, bookd_pending_write *p, bookd_write_result r,
                          const bookd_conflict *c, bookd_response *res)
{
    switch (r) {
    case BOOKD_WRITE_DONE: {
        bookd_strbuf b;
        bookd_strbuf_init(&b, 1024, 0);
        if (p->is_hold) {
            bookd_metrics_hold_created(api->shared.metrics);
            bookd_strbuf_puts(&b, "{\"event\":");
            json_hold(&b, &p->hold);
        } else {
            bookd_metrics_booking_created(api->shared.metrics);
            bookd_strbuf_puts(&b, "{\"inspection\":");
            json_inspection(&b, &p->inspection);
        }
        bookd_strbuf_puts(&b, "}");
        set_body(res, 201, &b);
        return;
    }
    case BOOKD_WRITE_CONFLICT_OVERLAP:
    case BOOKD_WRITE_CONFLICT_HOLD:
    case BOOKD_WRITE_CONFLICT_UNIQUE:
        set_conflict(api, res, r, c);
        return;
    case BOOKD_WRITE_HOLD_NOT_FOUND:
        set_error(res, 404, "not_found", "holdId", "no hold '%s'", p->inspection.hold_id);
        return;
    case BOOKD_WRITE_HOLD_CONVERTED:
        set_error(res, 409, "hold_converted", "holdId",
                  "hold '%s' was already converted into a booking; a hold converts once",
                  p->inspection.hold_id);
        return;
    case BOOKD_WRITE_HOLD_MISMATCH:
        set_error(res, 400, "invalid_field", "holdId",
                  "hold '%s' is for another inspector or does not cover the booked range",
                  p->inspection.hold_id);
        return;
    default:
        store_error(api, res, r);
        return;
    }
}

/* Runs a write; a deferred one is handed to the caller inside |res|. Takes ownership of |p|. */
static void run_write(bookd_api *api, bookd_pending_write *p, bookd_response *res)
{
    bookd_conflict conflict;
    memset(&conflict, 0, sizeof(conflict));
    bookd_write_result r =
        p->is_hold ? bookd_hold_place(&api->booking, p, &conflict) : bookd_book(&api->booking, p, &conflict);
    if (r == BOOKD_WRITE_DEFERRED) {
        bookd_metrics_deferred(api->shared.metrics, 1);
        res->status = 0;
        res->deferred = p;
        res->defer_us = api->shared.race_window_us;
        return;
    }
    respond_write(api, p, r, &conflict, res);
    free(p);
}

void bookd_api_resume(bookd_api *api, bookd_pending_write *p, bookd_response *res)
{
    bookd_metrics_deferred(api->shared.metrics, -1);
    bookd_write_result r = bookd_write_resume(&api->booking, p);
    respond_write(api, p, r, NULL, res);
    free(p);
}

static void handle_book_job(bookd_api *api, const bookd_request *req, const bookd_company *company,
                            bookd_response *res)
{
    static const char *const allowed[] = {"serviceId", "inspectorId", "datetime", "address",
                                          "customer",  "holdId",      NULL};
    static const char *const customer_allowed[] = {"name", "email", NULL};
    json_t *root = parse_body(req, res);
    if (root == NULL)
        return;
    bookd_pending_write *p = xcalloc(1, sizeof(*p));
    bookd_inspection *in = &p->inspection;
    json_t *customer;
    const bookd_service *service;
    char hold_id[64];
    if (reject_unknown_keys(root, allowed, "", res) ||
        get_string(root, "serviceId", "serviceId", 1, in->service_id, sizeof(in->service_id), res) ||
        get_string(root, "inspectorId", "inspectorId", 1, in->inspector_id, sizeof(in->inspector_id), res) ||
        get_time(root, "datetime", &in->start_us, res) ||
        get_string(root, "address", "address", 1, in->address, sizeof(in->address), res) ||
        get_string(root, "holdId", "holdId", 0, hold_id, sizeof(hold_id), res))
        goto done;
    customer = json_object_get(root, "customer");
    if (customer == NULL || json_is_null(customer)) {
        set_error(res, 400, "missing_field", "customer", "'customer' is required");
        goto done;
    }
    if (!json_is_object(customer)) {
        set_error(res, 400, "invalid_field", "customer", "'customer' must be an object with name and email");
        goto done;
    }
    if (reject_unknown_keys(customer, customer_allowed, "customer.", res) ||
        get_string(customer, "name", "customer.name", 1, in->customer_name, sizeof(in->customer_name), res) ||
        get_string(customer, "email", "customer.email", 1, in->customer_email, sizeof(in->customer_email),
                   res))
        goto done;
    if (strchr(in->customer_email, '@') == NULL) {
        set_error(res, 400, "invalid_field", "customer.email", "'customer.email' must be an email address");
        goto done;
    }
    if (hold_id[0] != '\0') {
        if (!is_hex_id(hold_id)) {
            set_error(res, 404, "not_found", "holdId", "no hold '%s'", hold_id);
            goto done;
        }
        memcpy(in->hold_id, hold_id, BOOKD_ID_LEN + 1);
    }
    if ((service = find_service(company, in->service_id)) == NULL) {
        set_error(res, 404, "not_found", "serviceId", "no service '%s'", in->service_id);
        goto done;
    }
    if (find_inspector(company, in->inspector_id) == NULL) {
        set_error(res, 404, "not_found", "inspectorId", "no inspector '%s'", in->inspector_id);
        goto done;
    }
    in->end_us = in->start_us + service->duration_minutes * USEC_PER_MIN;
    if (in->end_us >= MAX_RFC3339_END_US) {
        set_error(res, 400, "invalid_field", "datetime",
                  "the booking would end after 9999-12-31T23:59:59Z, which RFC 3339 cannot write");
        goto done;
    }
    snprintf(p->company, sizeof(p->company), "%s", company->id);
    p->is_hold = 0;
    json_decref(root);
    run_write(api, p, res);
    return;
done:
    json_decref(root);
    free(p);
}

static void handle_event(bookd_api *api, const bookd_request *req, const bookd_company *company,
                         bookd_response *res)
{
    static const char *const allowed[] = {"type", "inspectorId", "datetime", "endtime", NULL};
    json_t *root = parse_body(req, res);
    if (root == NULL)
        return;
    bookd_pending_write *p = xcalloc(1, sizeof(*p));
    bookd_hold *h = &p->hold;
    char type[32];
    if (reject_unknown_keys(root, allowed, "", res) ||
        get_string(root, "type", "type", 1, type, sizeof(type), res))
        goto done;
    if (strcmp(type, "Block") != 0) {
        set_error(res, 400, "invalid_field", "type", "unknown event type '%s' (only \"Block\" is supported)",
                  type);
        goto done;
    }
    if (get_string(root, "inspectorId", "inspectorId", 1, h->inspector_id, sizeof(h->inspector_id), res) ||
        get_time(root, "datetime", &h->start_us, res) || get_time(root, "endtime", &h->end_us, res))
        goto done;
    if (h->end_us <= h->start_us) {
        set_error(res, 400, "invalid_field", "endtime", "'endtime' must be after 'datetime'");
        goto done;
    }
    if (h->end_us - h->start_us > MAX_HOLD_US ||
        (h->end_us - 1) / USEC_PER_DAY != h->start_us / USEC_PER_DAY) {
        set_error(res, 400, "invalid_field", "endtime",
                  "a hold must lie within one UTC day and last at most 12 hours");
        goto done;
    }
    if (find_inspector(company, h->inspector_id) == NULL) {
        set_error(res, 404, "not_found", "inspectorId", "no inspector '%s'", h->inspector_id);
        goto done;
    }
    snprintf(p->company, sizeof(p->company), "%s", company->id);
    p->is_hold = 1;
    json_decref(root);
    run_write(api, p, res);
    return;
done:
    json_decref(root);
    free(p);
}

static void handle_cancel(bookd_api *api, const char *id, const bookd_company *company, bookd_response *res)
{
    bookd_write_result r =
        is_hex_id(id) ? bookd_cancel(&api->booking, company->id, id) : BOOKD_WRITE_NOT_FOUND;
    if (r == BOOKD_WRITE_NOT_FOUND) {
        set_error(res, 404, "not_found", NULL, "no inspection '%s'", id);
        return;
    }
    if (r == BOOKD_WRITE_ALREADY_CANCELLED) {
        set_error(res, 409, "already_cancelled", NULL, "inspection '%s' is already cancelled", id);
        return;
    }
    if (r != BOOKD_WRITE_DONE) {
        store_error(api, res, r);
        return;
    }
    bookd_inspection in;
    if (api->store->ops->get_inspection(api->store, company->id, id, &in) != 0) {
        store_error(api, res, BOOKD_WRITE_ERROR);
        return;
    }
    bookd_strbuf b;
    bookd_strbuf_init(&b, 1024, 0);
    bookd_strbuf_puts(&b, "{\"inspection\":");
    json_inspection(&b, &in);
    bookd_strbuf_puts(&b, "}");
    set_body(res, 200, &b);
}

typedef struct {
    bookd_strbuf *out;
    size_t count;
} list_writer;

static void write_listed(void *arg, const bookd_inspection *in)
{
    list_writer *w = arg;
    if (w->count++)
        bookd_strbuf_append(w->out, ",", 1);
    json_inspection(w->out, in);
}

static void handle_inspections(bookd_api *api, const bookd_request *req, const bookd_company *company,
                               bookd_response *res)
{
    query_param params[] = {{.name = "from"}, {.name = "to"}, {.name = "inspectorId"}, {.name = "status"}};
    int64_t from, to;
    if (parse_query(req, params, 4, res) || parse_time_param(&params[0], &from, res) ||
        parse_time_param(&params[1], &to, res))
        return;
    if (to <= from) {
        set_error(res, 400, "invalid_field", "to", "'to' must be after 'from'");
        return;
    }
    if (params[3].present && strcmp(params[3].value, "scheduled") != 0 &&
        strcmp(params[3].value, "cancelled") != 0) {
        set_error(res, 400, "invalid_field", "status", "'status' must be scheduled or cancelled");
        return;
    }
    bookd_strbuf b;
    bookd_strbuf_init(&b, 4096, 0);
    bookd_strbuf_puts(&b, "{\"inspections\":[");
    list_writer w = {.out = &b};
    int rc = api->store->ops->list_inspections(api->store, company->id, from, to,
                                               params[2].present ? params[2].value : NULL,
                                               params[3].present ? params[3].value : NULL, write_listed, &w);
    if (rc != 0) {
        bookd_strbuf_free(&b);
        store_error(api, res, rc == BOOKD_STORE_EBUSY ? BOOKD_WRITE_BUSY : BOOKD_WRITE_ERROR);
        return;
    }
    bookd_strbuf_printf(&b, "],\"count\":%zu}", w.count);
    set_body(res, 200, &b);
}

static void handle_clock(bookd_api *api, const bookd_request *req, bookd_response *res)
{
    static const char *const allowed[] = {"advanceSeconds", "set", NULL};
    json_t *root = parse_body(req, res);
    if (root == NULL)
        return;
    json_t *advance = json_object_get(root, "advanceSeconds"), *set = json_object_get(root, "set");
    if (reject_unknown_keys(root, allowed, "", res))
        goto done;
    if ((advance == NULL) == (set == NULL)) {
        set_error(res, 400, "invalid_field", NULL, "give exactly one of 'advanceSeconds' and 'set'");
        goto done;
    }
    if (advance != NULL) {
        double seconds = json_is_number(advance) ? json_number_value(advance) : -1;
        if (!json_is_number(advance) || !(seconds >= 0) || seconds > 366.0 * 86400) {
            set_error(res, 400, "invalid_field", "advanceSeconds",
                      "'advanceSeconds' must be a number from 0 to 31622400");
            goto done;
        }
        bookd_clock_advance(api->shared.clock, (int64_t)llround(seconds * 1e6));
    } else {
        int64_t when;
        int rc = json_is_string(set) ? br_time_parse(json_string_value(set), json_string_length(set), &when)
                                     : BR_TIME_EFORMAT;
        if (rc != 0) {
            set_error(res, 400, "invalid_field", "set", "'set': %s", br_time_strerror(rc));
            goto done;
        }
        bookd_clock_set(api->shared.clock, when);
    }
    bookd_strbuf b;
    bookd_strbuf_init(&b, 64, 0);
    bookd_strbuf_puts(&b, "{\"now\":");
    bookd_strbuf_json_time(&b, bookd_clock_now_us(api->shared.clock));
    bookd_strbuf_puts(&b, "}");
    set_body(res, 200, &b);
done:
    json_decref(root);
}

/* ---- routing ----------------------------------------------------------------------------------------- */

typedef enum { AUTH_NONE, AUTH_COMPANY } auth_need;

/* Matches "/inspection/{id}/cancel", copying {id} (at most 64 bytes) into |id|. */
static int match_cancel(const bookd_request *req, char *id, size_t cap)
{
    static const char prefix[] = "/inspection/", suffix[] = "/cancel";
    size_t pl = sizeof(prefix) - 1, sl = sizeof(suffix) - 1;
    if (req->path_len <= pl + sl || memcmp(req->path, prefix, pl) != 0 ||
        memcmp(req->path + req->path_len - sl, suffix, sl) != 0)
        return 0;
    size_t idlen = req->path_len - pl - sl;
    if (idlen >= cap || memchr(req->path + pl, '/', idlen) != NULL)
        return 0;
    memcpy(id, req->path + pl, idlen);
    id[idlen] = '\0';
    return 1;
}

/*
 * The checks on the request line that come before routing: a head the
 * framing rules refused (http_head.h), an oversized target (414), and the
 * absolute form "http://host/path" (RFC 9112 section 3.2.2: a server must
 * accept it), reduced to its path in |*out|. Returns -1 with |res| filled.
 */
static int normalise_target(const bookd_request *req, bookd_request *out, bookd_response *res)
{
    *out = *req;
    bookd_head_verdict v = bookd_head_marker_verdict(req->path, req->path_len);
    if (v != BOOKD_HEAD_OK) {
        set_error(res, 400, bookd_head_verdict_code(v), NULL, "%s", bookd_head_verdict_detail(v));
        return -1;
    }
    if (req->path_len + (req->query ? req->query_len + 1 : 0) > BOOKD_MAX_TARGET_BYTES) {
        set_error(res, 414, "uri_too_long", NULL, "request targets are limited to %d bytes",
                  BOOKD_MAX_TARGET_BYTES);
        return -1;
    }
    size_t scheme = req->path_len >= 7 && strncasecmp(req->path, "http://", 7) == 0    ? 7
                    : req->path_len >= 8 && strncasecmp(req->path, "https://", 8) == 0 ? 8
                                                                                       : 0;
    if (scheme > 0) {
        const char *slash = memchr(req->path + scheme, '/', req->path_len - scheme);
        out->path = slash ? slash : "/";
        out->path_len = slash ? req->path_len - (size_t)(slash - req->path) : 1;
    }
    return 0;
}

void bookd_api_handle(bookd_api *api, const bookd_request *raw, bookd_response *res)
{
    memset(res, 0, sizeof(*res));
    char id[65];
    const char *want_method;
    bookd_route route;
    int virtual_clock = bookd_clock_get_kind(api->shared.clock) == BOOKD_CLOCK_VIRTUAL;
    bookd_request normalised, *req = &normalised;
    if (normalise_target(raw, &normalised, res) != 0)
        return;

    if (path_is(req, "/health"))
        route = BOOKD_ROUTE_HEALTH, want_method = "GET";
    else if (path_is(req, "/metrics"))
        route = BOOKD_ROUTE_METRICS, want_method = "GET";
    else if (path_is(req, "/schedule/optimal-slots"))
        route = BOOKD_ROUTE_OPTIMAL_SLOTS, want_method = "GET";
    else if (path_is(req, "/inspection/book-job"))
        route = BOOKD_ROUTE_BOOK_JOB, want_method = "POST";
    else if (path_is(req, "/event"))
        route = BOOKD_ROUTE_EVENT, want_method = "POST";
    else if (match_cancel(req, id, sizeof(id)))
        route = BOOKD_ROUTE_CANCEL, want_method = "POST";
    else if (path_is(req, "/inspections"))
        route = BOOKD_ROUTE_INSPECTIONS, want_method = "GET";
    else if (virtual_clock && path_is(req, "/__test/clock"))
        route = BOOKD_ROUTE_CLOCK, want_method = "POST";
    else
        route = BOOKD_ROUTE_UNKNOWN, want_method = NULL;
    res->route = route;

    if (route == BOOKD_ROUTE_UNKNOWN) {
        set_error(res, 404, "not_found", NULL, "no route %.*s",
                  (int)bookd_utf8_trim_len(req->path, req->path_len > 200 ? 200 : req->path_len), req->path);
        return;
    }
    /* HEAD is GET without the body (RFC 9110 section 9.3.2); the server layer leaves the body out. */
    if (!method_is(req, want_method) && !(method_is(req, "HEAD") && strcmp(want_method, "GET") == 0)) {
        set_error(res, 405, "method_not_allowed", NULL, "use %s for this route", want_method);
        res->allow = want_method;
        return;
    }
    if (req->header_bytes > BOOKD_MAX_HEADER_BYTES) {
        set_error(res, 431, "headers_too_large", NULL, "request headers are limited to %d bytes",
                  BOOKD_MAX_HEADER_BYTES);
        return;
    }
    if (req->body_len > BOOKD_MAX_BODY) {
        set_error(res, 413, "payload_too_large", NULL, "request bodies are limited to %d bytes",
                  BOOKD_MAX_BODY);
        return;
    }
    switch (route) {
    case BOOKD_ROUTE_HEALTH:
        handle_health(api, res);
        return;
    case BOOKD_ROUTE_METRICS:
        handle_metrics(api, res);
        return;
    case BOOKD_ROUTE_CLOCK:
        handle_clock(api, req, res);
        return;
    default:
        break;
    }
    const bookd_company *company = authenticate(api, req, res);
    if (company == NULL)
        return;
    switch (route) {
    case BOOKD_ROUTE_OPTIMAL_SLOTS:
        handle_optimal_slots(api, req, company, res);
        break;
    case BOOKD_ROUTE_BOOK_JOB:
        handle_book_job(api, req, company, res);
        break;
    case BOOKD_ROUTE_EVENT:
        handle_event(api, req, company, res);
        break;
    case BOOKD_ROUTE_CANCEL:
        handle_cancel(api, id, company, res);
        break;
    case BOOKD_ROUTE_INSPECTIONS:
        handle_inspections(api, req, company, res);
        break;
    default:
        break;
    }
}
