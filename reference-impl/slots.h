/*
 * Slot generation: a pure function of the day, the customer's location, the
 * service's duration and an inspector's busy ranges. No I/O, so it is unit
 * tested exhaustively and the server only feeds it what the store returns.
 *
 * The rules (also in README.md):
 *  - working hours are 08:00-17:00 UTC; a slot must start and end inside them;
 *  - one start per hour per inspector, at HH:00 plus a travel offset;
 *  - the travel offset (0-29 minutes) is derived from the customer's
 *    coordinates, so two customers a few hundred metres apart get distinct but
 *    overlapping starts, as in the incident (09:26 and 09:29);
 *  - a slot is left out when [start, end) overlaps a busy range; ranges are
 *    half-open, so a slot ending at 10:00 does not clash with one starting at 10:00.
 */
#ifndef BOOKD_SLOTS_H
#define BOOKD_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#define BOOKD_WORKDAY_START_MIN (8 * 60)
#define BOOKD_WORKDAY_END_MIN (17 * 60)
/* The most starts one inspector can have in a day (one per working hour). */
#define BOOKD_MAX_SLOTS_PER_INSPECTOR 9

typedef struct {
    int64_t start_us;
    int64_t end_us;
} bookd_interval;

/*
 * The travel offset in minutes, 0-29: the sum of |lat| and |lng| in units of
 * 1e-4 degree (about 11 m), modulo 30. Callers validate the ranges of lat/lng.
 */
int bookd_travel_offset_minutes(double lat, double lng);

/* Whether half-open ranges [a_start, a_end) and [b_start, b_end) share an instant. */
static inline int bookd_intervals_overlap(int64_t a_start, int64_t a_end, int64_t b_start, int64_t b_end)
{
    return a_start < b_end && b_start < a_end;
}

/*
 * Writes the free slot start times of one inspector on the day starting at
 * |day_start_us| (00:00Z) into |starts_out|, which must hold
 * BOOKD_MAX_SLOTS_PER_INSPECTOR entries, in ascending order. |busy| need not
 * be sorted. Returns the number of starts written.
 */
size_t bookd_slots_for_inspector(int64_t day_start_us, int offset_minutes, int64_t duration_us,
                                 const bookd_interval *busy, size_t busy_count, int64_t *starts_out);

#endif
