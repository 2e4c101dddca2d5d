#include "report.h"

#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf"};

static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

static void page_start(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>", f);
    esc(f, title);
    fputs("</"
          "title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}table{border-collapse:"
          "collapse}"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}.bad{color:#c00;"
          "font-weight:bold}.good{color:#080;font-weight:bold}svg{background:#fafafa;border:1px solid #ddd}"
          "</style>\n</head>\n<body>\n<h1>",
          f);
    esc(f, title);
    fputs("</h1>\n", f);
}

static void page_end(FILE *f)
{
    fputs("</body>\n</html>\n", f);
}

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static double num(json_t *o, const char *k)
{
    return json_number_value(json_object_get(o, k));
}

/* What the backend said about the answer (recordHeaders), and about the list a booking's slot came from. */
static void title_headers(FILE *f, json_t *history, json_t *op)
{
    char line[512];
    json_t *headers = json_object_get(op, "headers");
    if (json_object_size(headers)) {
        fputs(" [", f);
        esc(f, br_headers_line(headers, line, sizeof(line)));
        fputs("]", f);
    }
    json_t *from = json_object_get(op, "fromList");
    json_t *list = json_is_integer(from) ? json_array_get(history, (size_t)json_integer_value(from)) : NULL;
    if (json_object_size(json_object_get(list, "headers"))) {
        fputs(" from a list served ", f);
        esc(f, br_headers_line(json_object_get(list, "headers"), line, sizeof(line)));
    }
}

/* ---- load reports ---------------------------------------------------------------------------------- */

/* Percentile curves: x is "nines" (-log10(1 - p)), from p50 to p99.999; y is latency on a log scale. */
static void latency_curves(FILE *f, json_t *ops)
{
    const int W = 900, H = 360, L = 70, B = 40;
    double ymax = 1;
    const char *name;
    json_t *op;
    json_object_foreach (ops, name, op) {
        double mx = num(json_object_get(op, "latencyUs"), "max");
        if (mx > ymax)
            ymax = mx;
    }
    double ylog = log10(ymax) + 0.2, xmax = 5; /* p99.999 */
    fprintf(f,
            "<h2>Latency by percentile</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"latency\" "
            "width=\"%d\" "
            "height=\"%d\">\n",
            W, H);
    for (int d = 0; d <= (int)ylog; d++) {
        double y = H - B - (H - B - 10) * (d / ylog);
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"5\" y=\"%.1f\" "
                "font-size=\"11\">%.0f us</text>\n",
                L, y, W - 10, y, y + 4, pow(10, d));
    }
    const char *labels[] = {"p0", "p90", "p99", "p99.9", "p99.99", "p99.999"};
    for (int k = 0; k <= 5; k++) {
        double x = L + (W - L - 20) * (k / xmax);
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\">%s</text>\n", x - 10, H - 20, labels[k]);
    }
    int c = 0;
    json_object_foreach (ops, name, op) {
        json_t *hist = json_object_get(op, "histogram");
        double total = 0;
        size_t i;
        json_t *b;
        json_array_foreach (hist, i, b) {
            total += json_number_value(json_array_get(b, 1));
        }
        if (total == 0)
            continue;
        fprintf(f, "<polyline class=\"curve\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                palette[c % 7]);
        double seen = 0;
        json_array_foreach (hist, i, b) {
            seen += json_number_value(json_array_get(b, 1));
            double p = seen / total;
            double nines = p >= 1 ? xmax : -log10(1 - p);
            if (nines > xmax)
                nines = xmax;
            double v = json_number_value(json_array_get(b, 0));
            double y = H - B - (H - B - 10) * (log10(v < 1 ? 1 : v) / ylog);
            fprintf(f, "%.1f,%.1f ", L + (W - L - 20) * (nines / xmax), y);
        }
        fprintf(f, "\"/>\n<text x=\"%d\" y=\"%d\" fill=\"%s\" font-size=\"12\">", W - 200, 20 + 15 * c,
                palette[c % 7]);
        esc(f, name);
        fputs("</text>\n", f);
        c++;
    }
    fputs("</svg>\n", f);
}

