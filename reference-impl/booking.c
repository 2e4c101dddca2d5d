#include "booking.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* How often a transaction that met a locked database (after its busy timeout) is tried again. */
#define BUSY_RETRIES 3

static const char *const fix_names[] = {"none", "C", "A-notx", "A", "A+C"};

const char *bookd_fix_name(bookd_fix fix)
{
    return fix_names[fix];
}

int bookd_fix_parse(const char *name, bookd_fix *out)
{
    for (size_t i = 0; i < sizeof(fix_names) / sizeof(fix_names[0]); i++) {
        if (strcmp(name, fix_names[i]) == 0) {
            *out = (bookd_fix)i;
            return 0;
        }
    }
    return -1;
}

int bookd_fix_has_index(bookd_fix fix)
{
    return fix == BOOKD_FIX_C || fix == BOOKD_FIX_A_C;
}

static int fix_is_transactional(bookd_fix fix)
{
    return fix == BOOKD_FIX_A || fix == BOOKD_FIX_A_C;
}

void bookd_id_generate(char out[BOOKD_ID_LEN + 1])
{
    static _Atomic uint32_t counter;
    static _Atomic uint64_t process_random; /* 0 until first use; 40 random bits after */
    uint64_t rnd = atomic_load(&process_random);
    if (rnd == 0) {
        uint64_t fresh = 0;
        if (getrandom(&fresh, sizeof(fresh), 0) != (ssize_t)sizeof(fresh))
            fresh = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)time(NULL);
        fresh = (fresh & 0xffffffffffULL) | (1ULL << 40); /* bit 40 marks "initialised" */
        uint64_t expected = 0;
        atomic_compare_exchange_strong(&process_random, &expected, fresh);
        rnd = atomic_load(&process_random);
    }
    uint32_t seq = atomic_fetch_add(&counter, 1) & 0xffffff;
    snprintf(out, BOOKD_ID_LEN + 1, "%08x%010llx%06x", (unsigned)time(NULL),
             (unsigned long long)(rnd & 0xffffffffffULL), seq);
}

static bookd_write_result from_store(int rc)
{
    switch (rc) {
    case BOOKD_STORE_EBUSY:
        return BOOKD_WRITE_BUSY;
    case BOOKD_STORE_ENOTFOUND:
        return BOOKD_WRITE_NOT_FOUND;
    case BOOKD_STORE_ESTATE:
        return BOOKD_WRITE_ALREADY_CANCELLED;
    default:
        return BOOKD_WRITE_ERROR;
    }
}

/*
 * The overlap check of fix A: an active inspection, or someone else's
 * unexpired hold, over the range. Returns BOOKD_WRITE_DONE when the range is
 * free.
 */
static bookd_write_result check_overlaps(bookd_booking *b, const char *company, const char *inspector,
                                         int64_t start_us, int64_t end_us, const char *own_hold_id,
                                         bookd_conflict *conflict)
{
    bookd_store *s = b->store;
    int rc = s->ops->find_inspection_overlap(s, company, inspector, start_us, end_us, &conflict->inspection);
    if (rc < 0)
        return from_store(rc);
    if (rc == 1)
        return BOOKD_WRITE_CONFLICT_OVERLAP;
    rc = s->ops->find_hold_overlap(s, company, inspector, start_us, end_us, bookd_clock_now_us(b->clock),
                                   own_hold_id, &conflict->hold);
    if (rc < 0)
        return from_store(rc);
    return rc == 1 ? BOOKD_WRITE_CONFLICT_HOLD : BOOKD_WRITE_DONE;
}

/* The write half: insert, convert the hold it came from, bump the cache version. */
static bookd_write_result apply_write(bookd_booking *b, bookd_pending_write *p, bookd_conflict *conflict)
{
    bookd_store *s = b->store;
    int rc;
    if (p->is_hold) {
        rc = s->ops->insert_hold(s, p->company, &p->hold);
    } else {
        p->inspection.scheduled_us = bookd_clock_now_us(b->clock);
        rc = s->ops->insert_inspection(s, p->company, &p->inspection);
        if (rc == BOOKD_STORE_EUNIQUE) {
            if (conflict != NULL &&
                s->ops->find_inspection_at(s, p->company, p->inspection.inspector_id, p->inspection.start_us,
                                           &conflict->inspection) != 1)
                memset(&conflict->inspection, 0, sizeof(conflict->inspection));
            return BOOKD_WRITE_CONFLICT_UNIQUE;
        }
        if (rc == 0 && p->inspection.hold_id[0] != '\0')
            rc = s->ops->convert_hold(s, p->company, p->inspection.hold_id);
    }
    if (rc == 0)
        rc = s->ops->version_bump(s, p->company);
    return rc == 0 ? BOOKD_WRITE_DONE : from_store(rc);
}

