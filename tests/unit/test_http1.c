/*
 * The load engine's HTTP/1.1 response parser. Every case is fed three ways,
 * as a connection could deliver it: whole, cut in two at every byte, and one
 * byte at a time, each piece in a buffer of exactly its size (so ASan sees a
 * read past the end: the parser must never look for a NUL). The driver keeps
 * the untaken bytes in front of the next piece, as loadgen.c does, and begins
 * the next response after each complete one, so pipelined responses are cut
 * at every boundary too. Each case asserts the exact outcome of every
 * response: code, status, kept body, total body bytes, bytes consumed,
 * whether the connection closes.
 */
#include "http1.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MAX_RESPONSES 4

/* What the parser made of one response. |end| is its offset in the input: where it or its error stopped. */
typedef struct {
    int rc;
    int status;
    const char *body; /* the kept body; NULL: nothing kept */
    size_t kept;      /* its length (filled in by record; expected: strlen(body)) */
    uint64_t body_len;
    size_t end;
    int close, interim, truncated;
} outcome;

typedef struct {
    const char *input;
    size_t len;
    int flags;
    const br_http1_limits *lim; /* NULL: the defaults */
    int eof;                    /* the connection closes after the input */
} feed;

/* Small limits, so limit cases stay short enough to cut at every byte. */
static const br_http1_limits small = {.max_head = 64, .max_chunk_line = 16, .keep_cap = 8, .max_body = 100};

static void record(const br_http1_parser *p, int rc, size_t end, outcome *o)
{
    memset(o, 0, sizeof(*o));
    o->rc = rc;
    o->status = p->status;
    o->body = p->body_kept > 0 ? p->body : NULL;
    o->kept = p->body_kept;
    o->body_len = p->body_len;
    o->end = end;
    o->close = p->close;
    o->interim = p->interim;
    o->truncated = p->body_truncated;
}

/* One parse call on |n| bytes in a buffer of exactly |n| bytes. */
static int parse_exact(br_http1_parser *p, const feed *f, const char *bytes, size_t n, size_t *used)
{
    char *copy = malloc(n ? n : 1);
    memcpy(copy, bytes, n);
    int rc = br_http1_parse(p, copy, n, used);
    free(copy);
    assert_true(*used <= n);
    size_t head = f->lim ? f->lim->max_head : BR_HTTP1_MAX_HEAD;
    size_t chunk_line = f->lim ? f->lim->max_chunk_line : BR_HTTP1_MAX_CHUNK_LINE;
    if (rc == BR_HTTP1_MORE)
        assert_true(n - *used <
                    (head > chunk_line ? head : chunk_line)); /* the engine's buffer never fills up */
    return rc;
}

/*
 * Delivers the input at the offsets in |cuts| (ascending, the last one = len)
 * and parses as a connection would; returns how many outcomes it recorded.
 * Outcomes keep pointers into the parser's body buffer: compare them before
 * the next begin, so each run keeps one parser per response.
 */
static size_t run(const feed *f, const size_t *cuts, size_t ncuts, br_http1_parser *ps, outcome *out)
{
    size_t taken = 0, count = 0;
    br_http1_parser *p = &ps[0];
    br_http1_init(p, f->lim);
    br_http1_begin(p, f->flags);
    for (size_t c = 0; c < ncuts; c++) {
        for (;;) {
            size_t used;
            int rc = parse_exact(p, f, f->input + taken, cuts[c] - taken, &used);
            taken += used;
            if (rc == BR_HTTP1_MORE)
                break;
            record(p, rc, taken, &out[count++]);
            if (rc < 0 || count == MAX_RESPONSES || taken == f->len)
                return count;
            p = &ps[count];
            br_http1_init(p, f->lim);
            br_http1_begin(p, f->flags);
        }
    }
    int rc = f->eof ? br_http1_eof(p) : BR_HTTP1_MORE;
    record(p, rc, taken, &out[count++]);
    return count;
}

