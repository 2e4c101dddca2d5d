/*
 * Runs a barrier's batch of pool requests (br_request) as one HTTP/2
 * single-packet burst (h2race), and falls back to the pool's last-byte
 * release, with a note saying why, when the burst cannot go over HTTP/2: the
 * server refuses h2 (no ALPN h2, or it answers the preface with HTTP/1.1),
 * cannot be reached, or bookrace was built without BOOKRACE_H2. The requests
 * come back filled in exactly as br_pool_run fills them (status, response,
 * curl_code and curl_error for a failure, times relative to the run's origin),
 * so the history does not depend on the transport.
 */
#ifndef BR_H2BATCH_H
#define BR_H2BATCH_H

#include "pool.h"

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t max_streams; /* cap below the server's SETTINGS_MAX_CONCURRENT_STREAMS, 0 for none */
    int tls_insecure;
    const char *ca_file;
} br_h2_batch_options;

typedef struct {
    int used_h2; /* 1 when the batch went over HTTP/2, 0 when it fell back to last-byte */
    int connections, writes, segments; /* segments: the kernel's count, -1 unknown */
    uint32_t server_max_streams;       /* UINT32_MAX when the server announced none */
    char note[640];                    /* the fallback's reason, or how a burst was split; "" otherwise */
} br_h2_batch_result;

/* Whether this build has the HTTP/2 transport. */
int br_h2_batch_available(void);

/*
 * Runs |reqs| as one released burst. Returns the release skew like
 * br_pool_run (last final write minus first, in microseconds).
 */
int64_t br_h2_batch_run(br_pool *pool, br_request **reqs, size_t count, const br_h2_batch_options *opt,
                        atomic_int *stop, br_h2_batch_result *out);

#endif
