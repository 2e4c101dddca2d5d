/*
 * Coordinated start of the segments of a fleet (see segment.h), the way
 * k6-operator's starter releases paused runners together:
 *
 *   --start-at RFC3339       every segment sleeps until that wall-clock time.
 *                            Its precision is that of the machines' clock
 *                            sync (NTP/chrony on cloud VMs: typically within
 *                            1 ms of each other, up to tens of ms without a
 *                            local time source) plus the sleep's wake-up
 *                            latency (under 1 ms here, docs/performance.md).
 *   --start-when-ready URL   every segment, once its requests are prepared,
 *                            polls GET URL?segment=K&count=N every 10 ms.
 *                            Each poll reports the segment ready; the starter
 *                            answers 2xx once all N have reported (and from
 *                            then on), anything else means "not yet". The
 *                            spread is the poll interval plus one round trip.
 *                            deploy/k8s/starter is such a starter (busybox
 *                            httpd and a CGI script).
 * Both give up with a clear error: a start time too far in the past or
 * future, a starter that never answers 2xx within the timeout.
 */
#ifndef BR_STARTGATE_H
#define BR_STARTGATE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define BR_START_POLL_US 10000 /* 10 ms between polls of the starter */

/*
 * Parses an RFC 3339 time ("2026-11-28T11:00:00Z", "...T11:00:00.250+01:00")
 * into microseconds since the epoch. Returns 0, or -1 with |err|.
 */
int br_start_at_parse(const char *text, int64_t *out_wall_us, char *err, size_t errlen);

/*
 * Sleeps until the wall clock reads |at_wall_us| (absolute CLOCK_REALTIME
 * sleeps, so a clock stepped by NTP meanwhile is followed). Returns 0 on
 * time; 1 when *stop was set; -1 with |err| when |at_wall_us| is more than
 * |max_wait_us| away (a typo, not a plan). A time already past returns 0 at
 * once: *late_us says by how much it was missed.
 */
int br_start_at_wait(int64_t at_wall_us, int64_t max_wait_us, atomic_int *stop, int64_t *late_us, char *err,
                     size_t errlen);

/* The URL a segment polls: |url| plus "?segment=K&count=N" (or "&..." when it has a query). Caller frees. */
char *br_start_ready_url(const char *url, int index, int count);

/*
 * Polls |url| (already carrying the segment, see br_start_ready_url) every
 * |poll_us| until it answers 2xx. Returns 0 when released (*polls counts the
 * requests made), 1 when *stop was set, -1 with |err| naming the URL and the
 * last answer or failure when |timeout_us| passed first.
 */
int br_start_when_ready(const char *url, int64_t poll_us, int64_t timeout_us, atomic_int *stop, long *polls,
                        char *err, size_t errlen);

#endif
