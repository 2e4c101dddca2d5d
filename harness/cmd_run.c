/*
 * `bookrace run`: loads a scenario and a target profile, runs the trials
 * (br_run), decides the exit code from the verdicts, writes the results folder
 * (and a --junit copy) and prints the summary. `bookrace check` is beside it
 * (cmd_check.c): it re-runs the oracle on what this writes.
 * Given several scenarios or a folder, it runs a suite (suite.h): each
 * scenario exactly as a single run with the same options, into one results
 * folder with one merged JUnit file.
 */
#include "alloc.h"
#include "cli.h"
#include "commands.h"
#include "datadir.h"
#include "exitcode.h"
#include "jsonload.h"
#include "bookd_proc.h"
#include "race.h"
#include "report.h"
#include "results.h"
#include "scenario.h"
#include "stats.h"
#include "suite.h"
#include "target.h"
#include "util.h"
#include "vars.h"
#include "verdict.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char usage[] =
    "usage: bookrace run SCENARIO.json|DIR... [--target TARGET.json] [--base-url URL]... [--out DIR]\n"
    "                    [--repeat N] [--seed N] [--threads N] [--junit FILE] [--expect-violation] "
    "[--quiet]\n"
    "                    [--verify-mongo URI [--mongo-db NAME] [--mongo-collection inspections]]\n"
    "                    [--var NAME=VALUE | --var NAME:=JSON]... [--date DAY] [--free-day]\n"
    "                    [--until-reproduced]\n"
    "\n"
    "--var       a scenario variable; wins over the profile's variables, which win over the scenario's\n"
    "--date      the day to book: YYYY-MM-DD, today, tomorrow, +14d, +2w, next-weekday, next-monday...\n"
    "--free-day  each trial books the first day (from --date on) its inspectors hold no booking (needs "
    "list)\n"
    "--until-reproduced  stop at the first trial with an invariant violation and say which trial it was;\n"
    "            --repeat N is the cap (default 100 with this flag)\n"
    "\n"
    "Runs the scenario's steps against the target (default scenarios/targets/bookd.json) and checks that\n"
    "no two acknowledged bookings of one inspector overlap and none is lost. Several trials state the\n"
    "reproduction rate k/n over the conclusive trials with its 95% Wilson interval. A scenario expects a "
    "clean\n"
    "run unless it says \"expect\": \"violation\"; --expect-violation expects one of every scenario.\n"
    "Several scenarios or a folder (its *.json, one level deep; matrices, profiles and sub-folders are\n"
    "listed as skipped) run as a suite: each as a single run, into DIR/<scenario>/, with one merged\n"
    "DIR/junit.xml (a test case per scenario and trial), suite.json, summary.txt and index.html.\n"
    "A file not found as given is looked up in $BOOKRACE_DATADIR, the current folder and the installed\n"
    "share/bookrace (bookrace run incident-stale-replay.json works from anywhere).\n"
    "exit codes: 0 the expectation held (no violation; with --expect-violation, an invariant violation)\n"
    "            1 it did not, or every trial was inconclusive; 2 bad command line, scenario or profile;\n"
    "            3 the target failed (unreachable, every request 401/5xx/timeout, health check, nonsense)\n"
    "            130 interrupted (partial results are still written). docs/oracle.md has the table.\n"
    "            a suite: 130, else 2, else 1 for a scenario that failed, else 3, else 1 for an\n"
    "            inconclusive one, else 0\n";

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
    OPT_UNTIL_REPRODUCED,
};

/* Scenario files and folders one command line may name. */
enum { BR_RUN_MAX_PATHS = 64 };
/* --until-reproduced without --repeat: the most trials it runs before saying "not reproduced". */
enum { BR_RUN_UNTIL_REPRODUCED_CAP = 100 };

static const br_cli_option options[] = {
    {"target", 0, 1, OPT_TARGET},
    {"base-url", 0, 1, OPT_BASE_URL},
    {"out", 0, 1, OPT_OUT},
    {"repeat", 0, 1, OPT_REPEAT},
    {"seed", 0, 1, OPT_SEED},
    {"threads", 0, 1, OPT_THREADS},
    {"junit", 0, 1, OPT_JUNIT},
    {"expect-violation", 0, 0, OPT_EXPECT_VIOLATION},
    {"quiet", 0, 0, OPT_QUIET},
    {"verify-mongo", 0, 1, OPT_VERIFY_MONGO},
    {"mongo-db", 0, 1, OPT_MONGO_DB},
    {"mongo-collection", 0, 1, OPT_MONGO_COLLECTION},
    {"var", 0, 1, OPT_VAR},
    {"date", 0, 1, OPT_DATE},
    {"free-day", 0, 0, OPT_FREE_DAY},
    {"until-reproduced", 0, 0, OPT_UNTIL_REPRODUCED},
    {NULL, 0, 0, 0},
};

