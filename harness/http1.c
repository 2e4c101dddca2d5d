/*
 * The HTTP/1.1 response parser (see http1.h): a state machine over a buffer
 * the caller owns, which it reads only up to the length it is given. Lines
 * (status, headers, chunk sizes, trailers) are found with memchr and taken
 * whole, each checked against its limit before it is taken; body bytes are
 * counted as they pass and copied only into the kept-body buffer when asked.
 *
 * It replaces the parser that lived in loadgen.c, which ran strstr over a read
 * buffer with no NUL after the received bytes, accepted any line after chunk
 * data, let a later Content-Length override an earlier different one, and
 * silently kept a body with holes when a chunk crossed the 64 KiB cap. Its
 * speed is the engine's: one memchr per line and a length test before any
 * name comparison, no allocation per response.
 */
#include "http1.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- private ----------------------------------------------------------------------------------------- */

enum {
    S_STATUS,
    S_HEADER,
    S_LENGTH,
    S_UNTIL_CLOSE,
    S_CHUNK_SIZE,
    S_CHUNK_DATA,
    S_CHUNK_END,
    S_TRAILER,
    S_DONE
};
enum { CODING_NONE, CODING_CHUNKED, CODING_OTHER }; /* the last transfer coding named */

/* What a step of the state machine did, besides the br_http1_rc values it can return. */
enum { STEP_AGAIN = 2, STEP_NEED = 3 };

static int is_ows(char ch)
{
    return ch == ' ' || ch == '\t';
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Trims optional whitespace around [*s, *s + *n). */
static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_ows((*s)[0]))
        (*s)++, (*n)--;
    while (*n > 0 && is_ows((*s)[*n - 1]))
        (*n)--;
}

/* The next comma-separated element of [*s, end), trimmed; advances *s past it and its comma. */
static void next_element(const char **s, const char *end, const char **elem, size_t *elem_len)
{
    const char *comma = memchr(*s, ',', (size_t)(end - *s));
    const char *stop = comma ? comma : end;
    *elem = *s;
    *elem_len = (size_t)(stop - *s);
    trim(elem, elem_len);
    *s = comma ? comma + 1 : end;
}

static int token_is(const char *s, size_t n, const char *word)
{
    return n == strlen(word) && strncasecmp(s, word, n) == 0;
}

/*
 * The whole line at data[pos..len), if there is one: *n counts it with its
 * LF, *text without its CRLF or LF. A line still arriving must fit in what is
 * left of |limit| after |used| bytes, with its LF: else the limit is exceeded
 * (returns -1) however the rest arrives.
 */
static int whole_line(const char *data, size_t len, size_t pos, size_t used, size_t limit, size_t *n,
                      size_t *text)
{
    const char *nl = memchr(data + pos, '\n', len - pos);
    if (nl == NULL)
        return used + (len - pos) >= limit ? -1 : 0;
    *n = (size_t)(nl - (data + pos)) + 1;
    if (used + *n > limit)
        return -1;
    *text = *n - 1 - (*n >= 2 && nl[-1] == '\r');
    return 1;
}

static void keep(br_http1_parser *p, const char *bytes, size_t n)
{
    p->body_len += n;
    if (!(p->flags_ & BR_HTTP1_KEEP_BODY) || n == 0)
        return;
    size_t room = p->lim_.keep_cap - p->body_kept;
    if (n > room) {
        p->body_truncated = 1;
        n = room;
    }
    if (n == 0)
        return;
    if (p->body_kept + n > p->body_cap_) {
        size_t cap = p->body_cap_ ? p->body_cap_ * 2 : 1024;
        if (cap < p->body_kept + n)
            cap = p->body_kept + n;
        if (cap > p->lim_.keep_cap)
            cap = p->lim_.keep_cap;
        p->body = xrealloc(p->body, cap);
        p->body_cap_ = cap;
    }
    memcpy(p->body + p->body_kept, bytes, n);
    p->body_kept += n;
}

/* "HTTP/1.x NNN[ reason]" with NNN in 100..599. */
static int status_line(br_http1_parser *p, const char *s, size_t n)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !is_digit(s[7]) || s[8] != ' ' || !is_digit(s[9]) ||
        !is_digit(s[10]) || !is_digit(s[11]) || (n > 12 && s[12] != ' '))
        return BR_HTTP1_ERR_STATUS_LINE;
    int status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (status < 100 || status > 599)
        return BR_HTTP1_ERR_STATUS_LINE;
    p->status = status;
    p->http10_ = s[7] == '0';
    p->state_ = S_HEADER;
    return STEP_AGAIN;
}

