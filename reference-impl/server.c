/*
 * bookd's network layer: h2o's event loop, one per thread, each with its
 * own SO_REUSEPORT listener and its own store connection, handing every
 * request to api.c and every response back to h2o.
 *
 * Besides moving bytes it enforces the limits that keep a hostile or merely
 * slow client from holding the server: a connection cap (503 above it; the
 * cap itself fitted to the descriptor limit), h2o's request timeout for
 * HTTP/1.1, and a per-connection watchdog ticking every few milliseconds
 * that closes a connection whose response the client does not read within
 * --write-timeout-ms, or whose input (HTTP/2 frames included) does not
 * complete a request within --request-timeout-ms. HTTP/2 is served on
 * purpose, by prior knowledge in cleartext and by ALPN over TLS, under the
 * same limits.
 */
#define H2O_USE_LIBUV 0
#include "server.h"

#include "alloc.h"
#include "api.h"
#include "clock.h"
#include "metrics.h"
#include "seed.h"
#include "slot_cache.h"
#include "store.h"
#ifdef BOOKRACE_HAVE_MONGO
#include "store_mongo.h"
#endif

#include <errno.h>
#include <h2o.h>
#include <h2o/http2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* h2o refuses bodies above this itself (plain-text 413); bookd's own JSON 413 covers 64 KiB up to it. */
#define H2O_BODY_LIMIT (1024 * 1024)
#define BUSY_TIMEOUT_MS 5000
/* After the last in-flight request, how long the loop keeps running to flush responses. */
#define DRAIN_US 100000
/*
 * Descriptors kept back from --max-connections: stdio, the lock file, the
 * trace file and h2o's own, plus per thread its listener, epoll, three
 * timer/event fds and SQLite's database, -wal and -shm files.
 */
#define FD_RESERVE_BASE 16
#define FD_RESERVE_PER_THREAD 8
/* The most HTTP/2 streams one connection may have open (h2o's default, said here on purpose). */
#define H2_MAX_STREAMS 100
/* Arrival-trace entries kept per thread (8 bytes each); later requests are counted, not traced. */
#define TRACE_MAX_PER_THREAD (4 * 1024 * 1024)

typedef struct server server;
typedef struct worker worker;
typedef struct deferred_write deferred_write;
typedef struct conn_watch conn_watch;

/*
 * One accepted connection, as the watchdog sees it: how far its reading and
 * writing had got at the last look, and since when it has been stuck.
 */
struct conn_watch {
    conn_watch *prev, *next;
    worker *w;
    h2o_socket_t *sock;
    size_t read_mark;       /* bytes_read when the last request was dispatched */
    size_t written_mark;    /* bytes_written at the last tick */
    int64_t input_since_us; /* first tick that saw input not yet a request; 0 = none */
    int64_t write_stall_us; /* first tick that saw a write pending without progress; 0 = none */
    int killed;
};

/*
 * A request whose A-notx write sleeps in its race window. It lives outside
 * the request's memory pool because the client may go away meanwhile: the
 * pool then dies, |req| becomes NULL, and the write still completes, as it
 * would in an async backend.
 */
struct deferred_write {
    deferred_write *next;
    h2o_req_t *req;
    deferred_write **pool_ref; /* inside the request pool; points back here while the request lives */
    bookd_pending_write *pending;
    int64_t due_us, started_us; /* monotonic */
};

struct worker {
    server *srv;
    pthread_t thread;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    int listen_fd;
    h2o_socket_t *listener;
    h2o_socket_t *timer_sock, *wake_sock;
    int timer_fd, wake_fd;
    bookd_api *api;
    deferred_write *queue_head, *queue_tail; /* one race window for all: FIFO order is due order */
    size_t deferred_count;
    int stopping;
    int connections, max_connections; /* open connections of this thread, and its share of the cap */
    conn_watch *watched;              /* every open connection, for the watchdog */
    h2o_socket_t *tick_sock;
    int tick_fd;
    int accept_paused; /* out of descriptors: the listener rests until a connection closes */
    char busy[256];    /* the 503 for connections over the cap */
    size_t busy_len;
    int64_t *trace; /* --arrival-trace: handler-entry times, monotonic us */
    size_t trace_len, trace_dropped;
};

