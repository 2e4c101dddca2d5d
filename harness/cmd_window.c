/*
 * `bookrace window`: measures the width of a race window. It runs the
 * scenario N times at each delay of a grid and reports, per delay, how often
 * the violation reproduced, with its 95% Wilson interval, and the window: the
 * largest delay at which it still reproduces, bracketed (window.h).
 *
 * Two sweeps: `barrier` staggers the racers of the scenario's barrier (racer k
 * released k·d after the first: pool.c, h2race.c) and records the offsets the
 * release actually achieved; `advance` sets the scenario's advance step to d
 * (with a clock operation that takes no real time) to measure how long a
 * stale list stays dangerous. Every point is an ordinary run whose run.json
 * is kept under points/, so each number in the table has its evidence.
 * Output: the table on stdout, window.json and summary.txt in the results
 * folder (docs/window.md has the schema and the estimator).
 */
#include "alloc.h"
#include "cli.h"
#include "commands.h"
#include "datadir.h"
#include "exitcode.h"
#include "race.h"
#include "results.h"
#include "scenario.h"
#include "target.h"
#include "util.h"
#include "vars.h"
#include "verdict.h"
#include "window.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: bookrace window SCENARIO.json [--target TARGET.json] [--base-url URL]... [--out DIR]\n"
    "                       [--sweep barrier|advance] [--max 50ms] [--step 1ms] [--trials N] [--at STEP]\n"
    "                       [--delays 0,5ms,60ms] [--threads N] [--seed N] [--var NAME=VALUE]...\n"
    "                       [--date DAY] [--expect-no-window] [--quiet]\n"
    "\n"
    "--sweep     barrier (default): racer k of the scenario's barrier is released k*d after the first;\n"
    "            advance: d replaces the seconds of the scenario's advance step\n"
    "--max       the largest delay (default 50ms; advance: 600s); --step the grid's step (default 1ms;\n"
    "            advance: 10s); durations take us, ms, s or m. The grid is 0, step, 2*step... max\n"
    "--delays    the delays to measure instead of a grid (increasing; 0 is always measured first)\n"
    "--trials    trials per delay (default 10; inconclusive trials, such as a day without slots, are not\n"
    "            counted in the rate)\n"
    "--at        the index in \"steps\" of the barrier or advance step to sweep, when there are several\n"
    "--expect-no-window  exit 1 when any delay reproduced the violation (a gate for a fix)\n"
    "\n"
    "Prints, per delay, the trials that reproduced the violation with the 95% Wilson interval and the\n"
    "delay the release measured between consecutive racers, then the window: the delay at which the\n"
    "reproduction rate (fitted as never rising with the delay) falls through half its peak, bracketed by\n"
    "the last delay surely above that rate and the first surely below it, and the largest delay that\n"
    "reproduced at all. Delays below the release precision (measured at delay 0) are reported as\n"
    "unresolvable and not used. Writes window.json, summary.txt and each point's run.json (points/) to\n"
    "results/<UTC stamp>-<scenario>-window/ or --out. docs/window.md explains the estimator.\n"
    "exit codes: 0 measured (with --expect-no-window: and nothing reproduced); 1 something reproduced under\n"
    "            --expect-no-window, every trial (with --expect-no-window: every trial of some delay) was\n"
    "            inconclusive, or the results could not be written;\n"
    "            2 bad command line, scenario or profile; 3 the target failed; 130 interrupted (the points\n"
    "            measured are written)\n";

enum {
    OPT_TARGET = BR_CLI_FIRST_ID,
    OPT_BASE_URL,
    OPT_OUT,
    OPT_SWEEP,
    OPT_MAX,
    OPT_STEP,
    OPT_TRIALS,
    OPT_AT,
    OPT_DELAYS,
    OPT_THREADS,
    OPT_SEED,
    OPT_VAR,
    OPT_DATE,
    OPT_EXPECT_NONE,
    OPT_QUIET,
};

static const br_cli_option options[] = {
    {"target", 0, 1, OPT_TARGET}, {"base-url", 0, 1, OPT_BASE_URL},
    {"out", 0, 1, OPT_OUT},       {"sweep", 0, 1, OPT_SWEEP},
    {"max", 0, 1, OPT_MAX},       {"step", 0, 1, OPT_STEP},
    {"trials", 0, 1, OPT_TRIALS}, {"at", 0, 1, OPT_AT},
    {"delays", 0, 1, OPT_DELAYS}, {"threads", 0, 1, OPT_THREADS},
    {"seed", 0, 1, OPT_SEED},     {"var", 0, 1, OPT_VAR},
    {"date", 0, 1, OPT_DATE},     {"expect-no-window", 0, 0, OPT_EXPECT_NONE},
    {"quiet", 0, 0, OPT_QUIET},   {NULL, 0, 0, 0},
};

