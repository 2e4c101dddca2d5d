/*
 * The streamed history (see history.h): a writer that load threads feed
 * without locking per record, and a reader with a limit on every line. The
 * writer's records are formatted by hand (no snprintf, no JSON library): at
 * tens of thousands of requests a second per thread the formatting is on the
 * load's hot path, and oracle-on must run at 0.9x oracle-off or better.
 */
#include "history.h"

#include "alloc.h"
#include "iso8601.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define ZSTD_LEVEL 1
#define MAX_ACTORS 100000

static const char *const type_names[] = {"invoke", "ok", "fail", "info", "truth", "end"};

const char *br_hrec_type_name(br_hrec_type type)
{
    return type_names[type];
}

/* ---- formatting ------------------------------------------------------------------------------------ */

static char *put(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *put_i64(char *p, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *p++ = '-';
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* A JSON string of at most |max| source bytes (the fields are bounded by their arrays). */
static char *put_str(char *p, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    *p++ = '"';
    for (size_t i = 0; i < max && s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char)c;
        } else if (c < 0x20) {
            p = put(p, "\\u00");
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        } else {
            *p++ = (char)c;
        }
    }
    *p++ = '"';
    return p;
}

static char *put_time(char *p, int64_t us)
{
    char t[BR_TIME_BUFSIZE];
    br_time_format(us, t);
    *p++ = '"';
    p = put(p, t);
    *p++ = '"';
    return p;
}

/* The booking fields: inspector, range, id (escaped, each bounded: the line fits BR_HISTORY_LINE_MAX). */
static char *put_booking(char *p, const br_history_record *r)
{
    p = put(p, ",\"inspector\":");
    p = put_str(p, r->inspector, BR_NAME_MAX - 1);
    p = put(p, ",\"start\":");
    p = put_time(p, r->start_us);
    p = put(p, ",\"end\":");
    p = put_time(p, r->end_us);
    if (r->id[0]) {
        p = put(p, ",\"id\":");
        p = put_str(p, r->id, BR_ID_MAX - 1);
    }
    return p;
}

size_t br_history_format(const br_history_record *r, const char *const *op_names, char *out)
{
    char *p = put(out, "{\"type\":\"");
    p = put(p, type_names[r->type]);
    *p++ = '"';
    if (r->type == BR_HREC_TRUTH) {
        p = put_booking(p, r);
        p = put(p, r->active ? ",\"active\":true,\"ours\":" : ",\"active\":false,\"ours\":");
        p = put_i64(p, r->ours);
    } else if (r->type == BR_HREC_END) {
        p = put(p, ",\"records\":");
        p = put_i64(p, (int64_t)r->records);
        p = put(p,
                r->truth_checked ? ",\"truthChecked\":true,\"note\":" : ",\"truthChecked\":false,\"note\":");
        p = put_str(p, r->note, sizeof(r->note) - 1);
    } else {
        p = put(p, ",\"op\":\"");
        p = put(p, op_names[r->op]);
        p = put(p, "\",\"actor\":");
        p = put_i64(p, r->actor);
        p = put(p, ",\"conn\":");
        p = put_i64(p, r->conn);
        p = put(p, ",\"invokeUs\":");
        p = put_i64(p, r->invoke_us);
        p = put(p, ",\"tUs\":");
        p = put_i64(p, r->t_us);
        p = put(p, ",\"status\":");
        p = put_i64(p, r->status);
        if (r->inspector[0])
            p = put_booking(p, r);
    }
    p = put(p, "}\n");
    return (size_t)(p - out);
}

/* ---- writer ---------------------------------------------------------------------------------------- */

/* One thread's buffer, on its own cache lines so threads never share one. */
typedef struct {
    _Alignas(64) char *buf;
    size_t len;
    uint64_t records, raw;
    ZSTD_CCtx *cctx;
    char *zbuf;
    size_t zcap;
} thread_buf;

struct br_history_writer {
    FILE *f;
    char *path, *part;
    int threads, compress, failed, saved_errno;
    const char *op_names[BR_HISTORY_MAX_OPS];
    char *op_storage[BR_HISTORY_MAX_OPS];
    pthread_mutex_t lock;
    uint64_t written;
    thread_buf *tb;
};

