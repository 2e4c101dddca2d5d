/*
 * Threshold parsing and judging (see threshold.h). The parser is strict: a
 * latency without its unit, a rate without "/s" or trailing text is an
 * error naming the column, never a guess, because a gate that silently reads
 * "50" as 50 us instead of 50 ms passes every build.
 */
#include "threshold.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FAIL(col, ...)                                                                                       \
    do {                                                                                                     \
        char m_[200];                                                                                        \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                                               \
        snprintf(err, errlen, "threshold '%s', column %d: %s", text, (int)(col) + 1, m_);                    \
        return -1;                                                                                           \
    } while (0)

static int is_latency(br_threshold_metric m)
{
    return m == BR_TM_PERCENTILE || m == BR_TM_MAX || m == BR_TM_MEAN;
}

/* METRIC at |p|; advances |p|. Returns -1 for an unknown metric. */
static int parse_metric(const char **p, br_threshold *out)
{
    static const struct {
        const char *name;
        br_threshold_metric metric;
    } names[] = {{"max", BR_TM_MAX},           {"mean", BR_TM_MEAN},     {"rate", BR_TM_RATE},
                 {"requests", BR_TM_REQUESTS}, {"errors", BR_TM_ERRORS}, {"error", BR_TM_ERRORS}};
    const char *s = *p;
    if (s[0] == 'p' && s[1] >= '0' && s[1] <= '9') {
        char *end;
        double v = strtod(s + 1, &end);
        if (!(v > 0 && v <= 100))
            return -1;
        out->metric = BR_TM_PERCENTILE;
        out->percentile = v;
        *p = end;
        return 0;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i].name);
        if (strncmp(s, names[i].name, n) == 0 && strchr("<>= ", s[n]) != NULL && s[n] != '\0') {
            out->metric = names[i].metric;
            *p = s + n;
            return 0;
        }
    }
    return -1;
}

static int parse_cmp(const char **p, br_threshold_cmp *cmp)
{
    const char *s = *p;
    if (s[0] != '<' && s[0] != '>')
        return -1;
    int eq = s[1] == '=';
    *cmp = s[0] == '<' ? (eq ? BR_CMP_LE : BR_CMP_LT) : (eq ? BR_CMP_GE : BR_CMP_GT);
    *p = s + 1 + eq;
    return 0;
}

/* The unit after the number, converted into the metric's unit. Returns -1 with |why| for a wrong one. */
static int apply_unit(br_threshold *t, const char *unit, size_t n, const char **why)
{
    if (is_latency(t->metric)) {
        double mul = n == 2 && strncmp(unit, "us", 2) == 0   ? 1
                     : n == 2 && strncmp(unit, "ms", 2) == 0 ? 1e3
                     : n == 1 && unit[0] == 's'              ? 1e6
                                                             : 0;
        *why = "a latency needs a unit: us, ms or s";
        t->value *= mul;
        return mul > 0 ? 0 : -1;
    }
    if (t->metric == BR_TM_RATE) {
        *why = "a rate needs /s (requests per second)";
        return n == 2 && strncmp(unit, "/s", 2) == 0 ? 0 : -1;
    }
    if (t->metric == BR_TM_ERRORS && n == 1 && unit[0] == '%') {
        t->metric = BR_TM_ERRORS_PCT;
        *why = "a percentage is at most 100%";
        return t->value <= 100 ? 0 : -1;
    }
    *why = t->metric == BR_TM_ERRORS ? "errors take a count or a percentage (%)" : "a count takes no unit";
    if (n == 0 && t->value != floor(t->value)) {
        *why = "a count is a whole number";
        return -1;
    }
    return n == 0 ? 0 : -1;
}

