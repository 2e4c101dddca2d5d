/*
 * h2batch: the bridge between the worker pool's requests and the HTTP/2
 * single-packet transport, and the fallback to last-byte. Kept apart from
 * race.c so the scenario runner only chooses a release, and apart from
 * h2race.c so the transport knows nothing of libcurl's request shape.
 */
#include "h2batch.h"

#include "alloc.h"

#ifdef BOOKRACE_HAVE_H2
#include "h2race.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int br_h2_batch_available(void)
{
#ifdef BOOKRACE_HAVE_H2
    return 1;
#else
    return 0;
#endif
}

static int64_t fall_back(br_pool *pool, br_request **reqs, size_t count, br_h2_batch_result *out,
                         const char *why)
{
    snprintf(out->note, sizeof(out->note),
             "HTTP/2 single-packet release not possible (%s): released with last-byte over HTTP/1.1 instead",
             why);
    out->used_h2 = 0;
    return br_pool_run(pool, reqs, count, 1, BR_RELEASE_LAST_BYTE);
}

#ifdef BOOKRACE_HAVE_H2
/* The request's headers as "Name: value" lines (borrowed from its curl_slist). */
static const char **header_lines(const br_request *r, size_t *n)
{
    *n = 0;
    for (const struct curl_slist *h = r->headers; h; h = h->next)
        (*n)++;
    const char **lines = xcalloc(*n + 1, sizeof(char *));
    size_t i = 0;
    for (const struct curl_slist *h = r->headers; h; h = h->next)
        lines[i++] = h->data;
    return lines;
}

/* Fills a pool request from its HTTP/2 twin, as br_pool_run would have: times relative to the origin. */
static void copy_back(br_request *r, br_h2_request *h, int64_t invoke_us, int64_t origin_us)
{
    r->curl_code = CURLE_OK;
    r->curl_error[0] = '\0';
    r->status = h->status;
    r->response = h->response;
    r->response_len = h->response_len;
    h->response = NULL;
    r->recorded = h->recorded;
    h->recorded = NULL;
    r->invoke_us = invoke_us - origin_us;
    r->last_byte_us = h->last_byte_us ? h->last_byte_us - origin_us : 0;
    r->complete_us = (h->complete_us ? h->complete_us : br_monotonic_us()) - origin_us;
    r->done = 1;
    if (h->status == 0 || h->error[0]) {
        r->status = 0;
        r->curl_code = strstr(h->error, "no response within") ? CURLE_OPERATION_TIMEDOUT : CURLE_RECV_ERROR;
        snprintf(r->curl_error, sizeof(r->curl_error), "HTTP/2: %s", h->error[0] ? h->error : "no response");
        free(r->response);
        r->response = NULL;
        r->response_len = 0;
        free(r->recorded);
        r->recorded = NULL;
    }
}

static void describe_split(br_h2_batch_result *out, const br_h2_report *rep, size_t count)
{
    out->connections = rep->connections;
    out->writes = rep->writes;
    out->segments = rep->segments;
    out->server_max_streams = rep->server_max_streams;
    if (rep->note[0])
        snprintf(out->note, sizeof(out->note), "%s", rep->note);
    (void)count;
}

int64_t br_h2_batch_run(br_pool *pool, br_request **reqs, size_t count, const br_h2_batch_options *opt,
                        atomic_int *stop, br_h2_batch_result *out)
{
    memset(out, 0, sizeof(*out));
    out->segments = -1;
    if (count == 0)
        return 0;
    br_h2_request *h = xcalloc(count, sizeof(*h));
    const char ***lines = xcalloc(count, sizeof(*lines));
    long timeout_ms = 0;
    for (size_t i = 0; i < count; i++) {
        h[i].url = reqs[i]->url;
        h[i].method = reqs[i]->method;
        h[i].headers = lines[i] = header_lines(reqs[i], &h[i].header_count);
        h[i].body = reqs[i]->body;
        h[i].body_len = reqs[i]->body ? reqs[i]->body_len : 0;
        h[i].record_headers = reqs[i]->record_headers;
        h[i].record_header_count = reqs[i]->record_header_count;
        h[i].release_offset_us = reqs[i]->release_offset_us;
        if (reqs[i]->timeout_ms > timeout_ms) /* a staggered racer's timeout includes its offset */
            timeout_ms = reqs[i]->timeout_ms;
    }
    br_h2_options o = {.timeout_ms = (int)timeout_ms,
                       .tls_insecure = opt->tls_insecure,
                       .ca_file = opt->ca_file,
                       .max_streams = opt->max_streams,
                       .max_response = BR_MAX_RESPONSE,
                       .stop = stop};
    br_h2_report rep;
    char err[512];
    int64_t invoke_us = br_monotonic_us(), skew = 0;
    int rc = br_h2race_run(&o, h, count, &rep, err, sizeof(err));
    if (rc == BR_H2_OK || rc == BR_H2_EINTERRUPTED) {
        int64_t first = INT64_MAX, last = INT64_MIN;
        for (size_t i = 0; i < count; i++) {
            if (rc == BR_H2_EINTERRUPTED)
                snprintf(h[i].error, sizeof(h[i].error), "interrupted");
            copy_back(reqs[i], &h[i], invoke_us, br_pool_origin_us(pool));
            if (reqs[i]->last_byte_us) {
                first = reqs[i]->last_byte_us < first ? reqs[i]->last_byte_us : first;
                last = reqs[i]->last_byte_us > last ? reqs[i]->last_byte_us : last;
            }
        }
        out->used_h2 = rc == BR_H2_OK;
        describe_split(out, &rep, count);
        skew = last > first ? last - first : 0;
    }
    for (size_t i = 0; i < count; i++) {
        br_h2_request_reset(&h[i]);
        free(lines[i]);
    }
    free(lines);
    free(h);
    if (rc != BR_H2_OK && rc != BR_H2_EINTERRUPTED)
        return fall_back(pool, reqs, count, out, err);
    return skew;
}
#else
int64_t br_h2_batch_run(br_pool *pool, br_request **reqs, size_t count, const br_h2_batch_options *opt,
                        atomic_int *stop, br_h2_batch_result *out)
{
    (void)opt, (void)stop;
    memset(out, 0, sizeof(*out));
    out->segments = -1;
    return fall_back(pool, reqs, count, out, "this bookrace was built without HTTP/2 (BOOKRACE_H2=OFF)");
}
#endif
