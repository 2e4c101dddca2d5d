/*
 * bookd's TLS listener and its arrival trace, against a real process.
 * TLS: a self-signed certificate made with the openssl command; libcurl
 * talks HTTP/1.1 and HTTP/2 (ALPN) to the same port and gets the same JSON,
 * a plain-text client gets no HTTP answer, and a key that does not match the
 * certificate stops bookd at start with an error naming both files. The
 * arrival trace: every request's handler entry is written at exit, one
 * monotonic microsecond value per line, sorted, behind a header line.
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
#include <unistd.h>

#include "http.h"
#include "process.h"

static char cert[512], key[512], other_key[512];

typedef struct {
    char body[4096];
    size_t len;
} response;

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    response *r = arg;
    size_t take = size * n;
    if (take > sizeof(r->body) - 1 - r->len)
        take = sizeof(r->body) - 1 - r->len;
    memcpy(r->body + r->len, data, take);
    r->len += take;
    r->body[r->len] = '\0';
    return size * n;
}

/* GET |path| over https with |version| (CURL_HTTP_VERSION_*); returns the status, sets |*used| to the
 * version. */
static long https_get(int port, const char *path, long version, response *r, long *used)
{
    char url[256];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", port, path);
    memset(r, 0, sizeof(*r));
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *headers = curl_slist_append(NULL, "x-api-key: acme-key");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_HTTP_VERSION, version);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L); /* self-signed: the test made it a moment ago */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    long status = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("GET %s: %s", url, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_HTTP_VERSION, used);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return status;
}

static void make_keys(void)
{
    test_temp_path(cert, sizeof(cert), "-cert.pem");
    test_temp_path(key, sizeof(key), "-key.pem");
    test_temp_path(other_key, sizeof(other_key), "-other-key.pem");
    char out[4096];
    const char *req[] = {"/usr/bin/env",  "openssl", "req",  "-x509", "-newkey", "rsa:2048", "-nodes",
                         "-keyout",       key,       "-out", cert,    "-days",   "1",        "-subj",
                         "/CN=127.0.0.1", NULL};
    if (test_run(req, out, sizeof(out)) != 0)
        fail_msg("openssl req: %s", out);
    const char *gen[] = {"/usr/bin/env", "openssl", "genrsa", "-out", other_key, "2048", NULL};
    if (test_run(gen, out, sizeof(out)) != 0)
        fail_msg("openssl genrsa: %s", out);
}

static void test_tls_speaks_http1_and_h2(void **state)
{
    (void)state;
    make_keys();
    char db[512];
    test_temp_path(db, sizeof(db), ".db");
    const char *args[] = {"--db", db, "--tls-cert", cert, "--tls-key", key, "--threads", "1", NULL};
    test_process p;
    test_bookd_start(&p, args);
    assert_non_null(strstr(p.line, "tls=on"));
    response r1, r2;
    long v1 = 0, v2 = 0;
    assert_int_equal(https_get(p.port, "/health", CURL_HTTP_VERSION_1_1, &r1, &v1), 200);
    assert_int_equal(v1, CURL_HTTP_VERSION_1_1);
    assert_int_equal(https_get(p.port, "/health", CURL_HTTP_VERSION_2TLS, &r2, &v2), 200);
    assert_int_equal(v2, CURL_HTTP_VERSION_2_0);
    assert_non_null(strstr(r1.body, "\"status\":\"ok\",\"fix\":\"A+C\""));
    assert_non_null(strstr(r2.body, "\"status\":\"ok\",\"fix\":\"A+C\""));
    /* An error is the same JSON over both. */
    assert_int_equal(https_get(p.port, "/nowhere", CURL_HTTP_VERSION_2TLS, &r2, &v2), 404);
    assert_non_null(strstr(r2.body, "\"error\""));
    /* Plain HTTP to the TLS port gets no HTTP answer (no downgrade). */
    static const char plain[] = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    char *back = test_http_raw(p.port, plain, sizeof(plain) - 1);
    assert_true(back == NULL || strstr(back, "HTTP/1.1 200") == NULL);
    free(back);
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    test_remove_db(db);
}

static void test_mismatched_key_is_refused_at_start(void **state)
{
    (void)state;
    char db[512], out[4096];
    test_temp_path(db, sizeof(db), ".db");
    const char *argv[] = {test_bookd_bin(), "--listen", "127.0.0.1:0", "--db",    db,
                          "--tls-cert",     cert,       "--tls-key",   other_key, NULL};
    assert_int_not_equal(test_run(argv, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "cannot use --tls-cert"));
    assert_non_null(strstr(out, cert));
    const char *half[] = {test_bookd_bin(), "--listen", "127.0.0.1:0", "--db", db, "--tls-cert", cert, NULL};
    assert_int_equal(test_run(half, out, sizeof(out)), 2);
    assert_non_null(strstr(out, "--tls-key"));
    test_remove_db(db);
    unlink(cert);
    unlink(key);
    unlink(other_key);
}

static void test_arrival_trace(void **state)
{
    (void)state;
    char db[512], trace[512];
    test_temp_path(db, sizeof(db), ".db");
    test_temp_path(trace, sizeof(trace), "-arrivals.txt");
    const char *args[] = {"--db", db, "--arrival-trace", trace, "--threads", "2", NULL};
    test_process p;
    test_bookd_start(&p, args);
    enum { REQUESTS = 7 };
    for (int i = 0; i < REQUESTS; i++) {
        test_reply r = test_http(p.port, "GET", "/health", NULL, NULL);
        assert_int_equal(r.status, 200);
        test_reply_free(&r);
    }
    assert_int_equal(test_process_stop(&p, SIGTERM), 0);
    FILE *f = fopen(trace, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof(line), f));
    assert_non_null(strstr(line, "# bookd arrival trace"));
    assert_non_null(strstr(line, "0 dropped"));
    long long prev = 0, t;
    int n = 0;
    while (fgets(line, sizeof(line), f)) {
        assert_int_equal(sscanf(line, "%lld", &t), 1);
        assert_true(t >= prev); /* sorted across both threads */
        prev = t;
        n++;
    }
    fclose(f);
    assert_int_equal(n, REQUESTS);
    unlink(trace);
    test_remove_db(db);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_speaks_http1_and_h2),
        cmocka_unit_test(test_mismatched_key_is_refused_at_start),
        cmocka_unit_test(test_arrival_trace),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