static void sleep_us(int64_t us)
{
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/*
 * Fix A: check and write in one BEGIN IMMEDIATE transaction. The race window
 * is a blocking sleep here on purpose: it models a slow transaction that
 * holds the write lock, and every other writer must wait behind it.
 */
static bookd_write_result write_in_transaction(bookd_booking *b, bookd_pending_write *p, const char *inspector,
                                               int64_t start_us, int64_t end_us, const char *own_hold_id,
                                               bookd_conflict *conflict)
{
    bookd_store *s = b->store;
    bookd_write_result result = BOOKD_WRITE_BUSY;
    for (int attempt = 0; attempt < BUSY_RETRIES && result == BOOKD_WRITE_BUSY; attempt++) {
        int rc = s->ops->begin(s);
        if (rc < 0) {
            result = from_store(rc);
            continue;
        }
        result = check_overlaps(b, p->company, inspector, start_us, end_us, own_hold_id, conflict);
        if (result == BOOKD_WRITE_DONE) {
            if (b->race_window_us > 0)
                sleep_us(b->race_window_us);
            result = apply_write(b, p, conflict);
        }
        if (result == BOOKD_WRITE_DONE) {
            rc = s->ops->commit(s);
            if (rc < 0)
                result = from_store(rc);
        }
        if (result != BOOKD_WRITE_DONE)
            s->ops->rollback(s);
    }
    return result;
}

static bookd_write_result write_with_rules(bookd_booking *b, bookd_pending_write *p, const char *inspector,
                                           int64_t start_us, int64_t end_us, const char *own_hold_id,
                                           bookd_conflict *conflict)
{
    switch (b->fix) {
    case BOOKD_FIX_NONE:
    case BOOKD_FIX_C:
        return apply_write(b, p, conflict);
    case BOOKD_FIX_A_NOTX: {
        bookd_write_result r = check_overlaps(b, p->company, inspector, start_us, end_us, own_hold_id, conflict);
        if (r != BOOKD_WRITE_DONE)
            return r;
        return b->race_window_us > 0 ? BOOKD_WRITE_DEFERRED : apply_write(b, p, conflict);
    }
    case BOOKD_FIX_A:
    case BOOKD_FIX_A_C:
        return write_in_transaction(b, p, inspector, start_us, end_us, own_hold_id, conflict);
    }
    return BOOKD_WRITE_ERROR;
}

bookd_write_result bookd_book(bookd_booking *b, bookd_pending_write *p, bookd_conflict *conflict)
{
    bookd_inspection *in = &p->inspection;
    p->is_hold = 0;
    bookd_id_generate(in->id);
    in->status = BOOKD_STATUS_SCHEDULED;
    if (in->hold_id[0] != '\0') {
        bookd_hold hold;
        int rc = b->store->ops->get_hold(b->store, p->company, in->hold_id, &hold);
        if (rc == BOOKD_STORE_ENOTFOUND)
            return BOOKD_WRITE_HOLD_NOT_FOUND;
        if (rc < 0)
            return from_store(rc);
        if (strcmp(hold.inspector_id, in->inspector_id) != 0 || in->start_us < hold.start_us ||
            in->end_us > hold.end_us)
            return BOOKD_WRITE_HOLD_MISMATCH;
    }
    return write_with_rules(b, p, in->inspector_id, in->start_us, in->end_us, in->hold_id, conflict);
}

bookd_write_result bookd_hold_place(bookd_booking *b, bookd_pending_write *p, bookd_conflict *conflict)
{
    bookd_hold *h = &p->hold;
    p->is_hold = 1;
    bookd_id_generate(h->id);
    h->created_us = bookd_clock_now_us(b->clock);
    h->expires_us = h->created_us + b->hold_ttl_us;
    h->status = BOOKD_HOLD_ACTIVE;
    return write_with_rules(b, p, h->inspector_id, h->start_us, h->end_us, "", conflict);
}

bookd_write_result bookd_write_resume(bookd_booking *b, bookd_pending_write *p)
{
    return apply_write(b, p, NULL);
}

bookd_write_result bookd_cancel(bookd_booking *b, const char *company, const char *inspection_id)
{
    bookd_store *s = b->store;
    int transactional = fix_is_transactional(b->fix);
    int rc = transactional ? s->ops->begin(s) : 0;
    if (rc == 0)
        rc = s->ops->cancel_inspection(s, company, inspection_id);
    if (rc == 0)
        rc = s->ops->version_bump(s, company);
    if (transactional) {
        if (rc == 0)
            rc = s->ops->commit(s);
        if (rc != 0)
            s->ops->rollback(s);
    }
    return rc == 0 ? BOOKD_WRITE_DONE : from_store(rc);
}
