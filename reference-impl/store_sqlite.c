/*
 * The SQLite store. One sqlite3 connection per bookd_store, so per server
 * thread; every statement is prepared once at open and reset after use, which
 * keeps the request path free of SQL parsing.
 */
#include "store.h"

#include "alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    STMT_PUT_COMPANY,
    STMT_PUT_INSPECTOR,
    STMT_PUT_SERVICE,
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_FIND_OVERLAP,
    STMT_FIND_AT,
    STMT_FIND_HOLD_OVERLAP,
    STMT_INSERT_INSPECTION,
    STMT_GET_INSPECTION,
    STMT_CANCEL,
    STMT_INSERT_HOLD,
    STMT_GET_HOLD,
    STMT_CONVERT_HOLD,
    STMT_LIST,
    STMT_LIST_BUSY,
    STMT_VERSION_GET,
    STMT_VERSION_BUMP,
    STMT_COUNT
};

#define INSPECTION_COLUMNS                                                                                   \
    "id, inspector_id, service_id, start_us, end_us, status, scheduled_us, address, customer_name, "         \
    "customer_email, coalesce(hold_id, '')"
/* "starts after start - max span": see BOOKD_MAX_SPAN_US. */
#define SPAN_BOUND(param) " AND start_us > " param " - 43200000000"
_Static_assert(BOOKD_MAX_SPAN_US == INT64_C(43200000000), "SPAN_BOUND must match BOOKD_MAX_SPAN_US");

#define HOLD_COLUMNS "id, inspector_id, start_us, end_us, created_us, expires_us, status"

