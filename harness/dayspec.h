/*
 * Which day a run books. Scenarios used to book a fixed date, so yesterday's
 * bookings on a persistent backend failed today's run; a relative day is
 * resolved once, at run start, against the UTC day the run starts on, and the
 * resolved date is recorded in the results.
 *   "2026-12-01"      that date
 *   "today", "tomorrow"
 *   "+14d", "+2w"     N days or weeks after today (0..3650 days)
 *   "next-weekday"    the first Monday..Friday after today
 *   "next-monday" ... "next-sunday"   the first such day after today
 */
#ifndef BR_DAYSPEC_H
#define BR_DAYSPEC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Resolves |spec| against |today_days| (days since 1970-01-01, UTC) into
 * |*out_days|. Returns 0, or -1 with a message in |err| that quotes the spec
 * and lists the accepted forms.
 */
int br_dayspec_resolve(const char *spec, int64_t today_days, int64_t *out_days, char *err, size_t errlen);

/* Whether |spec| is relative (anything but a literal YYYY-MM-DD). */
int br_dayspec_is_relative(const char *spec);

/* 0 = Monday ... 6 = Sunday, of a day number. */
int br_weekday(int64_t days);

#endif
