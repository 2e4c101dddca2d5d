/*
 * The load engine, built like wrk: one thread = one epoll loop with its own
 * connections, its own histograms and counters; threads share only the
 * read-only request set and the stop flag; results are merged after
 * pthread_join.
 *
 * It speaks HTTP/1.1 itself on non-blocking keep-alive sockets and sends
 * requests preformatted once at start (no per-request allocation or
 * formatting): a libcurl multi loop measured 0.43x wrk here (21k against
 * 50k req/s on the same nginx), because libcurl's per-transfer setup costs
 * more than the whole request does. Races keep using libcurl (pool.c), where
 * precision, not volume, matters.
 *
 * Two models:
 *   closed  each connection sends its next request when the previous
 *           response is complete;
 *   open    --rate R: each connection has a fixed schedule (R spread evenly
 *           over the connections); latency is measured from the intended send
 *           time, so a stalled server is charged for the requests it
 *           delayed (coordinated omission corrected, as wrk2 does); sends
 *           later than 1 ms after their intended time are counted.
 */
#ifndef BR_LOADGEN_H
#define BR_LOADGEN_H

#include "hist.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define BR_LOAD_MAX_OPS 8
#define BR_LOAD_MAX_STATUSES 16

typedef struct {
    char *data; /* the whole request: request line, headers, body */
    size_t len;
    int op;        /* index into the operation names */
    int keep_body; /* keep a success response's body (bookings: for their id) */
} br_load_request;

/* Which request a connection sends next: its |seq|-th. Must be cheap and thread-safe (read-only state). */
typedef size_t (*br_load_picker)(void *arg, int connection, uint64_t seq);

/* One request's end, as the observer sees it (times in microseconds since the load started). */
typedef struct {
    int thread, connection;
    size_t request;
    int status;     /* 0: no response (transport failure, timeout, or still in flight at the end) */
    int unfinished; /* 1: still in flight when the run ended */
    int64_t send_us, complete_us;
    const char *body; /* a kept success body (bookings), not NUL-terminated; NULL when none */
    size_t body_len;
} br_load_event;

/*
 * Called on the load thread for every request that was sent, as it ends:
 * with an observer, no per-request result is kept (memory stays flat). Must
 * not block; |thread| is the caller's index, so per-thread state needs no lock.
 */
typedef void (*br_load_observer)(void *arg, const br_load_event *ev);

typedef struct {
    struct sockaddr_storage addrs[16];
    socklen_t addr_lens[16];
    int addr_count; /* connection i uses address i mod count */
    br_load_request *requests;
    size_t request_count;
    br_load_picker pick;
    void *pick_arg;
    const char *op_names[BR_LOAD_MAX_OPS];
    int op_count;
    int threads, connections;
    double duration_s, warmup_s;
    double rate; /* requests per second in total; 0 = closed model */
    int timeout_ms;
    int progress;             /* print a progress line on stderr */
    atomic_int *stop;         /* interrupted (SIGINT) */
    atomic_int *end_early;    /* may be NULL: set to end the run as if its time were up (a threshold abort) */
    br_load_observer observe; /* may be NULL: then bookings' outcomes are kept as acks */
    void *observe_arg;
} br_load_config;

typedef struct {
    int status;
    uint64_t count;
} br_status_count;

/* A completed request whose body was kept (a booking): for the oracle. */
typedef struct {
    size_t request;
    int status;                   /* 0 for a transport failure or timeout */
    int64_t send_us, complete_us; /* microseconds since the load started */
    char *body;                   /* NUL-terminated, or NULL */
} br_load_ack;

typedef struct {
    br_hist *hist[BR_LOAD_MAX_OPS]; /* measured requests only (after warm-up) */
    br_status_count statuses[BR_LOAD_MAX_OPS][BR_LOAD_MAX_STATUSES];
    uint64_t requests[BR_LOAD_MAX_OPS];
    uint64_t errors_connect, errors_read, errors_write, errors_timeout, errors_parse;
    uint64_t unfinished;                 /* requests still in flight when the run ended */
    uint64_t errors_op[BR_LOAD_MAX_OPS]; /* failed requests per operation (sent, no response) */
    uint64_t late_sends;
    uint64_t *per_second; /* completions per second of the measured period */
    size_t seconds;
    /* Per second and operation: completions and latency percentiles (p50, p90, p99), seconds * op_count. */
    uint64_t *op_second_count;
    int64_t *op_second_p50, *op_second_p90, *op_second_p99;
    br_load_ack *acks;
    size_t ack_count, ack_cap;
    double measured_s; /* the measured period actually run */
    int64_t start_us;  /* monotonic time the load started: acks' times are relative to it */
} br_load_result;

/* Runs the load and fills |out| (merged over threads). Returns 0, or -1 when threads could not start. */
int br_load_run(const br_load_config *cfg, br_load_result *out);
void br_load_result_free(br_load_result *r);

/* Builds a request's bytes (caller frees): method, target, Host, the extra header lines, and the body. */
char *br_load_format_request(const char *method, const char *target, const char *host, const char *headers,
                             const char *body, size_t body_len, size_t *len);

/* Resolves "http://host:port/..." into |addr|, the "host:port" Host value and the path (caller frees both).
 */
int br_load_resolve(const char *url, struct sockaddr_storage *addr, socklen_t *addr_len, char **host,
                    char **path, char *err, size_t errlen);

#endif