static const br_cli_spec spec = {.usage = usage,
                                 .options = options,
                                 .min_args = 1,
                                 .max_args = 1,
                                 .args_missing = "window needs a SCENARIO.json"};

typedef struct {
    const char *scenario_path, *target_path, *out_dir, *date, *delays;
    char *base_urls[BR_MAX_BASE_URLS];
    size_t base_url_count;
    br_sweep_kind sweep;
    double max_s, step_s; /* < 0: the sweep's default */
    long trials, at, threads, seed;
    int expect_none, quiet;
    json_t *cli_vars;
} window_options;

/* A delay of --max, --step or --delays: a duration of at most a day. 0 or -1 (said in |err|). */
static int parse_delay(const char *what, const char *v, double *out_s, char *err, size_t errlen)
{
    if (br_cli_duration(v, out_s) != 0) {
        snprintf(err, errlen, "%s: '%s' is not a duration (250us, 5ms, 2s, 1m)", what, v);
        return -1;
    }
    if (*out_s > BR_WINDOW_MAX_DELAY_S) {
        snprintf(err, errlen, "%s: '%s' is longer than a day (%.0f s), the longest delay a sweep takes", what,
                 v, BR_WINDOW_MAX_DELAY_S);
        return -1;
    }
    return 0;
}

static int on_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    window_options *o = arg;
    switch (id) {
    case OPT_TARGET:
        o->target_path = v;
        return 0;
    case OPT_BASE_URL:
        return br_target_add_base_url_arg(o->base_urls, &o->base_url_count, v, err, errlen);
    case OPT_OUT:
        o->out_dir = v;
        return 0;
    case OPT_SWEEP:
        if (strcmp(v, "barrier") != 0 && strcmp(v, "advance") != 0)
            return -1;
        o->sweep = strcmp(v, "advance") == 0 ? BR_SWEEP_ADVANCE : BR_SWEEP_BARRIER;
        return 0;
    case OPT_MAX:
        return parse_delay("--max", v, &o->max_s, err, errlen);
    case OPT_STEP:
        if (parse_delay("--step", v, &o->step_s, err, errlen) != 0)
            return -1;
        if (llround(o->step_s * 1e6) <= 0)
            snprintf(err, errlen, "--step: '%s' is not a positive number of microseconds", v);
        return llround(o->step_s * 1e6) <= 0 ? -1 : 0;
    case OPT_TRIALS:
        return br_cli_long(v, 1, 100000, &o->trials);
    case OPT_AT:
        return br_cli_long(v, 0, INT_MAX, &o->at);
    case OPT_DELAYS:
        o->delays = v;
        return 0;
    case OPT_THREADS:
        return br_cli_long(v, 1, 256, &o->threads);
    case OPT_SEED:
        return br_cli_long(v, 0, LONG_MAX, &o->seed);
    case OPT_VAR:
        return br_var_parse_arg(o->cli_vars, v, err, errlen);
    case OPT_DATE:
        o->date = v;
        return 0;
    case OPT_EXPECT_NONE:
        o->expect_none = 1;
        return 0;
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
    }
    return -1;
}

/* ---- inputs ---------------------------------------------------------------------------------------- */

typedef struct {
    br_scenario *sc;
    br_target *tg;
    char scenario_file[PATH_MAX], target_file[PATH_MAX + 64];
    int at; /* the swept step */
    int64_t grid[BR_WINDOW_MAX_POINTS];
    size_t points;
    int64_t grid_step_us; /* 0 for --delays */
    int64_t day_us;       /* --date, resolved; 0: the scenario's */
    json_t *vars;
} window_inputs;

