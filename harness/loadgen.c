/*
 * The load engine (see loadgen.h for its two models): per thread, an epoll
 * loop over non-blocking keep-alive connections, each a small state machine
 * (connect, write the preformatted request, read the response, wait for its
 * next send time). Responses are read into one fixed buffer per connection
 * and handed to the HTTP/1.1 parser in http1.c, which takes bytes in place:
 * no copy and no allocation per response, except a booking's kept body.
 * Everything a thread counts is its own until br_load_run merges the threads'
 * results after joining them.
 */
#include "loadgen.h"

#include "alloc.h"
#include "http1.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF 16384
#define LATE_US 1000

/* The parser leaves fewer bytes than its longest line limit untaken: a read always has room. */
_Static_assert(READ_BUF >= BR_HTTP1_MAX_HEAD && READ_BUF >= BR_HTTP1_MAX_CHUNK_LINE, "read buffer too small");

enum { C_IDLE, C_CONNECTING, C_WRITING, C_READING, C_WAITING };

/*
 * One non-empty histogram bucket of one second and operation. Only non-empty
 * buckets are kept (a second's latencies fill a few hundred of the 32768), so
 * per-second percentiles cost kilobytes per second, not a histogram each.
 */
typedef struct {
    uint32_t second, bucket, count;
    uint16_t op;
} sec_entry;

typedef struct {
    int fd, index, state;
    unsigned opened; /* connections opened so far: a reopened one may get the same fd number */
    const br_load_request *req;
    size_t req_index, written;
    uint64_t seq;
    int64_t intended_us, send_us, wait_until_us;
    /* the response: received bytes buf[buf_start, buf_len) not yet taken by the parser */
    char buf[READ_BUF];
    size_t buf_start, buf_len;
    br_http1_parser http;
} conn;

typedef struct {
    const br_load_config *cfg;
    int index;
    pthread_t thread;
    int ep;
    conn *conns;
    int conn_count;
    br_load_result r;
    int64_t start_us, warmup_end_us, end_us, interval_us;
    int64_t next_timeout_scan_us;
    _Atomic uint64_t progress_done;
    /* This second's latencies per operation, moved into |sec| as (second, op, bucket, count) when it ends. */
    br_hist *sec_hist[BR_LOAD_MAX_OPS];
    int64_t cur_sec;
    sec_entry *sec;
    size_t sec_count, sec_cap;
} worker;

