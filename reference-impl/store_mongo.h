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

/* A store on the shared pool, for one thread (no round trip, so it cannot fail). */
bookd_store *bookd_store_mongo_open(bookd_mongo *m);

#endif
