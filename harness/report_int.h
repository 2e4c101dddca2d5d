/*
 * Private to the report modules (report*.c): the page skeleton, escaping,
 * number and time formatting, and the picture pieces several report kinds
 * share (the booking calendar with its violation groups, the race timeline,
 * the load charts, the window curve, the matrix table). Not part of the
 * harness's API: report.h is.
 *
 * Every report is one self-contained HTML file: inline CSS and SVG, no
 * script, no URL but the SVG namespace, every text from the input escaped,
 * and every list bounded (what is not drawn is counted and said).
 */
#ifndef BR_REPORT_INT_H
#define BR_REPORT_INT_H

#include "oracle.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* ---- limits: what a page draws at most (the rest is counted, never silently dropped) ---------------- */
#define RP_MAX_TRIALS_DRAWN 3    /* trials with a timeline and calendars */
#define RP_MAX_TRIAL_ROWS 200    /* rows of the trial table */
#define RP_MAX_CALENDARS 4       /* inspector-days drawn per trial or load */
#define RP_MAX_CALENDAR_ROWS 40  /* bookings drawn per calendar */
#define RP_MAX_GROUPS 30         /* violation groups listed */
#define RP_MAX_PAIRS 100         /* violation lines behind one group's disclosure */
#define RP_MAX_LANES 64          /* actor lanes of a timeline */
#define RP_MAX_TIMELINE_OPS 4000 /* operations drawn on a timeline */
#define RP_MAX_BOOKINGS 200000   /* bookings a load report reads from its history (sampled beyond) */
#define RP_MAX_HEADLINES 8       /* cluster headlines per group */

/* ---- page and text --------------------------------------------------------------------------------- */
void rp_esc(FILE *f, const char *s);
void rp_page_start(FILE *f, const char *title);
void rp_page_end(FILE *f);
const char *rp_str(json_t *o, const char *k);
/* Numbers from the document, clamped to +-1e15 (NaN 0) so that no cast of them is undefined. */
double rp_num(json_t *o, const char *k);
double rp_clamp(double v);
int rp_int(json_t *o, const char *k);      /* clamped to +-1e9 */
size_t rp_count(json_t *o, const char *k); /* negative is 0 */
/* A duration for people: "31 us", "2.4 ms", "180 s", "3.2 min". */
char *rp_fmt_dur(int64_t us, char *buf, size_t cap);
/* Time of day of an epoch-us instant, "09:26". */
char *rp_fmt_hhmm(int64_t epoch_us, char *buf, size_t cap);
/* Date of an epoch-us instant, "2026-12-01". */
char *rp_fmt_date(int64_t epoch_us, char *buf, size_t cap);
/* A 1-2-5 step so that |span| is cut into about |parts| pieces. */
double rp_nice_step(double span, double parts);
extern const char *const rp_palette[7];

/* ---- bookings, clusters and violation groups (report_calendar.c) ----------------------------------- */
typedef struct {
    char inspector[BR_NAME_MAX];
    char actor[BR_NAME_MAX + BR_ID_MAX]; /* the actor, or "id X" for a stored booking */
    int64_t start_us, end_us;            /* the booked range, epoch us */
    int64_t request_us; /* when the request was sent, us since the run started (scenario time) */
    int status;
    int info;    /* indeterminate: may or may not have happened */
    int flagged; /* named by a violation */
    int stored;  /* from the target's list after the run (ground truth), not from a request */
} rp_booking;

typedef struct {
    rp_booking *items;
    size_t count, cap;
    size_t offered; /* bookings offered to rp_bookings_add, kept or not */
    uint64_t sample_state;
} rp_bookings;

/* Adds |b| (kept while under RP_MAX_BOOKINGS; then a reservoir sample of what was offered). */
void rp_bookings_add(rp_bookings *bs, const rp_booking *b);
void rp_bookings_free(rp_bookings *bs);

/* A set of an inspector's acknowledged (or stored) bookings joined by overlaps. */
typedef struct {
    char inspector[BR_NAME_MAX];
    int stored;
    int64_t from_us, to_us;
    size_t bookings, too_many, max_at_once;
} rp_cluster;

/*
 * Sorts |bs| by inspector and start and finds the clusters of two or more
 * overlapping acknowledged bookings (indeterminate ones are not counted:
 * they may not exist). too_many is what would have to be cancelled so that
 * none overlap (the bookings minus the most that fit side by side).
 * Returns the count; *out is freed by the caller.
 */
size_t rp_clusters(rp_bookings *bs, rp_cluster **out);

/* The headline of a cluster: "16 bookings acknowledged for martin on 2026-12-01 08:26-10:26; 15 too many". */
void rp_cluster_headline(FILE *f, const rp_cluster *c);

/*
 * The violations grouped by kind and inspector (the double bookings the
 * requests saw first, then by size): per group its clusters' headlines and
 * the individual violations behind a <details> disclosure (at most RP_MAX_PAIRS each; the rest counted).
 * |total| is the count the result states (a load lists a bounded number of
 * each kind): clusters the bookings show but no listed violation names get
 * their own headline. |where| names the file holding the list ("run.json").
 */
void rp_violation_groups(FILE *f, json_t *violations, size_t total, const rp_cluster *clusters,
                         size_t cluster_count, const char *where);

/*
 * One calendar per affected inspector-day (at most RP_MAX_CALENDARS): each
 * booking of that day a bar labelled with actor, request time and status,
 * the times where two or more acknowledged bookings overlap shaded.
 */
void rp_calendars(FILE *f, const rp_bookings *bs, const rp_cluster *clusters, size_t cluster_count);

/* ---- race runs (report_race.c, report_timeline.c) -------------------------------------------------- */
int rp_race_report(json_t *doc, FILE *f);
/* The trial's operations on actor lanes, idle gaps compressed into labelled breaks, releases marked. */
void rp_timeline(FILE *f, json_t *trial);
/* The measured spread of each barrier's release: one mark per racer on a microsecond axis. */
void rp_release_spread(FILE *f, json_t *trial);

/* ---- the other kinds ------------------------------------------------------------------------------- */
int rp_load_report(json_t *doc, const char *source_path, FILE *f);
int rp_window_report(json_t *doc, FILE *f);
int rp_matrix_report(json_t *doc, FILE *f);

#endif
