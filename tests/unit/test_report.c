#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static json_t *load_doc(double rps, double p50, double p99, double p999, int violations, int timeouts)
{
    json_t *v = json_array();
    for (int i = 0; i < violations; i++)
        json_array_append_new(v,
                              json_pack("{s:s, s:s}", "kind", "double-booking", "text", "DOUBLE BOOKING x"));
    return json_pack(
        "{s:s, s:s, s:f, s:i, s:i, s:f, s:f, s:s, s:{s:{s:f, s:I, s:{s:f, s:f, s:f, s:f, s:f, s:f, s:f}, "
        "s:[[i,i],[i,i]], s:{s:i}}}, s:[{s:i, s:i}, {s:i, s:i}], s:{s:i, s:i, s:i, s:i, s:i}, s:i, "
        "s:{s:b, s:b, s:i, s:o}}",
        "schema", "bookrace.load/1", "model", "closed", "rate", 0.0, "threads", 2, "connections", 32,
        "measuredSeconds", 10.0, "warmupSeconds", 1.0, "startedAt", "2026-11-27T00:00:00Z", "operations",
        "book", "throughputPerSecond", rps, "requests", (json_int_t)(rps * 10), "latencyUs", "p50", p50,
        "p90", p50 * 1.5, "p99", p99, "p99.9", p999, "p99.99", p999, "max", p999, "mean", p50, "histogram",
        100, 5, 2000, 1, "statuses", "201", 10, "timeseries", "second", 0, "requests", 100, "second", 1,
        "requests", 120, "errors", "connect", 0, "read", 0, "write", 0, "timeout", timeouts, "parse", 0,
        "lateSends", 0, "oracle", "checked", 1, "groundTruth", 1, "bookingsAcknowledged", 3, "violations", v);
}

/* Tags open and close in order: the report is well-formed (void tags self-close). */
static void assert_well_formed(const char *html)
{
    const char *stack[256];
    size_t lens[256];
    int depth = 0;
    for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
        if (p[1] == '!')
            continue;
        const char *end = strchr(p, '>');
        assert_non_null(end);
        if (end[-1] == '/')
            continue;
        if (p[1] == '/') {
            size_t n = strcspn(p + 2, " >");
            assert_true(depth > 0);
            depth--;
            if (lens[depth] != n || strncmp(stack[depth], p + 2, n) != 0)
                fail_msg("</%.*s> closes <%.*s>", (int)n, p + 2, (int)lens[depth], stack[depth]);
        } else {
            assert_true(depth < 256);
            stack[depth] = p + 1;
            lens[depth++] = strcspn(p + 1, " >");
        }
    }
    assert_int_equal(depth, 0);
}

/* The report as a heap string the caller frees. */
static char *render(json_t *doc)
{
    char *stream = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&stream, &len);
    assert_int_equal(br_report_html(doc, f, err, sizeof(err)), 0);
    fclose(f);
    /* A copy, so gcc -O3 does not follow the memstream's pointer back to this frame (-Wdangling-pointer). */
    char *html = strdup(stream);
    free(stream);
    return html;
}

static int count_occurrences(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* The compare page: a row per shown metric with its interval, the regression marked. */
static void test_compare_page(void **state)
{
    (void)state;
    br_cmp_report r;
    br_cmp_init(&r, 5);
    char err[256];
    json_t *base = load_doc(1000, 100, 200, 500, 0, 0), *next = load_doc(1000, 100, 200, 500, 0, 0);
    json_t *series = json_object_get(next, "timeseries");
    json_array_clear(series);
    json_t *bseries = json_object_get(base, "timeseries");
    json_array_clear(bseries);
    for (int s = 0; s < 6; s++) {
        json_array_append_new(bseries, json_pack("{s:i, s:i}", "second", s, "requests", 1000 + s));
        json_array_append_new(series, json_pack("{s:i, s:i}", "second", s, "requests", 700 + s));
    }
    assert_int_equal(br_cmp_add_doc(&r, BR_CMP_BASE, base, "a", err, sizeof(err)), 0);
    assert_int_equal(br_cmp_add_doc(&r, BR_CMP_NEW, next, "b", err, sizeof(err)), 0);
    br_cmp_judge(&r);
    assert_int_equal(r.regressions, 1);
    char *html = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&html, &len);
    br_compare_html(&r, f);
    fclose(f);
    assert_well_formed(html);
    assert_non_null(strstr(html, "<td>all req/s</td>"));
    assert_non_null(strstr(html, "REGRESSION"));
    free(html);
    br_cmp_free(&r);
    json_decref(base);
    json_decref(next);
}

