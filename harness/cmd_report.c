/*
 * `bookrace report` (one run.json or load.json as an HTML page) and `bookrace
 * compare` (two runs side by side, with a regression threshold for CI). The
 * pages themselves are drawn by report.c; this file reads the inputs, writes
 * the page atomically and decides the exit code.
 */
#include "cli.h"
#include "commands.h"
#include "exitcode.h"
#include "jsonload.h"
#include "report.h"
#include "results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char report_usage[] =
    "usage: bookrace report RUN.json|load.json|matrix.json|window.json [-o report.html]\n"
    "\n"
    "Draws a result as one self-contained HTML page (default: report.html beside the input): a run's\n"
    "violations grouped, the affected inspectors' days as calendars and a timeline with the releases;\n"
    "a load's latency over time and by percentile (calendars from its streamed history); a matrix's\n"
    "cells; a window sweep's reproduction rate by delay.\n";

static const char compare_usage[] =
    "usage: bookrace compare BASE.json NEW.json [--max-regress 10%] [-o compare.html]\n"
    "\n"
    "Compares two load results (or runs): exit 1 when a metric regressed past --max-regress or the oracle\n"
    "verdict got worse, 0 otherwise.\n";

enum { OPT_OUTPUT = BR_CLI_FIRST_ID, OPT_MAX_REGRESS };

static const br_cli_option report_options[] = {
    {"output", 'o', 1, OPT_OUTPUT},
    {NULL, 0, 0, 0},
};

static const br_cli_option compare_options[] = {
    {"output", 'o', 1, OPT_OUTPUT},
    {"max-regress", 0, 1, OPT_MAX_REGRESS},
    {NULL, 0, 0, 0},
};

static const br_cli_spec report_spec = {.usage = report_usage,
                                        .options = report_options,
                                        .min_args = 1,
                                        .max_args = 1,
                                        .args_missing = "report needs a RUN.json or load.json"};

static const br_cli_spec compare_spec = {.usage = compare_usage,
                                         .options = compare_options,
                                         .min_args = 2,
                                         .max_args = 2,
                                         .args_missing = "compare needs BASE.json and NEW.json"};

typedef struct {
    const char *out;
    double max_pct;
} page_options;

static int on_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    page_options *o = arg;
    if (id == OPT_OUTPUT) {
        o->out = v;
        return 0;
    }
    char *end;
    o->max_pct = strtod(v, &end);
    if (end == v || (*end && strcmp(end, "%") != 0) || o->max_pct < 0) {
        snprintf(err, errlen, "invalid --max-regress %s (e.g. 10%%)", v);
        return -1;
    }
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

static int compare_docs(json_t *base, json_t *next, const page_options *o)
{
    char err[512];
    br_compare_result res;
    FILE *html = NULL;
    char *html_buf = NULL;
    size_t html_len = 0;
    if (o->out)
        html = open_memstream(&html_buf, &html_len);
    int rc = br_compare(base, next, o->max_pct, stdout, html, &res, err, sizeof(err));
    if (html)
        fclose(html);
    if (rc != 0) {
        fprintf(stderr, "bookrace: %s\n", err);
        rc = BR_EXIT_USAGE;
    } else {
        if (o->out && br_write_path_atomic(o->out, html_buf, html_len) != 0)
            fprintf(stderr, "bookrace: cannot write %s: %s\n", o->out, strerror(errno));
        printf("%d metrics regressed past %.1f%%%s\n", res.regressions, o->max_pct,
               res.verdict_worse ? "; the oracle verdict got worse" : "");
        rc = res.regressions || res.verdict_worse ? BR_EXIT_NOT_HELD : BR_EXIT_HELD;
    }
    free(html_buf);
    return rc;
}

int br_cmd_compare(int argc, char **argv, atomic_int *stop)
{
    (void)stop;
    page_options o = {.max_pct = 10};
    const char *args[2];
    size_t nargs;
    int parsed = br_cli_parse(&compare_spec, argc, argv, on_option, &o, args, &nargs);
    if (parsed != BR_CLI_OK)
        return parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    json_t *base = load_json_or_complain(args[0]), *next = base ? load_json_or_complain(args[1]) : NULL;
    int rc = next ? compare_docs(base, next, &o) : BR_EXIT_USAGE;
    json_decref(base);
    json_decref(next);
    return rc;
}
