/*
 * The verdict and the output of `bookrace load` (load_results.h): each
 * acknowledged booking becomes a history record for the oracle, the ground
 * truth is read once over every day the load booked in, and the numbers go to
 * load.json and to a table on stdout.
 */
#include "load_results.h"

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

/* The id a successful booking's response names, into |out| ("" when none). */
static void booking_id(const br_operation *book, const char *body, char *out, size_t cap)
{
    json_error_t je;
    json_t *doc = json_loads(body, 0, &je);
    char buf[64];
    const char *id = doc ? br_json_pointer_text(doc, book->ptr_id, buf, sizeof(buf)) : NULL;
    if (id)
        snprintf(out, cap, "%s", id);
    json_decref(doc);
}

/* The history of a load: one record per booking request that completed. */
static br_op_record *ack_records(const br_load_plan *plan, const br_load_result *res, size_t *acknowledged)
{
    const br_operation *book = &plan->tg->ops[BR_OP_BOOK];
    br_op_record *ops = xcalloc(res->ack_count + 1, sizeof(br_op_record));
    for (size_t i = 0; i < res->ack_count; i++) {
        const br_load_ack *a = &res->acks[i];
        const br_load_booking *bi = &plan->bookings[a->request - plan->fetch_count];
        br_op_record *o = &ops[i];
        o->index = (int)i;
        o->actor = bi->actor;
        snprintf(o->actor_name, sizeof(o->actor_name), "%s", plan->sc->actors[bi->actor].name);
        o->op = BR_OP_BOOK;
        o->expect = -1;
        o->status = a->status;
        o->outcome = br_outcome_of(book, a->status);
        snprintf(o->inspector, sizeof(o->inspector), "%s", bi->inspector);
        o->start_us = bi->start_us;
        o->end_us = bi->end_us;
        o->invoke_us = o->invoke_scenario_us = a->send_us;
        o->complete_us = o->complete_scenario_us = a->complete_us;
        if (o->outcome == BR_OUTCOME_OK && a->body)
            booking_id(book, a->body, o->id, sizeof(o->id));
        *acknowledged += o->outcome == BR_OUTCOME_OK;
    }
    return ops;
}

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
    char *body = br_load_http_get(full, r.header_lines, r.header_count, 60, &status, err, errlen);
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

static json_t *bookings_json(const br_op_record *ops, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        char s1[BR_TIME_BUFSIZE], s2[BR_TIME_BUFSIZE];
        br_time_format(ops[i].start_us, s1);
        br_time_format(ops[i].end_us, s2);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I}", "id", ops[i].id,
                                              "inspector", ops[i].inspector, "start", s1, "end", s2, "status",
                                              (int)ops[i].status, "outcome", br_outcome_name(ops[i].outcome),
                                              "sendUs", (json_int_t)ops[i].invoke_us, "completeUs",
                                              (json_int_t)ops[i].complete_us));
    }
    return list;
}

void br_load_verdict_make(const br_load_options *opt, const br_load_plan *plan, const br_load_result *res,
                          br_load_verdict *out)
{
    memset(out, 0, sizeof(*out));
    if (plan->tg == NULL) {
        out->bookings = json_array();
        return;
    }
    out->checked = 1;
    br_op_record *ops = ack_records(plan, res, &out->acknowledged);
    read_truth(opt, plan, &out->truth);
    br_oracle_check(ops, res->ack_count, out->truth.items, out->truth.count, out->truth.checked,
                    &out->violations);
    out->bookings = bookings_json(ops, res->ack_count);
    free(ops);
}

void br_load_verdict_free(br_load_verdict *v)
{
    br_truth_free(&v->truth);
    br_violations_free(&v->violations);
    json_decref(v->bookings);
}

/* ---- load.json ------------------------------------------------------------------------------------ */