/* Compresses |len| bytes (or not) and appends them to the file under the lock. */
static void emit(br_history_writer *w, thread_buf *t, const char *data, size_t len)
{
    const char *out = data;
    size_t n = len;
    if (w->compress) {
        size_t z = ZSTD_compressCCtx(t->cctx, t->zbuf, t->zcap, data, len, ZSTD_LEVEL);
        if (ZSTD_isError(z)) {
            w->failed = 1; /* cannot happen with a zcap of ZSTD_compressBound */
            return;
        }
        out = t->zbuf;
        n = z;
    }
    pthread_mutex_lock(&w->lock);
    if (!w->failed && fwrite(out, 1, n, w->f) != n) {
        w->failed = 1;
        w->saved_errno = errno;
    }
    w->written += n;
    pthread_mutex_unlock(&w->lock);
}

static void flush_thread(br_history_writer *w, thread_buf *t)
{
    if (t->len > 0)
        emit(w, t, t->buf, t->len);
    t->len = 0;
}

/* Reads the op names from the header (they are needed to format records). */
static int header_ops(br_history_writer *w, const char *header_json, char *err, size_t errlen)
{
    json_error_t je;
    json_t *h = json_loads(header_json, 0, &je);
    json_t *ops = h ? json_object_get(h, "ops") : NULL;
    size_t n = json_array_size(ops);
    int ok = json_is_object(h) && n > 0 && n <= BR_HISTORY_MAX_OPS;
    for (size_t i = 0; ok && i < n; i++) {
        const char *s = json_string_value(json_array_get(ops, i));
        ok = s != NULL && strlen(s) < 64 && strchr(s, '"') == NULL && strchr(s, '\\') == NULL;
        if (ok)
            w->op_names[i] = w->op_storage[i] = xstrdup(s);
    }
    json_decref(h);
    if (!ok)
        snprintf(err, errlen, "history header: needs an object with \"ops\": 1 to %d plain names",
                 BR_HISTORY_MAX_OPS);
    return ok ? 0 : -1;
}

