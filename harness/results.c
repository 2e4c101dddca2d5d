/*
 * A run's results (results.h): run.json (the history, the ground truth and
 * every verdict, docs/results.md), junit.xml and summary.txt, each written
 * atomically (temporary name, fsync, rename) with secret header values
 * scrubbed; and the reverse, `bookrace check`, which reads a run.json back
 * and re-judges it with the oracle. Atomic writing and XML escaping live here
 * for every writer of results in the harness.
 */
#include "results.h"

#include "alloc.h"

#include "iso8601.h"
#include "jsonload.h"
#include "stats.h"
#include "verdict.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef BOOKRACE_VERSION
#define BOOKRACE_VERSION "0.0.0"
#endif

static json_t *time_json(int64_t us)
{
    char buf[BR_TIME_BUFSIZE];
    br_time_format(us, buf);
    return json_string(buf);
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static int64_t percentile(const int64_t *sorted, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)((p / 100.0) * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static json_t *operations_summary(const br_run_result *r)
{
    json_t *ops = json_object();
    for (int k = 0; k < BR_OP_COUNT; k++) {
        size_t count = 0;
        for (size_t t = 0; t < r->trial_count; t++)
            for (size_t i = 0; i < r->trials[t].op_count; i++)
                count += r->trials[t].ops[i].rec.op == (br_op_kind)k;
        if (count == 0)
            continue;
        int64_t *lat = xcalloc(count, sizeof(int64_t));
        size_t nlat = 0;
        json_t *statuses = json_object(), *outcomes = json_object();
        size_t outcome_counts[3] = {0};
        for (size_t t = 0; t < r->trial_count; t++)
            for (size_t i = 0; i < r->trials[t].op_count; i++) {
                const br_op_record *o = &r->trials[t].ops[i].rec;
                if (o->op != (br_op_kind)k)
                    continue;
                outcome_counts[o->outcome]++;
                char key[16];
                snprintf(key, sizeof(key), "%ld", o->status);
                json_t *c = json_object_get(statuses, o->status ? key : "none");
                json_object_set_new(statuses, o->status ? key : "none",
                                    json_integer(c ? json_integer_value(c) + 1 : 1));
                if (o->status)
                    lat[nlat++] = o->complete_us - o->invoke_us;
            }
        for (int o = 0; o < 3; o++)
            json_object_set_new(outcomes, br_outcome_name((br_outcome)o),
                                json_integer((json_int_t)outcome_counts[o]));
        qsort(lat, nlat, sizeof(int64_t), compare_i64);
        json_object_set_new(ops, br_op_history_name((br_op_kind)k),
                            json_pack("{s:I, s:o, s:o, s:{s:I, s:I, s:I, s:I}}", "count", (json_int_t)count,
                                      "statuses", statuses, "outcomes", outcomes, "latencyUs", "p50",
                                      (json_int_t)percentile(lat, nlat, 50), "p90",
                                      (json_int_t)percentile(lat, nlat, 90), "p99",
                                      (json_int_t)percentile(lat, nlat, 99), "max",
                                      (json_int_t)(nlat ? lat[nlat - 1] : 0)));
        free(lat);
    }
    return ops;
}

/* The median skew of every barrier of one release kind, and how many there were. */
static int64_t median_skew(const br_run_result *r, br_release release, size_t *count)
{
    size_t n = 0;
    for (size_t t = 0; t < r->trial_count; t++)
        for (size_t b = 0; b < r->trials[t].barrier_count; b++)
            n += r->trials[t].barriers[b].release == release && r->trials[t].barriers[b].racers > 1;
    *count = n;
    if (n == 0)
        return 0;
    int64_t *v = xcalloc(n, sizeof(int64_t));
    size_t k = 0;
    for (size_t t = 0; t < r->trial_count; t++)
        for (size_t b = 0; b < r->trials[t].barrier_count; b++)
            if (r->trials[t].barriers[b].release == release && r->trials[t].barriers[b].racers > 1)
                v[k++] = r->trials[t].barriers[b].skew_us;
    qsort(v, n, sizeof(int64_t), compare_i64);
    int64_t m = percentile(v, n, 50);
    free(v);
    return m;
}

static json_t *booking_json(const br_truth_booking *b)
{
    json_t *j = json_pack("{s:s, s:s, s:o, s:o, s:b}", "id", b->id, "inspector", b->inspector, "start",
                          time_json(b->start_us), "end", time_json(b->end_us), "active", b->active);
    json_object_set_new(j, "ours", b->ours < 0 ? json_null() : json_boolean(b->ours));
    return j;
}

static json_t *history_json(const br_trial *t)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < t->op_count; i++) {
        const br_history_op *h = &t->ops[i];
        const br_op_record *o = &h->rec;
        json_t *j = json_pack(
            "{s:i, s:i, s:s, s:i, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:i, s:s}", "index", o->index,
            "actor", o->actor, "actorName", o->actor_name, "step", o->step, "op", br_op_history_name(o->op),
            "method", h->method, "path", h->path ? h->path : "", "baseUrl", h->base_url, "invokeUs",
            (json_int_t)o->invoke_us, "lastByteUs", (json_int_t)h->last_byte_us, "completeUs",
            (json_int_t)o->complete_us, "invokeScenarioUs", (json_int_t)o->invoke_scenario_us,
            "completeScenarioUs", (json_int_t)o->complete_scenario_us, "status", (int)o->status, "outcome",
            br_outcome_name(o->outcome));
        json_object_set_new(j, "barrier", h->barrier_step >= 0 ? json_integer(h->barrier_step) : json_null());
        json_object_set_new(
            j, "expect", o->expect >= 0 ? json_string(br_outcome_name((br_outcome)o->expect)) : json_null());
        json_object_set_new(j, "error", h->error ? json_string(h->error) : json_null());
        if (o->inspector[0]) {
            json_object_set_new(j, "inspector", json_string(o->inspector));
            json_object_set_new(j, "start", time_json(o->start_us));
            json_object_set_new(j, "end", time_json(o->end_us));
        }
        if (o->id[0])
            json_object_set_new(j, "id", json_string(o->id));
        json_object_set_new(j, "response", h->response ? json_incref(h->response) : json_null());
        if (h->headers)
            json_object_set_new(j, "headers", json_incref(h->headers));
        if (h->from_list >= 0)
            json_object_set_new(j, "fromList", json_integer(h->from_list));
        json_array_append_new(arr, j);
    }
    return arr;
}

