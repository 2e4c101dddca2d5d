/*
 * The storage interface. bookd's booking logic (booking.c) decides *what* to
 * check and in which order for each fix mode; a store only says *how* to read
 * and write it. Two stores implement the table of operations: SQLite
 * (store_sqlite.c, the default) and MongoDB (store_mongo.c, --store mongo).
 * store.c holds what belongs to neither.
 *
 * One bookd_store is one connection: it belongs to one server thread and is
 * never shared. Every operation is scoped by the caller's company id and uses
 * bound parameters.
 *
 * Functions return 0 on success or a negative BOOKD_STORE_E* code; the "find"
 * functions return 1 when they found something and 0 when not.
 * Strings passed in are borrowed for the duration of the call; records passed
 * out are copied into caller-owned structs.
 */
#ifndef BOOKD_STORE_H
#define BOOKD_STORE_H

#include <stddef.h>
#include <stdint.h>

#define BOOKD_ID_LEN 24    /* ids are 24 lowercase hex digits, like MongoDB ObjectIds */
#define BOOKD_NAME_MAX 64  /* inspector, service and company ids */
#define BOOKD_TEXT_MAX 256 /* address, customer name and email */

/*
 * No stored range (inspection or hold) is longer than this: services last at
 * most 540 minutes (seed validation) and holds at most 12 hours (API
 * validation). Range queries rely on it to bound their index scans: a row
 * overlapping [start, end) must start after start - BOOKD_MAX_SPAN_US, so a
 * scan never walks the whole history of an inspector.
 */
#define BOOKD_MAX_SPAN_US (INT64_C(12) * 3600 * 1000000)

enum {
    BOOKD_STORE_ENOTFOUND = -1, /* no such row for this company */
    BOOKD_STORE_EUNIQUE = -2,   /* the unique partial index refused the insert (fix C) */
    BOOKD_STORE_EBUSY = -3,     /* the database stayed locked past the busy timeout: retry */
    BOOKD_STORE_EIO = -4,       /* anything else; the message is in store->ops->errmsg(store) */
    BOOKD_STORE_ESTATE = -5,    /* the row exists but is not in a state that allows this */
};

typedef enum { BOOKD_STATUS_SCHEDULED = 0, BOOKD_STATUS_CANCELLED = 1 } bookd_inspection_status;
typedef enum { BOOKD_HOLD_ACTIVE = 0, BOOKD_HOLD_CONVERTED = 1 } bookd_hold_status;

typedef struct {
    char id[BOOKD_ID_LEN + 1];
    char inspector_id[BOOKD_NAME_MAX + 1];
    char service_id[BOOKD_NAME_MAX + 1];
    int64_t start_us, end_us;
    bookd_inspection_status status;
    int64_t scheduled_us; /* when it was booked, by the server's clock */
    char address[BOOKD_TEXT_MAX + 1];
    char customer_name[BOOKD_TEXT_MAX + 1];
    char customer_email[BOOKD_TEXT_MAX + 1];
    char hold_id[BOOKD_ID_LEN + 1]; /* "" when booked without a hold */
} bookd_inspection;

typedef struct {
    char id[BOOKD_ID_LEN + 1];
    char inspector_id[BOOKD_NAME_MAX + 1];
    int64_t start_us, end_us;
    int64_t created_us, expires_us;
    bookd_hold_status status;
} bookd_hold;

/* The catalogue is read once at start and is read-only afterwards. */
typedef struct {
    char id[BOOKD_NAME_MAX + 1];
    int duration_minutes;
} bookd_service;

typedef struct {
    char id[BOOKD_NAME_MAX + 1];
    char api_key[BOOKD_TEXT_MAX + 1];
    size_t inspector_count, service_count;
    char (*inspectors)[BOOKD_NAME_MAX + 1];
    bookd_service *services;
} bookd_company;

typedef struct {
    size_t company_count;
    bookd_company *companies;
} bookd_catalog;

void bookd_catalog_free(bookd_catalog *catalog);

typedef struct bookd_store bookd_store;

typedef void (*bookd_inspection_cb)(void *arg, const bookd_inspection *inspection);
/* |expires_us|: when a hold stops counting (INT64_MAX for a booking), so caches know their lifetime. */
typedef void (*bookd_busy_cb)(void *arg, const char *inspector_id, int64_t start_us, int64_t end_us,
                              int64_t expires_us);

