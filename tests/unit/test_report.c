#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "report.h"

#include <unistd.h>

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
    json_t *series = json_object_get(next, "timeseries"), *bseries = json_object_get(base, "timeseries");
    json_array_clear(series);
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
    assert_non_null(strstr(html, "id=\"verdict\" class=\"verdict bad\">1 violations"));
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
        "martin\",\"ops\":[0,1]}],\"barriers\":[{\"release\":\"last-byte\",\"skewUs\":12,\"releasedUs\":150,"
        "\"racers\":3}]"
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
    assert_int_equal(count_occurrences(html, "class=\"lane\""), 4); /* three actors and the harness */
    assert_int_equal(count_occurrences(html, "class=\"op violation\""), 2);
    assert_non_null(strstr(html, "class=\"release\""));
    assert_non_null(strstr(html, "last-byte release, 3 racers, spread 12 us"));
    free(html);
    char err[256];
    json_t *other = json_pack("{s:s}", "schema", "x/1");
    assert_int_equal(br_report_html(other, stdout, err, sizeof(err)), -1);
    /* Given the file, the refusal names it (it said only 'schema "x/1"'). */
    assert_int_equal(br_report_html_source(other, "scenarios/x.json", stdout, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "scenarios/x.json: not a bookrace run, load, matrix or window result"));
    json_decref(other);
    json_decref(doc);
}

/* ---- race reports: calendar, groups, timeline --------------------------------------------------- */

/* A history operation of a run.json: a booking when |start| is not NULL. */
static json_t *op_json(int index, int actor, const char *name, const char *op, const char *start,
                       const char *end, int status, const char *outcome, json_int_t t_us,
                       json_int_t scenario_offset_us)
{
    json_t *o = json_pack("{s:i, s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:s, s:o}", "index", index,
                          "actor", actor, "actorName", name, "op", op, "invokeUs", t_us, "completeUs",
                          t_us + 500, "lastByteUs", t_us, "invokeScenarioUs", t_us + scenario_offset_us,
                          "completeScenarioUs", t_us + 500 + scenario_offset_us, "status", status, "outcome",
                          outcome, "barrier", json_null());
    if (start) {
        json_object_set_new(o, "inspector", json_string("martin"));
        json_object_set_new(o, "start", json_string(start));
        json_object_set_new(o, "end", json_string(end));
    }
    return o;
}

static json_t *run_doc(json_t *history, json_t *violations, json_t *barriers, double advanced_s)
{
    json_t *trial = json_pack("{s:i, s:s, s:s, s:f, s:o, s:o, s:o}", "index", 0, "date", "2026-12-01",
                              "class", json_array_size(violations) ? "violation" : "clean", "advancedSeconds",
                              advanced_s, "history", history, "violations", violations, "barriers", barriers);
    return json_pack("{s:s, s:{s:s, s:s}, s:{s:s}, s:{s:i, s:i}, s:s, s:s, s:s, s:[o]}", "schema",
                     "bookrace.run/1", "scenario", "name", "t", "date", "2026-12-01", "target", "name",
                     "bookd", "summary", "trials", 1, "trialsWithViolations",
                     json_array_size(violations) ? 1 : 0, "expectation", "violation", "outcome", "pass",
                     "reason", "reproduced", "trials", trial);
}

static json_t *violation(int a, int b, const char *text)
{
    return json_pack("{s:s, s:s, s:[i, i]}", "kind", "double-booking", "text", text, "ops", a, b);
}

