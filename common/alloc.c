/*
 * The aborting allocator (see alloc.h): one place that decides what running out
 * of memory does. Both programs abort, because a race verdict or a booking
 * answer computed with a silently missing piece would be worse than none, and
 * because an allocation failure on Linux almost always means the OOM killer is
 * already on its way.
 */
#include "alloc.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
    fprintf(stderr, "out of memory allocating %zu bytes\n", size);
    fflush(stderr);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size == 0 ? 1 : size);
    if (p == NULL)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
    if (p == NULL)
        out_of_memory(count * size);
    return p;
}

void *xaligned_calloc(size_t align, size_t count, size_t size)
{
    if (size != 0 && count > (SIZE_MAX - align) / size)
        out_of_memory(SIZE_MAX);
    size_t bytes = (count == 0 ? 1 : count) * (size == 0 ? 1 : size);
    bytes = (bytes + align - 1) / align * align; /* aligned_alloc wants a multiple of the alignment */
    void *p = aligned_alloc(align, bytes);
    if (p == NULL)
        out_of_memory(bytes);
    return memset(p, 0, bytes);
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size == 0 ? 1 : size);
    if (p == NULL)
        out_of_memory(size);
    return p;
}

void *xreallocarray(void *ptr, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        out_of_memory(SIZE_MAX);
    return xrealloc(ptr, count * size);
}

char *xstrdup(const char *s)
{
    return xmemdup0(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    return xmemdup0(s, strnlen(s, n));
}

char *xmemdup0(const void *p, size_t n)
{
    if (n == SIZE_MAX)
        out_of_memory(n);
    char *d = xmalloc(n + 1);
    if (n > 0)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

void xalloc_install_json(void)
{
    json_set_alloc_funcs(xmalloc, free);
}
