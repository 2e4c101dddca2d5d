/*
 * Release comparison over load results (compare_load.h): the per-second
 * series of every run of a side are pooled into one sample per metric, and
 * each metric's change is judged by compare.c. The single-number comparison
 * this replaces cried wolf: two back-to-back 2 s runs of one build against
 * bookd /health differed by +263% in p90 (224 -> 814 us) on the project's
 * 2-core machine; bench/compare-aa.sh measures how often this one does.
 */
#include "compare_load.h"

#include "alloc.h"
#include "results.h"

#include <math.h>
#include <string.h>

void br_cmp_init(br_cmp_report *r, double max_regress_pct)
{
    memset(r, 0, sizeof(*r));
    r->max_regress_pct = max_regress_pct;
}

void br_cmp_free(br_cmp_report *r)
{
    for (size_t i = 0; i < r->count; i++)
        for (int s = 0; s < 2; s++)
            free(r->metrics[i].side[s].v);
    free(r->metrics);
    memset(r, 0, sizeof(*r));
}

static br_cmp_metric *metric(br_cmp_report *r, const char *op, const char *what, int higher_is_better)
{
    char name[sizeof(r->metrics[0].name)];
    snprintf(name, sizeof(name), "%s %s", op, what);
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->metrics[i].name, name) == 0)
            return &r->metrics[i];
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->metrics = xrealloc(r->metrics, r->cap * sizeof(*r->metrics));
    }
    br_cmp_metric *m = &r->metrics[r->count++];
    memset(m, 0, sizeof(*m));
    snprintf(m->name, sizeof(m->name), "%s", name);
    m->higher_is_better = higher_is_better;
    return m;
}

static void push(br_cmp_samples *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = xrealloc(s->v, s->cap * sizeof(double));
    }
    s->v[s->n++] = v;
}

/* A non-negative integer member of |obj|, or -1 with "PATH: POINTER/KEY: ..." in |err|. */
static int get_count(json_t *obj, const char *key, const char *path, const char *ptr, double *out, char *err,
                     size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(err, errlen, "%s: %s/%s: %s", path, ptr, key,
                 v == NULL ? "missing" : "not a non-negative integer");
        return -1;
    }
    *out = (double)json_integer_value(v);
    return 0;
}

static const char *const percentiles[] = {"p50", "p90", "p99"};

/* One operation's cell of one second: its request count, and its percentiles when it had requests. */
static int add_op_second(br_cmp_report *r, int side, const char *op, json_t *cell, int several_ops,
                         const char *path, const char *ptr, char *err, size_t errlen)
{
    if (!json_is_object(cell)) {
        snprintf(err, errlen, "%s: %s: not an object", path, ptr);
        return -1;
    }
    double n;
    if (get_count(cell, "requests", path, ptr, &n, err, errlen) != 0)
        return -1;
    if (several_ops)
        push(&metric(r, op, "req/s", 1)->side[side], n);
    for (int p = 0; p < 3; p++) {
        double v;
        if (get_count(cell, percentiles[p], path, ptr, &v, err, errlen) != 0)
            return -1;
        if (n > 0)
            push(&metric(r, op, percentiles[p], 0)->side[side], v);
    }
    return 0;
}

static int add_second(br_cmp_report *r, int side, json_t *sec, size_t i, const char *path, char *err,
                      size_t errlen)
{
    char ptr[256];
    snprintf(ptr, sizeof(ptr), "/timeseries/%zu", i);
    if (!json_is_object(sec)) {
        snprintf(err, errlen, "%s: %s: not an object", path, ptr);
        return -1;
    }
    double n;
    if (get_count(sec, "requests", path, ptr, &n, err, errlen) != 0)
        return -1;
    push(&metric(r, "all", "req/s", 1)->side[side], n);
    json_t *ops = json_object_get(sec, "operations");
    if (ops == NULL)
        return 0; /* a series written before per-operation cells: throughput only */
    if (!json_is_object(ops)) {
        snprintf(err, errlen, "%s: %s/operations: not an object", path, ptr);
        return -1;
    }
    const char *op;
    json_t *cell;
    json_object_foreach (ops, op, cell) {
        char op_ptr[512];
        snprintf(op_ptr, sizeof(op_ptr), "%s/operations/%.200s", ptr, op);
        if (add_op_second(r, side, op, cell, json_object_size(ops) > 1, path, op_ptr, err, errlen) != 0)
            return -1;
    }
    return 0;
}

