/*
 * `bookrace shrink RUN.json`: from a run that found an invariant violation,
 * the smallest scenario that still reproduces it, written as a scenario file a
 * team commits as its regression test. It starts from the actors of one
 * violating pair and the steps they read (shrink.h), falls back to the whole
 * scenario when that pair alone does not reproduce, then drops chunks of
 * actors and of steps (ddmin) while the smaller scenario reproduces the same
 * kind of violation at the required rate: every candidate runs --trials times
 * against the target, judged on the 95% Wilson interval (stats.h), and a
 * candidate that can no longer reach the rate stops early. Every trial books a
 * day of its own, after the run's days, so candidates never meet each other's
 * bookings. The search is pure (shrink.c); this file runs and reports it.
 */
#include "alloc.h"
#include "cli.h"
#include "commands.h"
#include "datadir.h"
#include "exitcode.h"
#include "iso8601.h"
#include "jsonload.h"
#include "race.h"
#include "redact.h"
#include "results.h"
#include "scenario.h"
#include "shrink.h"
#include "stats.h"
#include "target.h"
#include "util.h"
#include "vars.h"
#include "verdict.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: bookrace shrink RUN.json [-o MINIMAL.json] [--trials N] [--min-rate R] [--target TARGET.json]\n"
    "                       [--base-url URL]... [--var NAME=VALUE]... [--date DAY] [--threads N] [--quiet]\n"
    "\n"
    "-o          the minimal scenario (default <scenario>-minimal.json in the current folder)\n"
    "--trials    trials per candidate (default 10)\n"
    "--min-rate  the reproduction rate a candidate must show: the whole 95% Wilson interval at or above it\n"
    "            (default 0.5; with 10 trials that takes 9/10)\n"
    "--target    the profile (default: the run's; its base URLs too unless --base-url is given)\n"
    "--date      the first day candidates book (default: the day after the run's last trial)\n"
    "\n"
    "Reads a run.json with an invariant violation and writes the smallest scenario that still reproduces\n"
    "it: the actors of one violating pair plus any whose step they read (a hold their book converts,\n"
    "another actor's pick), only the steps they need, the same release and timing. Each candidate runs\n"
    "against the target and is kept when it reproduces the same kind of violation at the required rate;\n"
    "then chunks of actors and of steps are dropped while it still does (delta debugging). The file loads\n"
    "with bookrace run. docs/scenarios.md, \"Shrinking a run\".\n"
    "exit codes: 0 a minimal scenario was written; 1 the run's scenario no longer reproduces at the rate\n"
    "            (nothing written); 2 bad command line, or a run.json without a violation to shrink;\n"
    "            3 the target failed; 130 interrupted (the smallest scenario found so far is written)\n";

enum {
    OPT_OUT = BR_CLI_FIRST_ID,
    OPT_TRIALS,
    OPT_MIN_RATE,
    OPT_TARGET,
    OPT_BASE_URL,
    OPT_VAR,
    OPT_DATE,
    OPT_THREADS,
    OPT_QUIET,
};

static const br_cli_option options[] = {
    {"out", 'o', 1, OPT_OUT},         {"trials", 0, 1, OPT_TRIALS},
    {"min-rate", 0, 1, OPT_MIN_RATE}, {"target", 0, 1, OPT_TARGET},
    {"base-url", 0, 1, OPT_BASE_URL}, {"var", 0, 1, OPT_VAR},
    {"date", 0, 1, OPT_DATE},         {"threads", 0, 1, OPT_THREADS},
    {"quiet", 0, 0, OPT_QUIET},       {NULL, 0, 0, 0},
};

static const br_cli_spec spec = {.usage = usage,
                                 .options = options,
                                 .min_args = 1,
                                 .max_args = 1,
                                 .args_missing = "shrink needs a RUN.json"};