struct server {
    const bookd_options *opts;
    h2o_globalconf_t config;
    bookd_catalog catalog;
    bookd_clock *clock;
    bookd_metrics *metrics;
    bookd_slot_cache *cache;
    bookd_api_shared shared;
    worker *workers;
    int worker_count;
    int max_connections; /* --max-connections, fitted to the descriptor limit */
    int index_lock_fd;   /* the index-mode claim (store_sqlite.c), held for the process's life */
    SSL_CTX *ssl_ctx;    /* --tls-cert: every connection is TLS */
#ifdef BOOKRACE_HAVE_MONGO
    bookd_mongo *mongo; /* --store mongo: the client pool every thread's store shares */
#endif
};

/* One connection's store, of the kind the command line asked for, at the durability it asked for. */
static int open_store(server *srv, bookd_store **out, char *err, size_t errlen)
{
#ifdef BOOKRACE_HAVE_MONGO
    if (srv->opts->store == BOOKD_STORE_MONGO) {
        *out = bookd_store_mongo_open(srv->mongo);
        return 0;
    }
#endif
    static const char *const pragma[] = {"OFF", "NORMAL", "FULL"};
    int rc = bookd_store_sqlite_open(srv->opts->db_path, BUSY_TIMEOUT_MS, out, err, errlen);
    if (rc == 0 && bookd_store_sqlite_set_synchronous(*out, pragma[srv->opts->synchronous]) != 0) {
        snprintf(err, errlen, "cannot set synchronous=%s: %s", pragma[srv->opts->synchronous],
                 (*out)->ops->errmsg(*out));
        bookd_store_del(*out);
        return BOOKD_STORE_EIO;
    }
    return rc;
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Internal Server Error";
    }
}

static void send_response(h2o_req_t *req, const bookd_response *res)
{
    req->res.status = res->status;
    req->res.reason = reason_phrase(res->status);
    req->res.content_length = res->body_len;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, res->content_type,
                   strlen(res->content_type));
    if (res->x_cache != NULL)
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-cache"), 0, NULL, res->x_cache,
                              strlen(res->x_cache));
    if (res->allow != NULL)
        h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, res->allow, strlen(res->allow));
    h2o_send_inline(req, res->body, res->body_len);
}

static worker *worker_of(h2o_req_t *req)
{
    return (worker *)((char *)req->conn->ctx - offsetof(worker, ctx));
}