/* The incident: melinda books 09:26, the clock moves 180 s, pine books 09:29 from a stale list. */
static json_t *incident_doc(void)
{
    json_t *h = json_array();
    json_array_append_new(h, op_json(0, 0, "melinda", "fetch_slots", NULL, NULL, 200, "ok", 1000, 0));
    json_array_append_new(h, op_json(1, 1, "pine", "fetch_slots", NULL, NULL, 200, "ok", 1100, 0));
    json_array_append_new(h, op_json(2, 0, "melinda", "book", "2026-12-01T09:26:00Z", "2026-12-01T11:26:00Z",
                                     201, "ok", 2000, 0));
    json_array_append_new(h, op_json(3, -1, "", "clock", NULL, NULL, 200, "ok", 2600, 0));
    json_array_append_new(h, op_json(4, 1, "pine", "book", "2026-12-01T09:29:00Z", "2026-12-01T11:29:00Z",
                                     201, "ok", 3200, 180000000));
    json_t *v = json_array();
    json_array_append_new(
        v, violation(2, 4, "DOUBLE BOOKING inspector martin: 09:26-11:26 overlaps 09:29-11:29"));
    return run_doc(h, v, json_array(), 180);
}

static void test_calendar_overlap(void **state)
{
    (void)state;
    json_t *doc = incident_doc();
    char *html = render(doc);
    assert_well_formed(html);
    /* One calendar, both bookings as bars labelled with actor, request time and status. */
    assert_int_equal(count_occurrences(html, "class=\"calendar\""), 1);
    assert_int_equal(count_occurrences(html, "<g class=\"booking flagged\">"), 2);
    assert_non_null(strstr(html, ">melinda \xc2\xb7 sent +2.000 ms \xc2\xb7 201<"));
    assert_non_null(strstr(html, ">pine \xc2\xb7 sent +180.003 s \xc2\xb7 201<"));
    /* The overlap of the pair is shaded, 09:29 to 11:26. */
    assert_int_equal(count_occurrences(html, "class=\"overlap\""), 1);
    assert_non_null(
        strstr(html, "<title>overlap 09:29-11:26: up to 2 acknowledged bookings at once</title>"));
    /* The group line. */
    assert_non_null(strstr(html, "2 bookings acknowledged for martin 09:26-11:29 on 2026-12-01; 1 too many"));
    free(html);
    json_decref(doc);
}

static void test_timeline_break(void **state)
{
    (void)state;
    json_t *doc = incident_doc();
    char *html = render(doc);
    /* The 180 s advance is one labelled break, not a linear axis. */
    assert_int_equal(count_occurrences(html, "<g class=\"break\">"), 1);
    assert_non_null(strstr(html, ">180 s</text>"));
    assert_non_null(strstr(html, ">advance</text>"));
    assert_non_null(strstr(html, "an advance step moved the clock"));
    /* Ticks on both sides of the break: milliseconds before it, seconds after it. */
    assert_non_null(strstr(html, " ms</text>"));
    assert_non_null(strstr(html, "180.00"));
    free(html);
    json_decref(doc);
    /* Without the clock request the gap is idle time, still compressed. */
    doc = incident_doc();
    json_t *h = json_object_get(json_array_get(json_object_get(doc, "trials"), 0), "history");
    json_object_set_new(json_array_get(h, 3), "op", json_string("list"));
    html = render(doc);
    assert_int_equal(count_occurrences(html, "<g class=\"break\">"), 1);
    assert_non_null(strstr(html, ">idle</text>"));
    free(html);
    json_decref(doc);
}

/* 16 racers acknowledged on one slot, released by |barrier| (barrierStep 2). */
static json_t *burst_doc(json_t *barrier)
{
    json_t *h = json_array(), *v = json_array(), *barriers = json_array();
    for (int a = 0; a < 16; a++) {
        char name[32];
        snprintf(name, sizeof(name), "customer%d", a);
        json_t *op = op_json(a, a, name, "book", "2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z", 201, "ok",
                             3000 + a * 2, 0);
        json_object_set_new(op, "barrier", json_integer(2));
        json_array_append_new(h, op);
    }
    for (int a = 0; a < 16; a++)
        for (int b = a + 1; b < 16; b++)
            json_array_append_new(v, violation(a, b, "DOUBLE BOOKING inspector martin: 08:00-10:00 pair"));
    json_array_append_new(barriers, barrier);
    return run_doc(h, v, barriers, 0);
}

