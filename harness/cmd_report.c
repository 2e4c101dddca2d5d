/*
 * `bookrace report` (one run.json or load.json as an HTML page) and `bookrace
 * compare` (the load runs of two releases judged as distributions, gated on
 * the confidence interval: compare_load.h). The pages are drawn by report.c,
 * the statistics live in compare.c; this file reads the inputs (files or run
 * directories, one or several a side), writes the outputs atomically and
 * decides the exit code.
 */
#include "cli.h"
#include "compare_load.h"
#include "commands.h"
#include "exitcode.h"
#include "jsonload.h"
#include "report.h"
#include "results.h"

#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char report_usage[] =
    "usage: bookrace report RUN.json|load.json|matrix.json|window.json [-o report.html]\n"
    "\n"
    "Draws a result as one self-contained HTML page (default: report.html beside the input): a run's\n"
    "violations grouped, the affected inspectors' days as calendars and a timeline with the releases;\n"
    "a load's latency over time and by percentile (calendars from its streamed history); a matrix's\n"
    "cells; a window sweep's reproduction rate by delay.\n";

static const char compare_usage[] =
    "usage: bookrace compare BASE NEW [--max-regress 10%] [-o compare.html] [--json FILE] [--junit FILE]\n"
    "       bookrace compare [OPTIONS] BASE... -- NEW...\n"
    "\n"
    "Compares the load runs of two releases as distributions: every whole second of every run is a\n"
    "sample of throughput and of each operation's p50/p90/p99. Per metric: the change of the median with\n"
    "its 95% bootstrap interval and a Mann-Whitney p; REGRESSION only when the whole interval is worse\n"
    "than --max-regress, \"no significant change\" when the runs cannot tell. Fewer than 4 samples a side\n"
    "is not judged. BASE and NEW are load.json files or directories (their load.json and */load.json:\n"
    "`load --runs N`). Writes compare.json and junit-compare.xml beside the first NEW unless named.\n"
    "\n"
    "exit codes: 0 no regression; 6 a metric regressed; 1 the oracle found more violations or the\n"
    "            transport more errors (or an output could not be written); 2 bad command line or input\n";

enum { OPT_OUTPUT = BR_CLI_FIRST_ID, OPT_MAX_REGRESS, OPT_JSON, OPT_JUNIT };

static const br_cli_option report_options[] = {
    {"output", 'o', 1, OPT_OUTPUT},
    {NULL, 0, 0, 0},
};

static const br_cli_option compare_options[] = {
    {"output", 'o', 1, OPT_OUTPUT},
    {"max-regress", 0, 1, OPT_MAX_REGRESS},
    {"json", 0, 1, OPT_JSON},
    {"junit", 0, 1, OPT_JUNIT},
    {NULL, 0, 0, 0},
};

static const br_cli_spec report_spec = {.usage = report_usage,
                                        .options = report_options,
                                        .min_args = 1,
                                        .max_args = 1,
                                        .args_missing = "report needs a RUN.json or load.json"};

static const br_cli_spec compare_spec = {.usage = compare_usage,
                                         .options = compare_options,
                                         .min_args = 1,
                                         .max_args = 64,
                                         .args_missing = "compare needs BASE and NEW (or BASE... -- NEW...)"};

typedef struct {
    const char *out;
} page_options;

static int on_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    (void)id, (void)err, (void)errlen;
    ((page_options *)arg)->out = v;
    return 0;
}

static json_t *load_json_or_complain(const char *path)
{
    char err[1024];
    json_t *doc = br_json_load_file(path, err, sizeof(err));
    if (doc == NULL)
        fprintf(stderr, "bookrace: %s\n", err);
    return doc;
}