/* Connections waiting for their send time: the timer scans are skipped while there are none. */
static int any_waiting(const worker *w)
{
    return w->cfg->rate > 0 || w->r.errors_connect + w->r.errors_read + w->r.errors_write +
                                       w->r.errors_timeout + w->r.errors_parse >
                                   0;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

char *br_load_format_request(const char *method, const char *target, const char *host, const char *headers,
                             const char *body, size_t body_len, size_t *len)
{
    size_t cap =
        strlen(method) + strlen(target) + strlen(host) + (headers ? strlen(headers) : 0) + body_len + 128;
    char *out = xmalloc(cap);
    int n =
        snprintf(out, cap, "%s %s HTTP/1.1\r\nHost: %s\r\n%s", method, target, host, headers ? headers : "");
    if (body != NULL)
        n += snprintf(out + n, cap - (size_t)n, "Content-Length: %zu\r\n", body_len);
    n += snprintf(out + n, cap - (size_t)n, "\r\n");
    if (body != NULL) {
        memcpy(out + n, body, body_len);
        n += (int)body_len;
    }
    *len = (size_t)n;
    return out;
}

int br_load_resolve(const char *url, struct sockaddr_storage *addr, socklen_t *addr_len, char **host,
                    char **path, char *err, size_t errlen)
{
    if (strncmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "%s: only http:// URLs can be loaded", url);
        return -1;
    }
    const char *h = url + 7, *slash = strchr(h, '/');
    size_t hlen = slash ? (size_t)(slash - h) : strlen(h);
    char hostport[256], name[256], port[16] = "80";
    if (hlen == 0 || hlen >= sizeof(hostport)) {
        snprintf(err, errlen, "%s: bad host", url);
        return -1;
    }
    memcpy(hostport, h, hlen);
    hostport[hlen] = '\0';
    snprintf(name, sizeof(name), "%s", hostport);
    char *colon = strrchr(name, ':');
    if (colon && strchr(name, ']') < colon) {
        *colon = '\0';
        snprintf(port, sizeof(port), "%s", colon + 1);
    }
    if (name[0] == '[') {
        memmove(name, name + 1, strlen(name));
        name[strlen(name) - 1] = '\0';
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(name, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", url, gai_strerror(rc));
        return -1;
    }
    memcpy(addr, ai->ai_addr, ai->ai_addrlen);
    *addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    *host = xstrdup(hostport);
    *path = xstrdup(slash ? slash : "/");
    return 0;
}

/* ---- per-thread bookkeeping -------------------------------------------------------------------------- */

static void count_status(br_load_result *r, int op, int status)
{
    for (int i = 0; i < BR_LOAD_MAX_STATUSES; i++) {
        if (r->statuses[op][i].status == status || r->statuses[op][i].count == 0) {
            r->statuses[op][i].status = status;
            r->statuses[op][i].count++;
            return;
        }
    }
    r->statuses[op][BR_LOAD_MAX_STATUSES - 1]
        .count++; /* many distinct statuses: the last slot collects them */
}

static br_load_ack *next_ack(br_load_result *r)
{
    if (r->ack_count == r->ack_cap) {
        r->ack_cap = r->ack_cap ? r->ack_cap * 2 : 256;
        r->acks = xreallocarray(r->acks, r->ack_cap, sizeof(br_load_ack));
    }
    return &r->acks[r->ack_count++];
}

/* A booking's outcome; a success keeps its body, unless it was cut at the cap (it would not parse). */
static void add_ack(br_load_result *r, conn *c, int status, int64_t complete)
{
    br_load_ack *a = next_ack(r);
    a->request = c->req_index;
    a->status = status;
    a->send_us = c->send_us;
    a->complete_us = complete;
    a->body = NULL;
    if (status >= 200 && status < 300 && c->http.body_kept > 0 && !c->http.body_truncated)
        a->body = xmemdup0(c->http.body, c->http.body_kept);
}

/*
 * A sent request ended (answered, failed, or cut by the end of the run): the
 * observer sees it, or, without one, a booking's outcome is kept as an ack.
 */
static void request_ended(worker *w, conn *c, int status, int unfinished, int64_t now)
{
    const br_load_request *req = c->req;
    if (status == 0)
        w->r.errors_op[req->op]++;
    if (w->cfg->observe == NULL) {
        if (req->keep_body)
            add_ack(&w->r, c, status, now);
        return;
    }
    int kept = status >= 200 && status < 300 && c->http.body_kept > 0 && !c->http.body_truncated;
    br_load_event ev = {.thread = w->index,
                        .connection = c->index,
                        .request = c->req_index,
                        .status = status,
                        .unfinished = unfinished,
                        .send_us = c->send_us - w->start_us,
                        .complete_us = now - w->start_us,
                        .body = kept ? c->http.body : NULL,
                        .body_len = kept ? c->http.body_kept : 0};
    w->cfg->observe(w->cfg->observe_arg, &ev);
}

/* ---- connections ------------------------------------------------------------------------------------- */

static void conn_close(worker *w, conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = C_IDLE;
    c->buf_start = c->buf_len = 0;
}

static int conn_open(worker *w, conn *c)
{
    const br_load_config *cfg = w->cfg;
    int a = c->index % cfg->addr_count;
    int fd = socket(cfg->addrs[a].ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&cfg->addrs[a], cfg->addr_lens[a]) != 0 && errno != EINPROGRESS) {
        close(fd);
        return -1;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP, .data.ptr = c};
    epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev);
    c->fd = fd;
    c->opened++;
    c->state = C_CONNECTING;
    return 0;
}

/* After a failure: count it, and open a fresh connection a little later (no busy loop against a dead server).
 */
static void conn_fail(worker *w, conn *c, uint64_t *counter, int64_t now)
{
    (*counter)++;
    if (c->req && c->state >= C_WRITING && c->state <= C_READING)
        request_ended(w, c, 0, 0, now);
    conn_close(w, c);
    c->state = C_WAITING;
    c->wait_until_us = now + 10000;
    c->req = NULL;
}

static void begin_request(worker *w, conn *c, int64_t now);

static void try_write(worker *w, conn *c, int64_t now)
{
    while (c->written < c->req->len) {
        ssize_t n = write(c->fd, c->req->data + c->written, c->req->len - c->written);
        if (n < 0) {
            if (errno == EAGAIN)
                return; /* EPOLLOUT (edge-triggered) resumes us */
            if (errno == EINTR)
                continue;
            conn_fail(w, c, &w->r.errors_write, now);
            return;
        }
        c->written += (size_t)n;
    }
    c->state = C_READING;
}