/* One group, 15 too many, 120 pairs behind a disclosure. */
static void test_burst_groups(void **state)
{
    (void)state;
    json_t *doc =
        burst_doc(json_pack("{s:i, s:i, s:s, s:i, s:i, s:i}", "step", 3, "barrierStep", 2, "release",
                            "last-byte", "racers", 16, "skewUs", 30, "releasedUs", 3000));
    char *html = render(doc);
    assert_well_formed(html);
    assert_non_null(strstr(html, "120 violations in 1 group"));
    assert_non_null(
        strstr(html, "16 bookings acknowledged for martin 08:00-10:00 on 2026-12-01; 15 too many"));
    assert_non_null(strstr(html, "<details><summary>120 double-booking violations"));
    /* The pairs are capped, and the page says how many it left out. */
    assert_int_equal(count_occurrences(html, "08:00-10:00 pair</li>"), 100);
    assert_non_null(strstr(html, "20 more omitted (run.json has them all)"));
    /* The release: a tick per racer on the timeline and a dot per racer on its own axis. */
    assert_int_equal(count_occurrences(html, "class=\"racer\""), 16);
    assert_int_equal(count_occurrences(html, "class=\"racer-release\""), 16);
    assert_non_null(strstr(html, "16 racers, last bytes within 30 us (last-byte)"));
    free(html);
    json_decref(doc);
}

/* What the release was: a staggered one (a window sweep's point) marks where each racer was meant to be; an
 * HTTP/2 single-packet one says how many connections, writes and segments carried it. */
static void test_release_details(void **state)
{
    (void)state;
    json_t *doc =
        burst_doc(json_pack("{s:i, s:s, s:i, s:i, s:i, s:i}", "barrierStep", 2, "release", "last-byte",
                            "racers", 16, "skewUs", 30, "releasedUs", 3000, "staggerUs", 1000));
    char *html = render(doc);
    assert_non_null(strstr(html, "last bytes within 30 us (last-byte; staggered 1 ms per racer)"));
    assert_non_null(strstr(html, "spread 30 us (staggered 1 ms)"));
    assert_int_equal(count_occurrences(html, "class=\"nominal\""), 16);
    assert_non_null(strstr(html, "racer 15's nominal release: +15000 us"));
    free(html);
    json_decref(doc);
    doc = burst_doc(json_pack("{s:i, s:s, s:i, s:i, s:i, s:{s:i, s:i, s:i}}", "barrierStep", 2, "release",
                              "single-packet", "racers", 16, "skewUs", 0, "releasedUs", 3000, "http2",
                              "connections", 2, "writes", 1, "segments", 3));
    html = render(doc);
    assert_non_null(strstr(html, "(single-packet: 2 connections, 1 write, 3 TCP segments)"));
    assert_null(strstr(html, "class=\"nominal\""));
    free(html);
    json_decref(doc);
}

/* Partly overlapping bookings: 08-10, 09-11, 10-12 need one cancellation, never more than two at once. */
static void test_cluster_counts(void **state)
{
    (void)state;
    json_t *h = json_array(), *v = json_array();
    json_array_append_new(
        h, op_json(0, 0, "a", "book", "2026-12-01T08:00:00Z", "2026-12-01T10:00:00Z", 201, "ok", 1000, 0));
    json_array_append_new(
        h, op_json(1, 1, "b", "book", "2026-12-01T09:00:00Z", "2026-12-01T11:00:00Z", 201, "ok", 1100, 0));
    json_array_append_new(
        h, op_json(2, 2, "c", "book", "2026-12-01T10:00:00Z", "2026-12-01T12:00:00Z", 201, "ok", 1200, 0));
    json_array_append_new(
        h, op_json(3, 3, "d", "book", "2026-12-01T13:00:00Z", "2026-12-01T14:00:00Z", 201, "ok", 1300, 0));
    json_array_append_new(v, violation(0, 1, "DOUBLE BOOKING inspector martin: x"));
    json_array_append_new(v, violation(1, 2, "DOUBLE BOOKING inspector martin: y"));
    json_t *doc = run_doc(h, v, json_array(), 0);
    char *html = render(doc);
    assert_non_null(strstr(
        html,
        "3 bookings acknowledged for martin 08:00-12:00 on 2026-12-01; 1 too many (at most 2 at once)"));
    /* d is drawn on the day, not flagged; two separate overlap stretches. */
    assert_int_equal(count_occurrences(html, "<g class=\"booking flagged\">"), 3);
    assert_int_equal(count_occurrences(html, "<g class=\"booking\">"), 1);
    assert_int_equal(count_occurrences(html, "class=\"overlap\""), 2);
    free(html);
    json_decref(doc);
}

