/*
 * The worker pool (pool.h): threads that each own one libcurl multi handle and
 * run their share of a batch, as wrk's threads own their event loops. A barrier
 * batch meets twice: once every racer has sent all but its final body byte
 * (the last-byte release) or before anything is sent (plain), and once more
 * with the final bytes waiting in corked sockets, so the release itself is one
 * setsockopt per racer. Responses are kept up to BR_MAX_RESPONSE; times are
 * monotonic, relative to the run's origin.
 */
#include "pool.h"

#include "alloc.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

/*
 * A staggered racer's thread sleeps until this long before the racer's time and spins the rest: a
 * sleeping thread wakes up late by up to a few hundred microseconds on a busy machine (measured: see
 * docs/window.md), a spinning one by its loop's few microseconds.
 */
#define STAGGER_SPIN_US 300
/* A late racer (offset >= BR_CORK_HOLD_MAX_US) is handed to its corked socket this long before its time. */
#define STAGGER_HANDOVER_LEAD_US 20000

typedef struct br_worker br_worker;

struct br_worker {
    br_pool *pool;
    int index;
    pthread_t thread;
    CURLM *multi;
    unsigned long seen_generation;
};

struct br_pool {
    int thread_count;
    int64_t origin_us;
    atomic_int *stop;
    br_worker *workers;

    pthread_mutex_t lock;
    pthread_cond_t work_ready, work_done;
    unsigned long generation;
    int shutdown;
    int threads_busy;

    /* The current batch (read-only to the workers while it runs). */
    br_request **requests;
    size_t request_count;
    int barrier;
    br_release release;
    int participants;          /* threads with at least one request */
    atomic_int primed_threads; /* threads whose racers sent all but their final byte */
    atomic_int released;
    atomic_int corked_threads; /* threads whose racers' final bytes wait in corked sockets */
    atomic_int uncork;
    int staggered;                 /* some racer has a release_offset_us */
    _Atomic int64_t release_t0_us; /* when the last rendezvous released everybody */
};

int64_t br_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t on_response(char *data, size_t size, size_t n, void *arg)
{
    br_request *r = arg;
    size_t len = size * n;
    if (r->response_len + len > BR_MAX_RESPONSE)
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR: reported as indeterminate */
    r->response = xrealloc(r->response, r->response_len + len + 1);
    memcpy(r->response + r->response_len, data, len);
    r->response_len += len;
    r->response[r->response_len] = '\0';
    return len;
}

typedef struct {
    br_request *request;
    br_pool *pool;
} read_ctx;

/*
 * Supplies the body. While the last byte is held, it gives out all but the
 * final byte and then pauses the transfer: libcurl asks for more only after
 * it has sent what it had, so "primed" means the bytes are on the wire.
 */
static size_t on_read(char *buf, size_t size, size_t n, void *arg)
{
    br_request *r = arg;
    size_t room = size * n, remaining = r->body_len - r->sent;
    if (remaining == 0)
        return 0;
    if (r->hold_last_byte) {
        if (remaining == 1) {
            r->primed = 1;
            return CURL_READFUNC_PAUSE;
        }
        remaining -= 1;
    }
    size_t give = remaining < room ? remaining : room;
    memcpy(buf, r->body + r->sent, give);
    r->sent += give;
    if (r->sent == r->body_len && r->last_byte_us == 0)
        r->last_byte_us = br_monotonic_us();
    return give;
}

/*
 * Records the socket libcurl opened for a request. CURLINFO_ACTIVESOCKET
 * cannot be used instead: libcurl (7.88) answers it only once a transfer is
 * done or for CONNECT_ONLY handles, and returns -1 while a racer is primed,
 * which left every last-byte racer uncorked (its final byte left at hand-over,
 * not at the release).
 */
static int on_socket(void *arg, curl_socket_t fd, curlsocktype purpose)
{
    br_request *r = arg;
    if (purpose == CURLSOCKTYPE_IPCXN)
        r->fd = (int)fd;
    return CURL_SOCKOPT_OK;
}

