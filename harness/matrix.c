/*
 * The regression/fix matrix (matrix.h): loads MATRIX.json (modes, scenarios and
 * the expected outcome of every cell), runs each cell against fresh bookd pods
 * (bookd_proc.c) through the race runner, and writes the table, matrix.json
 * and junit.xml. `bookrace matrix` (cmd_matrix.c) is the CI gate built on it.
 */
#include "matrix.h"

#include "alloc.h"
#include "exitcode.h"
#include "util.h"

#include "race.h"
#include "jsonload.h"
#include "results.h"
#include "bookd_proc.h"
#include "target.h"

#include "iso8601.h"
#include "stats.h"
#include "verdict.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void br_matrix_free(br_matrix *m)
{
    if (m == NULL)
        return;
    free(m->name);
    free(m->description);
    free(m->origin);
    free(m->target_file);
    for (size_t i = 0; i < m->mode_count; i++) {
        free(m->modes[i].name);
        free(m->modes[i].fix);
        free(m->modes[i].slot_cache);
    }
    free(m->modes);
    for (size_t i = 0; i < m->row_count; i++) {
        free(m->rows[i].file);
        free(m->rows[i].label);
        br_scenario_free(m->rows[i].scenario);
        free(m->rows[i].expect);
    }
    free(m->rows);
    free(m);
}

/* Resolves |rel| against the folder of |origin|. */
static char *relative_to(const char *origin, const char *rel)
{
    if (rel[0] == '/')
        return xstrdup(rel);
    const char *slash = strrchr(origin, '/');
    size_t dirlen = slash ? (size_t)(slash - origin) : 1;
    char *out = xmalloc(dirlen + strlen(rel) + 2);
    sprintf(out, "%.*s/%s", (int)dirlen, slash ? origin : ".", rel);
    return out;
}

static int parse_expect(const char *text, double default_share, br_matrix_expect *out)
{
    if (strcmp(text, "clean") == 0) {
        out->violation = 0;
        return 0;
    }
    if (strcmp(text, "violation") == 0) {
        out->violation = 1;
        out->share = default_share;
        return 0;
    }
    if (strncmp(text, "violation>=", 11) == 0) {
        char *end;
        double share = strtod(text + 11, &end);
        if (*end != '\0' || !(share > 0 && share <= 1))
            return -1;
        out->violation = 1;
        out->share = share;
        return 0;
    }
    return -1;
}

/* Inside the loaders below: says why in |err| and fails the part being read. */
#define FAIL(...)                                                                                            \
    do {                                                                                                     \
        snprintf(err, errlen, __VA_ARGS__);                                                                  \
        return -1;                                                                                           \
    } while (0)

/* The top level's name, description, target, repeat and minViolationShare. */
static int load_header(br_matrix *m, json_t *root, const char *path, char *err, size_t errlen)
{
    static const char *const keys[] = {"name",  "description", "target", "repeat", "minViolationShare",
                                       "modes", "scenarios",   NULL};
    char kerr[700];
    if (!json_is_object(root))
        FAIL("%s: a matrix must be a JSON object", path);
    if (br_json_check_keys(root, keys, "(top level)", kerr, sizeof(kerr)))
        FAIL("%s: %s", path, kerr);
    json_t *name = json_object_get(root, "name"), *target = json_object_get(root, "target");
    json_t *repeat = json_object_get(root, "repeat"), *share = json_object_get(root, "minViolationShare");
    if (!json_is_string(name))
        FAIL("%s: name must be a string", path);
    m->name = xstrdup(json_string_value(name));
    m->description = xstrdup(json_is_string(json_object_get(root, "description"))
                                 ? json_string_value(json_object_get(root, "description"))
                                 : "");
    if (!json_is_string(target))
        FAIL("%s: target must be the path of a target profile (relative to the matrix file)", path);
    m->target_file = relative_to(path, json_string_value(target));
    m->repeat = 3;
    if (repeat &&
        (!json_is_integer(repeat) || json_integer_value(repeat) < 1 || json_integer_value(repeat) > 10000))
        FAIL("%s: repeat must be an integer from 1 to 10000", path);
    if (repeat)
        m->repeat = (int)json_integer_value(repeat);
    m->min_share = 1.0;
    if (share && (!json_is_number(share) || json_number_value(share) <= 0 || json_number_value(share) > 1))
        FAIL("%s: minViolationShare must be a number in (0, 1]", path);
    if (share)
        m->min_share = json_number_value(share);
    return 0;
}

