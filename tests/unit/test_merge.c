/*
 * Merging load results: two segments of one load give summed counts,
 * statuses and errors, exact histograms, per-second series placed on the
 * wall clock, and a double booking that only the two histories together
 * show; inputs that are not parts of one load, a segment given twice and malformed fields are refused with
 * the file and JSON path, leaving the merger unchanged.
 */
#include "merge.h"

#include "hist.h"
#include "histjson.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* A booking of martin: [start, end) as "HH:MM" on 2026-12-01, acknowledged or refused, sent at |send_us|. */
static json_t *booking(const char *id, const char *start, const char *end, const char *outcome, long send_us)
{
    char s[40], e[40];
    snprintf(s, sizeof(s), "2026-12-01T%s:00Z", start);
    snprintf(e, sizeof(e), "2026-12-01T%s:00Z", end);
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I}", "id", id, "inspector", "martin", "start", s,
                     "end", e, "status", strcmp(outcome, "ok") == 0 ? 201 : 409, "outcome", outcome, "sendUs",
                     (json_int_t)send_us, "completeUs", (json_int_t)(send_us + 5000));
}

/* A load result of segment |k| of 2, started at |started|, its book latencies |lat| (n values). */
static json_t *segment_doc(int k, const char *started, const int64_t *lat, size_t n, json_t *bookings)
{
    br_hist *h = malloc(sizeof(br_hist));
    br_hist_init(h);
    for (size_t i = 0; i < n; i++)
        br_hist_record(h, lat[i]);
    json_t *book = json_pack("{s:I, s:{s:I, s:I}}", "requests", (json_int_t)n, "statuses", "201",
                             (json_int_t)(n - 1), "409", (json_int_t)1);
    br_hist_json_write(book, h);
    free(h);
    json_t *series = json_pack("[{s:i, s:i}, {s:i, s:i}]", "second", 0, "requests", (int)n - 1, "second", 1,
                               "requests", 1);
    return json_pack("{s:s, s:{s:s, s:s}, s:s, s:s, s:s, s:f, s:i, s:i, s:f, s:f, s:f, s:{s:o}, s:o, s:i, "
                     "s:{s:i, s:i}, s:{s:s, s:s}, s:{s:i, s:i, s:b}, s:{s:b, s:b, s:o, s:[{s:s, s:s}]}}",
                     "schema", "bookrace.load/1", "tool", "name", "bookrace", "version", "test", "startedAt",
                     started, "runId", k ? "bbbb" : "aaaa", "model", "open", "rate", 50.0, "threads", 1,
                     "connections", 2, "durationSeconds", 2.0, "warmupSeconds", 0.0, "measuredSeconds", 2.0,
                     "operations", "book", book, "timeseries", series, "lateSends", k, "errors", "connect", k,
                     "timeout", 1, "scenario", "name", "overlap-burst", "target", "bookd", "segment", "index",
                     k, "count", 2, "sharedDays", 1, "oracle", "checked", 1, "groundTruth", 1, "bookings",
                     bookings, "violations", "kind", "lost", "text", "LOST BOOKING x");
}

static const int64_t lat_a[] = {100, 250, 999, 1500, 4000, 100000};
static const int64_t lat_b[] = {90, 2047, 2049, 7, 123456, 5000000, 300};

/* Segment 0 books 09:00-10:00 (ok) and 11:00-12:00 (refused); segment 1, 2.5 s later, 09:30-10:30 (ok). */
static json_t *doc_a(void)
{
    return segment_doc(0, "2026-11-28T10:00:00Z", lat_a, 6,
                       json_pack("[o, o]", booking("a1", "09:00", "10:00", "ok", 1000),
                                 booking("a2", "11:00", "12:00", "fail", 2000)));
}

static json_t *doc_b(void)
{
    return segment_doc(1, "2026-11-28T10:00:00.600Z", lat_b, 7,
                       json_pack("[o]", booking("b1", "09:30", "10:30", "ok", 1000)));
}