/* The step the sweep varies: --at, or the scenario's only barrier (advance) step. BR_EXIT_HELD or USAGE. */
static int find_swept_step(const window_options *o, window_inputs *in)
{
    br_step_kind want = o->sweep == BR_SWEEP_ADVANCE ? BR_STEP_ADVANCE : BR_STEP_BARRIER;
    const char *what = o->sweep == BR_SWEEP_ADVANCE ? "advance" : "barrier";
    if (o->at >= 0) {
        if ((size_t)o->at >= in->sc->step_count || in->sc->steps[o->at].kind != want)
            return br_cli_usage_error(&spec, "--at %ld: steps[%ld] of %s is not a %s step", o->at, o->at,
                                      in->scenario_file, what);
        in->at = (int)o->at;
        return BR_EXIT_HELD;
    }
    int found = -1, count = 0;
    for (size_t i = 0; i < in->sc->step_count; i++)
        if (in->sc->steps[i].kind == want) {
            found = found < 0 ? (int)i : found;
            count++;
        }
    if (count == 0)
        return br_cli_usage_error(&spec, "%s has no %s step: a %s sweep needs one", in->scenario_file, what,
                                  what);
    if (count > 1)
        return br_cli_usage_error(&spec,
                                  "%s has %d %s steps: name the one to sweep with --at (steps[%d] is "
                                  "the first)",
                                  in->scenario_file, count, what, found);
    in->at = found;
    return BR_EXIT_HELD;
}

/* A barrier sweep staggers racer k by k*d: with one racer there is no race, and "no window" would be a
 * vacuous verdict. BR_EXIT_HELD or USAGE. */
static int check_racers(const window_options *o, const window_inputs *in)
{
    size_t racers = in->sc->steps[in->at].actor_count;
    if (o->sweep != BR_SWEEP_BARRIER || racers >= 2)
        return BR_EXIT_HELD;
    return br_cli_usage_error(
        &spec, "steps[%d] (barrier) of %s releases %zu racer: a barrier sweep needs two or more", in->at,
        in->scenario_file, racers);
}

/* --delays: increasing durations, 0 first (added when missing). BR_EXIT_HELD or USAGE. */
static int parse_delays(const char *list, window_inputs *in)
{
    in->points = 0;
    in->grid[in->points++] = 0;
    char *copy = xstrdup(list), *tok = copy, err[256];
    int rc = BR_EXIT_HELD;
    for (char *next; tok && rc == BR_EXIT_HELD; tok = next) { /* strsep: an empty item is an error */
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        double s;
        int64_t us = 0;
        if (parse_delay("--delays", tok, &s, err, sizeof(err)) != 0)
            rc = br_cli_usage_error(&spec, "%s", err);
        else if ((us = llround(s * 1e6)) == 0 && in->points == 1)
            continue; /* the 0 already there */
        else if (us <= in->grid[in->points - 1])
            rc = br_cli_usage_error(&spec, "--delays: '%s' is not larger than the delay before it", tok);
        else if (in->points == BR_WINDOW_MAX_POINTS)
            rc = br_cli_usage_error(&spec, "--delays: at most %d delays", BR_WINDOW_MAX_POINTS);
        else
            in->grid[in->points++] = us;
    }
    free(copy);
    return rc;
}

/* The delays in microseconds: --delays, or the grid of --max/--step or the sweep's defaults. */
static int make_grid(const window_options *o, window_inputs *in)
{
    if (o->delays)
        return parse_delays(o->delays, in);
    int adv = o->sweep == BR_SWEEP_ADVANCE;
    double max_s = o->max_s >= 0 ? o->max_s : adv ? 600 : 0.050;
    double step_s = o->step_s > 0 ? o->step_s : adv ? 10 : 0.001;
    char err[256];
    long n = br_window_grid(llround(max_s * 1e6), llround(step_s * 1e6), in->grid, BR_WINDOW_MAX_POINTS, err,
                            sizeof(err));
    if (n < 0)
        return br_cli_usage_error(&spec, "--max/--step: %s", err);
    in->points = (size_t)n;
    in->grid_step_us = llround(step_s * 1e6);
    return BR_EXIT_HELD;
}

