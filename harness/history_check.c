/*
 * `bookrace check` on a load's streamed history (see history_check.h): the
 * booking records go into the interval oracle as they are read, the truth
 * records into an array (as many as the target listed), and the end record
 * says whether the truth was read. The same br_interval_finish as the load
 * gives the verdict.
 */
#include "history_check.h"

#include "alloc.h"
#include "history.h"
#include "interval.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Feeds one record; collects truth into |truth|. */
static void take(br_history_reader *r, br_interval_oracle *o, const br_history_record *rec, int book_op,
                 br_truth_booking **truth, size_t *count, size_t *cap)
{
    if (rec->type == BR_HREC_TRUTH) {
        if (*count == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *truth = xreallocarray(*truth, *cap, sizeof(br_truth_booking));
        }
        br_truth_booking *t = &(*truth)[(*count)++];
        memset(t, 0, sizeof(*t));
        snprintf(t->id, sizeof(t->id), "%s", rec->id);
        snprintf(t->inspector, sizeof(t->inspector), "%s", rec->inspector);
        t->start_us = rec->start_us;
        t->end_us = rec->end_us;
        t->active = rec->active;
        t->ours = rec->ours;
        return;
    }
    (void)r;
    if (rec->op != book_op || rec->inspector[0] == '\0' ||
        (rec->type != BR_HREC_OK && rec->type != BR_HREC_INFO))
        return;
    br_interval_booking b = {.actor = rec->actor,
                             .outcome = rec->type == BR_HREC_OK ? BR_OUTCOME_OK : BR_OUTCOME_INFO,
                             .status = rec->status,
                             .inspector = rec->inspector,
                             .id = rec->id,
                             .start_us = rec->start_us,
                             .end_us = rec->end_us,
                             .invoke_us = rec->invoke_us,
                             .complete_us = rec->t_us};
    br_interval_add(o, &b);
}

