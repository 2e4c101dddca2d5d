/*
 * The verdict and the output of `bookrace load` (load_results.h): each
 * acknowledged booking becomes a history record for the oracle, the ground
 * truth is read once over every day the load booked in, and the numbers go to
 * load.json and to a table on stdout.
 */
#include "load_results.h"

#include "histjson.h"

#include "alloc.h"
#include "iso8601.h"
#include "jsonptr.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BOOKRACE_VERSION
#define BOOKRACE_VERSION "0.0.0"
#endif

/* ---- the verdict ---------------------------------------------------------------------------------- */

typedef struct {
    const br_load_plan *plan;
    json_t *response;
} list_fetch;

/* The list operation over the whole range of days, sent once with libcurl. */
static int fetch_list(void *arg, json_t **response, char *err, size_t errlen)
{
    list_fetch *f = arg;
    const br_load_plan *plan = f->plan;
    br_template_ctx t = {.variables = plan->sc->variables,
                         .date = plan->first_day,
                         .date_end = plan->end_day,
                         .run_id = plan->run_id};
    br_rendered r;
    if (br_target_render(plan->tg, BR_OP_LIST, &t, &r, err, errlen) != 0) {
        br_rendered_free(&r);
        return -1;
    }
    char full[2048];
    snprintf(full, sizeof(full), "%s%s", plan->tg->base_urls[0], r.path);
    long status;
    char *body = br_load_http_get(full, r.header_lines, r.header_count, 60000, &status, err, errlen);
    br_rendered_free(&r);
    if (body == NULL)
        return -1;
    json_error_t je;
    f->response = json_loads(body, 0, &je);
    free(body);
    if (f->response == NULL) {
        snprintf(err, errlen, "it answered %ld without JSON", status);
        return -1;
    }
    *response = f->response;
    return 0;
}

static void read_truth(const br_load_options *opt, const br_load_plan *plan, br_truth *out)
{
    br_mongo_verify v;
    memset(&v, 0, sizeof(v));
    if (opt->verify_uri != NULL) {
        char err[1024];
        br_mongo_verify_from_json(&v, plan->tg->mongo, plan->target_path, err, sizeof(err));
        v.uri = xstrdup(opt->verify_uri);
        v.db = xstrdup(opt->mongo_db);
        v.collection = xstrdup(opt->mongo_collection);
    }
    int64_t from, to;
    br_date_parse(plan->first_day, 10, &from);
    br_date_parse(plan->end_day, 10, &to);
    list_fetch f = {.plan = plan};
    br_truth_read(plan->tg, opt->verify_uri ? &v : NULL, from, to, plan->run_tag, fetch_list, &f, out);
    json_decref(f.response);
    br_mongo_verify_free(&v);
}

void br_load_verdict_make(const br_load_options *opt, const br_load_plan *plan, br_load_live *live,
                          const char *history_file, br_load_verdict *out)
{
    memset(out, 0, sizeof(*out));
    out->history_file = history_file;
    out->checked = live->oracle != NULL;
    if (out->checked) {
        read_truth(opt, plan, &out->truth);
        out->acknowledged = br_interval_acknowledged(live->oracle);
        out->stored = br_interval_stored(live->oracle);
    }
    const br_truth *t = &out->truth;
    if (br_load_live_finish(live, t->items, t->count, t->checked, t->note, &out->violations, &out->history,
                            out->history_error, sizeof(out->history_error)) != 0)
        out->history_failed = 1;
}

void br_load_verdict_free(br_load_verdict *v)
{
    br_truth_free(&v->truth);
    br_violations_free(&v->violations);
}

/* ---- load.json ------------------------------------------------------------------------------------ */

/* Every operation's histogram merged (caller frees); |total| gets the request count. */
static br_hist *overall_hist(const br_load_config *cfg, const br_load_result *res, uint64_t *total)
{
    br_hist *overall = xmalloc(sizeof(br_hist));
    br_hist_init(overall);
    *total = 0;
    for (int o = 0; o < cfg->op_count; o++) {
        br_hist_merge(overall, res->hist[o]);
        *total += res->requests[o];
    }
    return overall;
}

static double per_second(uint64_t n, const br_load_result *res)
{
    return res->measured_s > 0 ? (double)n / res->measured_s : 0.0;
}