static int load_inputs(const window_options *o, window_inputs *in)
{
    char err[1024];
    if (br_datadir_target(o->target_path, in->target_file, sizeof(in->target_file), err, sizeof(err)) != 0 ||
        br_datadir_scenario(o->scenario_path, in->scenario_file, sizeof(in->scenario_file), err,
                            sizeof(err)) != 0 ||
        (in->sc = br_scenario_load(in->scenario_file, err, sizeof(err))) == NULL ||
        (in->tg = br_target_load(in->target_file, err, sizeof(err))) == NULL) {
        fprintf(stderr, "bookrace: %s\n", err);
        return BR_EXIT_USAGE;
    }
    if (o->base_url_count && br_target_set_base_urls(in->tg, o->base_urls, o->base_url_count) != 0)
        return br_cli_usage_error(&spec, "--base-url must be an http:// or https:// URL");
    char day[11];
    if (o->date && br_scenario_resolve_day(o->date, day, err, sizeof(err)) != 0)
        return br_cli_usage_error(&spec, "--date: %s", err);
    if (o->date)
        br_date_parse(day, 10, &in->day_us);
    int rc = find_swept_step(o, in);
    if (rc == BR_EXIT_HELD)
        rc = check_racers(o, in);
    if (rc == BR_EXIT_HELD)
        rc = make_grid(o, in);
    if (rc == BR_EXIT_HELD && o->sweep == BR_SWEEP_ADVANCE && !in->tg->ops[BR_OP_CLOCK].present)
        fprintf(stderr,
                "bookrace: %s has no clock operation: every advance is a real wait (the sweep takes the sum "
                "of its delays times %ld trials)\n",
                in->target_file, o->trials);
    in->vars = br_vars_merge(in->sc->variables, in->tg->variables, o->cli_vars);
    return rc;
}

/* ---- measuring ------------------------------------------------------------------------------------- */

typedef struct {
    br_window_point *points;
    size_t measured;
    int64_t precision_us;
    int status; /* BR_RUN_* of the point that stopped the sweep, BR_RUN_OK otherwise */
    char error[768];
    char run_id[17];
} sweep_state;

/*
 * The gaps between consecutive racers' final bytes of the swept barrier, in
 * racer order, over every trial: the delay the release actually achieved.
 * Returns how many were written to |out| (room for |cap|).
 */
static size_t racer_gaps_of(const br_trial *tr, int at, int64_t *out, size_t cap, int64_t delay_us,
                            int64_t precision_us)
{
    size_t n = 0;
    int64_t prev = -1;
    int prev_step = -1;
    for (size_t i = 0; i < tr->op_count; i++) {
        const br_history_op *h = &tr->ops[i];
        if (h->barrier_step != at || h->last_byte_us <= 0)
            continue;
        int64_t gap = h->last_byte_us - prev;
        if (prev >= 0 && h->rec.step == prev_step && n < cap &&
            (delay_us < 0 || br_window_slipped(gap, delay_us, precision_us)))
            out[n++] = gap;
        prev = h->last_byte_us;
        prev_step = h->rec.step;
    }
    return n;
}

static size_t racer_gaps(const br_run_result *r, int at, int64_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t t = 0; t < r->trial_count; t++)
        n += racer_gaps_of(&r->trials[t], at, out + n, cap - n, -1, 0);
    return n;
}

/* Trials in which some racer of the swept barrier left off the delay asked (br_window_slipped). */
static size_t slipped_trials(const br_run_result *r, int at, int64_t delay_us, int64_t precision_us)
{
    size_t slipped = 0;
    for (size_t t = 0; t < r->trial_count; t++) {
        int64_t gap;
        slipped += racer_gaps_of(&r->trials[t], at, &gap, 1, delay_us, precision_us) > 0;
    }
    return slipped;
}

