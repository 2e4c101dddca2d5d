/*
 * bookd's clocks (clock.h): the real wall clock, or a virtual one that
 * stands still until POST /__test/clock moves it, so scenarios can replay
 * "minutes later" in no time; plus the monotonic clock for durations.
 */
#include "clock.h"

#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct bookd_clock {
    bookd_clock_kind kind;
    _Atomic int64_t virtual_now_us;
};

int64_t bookd_wall_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t bookd_monotonic_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bookd_clock *bookd_clock_new(bookd_clock_kind kind, int64_t start_us)
{
    bookd_clock *clock = xmalloc(sizeof(*clock));
    clock->kind = kind;
    atomic_init(&clock->virtual_now_us, start_us);
    return clock;
}

void bookd_clock_del(bookd_clock *clock)
{
    free(clock);
}

bookd_clock_kind bookd_clock_get_kind(const bookd_clock *clock)
{
    return clock->kind;
}

int64_t bookd_clock_now_us(const bookd_clock *clock)
{
    if (clock->kind == BOOKD_CLOCK_REAL)
        return bookd_wall_now_us();
    return atomic_load_explicit(&((bookd_clock *)clock)->virtual_now_us, memory_order_acquire);
}

int bookd_clock_advance(bookd_clock *clock, int64_t delta_us)
{
    if (clock->kind != BOOKD_CLOCK_VIRTUAL)
        return -1;
    atomic_fetch_add_explicit(&clock->virtual_now_us, delta_us, memory_order_acq_rel);
    return 0;
}

int bookd_clock_set(bookd_clock *clock, int64_t now_us)
{
    if (clock->kind != BOOKD_CLOCK_VIRTUAL)
        return -1;
    atomic_store_explicit(&clock->virtual_now_us, now_us, memory_order_release);
    return 0;
}
