/* bookd's command line, parsed into one struct (a contract other tools rely on: see README.md). */
#ifndef BOOKD_OPTIONS_H
#define BOOKD_OPTIONS_H

#include "booking.h"
#include "clock.h"
#include "slot_cache.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { BOOKD_STORE_SQLITE, BOOKD_STORE_MONGO } bookd_store_kind;

/* SQLite's PRAGMA synchronous under WAL: off, normal (survives a crash), full (survives a power loss). */
typedef enum { BOOKD_SYNC_OFF, BOOKD_SYNC_NORMAL, BOOKD_SYNC_FULL } bookd_sync;

const char *bookd_sync_name(bookd_sync s);

/* 32 MiB: the demo's slot lists are 2-6 KiB each, so thousands of distinct queries stay cached. */
#define BOOKD_DEFAULT_SLOT_CACHE_BYTES (32u * 1024 * 1024)

typedef struct {
    char listen_host[256];
    int listen_port; /* 0 picks a free port */
    const char *db_path;
    bookd_fix fix;
    const char *cache_spec; /* as given, for /health */
    bookd_cache_mode cache_mode;
    int64_t cache_ttl_us;
    bookd_clock_kind clock_kind;
    int64_t clock_start_us; /* virtual only; the real time at start when not given */
    int64_t race_window_us;
    int64_t delay_us; /* --delay-us: CPU-bound wait in every handler, to inject a known regression */
    int threads;
    const char *seed;       /* "demo", "none" or a JSON file */
    int max_connections;    /* per process; more are answered 503 and closed */
    int request_timeout_ms; /* a request must arrive whole within this (slow clients are cut off) */
    int write_timeout_ms;   /* a response the client does not read within this closes the connection */
    size_t slot_cache_bytes;
    bookd_sync synchronous; /* FULL for the fix modes (C, A, A+C) unless --synchronous says otherwise */
    const char *tls_cert, *tls_key; /* PEM files: serve TLS (h2 and http/1.1 by ALPN) */
    const char *arrival_trace;      /* NULL, or a file for each request's handler-entry time */
    bookd_store_kind store;
    const char *mongo_uri; /* --store mongo */
    const char *mongo_db;
} bookd_options;

enum { BOOKD_OPTIONS_OK = 0, BOOKD_OPTIONS_HELP = 1, BOOKD_OPTIONS_ERROR = -1 };

/*
 * Parses argv (argv[0] is skipped). Returns BOOKD_OPTIONS_OK, _HELP for
 * --help, or _ERROR with a one-line reason in |err|. Strings in |out| point
 * into argv or static storage.
 */
int bookd_options_parse(int argc, char **argv, bookd_options *out, char *err, size_t errlen);

extern const char bookd_usage[];

#endif
