/*
 * Templates (template.h): "${...}" placeholders filled from the request's
 * context (actor, slot, variables, booking, hold, date, environment). In text
 * a value is spliced in, percent-encoded where the caller asks (paths and
 * queries) and refused when it holds a line break (a header injection); in a
 * JSON body a string that is exactly one placeholder keeps the value's type.
 * br_template_check validates a template when the profile is loaded, so a
 * typo fails before any request rather than in the middle of a race.
 */
#include "template.h"

#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 128

typedef struct {
    char *data;
    size_t len, cap;
} text;

static void text_add(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 64;
        while (cap < t->len + n + 1)
            cap *= 2;
        t->data = xrealloc(t->data, cap);
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static int is_env_name(const char *s, size_t n)
{
    if (n == 0 || !((s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static const char *const known_names[] = {
    "actor.name",       "actor.email",   "actor.address", "actor.lat",  "actor.lng", "actor.index",
    "slot.inspectorId", "slot.datetime", "slot.endtime",  "booking.id", "hold.id",   "date",
    "dateEnd",          "trial",         "run",           "seconds",    NULL};

/* Validates a placeholder's inside ("actor.lat", "var.x", "API_KEY:-k"). */
static int check_name(const char *s, size_t n, char *err, size_t errlen)
{
    if (n > 1 && s[n - 1] == '?')
        n--; /* optional: ${hold.id?} */
    const char *dflt = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == ':' && s[i + 1] == '-') {
            dflt = s + i;
            break;
        }
    size_t name_len = dflt ? (size_t)(dflt - s) : n;
    if (is_env_name(s, name_len))
        return 0;
    if (dflt != NULL) {
        snprintf(err, errlen, "a default (:-) is only allowed for environment variables: ${%.*s}", (int)n, s);
        return -1;
    }
    if (n > 4 && memcmp(s, "var.", 4) == 0)
        return 0;
    for (const char *const *k = known_names; *k; k++)
        if (strlen(*k) == n && memcmp(*k, s, n) == 0)
            return 0;
    snprintf(err, errlen, "unknown placeholder ${%.*s}", (int)n, s);
    return -1;
}

static json_t *lookup_name(const char *s, size_t n, const br_template_ctx *ctx, char *err, size_t errlen);

/* Sentinel for an optional placeholder without a value: dropped from bodies, empty in text. */
static json_t *absent(void)
{
    /* Its own object, not json_null(): a variable may legitimately hold null. Templates expand on one thread.
     */
    static json_t *sentinel;
    if (sentinel == NULL)
        sentinel = json_object();
    return sentinel;
}

static json_t *lookup(const char *s, size_t n, const br_template_ctx *ctx, char *err, size_t errlen)
{
    if (n > 1 && s[n - 1] == '?') {
        json_t *v = lookup_name(s, n - 1, ctx, err, errlen);
        return v ? v : absent();
    }
    return lookup_name(s, n, ctx, err, errlen);
}

static json_t *lookup_name(const char *s, size_t n, const br_template_ctx *ctx, char *err, size_t errlen)
{
    char name[MAX_NAME + 1];
    if (n > MAX_NAME) {
        snprintf(err, errlen, "placeholder too long");
        return NULL;
    }
    memcpy(name, s, n);
    name[n] = '\0';
    char *dflt = strstr(name, ":-");
    if (dflt)
        *dflt = '\0';
    if (is_env_name(name, strlen(name))) {
        const char *v = getenv(name);
        if (v == NULL && dflt)
            v = dflt + 2;
        if (v == NULL) {
            snprintf(err, errlen, "environment variable %s is not set (used as ${%s})", name, name);
            return NULL;
        }
        return json_string(v);
    }
    const br_actor_view *a = ctx->actor;
    const br_slot_view *sl = ctx->slot;
    if (strncmp(name, "actor.", 6) == 0) {
        if (a == NULL)
            goto missing;
        const char *f = name + 6;
        if (strcmp(f, "name") == 0)
            return json_string(a->name);
        if (strcmp(f, "email") == 0)
            return json_string(a->email);
        if (strcmp(f, "address") == 0)
            return json_string(a->address);
        if (strcmp(f, "lat") == 0)
            return json_real(a->lat);
        if (strcmp(f, "lng") == 0)
            return json_real(a->lng);
        if (strcmp(f, "index") == 0)
            return json_integer(a->index);
    } else if (strncmp(name, "slot.", 5) == 0) {
        if (sl == NULL)
            goto missing;
        const char *f = name + 5;
        if (strcmp(f, "inspectorId") == 0)
            return json_string(sl->inspector);
        if (strcmp(f, "datetime") == 0)
            return json_string(sl->start);
        if (strcmp(f, "endtime") == 0)
            return json_string(sl->end);
    } else if (strncmp(name, "var.", 4) == 0) {
        json_t *v = ctx->variables ? json_object_get(ctx->variables, name + 4) : NULL;
        if (v == NULL) {
            snprintf(err, errlen, "${%s}: the scenario defines no variable '%s'", name, name + 4);
            return NULL;
        }
        return json_incref(v);
    } else if (strcmp(name, "booking.id") == 0) {
        if (ctx->booking_id == NULL)
            goto missing;
        return json_string(ctx->booking_id);
    } else if (strcmp(name, "hold.id") == 0) {
        if (ctx->hold_id == NULL)
            goto missing;
        return json_string(ctx->hold_id);
    } else if (strcmp(name, "date") == 0 && ctx->date) {
        return json_string(ctx->date);
    } else if (strcmp(name, "dateEnd") == 0 && ctx->date_end) {
        return json_string(ctx->date_end);
    } else if (strcmp(name, "run") == 0 && ctx->run_id) {
        return json_string(ctx->run_id);
    } else if (strcmp(name, "trial") == 0) {
        return json_integer(ctx->trial);
    } else if (strcmp(name, "seconds") == 0 && ctx->has_seconds) {
        return json_real(ctx->seconds);
    }
missing:
    snprintf(err, errlen, "${%s} has no value here", name);
    return NULL;
}

/* Renders a scalar as text: strings as-is, numbers in their shortest exact form. */
static char *scalar_text(json_t *v)
{
    char buf[64];
    if (json_is_string(v))
        return xstrdup(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return xstrdup(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.10g", json_real_value(v));
        return xstrdup(buf);
    }
    if (json_is_true(v))
        return xstrdup("true");
    if (json_is_false(v))
        return xstrdup("false");
    return NULL;
}

static void add_escaped(text *t, const char *value, br_escape escape)
{
    if (escape == BR_ESCAPE_NONE) {
        text_add(t, value, strlen(value));
        return;
    }
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '.' || *p == '_' || *p == '~') {
            text_add(t, (const char *)p, 1);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            text_add(t, enc, 3);
        }
    }
}

/* Finds the next placeholder at or after p (its start, inside and length): 0, 1 at the end, -1 on bad syntax.
 */
static int next_placeholder(const char *p, const char **start, const char **inner, size_t *inner_len)
{
    const char *open = strstr(p, "${");
    if (open == NULL)
        return 1;
    const char *close = strchr(open + 2, '}');
    if (close == NULL)
        return -1;
    *start = open;
    *inner = open + 2;
    *inner_len = (size_t)(close - open - 2);
    return 0;
}

char *br_template_string(const char *tmpl, const br_template_ctx *ctx, br_escape escape, char *err,
                         size_t errlen)
{
    text t = {0};
    text_add(&t, "", 0);
    const char *p = tmpl;
    for (;;) {
        const char *start, *inner;
        size_t n;
        int rc = next_placeholder(p, &start, &inner, &n);
        if (rc == 1) {
            text_add(&t, p, strlen(p));
            break;
        }
        if (rc < 0) {
            snprintf(err, errlen, "unclosed ${ in '%s'", tmpl);
            goto fail;
        }
        text_add(&t, p, (size_t)(start - p));
        json_t *v = lookup(inner, n, ctx, err, errlen);
        if (v == NULL)
            goto fail;
        if (v == absent()) {
            p = inner + n + 1;
            continue;
        }
        char *value = scalar_text(v);
        json_decref(v);
        if (value == NULL) {
            snprintf(err, errlen, "${%.*s} is not a scalar", (int)n, inner);
            goto fail;
        }
        if (escape == BR_ESCAPE_NONE && strpbrk(value, "\r\n") != NULL) {
            snprintf(err, errlen, "${%.*s} contains a line break", (int)n, inner);
            free(value);
            goto fail;
        }
        add_escaped(&t, value, escape);
        free(value);
        p = inner + n + 1;
    }
    return t.data;
fail:
    free(t.data);
    return NULL;
}

/* Whether |value| is exactly one optional placeholder that has no value in |ctx|. */
static int is_unset_optional(json_t *value, const br_template_ctx *ctx)
{
    if (!json_is_string(value))
        return 0;
    const char *s = json_string_value(value), *start, *inner;
    size_t n, len = strlen(s);
    char scratch[256];
    if (next_placeholder(s, &start, &inner, &n) != 0 || start != s || inner + n + 1 != s + len || n < 2 ||
        inner[n - 1] != '?')
        return 0;
    json_t *v = lookup_name(inner, n - 1, ctx, scratch, sizeof(scratch));
    if (v == NULL)
        return 1;
    json_decref(v);
    return 0;
}

json_t *br_template_json(json_t *tmpl, const br_template_ctx *ctx, char *err, size_t errlen)
{
    if (json_is_string(tmpl)) {
        const char *s = json_string_value(tmpl);
        size_t len = strlen(s);
        const char *start, *inner;
        size_t n;
        /* A string that is exactly one placeholder keeps the value's type. */
        if (next_placeholder(s, &start, &inner, &n) == 0 && start == s && inner + n + 1 == s + len) {
            json_t *v = lookup(inner, n, ctx, err, errlen);
            return v == absent() ? json_null() : v;
        }
        char *expanded = br_template_string(s, ctx, BR_ESCAPE_NONE, err, errlen);
        if (expanded == NULL)
            return NULL;
        json_t *out = json_string(expanded);
        free(expanded);
        if (out == NULL)
            snprintf(err, errlen, "expanded text is not valid UTF-8");
        return out;
    }
    if (json_is_object(tmpl)) {
        json_t *out = json_object();
        const char *key;
        json_t *value;
        json_object_foreach (tmpl, key, value) {
            if (is_unset_optional(value, ctx))
                continue; /* "holdId": "${hold.id?}" without a hold: the member is left out */
            json_t *v = br_template_json(value, ctx, err, errlen);
            if (v == NULL) {
                json_decref(out);
                return NULL;
            }
            json_object_set_new(out, key, v);
        }
        return out;
    }
    if (json_is_array(tmpl)) {
        json_t *out = json_array();
        size_t i;
        json_t *value;
        json_array_foreach (tmpl, i, value) {
            json_t *v = br_template_json(value, ctx, err, errlen);
            if (v == NULL) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, v);
        }
        return out;
    }
    return json_deep_copy(tmpl);
}

int br_template_check(const char *tmpl, char *err, size_t errlen)
{
    const char *p = tmpl;
    for (;;) {
        const char *start, *inner;
        size_t n;
        int rc = next_placeholder(p, &start, &inner, &n);
        if (rc == 1)
            return 0;
        if (rc < 0) {
            snprintf(err, errlen, "unclosed ${ in '%s'", tmpl);
            return -1;
        }
        if (check_name(inner, n, err, errlen) != 0)
            return -1;
        p = inner + n + 1;
    }
}

int br_template_check_json(json_t *tmpl, char *err, size_t errlen)
{
    if (json_is_string(tmpl))
        return br_template_check(json_string_value(tmpl), err, errlen);
    const char *key;
    size_t i;
    json_t *value;
    if (json_is_object(tmpl)) {
        json_object_foreach (tmpl, key, value) {
            if (br_template_check_json(value, err, errlen))
                return -1;
        }
    } else if (json_is_array(tmpl)) {
        json_array_foreach (tmpl, i, value) {
            if (br_template_check_json(value, err, errlen))
                return -1;
        }
    }
    return 0;
}

int br_template_uses(const char *tmpl, const char *prefix)
{
    size_t plen = strlen(prefix);
    for (const char *p = strstr(tmpl, "${"); p; p = strstr(p + 2, "${"))
        if (strncmp(p + 2, prefix, plen) == 0)
            return 1;
    return 0;
}