/* Nothing the page would fetch: no src or href to a URL, no stylesheet link, no CSS url(), no script. */
static void assert_self_contained(const char *html)
{
    assert_null(strstr(html, "src=\"http"));
    assert_null(strstr(html, "src='http"));
    assert_null(strstr(html, "href='http"));
    assert_null(strstr(html, "url("));
    assert_null(strstr(html, "href=\"http"));
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "<link"));
}

static void test_hostile_names(void **state)
{
    (void)state;
    const char *evil = "<script>alert(1)</script>";
    json_t *doc = incident_doc();
    json_t *trial = json_array_get(json_object_get(doc, "trials"), 0);
    json_t *h = json_object_get(trial, "history");
    for (size_t i = 0; i < json_array_size(h); i++) {
        json_object_set_new(json_array_get(h, i), "actorName", json_string(evil));
        if (json_object_get(json_array_get(h, i), "inspector"))
            json_object_set_new(json_array_get(h, i), "inspector",
                                json_string("\"><img src=x onerror=alert(1)>"));
    }
    json_object_set_new(json_object_get(doc, "scenario"), "name", json_string(evil));
    json_object_set_new(json_object_get(doc, "scenario"), "description",
                        json_string("<a href=\"https://evil.example/\">x</a>"));
    json_array_append_new(json_object_get(trial, "violations"),
                          json_pack("{s:s, s:s}", "kind", "lost", "text",
                                    "LOST inspector \"><img src=x onerror=alert(1)>: <script>x</script>"));
    char *html = render(doc);
    assert_well_formed(html);
    assert_self_contained(html);
    assert_null(strstr(html, "<img"));
    assert_null(strstr(html, "<a href"));
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    free(html);
    json_decref(doc);
}

/* ---- window sweeps ------------------------------------------------------------------------------- */

static const char window_json[] =
    "{\"kind\":\"window\",\"scenario\":\"window-pair <b>\",\"sweep\":\"barrier\",\"unit\":\"us\","
    "\"target\":{\"name\":\"bookd\"},\"precision_us\":150,\"points\":["
    "{\"delay_us\":0,\"trials\":10,\"reproduced\":10,\"rate\":1,\"ci_lo\":0.72,\"ci_hi\":1,\"resolvable\":"
    "true,"
    "\"measured_offset_us\":{\"median\":30,\"max\":90}},"
    "{\"delay_us\":100,\"trials\":10,\"reproduced\":9,\"rate\":0.9,\"ci_lo\":0.6,\"ci_hi\":0.98,"
    "\"resolvable\":false,"
    "\"measured_offset_us\":null},"
    "{\"delay_us\":5000,\"trials\":10,\"reproduced\":6,\"rate\":0.6,\"ci_lo\":0.31,\"ci_hi\":0.83,"
    "\"resolvable\":true,"
    "\"measured_offset_us\":{\"median\":5010,\"max\":5100}},"
    "{\"delay_us\":10000,\"trials\":10,\"reproduced\":0,\"rate\":0,\"ci_lo\":0,\"ci_hi\":0.28,\"resolvable\":"
    "true,"
    "\"measured_offset_us\":{\"median\":10010,\"max\":10100}}],"
    "\"window_us\":{\"estimate\":5200,\"lo\":3000,\"hi\":6000,\"half_rate\":0.5}}";

