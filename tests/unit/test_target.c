#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "target.h"

static br_target *from_text(const char *text, char *err)
{
    json_error_t e;
    json_t *root = json_loads(text, 0, &e);
    if (root == NULL)
        fail_msg("test JSON does not parse: %s", e.text);
    br_target *t = br_target_from_json(root, "p.json", err, 600);
    json_decref(root);
    return t;
}

#define MINIMAL_OPS                                                                                          \
    "\"fetchSlots\":{\"method\":\"GET\",\"path\":\"/s\",\"success\":[200],\"response\":{\"items\":\"/"       \
    "slots\","                                                                                               \
    "\"inspector\":\"/i\",\"start\":\"/s\",\"end\":\"/e\"}},"                                                \
    "\"book\":{\"method\":\"POST\",\"path\":\"/"                                                             \
    "b\",\"body\":{\"at\":\"${slot.datetime}\"},\"success\":[201],"                                          \
    "\"conflict\":[409],\"response\":{\"id\":\"/id\"}}"

static void test_shipped_profiles_load(void **state)
{
    (void)state;
    char err[600];
    const char *files[] = {BOOKRACE_SOURCE_DIR "/scenarios/targets/bookd.json",
                           BOOKRACE_SOURCE_DIR "/scenarios/targets/attik.json"};
    for (size_t i = 0; i < 2; i++) {
        br_target *t = br_target_load(files[i], err, sizeof(err));
        if (t == NULL)
            fail_msg("%s", err);
        assert_true(t->ops[BR_OP_FETCH_SLOTS].present);
        assert_true(t->ops[BR_OP_BOOK].present);
        assert_true(t->ops[BR_OP_HOLD].present);
        assert_true(t->ops[BR_OP_LIST].present);
        assert_true(br_target_header_is_secret(t, "authorization"));
        br_target_free(t);
    }
    br_target *t = br_target_load(BOOKRACE_SOURCE_DIR "/scenarios/targets/bookd.json", err, sizeof(err));
    assert_true(t->ops[BR_OP_CLOCK].present);
    assert_string_equal(t->ops[BR_OP_BOOK].ptr_id, "/inspection/_id");
    assert_string_equal(t->ops[BR_OP_LIST].cancelled_statuses[0], "cancelled");
    char *urls[] = {"http://127.0.0.1:1/", "http://127.0.0.1:2"};
    assert_int_equal(br_target_set_base_urls(t, urls, 2), 0);
    assert_int_equal(t->base_url_count, 2);
    assert_string_equal(t->base_urls[0], "http://127.0.0.1:1");
    char *bad[] = {"ftp://x"};
    assert_int_equal(br_target_set_base_urls(t, bad, 1), -1);
    br_target_free(t);
}

static void test_classification(void **state)
{
    (void)state;
    char err[600];
    br_target *t =
        from_text("{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS "}}", err);
    assert_non_null(t);
    const br_operation *book = &t->ops[BR_OP_BOOK];
    assert_int_equal(br_operation_classify(book, 201), BR_CLASS_SUCCESS);
    assert_int_equal(br_operation_classify(book, 409), BR_CLASS_CONFLICT);
    assert_int_equal(br_operation_classify(book, 400), BR_CLASS_REJECTED);
    assert_int_equal(br_operation_classify(book, 200), BR_CLASS_INDETERMINATE);
    assert_int_equal(br_operation_classify(book, 503), BR_CLASS_INDETERMINATE);
    assert_int_equal(t->timeout_ms, 10000);
    br_target_free(t);
}

/* Issue 11's profile keys: variables, recordHeaders, a health operation, conflictEvidence. */
static void test_variables_headers_health_evidence(void **state)
{
    (void)state;
    char err[600];
    br_target *t = from_text(
        "{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"variables\":{\"inspectorId\":7,\"pine.lat\":\"41.5\"},"
        "\"recordHeaders\":[\"X-Cache\",\"Age\"],\"operations\":{" MINIMAL_OPS
        ",\"health\":{\"method\":\"GET\",\"path\":\"/health\",\"success\":[200]},"
        "\"hold\":{\"method\":\"POST\",\"path\":\"/h\",\"success\":[201],\"response\":{\"id\":\"/id\"},"
        "\"conflictEvidence\":{\"start\":\"/c/from\",\"end\":\"/c/to\"}}}}",
        err);
    if (t == NULL)
        fail_msg("%s", err);
    assert_int_equal(json_integer_value(json_object_get(t->variables, "inspectorId")), 7);
    assert_int_equal(t->record_header_count, 2);
    assert_string_equal(t->record_headers[1], "Age");
    assert_true(t->ops[BR_OP_HEALTH].present);
    assert_string_equal(br_op_profile_name(BR_OP_HEALTH), "health");
    assert_string_equal(t->ops[BR_OP_HOLD].ev_start, "/c/from");
    assert_null(t->ops[BR_OP_HOLD].ev_id);
    br_target_free(t);
    /* Without them: an empty variables object, nothing recorded. */
    t = from_text("{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS "}}", err);
    assert_non_null(t);
    assert_int_equal(json_object_size(t->variables), 0);
    assert_int_equal(t->record_header_count, 0);
    br_target_free(t);
}