/* Requests still in flight when a closed-model run ends ("unfinished", about one per connection) are
   not the release's errors: left out. */
static double error_total(json_t *e)
{
    static const char *const kinds[] = {"connect", "read", "write", "timeout", "parse"};
    double n = 0;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        n += (double)json_integer_value(json_object_get(e, kinds[i]));
    return n;
}

int br_cmp_add_doc(br_cmp_report *r, int side, json_t *doc, const char *path, char *err, size_t errlen)
{
    const char *schema = json_string_value(json_object_get(doc, "schema"));
    if (schema == NULL || strcmp(schema, "bookrace.load/1") != 0) {
        snprintf(err, errlen, "%s: /schema: \"%s\" is not a load result (bookrace.load/1)", path,
                 schema ? schema : "(none)");
        return -1;
    }
    json_t *series = json_object_get(doc, "timeseries");
    if (!json_is_array(series)) {
        snprintf(err, errlen, "%s: /timeseries: %s", path, series ? "not an array" : "missing");
        return -1;
    }
    size_t i;
    json_t *sec;
    json_array_foreach (series, i, sec)
        if (add_second(r, side, sec, i, path, err, errlen) != 0)
            return -1;
    r->runs[side]++;
    r->violations[side] += json_array_size(json_object_get(json_object_get(doc, "oracle"), "violations"));
    r->errors[side] += error_total(json_object_get(doc, "errors"));
    return 0;
}

static int all_zero(const br_cmp_samples *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] != 0)
            return 0;
    return 1;
}

void br_cmp_judge(br_cmp_report *r)
{
    r->regressions = r->unjudged = 0;
    for (size_t i = 0; i < r->count; i++) {
        br_cmp_metric *m = &r->metrics[i];
        for (int s = 0; s < 2; s++)
            m->median[s] = br_median(m->side[s].v, m->side[s].n);
        m->judged = m->side[0].n >= BR_CMP_MIN_SAMPLES && m->side[1].n >= BR_CMP_MIN_SAMPLES;
        m->empty = all_zero(&m->side[0]) && all_zero(&m->side[1]);
        if (m->empty)
            continue;
        if (!m->judged) {
            r->unjudged++;
            continue;
        }
        m->change = br_change_judge(m->side[0].v, m->side[0].n, m->side[1].v, m->side[1].n,
                                    m->higher_is_better, r->max_regress_pct);
        r->regressions += m->change.verdict == BR_CHANGE_REGRESSION;
    }
    double runs0 = r->runs[0] ? (double)r->runs[0] : 1, runs1 = r->runs[1] ? (double)r->runs[1] : 1;
    r->verdict_worse = (double)r->violations[1] / runs1 > (double)r->violations[0] / runs0 ||
                       r->errors[1] / runs1 > r->errors[0] / runs0;
}

/* "too few samples (n 1/2; need 4 a side)" or compare.c's words. */
static const char *metric_words(const br_cmp_metric *m, char *buf, size_t cap)
{
    if (m->judged)
        return br_change_format(&m->change, buf, cap);
    snprintf(buf, cap, "too few samples (n %zu/%zu; need %d a side)", m->side[0].n, m->side[1].n,
             BR_CMP_MIN_SAMPLES);
    return buf;
}

void br_cmp_print(const br_cmp_report *r, FILE *out)
{
    fprintf(out, "base: %zu run(s); new: %zu run(s); one sample per whole second of each run\n", r->runs[0],
            r->runs[1]);
    fprintf(out, "%-22s %12s %12s  %s\n", "metric", "base median", "new median", "change [95% CI]");
    for (size_t i = 0; i < r->count; i++) {
        const br_cmp_metric *m = &r->metrics[i];
        char words[256];
        if (m->empty)
            continue;
        fprintf(out, "%-22s %12.1f %12.1f  %s\n", m->name, m->median[0], m->median[1],
                metric_words(m, words, sizeof(words)));
    }
    if (r->unjudged)
        fprintf(out, "%d metric(s) not judged: too few samples (run longer, or give several runs a side)\n",
                r->unjudged);
    fprintf(out,
            "oracle: %zu violations in %zu run(s) (base %zu in %zu); transport errors: %.0f (base %.0f)%s\n",
            r->violations[1], r->runs[1], r->violations[0], r->runs[0], r->errors[1], r->errors[0],
            r->verdict_worse ? " WORSE (per run)" : "");
    if (r->regressions)
        fprintf(out, "%d metric(s) regressed: the whole 95%% interval is worse than %.1f%%\n", r->regressions,
                r->max_regress_pct);
    else
        fprintf(out, "no metric regressed past %.1f%%\n", r->max_regress_pct);
}