static void expect_same(const outcome *got, size_t n, const outcome *want, size_t wn, const char *how,
                        size_t at)
{
    for (size_t i = 0; i < wn && i < n; i++) {
        const outcome *g = &got[i], *w = &want[i];
        size_t kept = w->body ? strlen(w->body) : 0;
        int same = g->rc == w->rc && g->status == w->status && g->body_len == w->body_len &&
                   g->end == w->end && g->kept == kept && g->close == w->close && g->interim == w->interim &&
                   g->truncated == w->truncated && (g->body == NULL) == (w->body == NULL) &&
                   (w->body == NULL || memcmp(g->body, w->body, strlen(w->body)) == 0);
        if (!same) {
            print_error("fed %s %zu, response %zu: rc %d status %d body_len %llu end %zu close %d interim %d "
                        "truncated %d; want rc %d status %d body_len %llu end %zu close %d interim %d "
                        "truncated %d\n",
                        how, at, i, g->rc, g->status, (unsigned long long)g->body_len, g->end, g->close,
                        g->interim, g->truncated, w->rc, w->status, (unsigned long long)w->body_len, w->end,
                        w->close, w->interim, w->truncated);
            fail();
        }
    }
    if (n != wn) {
        print_error("fed %s %zu: %zu outcomes, want %zu\n", how, at, n, wn);
        fail();
    }
}

static void run_and_check(const feed *f, const size_t *cuts, size_t ncuts, const outcome *want, size_t wn,
                          const char *how, size_t at)
{
    br_http1_parser ps[MAX_RESPONSES + 1];
    outcome got[MAX_RESPONSES + 1];
    size_t n = run(f, cuts, ncuts, ps, got);
    expect_same(got, n, want, wn, how, at);
    for (size_t i = 0; i < n && i <= MAX_RESPONSES; i++)
        br_http1_free(&ps[i]);
}

/* Whole, cut in two at every byte, and byte by byte: the same outcomes every time. */
static void check(const feed *f, const outcome *want, size_t wn)
{
    size_t len = f->len ? f->len : strlen(f->input);
    feed g = *f;
    g.len = len;
    run_and_check(&g, &len, 1, want, wn, "whole", len);
    for (size_t k = 1; k < len; k++) {
        size_t cuts[2] = {k, len};
        run_and_check(&g, cuts, 2, want, wn, "cut at", k);
    }
    size_t *bytes = malloc((len ? len : 1) * sizeof(size_t));
    for (size_t i = 0; i < len; i++)
        bytes[i] = i + 1;
    run_and_check(&g, bytes, len, want, wn, "byte by byte", len);
    free(bytes);
}

static void check1(const char *input, int flags, const br_http1_limits *lim, int eof, outcome want)
{
    feed f = {.input = input, .flags = flags, .lim = lim, .eof = eof};
    check(&f, &want, 1);
}

#define KEEP BR_HTTP1_KEEP_BODY
#define DONE BR_HTTP1_DONE

/* ---- bodies by length --------------------------------------------------------------------------------- */

static void test_content_length(void **state)
{
    (void)state;
    const char *r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello";
    check1(r, KEEP, NULL, 0,
           (outcome){.rc = DONE, .status = 200, .body = "hello", .body_len = 5, .end = strlen(r)});
    /* Not asked to keep it: counted, not kept. */
    check1(r, 0, NULL, 0, (outcome){.rc = DONE, .status = 200, .body_len = 5, .end = strlen(r)});
    /* LF line ends, no reason phrase, and a header name in another case. */
    r = "HTTP/1.1 201\ncontent-LENGTH:2\n\nok";
    check1(r, KEEP, NULL, 0,
           (outcome){.rc = DONE, .status = 201, .body = "ok", .body_len = 2, .end = strlen(r)});
    /* Content-Length: 0 completes at the end of the head. */
    r = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    check1(r, KEEP, NULL, 0, (outcome){.rc = DONE, .status = 200, .end = strlen(r)});
    /* Equal duplicates, and a list of equal values, are one value (RFC 9112 6.3). */
    r = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\nContent-Length: 3 , 3\r\n\r\nabc";
    check1(r, KEEP, NULL, 0,
           (outcome){.rc = DONE, .status = 200, .body = "abc", .body_len = 3, .end = strlen(r)});
}

static void test_bad_content_length(void **state)
{
    (void)state;
    const char *values[] = {
        "-1", "+5", "5x", "", "0x10", "5,", "1 2", "5, 6", "9223372036854775808", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char r[160];
        snprintf(r, sizeof(r), "HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\nhello", values[i]);
        check1(r, KEEP, NULL, 0, (outcome){.rc = BR_HTTP1_ERR_CONTENT_LENGTH, .status = 200, .end = 17});
    }
    /* Two header lines that differ: the second is the offending one. */
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
    check1(r, KEEP, NULL, 0, (outcome){.rc = BR_HTTP1_ERR_CONTENT_LENGTH, .status = 200, .end = 36});
    /* The largest value parses, and is then over the body limit. */
    r = "HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\n";
    check1(r, KEEP, NULL, 0, (outcome){.rc = BR_HTTP1_ERR_BODY_TOO_LARGE, .status = 200, .end = 54});
}

