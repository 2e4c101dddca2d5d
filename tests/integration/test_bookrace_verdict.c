/*
 * A broken target never "reproduces" the bug (issue 11): against bookd --fix
 * A+C with a wrong API key, an unreachable port, a server that accepts and
 * never answers and a server that answers 503 to everything,
 * `bookrace run scenarios/incident-stale-replay.json --expect-violation`
 * exits 3 with one line naming what the target answered, never 0. And a
 * target that echoes the request's credentials back does not get them into
 * run.json, summary.txt or the console.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "process.h"

static const char *bookrace_bin(void)
{
    const char *b = getenv("BOOKRACE_BIN");
    return b ? b : "./bookrace";
}

static const char *source_path(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("BOOKRACE_SOURCE_DIR");
    snprintf(buf, cap, "%s/%s", root ? root : "..", rel);
    return buf;
}

/* bookd.json with a short timeout (a silent server costs 300 ms, not 10 s) and, optionally, no health check.
 */
static void write_profile(char *path, size_t cap, int timeout_ms, int with_health)
{
    char src[600];
    json_error_t e;
    json_t *prof = json_load_file(source_path("scenarios/targets/bookd.json", src, sizeof(src)), 0, &e);
    assert_non_null(prof);
    json_object_set_new(prof, "timeoutMs", json_integer(timeout_ms));
    if (!with_health)
        json_object_del(json_object_get(prof, "operations"), "health");
    test_temp_path(path, cap, "-profile.json");
    assert_int_equal(json_dump_file(prof, path, 0), 0);
    json_decref(prof);
}

/* Runs the incident replay with --expect-violation --quiet against |url|; returns the exit code. */
static int run_incident(const char *profile, const char *url, const char *out, char *output, size_t cap)
{
    char sc[600];
    const char *argv[] = {bookrace_bin(),
                          "run",
                          source_path("scenarios/incident-stale-replay.json", sc, sizeof(sc)),
                          "--target",
                          profile,
                          "--base-url",
                          url,
                          "--out",
                          out,
                          "--expect-violation",
                          "--quiet",
                          NULL};
    return test_run(argv, output, cap);
}

static json_t *load_run(const char *dir)
{
    char path[600];
    snprintf(path, sizeof(path), "%s/run.json", dir);
    json_error_t e;
    json_t *run = json_load_file(path, 0, &e);
    if (run == NULL)
        fail_msg("cannot read %s: %s", path, e.text);
    return run;
}

/* One line of output (the --quiet verdict), naming |what|, and run.json saying target-error with exit 3. */
static void assert_target_error(const char *output, const char *out, const char *what)
{
    if (strstr(output, what) == NULL || strstr(output, "target-error") == NULL)
        fail_msg("expected a target-error line naming '%s', got: %s", what, output);
    assert_int_equal(strchr(output, '\n') - output + 1, (long)strlen(output));
    json_t *run = load_run(out);
    assert_string_equal(json_string_value(json_object_get(run, "outcome")), "target-error");
    assert_int_equal(json_integer_value(json_object_get(run, "exitCode")), 3);
    assert_non_null(strstr(json_string_value(json_object_get(run, "reason")), what));
    json_decref(run);
}

static void test_wrong_api_key(void **state)
{
    (void)state;
    char db[512], url[64], out[512], output[8192], profile[512];
    test_process p;
    test_temp_path(db, sizeof(db), ".db");
    const char *args[] = {"--db", db, "--fix", "A+C", "--clock", "virtual:2026-12-01T07:00:00Z", NULL};
    test_bookd_start(&p, args);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    write_profile(profile, sizeof(profile), 10000, 1);
    test_temp_path(out, sizeof(out), "-results");
    setenv("BOOKRACE_API_KEY", "expired-key-0042", 1);
    int rc = run_incident(profile, url, out, output, sizeof(output));
    unsetenv("BOOKRACE_API_KEY");
    if (rc != 3)
        fail_msg("exit %d: %s", rc, output);
    /* The health check passes (bookd does not ask for a key there); every scenario request is a 401. */
    assert_target_error(output, out, "x 401");
    json_t *run = load_run(out);
    json_t *trial = json_array_get(json_object_get(run, "trials"), 0);
    assert_string_equal(json_string_value(json_object_get(trial, "class")), "target-error");
    assert_int_equal(json_array_size(json_object_get(trial, "violations")), 0);
    json_decref(run);
    /* The right key: the same command against the same server reproduces nothing on A+C and says so. */
    rc = run_incident(profile, url, out, output, sizeof(output));
    assert_int_equal(rc, 1);
    assert_non_null(strstr(output, "not reproduced"));
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
    remove(profile);
}