static json_t *operations_json(const br_load_config *cfg, const br_load_result *res)
{
    json_t *opsj = json_object();
    for (int o = 0; o < cfg->op_count; o++) {
        json_t *statuses = json_object();
        for (int s = 0; s < BR_LOAD_MAX_STATUSES && res->statuses[o][s].count; s++) {
            char key[16];
            snprintf(key, sizeof(key), "%d", res->statuses[o][s].status);
            json_object_set_new(statuses, key, json_integer((json_int_t)res->statuses[o][s].count));
        }
        json_t *oj =
            json_pack("{s:I, s:f, s:o}", "requests", (json_int_t)res->requests[o], "throughputPerSecond",
                      per_second(res->requests[o], res), "statuses", statuses);
        br_hist_json_write(oj, res->hist[o]);
        json_object_set_new(opsj, cfg->op_names[o], oj);
    }
    return opsj;
}

static json_t *overall_json(const br_load_config *cfg, const br_load_result *res)
{
    uint64_t total;
    br_hist *overall = overall_hist(cfg, res, &total);
    json_t *overallj =
        json_pack("{s:I, s:f}", "requests", (json_int_t)total, "throughputPerSecond", per_second(total, res));
    br_hist_json_write(overallj, overall);
    free(overall);
    return overallj;
}

/*
 * Whole seconds only: the last, partial second would plot as a fall in
 * throughput that never happened (and feed compare a false low sample).
 */
static json_t *series_json(const br_load_config *cfg, const br_load_result *res)
{
    json_t *series = json_array();
    for (size_t s = 0; s < res->seconds && (double)(s + 1) <= res->measured_s + 1e-6; s++) {
        json_t *ops = json_object();
        for (int o = 0; o < cfg->op_count; o++) {
            size_t cell = s * (size_t)cfg->op_count + (size_t)o;
            json_object_set_new(
                ops, cfg->op_names[o],
                json_pack("{s:I, s:I, s:I, s:I}", "requests", (json_int_t)res->op_second_count[cell], "p50",
                          (json_int_t)res->op_second_p50[cell], "p90", (json_int_t)res->op_second_p90[cell],
                          "p99", (json_int_t)res->op_second_p99[cell]));
        }
        json_array_append_new(series, json_pack("{s:i, s:I, s:o}", "second", (int)s, "requests",
                                                (json_int_t)res->per_second[s], "operations", ops));
    }
    return series;
}

uint64_t br_load_op_errors(const br_load_result *res, int op)
{
    uint64_t n = res->errors_op[op];
    for (int s = 0; s < BR_LOAD_MAX_STATUSES; s++)
        if (res->statuses[op][s].status >= 500)
            n += res->statuses[op][s].count;
    return n;
}

void br_load_thresholds_eval(const br_load_config *cfg, const br_load_result *res, br_load_thresholds *t)
{
    br_threshold_op ops[BR_LOAD_MAX_OPS];
    uint64_t total, errors = res->errors_connect;
    br_hist *all = overall_hist(cfg, res, &total);
    for (int o = 0; o < cfg->op_count; o++) {
        ops[o] =
            (br_threshold_op){cfg->op_names[o], res->hist[o], res->requests[o], br_load_op_errors(res, o)};
        errors += ops[o].errors;
    }
    br_threshold_input in = {ops, (size_t)cfg->op_count, {"all", all, total, errors}, res->measured_s};
    t->failed = 0;
    for (size_t i = 0; i < t->count; i++) {
        t->ok[i] = br_threshold_eval(&t->items[i], &in, &t->observed[i]);
        t->failed += !t->ok[i];
    }
    free(all);
}

static json_t *thresholds_json(const br_load_thresholds *th)
{
    json_t *list = json_array();
    for (size_t i = 0; th && i < th->count; i++)
        json_array_append_new(list,
                              json_pack("{s:s, s:f, s:b, s:b}", "threshold", th->items[i].text, "observed",
                                        th->observed[i], "ok", th->ok[i], "abort", th->items[i].abort));
    return list;
}