static void test_transfer_encoding_and_content_length(void **state)
{
    (void)state;
    /* Either order: an error at the empty line ending the head, whichever would have been right. */
    const char *r =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    check1(r, KEEP, NULL, 0, (outcome){.rc = BR_HTTP1_ERR_LENGTH_CONFLICT, .status = 200, .end = 64});
    r = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: gzip\r\n\r\nhello";
    check1(r, KEEP, NULL, 0, (outcome){.rc = BR_HTTP1_ERR_LENGTH_CONFLICT, .status = 200, .end = 61});
}

/* ---- chunked ------------------------------------------------------------------------------------------ */

static void test_chunked(void **state)
{
    (void)state;
    /* Several chunks, extensions (one quoting a ';'), upper-case hex with leading zeros, a trailer. */
    const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5;name=value\r\nhello\r\n"
                    "1 ; a=\"b;c\"\r\n,\r\n"
                    "000A\r\n world!!!!\r\n"
                    "0\r\nX-Checksum: 1\r\nX-Other: 2\r\n\r\n";
    check1(
        r, KEEP, NULL, 0,
        (outcome){.rc = DONE, .status = 200, .body = "hello, world!!!!", .body_len = 16, .end = strlen(r)});
    /* The same under the small limits: lines fit, the kept body stops at 8 bytes. */
    check1(
        r, KEEP, &small, 0,
        (outcome){
            .rc = DONE, .status = 200, .body = "hello, w", .body_len = 16, .end = strlen(r), .truncated = 1});
    /* An empty body: the last chunk at once, no trailer; LF-only line ends. */
    r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    check1(r, KEEP, NULL, 0, (outcome){.rc = DONE, .status = 200, .end = strlen(r)});
    r = "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\n\n";
    check1(r, KEEP, NULL, 0,
           (outcome){.rc = DONE, .status = 200, .body = "abc", .body_len = 3, .end = strlen(r)});
    /* Codings before chunked, in one header line or two. */
    r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    check1(r, KEEP, NULL, 0,
           (outcome){.rc = DONE, .status = 200, .body = "hi", .body_len = 2, .end = strlen(r)});
    r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: "
        "Chunked,\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    check1(r, KEEP, NULL, 0,
           (outcome){.rc = DONE, .status = 200, .body = "hi", .body_len = 2, .end = strlen(r)});
}

