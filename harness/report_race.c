/*
 * The report of a race run (run.json): the verdict first, with the
 * reproduction rate and its 95% Wilson interval; then, for a few chosen
 * trials (the first of each class: a violation before a clean trial), what
 * went wrong in words (violations grouped), in a picture of the inspector's
 * day (calendar) and on a timeline with the barrier releases; then one table
 * row per trial. A 100-trial run is as readable as a 1-trial run: what is
 * drawn is bounded, and the page says what it left out.
 */
#include "report_int.h"

#include "alloc.h"
#include "iso8601.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

static int parse_time(const char *s, int64_t *us)
{
    return s[0] && br_time_parse(s, strlen(s), us) == 0;
}

/* The trial's booking requests that were acknowledged or indeterminate, and (if they disagree) the stored
 * ones. */
static void trial_bookings(json_t *trial, rp_bookings *bs)
{
    json_t *history = json_object_get(trial, "history"), *violations = json_object_get(trial, "violations");
    size_t n = json_array_size(history), i;
    char *flag = xcalloc(n + 1, 1);
    int stored_violation = 0;
    json_t *v, *op;
    json_array_foreach (violations, i, v) {
        stored_violation |= strcmp(rp_str(v, "kind"), "double-booking-stored") == 0;
        size_t k;
        json_t *idx;
        json_array_foreach (json_object_get(v, "ops"), k, idx) {
            if (json_integer_value(idx) >= 0 && (size_t)json_integer_value(idx) < n)
                flag[json_integer_value(idx)] = 1;
        }
    }
    json_array_foreach (history, i, op) {
        rp_booking b = {0};
        const char *outcome = rp_str(op, "outcome");
        if (strcmp(rp_str(op, "op"), "book") != 0 || strcmp(outcome, "fail") == 0 ||
            !parse_time(rp_str(op, "start"), &b.start_us) || !parse_time(rp_str(op, "end"), &b.end_us))
            continue;
        snprintf(b.inspector, sizeof(b.inspector), "%s", rp_str(op, "inspector"));
        snprintf(b.actor, sizeof(b.actor), "%s", rp_str(op, "actorName"));
        json_t *sent = json_object_get(op, "invokeScenarioUs");
        b.request_us =
            (int64_t)(json_is_number(sent) ? rp_clamp(json_number_value(sent)) : rp_num(op, "invokeUs"));
        b.status = rp_int(op, "status");
        b.info = strcmp(outcome, "ok") != 0;
        b.flagged = flag[i];
        rp_bookings_add(bs, &b);
    }
    free(flag);
    if (!stored_violation)
        return;
    json_array_foreach (json_object_get(json_object_get(trial, "groundTruth"), "bookings"), i, v) {
        rp_booking b = {.stored = 1, .status = 0};
        if (!json_is_true(json_object_get(v, "active")) || !parse_time(rp_str(v, "start"), &b.start_us) ||
            !parse_time(rp_str(v, "end"), &b.end_us))
            continue;
        snprintf(b.inspector, sizeof(b.inspector), "%s", rp_str(v, "inspector"));
        snprintf(b.actor, sizeof(b.actor), "id %s", rp_str(v, "id"));
        rp_bookings_add(bs, &b);
    }
}

static void verdict(FILE *f, json_t *doc)
{
    json_t *summary = json_object_get(doc, "summary");
    size_t k = rp_count(summary, "trialsWithViolations"), n = rp_count(summary, "trials");
    char rate[64];
    const char *outcome = rp_str(doc, "outcome");
    fprintf(f, "<p id=\"verdict\" class=\"verdict %s\">", strcmp(outcome, "pass") == 0 ? "good" : "bad");
    rp_esc(f, outcome);
    fputs(": ", f);
    rp_esc(f, rp_str(doc, "reason"));
    fprintf(f, "<br/>Trials with a violation: %s; expected: ", br_rate_format(k, n, rate, sizeof(rate)));
    rp_esc(f, rp_str(doc, "expectation"));
    fputs(".</p>\n<p>Target ", f);
    rp_esc(f, rp_str(json_object_get(doc, "target"), "name"));
    fputs(", booking day ", f);
    rp_esc(f,
           rp_str(doc, "date")[0] ? rp_str(doc, "date") : rp_str(json_object_get(doc, "scenario"), "date"));
    fputs(", started ", f);
    rp_esc(f, rp_str(doc, "startedAt"));
    fputs(". ", f);
    rp_esc(f, rp_str(json_object_get(doc, "scenario"), "description"));
    fputs("</p>\n", f);
    const char *release;
    json_t *skew;
    json_object_foreach (json_object_get(summary, "barrierSkew"), release, skew) {
        if (rp_num(skew, "barriers") < 1)
            continue;
        fputs("<p>", f);
        rp_esc(f, release);
        fprintf(f,
                " release: %.0f barriers, median spread %.0f us between the first and the last racer.</p>\n",
                rp_num(skew, "barriers"), rp_num(skew, "medianUs"));
    }
}

