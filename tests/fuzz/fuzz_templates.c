/*
 * JSON pointers and templates. Input: a pointer line, a template line, then a
 * JSON document that is both resolved by the pointer and expanded as a body
 * template.
 */
#include "jsonptr.h"
#include "template.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *ptr = text, *tmpl = strchr(ptr, '\n');
    char *doc = NULL;
    if (tmpl) {
        *tmpl++ = '\0';
        doc = strchr(tmpl, '\n');
        if (doc)
            *doc++ = '\0';
    }
    br_actor_view actor = {.name = "a", .email = "a@x", .address = "1 St", .lat = 1.5, .lng = -2, .index = 0};
    br_slot_view slot = {
        .inspector = "martin", .start = "2026-12-01T09:26:00Z", .end = "2026-12-01T11:26:00Z"};
    json_t *vars = json_pack("{s:s, s:i, s:n}", "serviceId", "full-inspection", "n", 3, "z");
    br_template_ctx ctx = {.actor = &actor,
                           .slot = &slot,
                           .variables = vars,
                           .date = "2026-12-01",
                           .date_end = "2026-12-02",
                           .run_id = "r",
                           .booking_id = "b"};
    char err[512];
    br_json_pointer_valid(ptr);
    if (tmpl) {
        br_template_check(tmpl, err, sizeof(err));
        br_template_uses(tmpl, "slot.");
        free(br_template_string(tmpl, &ctx, BR_ESCAPE_URL, err, sizeof(err)));
        free(br_template_string(tmpl, &ctx, BR_ESCAPE_NONE, err, sizeof(err)));
    }
    if (doc) {
        json_error_t e;
        json_t *root = json_loads(doc, JSON_DECODE_ANY, &e);
        if (root) {
            br_json_pointer_get(root, ptr);
            br_template_check_json(root, err, sizeof(err));
            json_decref(br_template_json(root, &ctx, err, sizeof(err)));
            json_decref(root);
        }
    }
    json_decref(vars);
    free(text);
    return 0;
}