/* Writes the point's run.json (and junit.xml, summary.txt) under DIR/points/. Returns 0 or -1 (said). */
static int write_point(const char *dir, const window_inputs *in, const br_run_config *cfg,
                       const br_run_result *res, size_t index, int64_t delay_us)
{
    char sub[4400], err[1024], reason[256];
    snprintf(sub, sizeof(sub), "%s/points/%03zu-%lldus", dir, index, (long long)delay_us);
    size_t counts[5];
    br_run_class_counts(res, counts);
    br_verdict v;
    br_verdict_decide(counts, 1, &v);
    snprintf(reason, sizeof(reason), "%s", v.reason);
    br_run_meta meta = {.scenario_file = in->scenario_file,
                        .target_file = in->target_file,
                        .expect_violation = 1,
                        .exit_code = v.exit_code,
                        .outcome = v.result,
                        .reason = reason};
    if (br_mkdir_p(sub) != 0 || br_results_write(sub, cfg, res, &meta, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: cannot write %s: %s\n", sub, errno ? strerror(errno) : err);
        return -1;
    }
    return 0;
}

/* Runs one point: N trials at |delay_us|, counted into |p|. Returns the run's BR_RUN_* status. */
static int measure_point(const window_options *o, window_inputs *in, sweep_state *s, size_t index,
                         const char *dir, atomic_int *stop, int *write_failed)
{
    int64_t delay_us = in->grid[index];
    br_run_config cfg = {.scenario = in->sc,
                         .target = in->tg,
                         .repeat = (int)o->trials,
                         .day_offset = (int)(index * (size_t)o->trials),
                         .seed = (uint64_t)o->seed,
                         .quiet = 1,
                         .stop = stop,
                         .variables = in->vars,
                         .day_us = in->day_us,
                         .stagger_step = in->at,
                         .stagger_us = o->sweep == BR_SWEEP_BARRIER ? delay_us : 0};
    cfg.threads = o->threads ? (int)o->threads : br_default_race_threads(in->sc->actor_count);
    snprintf(cfg.run_id, sizeof(cfg.run_id), "%s", s->run_id);
    snprintf(cfg.run_id + 8, sizeof(cfg.run_id) - 8, "%03zu", index % 1000); /* one tag per point */
    if (o->sweep == BR_SWEEP_ADVANCE)
        in->sc->steps[in->at].seconds = (double)delay_us / 1e6;
    br_run_result res;
    int status = br_run(&cfg, &res);
    size_t counts[5];
    br_run_class_counts(&res, counts);
    br_window_point *p = &s->points[index];
    *p = (br_window_point){.delay_us = delay_us,
                           .reproduced = counts[BR_TRIAL_VIOLATION],
                           .inconclusive = counts[BR_TRIAL_INCONCLUSIVE],
                           .trials = counts[BR_TRIAL_VIOLATION] + counts[BR_TRIAL_CLEAN] +
                                     counts[BR_TRIAL_EXPECTATION]};
    br_window_point_rate(p);
    if (o->sweep == BR_SWEEP_BARRIER) {
        size_t cap = res.trial_count * in->sc->actor_count + 1, n;
        int64_t *gaps = xcalloc(cap, sizeof(int64_t));
        n = racer_gaps(&res, in->at, gaps, cap);
        if (delay_us == 0)
            s->precision_us = br_window_precision(gaps, n);
        else
            br_window_point_offsets(p, gaps, n);
        if (delay_us == 0) { /* the offsets at 0 were made absolute by the precision: measure them again */
            n = racer_gaps(&res, in->at, gaps, cap);
            br_window_point_offsets(p, gaps, n);
        } else {
            p->slipped = slipped_trials(&res, in->at, delay_us, s->precision_us);
        }
        free(gaps);
    }
    *write_failed |= write_point(dir, in, &cfg, &res, index, delay_us) != 0;
    if (status != BR_RUN_OK)
        snprintf(s->error, sizeof(s->error), "%s", res.error);
    else if (br_run_target_failure(&res, s->error, sizeof(s->error)))
        status = BR_RUN_ETARGET; /* a rate over no trial is no measurement: stop, as for a dead target */
    br_run_result_free(&res);
    return status;
}

/* ---- reporting ------------------------------------------------------------------------------------- */

/* "0", "250 us", "1.50 ms", "20 ms", "300 s", "2.500 s". Returns |buf|. */
static char *fmt_delay(int64_t us, char *buf, size_t cap)
{
    if (us == 0)
        snprintf(buf, cap, "0");
    else if (us % 1000000 == 0)
        snprintf(buf, cap, "%lld s", (long long)(us / 1000000));
    else if (us >= 1000000)
        snprintf(buf, cap, "%.3f s", (double)us / 1e6);
    else if (us % 1000 == 0)
        snprintf(buf, cap, "%lld ms", (long long)(us / 1000));
    else if (us >= 1000)
        snprintf(buf, cap, "%.2f ms", (double)us / 1e3);
    else
        snprintf(buf, cap, "%lld us", (long long)us);
    return buf;
}

static void print_point(FILE *f, const br_window_point *p, int barrier)
{
    char d[32], m1[32], m2[32], rate[40];
    snprintf(rate, sizeof(rate), "%zu/%zu", p->reproduced, p->trials);
    fprintf(f, "%10s  %9s  %4.0f%%  %3.0f-%3.0f%%", fmt_delay(p->delay_us, d, sizeof(d)), rate, p->rate * 100,
            p->ci_lo * 100, p->ci_hi * 100);
    if (p->has_offsets)
        fprintf(f, "  %10s / %-10s", fmt_delay(p->offset_median_us, m1, sizeof(m1)),
                fmt_delay(p->offset_max_us, m2, sizeof(m2)));
    else if (barrier)
        fprintf(f, "  %23s", "-");
    fprintf(f, "%s", p->resolvable ? "" : "  unresolvable");
    if (p->inconclusive)
        fprintf(f, "  (%zu inconclusive)", p->inconclusive);
    if (p->slipped)
        fprintf(f, "  (%zu slipped)", p->slipped);
    fputc('\n', f);
}

/* The window lines: the half-rate crossing, its bracket in words, and the tail. */
static void print_window(FILE *f, const br_window_estimate *e, const br_window_point *pts, size_t n)
{
    char a[32], b[32], c[32];
    if (!e->found) {
        fprintf(f, "window: none: no resolvable delay from 0 to %s reproduced the violation\n",
                n ? fmt_delay(pts[n - 1].delay_us, a, sizeof(a)) : "0");
        return;
    }
    fmt_delay(e->estimate_us, a, sizeof(a));
    fmt_delay(e->lo_us, b, sizeof(b));
    if (e->hi_bounded)
        fprintf(f, "window: %s (the rate falls through %.0f%%, half its peak, there; 95%%: %s to %s)\n", a,
                e->half_rate * 100, b, fmt_delay(e->hi_us, c, sizeof(c)));
    else if (e->estimate_us == pts[n - 1].delay_us)
        fprintf(f,
                "window: at least %s: the largest delay measured still reproduces at half the peak "
                "rate or more (raise --max)\n",
                a);
    else
        fprintf(f,
                "window: %s (the rate falls through %.0f%%, half its peak, there; 95%%: %s to unbounded: "
                "no delay measured is surely below it, more trials would tell)\n",
                a, e->half_rate * 100, b);
    fprintf(f, "reproduced from %s up to %s at the most\n", fmt_delay(e->first_us, a, sizeof(a)),
            fmt_delay(e->last_us, b, sizeof(b)));
}

/* Trials that could show the violation or its absence, over every point measured. */
static size_t conclusive_trials(const sweep_state *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->measured; i++)
        n += s->points[i].trials;
    return n;
}