/* modes[i]: a bookd configuration, one column of the table. */
static int load_mode(br_matrix *m, size_t i, json_t *v, const char *path, char *err, size_t errlen)
{
    static const char *const mode_keys[] = {"name", "fix", "slotCache", "raceWindowUs", "threads", NULL};
    char kerr[700], where[32];
    snprintf(where, sizeof(where), "modes[%zu]", i);
    if (!json_is_object(v))
        FAIL("%s: %s must be an object", path, where);
    if (br_json_check_keys(v, mode_keys, where, kerr, sizeof(kerr)))
        FAIL("%s: %s", path, kerr);
    json_t *n = json_object_get(v, "name"), *fix = json_object_get(v, "fix"),
           *cache = json_object_get(v, "slotCache");
    json_t *window = json_object_get(v, "raceWindowUs"), *threads = json_object_get(v, "threads");
    if (!json_is_string(n) || !json_is_string(fix))
        FAIL("%s: %s needs a name and a fix (a bookd --fix value)", path, where);
    br_matrix_mode *mode = &m->modes[i];
    mode->name = xstrdup(json_string_value(n));
    mode->fix = xstrdup(json_string_value(fix));
    mode->slot_cache = xstrdup(json_is_string(cache) ? json_string_value(cache) : "versioned");
    if (window && (!json_is_integer(window) || json_integer_value(window) < 0))
        FAIL("%s: %s.raceWindowUs must be a non-negative integer", path, where);
    mode->race_window_us = window ? (long)json_integer_value(window) : 0;
    if (threads &&
        (!json_is_integer(threads) || json_integer_value(threads) < 1 || json_integer_value(threads) > 64))
        FAIL("%s: %s.threads must be an integer from 1 to 64", path, where);
    mode->threads = threads ? (int)json_integer_value(threads) : 2;
    for (size_t j = 0; j < i; j++)
        if (strcmp(m->modes[j].name, mode->name) == 0)
            FAIL("%s: mode name '%s' is used twice", path, mode->name);
    return 0;
}

/* A row's expect object: exactly one expectation per mode, no unknown mode. */
static int load_expect(br_matrix *m, br_matrix_row *row, json_t *expect, const char *path, const char *where,
                       char *err, size_t errlen)
{
    if (!json_is_object(expect))
        FAIL("%s: %s.expect must map every mode to \"violation\", \"violation>=SHARE\" or \"clean\"", path,
             where);
    row->expect = xcalloc(m->mode_count, sizeof(br_matrix_expect));
    const char *key;
    json_t *e;
    json_object_foreach (expect, key, e) {
        size_t k = 0;
        while (k < m->mode_count && strcmp(m->modes[k].name, key) != 0)
            k++;
        if (k == m->mode_count)
            FAIL("%s: %s.expect names mode '%s', which modes does not list", path, where, key);
    }
    for (size_t k = 0; k < m->mode_count; k++) {
        e = json_object_get(expect, m->modes[k].name);
        if (e == NULL)
            FAIL("%s: %s.expect gives nothing for mode '%s' (every cell needs an expectation)", path, where,
                 m->modes[k].name);
        if (!json_is_string(e) || parse_expect(json_string_value(e), m->min_share, &row->expect[k]) != 0)
            FAIL("%s: %s.expect.%s must be \"violation\", \"violation>=SHARE\" or \"clean\"", path, where,
                 m->modes[k].name);
    }
    return 0;
}

