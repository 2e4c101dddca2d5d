/*
 * The report of a window sweep (window.json, written by `bookrace window`):
 * how often the violation reproduced at each delay between the racers (or
 * each length of an advance step), every point with its 95% Wilson interval
 * as a whisker, the delays below the release precision drawn hollow (they
 * are not resolvable, so not used), and the estimated window as a line with
 * its interval shaded. Read from the picture: where the curve falls, and how
 * sure the estimate is. Detected by "kind": "window" or by its shape.
 */
#include "report_int.h"

#include <math.h>
#include <string.h>

enum { WN_W = 1000, WN_H = 380, WN_L = 70, WN_R = 30, WN_T = 30, WN_B = 46 };

typedef struct {
    double dmax;
} wscale;

static double wx(const wscale *s, double d)
{
    return WN_L + (WN_W - WN_L - WN_R) * (s->dmax > 0 ? d / s->dmax : 0);
}

static double wy(double rate)
{
    return WN_H - WN_B - (WN_H - WN_B - WN_T) * rate;
}

static void window_axes(FILE *f, const wscale *s, const char *sweep)
{
    for (int k = 0; k <= 4; k++) {
        double y = wy(k / 4.0);
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%d\" "
                "y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%d%%</text>\n",
                WN_L, y, WN_W - WN_R, y, WN_L - 6, y + 4, 25 * k);
    }
    double step = rp_nice_step(s->dmax, 10);
    for (double d = 0; d <= s->dmax + step / 1e6; d += step) {
        char lab[32];
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/><text x=\"%.1f\" "
                "y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n",
                wx(s, d), WN_T, wx(s, d), WN_H - WN_B, wx(s, d), WN_H - WN_B + 16,
                rp_fmt_dur((int64_t)llround(d), lab, sizeof(lab)));
    }
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n",
            (WN_W + WN_L) / 2.0, WN_H - 8,
            strcmp(sweep, "advance") == 0 ? "length of the advance step (time the stale list waits)"
                                          : "delay between consecutive racers' releases");
    fprintf(f,
            "<text x=\"14\" y=\"%d\" font-size=\"12\" transform=\"rotate(-90 14 %d)\" "
            "text-anchor=\"middle\">trials reproduced</text>\n",
            (WN_H - WN_B + WN_T) / 2, (WN_H - WN_B + WN_T) / 2);
}

static void window_band(FILE *f, const wscale *s, json_t *win, double precision)
{
    if (precision > 0) {
        fprintf(f,
                "<rect class=\"unresolvable\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#000\" "
                "fill-opacity=\"0.06\"><title>below the release precision (%.0f us): not "
                "resolvable</title></rect>\n",
                WN_L, WN_T, wx(s, precision) - WN_L, WN_H - WN_B - WN_T, precision);
    }
    if (!json_is_object(win))
        return;
    double lo = rp_num(win, "lo"), est = rp_num(win, "estimate");
    json_t *hi_j = json_object_get(win, "hi");
    double hi = json_is_number(hi_j) ? rp_clamp(json_number_value(hi_j)) : s->dmax;
    char e[32], l[32], h[32];
    fprintf(
        f,
        "<rect class=\"window-interval\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#1f77b4\" "
        "fill-opacity=\"0.12\"><title>the window lies between %s and %s%s</title></rect>\n",
        wx(s, lo), WN_T, wx(s, hi) - wx(s, lo), WN_H - WN_B - WN_T, rp_fmt_dur((int64_t)lo, l, sizeof(l)),
        rp_fmt_dur((int64_t)hi, h, sizeof(h)),
        json_is_number(hi_j) ? "" : " or beyond the largest delay measured");
    fprintf(f,
            "<line class=\"window-estimate\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#1f77b4\" "
            "stroke-width=\"2\" stroke-dasharray=\"6,3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"12\" "
            "fill=\"#1f77b4\">window %s</text>\n",
            wx(s, est), WN_T, wx(s, est), WN_H - WN_B, wx(s, est) + 4, WN_T + 14,
            rp_fmt_dur((int64_t)est, e, sizeof(e)));
    if (json_is_number(json_object_get(win, "half_rate"))) {
        double y = wy(rp_num(win, "half_rate"));
        fprintf(f,
                "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#999\" "
                "stroke-dasharray=\"2,3\"/><text x=\"%d\" y=\"%.1f\" font-size=\"10\" fill=\"#777\" "
                "text-anchor=\"end\">half the peak rate</text>\n",
                WN_L, y, WN_W - WN_R, y, WN_W - WN_R - 4, y - 4);
    }
}

