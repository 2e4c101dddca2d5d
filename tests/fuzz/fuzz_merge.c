/*
 * bookrace merge on arbitrary load results: every input is either refused
 * with an error or merged (with itself too: once more as a second input,
 * refused when it names a segment) into a result that is written out.
 */
#include "merge.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL)
        return 0;
    br_merger *m = br_merger_new();
    char err[1024];
    if (br_merger_add(m, doc, "a.json", err, sizeof(err)) == 0) {
        br_merger_add(m, doc, "b.json", err, sizeof(err));
        json_t *out = br_merger_finish(m, err, sizeof(err));
        char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
        free(text);
        json_decref(out);
    }
    br_merger_free(m);
    json_decref(doc);
    return 0;
}
