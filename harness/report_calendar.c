/*
 * The picture of a double booking: a calendar of the inspector's day, each
 * acknowledged booking a bar (labelled with the actor, when its request was
 * sent and the status it got), the times where two or more overlap shaded;
 * and the words: violations grouped by what went wrong ("16 bookings
 * acknowledged for martin 08:26-10:26; 15 too many") instead of 120 pair
 * lines, the pairs kept behind a disclosure. Clusters (bookings of one
 * inspector joined by overlaps) come from the bookings themselves, so the
 * same code serves a run's history, a stored ground truth and a load's
 * streamed history of any length (bounded by RP_MAX_BOOKINGS, sampled
 * beyond and said so).
 */
#include "report_int.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#define DAY_US 86400000000LL
#define HOUR_US 3600000000LL

void rp_bookings_add(rp_bookings *bs, const rp_booking *b)
{
    bs->offered++;
    if (bs->count < RP_MAX_BOOKINGS) {
        if (bs->count == bs->cap) {
            bs->cap = bs->cap ? bs->cap * 2 : 64;
            bs->items = xreallocarray(bs->items, bs->cap, sizeof(*bs->items));
        }
        bs->items[bs->count++] = *b;
        return;
    }
    /* Reservoir sampling (xorshift64): every offered booking is kept with the same probability. */
    uint64_t x = bs->sample_state ? bs->sample_state : 0x9e3779b97f4a7c15ULL;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    bs->sample_state = x;
    uint64_t j = x % bs->offered;
    if (j < RP_MAX_BOOKINGS)
        bs->items[j] = *b;
}

void rp_bookings_free(rp_bookings *bs)
{
    free(bs->items);
    memset(bs, 0, sizeof(*bs));
}

static int by_inspector_start(const void *a, const void *b)
{
    const rp_booking *x = a, *y = b;
    int c = strcmp(x->inspector, y->inspector);
    if (c)
        return c;
    if (x->stored != y->stored)
        return x->stored - y->stored;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    return x->request_us < y->request_us ? -1 : x->request_us > y->request_us;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

typedef struct {
    int64_t start, end;
} span;

static int by_end(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Fills |c|'s counts from the |n| ranges of one cluster (reorders |s|). */
static void measure_cluster(rp_cluster *c, span *s, size_t n)
{
    int64_t *starts = xcalloc(n, sizeof(int64_t)), *ends = xcalloc(n, sizeof(int64_t));
    for (size_t i = 0; i < n; i++) {
        starts[i] = s[i].start;
        ends[i] = s[i].end;
    }
    qsort(starts, n, sizeof(int64_t), cmp_i64);
    qsort(ends, n, sizeof(int64_t), cmp_i64);
    size_t depth = 0, best = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        while (e < n && ends[e] <= starts[i]) {
            e++;
            depth--;
        }
        depth++;
        if (depth > best)
            best = depth;
    }
    /* The most bookings that fit side by side: earliest end first (interval scheduling). */
    qsort(s, n, sizeof(span), by_end);
    size_t fit = 0;
    int64_t last = INT64_MIN;
    for (size_t i = 0; i < n; i++)
        if (s[i].start >= last) {
            fit++;
            last = s[i].end;
        }
    c->bookings = n;
    c->max_at_once = best;
    c->too_many = n - fit;
    free(starts);
    free(ends);
}

static int same_owner(const rp_booking *a, const rp_booking *b)
{
    return a->stored == b->stored && strcmp(a->inspector, b->inspector) == 0;
}

size_t rp_clusters(rp_bookings *bs, rp_cluster **out)
{
    if (bs->count)
        qsort(bs->items, bs->count, sizeof(rp_booking), by_inspector_start);
    size_t n = 0, cap = 0;
    rp_cluster *cl = NULL;
    span *s = xcalloc(bs->count + 1, sizeof(span));
    for (size_t i = 0; i < bs->count;) {
        const rp_booking *first = &bs->items[i];
        if (first->info) {
            i++;
            continue;
        }
        size_t k = 0;
        int64_t to = first->end_us;
        size_t j = i;
        for (; j < bs->count && same_owner(first, &bs->items[j]) && bs->items[j].start_us < to; j++) {
            if (bs->items[j].info)
                continue;
            s[k++] = (span){bs->items[j].start_us, bs->items[j].end_us};
            if (bs->items[j].end_us > to)
                to = bs->items[j].end_us;
        }
        if (k >= 2) {
            for (size_t m = i; m < j; m++) /* each overlaps another: a violation names it */
                bs->items[m].flagged |= !bs->items[m].info;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                cl = xreallocarray(cl, cap, sizeof(*cl));
            }
            rp_cluster *c = &cl[n++];
            memset(c, 0, sizeof(*c));
            snprintf(c->inspector, sizeof(c->inspector), "%s", first->inspector);
            c->stored = first->stored;
            c->from_us = first->start_us;
            c->to_us = to;
            measure_cluster(c, s, k);
        }
        i = j > i ? j : i + 1;
    }
    free(s);
    *out = cl;
    return n;
}

