/*
 * bookrace's HTTP/2 single-packet release against real servers:
 *   - same-slot-burst over h2c (bookd answers HTTP/2 with prior knowledge)
 *     reproduces the double booking against --fix none and is clean against
 *     A+C, each burst in one write that the kernel counts as one segment;
 *   - a server that will not speak h2 (nginx without http2, in front of
 *     bookd) gets the last-byte fallback and a note saying why, and the
 *     verdict is still right;
 *   - a burst larger than the server's stream limit (nginx with TLS, ALPN h2
 *     and http2_max_concurrent_streams 5, in front of bookd over HTTP/1.1, the
 *     incident's load-balancer shape) is split over ceil(16 / 5) connections
 *     and says so; the same with the profile's own http2.maxStreams over h2c.
 * The nginx cases are skipped, with a message, where nginx or openssl is not
 * installed; the verdicts never depend on timing (bookd's broken mode loses
 * every race it is given, and A+C loses none).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "process.h"

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

static json_t *trial(json_t *run, size_t i)
{
    return json_array_get(json_object_get(run, "trials"), i);
}

static json_t *first_barrier(json_t *run, size_t t)
{
    return json_array_get(json_object_get(trial(run, t), "barriers"), 0);
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* Book operations of trial |t| by status class. */
static void count_books(json_t *run, size_t t, int *created, int *conflicts, int *other)
{
    *created = *conflicts = *other = 0;
    size_t i;
    json_t *op;
    json_array_foreach (json_object_get(trial(run, t), "history"), i, op) {
        if (strcmp(str(op, "op"), "book") != 0)
            continue;
        json_int_t s = json_integer_value(json_object_get(op, "status"));
        if (s == 201)
            (*created)++;
        else if (s == 409)
            (*conflicts)++;
        else
            (*other)++;
    }
}

/* Whether any note of trial |t| holds |text|. */
static int has_note(json_t *run, size_t t, const char *text)
{
    size_t i;
    json_t *n;
    json_array_foreach (json_object_get(trial(run, t), "notes"), i, n)
        if (strstr(json_string_value(n), text))
            return 1;
    return 0;
}

/* Runs bookrace; |target| NULL for the shipped bookd profile. Returns its exit code. */
static int run_bookrace(const char *scenario, const char *target, const char *url, const char *out,
                        const char *extra)
{
    char sc[600], tg[600], output[16384];
    if (scenario[0] == '/')
        snprintf(sc, sizeof(sc), "%s", scenario);
    else
        test_source_path(scenario, sc, sizeof(sc));
    const char *argv[20];
    int n = 0;
    argv[n++] = test_bookrace_bin();
    argv[n++] = "run";
    argv[n++] = sc;
    if (target) {
        snprintf(tg, sizeof(tg), "%s", target);
        argv[n++] = "--target";
        argv[n++] = tg;
    }
    argv[n++] = "--base-url";
    argv[n++] = url;
    argv[n++] = "--out";
    argv[n++] = out;
    argv[n++] = "--repeat";
    argv[n++] = "2";
    argv[n++] = "--quiet";
    if (extra)
        argv[n++] = extra;
    argv[n] = NULL;
    int rc = test_run(argv, output, sizeof(output));
    if (rc > 1)
        print_message("bookrace exited %d:\n%s\n", rc, output);
    return rc;
}

static void start_bookd(test_process *p, char *db, size_t cap, const char *fix)
{
    test_temp_path(db, cap, ".db");
    const char *args[] = {"--db",      db,  "--fix", fix, "--clock", "virtual:2026-12-01T07:00:00Z",
                          "--threads", "2", NULL};
    test_bookd_start(p, args);
}

/* The shipped bookd profile with extra top-level keys (a JSON fragment), written to a scratch file. */
static void profile_with(char *path, size_t cap, const char *extra_json)
{
    char src[600];
    json_error_t e;
    json_t *p = json_load_file(test_source_path("scenarios/targets/bookd.json", src, sizeof(src)), 0, &e);
    assert_non_null(p);
    json_t *extra = json_loads(extra_json, 0, &e);
    assert_non_null(extra);
    json_object_update(p, extra);
    test_temp_path(path, cap, "-profile.json");
    assert_int_equal(json_dump_file(p, path, JSON_INDENT(1)), 0);
    json_decref(extra);
    json_decref(p);
}

/* same-slot-burst with its barrier naming no release, so the profile chooses. */
static void scenario_without_release(char *path, size_t cap)
{
    char src[600];
    json_error_t e;
    json_t *s = json_load_file(test_source_path("scenarios/same-slot-burst.json", src, sizeof(src)), 0, &e);
    assert_non_null(s);
    size_t i;
    json_t *step;
    json_array_foreach (json_object_get(s, "steps"), i, step)
        json_object_del(step, "release");
    test_temp_path(path, cap, "-scenario.json");
    assert_int_equal(json_dump_file(s, path, JSON_INDENT(1)), 0);
    json_decref(s);
}