static int start_request(br_worker *w, br_request *r)
{
    CURL *e = curl_easy_init();
    if (e == NULL)
        return -1;
    r->easy = e;
    r->invoke_us = br_monotonic_us();
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_response);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_error);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    r->fd = -1;
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_socket);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, r);
    /* A racer corks its own socket, so it needs one it knows: a new connection, never a reused one. */
    if (r->hold_last_byte)
        curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    /* One connection per racer: libcurl would otherwise negotiate h2 over https and multiplex the racers. */
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (r->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
    if (r->tls_insecure) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (r->body != NULL) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, r);
    } else {
        r->last_byte_us = r->invoke_us;
        if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
            /* A bodiless POST still says Content-Length: 0. */
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, 0L);
        }
    }
    if (strcmp(r->method, "GET") == 0 && r->body == NULL)
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    else if (strcmp(r->method, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    if (curl_multi_add_handle(w->multi, e) != CURLM_OK)
        return -1;
    return 0;
}

/*
 * Keeps the named response headers (the last value of each, as a cache adds
 * them after the origin's) before the handle goes: what a cache in front of
 * the backend said about the answer is the cause of a stale-list race.
 */
static void keep_headers(br_request *r)
{
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < r->record_header_count; i++) {
        struct curl_header *h = NULL;
        if (curl_easy_header(r->easy, r->record_headers[i], 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
            continue;
        size_t need = strlen(r->record_headers[i]) + 256 + 4; /* values are cut at 256 bytes */
        if (len + need > cap) {
            cap = (len + need) * 2;
            r->recorded = xrealloc(r->recorded, cap);
        }
        len += (size_t)snprintf(r->recorded + len, cap - len, "%s: %.256s\n", r->record_headers[i], h->value);
    }
}

static void finish_request(br_worker *w, br_request *r, CURLcode code)
{
    r->curl_code = code;
    r->complete_us = br_monotonic_us();
    if (code == CURLE_OK) {
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
        keep_headers(r);
    } else if (r->curl_error[0] == '\0')
        snprintf(r->curl_error, sizeof(r->curl_error), "%s", curl_easy_strerror(code));
    curl_multi_remove_handle(w->multi, r->easy);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    r->done = 1;
}

static void collect_done(br_worker *w)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(w->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        br_request *r;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        finish_request(w, r, msg->data.result);
    }
}

/* Drives the multi handle until |enough| says so (or the stop flag is raised). */
static void drive(br_worker *w, br_request **mine, size_t n, int (*enough)(br_request **, size_t))
{
    int running;
    while (!enough(mine, n)) {
        if (atomic_load(w->pool->stop)) {
            for (size_t i = 0; i < n; i++)
                if (mine[i]->easy && !mine[i]->done) {
                    snprintf(mine[i]->curl_error, sizeof(mine[i]->curl_error), "interrupted");
                    finish_request(w, mine[i], CURLE_ABORTED_BY_CALLBACK);
                }
            return;
        }
        curl_multi_perform(w->multi, &running);
        collect_done(w);
        if (enough(mine, n))
            return;
        curl_multi_poll(w->multi, NULL, 0, 50, NULL);
    }
}

static int all_done(br_request **mine, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!mine[i]->done)
            return 0;
    return 1;
}

static int all_primed(br_request **mine, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mine[i]->hold_last_byte && !mine[i]->primed && !mine[i]->done)
            return 0;
    return 1;
}

/* Waits for every participating thread: the last one to arrive releases everybody. */
static void rendezvous(br_pool *pool, atomic_int *arrived, atomic_int *released)
{
    if (atomic_fetch_add(arrived, 1) + 1 == pool->participants) {
        atomic_store(&pool->release_t0_us, br_monotonic_us());
        atomic_store(released, 1);
    }
    /*
     * Spin without yielding: a thread that gave up its CPU is rescheduled
     * hundreds of microseconds after the release (measured: ~370 us on two
     * cores), which would be the skew. The others are normally moments away;
     * after 50 ms of spinning something is wrong with them, so yield from then on.
     */
    int64_t spin_until = br_monotonic_us() + 50000;
    /* More threads than CPUs: spinners would keep the others off the CPU for a whole tick. */
    int oversubscribed = pool->thread_count > (int)sysconf(_SC_NPROCESSORS_ONLN);
    while (!atomic_load_explicit(released, memory_order_acquire) && !atomic_load(pool->stop))
        if (oversubscribed || br_monotonic_us() > spin_until)
            sched_yield();
}