void rp_cluster_headline(FILE *f, const rp_cluster *c)
{
    char a[16], b[16], d[16];
    fprintf(f, "%zu bookings %s for ", c->bookings, c->stored ? "stored" : "acknowledged");
    rp_esc(f, c->inspector);
    fprintf(f, " %s-%s on %s; %zu too many", rp_fmt_hhmm(c->from_us, a, sizeof(a)),
            rp_fmt_hhmm(c->to_us, b, sizeof(b)), rp_fmt_date(c->from_us, d, sizeof(d)), c->too_many);
    if (c->max_at_once < c->bookings)
        fprintf(f, " (at most %zu at once)", c->max_at_once);
}

/* ---- violation groups ------------------------------------------------------------------------------ */

typedef struct {
    char kind[32];
    char inspector[BR_NAME_MAX];
    size_t count;
    size_t shown[RP_MAX_PAIRS];
} group;

/* The inspector a violation names: "... inspector martin: ..." (oracle.c's wording), or "". */
static void violation_inspector(const char *text, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = strstr(text, "inspector ");
    if (p == NULL)
        return;
    p += strlen("inspector ");
    size_t n = strcspn(p, ":");
    if (p[n] != ':' || n >= cap)
        return;
    memcpy(out, p, n);
    out[n] = '\0';
}

static const char *kind_phrase(const char *kind)
{
    if (strcmp(kind, "double-booking") == 0)
        return "overlapping pairs of acknowledged bookings";
    if (strcmp(kind, "double-booking-stored") == 0)
        return "overlapping pairs of stored bookings";
    if (strcmp(kind, "lost") == 0)
        return "acknowledged bookings lost";
    if (strcmp(kind, "unexpected") == 0)
        return "stored bookings no request created";
    if (strcmp(kind, "outcome") == 0)
        return "outcomes the scenario ruled out";
    return "violations";
}

/* What a reader needs first: double bookings the requests saw, lost bookings, then the rest. */
static int kind_rank(const char *kind)
{
    static const char *const order[] = {"double-booking", "lost", "outcome", "double-booking-stored",
                                        "unexpected"};
    for (int i = 0; i < 5; i++)
        if (strcmp(kind, order[i]) == 0)
            return i;
    return 5;
}

static int by_kind_then_count(const void *a, const void *b)
{
    const group *x = a, *y = b;
    int rx = kind_rank(x->kind), ry = kind_rank(y->kind);
    if (rx != ry)
        return rx - ry;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* Groups |violations| by kind and inspector (at most 4096 groups; the rest join the last). */
static group *collect_groups(json_t *violations, size_t *count)
{
    size_t n = 0, cap = 0;
    group *g = NULL;
    size_t i;
    json_t *v;
    json_array_foreach (violations, i, v) {
        char insp[BR_NAME_MAX];
        const char *kind = rp_str(v, "kind");
        violation_inspector(rp_str(v, "text"), insp, sizeof(insp));
        size_t k = 0;
        while (k < n &&
               !(strncmp(g[k].kind, kind, sizeof(g[k].kind) - 1) == 0 && strcmp(g[k].inspector, insp) == 0))
            k++;
        if (k == n && n == 4096)
            k = n - 1;
        else if (k == n) {
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                g = xreallocarray(g, cap, sizeof(*g));
            }
            memset(&g[n], 0, sizeof(g[n]));
            snprintf(g[n].kind, sizeof(g[n].kind), "%s", kind);
            snprintf(g[n].inspector, sizeof(g[n].inspector), "%s", insp);
            n++;
        }
        if (g[k].count < RP_MAX_PAIRS)
            g[k].shown[g[k].count] = i;
        g[k].count++;
    }
    qsort(g, n, sizeof(*g), by_kind_then_count);
    *count = n;
    return g;
}

