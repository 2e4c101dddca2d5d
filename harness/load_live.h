/*
 * What `bookrace load` does with each request as it ends, on the load thread
 * that sent it: one record into the streamed history (history.c) and, for a
 * booking that may have taken effect, one entry in the online oracle
 * (interval.c). Nothing per request is kept in memory, so a run of any length
 * fits in the same RSS. It also watches the thresholds marked ",abort" that
 * can fail for good mid-run (error counts, max latency) and ends the run
 * early when one does.
 *
 * With --no-oracle the observer does nothing at all: the same load without
 * history or oracle, for measuring what they cost (bench/load-memory.sh).
 */
#ifndef BR_LOAD_LIVE_H
#define BR_LOAD_LIVE_H

#include "history.h"
#include "interval.h"
#include "load_plan.h"
#include "loadgen.h"
#include "threshold.h"

#include <stdatomic.h>

typedef struct {
    const br_load_plan *plan;
    const br_load_config *cfg;
    br_history_writer *history; /* NULL: no history (--no-oracle) */
    br_interval_oracle *oracle; /* NULL: no oracle (--no-oracle, or --url) */
    const char **actor_names;   /* the scenario's actors, for the oracle's texts */
    /* thresholds with ",abort" watched during the run */
    const br_threshold *thresholds;
    size_t threshold_count;
    _Atomic uint64_t errors[BR_LOAD_MAX_OPS];
    _Atomic int64_t max_us[BR_LOAD_MAX_OPS];
    atomic_int end_early;
    char abort_reason[BR_THRESHOLD_TEXT_MAX + 64];
    atomic_int aborted_once;
} br_load_live;

/*
 * Sets up |live| for the plan: opens the history at |history_path| (NULL: none)
 * and the oracle (when |oracle| and the plan has bookings). Installs the
 * observer into |cfg|. Returns 0, or -1 with |err| (the history file).
 */
int br_load_live_start(br_load_live *live, const br_load_plan *plan, br_load_config *cfg,
                       const char *history_path, int compress, int oracle, const br_threshold *thresholds,
                       size_t threshold_count, char *err, size_t errlen);

/* The observer (br_load_observer). */
void br_load_live_observe(void *arg, const br_load_event *ev);

/*
 * After the run: appends the ground truth to the history, closes it, and runs
 * the final verdict of the online oracle into |out|. Returns 0, or -1 with
 * |err| when the history could not be written.
 */
int br_load_live_finish(br_load_live *live, const br_truth_booking *truth, size_t truth_count,
                        int truth_checked, const char *truth_note, br_violations *out,
                        br_history_stats *stats, char *err, size_t errlen);

void br_load_live_free(br_load_live *live);

#endif
