/*
 * RFC 3339 UTC timestamps (iso8601.h) for both programs: a strict parser
 * (exact field widths, at most six fraction digits, "Z" or "+00:00" only) and
 * a formatter that writes no fraction, milliseconds or microseconds, the
 * shortest that is exact. Civil dates convert to days with Howard Hinnant's
 * days_from_civil, so no time zone or libc locale is ever consulted.
 */
#include "iso8601.h"

#include <stdio.h>
#include <string.h>

/* Howard Hinnant's civil-date algorithms: exact, branch-light, no libc time zone state. */
int64_t br_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void br_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int read_digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Parses "YYYY-MM-DD" at the start of |s| (|len| >= 10 checked by callers). */
static int parse_date_part(const char *s, int64_t *days)
{
    unsigned y, m, d;
    if (read_digits(s, 4, &y) || s[4] != '-' || read_digits(s + 5, 2, &m) || s[7] != '-' ||
        read_digits(s + 8, 2, &d))
        return BR_TIME_EFORMAT;
    if (y < 1970 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return BR_TIME_ERANGE;
    *days = br_days_from_civil(y, m, d);
    return 0;
}

int br_date_parse(const char *text, size_t len, int64_t *out_us)
{
    int64_t days;
    if (len != 10)
        return BR_TIME_EFORMAT;
    int rc = parse_date_part(text, &days);
    if (rc)
        return rc;
    *out_us = days * 86400 * BR_USEC_PER_SEC;
    return 0;
}

int br_time_parse(const char *s, size_t len, int64_t *out_us)
{
    int64_t days;
    unsigned hh, mm, ss;
    if (len < 19)
        return BR_TIME_EFORMAT;
    int rc = parse_date_part(s, &days);
    if (rc)
        return rc;
    if ((s[10] != 'T' && s[10] != 't') || read_digits(s + 11, 2, &hh) || s[13] != ':' ||
        read_digits(s + 14, 2, &mm) || s[16] != ':' || read_digits(s + 17, 2, &ss))
        return BR_TIME_EFORMAT;
    if (hh > 23 || mm > 59 || ss > 59)
        return BR_TIME_ERANGE;
    size_t i = 19;
    int64_t frac = 0;
    if (i < len && s[i] == '.') {
        size_t ndigits = 0;
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (++ndigits > 6)
                return BR_TIME_EFORMAT;
            frac = frac * 10 + (s[i] - '0');
            i++;
        }
        if (ndigits == 0)
            return BR_TIME_EFORMAT;
        for (; ndigits < 6; ndigits++)
            frac *= 10;
    }
    if (i == len)
        return BR_TIME_EZONE;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        /* UTC */
    } else if ((s[i] == '+' || s[i] == '-') && len - i == 6) {
        unsigned oh, om;
        if (read_digits(s + i + 1, 2, &oh) || s[i + 3] != ':' || read_digits(s + i + 4, 2, &om))
            return BR_TIME_EFORMAT;
        if (oh != 0 || om != 0)
            return BR_TIME_EZONE;
    } else {
        return BR_TIME_EFORMAT;
    }
    *out_us = ((days * 86400) + hh * 3600 + mm * 60 + ss) * BR_USEC_PER_SEC + frac;
    return 0;
}

const char *br_time_strerror(int code)
{
    switch (code) {
    case BR_TIME_EFORMAT:
        return "not an RFC 3339 timestamp such as 2026-12-01T09:26:00Z";
    case BR_TIME_ERANGE:
        return "a field of the timestamp is out of range";
    case BR_TIME_EZONE:
        return "timestamp must be in UTC (end it with Z)";
    default:
        return "unknown timestamp error";
    }
}

size_t br_time_format(int64_t us, char *buf)
{
    int64_t secs = us / BR_USEC_PER_SEC, frac = us % BR_USEC_PER_SEC;
    if (frac < 0) {
        frac += BR_USEC_PER_SEC;
        secs -= 1;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    int64_t y;
    unsigned m, d;
    br_civil_from_days(days, &y, &m, &d);
    int n;
    if (frac == 0)
        n = snprintf(buf, BR_TIME_BUFSIZE, "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)y, m, d,
                     (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
    else if (frac % 1000 == 0)
        n = snprintf(buf, BR_TIME_BUFSIZE, "%04d-%02u-%02uT%02u:%02u:%02u.%03uZ", (int)y, m, d,
                     (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60),
                     (unsigned)(frac / 1000));
    else
        n = snprintf(buf, BR_TIME_BUFSIZE, "%04d-%02u-%02uT%02u:%02u:%02u.%06uZ", (int)y, m, d,
                     (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60), (unsigned)frac);
    return n < 0 ? 0 : (size_t)n;
}