/* scenarios[i]: a scenario file, its pods and repeat, one row of the table. */
static int load_row(br_matrix *m, size_t i, json_t *v, const char *path, char *err, size_t errlen)
{
    static const char *const row_keys[] = {"name", "file", "pods", "repeat", "expect", NULL};
    char kerr[700], where[32];
    br_matrix_row *row = &m->rows[i];
    snprintf(where, sizeof(where), "scenarios[%zu]", i);
    if (!json_is_object(v))
        FAIL("%s: %s must be an object", path, where);
    if (br_json_check_keys(v, row_keys, where, kerr, sizeof(kerr)))
        FAIL("%s: %s", path, kerr);
    json_t *file = json_object_get(v, "file"), *pods = json_object_get(v, "pods");
    json_t *rrep = json_object_get(v, "repeat"), *label = json_object_get(v, "name");
    if (!json_is_string(file))
        FAIL("%s: %s.file must be a scenario path (relative to the matrix file)", path, where);
    row->file = relative_to(path, json_string_value(file));
    row->scenario = br_scenario_load(row->file, kerr, sizeof(kerr));
    if (row->scenario == NULL)
        FAIL("%s: %s: %s", path, where, kerr);
    if (label != NULL && !json_is_string(label))
        FAIL("%s: %s.name must be a string", path, where);
    row->label = xstrdup(label ? json_string_value(label) : row->scenario->name);
    for (size_t j = 0; j < i; j++)
        if (strcmp(m->rows[j].label, row->label) == 0)
            FAIL("%s: %s: row name '%s' is used twice (give the row a \"name\")", path, where, row->label);
    row->pods = pods ? (int)json_integer_value(pods) : 1;
    if (row->pods < 1 || row->pods > 8)
        FAIL("%s: %s.pods must be an integer from 1 to 8", path, where);
    row->repeat = rrep ? (int)json_integer_value(rrep) : m->repeat;
    if (row->repeat < 1 || row->repeat > 10000)
        FAIL("%s: %s.repeat must be an integer from 1 to 10000", path, where);
    return load_expect(m, row, json_object_get(v, "expect"), path, where, err, errlen);
}

#undef FAIL

/* The size of the non-empty array under |key|, or 0 with |err| when it is not one. */
static size_t nonempty_array(json_t *root, const char *key, const char *path, char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);
    if (!json_is_array(v) || json_array_size(v) == 0)
        snprintf(err, errlen, "%s: %s must be a non-empty array", path, key);
    return json_is_array(v) ? json_array_size(v) : 0;
}

/* Reads the modes and scenarios arrays (after the header, whose min_share rows default to). */
static int load_table(br_matrix *m, json_t *root, const char *path, char *err, size_t errlen)
{
    if ((m->mode_count = nonempty_array(root, "modes", path, err, errlen)) == 0)
        return -1;
    m->modes = xcalloc(m->mode_count, sizeof(br_matrix_mode));
    for (size_t i = 0; i < m->mode_count; i++)
        if (load_mode(m, i, json_array_get(json_object_get(root, "modes"), i), path, err, errlen) != 0)
            return -1;
    if ((m->row_count = nonempty_array(root, "scenarios", path, err, errlen)) == 0)
        return -1;
    m->rows = xcalloc(m->row_count, sizeof(br_matrix_row));
    for (size_t i = 0; i < m->row_count; i++)
        if (load_row(m, i, json_array_get(json_object_get(root, "scenarios"), i), path, err, errlen) != 0)
            return -1;
    return 0;
}

br_matrix *br_matrix_load(const char *path, char *err, size_t errlen)
{
    json_t *root = br_json_load_file(path, err, errlen);
    if (root == NULL)
        return NULL;
    br_matrix *m = xcalloc(1, sizeof(*m));
    m->origin = xstrdup(path);
    if (load_header(m, root, path, err, errlen) != 0 || load_table(m, root, path, err, errlen) != 0) {
        json_decref(root);
        br_matrix_free(m);
        return NULL;
    }
    json_decref(root);
    return m;
}

