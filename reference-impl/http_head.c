/*
 * The request-head rules of http_head.h: one pass over the header fields
 * counting Content-Length, Transfer-Encoding and Host, then a verdict. No
 * allocation, no I/O; every length is the caller's.
 */
#include "http_head.h"

#include <string.h>
#include <strings.h>

static int name_is(const bookd_head_field *f, const char *name)
{
    size_t n = strlen(name);
    return f->name_len == n && strncasecmp(f->name, name, n) == 0;
}

/* The value without leading and trailing spaces or tabs (RFC 9110 §5.5 OWS). */
static void trim(const bookd_head_field *f, const char **value, size_t *len)
{
    const char *v = f->value;
    size_t n = f->value_len;
    while (n > 0 && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    *value = v;
    *len = n;
}

static int is_digits(const char *v, size_t n)
{
    if (n == 0 || n > 18)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return 0;
    return 1;
}

/* reg-name, IPv4 or [IPv6] with an optional :port: no spaces, slashes, '@' or control characters. */
static int is_authority(const char *v, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '@' || c == '?' || c == '#' || c == '\\')
            return 0;
    }
    return 1;
}

bookd_head_verdict bookd_head_check(int minor_version, const bookd_head_field *fields, size_t count)
{
    int lengths = 0, encodings = 0, hosts = 0, bad_length = 0, bad_encoding = 0, bad_host = 0;
    for (size_t i = 0; i < count; i++) {
        const bookd_head_field *f = &fields[i];
        const char *v;
        size_t n;
        trim(f, &v, &n);
        if (name_is(f, "content-length")) {
            lengths++;
            bad_length |= !is_digits(v, n);
        } else if (name_is(f, "transfer-encoding")) {
            encodings++;
            bad_encoding |= !(n == 7 && strncasecmp(v, "chunked", 7) == 0);
        } else if (name_is(f, "host")) {
            hosts++;
            bad_host |= !is_authority(v, n);
        }
    }
    if (lengths > 1)
        return BOOKD_HEAD_DUPLICATE_LENGTH;
    if (lengths == 1 && encodings > 0)
        return BOOKD_HEAD_LENGTH_AND_CHUNKED;
    if (bad_length)
        return BOOKD_HEAD_BAD_LENGTH;
    if (encodings > 1 || bad_encoding)
        return BOOKD_HEAD_BAD_ENCODING;
    if (hosts > 1)
        return BOOKD_HEAD_DUPLICATE_HOST;
    if (hosts == 0 && minor_version >= 1)
        return BOOKD_HEAD_NO_HOST;
    if (bad_host)
        return BOOKD_HEAD_BAD_HOST;
    return BOOKD_HEAD_OK;
}

static const struct {
    const char *code, *detail;
} verdicts[] = {
    [BOOKD_HEAD_OK] = {"ok", "the request head is well-formed"},
    [BOOKD_HEAD_DUPLICATE_LENGTH] =
        {"duplicate_content_length",
         "two Content-Length fields (RFC 9112 section 6.3); the connection is closed"},
    [BOOKD_HEAD_BAD_LENGTH] = {"invalid_content_length",
                               "Content-Length must be one decimal number (RFC 9112 section 6.3)"},
    [BOOKD_HEAD_LENGTH_AND_CHUNKED] =
        {"content_length_with_transfer_encoding",
         "Content-Length together with Transfer-Encoding (RFC 9112 section 6.1); "
         "the connection is closed"},
    [BOOKD_HEAD_BAD_ENCODING] = {"unsupported_transfer_encoding",
                                 "Transfer-Encoding must be exactly one 'chunked' (RFC 9112 section 6.3)"},
    [BOOKD_HEAD_NO_HOST] = {"missing_host", "an HTTP/1.1 request needs a Host field (RFC 9112 section 3.2)"},
    [BOOKD_HEAD_DUPLICATE_HOST] = {"duplicate_host", "two Host fields (RFC 9112 section 3.2)"},
    [BOOKD_HEAD_BAD_HOST] = {"invalid_host",
                             "the Host field is not a valid authority (RFC 9112 section 3.2)"},
};

const char *bookd_head_verdict_code(bookd_head_verdict v)
{
    return (unsigned)v < sizeof(verdicts) / sizeof(verdicts[0]) ? verdicts[v].code : "invalid_request";
}

const char *bookd_head_verdict_detail(bookd_head_verdict v)
{
    return (unsigned)v < sizeof(verdicts) / sizeof(verdicts[0]) ? verdicts[v].detail
                                                                : "malformed request head";
}

#define VERDICT_COUNT (sizeof(verdicts) / sizeof(verdicts[0]))
static const char markers[VERDICT_COUNT][3] = {
    "\x01"
    "0",
    "\x01"
    "1",
    "\x01"
    "2",
    "\x01"
    "3",
    "\x01"
    "4",
    "\x01"
    "5",
    "\x01"
    "6",
    "\x01"
    "7",
};

const char *bookd_head_marker(bookd_head_verdict v, size_t *len)
{
    *len = 2;
    return markers[(unsigned)v < VERDICT_COUNT ? v : 0];
}

bookd_head_verdict bookd_head_marker_verdict(const char *target, size_t len)
{
    if (len != 2 || target[0] != '\x01' || target[1] < '1' || target[1] >= (char)('0' + VERDICT_COUNT))
        return BOOKD_HEAD_OK;
    return (bookd_head_verdict)(target[1] - '0');
}