/* The headlines of the clusters behind group |g|; returns how many were written. */
static size_t group_headlines(FILE *f, const group *g, const rp_cluster *cl, size_t cl_count)
{
    int stored = strcmp(g->kind, "double-booking-stored") == 0;
    if (!stored && strcmp(g->kind, "double-booking") != 0)
        return 0;
    size_t written = 0, more = 0;
    for (size_t c = 0; c < cl_count; c++) {
        if (cl[c].stored != stored || strcmp(cl[c].inspector, g->inspector) != 0)
            continue;
        if (written == RP_MAX_HEADLINES) {
            more++;
            continue;
        }
        fputs("<p class=\"headline\">", f);
        rp_cluster_headline(f, &cl[c]);
        fputs("</p>\n", f);
        written++;
    }
    if (more)
        fprintf(f, "<p class=\"headline\">and %zu more such clusters</p>\n", more);
    return written;
}

static void group_block(FILE *f, const group *g, json_t *violations, const rp_cluster *cl, size_t cl_count,
                        const char *where)
{
    fputs("<div class=\"group\">\n", f);
    if (group_headlines(f, g, cl, cl_count) == 0) {
        fprintf(f, "<p class=\"headline\">%zu %s", g->count, kind_phrase(g->kind));
        if (g->inspector[0]) {
            fputs(" for ", f);
            rp_esc(f, g->inspector);
        }
        fputs("</p>\n", f);
    }
    fprintf(f, "<details><summary>%zu ", g->count);
    rp_esc(f, g->kind);
    fprintf(f, " violation%s, one line each</summary>\n<ul>\n", g->count == 1 ? "" : "s");
    size_t shown = g->count < RP_MAX_PAIRS ? g->count : RP_MAX_PAIRS;
    for (size_t i = 0; i < shown; i++) {
        fputs("<li>", f);
        rp_esc(f, rp_str(json_array_get(violations, g->shown[i]), "text"));
        fputs("</li>\n", f);
    }
    if (g->count > shown) {
        fprintf(f, "<li class=\"muted\">%zu more omitted (", g->count - shown);
        rp_esc(f, where);
        fputs(" has them all)</li>\n", f);
    }
    fputs("</ul></details>\n</div>\n", f);
}

/* Whether a listed group stands for cluster |c| (same inspector, same kind of double booking). */
static int covered(const group *g, size_t n, const rp_cluster *c)
{
    const char *kind = c->stored ? "double-booking-stored" : "double-booking";
    for (size_t i = 0; i < n; i++)
        if (strcmp(g[i].kind, kind) == 0 && strcmp(g[i].inspector, c->inspector) == 0)
            return 1;
    return 0;
}

/* Clusters the bookings show but no listed violation names (the result lists a bounded number). */
static size_t unlisted_clusters(FILE *f, const group *g, size_t n, const rp_cluster *cl, size_t cl_count,
                                const char *where, size_t room)
{
    size_t shown = 0, more = 0;
    for (size_t c = 0; c < cl_count; c++) {
        if (covered(g, n, &cl[c]))
            continue;
        if (shown == room) {
            more++;
            continue;
        }
        fputs("<div class=\"group\">\n<p class=\"headline\">", f);
        rp_cluster_headline(f, &cl[c]);
        fputs("</p>\n<p class=\"muted\">Its violation lines are not listed in ", f);
        rp_esc(f, where);
        fputs(" (it lists a bounded number of each kind); the bookings show it.</p>\n</div>\n", f);
        shown++;
    }
    return more;
}