typedef struct {
    size_t trials, with_violations, violations, inconclusive;
    size_t broke, conclusive; /* the rate: trials that broke the rule among the conclusive ones */
    int as_expected;
    br_cell_verdict verdict;
    char reason[256];
    char error[800];
    char run_path[600];
    double seconds;
} cell_result;

/* The bookd processes of one cell: a fresh database in a temporary folder, the mode's flags. */
typedef struct {
    char dir[32];
    char db[64];
    br_server pods[8];
    char *urls[8];
    int started;
} cell_pods;

/* Starts the row's pods in the mode; on failure says why in |err| (the pods started are stopped later). */
static int start_pods(cell_pods *cp, const br_matrix_row *row, const br_matrix_mode *mode,
                      const br_matrix_options *opts, char *err, size_t errlen)
{
    char window[32], threads[16], clock[64];
    memset(cp, 0, sizeof(*cp));
    snprintf(cp->dir, sizeof(cp->dir), "/tmp/bookrace-matrix-XXXXXX");
    if (mkdtemp(cp->dir) == NULL) {
        cp->dir[0] = '\0';
        snprintf(err, errlen, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(cp->db, sizeof(cp->db), "%s/bookd.db", cp->dir);
    snprintf(window, sizeof(window), "%ld", mode->race_window_us);
    snprintf(threads, sizeof(threads), "%d", mode->threads);
    snprintf(clock, sizeof(clock), "virtual:%sT06:00:00Z", row->scenario->date);
    const char *args[] = {"--db",
                          cp->db,
                          "--fix",
                          mode->fix,
                          "--slot-cache",
                          mode->slot_cache,
                          "--race-window-us",
                          window,
                          "--clock",
                          clock,
                          "--threads",
                          threads,
                          NULL};
    for (; cp->started < row->pods; cp->started++) {
        br_server *s = &cp->pods[cp->started];
        if (br_server_start(s, opts->bookd_bin, args, 10000, err, errlen) != 0)
            return -1;
        cp->urls[cp->started] = xmalloc(40);
        snprintf(cp->urls[cp->started], 40, "http://127.0.0.1:%d", s->port);
    }
    return 0;
}

/* Stops the pods (a pod that exits with a failure fails the cell) and removes the database. */
static void stop_pods(cell_pods *cp, cell_result *out)
{
    for (int i = 0; i < cp->started; i++) {
        int rc = br_server_stop(&cp->pods[i]);
        if (rc != 0 && out->error[0] == '\0') {
            snprintf(out->error, sizeof(out->error), "bookd pod %d exited with status %d", i, rc);
            out->as_expected = 0;
        }
        free(cp->urls[i]);
    }
    if (cp->dir[0] == '\0')
        return;
    unlink(cp->db);
    char side[128];
    snprintf(side, sizeof(side), "%s-wal", cp->db);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", cp->db);
    unlink(side);
    rmdir(cp->dir);
}

static void expect_text(const br_matrix_expect *e, char *buf, size_t cap);

br_cell_verdict br_matrix_judge(const br_matrix_expect *e, const size_t counts[5], char *reason, size_t cap)
{
    size_t total = 0, k = counts[BR_TRIAL_VIOLATION] + counts[BR_TRIAL_EXPECTATION];
    for (int i = 0; i < 5; i++)
        total += counts[i];
    size_t n = br_verdict_conclusive(counts);
    char rate[64], exp[32], extra[96] = "";
    br_rate_format(k, n, rate, sizeof(rate));
    expect_text(e, exp, sizeof(exp));
    if (n < total)
        snprintf(extra, sizeof(extra), " (%zu inconclusive, %zu target errors)",
                 counts[BR_TRIAL_INCONCLUSIVE], counts[BR_TRIAL_TARGET_ERROR]);
    br_cell_verdict v;
    if (!e->violation)
        v = total > 0 && k == 0 && n == total ? BR_CELL_AS_EXPECTED : BR_CELL_UNEXPECTED;
    else if (e->share >= 1.0)
        v = total > 0 && k == total ? BR_CELL_AS_EXPECTED : BR_CELL_UNEXPECTED;
    else {
        int at = br_rate_at_least(k, n, e->share);
        v = at == 1 ? BR_CELL_AS_EXPECTED : at == 0 ? BR_CELL_UNEXPECTED : BR_CELL_UNDECIDED;
    }
    if (v == BR_CELL_UNDECIDED)
        snprintf(reason, cap, "undecided: need more trials: %s with a violation%s cannot tell %s", rate,
                 extra, exp);
    else
        snprintf(reason, cap, "%s with a violation%s; expected %s", rate, extra, exp);
    return v;
}

/* Counts the run's trials and violations and compares them with the cell's expectation. */
static void judge_cell(const br_run_result *r, int status, const br_matrix_expect *expect, cell_result *out)
{
    size_t counts[5];
    out->trials = r->trial_count;
    out->with_violations = br_run_trials_with_violations(r);
    out->inconclusive = br_run_trials_inconclusive(r);
    for (size_t t = 0; t < r->trial_count; t++)
        out->violations += r->trials[t].violations.count;
    br_run_class_counts(r, counts);
    out->broke = counts[BR_TRIAL_VIOLATION] + counts[BR_TRIAL_EXPECTATION];
    out->conclusive = br_verdict_conclusive(counts);
    out->verdict = br_matrix_judge(expect, counts, out->reason, sizeof(out->reason));
    if (status != BR_RUN_OK) {
        snprintf(out->error, sizeof(out->error), "%s", r->error[0] ? r->error : "interrupted");
        out->verdict = BR_CELL_UNEXPECTED;
    }
    out->as_expected = out->verdict == BR_CELL_AS_EXPECTED;
}

static const char *verdict_word(br_cell_verdict v)
{
    return v == BR_CELL_AS_EXPECTED ? "as-expected" : v == BR_CELL_UNDECIDED ? "undecided" : "unexpected";
}

/* Writes the cell's run into OUT/cells/ROW--MODE ('+' → 'p', '/' → '_') and notes its run.json. */
static void write_cell(const br_matrix *m, const br_matrix_row *row, const br_matrix_mode *mode,
                       const br_matrix_expect *expect, const br_matrix_options *opts,
                       const br_run_config *cfg, const br_run_result *r, cell_result *out)
{
    br_run_meta meta = {.scenario_file = row->file,
                        .target_file = m->target_file,
                        .expect_violation = expect->violation,
                        .exit_code = out->as_expected                    ? BR_EXIT_HELD
                                     : out->verdict == BR_CELL_UNDECIDED ? BR_EXIT_UNDECIDED
                                                                         : BR_EXIT_NOT_HELD,
                        .outcome = verdict_word(out->verdict),
                        .reason = out->reason};
    char cell_dir[800], err[800];
    snprintf(cell_dir, sizeof(cell_dir), "%s/cells/%s--%s", opts->out_dir, row->label, mode->name);
    for (char *p = cell_dir + strlen(opts->out_dir) + 7; *p; p++)
        if (*p == '+' || *p == '/')
            *p = *p == '+' ? 'p' : '_';
    if (br_results_write(cell_dir, cfg, r, &meta, err, sizeof(err)) == 0)
        snprintf(out->run_path, sizeof(out->run_path), "%s/run.json", cell_dir + strlen(opts->out_dir) + 1);
}

/* Runs one cell: the row's scenario against fresh pods in the mode, judged against the expectation. */
static void run_cell(const br_matrix *m, const br_matrix_row *row, const br_matrix_mode *mode,
                     const br_matrix_expect *expect, const br_matrix_options *opts, cell_result *out)
{
    memset(out, 0, sizeof(*out));
    int64_t started = br_wall_us();
    cell_pods cp;
    char err[800];
    br_target *target = NULL;
    if (start_pods(&cp, row, mode, opts, err, sizeof(err)) != 0) {
        snprintf(out->error, sizeof(out->error), "%s", err);
        goto done;
    }
    target = br_target_load(m->target_file, err, sizeof(err));
    if (target == NULL || br_target_set_base_urls(target, cp.urls, (size_t)row->pods) != 0) {
        snprintf(out->error, sizeof(out->error), "%s", target ? "bad base URL" : err);
        goto done;
    }
    br_run_config cfg = {.scenario = row->scenario,
                         .target = target,
                         .repeat = row->repeat,
                         .seed = 1,
                         .quiet = 1,
                         .stop = opts->stop};
    cfg.threads =
        opts->harness_threads ? opts->harness_threads : br_default_race_threads(row->scenario->actor_count);
    br_new_run_id(cfg.run_id);
    br_run_result r;
    int status = br_run(&cfg, &r);
    judge_cell(&r, status, expect, out);
    write_cell(m, row, mode, expect, opts, &cfg, &r, out);
    br_run_result_free(&r);
done:
    stop_pods(&cp, out);
    br_target_free(target);
    out->seconds = (double)(br_wall_us() - started) / 1e6;
}

static void expect_text(const br_matrix_expect *e, char *buf, size_t cap)
{
    if (!e->violation)
        snprintf(buf, cap, "clean");
    else if (e->share >= 1.0)
        snprintf(buf, cap, "violation");
    else
        snprintf(buf, cap, "violation>=%g", e->share);
}

/* The cells of a run, row-major: what each gave and whether it ran (--scenario and --mode pick some). */
typedef struct {
    cell_result *cells;
    char *ran;
    size_t name_width; /* the widest row label, at least 8 */
    int all_ok;
    size_t unexpected, undecided;
    double seconds;
} matrix_outcome;

/* Runs the cells --scenario and --mode select, saying each on stderr unless quiet. */
static void run_cells(const br_matrix *m, const br_matrix_options *opts, matrix_outcome *o)
{
    for (size_t r = 0; r < m->row_count && !atomic_load(opts->stop); r++) {
        if (opts->only_scenario && strcmp(opts->only_scenario, m->rows[r].label) != 0)
            continue;
        for (size_t k = 0; k < m->mode_count && !atomic_load(opts->stop); k++) {
            if (opts->only_mode && strcmp(opts->only_mode, m->modes[k].name) != 0)
                continue;
            cell_result *c = &o->cells[r * m->mode_count + k];
            run_cell(m, &m->rows[r], &m->modes[k], &m->rows[r].expect[k], opts, c);
            o->ran[r * m->mode_count + k] = 1;
            o->all_ok &= c->as_expected;
            o->unexpected += c->verdict == BR_CELL_UNEXPECTED;
            o->undecided += c->verdict == BR_CELL_UNDECIDED;
            if (!opts->quiet) {
                fprintf(stderr, "  %-*s  %-10s %s: %s%s%s (%.2fs)\n", (int)o->name_width, m->rows[r].label,
                        m->modes[k].name,
                        c->as_expected                    ? "as expected"
                        : c->verdict == BR_CELL_UNDECIDED ? "UNDECIDED"
                                                          : "UNEXPECTED",
                        c->reason, c->error[0] ? ": " : "", c->error, c->seconds);
            }
        }
    }
}

/* Under the table: every cell not as expected with its rate and interval, then the verdict. */
static void print_notes(const br_matrix *m, const matrix_outcome *o)
{
    for (size_t i = 0; i < m->row_count * m->mode_count; i++)
        if (o->ran[i] && !o->cells[i].as_expected)
            printf("%s / %s: %s%s%s\n", m->rows[i / m->mode_count].label, m->modes[i % m->mode_count].name,
                   o->cells[i].reason, o->cells[i].error[0] ? "; error: " : "", o->cells[i].error);
    printf("cells read trials with a violation/conclusive trials; ok = as expected. ");
    if (o->unexpected)
        printf("SOME CELLS NOT AS EXPECTED");
    else if (o->undecided)
        printf("%zu cell(s) UNDECIDED: need more trials (raise the row's repeat)", o->undecided);
    else
        printf("%s", o->all_ok ? "every cell as expected" : "interrupted");
    printf(" in %.1fs\n", o->seconds);
}

/* The table: scenario by mode, each cell violations/trials and whether it is as expected. */
static void print_table(const br_matrix *m, const matrix_outcome *o)
{
    printf("%-*s", (int)o->name_width + 2, "scenario");
    for (size_t k = 0; k < m->mode_count; k++)
        printf("  %-18s", m->modes[k].name);
    printf("\n");
    for (size_t r = 0; r < m->row_count; r++) {
        printf("%-*s", (int)o->name_width + 2, m->rows[r].label);
        for (size_t k = 0; k < m->mode_count; k++) {
            const cell_result *c = &o->cells[r * m->mode_count + k];
            char cell[64], exp[32];
            expect_text(&m->rows[r].expect[k], exp, sizeof(exp));
            if (!o->ran[r * m->mode_count + k])
                snprintf(cell, sizeof(cell), "-");
            else if (c->error[0])
                snprintf(cell, sizeof(cell), "ERROR");
            else
                snprintf(cell, sizeof(cell), "%zu/%zu %s", c->broke, c->conclusive,
                         c->as_expected                    ? "ok"
                         : c->verdict == BR_CELL_UNDECIDED ? "undecided"
                         : exp[0] == 'c'                   ? "FAIL:clean?"
                                                           : "FAIL:viol?");
            printf("  %-18s", cell);
        }
        printf("\n");
    }
    print_notes(m, o);
}

/* matrix.json: the matrix, its modes and every cell that ran. */
static char *matrix_json(const br_matrix *m, const matrix_outcome *o)
{
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:f, s:b}", "schema", "bookrace.matrix/1", "name", m->name,
                            "file", m->origin, "target", m->target_file, "durationSeconds", o->seconds,
                            "allAsExpected", o->all_ok);
    json_t *modes = json_array(), *jcells = json_array();
    for (size_t k = 0; k < m->mode_count; k++)
        json_array_append_new(modes, json_pack("{s:s, s:s, s:s, s:I, s:i}", "name", m->modes[k].name, "fix",
                                               m->modes[k].fix, "slotCache", m->modes[k].slot_cache,
                                               "raceWindowUs", (json_int_t)m->modes[k].race_window_us,
                                               "threads", m->modes[k].threads));
    for (size_t r = 0; r < m->row_count; r++)
        for (size_t k = 0; k < m->mode_count; k++) {
            if (!o->ran[r * m->mode_count + k])
                continue;
            const cell_result *c = &o->cells[r * m->mode_count + k];
            char exp[32];
            expect_text(&m->rows[r].expect[k], exp, sizeof(exp));
            json_t *cell = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:b, s:f}", "scenario",
                                     m->rows[r].label, "mode", m->modes[k].name, "expected", exp, "trials",
                                     (int)c->trials, "trialsWithViolations", (int)c->with_violations,
                                     "violations", (int)c->violations, "inconclusive", (int)c->inconclusive,
                                     "asExpected", c->as_expected, "seconds", c->seconds);
            json_object_set_new(cell, "error", c->error[0] ? json_string(c->error) : json_null());
            json_object_set_new(cell, "verdict", json_string(verdict_word(c->verdict)));
            json_object_set_new(cell, "reason", json_string(c->reason));
            json_object_set_new(cell, "reproduction", br_rate_json(c->broke, c->conclusive));
            json_object_set_new(cell, "run", c->run_path[0] ? json_string(c->run_path) : json_null());
            json_array_append_new(jcells, cell);
        }
    json_object_set_new(doc, "modes", modes);
    json_object_set_new(doc, "cellsUnexpected", json_integer((json_int_t)o->unexpected));
    json_object_set_new(doc, "cellsUndecided", json_integer((json_int_t)o->undecided));
    json_object_set_new(doc, "cells", jcells);
    char *text = json_dumps(doc, JSON_INDENT(1));
    json_decref(doc);
    return text;
}

