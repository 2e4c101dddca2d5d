/*
 * The exact merge of load results (see merge.h). Inputs are accumulated as
 * they are added: histograms, statuses and counts straight into the sums;
 * per-second series and bookings kept with their input's wall-clock start
 * until br_merger_finish knows the earliest start to align them on.
 */
#include "merge.h"

#include "hist.h"
#include "histjson.h"
#include "iso8601.h"
#include "loadgen.h"
#include "oracle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

typedef struct {
    char name[BR_NAME_MAX];
    uint64_t requests;
    br_hist *hist;
    json_t *statuses; /* "code": count, summed */
} merged_op;

typedef struct {
    char *file;
    char run_id[64];
    int64_t started_us, measure_start_us; /* wall clock */
    double measured_s;
    uint64_t *series;
    size_t seconds;
    int seg_index, seg_count; /* -1, 0 when not a segment */
    json_t *segment;          /* the input's "segment" object, or NULL */
} input;

struct br_merger {
    input *inputs;
    size_t input_count;
    merged_op ops[BR_LOAD_MAX_OPS];
    size_t op_count;
    json_t *first;  /* the first input: scenario/url, model, tool */
    json_t *errors; /* "kind": count, summed */
    uint64_t late_sends;
    double rate, duration_s, warmup_s;
    json_int_t threads, connections;
    int oracle_checked, ground_truth_all;
    br_op_record *bookings; /* invoke/complete as wall-clock microseconds until finish */
    size_t booking_count, booking_cap;
    json_t *input_violations; /* the inputs' ground-truth violations, named */
};

br_merger *br_merger_new(void)
{
    br_merger *m = xcalloc(1, sizeof(*m));
    m->errors = json_object();
    m->input_violations = json_array();
    m->ground_truth_all = 1;
    return m;
}

void br_merger_free(br_merger *m)
{
    if (m == NULL)
        return;
    for (size_t i = 0; i < m->input_count; i++) {
        free(m->inputs[i].file);
        free(m->inputs[i].series);
        json_decref(m->inputs[i].segment);
    }
    for (size_t o = 0; o < m->op_count; o++) {
        free(m->ops[o].hist);
        json_decref(m->ops[o].statuses);
    }
    free(m->inputs);
    free(m->bookings);
    json_decref(m->first);
    json_decref(m->errors);
    json_decref(m->input_violations);
    free(m);
}

/* ---- reading one input, checked whole before anything is added -------------------------------------- */

static const char *str_or(json_t *obj, const char *key, const char *dflt)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

