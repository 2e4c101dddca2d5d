/*
 * bookd's command line: one table-free loop over "--flag value" pairs into
 * bookd_options, with a one-line reason for anything it refuses. The usage
 * text below is the reference for every flag.
 */
#include "options.h"

#include "iso8601.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char bookd_usage[] =
    "usage: bookd [--listen HOST:PORT] [--db PATH] [--fix none|C|A-notx|A|A+C]\n"
    "             [--slot-cache off|ttl:SECONDS|versioned] [--clock real|virtual[:ISO8601]]\n"
    "             [--race-window-us N] [--threads N] [--seed demo|none|FILE.json]\n"
    "             [--store sqlite|mongo] [--mongo-uri URI] [--mongo-db NAME]\n"
    "             [--max-connections N] [--request-timeout-ms N] [--write-timeout-ms N]\n"
    "             [--slot-cache-bytes N[k|m|g]] [--synchronous off|normal|full]\n"
    "             [--tls-cert FILE.pem --tls-key FILE.pem] [--arrival-trace FILE] [--delay-us N]\n"
    "\n"
    "  --listen HOST:PORT    address to serve on (default 127.0.0.1:8080; port 0 picks a free one)\n"
    "  --db PATH             SQLite database file (default bookd.db; \":memory:\" for one thread)\n"
    "  --fix MODE            booking rules (default A+C): none is the incident, C the unique index only,\n"
    "                        A-notx the check without a transaction, A the transactional check\n"
    "  --slot-cache MODE     optimal-slots cache (default versioned); ttl:300 is the incident's\n"
    "  --clock MODE          real, or virtual (stands still; moved by POST /__test/clock)\n"
    "  --race-window-us N    pause between the overlap check and the insert (default 0)\n"
    "  --threads N           event-loop threads, one SQLite connection each (default: CPUs)\n"
    "  --seed WHAT           demo data (default), none, or a catalogue JSON file\n"
    "  --store KIND          sqlite (default, --db) or mongo (--mongo-uri; A and A+C need a replica set)\n"
    "  --mongo-uri URI       e.g. mongodb://127.0.0.1:27017/?replicaSet=rs0\n"
    "  --mongo-db NAME       database name (default bookd)\n"
    "  --max-connections N   open connections per process (default 1024); more get 503 and are closed.\n"
    "                        Capped to what the descriptor limit allows (raised to its hard limit at start)\n"
    "  --request-timeout-ms N  time a request may take to arrive (default 10000): slow clients are cut off\n"
    "                        (HTTP/1.1 and HTTP/2 alike)\n"
    "  --write-timeout-ms N  time a response may wait for the client to read it (default: the request\n"
    "                        timeout); then the connection is closed\n"
    "  --slot-cache-bytes N  memory bound of the optimal-slots cache (default 32m)\n"
    "  --synchronous MODE    SQLite durability: full (default for C, A, A+C: an acknowledged booking\n"
    "                        survives a power loss), normal (default for none, A-notx: survives a crash)\n"
    "  --tls-cert FILE       serve TLS with this certificate chain (PEM); h2 and http/1.1 by ALPN\n"
    "  --tls-key FILE        the certificate's private key (PEM)\n"
    "  --arrival-trace FILE  write each request's handler-entry time (monotonic us) there at exit\n"
    "  --delay-us N          busy-wait N us in every request's handler (default 0): a slower release,\n"
    "                        for benchmarks that inject a known regression (bench/compare-aa.sh)\n"
    "  --help                this text; --version: the version and the git revision it was built from\n"
    "\n"
    "bookd speaks HTTP/1.1 and HTTP/2 (h2c by prior knowledge; h2 over TLS), every limit applying to both.\n";

const char *bookd_sync_name(bookd_sync s)
{
    return s == BOOKD_SYNC_FULL ? "full" : s == BOOKD_SYNC_NORMAL ? "normal" : "off";
}

static int parse_sync(const char *text, bookd_sync *out)
{
    for (int s = BOOKD_SYNC_OFF; s <= BOOKD_SYNC_FULL; s++)
        if (strcmp(text, bookd_sync_name((bookd_sync)s)) == 0) {
            *out = (bookd_sync)s;
            return 0;
        }
    return -1;
}

