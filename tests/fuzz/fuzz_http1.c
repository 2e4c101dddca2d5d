/*
 * The load engine's HTTP/1.1 response parser, as a connection feeds it. Input:
 * one byte of options (bit 0 keep bodies, bit 1 the request was HEAD, bit 2
 * the connection closes after the bytes, bit 3 small limits so every limit is
 * reachable), four bytes seeding where the stream is cut, then the bytes the
 * server sent: any number of responses back to back.
 *
 * The stream is parsed twice, whole and in random pieces (each piece in a
 * buffer of exactly its size, untaken bytes carried into the next one, as
 * loadgen.c does), and the two must agree on every response: code, status,
 * body, bytes consumed. Besides ASan and UBSan, it aborts when a promise of
 * http1.h breaks: more consumed than given, a kept body over its cap, or more
 * bytes left untaken than the longest line limit.
 */
#include "http1.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESPONSES 64

typedef struct {
    int rc, status, close, interim, truncated;
    uint64_t body_len;
    size_t end, kept;
    uint32_t body_hash;
} outcome;

static const br_http1_limits small = {
    .max_head = 256, .max_chunk_line = 32, .keep_cap = 16, .max_body = 4096};
static const br_http1_limits defaults = {.max_head = BR_HTTP1_MAX_HEAD,
                                         .max_chunk_line = BR_HTTP1_MAX_CHUNK_LINE,
                                         .keep_cap = BR_HTTP1_KEEP_CAP,
                                         .max_body = BR_HTTP1_MAX_BODY};

static uint32_t hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static void record(const br_http1_parser *p, const br_http1_limits *lim, int rc, size_t end, outcome *o)
{
    memset(o, 0, sizeof(*o));
    o->rc = rc;
    o->status = p->status;
    o->close = p->close;
    o->interim = p->interim;
    o->truncated = p->body_truncated;
    o->body_len = p->body_len;
    o->end = end;
    o->kept = p->body_kept;
    o->body_hash = hash(p->body, p->body_kept);
    if (p->body_kept > lim->keep_cap || p->body_kept > p->body_len)
        abort();
}

static int parse_exact(br_http1_parser *p, const br_http1_limits *lim, const uint8_t *bytes, size_t n,
                       size_t *used)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, bytes, n);
    int rc = br_http1_parse(p, copy, n, used);
    free(copy);
    size_t limit = lim->max_head > lim->max_chunk_line ? lim->max_head : lim->max_chunk_line;
    if (*used > n || (rc == BR_HTTP1_MORE && n - *used >= limit))
        abort();
    return rc;
}

/* Parses |data| delivered in pieces of the sizes the seed draws (|seed| 0: whole); returns the outcomes. */
static size_t run(const uint8_t *data, size_t len, int options, uint32_t seed, outcome *out)
{
    const br_http1_limits *lim = (options & 8) ? &small : &defaults;
    br_http1_parser p;
    br_http1_init(&p, lim);
    int flags = (options & 1 ? BR_HTTP1_KEEP_BODY : 0) | (options & 2 ? BR_HTTP1_HEAD_REQUEST : 0);
    br_http1_begin(&p, flags);
    size_t taken = 0, delivered = 0, count = 0;
    int rc = BR_HTTP1_MORE;
    while (delivered < len && count < MAX_RESPONSES) {
        seed = seed * 1103515245u + 12345u;
        size_t piece = seed == 12345u ? len : 1 + (seed >> 16) % 64;
        delivered = piece > len - delivered ? len : delivered + piece;
        for (;;) {
            size_t used;
            rc = parse_exact(&p, lim, data + taken, delivered - taken, &used);
            taken += used;
            if (rc == BR_HTTP1_MORE)
                break;
            record(&p, lim, rc, taken, &out[count++]);
            if (rc < 0 || count == MAX_RESPONSES)
                goto done;
            br_http1_begin(&p, flags);
        }
    }
    if (rc == BR_HTTP1_MORE)
        record(&p, lim, (options & 4) ? br_http1_eof(&p) : BR_HTTP1_MORE, taken, &out[count++]);
done:
    br_http1_free(&p);
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    int options = data[0];
    uint32_t seed =
        (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24;
    static outcome whole[MAX_RESPONSES + 1], cut[MAX_RESPONSES + 1];
    size_t n = run(data + 5, size - 5, options, 0, whole);
    size_t m = run(data + 5, size - 5, options, seed | 1, cut);
    if (n != m || memcmp(whole, cut, n * sizeof(outcome)) != 0)
        abort(); /* how the bytes arrived changed what they mean */
    return 0;
}
