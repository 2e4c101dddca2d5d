/* The threshold parser on arbitrary text: a threshold or an error, and a parsed one judges without a crash.
 */
#include "threshold.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[512];
    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    br_threshold t;
    char err[512];
    if (br_threshold_parse(text, &t, err, sizeof(err)) != 0)
        return 0;
    static br_hist h;
    br_hist_init(&h);
    br_hist_record(&h, 1234);
    br_threshold_op ops[1] = {{"book", &h, 1, 0}};
    br_threshold_input in = {ops, 1, {"all", &h, 1, 0}, 1.0};
    double v;
    char buf[256];
    br_threshold_eval(&t, &in, &v);
    br_threshold_final_failure(&t, &in);
    br_threshold_describe(&t, v, buf, sizeof(buf));
    return 0;
}
