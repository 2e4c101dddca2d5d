/*
 * The out-of-memory policy of both programs: allocation never fails quietly.
 * Like redis's zmalloc and wrk's zmalloc, these wrappers abort with a message
 * naming the size when the C library returns NULL, so no caller carries an
 * error path it can never test, and no half-built result is ever written.
 * jansson is pointed at them too (xalloc_install_json, called by both mains),
 * so a JSON document can not come back NULL for want of memory either.
 *
 * Every heap allocation bookd and bookrace make themselves goes through them:
 * outside alloc.c there is no plain malloc, calloc, realloc or strdup
 * (tests/lint/alloc_policy.sh checks). Limits on what a peer can make us
 * allocate (request bodies, headers, cache bytes) are still checked before
 * the call; only a NULL from the allocator is no longer a case callers
 * handle. What SQLite, mongoc, h2o and libcurl allocate inside themselves
 * follows those libraries' own policies.
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
