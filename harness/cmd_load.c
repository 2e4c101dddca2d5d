/*
 * `bookrace load`: a weighted mix of a scenario's operations (or plain GETs of
 * one URL) at full speed or a fixed rate, with the oracle over every booking it
 * got acknowledged. The phases, each in its own place: parse the options (here)
 * -> prepare the plan (load_plan.c) -> run (loadgen.c) -> the oracle and the
 * output (load_results.c) -> the exit code (here).
 */
#include "alloc.h"
#include "cli.h"
#include "commands.h"
#include "exitcode.h"
#include "iso8601.h"
#include "load_plan.h"
#include "load_results.h"
#include "load_export.h"
#include "loadgen.h"
#include "startgate.h"
#include "results.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: bookrace load SCENARIO.json|--url URL [--target TARGET.json] [--base-url URL]... [--threads N]\n"
    "                     [--connections N] [--duration 30s] [--rate R/s] [--warmup 5s] [--days N]\n"
    "                     [--mix fetch_slots=10,book=1] [--date YYYY-MM-DD] [--out DIR] [--json FILE] "
    "[--quiet]\n"
    "                     [--verify-mongo URI [--mongo-db NAME] [--mongo-collection NAME]]\n"
    "                     [--segment K/N|auto/N [--shared-days]] [--start-at RFC3339]\n"
    "                     [--start-when-ready URL [--start-timeout 300s]]\n"
    "\n"
    "A fleet of load generators (docs/fleet.md): --segment K/N runs the K-th (0-based) of N equal shares of\n"
    "this load (connections, rate, and the booking days, or with --shared-days the actors on the same\n"
    "days); auto/N takes K from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). --start-at waits for a\n"
    "wall-clock time; --start-when-ready polls URL?segment=K&count=N, once prepared, until it answers 2xx.\n"
    "                     [--threshold EXPR]... [--no-oracle] [--history-plain] [--csv FILE]\n"
    "                     [--openmetrics FILE] [--runs N]\n"
    "\n"
    "--mix          weights of the operations, e.g. fetch_slots=10,book=1 or book=1\n"
    "--threshold    a gate judged at the end: 'book:p99<50ms', 'all:rate>=1000/s', 'errors<0.1%',\n"
    "               ',abort' to end the run once an error count or max fails for good (exit 4)\n"
    "--no-oracle    no history and no oracle (to measure what they cost)\n"
    "--history-plain  history.jsonl instead of zstd-compressed history.jsonl.zst\n"
    "--csv          the per-second series (whole seconds) as CSV\n"
    "--openmetrics  the final counters and histograms as OpenMetrics text (a textfile collector reads it)\n"
    "--runs N       N loads one after another, each planned afresh, into OUT/run-1 ... OUT/run-N: the\n"
    "               samples `bookrace compare` judges a release by (compare OUT_BASE OUT_NEW)\n"
    "\n"
    "exit codes: 0 clean; 1 the oracle found a violation (or a result could not be written); 2 bad command\n"
    "            line, scenario or profile; 3 the target refused connections or answered nothing;\n"
    "            4 a threshold failed; 130 interrupted\n";

enum {
    OPT_URL = BR_CLI_FIRST_ID,
    OPT_TARGET,
    OPT_BASE_URL,
    OPT_OUT,
    OPT_JSON,
    OPT_VERIFY_MONGO,
    OPT_DATE,
    OPT_MONGO_DB,
    OPT_MONGO_COLLECTION,
    OPT_THREADS,
    OPT_CONNECTIONS,
    OPT_DAYS,
    OPT_DURATION,
    OPT_WARMUP,
    OPT_RATE,
    OPT_MIX,
    OPT_QUIET,
    OPT_SEGMENT,
    OPT_SHARED_DAYS,
    OPT_START_AT,
    OPT_START_WHEN_READY,
    OPT_START_TIMEOUT,
    OPT_THRESHOLD,
    OPT_NO_ORACLE,
    OPT_HISTORY_PLAIN,
    OPT_RUNS,
    OPT_CSV,
    OPT_OPENMETRICS,
};