/* ---- h2c against bookd -------------------------------------------------------------------------------- */

static void test_h2c_same_slot_burst_broken_and_fixed(void **state)
{
    (void)state;
    char db[512], url[64], out[512];
    test_process p;
    int created, conflicts, other;

    start_bookd(&p, db, sizeof(db), "none");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(run_bookrace("scenarios/same-slot-burst-h2.json", NULL, url, out, "--expect-violation"),
                     0);
    json_t *run = load_run(out);
    for (size_t t = 0; t < 2; t++) {
        count_books(run, t, &created, &conflicts, &other);
        assert_int_equal(created, 16);
        json_t *b = first_barrier(run, t);
        assert_string_equal(str(b, "release"), "single-packet");
        assert_null(json_object_get(b, "requestedRelease"));
        json_t *h2 = json_object_get(b, "http2");
        assert_int_equal(json_integer_value(json_object_get(h2, "connections")), 1);
        assert_int_equal(json_integer_value(json_object_get(h2, "writes")), 1);
        /* 16 final DATA frames of 10 bytes, far below the loopback MSS: one segment */
        assert_int_equal(json_integer_value(json_object_get(h2, "segments")), 1);
        assert_int_equal(json_integer_value(json_object_get(b, "skewUs")), 0);
    }
    assert_true(json_integer_value(json_object_get(json_object_get(run, "summary"), "violations")) > 0);
    json_decref(run);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);

    start_bookd(&p, db, sizeof(db), "A+C");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(run_bookrace("scenarios/same-slot-burst-h2.json", NULL, url, out, NULL), 0);
    run = load_run(out);
    for (size_t t = 0; t < 2; t++) {
        count_books(run, t, &created, &conflicts, &other);
        assert_int_equal(created, 1);
        assert_int_equal(conflicts, 15);
        assert_int_equal(other, 0);
        assert_string_equal(str(first_barrier(run, t), "release"), "single-packet");
    }
    assert_int_equal(json_integer_value(json_object_get(json_object_get(run, "summary"), "violations")), 0);
    json_decref(run);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

/* "http": "2" in the profile makes the plain same-slot-burst (no release named) single-packet; a small
 * http2.maxStreams splits it. */
