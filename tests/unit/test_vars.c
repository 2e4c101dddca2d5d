/*
 * Variables: --var parsing (strings, JSON values, bad names), the precedence
 * scenario < profile < command line, the recorded source of each value, the
 * per-actor coordinate overrides and the ${var.NAME} mention check.
 */
#include "vars.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_parse_arg(void **state)
{
    (void)state;
    json_t *v = json_object();
    char err[256];
    assert_int_equal(br_var_parse_arg(v, "inspectorId=64b0c0ffee", err, sizeof(err)), 0);
    assert_int_equal(br_var_parse_arg(v, "serviceId:=7", err, sizeof(err)), 0);
    assert_int_equal(br_var_parse_arg(v, "pine.lat=30.5", err, sizeof(err)), 0);
    assert_int_equal(br_var_parse_arg(v, "empty=", err, sizeof(err)), 0);
    assert_int_equal(br_var_parse_arg(v, "eq=a=b", err, sizeof(err)), 0);
    assert_string_equal(json_string_value(json_object_get(v, "inspectorId")), "64b0c0ffee");
    assert_true(json_is_integer(json_object_get(v, "serviceId")));
    assert_int_equal(json_integer_value(json_object_get(v, "serviceId")), 7);
    assert_string_equal(json_string_value(json_object_get(v, "empty")), "");
    assert_string_equal(json_string_value(json_object_get(v, "eq")), "a=b");
    assert_int_equal(br_var_parse_arg(v, "novalue", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "NAME=VALUE"));
    assert_int_equal(br_var_parse_arg(v, "9lives=x", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'9lives'"));
    assert_int_equal(br_var_parse_arg(v, "=x", err, sizeof(err)), -1);
    assert_int_equal(br_var_parse_arg(v, "bad:={", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not JSON"));
    assert_int_equal(json_object_size(v), 5);
    json_decref(v);
}

static void test_precedence(void **state)
{
    (void)state;
    json_t *sc = json_pack("{s:s, s:s, s:s}", "serviceId", "full-inspection", "inspectorId", "martin", "only",
                           "scenario");
    json_t *prof = json_pack("{s:i, s:i}", "serviceId", 3, "inspectorId", 7);
    json_t *cli = json_pack("{s:i}", "inspectorId", 8);
    json_t *m = br_vars_merge(sc, prof, cli);
    assert_int_equal(json_integer_value(json_object_get(m, "serviceId")), 3);   /* profile beats scenario */
    assert_int_equal(json_integer_value(json_object_get(m, "inspectorId")), 8); /* --var beats both */
    assert_string_equal(json_string_value(json_object_get(m, "only")), "scenario");
    json_t *src = br_vars_sources(sc, prof, cli);
    assert_string_equal(json_string_value(json_object_get(src, "serviceId")), "profile");
    assert_string_equal(json_string_value(json_object_get(src, "inspectorId")), "command line");
    assert_string_equal(json_string_value(json_object_get(src, "only")), "scenario");
    json_decref(m);
    json_decref(src);
    /* Missing layers are skipped. */
    m = br_vars_merge(NULL, NULL, cli);
    assert_int_equal(json_object_size(m), 1);
    json_decref(m);
    json_decref(sc);
    json_decref(prof);
    json_decref(cli);
}

static void test_actor_override(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:f, s:s, s:s, s:s}", "pine.lat", 41.5, "pine.lng", "-2.25", "pine.address",
                          "1 Elm St", "melinda.lat", "north");
    double lat = 30, lng = 0;
    const char *addr = "9665 Pine Thicket";
    char err[256];
    assert_int_equal(br_vars_actor_override(v, "pine", &lat, &lng, &addr, err, sizeof(err)), 3);
    assert_true(lat == 41.5 && lng == -2.25);
    assert_string_equal(addr, "1 Elm St");
    lat = 30;
    assert_int_equal(br_vars_actor_override(v, "other", &lat, &lng, &addr, err, sizeof(err)), 0);
    assert_true(lat == 30);
    assert_int_equal(br_vars_actor_override(v, "melinda", &lat, &lng, &addr, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "melinda.lat"));
    json_decref(v);
}

static void test_mentioned(void **state)
{
    (void)state;
    assert_true(br_vars_mentioned("/s?id=${var.serviceId}&x=1", "serviceId"));
    assert_true(br_vars_mentioned("{\"h\":\"${var.hold?}\"}", "hold"));
    assert_false(br_vars_mentioned("/s?id=${var.serviceIdX}", "serviceId"));
    assert_false(br_vars_mentioned("/s?id=${serviceId}", "serviceId"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_arg),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_actor_override),
        cmocka_unit_test(test_mentioned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
