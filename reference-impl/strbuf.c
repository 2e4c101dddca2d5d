/*
 * The growable response buffer of strbuf.h, with the JSON string and time
 * writers every response uses, and the UTF-8 checks they rest on.
 */
#include "strbuf.h"

#include "alloc.h"
#include "iso8601.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bookd_strbuf_init(bookd_strbuf *b, size_t initial, size_t limit)
{
    b->cap = initial < 16 ? 16 : initial;
    b->len = 0;
    b->limit = limit;
    b->data = xmalloc(b->cap);
    b->failed = 0;
    b->data[0] = '\0';
}

void bookd_strbuf_free(bookd_strbuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int reserve(bookd_strbuf *b, size_t extra)
{
    if (b->failed)
        return -1;
    size_t need = b->len + extra + 1;
    if (b->limit && need > b->limit + 1) {
        b->failed = 1;
        return -1;
    }
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

void bookd_strbuf_append(bookd_strbuf *b, const char *data, size_t len)
{
    if (reserve(b, len))
        return;
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void bookd_strbuf_puts(bookd_strbuf *b, const char *text)
{
    bookd_strbuf_append(b, text, strlen(text));
}

void bookd_strbuf_printf(bookd_strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(b, (size_t)n)) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

size_t bookd_utf8_sequence_len(const unsigned char *s, size_t len)
{
    if (len == 0)
        return 0;
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n == 0 || len < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* Overlongs, surrogates and values above U+10FFFF. */
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
        (c == 0xf4 && s[1] > 0x8f))
        return 0;
    return n;
}

int bookd_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = bookd_utf8_sequence_len(p + i, len - i);
        if (n == 0)
            return 0;
        i += n;
    }
    return 1;
}

size_t bookd_utf8_trim_len(const char *s, size_t len)
{
    /* Step back over at most three continuation bytes to the lead byte of the last sequence. */
    size_t start = len;
    while (start > 0 && len - start < 4 && ((unsigned char)s[start - 1] & 0xc0) == 0x80)
        start--;
    if (start == 0 || ((unsigned char)s[start - 1] & 0x80) == 0)
        return len;
    start--;
    size_t n = bookd_utf8_sequence_len((const unsigned char *)s + start, len - start);
    return n == len - start ? len : start;
}

void bookd_strbuf_json_string(bookd_strbuf *b, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    bookd_strbuf_append(b, "\"", 1);
    const char *run = text;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80) {
            size_t n = bookd_utf8_sequence_len((const unsigned char *)p, strnlen(p, 4));
            if (n > 0) {
                p += n - 1;
                continue;
            }
            bookd_strbuf_append(b, run, (size_t)(p - run));
            bookd_strbuf_append(b, "\\ufffd", 6);
            run = p + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        bookd_strbuf_append(b, run, (size_t)(p - run));
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            bookd_strbuf_append(b, esc, 2);
        } else if (c == '\n') {
            bookd_strbuf_append(b, "\\n", 2);
        } else {
            bookd_strbuf_append(b, esc, 6);
        }
        run = p + 1;
    }
    bookd_strbuf_puts(b, run);
    bookd_strbuf_append(b, "\"", 1);
}

void bookd_strbuf_json_time(bookd_strbuf *b, int64_t us)
{
    char text[BR_TIME_BUFSIZE + 2];
    text[0] = '"';
    size_t n = br_time_format(us, text + 1);
    text[n + 1] = '"';
    bookd_strbuf_append(b, text, n + 2);
}

char *bookd_strbuf_take(bookd_strbuf *b, size_t *len)
{
    if (b->failed) {
        bookd_strbuf_free(b);
        if (len)
            *len = 0;
        return NULL;
    }
    char *data = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return data;
}