static void throughput_chart(FILE *f, json_t *series)
{
    const int W = 900, H = 240, L = 70, B = 30;
    double ymax = 1;
    size_t n = json_array_size(series), i;
    json_t *pt;
    json_array_foreach (series, i, pt) {
        if (num(pt, "requests") > ymax)
            ymax = num(pt, "requests");
    }
    fprintf(
        f,
        "<h2>Throughput over time</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"throughput\" "
        "width=\"%d\" "
        "height=\"%d\">\n<text x=\"5\" y=\"15\" font-size=\"11\">%.0f req/s</text>\n<text x=\"5\" y=\"%d\" "
        "font-size=\"11\">0</text>\n",
        W, H, ymax, H - B);
    fputs("<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"", f);
    json_array_foreach (series, i, pt) {
        double x = L + (W - L - 20) * (n > 1 ? (double)i / (double)(n - 1) : 0);
        double y = H - B - (H - B - 10) * (num(pt, "requests") / ymax);
        fprintf(f, "%.1f,%.1f ", x, y);
    }
    fprintf(f, "\"/>\n<text x=\"%d\" y=\"%d\" font-size=\"11\">%zu s</text>\n</svg>\n", W - 60, H - 8, n);
}

static int load_report(json_t *doc, FILE *f)
{
    json_t *ops = json_object_get(doc, "operations"), *oracle = json_object_get(doc, "oracle");
    char title[256];
    json_t *sc = json_object_get(doc, "scenario");
    snprintf(title, sizeof(title), "bookrace load: %s", sc ? str(sc, "name") : str(doc, "url"));
    page_start(f, title);
    fprintf(
        f,
        "<p>%s model%s, %d threads, %d connections, %.1f s measured after %.1f s warm-up, started %s.</p>\n",
        str(doc, "model"), num(doc, "rate") > 0 ? " (constant rate)" : "", (int)num(doc, "threads"),
        (int)num(doc, "connections"), num(doc, "measuredSeconds"), num(doc, "warmupSeconds"),
        str(doc, "startedAt"));
    fputs("<h2>Operations</h2>\n<table "
          "id=\"operations\">\n<tr><th>operation</th><th>requests</th><th>req/s</th>"
          "<th>p50 us</th><th>p90 us</th><th>p99 us</th><th>p99.9 us</th><th>p99.99 us</th><th>max us</th>"
          "<th>statuses</th></tr>\n",
          f);
    const char *name;
    json_t *op;
    json_object_foreach (ops, name, op) {
        json_t *l = json_object_get(op, "latencyUs");
        fputs("<tr><td>", f);
        esc(f, name);
        fprintf(
            f,
            "</td><td>%.0f</td><td>%.1f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td>"
            "<td>%.0f</td><td>",
            num(op, "requests"), num(op, "throughputPerSecond"), num(l, "p50"), num(l, "p90"), num(l, "p99"),
            num(l, "p99.9"), num(l, "p99.99"), num(l, "max"));
        const char *code;
        json_t *cnt;
        json_object_foreach (json_object_get(op, "statuses"), code, cnt) {
            fprintf(f, "%s&#215;%lld ", code, (long long)json_integer_value(cnt));
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
    latency_curves(f, ops);
    throughput_chart(f, json_object_get(doc, "timeseries"));
    json_t *errors = json_object_get(doc, "errors");
    fprintf(f,
            "<h2>Errors</h2>\n<p>connect %.0f, read %.0f, write %.0f, timeout %.0f, parse %.0f; late sends "
            "%.0f</p>\n",
            num(errors, "connect"), num(errors, "read"), num(errors, "write"), num(errors, "timeout"),
            num(errors, "parse"), num(doc, "lateSends"));
    if (json_is_true(json_object_get(oracle, "checked"))) {
        json_t *v = json_object_get(oracle, "violations");
        fprintf(
            f,
            "<h2>Oracle</h2>\n<p id=\"verdict\" class=\"%s\">%zu violations among %.0f acknowledged bookings "
            "(%s)</p>\n<ul>\n",
            json_array_size(v) ? "bad" : "good", json_array_size(v), num(oracle, "bookingsAcknowledged"),
            json_is_true(json_object_get(oracle, "groundTruth")) ? "history and ground truth"
                                                                 : "history only");
        for (size_t i = 0; i < json_array_size(v) && i < 50; i++) {
            fputs("<li class=\"bad\">", f);
            esc(f, str(json_array_get(v, i), "text"));
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    }
    page_end(f);
    return 0;
}

/* ---- race reports ---------------------------------------------------------------------------------- */

static int race_report(json_t *doc, FILE *f)
{
    json_t *sc = json_object_get(doc, "scenario");
    char title[256];
    snprintf(title, sizeof(title), "bookrace run: %s", str(sc, "name"));
    page_start(f, title);
    json_t *summary = json_object_get(doc, "summary");
    fprintf(f,
            "<p>Against %s: %d of %d trials reproduced a violation; expected %s; outcome <span "
            "class=\"%s\">%s</span>.</p>\n",
            str(json_object_get(doc, "target"), "name"), (int)num(summary, "trialsWithViolations"),
            (int)num(summary, "trials"), str(doc, "expectation"),
            strcmp(str(doc, "outcome"), "pass") == 0 ? "good" : "bad", str(doc, "outcome"));
    json_t *trials = json_object_get(doc, "trials");
    size_t t;
    json_t *trial;
    json_array_foreach (trials, t, trial) {
        if (t >= 10) {
            fprintf(f, "<p>%zu more trials in run.json.</p>\n", json_array_size(trials) - 10);
            break;
        }
        json_t *history = json_object_get(trial, "history"),
               *violations = json_object_get(trial, "violations");
        /* Operations named by a violation are drawn red. */
        size_t n = json_array_size(history);
        char *bad = calloc(n + 1, 1);
        size_t i;
        json_t *v;
        json_array_foreach (violations, i, v) {
            size_t k;
            json_t *idx;
            json_array_foreach (json_object_get(v, "ops"), k, idx) {
                json_int_t j = json_integer_value(idx);
                if (j >= 0 && (size_t)j < n)
                    bad[j] = 1;
            }
        }
        int lanes = 0;
        double t0 = 1e300, t1 = 0;
        json_t *op;
        json_array_foreach (history, i, op) {
            int a = (int)num(op, "actor");
            if (a + 1 > lanes)
                lanes = a + 1;
            if (num(op, "invokeUs") < t0)
                t0 = num(op, "invokeUs");
            if (num(op, "completeUs") > t1)
                t1 = num(op, "completeUs");
        }
        if (t1 <= t0)
            t1 = t0 + 1;
        const int W = 1000, L = 120, lane_h = 18;
        int H = 40 + lane_h * (lanes + 1);
        fprintf(f, "<h2>Trial %zu (%s)</h2>\n", t, str(trial, "date"));
        fprintf(f,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"%d\" height=\"%d\">\n",
                W, H);
        for (int a = 0; a < lanes; a++) {
            const char *label = "";
            json_array_foreach (history, i, op) {
                if ((int)num(op, "actor") == a) {
                    label = str(op, "actorName");
                    break;
                }
            }
            fprintf(f, "<text class=\"lane\" x=\"4\" y=\"%d\" font-size=\"11\">", 30 + lane_h * a + 12);
            esc(f, label);
            fputs("</text>\n", f);
        }
        json_array_foreach (history, i, op) {
            int a = (int)num(op, "actor");
            int y = a < 0 ? 30 + lane_h * lanes : 30 + lane_h * a;
            double x0 = L + (W - L - 10) * (num(op, "invokeUs") - t0) / (t1 - t0);
            double x1 = L + (W - L - 10) * (num(op, "completeUs") - t0) / (t1 - t0);
            const char *color = bad[i]                                    ? "#d62728"
                                : strcmp(str(op, "outcome"), "ok") == 0   ? "#2ca02c"
                                : strcmp(str(op, "outcome"), "fail") == 0 ? "#7f7f7f"
                                                                          : "#ff7f0e";
            fprintf(
                f,
                "<rect class=\"op%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>",
                bad[i] ? " violation" : "", x0, y + 2, x1 - x0 < 1 ? 1 : x1 - x0, lane_h - 4, color);
            fprintf(f, "%s %s %s -> %d (%s) %.0f-%.0f us", str(op, "actorName"), str(op, "op"),
                    str(op, "start"), (int)num(op, "status"), str(op, "outcome"), num(op, "invokeUs"),
                    num(op, "completeUs"));
            title_headers(f, history, op);
            fputs("</title></rect>\n", f);
        }
        size_t b;
        json_t *barrier;
        json_array_foreach (json_object_get(trial, "barriers"), b, barrier) {
            double x = L + (W - L - 10) * (num(barrier, "releasedUs") - t0) / (t1 - t0);
            fprintf(f,
                    "<line class=\"release\" x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" "
                    "stroke-dasharray=\"4,3\"/><text x=\"%.1f\" y=\"14\" font-size=\"11\">%s release, skew "
                    "%.0f us"
                    "</text>\n",
                    x, x, H - 5, x + 3, str(barrier, "release"), num(barrier, "skewUs"));
        }
        fputs("</svg>\n", f);
        json_t *explained = json_object_get(trial, "explained");
        if (json_array_size(violations) || json_array_size(explained)) {
            fputs("<ul>\n", f);
            json_array_foreach (violations, i, v) {
                fputs("<li class=\"bad\">", f);
                esc(f, str(v, "text"));
                fputs("</li>\n", f);
            }
            json_array_foreach (explained, i, v) {
                fputs("<li class=\"explained\">", f);
                esc(f, json_string_value(v) ? json_string_value(v) : "");
                fputs("</li>\n", f);
            }
            fputs("</ul>\n", f);
        }
        free(bad);
    }
    page_end(f);
    return 0;
}

int br_report_html(json_t *doc, FILE *out, char *err, size_t errlen)
{
    const char *schema = str(doc, "schema");
    if (strcmp(schema, "bookrace.load/1") == 0)
        return load_report(doc, out);
    if (strcmp(schema, "bookrace.run/1") == 0)
        return race_report(doc, out);
    snprintf(err, errlen, "not a bookrace run or load result (schema \"%s\")", schema);
    return -1;
}

/* ---- comparison ------------------------------------------------------------------------------------ */

void br_compare_html(const br_cmp_report *r, FILE *f)
{
    page_start(f, "bookrace compare");
    fprintf(f,
            "<p>base: %zu run(s), new: %zu run(s); one sample per whole second; a regression is a 95%% "
            "interval wholly worse than %.1f%%</p>\n",
            r->runs[0], r->runs[1], r->max_regress_pct);
    fputs("<table id=\"compare\">\n<tr><th>metric</th><th>base median</th><th>new median</th><th>change</th>"
          "<th>95% CI</th><th>p</th><th>n</th><th>verdict</th></tr>\n",
          f);
    for (size_t i = 0; i < r->count; i++) {
        const br_cmp_metric *m = &r->metrics[i];
        const br_change *c = &m->change;
        int bad = m->judged && c->verdict == BR_CHANGE_REGRESSION;
        static const char *const words[] = {"no significant change", "better", "worse (within the limit)",
                                            "REGRESSION"};
        if (m->empty)
            continue;
        fputs("<tr><td>", f);
        esc(f, m->name);
        fprintf(f, "</td><td>%.1f</td><td>%.1f</td>", m->median[0], m->median[1]);
        if (m->judged)
            fprintf(f, "<td class=\"%s\">%+.1f%%</td><td>[%+.1f, %+.1f]</td><td>%.3g</td>", bad ? "bad" : "",
                    c->change_pct, c->lo_pct, c->hi_pct, c->p_value);
        else
            fputs("<td></td><td></td><td></td>", f);
        fprintf(f, "<td>%zu/%zu</td><td>%s</td></tr>\n", m->side[0].n, m->side[1].n,
                m->judged ? words[c->verdict] : "too few samples");
    }
    fprintf(f,
            "</table>\n<p class=\"%s\">oracle: %zu violations (base %zu); transport errors %.0f (base %.0f)"
            "</p>\n",
            r->verdict_worse ? "bad" : "good", r->violations[1], r->violations[0], r->errors[1],
            r->errors[0]);
    page_end(f);
}
