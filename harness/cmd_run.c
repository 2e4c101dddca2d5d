/*
 * `bookrace run`: loads a scenario and a target profile, runs the trials
 * (br_run), decides the exit code from the verdicts, writes the results folder
 * (and a --junit copy) and prints the summary. `bookrace check` is beside it
 * (cmd_check.c): it re-runs the oracle on what this writes.
 */
#include "alloc.h"
#include "cli.h"
#include "commands.h"
#include "exitcode.h"
#include "bookd_proc.h"
#include "race.h"
#include "results.h"
#include "scenario.h"
#include "target.h"
#include "util.h"
#include "vars.h"
#include "verdict.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: bookrace run SCENARIO.json [--target TARGET.json] [--base-url URL]... [--out DIR]\n"
    "                    [--repeat N] [--seed N] [--threads N] [--junit FILE] [--expect-violation] "
    "[--quiet]\n"
    "                    [--verify-mongo URI [--mongo-db NAME] [--mongo-collection inspections]]\n"
    "                    [--var NAME=VALUE | --var NAME:=JSON]... [--date DAY] [--free-day]\n"
    "\n"
    "--var       a scenario variable; wins over the profile's variables, which win over the scenario's\n"
    "--date      the day to book: YYYY-MM-DD, today, tomorrow, +14d, +2w, next-weekday, next-monday...\n"
    "--free-day  each trial books the first day (from --date on) its inspectors hold no booking (needs "
    "list)\n"
    "\n"
    "Runs the scenario's steps against the target (default scenarios/targets/bookd.json) and checks that\n"
    "no two acknowledged bookings of one inspector overlap and none is lost.\n"
    "exit codes: 0 the expectation held (no violation; with --expect-violation, an invariant violation)\n"
    "            1 it did not, or every trial was inconclusive; 2 bad command line, scenario or profile;\n"
    "            3 the target failed (unreachable, every request 401/5xx/timeout, health check, nonsense)\n"
    "            130 interrupted (partial results are still written). docs/oracle.md has the table.\n";

enum {
    OPT_TARGET = BR_CLI_FIRST_ID,
    OPT_BASE_URL,
    OPT_OUT,
    OPT_REPEAT,
    OPT_SEED,
    OPT_THREADS,
    OPT_JUNIT,
    OPT_EXPECT_VIOLATION,
    OPT_QUIET,
    OPT_VERIFY_MONGO,
    OPT_MONGO_DB,
    OPT_MONGO_COLLECTION,
    OPT_VAR,
    OPT_DATE,
    OPT_FREE_DAY,
};

static const br_cli_option options[] = {
    {"target", 0, 1, OPT_TARGET},     {"base-url", 0, 1, OPT_BASE_URL},
    {"out", 0, 1, OPT_OUT},           {"repeat", 0, 1, OPT_REPEAT},
    {"seed", 0, 1, OPT_SEED},         {"threads", 0, 1, OPT_THREADS},
    {"junit", 0, 1, OPT_JUNIT},       {"expect-violation", 0, 0, OPT_EXPECT_VIOLATION},
    {"quiet", 0, 0, OPT_QUIET},       {"verify-mongo", 0, 1, OPT_VERIFY_MONGO},
    {"mongo-db", 0, 1, OPT_MONGO_DB}, {"mongo-collection", 0, 1, OPT_MONGO_COLLECTION},
    {"var", 0, 1, OPT_VAR},           {"date", 0, 1, OPT_DATE},
    {"free-day", 0, 0, OPT_FREE_DAY}, {NULL, 0, 0, 0},
};

static const br_cli_spec spec = {.usage = usage,
                                 .options = options,
                                 .min_args = 1,
                                 .max_args = 1,
                                 .args_missing = "run needs a SCENARIO.json"};

typedef struct {
    const char *scenario_path, *target_path, *out_dir, *junit_path;
    const char *verify_uri, *mongo_db, *mongo_collection;
    char *base_urls[BR_MAX_BASE_URLS];
    size_t base_url_count;
    long repeat, seed, threads;
    int expect_violation, quiet, free_day;
    json_t *cli_vars; /* --var, in order: a later one wins */
    const char *date;
} run_options;