/* A byte count with an optional binary suffix: 4096, 64k, 32m, 1g. At least 64 KiB, at most 64 GiB. */
static int parse_bytes(const char *text, size_t *out)
{
    char digits[32];
    size_t len = strlen(text), shift = 0;
    if (len == 0 || len >= sizeof(digits))
        return -1;
    memcpy(digits, text, len + 1);
    char last = digits[len - 1];
    if (last == 'k' || last == 'm' || last == 'g') {
        shift = last == 'k' ? 10 : last == 'm' ? 20 : 30;
        digits[len - 1] = '\0';
    }
    char *end;
    errno = 0;
    if (digits[0] < '0' || digits[0] > '9')
        return -1;
    unsigned long long v = strtoull(digits, &end, 10);
    if (errno || *end != '\0' || v > (64ULL << 30) >> shift || (v << shift) < 65536)
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

static int parse_long(const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    if (*text == '\0' || *text == ' ' || *text == '+')
        return -1;
    long v = strtol(text, &end, 10);
    if (errno || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_listen(const char *text, bookd_options *o)
{
    const char *colon = strrchr(text, ':');
    long port;
    if (colon == NULL || colon == text || (size_t)(colon - text) >= sizeof(o->listen_host))
        return -1;
    if (parse_long(colon + 1, 0, 65535, &port))
        return -1;
    memcpy(o->listen_host, text, (size_t)(colon - text));
    o->listen_host[colon - text] = '\0';
    o->listen_port = (int)port;
    return 0;
}

static int parse_clock(const char *text, bookd_options *o)
{
    if (strcmp(text, "real") == 0) {
        o->clock_kind = BOOKD_CLOCK_REAL;
        return 0;
    }
    if (strcmp(text, "virtual") == 0) {
        o->clock_kind = BOOKD_CLOCK_VIRTUAL;
        return 0;
    }
    if (strncmp(text, "virtual:", 8) == 0) {
        o->clock_kind = BOOKD_CLOCK_VIRTUAL;
        return br_time_parse(text + 8, strlen(text + 8), &o->clock_start_us) == 0 ? 0 : -1;
    }
    return -1;
}

/* Applies one flag. Returns 0, 1 for an invalid value, or -1 for an unknown flag. */
static int apply_flag(const char *name, const char *value, bookd_options *o, int *threads_given,
                      int *sync_given)
{
    long n = 0;
    int bad = 0;
    if (strcmp(name, "--listen") == 0)
        bad = parse_listen(value, o);
    else if (strcmp(name, "--db") == 0)
        bad = *value == '\0', o->db_path = value;
    else if (strcmp(name, "--fix") == 0)
        bad = bookd_fix_parse(value, &o->fix);
    else if (strcmp(name, "--slot-cache") == 0)
        bad = bookd_cache_mode_parse(value, &o->cache_mode, &o->cache_ttl_us), o->cache_spec = value;
    else if (strcmp(name, "--clock") == 0)
        bad = parse_clock(value, o);
    else if (strcmp(name, "--race-window-us") == 0)
        bad = parse_long(value, 0, 60L * 1000 * 1000, &n), o->race_window_us = n;
    else if (strcmp(name, "--delay-us") == 0)
        bad = parse_long(value, 0, 1000L * 1000, &n), o->delay_us = n;
    else if (strcmp(name, "--threads") == 0)
        bad = parse_long(value, 1, 256, &n), o->threads = (int)n, *threads_given = 1;
    else if (strcmp(name, "--seed") == 0)
        bad = *value == '\0', o->seed = value;
    else if (strcmp(name, "--max-connections") == 0)
        bad = parse_long(value, 1, 1000000, &n), o->max_connections = (int)n;
    else if (strcmp(name, "--request-timeout-ms") == 0)
        bad = parse_long(value, 10, 3600000, &n), o->request_timeout_ms = (int)n;
    else if (strcmp(name, "--write-timeout-ms") == 0)
        bad = parse_long(value, 10, 3600000, &n), o->write_timeout_ms = (int)n;
    else if (strcmp(name, "--slot-cache-bytes") == 0)
        bad = parse_bytes(value, &o->slot_cache_bytes);
    else if (strcmp(name, "--synchronous") == 0)
        bad = parse_sync(value, &o->synchronous), *sync_given = 1;
    else if (strcmp(name, "--tls-cert") == 0)
        bad = *value == '\0', o->tls_cert = value;
    else if (strcmp(name, "--tls-key") == 0)
        bad = *value == '\0', o->tls_key = value;
    else if (strcmp(name, "--arrival-trace") == 0)
        bad = *value == '\0', o->arrival_trace = value;
    else if (strcmp(name, "--store") == 0)
        bad = strcmp(value, "sqlite") != 0 && strcmp(value, "mongo") != 0,
        o->store = strcmp(value, "mongo") == 0 ? BOOKD_STORE_MONGO : BOOKD_STORE_SQLITE;
    else if (strcmp(name, "--mongo-uri") == 0)
        bad = strncmp(value, "mongodb://", 10) != 0 && strncmp(value, "mongodb+srv://", 14) != 0,
        o->mongo_uri = value;
    else if (strcmp(name, "--mongo-db") == 0)
        bad = *value == '\0' || strpbrk(value, "/\\. \"$") != NULL, o->mongo_db = value;
    else
        return -1;
    return bad ? 1 : 0;
}

int bookd_options_parse(int argc, char **argv, bookd_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->listen_host, sizeof(o->listen_host), "127.0.0.1");
    o->listen_port = 8080;
    o->db_path = "bookd.db";
    o->fix = BOOKD_FIX_A_C;
    o->cache_spec = "versioned";
    o->cache_mode = BOOKD_CACHE_VERSIONED;
    o->clock_kind = BOOKD_CLOCK_REAL;
    o->clock_start_us = -1;
    o->seed = "demo";
    o->store = BOOKD_STORE_SQLITE;
    o->mongo_db = "bookd";
    o->max_connections = 1024;
    o->request_timeout_ms = 10000;
    o->slot_cache_bytes = BOOKD_DEFAULT_SLOT_CACHE_BYTES;
    int threads_given = 0, sync_given = 0;

    for (int i = 1; i < argc; i++) {
        const char *flag = argv[i];
        if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0)
            return BOOKD_OPTIONS_HELP;
        if (strncmp(flag, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%s'", flag);
            return BOOKD_OPTIONS_ERROR;
        }
        /* Every flag takes a value: either "--flag value" or "--flag=value". */
        const char *value;
        char name[32];
        const char *eq = strchr(flag, '=');
        if (eq != NULL) {
            snprintf(name, sizeof(name), "%.*s", (int)(eq - flag), flag);
            value = eq + 1;
        } else {
            snprintf(name, sizeof(name), "%s", flag);
            if (i + 1 >= argc) {
                snprintf(err, errlen, "%s needs a value", flag);
                return BOOKD_OPTIONS_ERROR;
            }
            value = argv[++i];
        }
        int rc = apply_flag(name, value, o, &threads_given, &sync_given);
        if (rc < 0) {
            snprintf(err, errlen, "unknown flag '%s'", name);
            return BOOKD_OPTIONS_ERROR;
        }
        if (rc > 0) {
            snprintf(err, errlen, "invalid value '%s' for %s", value, name);
            return BOOKD_OPTIONS_ERROR;
        }
    }
    if (o->write_timeout_ms == 0)
        o->write_timeout_ms = o->request_timeout_ms;
    if (!sync_given)
        o->synchronous =
            o->fix == BOOKD_FIX_NONE || o->fix == BOOKD_FIX_A_NOTX ? BOOKD_SYNC_NORMAL : BOOKD_SYNC_FULL;
    if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
        snprintf(err, errlen, "--tls-cert and --tls-key go together");
        return BOOKD_OPTIONS_ERROR;
    }
#ifndef BOOKRACE_HAVE_MONGO
    if (o->store == BOOKD_STORE_MONGO) {
        snprintf(err, errlen,
                 "--store mongo: this bookd was built without MongoDB (configure with libmongoc-dev "
                 "installed, or -DBOOKRACE_MONGO=ON)");
        return BOOKD_OPTIONS_ERROR;
    }
#endif
    if (o->store == BOOKD_STORE_MONGO && o->mongo_uri == NULL) {
        snprintf(err, errlen, "--store mongo needs --mongo-uri");
        return BOOKD_OPTIONS_ERROR;
    }
    if (o->store != BOOKD_STORE_MONGO && o->mongo_uri != NULL) {
        snprintf(err, errlen, "--mongo-uri is only used with --store mongo");
        return BOOKD_OPTIONS_ERROR;
    }
    int memory_db = o->store == BOOKD_STORE_SQLITE && strcmp(o->db_path, ":memory:") == 0;
    if (!threads_given) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = memory_db ? 1 : (int)(cpus < 1 ? 1 : cpus > 256 ? 256 : cpus);
    }
    if (memory_db && o->threads > 1) {
        snprintf(err, errlen,
                 "--db :memory: gives each connection its own database; use --threads 1 or a file");
        return BOOKD_OPTIONS_ERROR;
    }
    return BOOKD_OPTIONS_OK;
}