static void writer_free(br_history_writer *w)
{
    for (int t = 0; t < w->threads; t++) {
        free(w->tb[t].buf);
        free(w->tb[t].zbuf);
        ZSTD_freeCCtx(w->tb[t].cctx);
    }
    for (int i = 0; i < BR_HISTORY_MAX_OPS; i++)
        free(w->op_storage[i]);
    free(w->tb);
    free(w->path);
    free(w->part);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

br_history_writer *br_history_open(const char *path, int threads, const char *header_json, int compress,
                                   char *err, size_t errlen)
{
    br_history_writer *w = xcalloc(1, sizeof(*w));
    w->threads = threads < 1 ? 1 : threads;
    w->compress = compress;
    pthread_mutex_init(&w->lock, NULL);
    w->tb = xaligned_calloc(_Alignof(thread_buf), (size_t)w->threads, sizeof(thread_buf));
    for (int t = 0; t < w->threads; t++) {
        w->tb[t].buf = xmalloc(BR_HISTORY_CHUNK + BR_HISTORY_LINE_MAX);
        if (compress) {
            w->tb[t].zcap = ZSTD_compressBound(BR_HISTORY_CHUNK + BR_HISTORY_LINE_MAX);
            w->tb[t].zbuf = xmalloc(w->tb[t].zcap);
            w->tb[t].cctx = ZSTD_createCCtx();
        }
    }
    if (header_ops(w, header_json, err, errlen) != 0) {
        writer_free(w);
        return NULL;
    }
    w->path = xstrdup(path);
    size_t n = strlen(path) + 8;
    w->part = xmalloc(n);
    snprintf(w->part, n, "%s.part", path);
    w->f = fopen(w->part, "wb");
    if (w->f == NULL) {
        snprintf(err, errlen, "%s: %s", w->part, strerror(errno));
        writer_free(w);
        return NULL;
    }
    /* The header: {"schema":..., then the caller's fields. */
    const char *rest = strchr(header_json, '{') + 1;
    thread_buf *t0 = &w->tb[0];
    int len = snprintf(t0->buf, BR_HISTORY_CHUNK, "{\"schema\":\"%s\"%s%s\n", BR_HISTORY_SCHEMA,
                       strspn(rest, " \t\r\n") == strlen(rest) - 1 ? "" : ",", rest);
    if (len < 0 || (size_t)len >= BR_HISTORY_CHUNK || strchr(t0->buf, '\n') != t0->buf + len - 1) {
        snprintf(err, errlen, "history header: too long, or not on one line");
        fclose(w->f);
        unlink(w->part);
        writer_free(w);
        return NULL;
    }
    t0->len = (size_t)len;
    t0->raw += (uint64_t)len;
    flush_thread(w, t0); /* the header is its own frame: a reader sees it first */
    return w;
}

void br_history_append(br_history_writer *w, int thread, const br_history_record *r)
{
    thread_buf *t = &w->tb[thread % w->threads];
    size_t n = br_history_format(r, w->op_names, t->buf + t->len);
    t->len += n;
    t->raw += n;
    t->records += r->type <= BR_HREC_INFO;
    if (t->len >= BR_HISTORY_CHUNK)
        flush_thread(w, t);
}

int br_history_close(br_history_writer *w, int truth_checked, const char *note, br_history_stats *stats,
                     char *err, size_t errlen)
{
    br_history_stats s = {0};
    for (int t = 0; t < w->threads; t++)
        s.records += w->tb[t].records;
    br_history_record end = {.type = BR_HREC_END, .records = s.records, .truth_checked = truth_checked};
    snprintf(end.note, sizeof(end.note), "%s", note ? note : "");
    /* Every other thread's records first: the end record is the last line of the file. */
    for (int t = 1; t < w->threads; t++)
        flush_thread(w, &w->tb[t]);
    br_history_append(w, 0, &end);
    flush_thread(w, &w->tb[0]);
    for (int t = 0; t < w->threads; t++)
        s.bytes_raw += w->tb[t].raw;
    int failed = w->failed;
    int e = w->saved_errno;
    if (fflush(w->f) != 0 || fsync(fileno(w->f)) != 0)
        failed = 1, e = errno;
    if (fclose(w->f) != 0)
        failed = 1, e = errno;
    if (!failed && rename(w->part, w->path) != 0)
        failed = 1, e = errno;
    if (failed) {
        snprintf(err, errlen, "%s: %s", w->part, strerror(e ? e : EIO));
        unlink(w->part);
    }
    s.bytes_written = w->written;
    if (stats)
        *stats = s;
    writer_free(w);
    return failed ? -1 : 0;
}

/* ---- reader ---------------------------------------------------------------------------------------- */

#define IN_CHUNK (64u * 1024u)

struct br_history_reader {
    char *name;
    FILE *f; /* or the memory below */
    char *mem;
    size_t mem_len, mem_pos;
    int compressed, probed, eof, in_frame, done;
    ZSTD_DCtx *dctx;
    char in[IN_CHUNK];
    size_t in_len, in_pos;
    char *buf; /* decompressed bytes not yet taken: buf[pos, len) */
    size_t pos, len, cap;
    size_t line;
    uint64_t records;
    char *ops[BR_HISTORY_MAX_OPS];
    size_t op_count;
    char **actors;
    size_t actor_count;
    char run_id[64];
};

static size_t src_read(br_history_reader *r, char *dst, size_t cap)
{
    if (r->f)
        return fread(dst, 1, cap, r->f);
    size_t n = r->mem_len - r->mem_pos < cap ? r->mem_len - r->mem_pos : cap;
    memcpy(dst, r->mem + r->mem_pos, n);
    r->mem_pos += n;
    return n;
}

static br_history_reader *reader_new(const char *name)
{
    br_history_reader *r = xcalloc(1, sizeof(*r));
    r->name = xstrdup(name);
    r->cap = BR_HISTORY_MAX_LINE + IN_CHUNK * 4;
    r->buf = xmalloc(r->cap);
    r->dctx = ZSTD_createDCtx();
    return r;
}

br_history_reader *br_history_reader_open(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    br_history_reader *r = reader_new(path);
    r->f = f;
    return r;
}

br_history_reader *br_history_reader_mem(const void *data, size_t len, const char *name)
{
    br_history_reader *r = reader_new(name);
    r->mem = xmalloc(len ? len : 1);
    memcpy(r->mem, data, len);
    r->mem_len = len;
    return r;
}

void br_history_reader_close(br_history_reader *r)
{
    if (r == NULL)
        return;
    if (r->f)
        fclose(r->f);
    for (size_t i = 0; i < r->op_count; i++)
        free(r->ops[i]);
    for (size_t i = 0; i < r->actor_count; i++)
        free(r->actors[i]);
    free(r->actors);
    ZSTD_freeDCtx(r->dctx);
    free(r->mem);
    free(r->buf);
    free(r->name);
    free(r);
}

/* Appends more decompressed bytes to buf. Returns bytes added, 0 at the end, -1 for a damaged stream. */
static long fill(br_history_reader *r, char *err, size_t errlen)
{
    if (r->in_pos == r->in_len && !r->eof) {
        r->in_len = src_read(r, r->in, sizeof(r->in));
        r->in_pos = 0;
        r->eof = r->in_len == 0;
        if (!r->probed && r->in_len > 0) {
            static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
            r->compressed = r->in_len >= 4 && memcmp(r->in, magic, 4) == 0;
            r->probed = 1;
        }
    }
    if (r->in_pos == r->in_len) {
        if (r->in_frame) {
            snprintf(err, errlen, "%s: the compressed stream is cut short", r->name);
            return -1;
        }
        return 0;
    }
    size_t room = r->cap - r->len;
    if (!r->compressed) {
        size_t n = r->in_len - r->in_pos < room ? r->in_len - r->in_pos : room;
        memcpy(r->buf + r->len, r->in + r->in_pos, n);
        r->in_pos += n;
        r->len += n;
        return (long)n;
    }
    ZSTD_inBuffer in = {r->in, r->in_len, r->in_pos};
    ZSTD_outBuffer out = {r->buf + r->len, room, 0};
    size_t rc = ZSTD_decompressStream(r->dctx, &out, &in);
    if (ZSTD_isError(rc)) {
        snprintf(err, errlen, "%s: not a zstd stream bookrace can read: %s", r->name, ZSTD_getErrorName(rc));
        return -1;
    }
    r->in_pos = in.pos;
    r->in_frame = rc != 0;
    r->len += out.pos;
    return (long)out.pos; /* may be 0 with input consumed: the caller asks again */
}

/*
 * The next line (without its newline, NUL-terminated in place) or NULL: at the
 * end (*status 0) or on an error (*status -1).
 */
static char *next_line(br_history_reader *r, size_t *len, int *status, char *err, size_t errlen)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl != NULL) {
            char *line = r->buf + r->pos;
            *nl = '\0';
            *len = (size_t)(nl - line);
            r->pos = (size_t)(nl - r->buf) + 1;
            r->line++;
            return line;
        }
        if (r->len - r->pos > BR_HISTORY_MAX_LINE) {
            snprintf(err, errlen, "%s:%zu: a line longer than %u bytes", r->name, r->line + 1,
                     BR_HISTORY_MAX_LINE);
            *status = -1;
            return NULL;
        }
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, r->len - r->pos);
            r->len -= r->pos;
            r->pos = 0;
        }
        long got = fill(r, err, errlen);
        if (got < 0) {
            *status = -1;
            return NULL;
        }
        if (got == 0 && r->in_pos == r->in_len && r->eof) {
            if (r->len > 0) {
                snprintf(err, errlen, "%s:%zu: the last line has no newline (the file is cut short)", r->name,
                         r->line + 1);
                *status = -1;
                return NULL;
            }
            *status = 0;
            return NULL;
        }
    }
}