static void begin_request(worker *w, conn *c, int64_t now)
{
    const br_load_config *cfg = w->cfg;
    c->req_index = cfg->pick(cfg->pick_arg, c->index, c->seq++) % cfg->request_count;
    c->req = &cfg->requests[c->req_index];
    c->written = 0;
    c->send_us = now;
    int head = c->req->len >= 5 && memcmp(c->req->data, "HEAD ", 5) == 0;
    br_http1_begin(&c->http,
                   (c->req->keep_body ? BR_HTTP1_KEEP_BODY : 0) | (head ? BR_HTTP1_HEAD_REQUEST : 0));
    if (cfg->rate > 0 && now - c->intended_us > LATE_US)
        w->r.late_sends++;
    if (c->fd < 0 && conn_open(w, c) != 0) {
        conn_fail(w, c, &w->r.errors_connect, now);
        return;
    }
    if (c->state == C_CONNECTING)
        return; /* the write starts once the connection is up */
    c->state = C_WRITING;
    try_write(w, c, now);
}

/* The next request of a connection: now (closed model) or at its next intended time (open model). */
static void schedule_next(worker *w, conn *c, int64_t now)
{
    if (now >= w->end_us) {
        c->state = C_IDLE;
        return;
    }
    if (w->cfg->rate > 0) {
        c->intended_us += w->interval_us;
        if (c->intended_us > now) {
            c->state = C_WAITING;
            c->wait_until_us = c->intended_us;
            return;
        }
    } else {
        c->intended_us = now;
    }
    begin_request(w, c, now);
}

/* Moves the finished second's latency buckets into the sparse per-second list and clears them. */
static void flush_second(worker *w)
{
    for (int op = 0; op < w->cfg->op_count; op++) {
        br_hist *h = w->sec_hist[op];
        if (h->total == 0)
            continue;
        for (size_t b = 0; b < BR_HIST_BUCKETS; b++) {
            if (h->counts[b] == 0)
                continue;
            if (w->sec_count == w->sec_cap) {
                w->sec_cap = w->sec_cap ? w->sec_cap * 2 : 1024;
                w->sec = xreallocarray(w->sec, w->sec_cap, sizeof(sec_entry));
            }
            w->sec[w->sec_count++] =
                (sec_entry){(uint32_t)w->cur_sec, (uint32_t)b, (uint32_t)h->counts[b], (uint16_t)op};
        }
        br_hist_init(h);
    }
}

static void record_second(worker *w, int op, int64_t second, int64_t latency_us)
{
    if (second != w->cur_sec) {
        flush_second(w);
        w->cur_sec = second;
    }
    br_hist_record(w->sec_hist[op], latency_us);
}

static void complete(worker *w, conn *c, int64_t now)
{
    const br_load_request *req = c->req;
    int64_t from = w->cfg->rate > 0 ? c->intended_us : c->send_us;
    if (from >= w->warmup_end_us) {
        br_hist_record(w->r.hist[req->op], now - from);
        w->r.requests[req->op]++;
        count_status(&w->r, req->op, c->http.status);
        size_t second = (size_t)((now - w->warmup_end_us) / 1000000);
        if (second < w->r.seconds) {
            w->r.per_second[second]++;
            record_second(w, req->op, (int64_t)second, now - from);
        }
    }
    /* Bookings are the oracle's input whenever they were sent, warm-up or not. */
    request_ended(w, c, c->http.status, 0, now);
    atomic_fetch_add_explicit(&w->progress_done, 1, memory_order_relaxed);
    if (c->http.close)
        conn_close(w, c);
    c->state = C_IDLE;
    schedule_next(w, c, now);
}

/*
 * Hands the received bytes to the parser, completing each response they end.
 * Returns 0 when the connection failed or was closed and reopened (its bytes
 * are gone), else 1 with the untaken bytes at the front of the buffer.
 */
