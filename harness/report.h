/*
 * Reports: one self-contained HTML file per run (inline SVG, no scripts, no
 * network), and the comparison of two load runs that CI gates releases on.
 */
#ifndef BR_REPORT_H
#define BR_REPORT_H

#include <jansson.h>
#include <stdio.h>

/*
 * Writes the HTML report of a run.json (a race: one timeline lane per actor,
 * barrier releases, violations in red) or a load.json (latency percentile
 * curves, throughput over time, statuses, the oracle's verdict).
 * Returns 0, or -1 with |err| for a document of neither schema.
 */
int br_report_html(json_t *doc, FILE *out, char *err, size_t errlen);

typedef struct {
    int regressions;   /* metrics past the threshold */
    int verdict_worse; /* the oracle found violations the base did not have, or more errors */
} br_compare_result;

/*
 * Compares two load.json documents: throughput and p50/p90/p99/p99.9 per
 * operation, change in percent. A throughput drop or a p50/p90/p99 rise of
 * more than |max_regress_pct| is a regression (p99.9 is shown, not gated:
 * one slow request moves it). Writes a Markdown table to |md| and, when
 * |html| is not NULL, an HTML page. Returns 0, or -1 with |err|.
 */
int br_compare(json_t *base, json_t *next, double max_regress_pct, FILE *md, FILE *html,
               br_compare_result *out, char *err, size_t errlen);

#endif