static void print_table(FILE *f, const window_options *o, const window_inputs *in, const sweep_state *s,
                        const br_window_estimate *e)
{
    const br_step *st = &in->sc->steps[in->at];
    fprintf(f, "bookrace window: %s against %s, %s sweep of steps[%d]%s%s, %ld trials per delay\n",
            in->sc->name, in->tg->base_urls[0], br_sweep_name(o->sweep), in->at,
            o->sweep == BR_SWEEP_BARRIER ? " release " : "",
            o->sweep == BR_SWEEP_BARRIER ? br_release_name(st->release) : "", o->trials);
    fprintf(f, "%10s  %9s  %5s  %8s%s\n", "delay", "reproduced", "rate", "95% CI",
            o->sweep == BR_SWEEP_BARRIER ? "    measured delay (median / max)" : "");
    for (size_t i = 0; i < s->measured; i++)
        print_point(f, &s->points[i], o->sweep == BR_SWEEP_BARRIER);
    if (o->sweep == BR_SWEEP_BARRIER && s->measured > 0 && s->points[0].has_offsets)
        fprintf(f, "release precision: %lld us (median gap between racers at delay 0)\n",
                (long long)s->precision_us);
    else if (o->sweep == BR_SWEEP_BARRIER)
        fprintf(f, "release precision: not measured (no racers were released at delay 0)\n");
    char d[32];
    if (s->status == BR_RUN_ETARGET || s->status == BR_RUN_EINTERNAL) /* no verdict on a window */
        fprintf(f, "window: no verdict: the sweep stopped at delay %s: %s\n",
                fmt_delay(s->points[s->measured - 1].delay_us, d, sizeof(d)), s->error);
    else if (s->measured > 0 && conclusive_trials(s) == 0)
        fprintf(f, "window: no verdict: every trial of every delay was inconclusive (each point's "
                   "summary.txt says why, e.g. a day whose slots are taken: --date picks other days)\n");
    else if (o->expect_none && br_window_unmeasured(s->points, s->measured) > 0)
        fprintf(f,
                "window: no verdict for --expect-no-window: %zu of %zu delays had no conclusive trial, and a "
                "fix gate does not pass over a delay it did not measure\n",
                br_window_unmeasured(s->points, s->measured), s->measured);
    else
        print_window(f, e, s->points, s->measured);
}

