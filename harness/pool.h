/*
 * The worker pool: N threads, each one libcurl multi handle and everything it
 * touches (its connections, its requests), as in wrk. The coordinator hands
 * the pool a batch of requests, each already assigned to a thread; the pool
 * runs the batch and returns when every request has completed.
 *
 * A batch may be released as a barrier:
 *   last-byte  every request with a body sends its headers and all but the
 *              final body byte (its read callback then returns
 *              CURL_READFUNC_PAUSE); once every thread has primed all of its
 *              requests, each thread unpauses its requests and one
 *              curl_multi_perform pass sends the final bytes;
 *   plain      threads first wait for each other, then start their requests.
 * Threads share only the batch description, an atomic release flag and the
 * stop flag.
 *
 * A barrier may be staggered (bookrace window, docs/window.md): racer k's
 * final byte leaves release_offset_us after the release instead of with it.
 * Each thread then uncorks its racers in offset order, sleeping (and driving
 * its transfers) until shortly before each one's time and spinning the rest;
 * a racer more than BR_CORK_HOLD_MAX_US away is handed to the kernel only
 * shortly before its time, as TCP_CORK holds a partial segment for 200 ms at
 * most. Every racer's actual final-byte time is recorded (last_byte_us).
 */
#ifndef BR_POOL_H
#define BR_POOL_H

#include "scenario.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* A racer whose offset is below this is corked before the release; a later one shortly before its time. */
#define BR_CORK_HOLD_MAX_US 100000

/* Responses larger than this are cut off and the request reported as indeterminate. */
#define BR_MAX_RESPONSE (1024 * 1024)

typedef struct br_request {
    /* Set by the caller. */
    int thread;
    char *url;
    const char *method;
    struct curl_slist *headers; /* borrowed */
    char *body;                 /* NULL for none */
    size_t body_len;
    long timeout_ms;
    const char *ca_file;         /* https: CA bundle (borrowed), NULL for the system's */
    int tls_insecure;            /* https: no certificate verification */
    char *const *record_headers; /* response headers to keep (the profile's recordHeaders), borrowed */
    size_t record_header_count;
    int64_t release_offset_us; /* barrier: the final byte leaves this long after the release (0: with it) */
    /* Set by the pool. */
    long status;        /* 0 when no response */
    CURLcode curl_code; /* CURLE_OK when a response arrived */
    char curl_error[CURL_ERROR_SIZE];
    char *response; /* malloc'd, NUL-terminated; NULL when empty */
    size_t response_len;
    char *recorded;       /* malloc'd "Name: value\n" lines of the record_headers present; NULL when none */
    int64_t invoke_us;    /* handed to libcurl */
    int64_t last_byte_us; /* the final body byte handed to libcurl (invoke_us when bodiless) */
    int64_t complete_us;  /* response complete or failure */
    /* Private to the pool. */
    CURL *easy;
    size_t sent;
    int hold_last_byte, primed, done;
    int fd; /* the request's socket, -1 when unknown */
} br_request;

typedef struct br_pool br_pool;

/* |clock_origin_us| is the monotonic time that request times are relative to. NULL on failure. */
br_pool *br_pool_new(int threads, int64_t clock_origin_us, atomic_int *stop);
void br_pool_del(br_pool *pool);
int br_pool_threads(const br_pool *pool);
/* The monotonic time request times are relative to (br_pool_new's |clock_origin_us|). */
int64_t br_pool_origin_us(const br_pool *pool);

/*
 * Runs the batch. |barrier| 0 starts the requests as each thread gets to
 * them; 1 releases them together with |release|. Returns the release skew
 * (last final byte minus first, in microseconds; 0 for fewer than two).
 */
int64_t br_pool_run(br_pool *pool, br_request **requests, size_t count, int barrier, br_release release);

/* Microseconds on the monotonic clock. */
int64_t br_monotonic_us(void);

#endif
