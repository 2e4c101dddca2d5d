/*
 * The online oracle of a load run: per inspector, an interval structure of
 * the bookings that may be active (acknowledged, or indeterminate once per
 * inspector and start), fed as responses arrive. Memory is O(bookings that
 * may be active in the booked window), not O(requests): refused bookings
 * (409) and fetches are never stored, and a 10-million-request run of a
 * correct backend stores at most one booking per offered slot.
 *
 * Each acknowledged booking is checked against the stored ones of its
 * inspector when it arrives (sorted by start; with the longest stored
 * duration D, only bookings starting in [start - D, end) can overlap, so a
 * lookup is O(log n + overlaps)): the double bookings are known during the
 * run (for early aborts and progress). The final verdict runs the one
 * oracle (oracle.c) over the stored bookings, sorted into a canonical order,
 * with the ground truth: `bookrace check` on the streamed history feeds the
 * same structure and gets the same violations, text for text.
 */
#ifndef BR_INTERVAL_H
#define BR_INTERVAL_H

#include "oracle.h"

#include <stddef.h>
#include <stdint.h>

typedef struct br_interval_oracle br_interval_oracle;

typedef struct {
    int actor;          /* index into the actor names given to br_interval_new, -1 when none */
    br_outcome outcome; /* OK and INFO are stored; FAIL is ignored */
    int status;
    const char *inspector, *id; /* id may be "" */
    int64_t start_us, end_us, invoke_us, complete_us;
} br_interval_booking;

/* |actor_names| is borrowed and must outlive the oracle. */
br_interval_oracle *br_interval_new(const char *const *actor_names, size_t actor_count);
void br_interval_free(br_interval_oracle *o);

/*
 * Adds one booking outcome (thread-safe: one mutex, taken only for
 * successful or indeterminate bookings). Returns the number of stored
 * acknowledged bookings it overlaps (new double bookings).
 */
size_t br_interval_add(br_interval_oracle *o, const br_interval_booking *b);

size_t br_interval_double_bookings(br_interval_oracle *o); /* found online so far */
size_t br_interval_acknowledged(br_interval_oracle *o);    /* acknowledged bookings stored */
size_t br_interval_stored(br_interval_oracle *o);          /* acknowledged + indeterminate stored */

/*
 * The final verdict: the oracle over the stored bookings (canonical order)
 * and |truth|. Appends to |out|, returns the number found.
 */
size_t br_interval_finish(br_interval_oracle *o, const br_truth_booking *truth, size_t truth_count,
                          int truth_checked, br_violations *out);

#endif