static json_t *point_json(const br_window_point *p, size_t index)
{
    char run[64];
    snprintf(run, sizeof(run), "points/%03zu-%lldus/run.json", index, (long long)p->delay_us);
    json_t *off = p->has_offsets
                      ? json_pack("{s:I, s:I, s:I}", "median", (json_int_t)p->offset_median_us, "max",
                                  (json_int_t)p->offset_max_us, "min", (json_int_t)p->offset_min_us)
                      : json_null();
    return json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:b, s:o, s:I, s:I, s:s}", "delay_us",
                     (json_int_t)p->delay_us, "trials", (json_int_t)p->trials, "reproduced",
                     (json_int_t)p->reproduced, "rate", p->rate, "ci_lo", p->ci_lo, "ci_hi", p->ci_hi,
                     "resolvable", p->resolvable, "measured_offset_us", off, "inconclusive",
                     (json_int_t)p->inconclusive, "slipped", (json_int_t)p->slipped, "run", run);
}

static json_t *window_json(const window_options *o, const window_inputs *in, const sweep_state *s,
                           const br_window_estimate *e, const char *outcome, int exit_code)
{
    json_t *points = json_array(), *urls = json_array();
    for (size_t i = 0; i < s->measured; i++)
        json_array_append_new(points, point_json(&s->points[i], i));
    for (size_t i = 0; i < in->tg->base_url_count; i++)
        json_array_append_new(urls, json_string(in->tg->base_urls[i]));
    json_t *win = e->found ? json_pack("{s:I, s:I, s:o, s:f, s:f, s:I, s:I}", "estimate",
                                       (json_int_t)e->estimate_us, "lo", (json_int_t)e->lo_us, "hi",
                                       e->hi_bounded ? json_integer(e->hi_us) : json_null(), "peak_rate",
                                       e->peak_rate, "half_rate", e->half_rate, "first_reproduced",
                                       (json_int_t)e->first_us, "last_reproduced", (json_int_t)e->last_us)
                           : json_null();
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:o}, s:i, s:s, s:I, s:o, s:I, s:o, s:o, s:I, "
                     "s:s, s:i, s:s?}",
                     "kind", "window", "schema", "bookrace.window/1", "scenario", in->sc->name, "sweep",
                     br_sweep_name(o->sweep), "unit", "us", "target", "name", in->tg->name, "file",
                     in->target_file, "baseUrls", urls, "step", in->at, "scenario_file", in->scenario_file,
                     "trials_per_point", (json_int_t)o->trials, "grid_step_us",
                     in->grid_step_us ? json_integer(in->grid_step_us) : json_null(), "grid_max_us",
                     (json_int_t)in->grid[in->points - 1], "points", points, "window_us", win, "precision_us",
                     (json_int_t)s->precision_us, "outcome", outcome, "exit_code", exit_code, "error",
                     s->error[0] ? s->error : NULL);
}

typedef struct {
    const window_options *o;
    const window_inputs *in;
    const sweep_state *s;
    const br_window_estimate *e;
} table_args;

/* Writes window.json and summary.txt (the table). Returns 0 or -1 (said on stderr). */
static int write_outputs(const char *dir, const table_args *t, const char *outcome, int exit_code)
{
    json_t *doc = window_json(t->o, t->in, t->s, t->e, outcome, exit_code);
    char *text = json_dumps(doc, JSON_INDENT(1));
    json_decref(doc);
    int rc = text == NULL || br_write_file_atomic(dir, "window.json", text, strlen(text)) != 0 ? -1 : 0;
    free(text);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    print_table(f, t->o, t->in, t->s, t->e);
    fclose(f);
    rc |= br_write_file_atomic(dir, "summary.txt", buf, len);
    free(buf);
    if (rc != 0)
        fprintf(stderr, "bookrace: cannot write the results in %s: %s\n", dir, strerror(errno));
    return rc;
}

static void progress(const window_options *o, const br_window_point *p, size_t i, size_t n)
{
    if (o->quiet)
        return;
    char d[32];
    fprintf(stderr, "window: point %zu/%zu, delay %s: %zu/%zu reproduced\n", i + 1, n,
            fmt_delay(p->delay_us, d, sizeof(d)), p->reproduced, p->trials);
}

