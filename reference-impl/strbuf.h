/*
 * A growable byte buffer for building response bodies. It grows with
 * xrealloc, so running out of memory aborts (common/alloc.h) and never shows
 * here. |limit| caps the size (0 = no cap): going past it sets |failed| and
 * later appends do nothing, so a builder checks once at the end instead of
 * after every call. Without a limit only a vsnprintf error sets it, which
 * bookd's formats (no wide characters, nothing near INT_MAX bytes) never make.
 */
#ifndef BOOKD_STRBUF_H
#define BOOKD_STRBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data; /* xmalloc'd, NUL-terminated; owned by the buffer until taken */
    size_t len, cap, limit;
    int failed;
} bookd_strbuf;

void bookd_strbuf_init(bookd_strbuf *b, size_t initial, size_t limit);
void bookd_strbuf_free(bookd_strbuf *b);
void bookd_strbuf_append(bookd_strbuf *b, const char *data, size_t len);
void bookd_strbuf_puts(bookd_strbuf *b, const char *text);
void bookd_strbuf_printf(bookd_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * Appends |text| as a JSON string literal, quotes included. Bytes that are
 * not well-formed UTF-8 (RFC 3629: no overlongs, surrogates or values above
 * U+10FFFF) become U+FFFD, so the output is always valid JSON text.
 */
void bookd_strbuf_json_string(bookd_strbuf *b, const char *text);
/* Appends a timestamp as a JSON string literal ("2026-12-01T09:26:00Z"). */
void bookd_strbuf_json_time(bookd_strbuf *b, int64_t us);
/* The length of the well-formed UTF-8 sequence at |s| (|len| bytes available), or 0 if it is not one. */
size_t bookd_utf8_sequence_len(const unsigned char *s, size_t len);
/* Whether all |len| bytes are well-formed UTF-8. */
int bookd_utf8_valid(const char *s, size_t len);
/* The longest prefix of |s| (at most |len| bytes) that does not end inside a UTF-8 sequence. */
size_t bookd_utf8_trim_len(const char *s, size_t len);
/* Hands the data to the caller (who frees it) and resets the buffer; NULL (and *len 0) if it failed. */
char *bookd_strbuf_take(bookd_strbuf *b, size_t *len);

#endif
