/*
 * Secret redaction (redact.h): a small set of expanded secret values and the
 * functions that scrub them out of text and JSON. The set is filled once per
 * run from the secret headers as they were expanded, so redaction catches the
 * value itself wherever a backend echoes it, not just the header name.
 */
#include "redact.h"

#include "alloc.h"

#include <string.h>

static int known(const br_secrets *s, const char *v, size_t len)
{
    for (size_t i = 0; i < s->count; i++)
        if (strlen(s->values[i]) == len && memcmp(s->values[i], v, len) == 0)
            return 1;
    return 0;
}

static size_t add_one(br_secrets *s, const char *v, size_t len)
{
    if (len < BR_SECRET_MIN_LEN || s->count == BR_SECRET_MAX || known(s, v, len))
        return 0;
    s->values[s->count++] = xstrndup(v, len);
    /* Longest first: "Bearer k3y" is replaced whole before "k3y" alone is looked for. */
    for (size_t i = s->count - 1; i > 0 && strlen(s->values[i]) > strlen(s->values[i - 1]); i--) {
        char *t = s->values[i];
        s->values[i] = s->values[i - 1];
        s->values[i - 1] = t;
    }
    return 1;
}

size_t br_secrets_add(br_secrets *s, const char *value)
{
    if (value == NULL)
        return 0;
    size_t len = strlen(value);
    while (len > 0 && value[len - 1] == ' ')
        len--;
    size_t added = add_one(s, value, len);
    const char *sp = memchr(value, ' ', len);
    if (sp != NULL) {
        while (sp < value + len && *sp == ' ')
            sp++;
        added += add_one(s, sp, (size_t)(value + len - sp));
    }
    return added;
}

void br_secrets_free(br_secrets *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->values[i]);
    s->count = 0;
}

static const char *find(const char *text, size_t len, const char *needle, size_t nlen)
{
    return nlen <= len ? memmem(text, len, needle, nlen) : NULL;
}

int br_secrets_found(const br_secrets *s, const char *text, size_t len)
{
    for (size_t i = 0; i < s->count; i++)
        if (find(text, len, s->values[i], strlen(s->values[i])) != NULL)
            return 1;
    return 0;
}

/* Replaces every occurrence of one value; returns a new buffer (the old one is freed). */
static char *replace_all(char *text, size_t *len, const char *needle, size_t *replaced)
{
    size_t nlen = strlen(needle), rlen = strlen(BR_REDACTED), hits = 0;
    for (const char *p = text; (p = find(p, *len - (size_t)(p - text), needle, nlen)) != NULL; p += nlen)
        hits++;
    if (hits == 0)
        return text;
    size_t out_len = *len - hits * nlen + hits * rlen;
    char *out = xmalloc(out_len + 1), *w = out;
    const char *r = text, *end = text + *len, *p;
    while ((p = find(r, (size_t)(end - r), needle, nlen)) != NULL) {
        memcpy(w, r, (size_t)(p - r));
        w += p - r;
        memcpy(w, BR_REDACTED, rlen);
        w += rlen;
        r = p + nlen;
    }
    memcpy(w, r, (size_t)(end - r));
    out[out_len] = '\0';
    free(text);
    *len = out_len;
    *replaced += hits;
    return out;
}

char *br_redact_text(const br_secrets *s, const char *text, size_t len, size_t *out_len, size_t *replaced)
{
    size_t n = 0;
    char *out = xmemdup0(text, len);
    for (size_t i = 0; i < s->count; i++)
        out = replace_all(out, &len, s->values[i], &n);
    if (out_len != NULL)
        *out_len = len;
    if (replaced != NULL)
        *replaced = n;
    return out;
}

static size_t redact_object(const br_secrets *s, json_t *obj)
{
    size_t n = 0;
    const char *key;
    json_t *value;
    void *tmp;
    json_t *renamed = NULL;
    json_object_foreach_safe(obj, tmp, key, value)
    {
        n += br_redact_json(s, value);
        if (!br_secrets_found(s, key, strlen(key)))
            continue;
        size_t hits;
        char *clean = br_redact_text(s, key, strlen(key), NULL, &hits);
        n += hits;
        if (renamed == NULL)
            renamed = json_object();
        json_object_set(renamed, clean, value);
        free(clean);
        json_object_del(obj, key);
    }
    if (renamed != NULL) {
        json_object_update(obj, renamed);
        json_decref(renamed);
    }
    return n;
}

size_t br_redact_json(const br_secrets *s, json_t *v)
{
    if (v == NULL || s->count == 0)
        return 0;
    size_t n = 0;
    if (json_is_string(v)) {
        const char *t = json_string_value(v);
        size_t len = json_string_length(v);
        if (br_secrets_found(s, t, len)) {
            size_t clean_len;
            char *clean = br_redact_text(s, t, len, &clean_len, &n);
            json_string_setn(v, clean, clean_len);
            free(clean);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            n += br_redact_json(s, json_array_get(v, i));
    } else if (json_is_object(v)) {
        n += redact_object(s, v);
    }
    return n;
}