static int take_responses(worker *w, conn *c, int64_t now)
{
    while (c->state == C_READING) {
        size_t used;
        br_http1_rc rc = br_http1_parse(&c->http, c->buf + c->buf_start, c->buf_len - c->buf_start, &used);
        c->buf_start += used;
        if (rc == BR_HTTP1_MORE)
            break;
        if (rc < 0) {
            conn_fail(w, c, &w->r.errors_parse, now);
            return 0;
        }
        unsigned opened = c->opened;
        int fd = c->fd;
        complete(w, c, now);
        if (c->fd != fd || c->opened != opened)
            return 0;
    }
    /* Usually nothing is left; else the start of a line, moved to the front so the next read extends it. */
    c->buf_len -= c->buf_start;
    if (c->buf_len > 0)
        memmove(c->buf, c->buf + c->buf_start, c->buf_len);
    c->buf_start = 0;
    return 1;
}

/* The server closed the connection: the end of a body delimited by the close, or a failure. */
static void on_peer_close(worker *w, conn *c, int64_t now)
{
    if (c->state == C_READING && br_http1_eof(&c->http) == BR_HTTP1_DONE)
        complete(w, c, now);
    else if (c->state == C_READING || c->state == C_WRITING)
        conn_fail(w, c, &w->r.errors_read, now);
    else
        conn_close(w, c); /* an idle keep-alive connection the server closed: reopen on next use */
}

static void on_readable(worker *w, conn *c, int64_t now)
{
    for (;;) {
        ssize_t n = read(c->fd, c->buf + c->buf_len, sizeof(c->buf) - c->buf_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            on_peer_close(w, c, now);
            return;
        }
        if (c->state != C_READING) {
            c->buf_len = 0; /* bytes nobody asked for */
            continue;
        }
        c->buf_len += (size_t)n;
        if (!take_responses(w, c, now))
            return;
    }
}

static void on_event(worker *w, conn *c, uint32_t events, int64_t now)
{
    if (c->state == C_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            conn_fail(w, c, &w->r.errors_connect, now);
            return;
        }
        c->state = C_WRITING;
    }
    if (c->state == C_WRITING && (events & EPOLLOUT))
        try_write(w, c, now);
    if (c->fd >= 0 && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        on_readable(w, c, now);
}

/*
 * Starts the requests whose time has come and fails the ones past the
 * timeout. Scanning every connection on every wake-up would cost more than
 * the requests in the closed model, where nothing waits: then the scan runs
 * every 100 ms, for timeouts only.
 */
static void check_timers(worker *w, int64_t now)
{
    if (!any_waiting(w) && now < w->next_timeout_scan_us)
        return;
    w->next_timeout_scan_us = now + 100000;
    int64_t timeout = (int64_t)w->cfg->timeout_ms * 1000;
    for (int i = 0; i < w->conn_count; i++) {
        conn *c = &w->conns[i];
        if (c->state == C_WAITING && c->wait_until_us <= now && now < w->end_us) {
            if (c->req == NULL && w->cfg->rate > 0 && c->intended_us + w->interval_us <= now)
                c->intended_us += w->interval_us; /* after a failure, the schedule moves on */
            begin_request(w, c, now);
        } else if ((c->state == C_READING || c->state == C_WRITING || c->state == C_CONNECTING) &&
                   now - c->send_us > timeout) {
            conn_fail(w, c, &w->r.errors_timeout, now);
        }
    }
}

static int64_t next_wakeup(worker *w, int64_t now)
{
    int64_t next = now + 100000;
    for (int i = 0; any_waiting(w) && i < w->conn_count; i++)
        if (w->conns[i].state == C_WAITING && w->conns[i].wait_until_us < next)
            next = w->conns[i].wait_until_us;
    if (w->end_us < next)
        next = w->end_us;
    return next;
}

/*
 * The run is over: a request still in flight is counted (a server that never
 * answers must not look like a clean run) and, once sent, reported as
 * indeterminate; then the connection closes.
 */