static const br_cli_option options[] = {
    {"url", 0, 1, OPT_URL},
    {"target", 0, 1, OPT_TARGET},
    {"base-url", 0, 1, OPT_BASE_URL},
    {"out", 0, 1, OPT_OUT},
    {"json", 0, 1, OPT_JSON},
    {"verify-mongo", 0, 1, OPT_VERIFY_MONGO},
    {"date", 0, 1, OPT_DATE},
    {"mongo-db", 0, 1, OPT_MONGO_DB},
    {"mongo-collection", 0, 1, OPT_MONGO_COLLECTION},
    {"threads", 0, 1, OPT_THREADS},
    {"connections", 0, 1, OPT_CONNECTIONS},
    {"days", 0, 1, OPT_DAYS},
    {"duration", 0, 1, OPT_DURATION},
    {"warmup", 0, 1, OPT_WARMUP},
    {"rate", 0, 1, OPT_RATE},
    {"mix", 0, 1, OPT_MIX},
    {"quiet", 0, 0, OPT_QUIET},
    {"segment", 0, 1, OPT_SEGMENT},
    {"shared-days", 0, 0, OPT_SHARED_DAYS},
    {"start-at", 0, 1, OPT_START_AT},
    {"start-when-ready", 0, 1, OPT_START_WHEN_READY},
    {"start-timeout", 0, 1, OPT_START_TIMEOUT},
    {"threshold", 0, 1, OPT_THRESHOLD},
    {"no-oracle", 0, 0, OPT_NO_ORACLE},
    {"history-plain", 0, 0, OPT_HISTORY_PLAIN},
    {"runs", 0, 1, OPT_RUNS},
    {"csv", 0, 1, OPT_CSV},
    {"openmetrics", 0, 1, OPT_OPENMETRICS},
    {NULL, 0, 0, 0},
};

static const br_cli_spec spec = {.usage = usage, .options = options, .min_args = 0, .max_args = 1};

/* The options that are numbers; -1 for a value out of range. */
static int on_number(br_load_options *o, int id, const char *v)
{
    char *end;
    switch (id) {
    case OPT_THREADS:
        return br_cli_long(v, 1, 256, &o->threads);
    case OPT_CONNECTIONS:
        return br_cli_long(v, 1, 100000, &o->connections);
    case OPT_DAYS:
        return br_cli_long(v, 1, 3650, &o->days);
    case OPT_DURATION:
        return br_cli_duration(v, &o->duration_s) != 0 || o->duration_s <= 0 ? -1 : 0;
    case OPT_WARMUP:
        return br_cli_duration(v, &o->warmup_s);
    case OPT_RATE:
        o->rate = strtod(v, &end);
        return end == v || o->rate <= 0 || (*end && strcmp(end, "/s") != 0) ? -1 : 0;
    case OPT_MIX:
        return br_load_parse_mix(v, &o->fetch_weight, &o->book_weight);
    }
    return -1;
}

/* The options of a fleet (segment.h, startgate.h). */
static int on_fleet_option(br_load_options *o, int id, const char *v, char *err, size_t errlen)
{
    int shared = o->segment.shared_days;
    switch (id) {
    case OPT_SEGMENT:
        if (br_segment_parse(v, getenv("JOB_COMPLETION_INDEX"), &o->segment, err, errlen) != 0)
            return -1;
        o->segment.shared_days = shared;
        return 0;
    case OPT_SHARED_DAYS:
        o->segment.shared_days = 1;
        return 0;
    case OPT_START_AT:
        return br_start_at_parse(v, &o->start_at_wall_us, err, errlen);
    case OPT_START_WHEN_READY:
        o->start_when_ready = v;
        return strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0 ? 0 : -1;
    case OPT_START_TIMEOUT:
        return br_cli_duration(v, &o->start_timeout_s) != 0 || o->start_timeout_s <= 0 ? -1 : 0;
    }
    return on_number(o, id, v);
}

