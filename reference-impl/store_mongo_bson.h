/*
 * store_mongo's internals, for store_mongo.c and the unit tests only: the
 * BSON it sends, built by pure functions, and the driver-error classes.
 * (They used to sit in store_mongo.h, the store's public header.)
 */
#ifndef BOOKD_STORE_MONGO_BSON_H
#define BOOKD_STORE_MONGO_BSON_H

#include "store.h"

#include <bson/bson.h>
#include <stddef.h>
#include <stdint.h>

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

/* Appends |id| under |key| as an ObjectId when it is one, else as a string. */
void bookd_mongo_append_id(bson_t *doc, const char *key, const char *id);

#endif