/* Every point of the grid, stopping at an interruption or a failed target. Returns the exit code so far. */
static int run_sweep(const window_options *o, window_inputs *in, sweep_state *s, const char *dir,
                     atomic_int *stop, int *write_failed)
{
    br_new_run_id(s->run_id);
    for (size_t i = 0; i < in->points; i++) {
        int status = measure_point(o, in, s, i, dir, stop, write_failed);
        s->measured = i + 1;
        progress(o, &s->points[i], i, in->points);
        if (status != BR_RUN_OK) {
            s->status = status;
            break;
        }
    }
    for (size_t i = 0; i < s->measured; i++)
        s->points[i].resolvable = br_window_resolvable(s->points[i].delay_us, s->precision_us);
    switch (s->status) {
    case BR_RUN_OK:
        return BR_EXIT_HELD;
    case BR_RUN_EINTERRUPTED:
        return BR_EXIT_INTERRUPTED;
    case BR_RUN_ETARGET:
        fprintf(stderr, "bookrace: the target failed: %s\n", s->error);
        return BR_EXIT_TARGET;
    default:
        fprintf(stderr, "bookrace: %s\n", s->error);
        return BR_EXIT_USAGE;
    }
}

static int measure_and_report(const window_options *o, window_inputs *in, atomic_int *stop)
{
    char dir_buf[4096], name[128];
    const char *dir = o->out_dir;
    if (dir == NULL) {
        snprintf(name, sizeof(name), "%s-window", in->sc->name);
        br_default_out_dir(dir_buf, sizeof(dir_buf), name);
        dir = dir_buf;
    }
    if (br_mkdir_p(dir) != 0) {
        fprintf(stderr, "bookrace: cannot create %s: %s\n", dir, strerror(errno));
        return BR_EXIT_NOT_HELD;
    }
    sweep_state s = {.points = xcalloc(in->points, sizeof(br_window_point))};
    if (o->sweep == BR_SWEEP_ADVANCE)
        s.precision_us = in->tg->ops[BR_OP_CLOCK].present ? 0 : 1000;
    int write_failed = 0;
    int rc = run_sweep(o, in, &s, dir, stop, &write_failed);
    br_window_estimate e;
    br_window_estimate_of(s.points, s.measured, &e);
    /* Rates over no conclusive trial are no measurement: "no window" (exit 0) would pass a fix gate. */
    int inconclusive = rc == BR_EXIT_HELD && (conclusive_trials(&s) == 0 ||
                                              (o->expect_none && br_window_unmeasured(s.points, s.measured)));
    if (inconclusive || (rc == BR_EXIT_HELD && o->expect_none && e.found))
        rc = BR_EXIT_NOT_HELD;
    const char *outcome = rc == BR_EXIT_INTERRUPTED ? "interrupted"
                          : rc == BR_EXIT_TARGET    ? "target-error"
                          : rc == BR_EXIT_USAGE     ? "scenario-error"
                          : inconclusive            ? "inconclusive"
                          : e.found                 ? "window"
                                                    : "no-window";
    table_args t = {o, in, &s, &e};
    write_failed |= write_outputs(dir, &t, outcome, rc) != 0;
    if (write_failed && rc == BR_EXIT_HELD)
        rc = BR_EXIT_NOT_HELD;
    print_table(stdout, o, in, &s, &e);
    printf("results: %s\n", dir);
    free(s.points);
    return rc;
}

int br_cmd_window(int argc, char **argv, atomic_int *stop)
{
    window_options o = {
        .max_s = -1, .step_s = -1, .trials = 10, .at = -1, .seed = 1, .cli_vars = json_object()};
    const char *args[1];
    size_t nargs;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, &o, args, &nargs);
    if (parsed != BR_CLI_OK) {
        json_decref(o.cli_vars);
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    }
    o.scenario_path = args[0];
    window_inputs *in = xcalloc(1, sizeof(*in));
    int rc = load_inputs(&o, in);
    if (rc == BR_EXIT_HELD)
        rc = measure_and_report(&o, in, stop);
    json_decref(in->vars);
    br_scenario_free(in->sc);
    br_target_free(in->tg);
    free(in);
    json_decref(o.cli_vars);
    return rc;
}
