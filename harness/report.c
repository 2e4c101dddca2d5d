/*
 * Reports: one self-contained HTML page per result file (inline CSS and SVG,
 * no script, no network), drawn so a person sees what happened in seconds,
 * the way Jepsen's and Elle's reports explain an anomaly in words and a
 * picture: for a race, the calendar of the inspector's day with the overlap
 * shaded, the violations grouped by what went wrong, and a timeline whose
 * idle gaps are compressed; for a load, latency over time and by percentile;
 * for a window sweep, the reproduction rate against the delay; for a
 * matrix, the grid of cells. This file dispatches on the document's kind and
 * holds the page skeleton and formatting the report_*.c modules share, and
 * the comparison of two load runs that CI gates releases on.
 */
#include "report.h"

#include "iso8601.h"
#include "report_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const rp_palette[7] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd",
                                   "#8c564b", "#e377c2", "#17becf"};

void rp_esc(FILE *f, const char *s)
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
        else if (*s == '\'')
            fputs("&#39;", f);
        else if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
            fputc('?', f); /* control characters are not allowed in HTML text */
        else
            fputc(*s, f);
    }
}

static const char page_css[] =
    "body{font-family:system-ui,sans-serif;margin:1.5em 2em;max-width:1240px;color:#222}"
    "h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin:1.2em 0 .4em}h3{font-size:1em;margin:1em 0 "
    ".3em}"
    "table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:3px "
    "8px;text-align:right}"
    "th{background:#eee}td.l,th.l{text-align:left}.bad{color:#c00;font-weight:bold}"
    ".good{color:#080;font-weight:bold}.warn{color:#b60;font-weight:bold}.muted{color:#777}"
    "svg{background:#fcfcfc;border:1px solid #ddd;display:block;margin:.3em 0}"
    ".verdict{font-size:1.15em;padding:.5em .8em;border-left:6px solid #888;background:#f6f6f6}"
    ".verdict.bad{border-color:#c00}.verdict.good{border-color:#080}"
    ".group{margin:.5em 0;padding:.3em .8em;border-left:4px solid #d62728;background:#fff6f6}"
    ".group .headline{margin:.2em 0;font-weight:bold}details summary{cursor:pointer;color:#444}"
    "details li{font-family:monospace;font-size:.85em}"
    "td.cell-ok{background:#e8f5e9}td.cell-bad{background:#fdecea}td.cell-undecided{background:#fff8e1}";

void rp_page_start(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>", f);
    rp_esc(f, title);
    fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", page_css);
    rp_esc(f, title);
    fputs("</h1>\n", f);
}

void rp_page_end(FILE *f)
{
    fputs(
        "<p class=\"muted\">Drawn by bookrace report. Hover a mark for its details.</p>\n</body>\n</html>\n",
        f);
}

const char *rp_str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

double rp_num(json_t *o, const char *k)
{
    return rp_clamp(json_number_value(json_object_get(o, k)));
}

double rp_clamp(double v)
{
    /* 1e15 us is 31 years: more than any real field, and every cast to int64_t stays defined. */
    return v != v ? 0 : v > 1e15 ? 1e15 : v < -1e15 ? -1e15 : v;
}

int rp_int(json_t *o, const char *k)
{
    double v = rp_num(o, k);
    return v > 1e9 ? 1000000000 : v < -1e9 ? -1000000000 : (int)v;
}

size_t rp_count(json_t *o, const char *k)
{
    double v = rp_num(o, k);
    return v < 0 ? 0 : (size_t)v;
}

char *rp_fmt_dur(int64_t us, char *buf, size_t cap)
{
    double a = fabs((double)us);
    if (a < 1000)
        snprintf(buf, cap, "%lld us", (long long)us);
    else if (a < 1e6)
        snprintf(buf, cap, "%.3g ms", (double)us / 1e3);
    else if (a < 600e6)
        snprintf(buf, cap, "%.3g s", (double)us / 1e6);
    else if (a < 7200e6)
        snprintf(buf, cap, "%.3g min", (double)us / 60e6);
    else
        snprintf(buf, cap, "%.3g h", (double)us / 3600e6);
    return buf;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

char *rp_fmt_hhmm(int64_t epoch_us, char *buf, size_t cap)
{
    int64_t min = floor_div(epoch_us, 60000000) - floor_div(epoch_us, 86400000000) * 1440;
    snprintf(buf, cap, "%02d:%02d", (int)(min / 60), (int)(min % 60));
    return buf;
}

char *rp_fmt_date(int64_t epoch_us, char *buf, size_t cap)
{
    int64_t y;
    unsigned m, d;
    br_civil_from_days(floor_div(epoch_us, 86400000000), &y, &m, &d);
    snprintf(buf, cap, "%04lld-%02u-%02u", (long long)y, m, d);
    return buf;
}

double rp_nice_step(double span, double parts)
{
    if (!(span > 0) || !(parts > 0))
        return 1;
    double raw = span / parts, mag = pow(10, floor(log10(raw))), r = raw / mag;
    return (r < 1.5 ? 1 : r < 3.5 ? 2 : r < 7.5 ? 5 : 10) * mag;
}

/* ---- dispatch -------------------------------------------------------------------------------------- */

static int is_window(json_t *doc)
{
    return strcmp(rp_str(doc, "kind"), "window") == 0 ||
           strcmp(rp_str(doc, "schema"), "bookrace.window/1") == 0 ||
           (json_is_array(json_object_get(doc, "points")) && json_object_get(doc, "window_us") != NULL);
}

int br_report_html_source(json_t *doc, const char *source_path, FILE *out, char *err, size_t errlen)
{
    const char *schema = rp_str(doc, "schema");
    const char *file = source_path ? source_path : "", *sep = source_path ? ": " : "";
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "%s%snot a bookrace result: the document is not a JSON object", file, sep);
        return -1;
    }
    if (strcmp(schema, "bookrace.load/1") == 0)
        return rp_load_report(doc, source_path, out);
    if (strcmp(schema, "bookrace.run/1") == 0)
        return rp_race_report(doc, out);
    if (strcmp(schema, "bookrace.matrix/1") == 0)
        return rp_matrix_report(doc, out);
    if (is_window(doc))
        return rp_window_report(doc, out);
    snprintf(err, errlen,
             "%s%snot a bookrace run, load, matrix or window result (schema \"%s\"; a window sweep has "
             "\"kind\": \"window\")",
             file, sep, schema);
    return -1;
}

int br_report_html(json_t *doc, FILE *out, char *err, size_t errlen)
{
    return br_report_html_source(doc, NULL, out, err, errlen);
}

/* ---- comparison ------------------------------------------------------------------------------------ */

void br_compare_html(const br_cmp_report *r, FILE *f)
{
    static const char *const words[] = {"no significant change", "better", "worse (within the limit)",
                                        "REGRESSION"};
    rp_page_start(f, "bookrace compare");
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
        if (m->empty)
            continue;
        int bad = m->judged && c->verdict == BR_CHANGE_REGRESSION;
        fputs("<tr><td>", f);
        rp_esc(f, m->name);
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
    rp_page_end(f);
}