static void test_errors_name_the_key(void **state)
{
    (void)state;
    struct {
        const char *json, *mentions;
    } cases[] = {
        {"[]", "must be a JSON object"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"variables\":[],\"operations\":{" MINIMAL_OPS "}}",
         "variables must be an object"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"variables\":{\"a\":[1]},\"operations\":{" MINIMAL_OPS
         "}}",
         "variables.a must be a string or a number"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"recordHeaders\":[\"X "
         "Cache\"],\"operations\":{" MINIMAL_OPS "}}",
         "recordHeaders[0] must be a header name"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"cancel\":{\"method\":\"POST\",\"path\":\"/c\",\"success\":[200],\"conflictEvidence\":{\"id\":\"/"
         "i\"}}}}",
         "conflictEvidence belongs to book and hold"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"hold\":{\"method\":\"POST\",\"path\":\"/h\",\"success\":[201],\"response\":{\"id\":\"/id\"},"
         "\"conflictEvidence\":{\"start\":\"/s\"}}}}",
         "needs id, or start and end"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS "},\"extra\":1}",
         "unknown key 'extra'"},
        {"{\"name\":\"x\",\"baseUrls\":[],\"operations\":{" MINIMAL_OPS "}}", "baseUrls"},
        {"{\"name\":\"x\",\"baseUrls\":[\"h:80\"],\"operations\":{" MINIMAL_OPS "}}", "baseUrls"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{}}", "fetchSlots and operations.book"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"bok\":{\"method\":\"GET\",\"path\":\"/\",\"success\":[200]}}}",
         "operations.bok is not an operation"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"hold\":{\"method\":\"POST\",\"path\":\"/h\",\"success\":[201]}}}",
         "operations.hold.response.id is required"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"cancel\":{\"method\":\"POST\",\"path\":\"/c\",\"success\":[700]}}}",
         "operations.cancel.success[0]"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"cancel\":{\"method\":\"POST\",\"path\":\"/c/${booking.identifier}\",\"success\":[200]}}}",
         "unknown placeholder ${booking.identifier}"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"list\":{\"method\":\"GET\",\"path\":\"/l\",\"success\":[200],\"response\":{\"items\":\"x\"}}}}",
         "operations.list.response.items must be an RFC 6901 pointer"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"list\":{\"method\":\"GET\",\"path\":\"/l\",\"success\":[200],\"response\":{\"items\":\"/"
         "a\",\"id\":\"/i\","
         "\"inspector\":\"/n\",\"start\":\"/s\",\"end\":\"/e\",\"status\":\"/st\"}}}}",
         "needs cancelledStatuses"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS
         ",\"clock\":{\"method\":\"POST\",\"path\":\"/c\",\"success\":[200],\"response\":{\"id\":\"/x\"}}}}",
         "operations.clock.response.id means nothing"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"timeoutMs\":0,\"operations\":{" MINIMAL_OPS "}}",
         "timeoutMs"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://"
         "h\"],\"headers\":{\"X\":\"${oops}\"},\"operations\":{" MINIMAL_OPS "}}",
         "headers.X"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"http\":\"3\",\"operations\":{" MINIMAL_OPS "}}",
         "http must be \"1.1\" or \"2\""},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://"
         "h\"],\"http2\":{\"maxStreams\":0},\"operations\":{" MINIMAL_OPS "}}",
         "http2.maxStreams must be an integer from 1"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"http2\":{\"streams\":4},\"operations\":{" MINIMAL_OPS
         "}}",
         "unknown key 'streams'"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"tls\":{\"insecure\":1},\"operations\":{" MINIMAL_OPS
         "}}",
         "tls.insecure must be true or false"},
        {"{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"tls\":{\"caFile\":[]},\"operations\":{" MINIMAL_OPS
         "}}",
         "tls.caFile must be a string"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[600] = "";
        br_target *t = from_text(cases[i].json, err);
        if (t != NULL)
            fail_msg("case %zu loaded", i);
        if (strstr(err, cases[i].mentions) == NULL || strncmp(err, "p.json: ", 8) != 0)
            fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].mentions);
    }
    char err[600];
    FILE *f = fopen("bad-profile.json", "w");
    fputs("{\n  \"name\": \"x\",\n  \"baseUrls\": [\"http://h\"\n}\n", f);
    fclose(f);
    assert_null(br_target_load("bad-profile.json", err, sizeof(err)));
    assert_non_null(strstr(err, "bad-profile.json:4:"));
    remove("bad-profile.json");
}

/* "http": "2" makes unnamed barriers single-packet; "http2" tunes the transport. */
static void test_http2_settings(void **state)
{
    (void)state;
    char err[600];
    br_target *t =
        from_text("{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"operations\":{" MINIMAL_OPS "}}", err);
    assert_non_null(t);
    assert_int_equal(t->http2, 0);
    assert_int_equal(t->h2_max_streams, 0);
    assert_null(t->tls_ca_file);
    br_target_free(t);
    t = from_text("{\"name\":\"x\",\"baseUrls\":[\"https://h\"],\"http\":\"2\",\"http2\":{\"maxStreams\":5},"
                  "\"tls\":{\"caFile\":\"ca.pem\",\"insecure\":true},\"operations\":{" MINIMAL_OPS "}}",
                  err);
    assert_non_null(t);
    assert_int_equal(t->http2, 1);
    assert_int_equal(t->h2_max_streams, 5);
    assert_string_equal(t->tls_ca_file, "ca.pem");
    assert_int_equal(t->tls_insecure, 1);
    br_target_free(t);
    t = from_text("{\"name\":\"x\",\"baseUrls\":[\"http://h\"],\"http\":\"1.1\",\"operations\":{" MINIMAL_OPS
                  "}}",
                  err);
    assert_int_equal(t->http2, 0);
    br_target_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shipped_profiles_load),
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_variables_headers_health_evidence),
        cmocka_unit_test(test_errors_name_the_key),
        cmocka_unit_test(test_http2_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
