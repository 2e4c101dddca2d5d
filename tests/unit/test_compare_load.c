/*
 * compare_load: load.json documents become per-second samples per metric
 * (pooled over runs), judged per metric; a clear throughput drop and a p99
 * rise are regressions, noise of the same level is not, too few seconds are
 * not judged, an operation the mix never sent is not shown, the oracle is
 * compared per run, and malformed series are refused naming the JSON path.
 */
#include "compare_load.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A load.json with |n| seconds: requests rps*(1 + jitter), book p99 p99*(1 + jitter); jitter +-3% in turn. */
static json_t *doc_of(int n, double rps, double p99, int violations)
{
    json_t *series = json_array();
    for (int s = 0; s < n; s++) {
        double j = ((s % 3) - 1) * 0.03;
        json_t *ops = json_pack("{s:{s:I, s:I, s:I, s:I}, s:{s:i, s:i, s:i, s:i}}", "book", "requests",
                                (json_int_t)(rps * (1 + j)), "p50", (json_int_t)100, "p90", (json_int_t)150,
                                "p99", (json_int_t)(p99 * (1 - j)), "fetch_slots", "requests", 0, "p50", 0,
                                "p90", 0, "p99", 0);
        json_array_append_new(series, json_pack("{s:i, s:I, s:o}", "second", s, "requests",
                                                (json_int_t)(rps * (1 + j)), "operations", ops));
    }
    json_t *v = json_array();
    for (int i = 0; i < violations; i++)
        json_array_append_new(v, json_pack("{s:s, s:s}", "kind", "double-booking", "text", "x"));
    return json_pack("{s:s, s:o, s:{s:o}, s:{s:i, s:i, s:i, s:i, s:i, s:i}}", "schema", "bookrace.load/1",
                     "timeseries", series, "oracle", "violations", v, "errors", "connect", 0, "read", 0,
                     "write", 0, "timeout", 0, "parse", 0, "unfinished", 0);
}

static void add(br_cmp_report *r, int side, json_t *doc)
{
    char err[256] = "";
    int rc = br_cmp_add_doc(r, side, doc, "x.json", err, sizeof(err));
    if (rc != 0)
        fail_msg("%s", err);
    json_decref(doc);
}

static const br_cmp_metric *find(const br_cmp_report *r, const char *name)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->metrics[i].name, name) == 0)
            return &r->metrics[i];
    fail_msg("no metric %s", name);
    return NULL;
}

static void test_same_level_is_no_change(void **state)
{
    (void)state;
    br_cmp_report r;
    br_cmp_init(&r, 5);
    add(&r, BR_CMP_BASE, doc_of(10, 1000, 2000, 0));
    add(&r, BR_CMP_NEW, doc_of(10, 1000, 2000, 0));
    br_cmp_judge(&r);
    assert_int_equal(r.regressions, 0);
    assert_int_equal(r.verdict_worse, 0);
    assert_int_equal(find(&r, "all req/s")->change.verdict, BR_CHANGE_NONE);
    assert_int_equal(find(&r, "book p99")->change.verdict, BR_CHANGE_NONE);
    /* Several operations: each one's throughput too, but fetch_slots never ran: not shown. */
    assert_false(find(&r, "book req/s")->empty);
    assert_true(find(&r, "fetch_slots req/s")->empty);
    json_t *j = br_cmp_json(&r);
    assert_int_equal(json_array_size(json_object_get(j, "metrics")), 5); /* all, book req/s, p50, p90, p99 */
    json_decref(j);
    br_cmp_free(&r);
}

static void test_clear_regressions(void **state)
{
    (void)state;
    br_cmp_report r;
    br_cmp_init(&r, 5);
    /* Two base runs, one new: samples pool. Throughput -20%, p99 +30%. */
    add(&r, BR_CMP_BASE, doc_of(6, 1000, 2000, 0));
    add(&r, BR_CMP_BASE, doc_of(6, 1000, 2000, 0));
    add(&r, BR_CMP_NEW, doc_of(8, 800, 2600, 0));
    br_cmp_judge(&r);
    const br_cmp_metric *t = find(&r, "all req/s"), *p = find(&r, "book p99");
    assert_int_equal(t->side[0].n, 12);
    assert_int_equal(t->side[1].n, 8);
    assert_int_equal(t->change.verdict, BR_CHANGE_REGRESSION);
    assert_true(t->change.hi_pct < -5); /* the whole interval is a drop of more than 5% */
    assert_int_equal(p->change.verdict, BR_CHANGE_REGRESSION);
    assert_true(p->change.lo_pct > 5);
    assert_int_equal(find(&r, "book p50")->change.verdict, BR_CHANGE_NONE);
    assert_int_equal(r.regressions, 3); /* all req/s, book req/s, book p99 */
    char *junit = br_cmp_junit(&r);
    assert_non_null(strstr(junit, "failures=\"3\""));
    free(junit);
    br_cmp_free(&r);
    /* The same drop under a looser limit is "worse", not a regression. */
    br_cmp_init(&r, 40);
    add(&r, BR_CMP_BASE, doc_of(6, 1000, 2000, 0));
    add(&r, BR_CMP_NEW, doc_of(6, 800, 2000, 0));
    br_cmp_judge(&r);
    assert_int_equal(r.regressions, 0);
    assert_int_equal(find(&r, "all req/s")->change.verdict, BR_CHANGE_WORSE);
    br_cmp_free(&r);
}

static void test_too_few_samples_and_the_oracle(void **state)
{
    (void)state;
    br_cmp_report r;
    br_cmp_init(&r, 5);
    add(&r, BR_CMP_BASE, doc_of(3, 1000, 2000, 2));
    add(&r, BR_CMP_BASE, doc_of(3, 1000, 2000, 2));
    add(&r, BR_CMP_NEW, doc_of(3, 500, 2000, 3));
    br_cmp_judge(&r);
    /* 3 seconds on the new side: not judged, however large the drop. */
    assert_false(find(&r, "all req/s")->judged);
    assert_int_equal(r.regressions, 0);
    assert_true(r.unjudged > 0);
    /* Violations per run: 3 in one run against 4 in two is worse. */
    assert_int_equal(r.verdict_worse, 1);
    br_cmp_free(&r);
}

static void test_bad_documents_name_the_path(void **state)
{
    (void)state;
    char err[256];
    br_cmp_report r;
    br_cmp_init(&r, 5);
    json_t *run = json_pack("{s:s}", "schema", "bookrace.run/1");
    assert_int_equal(br_cmp_add_doc(&r, 0, run, "a.json", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "a.json: /schema"));
    json_decref(run);
    json_t *d = doc_of(5, 1000, 2000, 0);
    json_object_set_new(
        json_object_get(json_object_get(json_array_get(json_object_get(d, "timeseries"), 3), "operations"),
                        "book"),
        "p99", json_string("fast"));
    assert_int_equal(br_cmp_add_doc(&r, 0, d, "b.json", err, sizeof(err)), -1);
    assert_string_equal(err, "b.json: /timeseries/3/operations/book/p99: not a non-negative integer");
    json_decref(d);
    d = json_pack("{s:s, s:{}}", "schema", "bookrace.load/1", "timeseries");
    assert_int_equal(br_cmp_add_doc(&r, 0, d, "c.json", err, sizeof(err)), -1);
    assert_string_equal(err, "c.json: /timeseries: not an array");
    json_decref(d);
    br_cmp_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_level_is_no_change),
        cmocka_unit_test(test_clear_regressions),
        cmocka_unit_test(test_too_few_samples_and_the_oracle),
        cmocka_unit_test(test_bad_documents_name_the_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