static const br_cli_spec spec = {.usage = usage,
                                 .options = options,
                                 .min_args = 1,
                                 .max_args = BR_RUN_MAX_PATHS,
                                 .args_missing = "run needs a SCENARIO.json"};

typedef struct {
    const char *scenario_path, *target_path, *out_dir, *junit_path;
    const char *verify_uri, *mongo_db, *mongo_collection;
    char *base_urls[BR_MAX_BASE_URLS];
    size_t base_url_count;
    long repeat, seed, threads;
    int expect_violation, quiet, free_day, until_reproduced, repeat_given;
    json_t *cli_vars; /* --var, in order: a later one wins */
    const char *date;
    int day_offset; /* a suite's scenario k books after the days of scenarios 0..k-1 */
    char scenario_buf[PATH_MAX];
    /* What the run showed, for a suite's report. */
    const char *outcome;
    size_t trials, trials_with_violations;
    size_t reproduced, conclusive; /* the rate: violations among the conclusive trials */
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
        o->repeat_given = 1;
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
    case OPT_UNTIL_REPRODUCED:
        o->until_reproduced = 1;
        return 0;
    }
    return -1;
}

/* The scenario, the profile and its --base-url overrides; BR_EXIT_HELD, or BR_EXIT_USAGE said on stderr. */
static int load_inputs(run_options *o, char *target_buf, size_t target_cap, br_scenario **sc, br_target **tg)
{
    char err[1024];
    *sc = NULL;
    *tg = NULL;
    if (br_datadir_target(o->target_path, target_buf, target_cap, err, sizeof(err)) == 0 &&
        br_datadir_scenario(o->scenario_path, o->scenario_buf, sizeof(o->scenario_buf), err, sizeof(err)) ==
            0) {
        o->target_path = target_buf;
        o->scenario_path = o->scenario_buf;
        *sc = br_scenario_load(o->scenario_path, err, sizeof(err));
    }
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

/* --until-reproduced: the run ends after the first trial classed as an invariant violation. */
static int stop_at_violation(void *arg, const br_trial *trial)
{
    (void)arg;
    return trial->cls == BR_TRIAL_VIOLATION;
}

/* The one line of --quiet, scrubbed of secrets. */
static void print_quiet_line(const br_scenario *sc, const br_run_result *result, const br_run_meta *meta,
                             const char *reason, int rc)
{
    size_t k, n, first;
    char rate[128], line[2400] /* name and reason < 1024 bytes each */, until[96] = "";
    br_run_reproduction(result, &k, &n, &first);
    if (meta->until_reproduced && first)
        snprintf(until, sizeof(until), " (first at trial %zu, after %zu trial%s)", first - 1, first,
                 first == 1 ? "" : "s"); /* the index every "trial N:" line uses, and the count */
    snprintf(line, sizeof(line), "%s: %s%s; %s: %s (exit %d)\n", sc->name,
             br_run_rate_phrase(k, n, rate, sizeof(rate)), until, meta->outcome, reason, rc);
    char *clean = br_redact_text(&result->secrets, line, strlen(line), NULL, NULL);
    fputs(clean, stdout);
    free(clean);
}

static int run_and_report(run_options *o, br_scenario *sc, br_target *tg, const br_mongo_verify *verify,
                          atomic_int *stop)
{
    json_t *vars = br_vars_merge(sc->variables, tg->variables, o->cli_vars);
    br_run_meta meta = {.scenario_file = o->scenario_path,
                        .target_file = o->target_path,
                        /* The scenario's own expectation, unless the command line asks for one everywhere. */
                        .expect_violation = o->expect_violation || sc->expect_violation,
                        .date_spec = o->date ? o->date : sc->date_spec,
                        .variable_sources = br_vars_sources(sc->variables, tg->variables, o->cli_vars),
                        .until_reproduced = o->until_reproduced};
    br_run_config cfg = {.scenario = sc,
                         .target = tg,
                         .repeat = (int)o->repeat,
                         .day_offset = o->day_offset,
                         .seed = (uint64_t)o->seed,
                         .quiet = o->quiet,
                         .stop = stop,
                         .verify_mongo = verify,
                         .variables = vars,
                         .free_day = o->free_day,
                         .after_trial = o->until_reproduced ? stop_at_violation : NULL};
    cfg.threads = o->threads ? (int)o->threads : br_default_race_threads(sc->actor_count);
    br_new_run_id(cfg.run_id);
    if (o->date) {
        char day[11], err[400];
        br_scenario_resolve_day(o->date, day, err, sizeof(err)); /* checked in check_inputs */
        br_date_parse(day, 10, &cfg.day_us);
    }
    if (o->out_dir && br_mkdir_p(o->out_dir) != 0) { /* before the trials, not after them */
        fprintf(stderr, "bookrace: cannot create %s: %s\n", o->out_dir, strerror(errno));
        json_decref(vars);
        json_decref(meta.variable_sources);
        return BR_EXIT_USAGE;
    }
    br_run_result result;
    int status = br_run(&cfg, &result);
    char reason[1024];
    int rc = run_outcome(status, &result, meta.expect_violation, &meta.outcome, reason, sizeof(reason));
    meta.exit_code = rc;
    meta.reason = reason;
    char dir_buf[4096];
    rc = write_outputs(o, &cfg, &result, &meta, dir_buf, sizeof(dir_buf), rc);
    if (o->quiet) {
        print_quiet_line(sc, &result, &meta, reason, rc);
    } else {
        print_summary(&cfg, &result, &meta);
        printf("results: %s\n", o->out_dir);
    }
    o->outcome = meta.outcome;
    o->trials = result.trial_count;
    o->trials_with_violations = br_run_trials_with_violations(&result);
    size_t first;
    br_run_reproduction(&result, &o->reproduced, &o->conclusive, &first);
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

/* One scenario, as parsed into |o|: load, run, write, print. */
static int run_single(run_options *o, atomic_int *stop)
{
    char target_buf[PATH_MAX + 64];
    br_scenario *sc;
    br_target *tg;
    if (load_inputs(o, target_buf, sizeof(target_buf), &sc, &tg) != BR_EXIT_HELD)
        return BR_EXIT_USAGE;
    br_mongo_verify verify;
    int rc = check_inputs(o, sc, tg);
    if (rc == BR_EXIT_HELD)
        rc = setup_verify(o, tg, &verify);
    else
        memset(&verify, 0, sizeof(verify));
    if (rc == BR_EXIT_HELD)
        rc = run_and_report(o, sc, tg, o->verify_uri ? &verify : NULL, stop);
    br_mongo_verify_free(&verify);
    br_scenario_free(sc);
    br_target_free(tg);
    return rc;
}

/* ---- several scenarios or a folder: a suite (suite.h) -------------------------------------------------- */

typedef struct {
    char name[80]; /* the scenario's name, made unique in the suite: its results subfolder */
    const char *path;
    int expect_violation;
    int exit_code;
    const char *outcome; /* "not-run" when the suite was interrupted before it */
    size_t trials, trials_with_violations;
    size_t reproduced, conclusive;
} suite_row;

/* Resolves the paths, expands folders and loads every scenario before a request is sent. */
static int suite_prepare(const run_options *o, const char **args, size_t nargs, br_suite_list *list,
                         suite_row **rows, size_t *nrows)
{
    char err[2048], target[PATH_MAX + 64];
    char(*resolved)[PATH_MAX] = xcalloc(nargs, PATH_MAX);
    const char *paths[BR_RUN_MAX_PATHS];
    int rc = BR_EXIT_HELD;
    for (size_t i = 0; i < nargs && rc == BR_EXIT_HELD; i++) {
        rc = br_datadir_scenario(args[i], resolved[i], PATH_MAX, err, sizeof(err)) ? BR_EXIT_USAGE : rc;
        paths[i] = resolved[i];
    }
    if (rc == BR_EXIT_HELD && br_suite_collect(paths, nargs, list, err, sizeof(err)) != 0)
        rc = BR_EXIT_USAGE;
    br_target *tg = NULL;
    if (rc == BR_EXIT_HELD && (br_datadir_target(o->target_path, target, sizeof(target), err, sizeof(err)) ||
                               (tg = br_target_load(target, err, sizeof(err))) == NULL))
        rc = BR_EXIT_USAGE;
    br_target_free(tg);
    *rows = xcalloc(list->count + 1, sizeof(suite_row));
    *nrows = 0;
    for (size_t i = 0; i < list->count && rc == BR_EXIT_HELD; i++) {
        if (list->items[i].skip_reason) {
            fprintf(stderr, "bookrace: skipping %s: %s\n", list->items[i].path, list->items[i].skip_reason);
            continue;
        }
        br_scenario *sc = br_scenario_load(list->items[i].path, err, sizeof(err));
        if (sc == NULL) {
            rc = BR_EXIT_USAGE;
            break;
        }
        suite_row *r = &(*rows)[(*nrows)++];
        r->path = list->items[i].path;
        r->expect_violation = o->expect_violation || sc->expect_violation;
        r->outcome = "not-run";
        snprintf(r->name, sizeof(r->name), "%s", sc->name);
        for (int k = 2; k < 1000; k++) { /* the same scenario twice gets its own folder */
            int clash = 0;
            for (size_t j = 0; j + 1 < *nrows; j++)
                clash |= strcmp((*rows)[j].name, r->name) == 0;
            if (!clash)
                break;
            snprintf(r->name, sizeof(r->name), "%s-%d", sc->name, k);
        }
        br_scenario_free(sc);
    }
    if (rc != BR_EXIT_HELD)
        fprintf(stderr, "bookrace: %s\n", err);
    free(resolved);
    return rc;
}

/* Writes OUT/<name>/report.html from the run.json the run left there (a failure only says so). */
static void suite_report_html(const char *dir)
{
    char path[4300], err[4400];
    snprintf(path, sizeof(path), "%s/run.json", dir);
    json_t *doc = br_json_load_file(path, err, sizeof(err));
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);
    int rc = doc ? br_report_html(doc, f, err, sizeof(err)) : -1;
    fclose(f);
    if (rc == 0 && br_write_file_atomic(dir, "report.html", html, len) != 0)
        snprintf(err, sizeof(err), "cannot write %s/report.html: %s", dir, strerror(errno));
    if (rc != 0)
        fprintf(stderr, "bookrace: no report.html in %s: %s\n", dir, err);
    json_decref(doc);
    free(html);
}

static const char *expectation_word(int expect_violation)
{
    return expect_violation ? "violation" : "clean";
}

/* summary.txt (and stdout): one line per scenario, then the verdict. */
static void suite_summary(FILE *f, const suite_row *rows, size_t n, const br_suite_list *list, int rc)
{
    char rate[128];
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%-14s %-28s expect %-9s %s (exit %d)  %s\n", rows[i].outcome, rows[i].name,
                expectation_word(rows[i].expect_violation),
                br_run_rate_phrase(rows[i].reproduced, rows[i].conclusive, rate, sizeof(rate)),
                rows[i].exit_code, rows[i].path);
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].skip_reason)
            fprintf(f, "%-14s %s: %s\n", "skipped", list->items[i].path, list->items[i].skip_reason);
    size_t passed = 0;
    for (size_t i = 0; i < n; i++)
        passed += strcmp(rows[i].outcome, "pass") == 0;
    fprintf(f, "suite: %zu/%zu scenarios held their expectation (exit %d)\n", passed, n, rc);
}