static json_t *history_json(const br_load_verdict *v)
{
    if (v->history_file == NULL)
        return json_null();
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:b}", "file", v->history_file, "schema", BR_HISTORY_SCHEMA,
                     "records", (json_int_t)v->history.records, "bytes", (json_int_t)v->history.bytes_written,
                     "bytesUncompressed", (json_int_t)v->history.bytes_raw, "complete", !v->history_failed);
}

static json_t *oracle_json(const br_load_verdict *v)
{
    json_t *vj = json_array();
    for (size_t i = 0; i < v->violations.count; i++)
        json_array_append_new(vj, json_pack("{s:s, s:s}", "kind",
                                            br_violation_kind_name(v->violations.items[i].kind), "text",
                                            v->violations.items[i].text));
    return json_pack("{s:b, s:b, s:s, s:I, s:I, s:I, s:o}", "checked", v->checked, "groundTruth",
                     v->truth.checked, "note", v->truth.note, "bookingsAcknowledged",
                     (json_int_t)v->acknowledged, "bookingsHeld", (json_int_t)v->stored, "violationCount",
                     (json_int_t)v->violations.total, "violations", vj);
}

json_t *br_load_results_json(const br_load_options *opt, const br_load_config *cfg, const br_load_plan *plan,
                             const br_load_result *res, const br_load_verdict *v,
                             const br_load_thresholds *th, int64_t started_wall_us)
{
    char started[BR_TIME_BUFSIZE];
    br_time_format(started_wall_us, started);
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:f, s:i, s:i, s:f, s:f, s:f, s:o, s:o, s:o, s:I, s:{s:I, s:I, "
        "s:I, s:I, s:I, s:I}}",
        "schema", "bookrace.load/1", "tool", "name", "bookrace", "version", BOOKRACE_VERSION, "startedAt",
        started, "runId", plan->run_id, "model", opt->rate > 0 ? "open" : "closed", "rate", opt->rate,
        "threads", cfg->threads, "connections", cfg->connections, "durationSeconds", opt->duration_s,
        "warmupSeconds", opt->warmup_s, "measuredSeconds", res->measured_s, "operations",
        operations_json(cfg, res), "overall", overall_json(cfg, res), "timeseries", series_json(cfg, res),
        "lateSends", (json_int_t)res->late_sends, "errors", "connect", (json_int_t)res->errors_connect,
        "read", (json_int_t)res->errors_read, "write", (json_int_t)res->errors_write, "timeout",
        (json_int_t)res->errors_timeout, "parse", (json_int_t)res->errors_parse, "unfinished",
        (json_int_t)res->unfinished);
    if (opt->url)
        json_object_set_new(doc, "url", json_string(opt->url));
    else
        json_object_set_new(
            doc, "scenario",
            json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", plan->sc->name, "file", opt->scenario_path,
                      "target", plan->tg->name, "mix",
                      opt->fetch_weight == 10 && opt->book_weight == 1 ? "fetch_slots=10,book=1" : "custom",
                      "days", (int)opt->days));
    json_object_set_new(doc, "oracle", oracle_json(v));
    json_object_set_new(doc, "history", history_json(v));
    json_object_set_new(doc, "thresholds", thresholds_json(th));
    if (th && th->abort_reason)
        json_object_set_new(doc, "abortedBy", json_string(th->abort_reason));
    return doc;
}

int br_load_results_write(const br_load_options *opt, const char *out_dir, json_t *doc)
{
    char *text = json_dumps(doc, JSON_INDENT(1));
    int failed =
        br_mkdir_p(out_dir) != 0 || br_write_file_atomic(out_dir, "load.json", text, strlen(text)) != 0;
    if (opt->json_path != NULL)
        failed |= br_write_path_atomic(opt->json_path, text, strlen(text)) != 0;
    free(text);
    return failed ? -1 : 0;
}