static int on_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    br_load_options *o = arg;
    int64_t day;
    switch (id) {
    case OPT_URL:
        o->url = v;
        return 0;
    case OPT_TARGET:
        o->target_path = v;
        return 0;
    case OPT_BASE_URL:
        return br_target_add_base_url_arg(o->base_urls, &o->base_url_count, v, err, errlen);
    case OPT_OUT:
        o->out_dir = v;
        return 0;
    case OPT_JSON:
        o->json_path = v;
        return 0;
    case OPT_VERIFY_MONGO:
        o->verify_uri = v;
        return 0;
    case OPT_DATE:
        o->date = v;
        return br_date_parse(v, strlen(v), &day) != 0 ? -1 : 0;
    case OPT_MONGO_DB:
        o->mongo_db = v;
        return 0;
    case OPT_MONGO_COLLECTION:
        o->mongo_collection = v;
        return 0;
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
    case OPT_NO_ORACLE:
        o->no_oracle = 1;
        return 0;
    case OPT_HISTORY_PLAIN:
        o->history_plain = 1;
        return 0;
    case OPT_RUNS:
        return br_cli_long(v, 1, 1000, &o->runs);
    case OPT_CSV:
        o->csv_path = v;
        return 0;
    case OPT_OPENMETRICS:
        o->openmetrics_path = v;
        return 0;
    case OPT_THRESHOLD: {
        br_threshold t;
        if (o->threshold_count >= BR_THRESHOLD_MAX) {
            snprintf(err, errlen, "at most %d thresholds", BR_THRESHOLD_MAX);
            return -1;
        }
        o->thresholds[o->threshold_count++] = v;
        return br_threshold_parse(v, &t, err, errlen);
    }
    }
    return on_fleet_option(o, id, v, err, errlen);
}

/*
 * A segment runs its share of the connections and the rate (the days or actors are cut in load_plan.c,
 * once the scenario is read); the whole load's are kept for load.json.
 */
static int segment_share(br_load_options *o)
{
    o->total_connections = o->connections;
    o->total_rate = o->rate;
    if (o->segment.shared_days && o->segment.count == 0)
        return br_cli_usage_error(&spec, "--shared-days needs --segment");
    br_segment_plan p;
    char err[512];
    if (br_segment_plan_make(&o->segment, o->connections, o->rate, o->days, 0, &p, err, sizeof(err)) != 0)
        return br_cli_usage_error(&spec, "%s", err);
    o->connections = p.connections;
    o->rate = p.rate;
    if (o->connections < o->threads)
        o->threads = o->connections;
    return BR_EXIT_HELD;
}

/* Parses the command line into |o|; BR_EXIT_HELD to go on, otherwise the exit code (--help: -1). */
static int parse_options(int argc, char **argv, br_load_options *o)
{
    *o = (br_load_options){.mongo_db = "bookd",
                           .mongo_collection = "inspections",
                           .days = 14,
                           .duration_s = 10,
                           .fetch_weight = 10,
                           .book_weight = 1,
                           .runs = 1,
                           .start_timeout_s = 300};
    const char *args[1];
    size_t nargs;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, o, args, &nargs);
    if (parsed == BR_CLI_HELP)
        return -1;
    if (parsed != BR_CLI_OK)
        return BR_EXIT_USAGE;
    o->scenario_path = nargs ? args[0] : NULL;
    if ((o->scenario_path == NULL) == (o->url == NULL))
        return br_cli_usage_error(&spec, "load needs a SCENARIO.json or --url URL (one of them)");
    if (o->threads == 0)
        o->threads = br_cpu_count();
    if (o->connections == 0)
        o->connections = o->threads * 16;
    if (o->runs > 1 && (o->json_path || o->csv_path || o->openmetrics_path))
        return br_cli_usage_error(&spec, "--runs writes each run's files into OUT/run-K: --json, --csv and "
                                         "--openmetrics name one file");
    if (o->runs > 1 && (o->segment.count || o->start_at_wall_us || o->start_when_ready))
        return br_cli_usage_error(&spec, "--runs is not for a fleet's segments (--segment, --start-at, "
                                         "--start-when-ready)");
    return segment_share(o);
}