void rp_violation_groups(FILE *f, json_t *violations, size_t total, const rp_cluster *clusters,
                         size_t cluster_count, const char *where)
{
    size_t n, listed = json_array_size(violations);
    group *g = collect_groups(violations, &n);
    total = total > listed ? total : listed;
    fprintf(f, "<p class=\"groups-summary\">%zu violation%s", total, total == 1 ? "" : "s");
    if (total > listed) {
        fprintf(f, " (%zu listed in ", listed);
        rp_esc(f, where);
        fputs(")", f);
    }
    fprintf(f, "%s in %zu group%s (by kind and inspector):</p>\n", total > listed ? "; the listed ones" : "",
            n, n == 1 ? "" : "s");
    size_t rest = 0;
    for (size_t i = 0; i < n; i++) {
        if (i < RP_MAX_GROUPS)
            group_block(f, &g[i], violations, clusters, cluster_count, where);
        else
            rest += g[i].count;
    }
    if (n > RP_MAX_GROUPS)
        fprintf(f, "<p class=\"muted\">%zu more groups (%zu violations) omitted.</p>\n", n - RP_MAX_GROUPS,
                rest);
    size_t more =
        unlisted_clusters(f, g, n, clusters, cluster_count, where, n < RP_MAX_GROUPS ? RP_MAX_GROUPS - n : 0);
    if (more)
        fprintf(f, "<p class=\"muted\">%zu more clusters of overlapping bookings omitted.</p>\n", more);
    free(g);
}

/* ---- calendars ------------------------------------------------------------------------------------- */

typedef struct {
    const rp_booking **rows;
    size_t count, omitted;
    int64_t from_us, to_us; /* the axis, whole hours */
} day_view;

/* The bookings of |c|'s inspector on |c|'s day, those inside the cluster first, at most the row limit. */
static void day_select(const rp_bookings *bs, const rp_cluster *c, day_view *v)
{
    int64_t day = c->from_us - ((c->from_us % DAY_US) + DAY_US) % DAY_US;
    v->rows = xcalloc(RP_MAX_CALENDAR_ROWS, sizeof(*v->rows));
    v->count = v->omitted = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < bs->count; i++) {
            const rp_booking *b = &bs->items[i];
            if (b->stored != c->stored || strcmp(b->inspector, c->inspector) != 0)
                continue;
            int in_cluster = b->start_us < c->to_us && b->end_us > c->from_us;
            int on_day = b->start_us < day + DAY_US && b->end_us > day;
            if (pass == 0 ? !in_cluster : (in_cluster || !on_day))
                continue;
            if (v->count < RP_MAX_CALENDAR_ROWS)
                v->rows[v->count++] = b;
            else
                v->omitted++;
        }
    int64_t lo = c->from_us, hi = c->to_us;
    for (size_t i = 0; i < v->count; i++) {
        if (v->rows[i]->start_us < lo)
            lo = v->rows[i]->start_us;
        if (v->rows[i]->end_us > hi)
            hi = v->rows[i]->end_us;
    }
    v->from_us = lo - ((lo % HOUR_US) + HOUR_US) % HOUR_US;
    v->to_us = hi + (HOUR_US - ((hi % HOUR_US) + HOUR_US) % HOUR_US) % HOUR_US;
    if (v->to_us - v->from_us < 2 * HOUR_US)
        v->to_us = v->from_us + 2 * HOUR_US;
}

/* One stretch of constant depth (two or more at once), shaded darker the more bookings share it. */
static void depth_rect(FILE *f, double x0, double x1, int top, int bottom, size_t depth)
{
    double opacity = 0.08 * (double)(depth - 1);
    fprintf(f,
            "<rect class=\"depth\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#d62728\" "
            "fill-opacity=\"%.2f\"/>\n",
            x0, top, x1 - x0, bottom - top, opacity > 0.45 ? 0.45 : opacity);
}

/* The outline of a stretch where two or more overlap, with its words on hover. */
static void overlap_rect(FILE *f, double x0, double x1, int top, int bottom, int64_t from, int64_t to,
                         size_t peak)
{
    char a[16], b[16];
    fprintf(f,
            "<rect class=\"overlap\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#d62728\" "
            "fill-opacity=\"0.06\" stroke=\"#d62728\" stroke-opacity=\"0.6\" "
            "stroke-dasharray=\"3,2\"><title>overlap "
            "%s-%s: up to %zu acknowledged bookings at once</title></rect>\n",
            x0, top, x1 - x0, bottom - top, rp_fmt_hhmm(from, a, sizeof(a)), rp_fmt_hhmm(to, b, sizeof(b)),
            peak);
}