typedef struct {
    const char *run_path, *out_path, *target_path, *date;
    char *base_urls[BR_MAX_BASE_URLS];
    size_t base_url_count;
    long trials, threads;
    double min_rate;
    int quiet;
    json_t *cli_vars;
} shrink_options;

static int on_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    shrink_options *o = arg;
    char *end;
    switch (id) {
    case OPT_OUT:
        o->out_path = v;
        return 0;
    case OPT_TRIALS:
        return br_cli_long(v, 1, 1000, &o->trials);
    case OPT_MIN_RATE:
        o->min_rate = strtod(v, &end);
        return *v && *end == '\0' && o->min_rate > 0 && o->min_rate <= 1 ? 0 : -1;
    case OPT_TARGET:
        o->target_path = v;
        return 0;
    case OPT_BASE_URL:
        return br_target_add_base_url_arg(o->base_urls, &o->base_url_count, v, err, errlen);
    case OPT_VAR:
        return br_var_parse_arg(o->cli_vars, v, err, errlen);
    case OPT_DATE:
        o->date = v;
        return 0;
    case OPT_THREADS:
        return br_cli_long(v, 1, 256, &o->threads);
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
    }
    return -1;
}

/* Everything the search reads and what it has spent. */
typedef struct {
    const shrink_options *o;
    json_t *run, *source; /* run.json, the original scenario's document */
    br_scenario *sc;
    br_target *tg;
    json_t *vars; /* the variables candidates run with */
    json_t *cli_vars;
    br_shrink_witness w;
    int have_witness;
    int64_t day_us;
    int day_offset;
    size_t candidates, trials;
    size_t best_k, best_n; /* the rate of the last kept candidate: the result's */
    atomic_int *stop;
    char target_file[PATH_MAX + 64];
} shrink_ctx;

/* What one candidate showed. */
typedef struct {
    size_t k, n, total;
    int accepted, hopeless;
    int status; /* BR_RUN_* */
    char error[1100];
} candidate_result;

/* ---- inputs -------------------------------------------------------------------------------------------- */

/* The original scenario: run.json's scenario.source, or the file it names. NULL with |err|. */
static json_t *load_source(json_t *run, const char *run_path, char *err, size_t errlen)
{
    json_t *scenario = json_object_get(run, "scenario");
    json_t *source = json_object_get(scenario, "source");
    if (json_is_object(source))
        return json_incref(source);
    const char *file = json_string_value(json_object_get(scenario, "file"));
    if (file == NULL) {
        snprintf(err, errlen, "%s: scenario.source and scenario.file are both missing", run_path);
        return NULL;
    }
    return br_json_load_file(file, err, errlen);
}

/* The variables the run got from its command line, then ours on top. */
static json_t *command_line_vars(json_t *run, json_t *ours)
{
    json_t *vars = json_object(), *values = json_object_get(run, "variables"), *v;
    const char *key;
    json_object_foreach (json_object_get(run, "variableSources"), key, v)
        if (json_is_string(v) && strcmp(json_string_value(v), "command line") == 0 &&
            json_object_get(values, key))
            json_object_set(vars, key, json_object_get(values, key));
    json_object_update(vars, ours);
    return vars;
}

/* The profile: --target, else the run's (with its base URLs unless --base-url). BR_EXIT_HELD or USAGE. */
static int load_target(shrink_ctx *c, char *err, size_t errlen)
{
    json_t *target = json_object_get(c->run, "target");
    const char *given =
        c->o->target_path ? c->o->target_path : json_string_value(json_object_get(target, "file"));
    if (br_datadir_target(given, c->target_file, sizeof(c->target_file), err, errlen) != 0 ||
        (c->tg = br_target_load(c->target_file, err, errlen)) == NULL) {
        if (c->o->target_path == NULL) { /* a run.json from another machine names a profile not here */
            size_t len = strlen(err);
            snprintf(err + len, errlen - len, " (the profile the run names in target.file; give --target)");
        }
        return BR_EXIT_USAGE;
    }
    char *urls[BR_MAX_BASE_URLS];
    size_t n = 0;
    if (c->o->base_url_count) {
        n = c->o->base_url_count;
        memcpy(urls, c->o->base_urls, n * sizeof(char *));
    } else if (c->o->target_path == NULL) {
        size_t i;
        json_t *u;
        json_array_foreach (json_object_get(target, "baseUrls"), i, u)
            if (json_is_string(u) && n < BR_MAX_BASE_URLS)
                urls[n++] = (char *)json_string_value(u);
    }
    if (n && br_target_set_base_urls(c->tg, urls, n) != 0) {
        snprintf(err, errlen, "--base-url must be an http:// or https:// URL");
        return BR_EXIT_USAGE;
    }
    return BR_EXIT_HELD;
}

