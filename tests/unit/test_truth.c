/*
 * Ground truth (truth.h): bookings read out of a list response through the
 * profile's pointers (cancelled statuses, this run's tag, times), and where
 * br_truth_read takes them from: the list operation through its fetcher, or
 * nowhere, each outcome with the note a report shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iso8601.h"
#include "jsonload.h"
#include "target.h"
#include "truth.h"

static br_target *bookd_profile(void)
{
    char path[600], err[700];
    snprintf(path, sizeof(path), "%s/scenarios/targets/bookd.json", BOOKRACE_SOURCE_DIR);
    br_target *t = br_target_load(path, err, sizeof(err));
    if (t == NULL)
        fail_msg("%s", err);
    assert_true(t->ops[BR_OP_LIST].present);
    return t;
}

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *v = json_loads(text, 0, &e);
    if (v == NULL)
        fail_msg("test JSON: %s", e.text);
    return v;
}

static int64_t at(const char *rfc3339)
{
    int64_t us;
    assert_int_equal(br_time_parse(rfc3339, strlen(rfc3339), &us), 0);
    return us;
}

/* bookd's GET /inspections: one of this run's bookings, one cancelled, one of another run. */
static const char *const list_response =
    "{\"inspections\":["
    "{\"_id\":\"b1\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T09:00:00Z\","
    "\"endtime\":\"2026-12-01T11:00:00Z\",\"status\":\"confirmed\",\"customer\":{\"email\":\"a+run42@x\"}},"
    "{\"_id\":\"b2\",\"inspectorId\":\"martin\",\"datetime\":\"2026-12-01T12:00:00Z\","
    "\"endtime\":\"2026-12-01T14:00:00Z\",\"status\":\"cancelled\",\"customer\":{\"email\":\"b+run42@x\"}},"
    "{\"_id\":7,\"inspectorId\":\"lena\",\"datetime\":\"2026-12-01T09:26:00+00:00\","
    "\"endtime\":\"2026-12-01T11:26:00.5Z\",\"status\":\"confirmed\",\"customer\":{\"email\":\"c+other@"
    "x\"}}"
    "]}";

static void test_list_items_through_the_pointers(void **state)
{
    (void)state;
    br_target *t = bookd_profile();
    json_t *response = parse(list_response);
    br_truth_booking *items = NULL;
    size_t n = 99;
    char err[300] = "";
    assert_int_equal(br_truth_from_list(&t->ops[BR_OP_LIST], response, "run42", &items, &n, err, sizeof(err)),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(items[0].id, "b1");
    assert_string_equal(items[0].inspector, "martin");
    assert_true(items[0].start_us == at("2026-12-01T09:00:00Z"));
    assert_true(items[0].end_us == at("2026-12-01T11:00:00Z"));
    assert_int_equal(items[0].active, 1);
    assert_int_equal(items[0].ours, 1);
    /* A cancelled status (the profile's cancelledStatuses) is listed, but not active. */
    assert_string_equal(items[1].id, "b2");
    assert_int_equal(items[1].active, 0);
    assert_int_equal(items[1].ours, 1);
    /* Another run's booking; a numeric id reads as text; +00:00 and fractions are UTC too. */
    assert_string_equal(items[2].id, "7");
    assert_int_equal(items[2].ours, 0);
    assert_true(items[2].start_us == at("2026-12-01T09:26:00Z"));
    assert_true(items[2].end_us == at("2026-12-01T11:26:00Z") + 500000);
    free(items);
    json_decref(response);
    br_target_free(t);
}

static void test_responses_that_do_not_fit_the_profile(void **state)
{
    (void)state;
    br_target *t = bookd_profile();
    const br_operation *o = &t->ops[BR_OP_LIST];
    br_truth_booking *items = (br_truth_booking *)1;
    size_t n = 99;
    char err[300] = "";
    json_t *r = parse("{\"inspections\":{\"not\":\"an array\"}}");
    assert_int_equal(br_truth_from_list(o, r, "run42", &items, &n, err, sizeof(err)), -1);
    assert_null(items);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, "/inspections does not resolve to an array"));
    json_decref(r);
    /* The second item has no end: the message names it. */
    r = parse("{\"inspections\":[{\"_id\":\"a\",\"inspectorId\":\"m\",\"datetime\":\"2026-12-01T09:00:00Z\","
              "\"endtime\":\"2026-12-01T10:00:00Z\"},{\"_id\":\"b\",\"inspectorId\":\"m\","
              "\"datetime\":\"2026-12-01T09:00:00Z\"}]}");
    assert_int_equal(br_truth_from_list(o, r, "run42", &items, &n, err, sizeof(err)), -1);
    assert_string_equal(err, "item 1 lacks a readable id, inspector, start or end");
    json_decref(r);
    /* A time that is not RFC 3339, and one in another zone (refused, never converted: iso8601.h). */
    r = parse("{\"inspections\":[{\"_id\":\"a\",\"inspectorId\":\"m\",\"datetime\":\"9 o'clock\","
              "\"endtime\":\"2026-12-01T10:00:00Z\"}]}");
    assert_int_equal(br_truth_from_list(o, r, "run42", &items, &n, err, sizeof(err)), -1);
    assert_string_equal(err, "item 0 lacks a readable id, inspector, start or end");
    json_decref(r);
    r = parse(
        "{\"inspections\":[{\"_id\":\"a\",\"inspectorId\":\"m\",\"datetime\":\"2026-12-01T09:00:00+01:00\","
        "\"endtime\":\"2026-12-01T10:00:00+01:00\"}]}");
    assert_int_equal(br_truth_from_list(o, r, "run42", &items, &n, err, sizeof(err)), -1);
    assert_string_equal(err, "item 0 lacks a readable id, inspector, start or end");
    json_decref(r);
    /* An empty list is a list. */
    r = parse("{\"inspections\":[]}");
    assert_int_equal(br_truth_from_list(o, r, "run42", &items, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 0);
    free(items);
    json_decref(r);
    br_target_free(t);
}

