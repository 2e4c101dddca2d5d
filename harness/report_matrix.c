/*
 * The report of a regression/fix matrix (matrix.json): scenarios down, bookd
 * modes across, each cell the trials that reproduced a violation out of the
 * trials run (k/n with its 95% Wilson interval on hover), coloured by
 * whether it is as expected, unexpected, or undecided (too few trials to
 * tell). The write-up's argument in one table: which fix catches which race.
 */
#include "report_int.h"

#include "stats.h"

#include <string.h>

#define MAX_ROWS 200

static const char *cell_class(json_t *cell)
{
    const char *verdict = rp_str(cell, "verdict");
    if (strcmp(verdict, "undecided") == 0)
        return "cell-undecided";
    if (json_is_string(json_object_get(cell, "error")))
        return "cell-bad";
    return json_is_true(json_object_get(cell, "asExpected")) ? "cell-ok" : "cell-bad";
}

static json_t *find_cell(json_t *cells, const char *scenario, const char *mode)
{
    size_t i;
    json_t *c;
    json_array_foreach (cells, i, c) {
        if (strcmp(rp_str(c, "scenario"), scenario) == 0 && strcmp(rp_str(c, "mode"), mode) == 0)
            return c;
    }
    return NULL;
}

static void matrix_cell(FILE *f, json_t *c)
{
    if (c == NULL) {
        fputs("<td class=\"muted\">-</td>", f);
        return;
    }
    size_t k = rp_count(c, "trialsWithViolations"), n = rp_count(c, "trials");
    char rate[64];
    const char *verdict = rp_str(c, "verdict");
    fprintf(f, "<td class=\"%s\" title=\"expected ", cell_class(c));
    rp_esc(f, rp_str(c, "expected"));
    fprintf(f, "; %s", br_rate_format(k, n, rate, sizeof(rate)));
    if (rp_str(c, "reason")[0]) {
        fputs("; ", f);
        rp_esc(f, rp_str(c, "reason"));
    }
    if (json_is_string(json_object_get(c, "error"))) {
        fputs("; error: ", f);
        rp_esc(f, rp_str(c, "error"));
    }
    fprintf(f, "\"><span class=\"%s\">%zu/%zu</span> ", k ? "bad" : "good", k, n);
    if (json_is_string(json_object_get(c, "error")))
        fputs("ERROR", f);
    else if (verdict[0])
        rp_esc(f, strcmp(verdict, "as-expected") == 0 ? "ok" : verdict);
    else
        fputs(json_is_true(json_object_get(c, "asExpected")) ? "ok" : "unexpected", f);
    fputs("<br/><small>expected ", f);
    rp_esc(f, rp_str(c, "expected"));
    fputs("</small></td>", f);
}

/* The scenario names in the order their cells appear. */
static size_t matrix_rows(json_t *cells, const char **rows)
{
    size_t n = 0, i;
    json_t *c;
    json_array_foreach (cells, i, c) {
        const char *s = rp_str(c, "scenario");
        size_t k = 0;
        while (k < n && strcmp(rows[k], s) != 0)
            k++;
        if (k == n && n < MAX_ROWS)
            rows[n++] = s;
    }
    return n;
}

int rp_matrix_report(json_t *doc, FILE *f)
{
    char title[256];
    snprintf(title, sizeof(title), "bookrace matrix: %s", rp_str(doc, "name"));
    rp_page_start(f, title);
    json_t *modes = json_object_get(doc, "modes"), *cells = json_object_get(doc, "cells"), *m;
    int ok = json_is_true(json_object_get(doc, "allAsExpected"));
    fprintf(f, "<p id=\"verdict\" class=\"verdict %s\">%s: %zu cells in %.1f s", ok ? "good" : "bad",
            ok ? "every cell as expected" : "not every cell as expected", json_array_size(cells),
            rp_num(doc, "durationSeconds"));
    if (json_object_get(doc, "cellsUnexpected"))
        fprintf(f, "; %.0f unexpected, %.0f undecided", rp_num(doc, "cellsUnexpected"),
                rp_num(doc, "cellsUndecided"));
    fputs(".</p>\n<table id=\"matrix\">\n<tr><th class=\"l\">scenario</th>", f);
    size_t i;
    json_array_foreach (modes, i, m) {
        fputs("<th title=\"--fix ", f);
        rp_esc(f, rp_str(m, "fix"));
        fputs(" --slot-cache ", f);
        rp_esc(f, rp_str(m, "slotCache"));
        fprintf(f, " --race-window-us %.0f\">", rp_num(m, "raceWindowUs"));
        rp_esc(f, rp_str(m, "name"));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    const char *rows[MAX_ROWS];
    size_t nrows = matrix_rows(cells, rows);
    for (size_t r = 0; r < nrows; r++) {
        fputs("<tr><td class=\"l\">", f);
        rp_esc(f, rows[r]);
        fputs("</td>", f);
        json_array_foreach (modes, i, m) {
            matrix_cell(f, find_cell(cells, rows[r], rp_str(m, "name")));
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p class=\"muted\">Each cell: trials with a violation / trials (hover for the 95% "
          "interval "
          "and the reason). Green as expected, red not, amber undecided (too few trials to tell).</p>\n",
          f);
    rp_page_end(f);
    return 0;
}