static void trial_notes(FILE *f, json_t *trial)
{
    json_t *explained = json_object_get(trial, "explained"), *notes = json_object_get(trial, "notes");
    if (!json_array_size(explained) && !json_array_size(notes))
        return;
    fputs("<details><summary>Explained refusals and notes</summary>\n<ul>\n", f);
    size_t i;
    json_t *v;
    json_array_foreach (explained, i, v) {
        fputs("<li class=\"explained\">", f);
        rp_esc(f, json_string_value(v));
        fputs("</li>\n", f);
    }
    json_array_foreach (notes, i, v) {
        fputs("<li class=\"note\">", f);
        rp_esc(f, json_string_value(v));
        fputs("</li>\n", f);
    }
    fputs("</ul></details>\n", f);
}

static void trial_section(FILE *f, json_t *trial)
{
    json_t *violations = json_object_get(trial, "violations");
    fprintf(f, "<h2>Trial %d (", rp_int(trial, "index"));
    rp_esc(f, rp_str(trial, "date"));
    fputs("): ", f);
    rp_esc(f, rp_str(trial, "class"));
    fputs("</h2>\n", f);
    rp_bookings bs = {0};
    rp_cluster *cl = NULL;
    trial_bookings(trial, &bs);
    size_t ncl = rp_clusters(&bs, &cl);
    if (json_array_size(violations)) {
        fputs("<h3>What went wrong</h3>\n", f);
        rp_violation_groups(f, violations, rp_count(trial, "violationCount"), cl, ncl, "run.json");
    }
    if (ncl)
        rp_calendars(f, &bs, cl, ncl);
    fputs("<h3>Timeline</h3>\n", f);
    rp_timeline(f, trial);
    rp_release_spread(f, trial);
    trial_notes(f, trial);
    free(cl);
    rp_bookings_free(&bs);
}

static void trial_table(FILE *f, json_t *trials)
{
    fputs("<h2>Every trial</h2>\n<table id=\"trials\">\n<tr><th>trial</th><th class=\"l\">day</th><th "
          "class=\"l\">class</th><th>violations</th><th>release spread</th><th>advanced</th></tr>\n",
          f);
    size_t t;
    json_t *trial;
    json_array_foreach (trials, t, trial) {
        if (t == RP_MAX_TRIAL_ROWS) {
            fprintf(f, "<tr><td class=\"l\" colspan=\"6\">%zu more trials in run.json</td></tr>\n",
                    json_array_size(trials) - t);
            break;
        }
        const char *cls = rp_str(trial, "class");
        fprintf(f, "<tr><td>%d</td><td class=\"l\">", rp_int(trial, "index"));
        rp_esc(f, rp_str(trial, "date"));
        fprintf(f, "</td><td class=\"l %s\">", strcmp(cls, "clean") == 0 ? "good" : "bad");
        rp_esc(f, cls);
        fprintf(f, "</td><td>%zu</td><td>", json_array_size(json_object_get(trial, "violations")));
        size_t b;
        json_t *barrier;
        json_array_foreach (json_object_get(trial, "barriers"), b, barrier) {
            fprintf(f, "%s%.0f us", b ? ", " : "", rp_num(barrier, "skewUs"));
        }
        fprintf(f, "</td><td>%.0f s</td></tr>\n", rp_num(trial, "advancedSeconds"));
    }
    fputs("</table>\n", f);
}

/* The trials worth drawing: the first of each class, violations first, at most RP_MAX_TRIALS_DRAWN. */
static size_t pick_trials(json_t *trials, size_t *picked)
{
    static const char *const order[] = {"violation", "expectation-failed", "inconclusive", "target-error",
                                        "clean"};
    size_t n = 0;
    for (size_t c = 0; c < sizeof(order) / sizeof(order[0]) && n < RP_MAX_TRIALS_DRAWN; c++) {
        size_t t;
        json_t *trial;
        json_array_foreach (trials, t, trial) {
            if (strcmp(rp_str(trial, "class"), order[c]) == 0) {
                picked[n++] = t;
                break;
            }
        }
    }
    if (n == 0 && json_array_size(trials))
        picked[n++] = 0; /* a run.json from before trial classes */
    return n;
}

int rp_race_report(json_t *doc, FILE *f)
{
    json_t *sc = json_object_get(doc, "scenario"), *trials = json_object_get(doc, "trials");
    char title[256];
    snprintf(title, sizeof(title), "bookrace run: %s", rp_str(sc, "name"));
    rp_page_start(f, title);
    verdict(f, doc);
    size_t picked[RP_MAX_TRIALS_DRAWN];
    size_t n = pick_trials(trials, picked);
    if (json_array_size(trials) > n)
        fprintf(f,
                "<p class=\"muted\">Drawn: %zu of %zu trials (the first of each kind); the table below lists "
                "them all.</p>\n",
                n, json_array_size(trials));
    for (size_t i = 0; i < n; i++)
        trial_section(f, json_array_get(trials, picked[i]));
    trial_table(f, trials);
    rp_page_end(f);
    return 0;
}