static int all_handed_over(br_request **mine, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mine[i]->primed && !mine[i]->hold_last_byte && !mine[i]->done &&
            mine[i]->sent < mine[i]->body_len)
            return 0;
    return 1;
}

/* The racer's own connection's socket, recorded when libcurl created it (on_socket); -1 when unknown. */
static int racer_socket(br_request *r)
{
    return r->easy == NULL ? -1 : r->fd;
}

/* Hands a primed racer's final byte to libcurl over a corked socket; |fd| gets the socket, -1 when uncorked.
 */
static void hand_over(br_request *r, int *fd)
{
    int one = 1;
    *fd = -1;
    if (!r->hold_last_byte || !r->primed || r->done)
        return;
    *fd = racer_socket(r);
    if (*fd >= 0 && setsockopt(*fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) != 0)
        *fd = -1; /* no cork: this racer's byte leaves when libcurl writes it */
    r->hold_last_byte = 0;
    curl_easy_pause(r->easy, CURLPAUSE_CONT);
}

/*
 * Sends the racer's corked final byte. Its time is taken before the call: on
 * loopback the syscall also runs the receiving side and wakes the server,
 * which may preempt this thread for hundreds of microseconds before the call
 * returns (bench/race-window.sh measured sender gaps off by that much while
 * the receiver's kernel timestamps were exact).
 */
static void uncork(br_request *r, int fd)
{
    int zero = 0;
    if (fd < 0)
        return;
    r->last_byte_us = br_monotonic_us();
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &zero, sizeof(zero));
}

/*
 * The last-byte release. Unpausing each transfer and letting libcurl send
 * its final byte costs microseconds per transfer inside curl_multi_perform,
 * which would be the spread. So the final bytes are handed over beforehand
 * into corked sockets (TCP_CORK holds a partial segment in the kernel, for
 * up to 200 ms), the threads meet again, and the release itself is one
 * setsockopt per racer in a tight loop: the kernel sends each byte as its
 * socket is uncorked.
 */
static void release_last_bytes(br_worker *w, br_request **mine, size_t n)
{
    br_pool *pool = w->pool;
    int *fds = xcalloc(n, sizeof(int));
    for (size_t i = 0; i < n; i++)
        hand_over(mine[i], &fds[i]);
    drive(w, mine, n, all_handed_over);
    rendezvous(pool, &pool->corked_threads, &pool->uncork);
    for (size_t i = 0; i < n; i++)
        uncork(mine[i], fds[i]);
    free(fds);
    /* Bodiless requests go now. */
    for (size_t i = 0; i < n; i++)
        if (mine[i]->easy == NULL && !mine[i]->done && start_request(w, mine[i]) != 0)
            finish_request(w, mine[i], CURLE_OUT_OF_MEMORY);
}

/*
 * Waits until |until_us| on the monotonic clock: driving the thread's
 * transfers (responses to earlier racers keep their true completion times)
 * while more than a few milliseconds are left, then sleeping, then spinning
 * the last STAGGER_SPIN_US. Returns early when the stop flag is raised.
 */
