/*
 * A fleet of two segments against one bookd in the incident mode (--fix none:
 * bookings are written without any overlap check, so the outcome does not
 * depend on timing): with --shared-days, segment 0 books the slots offered to
 * the first half of the actors and segment 1 those of the second half, on the
 * same day. Both run at once and are released by a starter in a thread of the
 * test (--start-when-ready) only after both have fetched their slot lists, so
 * both book from the same, untouched day: 2 bookings each, one of ana and one
 * of li, whose slots for customer 0 and customer 8 overlap. Each segment's
 * own history holds no double booking (its two bookings are of different
 * inspectors); `bookrace merge` checks both histories together and finds the
 * double bookings between them, naming both files.
 * Each segment records its share in load.json; `report` and `compare` read the merge.
 * And the refusals: a segment index out of range, --shared-days alone, too few days for disjoint
 * segments, and a start gate that never releases (exit 3 after --start-timeout, naming the last answer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#include "process.h"

static json_t *read_json(const char *path)
{
    json_error_t e;
    json_t *doc = json_load_file(path, 0, &e);
    if (doc == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return doc;
}

static size_t count_kind(json_t *doc, const char *kind)
{
    size_t n = 0, i;
    json_t *v;
    json_array_foreach (json_object_get(json_object_get(doc, "oracle"), "violations"), i, v)
        n += strcmp(json_string_value(json_object_get(v, "kind")), kind) == 0;
    return n;
}

/* The starter: 503 until both segments have polled, 200 from then on. */
typedef struct {
    int fd, port, seen;
    pthread_t thread;
} starter;

static void *starter_main(void *arg)
{
    starter *s = arg;
    int c;
    while ((c = accept(s->fd, NULL, NULL)) >= 0) {
        char buf[2048];
        ssize_t n = read(c, buf, sizeof(buf) - 1);
        buf[n > 0 ? n : 0] = '\0';
        char *k = strstr(buf, "segment=");
        if (k && (k[8] == '0' || k[8] == '1'))
            s->seen |= 1 << (k[8] - '0');
        const char *answer = s->seen == 3
                                 ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                 : "HTTP/1.1 503 Wait\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        if (write(c, answer, strlen(answer)) < 0)
            break;
        close(c);
    }
    return NULL;
}

static void starter_start(starter *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    getsockname(s->fd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, starter_main, s);
}

/* One segment, started in the background: 1 connection, 2 bookings a second for 1 s, bookings only. */
static pid_t segment(int port, int starter_port, const char *seg, const char *out)
{
    char sc[600], target[600], url[64];
    snprintf(sc, sizeof(sc), "%s/scenarios/overlap-burst.json", getenv("BOOKRACE_SOURCE_DIR"));
    snprintf(target, sizeof(target), "%s/scenarios/targets/bookd.json", getenv("BOOKRACE_SOURCE_DIR"));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    char go[64];
    snprintf(go, sizeof(go), "http://127.0.0.1:%d/go", starter_port);
    const char *argv[] = {getenv("BOOKRACE_BIN"),
                          "load",
                          sc,
                          "--target",
                          target,
                          "--base-url",
                          url,
                          "--segment",
                          seg,
                          "--shared-days",
                          "--connections",
                          "2",
                          "--rate",
                          "4",
                          "--threads",
                          "1",
                          "--days",
                          "1",
                          "--duration",
                          "1s",
                          "--mix",
                          "fetch_slots=0,book=1",
                          "--out",
                          out,
                          "--quiet",
                          "--start-when-ready",
                          go,
                          "--start-timeout",
                          "60s",
                          NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static void test_double_booking_only_across_segments(void **state)
{
    (void)state;
    char db[512], out0[512], out1[512], merged[600], a[600], b[600], output[16384];
    test_process p;
    test_temp_path(db, sizeof(db), ".db");
    const char *args[] = {"--db", db, "--fix", "none", "--threads", "2", NULL};
    test_bookd_start(&p, args);
    test_temp_path(out0, sizeof(out0), "-seg0");
    test_temp_path(out1, sizeof(out1), "-seg1");
    starter st;
    starter_start(&st);
    pid_t s0 = segment(p.port, st.port, "0/2", out0), s1 = segment(p.port, st.port, "1/2", out1);
    int status0, status1;
    waitpid(s0, &status0, 0);
    waitpid(s1, &status1, 0);
    shutdown(st.fd, SHUT_RDWR);
    close(st.fd);
    pthread_join(st.thread, NULL);
    assert_int_equal(st.seen, 3);
    /* Each segment alone finds the other's overlapping booking in the stored bookings: exit 1. */
    assert_true(WIFEXITED(status0) && WIFEXITED(status1));
    snprintf(a, sizeof(a), "%s/load.json", out0);
    snprintf(b, sizeof(b), "%s/load.json", out1);
    json_t *d0 = read_json(a), *d1 = read_json(b);
    /* Each segment's history alone: bookings acknowledged, no double booking among them. */
    for (int k = 0; k < 2; k++) {
        json_t *d = k ? d1 : d0;
        json_t *seg = json_object_get(d, "segment");
        assert_int_equal(json_integer_value(json_object_get(seg, "index")), k);
        assert_int_equal(json_integer_value(json_object_get(seg, "count")), 2);
        assert_true(json_is_true(json_object_get(seg, "sharedDays")));
        assert_int_equal(json_integer_value(json_array_get(json_object_get(seg, "actors"), 0)), k * 8);
        assert_int_equal(json_integer_value(json_object_get(d, "connections")), 1);
        assert_true(
            json_integer_value(json_object_get(json_object_get(d, "oracle"), "bookingsAcknowledged")) > 0);
        assert_int_equal(count_kind(d, "double-booking"), 0);
    }
    json_decref(d0);
    json_decref(d1);
    /* Together: the double bookings between the two segments. */
    snprintf(merged, sizeof(merged), "%s/merged.json", out1);
    const char *m[] = {getenv("BOOKRACE_BIN"), "merge", a, b, "-o", merged, NULL};
    assert_int_equal(test_run(m, output, sizeof(output)), 1);
    json_t *doc = read_json(merged);
    assert_true(count_kind(doc, "double-booking") > 0);
    json_t *v = json_object_get(json_object_get(doc, "oracle"), "violations");
    const char *text = json_string_value(json_object_get(json_array_get(v, 0), "text"));
    assert_non_null(strstr(text, out0));
    assert_non_null(strstr(text, out1));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "merge"), "segments")), 2);
    assert_int_equal(json_integer_value(json_object_get(doc, "connections")), 2);
    json_decref(doc);
    /* report reads the merged result like any load result. */
    char html[700];
    snprintf(html, sizeof(html), "%s/merged.html", out1);
    const char *r[] = {getenv("BOOKRACE_BIN"), "report", merged, "-o", html, NULL};
    assert_int_equal(test_run(r, output, sizeof(output)), 0);
    /* compare too: the merge against itself is no regression. */
    const char *c[] = {getenv("BOOKRACE_BIN"), "compare", merged, merged, NULL};
    assert_int_equal(test_run(c, output, sizeof(output)), 0);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