static json_t *trial_json(const br_trial *t)
{
    json_t *violations = json_array(), *barriers = json_array(), *notes = json_array(), *truth = json_array();
    for (size_t i = 0; i < t->violations.count; i++) {
        const br_violation *v = &t->violations.items[i];
        json_t *ops = json_array();
        if (v->op_a >= 0)
            json_array_append_new(ops, json_integer(v->op_a));
        if (v->op_b >= 0)
            json_array_append_new(ops, json_integer(v->op_b));
        json_array_append_new(violations,
                              json_pack("{s:s, s:s, s:o}", "kind", br_violation_kind_name(v->kind), "text",
                                        v->text, "ops", ops));
    }
    for (size_t i = 0; i < t->barrier_count; i++) {
        const br_barrier_record *b = &t->barriers[i];
        json_t *j = json_pack("{s:i, s:i, s:s, s:i, s:I, s:I}", "step", b->step, "barrierStep",
                              b->barrier_step, "release", br_release_name(b->release), "racers", b->racers,
                              "skewUs", (json_int_t)b->skew_us, "releasedUs", (json_int_t)b->released_us);
        if (b->requested != b->release)
            json_object_set_new(j, "requestedRelease", json_string(br_release_name(b->requested)));
        if (b->stagger_us > 0) /* bookrace window: racer k released k * staggerUs after the first */
            json_object_set_new(j, "staggerUs", json_integer(b->stagger_us));
        if (b->release == BR_RELEASE_SINGLE_PACKET)
            json_object_set_new(
                j, "http2",
                json_pack("{s:i, s:i, s:o, s:o}", "connections", b->h2_connections, "writes", b->h2_writes,
                          "segments", b->h2_segments >= 0 ? json_integer(b->h2_segments) : json_null(),
                          "serverMaxStreams",
                          b->h2_server_max_streams != UINT32_MAX ? json_integer(b->h2_server_max_streams)
                                                                 : json_null()));
        json_array_append_new(barriers, j);
    }
    for (size_t i = 0; i < t->note_count; i++)
        json_array_append_new(notes, json_string(t->notes[i]));
    for (size_t i = 0; i < t->truth_count; i++)
        json_array_append_new(truth, booking_json(&t->truth[i]));
    json_t *j = json_pack("{s:i, s:s, s:b, s:f, s:o, s:o, s:o, s:{s:b, s:s, s:o}, s:o}", "index", t->index,
                          "date", t->date, "inconclusive", t->cls == BR_TRIAL_INCONCLUSIVE, "advancedSeconds",
                          (double)t->advanced_us / 1e6, "violations", violations, "barriers", barriers,
                          "notes", notes, "groundTruth", "checked", t->truth_checked, "note", t->truth_note,
                          "bookings", truth, "history", history_json(t));
    json_t *explained = json_array(), *before = json_array();
    for (size_t i = 0; i < t->explained.count; i++)
        json_array_append_new(explained, json_string(t->explained.items[i].text));
    for (size_t i = 0; i < t->before_count; i++)
        json_array_append_new(before, booking_json(&t->before[i]));
    json_object_set_new(j, "class", json_string(br_trial_class_name(t->cls)));
    /* "violations" lists at most BR_VIOLATIONS_LISTED_MAX of each kind; this counts every one. */
    json_object_set_new(j, "violationCount", json_integer((json_int_t)t->violations.total));
    json_object_set_new(j, "explained", explained);
    json_object_set_new(j, "bookingsBefore",
                        json_pack("{s:b, s:o}", "checked", t->before_checked, "bookings", before));
    json_object_set_new(j, "targetAnswers", json_string(t->target_answers));
    return j;
}

