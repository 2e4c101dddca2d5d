/*
 * The slot grid (slots.h): a pure function from a day, a travel offset, a
 * service duration and an inspector's busy ranges to the start times that
 * are free. No I/O, so tests and the fuzzer call it directly.
 */
#include "slots.h"

#include <math.h>
#include <stdlib.h>

#define USEC_PER_MIN INT64_C(60000000)

int bookd_travel_offset_minutes(double lat, double lng)
{
    long long units = llabs(llround(lat * 1e4)) + llabs(llround(lng * 1e4));
    return (int)(units % 30);
}

size_t bookd_slots_for_inspector(int64_t day_start_us, int offset_minutes, int64_t duration_us,
                                 const bookd_interval *busy, size_t busy_count, int64_t *starts_out)
{
    const int64_t day_end = day_start_us + BOOKD_WORKDAY_END_MIN * USEC_PER_MIN;
    size_t count = 0;
    for (int hour = BOOKD_WORKDAY_START_MIN / 60; hour < BOOKD_WORKDAY_END_MIN / 60; hour++) {
        int64_t start = day_start_us + ((int64_t)hour * 60 + offset_minutes) * USEC_PER_MIN;
        int64_t end = start + duration_us;
        if (end > day_end)
            break;
        int free_slot = 1;
        for (size_t i = 0; i < busy_count && free_slot; i++)
            if (bookd_intervals_overlap(start, end, busy[i].start_us, busy[i].end_us))
                free_slot = 0;
        if (free_slot)
            starts_out[count++] = start;
    }
    return count;
}
