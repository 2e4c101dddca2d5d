/*
 * The timeline of one trial: a lane per actor (and one for the harness's own
 * requests), each operation a bar from its send to its answer, on a time
 * axis whose idle gaps are compressed. A scenario that advances the clock
 * 180 s spends a few milliseconds on requests and three minutes waiting;
 * drawn linearly the requests are 1-pixel slivers. So the axis is cut into
 * busy segments, each with its own ticks, joined by fixed-width breaks that
 * say how long nothing happened (and that an advance step moved the clock).
 * A gap is compressed when it is longer than 2 ms and than half the trial's
 * busy time. Barrier releases are marked on the timeline, and drawn again
 * on their own microsecond axis (rp_release_spread): one mark per racer at
 * the time its last byte left, so the measured spread is seen, not only
 * stated.
 */
#include "report_int.h"

#include "alloc.h"
#include "results.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SEGMENTS 16

enum { TL_W = 1100, TL_L = 110, TL_R = 10, TL_TOP = 40, TL_LANE = 18, TL_BREAK = 60 };

typedef struct {
    int64_t a, b;
} interval;

typedef struct {
    interval seg[MAX_SEGMENTS];
    double x0[MAX_SEGMENTS], px[MAX_SEGMENTS];
    size_t n;
} axis;

static int64_t op_time(json_t *op, int complete)
{
    json_t *s = json_object_get(op, complete ? "completeScenarioUs" : "invokeScenarioUs");
    if (json_is_number(s))
        return (int64_t)rp_clamp(json_number_value(s));
    return (int64_t)rp_num(op, complete ? "completeUs" : "invokeUs");
}

static int by_start(const void *x, const void *y)
{
    const interval *a = x, *b = y;
    return a->a < b->a ? -1 : a->a > b->a;
}

static int by_length_desc(const void *x, const void *y)
{
    const interval *a = x, *b = y;
    int64_t la = a->b - a->a, lb = b->b - b->a;
    return la < lb ? 1 : la > lb ? -1 : 0;
}

/* The idle gaps worth compressing, in time order (at most MAX_SEGMENTS - 1, the longest). */
static size_t find_gaps(json_t *history, interval *gaps)
{
    size_t n = json_array_size(history), runs = 0, g = 0;
    interval *iv = xcalloc(n + 1, sizeof(interval));
    for (size_t i = 0; i < n; i++) {
        json_t *op = json_array_get(history, i);
        iv[i] = (interval){op_time(op, 0), op_time(op, 1)};
        if (iv[i].b < iv[i].a)
            iv[i].b = iv[i].a;
    }
    qsort(iv, n, sizeof(interval), by_start);
    int64_t busy = 0;
    for (size_t i = 0; i < n; i++) { /* merge into busy runs, in place */
        if (runs && iv[i].a <= iv[runs - 1].b) {
            if (iv[i].b > iv[runs - 1].b)
                iv[runs - 1].b = iv[i].b;
        } else
            iv[runs++] = iv[i];
    }
    for (size_t i = 0; i < runs; i++)
        busy += iv[i].b - iv[i].a;
    int64_t threshold = busy / 2 > 2000 ? busy / 2 : 2000;
    interval *all = xcalloc(runs + 1, sizeof(interval));
    for (size_t i = 1; i < runs; i++)
        if (iv[i].a - iv[i - 1].b > threshold)
            all[g++] = (interval){iv[i - 1].b, iv[i].a};
    qsort(all, g, sizeof(interval), by_length_desc);
    if (g > MAX_SEGMENTS - 1)
        g = MAX_SEGMENTS - 1;
    memcpy(gaps, all, g * sizeof(interval));
    qsort(gaps, g, sizeof(interval), by_start);
    free(all);
    free(iv);
    return g;
}