static const char *verdict_name(const br_cmp_metric *m)
{
    static const char *const names[] = {"none", "better", "worse", "regression"};
    return m->judged ? names[m->change.verdict] : "too-few-samples";
}

static json_t *num_or_null(int ok, double v)
{
    return ok && isfinite(v) ? json_real(v) : json_null();
}

static json_t *metric_json(const br_cmp_metric *m)
{
    const br_change *c = &m->change;
    return json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:o, s:o, s:o, s:o, s:b}", "metric", m->name, "verdict",
                     verdict_name(m), "baseSamples", (json_int_t)m->side[0].n, "newSamples",
                     (json_int_t)m->side[1].n, "baseMedian", m->median[0], "newMedian", m->median[1],
                     "changePercent", num_or_null(m->judged, c->change_pct), "ciLowPercent",
                     num_or_null(m->judged, c->lo_pct), "ciHighPercent", num_or_null(m->judged, c->hi_pct),
                     "pValue", num_or_null(m->judged, c->p_value), "higherIsBetter", m->higher_is_better);
}

json_t *br_cmp_json(const br_cmp_report *r)
{
    json_t *metrics = json_array();
    for (size_t i = 0; i < r->count; i++)
        if (!r->metrics[i].empty)
            json_array_append_new(metrics, metric_json(&r->metrics[i]));
    return json_pack("{s:s, s:f, s:f, s:I, s:I, s:o, s:i, s:i, s:{s:I, s:I, s:f, s:f, s:b}}", "schema",
                     "bookrace.compare/1", "maxRegressPercent", r->max_regress_pct, "confidence", 0.95,
                     "baseRuns", (json_int_t)r->runs[0], "newRuns", (json_int_t)r->runs[1], "metrics",
                     metrics, "regressions", r->regressions, "unjudged", r->unjudged, "oracle",
                     "baseViolations", (json_int_t)r->violations[0], "newViolations",
                     (json_int_t)r->violations[1], "baseErrors", r->errors[0], "newErrors", r->errors[1],
                     "worse", r->verdict_worse);
}

char *br_cmp_junit(const br_cmp_report *r)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    size_t shown = 0;
    for (size_t i = 0; i < r->count; i++)
        shown += !r->metrics[i].empty;
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"compare\" "
            "tests=\"%zu\" failures=\"%d\" skipped=\"%d\">\n",
            shown + 1, r->regressions + r->verdict_worse, r->unjudged);
    for (size_t i = 0; i < r->count; i++) {
        const br_cmp_metric *m = &r->metrics[i];
        char words[256];
        if (m->empty)
            continue;
        fprintf(f, "<testcase classname=\"compare\" name=\"");
        br_xml_escape(f, m->name);
        fprintf(f, "\">");
        const char *tag = !m->judged                                  ? "skipped"
                          : m->change.verdict == BR_CHANGE_REGRESSION ? "failure"
                                                                      : NULL;
        if (tag) {
            fprintf(f, "<%s message=\"", tag);
            br_xml_escape(f, metric_words(m, words, sizeof(words)));
            fprintf(f, "\"/>");
        }
        fprintf(f, "</testcase>\n");
    }
    fprintf(f, "<testcase classname=\"compare\" name=\"oracle\">");
    if (r->verdict_worse)
        fprintf(f, "<failure message=\"%zu violations (base %zu), %.0f transport errors (base %.0f)\"/>",
                r->violations[1], r->violations[0], r->errors[1], r->errors[0]);
    fprintf(f, "</testcase>\n</testsuite>\n</testsuites>\n");
    fclose(f);
    return text;
}