static void engine_config(const br_load_options *o, atomic_int *stop, br_load_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->threads = (int)o->threads;
    cfg->connections = (int)o->connections;
    cfg->duration_s = o->duration_s;
    cfg->warmup_s = o->warmup_s;
    cfg->rate = o->rate;
    cfg->timeout_ms = 10000;
    cfg->stop = stop;
    cfg->progress = !o->quiet && isatty(STDERR_FILENO);
}

/*
 * A violation outranks everything; a target that refused connections at some point (it died, or was
 * never there) or answered nothing is exit 3, as for run; then failed thresholds (4); otherwise 0. An
 * interrupted load is 130 whatever it found.
 */
static int load_exit_code(const br_load_verdict *v, const br_load_thresholds *th, const br_load_config *cfg,
                          const br_load_result *res, int write_failed, atomic_int *stop)
{
    uint64_t total = 0;
    for (int o = 0; o < cfg->op_count; o++)
        total += res->requests[o];
    if (atomic_load(stop))
        return BR_EXIT_INTERRUPTED;
    if (v->violations.count > 0 || write_failed)
        return BR_EXIT_NOT_HELD;
    if (total == 0 || res->errors_connect > 0)
        return BR_EXIT_TARGET;
    return th->failed > 0 ? BR_EXIT_THRESHOLD : BR_EXIT_HELD;
}

/* The thresholds, parsed again (the option handler checked them) and held against the run's operations. */
static int prepare_thresholds(const br_load_options *o, const br_load_config *cfg, br_threshold *out)
{
    char err[256];
    for (size_t i = 0; i < o->threshold_count; i++) {
        br_threshold_parse(o->thresholds[i], &out[i], err, sizeof(err));
        int known = strcmp(out[i].op, "all") == 0;
        for (int k = 0; k < cfg->op_count; k++)
            known |= strcmp(out[i].op, cfg->op_names[k]) == 0;
        if (!known) {
            fprintf(stderr, "bookrace: threshold '%s': this load has no operation '%s' (it has", out[i].text,
                    out[i].op);
            for (int k = 0; k < cfg->op_count; k++)
                fprintf(stderr, " %s", cfg->op_names[k]);
            fprintf(stderr, ", and all)\n");
            return BR_EXIT_USAGE;
        }
    }
    return BR_EXIT_HELD;
}

/* The extra files: junit.xml always; the CSV series and OpenMetrics text when asked. 0, or -1. */
static int write_extras(const br_load_options *o, const char *out_dir, const br_load_config *cfg,
                        const br_load_result *res, const br_load_plan *plan, const br_load_verdict *v,
                        const br_load_thresholds *th)
{
    int failed = 0;
    char *junit = br_load_junit(plan, v, th);
    failed |= br_write_file_atomic(out_dir, "junit.xml", junit, strlen(junit)) != 0;
    free(junit);
    if (o->csv_path) {
        char *csv = br_load_csv(cfg, res);
        failed |= br_write_path_atomic(o->csv_path, csv, strlen(csv)) != 0;
        free(csv);
    }
    if (o->openmetrics_path) {
        char *om = br_load_openmetrics(cfg, res, v->checked ? (long)v->violations.count : -1, th);
        failed |= br_write_path_atomic(o->openmetrics_path, om, strlen(om)) != 0;
        free(om);
    }
    if (failed)
        fprintf(stderr, "bookrace: a result file could not be written\n");
    return failed ? -1 : 0;
}

/* The results folder: --out, or results/<UTC timestamp>-load-<scenario>/; made before the run. */
static const char *results_dir(const br_load_options *o, const br_load_plan *plan, char *buf, size_t cap)
{
    if (o->out_dir != NULL)
        return o->out_dir;
    char name[200];
    snprintf(name, sizeof(name), "load-%s", plan->sc ? plan->sc->name : "url");
    br_default_out_dir(buf, cap, name);
    return buf;
}

/* Judges and writes everything after the run. Returns the exit code. */
static json_t *segment_json(const br_load_options *o, const br_load_plan *plan);

