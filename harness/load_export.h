/*
 * Exports of a load a release pipeline keeps beside load.json: the per-second
 * series as CSV (a spreadsheet or a plotting script reads it) and the final
 * counters and histograms as OpenMetrics text (a Prometheus node-exporter
 * textfile collector or a pushgateway reads it). Pure formatting of a result
 * into a string, so the unit tests check the text.
 */
#ifndef BR_LOAD_EXPORT_H
#define BR_LOAD_EXPORT_H

#include "load_results.h"
#include "loadgen.h"

/*
 * "second,operation,requests,p50_us,p90_us,p99_us", one row per whole second
 * and operation (the last, partial second is left out). Caller frees.
 */
char *br_load_csv(const br_load_config *cfg, const br_load_result *res);

/*
 * OpenMetrics text: bookrace_load_requests_total{operation,status},
 * bookrace_load_errors_total{kind}, bookrace_load_latency_seconds histogram per
 * operation (cumulative buckets from 100 us to 10 s, +Inf, _sum, _count),
 * bookrace_load_throughput_per_second, bookrace_load_violations (when
 * |violations| >= 0) and bookrace_load_threshold_ok{threshold}; ends with
 * "# EOF". Caller frees.
 */
char *br_load_openmetrics(const br_load_config *cfg, const br_load_result *res, long violations,
                          const br_load_thresholds *th);

#endif
