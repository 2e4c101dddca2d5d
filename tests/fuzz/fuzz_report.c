/*
 * The report on arbitrary JSON: whatever the document (a run, load, matrix or
 * window result with fields of the wrong type, huge or negative numbers,
 * hostile strings), br_report_html writes a page or refuses with a reason,
 * within bounded time and memory, never crashing or hitting undefined
 * behaviour (a 1e300 actor index, a NaN-free but absurd time, a window
 * point at -5 us). Seeds: one of each kind in corpus/report/.
 */
#include "report.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    json_error_t e;
    json_t *doc = json_loadb((const char *)data, size, 0, &e);
    if (doc == NULL)
        return 0;
    char *page = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&page, &len);
    if (f != NULL) {
        br_report_html(doc, f, err, sizeof(err));
        fclose(f);
        free(page);
    }
    json_decref(doc);
    return 0;
}
