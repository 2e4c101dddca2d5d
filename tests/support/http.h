/* Test support: blocking HTTP calls with libcurl's easy interface, and parallel ones with multi. */
#ifndef TEST_HTTP_H
#define TEST_HTTP_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    long status;
    char *body; /* malloc'd, NUL-terminated */
    size_t body_len;
    char x_cache[8];
    json_t *json; /* parsed body when it is JSON, else NULL */
} test_reply;

/* |port| on 127.0.0.1; |api_key| NULL for no Authorization; |body| NULL for no body. Fails the test on
 * transport errors. */
test_reply test_http(int port, const char *method, const char *target, const char *api_key, const char *body);
/* Sends raw bytes on a new connection and returns what came back (for malformed HTTP). */
char *test_http_raw(int port, const char *bytes, size_t len);
void test_reply_free(test_reply *r);

/*
 * Fires |count| POSTs at once (one connection each, all started before any
 * completes is not guaranteed) and stores each status in |statuses|.
 * |ports[i]| and |bodies[i]| per request.
 */
void test_http_parallel_post(const int *ports, const char *target, const char *api_key,
                             const char *const *bodies, int count, long *statuses);

/* The value of a Prometheus sample line starting with |series| in /metrics, or -1. */
double test_metric(int port, const char *series);

/* Reads a JSON string at a dotted path ("inspection._id"); NULL when absent. */
const char *test_json_str(json_t *root, const char *path);

#endif
