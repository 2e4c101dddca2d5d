/*
 * bookd's Prometheus metrics (metrics.h): per-route request counts and
 * latency histograms, conflicts by reason, bookings, holds, cache hits and
 * deferred writes, kept in atomics so every thread counts without a lock,
 * rendered as text for GET /metrics.
 */
#include "metrics.h"

#include "alloc.h"
#include "strbuf.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The status codes bookd answers with; anything else is counted as "other". */
static const int tracked_statuses[] = {200, 201, 400, 401, 404, 405, 409, 413, 431, 500, 503};
#define STATUS_COUNT (sizeof(tracked_statuses) / sizeof(tracked_statuses[0]) + 1)

/* Histogram bucket upper bounds, in microseconds. */
static const int64_t bucket_bounds_us[] = {100,   250,   500,    1000,   2500,   5000,    10000,
                                           25000, 50000, 100000, 250000, 500000, 1000000, 2500000};
#define BUCKET_COUNT (sizeof(bucket_bounds_us) / sizeof(bucket_bounds_us[0]))

typedef _Atomic uint64_t counter;

struct bookd_metrics {
    counter requests[BOOKD_ROUTE_COUNT][STATUS_COUNT];
    counter latency_buckets[BOOKD_ROUTE_COUNT][BUCKET_COUNT]; /* not cumulative; summed on render */
    counter latency_count[BOOKD_ROUTE_COUNT];
    counter latency_sum_us[BOOKD_ROUTE_COUNT];
    counter bookings_created, holds_created;
    counter conflicts[BOOKD_CONFLICT_REASON_COUNT];
    counter cache_hits, cache_misses;
    _Atomic int64_t deferred_writes;
};

static const char *const route_names[BOOKD_ROUTE_COUNT] = {
    "health", "metrics", "optimal_slots", "book_job", "event", "cancel", "inspections", "clock", "unknown",
};

static const char *const reason_names[BOOKD_CONFLICT_REASON_COUNT] = {"overlap", "hold", "unique-index"};

const char *bookd_route_name(bookd_route route)
{
    return route_names[route];
}

const char *bookd_conflict_reason_name(bookd_conflict_reason reason)
{
    return reason_names[reason];
}

bookd_metrics *bookd_metrics_new(void)
{
    /* xcalloc gives all-zero bits, which is a valid zero for lock-free atomics on every target we build for.
     */
    return xcalloc(1, sizeof(bookd_metrics));
}

void bookd_metrics_del(bookd_metrics *metrics)
{
    free(metrics);
}

