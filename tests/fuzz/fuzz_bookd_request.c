/*
 * bookd's request handling, from bytes: the same routing, parsing and
 * validation the server runs, on an in-memory store per fix mode. Input:
 * one byte choosing the mode, then method, path, query and Authorization
 * lines, then the body.
 */
#include "api.h"
#include "seed.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MODES 5

static bookd_api *apis[MODES];
static bookd_catalog catalogs[MODES];
static bookd_clock *clock_;
static bookd_slot_cache *cache;
static bookd_metrics *metrics;
static unsigned long runs;

static void setup(void)
{
    char err[256];
    clock_ = bookd_clock_new(BOOKD_CLOCK_VIRTUAL, INT64_C(1796112000000000));
    cache = bookd_slot_cache_new(BOOKD_CACHE_TTL, INT64_C(300000000), 1 << 20);
    metrics = bookd_metrics_new();
    for (int m = 0; m < MODES; m++) {
        bookd_store *s;
        if (bookd_store_sqlite_open(":memory:", 10, &s, err, sizeof(err)) != 0 ||
            bookd_seed(s, "demo", err, sizeof(err)) != 0)
            abort();
        s->ops->set_unique_index(s, bookd_fix_has_index((bookd_fix)m));
        s->ops->load_catalog(s, &catalogs[m]);
        bookd_api_shared shared = {.catalog = &catalogs[m],
                                   .clock = clock_,
                                   .cache = cache,
                                   .cache_spec = "ttl:300",
                                   .metrics = metrics,
                                   .fix = (bookd_fix)m,
                                   .race_window_us = m == BOOKD_FIX_A_NOTX ? 1 : 0};
        apis[m] = bookd_api_new(&shared, s);
    }
}

/* Takes the next '\n'-terminated field; the last field takes the rest. */
static const char *field(const uint8_t **p, const uint8_t *end, size_t *len, int last)
{
    const uint8_t *start = *p;
    const uint8_t *nl = last ? NULL : memchr(start, '\n', (size_t)(end - start));
    const uint8_t *stop = nl ? nl : end;
    *len = (size_t)(stop - start);
    *p = nl ? nl + 1 : end;
    return (const char *)start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (apis[0] == NULL)
        setup();
    if (size < 1)
        return 0;
    bookd_api *api = apis[data[0] % MODES];
    const uint8_t *p = data + 1, *end = data + size;
    bookd_request req;
    memset(&req, 0, sizeof(req));
    req.method = field(&p, end, &req.method_len, 0);
    req.path = field(&p, end, &req.path_len, 0);
    size_t qlen, alen;
    const char *q = field(&p, end, &qlen, 0);
    const char *a = field(&p, end, &alen, 0);
    if (qlen) {
        req.query = q;
        req.query_len = qlen;
    }
    if (alen) {
        req.authorization = a;
        req.authorization_len = alen;
    }
    size_t blen;
    const char *body = field(&p, end, &blen, 1);
    if (blen) {
        req.body = body;
        req.body_len = blen;
    }
    bookd_response res;
    bookd_api_handle(api, &req, &res);
    if (res.status == 0 && res.deferred) {
        bookd_pending_write *pending = res.deferred;
        res.deferred = NULL;
        bookd_api_resume(api, pending, &res);
    }
    if (res.status < 200 || res.status > 599 || (res.body == NULL && res.status != 0))
        abort(); /* every request gets a real status and a body */
    bookd_response_clear(&res);
    /* Keep the in-memory databases small over millions of runs. */
    if (++runs % 20000 == 0)
        bookd_clock_advance(clock_, INT64_C(86400000000));
    return 0;
}
