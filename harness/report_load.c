/*
 * The report of a load run (load.json): the operations table, latency over
 * time (p50 and p99 per second and operation: a stall or a slow drift shows
 * here and hides in a percentile curve), latency by percentile, throughput,
 * errors, and the oracle's verdict. A load against a broken backend finds
 * thousands of violations: they are grouped by kind and inspector, and the
 * calendars of the worst inspector-days are drawn from the bookings in the
 * streamed history (history.jsonl.zst beside load.json; read record by
 * record, at most RP_MAX_BOOKINGS kept, a uniform sample beyond), so the
 * page stays a few hundred kilobytes at any run length.
 */
#include "report_int.h"

#include "history.h"
#include "iso8601.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { CH_W = 1000, CH_L = 70, CH_R = 150, CH_B = 30, CH_T = 12 };

/* A log-scale latency axis from decade d0 to decade d1, on a chart |h| pixels high. */
typedef struct {
    double d0, d1;
    int h;
} logscale;

static logscale log_axis(double vmin, double vmax, int h)
{
    vmax = vmax < 10 ? 10 : vmax > 1e15 ? 1e15 : vmax;
    vmin = vmin < 1 ? 1 : vmin > vmax ? vmax : vmin; /* no histogram at all leaves vmin at its start */
    logscale s = {floor(log10(vmin)), ceil(log10(vmax)), h};
    if (s.d1 <= s.d0)
        s.d0 = s.d1 - 1;
    return s;
}

static double ly(const logscale *s, double v)
{
    double l = log10(v < 1 ? 1 : v);
    l = l < s->d0 ? s->d0 : l;
    return s->h - CH_B - (s->h - CH_B - CH_T) * ((l - s->d0) / (s->d1 - s->d0));
}

static void log_gridlines(FILE *f, const logscale *s)
{
    for (int d = (int)s->d0; d <= (int)s->d1; d++) {
        char lab[32];
        double y = ly(s, pow(10, d));
        fprintf(
            f,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" y=\"%.1f\" "
            "font-size=\"11\" text-anchor=\"end\">%s</text>\n",
            CH_L, y, CH_W - CH_R, y, CH_L - 6, y + 4, rp_fmt_dur((int64_t)pow(10, d), lab, sizeof(lab)));
    }
}

/* Percentile curves: x is "nines" (-log10(1 - p)), from p50 to p99.999; y is latency on a log scale. */
static void latency_curves(FILE *f, json_t *ops)
{
    const int W = CH_W, H = 340;
    double ymax = 1, ymin = 1e18;
    const char *name;
    json_t *op;
    json_object_foreach (ops, name, op) {
        json_t *first = json_array_get(json_object_get(op, "histogram"), 0);
        double mx = rp_num(json_object_get(op, "latencyUs"), "max");
        ymax = mx > ymax ? mx : ymax;
        if (first && rp_clamp(json_number_value(json_array_get(first, 0))) < ymin)
            ymin = rp_clamp(json_number_value(json_array_get(first, 0)));
    }
    double xmax = 5; /* p99.999 */
    double pw = W - CH_L - CH_R;
    logscale ls = log_axis(ymin, ymax, H);
    fprintf(f,
            "<h2>Latency by percentile</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"latency\" "
            "width=\"%d\" "
            "height=\"%d\">\n",
            W, H);
    log_gridlines(f, &ls);
    const char *labels[] = {"p0", "p90", "p99", "p99.9", "p99.99", "p99.999"};
    for (int k = 0; k <= 5; k++)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
                CH_L + pw * (k / xmax), H - 10, labels[k]);
    int c = 0;
    json_object_foreach (ops, name, op) {
        json_t *hist = json_object_get(op, "histogram"), *b;
        double total = 0, seen = 0;
        size_t i;
        json_array_foreach (hist, i, b) {
            total += rp_clamp(json_number_value(json_array_get(b, 1)));
        }
        if (total == 0)
            continue;
        fprintf(f, "<polyline class=\"curve\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                rp_palette[c % 7]);
        json_array_foreach (hist, i, b) {
            seen += rp_clamp(json_number_value(json_array_get(b, 1)));
            double p = seen / total, nines = p >= 1 ? xmax : -log10(1 - p);
            double v = rp_clamp(json_number_value(json_array_get(b, 0)));
            fprintf(f, "%.1f,%.1f ", CH_L + pw * ((nines > xmax ? xmax : nines) / xmax), ly(&ls, v));
        }
        fprintf(f, "\"/>\n<text x=\"%.0f\" y=\"%d\" fill=\"%s\" font-size=\"12\">", CH_L + pw + 10,
                20 + 16 * c, rp_palette[c % 7]);
        rp_esc(f, name);
        fputs("</text>\n", f);
        c++;
    }
    fputs("</svg>\n", f);
}

