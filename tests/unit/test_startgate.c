/*
 * The coordinated start: RFC 3339 parsing with zones and errors; the
 * wall-clock wait (never early, stop honoured, far-off times refused); the
 * poll-until-released gate against a starter in a thread of the test that
 * answers 503 to the first polls and 200 from then on (released after
 * exactly that many polls, carrying segment and count), one that never
 * releases (timeout, with the last answer in the error) and a port nobody
 * listens on.
 */
#include "startgate.h"

#include "iso8601.h"
#include "util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

static void test_parse_start_at(void **state)
{
    (void)state;
    int64_t us = 0, expect;
    char err[256];
    assert_int_equal(br_time_parse("2026-11-28T11:00:00Z", 20, &expect), 0);
    assert_int_equal(br_start_at_parse("2026-11-28T11:00:00Z", &us, err, sizeof(err)), 0);
    assert_int_equal(us, expect);
    assert_int_equal(br_start_at_parse("2026-11-28T12:30:00+01:30", &us, err, sizeof(err)), 0);
    assert_int_equal(us, expect);
    assert_int_equal(br_start_at_parse("2026-11-28T09:00:00.250-02:00", &us, err, sizeof(err)), 0);
    assert_int_equal(us, expect + 250000);
    assert_int_equal(br_start_at_parse("2026-11-28 11:00", &us, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "RFC 3339"));
    assert_int_equal(br_start_at_parse("2026-11-28T11:00:00+1x:00", &us, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "zone offset"));
    assert_int_equal(br_start_at_parse("2026-11-28T11:00:00", &us, err, sizeof(err)), -1);
}

static void test_wait_is_never_early(void **state)
{
    (void)state;
    char err[256];
    int64_t late = -1, at = br_wall_us() + 30000;
    assert_int_equal(br_start_at_wait(at, 60 * BR_USEC_PER_SEC, NULL, &late, err, sizeof(err)), 0);
    assert_true(br_wall_us() >= at);
    assert_true(late >= 0);
    /* Already past: returns at once and says by how much. */
    at = br_wall_us() - 2 * BR_USEC_PER_SEC;
    assert_int_equal(br_start_at_wait(at, 60 * BR_USEC_PER_SEC, NULL, &late, err, sizeof(err)), 0);
    assert_true(late >= 2 * BR_USEC_PER_SEC);
    /* Too far either way. */
    at = br_wall_us() + 3600 * BR_USEC_PER_SEC;
    assert_int_equal(br_start_at_wait(at, 60 * BR_USEC_PER_SEC, NULL, &late, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "more than 60 s from now"));
    at = br_wall_us() - 3600 * BR_USEC_PER_SEC;
    assert_int_equal(br_start_at_wait(at, 60 * BR_USEC_PER_SEC, NULL, &late, err, sizeof(err)), -1);
    /* A stop set before the time comes. */
    atomic_int stop = 1;
    at = br_wall_us() + 10 * BR_USEC_PER_SEC;
    assert_int_equal(br_start_at_wait(at, 60 * BR_USEC_PER_SEC, &stop, &late, err, sizeof(err)), 1);
}

static void test_ready_url(void **state)
{
    (void)state;
    char *u = br_start_ready_url("http://starter:8080/go", 2, 4);
    assert_string_equal(u, "http://starter:8080/go?segment=2&count=4");
    free(u);
    u = br_start_ready_url("http://starter/cgi-bin/go?run=x", 0, 1);
    assert_string_equal(u, "http://starter/cgi-bin/go?run=x&segment=0&count=1");
    free(u);
}

/* A starter: 503 to the first |release_after| requests, 200 to the rest; remembers the last request line. */
typedef struct {
    int fd, port, release_after, served;
    char last_line[256];
    pthread_t thread;
} starter;

static void *starter_main(void *arg)
{
    starter *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            return NULL;
        char buf[4096];
        size_t len = 0;
        ssize_t n;
        while (len < sizeof(buf) - 1 && (n = read(c, buf + len, sizeof(buf) - 1 - len)) > 0) {
            len += (size_t)n;
            buf[len] = '\0';
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        buf[len] = '\0';
        char *eol = strstr(buf, "\r\n");
        if (eol)
            snprintf(s->last_line, sizeof(s->last_line), "%.*s", (int)(eol - buf), buf);
        const char *answer = s->served++ < s->release_after
                                 ? "HTTP/1.1 503 Not Yet\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                                 : "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\ngo\n";
        if (write(c, answer, strlen(answer)) < 0)
            fail_msg("write");
        close(c);
    }
}

static void starter_start(starter *s, int release_after)
{
    memset(s, 0, sizeof(*s));
    s->release_after = release_after;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    getsockname(s->fd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, starter_main, s);
}

static void starter_stop(starter *s)
{
    shutdown(s->fd, SHUT_RDWR);
    close(s->fd);
    pthread_join(s->thread, NULL);
}

static void test_released_after_the_starter_says_go(void **state)
{
    (void)state;
    starter s;
    starter_start(&s, 3);
    char base[64], err[512];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d/go", s.port);
    char *url = br_start_ready_url(base, 1, 2);
    long polls = 0;
    assert_int_equal(br_start_when_ready(url, 1000, 30 * BR_USEC_PER_SEC, NULL, &polls, err, sizeof(err)), 0);
    assert_int_equal(polls, 4); /* three "not yet", then released */
    starter_stop(&s);
    assert_int_equal(s.served, 4);
    assert_string_equal(s.last_line, "GET /go?segment=1&count=2 HTTP/1.1");
    free(url);
}

static void test_timeout_names_the_last_answer(void **state)
{
    (void)state;
    starter s;
    starter_start(&s, 1 << 30);
    char url[64], err[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/go", s.port);
    long polls = 0;
    assert_int_equal(br_start_when_ready(url, 10000, 100000, NULL, &polls, err, sizeof(err)), -1);
    starter_stop(&s);
    assert_true(polls >= 1);
    assert_non_null(strstr(err, "did not release this segment within 0.1 s"));
    assert_non_null(strstr(err, "last: HTTP 503"));
    assert_non_null(strstr(err, url));
}

static void test_nobody_listening(void **state)
{
    (void)state;
    /* A port that was free a moment ago: bind, read it, close. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    close(fd);
    char url[64], err[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/go", ntohs(a.sin_port));
    long polls = 0;
    atomic_int stop = 0;
    assert_int_equal(br_start_when_ready(url, 10000, 50000, &stop, &polls, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "last: Couldn't connect"));
    stop = 1;
    assert_int_equal(br_start_when_ready(url, 10000, 50000, &stop, &polls, err, sizeof(err)), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_start_at),
        cmocka_unit_test(test_wait_is_never_early),
        cmocka_unit_test(test_ready_url),
        cmocka_unit_test(test_released_after_the_starter_says_go),
        cmocka_unit_test(test_timeout_names_the_last_answer),
        cmocka_unit_test(test_nobody_listening),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