/* Cuts [t0, t1] at |gaps| and gives each busy segment its share of the width. */
static void build_axis(axis *ax, int64_t t0, int64_t t1, const interval *gaps, size_t ng)
{
    ax->n = ng + 1;
    for (size_t i = 0; i <= ng; i++) {
        ax->seg[i].a = i == 0 ? t0 : gaps[i - 1].b;
        ax->seg[i].b = i == ng ? t1 : gaps[i].a;
    }
    double total = 0, sum = 0, w[MAX_SEGMENTS];
    for (size_t i = 0; i < ax->n; i++) {
        int64_t len = ax->seg[i].b - ax->seg[i].a, pad = len / 50 > 20 ? len / 50 : 20;
        ax->seg[i].a -= pad;
        ax->seg[i].b += pad;
        total += (double)(ax->seg[i].b - ax->seg[i].a);
    }
    for (size_t i = 0; i < ax->n; i++) {
        double len = (double)(ax->seg[i].b - ax->seg[i].a);
        w[i] = len > total * 0.15 ? len : total * 0.15; /* a short segment still gets room */
        sum += w[i];
    }
    double avail = TL_W - TL_L - TL_R - (double)ng * TL_BREAK, x = TL_L;
    for (size_t i = 0; i < ax->n; i++) {
        ax->x0[i] = x;
        ax->px[i] = avail * w[i] / sum;
        x += ax->px[i] + TL_BREAK;
    }
}

static double ax_x(const axis *ax, int64_t t)
{
    size_t i = 0;
    while (i + 1 < ax->n && t > ax->seg[i].b)
        i++;
    const interval *s = &ax->seg[i];
    if (t < s->a)
        t = s->a;
    if (t > s->b)
        t = s->b;
    double len = (double)(s->b - s->a);
    return ax->x0[i] + ax->px[i] * (len > 0 ? (double)(t - s->a) / len : 0);
}

static void tick_label(double t_us, double step_us, char *buf, size_t cap)
{
    if (fabs(t_us) < step_us * 1e-6)
        t_us = 0; /* no "-0 ms" from rounding */
    int seconds = fabs(t_us) >= 1e6;
    int d = (int)ceil(-log10(step_us / (seconds ? 1e6 : 1e3)));
    d = d < 0 ? 0 : d > (seconds ? 6 : 3) ? (seconds ? 6 : 3) : d;
    int n = snprintf(buf, cap, "%.*f", d, t_us / (seconds ? 1e6 : 1e3));
    while (d > 0 && n > 1 && (size_t)n < cap && buf[n - 1] == '0') /* 180.0030 -> 180.003 */
        buf[--n] = '\0';
    if (n > 0 && (size_t)n < cap && buf[n - 1] == '.')
        buf[--n] = '\0';
    snprintf(buf + n, cap - (size_t)n, seconds ? " s" : " ms");
}

static void draw_ticks(FILE *f, const axis *ax, int height)
{
    for (size_t i = 0; i < ax->n; i++) {
        const interval *s = &ax->seg[i];
        double step = rp_nice_step((double)(s->b - s->a), ax->px[i] / 110);
        int ticks = 0; /* bounded, whatever the numbers */
        for (double t = ceil((double)s->a / step) * step; t <= (double)s->b && ticks < 100;
             t += step, ticks++) {
            char label[32];
            double x = ax_x(ax, (int64_t)t);
            tick_label(t, step, label, sizeof(label));
            fprintf(
                f,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/><text class=\"tick\" "
                "x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
                x, TL_TOP - 4, x, height - 18, x, height - 6, label);
        }
    }
}

/* The operation that ended last at or before |t|: an advance step's clock request says why time jumped. */
static const char *op_before(json_t *history, int64_t t)
{
    const char *name = "";
    int64_t best = INT64_MIN;
    size_t i;
    json_t *op;
    json_array_foreach (history, i, op) {
        int64_t c = op_time(op, 1);
        if (c <= t && c >= best) {
            best = c;
            name = rp_str(op, "op");
        }
    }
    return name;
}

static void draw_breaks(FILE *f, const axis *ax, json_t *history, int height)
{
    for (size_t i = 0; i + 1 < ax->n; i++) {
        double x = ax->x0[i] + ax->px[i];
        int64_t idle = ax->seg[i + 1].a - ax->seg[i].b;
        int advance = strcmp(op_before(history, ax->seg[i].b), "clock") == 0;
        char d[32];
        rp_fmt_dur(idle, d, sizeof(d));
        fprintf(
            f,
            "<g class=\"break\"><rect x=\"%.1f\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#eee\"/>"
            "<path d=\"M%.1f %d l6 6 l-6 6 l6 6 M%.1f %d l6 6 l-6 6 l6 6\" stroke=\"#999\" fill=\"none\"/>"
            "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">%s</text>"
            "<text x=\"%.1f\" y=\"%d\" font-size=\"10\" text-anchor=\"middle\" fill=\"#666\">%s</text>"
            "<title>nothing was sent for %s of scenario time%s; the axis is cut here</title></g>\n",
            x + 4, TL_TOP - 6, TL_BREAK - 8, height - TL_TOP - 16, x + 10, TL_TOP + 4, x + TL_BREAK - 16,
            TL_TOP + 4, x + TL_BREAK / 2.0, TL_TOP + 36, d, x + TL_BREAK / 2.0, TL_TOP + 50,
            advance ? "advance" : "idle", d, advance ? " (an advance step moved the clock)" : "");
    }
}

