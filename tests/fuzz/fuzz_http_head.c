/*
 * bookd's request-head rules (http_head.c) on arbitrary fields. Input: one
 * byte for the minor version, then "name\0value\0" pairs. Checks that the
 * verdict is one of the known ones and that its names and marker round-trip.
 */
#include "http_head.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int minor = data[0] & 1;
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    bookd_head_field fields[100];
    size_t n = 0;
    while (p < end && n < 100) {
        const char *name = p, *nul = memchr(p, '\0', (size_t)(end - p));
        if (nul == NULL)
            break;
        const char *value = nul + 1, *vend = value < end ? memchr(value, '\0', (size_t)(end - value)) : NULL;
        if (vend == NULL)
            vend = end;
        fields[n++] = (bookd_head_field){name, (size_t)(nul - name), value, (size_t)(vend - value)};
        p = vend + 1;
    }
    bookd_head_verdict v = bookd_head_check(minor, fields, n);
    if (v < BOOKD_HEAD_OK || v > BOOKD_HEAD_BAD_HOST)
        abort();
    size_t len;
    const char *m = bookd_head_marker(v, &len);
    if (v != BOOKD_HEAD_OK && bookd_head_marker_verdict(m, len) != v)
        abort();
    if (bookd_head_verdict_code(v) == NULL || bookd_head_verdict_detail(v) == NULL)
        abort();
    return 0;
}