static void test_bad_chunks(void **state)
{
    (void)state;
    const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"; /* 47 bytes */
    struct {
        const char *body;
        uint64_t max_body;
        int rc;
        size_t end; /* after the head */
        uint64_t body_len;
    } cases[] = {
        {"zz\r\n", 100, BR_HTTP1_ERR_CHUNK_SIZE, 0, 0},
        {"\r\n", 100, BR_HTTP1_ERR_CHUNK_SIZE, 0, 0},
        {"-5\r\nhello\r\n", 100, BR_HTTP1_ERR_CHUNK_SIZE, 0, 0},
        {"5 x\r\nhello\r\n", 100, BR_HTTP1_ERR_CHUNK_SIZE, 0, 0},
        {"0x5\r\nhello\r\n", 100, BR_HTTP1_ERR_CHUNK_SIZE, 0, 0},
        {"8000000000000000\r\n", 100, BR_HTTP1_ERR_CHUNK_SIZE, 0, 0}, /* 2^63 */
        {"7fffffffffffffff\r\n", 100, BR_HTTP1_ERR_BODY_TOO_LARGE, 0, 0},
        {"5\r\nhelloXY0\r\n\r\n", 100, BR_HTTP1_ERR_CHUNK_END, 8, 5},
        {"5\r\nhello\rX0\r\n\r\n", 100, BR_HTTP1_ERR_CHUNK_END, 8, 5},
        /* a chunk-size line of 21 bytes, one over the limit; and one that never ends */
        {"2\r\nhi\r\n1;aaaaaaaaaaaaaaaaa\r\nx\r\n", 100, BR_HTTP1_ERR_CHUNK_LINE_TOO_LONG, 7, 2},
        {"2\r\nhi\r\n1;aaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 100, BR_HTTP1_ERR_CHUNK_LINE_TOO_LONG, 7, 2},
        /* a trailer line of 68 bytes */
        {"0\r\nX-Long-Trailer: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n", 100,
         BR_HTTP1_ERR_TRAILER_TOO_LARGE, 3, 0},
        {"40\r\n", 63, BR_HTTP1_ERR_BODY_TOO_LARGE, 0, 0},
        {"40\r\n", 64, BR_HTTP1_MORE, 4, 0},
        /* 50 bytes, then 51 more: the second size line is over max_body */
        {"32\r\n01234567890123456789012345678901234567890123456789\r\n33\r\n", 100,
         BR_HTTP1_ERR_BODY_TOO_LARGE, 56, 50},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char r[256];
        snprintf(r, sizeof(r), "%s%s", head, cases[i].body);
        br_http1_limits lim = small;
        lim.max_body = cases[i].max_body;
        lim.max_chunk_line = 20; /* room for 2^63 in hexadecimal */
        check1(
            r, 0, &lim, 0,
            (outcome){
                .rc = cases[i].rc, .status = 200, .end = 47 + cases[i].end, .body_len = cases[i].body_len});
    }
    /* A chunk-size line of exactly the limit (15 bytes and LF) is fine. */
    const char *r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;aaaaaaaaaaaa\r\nx\r\n0\r\n\r\n";
    check1(r, KEEP, &small, 0,
           (outcome){.rc = DONE, .status = 200, .body = "x", .body_len = 1, .end = strlen(r)});
}

/* ---- delimited by the close, interim responses, no body ---------------------------------------------- */

static void test_close_delimited(void **state)
{
    (void)state;
    /* No length: the body runs until the server closes, and the connection is done for. */
    const char *r = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello, world";
    check1(
        r, KEEP, NULL, 1,
        (outcome){
            .rc = DONE, .status = 200, .body = "hello, world", .body_len = 12, .end = strlen(r), .close = 1});
    /* Without the close it is still going on. */
    check1(r, KEEP, NULL, 0,
           (outcome){.rc = BR_HTTP1_MORE,
                     .status = 200,
                     .body = "hello, world",
                     .body_len = 12,
                     .end = strlen(r),
                     .close = 1});
    /* A coding other than chunked last: read until the close too. */
    r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n\x1f\x8b";
    check1(r, 0, NULL, 1, (outcome){.rc = DONE, .status = 200, .body_len = 2, .end = strlen(r), .close = 1});
    /* An empty body. */
    r = "HTTP/1.0 200 OK\r\n\r\n";
    check1(r, KEEP, NULL, 1, (outcome){.rc = DONE, .status = 200, .end = strlen(r), .close = 1});
    /* Over the body limit: the first byte past it is not taken. */
    char big[200];
    int n = snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n\r\n%0101d", 0);
    check1(big, 0, &small, 1,
           (outcome){.rc = BR_HTTP1_ERR_BODY_TOO_LARGE,
                     .status = 200,
                     .body_len = 100,
                     .end = (size_t)n - 1,
                     .close = 1});
}

static void test_truncated(void **state)
{
    (void)state;
    const char *cases[] = {"", "HTTP/1.1 200 OK\r\nContent-Le",
                           "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel",
                           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"};
    size_t ends[] = {0, 17, 41, 57};
    uint64_t body[] = {0, 0, 3, 5};
    int status[] = {0, 200, 200, 200};
    for (size_t i = 0; i < 4; i++)
        check1(cases[i], 0, NULL, 1,
               (outcome){
                   .rc = BR_HTTP1_ERR_TRUNCATED, .status = status[i], .body_len = body[i], .end = ends[i]});
}

static void test_interim_responses(void **state)
{
    (void)state;
    /* 1xx responses are skipped with their headers (a Content-Length or close there means nothing). */
    const char *r =
        "HTTP/1.1 100 Continue\r\n\r\n"
        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
        "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
    check1(r, KEEP, NULL, 0,
           (outcome){.rc = DONE, .status = 201, .body = "ok", .body_len = 2, .end = strlen(r), .interim = 2});
    /* 101 is not an interim response: what follows it is not HTTP/1.1. */
    r = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello";
    check1(r, 0, NULL, 0, (outcome){.rc = BR_HTTP1_ERR_SWITCHING_PROTOCOLS, .status = 101, .end = 54});
    /* Interim heads count against the head limit: 3 x 21 bytes fit in 64, the final status line does not. */
    r = "HTTP/1.1 100 Cont\r\n\r\nHTTP/1.1 100 Cont\r\n\r\nHTTP/1.1 100 Cont\r\n\r\nHTTP/1.1 200 OK\r\n\r\n";
    check1(r, 0, &small, 0, (outcome){.rc = BR_HTTP1_ERR_HEAD_TOO_LARGE, .end = 63, .interim = 3});
}

static void test_no_body(void **state)
{
    (void)state;
    /* A HEAD response says how long the body would have been; 204 and 304 have none either. */
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    check1(r, KEEP | BR_HTTP1_HEAD_REQUEST, NULL, 0, (outcome){.rc = DONE, .status = 200, .end = strlen(r)});
    r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    check1(r, KEEP | BR_HTTP1_HEAD_REQUEST, NULL, 0, (outcome){.rc = DONE, .status = 200, .end = strlen(r)});
    r = "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n";
    check1(r, KEEP, NULL, 0, (outcome){.rc = DONE, .status = 304, .end = strlen(r)});
    r = "HTTP/1.1 204 No Content\r\n\r\n";
    check1(r, KEEP, NULL, 0, (outcome){.rc = DONE, .status = 204, .end = strlen(r)});
}

/* ---- connections and pipelining ----------------------------------------------------------------------- */

static void test_connection_header(void **state)
{
    (void)state;
    struct {
        const char *head;
        int close;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\n", 0},
        {"HTTP/1.1 200 OK\r\nConnection: close\r\n", 1},
        {"HTTP/1.1 200 OK\r\nConnection: Upgrade, CLOSE\r\n", 1},
        {"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n", 0},
        {"HTTP/1.1 200 OK\r\nConnection: closed\r\n", 0},
        {"HTTP/1.0 200 OK\r\n", 1},
        {"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\n", 0},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive, close\r\n", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char r[160];
        int n = snprintf(r, sizeof(r), "%sContent-Length: 1\r\n\r\nx", cases[i].head);
        check1(r, KEEP, NULL, 0,
               (outcome){.rc = DONE,
                         .status = 200,
                         .body = "x",
                         .body_len = 1,
                         .end = (size_t)n,
                         .close = cases[i].close});
    }
}

static void test_pipelined(void **state)
{
    (void)state;
    /* Back to back: each response ends exactly where the next begins. */
    const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none";
    const char *b = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "3\r\ntwo\r\n0\r\nT: 1\r\n\r\n";
    const char *c = "HTTP/1.1 204 No Content\r\n\r\n";
    const char *d = "HTTP/1.1 409 Conflict\r\nContent-Length: 5\r\nConnection: close\r\n\r\nthree";
    char r[512];
    snprintf(r, sizeof(r), "%s%s%s%s", a, b, c, d);
    size_t ea = strlen(a), eb = ea + strlen(b), ec = eb + strlen(c), ed = ec + strlen(d);
    outcome want[] = {
        {.rc = DONE, .status = 200, .body = "one", .body_len = 3, .end = ea},
        {.rc = DONE, .status = 201, .body = "two", .body_len = 3, .end = eb, .interim = 1},
        {.rc = DONE, .status = 204, .end = ec},
        {.rc = DONE, .status = 409, .body = "three", .body_len = 5, .end = ed, .close = 1},
    };
    feed f = {.input = r, .flags = KEEP};
    check(&f, want, 4);
    /* A malformed second response does not spoil the first. */
    snprintf(r, sizeof(r), "%sHTTP/1.1 2OO OK\r\n\r\n", a);
    outcome bad[] = {{.rc = DONE, .status = 200, .body = "one", .body_len = 3, .end = ea},
                     {.rc = BR_HTTP1_ERR_STATUS_LINE, .end = ea}};
    check(&f, bad, 2);
}

/* ---- malformed and oversized heads -------------------------------------------------------------------- */

static void test_malformed_status_lines(void **state)
{
    (void)state;
    const char *lines[] = {"\r\n",
                           "HTTP/1.1 20 OK\r\n",
                           "HTTP/1.1 2000 OK\r\n",
                           "HTTP/1.1 200OK\r\n",
                           "HTTP/1.1  200 OK\r\n",
                           "HTTP/1.1 099 Low\r\n",
                           "HTTP/1.1 600 High\r\n",
                           "HTTP/2 200 OK\r\n",
                           "HTTP/1.x 200 OK\r\n",
                           "http/1.1 200 OK\r\n",
                           "ICY 200 OK\r\n",
                           "HTTP/1.1 2OO OK\r\n",
                           "HTTP/1.1\r\n"};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        char r[160];
        snprintf(r, sizeof(r), "%sContent-Length: 0\r\n\r\n", lines[i]);
        check1(r, 0, NULL, 0, (outcome){.rc = BR_HTTP1_ERR_STATUS_LINE, .end = 0});
    }
    /* A NUL in the reason phrase is only a byte. */
    const char r[] = "HTTP/1.1 200 O\0K\r\nContent-Length: 0\r\n\r\n";
    feed f = {.input = r, .len = sizeof(r) - 1};
    outcome want = {.rc = DONE, .status = 200, .end = sizeof(r) - 1};
    check(&f, &want, 1);
}

static void test_malformed_headers(void **state)
{
    (void)state;
    const char *lines[] = {"NoColon\r\n",    ": empty name\r\n", "Bad Name: x\r\n",
                           " folded: x\r\n", "\tX: y\r\n",       "Name\x01: x\r\n"};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        char r[160];
        snprintf(r, sizeof(r), "HTTP/1.1 200 OK\r\nA: b\r\n%sContent-Length: 0\r\n\r\n", lines[i]);
        check1(r, 0, NULL, 0, (outcome){.rc = BR_HTTP1_ERR_HEADER, .status = 200, .end = 23});
    }
}

