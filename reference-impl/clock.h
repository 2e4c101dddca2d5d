/*
 * The server's clock. Everything bookd does with time (slot-cache TTLs, hold
 * expiry, scheduledTs) reads it, so in virtual mode a test can move time
 * forward by minutes without waiting for them.
 *
 * A virtual clock stands still until it is told to move (POST /__test/clock).
 * It is shared by every server thread; reads and writes are atomic.
 */
#ifndef BOOKD_CLOCK_H
#define BOOKD_CLOCK_H

#include <stdint.h>

typedef struct bookd_clock bookd_clock;

typedef enum { BOOKD_CLOCK_REAL, BOOKD_CLOCK_VIRTUAL } bookd_clock_kind;

/* |start_us| is the virtual clock's first reading (ignored for real). */
bookd_clock *bookd_clock_new(bookd_clock_kind kind, int64_t start_us);
void bookd_clock_del(bookd_clock *clock);

bookd_clock_kind bookd_clock_get_kind(const bookd_clock *clock);

/* Microseconds since the epoch. */
int64_t bookd_clock_now_us(const bookd_clock *clock);

/* Virtual clocks only: return 0, or -1 for a real clock (which cannot be moved). */
int bookd_clock_advance(bookd_clock *clock, int64_t delta_us);
int bookd_clock_set(bookd_clock *clock, int64_t now_us);

/* The real wall clock in microseconds, and a monotonic clock for measuring durations. */
int64_t bookd_wall_now_us(void);
int64_t bookd_monotonic_now_us(void);

#endif