void br_run_reproduction(const br_run_result *r, size_t *k, size_t *n, size_t *first)
{
    size_t counts[5];
    br_run_class_counts(r, counts);
    *k = counts[BR_TRIAL_VIOLATION];
    *n = br_verdict_conclusive(counts);
    *first = 0;
    for (size_t i = 0; i < r->trial_count && *first == 0; i++)
        if (r->trials[i].cls == BR_TRIAL_VIOLATION)
            *first = i + 1;
}

char *br_run_rate_phrase(size_t k, size_t n, char *buf, size_t cap)
{
    char rate[64];
    if (n == 0)
        snprintf(buf, cap, "no conclusive trial to rate");
    else
        snprintf(buf, cap, "reproduced in %s conclusive trials", br_rate_format(k, n, rate, sizeof(rate)));
    return buf;
}

/* run.json's "reproduction": the rate with its 95% interval, and where the first violation came. */
static json_t *reproduction_json(const br_run_config *cfg, const br_run_result *r, const br_run_meta *meta)
{
    size_t k, n, first, counts[5];
    br_run_reproduction(r, &k, &n, &first);
    br_run_class_counts(r, counts);
    json_t *j = br_rate_json(k, n);
    json_object_set_new(j, "inconclusive", json_integer((json_int_t)counts[BR_TRIAL_INCONCLUSIVE]));
    json_object_set_new(j, "targetErrors", json_integer((json_int_t)counts[BR_TRIAL_TARGET_ERROR]));
    json_object_set_new(j, "firstReproducedAtTrial", first ? json_integer((json_int_t)first) : json_null());
    json_object_set_new(j, "untilReproduced", json_boolean(meta->until_reproduced));
    json_object_set_new(j, "maxTrials", json_integer(cfg->repeat));
    return j;
}

json_t *br_results_run_json(const br_run_config *cfg, const br_run_result *r, const br_run_meta *meta)
{
    const br_target *tg = cfg->target;
    json_t *urls = json_array(), *headers = json_object(), *trials = json_array();
    for (size_t i = 0; i < tg->base_url_count; i++)
        json_array_append_new(urls, json_string(tg->base_urls[i]));
    /* Header templates only, never expanded values; secret ones not even as templates. */
    for (size_t i = 0; i < tg->header_count; i++)
        json_object_set_new(headers, tg->header_names[i],
                            json_string(br_target_header_is_secret(tg, tg->header_names[i])
                                            ? "<redacted>"
                                            : tg->header_values[i]));
    size_t violations = 0;
    for (size_t i = 0; i < r->trial_count; i++) {
        json_array_append_new(trials, trial_json(&r->trials[i]));
        violations += r->trials[i].violations.total;
    }
    size_t last_byte_count, plain_count;
    int64_t last_byte_median = median_skew(r, BR_RELEASE_LAST_BYTE, &last_byte_count);
    int64_t plain_median = median_skew(r, BR_RELEASE_PLAIN, &plain_count);
    json_t *doc =
        json_pack("{s:s, s:{s:s, s:s}, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:o, s:o}, s:o, s:o, s:f, "
                  "s:i, s:I, s:i, "
                  "s:s, s:s, s:i}",
                  "schema", BR_RUN_SCHEMA, "tool", "name", "bookrace", "version", BOOKRACE_VERSION, "runId",
                  cfg->run_id, "scenario", "name", cfg->scenario->name, "file", meta->scenario_file,
                  "description", cfg->scenario->description, "date", cfg->scenario->date, "target", "name",
                  tg->name, "file", meta->target_file, "baseUrls", urls, "headers", headers, "startedAt",
                  time_json(r->started_wall_us), "finishedAt", time_json(r->finished_wall_us),
                  "durationSeconds", (double)(r->finished_wall_us - r->started_wall_us) / 1e6, "repeat",
                  cfg->repeat, "seed", (json_int_t)cfg->seed, "threads", cfg->threads, "expectation",
                  meta->expect_violation ? "violation" : "no-violation", "outcome", meta->outcome, "exitCode",
                  meta->exit_code);
    if (cfg->scenario->source)
        json_object_set(json_object_get(doc, "scenario"), "source", cfg->scenario->source);
    json_object_set_new(doc, "error", r->error[0] ? json_string(r->error) : json_null());
    json_object_set_new(doc, "reason", meta->reason ? json_string(meta->reason) : json_null());
    json_object_set_new(doc, "dateSpec",
                        json_string(meta->date_spec ? meta->date_spec : cfg->scenario->date));
    json_object_set_new(doc, "date", json_string(r->trial_count ? r->trials[0].date : cfg->scenario->date));
    json_object_set_new(doc, "variables",
                        json_deep_copy(cfg->variables ? cfg->variables : cfg->scenario->variables));
    if (meta->variable_sources)
        json_object_set_new(doc, "variableSources", json_incref(meta->variable_sources));
    json_object_set_new(doc, "trialsReproduced", json_integer((json_int_t)br_run_trials_reproduced(r)));
    json_object_set_new(doc, "trialsInconclusive", json_integer((json_int_t)br_run_trials_inconclusive(r)));
    json_object_set_new(doc, "reproduction", reproduction_json(cfg, r, meta));
    json_object_set_new(doc, "summary",
                        json_pack("{s:i, s:i, s:i, s:o, s:{s:{s:i, s:I}, s:{s:i, s:I}}}", "trials",
                                  (int)r->trial_count, "trialsWithViolations",
                                  (int)br_run_trials_with_violations(r), "violations", (int)violations,
                                  "operations", operations_summary(r), "barrierSkew", "last-byte", "barriers",
                                  (int)last_byte_count, "medianUs", (json_int_t)last_byte_median, "plain",
                                  "barriers", (int)plain_count, "medianUs", (json_int_t)plain_median));
    size_t sp_count;
    int64_t sp_median = median_skew(r, BR_RELEASE_SINGLE_PACKET, &sp_count);
    json_object_set_new(
        json_object_get(json_object_get(doc, "summary"), "barrierSkew"), "single-packet",
        json_pack("{s:i, s:I}", "barriers", (int)sp_count, "medianUs", (json_int_t)sp_median));
    json_object_set_new(doc, "trials", trials);
    return doc;
}