static const char *const statement_sql[STMT_COUNT] = {
    [STMT_PUT_COMPANY] = "INSERT INTO companies(id, api_key) VALUES(?1, ?2) "
                         "ON CONFLICT(id) DO UPDATE SET api_key = excluded.api_key",
    [STMT_PUT_INSPECTOR] = "INSERT OR IGNORE INTO inspectors(company_id, id) VALUES(?1, ?2)",
    [STMT_PUT_SERVICE] = "INSERT INTO services(company_id, id, duration_min) VALUES(?1, ?2, ?3) "
                         "ON CONFLICT(company_id, id) DO UPDATE SET duration_min = excluded.duration_min",
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_FIND_OVERLAP] =
        "SELECT " INSPECTION_COLUMNS " FROM inspections WHERE company_id = ?1 AND "
        "inspector_id = ?2 AND status <> 'cancelled' AND start_us < ?4 AND end_us > ?3 " SPAN_BOUND(
            "?3") " ORDER BY start_us LIMIT 1",
    [STMT_FIND_AT] = "SELECT " INSPECTION_COLUMNS " FROM inspections WHERE company_id = ?1 AND "
                     "inspector_id = ?2 AND status <> 'cancelled' AND start_us = ?3 LIMIT 1",
    [STMT_FIND_HOLD_OVERLAP] =
        "SELECT " HOLD_COLUMNS " FROM events WHERE company_id = ?1 AND inspector_id = ?2 "
        "AND status = 'active' AND expires_us > ?5 AND start_us < ?4 AND end_us > ?3 "
        "AND id <> ?6" SPAN_BOUND("?3") " ORDER BY start_us LIMIT 1",
    [STMT_INSERT_INSPECTION] =
        "INSERT INTO inspections(id, company_id, inspector_id, service_id, start_us, end_us, status, "
        "scheduled_us, address, customer_name, customer_email, hold_id) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, nullif(?12, ''))",
    [STMT_GET_INSPECTION] =
        "SELECT " INSPECTION_COLUMNS " FROM inspections WHERE company_id = ?1 AND id = ?2",
    [STMT_CANCEL] = "UPDATE inspections SET status = 'cancelled' WHERE company_id = ?1 AND id = ?2 "
                    "AND status <> 'cancelled'",
    [STMT_INSERT_HOLD] =
        "INSERT INTO events(id, company_id, inspector_id, type, start_us, end_us, created_us, "
        "expires_us, status) VALUES(?1, ?2, ?3, 'Block', ?4, ?5, ?6, ?7, 'active')",
    [STMT_GET_HOLD] = "SELECT " HOLD_COLUMNS " FROM events WHERE company_id = ?1 AND id = ?2",
    [STMT_CONVERT_HOLD] =
        "UPDATE events SET status = 'converted' WHERE company_id = ?1 AND id = ?2 AND status = 'active'",
    [STMT_LIST] =
        "SELECT " INSPECTION_COLUMNS " FROM inspections WHERE company_id = ?1 AND start_us < ?3 AND "
        "end_us > ?2 AND (?4 IS NULL OR inspector_id = ?4) AND (?5 IS NULL OR status = ?5)" SPAN_BOUND(
            "?2") " ORDER BY start_us, inspector_id, id",
    [STMT_LIST_BUSY] =
        "SELECT inspector_id, start_us, end_us, 9223372036854775807 FROM inspections WHERE company_id = ?1 "
        "AND "
        "status <> 'cancelled' AND start_us < ?3 AND end_us > ?2" SPAN_BOUND(
            "?2") " UNION ALL SELECT inspector_id, start_us, end_us, expires_us FROM events WHERE company_id "
                  "= ?1 AND "
                  "status = 'active' AND expires_us > ?4 AND start_us < ?3 AND end_us > ?2" SPAN_BOUND("?2"),
    [STMT_VERSION_GET] = "SELECT version FROM company_versions WHERE company_id = ?1",
    [STMT_VERSION_BUMP] = "INSERT INTO company_versions(company_id, version) VALUES(?1, 1) "
                          "ON CONFLICT(company_id) DO UPDATE SET version = version + 1",
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS companies(id TEXT PRIMARY KEY, api_key TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS inspectors(company_id TEXT NOT NULL, id TEXT NOT NULL,"
    " PRIMARY KEY(company_id, id));"
    "CREATE TABLE IF NOT EXISTS services(company_id TEXT NOT NULL, id TEXT NOT NULL,"
    " duration_min INTEGER NOT NULL, PRIMARY KEY(company_id, id));"
    "CREATE TABLE IF NOT EXISTS inspections(id TEXT PRIMARY KEY, company_id TEXT NOT NULL,"
    " inspector_id TEXT NOT NULL, service_id TEXT NOT NULL, start_us INTEGER NOT NULL,"
    " end_us INTEGER NOT NULL, status TEXT NOT NULL, scheduled_us INTEGER NOT NULL,"
    " address TEXT NOT NULL, customer_name TEXT NOT NULL, customer_email TEXT NOT NULL, hold_id TEXT,"
    " job_creation_type TEXT NOT NULL DEFAULT 'online');"
    "CREATE INDEX IF NOT EXISTS inspections_by_inspector ON inspections(company_id, inspector_id, start_us);"
    "CREATE INDEX IF NOT EXISTS inspections_by_time ON inspections(company_id, start_us);"
    "CREATE TABLE IF NOT EXISTS events(id TEXT PRIMARY KEY, company_id TEXT NOT NULL,"
    " inspector_id TEXT NOT NULL, type TEXT NOT NULL, start_us INTEGER NOT NULL, end_us INTEGER NOT NULL,"
    " created_us INTEGER NOT NULL, expires_us INTEGER NOT NULL, status TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_by_inspector ON events(company_id, inspector_id, start_us);"
    "CREATE INDEX IF NOT EXISTS events_by_time ON events(company_id, start_us);"
    "CREATE TABLE IF NOT EXISTS company_versions(company_id TEXT PRIMARY KEY, version INTEGER NOT NULL);";

typedef struct {
    bookd_store base;
    sqlite3 *db;
    sqlite3_stmt *stmt[STMT_COUNT];
    int in_transaction;
} sqlite_store;

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return BOOKD_STORE_EBUSY;
    case SQLITE_CONSTRAINT:
        return rc == SQLITE_CONSTRAINT_UNIQUE ? BOOKD_STORE_EUNIQUE : BOOKD_STORE_EIO;
    default:
        return BOOKD_STORE_EIO;
    }
}