static void bump(counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t read_counter(counter *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

void bookd_metrics_request(bookd_metrics *m, bookd_route route, int status, int64_t duration_us)
{
    size_t s = STATUS_COUNT - 1;
    for (size_t i = 0; i < STATUS_COUNT - 1; i++)
        if (tracked_statuses[i] == status)
            s = i;
    bump(&m->requests[route][s], 1);
    if (duration_us < 0)
        duration_us = 0;
    for (size_t b = 0; b < BUCKET_COUNT; b++) {
        if (duration_us <= bucket_bounds_us[b]) {
            bump(&m->latency_buckets[route][b], 1);
            break;
        }
    }
    bump(&m->latency_count[route], 1);
    bump(&m->latency_sum_us[route], (uint64_t)duration_us);
}

void bookd_metrics_booking_created(bookd_metrics *m)
{
    bump(&m->bookings_created, 1);
}

void bookd_metrics_hold_created(bookd_metrics *m)
{
    bump(&m->holds_created, 1);
}

void bookd_metrics_conflict(bookd_metrics *m, bookd_conflict_reason reason)
{
    bump(&m->conflicts[reason], 1);
}

void bookd_metrics_cache(bookd_metrics *m, int hit)
{
    bump(hit ? &m->cache_hits : &m->cache_misses, 1);
}

void bookd_metrics_deferred(bookd_metrics *m, int delta)
{
    atomic_fetch_add_explicit(&m->deferred_writes, delta, memory_order_relaxed);
}

char *bookd_metrics_render(bookd_metrics *m, size_t *len)
{
    bookd_strbuf t;
    bookd_strbuf_init(&t, 8192, 0);
    bookd_strbuf_printf(&t, "# HELP bookd_requests_total HTTP requests by route and status.\n"
                            "# TYPE bookd_requests_total counter\n");
    for (int r = 0; r < BOOKD_ROUTE_COUNT; r++) {
        for (size_t s = 0; s < STATUS_COUNT; s++) {
            uint64_t n = read_counter(&m->requests[r][s]);
            if (n == 0)
                continue;
            if (s < STATUS_COUNT - 1)
                bookd_strbuf_printf(&t, "bookd_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                                    route_names[r], tracked_statuses[s], (unsigned long long)n);
            else
                bookd_strbuf_printf(&t, "bookd_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                                    route_names[r], (unsigned long long)n);
        }
    }
    bookd_strbuf_printf(&t, "# HELP bookd_request_duration_seconds Time from request to response, by route.\n"
                            "# TYPE bookd_request_duration_seconds histogram\n");
    for (int r = 0; r < BOOKD_ROUTE_COUNT; r++) {
        uint64_t count = read_counter(&m->latency_count[r]);
        if (count == 0)
            continue;
        uint64_t cumulative = 0;
        for (size_t b = 0; b < BUCKET_COUNT; b++) {
            cumulative += read_counter(&m->latency_buckets[r][b]);
            bookd_strbuf_printf(&t, "bookd_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                                route_names[r], (double)bucket_bounds_us[b] / 1e6,
                                (unsigned long long)cumulative);
        }
        bookd_strbuf_printf(&t, "bookd_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                            route_names[r], (unsigned long long)count);
        bookd_strbuf_printf(&t, "bookd_request_duration_seconds_sum{route=\"%s\"} %.6f\n", route_names[r],
                            (double)read_counter(&m->latency_sum_us[r]) / 1e6);
        bookd_strbuf_printf(&t, "bookd_request_duration_seconds_count{route=\"%s\"} %llu\n", route_names[r],
                            (unsigned long long)count);
    }
    bookd_strbuf_printf(&t,
                        "# HELP bookd_bookings_created_total Inspections booked (201).\n"
                        "# TYPE bookd_bookings_created_total counter\n"
                        "bookd_bookings_created_total %llu\n"
                        "# HELP bookd_holds_created_total Working holds placed (201).\n"
                        "# TYPE bookd_holds_created_total counter\n"
                        "bookd_holds_created_total %llu\n"
                        "# HELP bookd_conflicts_total Writes refused with 409, by reason.\n"
                        "# TYPE bookd_conflicts_total counter\n",
                        (unsigned long long)read_counter(&m->bookings_created),
                        (unsigned long long)read_counter(&m->holds_created));
    for (int c = 0; c < BOOKD_CONFLICT_REASON_COUNT; c++)
        bookd_strbuf_printf(&t, "bookd_conflicts_total{reason=\"%s\"} %llu\n", reason_names[c],
                            (unsigned long long)read_counter(&m->conflicts[c]));
    bookd_strbuf_printf(
        &t,
        "# HELP bookd_slot_cache_hits_total Optimal-slots responses served from the cache.\n"
        "# TYPE bookd_slot_cache_hits_total counter\n"
        "bookd_slot_cache_hits_total %llu\n"
        "# HELP bookd_slot_cache_misses_total Optimal-slots responses computed.\n"
        "# TYPE bookd_slot_cache_misses_total counter\n"
        "bookd_slot_cache_misses_total %llu\n"
        "# HELP bookd_deferred_writes Writes paused between check and insert (A-notx race window).\n"
        "# TYPE bookd_deferred_writes gauge\n"
        "bookd_deferred_writes %lld\n",
        (unsigned long long)read_counter(&m->cache_hits), (unsigned long long)read_counter(&m->cache_misses),
        (long long)atomic_load_explicit(&m->deferred_writes, memory_order_relaxed));
    return bookd_strbuf_take(&t, len);
}