char *br_headers_line(json_t *headers, char *buf, size_t cap)
{
    size_t len = 0;
    const char *key;
    json_t *v;
    buf[0] = '\0';
    json_object_foreach (headers, key, v)
        if (len < cap)
            len += (size_t)snprintf(buf + len, cap - len, "%s%s: %s", len ? ", " : "", key,
                                    json_is_string(v) ? json_string_value(v) : "?");
    return buf;
}

/* "pine booked 09:29 from a list served X-Cache: HIT, Age: 180": the cause of a stale-list race. */
static void summary_list_sources(FILE *out, const br_trial *t, size_t *shown)
{
    for (size_t i = 0; i < t->op_count && *shown < 10; i++) {
        const br_history_op *h = &t->ops[i];
        if ((h->rec.op != BR_OP_BOOK && h->rec.op != BR_OP_HOLD) || h->from_list < 0 ||
            (size_t)h->from_list >= t->op_count || t->ops[h->from_list].headers == NULL ||
            json_object_size(t->ops[h->from_list].headers) == 0)
            continue;
        char s[BR_TIME_BUFSIZE], line[512];
        br_time_format(h->rec.start_us, s);
        fprintf(out, "%s %s %.5s %s from a list served %s\n", h->rec.actor_name,
                h->rec.op == BR_OP_BOOK ? "booked" : "held", s + 11,
                h->rec.outcome == BR_OUTCOME_OK ? "(acknowledged)" : "(refused or unanswered)",
                br_headers_line(t->ops[h->from_list].headers, line, sizeof(line)));
        (*shown)++;
    }
}

/* For a single trial, the writes as they happened: what an engineer reads first. */
static void summary_timeline(FILE *out, const br_trial *t)
{
    for (size_t i = 0; i < t->op_count; i++) {
        const br_op_record *o = &t->ops[i].rec;
        if (o->op != BR_OP_BOOK && o->op != BR_OP_HOLD && o->op != BR_OP_CANCEL)
            continue;
        char s[BR_TIME_BUFSIZE] = "", e[BR_TIME_BUFSIZE] = "";
        if (o->inspector[0]) {
            br_time_format(o->start_us, s);
            br_time_format(o->end_us, e);
        }
        char from[400] = "";
        int src = t->ops[i].from_list;
        if (src >= 0 && (size_t)src < t->op_count && t->ops[src].headers)
            br_headers_line(t->ops[src].headers, from, sizeof(from));
        fprintf(out, "  +%8.3fs  %-12s %-6s %s %.5s-%.5s  -> %ld %s%s%s%s%s%s\n",
                (double)o->complete_scenario_us / 1e6, o->actor_name, br_op_history_name(o->op), o->inspector,
                s[0] ? s + 11 : "", e[0] ? e + 11 : "", o->status, br_outcome_name(o->outcome),
                t->ops[i].error ? ": " : "", t->ops[i].error ? t->ops[i].error : "",
                from[0] ? "  (list: " : "", from, from[0] ? ")" : "");
    }
}