/* Shades every stretch where two or more drawn acknowledged bookings overlap. */
static void overlap_shading(FILE *f, const day_view *v, double (*x)(const day_view *, int64_t), int top,
                            int bottom)
{
    size_t n = 0;
    int64_t *starts = xcalloc(v->count + 1, sizeof(int64_t)), *ends = xcalloc(v->count + 1, sizeof(int64_t));
    for (size_t i = 0; i < v->count; i++)
        if (!v->rows[i]->info) {
            starts[n] = v->rows[i]->start_us;
            ends[n++] = v->rows[i]->end_us;
        }
    qsort(starts, n, sizeof(int64_t), cmp_i64);
    qsort(ends, n, sizeof(int64_t), cmp_i64);
    size_t si = 0, ei = 0, depth = 0, peak = 0;
    int64_t open_at = 0, last = 0;
    while (si < n || ei < n) {
        int is_start = si < n && starts[si] < ends[ei];
        int64_t t = is_start ? starts[si++] : ends[ei++];
        if (depth >= 2 && t > last)
            depth_rect(f, x(v, last), x(v, t), top, bottom, depth);
        size_t before = depth;
        depth = is_start ? depth + 1 : depth - 1;
        last = t;
        if (before < 2 && depth >= 2) {
            open_at = t;
            peak = 0;
        }
        peak = depth > peak ? depth : peak;
        if (before >= 2 && depth < 2 && t > open_at)
            overlap_rect(f, x(v, open_at), x(v, t), top, bottom, open_at, t, peak);
    }
    free(starts);
    free(ends);
}

enum { CAL_W = 1100, CAL_L = 30, CAL_R = 30, CAL_TOP = 34, CAL_ROW = 20 };

static double cal_x(const day_view *v, int64_t t)
{
    double span = (double)(v->to_us - v->from_us);
    return CAL_L + (CAL_W - CAL_L - CAL_R) * ((double)(t - v->from_us) / span);
}

static void cal_axis(FILE *f, const day_view *v, int height)
{
    /* Every hour on a working day; a longer span (bookings across days) gets about 12 ticks. */
    int64_t hours = (v->to_us - v->from_us) / HOUR_US, step = HOUR_US * (hours > 12 ? (hours + 11) / 12 : 1);
    for (int64_t t = v->from_us; t <= v->to_us; t += step) {
        char hm[16];
        double x = cal_x(v, t);
        fprintf(
            f,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"18\" "
            "font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
            x, CAL_TOP - 8, x, height - 4, x, rp_fmt_hhmm(t, hm, sizeof(hm)));
    }
}

static void cal_bar(FILE *f, const day_view *v, const rp_booking *b, int y)
{
    char a[16], e[16], label[BR_NAME_MAX + BR_ID_MAX + 64], sent[32];
    double x0 = cal_x(v, b->start_us), x1 = cal_x(v, b->end_us);
    const char *fill = b->info ? "#fff3e0" : b->flagged ? "#d62728" : "#2ca02c";
    if (b->request_us < 1000000)
        snprintf(sent, sizeof(sent), "+%.3f ms", (double)b->request_us / 1e3);
    else
        snprintf(sent, sizeof(sent), "+%.3f s", (double)b->request_us / 1e6);
    if (b->stored)
        snprintf(label, sizeof(label), "%s \xc2\xb7 stored", b->actor);
    else
        snprintf(label, sizeof(label), "%s \xc2\xb7 sent %s \xc2\xb7 %d%s", b->actor[0] ? b->actor : "?",
                 sent, b->status, b->info ? " (indeterminate)" : "");
    fprintf(f,
            "<g class=\"booking%s\"><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"3\" "
            "fill=\"%s\"%s><title>",
            b->flagged ? " flagged" : "", x0, y, x1 - x0 < 2 ? 2 : x1 - x0, CAL_ROW - 4, fill,
            b->info ? " stroke=\"#ff7f0e\" stroke-dasharray=\"4,2\"" : "");
    rp_esc(f, b->actor);
    if (b->stored)
        fprintf(f, ": %s-%s, listed by the target after the run", rp_fmt_hhmm(b->start_us, a, sizeof(a)),
                rp_fmt_hhmm(b->end_us, e, sizeof(e)));
    else
        fprintf(f, ": %s-%s, request sent at %s (since the run started), status %d%s",
                rp_fmt_hhmm(b->start_us, a, sizeof(a)), rp_fmt_hhmm(b->end_us, e, sizeof(e)), sent, b->status,
                b->info ? ", indeterminate" : "");
    fputs("</title></rect>", f);
    /* Inside the bar in white when it fits (about 6.3 px a character at 11 px), else after it. */
    double est = 6.3 * (double)strlen(label);
    int inside = x1 - x0 > est + 8;
    double tx = inside ? x0 + 5 : x1 + 4;
    if (!inside && tx + est > CAL_W)
        tx = x0 - 4;
    fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" fill=\"%s\"%s>", tx, y + CAL_ROW - 8,
            inside && !b->info ? "#fff" : "#222", !inside && tx < x0 ? " text-anchor=\"end\"" : "");
    rp_esc(f, label);
    fputs("</text></g>\n", f);
}

