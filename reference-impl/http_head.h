/*
 * bookd's rules for an HTTP/1.x request head, over and above what h2o's
 * parser (picohttpparser) enforces: the message-framing rules of RFC 9112
 * that close request-smuggling doors, and the Host rules of RFC 9112 §3.2.
 *
 *   - two Content-Length fields, or one whose value is not a plain number:
 *     400 (§6.3 item 5); h2o alone took the first and ran the rest of the
 *     body as a second request;
 *   - Content-Length together with Transfer-Encoding: 400 (§6.1: "a server
 *     MAY reject such a request"; bookd does, as a proxy in front of it may
 *     frame the message the other way);
 *   - Transfer-Encoding other than exactly one "chunked": 400 (§6.3 item 4);
 *   - HTTP/1.1 without a Host field, or any request with two: 400 (§3.2).
 *
 * A pure function over the parsed fields, so unit tests and a fuzzer call it
 * without sockets; server.c applies it to every request head h2o parses and
 * answers a violation with a JSON 400 and closes the connection.
 */
#ifndef BOOKD_HTTP_HEAD_H
#define BOOKD_HTTP_HEAD_H

#include <stddef.h>

/* One header field as the parser saw it (the layout of picohttpparser's struct phr_header). */
typedef struct {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} bookd_head_field;

typedef enum {
    BOOKD_HEAD_OK = 0,
    BOOKD_HEAD_DUPLICATE_LENGTH,   /* two Content-Length fields */
    BOOKD_HEAD_BAD_LENGTH,         /* a Content-Length that is not 1*DIGIT */
    BOOKD_HEAD_LENGTH_AND_CHUNKED, /* Content-Length and Transfer-Encoding together */
    BOOKD_HEAD_BAD_ENCODING,       /* Transfer-Encoding other than one "chunked" */
    BOOKD_HEAD_NO_HOST,            /* HTTP/1.1 without Host */
    BOOKD_HEAD_DUPLICATE_HOST,     /* two Host fields */
    BOOKD_HEAD_BAD_HOST,           /* an empty Host, or one with characters no authority has */
} bookd_head_verdict;

/* Checks one request head; |minor_version| is the x of HTTP/1.x. */
bookd_head_verdict bookd_head_check(int minor_version, const bookd_head_field *fields, size_t count);

/* A short machine-readable name ("duplicate_content_length") and a sentence for the JSON error. */
const char *bookd_head_verdict_code(bookd_head_verdict v);
const char *bookd_head_verdict_detail(bookd_head_verdict v);

/*
 * How a refused head reaches the API: the request target is replaced by a
 * marker no parser lets a client send (a control character, then the
 * verdict's digit). bookd_head_marker returns the marker for |v|;
 * bookd_head_marker_verdict returns the verdict a target carries, or
 * BOOKD_HEAD_OK for any ordinary target.
 */
const char *bookd_head_marker(bookd_head_verdict v, size_t *len);
bookd_head_verdict bookd_head_marker_verdict(const char *target, size_t len);

#endif