static void test_window_report(void **state)
{
    (void)state;
    json_error_t e;
    json_t *doc = json_loads(window_json, 0, &e);
    assert_non_null(doc);
    char *html = render(doc);
    assert_well_formed(html);
    assert_self_contained(html);
    assert_non_null(strstr(html, "bookrace window: window-pair &lt;b&gt;"));
    assert_non_null(strstr(html, "id=\"window\""));
    /* A whisker per point, the point below the release precision drawn apart. */
    assert_int_equal(count_occurrences(html, "class=\"whisker\""), 4);
    assert_int_equal(count_occurrences(html, "<g class=\"point unresolvable\">"), 1);
    assert_non_null(strstr(html, "class=\"unresolvable\""));
    /* The estimate and its interval. */
    assert_non_null(strstr(html, "class=\"window-estimate\""));
    assert_non_null(strstr(html, ">window 5.2 ms</text>"));
    assert_non_null(strstr(html, "Race window: about 5.2 ms (95%: 3 ms to 6 ms)"));
    assert_non_null(strstr(html, "delay 5 ms: 6/10 trials reproduced (60%, 95% interval 31-83%)"));
    free(html);
    /* Found by its shape when "kind" is missing; no window found said in words. */
    json_object_del(doc, "kind");
    json_object_set_new(doc, "window_us", json_null());
    html = render(doc);
    assert_non_null(strstr(html, "No window: no resolvable delay reproduced the violation."));
    assert_null(strstr(html, "class=\"window-estimate\""));
    free(html);
    /* A sweep the target stopped (401) measured nothing: no "no window", its error instead. */
    json_object_set_new(doc, "outcome", json_string("target-error"));
    json_object_set_new(doc, "error",
                        json_string("trial 0: the target failed every request: it answered 2 x 401"));
    html = render(doc);
    assert_null(strstr(html, "No window"));
    assert_non_null(strstr(html,
                           "No verdict: the target failed, the sweep stopped: trial 0: the target failed "
                           "every request: it answered 2 x 401"));
    free(html);
    json_decref(doc);
}

/* ---- matrices ------------------------------------------------------------------------------------ */

static void test_matrix_report(void **state)
{
    (void)state;
    json_t *doc = json_pack(
        "{s:s, s:s, s:f, s:b, s:[{s:s, s:s, s:s, s:i}, {s:s, s:s, s:s, s:i}], s:["
        "{s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:o},"
        "{s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:o},"
        "{s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:o}]}",
        "schema", "bookrace.matrix/1", "name", "m<1>", "durationSeconds", 3.0, "allAsExpected", 0, "modes",
        "name", "none", "fix", "none", "slotCache", "ttl:300", "raceWindowUs", 0, "name", "A+C", "fix", "A+C",
        "slotCache", "versioned", "raceWindowUs", 2000, "cells", "scenario", "burst", "mode", "none",
        "expected", "violation", "trials", 5, "trialsWithViolations", 5, "asExpected", 1, "verdict",
        "as-expected", "error", json_null(), "scenario", "burst", "mode", "A+C", "expected", "clean",
        "trials", 5, "trialsWithViolations", 1, "asExpected", 0, "verdict", "unexpected", "error",
        json_null(), "scenario", "<hold>", "mode", "none", "expected", "violation>=0.6", "trials", 2,
        "trialsWithViolations", 1, "asExpected", 0, "verdict", "undecided", "error", json_null());
    char *html = render(doc);
    assert_well_formed(html);
    assert_non_null(strstr(html, "id=\"matrix\""));
    assert_int_equal(count_occurrences(html, "<td class=\"cell-ok\""), 1);
    assert_int_equal(count_occurrences(html, "<td class=\"cell-bad\""), 1);
    assert_int_equal(count_occurrences(html, "<td class=\"cell-undecided\""), 1);
    assert_non_null(strstr(html, "&lt;hold&gt;"));
    assert_non_null(strstr(html, "1/5 (20%, 95% CI"));
    /* A cell that did not run is a dash, not a made-up result. */
    assert_int_equal(count_occurrences(html, "<td class=\"muted\">-</td>"), 1);
    free(html);
    json_decref(doc);
}

