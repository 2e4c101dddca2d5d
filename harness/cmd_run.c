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

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: bookrace run SCENARIO.json [--target TARGET.json] [--base-url URL]... [--out DIR]\n"
    "                    [--repeat N] [--seed N] [--threads N] [--junit FILE] [--expect-violation] "
    "[--quiet]\n"
    "                    [--verify-mongo URI [--mongo-db NAME] [--mongo-collection inspections]]\n"
    "\n"
    "Runs the scenario's steps against the target (default scenarios/targets/bookd.json) and checks that\n"
    "no two acknowledged bookings of one inspector overlap and none is lost.\n"
    "exit codes: 0 the expectation held (no violation; with --expect-violation, at least one reproduced)\n"
    "            1 it did not; 2 bad command line, scenario or profile; 3 the target could not be reached\n"
    "            or answered nonsense; 130 interrupted (partial results are still written)\n";

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
};

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
    {NULL, 0, 0, 0},
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
    int expect_violation, quiet;
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

/* The exit code and the outcome word of a finished run. */
static int run_outcome(int status, const br_run_result *result, int expect_violation, const char **outcome)
{
    size_t with = br_run_trials_with_violations(result);
    if (status == BR_RUN_EINTERRUPTED) {
        *outcome = "interrupted";
        return BR_EXIT_INTERRUPTED;
    }
    if (status == BR_RUN_ETARGET) {
        *outcome = "target-error";
        return BR_EXIT_TARGET;
    }
    if (status == BR_RUN_EINTERNAL) {
        *outcome = "scenario-error";
        return BR_EXIT_USAGE;
    }
    if (result->trial_count > 0 && br_run_trials_inconclusive(result) == result->trial_count && with == 0) {
        /* Nothing raced in any trial: neither "no violation" nor "reproduced" has been shown. */
        *outcome = "inconclusive";
        return BR_EXIT_NOT_HELD;
    }
    int held = expect_violation ? with > 0 : with == 0;
    *outcome = held ? "pass" : "fail";
    return held ? BR_EXIT_HELD : BR_EXIT_NOT_HELD;
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

static int run_and_report(run_options *o, br_scenario *sc, br_target *tg, const br_mongo_verify *verify,
                          atomic_int *stop)
{
    br_run_config cfg = {.scenario = sc,
                         .target = tg,
                         .repeat = (int)o->repeat,
                         .seed = (uint64_t)o->seed,
                         .quiet = o->quiet,
                         .stop = stop,
                         .verify_mongo = verify};
    cfg.threads = o->threads ? (int)o->threads : br_default_race_threads(sc->actor_count);
    br_new_run_id(cfg.run_id);
    br_run_result result;
    int status = br_run(&cfg, &result);
    br_run_meta meta = {.scenario_file = o->scenario_path,
                        .target_file = o->target_path,
                        .expect_violation = o->expect_violation};
    int rc = run_outcome(status, &result, o->expect_violation, &meta.outcome);
    meta.exit_code = rc;
    char dir_buf[4096];
    rc = write_outputs(o, &cfg, &result, &meta, dir_buf, sizeof(dir_buf), rc);
    if (o->quiet) {
        printf("%s: %zu/%zu trials reproduced a violation; %s (exit %d)\n", sc->name,
               br_run_trials_with_violations(&result), result.trial_count, meta.outcome, rc);
    } else {
        br_results_summary(stdout, &cfg, &result, &meta);
        printf("results: %s\n", o->out_dir);
    }
    br_run_result_free(&result);
    return rc;
}

int br_cmd_run(int argc, char **argv, atomic_int *stop)
{
    run_options o = {.repeat = 1, .seed = 1};
    const char *args[1];
    size_t nargs;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, &o, args, &nargs);
    if (parsed != BR_CLI_OK)
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    o.scenario_path = args[0];
    char target_buf[PATH_MAX + 64];
    br_scenario *sc;
    br_target *tg;
    if (load_inputs(&o, target_buf, sizeof(target_buf), &sc, &tg) != BR_EXIT_HELD)
        return BR_EXIT_USAGE;
    br_mongo_verify verify;
    int rc = setup_verify(&o, tg, &verify);
    if (rc == BR_EXIT_HELD)
        rc = run_and_report(&o, sc, tg, o.verify_uri ? &verify : NULL, stop);
    br_mongo_verify_free(&verify);
    br_scenario_free(sc);
    br_target_free(tg);
    return rc;
}
