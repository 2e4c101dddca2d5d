/*
 * Target profiles (target.h): loading and validating the JSON that describes a
 * backend, and everything read through it: how a status is classified, how an
 * operation is rendered into a request (one copy for the race runner and the
 * load engine), and how a slot is read out of a fetchSlots item.
 */
#include "target.h"

#include "alloc.h"
#include "jsonload.h"
#include "jsonptr.h"
#include "template.h"
#include "verify_mongo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const profile_names[BR_OP_COUNT] = {"fetchSlots", "book",  "hold",  "cancel",
                                                       "list",       "clock", "reset", "health"};
static const char *const history_names[BR_OP_COUNT] = {"fetch_slots", "book",  "hold",  "cancel",
                                                       "list",        "clock", "reset", "health"};

const char *br_op_profile_name(br_op_kind op)
{
    return profile_names[op];
}

const char *br_op_history_name(br_op_kind op)
{
    return history_names[op];
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void br_target_free(br_target *t)
{
    if (t == NULL)
        return;
    free(t->name);
    free_strings(t->base_urls, t->base_url_count);
    free_strings(t->header_names, t->header_count);
    free_strings(t->header_values, t->header_count);
    free_strings(t->secret_headers, t->secret_count);
    json_decref(t->mongo);
    free(t->tls_ca_file);
    json_decref(t->variables);
    free_strings(t->record_headers, t->record_header_count);
    for (int i = 0; i < BR_OP_COUNT; i++) {
        br_operation *op = &t->ops[i];
        free(op->method);
        free(op->path);
        json_decref(op->body);
        free(op->ptr_items);
        free(op->ptr_id);
        free(op->ptr_inspector);
        free(op->ptr_start);
        free(op->ptr_end);
        free(op->ptr_status);
        free(op->ptr_tag);
        free_strings(op->cancelled_statuses, op->cancelled_count);
        free(op->ev_id);
        free(op->ev_inspector);
        free(op->ev_start);
        free(op->ev_end);
    }
    free(t);
}

#define FAIL(...)                                                                                            \
    do {                                                                                                     \
        snprintf(err, errlen, __VA_ARGS__);                                                                  \
        return -1;                                                                                           \
    } while (0)

static int take_string_array(json_t *v, const char *origin, const char *where, char ***out, size_t *count,
                             char *err, size_t errlen)
{
    if (!json_is_array(v))
        FAIL("%s: %s must be an array of strings", origin, where);
    *count = json_array_size(v);
    *out = xcalloc(*count + 1, sizeof(char *));
    size_t i;
    json_t *item;
    json_array_foreach (v, i, item) {
        if (!json_is_string(item))
            FAIL("%s: %s[%zu] must be a string", origin, where, i);
        (*out)[i] = xstrdup(json_string_value(item));
    }
    return 0;
}

static int take_statuses(json_t *v, const char *origin, const char *where, int *out, int *count, char *err,
                         size_t errlen)
{
    if (v == NULL)
        return 0;
    if (!json_is_array(v) || json_array_size(v) > BR_MAX_STATUSES)
        FAIL("%s: %s must be an array of at most %d HTTP statuses", origin, where, BR_MAX_STATUSES);
    size_t i;
    json_t *item;
    json_array_foreach (v, i, item) {
        json_int_t s = json_is_integer(item) ? json_integer_value(item) : 0;
        if (s < 100 || s > 599)
            FAIL("%s: %s[%zu] must be an HTTP status (100-599)", origin, where, i);
        out[(*count)++] = (int)s;
    }
    return 0;
}

static int take_pointer(json_t *response, const char *key, int required, const char *origin,
                        const char *where, char **out, char *err, size_t errlen)
{
    json_t *v = response ? json_object_get(response, key) : NULL;
    if (v == NULL) {
        if (required)
            FAIL("%s: %s.response.%s is required (an RFC 6901 pointer such as \"/slots\")", origin, where,
                 key);
        return 0;
    }
    if (!json_is_string(v) || !br_json_pointer_valid(json_string_value(v)))
        FAIL("%s: %s.response.%s must be an RFC 6901 pointer (\"\" or \"/a/b\")", origin, where, key);
    *out = xstrdup(json_string_value(v));
    return 0;
}

/*
 * Which response pointers each operation needs, in the order items, id,
 * inspector, start, end, status, tag: 1 required, 0 optional, -1 not allowed.
 */
enum { POINTER_KINDS = 7 };
static const int pointer_rules[BR_OP_COUNT][POINTER_KINDS] = {
    [BR_OP_FETCH_SLOTS] = {1, -1, 1, 1, 1, -1, -1}, [BR_OP_BOOK] = {-1, 1, 0, 0, 0, -1, -1},
    [BR_OP_HOLD] = {-1, 1, -1, -1, -1, -1, -1},     [BR_OP_CANCEL] = {-1, -1, -1, -1, -1, -1, -1},
    [BR_OP_LIST] = {1, 1, 1, 1, 1, 0, 0},           [BR_OP_CLOCK] = {-1, -1, -1, -1, -1, -1, -1},
    [BR_OP_RESET] = {-1, -1, -1, -1, -1, -1, -1},   [BR_OP_HEALTH] = {-1, -1, -1, -1, -1, -1, -1},
};

/* "conflictEvidence": {"id", "inspector", "start", "end"}: pointers into a conflict answer (book, hold). */
static int parse_evidence(json_t *ev, br_op_kind kind, const char *origin, const char *where,
                          br_operation *op, char *err, size_t errlen)
{
    static const char *const keys[] = {"id", "inspector", "start", "end", NULL};
    if (ev == NULL)
        return 0;
    if (kind != BR_OP_BOOK && kind != BR_OP_HOLD)
        FAIL("%s: %s.conflictEvidence belongs to book and hold", origin, where);
    char sub[160], kerr[600];
    snprintf(sub, sizeof(sub), "%s.conflictEvidence", where);
    if (!json_is_object(ev) || br_json_check_keys(ev, keys, sub, kerr, sizeof(kerr)))
        FAIL("%s: %s", origin, json_is_object(ev) ? kerr : "conflictEvidence must be an object of pointers");
    char **slots[] = {&op->ev_id, &op->ev_inspector, &op->ev_start, &op->ev_end};
    for (int i = 0; i < 4; i++) {
        json_t *v = json_object_get(ev, keys[i]);
        if (v == NULL)
            continue;
        if (!json_is_string(v) || !br_json_pointer_valid(json_string_value(v)))
            FAIL("%s: %s.%s must be an RFC 6901 pointer", origin, sub, keys[i]);
        *slots[i] = xstrdup(json_string_value(v));
    }
    if (op->ev_id == NULL && (op->ev_start == NULL || op->ev_end == NULL))
        FAIL("%s: %s needs id, or start and end", origin, sub);
    return 0;
}

static int parse_operation(json_t *v, br_op_kind kind, const char *origin, br_operation *op, char *err,
                           size_t errlen)
{
    static const char *const keys[] = {
        "method",           "path", "body", "success", "conflict", "response", "cancelledStatuses",
        "conflictEvidence", NULL};
    char where[64];
    snprintf(where, sizeof(where), "operations.%s", profile_names[kind]);
    if (!json_is_object(v))
        FAIL("%s: %s must be an object", origin, where);
    char kerr[600];
    if (br_json_check_keys(v, keys, where, kerr, sizeof(kerr)))
        FAIL("%s: %s", origin, kerr);
    json_t *method = json_object_get(v, "method"), *path = json_object_get(v, "path");
    if (!json_is_string(method) || json_string_length(method) == 0 ||
        strpbrk(json_string_value(method), " \r\n"))
        FAIL("%s: %s.method must be an HTTP method such as \"POST\"", origin, where);
    if (!json_is_string(path) || json_string_value(path)[0] != '/')
        FAIL("%s: %s.path must be a string starting with '/'", origin, where);
    if (br_template_check(json_string_value(path), kerr, sizeof(kerr)))
        FAIL("%s: %s.path: %s", origin, where, kerr);
    op->present = 1;
    op->method = xstrdup(json_string_value(method));
    op->path = xstrdup(json_string_value(path));
    json_t *body = json_object_get(v, "body");
    if (body != NULL) {
        if (br_template_check_json(body, kerr, sizeof(kerr)))
            FAIL("%s: %s.body: %s", origin, where, kerr);
        op->body = json_incref(body);
    }
    char sub[160];
    snprintf(sub, sizeof(sub), "%s.success", where);
    if (take_statuses(json_object_get(v, "success"), origin, sub, op->success, &op->success_count, err,
                      errlen))
        return -1;
    if (op->success_count == 0)
        FAIL("%s: %s.success must list at least one status", origin, where);
    snprintf(sub, sizeof(sub), "%s.conflict", where);
    if (take_statuses(json_object_get(v, "conflict"), origin, sub, op->conflict, &op->conflict_count, err,
                      errlen))
        return -1;

    json_t *response = json_object_get(v, "response");
    static const char *const response_keys[] = {"items", "id",     "inspector", "start",
                                                "end",   "status", "tag",       NULL};
    if (response != NULL) {
        snprintf(sub, sizeof(sub), "%s.response", where);
        if (!json_is_object(response))
            FAIL("%s: %s must be an object of pointers", origin, sub);
        if (br_json_check_keys(response, response_keys, sub, kerr, sizeof(kerr)))
            FAIL("%s: %s", origin, kerr);
    }
    const int *rules = pointer_rules[kind];
    char **slots[] = {&op->ptr_items, &op->ptr_id,     &op->ptr_inspector, &op->ptr_start,
                      &op->ptr_end,   &op->ptr_status, &op->ptr_tag};
    for (int i = 0; i < POINTER_KINDS; i++) {
        if (rules[i] < 0) {
            if (response && json_object_get(response, response_keys[i]))
                FAIL("%s: %s.response.%s means nothing for this operation", origin, where, response_keys[i]);
            continue;
        }
        if (take_pointer(response, response_keys[i], rules[i], origin, where, slots[i], err, errlen))
            return -1;
    }
    json_t *cancelled = json_object_get(v, "cancelledStatuses");
    if (cancelled != NULL) {
        if (kind != BR_OP_LIST)
            FAIL("%s: %s.cancelledStatuses belongs to the list operation", origin, where);
        snprintf(sub, sizeof(sub), "%s.cancelledStatuses", where);
        if (take_string_array(cancelled, origin, sub, &op->cancelled_statuses, &op->cancelled_count, err,
                              errlen))
            return -1;
    }
    if (parse_evidence(json_object_get(v, "conflictEvidence"), kind, origin, where, op, err, errlen))
        return -1;
    if (kind == BR_OP_LIST && op->ptr_status != NULL && op->cancelled_count == 0)
        FAIL("%s: %s has response.status, so it needs cancelledStatuses (e.g. [\"cancelled\"])", origin,
             where);
    return 0;
}

/* Checks an optional object's keys; 0 when absent or fine. */
static int optional_object(json_t *root, const char *key, const char *const *keys, json_t **out,
                           const char *origin, char *err, size_t errlen)
{
    char kerr[300];
    *out = json_object_get(root, key);
    if (*out == NULL)
        return 0;
    if (!json_is_object(*out)) {
        snprintf(err, errlen, "%s: %s must be an object", origin, key);
        return -1;
    }
    if (br_json_check_keys(*out, keys, key, kerr, sizeof(kerr))) {
        snprintf(err, errlen, "%s: %s", origin, kerr);
        return -1;
    }
    return 0;
}

/* "http": "1.1" | "2", "http2": {"maxStreams": 1..} and "tls": {"caFile": "...", "insecure": bool}. */
static int parse_http(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    static const char *const h2_keys[] = {"maxStreams", NULL}, *const tls_keys[] = {"caFile", "insecure",
                                                                                    NULL};
    json_t *http = json_object_get(root, "http"), *h2, *tls;
    const char *v = json_is_string(http) ? json_string_value(http) : NULL;
    if (http != NULL && (v == NULL || (strcmp(v, "1.1") != 0 && strcmp(v, "2") != 0))) {
        snprintf(err, errlen, "%s: http must be \"1.1\" or \"2\"", origin);
        return -1;
    }
    t->http2 = v != NULL && strcmp(v, "2") == 0;
    if (optional_object(root, "http2", h2_keys, &h2, origin, err, errlen) ||
        optional_object(root, "tls", tls_keys, &tls, origin, err, errlen))
        return -1;
    json_t *ms = json_object_get(h2, "maxStreams"), *ca = json_object_get(tls, "caFile"),
           *in = json_object_get(tls, "insecure");
    if (ms && (!json_is_integer(ms) || json_integer_value(ms) < 1 || json_integer_value(ms) > 100000)) {
        snprintf(err, errlen, "%s: http2.maxStreams must be an integer from 1 to 100000", origin);
        return -1;
    }
    if ((ca && !json_is_string(ca)) || (in && !json_is_boolean(in))) {
        snprintf(err, errlen, "%s: tls.%s", origin,
                 ca && !json_is_string(ca) ? "caFile must be a string (a PEM file)"
                                           : "insecure must be true or false");
        return -1;
    }
    t->h2_max_streams = ms ? (unsigned)json_integer_value(ms) : 0;
    t->tls_ca_file = ca ? xstrdup(json_string_value(ca)) : NULL;
    t->tls_insecure = in && json_is_true(in);
    return 0;
}

static int valid_base_url(const char *u)
{
    return (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) && strpbrk(u, " \r\n") == NULL;
}

/* "variables": {NAME: string or number} and "recordHeaders": ["X-Cache", ...]. */
static int parse_variables(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    json_t *vars = json_object_get(root, "variables"), *rec = json_object_get(root, "recordHeaders");
    const char *key;
    json_t *value;
    if (vars != NULL && !json_is_object(vars))
        FAIL("%s: variables must be an object of NAME: value", origin);
    json_object_foreach (vars, key, value)
        if (!json_is_string(value) && !json_is_number(value))
            FAIL("%s: variables.%s must be a string or a number", origin, key);
    t->variables = vars ? json_incref(vars) : json_object();
    if (rec == NULL)
        return 0;
    if (take_string_array(rec, origin, "recordHeaders", &t->record_headers, &t->record_header_count, err,
                          errlen))
        return -1;
    if (t->record_header_count > BR_MAX_RECORD_HEADERS)
        FAIL("%s: recordHeaders names %zu headers; at most %d", origin, t->record_header_count,
             BR_MAX_RECORD_HEADERS);
    for (size_t i = 0; i < t->record_header_count; i++)
        if (t->record_headers[i][0] == '\0' || strpbrk(t->record_headers[i], " :\r\n"))
            FAIL("%s: recordHeaders[%zu] must be a header name", origin, i);
    return 0;
}

/* "baseUrls": 1 to BR_MAX_BASE_URLS http:// or https:// URLs. */
static int parse_base_urls(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    json_t *urls = json_object_get(root, "baseUrls");
    int bad = urls == NULL ||
              take_string_array(urls, origin, "baseUrls", &t->base_urls, &t->base_url_count, err, errlen) ||
              t->base_url_count == 0;
    if (!bad && t->base_url_count > BR_MAX_BASE_URLS)
        FAIL("%s: baseUrls holds %zu URLs; at most %d are allowed", origin, t->base_url_count,
             BR_MAX_BASE_URLS);
    for (size_t i = 0; !bad && i < t->base_url_count; i++)
        bad = !valid_base_url(t->base_urls[i]);
    if (bad)
        FAIL("%s: baseUrls must be a non-empty array of http:// or https:// URLs", origin);
    return 0;
}

/* "headers": {name: template} sent with every request. */
static int parse_headers(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    json_t *headers = json_object_get(root, "headers");
    char kerr[600];
    if (headers == NULL)
        return 0;
    if (!json_is_object(headers))
        FAIL("%s: headers must be an object of name: value templates", origin);
    t->header_count = json_object_size(headers);
    t->header_names = xcalloc(t->header_count + 1, sizeof(char *));
    t->header_values = xcalloc(t->header_count + 1, sizeof(char *));
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach (headers, key, value) {
        if (!json_is_string(value) || strpbrk(key, " :\r\n") || *key == '\0')
            FAIL("%s: headers.%s must be a string (and a valid header name)", origin, key);
        if (br_template_check(json_string_value(value), kerr, sizeof(kerr)))
            FAIL("%s: headers.%s: %s", origin, key, kerr);
        t->header_names[i] = xstrdup(key);
        t->header_values[i++] = xstrdup(json_string_value(value));
    }
    return 0;
}

/* "secretHeaders": header names redacted in results, besides Authorization. */
static int parse_secret_headers(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    json_t *secret = json_object_get(root, "secretHeaders");
    if (secret == NULL)
        return 0;
    return take_string_array(secret, origin, "secretHeaders", &t->secret_headers, &t->secret_count, err,
                             errlen);
}

/* "timeoutMs": 1 to 600000, 10000 when absent. */
static int parse_timeout(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    json_t *timeout = json_object_get(root, "timeoutMs");
    t->timeout_ms = 10000;
    if (timeout == NULL)
        return 0;
    if (!json_is_integer(timeout) || json_integer_value(timeout) < 1 || json_integer_value(timeout) > 600000)
        FAIL("%s: timeoutMs must be an integer from 1 to 600000", origin);
    t->timeout_ms = (int)json_integer_value(timeout);
    return 0;
}

/* "operations": {fetchSlots, book, ...: operation}; fetchSlots and book are required (checked by the caller,
 * after "mongo", so the messages keep their order). */
static int parse_operations(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    json_t *ops = json_object_get(root, "operations");
    if (!json_is_object(ops))
        FAIL("%s: operations must be an object", origin);
    const char *key;
    json_t *value;
    json_object_foreach (ops, key, value) {
        int kind = -1;
        for (int i = 0; i < BR_OP_COUNT; i++)
            if (strcmp(key, profile_names[i]) == 0)
                kind = i;
        if (kind < 0)
            FAIL("%s: operations.%s is not an operation (fetchSlots, book, hold, cancel, list, clock, reset, "
                 "health)",
                 origin, key);
        if (parse_operation(value, (br_op_kind)kind, origin, &t->ops[kind], err, errlen))
            return -1;
    }
    return 0;
}

/* "mongo": checked now (br_mongo_verify_from_json) so a bad section fails at load, kept as JSON for later. */
static int parse_mongo(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    json_t *mongo = json_object_get(root, "mongo");
    if (mongo == NULL)
        return 0;
    br_mongo_verify check;
    memset(&check, 0, sizeof(check));
    int bad = br_mongo_verify_from_json(&check, mongo, origin, err, errlen);
    br_mongo_verify_free(&check);
    if (bad)
        return -1;
    t->mongo = json_incref(mongo);
    return 0;
}

/* The top level's shape and name. */
static int parse_top(json_t *root, br_target *t, const char *origin, char *err, size_t errlen)
{
    static const char *const keys[] = {
        "name",  "description", "baseUrls", "headers", "secretHeaders", "timeoutMs",     "operations",
        "mongo", "http",        "http2",    "tls",     "variables",     "recordHeaders", NULL};
    char kerr[600];
    if (!json_is_object(root))
        FAIL("%s: the profile must be a JSON object", origin);
    if (br_json_check_keys(root, keys, "(top level)", kerr, sizeof(kerr)))
        FAIL("%s: %s", origin, kerr);
    json_t *name = json_object_get(root, "name");
    if (!json_is_string(name))
        FAIL("%s: name must be a string", origin);
    t->name = xstrdup(json_string_value(name));
    return 0;
}

br_target *br_target_from_json(json_t *root, const char *origin, char *err, size_t errlen)
{
    br_target *t = xcalloc(1, sizeof(*t));
    if (parse_top(root, t, origin, err, errlen) || parse_base_urls(root, t, origin, err, errlen) ||
        parse_headers(root, t, origin, err, errlen) || parse_secret_headers(root, t, origin, err, errlen) ||
        parse_timeout(root, t, origin, err, errlen) || parse_http(root, t, origin, err, errlen) ||
        parse_variables(root, t, origin, err, errlen) || parse_operations(root, t, origin, err, errlen) ||
        parse_mongo(root, t, origin, err, errlen))
        goto fail;
    if (!t->ops[BR_OP_FETCH_SLOTS].present || !t->ops[BR_OP_BOOK].present) {
        snprintf(err, errlen, "%s: operations.fetchSlots and operations.book are required", origin);
        goto fail;
    }
    return t;
fail:
    br_target_free(t);
    return NULL;
}

br_target *br_target_load(const char *path, char *err, size_t errlen)
{
    json_t *root = br_json_load_file(path, err, errlen);
    if (root == NULL)
        return NULL;
    br_target *t = br_target_from_json(root, path, err, errlen);
    json_decref(root);
    return t;
}

int br_target_set_base_urls(br_target *t, char *const *urls, size_t count)
{
    if (count > BR_MAX_BASE_URLS)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (!valid_base_url(urls[i]))
            return -1;
    free_strings(t->base_urls, t->base_url_count);
    t->base_urls = xcalloc(count + 1, sizeof(char *));
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(urls[i]);
        t->base_urls[i] = xstrdup(urls[i]);
        if (len > 0 && t->base_urls[i][len - 1] == '/')
            t->base_urls[i][len - 1] = '\0';
    }
    t->base_url_count = count;
    return 0;
}