static json_t *suite_json(const suite_row *rows, size_t n, const br_suite_list *list, const char *target,
                          int rc)
{
    json_t *scenarios = json_array(), *skipped = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            scenarios,
            json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:s, s:o}", "name", rows[i].name, "file",
                      rows[i].path, "expectation", expectation_word(rows[i].expect_violation), "outcome",
                      rows[i].outcome, "exitCode", rows[i].exit_code, "trials", (json_int_t)rows[i].trials,
                      "trialsWithViolations", (json_int_t)rows[i].trials_with_violations, "results",
                      rows[i].name, "reproduction", br_rate_json(rows[i].reproduced, rows[i].conclusive)));
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].skip_reason)
            json_array_append_new(skipped, json_pack("{s:s, s:s}", "path", list->items[i].path, "reason",
                                                     list->items[i].skip_reason));
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:i}", "schema", BR_SUITE_SCHEMA, "target", target, "outcome",
                     rc == BR_EXIT_HELD ? "pass" : "fail", "scenarios", scenarios, "skipped", skipped,
                     "exitCode", rc);
}

static void suite_index_html(FILE *f, const suite_row *rows, size_t n, int rc)
{
    fputs("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>bookrace suite</title>\n"
          "<style>body{font-family:sans-serif}td,th{padding:2px 10px;text-align:left}"
          ".pass{color:#070}.fail,.target-error,.inconclusive,.scenario-error{color:#b00}</style>\n"
          "</head><body>\n",
          f);
    fprintf(f,
            "<h1>bookrace suite: exit %d</h1>\n<table>\n<tr><th>scenario</th><th>expected</th>"
            "<th>outcome</th><th>reproduced (conclusive trials, 95%% CI)</th><th>file</th></tr>\n",
            rc);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td><a href=\"", f);
        br_xml_escape(f, rows[i].name);
        fputs("/report.html\">", f);
        br_xml_escape(f, rows[i].name);
        char rate[64];
        fprintf(f, "</a></td><td>%s</td><td class=\"%s\">%s</td><td>%s</td><td>",
                expectation_word(rows[i].expect_violation), rows[i].outcome, rows[i].outcome,
                br_rate_format(rows[i].reproduced, rows[i].conclusive, rate, sizeof(rate)));
        br_xml_escape(f, rows[i].path);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n</body></html>\n", f);
}