static void window_points(FILE *f, const wscale *s, json_t *points)
{
    size_t i;
    json_t *p;
    fputs("<polyline class=\"rate-curve\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"1.5\" points=\"",
          f);
    json_array_foreach (points, i, p) {
        if (json_is_true(json_object_get(p, "resolvable")))
            fprintf(f, "%.1f,%.1f ", wx(s, rp_num(p, "delay_us")), wy(rp_num(p, "rate")));
    }
    fputs("\"/>\n", f);
    json_array_foreach (points, i, p) {
        double x = wx(s, rp_num(p, "delay_us")), ylo = wy(rp_num(p, "ci_lo")), yhi = wy(rp_num(p, "ci_hi"));
        int ok = json_is_true(json_object_get(p, "resolvable"));
        char d[32];
        fprintf(f,
                "<g class=\"point%s\"><line class=\"whisker\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
                "y2=\"%.1f\" stroke=\"#555\"/>"
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/><line x1=\"%.1f\" "
                "y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>"
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" stroke=\"#d62728\" "
                "stroke-width=\"1.5\"/><title>",
                ok ? "" : " unresolvable", x, ylo, x, yhi, x - 4, ylo, x + 4, ylo, x - 4, yhi, x + 4, yhi, x,
                wy(rp_num(p, "rate")), ok ? "#d62728" : "#fff");
        fprintf(f, "delay %s: %.0f/%.0f trials reproduced (%.0f%%, 95%% interval %.0f-%.0f%%)",
                rp_fmt_dur((int64_t)rp_num(p, "delay_us"), d, sizeof(d)), rp_num(p, "reproduced"),
                rp_num(p, "trials"), 100 * rp_num(p, "rate"), 100 * rp_num(p, "ci_lo"),
                100 * rp_num(p, "ci_hi"));
        json_t *off = json_object_get(p, "measured_offset_us");
        if (json_is_object(off))
            fprintf(f, "; measured offset median %.0f us, max %.0f us", rp_num(off, "median"),
                    rp_num(off, "max"));
        fprintf(f, "%s</title></g>\n", ok ? "" : "; below the release precision: not resolvable");
    }
}

static void window_table(FILE *f, json_t *points)
{
    fputs("<h2>Points</h2>\n<table "
          "id=\"points\">\n<tr><th>delay</th><th>trials</th><th>reproduced</th><th>rate</th>"
          "<th>95% interval</th><th>measured offset (median / max)</th><th class=\"l\">note</th></tr>\n",
          f);
    size_t i;
    json_t *p;
    json_array_foreach (points, i, p) {
        if (i == 500) {
            fprintf(f, "<tr><td class=\"l\" colspan=\"7\">%zu more points in window.json</td></tr>\n",
                    json_array_size(points) - i);
            break;
        }
        char d[32];
        json_t *off = json_object_get(p, "measured_offset_us");
        fprintf(f, "<tr><td>%s</td><td>%.0f</td><td>%.0f</td><td>%.0f%%</td><td>%.0f-%.0f%%</td><td>",
                rp_fmt_dur((int64_t)rp_num(p, "delay_us"), d, sizeof(d)), rp_num(p, "trials"),
                rp_num(p, "reproduced"), 100 * rp_num(p, "rate"), 100 * rp_num(p, "ci_lo"),
                100 * rp_num(p, "ci_hi"));
        if (json_is_object(off))
            fprintf(f, "%.0f / %.0f us", rp_num(off, "median"), rp_num(off, "max"));
        fprintf(f, "</td><td class=\"l\">%s</td></tr>\n",
                json_is_true(json_object_get(p, "resolvable")) ? "" : "not resolvable");
    }
    fputs("</table>\n", f);
}