/* A second's value of |metric| for operation |name|, or -1 when that second had none. */
static double second_value(json_t *pt, const char *name, const char *metric)
{
    json_t *op = json_object_get(json_object_get(pt, "operations"), name);
    if (op == NULL || rp_num(op, "requests") <= 0)
        return -1;
    return rp_num(op, metric);
}

static void series_line(FILE *f, json_t *series, const char *name, const char *metric, const logscale *ls,
                        const char *color)
{
    size_t n = json_array_size(series), i;
    double pw = CH_W - CH_L - CH_R;
    int pen_down = 0;
    json_t *pt;
    fprintf(f, "<path class=\"series %s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s d=\"", metric,
            color, strcmp(metric, "p99") == 0 ? "2" : "1.5",
            strcmp(metric, "p50") == 0 ? " stroke-dasharray=\"5,3\"" : "");
    json_array_foreach (series, i, pt) {
        double v = second_value(pt, name, metric);
        if (v < 0) {
            pen_down = 0;
            continue;
        }
        double x = CH_L + pw * (n > 1 ? (double)i / (double)(n - 1) : 0.5);
        fprintf(f, "%c%.1f %.1f ", pen_down ? 'L' : 'M', x, ly(ls, v));
        pen_down = 1;
    }
    fputs("\"/>\n", f);
}

static void time_axis(FILE *f, size_t n, int H)
{
    double pw = CH_W - CH_L - CH_R, step = rp_nice_step((double)(n > 1 ? n - 1 : 1), 10);
    for (double s = 0; s <= (double)(n > 1 ? n - 1 : 0) + 1e-9; s += step) {
        double x = CH_L + pw * (n > 1 ? s / (double)(n - 1) : 0.5);
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/><text x=\"%.1f\" "
                "y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.0f s</text>\n",
                x, CH_T, x, H - CH_B, x, H - 12, s);
    }
}

/* p50 (dashed) and p99 (solid) of each operation, second by second, on a log scale. */
static void latency_over_time(FILE *f, json_t *series, json_t *ops)
{
    const int H = 320;
    double ymax = 1, ymin = 1e18;
    size_t n = json_array_size(series), i;
    json_t *pt;
    const char *name;
    json_t *op;
    json_array_foreach (series, i, pt) {
        json_object_foreach (json_object_get(pt, "operations"), name, op) {
            ymax = rp_num(op, "p99") > ymax ? rp_num(op, "p99") : ymax;
            if (rp_num(op, "requests") > 0 && rp_num(op, "p50") < ymin)
                ymin = rp_num(op, "p50");
        }
    }
    fputs("<h2>Latency over time</h2>\n", f);
    if (n == 0 || ymax <= 1) {
        fputs("<p class=\"muted\">load.json has no per-second latency.</p>\n", f);
        return;
    }
    logscale ls = log_axis(ymin, ymax, H);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"latency-time\" width=\"%d\" height=\"%d\">\n",
            CH_W, H);
    log_gridlines(f, &ls);
    time_axis(f, n, H);
    int c = 0;
    json_object_foreach (ops, name, op) {
        series_line(f, series, name, "p99", &ls, rp_palette[c % 7]);
        series_line(f, series, name, "p50", &ls, rp_palette[c % 7]);
        fprintf(f, "<text x=\"%d\" y=\"%d\" fill=\"%s\" font-size=\"12\">", CH_W - CH_R + 10, 20 + 16 * c,
                rp_palette[c % 7]);
        rp_esc(f, name);
        fputs(" p99 / p50</text>\n", f);
        c++;
    }
    fputs(
        "</svg>\n<p class=\"muted\">Solid: p99 of the requests completed in that second; dashed: p50.</p>\n",
        f);
}

