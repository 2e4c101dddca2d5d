#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slot_cache.h"

#define SEC INT64_C(1000000)

static int lookup(bookd_slot_cache *c, const char *key, int64_t now, const char *expect_body)
{
    char *body = NULL;
    size_t len = 0;
    int rc = bookd_slot_cache_lookup(c, key, strlen(key), now, &body, &len);
    if (rc == 1) {
        /* A hit must be expected: a NULL |expect_body| here is the test's own mistake, said plainly (and
         * gcc -O3 no longer sees strlen(NULL) on a path it cannot rule out). */
        assert_non_null(expect_body);
        if (expect_body == NULL)
            return -1;
        assert_int_equal(len, strlen(expect_body));
        assert_memory_equal(body, expect_body, len);
        free(body);
    }
    return rc;
}

static void test_mode_parsing(void **state)
{
    (void)state;
    bookd_cache_mode m;
    int64_t ttl;
    assert_int_equal(bookd_cache_mode_parse("off", &m, &ttl), 0);
    assert_int_equal(m, BOOKD_CACHE_OFF);
    assert_int_equal(bookd_cache_mode_parse("versioned", &m, &ttl), 0);
    assert_int_equal(m, BOOKD_CACHE_VERSIONED);
    assert_int_equal(bookd_cache_mode_parse("ttl:300", &m, &ttl), 0);
    assert_int_equal(m, BOOKD_CACHE_TTL);
    assert_int_equal(ttl, 300 * SEC);
    const char *bad[] = {"ttl:", "ttl:0", "ttl:-5", "ttl:5s", "ttl:86401", "TTL:5", "", "on", "ttl: 5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(bookd_cache_mode_parse(bad[i], &m, &ttl), -1);
}

static void test_ttl_mode_serves_stale_until_expiry(void **state)
{
    (void)state;
    bookd_slot_cache *c = bookd_slot_cache_new(BOOKD_CACHE_TTL, 300 * SEC, 1 << 20);
    assert_int_equal(lookup(c, "acme\n/slots?a", 0, NULL), 0);
    bookd_slot_cache_store(c, "acme\n/slots?a", 13, 0, INT64_MAX, "[09:26]", 7);
    /* Three minutes later the list is still served, whatever was booked since: the incident. */
    assert_int_equal(lookup(c, "acme\n/slots?a", 180 * SEC, "[09:26]"), 1);
    assert_int_equal(lookup(c, "acme\n/slots?a", 300 * SEC - 1, "[09:26]"), 1);
    assert_int_equal(lookup(c, "acme\n/slots?a", 300 * SEC, NULL), 0);
    assert_int_equal(bookd_slot_cache_size(c), 0);
    /* Keys are exact: another company or URL misses. */
    bookd_slot_cache_store(c, "acme\n/slots?a", 13, 0, INT64_MAX, "x", 1);
    assert_int_equal(lookup(c, "globex\n/slots?a", 1, NULL), 0);
    assert_int_equal(lookup(c, "acme\n/slots?b", 1, NULL), 0);
    bookd_slot_cache_del(c);
}

static void test_versioned_mode_never_expires_and_replaces(void **state)
{
    (void)state;
    bookd_slot_cache *c = bookd_slot_cache_new(BOOKD_CACHE_VERSIONED, 0, 1 << 20);
    bookd_slot_cache_store(c, "k\n1", 3, 0, INT64_MAX, "one", 3);
    assert_int_equal(lookup(c, "k\n1", INT64_MAX - 1, "one"), 1);
    bookd_slot_cache_store(c, "k\n1", 3, 0, INT64_MAX, "uno", 3);
    assert_int_equal(lookup(c, "k\n1", 5, "uno"), 1);
    assert_int_equal(bookd_slot_cache_size(c), 1);
    /* A bumped version is a different key: a miss. */
    assert_int_equal(lookup(c, "k\n2", 5, NULL), 0);
    bookd_slot_cache_del(c);
}

static void test_off_mode_stores_nothing(void **state)
{
    (void)state;
    bookd_slot_cache *c = bookd_slot_cache_new(BOOKD_CACHE_OFF, 0, 1 << 20);
    bookd_slot_cache_store(c, "k", 1, 0, INT64_MAX, "v", 1);
    assert_int_equal(lookup(c, "k", 0, NULL), 0);
    assert_int_equal(bookd_slot_cache_size(c), 0);
    bookd_slot_cache_del(c);
}

static void test_capacity_evicts_oldest_first(void **state)
{
    (void)state;
    bookd_slot_cache *c =
        bookd_slot_cache_new(BOOKD_CACHE_VERSIONED, 0, 3 * bookd_slot_cache_entry_cost(5, 5));
    char key[16];
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        bookd_slot_cache_store(c, key, strlen(key), 0, INT64_MAX, key, strlen(key));
    }
    assert_int_equal(bookd_slot_cache_size(c), 3);
    assert_int_equal(lookup(c, "key0", 0, NULL), 0);
    assert_int_equal(lookup(c, "key1", 0, NULL), 0);
    assert_int_equal(lookup(c, "key2", 0, "key2"), 1);
    assert_int_equal(lookup(c, "key4", 0, "key4"), 1);
    /* Many keys through a small table: chains stay consistent. */
    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        bookd_slot_cache_store(c, key, strlen(key), 0, INT64_MAX, key, strlen(key));
    }
    assert_int_equal(bookd_slot_cache_size(c), 3);
    assert_int_equal(lookup(c, "k1999", 0, "k1999"), 1);
    bookd_slot_cache_del(c);
}