static sqlite3_stmt *prep(sqlite_store *s, int which)
{
    sqlite3_stmt *st = s->stmt[which];
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

static void bind_text(sqlite3_stmt *st, int idx, const char *text)
{
    if (text == NULL)
        sqlite3_bind_null(st, idx);
    else
        sqlite3_bind_text(st, idx, text, -1, SQLITE_STATIC);
}

/* Runs a statement that returns no rows; returns 0 or a store error. */
static int exec_stmt(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int result = rc == SQLITE_DONE ? 0 : map_rc(sqlite3_extended_errcode(sqlite3_db_handle(st)));
    if (rc != SQLITE_DONE && result == 0)
        result = BOOKD_STORE_EIO;
    sqlite3_reset(st);
    return result;
}

static void copy_column(char *dst, size_t cap, sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    snprintf(dst, cap, "%s", text ? (const char *)text : "");
}

static void read_inspection(sqlite3_stmt *st, bookd_inspection *out)
{
    copy_column(out->id, sizeof(out->id), st, 0);
    copy_column(out->inspector_id, sizeof(out->inspector_id), st, 1);
    copy_column(out->service_id, sizeof(out->service_id), st, 2);
    out->start_us = sqlite3_column_int64(st, 3);
    out->end_us = sqlite3_column_int64(st, 4);
    const unsigned char *status = sqlite3_column_text(st, 5);
    out->status = status && strcmp((const char *)status, "cancelled") == 0 ? BOOKD_STATUS_CANCELLED
                                                                           : BOOKD_STATUS_SCHEDULED;
    out->scheduled_us = sqlite3_column_int64(st, 6);
    copy_column(out->address, sizeof(out->address), st, 7);
    copy_column(out->customer_name, sizeof(out->customer_name), st, 8);
    copy_column(out->customer_email, sizeof(out->customer_email), st, 9);
    copy_column(out->hold_id, sizeof(out->hold_id), st, 10);
}

static void read_hold(sqlite3_stmt *st, bookd_hold *out)
{
    copy_column(out->id, sizeof(out->id), st, 0);
    copy_column(out->inspector_id, sizeof(out->inspector_id), st, 1);
    out->start_us = sqlite3_column_int64(st, 2);
    out->end_us = sqlite3_column_int64(st, 3);
    out->created_us = sqlite3_column_int64(st, 4);
    out->expires_us = sqlite3_column_int64(st, 5);
    const unsigned char *status = sqlite3_column_text(st, 6);
    out->status =
        status && strcmp((const char *)status, "active") == 0 ? BOOKD_HOLD_ACTIVE : BOOKD_HOLD_CONVERTED;
}

/* Steps a single-row query: 1 with the row read by |reader|, 0 for no row, or an error. */
static int query_one(sqlite3_stmt *st, void (*reader)(sqlite3_stmt *, void *), void *out)
{
    int rc = sqlite3_step(st);
    int result;
    if (rc == SQLITE_ROW) {
        reader(st, out);
        result = 1;
    } else if (rc == SQLITE_DONE) {
        result = 0;
    } else {
        result = map_rc(sqlite3_extended_errcode(sqlite3_db_handle(st)));
        if (result == 0)
            result = BOOKD_STORE_EIO;
    }
    sqlite3_reset(st);
    return result;
}

static void inspection_reader(sqlite3_stmt *st, void *out)
{
    read_inspection(st, out);
}

static void hold_reader(sqlite3_stmt *st, void *out)
{
    read_hold(st, out);
}

static void sqlite_del(bookd_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    free(s);
}

static const char *sqlite_errmsg(bookd_store *base)
{
    return sqlite3_errmsg(((sqlite_store *)base)->db);
}

static int sqlite_put_company(bookd_store *base, const char *company, const char *api_key)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_PUT_COMPANY);
    bind_text(st, 1, company);
    bind_text(st, 2, api_key);
    return exec_stmt(st);
}

static int sqlite_put_inspector(bookd_store *base, const char *company, const char *inspector)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_PUT_INSPECTOR);
    bind_text(st, 1, company);
    bind_text(st, 2, inspector);
    return exec_stmt(st);
}

static int sqlite_put_service(bookd_store *base, const char *company, const char *service, int duration)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_PUT_SERVICE);
    bind_text(st, 1, company);
    bind_text(st, 2, service);
    sqlite3_bind_int(st, 3, duration);
    return exec_stmt(st);
}

