#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

static br_actor_view actor = {.name = "melinda",
                              .email = "m.run.t0@bookrace.test",
                              .address = "4249 Melinda Ln",
                              .lat = 30.0026,
                              .lng = -97.5,
                              .index = 3};
static br_slot_view slot = {
    .inspector = "martin", .start = "2026-12-01T09:26:00Z", .end = "2026-12-01T11:26:00Z"};

static br_template_ctx make_ctx(json_t *vars)
{
    br_template_ctx c;
    memset(&c, 0, sizeof(c));
    c.actor = &actor;
    c.slot = &slot;
    c.variables = vars;
    c.date = "2026-12-01";
    c.date_end = "2026-12-02";
    c.run_id = "abc";
    c.trial = 2;
    c.booking_id = "b-1";
    return c;
}

static void test_string_expansion_and_url_escaping(void **state)
{
    (void)state;
    json_t *vars = json_pack("{s:s}", "serviceId", "full inspection");
    br_template_ctx c = make_ctx(vars);
    char err[256];
    char *s = br_template_string("/slots?s=${var.serviceId}&d=${date}&lat=${actor.lat}&a=${actor.address}",
                                 &c, BR_ESCAPE_URL, err, sizeof(err));
    assert_string_equal(s, "/slots?s=full%20inspection&d=2026-12-01&lat=30.0026&a=4249%20Melinda%20Ln");
    free(s);
    s = br_template_string("/inspection/${booking.id}/cancel t${trial}", &c, BR_ESCAPE_NONE, err,
                           sizeof(err));
    assert_string_equal(s, "/inspection/b-1/cancel t2");
    free(s);
    s = br_template_string("no placeholders", &c, BR_ESCAPE_URL, err, sizeof(err));
    assert_string_equal(s, "no placeholders");
    free(s);
    json_decref(vars);
}

static void test_environment_and_defaults(void **state)
{
    (void)state;
    br_template_ctx c = make_ctx(NULL);
    char err[256];
    setenv("BR_TEST_KEY", "s3cret", 1);
    unsetenv("BR_TEST_UNSET");
    char *s = br_template_string("Bearer ${BR_TEST_KEY}", &c, BR_ESCAPE_NONE, err, sizeof(err));
    assert_string_equal(s, "Bearer s3cret");
    free(s);
    s = br_template_string("Bearer ${BR_TEST_UNSET:-fallback-key}", &c, BR_ESCAPE_NONE, err, sizeof(err));
    assert_string_equal(s, "Bearer fallback-key");
    free(s);
    assert_null(br_template_string("Bearer ${BR_TEST_UNSET}", &c, BR_ESCAPE_NONE, err, sizeof(err)));
    assert_non_null(strstr(err, "BR_TEST_UNSET is not set"));
    /* A header value must not smuggle a line break. */
    setenv("BR_TEST_CRLF", "a\r\nX-Evil: 1", 1);
    assert_null(br_template_string("${BR_TEST_CRLF}", &c, BR_ESCAPE_NONE, err, sizeof(err)));
    assert_non_null(strstr(err, "line break"));
}

static void test_missing_values_and_unknown_names(void **state)
{
    (void)state;
    br_template_ctx c = make_ctx(NULL);
    c.slot = NULL;
    c.hold_id = NULL;
    char err[256];
    assert_null(br_template_string("${slot.datetime}", &c, BR_ESCAPE_NONE, err, sizeof(err)));
    assert_non_null(strstr(err, "${slot.datetime} has no value here"));
    assert_null(br_template_string("${hold.id}", &c, BR_ESCAPE_NONE, err, sizeof(err)));
    assert_null(br_template_string("${var.nope}", &c, BR_ESCAPE_NONE, err, sizeof(err)));
    assert_non_null(strstr(err, "no variable 'nope'"));
    assert_null(br_template_string("${date", &c, BR_ESCAPE_NONE, err, sizeof(err)));
    assert_non_null(strstr(err, "unclosed"));
    assert_int_equal(br_template_check("/x/${actor.lat}/${var.any}/${API_KEY:-k}", err, sizeof(err)), 0);
    assert_int_equal(br_template_check("/x/${actor.latitude}", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "unknown placeholder ${actor.latitude}"));
    assert_int_equal(br_template_check("${slot.start:-x}", err, sizeof(err)), -1);
    assert_int_equal(br_template_check("${lowercase}", err, sizeof(err)), -1);
    assert_true(br_template_uses("a ${slot.datetime}", "slot."));
    assert_false(br_template_uses("a ${actor.name}", "slot."));
}