static int finish_load(const br_load_options *o, const br_load_config *cfg, const br_load_plan *plan,
                       br_load_live *live, br_load_thresholds *th, const br_load_result *res,
                       const char *out_dir, const char *history_file, int64_t started_wall, json_t *start,
                       atomic_int *stop)
{
    br_load_verdict v;
    br_load_verdict_make(o, plan, live, history_file, &v);
    th->abort_reason = atomic_load(&live->end_early) ? live->abort_reason : NULL;
    br_load_thresholds_eval(cfg, res, th);
    json_t *doc = br_load_results_json(o, cfg, plan, res, &v, th, started_wall);
    if (o->segment.count > 0)
        json_object_set_new(doc, "segment", segment_json(o, plan));
    if (start != NULL)
        json_object_set_new(doc, "start", start);
    int write_failed = br_load_results_write(o, out_dir, doc) != 0 || v.history_failed;
    json_decref(doc);
    write_failed |= write_extras(o, out_dir, cfg, res, plan, &v, th) != 0;
    br_load_results_print(o, cfg, res, &v, th, out_dir);
    int rc = load_exit_code(&v, th, cfg, res, write_failed, stop);
    br_load_verdict_free(&v);
    return rc;
}

/* load.json's "segment": which share this was, and of what whole load. */
static json_t *segment_json(const br_load_options *o, const br_load_plan *plan)
{
    br_segment_plan p = plan->segment;
    p.connections = o->connections;
    p.rate = o->rate;
    json_t *j = br_segment_json(&o->segment, &p);
    json_object_set_new(j, "of",
                        json_pack("{s:I, s:f, s:I}", "connections", (json_int_t)o->total_connections, "rate",
                                  o->total_rate, "days", (json_int_t)o->days));
    return j;
}

/*
 * The coordinated start, once the plan is ready: report ready to the starter and wait for its release,
 * then wait for the start time. Fills |*start| (load.json's "start") and returns BR_EXIT_HELD, or the exit
 * code after saying why.
 */
static int wait_for_start(const br_load_options *o, atomic_int *stop, json_t **start)
{
    char err[1024];
    if (o->start_when_ready == NULL && o->start_at_wall_us == 0)
        return BR_EXIT_HELD;
    *start = json_object();
    if (o->start_when_ready != NULL) {
        char *url = br_start_ready_url(o->start_when_ready, o->segment.index,
                                       o->segment.count ? o->segment.count : 1);
        long polls = 0;
        if (!o->quiet)
            fprintf(stderr, "bookrace: ready; waiting for %s\n", url);
        int rc = br_start_when_ready(url, BR_START_POLL_US, (int64_t)(o->start_timeout_s * 1e6), stop, &polls,
                                     err, sizeof(err));
        json_object_set_new(*start, "whenReady", json_string(url));
        json_object_set_new(*start, "polls", json_integer(polls));
        json_object_set_new(*start, "releasedAtUs", json_integer(br_wall_us()));
        free(url);
        if (rc != 0) {
            json_decref(*start);
            *start = NULL;
            if (rc < 0)
                fprintf(stderr, "bookrace: %s\n", err);
            return rc < 0 ? BR_EXIT_TARGET : BR_EXIT_INTERRUPTED;
        }
    }
    if (o->start_at_wall_us != 0) {
        int64_t late;
        int rc =
            br_start_at_wait(o->start_at_wall_us, 86400 * BR_USEC_PER_SEC, stop, &late, err, sizeof(err));
        if (rc != 0) {
            json_decref(*start);
            *start = NULL;
            if (rc < 0)
                fprintf(stderr, "bookrace: %s\n", err);
            return rc < 0 ? BR_EXIT_USAGE : BR_EXIT_INTERRUPTED;
        }
        char at[BR_TIME_BUFSIZE];
        br_time_format(o->start_at_wall_us, at);
        json_object_set_new(*start, "at", json_string(at));
        json_object_set_new(*start, "lateUs", json_integer(late));
        if (late > 1000000 && !o->quiet)
            fprintf(stderr, "bookrace: started %.3f s after --start-at %s\n", (double)late / 1e6, at);
    }
    return BR_EXIT_HELD;
}

