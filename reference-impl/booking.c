/*
 * The booking rules per fix mode (booking.h): what to check and in which
 * order before a booking or a hold is written, inside one serialised
 * transaction (A, A+C), without one (A-notx, the race window), or not at
 * all (none, C: the incident, C relying on the unique index alone).
 */
#include "booking.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

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
        /* The hold first: a hold converts once, and a second booking naming it must not be stored. */
        if (p->inspection.hold_id[0] != '\0') {
            rc = s->ops->convert_hold(s, p->company, p->inspection.hold_id);
            if (rc == BOOKD_STORE_ESTATE)
                return BOOKD_WRITE_HOLD_CONVERTED;
            if (rc != 0)
                return from_store(rc);
        }
        p->inspection.scheduled_us = bookd_clock_now_us(b->clock);
        rc = s->ops->insert_inspection(s, p->company, &p->inspection);
        if (rc == BOOKD_STORE_EUNIQUE) {
            if (conflict != NULL &&
                s->ops->find_inspection_at(s, p->company, p->inspection.inspector_id, p->inspection.start_us,
                                           &conflict->inspection) != 1)
                memset(&conflict->inspection, 0, sizeof(conflict->inspection));
            return BOOKD_WRITE_CONFLICT_UNIQUE;
        }
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

typedef struct {
    bookd_booking *b;
    bookd_pending_write *p;
    const char *inspector, *own_hold_id;
    int64_t start_us, end_us;
    bookd_conflict *conflict;
    bookd_write_result result;
} transaction_ctx;

/* The body of fix A's transaction: 0 commits, 1 rolls back with the outcome in ctx->result. */
static int check_and_write(void *arg)
{
    transaction_ctx *t = arg;
    t->result = check_overlaps(t->b, t->p->company, t->inspector, t->start_us, t->end_us, t->own_hold_id,
                               t->conflict);
    if (t->result == BOOKD_WRITE_DONE) {
        if (t->b->race_window_us > 0)
            sleep_us(t->b->race_window_us);
        t->result = apply_write(t->b, t->p, t->conflict);
    }
    if (t->result == BOOKD_WRITE_DONE)
        return 0;
    if (t->result == BOOKD_WRITE_BUSY)
        return BOOKD_STORE_EBUSY; /* transient: the store retries the whole transaction */
    return t->result == BOOKD_WRITE_ERROR ? BOOKD_STORE_EIO : 1;
}

/*
 * Fix A: check and write in one transaction that the store serialises per
 * inspector. The race window is a blocking sleep here on purpose: it models
 * a slow transaction that holds the lock, and every other writer must wait.
 */
static bookd_write_result write_in_transaction(bookd_booking *b, bookd_pending_write *p,
                                               const char *inspector, int64_t start_us, int64_t end_us,
                                               const char *own_hold_id, bookd_conflict *conflict)
{
    transaction_ctx t = {.b = b,
                         .p = p,
                         .inspector = inspector,
                         .own_hold_id = own_hold_id,
                         .start_us = start_us,
                         .end_us = end_us,
                         .conflict = conflict};
    int rc = b->store->ops->transaction(b->store, p->company, inspector, check_and_write, &t);
    if (rc < 0)
        return from_store(rc);
    return t.result;
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
        bookd_write_result r =
            check_overlaps(b, p->company, inspector, start_us, end_us, own_hold_id, conflict);
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
        if (hold.status == BOOKD_HOLD_CONVERTED)
            return BOOKD_WRITE_HOLD_CONVERTED;
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

typedef struct {
    bookd_store *store;
    const char *company, *id;
} cancel_ctx;

static int cancel_body(void *arg)
{
    cancel_ctx *c = arg;
    int rc = c->store->ops->cancel_inspection(c->store, c->company, c->id);
    if (rc == 0)
        rc = c->store->ops->version_bump(c->store, c->company);
    return rc;
}

bookd_write_result bookd_cancel(bookd_booking *b, const char *company, const char *inspection_id)
{
    cancel_ctx c = {.store = b->store, .company = company, .id = inspection_id};
    int rc = fix_is_transactional(b->fix)
                 ? b->store->ops->transaction(b->store, company, NULL, cancel_body, &c)
                 : cancel_body(&c);
    return rc == 0 ? BOOKD_WRITE_DONE : from_store(rc);
}