/* junit.xml: a test case per cell that ran, a failure where it was not as expected. */
static char *matrix_junit(const br_matrix *m, const matrix_outcome *o, size_t *len)
{
    char *junit = NULL;
    FILE *jf = open_memstream(&junit, len);
    size_t cell_count = 0;
    for (size_t i = 0; i < m->row_count * m->mode_count; i++)
        cell_count += o->ran[i];
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"", jf);
    br_xml_escape(jf, m->name);
    fprintf(jf, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", cell_count,
            o->unexpected, o->undecided, o->seconds);
    for (size_t r = 0; r < m->row_count; r++)
        for (size_t k = 0; k < m->mode_count; k++) {
            if (!o->ran[r * m->mode_count + k])
                continue;
            const cell_result *c = &o->cells[r * m->mode_count + k];
            /* Names are the matrix author's text: escaped, or a '&' or '"' in one breaks the whole file. */
            fputs("  <testcase classname=\"bookrace.matrix.", jf);
            br_xml_escape(jf, m->rows[r].label);
            fputs("\" name=\"", jf);
            br_xml_escape(jf, m->rows[r].label);
            fputs(" / ", jf);
            br_xml_escape(jf, m->modes[k].name);
            fprintf(jf, "\" time=\"%.3f\">", c->seconds);
            /* Undecided is neither a pass nor a failure: a JUnit error, so no gate reads it as green. */
            if (c->verdict == BR_CELL_UNDECIDED)
                fputs("<error type=\"undecided\" message=\"", jf);
            else if (!c->as_expected)
                fprintf(jf, "<failure message=\"%s", c->error[0] ? "(error) " : "");
            else
                fputs("<system-out>", jf);
            br_xml_escape(jf, c->reason);
            fputs(c->as_expected ? "</system-out>" : "\"/>", jf);
            fprintf(jf, "</testcase>\n");
        }
    fprintf(jf, "</testsuite>\n</testsuites>\n");
    fclose(jf);
    return junit;
}