static json_t *merge_docs(json_t **docs, size_t n)
{
    br_merger *m = br_merger_new();
    char err[512];
    for (size_t i = 0; i < n; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%c.json", (char)('a' + i));
        if (br_merger_add(m, docs[i], name, err, sizeof(err)) != 0)
            fail_msg("%s", err);
    }
    json_t *out = br_merger_finish(m, err, sizeof(err));
    assert_non_null(out);
    br_merger_free(m);
    return out;
}

static json_int_t get_int(json_t *doc, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(doc, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

static void test_two_segments(void **state)
{
    (void)state;
    json_t *docs[2] = {doc_a(), doc_b()};
    json_t *m = merge_docs(docs, 2);
    assert_string_equal(json_string_value(json_object_get(m, "schema")), "bookrace.load/1");
    assert_int_equal(get_int(m, "operations", "book", "requests"), 13);
    assert_int_equal(get_int(m, "overall", "requests", NULL), 13);
    json_t *statuses = json_object_get(json_object_get(json_object_get(m, "operations"), "book"), "statuses");
    assert_int_equal(json_integer_value(json_object_get(statuses, "201")), 11);
    assert_int_equal(json_integer_value(json_object_get(statuses, "409")), 2);
    assert_int_equal(get_int(m, "errors", "connect", NULL), 1);
    assert_int_equal(get_int(m, "errors", "timeout", NULL), 2);
    assert_int_equal(get_int(m, "lateSends", NULL, NULL), 1);
    assert_int_equal(get_int(m, "connections", NULL, NULL), 4);
    assert_true(json_number_value(json_object_get(m, "rate")) == 100.0);
    /* Exact histogram: the merge's equals the histogram of all 13 latencies. */
    br_hist *all = malloc(sizeof(br_hist)), *read = malloc(sizeof(br_hist));
    br_hist_init(all);
    br_hist_init(read);
    for (size_t i = 0; i < 6; i++)
        br_hist_record(all, lat_a[i]);
    for (size_t i = 0; i < 7; i++)
        br_hist_record(all, lat_b[i]);
    char err[256];
    assert_int_equal(br_hist_json_read(json_object_get(json_object_get(m, "operations"), "book"), read, "m",
                                       err, sizeof(err)),
                     0);
    assert_memory_equal(read->counts, all->counts, sizeof(all->counts));
    assert_int_equal(get_int(m, "overall", "latencyUs", "p90"), br_hist_percentile(all, 90));
    assert_int_equal(get_int(m, "overall", "latencyUs", "max"), 5000000);
    free(all);
    free(read);
    /* Series on the wall clock: b started 0.6 s later, so its seconds land one later (nearest second). */
    json_t *series = json_object_get(m, "timeseries");
    assert_int_equal(json_array_size(series), 3);
    assert_int_equal(get_int(json_array_get(series, 0), "requests", NULL, NULL), 5);
    assert_int_equal(get_int(json_array_get(series, 1), "requests", NULL, NULL), 1 + 6);
    assert_int_equal(get_int(json_array_get(series, 2), "requests", NULL, NULL), 1);
    assert_true(json_number_value(json_object_get(m, "measuredSeconds")) == 2.6);
    /* The oracle over both: 09:00-10:00 (a) and 09:30-10:30 (b) overlap; the refused one does not count. */
    json_t *oracle = json_object_get(m, "oracle");
    assert_int_equal(get_int(oracle, "bookingsAcknowledged", NULL, NULL), 2);
    json_t *v = json_object_get(oracle, "violations");
    assert_int_equal(json_array_size(v), 3); /* the double booking, then each input's lost booking */
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "kind")), "double-booking");
    const char *text = json_string_value(json_object_get(json_array_get(v, 0), "text"));
    assert_non_null(strstr(text, "inspector martin"));
    assert_non_null(strstr(text, "a.json"));
    assert_non_null(strstr(text, "b.json"));
    assert_non_null(
        strstr(json_string_value(json_object_get(json_array_get(v, 2), "text")), "found by b.json"));
    /* b's booking was sent 0.6 s + 1 ms after the merged start. */
    json_t *b1 = json_array_get(json_object_get(oracle, "bookings"), 2);
    assert_int_equal(get_int(b1, "sendUs", NULL, NULL), 601000);
    json_t *merge = json_object_get(m, "merge");
    assert_int_equal(get_int(merge, "startSpreadUs", NULL, NULL), 600000);
    assert_int_equal(get_int(merge, "segments", NULL, NULL), 2);
    assert_true(json_is_true(json_object_get(merge, "complete")));
    json_decref(m);
    /* Each segment alone shows no double booking. */
    for (int i = 0; i < 2; i++) {
        m = merge_docs(&docs[i], 1);
        v = json_object_get(json_object_get(m, "oracle"), "violations");
        assert_int_equal(json_array_size(v), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "kind")), "lost");
        assert_false(json_is_true(json_object_get(json_object_get(m, "merge"), "complete")));
        json_decref(m);
    }
    json_decref(docs[0]);
    json_decref(docs[1]);
}