/* ---- reader: records ------------------------------------------------------------------------------- */

#define FAIL(...)                                                                                            \
    do {                                                                                                     \
        snprintf(err, errlen, __VA_ARGS__);                                                                  \
        return -1;                                                                                           \
    } while (0)

static int read_header(br_history_reader *r, json_t *h, char *err, size_t errlen)
{
    const char *schema = json_string_value(json_object_get(h, "schema"));
    if (schema == NULL || strcmp(schema, BR_HISTORY_SCHEMA) != 0)
        FAIL("%s:1: not a bookrace history (schema \"%s\", expected \"%s\")", r->name, schema ? schema : "",
             BR_HISTORY_SCHEMA);
    json_t *ops = json_object_get(h, "ops"), *actors = json_object_get(h, "actors");
    size_t n = json_array_size(ops);
    if (n == 0 || n > BR_HISTORY_MAX_OPS)
        FAIL("%s:1: header: \"ops\" must list 1 to %d operation names", r->name, BR_HISTORY_MAX_OPS);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(ops, i));
        if (s == NULL)
            FAIL("%s:1: header: ops[%zu] is not a string", r->name, i);
        r->ops[r->op_count++] = xstrdup(s);
    }
    if (actors != NULL && (!json_is_array(actors) || json_array_size(actors) > MAX_ACTORS))
        FAIL("%s:1: header: \"actors\" must be an array of at most %d names", r->name, MAX_ACTORS);
    r->actors = xcalloc(json_array_size(actors) + 1, sizeof(char *));
    for (size_t i = 0; i < json_array_size(actors); i++) {
        const char *s = json_string_value(json_array_get(actors, i));
        if (s == NULL)
            FAIL("%s:1: header: actors[%zu] is not a string", r->name, i);
        r->actors[r->actor_count++] = xstrdup(s);
    }
    snprintf(r->run_id, sizeof(r->run_id), "%s", json_string_value(json_object_get(h, "runId")) ?: "");
    return 0;
}