int br_target_header_is_secret(const br_target *t, const char *name)
{
    if (strcasecmp(name, "Authorization") == 0 || strcasecmp(name, "Cookie") == 0)
        return 1;
    for (size_t i = 0; i < t->secret_count; i++)
        if (strcasecmp(name, t->secret_headers[i]) == 0)
            return 1;
    return 0;
}

br_status_class br_operation_classify(const br_operation *op, long status)
{
    for (int i = 0; i < op->success_count; i++)
        if (op->success[i] == status)
            return BR_CLASS_SUCCESS;
    for (int i = 0; i < op->conflict_count; i++)
        if (op->conflict[i] == status)
            return BR_CLASS_CONFLICT;
    if (status >= 400 && status < 500)
        return BR_CLASS_REJECTED;
    return BR_CLASS_INDETERMINATE;
}

int br_target_add_base_url_arg(char **urls, size_t *count, const char *url, char *err, size_t errlen)
{
    if (*count >= BR_MAX_BASE_URLS) {
        snprintf(err, errlen, "too many --base-url flags: at most %d", BR_MAX_BASE_URLS);
        return -1;
    }
    urls[(*count)++] = (char *)url;
    return 0;
}

void br_rendered_free(br_rendered *r)
{
    free(r->path);
    free_strings(r->header_lines, r->header_count);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

static void add_header_line(br_rendered *r, const char *name, const char *value)
{
    size_t len = strlen(name) + strlen(value) + 3;
    r->header_lines = xreallocarray(r->header_lines, r->header_count + 1, sizeof(char *));
    r->header_lines[r->header_count] = xmalloc(len);
    snprintf(r->header_lines[r->header_count++], len, "%s: %s", name, value);
}

int br_target_render(const br_target *t, br_op_kind op, const br_template_ctx *ctx, br_rendered *out,
                     char *err, size_t errlen)
{
    const br_operation *o = &t->ops[op];
    memset(out, 0, sizeof(*out));
    out->path = br_template_string(o->path, ctx, BR_ESCAPE_URL, err, errlen);
    if (out->path == NULL)
        return -1;
    int has_content_type = 0;
    for (size_t i = 0; i < t->header_count; i++) {
        char *value = br_template_string(t->header_values[i], ctx, BR_ESCAPE_NONE, err, errlen);
        if (value == NULL)
            return -1;
        add_header_line(out, t->header_names[i], value);
        free(value);
        has_content_type |= strcasecmp(t->header_names[i], "Content-Type") == 0;
    }
    if (o->body == NULL)
        return 0;
    json_t *body = br_template_json(o->body, ctx, err, errlen);
    if (body == NULL)
        return -1;
    out->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(body);
    if (!has_content_type)
        add_header_line(out, "Content-Type", "application/json");
    return 0;
}

int br_slot_from_item(const br_operation *fetch, json_t *item, br_slot *out, const char **missing)
{
    char b1[32], b2[32], b3[32];
    const char *insp = br_json_pointer_text(item, fetch->ptr_inspector, b1, sizeof(b1));
    const char *start = br_json_pointer_text(item, fetch->ptr_start, b2, sizeof(b2));
    const char *end = br_json_pointer_text(item, fetch->ptr_end, b3, sizeof(b3));
    *missing = insp == NULL ? fetch->ptr_inspector : start == NULL ? fetch->ptr_start : fetch->ptr_end;
    if (insp == NULL || start == NULL || end == NULL)
        return -1;
    if (br_time_parse(start, strlen(start), &out->start_us) ||
        br_time_parse(end, strlen(end), &out->end_us) || out->end_us <= out->start_us)
        return -2;
    snprintf(out->inspector, sizeof(out->inspector), "%s", insp);
    /* Keep the target's own spelling of the times: it is what gets sent back. */
    snprintf(out->start, sizeof(out->start), "%s", start);
    snprintf(out->end, sizeof(out->end), "%s", end);
    return 0;
}