static void arm_timer(worker *w)
{
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    if (w->queue_head != NULL) {
        int64_t due = w->queue_head->due_us;
        its.it_value.tv_sec = due / 1000000;
        its.it_value.tv_nsec = (due % 1000000) * 1000;
        if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
            its.it_value.tv_nsec = 1;
    }
    timerfd_settime(w->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/*
 * h2o's evloop reports a timerfd or eventfd as readable without reading it
 * (it is not a socket), so the 8-byte counter is read here; otherwise the fd
 * stays readable and the loop spins.
 */
static void drain_fd(h2o_socket_t *sock, int fd)
{
    uint64_t counter;
    if (sock->input->size)
        h2o_buffer_consume(&sock->input, sock->input->size);
    while (read(fd, &counter, sizeof(counter)) == sizeof(counter))
        ;
}

static void on_request_pool_disposed(void *p)
{
    deferred_write **ref = p;
    if (*ref != NULL)
        (*ref)->req = NULL;
}

static void finish_deferred(worker *w, deferred_write *d)
{
    bookd_response res;
    memset(&res, 0, sizeof(res));
    res.route = BOOKD_ROUTE_BOOK_JOB;
    bookd_route route = d->pending->is_hold ? BOOKD_ROUTE_EVENT : BOOKD_ROUTE_BOOK_JOB;
    bookd_api_resume(w->api, d->pending, &res);
    bookd_metrics_request(w->srv->metrics, route, res.status, bookd_monotonic_now_us() - d->started_us);
    if (d->req != NULL) {
        *d->pool_ref = NULL;
        send_response(d->req, &res);
    }
    bookd_response_clear(&res);
    free(d);
    w->deferred_count--;
}

static void on_timer(h2o_socket_t *sock, const char *err)
{
    worker *w = sock->data;
    (void)err;
    drain_fd(sock, w->timer_fd);
    int64_t now = bookd_monotonic_now_us();
    while (w->queue_head != NULL && w->queue_head->due_us <= now) {
        deferred_write *d = w->queue_head;
        w->queue_head = d->next;
        if (w->queue_head == NULL)
            w->queue_tail = NULL;
        finish_deferred(w, d);
    }
    arm_timer(w);
}

static void defer_request(worker *w, h2o_req_t *req, bookd_response *res, int64_t started_us)
{
    deferred_write *d = xcalloc(1, sizeof(*d));
    deferred_write **ref = h2o_mem_alloc_shared(&req->pool, sizeof(*ref), on_request_pool_disposed);
    *ref = d;
    d->req = req;
    d->pool_ref = ref;
    d->pending = res->deferred;
    d->started_us = started_us;
    d->due_us = bookd_monotonic_now_us() + res->defer_us;
    res->deferred = NULL;
    if (w->queue_tail)
        w->queue_tail->next = d;
    else
        w->queue_head = d;
    w->queue_tail = d;
    w->deferred_count++;
    if (w->queue_head == d)
        arm_timer(w);
}

static void on_connection_closed(void *data);

/* The watchdog's record of the connection |req| came on (NULL if it has none, which cannot happen). */
static conn_watch *watch_of(h2o_req_t *req)
{
    h2o_socket_t *sock =
        req->conn->callbacks->get_socket ? req->conn->callbacks->get_socket(req->conn) : NULL;
    return sock != NULL && sock->on_close.cb == on_connection_closed ? sock->on_close.data : NULL;
}

static void trace_arrival(worker *w, int64_t now_us)
{
    if (w->srv->opts->arrival_trace == NULL)
        return;
    if (w->trace_len == TRACE_MAX_PER_THREAD) {
        w->trace_dropped++;
        return;
    }
    if (w->trace == NULL)
        w->trace = xmalloc(TRACE_MAX_PER_THREAD * sizeof(*w->trace));
    w->trace[w->trace_len++] = now_us;
}

/*
 * --delay-us: spins rather than sleeps, as slower code would: it holds the
 * event loop and costs CPU, and a sleep under ~60 us overshoots by the timer
 * slack (50 us by default), far more than a 10% regression of a /health
 * request (about 30 us of service here).
 */
static void spin_until(int64_t deadline_us)
{
    while (bookd_monotonic_now_us() < deadline_us)
        ;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    worker *w = worker_of(req);
    int64_t started = bookd_monotonic_now_us();
    trace_arrival(w, started);
    if (w->srv->opts->delay_us > 0)
        spin_until(started + w->srv->opts->delay_us);
    conn_watch *cw = watch_of(req);
    if (cw != NULL) {
        /* A request completed: whatever the connection sent so far is accounted for. */
        cw->read_mark = cw->sock->bytes_read;
        cw->input_since_us = 0;
    }
    bookd_request in;
    memset(&in, 0, sizeof(in));
    in.method = req->method.base;
    in.method_len = req->method.len;
    in.path = req->path.base;
    in.path_len = req->query_at != SIZE_MAX ? req->query_at : req->path.len;
    if (req->query_at != SIZE_MAX) {
        in.query = req->path.base + req->query_at + 1;
        in.query_len = req->path.len - req->query_at - 1;
    }
    ssize_t auth = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (auth != -1) {
        in.authorization = req->headers.entries[auth].value.base;
        in.authorization_len = req->headers.entries[auth].value.len;
    }
    for (size_t i = 0; i < req->headers.size; i++)
        in.header_bytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
    in.body = req->entity.base;
    in.body_len = req->entity.base ? req->entity.len : 0;

    bookd_response res;
    bookd_api_handle(w->api, &in, &res);
    if (res.status == 0 && res.deferred != NULL) {
        defer_request(w, req, &res, started);
        return 0;
    }
    bookd_metrics_request(w->srv->metrics, res.route, res.status, bookd_monotonic_now_us() - started);
    send_response(req, &res);
    bookd_response_clear(&res);
    return 0;
}

static void on_connection_closed(void *data)
{
    conn_watch *cw = data;
    worker *w = cw->w;
    if (cw->prev)
        cw->prev->next = cw->next;
    else
        w->watched = cw->next;
    if (cw->next)
        cw->next->prev = cw->prev;
    free(cw);
    w->connections--;
    if (w->accept_paused && w->listener != NULL) {
        w->accept_paused = 0;
        h2o_socket_read_start(w->listener, w->listener->_cb.read);
    }
}

/* Closes a connection h2o owns without pulling it from under h2o: h2o sees the error and cleans up. */
static void kill_connection(conn_watch *cw, const char *why)
{
    (void)why;
    cw->killed = 1;
    shutdown(h2o_socket_get_fd(cw->sock), SHUT_RDWR);
}

/*
 * One look at one connection. Writing: a pending write that made no
 * progress for --write-timeout-ms is a client that does not read. Reading:
 * input that has not completed a request within --request-timeout-ms is a
 * slow or stalled client (h2o times HTTP/1.1 itself; this covers HTTP/2,
 * whose frames h2o never times).
 */
static void watch_connection(conn_watch *cw, int64_t now_us)
{
    const bookd_options *o = cw->w->srv->opts;
    h2o_socket_t *sock = cw->sock;
    if (cw->killed)
        return;
    if (!h2o_socket_is_writing(sock) || sock->bytes_written != cw->written_mark)
        cw->write_stall_us = 0;
    else if (cw->write_stall_us == 0)
        cw->write_stall_us = now_us;
    cw->written_mark = sock->bytes_written;
    if (sock->bytes_read == cw->read_mark)
        cw->input_since_us = 0;
    else if (cw->input_since_us == 0)
        cw->input_since_us = now_us;
    if (cw->write_stall_us != 0 && now_us - cw->write_stall_us >= (int64_t)o->write_timeout_ms * 1000)
        kill_connection(cw, "write timeout");
    else if (cw->input_since_us != 0 && now_us - cw->input_since_us >= (int64_t)o->request_timeout_ms * 1000)
        kill_connection(cw, "request timeout");
}

static void on_tick(h2o_socket_t *sock, const char *err)
{
    worker *w = sock->data;
    (void)err;
    drain_fd(sock, w->tick_fd);
    int64_t now = bookd_monotonic_now_us();
    for (conn_watch *cw = w->watched; cw != NULL; cw = cw->next)
        watch_connection(cw, now);
    /* Out of descriptors a while ago: try the listener again (a closing connection also resumes it). */
    if (w->accept_paused && w->listener != NULL) {
        w->accept_paused = 0;
        h2o_socket_read_start(w->listener, w->listener->_cb.read);
    }
}

static void on_rejection_written(h2o_socket_t *sock, const char *err)
{
    (void)err;
    h2o_socket_close(sock);
}

/* The 503 for a connection over the cap, its Content-Length computed from the body, never typed. */
static size_t format_busy_response(char *out, size_t cap)
{
    static const char body[] = "{\"error\":\"busy\",\"detail\":\"too many open connections; retry later\"}";
    int n = snprintf(out, cap,
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     "Connection: close\r\nContent-Length: %zu\r\n\r\n%s",
                     sizeof(body) - 1, body);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void watch_new_connection(worker *w, h2o_socket_t *sock)
{
    conn_watch *cw = xcalloc(1, sizeof(*cw));
    cw->w = w;
    cw->sock = sock;
    cw->next = w->watched;
    if (w->watched)
        w->watched->prev = cw;
    w->watched = cw;
    w->connections++;
    sock->on_close.cb = on_connection_closed;
    sock->on_close.data = cw;
    h2o_accept(&w->accept_ctx, sock);
}

/*
 * Accepts, unless this thread already holds its share of --max-connections:
 * then the newcomer gets a 503 (plain HTTP; over TLS it is just closed) and
 * is closed, so a flood of clients (or of slow ones) cannot exhaust the
 * process's descriptors. Out of descriptors all the same (EMFILE, ENFILE:
 * something else used them), the listener stops reading until a connection
 * closes or the next watchdog tick, instead of spinning on a readable
 * listener it cannot accept from.
 */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    worker *w = listener->data;
    if (err != NULL)
        return;
    errno = 0;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL) {
        if (errno == EMFILE || errno == ENFILE) {
            w->accept_paused = 1;
            h2o_socket_read_stop(listener);
        }
        return;
    }
    if (w->connections >= w->max_connections) {
        if (w->srv->ssl_ctx != NULL || w->busy_len == 0) {
            h2o_socket_close(sock);
            return;
        }
        h2o_iovec_t buf = h2o_iovec_init(w->busy, w->busy_len);
        h2o_socket_write(sock, &buf, 1, on_rejection_written);
        return;
    }
    watch_new_connection(w, sock);
}

static void on_wake(h2o_socket_t *sock, const char *err)
{
    worker *w = sock->data;
    (void)err;
    drain_fd(sock, w->wake_fd);
    if (!w->stopping) {
        w->stopping = 1;
        if (w->listener != NULL) {
            h2o_socket_read_stop(w->listener);
            h2o_socket_close(w->listener);
            w->listener = NULL;
        }
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    h2o_evloop_t *loop = w->ctx.loop;
    while (!w->stopping || w->deferred_count > 0)
        h2o_evloop_run(loop, INT32_MAX);
    /* Let responses written in the last iteration reach their sockets. */
    int64_t until = bookd_monotonic_now_us() + DRAIN_US;
    while (bookd_monotonic_now_us() < until)
        h2o_evloop_run(loop, 10);
    return NULL;
}

static int open_listener(const char *host, int port, char *err, size_t errlen)
{
    struct addrinfo hints, *ai = NULL;
    char portbuf[16];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(portbuf, sizeof(portbuf), "%d", port);
    int rc = getaddrinfo(host, portbuf, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

#ifdef BOOKRACE_HAVE_MONGO
/* --store mongo: connects the shared client pool and refuses fix modes the server cannot run. */
static int connect_mongo(server *srv)
{
    const bookd_options *o = srv->opts;
    char err[512];
    if (bookd_mongo_new(o->mongo_uri, o->mongo_db, &srv->mongo, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookd: %s\n", err);
        return -1;
    }
    int tx = bookd_mongo_supports_transactions(srv->mongo, err, sizeof(err));
    if (tx < 0) {
        fprintf(stderr, "bookd: %s\n", err);
        return -1;
    }
    if (tx == 0 && (o->fix == BOOKD_FIX_A || o->fix == BOOKD_FIX_A_C)) {
        fprintf(stderr,
                "bookd: --fix %s needs MongoDB transactions, and %s is a standalone server: transactions "
                "need a "
                "replica set (start mongod with --replSet rs0 and run rs.initiate()), or use --fix none, "
                "C or "
                "A-notx\n",
                bookd_fix_name(o->fix), o->mongo_uri);
        return -1;
    }
    return 0;
}
#endif

/* Opens the database once on the main thread: schema, seed, the fix's index, and the catalogue. */
static int prepare_database(server *srv)
{
    const bookd_options *o = srv->opts;
    char err[512];
    bookd_store *store;
#ifdef BOOKRACE_HAVE_MONGO
    if (o->store == BOOKD_STORE_MONGO && connect_mongo(srv) != 0)
        return -1;
#endif
    if (open_store(srv, &store, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookd: %s\n", err);
        return -1;
    }
    int rc = 0;
    if (o->store == BOOKD_STORE_SQLITE &&
        (rc = bookd_store_sqlite_claim_index_mode(o->db_path, bookd_fix_has_index(o->fix),
                                                  &srv->index_lock_fd, err, sizeof(err))) != 0) {
        fprintf(stderr, "bookd: --fix %s: %s\n", bookd_fix_name(o->fix), err);
        goto done;
    }
    rc = bookd_seed(store, o->seed, err, sizeof(err));
    if (rc != 0) {
        fprintf(stderr, "bookd: seed: %s\n", err);
        goto done;
    }
    rc = store->ops->set_unique_index(store, bookd_fix_has_index(o->fix));
    if (rc != 0) {
        fprintf(stderr, "bookd: cannot %s the unique index for --fix %s: %s%s\n",
                bookd_fix_has_index(o->fix) ? "create" : "drop", bookd_fix_name(o->fix),
                store->ops->errmsg(store),
                rc == BOOKD_STORE_EUNIQUE ? " (the database already holds bookings with identical starts)"
                                          : "");
        goto done;
    }
    rc = store->ops->load_catalog(store, &srv->catalog);
    if (rc != 0)
        fprintf(stderr, "bookd: cannot read the catalogue: %s\n", store->ops->errmsg(store));
    else if (srv->catalog.company_count == 0)
        fprintf(stderr,
                "bookd: warning: the database has no companies; every authenticated route will answer 401\n");
done:
    bookd_store_del(store);
    return rc == 0 ? 0 : -1;
}

/*
 * The watchdog's period: a twentieth of the shorter timeout, between 5 and
 * 250 ms, so a timeout fires within 5% of its value (plus up to 250 ms).
 */
static int arm_tick(const bookd_options *o, int fd)
{
    int shorter = o->request_timeout_ms < o->write_timeout_ms ? o->request_timeout_ms : o->write_timeout_ms;
    int64_t period_us = (int64_t)shorter * 1000 / 20;
    period_us = period_us < 5000 ? 5000 : period_us > 250000 ? 250000 : period_us;
    struct itimerspec its = {
        .it_interval = {.tv_sec = period_us / 1000000, .tv_nsec = (period_us % 1000000) * 1000}};
    its.it_value = its.it_interval;
    return timerfd_settime(fd, 0, &its, NULL);
}

static int worker_init(server *srv, worker *w, int listen_fd)
{
    char err[512];
    bookd_store *store;
    w->srv = srv;
    w->listen_fd = listen_fd;
    w->max_connections = (srv->max_connections + srv->opts->threads - 1) / srv->opts->threads;
    w->busy_len = format_busy_response(w->busy, sizeof(w->busy));
    w->timer_fd = w->wake_fd = w->tick_fd = -1;
    if (open_store(srv, &store, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookd: %s\n", err);
        goto fail_store;
    }
    w->api = bookd_api_new(&srv->shared, store);
    w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (w->timer_fd < 0 || w->wake_fd < 0 || w->tick_fd < 0 || arm_tick(srv->opts, w->tick_fd) != 0) {
        fprintf(stderr, "bookd: timerfd/eventfd: %s\n", strerror(errno));
        goto fail_fds;
    }
    h2o_context_init(&w->ctx, h2o_evloop_create(), &srv->config);
    w->accept_ctx.ctx = &w->ctx;
    w->accept_ctx.hosts = srv->config.hosts;
    w->listener = h2o_evloop_socket_create(w->ctx.loop, listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    w->listener->data = w;
    h2o_socket_read_start(w->listener, on_accept);
    w->timer_sock = h2o_evloop_socket_create(w->ctx.loop, w->timer_fd, H2O_SOCKET_FLAG_DONT_READ);
    w->timer_sock->data = w;
    h2o_socket_read_start(w->timer_sock, on_timer);
    w->wake_sock = h2o_evloop_socket_create(w->ctx.loop, w->wake_fd, H2O_SOCKET_FLAG_DONT_READ);
    w->wake_sock->data = w;
    h2o_socket_read_start(w->wake_sock, on_wake);
    w->tick_sock = h2o_evloop_socket_create(w->ctx.loop, w->tick_fd, H2O_SOCKET_FLAG_DONT_READ);
    w->tick_sock->data = w;
    h2o_socket_read_start(w->tick_sock, on_tick);
    return 0;

fail_fds:
    if (w->tick_fd >= 0)
        close(w->tick_fd);
    if (w->timer_fd >= 0)
        close(w->timer_fd);
    if (w->wake_fd >= 0)
        close(w->wake_fd);
    bookd_api_del(w->api);
fail_store:
    close(listen_fd);
    return -1;
}

static void worker_dispose(worker *w)
{
    h2o_evloop_t *loop = w->ctx.loop;
    if (w->listener != NULL)
        h2o_socket_close(w->listener);
    h2o_socket_close(w->timer_sock);
    h2o_socket_close(w->wake_sock);
    h2o_socket_close(w->tick_sock);
    h2o_context_dispose(&w->ctx);
    /* Closing sockets is deferred to the loop; one more pass completes it. */
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
    bookd_api_del(w->api);
    free(w->trace);
}

/*
 * Raises the soft descriptor limit to the hard one, and fits --max-connections
 * to what it then allows, saying so: past it accept() fails with EMFILE, which
 * once made bookd spin at 100% CPU while new clients hung (issue 13).
 */
static void fit_descriptor_limit(server *srv)
{
    const bookd_options *o = srv->opts;
    struct rlimit rl;
    srv->max_connections = o->max_connections;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rlim_t want = rl.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : rl.rlim_max;
        struct rlimit raised = {.rlim_cur = want, .rlim_max = rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl.rlim_cur = want;
    }
    long reserve = FD_RESERVE_BASE + (long)FD_RESERVE_PER_THREAD * o->threads;
    long allowed = rl.rlim_cur == RLIM_INFINITY ? LONG_MAX : (long)rl.rlim_cur - reserve;
    if (allowed < 1)
        allowed = 1;
    if (o->max_connections > allowed) {
        srv->max_connections = (int)allowed;
        fprintf(stderr,
                "bookd: the descriptor limit is %llu (ulimit -n; hard limit %llu): --max-connections %d "
                "capped to "
                "%ld (%ld kept for files and threads)\n",
                (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, o->max_connections, allowed,
                reserve);
    }
}

/* --tls-cert/--tls-key: an OpenSSL context offering h2 and http/1.1 by ALPN. */
static int setup_tls(server *srv)
{
    const bookd_options *o = srv->opts;
    if (o->tls_cert == NULL)
        return 0;
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL)
        goto fail;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, o->tls_cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, o->tls_key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1)
        goto fail;
    h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
    srv->ssl_ctx = ctx;
    return 0;
fail:;
    char reason[256];
    ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
    fprintf(stderr, "bookd: cannot use --tls-cert %s / --tls-key %s: %s\n", o->tls_cert, o->tls_key, reason);
    SSL_CTX_free(ctx);
    return -1;
}

/* h2o's configuration: the same limits for HTTP/1.1 and HTTP/2, and bookd's one handler. */
static void configure_h2o(server *srv)
{
    const bookd_options *o = srv->opts;
    h2o_config_init(&srv->config);
    srv->config.max_request_entity_size = H2O_BODY_LIMIT;
    /* A request (head and body) must arrive within this, or the connection is closed: no slowloris. */
    srv->config.http1.req_timeout = (uint64_t)o->request_timeout_ms;
    /* HTTP/2 on purpose: prior knowledge in cleartext, ALPN over TLS; the watchdog times its requests. */
    srv->config.http1.upgrade_to_http2 = 1;
    srv->config.http2.idle_timeout = (uint64_t)o->request_timeout_ms;
    srv->config.http2.max_concurrent_requests_per_connection = H2_MAX_STREAMS;
    h2o_hostconf_t *host =
        h2o_config_register_host(&srv->config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof(*handler));
    handler->on_req = on_req;
}

/* One listener and one worker per thread; the first listener picks the port. Returns the port or -1. */
static int start_workers(server *srv)
{
    const bookd_options *o = srv->opts;
    char err[512];
    int port = o->listen_port;
    for (int i = 0; i < o->threads; i++) {
        int fd = open_listener(o->listen_host, port, err, sizeof(err));
        if (fd < 0) {
            fprintf(stderr, "bookd: %s\n", err);
            return -1;
        }
        if (i == 0)
            port = bound_port(fd);
        srv->workers[i].accept_ctx.ssl_ctx = srv->ssl_ctx;
        if (worker_init(srv, &srv->workers[i], fd) != 0)
            return -1;
        srv->workers[i].accept_ctx.ssl_ctx = srv->ssl_ctx;
        srv->worker_count++;
    }
    return port;
}

/* --arrival-trace: every thread's handler-entry times, sorted, one per line. */
static void write_arrival_trace(server *srv)
{
    const char *path = srv->opts->arrival_trace;
    if (path == NULL)
        return;
    size_t total = 0, dropped = 0, n = 0;
    for (int i = 0; i < srv->worker_count; i++)
        total += srv->workers[i].trace_len, dropped += srv->workers[i].trace_dropped;
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "bookd: cannot write the arrival trace %s: %s\n", path, strerror(errno));
        return;
    }
    int64_t *all = xmalloc(total * sizeof(*all));
    for (int i = 0; i < srv->worker_count; i++)
        for (size_t j = 0; j < srv->workers[i].trace_len; j++)
            all[n++] = srv->workers[i].trace[j];
    qsort(all, n, sizeof(*all), compare_i64);
    fprintf(f,
            "# bookd arrival trace: handler entry per request, CLOCK_MONOTONIC microseconds; %zu dropped\n",
            dropped);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%lld\n", (long long)all[i]);
    if (fclose(f) != 0)
        fprintf(stderr, "bookd: cannot write the arrival trace %s: %s\n", path, strerror(errno));
    free(all);
}

/* Runs the workers until SIGINT or SIGTERM, then stops and joins them. Returns the exit code. */
static int serve_until_signal(server *srv, int port)
{
    const bookd_options *o = srv->opts;
    int exit_code = 1, started;
    /* Only the main thread takes SIGINT/SIGTERM: block them before the workers inherit the mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    for (started = 0; started < srv->worker_count; started++) {
        if (pthread_create(&srv->workers[started].thread, NULL, worker_main, &srv->workers[started]) != 0) {
            fprintf(stderr, "bookd: cannot start thread %d\n", started);
            break;
        }
    }
    if (started == srv->worker_count) {
        printf("bookd listening on %s:%d fix=%s slot-cache=%s clock=%s threads=%d db=%s%s tls=%s "
               "synchronous=%s max-connections=%d\n",
               o->listen_host, port, bookd_fix_name(o->fix), o->cache_spec,
               o->clock_kind == BOOKD_CLOCK_VIRTUAL ? "virtual" : "real", o->threads,
               o->store == BOOKD_STORE_MONGO ? "mongodb:" : "",
               o->store == BOOKD_STORE_MONGO ? o->mongo_db : o->db_path, srv->ssl_ctx ? "on" : "off",
               bookd_sync_name(o->synchronous), srv->max_connections);
        fflush(stdout);
        int sig;
        sigwait(&stop_signals, &sig);
        exit_code = 0;
    }
    for (int i = 0; i < started; i++) {
        uint64_t one = 1;
        if (write(srv->workers[i].wake_fd, &one, sizeof(one)) != sizeof(one))
            fprintf(stderr, "bookd: cannot wake thread %d\n", i);
    }
    for (int i = 0; i < started; i++)
        pthread_join(srv->workers[i].thread, NULL);
    return exit_code;
}

int bookd_server_run(const bookd_options *o)
{
    server srv;
    memset(&srv, 0, sizeof(srv));
    srv.opts = o;
    srv.index_lock_fd = -1;
    int64_t clock_start =
        o->clock_start_us >= 0 ? o->clock_start_us : (bookd_wall_now_us() / 1000000) * 1000000;
    int exit_code = 1;

    signal(SIGPIPE, SIG_IGN);
    fit_descriptor_limit(&srv);
    srv.clock = bookd_clock_new(o->clock_kind, clock_start);
    srv.metrics = bookd_metrics_new();
    srv.cache = bookd_slot_cache_new(o->cache_mode, o->cache_ttl_us, o->slot_cache_bytes);
    srv.workers = xcalloc((size_t)o->threads, sizeof(worker));
    if (srv.cache == NULL) {
        fprintf(stderr, "bookd: cannot initialise the slot cache's lock\n");
        goto fail_setup;
    }
    if (prepare_database(&srv) != 0 || setup_tls(&srv) != 0)
        goto fail_setup;
    srv.shared = (bookd_api_shared){
        .catalog = &srv.catalog,
        .clock = srv.clock,
        .cache = srv.cache,
        .cache_spec = o->cache_spec,
        .metrics = srv.metrics,
        .fix = o->fix,
        .race_window_us = o->race_window_us,
    };
    configure_h2o(&srv);
    int port = start_workers(&srv);
    if (port >= 0)
        exit_code = serve_until_signal(&srv, port);
    write_arrival_trace(&srv);
    for (int i = 0; i < srv.worker_count; i++)
        worker_dispose(&srv.workers[i]);
    h2o_config_dispose(&srv.config);
    bookd_catalog_free(&srv.catalog);
fail_setup:
#ifdef BOOKRACE_HAVE_MONGO
    bookd_mongo_del(srv.mongo);
#endif
    SSL_CTX_free(srv.ssl_ctx);
    if (srv.index_lock_fd >= 0)
        close(srv.index_lock_fd);
    free(srv.workers);
    bookd_slot_cache_del(srv.cache);
    bookd_metrics_del(srv.metrics);
    bookd_clock_del(srv.clock);
    return exit_code;
}