/* ---- loads: latency over time, violations from the streamed history ---------------------------- */

/* Writes a history with |n| acknowledged bookings of inspector ana, all 08:00-10:00. */
static void write_history(const char *path, int n)
{
    char err[256];
    br_history_writer *w = br_history_open(
        path, 1, "{\"runId\":\"r\",\"ops\":[\"fetch_slots\",\"book\"],\"actors\":[\"<b>c0\",\"c1\"]}", 1, err,
        sizeof(err));
    assert_non_null(w);
    for (int i = 0; i < n; i++) {
        br_history_record r = {.type = BR_HREC_OK,
                               .op = 1,
                               .actor = i % 2,
                               .invoke_us = 1000 * i,
                               .t_us = 1000 * i + 300,
                               .status = 201,
                               .start_us = 1796083200000000LL + 8 * 3600000000LL,
                               .end_us = 1796083200000000LL + 10 * 3600000000LL};
        snprintf(r.inspector, sizeof(r.inspector), "%s", i < n - 3 ? "ana" : "li"); /* li: 3 bookings */
        br_history_append(w, 0, &r);
    }
    br_history_stats st;
    assert_int_equal(br_history_close(w, 0, "", &st, err, sizeof(err)), 0);
}

static void test_load_violations(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_report_XXXXXX", path[256], hist[256];
    assert_non_null(mkdtemp(dir));
    snprintf(hist, sizeof(hist), "%s/history.jsonl.zst", dir);
    snprintf(path, sizeof(path), "%s/load.json", dir);
    write_history(hist, 63);
    json_t *doc = load_doc(1000, 100, 200, 500, 0, 0);
    json_t *v = json_object_get(json_object_get(doc, "oracle"), "violations");
    for (int i = 0; i < 1770; i++) /* 60 bookings on one slot: 1770 pairs */
        json_array_append_new(
            v, json_pack("{s:s, s:s}", "kind", "double-booking", "text",
                         "DOUBLE BOOKING inspector ana: 08:00-10:00 (...) overlaps 08:00-10:00"));
    json_object_set_new(doc, "history", json_pack("{s:s}", "file", "history.jsonl.zst"));
    /* The result lists 1770 of 1773 violations: li's three pairs are only in the count. */
    json_object_set_new(json_object_get(doc, "oracle"), "violationCount", json_integer(1773));
    json_t *ts = json_object_get(doc, "timeseries");
    json_object_set_new(json_array_get(ts, 0), "operations",
                        json_pack("{s:{s:i, s:i, s:i}}", "book", "requests", 10, "p50", 100, "p99", 900));
    json_object_set_new(json_array_get(ts, 1), "operations",
                        json_pack("{s:{s:i, s:i, s:i}}", "book", "requests", 12, "p50", 120, "p99", 2000));
    char *stream = NULL, err[256];
    size_t len = 0;
    FILE *f = open_memstream(&stream, &len);
    assert_int_equal(br_report_html_source(doc, path, f, err, sizeof(err)), 0);
    fclose(f);
    assert_well_formed(stream);
    assert_self_contained(stream);
    assert_non_null(
        strstr(stream, "60 bookings acknowledged for ana 08:00-10:00 on 2026-12-01; 59 too many"));
    assert_non_null(strstr(stream, "1670 more omitted (load.json has them all)"));
    assert_non_null(strstr(stream, "class=\"verdict bad\">1773 violations among"));
    assert_non_null(strstr(stream, "1773 violations (1770 listed in load.json); the listed ones in 1 group"));
    assert_non_null(strstr(stream,
                           "3 bookings acknowledged for li 08:00-10:00 on 2026-12-01; 2 too many</p>\n"
                           "<p class=\"muted\">Its violation lines are not listed in load.json"));
    /* ana's calendar draws at most its row limit and counts the rest; li's has its 3. */
    assert_int_equal(count_occurrences(stream, "class=\"calendar\""), 2);
    assert_int_equal(count_occurrences(stream, "<g class=\"booking flagged\">"), 40 + 3);
    assert_non_null(strstr(stream, "20 more bookings of that day not drawn."));
    assert_non_null(strstr(stream, "&lt;b&gt;c0"));
    /* Latency over time: a p99 and a p50 line per operation. */
    assert_non_null(strstr(stream, "id=\"latency-time\""));
    assert_int_equal(count_occurrences(stream, "class=\"series p99\""), 1);
    assert_int_equal(count_occurrences(stream, "class=\"series p50\""), 1);
    free(stream);
    /* Without the file's path the page says why there is no calendar. */
    stream = NULL;
    f = open_memstream(&stream, &len);
    assert_int_equal(br_report_html(doc, f, err, sizeof(err)), 0);
    fclose(f);
    assert_non_null(strstr(stream, "No calendar: the bookings could not be read: the report was not given"));
    free(stream);
    json_decref(doc);
    unlink(hist);
    rmdir(dir);
}

