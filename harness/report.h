/*
 * Reports: one self-contained HTML file per run (inline SVG, no scripts, no
 * network), and the page of the comparison CI gates releases on (compare_load.h).
 */
#ifndef BR_REPORT_H
#define BR_REPORT_H

#include "compare_load.h"

#include <jansson.h>
#include <stdio.h>

/*
 * Writes the HTML report of a run.json (a race: one timeline lane per actor,
 * barrier releases, violations in red) or a load.json (latency percentile
 * curves, throughput over time, statuses, the oracle's verdict).
 * Returns 0, or -1 with |err| for a document of neither schema.
 */
int br_report_html(json_t *doc, FILE *out, char *err, size_t errlen);

/* The HTML page of `bookrace compare` (the judged report of compare_load.h). */
void br_compare_html(const br_cmp_report *r, FILE *out);

#endif
