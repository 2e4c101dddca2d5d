#define H2O_USE_LIBUV 0
#include "server.h"

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
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* h2o refuses bodies above this itself (plain-text 413); bookd's own JSON 413 covers 64 KiB up to it. */
#define H2O_BODY_LIMIT (1024 * 1024)
#define BUSY_TIMEOUT_MS 5000
#define SLOT_CACHE_CAPACITY 10000
/* After the last in-flight request, how long the loop keeps running to flush responses. */
#define DRAIN_US 100000

typedef struct server server;
typedef struct worker worker;
typedef struct deferred_write deferred_write;

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
#ifdef BOOKRACE_HAVE_MONGO
    bookd_mongo *mongo; /* --store mongo: the client pool every thread's store shares */
#endif
};

/* One connection's store, of the kind the command line asked for. */
static int open_store(server *srv, bookd_store **out, char *err, size_t errlen)
{
#ifdef BOOKRACE_HAVE_MONGO
    if (srv->opts->store == BOOKD_STORE_MONGO)
        return bookd_store_mongo_open(srv->mongo, out, err, errlen);
#endif
    return bookd_store_sqlite_open(srv->opts->db_path, BUSY_TIMEOUT_MS, out, err, errlen);
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

static int defer_request(worker *w, h2o_req_t *req, bookd_response *res, int64_t started_us)
{
    deferred_write *d = calloc(1, sizeof(*d));
    deferred_write **ref = h2o_mem_alloc_shared(&req->pool, sizeof(*ref), on_request_pool_disposed);
    if (d == NULL) {
        /* Out of memory: finish the write now rather than lose it. */
        bookd_api_resume(w->api, res->deferred, res);
        res->deferred = NULL;
        return -1;
    }
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
    return 0;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    worker *w = worker_of(req);
    int64_t started = bookd_monotonic_now_us();
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
    if (res.status == 0 && res.deferred != NULL && defer_request(w, req, &res, started) == 0)
        return 0;
    bookd_metrics_request(w->srv->metrics, res.route, res.status, bookd_monotonic_now_us() - started);
    send_response(req, &res);
    bookd_response_clear(&res);
    return 0;
}

static void on_connection_closed(void *data)
{
    ((worker *)data)->connections--;
}

static void on_rejection_written(h2o_socket_t *sock, const char *err)
{
    (void)err;
    h2o_socket_close(sock);
}

/*
 * Accepts, unless this thread already holds its share of --max-connections:
 * then the newcomer gets a 503 and is closed, so a flood of clients (or of
 * slow ones) cannot exhaust the process's descriptors.
 */
static void on_accept(h2o_socket_t *listener, const char *err)
{
    static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                               "Connection: close\r\nContent-Length: 77\r\n\r\n"
                               "{\"error\":\"busy\",\"detail\":\"too many open connections; retry later\"}";
    worker *w = listener->data;
    if (err != NULL)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
    if (sock == NULL)
        return;
    if (w->connections >= w->max_connections) {
        h2o_iovec_t buf = h2o_iovec_init(busy, sizeof(busy) - 1);
        h2o_socket_write(sock, &buf, 1, on_rejection_written);
        return;
    }
    w->connections++;
    sock->on_close.cb = on_connection_closed;
    sock->on_close.data = w;
    h2o_accept(&w->accept_ctx, sock);
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
    int rc = bookd_seed(store, o->seed, err, sizeof(err));
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

static int worker_init(server *srv, worker *w, int listen_fd)
{
    char err[512];
    bookd_store *store;
    w->srv = srv;
    w->listen_fd = listen_fd;
    w->max_connections = (srv->opts->max_connections + srv->opts->threads - 1) / srv->opts->threads;
    w->timer_fd = w->wake_fd = -1;
    if (open_store(srv, &store, err, sizeof(err)) != 0) {
        fprintf(stderr, "bookd: %s\n", err);
        goto fail_store;
    }
    if ((w->api = bookd_api_new(&srv->shared, store)) == NULL) {
        bookd_store_del(store);
        goto fail_store;
    }
    w->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (w->timer_fd < 0 || w->wake_fd < 0) {
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
    return 0;

fail_fds:
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
    h2o_context_dispose(&w->ctx);
    /* Closing sockets is deferred to the loop; one more pass completes it. */
    h2o_evloop_run(loop, 0);
    h2o_evloop_destroy(loop);
    bookd_api_del(w->api);
}

int bookd_server_run(const bookd_options *o)
{
    server srv;
    memset(&srv, 0, sizeof(srv));
    srv.opts = o;
    int64_t clock_start =
        o->clock_start_us >= 0 ? o->clock_start_us : (bookd_wall_now_us() / 1000000) * 1000000;
    int exit_code = 1, started = 0;
    char err[512];

    signal(SIGPIPE, SIG_IGN);
    srv.clock = bookd_clock_new(o->clock_kind, clock_start);
    srv.metrics = bookd_metrics_new();
    srv.cache = bookd_slot_cache_new(o->cache_mode, o->cache_ttl_us, SLOT_CACHE_CAPACITY);
    srv.workers = calloc((size_t)o->threads, sizeof(worker));
    if (!srv.clock || !srv.metrics || !srv.cache || !srv.workers) {
        fprintf(stderr, "bookd: out of memory\n");
        goto fail_alloc;
    }
    if (prepare_database(&srv) != 0)
        goto fail_alloc;
    srv.shared = (bookd_api_shared){
        .catalog = &srv.catalog,
        .clock = srv.clock,
        .cache = srv.cache,
        .cache_spec = o->cache_spec,
        .metrics = srv.metrics,
        .fix = o->fix,
        .race_window_us = o->race_window_us,
    };

    h2o_config_init(&srv.config);
    srv.config.max_request_entity_size = H2O_BODY_LIMIT;
    /* A request (head and body) must arrive within this, or the connection is closed: no slowloris. */
    srv.config.http1.req_timeout = (uint64_t)o->request_timeout_ms;
    h2o_hostconf_t *host =
        h2o_config_register_host(&srv.config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_handler_t *handler = h2o_create_handler(path, sizeof(*handler));
    handler->on_req = on_req;

    /* The first listener picks the port (possibly 0 = any); the others share it through SO_REUSEPORT. */
    int port = o->listen_port;
    for (int i = 0; i < o->threads; i++) {
        int fd = open_listener(o->listen_host, port, err, sizeof(err));
        if (fd < 0) {
            fprintf(stderr, "bookd: %s\n", err);
            goto fail_workers;
        }
        if (i == 0)
            port = bound_port(fd);
        if (worker_init(&srv, &srv.workers[i], fd) != 0)
            goto fail_workers;
        srv.worker_count++;
    }

    /* Only the main thread takes SIGINT/SIGTERM: block them before the workers inherit the mask. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    for (started = 0; started < srv.worker_count; started++) {
        if (pthread_create(&srv.workers[started].thread, NULL, worker_main, &srv.workers[started]) != 0) {
            fprintf(stderr, "bookd: cannot start thread %d\n", started);
            break;
        }
    }
    if (started == srv.worker_count) {
        printf("bookd listening on %s:%d fix=%s slot-cache=%s clock=%s threads=%d db=%s%s\n", o->listen_host,
               port, bookd_fix_name(o->fix), o->cache_spec,
               o->clock_kind == BOOKD_CLOCK_VIRTUAL ? "virtual" : "real", o->threads,
               o->store == BOOKD_STORE_MONGO ? "mongodb:" : "",
               o->store == BOOKD_STORE_MONGO ? o->mongo_db : o->db_path);
        fflush(stdout);
        int sig;
        sigwait(&stop_signals, &sig);
        exit_code = 0;
    }
    for (int i = 0; i < started; i++) {
        uint64_t one = 1;
        if (write(srv.workers[i].wake_fd, &one, sizeof(one)) != sizeof(one))
            fprintf(stderr, "bookd: cannot wake thread %d\n", i);
    }
    for (int i = 0; i < started; i++)
        pthread_join(srv.workers[i].thread, NULL);

fail_workers:
    for (int i = 0; i < srv.worker_count; i++)
        worker_dispose(&srv.workers[i]);
    h2o_config_dispose(&srv.config);
    bookd_catalog_free(&srv.catalog);
fail_alloc:
#ifdef BOOKRACE_HAVE_MONGO
    bookd_mongo_del(srv.mongo);
#endif
    free(srv.workers);
    bookd_slot_cache_del(srv.cache);
    bookd_metrics_del(srv.metrics);
    bookd_clock_del(srv.clock);
    return exit_code;
}