static void wait_until(br_worker *w, int64_t until_us)
{
    int running;
    for (int64_t left; (left = until_us - br_monotonic_us()) > 2000 + STAGGER_SPIN_US;) {
        if (atomic_load(w->pool->stop))
            return;
        curl_multi_perform(w->multi, &running);
        collect_done(w);
        int ms = (int)((left - STAGGER_SPIN_US) / 1000) - 1;
        curl_multi_poll(w->multi, NULL, 0, ms > 50 ? 50 : ms < 1 ? 1 : ms, NULL);
    }
    int64_t sleep_until = until_us - STAGGER_SPIN_US;
    if (sleep_until > br_monotonic_us()) {
        struct timespec ts = {(time_t)(sleep_until / 1000000), (long)(sleep_until % 1000000) * 1000};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
    while (br_monotonic_us() < until_us)
        ;
}

/* Indices of |mine| by release offset, earliest first (stable: batch order among equal offsets). */
static size_t *offset_order(br_request **mine, size_t n)
{
    size_t *order = xcalloc(n, sizeof(size_t));
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && mine[order[j - 1]]->release_offset_us > mine[i]->release_offset_us; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    return order;
}

/* A staggered racer whose turn has come: started (bodiless), or handed over late, then uncorked. */
static void release_one(br_worker *w, br_request *r, int fd, int64_t at_us)
{
    if (r->done)
        return;
    if (r->easy == NULL) { /* bodiless: the whole request is its final byte */
        wait_until(w, at_us);
        if (start_request(w, r) != 0)
            finish_request(w, r, CURLE_OUT_OF_MEMORY);
        return;
    }
    if (r->hold_last_byte) { /* too far away to be corked before the release */
        wait_until(w, at_us - STAGGER_HANDOVER_LEAD_US);
        hand_over(r, &fd);
        drive(w, &r, 1, all_handed_over);
    }
    wait_until(w, at_us);
    uncork(r, fd);
}

/*
 * The staggered last-byte release: as above, but each racer's socket is
 * uncorked at the release plus its offset, in offset order. Racers within
 * BR_CORK_HOLD_MAX_US are corked before the threads meet, the others shortly
 * before their time.
 */
static void release_staggered(br_worker *w, br_request **mine, size_t n)
{
    br_pool *pool = w->pool;
    int *fds = xcalloc(n, sizeof(int));
    for (size_t i = 0; i < n; i++) {
        fds[i] = -1;
        if (mine[i]->release_offset_us < BR_CORK_HOLD_MAX_US)
            hand_over(mine[i], &fds[i]);
    }
    drive(w, mine, n, all_handed_over);
    rendezvous(pool, &pool->corked_threads, &pool->uncork);
    int64_t t0 = atomic_load(&pool->release_t0_us);
    size_t *order = offset_order(mine, n);
    for (size_t k = 0; k < n && !atomic_load(pool->stop); k++)
        release_one(w, mine[order[k]], fds[order[k]], t0 + mine[order[k]]->release_offset_us);
    free(order);
    free(fds);
}

/* The plain release, staggered: each racer's whole request starts at the release plus its offset. */
static void start_staggered(br_worker *w, br_request **mine, size_t n)
{
    int64_t t0 = atomic_load(&w->pool->release_t0_us);
    size_t *order = offset_order(mine, n);
    for (size_t k = 0; k < n && !atomic_load(w->pool->stop); k++) {
        br_request *r = mine[order[k]];
        wait_until(w, t0 + r->release_offset_us);
        if (start_request(w, r) != 0)
            finish_request(w, r, CURLE_OUT_OF_MEMORY);
    }
}

static void run_share(br_worker *w)
{
    br_pool *pool = w->pool;
    size_t n = 0;
    for (size_t i = 0; i < pool->request_count; i++)
        n += pool->requests[i]->thread == w->index;
    if (n == 0)
        return;
    br_request **mine = xmalloc(n * sizeof(*mine));
    size_t k = 0;
    for (size_t i = 0; i < pool->request_count; i++)
        if (pool->requests[i]->thread == w->index)
            mine[k++] = pool->requests[i];

    if (pool->barrier && pool->release == BR_RELEASE_LAST_BYTE) {
        for (size_t i = 0; i < n; i++) {
            mine[i]->hold_last_byte = mine[i]->body != NULL && mine[i]->body_len > 0;
            if (mine[i]->hold_last_byte && start_request(w, mine[i]) != 0)
                finish_request(w, mine[i], CURLE_OUT_OF_MEMORY);
        }
        drive(w, mine, n, all_primed);
        rendezvous(pool, &pool->primed_threads, &pool->released);
        if (pool->staggered)
            release_staggered(w, mine, n);
        else
            release_last_bytes(w, mine, n);
    } else if (pool->barrier && pool->staggered) {
        rendezvous(pool, &pool->primed_threads, &pool->released);
        start_staggered(w, mine, n);
    } else {
        if (pool->barrier)
            rendezvous(pool, &pool->primed_threads, &pool->released);
        for (size_t i = 0; i < n; i++)
            if (start_request(w, mine[i]) != 0)
                finish_request(w, mine[i], CURLE_OUT_OF_MEMORY);
    }
    drive(w, mine, n, all_done);
    free(mine);
}

static void *worker_main(void *arg)
{
    br_worker *w = arg;
    br_pool *pool = w->pool;
    /* Timed waits of a staggered release wake up when asked, not up to 50 us later (the default slack). */
    prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        while (pool->generation == w->seen_generation && !pool->shutdown)
            pthread_cond_wait(&pool->work_ready, &pool->lock);
        if (pool->shutdown) {
            pthread_mutex_unlock(&pool->lock);
            return NULL;
        }
        w->seen_generation = pool->generation;
        pthread_mutex_unlock(&pool->lock);

        run_share(w);

        pthread_mutex_lock(&pool->lock);
        if (--pool->threads_busy == 0)
            pthread_cond_signal(&pool->work_done);
        pthread_mutex_unlock(&pool->lock);
    }
}

