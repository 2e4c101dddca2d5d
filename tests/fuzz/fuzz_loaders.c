/* The harness's scenario, target profile and matrix loaders, from arbitrary JSON bytes. */
#include "scenario.h"
#include "target.h"
#include "verify_mongo.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &e);
    if (root == NULL)
        return 0;
    char err[1024];
    br_scenario *s = br_scenario_from_json(root, "fuzz.json", err, sizeof(err));
    br_scenario_free(s);
    br_target *t = br_target_from_json(root, "fuzz.json", err, sizeof(err));
    br_target_free(t);
    br_mongo_verify v;
    memset(&v, 0, sizeof(v));
    br_mongo_verify_from_json(&v, root, "fuzz.json", err, sizeof(err));
    br_mongo_verify_free(&v);
    json_decref(root);
    return 0;
}
