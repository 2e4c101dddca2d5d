/*
 * Relative booking days (dayspec.h): a tiny grammar resolved once per run, so
 * CI runs on a persistent backend book a day that is not yesterday's.
 * Pure: the caller passes today, the tests pass any day they like.
 */
#include "dayspec.h"

#include "iso8601.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_AHEAD_DAYS 3650

static const char *const weekday_names[] = {"monday", "tuesday",  "wednesday", "thursday",
                                            "friday", "saturday", "sunday"};

int br_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (3). */
    int64_t w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static int parse_offset(const char *spec, int64_t *out)
{
    const char *p = spec + 1;
    if (*p < '0' || *p > '9')
        return -1;
    char *end;
    long n = strtol(p, &end, 10);
    if (end - p > 4 || (*end != 'd' && *end != 'w') || end[1] != '\0')
        return -1;
    int64_t days = *end == 'w' ? (int64_t)n * 7 : n;
    if (days > MAX_AHEAD_DAYS)
        return -1;
    *out = days;
    return 0;
}

/* The first day after |today| whose weekday satisfies |want| (-1: any of Monday..Friday). */
static int64_t next_matching(int64_t today, int want)
{
    for (int64_t d = today + 1;; d++) {
        int w = br_weekday(d);
        if (want < 0 ? w <= 4 : w == want)
            return d;
    }
}

int br_dayspec_is_relative(const char *spec)
{
    int64_t us;
    return br_date_parse(spec, strlen(spec), &us) != 0;
}

static int resolve_named(const char *spec, int64_t today, int64_t *out)
{
    if (strcmp(spec, "today") == 0)
        return *out = today, 0;
    if (strcmp(spec, "tomorrow") == 0)
        return *out = today + 1, 0;
    if (strncmp(spec, "next-", 5) != 0)
        return -1;
    if (strcmp(spec + 5, "weekday") == 0)
        return *out = next_matching(today, -1), 0;
    for (int w = 0; w < 7; w++)
        if (strcmp(spec + 5, weekday_names[w]) == 0)
            return *out = next_matching(today, w), 0;
    return -1;
}

int br_dayspec_resolve(const char *spec, int64_t today_days, int64_t *out_days, char *err, size_t errlen)
{
    int64_t us, offset;
    if (br_date_parse(spec, strlen(spec), &us) == 0) {
        *out_days = us / (86400 * BR_USEC_PER_SEC);
        return 0;
    }
    if (spec[0] == '+' && parse_offset(spec, &offset) == 0) {
        *out_days = today_days + offset;
        return 0;
    }
    if (resolve_named(spec, today_days, out_days) == 0)
        return 0;
    snprintf(
        err, errlen,
        "date '%s': expected YYYY-MM-DD, today, tomorrow, +Nd, +Nw (at most %d days ahead), next-weekday "
        "or next-monday..next-sunday",
        spec, MAX_AHEAD_DAYS);
    return -1;
}