static void throughput_chart(FILE *f, json_t *series)
{
    const int H = 200;
    double ymax = 1, pw = CH_W - CH_L - CH_R, ph = H - CH_B - CH_T;
    size_t n = json_array_size(series), i;
    json_t *pt;
    json_array_foreach (series, i, pt) {
        ymax = rp_num(pt, "requests") > ymax ? rp_num(pt, "requests") : ymax;
    }
    double step = rp_nice_step(ymax, 4);
    ymax = ceil(ymax / step) * step;
    fprintf(f,
            "<h2>Throughput over time</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"throughput\" "
            "width=\"%d\" height=\"%d\">\n",
            CH_W, H);
    for (double v = 0; v <= ymax + step / 2; v += step) {
        double y = H - CH_B - ph * v / ymax;
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" "
                "y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.0f/s</text>\n",
                CH_L, y, CH_L + pw, y, CH_L - 6, y + 4, v);
    }
    time_axis(f, n, H);
    fputs("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"", f);
    json_array_foreach (series, i, pt) {
        double x = CH_L + pw * (n > 1 ? (double)i / (double)(n - 1) : 0.5);
        fprintf(f, "%.1f,%.1f ", x, H - CH_B - ph * (rp_num(pt, "requests") / ymax));
    }
    fputs("\"/>\n</svg>\n", f);
}