/* What the backend said about the answer (recordHeaders), and about the list a booking's slot came from. */
static void title_headers(FILE *f, json_t *history, json_t *op)
{
    char line[512];
    json_t *headers = json_object_get(op, "headers");
    if (json_object_size(headers)) {
        fputs(" [", f);
        rp_esc(f, br_headers_line(headers, line, sizeof(line)));
        fputs("]", f);
    }
    json_t *from = json_object_get(op, "fromList");
    json_t *list = json_is_integer(from) ? json_array_get(history, (size_t)json_integer_value(from)) : NULL;
    if (json_object_size(json_object_get(list, "headers"))) {
        fputs(" from a list served ", f);
        rp_esc(f, br_headers_line(json_object_get(list, "headers"), line, sizeof(line)));
    }
}

static int lane_of(json_t *op, int lanes)
{
    int a = rp_int(op, "actor");
    return a < 0 || a >= lanes ? -1 : a;
}

static void draw_op(FILE *f, const axis *ax, json_t *history, json_t *op, int y, int bad)
{
    int64_t t0 = op_time(op, 0), t1 = op_time(op, 1);
    double x0 = ax_x(ax, t0), x1 = ax_x(ax, t1);
    const char *outcome = rp_str(op, "outcome");
    const char *color = bad                            ? "#d62728"
                        : strcmp(outcome, "ok") == 0   ? "#2ca02c"
                        : strcmp(outcome, "fail") == 0 ? "#7f7f7f"
                                                       : "#ff7f0e";
    fprintf(f, "<rect class=\"op%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>",
            bad ? " violation" : "", x0, y + 2, x1 - x0 < 2 ? 2 : x1 - x0, TL_LANE - 4, color);
    rp_esc(f, rp_str(op, "actorName")[0] ? rp_str(op, "actorName") : "harness");
    fputc(' ', f);
    rp_esc(f, rp_str(op, "op"));
    if (rp_str(op, "start")[0]) {
        fputc(' ', f);
        rp_esc(f, rp_str(op, "start"));
    }
    char d[32];
    fprintf(f, " -> %d (", rp_int(op, "status"));
    rp_esc(f, outcome);
    fprintf(f, "), sent at %.3f ms, took %s", (double)t0 / 1e3, rp_fmt_dur(t1 - t0, d, sizeof(d)));
    title_headers(f, history, op);
    fputs("</title></rect>\n", f);
}

static void draw_lanes(FILE *f, json_t *history, int lanes)
{
    for (int a = 0; a <= lanes; a++) {
        const char *label = a == lanes ? "harness" : "";
        size_t i;
        json_t *op;
        json_array_foreach (history, i, op) {
            if (a < lanes && rp_int(op, "actor") == a) {
                label = rp_str(op, "actorName");
                break;
            }
        }
        fprintf(f, "<text class=\"lane\" x=\"4\" y=\"%d\" font-size=\"11\">", TL_TOP + TL_LANE * a + 13);
        rp_esc(f, label);
        fputs("</text>\n", f);
    }
}

/* The scenario-time offset of the racers of |barrier| (releases are recorded on the monotonic clock). */
static int64_t barrier_offset(json_t *history, json_t *barrier)
{
    size_t i;
    json_t *op;
    json_array_foreach (history, i, op) {
        if (json_is_integer(json_object_get(op, "barrier")) &&
            rp_num(op, "barrier") == rp_num(barrier, "barrierStep"))
            return op_time(op, 0) - (int64_t)rp_num(op, "invokeUs");
    }
    return 0;
}

