/*
 * Test support (http.h): the HTTP side of integration tests, with libcurl's
 * easy interface for one call at a time, multi for parallel ones, and a raw
 * socket for bytes no client library would send. Transport errors fail the
 * test on the spot, so a test's assertions are only about answers.
 */
#include "http.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct {
    char *data;
    size_t len;
} growing;

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
    growing *g = arg;
    char *grown = realloc(g->data, g->len + size * n + 1);
    if (grown == NULL)
        return 0;
    g->data = grown;
    memcpy(g->data + g->len, ptr, size * n);
    g->len += size * n;
    g->data[g->len] = '\0';
    return size * n;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *arg)
{
    test_reply *r = arg;
    size_t len = size * n;
    if (len > 9 && strncasecmp(ptr, "x-cache: ", 9) == 0) {
        size_t vlen = len - 9;
        while (vlen > 0 && (ptr[9 + vlen - 1] == '\r' || ptr[9 + vlen - 1] == '\n'))
            vlen--;
        snprintf(r->x_cache, sizeof(r->x_cache), "%.*s", (int)vlen, ptr + 9);
    }
    return len;
}

static struct curl_slist *base_headers(const char *api_key)
{
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    h = curl_slist_append(h, "Expect:");
    if (api_key) {
        char auth[300];
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", api_key);
        h = curl_slist_append(h, auth);
    }
    return h;
}

test_reply test_http(int port, const char *method, const char *target, const char *api_key, const char *body)
{
    test_reply r;
    memset(&r, 0, sizeof(r));
    growing g = {0};
    char url[2048];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, target);
    CURL *c = curl_easy_init();
    struct curl_slist *h = base_headers(api_key);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, target, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    r.body = g.data ? g.data : strdup("");
    r.body_len = g.len;
    json_error_t err;
    r.json = json_loadb(r.body, r.body_len, 0, &err);
    return r;
}

char *test_http_raw(int port, const char *bytes, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        fail_msg("connect failed");
    if (write(fd, bytes, len) != (ssize_t)len)
        fail_msg("short write");
    shutdown(fd, SHUT_WR);
    growing g = {0};
    char buf[4096];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            break;
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        on_body(buf, 1, (size_t)n, &g);
    }
    close(fd);
    return g.data ? g.data : strdup("");
}

void test_reply_free(test_reply *r)
{
    free(r->body);
    json_decref(r->json);
    memset(r, 0, sizeof(*r));
}

void test_http_parallel_post(const int *ports, const char *target, const char *api_key,
                             const char *const *bodies, int count, long *statuses)
{
    CURLM *multi = curl_multi_init();
    CURL **easy = calloc((size_t)count, sizeof(*easy));
    growing *sinks = calloc((size_t)count, sizeof(*sinks));
    struct curl_slist *h = base_headers(api_key);
    char url[512];
    for (int i = 0; i < count; i++) {
        snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", ports[i], target);
        easy[i] = curl_easy_init();
        curl_easy_setopt(easy[i], CURLOPT_URL, url);
        curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, bodies[i]);
        curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &sinks[i]);
        curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 60L);
        curl_multi_add_handle(multi, easy[i]);
    }
    int running = 1;
    while (running) {
        curl_multi_perform(multi, &running);
        if (running)
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    for (int i = 0; i < count; i++) {
        statuses[i] = 0;
        curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &statuses[i]);
        curl_multi_remove_handle(multi, easy[i]);
        curl_easy_cleanup(easy[i]);
        free(sinks[i].data);
    }
    curl_slist_free_all(h);
    curl_multi_cleanup(multi);
    free(easy);
    free(sinks);
}

double test_metric(int port, const char *series)
{
    test_reply r = test_http(port, "GET", "/metrics", NULL, NULL);
    double value = -1;
    size_t n = strlen(series);
    for (char *line = r.body; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            value = strtod(line + n + 1, NULL);
            break;
        }
    }
    test_reply_free(&r);
    return value;
}

const char *test_json_str(json_t *root, const char *path)
{
    json_t *v = root;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", path);
    char *save = NULL;
    for (char *part = strtok_r(buf, ".", &save); part && v; part = strtok_r(NULL, ".", &save))
        v = json_object_get(v, part);
    return json_string_value(v);
}