char *br_load_junit(const br_load_plan *plan, const br_load_verdict *v, const br_load_thresholds *th)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    size_t cases = v->checked + th->count, failures = (v->checked && v->violations.count > 0) + th->failed;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"load ");
    br_xml_escape(f, plan->sc ? plan->sc->name : "url");
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\">\n", cases, failures);
    if (v->checked) {
        fprintf(f, "<testcase classname=\"load\" name=\"oracle\">\n");
        for (size_t i = 0; i < v->violations.count && i < 100; i++) {
            fprintf(f, "<failure message=\"");
            br_xml_escape(f, v->violations.items[i].text);
            fprintf(f, "\"/>\n");
        }
        fprintf(f, "</testcase>\n");
    }
    for (size_t i = 0; i < th->count; i++) {
        fprintf(f, "<testcase classname=\"threshold\" name=\"");
        br_xml_escape(f, th->items[i].text);
        fprintf(f, "\">");
        if (!th->ok[i]) {
            char d[256];
            fprintf(f, "<failure message=\"");
            br_xml_escape(f, br_threshold_describe(&th->items[i], th->observed[i], d, sizeof(d)));
            fprintf(f, "\"/>");
        }
        fprintf(f, "</testcase>\n");
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    fclose(f);
    return text;
}

/* ---- the table ------------------------------------------------------------------------------------ */

static void print_row(const char *name, uint64_t n, const br_hist *h, const br_load_result *res)
{
    printf("%-12s %10llu %12.1f %9lld %9lld %9lld %9lld %9lld\n", name, (unsigned long long)n,
           per_second(n, res), (long long)br_hist_percentile(h, 50), (long long)br_hist_percentile(h, 90),
           (long long)br_hist_percentile(h, 99), (long long)br_hist_percentile(h, 99.9), (long long)h->max);
}

static void print_oracle(const br_load_verdict *v)
{
    for (size_t i = 0; i < v->violations.count && i < 10; i++)
        printf("%s\n", v->violations.items[i].text);
    if (v->violations.total > v->violations.count)
        printf("(%zu violations listed in load.json, at most %d of each kind)\n", v->violations.count,
               BR_VIOLATIONS_LISTED_MAX);
    printf("oracle: %zu acknowledged bookings, %zu violations%s%s\n", v->acknowledged, v->violations.total,
           v->truth.checked ? " (history and ground truth)" : " (history only: ",
           v->truth.checked ? "" : v->truth.note);
    if (!v->truth.checked)
        printf(")\n");
}

static void print_thresholds(const br_load_thresholds *th)
{
    for (size_t i = 0; i < th->count; i++) {
        char d[256];
        printf("threshold %s %s\n", th->ok[i] ? "ok    " : "FAILED",
               br_threshold_describe(&th->items[i], th->observed[i], d, sizeof(d)));
    }
    if (th->abort_reason)
        printf("the run was ended early: threshold %s failed for good\n", th->abort_reason);
}

void br_load_results_print(const br_load_options *opt, const br_load_config *cfg, const br_load_result *res,
                           const br_load_verdict *v, const br_load_thresholds *th, const char *out_dir)
{
    printf("%-12s %10s %12s %9s %9s %9s %9s %9s\n", "operation", "requests", "req/s", "p50 us", "p90 us",
           "p99 us", "p99.9 us", "max us");
    for (int o = 0; o < cfg->op_count; o++)
        print_row(cfg->op_names[o], res->requests[o], res->hist[o], res);
    if (cfg->op_count > 1) {
        uint64_t total;
        br_hist *overall = overall_hist(cfg, res, &total);
        print_row("all", total, overall, res);
        free(overall);
    }
    if (res->errors_connect + res->errors_read + res->errors_write + res->errors_timeout + res->errors_parse +
        res->unfinished)
        printf("errors: connect %llu, read %llu, write %llu, timeout %llu, parse %llu, unfinished %llu\n",
               (unsigned long long)res->errors_connect, (unsigned long long)res->errors_read,
               (unsigned long long)res->errors_write, (unsigned long long)res->errors_timeout,
               (unsigned long long)res->errors_parse, (unsigned long long)res->unfinished);
    if (opt->rate > 0)
        printf("open model at %.0f req/s: %llu sends were more than 1 ms late\n", opt->rate,
               (unsigned long long)res->late_sends);
    if (v->checked)
        print_oracle(v);
    print_thresholds(th);
    if (v->history_file && !v->history_failed)
        printf("history: %s/%s (%llu records, %.1f MB)\n", out_dir, v->history_file,
               (unsigned long long)v->history.records, (double)v->history.bytes_written / 1e6);
    else if (v->history_failed)
        printf("history: NOT written: %s\n", v->history_error);
    printf("results: %s/load.json\n", out_dir);
}
