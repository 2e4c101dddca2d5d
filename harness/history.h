/*
 * The streamed history of a load run: JSON Lines, one record per operation,
 * written while the run goes (schema "bookrace.history/1", docs/results.md).
 * Memory stays flat at any run length: each load thread formats its records
 * into its own buffer (no lock per record) and, when the buffer holds
 * BR_HISTORY_CHUNK bytes, compresses it into one complete zstd frame with its
 * own context and appends the frame to the file under a mutex (one lock per
 * chunk). Concatenated zstd frames are one valid .zst stream, so `zstdcat
 * history.jsonl.zst` reads the file as plain JSON Lines.
 *
 * zstd, not gzip: level 1 compresses JSON Lines several times faster than
 * zlib level 1 at a better ratio (docs/performance.md has the figures); the
 * load thread pays for it, so speed decides.
 *
 * The reader streams the file back record by record (a .zst file or plain
 * .jsonl, told apart by the zstd magic number) with a limit on every line,
 * for `bookrace check` and the fuzz target.
 */
#ifndef BR_HISTORY_H
#define BR_HISTORY_H

#include "oracle.h"

#include <stddef.h>
#include <stdint.h>

#define BR_HISTORY_SCHEMA "bookrace.history/1"
/* A thread's records are compressed and written in chunks of this many bytes. */
#define BR_HISTORY_CHUNK (256u * 1024u)
/* The longest line the reader accepts (a record is a few hundred bytes; the header lists the actors). */
#define BR_HISTORY_MAX_LINE (1u << 20)
#define BR_HISTORY_MAX_OPS 8

typedef enum {
    BR_HREC_INVOKE, /* reserved: the writer folds the invoke into the completion record */
    BR_HREC_OK,
    BR_HREC_FAIL,
    BR_HREC_INFO,  /* indeterminate: timeout, transport failure, still in flight at the end */
    BR_HREC_TRUTH, /* a booking as the target listed it after the run */
    BR_HREC_END,   /* the trailer: totals and whether the ground truth was read */
} br_hrec_type;

const char *br_hrec_type_name(br_hrec_type type);

/* One record of the stream. Fields a type does not use are zero / empty. */
typedef struct {
    br_hrec_type type;
    int op;                      /* index into the header's "ops" */
    int actor;                   /* index into the header's "actors", -1 when none */
    int conn;                    /* the load connection that sent it */
    int64_t invoke_us, t_us;     /* send and completion, microseconds since the run started */
    int status;                  /* HTTP status, 0 when no response arrived */
    char inspector[BR_NAME_MAX]; /* bookings and truth */
    int64_t start_us, end_us;    /* the booked range, 0 when none */
    char id[BR_ID_MAX];          /* the booking id from the response or the target's list */
    int active, ours;            /* truth: not cancelled; tagged as this run's (1, 0, -1 unknown) */
    uint64_t records;            /* end: operation records written */
    int truth_checked;           /* end */
    char note[256];              /* end: why the ground truth was not read */
} br_history_record;

/* ---- writer ---------------------------------------------------------------------------------------- */

typedef struct br_history_writer br_history_writer;

typedef struct {
    uint64_t records;       /* operation records */
    uint64_t bytes_raw;     /* JSON Lines bytes before compression */
    uint64_t bytes_written; /* bytes in the file */
} br_history_stats;

/*
 * Creates |path| (written as |path|.part and renamed on close) for |threads|
 * writers. |header_json| is the header object without the schema, e.g.
 * {"runId":"..","ops":["fetch_slots","book"],"actors":["melinda",..]}; the
 * schema is added. |compress|: 1 zstd, 0 plain JSON Lines. NULL with |err|.
 */
br_history_writer *br_history_open(const char *path, int threads, const char *header_json, int compress,
                                   char *err, size_t errlen);

/* Appends one record for thread |thread| (no lock unless its chunk is full). Thread-safe across threads. */
void br_history_append(br_history_writer *w, int thread, const br_history_record *r);

/*
 * Flushes every thread's buffer, appends the end record, syncs, renames the
 * file into place and frees |w|. Returns 0, or -1 with |err| when any write
 * failed (the .part file is then removed).
 */
int br_history_close(br_history_writer *w, int truth_checked, const char *note, br_history_stats *stats,
                     char *err, size_t errlen);

/* Formats |r| as one JSON line with its newline into |out| (at least BR_HISTORY_LINE_MAX). Returns length. */
#define BR_HISTORY_LINE_MAX 1024
size_t br_history_format(const br_history_record *r, const char *const *op_names, char *out);

/* ---- reader ---------------------------------------------------------------------------------------- */

typedef struct br_history_reader br_history_reader;

/* Opens a history file (.zst or plain). NULL with |err| naming the file. */
br_history_reader *br_history_reader_open(const char *path, char *err, size_t errlen);
/* Reads a history held in memory (copied); |name| appears in error messages. */
br_history_reader *br_history_reader_mem(const void *data, size_t len, const char *name);
void br_history_reader_close(br_history_reader *r);

/*
 * The next record: 1 with |out| filled, 0 at the end of a complete stream, -1
 * with |err| (file:line:column) for a damaged one. The header is read by the
 * first call and not returned; after it, br_history_header_* answer.
 * A stream without its end record is an error (the run was cut short).
 */
int br_history_next(br_history_reader *r, br_history_record *out, char *err, size_t errlen);

size_t br_history_op_count(const br_history_reader *r);
const char *br_history_op_name(const br_history_reader *r, int op);
size_t br_history_actor_count(const br_history_reader *r);
const char *br_history_actor_name(const br_history_reader *r, int actor);
const char *br_history_run_id(const br_history_reader *r);

#endif
