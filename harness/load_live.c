/*
 * The per-request work of `bookrace load` (see load_live.h). It runs on the
 * load threads, so it takes no lock for the common case: a history record
 * goes into the thread's own buffer, and only a booking that may have taken
 * effect (a few per offered slot over the whole run) enters the oracle's
 * mutex. A booking's id is parsed from its response only when it succeeded.
 */
#include "load_live.h"

#include "alloc.h"
#include "iso8601.h"
#include "jsonptr.h"
#include "util.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static char *history_header(const br_load_plan *plan, const br_load_config *cfg)
{
    json_t *ops = json_array(), *actors = json_array();
    for (int o = 0; o < cfg->op_count; o++)
        json_array_append_new(ops, json_string(cfg->op_names[o]));
    for (size_t a = 0; plan->sc && a < plan->sc->actor_count; a++)
        json_array_append_new(actors, json_string(plan->sc->actors[a].name));
    char started[BR_TIME_BUFSIZE];
    br_time_format(br_wall_us(), started);
    json_t *h = json_pack("{s:s, s:o, s:o, s:s, s:s, s:s}", "runId", plan->run_id, "ops", ops, "actors",
                          actors, "scenario", plan->sc ? plan->sc->name : "", "target",
                          plan->tg ? plan->tg->name : "", "startedAt", started);
    char *text = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    return text;
}

int br_load_live_start(br_load_live *live, const br_load_plan *plan, br_load_config *cfg,
                       const char *history_path, int compress, int oracle, const br_threshold *thresholds,
                       size_t threshold_count, char *err, size_t errlen)
{
    memset(live, 0, sizeof(*live));
    live->plan = plan;
    live->cfg = cfg;
    live->thresholds = thresholds;
    live->threshold_count = threshold_count;
    cfg->observe = br_load_live_observe;
    cfg->observe_arg = live;
    cfg->end_early = &live->end_early;
    if (history_path != NULL) {
        char *header = history_header(plan, cfg);
        live->history = br_history_open(history_path, cfg->threads, header, compress, err, errlen);
        free(header);
        if (live->history == NULL)
            return -1;
    }
    if (oracle && plan->sc != NULL && plan->book_count > 0) {
        live->actor_names = xcalloc(plan->sc->actor_count + 1, sizeof(char *));
        for (size_t a = 0; a < plan->sc->actor_count; a++)
            live->actor_names[a] = plan->sc->actors[a].name;
        live->oracle = br_interval_new(live->actor_names, plan->sc->actor_count);
    }
    return 0;
}

/* The outcome of a request of operation |op| (the profile's classification; for --url, 2xx). */
static br_outcome outcome_of(const br_load_plan *plan, int op, int status)
{
    if (plan->tg == NULL)
        return status == 0                     ? BR_OUTCOME_INFO
               : status >= 200 && status < 300 ? BR_OUTCOME_OK
                                               : BR_OUTCOME_FAIL;
    return br_outcome_of(&plan->tg->ops[op == 1 ? BR_OP_BOOK : BR_OP_FETCH_SLOTS], status);
}

static void booking_id(const br_load_plan *plan, const br_load_event *ev, char *out, size_t cap)
{
    out[0] = '\0';
    if (ev->body == NULL)
        return;
    json_error_t je;
    json_t *doc = json_loadb(ev->body, ev->body_len, 0, &je);
    char buf[64];
    const char *id =
        doc ? br_json_pointer_text(doc, plan->tg->ops[BR_OP_BOOK].ptr_id, buf, sizeof(buf)) : NULL;
    if (id)
        snprintf(out, cap, "%s", id);
    json_decref(doc);
}