/* A non-negative whole number at obj[key]; -1 with |err| naming |where|/key when it is not. */
static int need_count(json_t *obj, const char *key, const char *where, uint64_t *out, char *err,
                      size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(err, errlen, "%s/%s: expected a whole number >= 0", where, key);
        return -1;
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int need_number(json_t *obj, const char *key, const char *where, double *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0) {
        snprintf(err, errlen, "%s/%s: expected a number >= 0", where, key);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

/* The same load: scenario name and target, or URL, and model. */
static int same_load(json_t *a, json_t *b, const char *name, char *err, size_t errlen)
{
    json_t *sa = json_object_get(a, "scenario"), *sb = json_object_get(b, "scenario");
    const char *what_a = sa ? str_or(sa, "name", "?") : str_or(a, "url", "?");
    const char *what_b = sb ? str_or(sb, "name", "?") : str_or(b, "url", "?");
    if (!sa != !sb || strcmp(what_a, what_b) != 0 ||
        (sa && strcmp(str_or(sa, "target", ""), str_or(sb, "target", "")) != 0)) {
        snprintf(err, errlen,
                 "%s: a load of %s, not of %s like the first input: results of different loads "
                 "do not merge",
                 name, what_b, what_a);
        return -1;
    }
    if (strcmp(str_or(a, "model", ""), str_or(b, "model", "")) != 0) {
        snprintf(err, errlen, "%s: the %s model, the first input the %s model", name, str_or(b, "model", "?"),
                 str_or(a, "model", "?"));
        return -1;
    }
    return 0;
}

static int read_segment(br_merger *m, json_t *doc, input *in, const char *name, char *err, size_t errlen)
{
    json_t *seg = json_object_get(doc, "segment");
    in->seg_index = -1;
    if (seg == NULL)
        return 0;
    uint64_t k, n;
    char where[300];
    snprintf(where, sizeof(where), "%s: /segment", name);
    if (need_count(seg, "index", where, &k, err, errlen) || need_count(seg, "count", where, &n, err, errlen))
        return -1;
    if (n < 1 || k >= n) {
        snprintf(err, errlen, "%s: /segment: index %llu is not below count %llu", name, (unsigned long long)k,
                 (unsigned long long)n);
        return -1;
    }
    for (size_t i = 0; i < m->input_count; i++) {
        const input *o = &m->inputs[i];
        if (o->seg_count && (uint64_t)o->seg_count != n) {
            snprintf(err, errlen, "%s: segment %llu of %llu, but %s is a segment of %d", name,
                     (unsigned long long)k, (unsigned long long)n, o->file, o->seg_count);
            return -1;
        }
        if (o->seg_count && (uint64_t)o->seg_index == k) {
            snprintf(err, errlen,
                     "%s: segment %llu/%llu again (already merged from %s): it would count twice", name,
                     (unsigned long long)k, (unsigned long long)n, o->file);
            return -1;
        }
    }
    in->seg_index = (int)k;
    in->seg_count = (int)n;
    in->segment = json_incref(seg);
    return 0;
}

static int read_series(json_t *doc, input *in, const char *name, char *err, size_t errlen)
{
    json_t *series = json_object_get(doc, "timeseries");
    if (!json_is_array(series) || json_array_size(series) > BR_MERGE_MAX_SECONDS) {
        snprintf(err, errlen, "%s: /timeseries: expected an array of at most %d seconds", name,
                 BR_MERGE_MAX_SECONDS);
        return -1;
    }
    in->seconds = json_array_size(series);
    in->series = xcalloc(in->seconds + 1, sizeof(uint64_t));
    size_t i;
    json_t *e;
    json_array_foreach (series, i, e) {
        uint64_t s, n;
        char where[300];
        snprintf(where, sizeof(where), "%s: /timeseries/%zu", name, i);
        if (need_count(e, "second", where, &s, err, errlen) ||
            need_count(e, "requests", where, &n, err, errlen))
            return -1;
        if (s >= in->seconds) {
            snprintf(err, errlen, "%s/second: %llu is past the series' %zu seconds", where,
                     (unsigned long long)s, in->seconds);
            return -1;
        }
        in->series[s] += n;
    }
    return 0;
}

/* Every integer member of |from| added into |into| (statuses by code, errors by kind). */
static int add_counts(json_t *into, json_t *from, const char *where, char *err, size_t errlen)
{
    const char *key;
    json_t *v;
    json_object_foreach (from, key, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0) {
            snprintf(err, errlen, "%s/%s: expected a whole number >= 0", where, key);
            return -1;
        }
    }
    json_object_foreach (from, key, v) {
        json_t *sum = json_object_get(into, key);
        json_int_t a = sum ? json_integer_value(sum) : 0, b = json_integer_value(v);
        json_object_set_new(into, key, json_integer(a > INT64_MAX - b ? INT64_MAX : a + b)); /* saturates */
    }
    return 0;
}

/* Validates the operations of |doc| into temporary copies; added to the merger only when all are valid. */
static int read_ops(br_merger *m, json_t *doc, const char *name, merged_op *tmp, size_t *tmp_count, char *err,
                    size_t errlen)
{
    json_t *ops = json_object_get(doc, "operations");
    if (!json_is_object(ops) || json_object_size(ops) == 0) {
        snprintf(err, errlen, "%s: /operations: expected an object of operations", name);
        return -1;
    }
    const char *key;
    json_t *op;
    *tmp_count = 0;
    json_object_foreach (ops, key, op) {
        size_t o = 0;
        while (o < m->op_count && strcmp(m->ops[o].name, key) != 0)
            o++;
        if (o == m->op_count && m->op_count + *tmp_count >= BR_LOAD_MAX_OPS) {
            snprintf(err, errlen, "%s: /operations: more than %d operations in all", name, BR_LOAD_MAX_OPS);
            return -1;
        }
        char where[256];
        snprintf(where, sizeof(where), "%s: /operations/%.*s", name, BR_NAME_MAX - 1, key);
        merged_op *t = &tmp[(*tmp_count)++];
        snprintf(t->name, sizeof(t->name), "%s", key);
        t->hist = xmalloc(sizeof(br_hist));
        br_hist_init(t->hist);
        t->statuses = json_object();
        if (need_count(op, "requests", where, &t->requests, err, errlen) ||
            br_hist_json_read(op, t->hist, where, err, errlen) != 0)
            return -1;
        json_t *st = json_object_get(op, "statuses");
        if (!json_is_object(st)) {
            snprintf(err, errlen, "%s/statuses: expected an object", where);
            return -1;
        }
        char sw[300];
        snprintf(sw, sizeof(sw), "%s/statuses", where);
        if (add_counts(t->statuses, st, sw, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static br_outcome outcome_of(const char *s)
{
    return strcmp(s, "ok") == 0 ? BR_OUTCOME_OK : strcmp(s, "fail") == 0 ? BR_OUTCOME_FAIL : BR_OUTCOME_INFO;
}

/* One booking of the input's history, times made wall-clock by the input's start. */
static int read_booking(json_t *b, size_t i, const input *in, br_op_record *o, const char *name, char *err,
                        size_t errlen)
{
    json_t *id = json_object_get(b, "id"), *ins = json_object_get(b, "inspector");
    json_t *st = json_object_get(b, "start"), *en = json_object_get(b, "end");
    json_t *status = json_object_get(b, "status"), *outcome = json_object_get(b, "outcome");
    json_t *send = json_object_get(b, "sendUs"), *done = json_object_get(b, "completeUs");
    memset(o, 0, sizeof(*o));
    if (!json_is_string(id) || !json_is_string(ins) || !json_is_string(st) || !json_is_string(en) ||
        !json_is_integer(status) || !json_is_string(outcome) || !json_is_integer(send) ||
        !json_is_integer(done) ||
        br_time_parse(json_string_value(st), json_string_length(st), &o->start_us) != 0 ||
        br_time_parse(json_string_value(en), json_string_length(en), &o->end_us) != 0 ||
        json_integer_value(send) < 0 || json_integer_value(done) < 0 ||
        json_integer_value(send) > INT64_C(1) << 50 || json_integer_value(done) > INT64_C(1) << 50) {
        snprintf(err, errlen,
                 "%s: /oracle/bookings/%zu: expected id, inspector, start, end (RFC 3339), status, outcome, "
                 "sendUs, completeUs",
                 name, i);
        return -1;
    }
    o->op = BR_OP_BOOK;
    o->expect = -1;
    o->step = -1;
    o->actor = in->seg_index;
    snprintf(o->actor_name, sizeof(o->actor_name), "%s", in->file);
    snprintf(o->id, sizeof(o->id), "%s", json_string_value(id));
    snprintf(o->inspector, sizeof(o->inspector), "%s", json_string_value(ins));
    o->status = (long)json_integer_value(status);
    o->outcome = outcome_of(json_string_value(outcome));
    o->invoke_us = in->started_us + json_integer_value(send);
    o->complete_us = in->started_us + json_integer_value(done);
    return 0;
}

static void reserve_bookings(br_merger *m, size_t n)
{
    if (m->booking_count + n > m->booking_cap) {
        m->booking_cap = (m->booking_count + n) * 2;
        m->bookings = xrealloc(m->bookings, m->booking_cap * sizeof(br_op_record));
    }
}

static int read_oracle(br_merger *m, json_t *doc, const input *in, const char *name, size_t *added, char *err,
                       size_t errlen)
{
    json_t *oracle = json_object_get(doc, "oracle");
    json_t *bookings = json_object_get(oracle, "bookings");
    *added = 0;
    if (!json_is_true(json_object_get(oracle, "checked")))
        return 0;
    if (!json_is_array(bookings) && json_object_get(doc, "history") != NULL)
        return 0; /* a streamed history (issue 12): the caller feeds it with br_merger_add_booking */
    if (!json_is_array(bookings)) {
        snprintf(err, errlen, "%s: /oracle/bookings: expected an array", name);
        return -1;
    }
    size_t n = json_array_size(bookings);
    if (m->booking_count + n > BR_MERGE_MAX_BOOKINGS) {
        snprintf(err, errlen, "%s: more than %d bookings in all: merge fewer results at a time", name,
                 BR_MERGE_MAX_BOOKINGS);
        return -1;
    }
    reserve_bookings(m, n);
    for (size_t i = 0; i < n; i++)
        if (read_booking(json_array_get(bookings, i), i, in, &m->bookings[m->booking_count + i], name, err,
                         errlen) != 0)
            return -1;
    *added = n;
    return 0;
}

static int read_input(br_merger *m, json_t *doc, const char *name, input *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof(*in));
    in->seg_index = -1;
    if (!json_is_object(doc) || strcmp(str_or(doc, "schema", ""), "bookrace.load/1") != 0) {
        snprintf(err, errlen, "%s: not a load result (schema bookrace.load/1)", name);
        return -1;
    }
    if (m->first && same_load(m->first, doc, name, err, errlen) != 0)
        return -1;
    json_t *started = json_object_get(doc, "startedAt");
    double warmup;
    if (!json_is_string(started) ||
        br_time_parse(json_string_value(started), json_string_length(started), &in->started_us) != 0) {
        snprintf(err, errlen, "%s: /startedAt: expected an RFC 3339 time", name);
        return -1;
    }
    if (m->input_count && llabs(in->started_us - m->inputs[0].started_us) > 86400 * BR_USEC_PER_SEC) {
        snprintf(err, errlen, "%s: started more than a day apart from %s: not parts of one load", name,
                 m->inputs[0].file);
        return -1;
    }
    char where[300];
    snprintf(where, sizeof(where), "%s: ", name);
    if (need_number(doc, "measuredSeconds", where, &in->measured_s, err, errlen) ||
        need_number(doc, "warmupSeconds", where, &warmup, err, errlen))
        return -1;
    if (warmup > 1e7 || in->measured_s > 1e7) {
        snprintf(err, errlen, "%s: /warmupSeconds or /measuredSeconds: more than 1e7 s", name);
        return -1;
    }
    in->measure_start_us = in->started_us + (int64_t)llround(warmup * 1e6);
    snprintf(in->run_id, sizeof(in->run_id), "%s", str_or(doc, "runId", ""));
    in->file = xstrdup(name);
    return read_segment(m, doc, in, name, err, errlen) || read_series(doc, in, name, err, errlen) ? -1 : 0;
}

static void free_input(input *in)
{
    free(in->file);
    free(in->series);
    json_decref(in->segment);
}

/* ---- adding ------------------------------------------------------------------------------------------- */

static void add_ops(br_merger *m, merged_op *tmp, size_t n)
{
    for (size_t t = 0; t < n; t++) {
        size_t o = 0;
        while (o < m->op_count && strcmp(m->ops[o].name, tmp[t].name) != 0)
            o++;
        if (o == m->op_count) {
            m->ops[m->op_count++] = tmp[t];
            continue;
        }
        m->ops[o].requests += tmp[t].requests;
        br_hist_merge(m->ops[o].hist, tmp[t].hist);
        add_counts(m->ops[o].statuses, tmp[t].statuses, "", NULL, 0);
        free(tmp[t].hist);
        json_decref(tmp[t].statuses);
    }
}

static void add_settings(br_merger *m, json_t *doc)
{
    json_t *v;
    m->rate += json_is_number(v = json_object_get(doc, "rate")) ? json_number_value(v) : 0;
    m->threads += json_is_integer(v = json_object_get(doc, "threads")) ? json_integer_value(v) : 0;
    m->connections += json_is_integer(v = json_object_get(doc, "connections")) ? json_integer_value(v) : 0;
    double d = json_is_number(v = json_object_get(doc, "durationSeconds")) ? json_number_value(v) : 0;
    m->duration_s = d > m->duration_s ? d : m->duration_s;
    d = json_is_number(v = json_object_get(doc, "warmupSeconds")) ? json_number_value(v) : 0;
    m->warmup_s = d > m->warmup_s ? d : m->warmup_s;
    m->late_sends += json_is_integer(v = json_object_get(doc, "lateSends")) && json_integer_value(v) > 0
                         ? (uint64_t)json_integer_value(v)
                         : 0;
}

/* The input's own ground-truth findings (stored double bookings, lost, unexpected), named by input. */
static void add_truth_violations(br_merger *m, json_t *doc, const char *name)
{
    json_t *oracle = json_object_get(doc, "oracle");
    m->oracle_checked |= json_is_true(json_object_get(oracle, "checked"));
    m->ground_truth_all &= json_is_true(json_object_get(oracle, "groundTruth"));
    size_t i;
    json_t *v;
    json_array_foreach (json_object_get(oracle, "violations"), i, v) {
        const char *kind = str_or(v, "kind", "");
        if (strcmp(kind, "double-booking") == 0 || strcmp(kind, "outcome") == 0)
            continue; /* history findings: the merged check finds them again */
        char text[1024];
        snprintf(text, sizeof(text), "%s (found by %s)", str_or(v, "text", ""), name);
        json_array_append_new(m->input_violations, json_pack("{s:s, s:s}", "kind", kind, "text", text));
    }
}

int br_merger_add(br_merger *m, json_t *doc, const char *name, char *err, size_t errlen)
{
    if (m->input_count >= BR_MERGE_MAX_INPUTS) {
        snprintf(err, errlen, "%s: more than %d inputs", name, BR_MERGE_MAX_INPUTS);
        return -1;
    }
    input in;
    merged_op tmp[BR_LOAD_MAX_OPS];
    size_t tmp_count = 0, added = 0;
    json_t *errors = json_object();
    int rc = read_input(m, doc, name, &in, err, errlen);
    if (rc == 0)
        rc = read_ops(m, doc, name, tmp, &tmp_count, err, errlen);
    if (rc == 0 && json_object_get(doc, "errors")) {
        char where[300];
        snprintf(where, sizeof(where), "%s: /errors", name);
        rc = json_is_object(json_object_get(doc, "errors"))
                 ? add_counts(errors, json_object_get(doc, "errors"), where, err, errlen)
                 : (snprintf(err, errlen, "%s: expected an object", where), -1);
    }
    if (rc == 0)
        rc = read_oracle(m, doc, &in, name, &added, err, errlen);
    if (rc != 0) {
        free_input(&in);
        for (size_t t = 0; t < tmp_count; t++) {
            free(tmp[t].hist);
            json_decref(tmp[t].statuses);
        }
        json_decref(errors);
        return -1;
    }
    m->booking_count += added;
    add_ops(m, tmp, tmp_count);
    add_counts(m->errors, errors, "", NULL, 0);
    json_decref(errors);
    add_settings(m, doc);
    add_truth_violations(m, doc, name);
    if (m->first == NULL)
        m->first = json_incref(doc);
    m->inputs = xrealloc(m->inputs, (m->input_count + 1) * sizeof(input));
    m->inputs[m->input_count++] = in;
    return 0;
}

int br_merger_add_booking(br_merger *m, const br_op_record *booking, char *err, size_t errlen)
{
    if (m->input_count == 0) {
        snprintf(err, errlen, "a booking before any input");
        return -1;
    }
    const input *in = &m->inputs[m->input_count - 1];
    if (m->booking_count >= BR_MERGE_MAX_BOOKINGS) {
        snprintf(err, errlen, "%s: more than %d bookings in all: merge fewer results at a time", in->file,
                 BR_MERGE_MAX_BOOKINGS);
        return -1;
    }
    reserve_bookings(m, 1);
    br_op_record *o = &m->bookings[m->booking_count++];
    *o = *booking;
    o->op = BR_OP_BOOK;
    o->expect = -1;
    o->actor = in->seg_index;
    snprintf(o->actor_name, sizeof(o->actor_name), "%s", in->file);
    o->invoke_us += in->started_us;
    o->complete_us += in->started_us;
    return 0;
}

/* ---- the merged result -------------------------------------------------------------------------------- */

/* Per-second series on the wall clock; sets the measured span (earliest start to latest end). */
static json_t *merged_series(const br_merger *m, int64_t t0, double *span_s)
{
    size_t seconds = 0;
    int64_t end = t0;
    for (size_t i = 0; i < m->input_count; i++) {
        const input *in = &m->inputs[i];
        size_t off = (size_t)llround((double)(in->measure_start_us - t0) / 1e6);
        seconds = off + in->seconds > seconds ? off + in->seconds : seconds;
        int64_t e = in->measure_start_us + (int64_t)llround(in->measured_s * 1e6);
        end = e > end ? e : end;
    }
    *span_s = (double)(end - t0) / 1e6;
    uint64_t *sum = xcalloc(seconds + 1, sizeof(uint64_t));
    for (size_t i = 0; i < m->input_count; i++) {
        const input *in = &m->inputs[i];
        size_t off = (size_t)llround((double)(in->measure_start_us - t0) / 1e6);
        for (size_t s = 0; s < in->seconds; s++)
            sum[off + s] += in->series[s];
    }
    json_t *series = json_array();
    for (size_t s = 0; s < seconds; s++)
        json_array_append_new(
            series, json_pack("{s:I, s:I}", "second", (json_int_t)s, "requests", (json_int_t)sum[s]));
    free(sum);
    return series;
}

static json_t *merged_operations(const br_merger *m, double span_s, json_t **overall_out)
{
    json_t *ops = json_object();
    br_hist *all = xmalloc(sizeof(br_hist));
    br_hist_init(all);
    uint64_t total = 0;
    for (size_t o = 0; o < m->op_count; o++) {
        const merged_op *op = &m->ops[o];
        json_t *oj = json_pack("{s:I, s:f, s:O}", "requests", (json_int_t)op->requests, "throughputPerSecond",
                               span_s > 0 ? (double)op->requests / span_s : 0.0, "statuses", op->statuses);
        br_hist_json_write(oj, op->hist);
        json_object_set_new(ops, op->name, oj);
        br_hist_merge(all, op->hist);
        total += op->requests;
    }
    *overall_out = json_pack("{s:I, s:f}", "requests", (json_int_t)total, "throughputPerSecond",
                             span_s > 0 ? (double)total / span_s : 0.0);
    br_hist_json_write(*overall_out, all);
    free(all);
    return ops;
}

/* All inputs' bookings checked together, on a time line starting at |t0|. */
static json_t *merged_oracle(br_merger *m, int64_t t0)
{
    json_t *bookings = json_array(), *vj = json_array();
    size_t acknowledged = 0;
    for (size_t i = 0; i < m->booking_count; i++) {
        br_op_record *o = &m->bookings[i];
        o->index = (int)i;
        o->invoke_us -= t0;
        o->complete_us -= t0;
        o->invoke_scenario_us = o->invoke_us;
        o->complete_scenario_us = o->complete_us;
        acknowledged += o->outcome == BR_OUTCOME_OK;
        char s1[BR_TIME_BUFSIZE], s2[BR_TIME_BUFSIZE];
        br_time_format(o->start_us, s1);
        br_time_format(o->end_us, s2);
        json_array_append_new(
            bookings, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:s}", "id", o->id, "inspector",
                                o->inspector, "start", s1, "end", s2, "status", (int)o->status, "outcome",
                                br_outcome_name(o->outcome), "sendUs", (json_int_t)o->invoke_us, "completeUs",
                                (json_int_t)o->complete_us, "input", o->actor_name));
    }
    br_violations v = {0};
    br_oracle_check(m->bookings, m->booking_count, NULL, 0, 0, &v);
    for (size_t i = 0; i < v.count; i++)
        json_array_append_new(vj, json_pack("{s:s, s:s}", "kind", br_violation_kind_name(v.items[i].kind),
                                            "text", v.items[i].text));
    size_t total = v.total + json_array_size(m->input_violations);
    br_violations_free(&v);
    json_array_extend(vj, m->input_violations);
    return json_pack("{s:b, s:b, s:s, s:I, s:I, s:o, s:o}", "checked", m->oracle_checked, "groundTruth",
                     m->oracle_checked && m->ground_truth_all, "note",
                     "history of every input checked together; ground truth as each input checked it",
                     "bookingsAcknowledged", (json_int_t)acknowledged, "violationCount", (json_int_t)total,
                     "violations", vj, "bookings", bookings);
}

static json_t *merge_info(const br_merger *m, int64_t t0_start)
{
    json_t *inputs = json_array();
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    int count = 0;
    for (size_t i = 0; i < m->input_count; i++) {
        const input *in = &m->inputs[i];
        lo = in->started_us < lo ? in->started_us : lo;
        hi = in->started_us > hi ? in->started_us : hi;
        count = in->seg_count > count ? in->seg_count : count;
        json_t *e = json_pack("{s:s, s:s, s:I}", "file", in->file, "runId", in->run_id, "startOffsetUs",
                              (json_int_t)(in->started_us - t0_start));
        if (in->segment)
            json_object_set(e, "segment", in->segment);
        json_array_append_new(inputs, e);
    }
    int complete = count == 0 || (size_t)count == m->input_count;
    return json_pack("{s:o, s:I, s:i, s:b}", "inputs", inputs, "startSpreadUs", (json_int_t)(hi - lo),
                     "segments", count, "complete", complete);
}

json_t *br_merger_finish(br_merger *m, char *err, size_t errlen)
{
    if (m->input_count == 0) {
        snprintf(err, errlen, "nothing to merge");
        return NULL;
    }
    int64_t t0 = INT64_MAX, t0_start = INT64_MAX;
    for (size_t i = 0; i < m->input_count; i++) {
        t0 = m->inputs[i].measure_start_us < t0 ? m->inputs[i].measure_start_us : t0;
        t0_start = m->inputs[i].started_us < t0_start ? m->inputs[i].started_us : t0_start;
    }
    double span_s;
    json_t *series = merged_series(m, t0, &span_s), *overall;
    json_t *ops = merged_operations(m, span_s, &overall);
    char started[BR_TIME_BUFSIZE], run_id[80];
    br_time_format(t0_start, started);
    snprintf(run_id, sizeof(run_id), "merge-%s", m->inputs[0].run_id);
    json_t *doc =
        json_pack("{s:s, s:O?, s:s, s:s, s:s, s:f, s:I, s:I, s:f, s:f, s:f, s:o, s:o, s:o, s:I, s:O}",
                  "schema", "bookrace.load/1", "tool", json_object_get(m->first, "tool"), "startedAt",
                  started, "runId", run_id, "model", str_or(m->first, "model", "closed"), "rate", m->rate,
                  "threads", m->threads, "connections", m->connections, "durationSeconds", m->duration_s,
                  "warmupSeconds", m->warmup_s, "measuredSeconds", span_s, "operations", ops, "overall",
                  overall, "timeseries", series, "lateSends", (json_int_t)m->late_sends, "errors", m->errors);
    const char *keys[] = {"url", "scenario"};
    for (size_t k = 0; k < 2; k++)
        if (json_object_get(m->first, keys[k]))
            json_object_set(doc, keys[k], json_object_get(m->first, keys[k]));
    json_object_set_new(doc, "oracle", merged_oracle(m, t0_start));
    json_object_set_new(doc, "merge", merge_info(m, t0_start));
    return doc;
}