static void operations_table(FILE *f, json_t *ops)
{
    fputs("<h2>Operations</h2>\n<table id=\"operations\">\n<tr><th "
          "class=\"l\">operation</th><th>requests</th><th>req/s</th>"
          "<th>p50 us</th><th>p90 us</th><th>p99 us</th><th>p99.9 us</th><th>p99.99 us</th><th>max us</th>"
          "<th class=\"l\">statuses</th></tr>\n",
          f);
    const char *name;
    json_t *op;
    json_object_foreach (ops, name, op) {
        json_t *l = json_object_get(op, "latencyUs");
        fputs("<tr><td class=\"l\">", f);
        rp_esc(f, name);
        fprintf(f,
                "</td><td>%.0f</td><td>%.1f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%.0f</"
                "td><td>%.0f</td><td>%.0f</td><td class=\"l\">",
                rp_num(op, "requests"), rp_num(op, "throughputPerSecond"), rp_num(l, "p50"), rp_num(l, "p90"),
                rp_num(l, "p99"), rp_num(l, "p99.9"), rp_num(l, "p99.99"), rp_num(l, "max"));
        const char *code;
        json_t *cnt;
        json_object_foreach (json_object_get(op, "statuses"), code, cnt) {
            rp_esc(f, code);
            fprintf(f, "&#215;%lld ", (long long)json_integer_value(cnt));
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* ---- bookings from the streamed history ------------------------------------------------------------- */

static void add_record(rp_bookings *bs, br_history_reader *r, const br_history_record *rec, int book_op,
                       int with_truth)
{
    rp_booking b = {0};
    if (rec->type == BR_HREC_TRUTH) {
        if (!with_truth || !rec->active)
            return;
        b.stored = 1;
        snprintf(b.actor, sizeof(b.actor), "id %s", rec->id);
    } else if ((rec->type == BR_HREC_OK || rec->type == BR_HREC_INFO) && rec->op == book_op &&
               rec->inspector[0]) {
        const char *actor = rec->actor >= 0 ? br_history_actor_name(r, rec->actor) : NULL;
        snprintf(b.actor, sizeof(b.actor), "%s", actor ? actor : "?");
        b.info = rec->type == BR_HREC_INFO;
        b.request_us = rec->invoke_us;
        b.status = rec->status;
    } else
        return;
    snprintf(b.inspector, sizeof(b.inspector), "%s", rec->inspector);
    b.start_us = rec->start_us;
    b.end_us = rec->end_us;
    rp_bookings_add(bs, &b);
}

/*
 * Reads the bookings of |path|; returns 0, or -1 with |err|. Not
 * br_history_each_booking (history_check.c): a calendar needs the actors'
 * names and, for stored double bookings, the truth records, in one pass.
 */
static int history_bookings(const char *path, rp_bookings *bs, int with_truth, char *err, size_t errlen)
{
    br_history_reader *r = br_history_reader_open(path, err, errlen);
    if (r == NULL)
        return -1;
    br_history_record rec;
    int rc, book_op = -2;
    while ((rc = br_history_next(r, &rec, err, errlen)) == 1) {
        if (book_op == -2) {
            book_op = -1;
            for (size_t i = 0; i < br_history_op_count(r); i++)
                if (strcmp(br_history_op_name(r, (int)i), "book") == 0)
                    book_op = (int)i;
        }
        add_record(bs, r, &rec, book_op, with_truth);
    }
    br_history_reader_close(r);
    return rc;
}

static int has_kind(json_t *violations, const char *kind)
{
    size_t i;
    json_t *v;
    json_array_foreach (violations, i, v) {
        if (strcmp(rp_str(v, "kind"), kind) == 0)
            return 1;
    }
    return 0;
}

/* oracle.bookings, where load.json carries them (a merge of inputs without streams, older runs). */
static void json_bookings(json_t *list, rp_bookings *bs)
{
    size_t i;
    json_t *v;
    json_array_foreach (list, i, v) {
        rp_booking b = {0};
        const char *s = rp_str(v, "start"), *e = rp_str(v, "end"), *outcome = rp_str(v, "outcome");
        if (strcmp(outcome, "fail") == 0 || br_time_parse(s, strlen(s), &b.start_us) != 0 ||
            br_time_parse(e, strlen(e), &b.end_us) != 0)
            continue;
        snprintf(b.inspector, sizeof(b.inspector), "%s", rp_str(v, "inspector"));
        snprintf(b.actor, sizeof(b.actor), "%s",
                 rp_str(v, "actor")[0] ? rp_str(v, "actor") : rp_str(v, "id"));
        b.info = strcmp(outcome, "ok") != 0;
        b.request_us = (int64_t)rp_num(v, "sendUs");
        b.status = rp_int(v, "status");
        rp_bookings_add(bs, &b);
    }
}

/* The bookings behind the verdict: oracle.bookings, else the streamed history beside |source_path|. */
static void load_bookings(json_t *doc, const char *source_path, rp_bookings *bs, char *err, size_t errlen)
{
    json_t *oracle = json_object_get(doc, "oracle");
    const char *file = rp_str(json_object_get(doc, "history"), "file");
    char path[4200];
    if (json_array_size(json_object_get(oracle, "bookings"))) {
        json_bookings(json_object_get(oracle, "bookings"), bs);
        return;
    }
    if (!file[0] || strchr(file, '/') != NULL) { /* a name beside load.json, as bookrace check reads it */
        snprintf(err, errlen, "load.json names no streamed history beside it");
        return;
    }
    if (source_path == NULL) {
        snprintf(err, errlen, "the report was not given load.json's path");
        return;
    }
    const char *slash = strrchr(source_path, '/');
    snprintf(path, sizeof(path), "%.*s%s", slash ? (int)(slash - source_path + 1) : 0, source_path, file);
    int with_truth = has_kind(json_object_get(oracle, "violations"), "double-booking-stored");
    if (history_bookings(path, bs, with_truth, err, errlen) != 0)
        rp_bookings_free(bs);
}

/* The evidence behind the oracle's verdict: the bookings, their clusters, or why they are missing. */
typedef struct {
    rp_bookings bs;
    rp_cluster *cl;
    size_t ncl;
    char err[512];
    int drawn; /* violations exist: calendars are wanted */
} evidence;

static void oracle_section(FILE *f, json_t *doc, const char *source_path, evidence *ev)
{
    json_t *oracle = json_object_get(doc, "oracle"), *v = json_object_get(oracle, "violations");
    if (!json_is_true(json_object_get(oracle, "checked"))) {
        fputs("<h2>Oracle</h2>\n<p class=\"muted\">The oracle did not run (--no-oracle).</p>\n", f);
        return;
    }
    size_t total = rp_count(oracle, "violationCount");
    total = total > json_array_size(v) ? total : json_array_size(v);
    fprintf(f,
            "<h2>Oracle</h2>\n<p id=\"verdict\" class=\"verdict %s\">%zu violations among %.0f acknowledged "
            "bookings (%s)</p>\n",
            total ? "bad" : "good", total, rp_num(oracle, "bookingsAcknowledged"),
            json_is_true(json_object_get(oracle, "groundTruth")) ? "history and ground truth"
                                                                 : "history only");
    if (total == 0)
        return;
    ev->drawn = 1;
    load_bookings(doc, source_path, &ev->bs, ev->err, sizeof(ev->err));
    ev->ncl = rp_clusters(&ev->bs, &ev->cl);
    rp_violation_groups(f, v, rp_count(oracle, "violationCount"), ev->cl, ev->ncl, "load.json");
}

static void calendar_section(FILE *f, const evidence *ev)
{
    if (!ev->drawn)
        return;
    fputs("<h2>The worst inspector-days</h2>\n", f);
    if (ev->err[0]) {
        fputs("<p class=\"warn\">No calendar: the bookings could not be read: ", f);
        rp_esc(f, ev->err);
        fputs("</p>\n", f);
        return;
    }
    if (ev->bs.offered > ev->bs.count)
        fprintf(f,
                "<p class=\"muted\">Clusters and calendars from a uniform sample of %zu of the %zu bookings "
                "in the "
                "history.</p>\n",
                ev->bs.count, ev->bs.offered);
    rp_calendars(f, &ev->bs, ev->cl, ev->ncl);
}

int rp_load_report(json_t *doc, const char *source_path, FILE *f)
{
    json_t *ops = json_object_get(doc, "operations"), *sc = json_object_get(doc, "scenario");
    char title[256];
    snprintf(title, sizeof(title), "bookrace load: %s", sc ? rp_str(sc, "name") : rp_str(doc, "url"));
    rp_page_start(f, title);
    fputs("<p>", f);
    rp_esc(f, rp_str(doc, "model"));
    fprintf(f, " model%s, %d threads, %d connections, %.1f s measured after %.1f s warm-up, started ",
            rp_num(doc, "rate") > 0 ? " (constant rate)" : "", rp_int(doc, "threads"),
            rp_int(doc, "connections"), rp_num(doc, "measuredSeconds"), rp_num(doc, "warmupSeconds"));
    rp_esc(f, rp_str(doc, "startedAt"));
    fputs(".</p>\n", f);
    evidence ev = {0};
    oracle_section(f, doc, source_path, &ev);
    operations_table(f, ops);
    latency_over_time(f, json_object_get(doc, "timeseries"), ops);
    latency_curves(f, ops);
    throughput_chart(f, json_object_get(doc, "timeseries"));
    json_t *errors = json_object_get(doc, "errors");
    fprintf(f,
            "<h2>Errors</h2>\n<p>connect %.0f, read %.0f, write %.0f, timeout %.0f, parse %.0f; late sends "
            "%.0f</p>\n",
            rp_num(errors, "connect"), rp_num(errors, "read"), rp_num(errors, "write"),
            rp_num(errors, "timeout"), rp_num(errors, "parse"), rp_num(doc, "lateSends"));
    calendar_section(f, &ev);
    free(ev.cl);
    rp_bookings_free(&ev.bs);
    rp_page_end(f);
    return 0;
}