static void draw_releases(FILE *f, const axis *ax, json_t *trial, int lanes, int height)
{
    json_t *history = json_object_get(trial, "history");
    size_t b;
    json_t *barrier;
    json_array_foreach (json_object_get(trial, "barriers"), b, barrier) {
        int64_t off = barrier_offset(history, barrier);
        double x = ax_x(ax, (int64_t)rp_num(barrier, "releasedUs") + off);
        fprintf(f,
                "<line class=\"release\" x1=\"%.1f\" y1=\"22\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\" "
                "stroke-dasharray=\"4,3\"/><text x=\"%.1f\" y=\"18\" font-size=\"11\">",
                x, x, height - 18, x + 3);
        rp_esc(f, rp_str(barrier, "release"));
        fprintf(f, " release, %d racers, spread %.0f us", rp_int(barrier, "racers"),
                rp_num(barrier, "skewUs"));
        if (rp_num(barrier, "staggerUs") > 0) {
            char d[32];
            fprintf(f, " (staggered %s)", rp_fmt_dur((int64_t)rp_num(barrier, "staggerUs"), d, sizeof(d)));
        }
        fputs("</text>\n", f);
        size_t i;
        json_t *op;
        json_array_foreach (history, i, op) {
            if (!json_is_integer(json_object_get(op, "barrier")) ||
                rp_num(op, "barrier") != rp_num(barrier, "barrierStep") || lane_of(op, lanes) < 0)
                continue;
            double xr = ax_x(ax, (int64_t)rp_num(op, "lastByteUs") + off);
            int y = TL_TOP + TL_LANE * lane_of(op, lanes);
            fprintf(f,
                    "<line class=\"racer\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#000\"/>\n",
                    xr, y, xr, y + TL_LANE);
        }
    }
}

void rp_timeline(FILE *f, json_t *trial)
{
    json_t *history = json_object_get(trial, "history"), *violations = json_object_get(trial, "violations");
    size_t n = json_array_size(history), i;
    json_t *op, *v;
    if (n == 0) {
        fputs("<p class=\"muted\">No operation was recorded.</p>\n", f);
        return;
    }
    char *bad = xcalloc(n + 1, 1);
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
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    json_array_foreach (history, i, op) {
        int a = rp_int(op, "actor");
        if (a + 1 > lanes)
            lanes = a + 1 > RP_MAX_LANES ? RP_MAX_LANES : a + 1;
        t0 = op_time(op, 0) < t0 ? op_time(op, 0) : t0;
        t1 = op_time(op, 1) > t1 ? op_time(op, 1) : t1;
    }
    interval gaps[MAX_SEGMENTS];
    axis ax;
    build_axis(&ax, t0, t1 > t0 ? t1 : t0 + 1, gaps, find_gaps(history, gaps));
    int height = TL_TOP + TL_LANE * (lanes + 1) + 26;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"%d\" height=\"%d\">\n",
            TL_W, height);
    draw_ticks(f, &ax, height);
    draw_breaks(f, &ax, history, height);
    draw_lanes(f, history, lanes);
    size_t drawn = 0;
    json_array_foreach (history, i, op) {
        int lane = lane_of(op, lanes);
        if ((lane < 0 && rp_int(op, "actor") >= 0) || drawn == RP_MAX_TIMELINE_OPS)
            continue;
        draw_op(f, &ax, history, op, TL_TOP + TL_LANE * (lane < 0 ? lanes : lane), bad[i]);
        drawn++;
    }
    draw_releases(f, &ax, trial, lanes, height);
    fputs("</svg>\n", f);
    if (drawn < n)
        fprintf(f,
                "<p class=\"muted\">%zu operations not drawn (more than %d actors or %d operations).</p>\n",
                n - drawn, RP_MAX_LANES, RP_MAX_TIMELINE_OPS);
    fputs(
        "<p class=\"muted\">Scenario time since the run started; gray breaks cut idle time out of the axis. "
        "Green ok, gray refused, orange indeterminate, red named by a violation; black ticks: a racer's "
        "last byte.</p>\n",
        f);
    free(bad);
}

/* ---- release spread -------------------------------------------------------------------------------- */

/* "last-byte", "single-packet: 1 connection, 1 write, 1 TCP segment", "...; staggered 5 ms per racer". */
static void release_words(FILE *f, json_t *barrier)
{
    json_t *h2 = json_object_get(barrier, "http2");
    char d[32];
    rp_esc(f, rp_str(barrier, "release"));
    if (json_is_object(h2))
        fprintf(f, ": %d connection%s, %d write%s, %d TCP segment%s", rp_int(h2, "connections"),
                rp_int(h2, "connections") == 1 ? "" : "s", rp_int(h2, "writes"),
                rp_int(h2, "writes") == 1 ? "" : "s", rp_int(h2, "segments"),
                rp_int(h2, "segments") == 1 ? "" : "s");
    if (rp_num(barrier, "staggerUs") > 0)
        fprintf(f, "; staggered %s per racer",
                rp_fmt_dur((int64_t)rp_num(barrier, "staggerUs"), d, sizeof(d)));
}