/* Counts the rows of a one-parameter count query. */
static int64_t count_rows(sqlite3 *db, const char *sql, const char *param)
{
    sqlite3_stmt *st;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    bind_text(st, 1, param);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int sqlite_load_catalog(bookd_store *base, bookd_catalog *out)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof(*out));
    int64_t ncompanies = count_rows(s->db, "SELECT count(*) FROM companies WHERE ?1 IS NULL", NULL);
    if (ncompanies < 0)
        return BOOKD_STORE_EIO;
    if (ncompanies == 0)
        return 0;
    out->companies = xcalloc((size_t)ncompanies, sizeof(*out->companies));
    if (sqlite3_prepare_v2(s->db, "SELECT id, api_key FROM companies ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK)
        goto fail;
    while (sqlite3_step(st) == SQLITE_ROW && out->company_count < (size_t)ncompanies) {
        bookd_company *c = &out->companies[out->company_count++];
        copy_column(c->id, sizeof(c->id), st, 0);
        copy_column(c->api_key, sizeof(c->api_key), st, 1);
    }
    sqlite3_finalize(st);
    st = NULL;
    for (size_t i = 0; i < out->company_count; i++) {
        bookd_company *c = &out->companies[i];
        int64_t ni = count_rows(s->db, "SELECT count(*) FROM inspectors WHERE company_id = ?1", c->id);
        int64_t ns = count_rows(s->db, "SELECT count(*) FROM services WHERE company_id = ?1", c->id);
        if (ni < 0 || ns < 0)
            goto fail;
        c->inspectors = xcalloc((size_t)ni + 1, sizeof(*c->inspectors));
        c->services = xcalloc((size_t)ns + 1, sizeof(*c->services));
        if (sqlite3_prepare_v2(s->db, "SELECT id FROM inspectors WHERE company_id = ?1 ORDER BY id", -1, &st,
                               NULL) != SQLITE_OK)
            goto fail;
        bind_text(st, 1, c->id);
        while (sqlite3_step(st) == SQLITE_ROW && c->inspector_count < (size_t)ni)
            copy_column(c->inspectors[c->inspector_count++], BOOKD_NAME_MAX + 1, st, 0);
        sqlite3_finalize(st);
        if (sqlite3_prepare_v2(s->db,
                               "SELECT id, duration_min FROM services WHERE company_id = ?1 ORDER BY id", -1,
                               &st, NULL) != SQLITE_OK)
            goto fail;
        bind_text(st, 1, c->id);
        while (sqlite3_step(st) == SQLITE_ROW && c->service_count < (size_t)ns) {
            bookd_service *svc = &c->services[c->service_count++];
            copy_column(svc->id, sizeof(svc->id), st, 0);
            svc->duration_minutes = sqlite3_column_int(st, 1);
        }
        sqlite3_finalize(st);
        st = NULL;
    }
    return 0;
fail:
    sqlite3_finalize(st);
    bookd_catalog_free(out);
    return BOOKD_STORE_EIO;
}

static int sqlite_set_unique_index(bookd_store *base, int want)
{
    sqlite_store *s = (sqlite_store *)base;
    const char *sql = want ? "CREATE UNIQUE INDEX IF NOT EXISTS inspections_active_start "
                             "ON inspections(company_id, inspector_id, start_us) WHERE status <> 'cancelled'"
                           : "DROP INDEX IF EXISTS inspections_active_start";
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    int rc = map_rc(sqlite3_extended_errcode(s->db));
    return rc ? rc : BOOKD_STORE_EIO;
}

/* How often a transaction that met a locked database (after its busy timeout) is tried again. */
#define BUSY_RETRIES 3

static int sqlite_begin(bookd_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc = exec_stmt(prep(s, STMT_BEGIN));
    if (rc == 0)
        s->in_transaction = 1;
    return rc;
}

static int sqlite_commit(bookd_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    int rc = exec_stmt(prep(s, STMT_COMMIT));
    /* A failed COMMIT (SQLITE_BUSY) leaves the transaction open; the caller rolls back. */
    if (rc == 0)
        s->in_transaction = 0;
    return rc;
}

static int sqlite_rollback(bookd_store *base)
{
    sqlite_store *s = (sqlite_store *)base;
    if (!sqlite3_get_autocommit(s->db)) {
        int rc = exec_stmt(prep(s, STMT_ROLLBACK));
        if (rc)
            return rc;
    }
    s->in_transaction = 0;
    return 0;
}

static int sqlite_transaction(bookd_store *base, const char *company, const char *inspector,
                              int (*body)(void *arg), void *arg)
{
    (void)company;
    (void)inspector; /* BEGIN IMMEDIATE takes the database's single write lock: every writer is serialised */
    int rc = BOOKD_STORE_EBUSY;
    for (int attempt = 0; attempt < BUSY_RETRIES && rc == BOOKD_STORE_EBUSY; attempt++) {
        rc = sqlite_begin(base);
        if (rc != 0)
            continue;
        rc = body(arg);
        if (rc == 0)
            rc = sqlite_commit(base);
        if (rc != 0)
            sqlite_rollback(base);
    }
    return rc;
}

static int sqlite_find_inspection_overlap(bookd_store *base, const char *company, const char *inspector,
                                          int64_t start_us, int64_t end_us, bookd_inspection *out)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_FIND_OVERLAP);
    bind_text(st, 1, company);
    bind_text(st, 2, inspector);
    sqlite3_bind_int64(st, 3, start_us);
    sqlite3_bind_int64(st, 4, end_us);
    return query_one(st, inspection_reader, out);
}