br_pool *br_pool_new(int threads, int64_t origin_us, atomic_int *stop)
{
    br_pool *pool = xcalloc(1, sizeof(*pool));
    pool->thread_count = threads;
    pool->origin_us = origin_us;
    pool->stop = stop;
    pool->workers = xcalloc((size_t)threads, sizeof(br_worker));
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work_ready, NULL);
    pthread_cond_init(&pool->work_done, NULL);
    int started = 0;
    for (; started < threads; started++) {
        br_worker *w = &pool->workers[started];
        w->pool = pool;
        w->index = started;
        w->multi = curl_multi_init();
        if (w->multi == NULL || pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            if (w->multi)
                curl_multi_cleanup(w->multi);
            break;
        }
    }
    if (started == threads)
        return pool;
    pool->thread_count = started;
    br_pool_del(pool);
    return NULL;
}

void br_pool_del(br_pool *pool)
{
    if (pool == NULL)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->shutdown = 1;
    pthread_cond_broadcast(&pool->work_ready);
    pthread_mutex_unlock(&pool->lock);
    for (int i = 0; i < pool->thread_count; i++) {
        pthread_join(pool->workers[i].thread, NULL);
        curl_multi_cleanup(pool->workers[i].multi);
    }
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->work_ready);
    pthread_cond_destroy(&pool->work_done);
    free(pool->workers);
    free(pool);
}

int br_pool_threads(const br_pool *pool)
{
    return pool->thread_count;
}

int64_t br_pool_origin_us(const br_pool *pool)
{
    return pool->origin_us;
}

int64_t br_pool_run(br_pool *pool, br_request **requests, size_t count, int barrier, br_release release)
{
    int has_requests[256] = {0};
    int participants = 0, staggered = 0;
    for (size_t i = 0; i < count; i++) {
        br_request *r = requests[i];
        staggered |= barrier && r->release_offset_us > 0;
        r->thread = r->thread % pool->thread_count;
        r->status = 0;
        r->curl_code = CURLE_OK;
        r->curl_error[0] = '\0';
        r->sent = 0;
        r->primed = r->done = r->hold_last_byte = 0;
        r->invoke_us = r->last_byte_us = r->complete_us = 0;
        if (r->thread < 256 && !has_requests[r->thread]) {
            has_requests[r->thread] = 1;
            participants++;
        }
    }
    pthread_mutex_lock(&pool->lock);
    pool->requests = requests;
    pool->request_count = count;
    pool->barrier = barrier;
    pool->release = release;
    pool->participants = participants;
    pool->staggered = staggered;
    atomic_store(&pool->primed_threads, 0);
    atomic_store(&pool->released, 0);
    atomic_store(&pool->corked_threads, 0);
    atomic_store(&pool->uncork, 0);
    pool->threads_busy = pool->thread_count;
    pool->generation++;
    pthread_cond_broadcast(&pool->work_ready);
    while (pool->threads_busy > 0)
        pthread_cond_wait(&pool->work_done, &pool->lock);
    pool->requests = NULL;
    pthread_mutex_unlock(&pool->lock);

    /* Times become relative to the run's origin; a request that never sent its last byte has none. */
    int64_t first = INT64_MAX, last = INT64_MIN;
    size_t measured = 0;
    for (size_t i = 0; i < count; i++) {
        br_request *r = requests[i];
        if (r->invoke_us)
            r->invoke_us -= pool->origin_us;
        if (r->complete_us)
            r->complete_us -= pool->origin_us;
        if (r->last_byte_us == 0)
            continue;
        r->last_byte_us -= pool->origin_us;
        if (r->last_byte_us < first)
            first = r->last_byte_us;
        if (r->last_byte_us > last)
            last = r->last_byte_us;
        measured++;
    }
    return measured >= 2 ? last - first : 0;
}
