/*
 * The aborting allocator: what it returns is usable and zeroed where promised,
 * copies are exact (including embedded NUL bytes), and an impossible request
 * aborts instead of returning NULL.
 */
#include "alloc.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static void test_calloc_zeroes(void **state)
{
    (void)state;
    unsigned char *p = xcalloc(64, 4);
    for (size_t i = 0; i < 256; i++)
        assert_int_equal(p[i], 0);
    free(p);
}

static void test_aligned_calloc(void **state)
{
    (void)state;
    for (size_t count = 1; count < 5; count++) {
        unsigned char *p = xaligned_calloc(64, count, 72); /* 72: not a multiple of the alignment */
        assert_int_equal((uintptr_t)p % 64, 0);
        for (size_t i = 0; i < count * 72; i++)
            assert_int_equal(p[i], 0);
        free(p);
    }
}

static void test_copies(void **state)
{
    (void)state;
    char *a = xstrdup("09:26");
    assert_string_equal(a, "09:26");
    char *b = xstrndup("09:29 pine", 5);
    assert_string_equal(b, "09:29");
    char *c = xmemdup0("a\0b", 3);
    assert_memory_equal(c, "a\0b\0", 4);
    char *d = xmemdup0("", 0);
    assert_string_equal(d, "");
    free(a), free(b), free(c), free(d);
}

static void test_realloc_grows_and_keeps(void **state)
{
    (void)state;
    int *v = NULL;
    for (int n = 1; n <= 1000; n++) {
        v = xreallocarray(v, (size_t)n, sizeof(*v));
        v[n - 1] = n;
    }
    for (int n = 1; n <= 1000; n++)
        assert_int_equal(v[n - 1], n);
    free(v);
}

/* Runs |fn| in a child and returns the signal that ended it (0 if it exited). */
static int child_signal(void (*fn)(void))
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void overflow_array(void)
{
    (void)freopen("/dev/null", "w", stderr);
    (void)xreallocarray(NULL, SIZE_MAX / 2, 4);
}

/* Sanitizers report an impossible size themselves (and may exit rather than abort): plain builds only. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define BR_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define BR_SANITIZED 1
#endif

#ifndef BR_SANITIZED
static void impossible_malloc(void)
{
    (void)freopen("/dev/null", "w", stderr);
    (void)xmalloc(SIZE_MAX - 4096);
}
#endif

static void test_impossible_requests_abort(void **state)
{
    (void)state;
    assert_int_equal(child_signal(overflow_array), SIGABRT);
#ifndef BR_SANITIZED
    assert_int_equal(child_signal(impossible_malloc), SIGABRT);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calloc_zeroes),
        cmocka_unit_test(test_aligned_calloc),
        cmocka_unit_test(test_copies),
        cmocka_unit_test(test_realloc_grows_and_keeps),
        cmocka_unit_test(test_impossible_requests_abort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
