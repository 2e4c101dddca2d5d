/*
 * Seeding the catalogue (seed.h): the built-in demo companies, none, or a
 * JSON file validated field by field (errors name the file and the JSON
 * path), written into the store with idempotent upserts.
 */
#include "seed.h"

#include "alloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char bookd_demo_seed_json[] =
    "{\"companies\": [\n"
    "  {\"id\": \"acme\", \"apiKey\": \"acme-key\", \"inspectors\": [\"martin\", \"ana\", \"li\"],\n"
    "   \"services\": [{\"id\": \"full-inspection\", \"durationMinutes\": 120},\n"
    "                {\"id\": \"re-inspection\", \"durationMinutes\": 60}]},\n"
    "  {\"id\": \"globex\", \"apiKey\": \"globex-key\", \"inspectors\": [\"omar\", \"sara\", \"tom\"],\n"
    "   \"services\": [{\"id\": \"full-inspection\", \"durationMinutes\": 120},\n"
    "                {\"id\": \"re-inspection\", \"durationMinutes\": 60}]}\n"
    "]}\n";

/*
 * jansson keeps no positions for values after parsing, so semantic errors
 * name the JSON path instead ("companies[1].services[0].durationMinutes").
 */
static int fail(char *err, size_t errlen, const char *origin, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: %s: %s", origin, path, what);
    return -1;
}

/* A string of 1..BOOKD_NAME_MAX bytes made of letters, digits, '-', '_' and '.'. */
static int valid_name(json_t *v, size_t max)
{
    if (!json_is_string(v))
        return 0;
    size_t len = json_string_length(v);
    const char *s = json_string_value(v);
    if (len == 0 || len > max || strlen(s) != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.'))
            return 0;
    }
    return 1;
}

static int check_keys(json_t *obj, const char *const *allowed, const char *origin, const char *path,
                      char *err, size_t errlen)
{
    const char *key;
    json_t *value;
    json_object_foreach (obj, key, value) {
        int known = 0;
        for (const char *const *a = allowed; *a; a++)
            known |= strcmp(*a, key) == 0;
        if (!known) {
            char what[128];
            snprintf(what, sizeof(what), "unknown key '%s'", key);
            return fail(err, errlen, origin, path, what);
        }
    }
    return 0;
}

static int seed_company(bookd_store *store, json_t *c, size_t index, const char *origin, char *err,
                        size_t errlen)
{
    static const char *const keys[] = {"id", "apiKey", "inspectors", "services", NULL};
    static const char *const service_keys[] = {"id", "durationMinutes", NULL};
    char path[128];
    snprintf(path, sizeof(path), "companies[%zu]", index);
    if (!json_is_object(c))
        return fail(err, errlen, origin, path, "must be an object");
    if (check_keys(c, keys, origin, path, err, errlen))
        return -1;
    json_t *id = json_object_get(c, "id"), *key = json_object_get(c, "apiKey");
    json_t *inspectors = json_object_get(c, "inspectors"), *services = json_object_get(c, "services");
    if (!valid_name(id, BOOKD_NAME_MAX))
        return fail(err, errlen, origin, path, "'id' must be 1-64 letters, digits, '-', '_' or '.'");
    if (!json_is_string(key) || json_string_length(key) < 1 || json_string_length(key) > BOOKD_TEXT_MAX ||
        strlen(json_string_value(key)) != json_string_length(key))
        return fail(err, errlen, origin, path, "'apiKey' must be a string of 1-256 bytes");
    if (!json_is_array(inspectors) || json_array_size(inspectors) == 0)
        return fail(err, errlen, origin, path, "'inspectors' must be a non-empty array");
    if (!json_is_array(services) || json_array_size(services) == 0)
        return fail(err, errlen, origin, path, "'services' must be a non-empty array");
    const char *cid = json_string_value(id);
    if (store->ops->put_company(store, cid, json_string_value(key)) != 0)
        return fail(err, errlen, origin, path, store->ops->errmsg(store));
    size_t i;
    json_t *v;
    json_array_foreach (inspectors, i, v) {
        snprintf(path, sizeof(path), "companies[%zu].inspectors[%zu]", index, i);
        if (!valid_name(v, BOOKD_NAME_MAX))
            return fail(err, errlen, origin, path, "must be 1-64 letters, digits, '-', '_' or '.'");
        if (store->ops->put_inspector(store, cid, json_string_value(v)) != 0)
            return fail(err, errlen, origin, path, store->ops->errmsg(store));
    }
    json_array_foreach (services, i, v) {
        snprintf(path, sizeof(path), "companies[%zu].services[%zu]", index, i);
        if (!json_is_object(v))
            return fail(err, errlen, origin, path, "must be an object");
        if (check_keys(v, service_keys, origin, path, err, errlen))
            return -1;
        json_t *sid = json_object_get(v, "id"), *minutes = json_object_get(v, "durationMinutes");
        if (!valid_name(sid, BOOKD_NAME_MAX))
            return fail(err, errlen, origin, path, "'id' must be 1-64 letters, digits, '-', '_' or '.'");
        if (!json_is_integer(minutes) || json_integer_value(minutes) < 1 || json_integer_value(minutes) > 540)
            return fail(err, errlen, origin, path, "'durationMinutes' must be an integer from 1 to 540");
        if (store->ops->put_service(store, cid, json_string_value(sid), (int)json_integer_value(minutes)) !=
            0)
            return fail(err, errlen, origin, path, store->ops->errmsg(store));
    }
    return 0;
}