static void calendar(FILE *f, const rp_bookings *bs, const rp_cluster *c)
{
    day_view v;
    day_select(bs, c, &v);
    int height = CAL_TOP + CAL_ROW * (int)v.count + 10;
    char d[16];
    fputs("<h3 class=\"calendar-title\">", f);
    rp_esc(f, c->inspector);
    fprintf(f, ", %s: %s bookings</h3>\n", rp_fmt_date(c->from_us, d, sizeof(d)),
            c->stored ? "stored" : "acknowledged");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"calendar\" width=\"%d\" height=\"%d\">\n",
            CAL_W, height);
    cal_axis(f, &v, height);
    overlap_shading(f, &v, cal_x, CAL_TOP - 6, height - 4);
    for (size_t i = 0; i < v.count; i++)
        cal_bar(f, &v, v.rows[i], CAL_TOP + CAL_ROW * (int)i);
    fputs("</svg>\n", f);
    if (v.omitted)
        fprintf(f, "<p class=\"muted\">%zu more bookings of that day not drawn.</p>\n", v.omitted);
    free(v.rows);
}

/* Acknowledged clusters first (the requests' story), then stored ones; larger first within each. */
static int by_story(const void *a, const void *b)
{
    const rp_cluster *x = a, *y = b;
    if (x->stored != y->stored)
        return x->stored - y->stored;
    return x->bookings < y->bookings ? 1 : x->bookings > y->bookings ? -1 : 0;
}

static int same_day(const rp_cluster *a, const rp_cluster *b)
{
    return a->stored == b->stored && strcmp(a->inspector, b->inspector) == 0 &&
           (a->from_us - ((a->from_us % DAY_US) + DAY_US) % DAY_US) ==
               (b->from_us - ((b->from_us % DAY_US) + DAY_US) % DAY_US);
}

void rp_calendars(FILE *f, const rp_bookings *bs, const rp_cluster *clusters, size_t cluster_count)
{
    rp_cluster *order = xcalloc(cluster_count + 1, sizeof(rp_cluster));
    const rp_cluster *drawn[RP_MAX_CALENDARS];
    size_t n_drawn = 0, skipped = 0;
    if (cluster_count)
        memcpy(order, clusters, cluster_count * sizeof(rp_cluster));
    qsort(order, cluster_count, sizeof(rp_cluster), by_story);
    for (size_t k = 0; k < cluster_count; k++) {
        const rp_cluster *c = &order[k];
        int dup = 0;
        for (size_t j = 0; j < n_drawn && !dup; j++)
            dup = same_day(drawn[j], c);
        if (dup)
            continue;
        if (n_drawn == RP_MAX_CALENDARS) {
            skipped++;
            continue;
        }
        calendar(f, bs, c);
        drawn[n_drawn++] = c;
    }
    free(order);
    if (skipped)
        fprintf(f, "<p class=\"muted\">%zu more affected inspector-days (or clusters) not drawn.</p>\n",
                skipped);
    fputs("<p class=\"muted\">Bars: red a booking named by a violation, green another acknowledged one, "
          "dashed an indeterminate one; shaded: two or more acknowledged bookings at once.</p>\n",
          f);
}