/* Copies an optional string field; -1 when present but not a string or too long. */
static int get_str(json_t *o, const char *key, char *dst, size_t cap)
{
    json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (v == NULL)
        return 0;
    if (!json_is_string(v) || json_string_length(v) >= cap || strlen(json_string_value(v)) >= cap)
        return -1;
    memcpy(dst, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* An optional integer field within [lo, hi]; -1 when present but not such an integer. */
static int get_int(json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *dst)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *dst = json_integer_value(v);
    return 0;
}

static int get_time(json_t *o, const char *key, int64_t *dst)
{
    json_t *v = json_object_get(o, key);
    if (v == NULL)
        return 0;
    return json_is_string(v) && br_time_parse(json_string_value(v), json_string_length(v), dst) == 0 ? 0 : -1;
}

static int parse_type(const char *s)
{
    for (int t = 0; s && t <= BR_HREC_END; t++)
        if (strcmp(s, type_names[t]) == 0)
            return t;
    return -1;
}

/* The fields of one record, checked against the header. */
static int read_record(br_history_reader *r, json_t *o, br_history_record *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->actor = -1;
    int type = parse_type(json_string_value(json_object_get(o, "type")));
    if (type < 0)
        FAIL("%s:%zu: \"type\" must be one of invoke, ok, fail, info, truth, end", r->name, r->line);
    out->type = (br_hrec_type)type;
    int64_t actor = -1, conn = 0, status = 0, records = 0, ours = -1;
    const char *bad = NULL;
    if (get_str(o, "inspector", out->inspector, sizeof(out->inspector)))
        bad = "inspector";
    else if (get_str(o, "id", out->id, sizeof(out->id)))
        bad = "id";
    else if (get_time(o, "start", &out->start_us))
        bad = "start";
    else if (get_time(o, "end", &out->end_us))
        bad = "end";
    else if (get_int(o, "actor", -1, (int64_t)r->actor_count - 1, &actor))
        bad = "actor";
    else if (get_int(o, "conn", 0, INT32_MAX, &conn))
        bad = "conn";
    else if (get_int(o, "status", 0, 999, &status))
        bad = "status";
    else if (get_int(o, "invokeUs", INT64_MIN / 2, INT64_MAX / 2, &out->invoke_us))
        bad = "invokeUs";
    else if (get_int(o, "tUs", INT64_MIN / 2, INT64_MAX / 2, &out->t_us))
        bad = "tUs";
    else if (get_int(o, "records", 0, INT64_MAX, &records))
        bad = "records";
    else if (get_int(o, "ours", -1, 1, &ours))
        bad = "ours";
    else if (get_str(o, "note", out->note, sizeof(out->note)))
        bad = "note";
    if (bad)
        FAIL("%s:%zu: \"%s\" has a wrong type, is out of range or too long", r->name, r->line, bad);
    out->actor = (int)actor;
    out->conn = (int)conn;
    out->status = (int)status;
    out->records = (uint64_t)records;
    out->ours = (int)ours;
    out->active = json_is_true(json_object_get(o, "active"));
    out->truth_checked = json_is_true(json_object_get(o, "truthChecked"));
    if (type <= BR_HREC_INFO) {
        const char *op = json_string_value(json_object_get(o, "op"));
        out->op = -1;
        for (size_t i = 0; op && i < r->op_count; i++)
            if (strcmp(op, r->ops[i]) == 0)
                out->op = (int)i;
        if (out->op < 0)
            FAIL("%s:%zu: \"op\" is not one of the header's ops", r->name, r->line);
    }
    if ((type <= BR_HREC_TRUTH && out->inspector[0]) && out->end_us < out->start_us)
        FAIL("%s:%zu: \"end\" is before \"start\"", r->name, r->line);
    return 0;
}

int br_history_next(br_history_reader *r, br_history_record *out, char *err, size_t errlen)
{
    for (;;) {
        if (r->done)
            return 0;
        size_t len;
        int status = 0;
        char *line = next_line(r, &len, &status, err, errlen);
        if (line == NULL) {
            if (status == 0)
                FAIL("%s:%zu: %s", r->name, r->line + 1,
                     r->line == 0 ? "empty: not a bookrace history"
                                  : "no end record (the run was cut short)");
            return -1;
        }
        if (len == 0)
            continue;
        json_error_t je;
        json_t *o = json_loadb(line, len, 0, &je);
        if (!json_is_object(o)) {
            json_decref(o);
            if (o == NULL)
                FAIL("%s:%zu:%d: %s", r->name, r->line, je.column, je.text);
            FAIL("%s:%zu: a record must be a JSON object", r->name, r->line);
        }
        int rc;
        if (r->op_count == 0) {
            rc = read_header(r, o, err, errlen);
            json_decref(o);
            if (rc != 0)
                return -1;
            continue;
        }
        rc = read_record(r, o, out, err, errlen);
        json_decref(o);
        if (rc != 0)
            return -1;
        if (out->type <= BR_HREC_INFO)
            r->records++;
        if (out->type == BR_HREC_END) {
            if (out->records != r->records)
                FAIL("%s:%zu: the end record counts %llu operation records, the file holds %llu", r->name,
                     r->line, (unsigned long long)out->records, (unsigned long long)r->records);
            r->done = 1;
            for (;;) { /* only blank lines may follow the end record */
                size_t n;
                int st = 0;
                char *more = next_line(r, &n, &st, err, errlen);
                if (more == NULL && st < 0)
                    return -1;
                if (more == NULL)
                    break;
                if (n > 0)
                    FAIL("%s:%zu: a record after the end record", r->name, r->line);
            }
        }
        return 1;
    }
}

size_t br_history_op_count(const br_history_reader *r)
{
    return r->op_count;
}

const char *br_history_op_name(const br_history_reader *r, int op)
{
    return op >= 0 && (size_t)op < r->op_count ? r->ops[op] : "";
}

size_t br_history_actor_count(const br_history_reader *r)
{
    return r->actor_count;
}

const char *br_history_actor_name(const br_history_reader *r, int actor)
{
    return actor >= 0 && (size_t)actor < r->actor_count ? r->actors[actor] : "";
}

const char *br_history_run_id(const br_history_reader *r)
{
    return r->run_id;
}
