/* bookrace check on arbitrary run files: the oracle re-run on whatever a run.json claims. */
#include "results.h"

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (path[0] == '\0')
        snprintf(path, sizeof(path), "/tmp/bookrace-fuzz-check-%d.json", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    FILE *out = fopen("/dev/null", "w");
    char err[1024];
    int expect = 0;
    size_t trials = 0;
    br_results_check(path, out, &expect, &trials, err, sizeof(err));
    fclose(out);
    return 0;
}