/* Writes |fill|'s text to |dir|/|name| atomically. Returns 0, or -1 (said on stderr). */
static int write_text(const char *dir, const char *name, void (*fill)(FILE *, const void *), const void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fill(f, arg);
    fclose(f);
    int rc = br_write_file_atomic(dir, name, buf, len);
    if (rc != 0)
        fprintf(stderr, "bookrace: cannot write %s/%s: %s\n", dir, name, strerror(errno));
    free(buf);
    return rc;
}

typedef struct {
    const suite_row *rows;
    size_t n;
    const br_suite_list *list;
    const char *target;
    int rc;
} suite_outputs;

static void fill_summary_txt(FILE *f, const void *arg)
{
    const suite_outputs *s = arg;
    suite_summary(f, s->rows, s->n, s->list, s->rc);
}

static void fill_index_html(FILE *f, const void *arg)
{
    const suite_outputs *s = arg;
    suite_index_html(f, s->rows, s->n, s->rc);
}

static void fill_suite_json(FILE *f, const void *arg)
{
    const suite_outputs *s = arg;
    json_t *doc = suite_json(s->rows, s->n, s->list, s->target, s->rc);
    json_dumpf(doc, f, JSON_INDENT(1));
    fputc('\n', f);
    json_decref(doc);
}

