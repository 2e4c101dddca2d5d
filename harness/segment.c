/*
 * Execution segments (see segment.h): parsing --segment K/N and auto/N, and
 * cutting a load into N shares whose sum is exactly the whole load. Shares of
 * integers are contiguous ranges [floor(K*T/N), floor((K+1)*T/N)), so they
 * cover 0..T once, with sizes that differ by at most one, whatever T and N.
 */
#include "segment.h"

#include <stdio.h>
#include <string.h>

/* A decimal integer in [lo, hi] filling the whole of [s, s+len); -1 when it is not. */
static long parse_int(const char *s, size_t len, long lo, long hi)
{
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v < lo || v > hi ? -1 : v;
}

int br_segment_parse(const char *spec, const char *job_index, br_segment *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *slash = strchr(spec, '/');
    if (slash == NULL) {
        snprintf(err, errlen, "--segment '%s': expected K/N (K from 0 to N-1) or auto/N", spec);
        return -1;
    }
    long n = parse_int(slash + 1, strlen(slash + 1), 1, BR_SEGMENT_MAX);
    if (n < 0) {
        snprintf(err, errlen, "--segment '%s': N must be a whole number from 1 to %d", spec, BR_SEGMENT_MAX);
        return -1;
    }
    size_t klen = (size_t)(slash - spec);
    long k;
    if (klen == 4 && strncmp(spec, "auto", 4) == 0) {
        if (job_index == NULL || *job_index == '\0') {
            snprintf(err, errlen,
                     "--segment auto/%ld: JOB_COMPLETION_INDEX is not set (a Kubernetes Indexed Job sets it)",
                     n);
            return -1;
        }
        k = parse_int(job_index, strlen(job_index), 0, n - 1);
        if (k < 0) {
            snprintf(err, errlen,
                     "--segment auto/%ld: JOB_COMPLETION_INDEX='%s' is not a number from 0 to %ld", n,
                     job_index, n - 1);
            return -1;
        }
        out->from_env = 1;
    } else {
        k = parse_int(spec, klen, 0, n - 1);
        if (k < 0) {
            snprintf(err, errlen, "--segment '%s': K must be a whole number from 0 to %ld (0-based)", spec,
                     n - 1);
            return -1;
        }
    }
    out->index = (int)k;
    out->count = (int)n;
    return 0;
}

void br_segment_share(int index, int count, int64_t total, int64_t *lo, int64_t *hi)
{
    if (count <= 0) {
        *lo = 0;
        *hi = total;
        return;
    }
    *lo = total * index / count;
    *hi = total * (index + 1) / count;
}

int br_segment_plan_make(const br_segment *seg, long connections, double rate, long days, size_t actors,
                         br_segment_plan *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    int n = seg->count > 0 ? seg->count : 1, k = seg->count > 0 ? seg->index : 0;
    if (connections < n) {
        snprintf(err, errlen, "--connections %ld cannot be cut into %d segments: each needs one at least",
                 connections, n);
        return -1;
    }
    int64_t lo, hi;
    br_segment_share(k, n, connections, &lo, &hi);
    out->connections = (long)(hi - lo);
    out->rate = rate / n;
    out->day_lo = 0;
    out->day_hi = days;
    out->actor_lo = 0;
    out->actor_hi = actors;
    if (actors == 0 || n == 1)
        return 0;
    if (seg->shared_days) {
        if (actors < (size_t)n) {
            snprintf(err, errlen,
                     "--shared-days gives each segment its own actors: the scenario has %zu, fewer than %d "
                     "segments",
                     actors, n);
            return -1;
        }
        br_segment_share(k, n, (int64_t)actors, &lo, &hi);
        out->actor_lo = (size_t)lo;
        out->actor_hi = (size_t)hi;
    } else {
        if (days < n) {
            snprintf(err, errlen,
                     "--days %ld cannot give %d segments disjoint days: use --days %d or more, or "
                     "--shared-days",
                     days, n, n);
            return -1;
        }
        br_segment_share(k, n, days, &lo, &hi);
        out->day_lo = (long)lo;
        out->day_hi = (long)hi;
    }
    return 0;
}

json_t *br_segment_json(const br_segment *seg, const br_segment_plan *plan)
{
    return json_pack("{s:i, s:i, s:b, s:b, s:I, s:f, s:[I, I], s:[I, I]}", "index", seg->index, "count",
                     seg->count, "sharedDays", seg->shared_days, "fromEnv", seg->from_env, "connections",
                     (json_int_t)plan->connections, "rate", plan->rate, "days", (json_int_t)plan->day_lo,
                     (json_int_t)plan->day_hi, "actors", (json_int_t)plan->actor_lo,
                     (json_int_t)plan->actor_hi);
}