static void end_connection(worker *w, conn *c, int64_t now)
{
    if (c->req != NULL && c->state >= C_CONNECTING && c->state <= C_READING) {
        w->r.unfinished++;
        if (c->state >= C_WRITING)
            request_ended(w, c, 0, 1, now);
        else
            w->r.errors_op[c->req->op]++;
    }
    conn_close(w, c);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    const br_load_config *cfg = w->cfg;
    int64_t now = now_us();
    for (int i = 0; i < w->conn_count; i++) {
        conn *c = &w->conns[i];
        /* Spread the first sends of the open model over one interval, so they do not arrive as a burst. */
        c->intended_us = w->start_us + (cfg->rate > 0 ? w->interval_us * c->index / cfg->connections : 0);
        c->state = C_WAITING;
        c->wait_until_us = c->intended_us;
    }
    struct epoll_event evs[256];
    int64_t last_progress = now;
    while (!atomic_load(cfg->stop) && !(cfg->end_early && atomic_load(cfg->end_early))) {
        now = now_us();
        if (now >= w->end_us)
            break;
        check_timers(w, now);
        int64_t wait = next_wakeup(w, now) - now;
        int n = epoll_wait(w->ep, evs, 256, wait <= 0 ? 0 : (int)((wait + 999) / 1000));
        now = now_us();
        for (int i = 0; i < n; i++)
            on_event(w, evs[i].data.ptr, evs[i].events, now);
        if (cfg->progress && w->index == 0 && now - last_progress >= 1000000) {
            last_progress = now;
            /* Thread 0 speaks for all: its share times the thread count. */
            double elapsed = (double)(now - w->start_us) / 1e6;
            uint64_t done = atomic_load(&w->progress_done) * (uint64_t)cfg->threads;
            fprintf(stderr, "\r%5.1fs  ~%9llu requests  ~%8.0f req/s  p99 %lld us ", elapsed,
                    (unsigned long long)done, elapsed > 0 ? (double)done / elapsed : 0.0,
                    (long long)br_hist_percentile(w->r.hist[0], 99));
        }
    }
    now = now_us();
    w->r.measured_s = (double)(now - w->warmup_end_us) / 1e6;
    flush_second(w);
    for (int i = 0; i < w->conn_count; i++)
        end_connection(w, &w->conns[i], now);
    return NULL;
}

static void result_init(br_load_result *r, int ops, size_t seconds)
{
    memset(r, 0, sizeof(*r));
    for (int i = 0; i < ops; i++) {
        r->hist[i] = xmalloc(sizeof(br_hist));
        br_hist_init(r->hist[i]);
    }
    r->seconds = seconds;
    r->per_second = xcalloc(seconds + 1, sizeof(uint64_t));
    size_t cells = (seconds + 1) * (size_t)(ops > 0 ? ops : 1);
    r->op_second_count = xcalloc(cells, sizeof(uint64_t));
    r->op_second_p50 = xcalloc(cells, sizeof(int64_t));
    r->op_second_p90 = xcalloc(cells, sizeof(int64_t));
    r->op_second_p99 = xcalloc(cells, sizeof(int64_t));
}

void br_load_result_free(br_load_result *r)
{
    for (int i = 0; i < BR_LOAD_MAX_OPS; i++)
        free(r->hist[i]);
    free(r->per_second);
    free(r->op_second_count);
    free(r->op_second_p50);
    free(r->op_second_p90);
    free(r->op_second_p99);
    for (size_t i = 0; i < r->ack_count; i++)
        free(r->acks[i].body);
    free(r->acks);
    memset(r, 0, sizeof(*r));
}

static void merge(br_load_result *into, br_load_result *from, int ops)
{
    for (int o = 0; o < ops; o++) {
        br_hist_merge(into->hist[o], from->hist[o]);
        into->requests[o] += from->requests[o];
        for (int i = 0; i < BR_LOAD_MAX_STATUSES && from->statuses[o][i].count; i++)
            for (uint64_t k = 0; k < from->statuses[o][i].count; k++)
                count_status(into, o, from->statuses[o][i].status);
    }
    into->errors_connect += from->errors_connect;
    into->errors_read += from->errors_read;
    into->errors_write += from->errors_write;
    into->errors_timeout += from->errors_timeout;
    into->errors_parse += from->errors_parse;
    into->unfinished += from->unfinished;
    for (int o = 0; o < ops; o++)
        into->errors_op[o] += from->errors_op[o];
    into->late_sends += from->late_sends;
    for (size_t s = 0; s < into->seconds && s < from->seconds; s++)
        into->per_second[s] += from->per_second[s];
    for (size_t i = 0; i < from->ack_count; i++)
        *next_ack(into) = from->acks[i];
    from->ack_count = 0; /* the bodies moved */
    if (from->measured_s > into->measured_s)
        into->measured_s = from->measured_s;
}

/* Ack times relative to the start, as every time in a bookrace result is. */
static void rebase_acks(br_load_result *r, int64_t start)
{
    for (size_t i = 0; i < r->ack_count; i++) {
        r->acks[i].send_us -= start;
        r->acks[i].complete_us -= start;
    }
}

