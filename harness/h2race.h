/*
 * The HTTP/2 single-packet release: a second race transport beside the
 * worker pool's HTTP/1.1 last-byte release.
 *
 * Every racer of a burst rides one HTTP/2 connection per origin (cleartext
 * with prior knowledge, h2c, for http:// URLs; TLS with ALPN "h2" for
 * https://). Each connection is warmed first (SETTINGS exchanged, a PING
 * round trip), then every stream is primed: its HEADERS and all of its body
 * but the final DATA frame (the one carrying END_STREAM) are sent, and a
 * second PING round trip proves the server has read them. The final frames of
 * all streams of a connection are then serialised into one buffer, and the
 * release is one write per connection, in a tight loop: with TCP_NODELAY the
 * kernel sends each buffer as one TCP segment when it fits the MSS, so the
 * server reads every final frame in one go. A bodiless request (a GET) gets
 * HEADERS without END_STREAM when primed and an empty DATA frame with
 * END_STREAM as its final frame.
 *
 * A server caps concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS: nginx
 * 128, Go 250, Apache 100, h2o 100). A burst larger than the cap is split over
 * as few connections as carry it, each released by its own write in the same
 * loop, and the report says how many connections, writes and TCP segments
 * (the kernel's own count, tcpi_segs_out) the release took.
 *
 * A staggered burst (some release_offset_us > 0) builds every stream's final
 * frame into a buffer of its own and writes each at the release plus its
 * offset, in offset order (nghttp2 serialised them in that order, so each
 * connection's byte stream stays what nghttp2 expects): one write and one
 * segment per racer, timed like the last-byte release's staggered uncorks.
 *
 * A server that will not speak HTTP/2 (no ALPN h2, or it answers the preface
 * with something other than SETTINGS) gets BR_H2_EREFUSED, so the caller can
 * fall back to the last-byte release and say why.
 *
 * Single-threaded: one call runs one burst on the calling thread. The pure
 * parts (URL splitting, header conversion, burst planning, segment
 * arithmetic) have no I/O, for the unit tests.
 */
#ifndef BR_H2RACE_H
#define BR_H2RACE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    BR_H2_OK = 0,
    BR_H2_EARG = -1,        /* a URL or header the transport cannot send */
    BR_H2_ECONNECT = -2,    /* the server cannot be reached (TCP or TLS handshake failed) */
    BR_H2_EREFUSED = -3,    /* the server does not speak HTTP/2: fall back to last-byte */
    BR_H2_EPROTO = -4,      /* the connection broke after HTTP/2 was agreed */
    BR_H2_EINTERRUPTED = -5 /* the stop flag was raised */
} br_h2_status;

const char *br_h2_status_name(int status);

/* One racing request. The caller sets the first block; the transport the second. */
typedef struct {
    const char *url;            /* full URL: http://host:port/path?query or https://... */
    const char *method;         /* "GET", "POST", ... */
    const char *const *headers; /* "Name: value" lines, as for libcurl; empty values are dropped */
    size_t header_count;
    const char *body; /* NULL for none */
    size_t body_len;
    char *const *record_headers; /* response headers to keep, as the pool's recordHeaders (borrowed) */
    size_t record_header_count;
    /* Staggered release (bookrace window): this stream's final frame is written this long after the
     * release, in a write of its own. When any stream of a burst has an offset, every stream gets its own
     * write (per-racer flushes): the single packet becomes one packet per racer, at its time. */
    int64_t release_offset_us;

    int status;     /* HTTP status, 0 when no response arrived */
    char *response; /* malloc'd, NUL-terminated; NULL when empty */
    size_t response_len;
    char *recorded;  /* malloc'd "Name: value\n" lines of the record_headers present (last value, cut at 256
                        bytes), in their order; NULL when none */
    char error[160]; /* why the request failed (no response, or an incomplete one), "" otherwise */
    int64_t last_byte_us; /* monotonic: the release write carrying the final frame returned */
    int64_t complete_us;  /* monotonic: response complete or failure */
    int connection;       /* which connection of the burst carried it */
} br_h2_request;

typedef struct {
    int timeout_ms;       /* for the whole burst, from connect to the last response */
    int tls_insecure;     /* https: skip certificate verification (self-signed staging) */
    const char *ca_file;  /* https: CA bundle, NULL for the system's */
    uint32_t max_streams; /* cap on streams per connection below the server's, 0 for the server's own */
    size_t max_response;  /* larger responses are cut off and the request fails */
    atomic_int *stop;     /* may be NULL */
} br_h2_options;

typedef struct {
    int connections;             /* connections the burst was split over */
    uint32_t server_max_streams; /* the smallest SETTINGS_MAX_CONCURRENT_STREAMS seen (UINT32_MAX: none) */
    int writes;                  /* release writes (one per connection) */
    int segments;                /* TCP segments the release writes took (kernel count), -1 if unknown */
    int mss;                     /* the smallest MSS among the connections */
    size_t release_bytes;        /* bytes written by the release */
    int64_t release_us;          /* first release write started to last returned */
    int tls;                     /* 1 when the connections are TLS */
    char note[256];              /* a human sentence about the split, "" when the burst fit one write */
} br_h2_report;

/*
 * Runs one burst: connects, warms, primes every request, releases, and waits
 * for every response. Returns BR_H2_OK when the release happened (individual
 * requests may still have failed: see their |error|), or a negative
 * br_h2_status with the reason in |err|, in which case no request of the burst
 * reached its final frame and the caller may run them another way.
 */
int br_h2race_run(const br_h2_options *opt, br_h2_request *reqs, size_t n, br_h2_report *rep, char *err,
                  size_t errlen);

/* Frees what the transport put into the requests (responses). */
void br_h2_request_reset(br_h2_request *r);

/* ---- pure parts, for tests ------------------------------------------------------------------------ */

typedef struct {
    int tls;
    char host[256]; /* without brackets for IPv6 */
    char port[8];
    char authority[272]; /* host:port as the :authority pseudo-header */
    const char *path;    /* points into the URL: "/..." (or "/" when the URL has none: see path_default) */
} br_h2_url;

/* Splits http(s)://host[:port][/path]. Returns 0, or -1 with the reason in |err|. */
int br_h2_split_url(const char *url, br_h2_url *out, char *err, size_t errlen);

/*
 * Converts one "Name: value" line to an HTTP/2 header: the name lowercased
 * into |name|, the value trimmed. Returns 1 for a header to send, 0 for one
 * to drop (empty value, as libcurl's "Expect:"; hop-by-hop headers HTTP/2
 * forbids; Host, which becomes :authority), -1 for a malformed line.
 */
int br_h2_header_from_line(const char *line, char *name, size_t name_cap, const char **value,
                           size_t *value_len);

/* How a burst of |n| streams is split: |connections| carrying at most |per_connection| each. */
typedef struct {
    size_t connections, per_connection;
} br_h2_plan;
br_h2_plan br_h2_plan_burst(size_t n, uint32_t max_streams);

/* Bytes of the final frame of a stream whose body is |body_len| long (9 bytes of frame header + payload). */
size_t br_h2_final_frame_bytes(size_t body_len);

/* Segments one write of |bytes| takes at |mss| (ceil), 1 for 0 bytes. */
int br_h2_segments_for(size_t bytes, int mss);

#endif
