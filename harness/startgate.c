/*
 * The coordinated start (see startgate.h): a wall-clock start time and a
 * poll-until-released gate. The poll uses a blocking libcurl handle, reused
 * across polls so that keep-alive saves a connect per poll: it runs before
 * the load, where neither precision of the load nor volume is at stake, only
 * how soon after the release a segment notices it.
 */
#include "startgate.h"

#include "iso8601.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

int br_start_at_parse(const char *text, int64_t *out_wall_us, char *err, size_t errlen)
{
    size_t len = strlen(text);
    int64_t offset_us = 0;
    char buf[64];
    /* A numeric zone "+hh:mm" / "-hh:mm": convert to UTC, which br_time_parse reads. */
    if (len > 6 && len < sizeof(buf) && (text[len - 6] == '+' || text[len - 6] == '-') &&
        text[len - 3] == ':') {
        const char *z = text + len - 5;
        if (z[0] < '0' || z[0] > '2' || z[1] < '0' || z[1] > '9' || z[3] < '0' || z[3] > '5' || z[4] < '0' ||
            z[4] > '9') {
            snprintf(err, errlen, "--start-at '%s': the zone offset is not +hh:mm or -hh:mm", text);
            return -1;
        }
        int minutes = ((z[0] - '0') * 10 + (z[1] - '0')) * 60 + (z[3] - '0') * 10 + (z[4] - '0');
        offset_us = (int64_t)minutes * 60 * BR_USEC_PER_SEC * (text[len - 6] == '+' ? 1 : -1);
        snprintf(buf, sizeof(buf), "%.*sZ", (int)(len - 6), text);
        text = buf;
        len = strlen(buf);
    }
    int64_t us;
    int rc = br_time_parse(text, len, &us);
    if (rc != 0) {
        snprintf(err, errlen, "--start-at '%s': %s (expected RFC 3339, e.g. 2026-11-28T11:00:00Z)", text,
                 br_time_strerror(rc));
        return -1;
    }
    *out_wall_us = us - offset_us;
    return 0;
}

int br_start_at_wait(int64_t at_wall_us, int64_t max_wait_us, atomic_int *stop, int64_t *late_us, char *err,
                     size_t errlen)
{
    int64_t now = br_wall_us();
    *late_us = 0;
    if (at_wall_us - now > max_wait_us || now - at_wall_us > max_wait_us) {
        char at[BR_TIME_BUFSIZE], nows[BR_TIME_BUFSIZE];
        br_time_format(at_wall_us, at);
        br_time_format(now, nows);
        snprintf(err, errlen, "--start-at %s is more than %lld s from now (%s)", at,
                 (long long)(max_wait_us / BR_USEC_PER_SEC), nows);
        return -1;
    }
    /* Sleep in slices of at most 100 ms, so a stop (Ctrl-C) is honoured promptly. */
    while ((now = br_wall_us()) < at_wall_us) {
        if (stop && atomic_load(stop))
            return 1;
        int64_t until = at_wall_us - now > 100000 ? now + 100000 : at_wall_us;
        struct timespec ts = {.tv_sec = until / BR_USEC_PER_SEC, .tv_nsec = (until % BR_USEC_PER_SEC) * 1000};
        int rc;
        while ((rc = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL)) == EINTR &&
               !(stop && atomic_load(stop)))
            ;
    }
    *late_us = now - at_wall_us;
    return 0;
}

char *br_start_ready_url(const char *url, int index, int count)
{
    size_t cap = strlen(url) + 64;
    char *out = xmalloc(cap);
    snprintf(out, cap, "%s%csegment=%d&count=%d", url, strchr(url, '?') ? '&' : '?', index, count);
    return out;
}

static size_t discard(char *p, size_t s, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return s * n;
}

int br_start_when_ready(const char *url, int64_t poll_us, int64_t timeout_us, atomic_int *stop, long *polls,
                        char *err, size_t errlen)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(err, errlen, "--start-when-ready: cannot create an HTTP client");
        return -1;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    char last[256] = "no answer yet";
    int64_t deadline = br_wall_us() + timeout_us;
    int rc = -1;
    *polls = 0;
    for (;;) {
        if (stop && atomic_load(stop)) {
            rc = 1;
            break;
        }
        int64_t sent = br_wall_us();
        CURLcode cc = curl_easy_perform(curl);
        (*polls)++;
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (cc == CURLE_OK && status >= 200 && status < 300) {
            rc = 0;
            break;
        }
        if (cc != CURLE_OK)
            snprintf(last, sizeof(last), "%s", curl_easy_strerror(cc));
        else
            snprintf(last, sizeof(last), "HTTP %ld", status);
        int64_t now = br_wall_us();
        if (now >= deadline)
            break;
        int64_t wait = sent + poll_us - now;
        if (wait > 0) {
            struct timespec ts = {.tv_sec = wait / BR_USEC_PER_SEC,
                                  .tv_nsec = (wait % BR_USEC_PER_SEC) * 1000};
            nanosleep(&ts, NULL);
        }
    }
    curl_easy_cleanup(curl);
    if (rc < 0)
        snprintf(err, errlen,
                 "--start-when-ready: %s did not release this segment within %.1f s (%ld polls, last: %s)",
                 url, (double)timeout_us / 1e6, *polls, last);
    return rc;
}
