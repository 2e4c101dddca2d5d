/*
 * The out-of-memory policy of both programs: allocation never fails quietly.
 * Like redis's zmalloc and wrk's zmalloc, these wrappers abort with a message
 * naming the size when the C library returns NULL, so no caller carries an
 * error path it can never test, and no half-built result is ever written.
 * jansson is pointed at them too (xalloc_install_json), so a JSON document can
 * not come back NULL for want of memory either.
 *
 * Use them for every heap allocation in bookd and bookrace; plain malloc is
 * left to code that hands memory to a library that frees it itself.
 */
#ifndef BOOKRACE_ALLOC_H
#define BOOKRACE_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xrealloc of |count| elements of |size| bytes, aborting on overflow of the product as well. */
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
/* |count| zeroed elements of |size| bytes aligned to |align| (a power of two); free() releases it. */
void *xaligned_calloc(size_t align, size_t count, size_t size);
char *xstrndup(const char *s, size_t n);
/* A NUL-terminated copy of |n| bytes that may hold NUL bytes themselves (memcpy, not strndup). */
char *xmemdup0(const void *p, size_t n);

/* Makes jansson allocate through xmalloc (call once, before any JSON is built, from main). */
void xalloc_install_json(void);

#endif
