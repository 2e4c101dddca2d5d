/*
 * Process-wide counters for GET /metrics (Prometheus text format 0.0.4).
 * Every counter is a relaxed atomic: threads only add, the scrape only reads,
 * and a scrape that sees one counter a request ahead of another is harmless.
 */
#ifndef BOOKD_METRICS_H
#define BOOKD_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    BOOKD_ROUTE_HEALTH,
    BOOKD_ROUTE_METRICS,
    BOOKD_ROUTE_OPTIMAL_SLOTS,
    BOOKD_ROUTE_BOOK_JOB,
    BOOKD_ROUTE_EVENT,
    BOOKD_ROUTE_CANCEL,
    BOOKD_ROUTE_INSPECTIONS,
    BOOKD_ROUTE_CLOCK,
    BOOKD_ROUTE_UNKNOWN,
    BOOKD_ROUTE_COUNT
} bookd_route;

typedef enum {
    BOOKD_CONFLICT_REASON_OVERLAP,
    BOOKD_CONFLICT_REASON_HOLD,
    BOOKD_CONFLICT_REASON_UNIQUE_INDEX,
    BOOKD_CONFLICT_REASON_COUNT
} bookd_conflict_reason;

typedef struct bookd_metrics bookd_metrics;

bookd_metrics *bookd_metrics_new(void);
void bookd_metrics_del(bookd_metrics *metrics);

const char *bookd_route_name(bookd_route route);
const char *bookd_conflict_reason_name(bookd_conflict_reason reason);

void bookd_metrics_request(bookd_metrics *metrics, bookd_route route, int status, int64_t duration_us);
void bookd_metrics_booking_created(bookd_metrics *metrics);
void bookd_metrics_hold_created(bookd_metrics *metrics);
void bookd_metrics_conflict(bookd_metrics *metrics, bookd_conflict_reason reason);
void bookd_metrics_cache(bookd_metrics *metrics, int hit);
/* Writes paused in an A-notx race window right now (a gauge; +1 on entry, -1 on exit). */
void bookd_metrics_deferred(bookd_metrics *metrics, int delta);

/* Renders the exposition text into a malloc'd string (caller frees). */
char *bookd_metrics_render(bookd_metrics *metrics, size_t *len);

#endif