void br_results_summary(FILE *out, const br_run_config *cfg, const br_run_result *r, const br_run_meta *meta)
{
    size_t violations = 0, total = 0; /* listed (in run.json), found */
    size_t explained = 0, sources = 0;
    if (r->trial_count == 1)
        summary_timeline(out, &r->trials[0]);
    for (size_t t = 0; t < r->trial_count; t++) {
        const br_trial *tr = &r->trials[t];
        summary_list_sources(out, tr, &sources);
        for (size_t i = 0; i < tr->explained.count; i++, explained++)
            if (explained < 10)
                fprintf(out, "trial %zu (%s): %s\n", t, tr->date, tr->explained.items[i].text);
        for (size_t i = 0; i < tr->violations.count; i++) {
            if (violations < 10)
                fprintf(out, "trial %zu (%s): %s\n", t, tr->date, tr->violations.items[i].text);
            violations++;
        }
        total += tr->violations.total;
        for (size_t i = 0; i < tr->note_count && (r->trial_count == 1 || (t == 0 && i < 3)); i++)
            fprintf(out, "note: %s%s\n", r->trial_count > 1 ? "trial 0: " : "", tr->notes[i]);
        if (!tr->truth_checked && t == 0 && tr->truth_note[0])
            fprintf(out, "ground truth not checked: %s\n", tr->truth_note);
    }
    if (total > 10 && total > violations)
        fprintf(out, "... and %zu more violations (run.json lists %zu: at most %d of each kind per trial)\n",
                total - (violations < 10 ? violations : 10), violations, BR_VIOLATIONS_LISTED_MAX);
    else if (violations > 10)
        fprintf(out, "... and %zu more violations (run.json has them all)\n", violations - 10);
    size_t lb, pl;
    int64_t lbm = median_skew(r, BR_RELEASE_LAST_BYTE, &lb), plm = median_skew(r, BR_RELEASE_PLAIN, &pl);
    if (lb)
        fprintf(out, "barrier release last-byte: %zu barriers, median skew %lld us\n", lb, (long long)lbm);
    if (pl)
        fprintf(out, "barrier release plain: %zu barriers, median skew %lld us\n", pl, (long long)plm);
    size_t sp;
    int64_t spm = median_skew(r, BR_RELEASE_SINGLE_PACKET, &sp);
    if (sp)
        fprintf(out, "barrier release single-packet (HTTP/2): %zu barriers, median skew %lld us\n", sp,
                (long long)spm);
    if (explained > 10)
        fprintf(out, "... and %zu more target errors and refusals (run.json: trials[].explained)\n",
                explained - 10);
    size_t inconclusive = br_run_trials_inconclusive(r);
    if (inconclusive)
        fprintf(
            out,
            "%zu of %zu trials inconclusive (a racer without a definite answer, a barrier short of racers, "
            "or a required step refused for a reason the lines above give)\n",
            inconclusive, r->trial_count);
    size_t k, n, first;
    char rate[128];
    br_run_reproduction(r, &k, &n, &first);
    fprintf(out, "%s against %s: %s (%zu findings); expected %s: %s\n", cfg->scenario->name,
            cfg->target->name, br_run_rate_phrase(k, n, rate, sizeof(rate)), total,
            meta->expect_violation ? "a violation" : "none", meta->outcome);
    if (meta->until_reproduced && first)
        fprintf(out,
                "until reproduced: the first violation came at trial %zu, after %zu of at most %d trials\n",
                first - 1, first, cfg->repeat);
    else if (meta->until_reproduced)
        fprintf(out, "until reproduced: no violation in %zu trials (--repeat %d)\n", r->trial_count,
                cfg->repeat);
    if (meta->reason)
        fprintf(out, "verdict: %s: %s (exit %d)\n", meta->outcome, meta->reason, meta->exit_code);
    if (r->error[0])
        fprintf(out, "error: %s\n", r->error);
}

int br_mkdir_p(const char *dir)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0755) == 0)
        return 0;
    struct stat st;
    if (errno != EEXIST)
        return -1;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) { /* --out naming a file: said before a run, not after */
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

int br_write_file_atomic(const char *dir, const char *name, const char *data, size_t len)
{
    char tmp[4096], final[4096];
    snprintf(final, sizeof(final), "%s/%s", dir, name);
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%d", dir, name, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close(fd);
            unlink(tmp);
            errno = saved;
            return -1;
        }
        off += (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, final) != 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

int br_write_path_atomic(const char *path, const char *data, size_t len)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    const char *name = slash ? path + (slash - dir) + 1 : path;
    if (slash == dir)
        snprintf(dir, sizeof(dir), "/");
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    return br_write_file_atomic(dir, name, data, len);
}

void br_xml_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
    }
}