/* A fetcher that hands back a canned response (owned by the fetcher), or fails. */
typedef struct {
    json_t *response;
    const char *fail;
    int calls;
} canned;

static int fetch(void *arg, json_t **response, char *err, size_t errlen)
{
    canned *c = arg;
    c->calls++;
    if (c->fail) {
        snprintf(err, errlen, "%s", c->fail);
        return -1;
    }
    *response = c->response;
    return 0;
}

static void test_read_through_the_list_operation(void **state)
{
    (void)state;
    br_target *t = bookd_profile();
    canned c = {.response = parse(list_response)};
    br_truth truth;
    int64_t from = at("2026-12-01T00:00:00Z"), to = at("2026-12-02T00:00:00Z");
    assert_int_equal(br_truth_read(t, NULL, from, to, "run42", fetch, &c, &truth), BR_TRUTH_CHECKED);
    assert_int_equal(c.calls, 1);
    assert_int_equal(truth.checked, 1);
    assert_int_equal(truth.count, 3);
    assert_string_equal(truth.items[1].id, "b2");
    assert_string_equal(truth.note, "");
    br_truth_free(&truth);
    assert_null(truth.items);
    assert_int_equal(truth.count, 0);
    json_decref(c.response);

    /* The request failed: no ground truth, and the note says why. */
    canned down = {.fail = "connection refused"};
    assert_int_equal(br_truth_read(t, NULL, from, to, "run42", fetch, &down, &truth), BR_TRUTH_NONE);
    assert_int_equal(truth.checked, 0);
    assert_string_equal(truth.note, "the list operation failed: connection refused");
    br_truth_free(&truth);

    /* The target answered something the profile does not describe: BAD, not NONE. */
    canned odd = {.response = parse("{\"items\":[]}")};
    assert_int_equal(br_truth_read(t, NULL, from, to, "run42", fetch, &odd, &truth), BR_TRUTH_BAD);
    assert_int_equal(truth.checked, 0);
    assert_string_equal(truth.note, "list operation: pointer /inspections does not resolve to an array");
    br_truth_free(&truth);
    json_decref(odd.response);
    br_target_free(t);
}

static void test_no_list_operation_no_truth(void **state)
{
    (void)state;
    br_target *t = bookd_profile();
    t->ops[BR_OP_LIST].present = 0;
    canned c = {.fail = "must not be called"};
    br_truth truth;
    assert_int_equal(br_truth_read(t, NULL, 0, 1, "run42", fetch, &c, &truth), BR_TRUTH_NONE);
    assert_int_equal(c.calls, 0);
    assert_int_equal(truth.checked, 0);
    assert_string_equal(truth.note, "the target profile has no list operation");
    br_truth_free(&truth);
    t->ops[BR_OP_LIST].present = 1;
    br_target_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_items_through_the_pointers),
        cmocka_unit_test(test_responses_that_do_not_fit_the_profile),
        cmocka_unit_test(test_read_through_the_list_operation),
        cmocka_unit_test(test_no_list_operation_no_truth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