static int on_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    run_options *o = arg;
    switch (id) {
    case OPT_TARGET:
        o->target_path = v;
        return 0;
    case OPT_BASE_URL:
        return br_target_add_base_url_arg(o->base_urls, &o->base_url_count, v, err, errlen);
    case OPT_OUT:
        o->out_dir = v;
        return 0;
    case OPT_REPEAT:
        return br_cli_long(v, 1, 100000, &o->repeat);
    case OPT_SEED:
        return br_cli_long(v, 0, LONG_MAX, &o->seed);
    case OPT_THREADS:
        return br_cli_long(v, 1, 256, &o->threads);
    case OPT_JUNIT:
        o->junit_path = v;
        return 0;
    case OPT_EXPECT_VIOLATION:
        o->expect_violation = 1;
        return 0;
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
    case OPT_VERIFY_MONGO:
        o->verify_uri = v;
        return 0;
    case OPT_MONGO_DB:
        o->mongo_db = v;
        return 0;
    case OPT_MONGO_COLLECTION:
        o->mongo_collection = v;
        return 0;
    case OPT_VAR:
        return br_var_parse_arg(o->cli_vars, v, err, errlen);
    case OPT_DATE:
        o->date = v;
        return 0;
    case OPT_FREE_DAY:
        o->free_day = 1;
        return 0;
    }
    return -1;
}

/* The scenario, the profile and its --base-url overrides; BR_EXIT_HELD, or BR_EXIT_USAGE said on stderr. */
static int load_inputs(run_options *o, char *target_buf, size_t target_cap, br_scenario **sc, br_target **tg)
{
    char err[1024];
    if (o->target_path == NULL)
        o->target_path = br_default_target_path(target_buf, target_cap);
    *sc = br_scenario_load(o->scenario_path, err, sizeof(err));
    *tg = *sc ? br_target_load(o->target_path, err, sizeof(err)) : NULL;
    if (*tg && o->base_url_count && br_target_set_base_urls(*tg, o->base_urls, o->base_url_count) != 0)
        snprintf(err, sizeof(err), "--base-url must be an http:// or https:// URL");
    else if (*tg)
        return BR_EXIT_HELD;
    fprintf(stderr, "bookrace: %s\n", err);
    br_scenario_free(*sc);
    br_target_free(*tg);
    *sc = NULL;
    *tg = NULL;
    return BR_EXIT_USAGE;
}

/* --verify-mongo and its companions: fills |verify| when given. BR_EXIT_HELD or BR_EXIT_USAGE. */
static int setup_verify(const run_options *o, const br_target *tg, br_mongo_verify *verify)
{
    memset(verify, 0, sizeof(*verify));
    if ((o->mongo_db || o->mongo_collection) && o->verify_uri == NULL)
        return br_cli_usage_error(&spec, "--mongo-db and --mongo-collection go with --verify-mongo");
    if (o->verify_uri == NULL)
        return BR_EXIT_HELD;
    if (strncmp(o->verify_uri, "mongodb://", 10) != 0 && strncmp(o->verify_uri, "mongodb+srv://", 14) != 0)
        return br_cli_usage_error(&spec, "--verify-mongo needs a mongodb:// URI, not %s", o->verify_uri);
    char err[1024];
    br_mongo_verify_from_json(verify, tg->mongo, o->target_path, err, sizeof(err)); /* validated at load */
    verify->uri = xstrdup(o->verify_uri);
    verify->db = xstrdup(o->mongo_db ? o->mongo_db : "bookd");
    verify->collection = xstrdup(o->mongo_collection ? o->mongo_collection : "inspections");
    return BR_EXIT_HELD;
}

/* The exit code, the outcome word and the one-line reason of a finished run (verdict.h, docs/oracle.md). */
static int run_outcome(int status, const br_run_result *result, int expect_violation, const char **outcome,
                       char *reason, size_t cap)
{
    reason[0] = '\0';
    if (status == BR_RUN_EINTERRUPTED) {
        *outcome = "interrupted";
        return BR_EXIT_INTERRUPTED;
    }
    if (status == BR_RUN_EINTERNAL) {
        *outcome = "scenario-error";
        snprintf(reason, cap, "%s", result->error);
        return BR_EXIT_USAGE;
    }
    if (status == BR_RUN_ETARGET) {
        *outcome = "target-error";
        snprintf(reason, cap, "the target failed: %s", result->error);
        return BR_EXIT_TARGET;
    }
    size_t counts[5];
    br_run_class_counts(result, counts);
    br_verdict v;
    br_verdict_decide(counts, expect_violation, &v);
    *outcome = v.result;
    snprintf(reason, cap, "%s", v.reason);
    if (v.exit_code == BR_EXIT_TARGET)
        for (size_t i = 0; i < result->trial_count; i++)
            if (result->trials[i].cls == BR_TRIAL_TARGET_ERROR) {
                size_t len = strlen(reason);
                snprintf(reason + len, cap - len, "; it answered %s", result->trials[i].target_answers);
                break;
            }
    return v.exit_code;
}

