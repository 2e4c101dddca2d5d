/*
 * The small parsers issue 11 added: --var arguments (NAME=VALUE and
 * NAME:=JSON), day specs, and secret redaction of text and JSON. Input: a
 * --var line, a day-spec line, a secret line, then a text to redact (also
 * parsed as JSON and redacted as such). Invariants: redacted text never
 * holds a collected secret, and a parsed --var is in the object.
 */
#include "dayspec.h"
#include "redact.h"
#include "vars.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *next_line(char **p)
{
    char *line = *p, *nl = line ? strchr(line, '\n') : NULL;
    if (nl) {
        *nl = '\0';
        *p = nl + 1;
    } else {
        *p = NULL;
    }
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *p = text, err[512];
    char *var = next_line(&p), *day = next_line(&p), *secret = next_line(&p), *rest = p ? p : "";
    json_t *vars = json_object();
    if (var && br_var_parse_arg(vars, var, err, sizeof(err)) == 0 && json_object_size(vars) != 1)
        abort();
    double lat = 0, lng = 0;
    const char *address = NULL;
    br_vars_actor_override(vars, "a", &lat, &lng, &address, err, sizeof(err));
    json_decref(vars);
    int64_t out;
    if (day)
        br_dayspec_resolve(day, 20788, &out, err, sizeof(err));
    br_secrets s = {0};
    br_secrets_add(&s, secret);
    size_t len = strlen(rest), clean_len;
    char *clean = br_redact_text(&s, rest, len, &clean_len, NULL);
    /* No secret survives, unless the replacement itself can spell it (brackets, or inside "redacted"). */
    int spellable = 0;
    for (size_t i = 0; i < s.count; i++)
        spellable |= strpbrk(s.values[i], "[]") != NULL || strstr("redacted", s.values[i]) != NULL;
    if (!spellable && br_secrets_found(&s, clean, clean_len))
        abort();
    free(clean);
    json_error_t e;
    json_t *doc = json_loads(rest, JSON_DECODE_ANY, &e);
    br_redact_json(&s, doc);
    json_decref(doc);
    br_secrets_free(&s);
    free(text);
    return 0;
}