static void test_byte_budget_bounds_memory_not_entries(void **state)
{
    (void)state;
    size_t budget = 64 * 1024;
    bookd_slot_cache *c = bookd_slot_cache_new(BOOKD_CACHE_VERSIONED, 0, budget);
    static char body[3000];
    memset(body, 'x', sizeof(body));
    char key[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        bookd_slot_cache_store(c, key, strlen(key), 0, INT64_MAX, body, sizeof(body));
        assert_true(bookd_slot_cache_bytes(c) <= budget);
    }
    /* As many 3 KB entries as fit in 64 KiB, the newest ones. */
    assert_int_equal(bookd_slot_cache_size(c), budget / bookd_slot_cache_entry_cost(6, sizeof(body)));
    char *got;
    size_t got_len;
    assert_int_equal(bookd_slot_cache_lookup(c, "key999", 6, 0, &got, &got_len), 1);
    assert_int_equal(got_len, sizeof(body));
    free(got);
    assert_int_equal(lookup(c, "key0", 0, NULL), 0);
    /* An entry larger than the whole budget is not stored (and evicts nothing). */
    static char huge[70 * 1024];
    size_t before = bookd_slot_cache_size(c);
    bookd_slot_cache_store(c, "huge", 4, 0, INT64_MAX, huge, sizeof(huge));
    assert_int_equal(lookup(c, "huge", 0, NULL), 0);
    assert_int_equal(bookd_slot_cache_size(c), before);
    bookd_slot_cache_del(c);
}

static void test_entry_expires_with_the_earliest_hold_it_reflects(void **state)
{
    (void)state;
    bookd_slot_cache *c = bookd_slot_cache_new(BOOKD_CACHE_VERSIONED, 0, 1 << 20);
    /* A list computed at 0 that hides a slot behind a hold expiring at 600 s. */
    bookd_slot_cache_store(c, "k\n1", 3, 0, 600 * SEC, "[]", 2);
    assert_int_equal(lookup(c, "k\n1", 600 * SEC - 1, "[]"), 1);
    assert_int_equal(lookup(c, "k\n1", 600 * SEC, NULL), 0);
    /* ttl mode: the earlier of the two. */
    bookd_slot_cache *t = bookd_slot_cache_new(BOOKD_CACHE_TTL, 300 * SEC, 1 << 20);
    bookd_slot_cache_store(t, "k", 1, 0, 100 * SEC, "a", 1);
    char *body;
    size_t len;
    assert_int_equal(bookd_slot_cache_lookup(t, "k", 1, 100 * SEC, &body, &len), 0);
    bookd_slot_cache_del(t);
    bookd_slot_cache_del(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_parsing),
        cmocka_unit_test(test_ttl_mode_serves_stale_until_expiry),
        cmocka_unit_test(test_versioned_mode_never_expires_and_replaces),
        cmocka_unit_test(test_off_mode_stores_nothing),
        cmocka_unit_test(test_capacity_evicts_oldest_first),
        cmocka_unit_test(test_byte_budget_bounds_memory_not_entries),
        cmocka_unit_test(test_entry_expires_with_the_earliest_hold_it_reflects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