/* A load.json that carries its bookings (a merge of inputs without streams) needs no history file. */
static void test_load_inline_bookings(void **state)
{
    (void)state;
    json_t *doc = load_doc(1000, 100, 200, 500, 1, 0);
    json_object_set_new(
        json_object_get(doc, "oracle"), "bookings",
        json_pack("[{s:s, s:s, s:s, s:i, s:s, s:i, s:s}, {s:s, s:s, s:s, s:i, s:s, s:i, s:s},"
                  " {s:s, s:s, s:s, s:i, s:s, s:i, s:s}]",
                  "inspector", "ana", "start", "2026-12-01T08:00:00Z", "end", "2026-12-01T10:00:00Z",
                  "status", 201, "outcome", "ok", "sendUs", 5, "actor", "c0", "inspector", "ana", "start",
                  "2026-12-01T09:00:00Z", "end", "2026-12-01T11:00:00Z", "status", 201, "outcome", "ok",
                  "sendUs", 9, "actor", "c1", "inspector", "ana", "start", "2026-12-01T09:30:00Z", "end",
                  "2026-12-01T11:30:00Z", "status", 409, "outcome", "fail", "sendUs", 12, "actor", "c2"));
    char *html = render(doc);
    assert_well_formed(html);
    assert_non_null(strstr(html, "2 bookings acknowledged for ana 08:00-11:00 on 2026-12-01; 1 too many"));
    assert_int_equal(count_occurrences(html, "class=\"calendar\""), 1);
    /* The refused booking is not drawn: a calendar shows what the backend acknowledged. */
    assert_int_equal(count_occurrences(html, "<g class=\"booking"), 2);
    assert_null(strstr(html, ">c2 "));
    free(html);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_page),         cmocka_unit_test(test_load_report),
        cmocka_unit_test(test_race_report),          cmocka_unit_test(test_calendar_overlap),
        cmocka_unit_test(test_timeline_break),       cmocka_unit_test(test_burst_groups),
        cmocka_unit_test(test_cluster_counts),       cmocka_unit_test(test_hostile_names),
        cmocka_unit_test(test_window_report),        cmocka_unit_test(test_matrix_report),
        cmocka_unit_test(test_load_violations),      cmocka_unit_test(test_release_details),
        cmocka_unit_test(test_load_inline_bookings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