static void write_latency(json_t *obj, const br_hist *h)
{
    json_object_set_new(
        obj, "latencyUs",
        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "p50", (json_int_t)br_hist_percentile(h, 50), "p90",
                  (json_int_t)br_hist_percentile(h, 90), "p99", (json_int_t)br_hist_percentile(h, 99),
                  "p99.9", (json_int_t)br_hist_percentile(h, 99.9), "p99.99",
                  (json_int_t)br_hist_percentile(h, 99.99), "max", (json_int_t)h->max, "mean",
                  br_hist_mean(h)));
    json_t *buckets = json_array();
    for (size_t i = 0; i < BR_HIST_BUCKETS; i++)
        if (h->counts[i])
            json_array_append_new(
                buckets, json_pack("[I, I]", (json_int_t)br_hist_highest(i), (json_int_t)h->counts[i]));
    json_object_set_new(obj, "histogram", buckets);
}

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
        write_latency(oj, res->hist[o]);
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
    write_latency(overallj, overall);
    free(overall);
    return overallj;
}

static json_t *series_json(const br_load_result *res)
{
    json_t *series = json_array();
    for (size_t s = 0; s < res->seconds && (double)s < res->measured_s; s++)
        json_array_append_new(
            series, json_pack("{s:i, s:I}", "second", (int)s, "requests", (json_int_t)res->per_second[s]));
    return series;
}

static json_t *oracle_json(const br_load_verdict *v)
{
    json_t *vj = json_array();
    for (size_t i = 0; i < v->violations.count; i++)
        json_array_append_new(vj, json_pack("{s:s, s:s}", "kind",
                                            br_violation_kind_name(v->violations.items[i].kind), "text",
                                            v->violations.items[i].text));
    return json_pack("{s:b, s:b, s:s, s:I, s:o, s:O}", "checked", v->checked, "groundTruth", v->truth.checked,
                     "note", v->truth.note, "bookingsAcknowledged", (json_int_t)v->acknowledged, "violations",
                     vj, "bookings", v->bookings);
}

json_t *br_load_results_json(const br_load_options *opt, const br_load_config *cfg, const br_load_plan *plan,
                             const br_load_result *res, const br_load_verdict *v, int64_t started_wall_us)
{
    char started[BR_TIME_BUFSIZE];
    br_time_format(started_wall_us, started);
    json_t *doc = json_pack(
        "{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:f, s:i, s:i, s:f, s:f, s:f, s:o, s:o, s:o, s:I, s:{s:I, s:I, "
        "s:I, s:I, s:I}}",
        "schema", "bookrace.load/1", "tool", "name", "bookrace", "version", BOOKRACE_VERSION, "startedAt",
        started, "runId", plan->run_id, "model", opt->rate > 0 ? "open" : "closed", "rate", opt->rate,
        "threads", cfg->threads, "connections", cfg->connections, "durationSeconds", opt->duration_s,
        "warmupSeconds", opt->warmup_s, "measuredSeconds", res->measured_s, "operations",
        operations_json(cfg, res), "overall", overall_json(cfg, res), "timeseries", series_json(res),
        "lateSends", (json_int_t)res->late_sends, "errors", "connect", (json_int_t)res->errors_connect,
        "read", (json_int_t)res->errors_read, "write", (json_int_t)res->errors_write, "timeout",
        (json_int_t)res->errors_timeout, "parse", (json_int_t)res->errors_parse);
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
    printf("oracle: %zu acknowledged bookings, %zu violations%s%s\n", v->acknowledged, v->violations.count,
           v->truth.checked ? " (history and ground truth)" : " (history only: ",
           v->truth.checked ? "" : v->truth.note);
    if (!v->truth.checked)
        printf(")\n");
}

void br_load_results_print(const br_load_options *opt, const br_load_config *cfg, const br_load_result *res,
                           const br_load_verdict *v, const char *out_dir)
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
    if (res->errors_connect + res->errors_read + res->errors_write + res->errors_timeout + res->errors_parse)
        printf("errors: connect %llu, read %llu, write %llu, timeout %llu, parse %llu\n",
               (unsigned long long)res->errors_connect, (unsigned long long)res->errors_read,
               (unsigned long long)res->errors_write, (unsigned long long)res->errors_timeout,
               (unsigned long long)res->errors_parse);
    if (opt->rate > 0)
        printf("open model at %.0f req/s: %llu sends were more than 1 ms late\n", opt->rate,
               (unsigned long long)res->late_sends);
    if (v->checked)
        print_oracle(v);
    printf("results: %s/load.json\n", out_dir);
}