/* "HTTP/1.1 200 OK\r\nX-Pad: aaa...\r\n\r\n" of exactly |head_len| bytes, then a body byte "x" (no NUL). */
static char *padded_head(size_t head_len)
{
    char *r = malloc(head_len + 1);
    memset(r, 'a', head_len);
    memcpy(r, "HTTP/1.1 200 OK\r\nX-Pad: ", 24);
    memcpy(r + head_len - 4, "\r\n\r\nx", 5);
    return r;
}

static void test_head_limit(void **state)
{
    (void)state;
    /* Exactly the limit (64 bytes with the empty line) is fine; one byte more is not. */
    char *fits = padded_head(64), *over = padded_head(65);
    feed f = {.input = fits, .len = 65, .lim = &small, .eof = 1};
    outcome want = {.rc = DONE, .status = 200, .body_len = 1, .end = 65, .close = 1};
    check(&f, &want, 1);
    f.input = over;
    f.len = 66;
    want = (outcome){.rc = BR_HTTP1_ERR_HEAD_TOO_LARGE, .status = 200, .end = 63};
    check(&f, &want, 1); /* the X-Pad line fits (63 bytes in all), the empty line does not */
    free(fits);
    free(over);
    /* A line that never ends fails as soon as it cannot fit, not when the buffer runs out. */
    const char *endless =
        "HTTP/1.1 200 OK\r\nX-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    check1(endless, 0, &small, 0, (outcome){.rc = BR_HTTP1_ERR_HEAD_TOO_LARGE, .status = 200, .end = 17});
    /* The default limit, 16 KiB, whole only (cutting 16 KiB at every byte is slow under ASan). */
    char *big = padded_head(BR_HTTP1_MAX_HEAD);
    br_http1_parser p;
    br_http1_init(&p, NULL);
    br_http1_begin(&p, 0);
    size_t used;
    assert_int_equal(br_http1_parse(&p, big, BR_HTTP1_MAX_HEAD + 1, &used), BR_HTTP1_MORE);
    assert_int_equal(used, BR_HTTP1_MAX_HEAD + 1);
    assert_int_equal(p.body_len, 1);
    free(big);
    big = padded_head(BR_HTTP1_MAX_HEAD + 1);
    br_http1_begin(&p, 0);
    assert_int_equal(br_http1_parse(&p, big, BR_HTTP1_MAX_HEAD + 2, &used), BR_HTTP1_ERR_HEAD_TOO_LARGE);
    assert_int_equal(used, BR_HTTP1_MAX_HEAD - 1); /* the empty line is the byte too many */
    br_http1_free(&p);
    free(big);
}