static int sqlite_find_inspection_at(bookd_store *base, const char *company, const char *inspector,
                                     int64_t start_us, bookd_inspection *out)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_FIND_AT);
    bind_text(st, 1, company);
    bind_text(st, 2, inspector);
    sqlite3_bind_int64(st, 3, start_us);
    return query_one(st, inspection_reader, out);
}

static int sqlite_find_hold_overlap(bookd_store *base, const char *company, const char *inspector,
                                    int64_t start_us, int64_t end_us, int64_t now_us,
                                    const char *except_hold_id, bookd_hold *out)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_FIND_HOLD_OVERLAP);
    bind_text(st, 1, company);
    bind_text(st, 2, inspector);
    sqlite3_bind_int64(st, 3, start_us);
    sqlite3_bind_int64(st, 4, end_us);
    sqlite3_bind_int64(st, 5, now_us);
    bind_text(st, 6, except_hold_id ? except_hold_id : "");
    return query_one(st, hold_reader, out);
}

static int sqlite_insert_inspection(bookd_store *base, const char *company, const bookd_inspection *in)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_INSERT_INSPECTION);
    bind_text(st, 1, in->id);
    bind_text(st, 2, company);
    bind_text(st, 3, in->inspector_id);
    bind_text(st, 4, in->service_id);
    sqlite3_bind_int64(st, 5, in->start_us);
    sqlite3_bind_int64(st, 6, in->end_us);
    bind_text(st, 7, bookd_inspection_status_name(in->status));
    sqlite3_bind_int64(st, 8, in->scheduled_us);
    bind_text(st, 9, in->address);
    bind_text(st, 10, in->customer_name);
    bind_text(st, 11, in->customer_email);
    bind_text(st, 12, in->hold_id);
    return exec_stmt(st);
}

static int sqlite_get_inspection(bookd_store *base, const char *company, const char *id,
                                 bookd_inspection *out)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_GET_INSPECTION);
    bind_text(st, 1, company);
    bind_text(st, 2, id);
    int rc = query_one(st, inspection_reader, out);
    return rc == 0 ? BOOKD_STORE_ENOTFOUND : rc < 0 ? rc : 0;
}

static int sqlite_cancel_inspection(bookd_store *base, const char *company, const char *id)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = prep(s, STMT_CANCEL);
    bind_text(st, 1, company);
    bind_text(st, 2, id);
    int rc = exec_stmt(st);
    if (rc)
        return rc;
    if (sqlite3_changes(s->db) == 1)
        return 0;
    bookd_inspection existing;
    rc = sqlite_get_inspection(base, company, id, &existing);
    return rc == 0 ? BOOKD_STORE_ESTATE : rc;
}