/* --junit FILE: a copy of the results folder's junit.xml where CI expects it. Returns 0 or -1 (said). */
static int copy_junit(const char *out_dir, const char *junit_path)
{
    char src[4200];
    snprintf(src, sizeof(src), "%s/junit.xml", out_dir);
    size_t len = 0;
    char *data = br_read_file(src, &len);
    int rc = data == NULL || br_write_path_atomic(junit_path, data, len) != 0 ? -1 : 0;
    if (rc != 0)
        fprintf(stderr, "bookrace: cannot write %s\n", junit_path);
    free(data);
    return rc;
}

/* Writes the results folder and the --junit copy; a failure turns a pass into exit 1. */
static int write_outputs(run_options *o, const br_run_config *cfg, const br_run_result *result,
                         const br_run_meta *meta, char *dir_buf, size_t dir_cap, int rc)
{
    char err[1024];
    if (o->out_dir == NULL) {
        br_default_out_dir(dir_buf, dir_cap, cfg->scenario->name);
        o->out_dir = dir_buf;
    }
    int failed = br_results_write(o->out_dir, cfg, result, meta, err, sizeof(err)) != 0;
    if (failed)
        fprintf(stderr, "bookrace: %s\n", err);
    if (o->junit_path != NULL)
        failed |= copy_junit(o->out_dir, o->junit_path) != 0;
    return failed && rc == BR_EXIT_HELD ? BR_EXIT_NOT_HELD : rc;
}

/* The summary on stdout, with every secret value scrubbed like the files. */
static void print_summary(const br_run_config *cfg, const br_run_result *result, const br_run_meta *meta)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    br_results_summary(f, cfg, result, meta);
    fclose(f);
    char *clean = br_redact_text(&result->secrets, text, len, &len, NULL);
    fwrite(clean, 1, len, stdout);
    free(clean);
    free(text);
}

static int run_and_report(run_options *o, br_scenario *sc, br_target *tg, const br_mongo_verify *verify,
                          atomic_int *stop)
{
    json_t *vars = br_vars_merge(sc->variables, tg->variables, o->cli_vars);
    br_run_meta meta = {.scenario_file = o->scenario_path,
                        .target_file = o->target_path,
                        .expect_violation = o->expect_violation,
                        .date_spec = o->date ? o->date : sc->date_spec,
                        .variable_sources = br_vars_sources(sc->variables, tg->variables, o->cli_vars)};
    br_run_config cfg = {.scenario = sc,
                         .target = tg,
                         .repeat = (int)o->repeat,
                         .seed = (uint64_t)o->seed,
                         .quiet = o->quiet,
                         .stop = stop,
                         .verify_mongo = verify,
                         .variables = vars,
                         .free_day = o->free_day};
    cfg.threads = o->threads ? (int)o->threads : br_default_race_threads(sc->actor_count);
    br_new_run_id(cfg.run_id);
    if (o->date) {
        char day[11], err[400];
        br_scenario_resolve_day(o->date, day, err, sizeof(err)); /* checked in check_inputs */
        br_date_parse(day, 10, &cfg.day_us);
    }
    br_run_result result;
    int status = br_run(&cfg, &result);
    char reason[1024];
    int rc = run_outcome(status, &result, o->expect_violation, &meta.outcome, reason, sizeof(reason));
    meta.exit_code = rc;
    meta.reason = reason;
    char dir_buf[4096];
    rc = write_outputs(o, &cfg, &result, &meta, dir_buf, sizeof(dir_buf), rc);
    if (o->quiet) {
        char line[1024];
        snprintf(line, sizeof(line), "%s: %zu/%zu trials reproduced a violation; %s: %s (exit %d)\n",
                 sc->name, br_run_trials_reproduced(&result), result.trial_count, meta.outcome, reason, rc);
        char *clean = br_redact_text(&result.secrets, line, strlen(line), NULL, NULL);
        fputs(clean, stdout);
        free(clean);
    } else {
        print_summary(&cfg, &result, &meta);
        printf("results: %s\n", o->out_dir);
    }
    br_run_result_free(&result);
    json_decref(meta.variable_sources);
    json_decref(vars);
    return rc;
}

