/*
 * Histograms through load.json: written and read back bucket for bucket, and
 * merged exactly: the merge of two written histograms equals the histogram
 * of the concatenated requests, bucket by bucket and in every percentile.
 * Values that are not bucket boundaries, out-of-order buckets and bad counts
 * are refused with the JSON path.
 */
#include "histjson.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Deterministic values from 0 us to about 20 s, spread over many powers of two. */
static int64_t value(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    unsigned shift = (unsigned)(*state >> 59) % 25;
    return (int64_t)((*state >> 20) & ((UINT64_C(1) << shift) - 1));
}

static void test_merge_equals_concatenation(void **state)
{
    (void)state;
    br_hist *a = malloc(sizeof(br_hist)), *b = malloc(sizeof(br_hist)), *all = malloc(sizeof(br_hist));
    br_hist *merged = malloc(sizeof(br_hist));
    br_hist_init(a);
    br_hist_init(b);
    br_hist_init(all);
    br_hist_init(merged);
    uint64_t s = 42;
    for (int i = 0; i < 20000; i++) {
        int64_t v = value(&s);
        br_hist_record(i % 3 ? a : b, v); /* two generators with different shares */
        br_hist_record(all, v);
    }
    json_t *ja = json_object(), *jb = json_object(), *jall = json_object();
    br_hist_json_write(ja, a);
    br_hist_json_write(jb, b);
    br_hist_json_write(jall, all);
    /* Through text, as between machines. */
    char *ta = json_dumps(ja, 0), *tb = json_dumps(jb, 0);
    json_decref(ja);
    json_decref(jb);
    ja = json_loads(ta, 0, NULL);
    jb = json_loads(tb, 0, NULL);
    char err[256];
    assert_int_equal(br_hist_json_read(ja, merged, "a", err, sizeof(err)), 0);
    assert_int_equal(br_hist_json_read(jb, merged, "b", err, sizeof(err)), 0);
    assert_int_equal(merged->total, 20000);
    assert_memory_equal(merged->counts, all->counts, sizeof(all->counts));
    assert_int_equal(merged->max, all->max);
    const double ps[] = {1, 25, 50, 75, 90, 99, 99.9, 99.99, 100};
    for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
        assert_int_equal(br_hist_percentile(merged, ps[i]), br_hist_percentile(all, ps[i]));
    assert_true(br_hist_mean(merged) > br_hist_mean(all) * 0.999999 &&
                br_hist_mean(merged) < br_hist_mean(all) * 1.000001);
    /* Written again, the merge is the concatenation's histogram, byte for byte. */
    json_t *jm = json_object();
    br_hist_json_write(jm, merged);
    assert_true(json_equal(json_object_get(jm, "histogram"), json_object_get(jall, "histogram")));
    json_t *lm = json_object_get(jm, "latencyUs"), *la = json_object_get(jall, "latencyUs");
    const char *keys[] = {"p50", "p90", "p99", "p99.9", "p99.99", "max"};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(json_integer_value(json_object_get(lm, keys[i])),
                         json_integer_value(json_object_get(la, keys[i])));
    free(ta);
    free(tb);
    json_decref(ja);
    json_decref(jb);
    json_decref(jall);
    json_decref(jm);
    free(a);
    free(b);
    free(all);
    free(merged);
}

static void expect_refused(const char *text, const char *needle)
{
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    br_hist *h = malloc(sizeof(br_hist));
    br_hist_init(h);
    char err[512] = "";
    assert_int_equal(br_hist_json_read(doc, h, "x.json: /operations/book", err, sizeof(err)), -1);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s' lacks '%s'", err, needle);
    assert_int_equal(h->total, 0); /* nothing added */
    free(h);
    json_decref(doc);
}

static void test_bad_histograms(void **state)
{
    (void)state;
    const char *lat = "\"latencyUs\": {\"max\": 5000, \"mean\": 10}";
    char text[512];
    snprintf(text, sizeof(text), "{%s, \"histogram\": [[3, 1], [4097, 2]]}", lat);
    expect_refused(text, "histogram/1: 4097 us is not the next bucket boundary");
    snprintf(text, sizeof(text), "{%s, \"histogram\": [[4, 1], [3, 2]]}", lat);
    expect_refused(text, "histogram/1");
    snprintf(text, sizeof(text), "{%s, \"histogram\": [[3, -1]]}", lat);
    expect_refused(text, "x.json: /operations/book/histogram/0: expected [highestUs, count]");
    snprintf(text, sizeof(text), "{%s, \"histogram\": [[3]]}", lat);
    expect_refused(text, "histogram/0");
    snprintf(text, sizeof(text), "{%s, \"histogram\": {}}", lat);
    expect_refused(text, "needs \"histogram\"");
    expect_refused("{\"latencyUs\": {\"mean\": 1}, \"histogram\": []}", "latencyUs: needs \"max\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_equals_concatenation),
        cmocka_unit_test(test_bad_histograms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
