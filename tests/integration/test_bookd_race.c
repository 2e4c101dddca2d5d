/*
 * Two bookd processes sharing one SQLite file (two "pods"), hit with many
 * pairwise-overlapping bookings at once. Fix A must leave exactly one
 * booking; none and A-notx must leave overlaps. The verdicts are
 * deterministic: none never checks; for A-notx the test proves all checks ran
 * before any insert by watching the servers' deferred-writes gauges; A is
 * correct whatever the interleaving.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "process.h"

#define RACERS 16

typedef struct {
    char db[512];
    test_process pods[2];
} cluster;

static void cluster_start(cluster *c, const char *fix, const char *race_window_us)
{
    test_temp_path(c->db, sizeof(c->db), ".db");
    const char *args[] = {"--db",
                          c->db,
                          "--fix",
                          fix,
                          "--race-window-us",
                          race_window_us,
                          "--clock",
                          "virtual:2026-12-01T08:00:00Z",
                          "--threads",
                          "2",
                          NULL};
    test_bookd_start(&c->pods[0], args);
    test_bookd_start(&c->pods[1], args);
}

static void cluster_stop(cluster *c)
{
    assert_int_equal(test_process_stop(&c->pods[0], SIGTERM), 0);
    assert_int_equal(test_process_stop(&c->pods[1], SIGTERM), 0);
    test_remove_db(c->db);
}

/* RACERS bookings of martin, starting 09:00, 09:03, ... 09:45: every pair overlaps (each lasts 2 h). */
static void make_bodies(char bodies[RACERS][512], const char *ptrs[RACERS])
{
    for (int i = 0; i < RACERS; i++) {
        snprintf(bodies[i], 512,
                 "{\"serviceId\":\"full-inspection\",\"inspectorId\":\"martin\",\"datetime\":"
                 "\"2026-12-01T09:%02d:00Z\",\"address\":\"%d Pine Thicket\",\"customer\":{\"name\":\"c%d\","
                 "\"email\":\"c%d@example.com\"}}",
                 i * 3, i, i, i);
        ptrs[i] = bodies[i];
    }
}

/* Counts active bookings of martin and the pairs among them that overlap. */
static void read_back(int port, int *count, int *overlapping_pairs)
{
    test_reply r = test_http(port, "GET",
                             "/inspections?from=2026-12-01&to=2026-12-02&inspectorId=martin"
                             "&status=scheduled",
                             "acme-key", NULL);
    assert_int_equal(r.status, 200);
    json_t *list = json_object_get(r.json, "inspections");
    *count = (int)json_array_size(list);
    *overlapping_pairs = 0;
    for (int i = 0; i < *count; i++)
        for (int j = i + 1; j < *count; j++) {
            const char *si = test_json_str(json_array_get(list, (size_t)i), "datetime");
            const char *ei = test_json_str(json_array_get(list, (size_t)i), "endtime");
            const char *sj = test_json_str(json_array_get(list, (size_t)j), "datetime");
            const char *ej = test_json_str(json_array_get(list, (size_t)j), "endtime");
            /* Same-format UTC timestamps compare correctly as strings. */
            if (strcmp(si, ej) < 0 && strcmp(sj, ei) < 0)
                (*overlapping_pairs)++;
        }
    test_reply_free(&r);
}

static void count_statuses(const long *statuses, int *created, int *conflicts)
{
    *created = *conflicts = 0;
    for (int i = 0; i < RACERS; i++) {
        if (statuses[i] == 201)
            (*created)++;
        else if (statuses[i] == 409)
            (*conflicts)++;
        else
            fail_msg("racer %d got HTTP %ld", i, statuses[i]);
    }
}

static void race(cluster *c, long *statuses)
{
    char bodies[RACERS][512];
    const char *ptrs[RACERS];
    int ports[RACERS];
    make_bodies(bodies, ptrs);
    for (int i = 0; i < RACERS; i++)
        ports[i] = c->pods[i % 2].port;
    test_http_parallel_post(ports, "/inspection/book-job", "acme-key", ptrs, RACERS, statuses);
}

static void test_fix_a_across_two_processes_keeps_one(void **state)
{
    (void)state;
    cluster c;
    long statuses[RACERS];
    /* A 2 ms pause inside each transaction: slow transactions must still serialise. */
    cluster_start(&c, "A", "2000");
    race(&c, statuses);
    int created, conflicts, count, pairs;
    count_statuses(statuses, &created, &conflicts);
    assert_int_equal(created, 1);
    assert_int_equal(conflicts, RACERS - 1);
    read_back(c.pods[0].port, &count, &pairs);
    assert_int_equal(count, 1);
    assert_int_equal(pairs, 0);
    cluster_stop(&c);
}

static void test_fix_none_double_books(void **state)
{
    (void)state;
    cluster c;
    long statuses[RACERS];
    cluster_start(&c, "none", "0");
    race(&c, statuses);
    int created, conflicts, count, pairs;
    count_statuses(statuses, &created, &conflicts);
    assert_int_equal(created, RACERS);
    read_back(c.pods[1].port, &count, &pairs);
    assert_int_equal(count, RACERS);
    assert_int_equal(pairs, RACERS * (RACERS - 1) / 2);
    cluster_stop(&c);
}

static size_t discard_body(char *ptr, size_t size, size_t n, void *arg)
{
    (void)ptr;
    (void)arg;
    return size * n;
}

/*
 * A-notx: the racers are sent together; the test then watches both servers'
 * bookd_deferred_writes gauges. Once they add up to RACERS, every racer has
 * passed its overlap check and none has inserted yet (a write leaves the gauge
 * before it inserts), so every one of them will be acknowledged.
 */
static void test_fix_a_notx_double_books_inside_its_window(void **state)
{
    (void)state;
    cluster c;
    cluster_start(&c, "A-notx", "3000000");
    char bodies[RACERS][512];
    const char *ptrs[RACERS];
    make_bodies(bodies, ptrs);
    CURLM *multi = curl_multi_init();
    CURL *easy[RACERS];
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer acme-key");
    h = curl_slist_append(h, "Expect:");
    for (int i = 0; i < RACERS; i++) {
        char url[128];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/inspection/book-job", c.pods[i % 2].port);
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, ptrs[i]);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, discard_body);
        curl_multi_add_handle(multi, easy[i]);
    }
    int running = 1, all_pending_seen = 0;
    while (running) {
        curl_multi_perform(multi, &running);
        if (!all_pending_seen) {
            double pending = test_metric(c.pods[0].port, "bookd_deferred_writes") +
                             test_metric(c.pods[1].port, "bookd_deferred_writes");
            all_pending_seen = pending == RACERS;
        }
        if (running)
            curl_multi_poll(multi, NULL, 0, 5, NULL);
    }
    if (!all_pending_seen)
        fail_msg("the racers did not all reach the race window together; the machine is too slow for a 3 s "
                 "window");
    for (int i = 0; i < RACERS; i++) {
        long status = 0;
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &status);
        assert_int_equal(status, 201);
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
    }
    curl_slist_free_all(h);
    curl_multi_cleanup(multi);
    int count, pairs;
    read_back(c.pods[0].port, &count, &pairs);
    assert_int_equal(count, RACERS);
    assert_int_equal(pairs, RACERS * (RACERS - 1) / 2);
    cluster_stop(&c);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fix_a_across_two_processes_keeps_one),
        cmocka_unit_test(test_fix_none_double_books),
        cmocka_unit_test(test_fix_a_notx_double_books_inside_its_window),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
