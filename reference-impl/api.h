/*
 * bookd's HTTP API, independent of the HTTP library: a request goes in as
 * plain byte ranges, a response comes out as a status and a malloc'd body.
 * server.c only moves bytes between h2o and this module, which keeps the
 * whole request path testable (and fuzzable) without sockets.
 *
 * One bookd_api belongs to one server thread (it holds that thread's store
 * connection); everything in bookd_api_shared is shared and read-only or
 * internally synchronised.
 */
#ifndef BOOKD_API_H
#define BOOKD_API_H

#include "booking.h"
#include "clock.h"
#include "metrics.h"
#include "slot_cache.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* Request bodies above this size are refused with 413. */
#define BOOKD_MAX_BODY (64 * 1024)
/* Request headers (names and values together) above this are refused with 431. */
#define BOOKD_MAX_HEADER_BYTES (16 * 1024)
/* Request targets (path and query) above this are refused with 414 (RFC 9112 section 3 suggests 8000). */
#define BOOKD_MAX_TARGET_BYTES 8192
/* Working holds expire after this long on the server's clock. */
#define BOOKD_HOLD_TTL_US (INT64_C(10) * 60 * 1000000)

typedef struct {
    const bookd_catalog *catalog;
    bookd_clock *clock;
    bookd_slot_cache *cache; /* always present; in "off" mode it stores nothing */
    const char *cache_spec;  /* the --slot-cache value, for /health */
    bookd_metrics *metrics;
    bookd_fix fix;
    int64_t race_window_us;
} bookd_api_shared;

typedef struct {
    const char *method;
    size_t method_len;
    const char *path; /* without the query string */
    size_t path_len;
    const char *query; /* after '?', NULL when absent */
    size_t query_len;
    const char *authorization; /* the header's value, NULL when absent */
    size_t authorization_len;
    const char *body; /* NULL when absent */
    size_t body_len;
    size_t header_bytes; /* the size of all header names and values */
} bookd_request;

typedef struct {
    int status; /* 0 means deferred: see |deferred| */
    char *body; /* malloc'd; free with bookd_response_clear */
    size_t body_len;
    const char *content_type; /* static string */
    const char *x_cache;      /* "HIT", "MISS" or NULL */
    const char *allow;        /* for 405, NULL otherwise */
    bookd_route route;
    /*
     * Set with status 0 when an A-notx write paused in its race window. The
     * caller owns it: it waits |defer_us| without blocking its event loop,
     * then calls bookd_api_resume(), even when the client went away meanwhile:
     * an async backend finishes the write whether or not anyone is listening.
     */
    bookd_pending_write *deferred;
    int64_t defer_us;
} bookd_response;

typedef struct bookd_api bookd_api;

/* Takes ownership of |store| (deleted with the api). */
bookd_api *bookd_api_new(const bookd_api_shared *shared, bookd_store *store);
void bookd_api_del(bookd_api *api);

/* Handles one request. Always fills |res|. */
void bookd_api_handle(bookd_api *api, const bookd_request *req, bookd_response *res);

/* Finishes a deferred write and fills |res|; frees |pending|. */
void bookd_api_resume(bookd_api *api, bookd_pending_write *pending, bookd_response *res);

void bookd_response_clear(bookd_response *res);

/* Finds the company of a bearer |key| in constant time per company; NULL if none. */
const bookd_company *bookd_catalog_company_by_key(const bookd_catalog *catalog, const char *key,
                                                  size_t key_len);

#endif
