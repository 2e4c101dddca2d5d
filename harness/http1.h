/*
 * The HTTP/1.1 response parser of the load engine (loadgen.c): bytes in, a
 * verdict out, no I/O, so the unit tests and the fuzzer drive it exactly as
 * the engine does.
 *
 * The caller owns the buffer. br_http1_parse() reads |len| bytes (never
 * looking for a NUL: the bytes are not a string), takes what it can and says
 * how many it took in |*consumed|. Status line, header, chunk-size and trailer
 * lines are taken only whole; the bytes it leaves are the start of a line the
 * caller must present again, followed by what arrives next. They are always
 * fewer than max(max_head, max_chunk_line), so a buffer of that size never
 * fills up with a response still undecided. Body bytes are taken as they come
 * and never copied, except the first keep_cap bytes of a response whose body
 * was asked for (BR_HTTP1_KEEP_BODY), into a buffer the parser reuses from one
 * response to the next.
 *
 * What it understands (RFC 9112): the status line of HTTP/1.0 and 1.1;
 * Content-Length (a list of equal values is one value; differing ones, a sign
 * or an overflow are errors); chunked transfer coding with chunk extensions
 * and trailers; bodies delimited by the connection's close (no length, or a
 * transfer coding other than chunked last); no body after HEAD or in 1xx, 204
 * and 304 responses; 1xx interim responses, skipped; Connection: close and
 * keep-alive (an HTTP/1.0 response closes unless it says keep-alive). Both a
 * Transfer-Encoding and a Content-Length is an error, as RFC 9112 section 6.3
 * advises, because either reading could be the wrong one.
 */
#ifndef BR_HTTP1_H
#define BR_HTTP1_H

#include <stddef.h>
#include <stdint.h>

/* The load engine's limits: a head fits its 16 KiB read buffer, a booking's body is far below 64 KiB. */
#define BR_HTTP1_MAX_HEAD 16384
#define BR_HTTP1_MAX_CHUNK_LINE 1024
#define BR_HTTP1_KEEP_CAP (64 * 1024)
#define BR_HTTP1_MAX_BODY (UINT64_C(1) << 30)

typedef struct {
    size_t max_head;       /* status line and header lines of a response, interim ones included; trailer */
    size_t max_chunk_line; /* a chunk-size line with its extensions and CRLF */
    size_t keep_cap;       /* body bytes kept of a response that asked for them; the rest is only counted */
    uint64_t max_body;     /* body bytes of one response (Content-Length, chunks or until close) */
} br_http1_limits;

typedef enum {
    BR_HTTP1_MORE = 0, /* all bytes taken but a partial line: the response goes on */
    BR_HTTP1_DONE = 1, /* a final response is complete; bytes after it were not taken */
    BR_HTTP1_ERR_STATUS_LINE = -1,
    BR_HTTP1_ERR_HEADER = -2, /* a header line without a name and a colon, or folded */
    BR_HTTP1_ERR_HEAD_TOO_LARGE = -3,
    BR_HTTP1_ERR_CONTENT_LENGTH = -4,  /* not digits, overflow, or two different values */
    BR_HTTP1_ERR_LENGTH_CONFLICT = -5, /* Transfer-Encoding and Content-Length both */
    BR_HTTP1_ERR_CHUNK_SIZE = -6,
    BR_HTTP1_ERR_CHUNK_LINE_TOO_LONG = -7,
    BR_HTTP1_ERR_CHUNK_END = -8, /* chunk data not followed by CRLF */
    BR_HTTP1_ERR_TRAILER_TOO_LARGE = -9,
    BR_HTTP1_ERR_BODY_TOO_LARGE = -10,
    BR_HTTP1_ERR_SWITCHING_PROTOCOLS = -11, /* 101: what follows is not HTTP/1.1 */
    BR_HTTP1_ERR_TRUNCATED = -12,           /* the connection closed before the response was complete */
} br_http1_rc;

/* br_http1_begin flags */
#define BR_HTTP1_KEEP_BODY 1    /* keep the body's first keep_cap bytes */
#define BR_HTTP1_HEAD_REQUEST 2 /* the request was HEAD: the response has no body whatever it says */

typedef struct {
    /* The response, once br_http1_parse returned BR_HTTP1_DONE. */
    int status;        /* of the final response */
    int close;         /* the connection must be closed after this response */
    int interim;       /* 1xx responses skipped before it */
    uint64_t body_len; /* body bytes received, kept or not */
    char *body;        /* the kept bytes (not NUL-terminated), with KEEP_BODY; owned by the parser */
    size_t body_kept;
    int body_truncated; /* the body was longer than keep_cap: only its first keep_cap bytes are kept */

    /* Private: the parser's state. */
    br_http1_limits lim_;
    int state_, flags_, error_;
    int http10_, keep_alive_, coding_, has_length_;
    uint64_t length_, remaining_;
    size_t line_bytes_, body_cap_;
} br_http1_parser;

/* Zeroes |p| and sets its limits (NULL: the BR_HTTP1_ defaults), ready for br_http1_begin. */
void br_http1_init(br_http1_parser *p, const br_http1_limits *lim);
/* Starts reading the next response on the connection; |flags| is BR_HTTP1_KEEP_BODY | BR_HTTP1_HEAD_REQUEST.
 */
void br_http1_begin(br_http1_parser *p, int flags);
/*
 * Takes bytes of the response from |data| and sets |*consumed| to how many.
 * Returns BR_HTTP1_DONE (the response is complete), BR_HTTP1_MORE (all it
 * could take is taken), or an error, which stays the answer until the next
 * br_http1_begin; then |*consumed| counts the bytes before the offending line
 * (or chunk end, or the first body byte over max_body).
 */
br_http1_rc br_http1_parse(br_http1_parser *p, const char *data, size_t len, size_t *consumed);
/* The connection closed: BR_HTTP1_DONE when that ends a close-delimited body, else BR_HTTP1_ERR_TRUNCATED. */
br_http1_rc br_http1_eof(br_http1_parser *p);
/* "malformed status line", ... for a code; "" for MORE and DONE. */
const char *br_http1_strerror(br_http1_rc rc);
/* Frees the kept-body buffer. */
void br_http1_free(br_http1_parser *p);

#endif