static void test_profile_http2_and_own_stream_cap(void **state)
{
    (void)state;
    char db[512], url[64], out[512], profile[512];
    test_process p;
    int created, conflicts, other;
    start_bookd(&p, db, sizeof(db), "A+C");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", p.port);
    profile_with(profile, sizeof(profile), "{\"http\": \"2\", \"http2\": {\"maxStreams\": 5}}");
    char scenario[512];
    scenario_without_release(scenario, sizeof(scenario));
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(run_bookrace(scenario, profile, url, out, NULL), 0);
    json_t *run = load_run(out);
    json_t *b = first_barrier(run, 0);
    assert_string_equal(str(b, "release"), "single-packet");
    json_t *h2 = json_object_get(b, "http2");
    assert_int_equal(json_integer_value(json_object_get(h2, "connections")), 4); /* ceil(16 / 5) */
    assert_int_equal(json_integer_value(json_object_get(h2, "writes")), 4);
    assert_true(has_note(run, 0, "16 racers split over 4 connections"));
    count_books(run, 0, &created, &conflicts, &other);
    assert_int_equal(created, 1);
    assert_int_equal(conflicts, 15);
    json_decref(run);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

/* ---- nginx in front of bookd ------------------------------------------------------------------------- */

typedef struct {
    pid_t pid;
    char dir[512];
    int plain_port, tls_port;
} nginx_proc;

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static const char *nginx_bin(void)
{
    static const char *const candidates[] = {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx",
                                             NULL};
    for (int i = 0; candidates[i]; i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return NULL;
}

/*
 * nginx with two servers in front of bookd: plain HTTP/1.1 only (refuses h2c), and TLS with ALPN h2 and at
 * most 5 concurrent streams. Returns 0, or -1 when nginx or openssl is missing.
 */
static int nginx_start(nginx_proc *n, int bookd_port)
{
    const char *bin = nginx_bin();
    if (bin == NULL || access("/usr/bin/openssl", X_OK) != 0)
        return -1;
    test_temp_path(n->dir, sizeof(n->dir), "-nginx");
    mkdir(n->dir, 0700);
    char cmd[2048], conf[600];
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
             "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout %s/key.pem -out %s/cert.pem "
             ">/dev/null 2>&1",
             n->dir, n->dir);
    assert_int_equal(system(cmd), 0);
    n->plain_port = free_port();
    n->tls_port = free_port();
    snprintf(conf, sizeof(conf), "%s/nginx.conf", n->dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "daemon off; master_process off; worker_processes 1; pid %s/nginx.pid; error_log %s/error.log;\n"
            "events { worker_connections 512; }\n"
            "http { access_log off; client_body_temp_path %s/body; proxy_temp_path %s/proxy;\n"
            "  fastcgi_temp_path %s/fcgi; uwsgi_temp_path %s/uwsgi; scgi_temp_path %s/scgi;\n"
            "  upstream bookd { server 127.0.0.1:%d; keepalive 64; }\n"
            "  server { listen 127.0.0.1:%d;\n"
            "    location / { proxy_pass http://bookd; proxy_http_version 1.1; proxy_set_header Connection "
            "\"\"; } }\n"
            "  server { listen 127.0.0.1:%d ssl http2; http2_max_concurrent_streams 5;\n"
            "    ssl_certificate %s/cert.pem; ssl_certificate_key %s/key.pem;\n"
            "    location / { proxy_pass http://bookd; proxy_http_version 1.1; proxy_set_header Connection "
            "\"\"; } }\n"
            "}\n",
            n->dir, n->dir, n->dir, n->dir, n->dir, n->dir, n->dir, bookd_port, n->plain_port, n->tls_port,
            n->dir, n->dir);
    fclose(f);
    n->pid = fork();
    if (n->pid == 0) {
        execl(bin, bin, "-p", n->dir, "-c", conf, "-e", "stderr", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200 && !(port_open(n->plain_port) && port_open(n->tls_port)); i++) {
        struct timespec ts = {0, 25 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    assert_true(port_open(n->plain_port) && port_open(n->tls_port));
    return 0;
}

static void nginx_stop(nginx_proc *n)
{
    kill(n->pid, SIGTERM);
    waitpid(n->pid, NULL, 0);
}

/* What test_through_nginx started, stopped by its teardown even when an assertion failed. */
static test_process nginx_bookd;
static nginx_proc ng;

static int stop_nginx_and_bookd(void **state)
{
    (void)state;
    if (ng.pid > 0)
        nginx_stop(&ng);
    if (nginx_bookd.pid > 0)
        test_process_stop(&nginx_bookd, SIGTERM);
    ng.pid = nginx_bookd.pid = 0;
    return 0;
}

static void test_through_nginx(void **state)
{
    (void)state;
    char db[512], url[96], out[512], profile[1024];
    test_process *p = &nginx_bookd;
    int created, conflicts, other;
    start_bookd(p, db, sizeof(db), "A+C");
    if (nginx_start(&ng, p->port) != 0) {
        test_remove_db(db);
        skip(); /* no nginx or openssl here */
    }

    /* HTTP/1.1 only: the preface is answered with HTTP/1.1 400, the burst falls back and says so. */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", ng.plain_port);
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(run_bookrace("scenarios/same-slot-burst-h2.json", NULL, url, out, NULL), 0);
    json_t *run = load_run(out);
    json_t *b = first_barrier(run, 0);
    assert_string_equal(str(b, "release"), "last-byte");
    assert_string_equal(str(b, "requestedRelease"), "single-packet");
    assert_null(json_object_get(b, "http2"));
    assert_true(has_note(run, 0, "HTTP/2 single-packet release not possible"));
    assert_true(has_note(run, 0, "not SETTINGS"));
    assert_true(has_note(run, 0, "released with last-byte over HTTP/1.1 instead"));
    count_books(run, 0, &created, &conflicts, &other);
    assert_int_equal(created, 1);
    assert_int_equal(conflicts, 15);
    json_decref(run);

    /* TLS with ALPN h2 and a stream limit of 5: 16 racers over 4 connections, trusted by the profile's CA. */
    char tls[700];
    snprintf(tls, sizeof(tls), "{\"tls\": {\"caFile\": \"%s/cert.pem\"}}", ng.dir);
    profile_with(profile, sizeof(profile), tls);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", ng.tls_port);
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(run_bookrace("scenarios/same-slot-burst-h2.json", profile, url, out, NULL), 0);
    run = load_run(out);
    b = first_barrier(run, 0);
    assert_string_equal(str(b, "release"), "single-packet");
    json_t *h2 = json_object_get(b, "http2");
    assert_int_equal(json_integer_value(json_object_get(h2, "serverMaxStreams")), 5);
    assert_int_equal(json_integer_value(json_object_get(h2, "connections")), 4);
    assert_int_equal(json_integer_value(json_object_get(h2, "writes")), 4);
    assert_true(
        has_note(run, 0, "16 racers split over 4 connections (the server allows 5 concurrent streams)"));
    count_books(run, 0, &created, &conflicts, &other);
    assert_int_equal(created, 1);
    assert_int_equal(conflicts, 15);
    assert_int_equal(other, 0);
    json_decref(run);

    /* Without the CA the certificate is refused: an error, not a silent fallback to an untrusted server. */
    test_temp_path(out, sizeof(out), "-results");
    assert_int_equal(run_bookrace("scenarios/same-slot-burst-h2.json", NULL, url, out, NULL), 3);

    stop_nginx_and_bookd(NULL);
    test_remove_db(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_h2c_same_slot_burst_broken_and_fixed),
        cmocka_unit_test(test_profile_http2_and_own_stream_cap),
        cmocka_unit_test_teardown(test_through_nginx, stop_nginx_and_bookd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