static void window_verdict(FILE *f, json_t *doc)
{
    json_t *win = json_object_get(doc, "window_us");
    int advance = strcmp(rp_str(doc, "sweep"), "advance") == 0;
    const char *outcome = rp_str(doc, "outcome");
    /* A sweep the target (or the scenario) stopped measured nothing: "no window" would be a verdict. */
    int failed = strcmp(outcome, "target-error") == 0 || strcmp(outcome, "scenario-error") == 0;
    fprintf(f, "<p id=\"verdict\" class=\"verdict %s\">",
            json_is_object(win) || failed || strcmp(outcome, "inconclusive") == 0 ? "bad" : "good");
    if (failed) {
        fputs(strcmp(outcome, "target-error") == 0 ? "No verdict: the target failed, the sweep stopped: "
                                                   : "No verdict: the scenario failed, the sweep stopped: ",
              f);
        rp_esc(f, rp_str(doc, "error"));
    } else if (strcmp(outcome, "inconclusive") == 0) {
        fputs("No verdict: every trial of every delay was inconclusive (each point's run says why).", f);
    } else if (strcmp(outcome, "interrupted") == 0 && !json_is_object(win)) {
        fputs("Interrupted: no window among the delays measured before the sweep was stopped.", f);
    } else if (json_is_object(win)) {
        char e[32], l[32], h[32];
        json_t *hi = json_object_get(win, "hi");
        fprintf(f, "%s %s (95%%: %s to %s)",
                advance ? "A stale list stays dangerous for about" : "Race window: about",
                rp_fmt_dur((int64_t)rp_num(win, "estimate"), e, sizeof(e)),
                rp_fmt_dur((int64_t)rp_num(win, "lo"), l, sizeof(l)),
                json_is_number(hi) ? rp_fmt_dur((int64_t)rp_clamp(json_number_value(hi)), h, sizeof(h))
                                   : "beyond the sweep");
        fputs(advance ? ": a list older than that no longer double-books."
                      : ": racers released further apart no longer double-book.",
              f);
    } else
        fputs("No window: no resolvable delay reproduced the violation.", f);
    fputs("</p>\n<p>Scenario ", f);
    rp_esc(f, rp_str(doc, "scenario"));
    fputs(" against ", f);
    rp_esc(f, rp_str(json_object_get(doc, "target"), "name"));
    fputs(", sweep ", f);
    rp_esc(f, rp_str(doc, "sweep"));
    json_t *first = json_array_get(json_object_get(doc, "points"), 0);
    fprintf(f, ", %zu points; ", json_array_size(json_object_get(doc, "points")));
    if (!advance && !json_is_object(json_object_get(first, "measured_offset_us")))
        fputs("release precision not measured (no racers were released at delay 0).</p>\n", f);
    else
        fprintf(f, "release precision %.0f us (delays below it are not resolvable).</p>\n",
                rp_num(doc, "precision_us"));
}

int rp_window_report(json_t *doc, FILE *f)
{
    char title[256];
    snprintf(title, sizeof(title), "bookrace window: %s", rp_str(doc, "scenario"));
    rp_page_start(f, title);
    window_verdict(f, doc);
    json_t *points = json_object_get(doc, "points"), *p;
    wscale s = {.dmax = 1};
    size_t i;
    json_array_foreach (points, i, p) {
        s.dmax = rp_num(p, "delay_us") > s.dmax ? rp_num(p, "delay_us") : s.dmax;
    }
    double step = rp_nice_step(s.dmax, 10);
    s.dmax = ceil(s.dmax / step) * step;
    fputs("<h2>Reproduction rate by delay</h2>\n", f);
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"window\" width=\"%d\" height=\"%d\">\n", WN_W,
            WN_H);
    window_axes(f, &s, rp_str(doc, "sweep"));
    window_band(f, &s, json_object_get(doc, "window_us"), rp_num(doc, "precision_us"));
    window_points(f, &s, points);
    fputs("</svg>\n<p class=\"muted\">Dots: share of trials that reproduced the violation; whiskers: 95% "
          "Wilson "
          "interval; hollow: below the release precision; dashed line and band: the window and its "
          "interval.</p>\n",
          f);
    window_table(f, points);
    rp_page_end(f);
    return 0;
}
