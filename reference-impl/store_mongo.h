/*
 * The MongoDB store: bookd's production-parity storage, with the collections
 * and field names of the incident's backend (inspections with _companyId,
 * _inspectorId, datetime, endtime, status, jobCreationType, scheduledTs;
 * events for Block holds).
 *
 * Fix A in MongoDB: transactions are snapshot-isolated, so two concurrent
 * "find overlaps, then insert" transactions can both commit (write skew).
 * Each transaction therefore first increments a per-inspector document
 * (inspector_locks); two transactions for one inspector then write the same
 * document and the later one fails with WriteConflict (112,
 * TransientTransactionError), which the driver retries from the start, now
 * seeing the other's booking. Fix C is a unique partial index on
 * {_companyId, _inspectorId, datetime} over status "scheduled" (partial
 * filters cannot use $ne, so "not cancelled" is said positively).
 *
 * One bookd_mongo (a mongoc_client_pool_t) is shared by the server's threads;
 * each thread's store pops a client per operation (or uses its transaction's
 * session) and pushes it back.
 */
#ifndef BOOKD_STORE_MONGO_H
#define BOOKD_STORE_MONGO_H

#include "store.h"

#include <bson/bson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bookd_mongo bookd_mongo;

/* Connects a client pool (no round trip yet). Returns 0, or -1 with |err|. */
int bookd_mongo_new(const char *uri, const char *db_name, bookd_mongo **out, char *err, size_t errlen);
void bookd_mongo_del(bookd_mongo *m);

/*
 * Asks the server what it is: 1 when it can run transactions (a replica set
 * or a sharded cluster), 0 for a standalone server, -1 when it cannot be
 * reached (with |err|).
 */
int bookd_mongo_supports_transactions(bookd_mongo *m, char *err, size_t errlen);

/* A store on the shared pool, for one thread. Returns 0, or a negative code with |err|. */
int bookd_store_mongo_open(bookd_mongo *m, bookd_store **out, char *err, size_t errlen);

/* ---- the BSON bookd sends, built by pure functions so they are unit-tested without a server ---- */

#define BOOKD_MONGO_UNIQUE_INDEX "inspections_active_start"

/* Active inspections of one inspector overlapping [start, end). */
bson_t *bookd_mongo_overlap_filter(const char *company, const char *inspector, int64_t start_us,
                                   int64_t end_us);
/* Active holds of one inspector, unexpired at |now_us|, overlapping, other than |except_id| ("" for none). */
bson_t *bookd_mongo_hold_overlap_filter(const char *company, const char *inspector, int64_t start_us,
                                        int64_t end_us, int64_t now_us, const char *except_id);
/* Inspections overlapping [from, to), optionally of one inspector and status. */
bson_t *bookd_mongo_list_filter(const char *company, int64_t from_us, int64_t to_us, const char *inspector,
                                const char *status);
bson_t *bookd_mongo_inspection_document(const char *company, const bookd_inspection *in);
bson_t *bookd_mongo_hold_document(const char *company, const bookd_hold *hold);
/* The per-inspector document every fix-A transaction updates first: selector and update. */
bson_t *bookd_mongo_lock_selector(const char *company, const char *inspector);
bson_t *bookd_mongo_lock_update(void);
/* The createIndexes command: the supporting indexes, plus the unique partial one when |unique|. */
bson_t *bookd_mongo_create_indexes_command(const char *collection, int unique);

typedef enum {
    BOOKD_MONGO_OK = 0,
    BOOKD_MONGO_TRANSIENT, /* WriteConflict, TransientTransactionError, UnknownTransactionCommitResult: retry
                            */
    BOOKD_MONGO_DUPLICATE, /* E11000: the unique index refused the write */
    BOOKD_MONGO_FAILURE,   /* anything else */
} bookd_mongo_error_class;

/* Classifies a driver error with the server's reply (|reply| may be NULL or empty). */
bookd_mongo_error_class bookd_mongo_classify(const bson_error_t *error, const bson_t *reply);

/* The store error code for a class (0, BOOKD_STORE_EBUSY, BOOKD_STORE_EUNIQUE, BOOKD_STORE_EIO). */
int bookd_mongo_store_code(bookd_mongo_error_class c);

#endif
