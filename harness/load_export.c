/*
 * CSV and OpenMetrics exports of a load (see load_export.h). Both are built
 * in memory with open_memstream and written atomically by the caller, like
 * every result file.
 */
#include "load_export.h"

#include <stdio.h>
#include <stdlib.h>

/* Whole seconds only, as in load.json's timeseries. */
static size_t whole_seconds(const br_load_result *res)
{
    size_t n = 0;
    while (n < res->seconds && (double)(n + 1) <= res->measured_s + 1e-6)
        n++;
    return n;
}

char *br_load_csv(const br_load_config *cfg, const br_load_result *res)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "second,operation,requests,p50_us,p90_us,p99_us\n");
    for (size_t s = 0; s < whole_seconds(res); s++)
        for (int o = 0; o < cfg->op_count; o++) {
            size_t cell = s * (size_t)cfg->op_count + (size_t)o;
            fprintf(f, "%zu,%s,%llu,%lld,%lld,%lld\n", s, cfg->op_names[o],
                    (unsigned long long)res->op_second_count[cell], (long long)res->op_second_p50[cell],
                    (long long)res->op_second_p90[cell], (long long)res->op_second_p99[cell]);
        }
    fclose(f);
    return text;
}

/* Label values escape backslash, quote and newline (OpenMetrics ABNF). */
static void label_value(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f);
        if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

/* le bounds in seconds: 100 us .. 10 s, 1-2.5-5 per decade. */
static const double bounds_s[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                  0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

static void histogram(FILE *f, const char *op, const br_hist *h)
{
    size_t b = 0;
    uint64_t cum = 0;
    for (size_t k = 0; k < sizeof(bounds_s) / sizeof(bounds_s[0]); k++) {
        int64_t le_us = (int64_t)(bounds_s[k] * 1e6 + 0.5);
        /* A bucket counts under |le| when its highest value is at most le (exact at these bounds). */
        for (; b < BR_HIST_BUCKETS && br_hist_highest(b) <= le_us; b++)
            cum += h->counts[b];
        fprintf(f, "bookrace_load_latency_seconds_bucket{operation=\"%s\",le=\"%g\"} %llu\n", op, bounds_s[k],
                (unsigned long long)cum);
    }
    fprintf(f, "bookrace_load_latency_seconds_bucket{operation=\"%s\",le=\"+Inf\"} %llu\n", op,
            (unsigned long long)h->total);
    fprintf(f, "bookrace_load_latency_seconds_sum{operation=\"%s\"} %.6f\n", op, h->sum / 1e6);
    fprintf(f, "bookrace_load_latency_seconds_count{operation=\"%s\"} %llu\n", op,
            (unsigned long long)h->total);
}

static void counters(FILE *f, const br_load_config *cfg, const br_load_result *res)
{
    fprintf(f, "# TYPE bookrace_load_requests counter\n# HELP bookrace_load_requests Measured requests by "
               "operation and HTTP status.\n");
    for (int o = 0; o < cfg->op_count; o++)
        for (int s = 0; s < BR_LOAD_MAX_STATUSES && res->statuses[o][s].count; s++)
            fprintf(f, "bookrace_load_requests_total{operation=\"%s\",status=\"%d\"} %llu\n",
                    cfg->op_names[o], res->statuses[o][s].status,
                    (unsigned long long)res->statuses[o][s].count);
    fprintf(f, "# TYPE bookrace_load_errors counter\n# HELP bookrace_load_errors Requests that got no "
               "response, by kind.\n");
    const struct {
        const char *kind;
        uint64_t n;
    } kinds[] = {{"connect", res->errors_connect}, {"read", res->errors_read},
                 {"write", res->errors_write},     {"timeout", res->errors_timeout},
                 {"parse", res->errors_parse},     {"unfinished", res->unfinished}};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        fprintf(f, "bookrace_load_errors_total{kind=\"%s\"} %llu\n", kinds[k].kind,
                (unsigned long long)kinds[k].n);
}

char *br_load_openmetrics(const br_load_config *cfg, const br_load_result *res, long violations,
                          const br_load_thresholds *th)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    counters(f, cfg, res);
    fprintf(f,
            "# TYPE bookrace_load_latency_seconds histogram\n# UNIT bookrace_load_latency_seconds seconds\n"
            "# HELP bookrace_load_latency_seconds Latency of measured requests.\n");
    for (int o = 0; o < cfg->op_count; o++)
        histogram(f, cfg->op_names[o], res->hist[o]);
    fprintf(f, "# TYPE bookrace_load_throughput_per_second gauge\n# HELP bookrace_load_throughput_per_second "
               "Measured requests per second over the measured period.\n");
    for (int o = 0; o < cfg->op_count; o++)
        fprintf(f, "bookrace_load_throughput_per_second{operation=\"%s\"} %.3f\n", cfg->op_names[o],
                res->measured_s > 0 ? (double)res->requests[o] / res->measured_s : 0.0);
    if (violations >= 0)
        fprintf(f,
                "# TYPE bookrace_load_violations gauge\n# HELP bookrace_load_violations Violations the "
                "oracle found.\nbookrace_load_violations %ld\n",
                violations);
    if (th && th->count > 0) {
        fprintf(f, "# TYPE bookrace_load_threshold_ok gauge\n# HELP bookrace_load_threshold_ok 1 when the "
                   "threshold held.\n");
        for (size_t i = 0; i < th->count; i++) {
            fprintf(f, "bookrace_load_threshold_ok{threshold=\"");
            label_value(f, th->items[i].text);
            fprintf(f, "\"} %d\n", th->ok[i]);
        }
    }
    fprintf(f, "# EOF\n");
    fclose(f);
    return text;
}