static char *junit_xml(const br_run_config *cfg, const br_run_result *r, const br_run_meta *meta, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    size_t failures = 0;
    /* A trial "fails" when it contradicts the expectation. */
    for (size_t t = 0; t < r->trial_count; t++)
        failures += meta->expect_violation ? 0 : r->trials[t].violations.count > 0;
    if (meta->expect_violation && br_run_trials_reproduced(r) == 0)
        failures = r->trial_count;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"");
    br_xml_escape(f, cfg->scenario->name);
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%d\" time=\"%.3f\">\n", r->trial_count, failures,
            r->error[0] ? 1 : 0, (double)(r->finished_wall_us - r->started_wall_us) / 1e6);
    size_t k, n, first;
    char rate[64];
    br_run_reproduction(r, &k, &n, &first);
    br_rate_format(k, n, rate, sizeof(rate));
    fprintf(f, "  <properties>\n    <property name=\"reproduction\" value=\"%s\"/>\n", rate);
    if (meta->until_reproduced)
        fprintf(f, "    <property name=\"firstReproducedAtTrial\" value=\"%zu\"/>\n", first);
    fprintf(f, "  </properties>\n");
    for (size_t t = 0; t < r->trial_count; t++) {
        const br_trial *tr = &r->trials[t];
        fprintf(f, "  <testcase classname=\"bookrace.");
        br_xml_escape(f, cfg->scenario->name);
        fprintf(f, "\" name=\"trial %zu (%s) against ", t, tr->date);
        br_xml_escape(f, cfg->target->name);
        fprintf(f, "\">\n");
        int has = tr->violations.count > 0;
        if (!meta->expect_violation && has) {
            fprintf(f, "    <failure message=\"%zu violation(s)\">", tr->violations.count);
            for (size_t i = 0; i < tr->violations.count; i++) {
                br_xml_escape(f, tr->violations.items[i].text);
                fputc('\n', f);
            }
            fprintf(f, "</failure>\n");
        } else if (meta->expect_violation && br_run_trials_reproduced(r) == 0) {
            fprintf(f, "    <failure message=\"expected a violation, none was reproduced: %s\"/>\n", rate);
        } else if (meta->expect_violation && has) {
            fprintf(f, "    <system-out>");
            for (size_t i = 0; i < tr->violations.count; i++) {
                br_xml_escape(f, tr->violations.items[i].text);
                fputc('\n', f);
            }
            fprintf(f, "</system-out>\n");
        }
        fprintf(f, "  </testcase>\n");
    }
    if (r->error[0]) {
        fprintf(f, "  <testcase classname=\"bookrace\" name=\"run\"><error message=\"");
        br_xml_escape(f, r->error);
        fprintf(f, "\"/></testcase>\n");
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    fclose(f);
    return buf;
}

static void scrub(const br_secrets *s, char **text, size_t *len)
{
    if (*text == NULL || s->count == 0)
        return;
    size_t n = len ? *len : strlen(*text), out_len;
    char *clean = br_redact_text(s, *text, n, &out_len, NULL);
    free(*text);
    *text = clean;
    if (len)
        *len = out_len;
}

int br_results_write(const char *dir, const br_run_config *cfg, const br_run_result *r,
                     const br_run_meta *meta, char *err, size_t errlen)
{
    if (br_mkdir_p(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -1;
    }
    json_t *doc = br_results_run_json(cfg, r, meta);
    char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(doc);
    size_t jlen = 0, slen = 0;
    char *junit = junit_xml(cfg, r, meta, &jlen);
    char *summary = NULL;
    FILE *f = open_memstream(&summary, &slen);
    br_results_summary(f, cfg, r, meta);
    fclose(f);
    /* Every secret value the run sent, scrubbed from everything written (redact.h). */
    scrub(&r->secrets, &text, NULL);
    scrub(&r->secrets, &junit, &jlen);
    scrub(&r->secrets, &summary, &slen);
    int rc = 0;
    if (text == NULL || br_write_file_atomic(dir, "run.json", text, strlen(text)) != 0 ||
        br_write_file_atomic(dir, "junit.xml", junit, jlen) != 0 ||
        br_write_file_atomic(dir, "summary.txt", summary, slen) != 0) {
        snprintf(err, errlen, "cannot write results into %s: %s", dir, strerror(errno));
        rc = -1;
    }
    free(text);
    free(junit);
    free(summary);
    return rc;
}

/* ---- check: the oracle again, on a saved run -------------------------------------------------------- */

/*
 * The fields of a saved run are read strictly: absent or null is the writer's "none", anything else must
 * have the type the writer gives it. A time that does not parse used to read as 0, which can hide every
 * overlap (a failing run re-checked as a pass); now it is an error naming its JSON path.
 */
static int opt_time(json_t *obj, const char *key, int64_t *dst)
{
    json_t *v = json_object_get(obj, key);
    *dst = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    return json_is_string(v) && br_time_parse(json_string_value(v), json_string_length(v), dst) == 0 ? 0 : -1;
}

static int opt_int(json_t *obj, const char *key, int64_t lo, int64_t hi, int64_t *dst)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *dst = json_integer_value(v);
    return 0;
}