typedef struct {
    bookd_store *store;
    json_t *companies;
    const char *origin;
    char *err;
    size_t errlen;
    int failed;
} seed_ctx;

/* The whole seed in one transaction: a bad company leaves nothing half-written. */
static int seed_body(void *arg)
{
    seed_ctx *s = arg;
    size_t i;
    json_t *c;
    json_array_foreach (s->companies, i, c) {
        if (seed_company(s->store, c, i, s->origin, s->err, s->errlen) != 0) {
            s->failed = 1;
            return 1;
        }
    }
    return 0;
}

int bookd_seed_from_json(bookd_store *store, const char *json, size_t len, const char *origin, char *err,
                         size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        snprintf(err, errlen, "%s:%d:%d: %s", origin, jerr.line, jerr.column, jerr.text);
        return -1;
    }
    static const char *const keys[] = {"companies", NULL};
    int rc = -1;
    json_t *companies = json_object_get(root, "companies");
    if (!json_is_object(root))
        fail(err, errlen, origin, "(top level)", "must be an object");
    else if (check_keys(root, keys, origin, "(top level)", err, errlen))
        ;
    else if (!json_is_array(companies) || json_array_size(companies) == 0)
        fail(err, errlen, origin, "companies", "must be a non-empty array");
    else {
        seed_ctx ctx = {
            .store = store, .companies = companies, .origin = origin, .err = err, .errlen = errlen};
        rc = store->ops->transaction(store, NULL, NULL, seed_body, &ctx);
        if (rc < 0 && ctx.failed == 0)
            fail(err, errlen, origin, "companies", store->ops->errmsg(store));
        rc = rc == 0 ? 0 : -1;
    }
    json_decref(root);
    return rc;
}

int bookd_seed(bookd_store *store, const char *what, char *err, size_t errlen)
{
    if (strcmp(what, "none") == 0)
        return 0;
    if (strcmp(what, "demo") == 0)
        return bookd_seed_from_json(store, bookd_demo_seed_json, strlen(bookd_demo_seed_json), "demo seed",
                                    err, errlen);
    FILE *f = fopen(what, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: cannot open seed file", what);
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > 16u << 20) {
                snprintf(err, errlen, "%s: seed file larger than 16 MiB", what);
                goto fail;
            }
            text = xrealloc(text, cap);
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", what);
        goto fail;
    }
    fclose(f);
    int rc = bookd_seed_from_json(store, text, len, what, err, errlen);
    free(text);
    return rc;
fail:
    fclose(f);
    free(text);
    return -1;
}
