/*
 * Scenario variables merged from scenario, profile and command line (vars.h),
 * and the per-actor coordinate overrides. Kept out of the scenario loader and
 * the race runner so the precedence lives in one place and is tested alone.
 */
#include "vars.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int valid_name(const char *s, size_t n)
{
    if (n == 0 || n > BR_VAR_NAME_MAX || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '.'))
            return 0;
    return 1;
}

int br_var_parse_arg(json_t *vars, const char *arg, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL) {
        snprintf(err, errlen, "--var %s: expected NAME=VALUE (or NAME:=JSON)", arg);
        return -1;
    }
    int as_json = eq > arg && eq[-1] == ':';
    size_t n = (size_t)(eq - arg) - (size_t)as_json;
    if (!valid_name(arg, n)) {
        snprintf(err, errlen,
                 "--var %s: '%.*s' is not a variable name (letters, digits, '_', '-', '.'; at most %d)", arg,
                 (int)n, arg, BR_VAR_NAME_MAX);
        return -1;
    }
    char name[BR_VAR_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%.*s", (int)n, arg);
    json_t *value;
    if (as_json) {
        json_error_t e;
        value = json_loads(eq + 1, JSON_DECODE_ANY, &e);
        if (value == NULL) {
            snprintf(err, errlen, "--var %s: the value is not JSON (column %d: %s)", arg, e.column, e.text);
            return -1;
        }
    } else {
        value = json_string(eq + 1);
        if (value == NULL) {
            snprintf(err, errlen, "--var %s: the value is not UTF-8", name);
            return -1;
        }
    }
    json_object_set_new(vars, name, value);
    return 0;
}

json_t *br_vars_merge(json_t *scenario, json_t *profile, json_t *cli)
{
    json_t *out = json_object();
    json_t *layers[] = {scenario, profile, cli};
    for (size_t i = 0; i < 3; i++)
        if (json_is_object(layers[i]))
            json_object_update(out, layers[i]);
    return out;
}

json_t *br_vars_sources(json_t *scenario, json_t *profile, json_t *cli)
{
    json_t *out = json_object();
    json_t *layers[] = {scenario, profile, cli};
    const char *names[] = {"scenario", "profile", "command line"};
    for (size_t i = 0; i < 3; i++) {
        const char *key;
        json_t *v;
        if (json_is_object(layers[i]))
            json_object_foreach (layers[i], key, v)
                json_object_set_new(out, key, json_string(names[i]));
    }
    return out;
}

static int number_of(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        char *end;
        const char *s = json_string_value(v);
        double d = strtod(s, &end);
        if (end != s && *end == '\0') {
            *out = d;
            return 0;
        }
    }
    return -1;
}

int br_vars_actor_override(json_t *vars, const char *actor, double *lat, double *lng, const char **address,
                           char *err, size_t errlen)
{
    static const char *const fields[] = {"lat", "lng", "address"};
    int applied = 0;
    for (size_t i = 0; i < 3; i++) {
        char key[BR_VAR_NAME_MAX + 96];
        snprintf(key, sizeof(key), "%s.%s", actor, fields[i]);
        json_t *v = json_object_get(vars, key);
        if (v == NULL)
            continue;
        if (i < 2 && number_of(v, i == 0 ? lat : lng) != 0) {
            snprintf(err, errlen, "variable %s must be a number, not %s", key,
                     json_is_string(v) ? json_string_value(v) : "a JSON non-number");
            return -1;
        }
        if (i == 2) {
            if (!json_is_string(v)) {
                snprintf(err, errlen, "variable %s must be a string", key);
                return -1;
            }
            *address = json_string_value(v);
        }
        applied++;
    }
    return applied;
}

int br_vars_mentioned(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; (p = strstr(p, "${var.")) != NULL; p += 6)
        if (strncmp(p + 6, name, n) == 0 && (p[6 + n] == '}' || (p[6 + n] == '?' && p[7 + n] == '}')))
            return 1;
    return 0;
}
