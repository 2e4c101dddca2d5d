/*
 * RFC 6901 JSON pointers (jsonptr.h): how a target profile says where in a
 * backend's response the slot list, a booking's id or its inspector is
 * ("/inspection/_id"). Tokens are unescaped (~1 is '/', ~0 is '~') into a
 * stack buffer, or the heap for a long one; an array index must be plain
 * decimal digits, as the RFC requires.
 */
#include "jsonptr.h"

#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int br_json_pointer_valid(const char *ptr)
{
    if (ptr == NULL)
        return 0;
    if (*ptr == '\0')
        return 1;
    if (*ptr != '/')
        return 0;
    for (const char *p = ptr; *p; p++)
        if (*p == '~' && p[1] != '0' && p[1] != '1')
            return 0;
    return 1;
}

/* Unescapes one reference token (|len| bytes) into |out|; returns its length. */
static size_t unescape_token(const char *token, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (token[i] == '~' && i + 1 < len) {
            out[o++] = token[i + 1] == '0' ? '~' : '/';
            i++;
        } else {
            out[o++] = token[i];
        }
    }
    out[o] = '\0';
    return o;
}

static int parse_index(const char *s, size_t len, size_t *out)
{
    if (len == 0 || len > 18 || (len > 1 && s[0] == '0'))
        return -1;
    size_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (size_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

json_t *br_json_pointer_get(json_t *root, const char *ptr)
{
    if (!br_json_pointer_valid(ptr))
        return NULL;
    json_t *cur = root;
    const char *p = ptr;
    char stack_buf[256];
    while (cur != NULL && *p == '/') {
        p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *token = len < sizeof(stack_buf) ? stack_buf : xmalloc(len + 1);
        size_t tlen = unescape_token(p, len, token);
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, token, tlen);
        } else if (json_is_array(cur)) {
            size_t index;
            cur = parse_index(token, tlen, &index) == 0 ? json_array_get(cur, index) : NULL;
        } else {
            cur = NULL;
        }
        if (token != stack_buf)
            free(token);
        p += len;
    }
    return cur;
}

const char *br_json_pointer_text(json_t *root, const char *ptr, char *buf, size_t cap)
{
    json_t *v = ptr ? br_json_pointer_get(root, ptr) : NULL;
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return NULL;
}
