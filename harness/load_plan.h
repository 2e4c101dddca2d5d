/*
 * `bookrace load`'s plan: the command line it was given and every request it
 * will send, preformatted once before the clock starts. For a scenario, each
 * actor's slot lists are fetched first (each day of --days) and the bookings
 * are made from what the backend offered, whatever its slot rules.
 */
#ifndef BR_LOAD_PLAN_H
#define BR_LOAD_PLAN_H

#include "loadgen.h"
#include "scenario.h"
#include "segment.h"
#include "target.h"
#include "threshold.h"

#include <stddef.h>
#include <stdint.h>

/* The most bookings one load prepares (each a preformatted request kept for the whole run). */
#define BR_LOAD_MAX_BOOKINGS 50000

/* The parsed command line of `bookrace load`. */
typedef struct {
    const char *scenario_path, *url, *target_path, *out_dir, *json_path;
    const char *verify_uri, *mongo_db, *mongo_collection, *date;
    char *base_urls[BR_MAX_BASE_URLS];
    size_t base_url_count;
    int quiet;
    long threads, connections, days;
    double duration_s, warmup_s, rate;
    int fetch_weight, book_weight;
    /* A fleet (segment.h, startgate.h): connections and rate above are this segment's share already. */
    br_segment segment;     /* count 0: not segmented */
    long total_connections; /* the whole load's, as given */
    double total_rate;
    const char *start_when_ready; /* the starter's URL, or NULL */
    int64_t start_at_wall_us;     /* 0: none */
    double start_timeout_s;
    /* what the load leaves besides load.json */
    const char *thresholds[BR_THRESHOLD_MAX];
    size_t threshold_count;
    int no_oracle, history_plain;
    long runs; /* --runs N: N loads one after another, each into OUT/run-K (default 1: into OUT) */
    const char *csv_path, *openmetrics_path;
} br_load_options;

/*
 * Parses a --mix value: "fetch_slots=10,book=1", "book=1", "fetch_slots=1" (an
 * operation left out weighs 0). Returns 0, or -1 for unknown names, repeats,
 * weights outside 0..1000000 or all weights 0.
 */
int br_load_parse_mix(const char *text, int *fetch_weight, int *book_weight);

/* What one booking request asks for, index-aligned with the booking requests. */
typedef struct {
    int actor;
    char inspector[BR_NAME_MAX];
    int64_t start_us, end_us;
} br_load_booking;

typedef struct {
    br_scenario *sc; /* NULL for --url */
    br_target *tg;
    const char *target_path; /* the profile's file: --target or the default */
    char target_buf[4200];
    char run_id[17], run_tag[48];
    char first_day[11], end_day[11]; /* the days the bookings fall in: [first_day, end_day) */
    br_load_request *requests;       /* [fetches..., bookings...] */
    size_t request_count, fetch_count, book_count;
    br_load_booking *bookings;
    int fetch_weight, book_weight, connections; /* for br_load_pick_mix */
    br_segment_plan segment; /* the days and actors this segment books (all of them when not segmented) */
} br_load_plan;

/*
 * Makes the plan for |opt| and fills |cfg|'s addresses, requests and picker.
 * Returns BR_EXIT_HELD, or an exit code (BR_EXIT_USAGE, BR_EXIT_TARGET) after
 * saying why on stderr. Free with br_load_plan_free either way.
 */
int br_load_plan_make(const br_load_options *opt, br_load_plan *plan, br_load_config *cfg);
void br_load_plan_free(br_load_plan *plan);

/*
 * The mix's picker: requests are [fetches..., bookings...]; each connection walks
 * the bookings in its own interleaved stripe, so concurrent connections ask for
 * neighbouring, overlapping slots at the same time.
 */
size_t br_load_pick_mix(void *plan, int connection, uint64_t seq);

/*
 * A blocking GET with libcurl, for set-up and read-back around the load (never
 * the load itself). |headers| are "Name: value" lines. Returns the body
 * (NUL-terminated, caller frees; at most 8 MiB) or NULL with |err|; |status| is 0
 * when no response came.
 */
char *br_load_http_get(const char *url, char *const *headers, size_t header_count, long timeout_ms,
                       long *status, char *err, size_t errlen);

#endif