/* Per second and operation: merges the threads' sparse buckets of that second into percentiles. */
static void per_second_percentiles(br_load_result *out, worker *workers, int threads, int ops)
{
    br_hist *h[BR_LOAD_MAX_OPS];
    for (int o = 0; o < ops; o++)
        h[o] = xmalloc(sizeof(br_hist));
    size_t *cursor = xcalloc((size_t)threads, sizeof(size_t));
    for (size_t s = 0; s < out->seconds; s++) {
        for (int o = 0; o < ops; o++) {
            br_hist_init(h[o]);
            h[o]->max = 0;
        }
        for (int t = 0; t < threads; t++) {
            worker *w = &workers[t];
            for (; cursor[t] < w->sec_count && w->sec[cursor[t]].second <= s; cursor[t]++) {
                const sec_entry *e = &w->sec[cursor[t]];
                if (e->second < s)
                    continue;
                h[e->op]->counts[e->bucket] += e->count;
                h[e->op]->total += e->count;
                if (br_hist_highest(e->bucket) > h[e->op]->max)
                    h[e->op]->max = br_hist_highest(e->bucket);
            }
        }
        for (int o = 0; o < ops; o++) {
            size_t cell = s * (size_t)ops + (size_t)o;
            out->op_second_count[cell] = h[o]->total;
            out->op_second_p50[cell] = br_hist_percentile(h[o], 50);
            out->op_second_p90[cell] = br_hist_percentile(h[o], 90);
            out->op_second_p99[cell] = br_hist_percentile(h[o], 99);
        }
    }
    free(cursor);
    for (int o = 0; o < ops; o++)
        free(h[o]);
}

int br_load_run(const br_load_config *cfg, br_load_result *out)
{
    size_t seconds = (size_t)cfg->duration_s + 2;
    worker *workers = xcalloc((size_t)cfg->threads, sizeof(worker));
    int64_t start = now_us();
    int started = 0;
    for (int t = 0; t < cfg->threads; t++) {
        worker *w = &workers[t];
        w->cfg = cfg;
        w->index = t;
        w->ep = epoll_create1(EPOLL_CLOEXEC);
        w->start_us = start;
        w->warmup_end_us = start + (int64_t)(cfg->warmup_s * 1e6);
        w->end_us = w->warmup_end_us + (int64_t)(cfg->duration_s * 1e6);
        w->interval_us = cfg->rate > 0 ? (int64_t)((double)cfg->connections * 1e6 / cfg->rate) : 0;
        if (w->interval_us < 1 && cfg->rate > 0)
            w->interval_us = 1;
        /* Connections are dealt out round-robin: thread t owns t, t+T, t+2T, ... */
        w->conn_count = cfg->connections / cfg->threads + (t < cfg->connections % cfg->threads);
        w->conns = xcalloc((size_t)w->conn_count + 1, sizeof(conn));
        for (int i = 0; i < w->conn_count; i++) {
            w->conns[i].fd = -1;
            w->conns[i].index = t + i * cfg->threads;
            br_http1_init(&w->conns[i].http, NULL);
        }
        result_init(&w->r, cfg->op_count, seconds);
        for (int o = 0; o < cfg->op_count; o++) {
            w->sec_hist[o] = xmalloc(sizeof(br_hist));
            br_hist_init(w->sec_hist[o]);
        }
    }
    for (; started < cfg->threads; started++)
        if (pthread_create(&workers[started].thread, NULL, worker_main, &workers[started]) != 0)
            break;
    if (started < cfg->threads)
        atomic_store(cfg->stop, 1);
    for (int t = 0; t < started; t++)
        pthread_join(workers[t].thread, NULL);
    if (cfg->progress)
        fprintf(stderr, "\n");
    result_init(out, cfg->op_count, seconds);
    out->start_us = start;
    per_second_percentiles(out, workers, cfg->threads, cfg->op_count);
    for (int t = 0; t < cfg->threads; t++) {
        rebase_acks(&workers[t].r, start);
        merge(out, &workers[t].r, cfg->op_count);
        br_load_result_free(&workers[t].r);
        for (int o = 0; o < cfg->op_count; o++)
            free(workers[t].sec_hist[o]);
        free(workers[t].sec);
        for (int i = 0; i < workers[t].conn_count; i++)
            br_http1_free(&workers[t].conns[i].http);
        free(workers[t].conns);
        close(workers[t].ep);
    }
    free(workers);
    return started == cfg->threads ? 0 : -1;
}