static void test_json_bodies_keep_types(void **state)
{
    (void)state;
    br_template_ctx c = make_ctx(NULL);
    c.seconds = 180;
    c.has_seconds = 1;
    char err[256];
    json_error_t e;
    json_t *tmpl = json_loads(
        "{\"advanceSeconds\":\"${seconds}\",\"lat\":\"${actor.lat}\",\"who\":\"${actor.name}\","
        "\"note\":\"at ${slot.datetime}\",\"n\":[1,\"${actor.index}\",null],\"quote\":\"${actor.address}\"}",
        0, &e);
    json_t *out = br_template_json(tmpl, &c, err, sizeof(err));
    assert_non_null(out);
    assert_true(json_is_real(json_object_get(out, "advanceSeconds")));
    assert_true(json_real_value(json_object_get(out, "advanceSeconds")) == 180.0);
    assert_true(json_is_real(json_object_get(out, "lat")));
    assert_string_equal(json_string_value(json_object_get(out, "who")), "melinda");
    assert_string_equal(json_string_value(json_object_get(out, "note")), "at 2026-12-01T09:26:00Z");
    assert_int_equal(json_integer_value(json_array_get(json_object_get(out, "n"), 1)), 3);
    assert_true(json_is_null(json_array_get(json_object_get(out, "n"), 2)));
    /* Values are data, not JSON text: quotes in them cannot break the body. */
    actor.address = "4249 \"Melinda\" Ln";
    json_t *out2 = br_template_json(tmpl, &c, err, sizeof(err));
    char *text = json_dumps(out2, JSON_COMPACT);
    assert_non_null(strstr(text, "\"quote\":\"4249 \\\"Melinda\\\" Ln\""));
    free(text);
    actor.address = "4249 Melinda Ln";
    json_decref(out2);
    json_decref(out);
    json_decref(tmpl);
}

static void test_optional_placeholders(void **state)
{
    (void)state;
    br_template_ctx c = make_ctx(NULL);
    char err[256];
    json_error_t e;
    json_t *tmpl = json_loads(
        "{\"holdId\":\"${hold.id?}\",\"who\":\"${actor.name}\",\"note\":\"h=${hold.id?}.\"}", 0, &e);
    json_t *out = br_template_json(tmpl, &c, err, sizeof(err));
    /* No hold: the member is left out, and the text form is empty. */
    assert_null(json_object_get(out, "holdId"));
    assert_string_equal(json_string_value(json_object_get(out, "note")), "h=.");
    json_decref(out);
    c.hold_id = "h-7";
    out = br_template_json(tmpl, &c, err, sizeof(err));
    assert_string_equal(json_string_value(json_object_get(out, "holdId")), "h-7");
    assert_string_equal(json_string_value(json_object_get(out, "note")), "h=h-7.");
    json_decref(out);
    json_decref(tmpl);
    assert_int_equal(br_template_check("${hold.id?}", err, sizeof(err)), 0);
    assert_int_equal(br_template_check("${hold.nope?}", err, sizeof(err)), -1);
    /* A variable that holds null is a value, not an absent optional. */
    json_t *vars = json_pack("{s:n}", "x");
    c.variables = vars;
    tmpl = json_loads("{\"x\":\"${var.x?}\"}", 0, &e);
    out = br_template_json(tmpl, &c, err, sizeof(err));
    assert_true(json_is_null(json_object_get(out, "x")));
    json_decref(out);
    json_decref(tmpl);
    json_decref(vars);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_expansion_and_url_escaping),
        cmocka_unit_test(test_environment_and_defaults),
        cmocka_unit_test(test_missing_values_and_unknown_names),
        cmocka_unit_test(test_json_bodies_keep_types),
        cmocka_unit_test(test_optional_placeholders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