static void test_unreachable_port(void **state)
{
    (void)state;
    /* A port that was just free: bind, read it, close. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    getsockname(fd, (struct sockaddr *)&addr, &alen);
    close(fd);
    char url[64], out[512], output[8192], profile[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ntohs(addr.sin_port));
    test_temp_path(out, sizeof(out), "-results");
    for (int health = 1; health >= 0; health--) {
        write_profile(profile, sizeof(profile), 2000, health);
        int rc = run_incident(profile, url, out, output, sizeof(output));
        if (rc != 3)
            fail_msg("exit %d (health check %d): %s", rc, health, output);
        assert_target_error(output, out, "Couldn't connect");
        remove(profile);
    }
}

/* A server that accepts connections and answers with |status| (0: never answers) and |body|. */
typedef struct {
    int listen_fd;
    int status;
    const char *body;
} fake_server;

static void *fake_connection(void *arg)
{
    void **a = arg;
    fake_server *s = a[0];
    int fd = (int)(intptr_t)a[1];
    free(a);
    char buf[16384];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (s->status == 0)
            continue; /* read everything, answer nothing */
        char head[256];
        int hl = snprintf(head, sizeof(head),
                          "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                          s->status, strlen(s->body));
        if (write(fd, head, (size_t)hl) < 0 || write(fd, s->body, strlen(s->body)) < 0)
            break;
    }
    close(fd);
    return NULL;
}

static void *fake_accept(void *arg)
{
    fake_server *s = arg;
    for (;;) {
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            return NULL;
        void **a = malloc(2 * sizeof(void *));
        a[0] = s;
        a[1] = (void *)(intptr_t)fd;
        pthread_t t;
        pthread_create(&t, NULL, fake_connection, a);
        pthread_detach(t);
    }
}

static int fake_start(fake_server *s)
{
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(addr);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(s->listen_fd, 64), 0);
    getsockname(s->listen_fd, (struct sockaddr *)&addr, &alen);
    pthread_t t;
    pthread_create(&t, NULL, fake_accept, s);
    pthread_detach(t);
    return ntohs(addr.sin_port);
}

static void fake_stop(fake_server *s)
{
    shutdown(s->listen_fd, SHUT_RDWR);
    close(s->listen_fd);
}

static void test_server_that_never_answers(void **state)
{
    (void)state;
    static fake_server s = {.status = 0, .body = ""};
    char url[64], out[512], output[8192], profile[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake_start(&s));
    test_temp_path(out, sizeof(out), "-results");
    for (int health = 1; health >= 0; health--) {
        write_profile(profile, sizeof(profile), 300, health);
        int rc = run_incident(profile, url, out, output, sizeof(output));
        if (rc != 3)
            fail_msg("exit %d (health check %d): %s", rc, health, output);
        assert_target_error(output, out, "timed out");
        remove(profile);
    }
    fake_stop(&s);
}

static void test_server_answering_503(void **state)
{
    (void)state;
    static fake_server s = {.status = 503, .body = "{\"error\":\"maintenance\"}"};
    char url[64], out[512], output[8192], profile[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake_start(&s));
    test_temp_path(out, sizeof(out), "-results");
    write_profile(profile, sizeof(profile), 2000, 1);
    assert_int_equal(run_incident(profile, url, out, output, sizeof(output)), 3);
    assert_target_error(output, out, "answered 503");
    remove(profile);
    /* Without a health check: the first requests and the clock answer 503. */
    write_profile(profile, sizeof(profile), 2000, 0);
    assert_int_equal(run_incident(profile, url, out, output, sizeof(output)), 3);
    assert_target_error(output, out, "503");
    remove(profile);
    fake_stop(&s);
}

/* The target echoes the key back; it appears nowhere bookrace writes. */
static void test_echoed_secret_is_redacted(void **state)
{
    (void)state;
    static fake_server s = {.status = 401,
                            .body = "{\"error\":\"unknown key\",\"got\":\"Bearer t0ken-echoed-back-77\","
                                    "\"t0ken-echoed-back-77\":true}"};
    char url[64], out[512], output[8192], profile[512];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake_start(&s));
    test_temp_path(out, sizeof(out), "-results");
    write_profile(profile, sizeof(profile), 2000, 0);
    setenv("BOOKRACE_API_KEY", "t0ken-echoed-back-77", 1);
    int rc = run_incident(profile, url, out, output, sizeof(output));
    char sc[600];
    const char *verbose[] = {bookrace_bin(),
                             "run",
                             source_path("scenarios/incident-stale-replay.json", sc, sizeof(sc)),
                             "--target",
                             profile,
                             "--base-url",
                             url,
                             "--out",
                             out,
                             NULL};
    char console[16384];
    int rc2 = test_run(verbose, console, sizeof(console));
    unsetenv("BOOKRACE_API_KEY");
    assert_int_equal(rc, 3);
    assert_int_equal(rc2, 3);
    assert_null(strstr(output, "t0ken-echoed-back-77"));
    assert_null(strstr(console, "t0ken-echoed-back-77"));
    const char *files[] = {"run.json", "summary.txt", "junit.xml"};
    for (size_t i = 0; i < 3; i++) {
        char path[700];
        snprintf(path, sizeof(path), "%s/%s", out, files[i]);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char data[1 << 20];
        size_t n = fread(data, 1, sizeof(data) - 1, f);
        fclose(f);
        data[n] = '\0';
        if (strstr(data, "t0ken-echoed-back-77"))
            fail_msg("%s holds the secret", files[i]);
    }
    /* The stored response is still there, with the value replaced. */
    json_t *run = load_run(out);
    json_t *op =
        json_array_get(json_object_get(json_array_get(json_object_get(run, "trials"), 0), "history"), 1);
    assert_string_equal(json_string_value(json_object_get(json_object_get(op, "response"), "got")),
                        "[redacted]");
    json_decref(run);
    remove(profile);
    fake_stop(&s);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrong_api_key),
        cmocka_unit_test(test_unreachable_port),
        cmocka_unit_test(test_server_that_never_answers),
        cmocka_unit_test(test_server_answering_503),
        cmocka_unit_test(test_echoed_secret_is_redacted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