int br_history_check(const char *path, br_violations *out, br_history_check_stats *stats, char *err,
                     size_t errlen)
{
    memset(stats, 0, sizeof(*stats));
    br_history_reader *r = br_history_reader_open(path, err, errlen);
    if (r == NULL)
        return -1;
    br_interval_oracle *o = NULL;
    const char **names = NULL;
    int book_op = -1, rc;
    br_truth_booking *truth = NULL;
    size_t count = 0, cap = 0;
    br_history_record rec;
    while ((rc = br_history_next(r, &rec, err, errlen)) == 1) {
        if (o == NULL) { /* the header has been read with the first record */
            names = xcalloc(br_history_actor_count(r) + 1, sizeof(char *));
            for (size_t a = 0; a < br_history_actor_count(r); a++)
                names[a] = br_history_actor_name(r, (int)a);
            o = br_interval_new(names, br_history_actor_count(r));
            for (size_t k = 0; k < br_history_op_count(r); k++)
                if (strcmp(br_history_op_name(r, (int)k), "book") == 0)
                    book_op = (int)k;
        }
        if (rec.type == BR_HREC_END)
            stats->truth_checked = rec.truth_checked;
        else
            stats->records += rec.type <= BR_HREC_INFO;
        take(r, o, &rec, book_op, &truth, &count, &cap);
    }
    if (rc == 0 && o != NULL) {
        stats->acknowledged = br_interval_acknowledged(o);
        br_interval_finish(o, truth, count, stats->truth_checked, out);
    }
    br_interval_free(o);
    free(names);
    free(truth);
    br_history_reader_close(r);
    return rc == 0 ? 0 : -1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether load.json's recorded violation texts are the recomputed ones (as multisets). */
static int same_violations(json_t *recorded, const br_violations *v)
{
    if (json_array_size(recorded) != v->count)
        return 0;
    const char **a = xcalloc(v->count + 1, sizeof(char *)), **b = xcalloc(v->count + 1, sizeof(char *));
    for (size_t i = 0; i < v->count; i++) {
        const char *t = json_string_value(json_object_get(json_array_get(recorded, i), "text"));
        a[i] = t ? t : "";
        b[i] = v->items[i].text;
    }
    qsort(a, v->count, sizeof(char *), cmp_str);
    qsort(b, v->count, sizeof(char *), cmp_str);
    int same = 1;
    for (size_t i = 0; i < v->count && same; i++)
        same = strcmp(a[i], b[i]) == 0;
    free(a);
    free(b);
    return same;
}

/* The history a load.json points to, as a path next to it; NULL with |err|. */
static char *history_of(const char *path, json_t *doc, char *err, size_t errlen)
{
    const char *file = json_string_value(json_object_get(json_object_get(doc, "history"), "file"));
    if (file == NULL || strchr(file, '/') != NULL) {
        snprintf(err, errlen,
                 "%s: no streamed history (\"history\".\"file\"): written with --no-oracle, or "
                 "by a bookrace before the history stream",
                 path);
        return NULL;
    }
    const char *slash = strrchr(path, '/');
    size_t dir = slash ? (size_t)(slash - path + 1) : 0, n = dir + strlen(file) + 1;
    char *h = xmalloc(n);
    snprintf(h, n, "%.*s%s", (int)dir, path, file);
    return h;
}

/* The oracle record of a booking record; 0 when |rec| is not a booking. */
static int booking_of(const br_history_record *rec, int book_op, br_op_record *o)
{
    if (rec->op != book_op || rec->inspector[0] == '\0' ||
        (rec->type != BR_HREC_OK && rec->type != BR_HREC_INFO))
        return 0;
    memset(o, 0, sizeof(*o));
    o->op = BR_OP_BOOK;
    o->outcome = rec->type == BR_HREC_OK ? BR_OUTCOME_OK : BR_OUTCOME_INFO;
    o->status = rec->status;
    o->step = -1;
    o->expect = -1;
    snprintf(o->inspector, sizeof(o->inspector), "%s", rec->inspector);
    snprintf(o->id, sizeof(o->id), "%s", rec->id);
    o->start_us = rec->start_us;
    o->end_us = rec->end_us;
    o->invoke_us = o->invoke_scenario_us = rec->invoke_us;
    o->complete_us = o->complete_scenario_us = rec->t_us;
    return 1;
}

int br_history_each_booking(const char *load_path, json_t *load_doc,
                            int (*fn)(const br_op_record *booking, void *ctx), void *ctx, char *err,
                            size_t errlen)
{
    char *hpath = history_of(load_path, load_doc, err, errlen);
    br_history_reader *r = hpath ? br_history_reader_open(hpath, err, errlen) : NULL;
    free(hpath);
    if (r == NULL)
        return -1;
    int book_op = -2, rc, fn_rc = 0;
    br_history_record rec;
    br_op_record o;
    while (fn_rc == 0 && (rc = br_history_next(r, &rec, err, errlen)) == 1) {
        for (size_t k = 0; book_op == -2 && k <= br_history_op_count(r); k++)
            if (k == br_history_op_count(r) || strcmp(br_history_op_name(r, (int)k), "book") == 0)
                book_op = k == br_history_op_count(r) ? -1 : (int)k;
        if (booking_of(&rec, book_op, &o))
            fn_rc = fn(&o, ctx);
    }
    br_history_reader_close(r);
    return fn_rc != 0 ? fn_rc : rc == 0 ? 0 : -1;
}

/* Violations `bookrace check` prints for a load, of the thousands a broken backend can produce. */
#define BR_CHECK_PRINTED_MAX 20

/* What FILE is: 2 a history, 1 a load.json (|*doc| set), 0 neither. */
static int kind_of(const char *path, json_t **doc)
{
    *doc = NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return 0;
    char head[40] = "";
    size_t n = fread(head, 1, sizeof(head) - 1, f);
    fclose(f);
    static const unsigned char zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    if ((n >= 4 && memcmp(head, zstd_magic, 4) == 0) || strstr(head, "bookrace.history/") != NULL)
        return 2;
    json_error_t je;
    *doc = json_load_file(path, 0, &je);
    const char *schema = json_string_value(json_object_get(*doc, "schema"));
    if (schema && strcmp(schema, "bookrace.load/1") == 0)
        return 1;
    json_decref(*doc);
    *doc = NULL;
    return 0;
}

long br_history_check_file(const char *path, FILE *out, int *is_load, char *err, size_t errlen)
{
    json_t *doc;
    int kind = kind_of(path, &doc);
    *is_load = kind != 0;
    if (kind == 0)
        return 0;
    char *hpath = kind == 1 ? history_of(path, doc, err, errlen) : xstrdup(path);
    if (hpath == NULL) {
        json_decref(doc);
        return -1;
    }
    br_violations v = {0};
    br_history_check_stats st;
    long rc = br_history_check(hpath, &v, &st, err, errlen);
    if (rc == 0) {
        /* A terminal shows the first few; load.json and its report keep up to 1,000 of each kind. */
        for (size_t i = 0; i < v.count && i < BR_CHECK_PRINTED_MAX; i++)
            fprintf(out, "%s\n", v.items[i].text);
        if (v.total > BR_CHECK_PRINTED_MAX)
            fprintf(out, "... and %zu more violations\n", v.total - BR_CHECK_PRINTED_MAX);
        fprintf(out, "%s: %llu operations, %zu acknowledged bookings, %zu violations (%s)\n", hpath,
                (unsigned long long)st.records, st.acknowledged, v.total,
                st.truth_checked ? "history and ground truth" : "history only");
        rc = (long)v.total;
        if (kind == 1) {
            json_t *oracle = json_object_get(doc, "oracle"),
                   *total = json_object_get(oracle, "violationCount");
            int same = same_violations(json_object_get(oracle, "violations"), &v) &&
                       (total == NULL || json_integer_value(total) == (json_int_t)v.total);
            fprintf(out, "load.json recorded %s\n", same ? "the same violations" : "DIFFERENT violations");
            if (!same)
                rc = -2;
        }
    }
    br_violations_free(&v);
    free(hpath);
    json_decref(doc);
    return rc;
}