static void test_kept_body_cap(void **state)
{
    (void)state;
    /* Past keep_cap (8 here) the body is counted, not kept; the kept part is its beginning. */
    const char *r = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij";
    check1(
        r, KEEP, &small, 0,
        (outcome){
            .rc = DONE, .status = 200, .body = "01234567", .body_len = 20, .end = strlen(r), .truncated = 1});
    r = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n01234567";
    check1(r, KEEP, &small, 0,
           (outcome){.rc = DONE, .status = 200, .body = "01234567", .body_len = 8, .end = strlen(r)});
}

/* ---- the API's promises ------------------------------------------------------------------------------- */

static void test_reads_only_len_bytes(void **state)
{
    (void)state;
    /* What follows the given bytes in memory must not matter: here it would end the head and the body. */
    const char mem[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    br_http1_parser p;
    br_http1_init(&p, NULL);
    br_http1_begin(&p, KEEP);
    size_t used;
    assert_int_equal(br_http1_parse(&p, mem, 35, &used), BR_HTTP1_MORE); /* up to "Content-Length: 5\r" */
    assert_int_equal(used, 17);
    assert_int_equal(br_http1_parse(&p, mem + 17, 21, &used), BR_HTTP1_MORE); /* to the end of the head */
    assert_int_equal(used, 21);
    assert_int_equal(br_http1_parse(&p, mem + 38, 4, &used), BR_HTTP1_MORE);
    assert_int_equal(p.body_len, 4);
    assert_int_equal(br_http1_parse(&p, mem + 42, 1, &used), DONE);
    assert_memory_equal(p.body, "hello", 5);
    br_http1_free(&p);
}

static void test_errors_stick_and_begin_reuses_the_buffer(void **state)
{
    (void)state;
    br_http1_parser p;
    br_http1_init(&p, NULL);
    br_http1_begin(&p, KEEP);
    size_t used;
    const char *bad = "HTTP/9.9 200 OK\r\n";
    assert_int_equal(br_http1_parse(&p, bad, strlen(bad), &used), BR_HTTP1_ERR_STATUS_LINE);
    assert_int_equal(br_http1_parse(&p, "HTTP/1.1 200 OK\r\n", 17, &used), BR_HTTP1_ERR_STATUS_LINE);
    assert_int_equal(used, 0);
    assert_int_equal(br_http1_eof(&p), BR_HTTP1_ERR_STATUS_LINE);
    assert_string_equal(br_http1_strerror(BR_HTTP1_ERR_STATUS_LINE), "malformed status line");
    /* A new response after begin; its body buffer is the one the next response uses (no allocation). */
    const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    br_http1_begin(&p, KEEP);
    assert_int_equal(br_http1_parse(&p, ok, strlen(ok), &used), DONE);
    const char *buffer = p.body;
    /* DONE stays DONE, taking nothing more. */
    assert_int_equal(br_http1_parse(&p, ok, strlen(ok), &used), DONE);
    assert_int_equal(used, 0);
    br_http1_begin(&p, KEEP);
    assert_int_equal(p.body_kept, 0);
    assert_int_equal(br_http1_parse(&p, ok, strlen(ok), &used), DONE);
    assert_ptr_equal(p.body, buffer);
    assert_memory_equal(p.body, "abc", 3);
    for (int rc = BR_HTTP1_ERR_TRUNCATED; rc <= BR_HTTP1_DONE; rc++)
        assert_non_null(br_http1_strerror((br_http1_rc)rc));
    assert_string_equal(br_http1_strerror(BR_HTTP1_ERR_TRUNCATED),
                        "connection closed before the response was complete");
    br_http1_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length),
        cmocka_unit_test(test_bad_content_length),
        cmocka_unit_test(test_transfer_encoding_and_content_length),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_bad_chunks),
        cmocka_unit_test(test_close_delimited),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_interim_responses),
        cmocka_unit_test(test_no_body),
        cmocka_unit_test(test_connection_header),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_malformed_status_lines),
        cmocka_unit_test(test_malformed_headers),
        cmocka_unit_test(test_head_limit),
        cmocka_unit_test(test_kept_body_cap),
        cmocka_unit_test(test_reads_only_len_bytes),
        cmocka_unit_test(test_errors_stick_and_begin_reuses_the_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
