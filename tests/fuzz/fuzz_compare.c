/*
 * compare's reader on arbitrary JSON: a load.json for each side (the input split at its first NUL byte,
 * or used for both), refused with a reason or judged, printed and serialised without a crash.
 */
#include "compare_load.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t first = nul ? (size_t)(nul - data) : size;
    json_t *base = json_loadb((const char *)data, first, 0, NULL);
    json_t *next = nul ? json_loadb((const char *)nul + 1, size - first - 1, 0, NULL) : json_incref(base);
    br_cmp_report r;
    br_cmp_init(&r, 5);
    char err[512];
    if (base && next && br_cmp_add_doc(&r, BR_CMP_BASE, base, "base.json", err, sizeof(err)) == 0 &&
        br_cmp_add_doc(&r, BR_CMP_NEW, next, "new.json", err, sizeof(err)) == 0) {
        br_cmp_judge(&r);
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull) {
            br_cmp_print(&r, devnull);
            fclose(devnull);
        }
        json_decref(br_cmp_json(&r));
        free(br_cmp_junit(&r));
    }
    br_cmp_free(&r);
    json_decref(base);
    json_decref(next);
    return 0;
}