/* Writes |fill|'s output to |path| atomically. */
static int write_via(const char *path, int (*fill)(FILE *f, void *arg), void *arg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc = fill(f, arg);
    fclose(f);
    if (rc == 0 && br_write_path_atomic(path, buf, len) != 0) {
        fprintf(stderr, "bookrace: cannot write %s: %s\n", path, strerror(errno));
        rc = -1;
    }
    free(buf);
    return rc;
}

typedef struct {
    json_t *doc;
    const char *path;
} report_input;

static int fill_report(FILE *f, void *arg)
{
    char err[256];
    report_input *in = arg;
    if (br_report_html_source(in->doc, in->path, f, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        return -1;
    }
    return 0;
}

static int fill_compare_html(FILE *f, void *arg)
{
    br_compare_html(arg, f);
    return 0;
}

int br_cmd_report(int argc, char **argv, atomic_int *stop)
{
    (void)stop;
    page_options o = {0};
    const char *args[1];
    size_t nargs;
    int parsed = br_cli_parse(&report_spec, argc, argv, on_option, &o, args, &nargs);
    if (parsed != BR_CLI_OK)
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    const char *path = args[0];
    json_t *doc = load_json_or_complain(path);
    if (doc == NULL)
        return BR_EXIT_USAGE;
    char out_buf[4200];
    if (o.out == NULL) {
        snprintf(out_buf, sizeof(out_buf), "%s", path);
        char *slash = strrchr(out_buf, '/');
        snprintf(slash ? slash + 1 : out_buf, sizeof(out_buf) - (size_t)(slash ? slash + 1 - out_buf : 0),
                 "report.html");
        o.out = out_buf;
    }
    report_input in = {doc, path};
    int rc = write_via(o.out, fill_report, &in);
    json_decref(doc);
    if (rc == 0)
        printf("report: %s\n", o.out);
    return rc == 0 ? BR_EXIT_HELD : BR_EXIT_USAGE;
}

/* ---- compare ---------------------------------------------------------------------------------------- */

typedef struct {
    const char *html, *json, *junit;
    double max_pct;
} compare_options_t;

static int on_compare_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    compare_options_t *o = arg;
    if (id == OPT_OUTPUT)
        o->html = v;
    else if (id == OPT_JSON)
        o->json = v;
    else if (id == OPT_JUNIT)
        o->junit = v;
    else {
        char *end;
        o->max_pct = strtod(v, &end);
        if (end == v || (*end && strcmp(end, "%") != 0) || !(o->max_pct >= 0 && o->max_pct < 1000)) {
            snprintf(err, errlen, "invalid --max-regress %s (e.g. 5%%)", v);
            return -1;
        }
    }
    return 0;
}

/* The index of the "--" that separates the sides (not an option's value), or argc. */
static int sides_separator(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return i;
        for (const br_cli_option *o = compare_options; o->name; o++) {
            int is_long = strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, o->name) == 0;
            int is_short = o->letter && argv[i][0] == '-' && argv[i][1] == o->letter && argv[i][2] == '\0';
            if (o->has_value && (is_long || is_short)) {
                i++;
                break;
            }
        }
    }
    return argc;
}

static int add_file(br_cmp_report *r, int side, const char *path)
{
    char err[1024];
    json_t *doc = load_json_or_complain(path);
    if (doc == NULL)
        return -1;
    int rc = br_cmp_add_doc(r, side, doc, path, err, sizeof(err));
    if (rc != 0)
        fprintf(stderr, "bookrace: %s\n", err);
    json_decref(doc);
    return rc;
}

/* A load.json, or a directory: its load.json and DIR/x/load.json of each run (`load --runs N`). */
static int add_input(br_cmp_report *r, int side, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return add_file(r, side, path);
    char pattern[4200];
    snprintf(pattern, sizeof(pattern), "%s/load.json", path);
    size_t before = r->runs[side];
    if (access(pattern, R_OK) == 0 && add_file(r, side, pattern) != 0)
        return -1;
    snprintf(pattern, sizeof(pattern), "%s/*/load.json", path);
    glob_t g;
    int rc = 0;
    if (glob(pattern, 0, NULL, &g) == 0)
        for (size_t i = 0; i < g.gl_pathc && rc == 0; i++)
            rc = add_file(r, side, g.gl_pathv[i]);
    globfree(&g);
    if (rc == 0 && r->runs[side] == before) {
        fprintf(stderr, "bookrace: %s: a directory without load.json or */load.json\n", path);
        return -1;
    }
    return rc;
}