enum { RS_W = 700, RS_L = 110, RS_ROW = 12 };

static void spread_chart(FILE *f, json_t *history, json_t *barrier)
{
    double first = INFINITY, last = -INFINITY;
    size_t racers = 0, i;
    json_t *op;
    json_array_foreach (history, i, op) {
        if (!json_is_integer(json_object_get(op, "barrier")) ||
            rp_num(op, "barrier") != rp_num(barrier, "barrierStep"))
            continue;
        double t = rp_num(op, "lastByteUs");
        first = t < first ? t : first;
        last = t > last ? t : last;
        racers++;
    }
    if (racers < 2)
        return;
    size_t rows = racers > 32 ? 32 : racers;
    int height = 30 + RS_ROW * (int)rows + 24;
    double stagger = rp_num(barrier, "staggerUs"),
           nominal_last = stagger > 0 ? stagger * (double)(rows - 1) : 0;
    double span = last - first > nominal_last ? last - first : nominal_last;
    double step = rp_nice_step(span > 1 ? span : 1, 6), xmax = ceil((span > 1 ? span : 1) / step) * step;
    char within[32];
    fprintf(f, "<h3>Release of the barrier at step %d: %zu racers, last bytes within %s (",
            rp_int(barrier, "barrierStep"), racers,
            rp_fmt_dur((int64_t)(last - first), within, sizeof(within)));
    release_words(f, barrier);
    fprintf(
        f, ")</h3>\n<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"spread\" width=\"%d\" height=\"%d\">\n",
        RS_W, height);
    for (double t = 0; t <= xmax + step / 2; t += step) {
        char lab[32];
        double x = RS_L + (RS_W - RS_L - 20) * t / xmax;
        fprintf(
            f,
            "<line x1=\"%.1f\" y1=\"20\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e4e4e4\"/><text x=\"%.1f\" y=\"%d\" "
            "font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">+%s</text>\n",
            x, x, height - 18, x, height - 6, rp_fmt_dur((int64_t)t, lab, sizeof(lab)));
    }
    for (size_t k = 0; stagger > 0 && k < rows; k++) /* where a staggered release meant each racer to be */
        fprintf(f,
                "<circle class=\"nominal\" cx=\"%.1f\" cy=\"%d\" r=\"5\" fill=\"none\" "
                "stroke=\"#999\"><title>racer "
                "%zu's nominal release: +%.0f us</title></circle>\n",
                RS_L + (RS_W - RS_L - 20) * stagger * (double)k / xmax, 30 + RS_ROW * (int)k, k,
                stagger * (double)k);
    size_t row = 0;
    json_array_foreach (history, i, op) {
        if (!json_is_integer(json_object_get(op, "barrier")) ||
            rp_num(op, "barrier") != rp_num(barrier, "barrierStep") || row == rows)
            continue;
        double dt = rp_num(op, "lastByteUs") - first, x = RS_L + (RS_W - RS_L - 20) * dt / xmax;
        int y = 24 + RS_ROW * (int)row++;
        fprintf(f, "<text x=\"4\" y=\"%d\" font-size=\"10\">", y + 9);
        rp_esc(f, rp_str(op, "actorName"));
        fprintf(
            f,
            "</text><circle class=\"racer-release\" cx=\"%.1f\" cy=\"%d\" r=\"4\" fill=\"#1f77b4\"><title>",
            x, y + 6);
        rp_esc(f, rp_str(op, "actorName"));
        fprintf(f, ": last byte +%.0f us after the first racer's</title></circle>\n", dt);
    }
    fputs("</svg>\n", f);
    if (racers > rows)
        fprintf(f, "<p class=\"muted\">%zu more racers not drawn.</p>\n", racers - rows);
}

void rp_release_spread(FILE *f, json_t *trial)
{
    size_t b;
    json_t *barrier;
    json_array_foreach (json_object_get(trial, "barriers"), b, barrier) {
        if (b == 4) {
            fprintf(f, "<p class=\"muted\">%zu more barriers in run.json.</p>\n",
                    json_array_size(json_object_get(trial, "barriers")) - 4);
            break;
        }
        spread_chart(f, json_object_get(trial, "history"), barrier);
    }
}