static void expect_refused(br_merger *m, json_t *doc, const char *needle)
{
    char err[512] = "";
    assert_int_equal(br_merger_add(m, doc, "x.json", err, sizeof(err)), -1);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s' lacks '%s'", err, needle);
    json_decref(doc);
}

static void test_refusals(void **state)
{
    (void)state;
    br_merger *m = br_merger_new();
    char err[512];
    json_t *a = doc_a();
    assert_int_equal(br_merger_add(m, a, "a.json", err, sizeof(err)), 0);
    expect_refused(m, doc_a(), "segment 0/2 again (already merged from a.json)");
    json_t *d = doc_b();
    json_object_set_new(json_object_get(d, "scenario"), "name", json_string("hold-race"));
    expect_refused(m, d, "a load of hold-race, not of overlap-burst");
    d = doc_b();
    json_object_set_new(d, "model", json_string("closed"));
    expect_refused(m, d, "the closed model");
    d = doc_b();
    json_object_set_new(json_object_get(d, "segment"), "count", json_integer(4));
    expect_refused(m, d, "segment 1 of 4, but a.json is a segment of 2");
    d = doc_b();
    json_array_append_new(
        json_object_get(json_object_get(json_object_get(d, "operations"), "book"), "histogram"),
        json_pack("[i, i]", 4097, 1));
    expect_refused(m, d, "x.json: /operations/book/histogram/");
    d = doc_b();
    json_object_set_new(json_array_get(json_object_get(json_object_get(d, "oracle"), "bookings"), 0), "start",
                        json_string("09:30"));
    expect_refused(m, d, "x.json: /oracle/bookings/0: expected");
    d = doc_b();
    json_object_set_new(json_array_get(json_object_get(d, "timeseries"), 1), "second", json_integer(7));
    expect_refused(m, d, "x.json: /timeseries/1/second: 7 is past");
    d = doc_b();
    json_object_set_new(d, "startedAt", json_string("2026-11-30T10:00:00Z"));
    expect_refused(m, d, "more than a day apart");
    d = doc_b();
    json_object_set_new(json_object_get(d, "errors"), "read", json_string("x"));
    expect_refused(m, d, "x.json: /errors/read");
    expect_refused(m, json_pack("{s:s}", "schema", "bookrace.run/1"), "not a load result");
    /* None of that changed the merger: b still merges, and the result is that of a and b. */
    d = doc_b();
    assert_int_equal(br_merger_add(m, d, "b.json", err, sizeof(err)), 0);
    json_t *out = br_merger_finish(m, err, sizeof(err));
    assert_int_equal(get_int(out, "overall", "requests", NULL), 13);
    assert_int_equal(get_int(out, "errors", "timeout", NULL), 2);
    assert_int_equal(json_array_size(json_object_get(json_object_get(out, "oracle"), "bookings")), 3);
    json_decref(out);
    json_decref(a);
    json_decref(d);
    br_merger_free(m);
    m = br_merger_new();
    assert_null(br_merger_finish(m, err, sizeof(err)));
    assert_string_equal(err, "nothing to merge");
    br_merger_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_segments),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