static int opt_str(json_t *obj, const char *key, char *dst, size_t cap)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= cap)
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int op_kind_from_name(const char *name)
{
    for (int k = 0; k < BR_OP_COUNT; k++)
        if (strcmp(name, br_op_history_name((br_op_kind)k)) == 0)
            return k;
    return -1;
}

static int outcome_from_name(const char *name)
{
    for (int o = 0; o < 3; o++)
        if (strcmp(name, br_outcome_name((br_outcome)o)) == 0)
            return o;
    return -1;
}

/*
 * The bookings of a saved run.json list ("groundTruth" or "bookingsBefore"): malloc'd, |*n| of them. NULL
 * with the offending field's name in |bad| (and its index in |*n|) when one has a wrong type.
 */
static br_truth_booking *bookings_from_json(json_t *list, size_t *n, int *checked, const char **bad)
{
    json_t *bookings = json_object_get(list, "bookings");
    *checked = json_is_true(json_object_get(list, "checked"));
    *n = json_is_array(bookings) ? json_array_size(bookings) : 0;
    br_truth_booking *truth = xcalloc(*n + 1, sizeof(br_truth_booking));
    size_t i;
    json_t *b;
    *bad = NULL;
    json_array_foreach (bookings, i, b) {
        json_t *ours = json_object_get(b, "ours"), *active = json_object_get(b, "active");
        *bad = !json_is_object(b)                                                        ? ""
               : opt_str(b, "id", truth[i].id, sizeof(truth[i].id))                      ? "id"
               : opt_str(b, "inspector", truth[i].inspector, sizeof(truth[i].inspector)) ? "inspector"
               : opt_time(b, "start", &truth[i].start_us)                                ? "start"
               : opt_time(b, "end", &truth[i].end_us)                                    ? "end"
               : active && !json_is_boolean(active) && !json_is_null(active)             ? "active"
               : ours && !json_is_boolean(ours) && !json_is_null(ours)                   ? "ours"
                                                                                         : NULL;
        if (*bad) {
            *n = i;
            free(truth);
            return NULL;
        }
        truth[i].active = json_is_true(active);
        truth[i].ours = json_is_null(ours) || ours == NULL ? -1 : json_is_true(ours);
    }
    return truth;
}

/* One saved history record into |o|. NULL, or the name of the field that is missing or malformed. */
static const char *op_from_json(json_t *h, br_op_record *o, int index)
{
    json_t *op = json_object_get(h, "op"), *outcome = json_object_get(h, "outcome");
    json_t *expect = json_object_get(h, "expect");
    int kind = json_is_string(op) ? op_kind_from_name(json_string_value(op)) : -1;
    int oc = json_is_string(outcome) ? outcome_from_name(json_string_value(outcome)) : -1;
    int64_t actor = -1, step = -1, status = 0;
    o->index = index;
    if (kind < 0)
        return "op";
    if (oc < 0)
        return "outcome";
    if (!json_is_integer(json_object_get(h, "completeUs")))
        return "completeUs";
    const char *bad =
        opt_int(h, "actor", -1, INT_MAX, &actor)                                  ? "actor"
        : opt_int(h, "step", -1, INT_MAX, &step)                                  ? "step"
        : opt_int(h, "status", 0, 999, &status)                                   ? "status"
        : opt_int(h, "invokeUs", INT64_MIN / 2, INT64_MAX / 2, &o->invoke_us)     ? "invokeUs"
        : opt_int(h, "completeUs", INT64_MIN / 2, INT64_MAX / 2, &o->complete_us) ? "completeUs"
        : opt_int(h, "invokeScenarioUs", INT64_MIN / 2, INT64_MAX / 2, &o->invoke_scenario_us)
            ? "invokeScenarioUs"
        : opt_int(h, "completeScenarioUs", INT64_MIN / 2, INT64_MAX / 2, &o->complete_scenario_us)
            ? "completeScenarioUs"
        : opt_str(h, "actorName", o->actor_name, sizeof(o->actor_name)) ? "actorName"
        : opt_str(h, "inspector", o->inspector, sizeof(o->inspector))   ? "inspector"
        : opt_str(h, "id", o->id, sizeof(o->id))                        ? "id"
        : opt_time(h, "start", &o->start_us)                            ? "start"
        : opt_time(h, "end", &o->end_us)                                ? "end"
        : expect && !json_is_null(expect) &&
                (!json_is_string(expect) || outcome_from_name(json_string_value(expect)) < 0)
            ? "expect"
            : NULL;
    o->op = (br_op_kind)kind;
    o->outcome = (br_outcome)oc;
    o->actor = (int)actor;
    o->step = (int)step;
    o->status = (long)status;
    o->expect = json_is_string(expect) ? outcome_from_name(json_string_value(expect)) : -1;
    return bad;
}

/*
 * The oracle and the judge again on one saved trial: prints its findings and
 * explained refusals, returns its class. (The conflict answers' evidence is
 * not re-read: the saved bookings before and after the trial decide.)
 */