int br_threshold_parse(const char *text, br_threshold *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (strlen(text) >= sizeof(out->text)) {
        snprintf(err, errlen, "threshold too long (at most %d characters)", BR_THRESHOLD_TEXT_MAX - 1);
        return -1;
    }
    snprintf(out->text, sizeof(out->text), "%s", text);
    const char *p = text, *colon = strchr(text, ':');
    snprintf(out->op, sizeof(out->op), "all");
    if (colon != NULL) {
        size_t n = (size_t)(colon - text);
        if (n == 0 || n >= sizeof(out->op))
            FAIL(0, "the operation name before ':' is empty or too long");
        for (size_t i = 0; i < n; i++)
            if (!(text[i] == '_' || text[i] == '-' || (text[i] >= 'a' && text[i] <= 'z') ||
                  (text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= '0' && text[i] <= '9')))
                FAIL(i, "an operation name is letters, digits, '_' and '-'");
        memcpy(out->op, text, n);
        out->op[n] = '\0';
        p = colon + 1;
    }
    if (parse_metric(&p, out) != 0)
        FAIL(p - text, "expected a metric: pN (e.g. p99), max, mean, rate, requests or errors");
    while (*p == ' ')
        p++;
    if (parse_cmp(&p, &out->cmp) != 0)
        FAIL(p - text, "expected a comparison: <, <=, > or >=");
    while (*p == ' ')
        p++;
    char *end;
    out->value = strtod(p, &end);
    if (end == p || !(out->value >= 0) || isinf(out->value) || *p == '+' || *p == '-')
        FAIL(p - text, "expected a number at least 0");
    const char *unit = end, *stop = strchr(unit, ',');
    size_t ulen = stop ? (size_t)(stop - unit) : strlen(unit);
    const char *why;
    if (apply_unit(out, unit, ulen, &why) != 0)
        FAIL(unit - text, "%s", why);
    if (stop != NULL) {
        if (strcmp(stop, ",abort") != 0)
            FAIL(stop - text, "only \",abort\" may follow the value");
        out->abort = 1;
    }
    return 0;
}

int br_threshold_op_index(const br_threshold *t, const br_threshold_input *in)
{
    if (strcmp(t->op, "all") == 0)
        return BR_THRESHOLD_ALL;
    for (size_t i = 0; i < in->op_count; i++)
        if (strcmp(in->ops[i].name, t->op) == 0)
            return (int)i;
    return -1;
}

double br_threshold_observed(const br_threshold *t, const br_threshold_input *in)
{
    int i = br_threshold_op_index(t, in);
    const br_threshold_op *o = i >= 0 ? &in->ops[i] : &in->all;
    switch (t->metric) {
    case BR_TM_PERCENTILE:
        return (double)br_hist_percentile(o->hist, t->percentile);
    case BR_TM_MAX:
        return o->hist->total ? (double)o->hist->max : 0;
    case BR_TM_MEAN:
        return br_hist_mean(o->hist);
    case BR_TM_RATE:
        return in->seconds > 0 ? (double)o->requests / in->seconds : 0;
    case BR_TM_REQUESTS:
        return (double)o->requests;
    case BR_TM_ERRORS_PCT: {
        /* Failed requests that never completed count in the denominator too. */
        double attempts = (double)(o->requests + o->errors);
        return attempts > 0 ? 100.0 * (double)o->errors / attempts : 0;
    }
    case BR_TM_ERRORS:
        return (double)o->errors;
    }
    return 0;
}

static int holds(br_threshold_cmp cmp, double observed, double limit)
{
    switch (cmp) {
    case BR_CMP_LT:
        return observed < limit;
    case BR_CMP_LE:
        return observed <= limit;
    case BR_CMP_GT:
        return observed > limit;
    case BR_CMP_GE:
        return observed >= limit;
    }
    return 0;
}

int br_threshold_eval(const br_threshold *t, const br_threshold_input *in, double *observed)
{
    double v = br_threshold_observed(t, in);
    if (observed)
        *observed = v;
    return holds(t->cmp, v, t->value);
}

int br_threshold_final_failure(const br_threshold *t, const br_threshold_input *in)
{
    int grows = t->metric == BR_TM_MAX || t->metric == BR_TM_REQUESTS || t->metric == BR_TM_ERRORS;
    return grows && (t->cmp == BR_CMP_LT || t->cmp == BR_CMP_LE) && !br_threshold_eval(t, in, NULL);
}

char *br_threshold_describe(const br_threshold *t, double observed, char *buf, size_t cap)
{
    const char *unit = is_latency(t->metric)           ? "us"
                       : t->metric == BR_TM_RATE       ? "/s"
                       : t->metric == BR_TM_ERRORS_PCT ? "%"
                                                       : "";
    snprintf(buf, cap, "%s: observed %.*f%s", t->text, t->metric == BR_TM_ERRORS_PCT ? 3 : 1, observed, unit);
    return buf;
}
