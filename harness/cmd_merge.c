/*
 * bookrace merge: reads each load.json (errors name file:line:column, or the
 * JSON path for a well-formed file that is not a load result), merges them
 * exactly (merge.c), writes the result atomically, and prints what a person
 * checks first: requests, throughput, p99, how far apart the inputs started,
 * and the oracle's findings over all the bookings together.
 */
#include "cmd_merge.h"

#include "jsonload.h"
#include "merge.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] = "usage: bookrace merge LOAD.json LOAD.json... -o MERGED.json [--quiet]\n";

static int merge_files(char **files, int count, const char *out, int quiet)
{
    char err[1024];
    br_merger *m = br_merger_new();
    for (int i = 0; i < count; i++) {
        json_t *doc = br_json_load_file(files[i], err, sizeof(err));
        int rc = doc ? br_merger_add(m, doc, files[i], err, sizeof(err)) : -1;
        json_decref(doc);
        if (rc != 0) {
            fprintf(stderr, "bookrace: merge: %s\n", err);
            br_merger_free(m);
            return 2;
        }
    }
    json_t *doc = br_merger_finish(m, err, sizeof(err));
    br_merger_free(m);
    if (doc == NULL) {
        fprintf(stderr, "bookrace: merge: %s\n", err);
        return 2;
    }
    char *text = json_dumps(doc, JSON_INDENT(1));
    int failed = text == NULL || br_write_path_atomic(out, text, strlen(text)) != 0;
    free(text);
    if (failed) {
        fprintf(stderr, "bookrace: merge: cannot write %s\n", out);
        json_decref(doc);
        return 2;
    }
    json_t *merge = json_object_get(doc, "merge"), *overall = json_object_get(doc, "overall");
    json_t *violations = json_object_get(json_object_get(doc, "oracle"), "violations");
    if (!json_is_true(json_object_get(merge, "complete")))
        fprintf(stderr, "bookrace: merge: %d input(s) of a %lld-segment load: the merge is partial\n", count,
                (long long)json_integer_value(json_object_get(merge, "segments")));
    if (!quiet) {
        printf("merged %d results: %lld requests, %.1f req/s, p99 %lld us, start spread %.3f ms\n", count,
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
        printf("oracle: %zu violations over the bookings of every input\nresults: %s\n",
               json_array_size(violations), out);
    }
    int rc = json_array_size(violations) > 0 ? 1 : 0;
    json_decref(doc);
    return rc;
}

int br_merge_main(int argc, char **argv)
{
    const char *out = NULL;
    int quiet = 0, count = 0;
    char **files = calloc((size_t)argc, sizeof(char *));
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "bookrace: %s needs a file\n%s", argv[i], usage);
                free(files);
                return 2;
            }
            out = argv[++i];
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "bookrace: unknown option %s\n%s", argv[i], usage);
            free(files);
            return 2;
        } else {
            files[count++] = argv[i];
        }
    }
    if (count == 0 || out == NULL) {
        fprintf(stderr, "bookrace: merge needs at least one LOAD.json and -o MERGED.json\n%s", usage);
        free(files);
        return 2;
    }
    int rc = merge_files(files, count, out, quiet);
    free(files);
    return rc;
}