static int sqlite_insert_hold(bookd_store *base, const char *company, const bookd_hold *hold)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_INSERT_HOLD);
    bind_text(st, 1, hold->id);
    bind_text(st, 2, company);
    bind_text(st, 3, hold->inspector_id);
    sqlite3_bind_int64(st, 4, hold->start_us);
    sqlite3_bind_int64(st, 5, hold->end_us);
    sqlite3_bind_int64(st, 6, hold->created_us);
    sqlite3_bind_int64(st, 7, hold->expires_us);
    return exec_stmt(st);
}

static int sqlite_get_hold(bookd_store *base, const char *company, const char *id, bookd_hold *out)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_GET_HOLD);
    bind_text(st, 1, company);
    bind_text(st, 2, id);
    int rc = query_one(st, hold_reader, out);
    return rc == 0 ? BOOKD_STORE_ENOTFOUND : rc < 0 ? rc : 0;
}

static int sqlite_convert_hold(bookd_store *base, const char *company, const char *id)
{
    sqlite_store *s = (sqlite_store *)base;
    sqlite3_stmt *st = prep(s, STMT_CONVERT_HOLD);
    bind_text(st, 1, company);
    bind_text(st, 2, id);
    int rc = exec_stmt(st);
    if (rc == 0 && sqlite3_changes(s->db) != 1) {
        bookd_hold h;
        rc = sqlite_get_hold(base, company, id, &h) == 0 ? BOOKD_STORE_ESTATE : BOOKD_STORE_ENOTFOUND;
    }
    return rc;
}

/* Steps a multi-row statement to its end; returns 0 or a store error. */
static int finish_rows(sqlite3_stmt *st, int rc)
{
    int result = rc == SQLITE_DONE ? 0 : map_rc(sqlite3_extended_errcode(sqlite3_db_handle(st)));
    if (rc != SQLITE_DONE && result == 0)
        result = BOOKD_STORE_EIO;
    sqlite3_reset(st);
    return result;
}

static int sqlite_list_inspections(bookd_store *base, const char *company, int64_t from_us, int64_t to_us,
                                   const char *inspector, const char *status, bookd_inspection_cb cb,
                                   void *arg)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_LIST);
    bind_text(st, 1, company);
    sqlite3_bind_int64(st, 2, from_us);
    sqlite3_bind_int64(st, 3, to_us);
    bind_text(st, 4, inspector);
    bind_text(st, 5, status);
    int rc;
    bookd_inspection row;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_inspection(st, &row);
        cb(arg, &row);
    }
    return finish_rows(st, rc);
}

static int sqlite_list_busy(bookd_store *base, const char *company, int64_t from_us, int64_t to_us,
                            int64_t now_us, bookd_busy_cb cb, void *arg)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_LIST_BUSY);
    bind_text(st, 1, company);
    sqlite3_bind_int64(st, 2, from_us);
    sqlite3_bind_int64(st, 3, to_us);
    sqlite3_bind_int64(st, 4, now_us);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        cb(arg, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
           sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3));
    return finish_rows(st, rc);
}

static int sqlite_version_get(bookd_store *base, const char *company, int64_t *out)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_VERSION_GET);
    bind_text(st, 1, company);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_DONE;
    } else if (rc == SQLITE_DONE) {
        *out = 0;
    }
    return finish_rows(st, rc);
}

static int sqlite_version_bump(bookd_store *base, const char *company)
{
    sqlite3_stmt *st = prep((sqlite_store *)base, STMT_VERSION_BUMP);
    bind_text(st, 1, company);
    return exec_stmt(st);
}

static const bookd_store_ops sqlite_ops = {
    .name = "sqlite",
    .del = sqlite_del,
    .errmsg = sqlite_errmsg,
    .put_company = sqlite_put_company,
    .put_inspector = sqlite_put_inspector,
    .put_service = sqlite_put_service,
    .load_catalog = sqlite_load_catalog,
    .set_unique_index = sqlite_set_unique_index,
    .transaction = sqlite_transaction,
    .find_inspection_overlap = sqlite_find_inspection_overlap,
    .find_inspection_at = sqlite_find_inspection_at,
    .find_hold_overlap = sqlite_find_hold_overlap,
    .insert_inspection = sqlite_insert_inspection,
    .get_inspection = sqlite_get_inspection,
    .cancel_inspection = sqlite_cancel_inspection,
    .insert_hold = sqlite_insert_hold,
    .get_hold = sqlite_get_hold,
    .convert_hold = sqlite_convert_hold,
    .list_inspections = sqlite_list_inspections,
    .list_busy = sqlite_list_busy,
    .version_get = sqlite_version_get,
    .version_bump = sqlite_version_bump,
};