/* The command line's refusals, and a start gate nobody releases: exit 2 and 3, each with its reason. */
static void test_refusals_and_gate_timeout(void **state)
{
    (void)state;
    char db[512], out[512], output[16384], sc[600], url[64], gate[96];
    test_process p;
    test_temp_path(db, sizeof(db), ".db");
    const char *args[] = {"--db", db, "--threads", "1", NULL};
    test_bookd_start(&p, args);
    test_temp_path(out, sizeof(out), "-gate");
    snprintf(sc, sizeof(sc), "%s/scenarios/overlap-burst.json", getenv("BOOKRACE_SOURCE_DIR"));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    const char *bad_k[] = {getenv("BOOKRACE_BIN"), "load", sc, "--base-url", url, "--segment", "4/4", NULL};
    assert_int_equal(test_run(bad_k, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "from 0 to 3"));
    const char *no_seg[] = {getenv("BOOKRACE_BIN"), "load", sc, "--base-url", url, "--shared-days", NULL};
    assert_int_equal(test_run(no_seg, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "--shared-days needs --segment"));
    const char *days[] = {
        getenv("BOOKRACE_BIN"), "load", sc,      "--base-url", url, "--segment", "0/4", "--days", "2",
        "--connections",        "4",    "--out", out,          NULL};
    assert_int_equal(test_run(days, output, sizeof(output)), 2);
    assert_non_null(strstr(output, "--days 2 cannot give 4 segments disjoint days"));
    /* bookd answers 404 at this path: the segment is never released and gives up after the timeout. */
    snprintf(gate, sizeof(gate), "%s/no-starter-here", url);
    const char *wait[] = {getenv("BOOKRACE_BIN"),
                          "load",
                          "--url",
                          url,
                          "--segment",
                          "1/2",
                          "--connections",
                          "2",
                          "--duration",
                          "1s",
                          "--start-when-ready",
                          gate,
                          "--start-timeout",
                          "300ms",
                          "--out",
                          out,
                          "--quiet",
                          NULL};
    assert_int_equal(test_run(wait, output, sizeof(output)), 3);
    assert_non_null(
        strstr(output, "/no-starter-here?segment=1&count=2 did not release this segment within 0.3 s"));
    assert_non_null(strstr(output, "last: HTTP 404"));
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_booking_only_across_segments),
        cmocka_unit_test(test_refusals_and_gate_timeout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
