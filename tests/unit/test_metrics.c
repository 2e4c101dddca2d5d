#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static void test_render_counts_and_histogram(void **state)
{
    (void)state;
    bookd_metrics *m = bookd_metrics_new();
    bookd_metrics_request(m, BOOKD_ROUTE_BOOK_JOB, 201, 300);
    bookd_metrics_request(m, BOOKD_ROUTE_BOOK_JOB, 409, 2000);
    bookd_metrics_request(m, BOOKD_ROUTE_BOOK_JOB, 409, 3000000);
    bookd_metrics_request(m, BOOKD_ROUTE_HEALTH, 299, 1);
    bookd_metrics_booking_created(m);
    bookd_metrics_conflict(m, BOOKD_CONFLICT_REASON_UNIQUE_INDEX);
    bookd_metrics_cache(m, 1);
    bookd_metrics_cache(m, 0);
    bookd_metrics_cache(m, 0);
    bookd_metrics_deferred(m, 2);
    bookd_metrics_deferred(m, -1);
    size_t len;
    char *text = bookd_metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "bookd_requests_total{route=\"book_job\",status=\"201\"} 1\n"));
    assert_non_null(strstr(text, "bookd_requests_total{route=\"book_job\",status=\"409\"} 2\n"));
    assert_non_null(strstr(text, "bookd_requests_total{route=\"health\",status=\"other\"} 1\n"));
    /* Buckets are cumulative: 300us lands in le=0.0005, 2ms in le=0.0025, 3s only in +Inf. */
    assert_non_null(
        strstr(text, "bookd_request_duration_seconds_bucket{route=\"book_job\",le=\"0.00025\"} 0\n"));
    assert_non_null(
        strstr(text, "bookd_request_duration_seconds_bucket{route=\"book_job\",le=\"0.0005\"} 1\n"));
    assert_non_null(
        strstr(text, "bookd_request_duration_seconds_bucket{route=\"book_job\",le=\"0.0025\"} 2\n"));
    assert_non_null(strstr(text, "bookd_request_duration_seconds_bucket{route=\"book_job\",le=\"2.5\"} 2\n"));
    assert_non_null(
        strstr(text, "bookd_request_duration_seconds_bucket{route=\"book_job\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(text, "bookd_request_duration_seconds_count{route=\"book_job\"} 3\n"));
    assert_non_null(strstr(text, "bookd_bookings_created_total 1\n"));
    assert_non_null(strstr(text, "bookd_conflicts_total{reason=\"unique-index\"} 1\n"));
    assert_non_null(strstr(text, "bookd_conflicts_total{reason=\"overlap\"} 0\n"));
    assert_non_null(strstr(text, "bookd_slot_cache_hits_total 1\n"));
    assert_non_null(strstr(text, "bookd_slot_cache_misses_total 2\n"));
    assert_non_null(strstr(text, "bookd_deferred_writes 1\n"));
    /* Routes with no traffic are left out rather than printed as zeros. */
    assert_null(strstr(text, "route=\"cancel\""));
    free(text);
    bookd_metrics_del(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_counts_and_histogram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