/* Whether some template of the profile or the scenario reads ${var.NAME}. */
static int var_used(const br_scenario *sc, const br_target *tg, const char *name)
{
    for (int k = 0; k < BR_OP_COUNT; k++) {
        const br_operation *op = &tg->ops[k];
        if (!op->present)
            continue;
        char *body = op->body ? json_dumps(op->body, JSON_COMPACT) : NULL;
        int used = br_vars_mentioned(op->path, name) || (body && br_vars_mentioned(body, name));
        free(body);
        if (used)
            return 1;
    }
    for (size_t i = 0; i < tg->header_count; i++)
        if (br_vars_mentioned(tg->header_values[i], name))
            return 1;
    for (size_t i = 0; i < sc->step_count; i++)
        if (sc->steps[i].inspector && br_vars_mentioned(sc->steps[i].inspector, name))
            return 1;
    return 0;
}

/* --var names, actor coordinates, --date and --free-day, before anything is sent. BR_EXIT_HELD or USAGE. */
static int check_inputs(const run_options *o, const br_scenario *sc, const br_target *tg)
{
    char err[512];
    json_t *vars = br_vars_merge(sc->variables, tg->variables, o->cli_vars);
    int rc = BR_EXIT_HELD;
    for (size_t i = 0; i < sc->actor_count && rc == BR_EXIT_HELD; i++) {
        double lat = 0, lng = 0;
        const char *address = NULL;
        if (br_vars_actor_override(vars, sc->actors[i].name, &lat, &lng, &address, err, sizeof(err)) < 0)
            rc = br_cli_usage_error(&spec, "%s", err);
    }
    const char *key;
    json_t *v;
    json_object_foreach (o->cli_vars, key, v) {
        int actor_field = 0;
        for (size_t i = 0; i < sc->actor_count; i++) {
            size_t n = strlen(sc->actors[i].name);
            actor_field |= strncmp(key, sc->actors[i].name, n) == 0 && key[n] == '.' &&
                           (!strcmp(key + n + 1, "lat") || !strcmp(key + n + 1, "lng") ||
                            !strcmp(key + n + 1, "address"));
        }
        if (rc == BR_EXIT_HELD && !actor_field && !json_object_get(sc->variables, key) &&
            !json_object_get(tg->variables, key) && !var_used(sc, tg, key))
            rc = br_cli_usage_error(
                &spec, "--var %s: no scenario variable, profile variable, template or actor uses it", key);
    }
    json_decref(vars);
    char day[11];
    if (rc == BR_EXIT_HELD && o->date && br_scenario_resolve_day(o->date, day, err, sizeof(err)) != 0)
        rc = br_cli_usage_error(&spec, "--date: %s", err);
    if (rc == BR_EXIT_HELD && o->free_day && !tg->ops[BR_OP_LIST].present && o->verify_uri == NULL)
        rc = br_cli_usage_error(&spec, "--free-day needs the profile's list operation (or --verify-mongo)");
    return rc;
}

int br_cmd_run(int argc, char **argv, atomic_int *stop)
{
    run_options o = {.repeat = 1, .seed = 1, .cli_vars = json_object()};
    const char *args[1];
    size_t nargs;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, &o, args, &nargs);
    if (parsed != BR_CLI_OK) {
        json_decref(o.cli_vars);
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    }
    o.scenario_path = args[0];
    char target_buf[PATH_MAX + 64];
    br_scenario *sc;
    br_target *tg;
    if (load_inputs(&o, target_buf, sizeof(target_buf), &sc, &tg) != BR_EXIT_HELD) {
        json_decref(o.cli_vars);
        return BR_EXIT_USAGE;
    }
    br_mongo_verify verify;
    int rc = check_inputs(&o, sc, tg);
    if (rc == BR_EXIT_HELD)
        rc = setup_verify(&o, tg, &verify);
    else
        memset(&verify, 0, sizeof(verify));
    if (rc == BR_EXIT_HELD)
        rc = run_and_report(&o, sc, tg, o.verify_uri ? &verify : NULL, stop);
    json_decref(o.cli_vars);
    br_mongo_verify_free(&verify);
    br_scenario_free(sc);
    br_target_free(tg);
    return rc;
}