static int recheck_trial(json_t *trial, br_op_record *ops, size_t n, size_t t, FILE *out, br_trial_class *cls,
                         const char *path, char *err, size_t errlen)
{
    size_t tn, bn;
    int checked, before_checked;
    const char *bad, *bad_before;
    br_truth_booking *truth = bookings_from_json(json_object_get(trial, "groundTruth"), &tn, &checked, &bad);
    br_truth_booking *before =
        bookings_from_json(json_object_get(trial, "bookingsBefore"), &bn, &before_checked, &bad_before);
    if (truth == NULL || before == NULL) {
        int in_truth = truth == NULL;
        const char *field = in_truth ? bad : bad_before;
        snprintf(err, errlen, "%s: trials[%zu].%s.bookings[%zu]%s%s: %s", path, t,
                 in_truth ? "groundTruth" : "bookingsBefore", in_truth ? tn : bn, field[0] ? "." : "", field,
                 field[0] ? "wrong type, too long or not a time" : "not an object");
        free(truth);
        free(before);
        return -1;
    }
    unsigned char *raced = xcalloc(n + 1, 1);
    json_t *history = json_object_get(trial, "history");
    for (size_t i = 0; i < n; i++)
        raced[i] = json_is_integer(json_object_get(json_array_get(history, i), "barrier"));
    br_violations v = {0}, explained = {0};
    br_oracle_check(ops, n, truth, tn, checked, &v);
    br_judge_input in = {.ops = ops,
                         .op_count = n,
                         .raced = raced,
                         .before = before,
                         .before_count = bn,
                         .before_checked = before_checked,
                         .after = truth,
                         .after_count = tn,
                         .after_checked = checked};
    br_trial_tally tally;
    br_judge_trial(&in, &v, &explained, &tally);
    for (size_t k = 0; k < v.count; k++)
        fprintf(out, "trial %zu: %s\n", t, v.items[k].text);
    for (size_t k = 0; k < explained.count; k++)
        fprintf(out, "trial %zu: %s\n", t, explained.items[k].text);
    br_violations_free(&v);
    br_violations_free(&explained);
    free(raced);
    free(before);
    free(truth);
    *cls = br_trial_classify(&tally);
    return 0;
}

int br_results_check(const char *path, FILE *out, int *expect_violation, size_t *trials_out, char *err,
                     size_t errlen)
{
    size_t counts[5];
    return br_results_check_ex(path, out, expect_violation, trials_out, counts, err, errlen);
}

int br_results_check_ex(const char *path, FILE *out, int *expect_violation, size_t *trials_out,
                        size_t counts[5], char *err, size_t errlen)
{
    for (int k = 0; k < 5; k++)
        counts[k] = 0;
    json_t *doc = br_json_load_file(path, err, errlen);
    if (doc == NULL)
        return -1;
    int result = -1;
    json_t *schema = json_object_get(doc, "schema"), *trials = json_object_get(doc, "trials");
    if (!json_is_string(schema) || strcmp(json_string_value(schema), BR_RUN_SCHEMA) != 0) {
        snprintf(err, errlen, "%s: not a bookrace run (schema must be \"%s\")", path, BR_RUN_SCHEMA);
        goto done;
    }
    if (!json_is_array(trials)) {
        snprintf(err, errlen, "%s: trials must be an array", path);
        goto done;
    }
    json_t *expectation = json_object_get(doc, "expectation");
    *expect_violation =
        json_is_string(expectation) && strcmp(json_string_value(expectation), "violation") == 0;
    size_t with_violations = 0, t;
    json_t *trial;
    json_array_foreach (trials, t, trial) {
        json_t *history = json_object_get(trial, "history");
        if (!json_is_array(history)) {
            snprintf(err, errlen, "%s: trials[%zu].history must be an array", path, t);
            goto done;
        }
        size_t n = json_array_size(history);
        br_op_record *ops = xcalloc(n + 1, sizeof(br_op_record));
        size_t i;
        json_t *h;
        json_array_foreach (history, i, h) {
            const char *bad = op_from_json(h, &ops[i], (int)i);
            if (bad) {
                snprintf(err, errlen, "%s: trials[%zu].history[%zu].%s: %s", path, t, i, bad,
                         strcmp(bad, "op") == 0 || strcmp(bad, "outcome") == 0 ||
                                 strcmp(bad, "completeUs") == 0
                             ? "missing or not valid"
                             : "wrong type, out of range, too long or not a time");
                free(ops);
                goto done;
            }
        }
        br_trial_class cls;
        if (recheck_trial(trial, ops, n, t, out, &cls, path, err, errlen) != 0) {
            free(ops);
            goto done;
        }
        with_violations += cls == BR_TRIAL_VIOLATION || cls == BR_TRIAL_EXPECTATION;
        counts[cls]++;
        free(ops);
    }
    *trials_out = json_array_size(trials);
    result = (int)with_violations;
done:
    json_decref(doc);
    return result;
}