/* Content-Length: one decimal value, or a list of equal ones; every occurrence the same. */
static int content_length(br_http1_parser *p, const char *v, size_t n)
{
    const char *end = v + n;
    if (n > 0 && v[n - 1] == ',')
        return BR_HTTP1_ERR_CONTENT_LENGTH; /* an empty last element */
    do {
        const char *e;
        size_t len;
        next_element(&v, end, &e, &len);
        if (len == 0)
            return BR_HTTP1_ERR_CONTENT_LENGTH;
        uint64_t value = 0;
        for (size_t i = 0; i < len; i++) {
            if (!is_digit(e[i]) || value > (INT64_MAX - (uint64_t)(e[i] - '0')) / 10)
                return BR_HTTP1_ERR_CONTENT_LENGTH; /* not a digit, or past 2^63 - 1 */
            value = value * 10 + (uint64_t)(e[i] - '0');
        }
        if (p->has_length_ && value != p->length_)
            return BR_HTTP1_ERR_CONTENT_LENGTH;
        p->has_length_ = 1;
        p->length_ = value;
    } while (v < end);
    return STEP_AGAIN;
}

/*
 * Transfer-Encoding: only the last coding named decides (several header lines
 * are one list; empty elements name nothing). A field naming nothing still
 * says the length is not Content-Length's.
 */
static void transfer_encoding(br_http1_parser *p, const char *v, size_t n)
{
    const char *end = v + n, *last = NULL;
    size_t last_len = 0;
    while (v < end) {
        const char *e;
        size_t len;
        next_element(&v, end, &e, &len);
        if (len > 0)
            last = e, last_len = len;
    }
    if (last != NULL)
        p->coding_ = token_is(last, last_len, "chunked") ? CODING_CHUNKED : CODING_OTHER;
    else if (p->coding_ == CODING_NONE)
        p->coding_ = CODING_OTHER;
}

static void connection(br_http1_parser *p, const char *v, size_t n)
{
    const char *end = v + n;
    while (v < end) {
        const char *e;
        size_t len;
        next_element(&v, end, &e, &len);
        if (token_is(e, len, "close"))
            p->close = 1;
        else if (token_is(e, len, "keep-alive"))
            p->keep_alive_ = 1;
    }
}