/* Counts errors and the max latency for the ",abort" thresholds; ends the run when one failed for good. */
static void watch_thresholds(br_load_live *l, int op, const br_load_event *ev)
{
    int changed = 0;
    if (ev->status == 0 || ev->status >= 500) {
        atomic_fetch_add(&l->errors[op], 1);
        changed = 1;
    }
    int64_t lat = ev->complete_us - ev->send_us, seen = atomic_load(&l->max_us[op]);
    while (ev->status != 0 && lat > seen && !atomic_compare_exchange_weak(&l->max_us[op], &seen, lat))
        ;
    changed |= ev->status != 0 && lat > seen;
    if (!changed)
        return;
    for (size_t i = 0; i < l->threshold_count; i++) {
        const br_threshold *t = &l->thresholds[i];
        if (!t->abort || (t->metric != BR_TM_ERRORS && t->metric != BR_TM_MAX))
            continue;
        int all = strcmp(t->op, "all") == 0;
        double v = 0;
        for (int o = 0; o < l->cfg->op_count; o++) {
            if (!all && strcmp(l->cfg->op_names[o], t->op) != 0)
                continue;
            double x = t->metric == BR_TM_ERRORS ? (double)atomic_load(&l->errors[o])
                                                 : (double)atomic_load(&l->max_us[o]);
            v = t->metric == BR_TM_ERRORS ? v + x : (x > v ? x : v);
        }
        int holds = t->cmp == BR_CMP_LT ? v < t->value : t->cmp == BR_CMP_LE ? v <= t->value : 1;
        if (!holds && atomic_exchange(&l->aborted_once, 1) == 0) {
            snprintf(l->abort_reason, sizeof(l->abort_reason), "%s (observed %.0f)", t->text, v);
            atomic_store(&l->end_early, 1);
        }
    }
}

void br_load_live_observe(void *arg, const br_load_event *ev)
{
    br_load_live *l = arg;
    int op = l->cfg->requests[ev->request].op;
    if (l->threshold_count > 0)
        watch_thresholds(l, op, ev);
    if (l->history == NULL && l->oracle == NULL)
        return;
    const br_load_plan *plan = l->plan;
    br_outcome outcome = outcome_of(plan, op, ev->status);
    br_history_record r;
    r.type = outcome == BR_OUTCOME_OK ? BR_HREC_OK : outcome == BR_OUTCOME_FAIL ? BR_HREC_FAIL : BR_HREC_INFO;
    r.op = op;
    r.conn = ev->connection;
    r.invoke_us = ev->send_us;
    r.t_us = ev->complete_us;
    r.status = ev->status;
    r.inspector[0] = r.id[0] = '\0';
    r.actor = plan->sc ? (int)(ev->request % plan->sc->actor_count) : -1;
    if (plan->sc && ev->request >= plan->fetch_count) {
        const br_load_booking *b = &plan->bookings[ev->request - plan->fetch_count];
        r.actor = b->actor;
        memcpy(r.inspector, b->inspector, sizeof(r.inspector));
        r.start_us = b->start_us;
        r.end_us = b->end_us;
        if (outcome == BR_OUTCOME_OK)
            booking_id(plan, ev, r.id, sizeof(r.id));
        if (l->oracle && outcome != BR_OUTCOME_FAIL) {
            br_interval_booking ib = {.actor = r.actor,
                                      .outcome = outcome,
                                      .status = ev->status,
                                      .inspector = r.inspector,
                                      .id = r.id,
                                      .start_us = r.start_us,
                                      .end_us = r.end_us,
                                      .invoke_us = ev->send_us,
                                      .complete_us = ev->complete_us};
            br_interval_add(l->oracle, &ib);
        }
    }
    if (l->history)
        br_history_append(l->history, ev->thread, &r);
}

int br_load_live_finish(br_load_live *live, const br_truth_booking *truth, size_t truth_count,
                        int truth_checked, const char *truth_note, br_violations *out,
                        br_history_stats *stats, char *err, size_t errlen)
{
    if (live->oracle)
        br_interval_finish(live->oracle, truth, truth_count, truth_checked, out);
    if (live->history == NULL)
        return 0;
    for (size_t i = 0; truth_checked && i < truth_count; i++) {
        const br_truth_booking *t = &truth[i];
        br_history_record r = {.type = BR_HREC_TRUTH,
                               .actor = -1,
                               .start_us = t->start_us,
                               .end_us = t->end_us,
                               .active = t->active,
                               .ours = t->ours};
        snprintf(r.inspector, sizeof(r.inspector), "%s", t->inspector);
        snprintf(r.id, sizeof(r.id), "%s", t->id);
        br_history_append(live->history, 0, &r);
    }
    int rc = br_history_close(live->history, truth_checked, truth_note, stats, err, errlen);
    live->history = NULL;
    return rc;
}

void br_load_live_free(br_load_live *live)
{
    if (live->history) {
        char err[256];
        br_history_close(live->history, 0, "not finished", NULL, err, sizeof(err));
    }
    br_interval_free(live->oracle);
    free(live->actor_names);
    memset(live, 0, sizeof(*live));
}