/* OUT/junit.xml from every scenario's junit.xml, and the --junit copy. Returns 0 or -1 (said). */
static int suite_junit(const char *out_dir, const suite_row *rows, size_t n, const char *junit_path)
{
    char **docs = xcalloc(n + 1, sizeof(char *)), path[4400];
    size_t got = 0, len = 0;
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s/junit.xml", out_dir, rows[i].name);
        if (strcmp(rows[i].outcome, "not-run") != 0 && (docs[got] = br_read_file(path, &len)) != NULL)
            got++;
    }
    char *buf = NULL;
    FILE *f = open_memstream(&buf, &len);
    int rc = br_suite_junit_merge((const char *const *)docs, got, f) < 0 ? -1 : 0;
    fclose(f);
    snprintf(path, sizeof(path), "%s/junit.xml", out_dir);
    if (rc != 0 || br_write_path_atomic(path, buf, len) != 0 ||
        (junit_path && br_write_path_atomic(junit_path, buf, len) != 0)) {
        fprintf(stderr, "bookrace: cannot write the suite's JUnit file (%s%s%s)\n", path,
                junit_path ? ", " : "", junit_path ? junit_path : "");
        rc = -1;
    }
    for (size_t i = 0; i < got; i++)
        free(docs[i]);
    free(docs);
    free(buf);
    return rc;
}