static void test_load_report(void **state)
{
    (void)state;
    json_t *doc = load_doc(1000, 100, 200, 500, 1, 0);
    char *html = render(doc);
    assert_well_formed(html);
    assert_non_null(strstr(html, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"latency\""));
    assert_non_null(strstr(html, "id=\"throughput\""));
    assert_non_null(strstr(html, "<polyline class=\"curve\""));
    assert_non_null(strstr(html, "201&#215;10"));
    assert_non_null(strstr(html, "id=\"verdict\" class=\"bad\">1 violations"));
    assert_null(strstr(html, "<script"));
    /* Self-contained: the only URL is the SVG namespace. */
    for (const char *p = strstr(html, "http"); p; p = strstr(p + 1, "http"))
        assert_int_equal(strncmp(p, "http://www.w3.org/2000/svg", 26), 0);
    free(html);
    json_decref(doc);
}

static void test_race_report(void **state)
{
    (void)state;
    json_error_t e;
    json_t *doc = json_loads(
        "{\"schema\":\"bookrace.run/1\",\"scenario\":{\"name\":\"s<1>\"},\"target\":{\"name\":\"bookd\"},"
        "\"summary\":{\"trials\":1,\"trialsWithViolations\":1},\"expectation\":\"no-violation\",\"outcome\":"
        "\"fail\","
        "\"trials\":[{\"date\":\"2026-12-01\",\"violations\":[{\"kind\":\"double-booking\",\"text\":\"DOUBLE "
        "BOOKING "
        "inspector "
        "martin\",\"ops\":[0,1]}],\"barriers\":[{\"release\":\"last-byte\",\"skewUs\":12,\"releasedUs\":150}]"
        ","
        "\"history\":["
        "{\"actor\":0,\"actorName\":\"a\",\"op\":\"book\",\"invokeUs\":100,\"completeUs\":400,\"status\":201,"
        "\"outcome\":\"ok\"},"
        "{\"actor\":1,\"actorName\":\"b\",\"op\":\"book\",\"invokeUs\":110,\"completeUs\":420,\"status\":201,"
        "\"outcome\":\"ok\"},"
        "{\"actor\":2,\"actorName\":\"c\",\"op\":\"book\",\"invokeUs\":120,\"completeUs\":430,\"status\":409,"
        "\"outcome\":\"fail\"}"
        "]}]}",
        0, &e);
    assert_non_null(doc);
    char *html = render(doc);
    assert_well_formed(html);
    assert_non_null(strstr(html, "s&lt;1&gt;"));
    assert_non_null(strstr(html, "class=\"timeline\""));
    /* One lane per actor, the overlapping pair in red, the release marked. */
    assert_int_equal(count_occurrences(html, "class=\"lane\""), 3);
    assert_int_equal(count_occurrences(html, "class=\"op violation\""), 2);
    assert_non_null(strstr(html, "class=\"release\""));
    assert_non_null(strstr(html, "last-byte release, skew 12 us"));
    free(html);
    char err[256];
    json_t *other = json_pack("{s:s}", "schema", "x/1");
    assert_int_equal(br_report_html(other, stdout, err, sizeof(err)), -1);
    json_decref(other);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_page),
        cmocka_unit_test(test_load_report),
        cmocka_unit_test(test_race_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