int bookd_store_sqlite_open(const char *path, int busy_timeout_ms, bookd_store **out, char *errbuf,
                            size_t errlen)
{
    sqlite_store *s = xcalloc(1, sizeof(*s));
    s->base.ops = &sqlite_ops;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open database %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "no memory");
        goto fail_open;
    }
    sqlite3_busy_timeout(s->db, busy_timeout_ms);
    sqlite3_extended_result_codes(s->db, 1);
    /*
     * WAL lets readers and one writer proceed together and lets several bookd
     * processes share the file. synchronous=NORMAL keeps every committed
     * transaction across a crash of the process (the WAL is in the OS cache);
     * only a power loss could drop the last commits. bookd raises it to FULL
     * for the fix modes (bookd_store_sqlite_set_synchronous, --synchronous).
     */
    char *err = NULL;
    if (sqlite3_exec(s->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                     NULL, NULL, &err) != SQLITE_OK ||
        sqlite3_exec(s->db, schema_sql, NULL, NULL, &err) != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot set up database %s: %s", path, err ? err : sqlite3_errmsg(s->db));
        sqlite3_free(err);
        goto fail_schema;
    }
    for (int i = 0; i < STMT_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL) !=
            SQLITE_OK) {
            snprintf(errbuf, errlen, "cannot prepare statement %d: %s", i, sqlite3_errmsg(s->db));
            goto fail_prepare;
        }
    }
    *out = &s->base;
    return 0;

fail_prepare:
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
fail_schema:
fail_open:
    sqlite3_close(s->db);
    free(s);
    return BOOKD_STORE_EIO;
}

int bookd_store_sqlite_set_synchronous(bookd_store *base, const char *mode)
{
    sqlite_store *s = (sqlite_store *)base;
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", mode);
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : BOOKD_STORE_EIO;
}

/*
 * The index-mode claim: an open file description lock (F_OFD_SETLK, so it
 * belongs to this process's descriptor, not to the thread or to every fd of
 * the file) on one byte of "<db>-bookd.lock": byte 0 for processes that rely
 * on the unique index, byte 1 for those that run without it. A process
 * read-locks its own byte for its lifetime, then asks whether anyone holds
 * the other one; two processes starting in different modes at the same
 * instant both see the other and both refuse, which is the safe outcome.
 */
int bookd_store_sqlite_claim_index_mode(const char *db_path, int want_index, int *fd_out, char *err,
                                        size_t errlen)
{
    char path[4096];
    *fd_out = -1;
    if (strcmp(db_path, ":memory:") == 0)
        return 0;
    snprintf(path, sizeof(path), "%s-bookd.lock", db_path);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return BOOKD_STORE_EIO;
    }
    struct flock mine = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = want_index ? 0 : 1, .l_len = 1};
    struct flock other = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = want_index ? 1 : 0, .l_len = 1};
    if (fcntl(fd, F_OFD_SETLK, &mine) != 0 || fcntl(fd, F_OFD_GETLK, &other) != 0) {
        snprintf(err, errlen, "cannot lock %s: %s", path, strerror(errno));
        close(fd);
        return BOOKD_STORE_EIO;
    }
    if (other.l_type != F_UNLCK) {
        snprintf(err, errlen,
                 "another bookd has %s open in a mode that %s the unique index (fix %s); refusing to %s it "
                 "under that process. Stop it first, or use the same kind of --fix (C and A+C keep the "
                 "index; none, A-notx and A drop it)",
                 db_path, want_index ? "drops" : "relies on", want_index ? "none, A-notx or A" : "C or A+C",
                 want_index ? "create" : "drop");
        close(fd);
        return BOOKD_STORE_ESTATE;
    }
    *fd_out = fd;
    return 0;
}