/* compare.json and junit.xml beside the first new input unless named. */
static int write_outputs(const br_cmp_report *r, const compare_options_t *o, const char *first_new)
{
    char dir[4096], json_path[4200], junit_path[4200];
    struct stat st;
    snprintf(dir, sizeof(dir), "%s", first_new);
    if (stat(first_new, &st) != 0 || !S_ISDIR(st.st_mode)) {
        char *slash = strrchr(dir, '/');
        snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - dir) : 1, slash ? first_new : ".");
    }
    snprintf(json_path, sizeof(json_path), "%s/compare.json", dir);
    snprintf(junit_path, sizeof(junit_path), "%s/junit-compare.xml", dir);
    const char *jp = o->json ? o->json : json_path, *up = o->junit ? o->junit : junit_path;
    json_t *doc = br_cmp_json(r);
    char *text = json_dumps(doc, JSON_INDENT(1));
    json_decref(doc);
    char *junit = br_cmp_junit(r);
    int rc = 0;
    if (br_write_path_atomic(jp, text, strlen(text)) != 0 ||
        br_write_path_atomic(up, junit, strlen(junit)) != 0) {
        fprintf(stderr, "bookrace: cannot write %s: %s\n", jp, strerror(errno));
        rc = -1;
    }
    free(text);
    free(junit);
    if (rc == 0 && o->html)
        rc = write_via(o->html, fill_compare_html, (void *)r);
    if (rc == 0)
        printf("compare: %s, %s%s%s\n", jp, up, o->html ? ", " : "", o->html ? o->html : "");
    return rc;
}

int br_cmd_compare(int argc, char **argv, atomic_int *stop)
{
    (void)stop;
    compare_options_t o = {.max_pct = 10};
    const char *args[64];
    size_t nargs;
    int sep = sides_separator(argc, argv);
    int parsed = br_cli_parse(&compare_spec, sep, argv, on_compare_option, &o, args, &nargs);
    if (parsed != BR_CLI_OK)
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    size_t nbase = sep < argc ? nargs : 1, nnew = sep < argc ? (size_t)(argc - sep - 1) : 1;
    if (sep == argc && nargs != 2)
        return br_cli_usage_error(&compare_spec, "compare needs BASE and NEW (or BASE... -- NEW...)");
    if (sep < argc && nnew == 0)
        return br_cli_usage_error(&compare_spec, "nothing after --: compare needs the new runs there");
    br_cmp_report r;
    br_cmp_init(&r, o.max_pct);
    int rc = 0;
    for (size_t i = 0; i < nbase && rc == 0; i++)
        rc = add_input(&r, BR_CMP_BASE, args[i]);
    const char *first_new = sep < argc ? argv[sep + 1] : args[1];
    for (size_t i = 0; i < nnew && rc == 0; i++)
        rc = add_input(&r, BR_CMP_NEW, sep < argc ? argv[sep + 1 + i] : args[1]);
    if (rc != 0) {
        br_cmp_free(&r);
        return BR_EXIT_USAGE;
    }
    br_cmp_judge(&r);
    br_cmp_print(&r, stdout);
    rc = write_outputs(&r, &o, first_new) != 0 ? BR_EXIT_NOT_HELD
         : r.verdict_worse                     ? BR_EXIT_NOT_HELD
         : r.regressions                       ? BR_EXIT_REGRESSION
                                               : BR_EXIT_HELD;
    br_cmp_free(&r);
    return rc;
}