/* Runs every row as a single run into OUT/<name>/; stops at an interruption. */
static void suite_run_rows(const run_options *o, const char *out_dir, suite_row *rows, size_t n,
                           atomic_int *stop)
{
    for (size_t i = 0; i < n && !atomic_load(stop); i++) {
        run_options one = *o;
        char dir[4200];
        snprintf(dir, sizeof(dir), "%s/%s", out_dir, rows[i].name);
        one.scenario_path = rows[i].path;
        one.out_dir = dir;
        one.junit_path = NULL;
        one.day_offset = (int)(i * (size_t)o->repeat);
        one.outcome = "scenario-error"; /* unless the run gets as far as a verdict */
        rows[i].exit_code = run_single(&one, stop);
        rows[i].outcome = one.outcome;
        /* A verdict of "pass" whose results could not be written is not a pass. */
        if (rows[i].exit_code == BR_EXIT_NOT_HELD && strcmp(one.outcome, "pass") == 0)
            rows[i].outcome = "fail";
        rows[i].trials = one.trials;
        rows[i].trials_with_violations = one.trials_with_violations;
        rows[i].reproduced = one.reproduced;
        rows[i].conclusive = one.conclusive;
        suite_report_html(dir);
    }
}

static int run_suite(run_options *o, const char **args, size_t nargs, atomic_int *stop)
{
    br_suite_list list = {0};
    suite_row *rows = NULL;
    size_t n = 0;
    int rc = suite_prepare(o, args, nargs, &list, &rows, &n);
    char dir_buf[4096];
    if (rc == BR_EXIT_HELD && o->out_dir == NULL) {
        br_default_out_dir(dir_buf, sizeof(dir_buf), "suite");
        o->out_dir = dir_buf;
    }
    if (rc == BR_EXIT_HELD && br_mkdir_p(o->out_dir) != 0) {
        fprintf(stderr, "bookrace: cannot create %s: %s\n", o->out_dir, strerror(errno));
        rc = BR_EXIT_USAGE;
    }
    if (rc == BR_EXIT_HELD) {
        suite_run_rows(o, o->out_dir, rows, n, stop);
        const char **outcomes = xcalloc(n + 1, sizeof(char *));
        for (size_t i = 0; i < n; i++)
            outcomes[i] = strcmp(rows[i].outcome, "not-run") == 0 ? "interrupted" : rows[i].outcome;
        rc = br_suite_exit_code(outcomes, n);
        free(outcomes);
        char target[PATH_MAX + 64], err[1024];
        if (br_datadir_target(o->target_path, target, sizeof(target), err, sizeof(err)) != 0)
            snprintf(target, sizeof(target), "%s", o->target_path ? o->target_path : BR_DEFAULT_TARGET);
        suite_outputs out = {rows, n, &list, target, rc};
        int failed = suite_junit(o->out_dir, rows, n, o->junit_path) != 0;
        failed |= write_text(o->out_dir, "suite.json", fill_suite_json, &out) != 0;
        failed |= write_text(o->out_dir, "summary.txt", fill_summary_txt, &out) != 0;
        failed |= write_text(o->out_dir, "index.html", fill_index_html, &out) != 0;
        if (failed && rc == BR_EXIT_HELD)
            rc = out.rc = BR_EXIT_NOT_HELD;
        printf("\n");
        suite_summary(stdout, rows, n, &list, rc);
        printf("results: %s (junit.xml, index.html)\n", o->out_dir);
    }
    free(rows);
    br_suite_list_free(&list);
    return rc;
}

int br_cmd_run(int argc, char **argv, atomic_int *stop)
{
    run_options o = {.repeat = 1, .seed = 1, .cli_vars = json_object()};
    const char *args[BR_RUN_MAX_PATHS];
    size_t nargs;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, &o, args, &nargs);
    if (parsed != BR_CLI_OK) {
        json_decref(o.cli_vars);
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    }
    if (o.until_reproduced && !o.repeat_given)
        o.repeat = BR_RUN_UNTIL_REPRODUCED_CAP;
    char err[2048], first[PATH_MAX];
    struct stat st;
    int rc;
    if (nargs == 1 && br_datadir_scenario(args[0], first, sizeof(first), err, sizeof(err)) == 0 &&
        stat(first, &st) == 0 && S_ISREG(st.st_mode)) {
        o.scenario_path = args[0];
        rc = run_single(&o, stop);
    } else
        rc = run_suite(&o, args, nargs, stop);
    json_decref(o.cli_vars);
    return rc;
}
