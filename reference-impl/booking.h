/*
 * The booking rules of each fix mode, above the store interface. This is the
 * file to read to see what the incident's backend did wrong and what the fix
 * does right:
 *
 *   none    insert with no check (the incident);
 *   C       insert, relying on the unique partial index over (company,
 *           inspector, start) of active bookings: catches identical starts only;
 *   A-notx  check for overlaps, then insert, as separate statements: the
 *           check-then-act race; a race window pauses between the two;
 *   A       check and insert inside one BEGIN IMMEDIATE transaction, so they
 *           are serialised across threads and processes sharing the database;
 *   A+C     A, with the index as a backstop.
 *
 * Holds (Block events) follow the same rules, except that none and C accept
 * them blindly, as the incident's POST /event did.
 */
#ifndef BOOKD_BOOKING_H
#define BOOKD_BOOKING_H

#include "clock.h"
#include "store.h"

typedef enum { BOOKD_FIX_NONE, BOOKD_FIX_C, BOOKD_FIX_A_NOTX, BOOKD_FIX_A, BOOKD_FIX_A_C } bookd_fix;

/* "none", "C", "A-notx", "A", "A+C"; and back (-1 for an unknown name). */
const char *bookd_fix_name(bookd_fix fix);
int bookd_fix_parse(const char *name, bookd_fix *out);
/* Whether the fix keeps the unique partial index (C, A+C). */
int bookd_fix_has_index(bookd_fix fix);

typedef enum {
    BOOKD_WRITE_DONE = 0,
    BOOKD_WRITE_DEFERRED,         /* A-notx with a race window: call bookd_write_resume() after it */
    BOOKD_WRITE_CONFLICT_OVERLAP, /* overlaps conflict->inspection */
    BOOKD_WRITE_CONFLICT_HOLD,    /* overlaps someone else's unexpired hold conflict->hold */
    BOOKD_WRITE_CONFLICT_UNIQUE,  /* the unique index refused it; conflict->inspection has the same start */
    BOOKD_WRITE_HOLD_NOT_FOUND,   /* holdId names no hold of this company */
    BOOKD_WRITE_HOLD_MISMATCH,    /* the hold is for another inspector or does not cover the booking */
    BOOKD_WRITE_HOLD_CONVERTED, /* the hold was already converted by another booking (a hold converts once) */
    BOOKD_WRITE_NOT_FOUND,      /* cancel: no such inspection */
    BOOKD_WRITE_ALREADY_CANCELLED,
    BOOKD_WRITE_BUSY,  /* the database stayed locked through every retry */
    BOOKD_WRITE_ERROR, /* a store failure; see bookd_store's errmsg */
} bookd_write_result;

typedef struct {
    bookd_inspection inspection; /* set for BOOKD_WRITE_CONFLICT_OVERLAP and _UNIQUE */
    bookd_hold hold;             /* set for BOOKD_WRITE_CONFLICT_HOLD */
} bookd_conflict;

/* What one thread needs to apply the rules; the store is that thread's own connection. */
typedef struct {
    bookd_store *store;
    const bookd_clock *clock;
    bookd_fix fix;
    int64_t race_window_us;
    int64_t hold_ttl_us;
} bookd_booking;

/* A write paused in its race window (A-notx): everything needed to finish it. */
typedef struct {
    int is_hold;
    char company[BOOKD_NAME_MAX + 1];
    bookd_inspection inspection;
    bookd_hold hold;
} bookd_pending_write;

/*
 * Books |pending->inspection| (inspector, service, start, end, customer and
 * optional hold_id filled in by the caller) for |pending->company|. On
 * BOOKD_WRITE_DONE the inspection's id, status and scheduled time are filled
 * in. On BOOKD_WRITE_DEFERRED the caller waits race_window_us without
 * blocking its event loop, then calls bookd_write_resume().
 */
bookd_write_result bookd_book(bookd_booking *b, bookd_pending_write *pending, bookd_conflict *conflict);

/* Places the working hold |pending->hold| (inspector, start, end); fills id, created and expiry. */
bookd_write_result bookd_hold_place(bookd_booking *b, bookd_pending_write *pending, bookd_conflict *conflict);

/* Finishes a deferred write (the insert half of A-notx). */
bookd_write_result bookd_write_resume(bookd_booking *b, bookd_pending_write *pending);

/* Cancels an inspection and frees its range. */
bookd_write_result bookd_cancel(bookd_booking *b, const char *company, const char *inspection_id);

/* Writes a fresh 24-hex-digit id (12 bytes: seconds, a per-process random part, a counter) and a NUL. */
void bookd_id_generate(char out[BOOKD_ID_LEN + 1]);

#endif