/* The first day candidates book: --date, else the day after the run's last trial. 0 or -1 with |err|. */
static int first_day(shrink_ctx *c, char *err, size_t errlen)
{
    char day[11];
    if (c->o->date) {
        if (br_scenario_resolve_day(c->o->date, day, err, errlen) != 0)
            return -1;
        return br_date_parse(day, 10, &c->day_us) == 0 ? 0 : -1;
    }
    json_t *trials = json_object_get(c->run, "trials");
    const char *last =
        json_string_value(json_object_get(json_array_get(trials, json_array_size(trials) - 1), "date"));
    if (last == NULL || br_date_parse(last, strlen(last), &c->day_us) != 0)
        br_date_parse(c->sc->date, 10, &c->day_us);
    c->day_us += 86400 * BR_USEC_PER_SEC;
    return 0;
}

static int load_inputs(shrink_ctx *c)
{
    char err[2048];
    c->run = br_json_load_file(c->o->run_path, err, sizeof(err));
    const char *schema = c->run ? json_string_value(json_object_get(c->run, "schema")) : NULL;
    if (c->run && (schema == NULL || strcmp(schema, BR_RUN_SCHEMA) != 0))
        snprintf(err, sizeof(err), "%s: not a bookrace run (schema must be \"%s\")", c->o->run_path,
                 BR_RUN_SCHEMA);
    else if (c->run && (c->source = load_source(c->run, c->o->run_path, err, sizeof(err))) != NULL)
        c->sc = br_scenario_from_json(c->source, c->o->run_path, err, sizeof(err));
    int rc = c->sc ? br_shrink_find_witness(c->run, c->sc, &c->w, err, sizeof(err)) : -1;
    if (rc == 0 || rc == -1) {
        fprintf(stderr, "bookrace: %s%s%s\n", c->sc ? c->o->run_path : "", c->sc ? ": " : "", err);
        return BR_EXIT_USAGE;
    }
    c->have_witness = 1;
    if (load_target(c, err, sizeof(err)) != BR_EXIT_HELD || first_day(c, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        return BR_EXIT_USAGE;
    }
    c->cli_vars = command_line_vars(c->run, c->o->cli_vars);
    c->vars = br_vars_merge(c->sc->variables, c->tg->variables, c->cli_vars);
    return BR_EXIT_HELD;
}

/* ---- running a candidate ------------------------------------------------------------------------------- */

typedef struct {
    const shrink_ctx *c;
    candidate_result *r;
} tracker;

/* Whether a trial reproduced the witness: an invariant violation of the same kind. */
static int reproduces(const br_trial *t, const br_shrink_witness *w)
{
    if (t->cls != BR_TRIAL_VIOLATION)
        return 0;
    for (size_t i = 0; i < t->violations.count; i++)
        if (strcmp(br_violation_kind_name(t->violations.items[i].kind), w->kind) == 0)
            return 1;
    return 0;
}

/* After each trial: stop at --trials conclusive ones, or as soon as the rate is out of reach. */
static int track_trial(void *arg, const struct br_trial *t)
{
    tracker *tr = arg;
    size_t want = (size_t)tr->c->o->trials;
    tr->r->total++;
    if (t->cls == BR_TRIAL_VIOLATION || t->cls == BR_TRIAL_EXPECTATION || t->cls == BR_TRIAL_CLEAN) {
        tr->r->n++;
        tr->r->k += (size_t)reproduces(t, &tr->c->w);
    }
    if (tr->r->n >= want)
        return 1;
    tr->r->hopeless = br_rate_at_least(tr->r->k + (want - tr->r->n), want, tr->c->o->min_rate) != 1;
    return tr->r->hopeless;
}

/* Runs |doc| --trials times (at most twice that many when some are inconclusive). */
static void run_candidate(shrink_ctx *c, json_t *doc, candidate_result *r)
{
    memset(r, 0, sizeof(*r));
    char err[1024];
    br_scenario *sc = br_scenario_from_json(doc, "candidate", err, sizeof(err));
    if (sc == NULL) { /* not reached: candidates are closed under what they read */
        snprintf(r->error, sizeof(r->error), "%s", err);
        r->status = BR_RUN_EINTERNAL;
        return;
    }
    tracker tr = {c, r};
    br_run_config cfg = {.scenario = sc,
                         .target = c->tg,
                         .repeat = (int)(2 * c->o->trials),
                         .day_offset = c->day_offset,
                         .seed = 1,
                         .quiet = 1,
                         .stop = c->stop,
                         .variables = c->vars,
                         .day_us = c->day_us,
                         .after_trial = track_trial,
                         .after_trial_arg = &tr};
    cfg.threads = c->o->threads ? (int)c->o->threads : br_default_race_threads(sc->actor_count);
    br_new_run_id(cfg.run_id);
    br_run_result result;
    r->status = br_run(&cfg, &result);
    if (r->status == BR_RUN_OK && br_run_target_failure(&result, result.error, sizeof(result.error)))
        r->status = BR_RUN_ETARGET; /* "does not reproduce" would be a lie: the target refused */
    if (r->status != BR_RUN_OK) {
        char *clean = br_redact_text(&result.secrets, result.error, strlen(result.error), NULL, NULL);
        snprintf(r->error, sizeof(r->error), "%s", clean);
        free(clean);
    }
    c->day_offset += (int)result.trial_count;
    c->trials += result.trial_count;
    r->accepted = r->n == (size_t)c->o->trials && br_rate_at_least(r->k, r->n, c->o->min_rate) == 1;
    br_run_result_free(&result);
    br_scenario_free(sc);
}

/* "customer0, customer8" (the first few) for a candidate's line. */
static void actor_names(const shrink_ctx *c, const br_shrink_set *s, char *buf, size_t cap)
{
    size_t len = 0, shown = 0, kept = br_shrink_actors_kept(s);
    buf[0] = '\0';
    for (size_t a = 0; a < c->sc->actor_count && len < cap; a++)
        if (br_shrink_actor_kept(s, a) && shown++ < 4)
            len +=
                (size_t)snprintf(buf + len, cap - len, "%s%s", shown > 1 ? ", " : "", c->sc->actors[a].name);
    if (kept > 4 && len < cap)
        snprintf(buf + len, cap - len, " and %zu more", kept - 4);
}

/* Tests one candidate and prints its line. Returns 1 kept, 0 not, or a BR_EXIT_* (>= 2) to stop. */
static int test_candidate(shrink_ctx *c, const br_shrink_set *s, const char *what)
{
    char name[80], rate[64], names[256];
    snprintf(name, sizeof(name), "%.55s-minimal", c->sc->name);
    json_t *doc = br_shrink_scenario_json(c->sc, c->source, s, name, "candidate");
    if (doc == NULL)
        return 0;
    candidate_result r;
    run_candidate(c, doc, &r);
    json_decref(doc);
    c->candidates++;
    actor_names(c, s, names, sizeof(names));
    if (r.status == BR_RUN_ETARGET || r.status == BR_RUN_EINTERNAL) {
        fprintf(stderr, "bookrace: candidate %zu: %s\n", c->candidates, r.error);
        return r.status == BR_RUN_ETARGET ? BR_EXIT_TARGET : BR_EXIT_USAGE;
    }
    if (r.status == BR_RUN_EINTERRUPTED)
        return BR_EXIT_INTERRUPTED;
    if (!c->o->quiet)
        printf("candidate %zu (%s): %zu actor(s) (%s), %zu step(s): %s%s: %s\n", c->candidates, what,
               br_shrink_actors_kept(s), names, br_shrink_steps_kept(s),
               br_rate_format(r.k, r.n, rate, sizeof(rate)), r.total > r.n ? " and inconclusive trials" : "",
               r.accepted   ? "reproduces"
               : r.hopeless ? "does not reproduce (stopped: the rate is out of reach)"
                            : "does not reproduce at the rate");
    fflush(stdout);
    if (r.accepted) {
        c->best_k = r.k;
        c->best_n = r.n;
    }
    return r.accepted;
}

/* ---- the search ---------------------------------------------------------------------------------------- */

typedef void (*drop_fn)(const br_scenario *, br_shrink_set *, const size_t *, size_t);

/* "without customer3, customer4" or "without steps[1] (pick)": what a candidate drops. */
static void drop_label(const shrink_ctx *c, const size_t *chunk, size_t n, int steps, char *buf, size_t cap)
{
    size_t len = (size_t)snprintf(buf, cap, "without");
    for (size_t k = 0; k < n && k < 3 && len < cap; k++)
        len += steps ? (size_t)snprintf(buf + len, cap - len, "%s steps[%zu] (%s)", k ? "," : "", chunk[k],
                                        br_step_kind_name(c->sc->steps[chunk[k]].kind))
                     : (size_t)snprintf(buf + len, cap - len, "%s %s", k ? "," : "",
                                        c->sc->actors[chunk[k]].name);
    if (n > 3 && len < cap)
        snprintf(buf + len, cap - len, " and %zu more", n - 3);
}

/* ddmin over |items|: |best| shrinks while candidates reproduce. BR_EXIT_HELD or a stop. */
static int ddmin_phase(shrink_ctx *c, br_shrink_set *best, const size_t *items, size_t count, int steps)
{
    drop_fn drop = steps ? br_shrink_drop_steps : br_shrink_drop_actors;
    br_ddmin d;
    br_ddmin_init(&d, items, count);
    size_t *chunk = xcalloc(count + 1, sizeof(size_t)), n;
    int rc = BR_EXIT_HELD;
    while (rc == BR_EXIT_HELD && (n = br_ddmin_next(&d, chunk)) > 0) {
        br_shrink_set cand;
        br_shrink_set_copy(&cand, best);
        drop(c->sc, &cand, chunk, n);
        int kept = 1; /* dropping what is already gone changes nothing */
        if (!br_shrink_set_equal(&cand, best)) {
            char label[256];
            drop_label(c, chunk, n, steps, label, sizeof(label));
            kept = br_shrink_actors_kept(&cand) == 0 ? 0 : test_candidate(c, &cand, label);
        }
        if (kept > 1)
            rc = kept;
        else if (kept == 1) {
            br_shrink_set_free(best);
            *best = cand;
            cand.keep = cand.timing = NULL;
        }
        br_shrink_set_free(&cand);
        br_ddmin_answer(&d, kept == 1);
    }
    free(chunk);
    br_ddmin_free(&d);
    return rc;
}

/* The kept actors (or droppable steps) of |s| as ddmin items. */
static size_t kept_items(const shrink_ctx *c, const br_shrink_set *s, int steps, size_t *out)
{
    size_t n = 0;
    if (steps) {
        for (size_t i = 0; i < c->sc->step_count; i++)
            if (br_shrink_step_kept(s, i) && br_shrink_step_droppable(c->sc, i))
                out[n++] = i;
    } else {
        for (size_t a = 0; a < c->sc->actor_count; a++)
            if (br_shrink_actor_kept(s, a))
                out[n++] = a;
    }
    return n;
}

/* The pair first, else everything; then actors, then steps. BR_EXIT_HELD with |best| set, or why not. */
static int search(shrink_ctx *c, br_shrink_set *best)
{
    br_shrink_seed(c->sc, &c->w, best);
    int rc = test_candidate(c, best, "the violating pair and what it reads");
    if (rc == 0) {
        br_shrink_set_free(best);
        br_shrink_set_init(best, c->sc, 1);
        rc = test_candidate(c, best, "the whole scenario");
        if (rc == 0) {
            fprintf(stderr,
                    "bookrace: %s no longer reproduces %s at a rate of at least %g with %ld trials: nothing "
                    "to shrink (is the target still the broken one? --min-rate, --trials)\n",
                    c->sc->name, c->w.kind, c->o->min_rate, c->o->trials);
            return BR_EXIT_NOT_HELD;
        }
    }
    if (rc > 1)
        return rc;
    size_t *items = xcalloc(c->sc->actor_count + c->sc->step_count + 1, sizeof(size_t));
    size_t n = kept_items(c, best, 0, items);
    rc = ddmin_phase(c, best, items, n, 0);
    n = kept_items(c, best, 1, items);
    if (rc == BR_EXIT_HELD)
        rc = ddmin_phase(c, best, items, n, 1);
    free(items);
    return rc;
}

/* ---- the result ---------------------------------------------------------------------------------------- */

/* The minimal scenario's document: named, described, with the run's command-line variables. */
static json_t *result_doc(const shrink_ctx *c, const br_shrink_set *best, const char *rate)
{
    char name[80], desc[2048];
    snprintf(name, sizeof(name), "%.55s-minimal", c->sc->name);
    const char *run_id = json_string_value(json_object_get(c->run, "runId"));
    snprintf(desc, sizeof(desc),
             "Minimal witness shrunk by bookrace shrink from %s (%zu actors, %zu steps; run %s): %zu actors "
             "and %zu "
             "steps reproduce its %s in %s trials against %s. The run's: %.300s. %s: %.900s",
             c->sc->name, c->sc->actor_count, c->sc->step_count, run_id ? run_id : "?",
             br_shrink_actors_kept(best), br_shrink_steps_kept(best), c->w.kind, rate, c->tg->name, c->w.text,
             c->sc->name, c->sc->description);
    json_t *doc = br_shrink_scenario_json(c->sc, c->source, best, name, desc);
    json_t *vars = json_object_get(doc, "variables");
    if (json_object_size(c->cli_vars)) {
        if (!json_is_object(vars))
            json_object_set_new(doc, "variables", vars = json_object());
        json_object_update(vars, c->cli_vars);
    }
    return doc;
}

/* Writes the minimal scenario after one more load check. 0, or -1 (said). */
static int write_result(const shrink_ctx *c, const br_shrink_set *best, const char *rate, const char *path)
{
    json_t *doc = result_doc(c, best, rate);
    char err[1024];
    br_scenario *check = br_scenario_from_json(doc, path, err, sizeof(err));
    char *text = check ? json_dumps(doc, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) : NULL;
    int rc = -1;
    if (text) {
        size_t len = strlen(text);
        text = xrealloc(text, len + 2);
        memcpy(text + len, "\n", 2);
    }
    if (check == NULL)
        fprintf(stderr, "bookrace: the minimal scenario does not load: %s\n", err);
    else if (br_write_path_atomic(path, text, strlen(text)) != 0)
        fprintf(stderr, "bookrace: cannot write %s: %s\n", path, strerror(errno));
    else
        rc = 0;
    free(text);
    br_scenario_free(check);
    json_decref(doc);
    return rc;
}

/* The last lines: what shrank to what, at which rate, and where it went. */
static void print_result(const shrink_ctx *c, const br_shrink_set *best, const char *rate, const char *path,
                         int rc)
{
    char names[256];
    actor_names(c, best, names, sizeof(names));
    printf("%s: %zu actors, %zu steps -> %zu actors (%s), %zu steps; reproduces %s in %s trials against %s\n",
           c->sc->name, c->sc->actor_count, c->sc->step_count, br_shrink_actors_kept(best), names,
           br_shrink_steps_kept(best), c->w.kind, rate, c->tg->name);
    printf("%zu candidates, %zu trials; %s %s%s\n", c->candidates, c->trials,
           rc == BR_EXIT_INTERRUPTED ? "interrupted: the smallest so far is in" : "minimal scenario:", path,
           rc == BR_EXIT_INTERRUPTED ? "" : " (bookrace run it; commit it as the regression test)");
}

static void free_ctx(shrink_ctx *c)
{
    json_decref(c->run);
    json_decref(c->source);
    json_decref(c->vars);
    json_decref(c->cli_vars);
    br_scenario_free(c->sc);
    br_target_free(c->tg);
}

/*
 * Whether --trials can show --min-rate at all: a candidate is kept when the whole 95% interval of k/n is
 * at or above the rate, and even n/n has a lower bound below it for small n (2/2: 0.34), so a run that
 * reproduces every time was reported as "no longer reproduces" (exit 1). BR_EXIT_HELD or USAGE.
 */
static int check_rate_reachable(const shrink_options *o)
{
    size_t n = (size_t)o->trials;
    if (br_rate_at_least(n, n, o->min_rate) == 1)
        return BR_EXIT_HELD;
    size_t need = n;
    while (need <= 1000 && br_rate_at_least(need, need, o->min_rate) != 1)
        need++;
    if (need > 1000)
        return br_cli_usage_error(&spec,
                                  "--min-rate %g cannot be shown with at most 1000 trials per candidate "
                                  "(its 95%% interval must lie at or above it): lower it",
                                  o->min_rate);
    return br_cli_usage_error(&spec,
                              "--trials %ld cannot show a rate of at least %g: even %zu/%zu has a 95%% "
                              "interval reaching below it; it takes --trials %zu or more",
                              o->trials, o->min_rate, n, n, need);
}

int br_cmd_shrink(int argc, char **argv, atomic_int *stop)
{
    shrink_options o = {.trials = 10, .min_rate = 0.5, .cli_vars = json_object()};
    const char *args[1];
    size_t nargs;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, &o, args, &nargs);
    if (parsed != BR_CLI_OK) {
        json_decref(o.cli_vars);
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    }
    o.run_path = args[0];
    shrink_ctx c = {.o = &o, .stop = stop};
    int rc = check_rate_reachable(&o);
    if (rc == BR_EXIT_HELD)
        rc = load_inputs(&c);
    char path[PATH_MAX], rate[64];
    br_shrink_set best = {0};
    if (rc == BR_EXIT_HELD) {
        snprintf(path, sizeof(path), "%s", o.out_path ? o.out_path : "");
        if (o.out_path == NULL)
            snprintf(path, sizeof(path), "%.200s-minimal.json", c.sc->name);
        if (!o.quiet)
            printf("shrinking %s (%zu actors, %zu steps) from %s: %s\n", c.sc->name, c.sc->actor_count,
                   c.sc->step_count, o.run_path, c.w.text);
        rc = search(&c, &best);
    }
    /* Interrupted after a candidate was kept: what was found so far is still a witness. */
    if ((rc == BR_EXIT_HELD || (rc == BR_EXIT_INTERRUPTED && c.best_n)) && best.keep) {
        br_rate_format(c.best_k, c.best_n, rate, sizeof(rate));
        if (write_result(&c, &best, rate, path) != 0)
            rc = BR_EXIT_NOT_HELD;
        else
            print_result(&c, &best, rate, path, rc);
    }
    br_shrink_set_free(&best);
    free_ctx(&c);
    json_decref(o.cli_vars);
    return rc;
}