/* "name: value": a name without whitespace, then the value without its surrounding whitespace. */
static int header_line(br_http1_parser *p, const char *s, size_t n)
{
    const char *colon = memchr(s, ':', n);
    if (colon == NULL || colon == s)
        return BR_HTTP1_ERR_HEADER;
    size_t name_len = (size_t)(colon - s);
    for (size_t i = 0; i < name_len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
            return BR_HTTP1_ERR_HEADER; /* also an obs-fold line, which starts with whitespace */
    const char *v = colon + 1;
    size_t vlen = n - name_len - 1;
    trim(&v, &vlen);
    if (token_is(s, name_len, "content-length"))
        return content_length(p, v, vlen);
    if (token_is(s, name_len, "transfer-encoding"))
        transfer_encoding(p, v, vlen);
    else if (token_is(s, name_len, "connection"))
        connection(p, v, vlen);
    return STEP_AGAIN;
}

/* Forgets an interim response's headers: the final response's are its own. */
static void next_head(br_http1_parser *p)
{
    p->interim++;
    p->status = 0;
    p->close = p->keep_alive_ = p->coding_ = p->has_length_ = 0;
    p->length_ = 0;
    p->state_ = S_STATUS;
}

/* The empty line after the headers: how the body is delimited (RFC 9112 section 6.3). */
static int end_of_head(br_http1_parser *p)
{
    if (p->status == 101)
        return BR_HTTP1_ERR_SWITCHING_PROTOCOLS;
    if (p->status < 200) {
        next_head(p);
        return STEP_AGAIN;
    }
    if (p->coding_ != CODING_NONE && p->has_length_)
        return BR_HTTP1_ERR_LENGTH_CONFLICT;
    p->close = p->close || (p->http10_ && !p->keep_alive_);
    if ((p->flags_ & BR_HTTP1_HEAD_REQUEST) || p->status == 204 || p->status == 304)
        return BR_HTTP1_DONE;
    if (p->coding_ == CODING_CHUNKED) {
        p->state_ = S_CHUNK_SIZE;
        p->line_bytes_ = 0;
    } else if (p->coding_ == CODING_OTHER || !p->has_length_) {
        p->state_ = S_UNTIL_CLOSE;
        p->close = 1;
    } else if (p->length_ > p->lim_.max_body) {
        return BR_HTTP1_ERR_BODY_TOO_LARGE;
    } else if (p->length_ == 0) {
        return BR_HTTP1_DONE;
    } else {
        p->state_ = S_LENGTH;
        p->remaining_ = p->length_;
    }
    return STEP_AGAIN;
}

/* A status or header line; the head's lines share one limit, interim responses' included. */
static int head_line(br_http1_parser *p, const char *data, size_t len, size_t *pos)
{
    size_t n, text;
    int whole = whole_line(data, len, *pos, p->line_bytes_, p->lim_.max_head, &n, &text);
    if (whole <= 0)
        return whole < 0 ? BR_HTTP1_ERR_HEAD_TOO_LARGE : STEP_NEED;
    const char *s = data + *pos;
    p->line_bytes_ += n;
    int rc = p->state_ == S_STATUS ? status_line(p, s, text)
             : text == 0           ? end_of_head(p)
                                   : header_line(p, s, text);
    if (rc >= 0)
        *pos += n; /* an offending line is not taken */
    return rc;
}

/* "1a2b[ ;ext=value...]": hexadecimal digits, then optional whitespace and extensions (ignored). */
static int chunk_size_line(br_http1_parser *p, const char *data, size_t len, size_t *pos)
{
    size_t n, text;
    int whole = whole_line(data, len, *pos, 0, p->lim_.max_chunk_line, &n, &text);
    if (whole <= 0)
        return whole < 0 ? BR_HTTP1_ERR_CHUNK_LINE_TOO_LONG : STEP_NEED;
    const char *s = data + *pos;
    uint64_t size = 0;
    size_t i = 0;
    for (; i < text; i++) {
        char ch = s[i];
        int digit = is_digit(ch)                               ? ch - '0'
                    : (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f' ? (ch | 0x20) - 'a' + 10
                                                               : -1;
        if (digit < 0)
            break;
        if (size > (INT64_MAX - (uint64_t)digit) / 16)
            return BR_HTTP1_ERR_CHUNK_SIZE; /* past 2^63 - 1 */
        size = size * 16 + (uint64_t)digit;
    }
    size_t digits = i;
    while (i < text && is_ows(s[i]))
        i++;
    if (digits == 0 || (i < text && s[i] != ';'))
        return BR_HTTP1_ERR_CHUNK_SIZE;
    if (size > p->lim_.max_body - p->body_len)
        return BR_HTTP1_ERR_BODY_TOO_LARGE;
    *pos += n;
    p->remaining_ = size;
    p->state_ = size == 0 ? S_TRAILER : S_CHUNK_DATA;
    p->line_bytes_ = 0;
    return STEP_AGAIN;
}

/* The CRLF (or LF) that must follow a chunk's data. */
static int chunk_end(br_http1_parser *p, const char *data, size_t len, size_t *pos)
{
    size_t avail = len - *pos;
    const char *s = data + *pos;
    if (avail == 0 || (avail == 1 && s[0] == '\r'))
        return STEP_NEED;
    if (s[0] == '\n')
        *pos += 1;
    else if (s[0] == '\r' && s[1] == '\n')
        *pos += 2;
    else
        return BR_HTTP1_ERR_CHUNK_END;
    p->state_ = S_CHUNK_SIZE;
    return STEP_AGAIN;
}

/* Trailer fields after the last chunk, up to the empty line; read past, not interpreted. */
static int trailer_line(br_http1_parser *p, const char *data, size_t len, size_t *pos)
{
    size_t n, text;
    int whole = whole_line(data, len, *pos, p->line_bytes_, p->lim_.max_head, &n, &text);
    if (whole <= 0)
        return whole < 0 ? BR_HTTP1_ERR_TRAILER_TOO_LARGE : STEP_NEED;
    *pos += n;
    p->line_bytes_ += n;
    return text == 0 ? BR_HTTP1_DONE : STEP_AGAIN;
}

/* Body bytes of a known length (the whole body, or one chunk), or up to the close. */
static int body_bytes(br_http1_parser *p, const char *data, size_t len, size_t *pos)
{
    size_t avail = len - *pos;
    if (p->state_ == S_UNTIL_CLOSE) {
        uint64_t budget = p->lim_.max_body - p->body_len;
        size_t take = avail < budget ? avail : (size_t)budget;
        keep(p, data + *pos, take);
        *pos += take;
        return take < avail ? BR_HTTP1_ERR_BODY_TOO_LARGE : STEP_NEED;
    }
    size_t take = p->remaining_ < avail ? (size_t)p->remaining_ : avail;
    keep(p, data + *pos, take);
    *pos += take;
    p->remaining_ -= take;
    if (p->remaining_ > 0)
        return STEP_NEED;
    if (p->state_ == S_LENGTH)
        return BR_HTTP1_DONE;
    p->state_ = S_CHUNK_END;
    return STEP_AGAIN;
}

static int step(br_http1_parser *p, const char *data, size_t len, size_t *pos)
{
    switch (p->state_) {
    case S_STATUS:
    case S_HEADER:
        return head_line(p, data, len, pos);
    case S_LENGTH:
    case S_UNTIL_CLOSE:
    case S_CHUNK_DATA:
        return body_bytes(p, data, len, pos);
    case S_CHUNK_SIZE:
        return chunk_size_line(p, data, len, pos);
    case S_CHUNK_END:
        return chunk_end(p, data, len, pos);
    case S_TRAILER:
        return trailer_line(p, data, len, pos);
    default:
        return BR_HTTP1_DONE;
    }
}

/* ---- public ------------------------------------------------------------------------------------------ */

void br_http1_init(br_http1_parser *p, const br_http1_limits *lim)
{
    memset(p, 0, sizeof(*p));
    if (lim != NULL)
        p->lim_ = *lim;
    else
        p->lim_ = (br_http1_limits){.max_head = BR_HTTP1_MAX_HEAD,
                                    .max_chunk_line = BR_HTTP1_MAX_CHUNK_LINE,
                                    .keep_cap = BR_HTTP1_KEEP_CAP,
                                    .max_body = BR_HTTP1_MAX_BODY};
}

void br_http1_begin(br_http1_parser *p, int flags)
{
    p->status = p->close = p->interim = p->body_truncated = 0;
    p->body_len = 0;
    p->body_kept = 0;
    p->state_ = S_STATUS;
    p->flags_ = flags;
    p->error_ = 0;
    p->http10_ = p->keep_alive_ = p->coding_ = p->has_length_ = 0;
    p->length_ = p->remaining_ = 0;
    p->line_bytes_ = 0;
}

br_http1_rc br_http1_parse(br_http1_parser *p, const char *data, size_t len, size_t *consumed)
{
    size_t pos = 0;
    int rc = p->error_ ? p->error_ : STEP_AGAIN;
    while (rc == STEP_AGAIN)
        rc = step(p, data, len, &pos);
    *consumed = pos;
    if (rc == BR_HTTP1_DONE)
        p->state_ = S_DONE;
    else if (rc < 0)
        p->error_ = rc;
    return rc == STEP_NEED ? BR_HTTP1_MORE : (br_http1_rc)rc;
}

br_http1_rc br_http1_eof(br_http1_parser *p)
{
    if (p->error_)
        return (br_http1_rc)p->error_;
    if (p->state_ == S_UNTIL_CLOSE || p->state_ == S_DONE) {
        p->state_ = S_DONE;
        return BR_HTTP1_DONE;
    }
    p->error_ = BR_HTTP1_ERR_TRUNCATED;
    return BR_HTTP1_ERR_TRUNCATED;
}

const char *br_http1_strerror(br_http1_rc rc)
{
    switch (rc) {
    case BR_HTTP1_MORE:
    case BR_HTTP1_DONE:
        return "";
    case BR_HTTP1_ERR_STATUS_LINE:
        return "malformed status line";
    case BR_HTTP1_ERR_HEADER:
        return "malformed header line";
    case BR_HTTP1_ERR_HEAD_TOO_LARGE:
        return "response head over its size limit";
    case BR_HTTP1_ERR_CONTENT_LENGTH:
        return "invalid or conflicting Content-Length";
    case BR_HTTP1_ERR_LENGTH_CONFLICT:
        return "both Transfer-Encoding and Content-Length";
    case BR_HTTP1_ERR_CHUNK_SIZE:
        return "malformed chunk size";
    case BR_HTTP1_ERR_CHUNK_LINE_TOO_LONG:
        return "chunk-size line over its size limit";
    case BR_HTTP1_ERR_CHUNK_END:
        return "chunk data not followed by CRLF";
    case BR_HTTP1_ERR_TRAILER_TOO_LARGE:
        return "trailer over its size limit";
    case BR_HTTP1_ERR_BODY_TOO_LARGE:
        return "body over its size limit";
    case BR_HTTP1_ERR_SWITCHING_PROTOCOLS:
        return "101 Switching Protocols";
    case BR_HTTP1_ERR_TRUNCATED:
        return "connection closed before the response was complete";
    }
    return "unknown error";
}

void br_http1_free(br_http1_parser *p)
{
    free(p->body);
    p->body = NULL;
    p->body_cap_ = 0;
    p->body_kept = 0;
}
