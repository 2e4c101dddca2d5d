/*
 * Applies http_head.c's rules to every HTTP/1.x request head h2o parses.
 *
 * h2o 2.2 gives a handler no way to see the raw framing fields (it consumes
 * Content-Length, Transfer-Encoding and Host while parsing, keeping the
 * first Content-Length and the last Host), so bookd wraps the parser
 * itself: libh2o calls phr_parse_request through its PLT, bookd defines the
 * symbol, calls the library's own (dlsym RTLD_NEXT) and checks the result.
 * A refused head is rewritten into a body-less GET of a marker target with
 * "Connection: close": h2o then runs bookd's handler, which answers a JSON
 * 400 naming the rule, and closes the connection, so no byte after the head
 * is ever read as another request. test_bookd_framing proves the wrap takes
 * effect (a build where it did not would fail it).
 */

#include "http_head.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* picohttpparser's header field, as libh2o was built with it. */
struct phr_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
};

typedef int (*parse_request_fn)(const char *buf, size_t len, const char **method, size_t *method_len,
                                const char **path, size_t *path_len, int *minor_version,
                                struct phr_header *headers, size_t *num_headers, size_t last_len);

/* h2o's limit on header fields per request (H2O_MAX_HEADERS). */
#define MAX_FIELDS 100

static parse_request_fn real_parse;
static pthread_once_t resolve_once = PTHREAD_ONCE_INIT;

static void resolve(void)
{
    real_parse = (parse_request_fn)dlsym(RTLD_NEXT, "phr_parse_request");
    if (real_parse == NULL) {
        fprintf(stderr, "bookd: cannot find h2o's phr_parse_request: %s\n", dlerror());
        abort();
    }
}

static int is_framing_field(const struct phr_header *h)
{
    static const char *const names[] = {"content-length", "transfer-encoding", "host", "connection"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (h->name_len == strlen(names[i]) && strncasecmp(h->name, names[i], h->name_len) == 0)
            return 1;
    return 0;
}

/* Turns the head into "GET <marker>" with no framing fields and "Connection: close". */
static void rewrite_refused(bookd_head_verdict v, const char **method, size_t *method_len, const char **path,
                            size_t *path_len, struct phr_header *headers, size_t *num_headers)
{
    /* h2o lower-cases field names in place, so what it gets must be writable: per-thread copies. */
    static _Thread_local char connection[] = "connection", close_value[] = "close", get[] = "GET", marker[3];
    size_t kept = 0;
    for (size_t i = 0; i < *num_headers && kept < MAX_FIELDS - 1; i++)
        if (!is_framing_field(&headers[i]))
            headers[kept++] = headers[i];
    headers[kept++] = (struct phr_header){connection, 10, close_value, 5};
    *num_headers = kept;
    *method = get;
    *method_len = 3;
    memcpy(marker, bookd_head_marker(v, path_len), sizeof(marker));
    *path = marker;
}

int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len)
{
    pthread_once(&resolve_once, resolve);
    int rc = real_parse(buf, len, method, method_len, path, path_len, minor_version, headers, num_headers,
                        last_len);
    if (rc <= 0 || *num_headers > MAX_FIELDS)
        return rc;
    bookd_head_field fields[MAX_FIELDS];
    for (size_t i = 0; i < *num_headers; i++)
        fields[i] =
            (bookd_head_field){headers[i].name, headers[i].name_len, headers[i].value, headers[i].value_len};
    bookd_head_verdict v = bookd_head_check(*minor_version, fields, *num_headers);
    if (v != BOOKD_HEAD_OK)
        rewrite_refused(v, method, method_len, path, path_len, headers, num_headers);
    return rc;
}
