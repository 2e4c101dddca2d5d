/*
 * Reports: one self-contained HTML file per result (inline CSS and SVG, no
 * scripts, no network, every input text escaped, every list bounded), and
 * the page of the comparison CI gates releases on (compare_load.h). The modules
 * behind it are report_*.c (report_int.h).
 */
#ifndef BR_REPORT_H
#define BR_REPORT_H

#include "compare_load.h"

#include <jansson.h>
#include <stdio.h>

/*
 * Writes the HTML report of a result document:
 *  - run.json (bookrace.run/1): the verdict with its 95% interval, the
 *    violations grouped by what went wrong, a calendar of each affected
 *    inspector's day with the overlap shaded, a timeline per drawn trial
 *    (idle gaps compressed into labelled breaks, barrier releases and their
 *    measured spread) and a table of every trial;
 *  - load.json (bookrace.load/1): latency over time (p50/p99 per second)
 *    and by percentile, throughput, statuses, and the oracle's violations
 *    grouped, with calendars drawn from the streamed history;
 *  - window.json ("kind": "window", or its shape: "points" and "window_us"):
 *    the reproduction rate against the delay with 95% whiskers and the
 *    estimated window;
 *  - matrix.json (bookrace.matrix/1): scenarios by modes, k/n per cell.
 * |source_path| is the file |doc| was read from: a load's streamed history
 * is found beside it (NULL: the history is not read, and the page says so).
 * Returns 0, or -1 with |err| for a document of none of these kinds.
 */
int br_report_html_source(json_t *doc, const char *source_path, FILE *out, char *err, size_t errlen);

/* br_report_html_source without a source path. */
int br_report_html(json_t *doc, FILE *out, char *err, size_t errlen);

/* The HTML page of `bookrace compare` (the judged report of compare_load.h). */
void br_compare_html(const br_cmp_report *r, FILE *out);

#endif