/* Runs the planned load, then the oracle and the output. Returns the exit code. */
static int run_load(const br_load_options *o, br_load_config *cfg, br_load_plan *plan, atomic_int *stop)
{
    br_threshold thresholds[BR_THRESHOLD_MAX];
    int rc = prepare_thresholds(o, cfg, thresholds);
    if (rc != BR_EXIT_HELD)
        return rc;
    if (plan->tg)
        cfg->timeout_ms = plan->tg->timeout_ms;
    char dir_buf[4096], err[1024], history_path[4300];
    const char *out_dir = results_dir(o, plan, dir_buf, sizeof(dir_buf));
    const char *history_file = o->no_oracle ? NULL : o->history_plain ? "history.jsonl" : "history.jsonl.zst";
    if (br_mkdir_p(out_dir) != 0) {
        fprintf(stderr, "bookrace: %s: cannot create the results folder\n", out_dir);
        return BR_EXIT_USAGE;
    }
    snprintf(history_path, sizeof(history_path), "%s/%s", out_dir, history_file ? history_file : "");
    br_load_live live;
    if (br_load_live_start(&live, plan, cfg, history_file ? history_path : NULL, !o->history_plain,
                           !o->no_oracle, thresholds, o->threshold_count, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        br_load_live_free(&live);
        return BR_EXIT_USAGE;
    }
    /* Everything is prepared: only now report ready and wait for the fleet's start. */
    json_t *start = NULL;
    rc = wait_for_start(o, stop, &start);
    int64_t started_wall = br_wall_us();
    br_load_result res;
    if (rc == BR_EXIT_HELD && br_load_run(cfg, &res) != 0) {
        fprintf(stderr, "bookrace: cannot start %d threads\n", cfg->threads);
        rc = BR_EXIT_USAGE;
    } else if (rc == BR_EXIT_HELD) {
        br_load_thresholds th = {.items = thresholds, .count = o->threshold_count};
        rc = finish_load(o, cfg, plan, &live, &th, &res, out_dir, history_file, started_wall, start, stop);
        start = NULL; /* finish_load handed it to load.json */
        br_load_result_free(&res);
    }
    json_decref(start);
    br_load_live_free(&live);
    return rc;
}

/* One load: plan it (the target's slot lists as they are now), run it, write it. */
static int one_load(const br_load_options *o, atomic_int *stop)
{
    br_load_config cfg;
    engine_config(o, stop, &cfg);
    br_load_plan plan;
    int rc = br_load_plan_make(o, &plan, &cfg);
    if (rc == BR_EXIT_HELD)
        rc = run_load(o, &cfg, &plan, stop);
    br_load_plan_free(&plan);
    return rc;
}

/*
 * --runs N: the runs one after another into OUT/run-K (OUT defaults to results/<time>-load-runs),
 * stopping at an interruption, a bad input or a failed target; the exit code is the first run's that
 * was not 0 (a violation in any run is exit 1).
 */
static int several_loads(br_load_options *o, atomic_int *stop)
{
    char base[4096], run_dir[4200];
    if (o->out_dir != NULL)
        snprintf(base, sizeof(base), "%s", o->out_dir);
    else
        br_default_out_dir(base, sizeof(base), "load-runs");
    int worst = BR_EXIT_HELD;
    for (long k = 1; k <= o->runs; k++) {
        snprintf(run_dir, sizeof(run_dir), "%s/run-%ld", base, k);
        o->out_dir = run_dir;
        if (!o->quiet)
            printf("run %ld/%ld: %s\n", k, o->runs, run_dir);
        int rc = one_load(o, stop);
        if (worst == BR_EXIT_HELD)
            worst = rc;
        if (rc == BR_EXIT_INTERRUPTED || rc == BR_EXIT_USAGE || rc == BR_EXIT_TARGET)
            return rc;
    }
    printf("runs: %s/run-1 ... run-%ld (compare them: bookrace compare BASE_RUNS %s)\n", base, o->runs, base);
    return worst;
}

int br_cmd_load(int argc, char **argv, atomic_int *stop)
{
    br_load_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc != BR_EXIT_HELD)
        return rc < 0 ? BR_EXIT_HELD : rc;
    if (o.runs > 1)
        return several_loads(&o, stop);
    return one_load(&o, stop);
}
