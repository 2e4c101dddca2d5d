/*
 * bookrace merge: reads each load.json (errors name file:line:column, or the
 * JSON path for a well-formed file that is not a load result), merges them
 * exactly (merge.c), writes the result atomically, and prints what a person
 * checks first: requests, throughput, p99, how far apart the inputs started,
 * and the oracle's findings over all the bookings together.
 */
#include "alloc.h"
#include "cli.h"
#include "commands.h"
#include "exitcode.h"
#include "history_check.h"
#include "jsonload.h"
#include "merge.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: bookrace merge LOAD.json LOAD.json... -o MERGED.json [--quiet]\n"
    "\n"
    "Merges the load results of several generators (the segments of a fleet, docs/fleet.md) into one:\n"
    "histograms added exactly, per-second series on the wall clock, counts summed, and the oracle over\n"
    "the bookings of all of them together. Exit 1 when it finds a violation, 2 for inputs it cannot merge.\n";

typedef struct {
    br_merger *merger;
    char *err;
    size_t errlen;
} stream_ctx;

static int add_one(const br_op_record *booking, void *ctx)
{
    stream_ctx *c = ctx;
    return br_merger_add_booking(c->merger, booking, c->err, c->errlen);
}

/* A load that streamed its history (issue 12) keeps its bookings there: read them into the merged oracle. */
static int add_streamed_bookings(br_merger *m, const char *file, json_t *doc, char *err, size_t errlen)
{
    stream_ctx c = {m, err, errlen};
    return br_history_each_booking(file, doc, add_one, &c, err, errlen);
}

static int merge_files(const char **files, size_t count, const char *out, int quiet)
{
    char err[1024];
    br_merger *m = br_merger_new();
    for (size_t i = 0; i < count; i++) {
        json_t *doc = br_json_load_file(files[i], err, sizeof(err));
        int rc = doc ? br_merger_add(m, doc, files[i], err, sizeof(err)) : -1;
        if (rc == 0 && json_object_get(doc, "history") != NULL &&
            !json_is_array(json_object_get(json_object_get(doc, "oracle"), "bookings")))
            rc = add_streamed_bookings(m, files[i], doc, err, sizeof(err));
        json_decref(doc);
        if (rc != 0) {
            fprintf(stderr, "bookrace: merge: %s\n", err);
            br_merger_free(m);
            return BR_EXIT_USAGE;
        }
    }
    json_t *doc = br_merger_finish(m, err, sizeof(err));
    br_merger_free(m);
    if (doc == NULL) {
        fprintf(stderr, "bookrace: merge: %s\n", err);
        return BR_EXIT_USAGE;
    }
    char *text = json_dumps(doc, JSON_INDENT(1));
    int failed = text == NULL || br_write_path_atomic(out, text, strlen(text)) != 0;
    free(text);
    if (failed) {
        fprintf(stderr, "bookrace: merge: cannot write %s\n", out);
        json_decref(doc);
        return BR_EXIT_USAGE;
    }
    json_t *merge = json_object_get(doc, "merge"), *overall = json_object_get(doc, "overall");
    json_t *violations = json_object_get(json_object_get(doc, "oracle"), "violations");
    if (!json_is_true(json_object_get(merge, "complete")))
        fprintf(stderr, "bookrace: merge: %zu input(s) of a %lld-segment load: the merge is partial\n", count,
                (long long)json_integer_value(json_object_get(merge, "segments")));
    if (!quiet) {
        printf("merged %zu results: %lld requests, %.1f req/s, p99 %lld us, start spread %.3f ms\n", count,
               (long long)json_integer_value(json_object_get(overall, "requests")),
               json_number_value(json_object_get(overall, "throughputPerSecond")),
               (long long)json_integer_value(json_object_get(json_object_get(overall, "latencyUs"), "p99")),
               (double)json_integer_value(json_object_get(merge, "startSpreadUs")) / 1000.0);
        size_t i;
        json_t *v;
        json_array_foreach (violations, i, v) {
            if (i == 10)
                break;
            printf("%s\n", json_string_value(json_object_get(v, "text")));
        }
        printf(
            "oracle: %lld violations over the bookings of every input\nresults: %s\n",
            (long long)json_integer_value(json_object_get(json_object_get(doc, "oracle"), "violationCount")),
            out);
    }
    int rc = json_array_size(violations) > 0 ? BR_EXIT_NOT_HELD : BR_EXIT_HELD;
    json_decref(doc);
    return rc;
}

enum { OPT_OUTPUT = BR_CLI_FIRST_ID, OPT_QUIET };

static const br_cli_option options[] = {
    {"output", 'o', 1, OPT_OUTPUT},
    {"quiet", 0, 0, OPT_QUIET},
    {NULL, 0, 0, 0},
};

static const br_cli_spec spec = {.usage = usage,
                                 .options = options,
                                 .min_args = 1,
                                 .max_args = BR_MERGE_MAX_INPUTS,
                                 .args_missing = "merge needs at least one LOAD.json"};

typedef struct {
    const char *out;
    int quiet;
} merge_options;

static int on_option(void *arg, int id, const char *v, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    merge_options *o = arg;
    if (id == OPT_OUTPUT)
        o->out = v;
    else
        o->quiet = 1;
    return 0;
}

int br_cmd_merge(int argc, char **argv, atomic_int *stop)
{
    (void)stop;
    merge_options o = {NULL, 0};
    const char **args = xcalloc(BR_MERGE_MAX_INPUTS, sizeof(char *));
    size_t nargs = 0;
    int parsed = br_cli_parse(&spec, argc, argv, on_option, &o, args, &nargs);
    int rc = parsed == BR_CLI_HELP ? BR_EXIT_HELD : BR_EXIT_USAGE;
    if (parsed == BR_CLI_OK)
        rc = o.out ? merge_files(args, nargs, o.out, o.quiet)
                   : br_cli_usage_error(&spec, "merge needs -o MERGED.json");
    free(args);
    return rc;
}