/* Writes matrix.json and junit.xml into the results folder. Returns 0, or -1 (said on stderr). */
static int write_matrix_files(const br_matrix *m, const br_matrix_options *opts, const matrix_outcome *o)
{
    size_t junit_len = 0;
    char *text = matrix_json(m, o);
    char *junit = matrix_junit(m, o, &junit_len);
    int failed = br_mkdir_p(opts->out_dir) != 0 ||
                 br_write_file_atomic(opts->out_dir, "matrix.json", text, strlen(text)) != 0 ||
                 br_write_file_atomic(opts->out_dir, "junit.xml", junit, junit_len) != 0;
    if (failed)
        fprintf(stderr, "bookrace: cannot write results into %s: %s\n", opts->out_dir, strerror(errno));
    else
        printf("results: %s\n", opts->out_dir);
    free(text);
    free(junit);
    return failed ? -1 : 0;
}

int br_matrix_run(const br_matrix *m, const br_matrix_options *opts)
{
    int64_t started = br_wall_us();
    matrix_outcome o = {.cells = xcalloc(m->row_count * m->mode_count, sizeof(cell_result)),
                        .ran = xcalloc(m->row_count * m->mode_count, 1),
                        .name_width = 8,
                        .all_ok = 1};
    for (size_t r = 0; r < m->row_count; r++)
        if (strlen(m->rows[r].label) > o.name_width)
            o.name_width = strlen(m->rows[r].label);
    run_cells(m, opts, &o);
    if (atomic_load(opts->stop))
        o.all_ok = 0;
    o.seconds = (double)(br_wall_us() - started) / 1e6;
    print_table(m, &o);
    int write_failed = write_matrix_files(m, opts, &o) != 0;
    size_t unexpected = o.unexpected, undecided = o.undecided;
    free(o.cells);
    free(o.ran);
    if (atomic_load(opts->stop))
        return BR_EXIT_INTERRUPTED;
    if (unexpected || write_failed)
        return BR_EXIT_NOT_HELD;
    return undecided ? BR_EXIT_UNDECIDED : BR_EXIT_HELD;
}