typedef struct {
    const char *name; /* "sqlite", "mongo" */
    void (*del)(bookd_store *store);
    const char *(*errmsg)(bookd_store *store);

    /* Catalogue: idempotent upserts used by seeding, and one read of it all. */
    int (*put_company)(bookd_store *store, const char *company, const char *api_key);
    int (*put_inspector)(bookd_store *store, const char *company, const char *inspector);
    int (*put_service)(bookd_store *store, const char *company, const char *service, int duration_minutes);
    int (*load_catalog)(bookd_store *store, bookd_catalog *out);

    /* Creates (want != 0) or drops the unique partial index over active bookings (fix C). */
    int (*set_unique_index)(bookd_store *store, int want);

    /*
     * Runs |body| inside one transaction that is serialised against every
     * other transaction touching the same inspector, across threads and
     * processes (SQLite: BEGIN IMMEDIATE; MongoDB: the transaction first
     * updates a per-inspector document, so concurrent ones write-conflict).
     * |inspector| may be NULL for transactions that need no such lock.
     *
     * |body| returns 0 to commit, a positive value to roll back (a business
     * outcome such as a conflict), or a negative store error. Transient
     * failures (a locked database, a write conflict) are retried with a
     * fresh transaction, so |body| must keep no state across attempts beyond
     * what it recomputes. Returns what |body| returned on its last attempt,
     * or a negative store error (BOOKD_STORE_EBUSY after the retries).
     */
    int (*transaction)(bookd_store *store, const char *company, const char *inspector, int (*body)(void *arg),
                       void *arg);

    /* The first active inspection of |inspector| overlapping [start, end), if any. */
    int (*find_inspection_overlap)(bookd_store *store, const char *company, const char *inspector,
                                   int64_t start_us, int64_t end_us, bookd_inspection *out);
    /* The active inspection of |inspector| starting exactly at |start_us| (the one the unique index saw). */
    int (*find_inspection_at)(bookd_store *store, const char *company, const char *inspector,
                              int64_t start_us, bookd_inspection *out);
    /* The first hold other than |except_hold_id| ("" for none) unexpired at |now_us| and overlapping. */
    int (*find_hold_overlap)(bookd_store *store, const char *company, const char *inspector, int64_t start_us,
                             int64_t end_us, int64_t now_us, const char *except_hold_id, bookd_hold *out);

    int (*insert_inspection)(bookd_store *store, const char *company, const bookd_inspection *inspection);
    int (*get_inspection)(bookd_store *store, const char *company, const char *id, bookd_inspection *out);
    /* ENOTFOUND for an unknown id, ESTATE when already cancelled. */
    int (*cancel_inspection)(bookd_store *store, const char *company, const char *id);

    int (*insert_hold)(bookd_store *store, const char *company, const bookd_hold *hold);
    int (*get_hold)(bookd_store *store, const char *company, const char *id, bookd_hold *out);
    /* Converts an active hold; ESTATE when it is already converted (a hold converts once). */
    int (*convert_hold)(bookd_store *store, const char *company, const char *id);

    /* Inspections overlapping [from, to), optionally of one inspector / one status (NULL = any). */
    int (*list_inspections)(bookd_store *store, const char *company, int64_t from_us, int64_t to_us,
                            const char *inspector, const char *status, bookd_inspection_cb cb, void *arg);
    /* Every busy range (active inspections, holds unexpired at |now_us|) overlapping [from, to). */
    int (*list_busy)(bookd_store *store, const char *company, int64_t from_us, int64_t to_us, int64_t now_us,
                     bookd_busy_cb cb, void *arg);

    /* The company's version stamp, bumped by every booking, hold and cancel (the versioned slot cache). */
    int (*version_get)(bookd_store *store, const char *company, int64_t *out);
    int (*version_bump)(bookd_store *store, const char *company);
} bookd_store_ops;

struct bookd_store {
    const bookd_store_ops *ops;
};

/*
 * Opens a SQLite store at |path| (":memory:" for a private in-memory database),
 * creating the schema when absent. WAL mode and a busy timeout of
 * |busy_timeout_ms| let several processes share the file. Returns 0 and sets
 * |*out|, or a negative code with a message in |errbuf| (|errlen| bytes).
 */
int bookd_store_sqlite_open(const char *path, int busy_timeout_ms, bookd_store **out, char *errbuf,
                            size_t errlen);

/* PRAGMA synchronous for this connection: "OFF", "NORMAL" or "FULL". Returns 0 or BOOKD_STORE_EIO. */
int bookd_store_sqlite_set_synchronous(bookd_store *store, const char *mode);

/*
 * Claims the database at |db_path| for a process that does (|want_index|) or
 * does not rely on the unique index of fix C, for as long as |*fd_out| stays
 * open. Returns BOOKD_STORE_ESTATE with a sentence in |err| when another
 * live process holds the opposite claim, so a second bookd with another
 * --fix cannot drop the index under a running A+C one (issue 13). A no-op
 * for ":memory:".
 */
int bookd_store_sqlite_claim_index_mode(const char *db_path, int want_index, int *fd_out, char *err,
                                        size_t errlen);

static inline void bookd_store_del(bookd_store *store)
{
    if (store != NULL)
        store->ops->del(store);
}

const char *bookd_inspection_status_name(bookd_inspection_status status);

#endif
