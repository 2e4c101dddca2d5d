/*
 * UTC timestamps in the one shape bookrace and bookd speak: RFC 3339 with a
 * "Z" (or "+00:00") zone, e.g. "2026-12-01T09:26:00Z" or with a fraction of up
 * to six digits, "2026-12-01T09:26:00.125Z". Offsets other than zero are
 * rejected rather than converted: the incident's API is UTC-only, and a
 * silently converted offset is exactly the kind of default that hides bugs.
 *
 * Times are int64 microseconds since the Unix epoch throughout the project.
 */
#ifndef BR_ISO8601_H
#define BR_ISO8601_H

#include <stddef.h>
#include <stdint.h>

#define BR_USEC_PER_SEC INT64_C(1000000)

/* Large enough for "YYYY-MM-DDTHH:MM:SS.ffffffZ" and its terminator. */
#define BR_TIME_BUFSIZE 32

/* Error codes returned by br_time_parse (negative, 0 is success). */
enum {
    BR_TIME_EFORMAT = -1, /* not of the shape above */
    BR_TIME_ERANGE = -2,  /* a field is out of range (month 13, Feb 30, year < 1970 or > 9999) */
    BR_TIME_EZONE = -3,   /* a zone other than UTC, or no zone at all */
};

/*
 * Parses |len| bytes of |text| (need not be NUL-terminated) into |*out_us|.
 * Returns 0 or one of the BR_TIME_E* codes; |*out_us| is untouched on error.
 */
int br_time_parse(const char *text, size_t len, int64_t *out_us);

/*
 * Parses a calendar date "YYYY-MM-DD" into the microsecond of its 00:00:00Z.
 * Returns 0 or BR_TIME_EFORMAT / BR_TIME_ERANGE.
 */
int br_date_parse(const char *text, size_t len, int64_t *out_us);

/* A short English description of a br_time_parse error code. */
const char *br_time_strerror(int code);

/*
 * Formats |us| into |buf| (at least BR_TIME_BUFSIZE bytes). The fraction is
 * written only when it is not zero, as milliseconds when that is exact and as
 * microseconds otherwise. Returns the length written.
 */
size_t br_time_format(int64_t us, char *buf);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t br_days_from_civil(int64_t y, unsigned m, unsigned d);
void br_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
