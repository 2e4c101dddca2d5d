#!/bin/sh
# The out-of-memory policy (common/alloc.h), checked: no source of bookd or bookrace calls the C
# library's allocators directly, so no allocation can fail quietly or grow a failure path of its own.
# Only common/alloc.c, which wraps them, may. Prints each offending call as file:line: text.
# Usage: alloc_policy.sh SOURCE_DIR
set -eu
cd "$1"
hits=$(grep -nE '(^|[^A-Za-z0-9_])(malloc|calloc|realloc|reallocarray|strdup|strndup|aligned_alloc|posix_memalign|v?asprintf)[[:space:]]*\(' \
    common/*.c common/*.h harness/*.c harness/*.h reference-impl/*.c reference-impl/*.h |
    grep -v '^common/alloc\.c:' || true)
if [ -n "$hits" ]; then
    printf '%s\n' "$hits" >&2
    echo "alloc_policy: use xmalloc, xcalloc, xrealloc, xreallocarray, xstrdup... (common/alloc.h) instead" >&2
    exit 1
fi
echo "alloc_policy: no raw allocation calls outside common/alloc.c"
