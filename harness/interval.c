/*
 * The online oracle (see interval.h): an open-addressing table from
 * inspector to a start-sorted array of stored bookings. Insertion is a
 * binary search and a memmove: an inspector holds at most a few thousand
 * bookings in any window a load run books (14 days of slots), where a
 * sorted array beats a tree on cache misses and code a reader sees whole.
 */
#include "interval.h"

#include "alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int64_t start_us, end_us, invoke_us, complete_us;
    int actor, status;
    br_outcome outcome;
    char *id;
} entry;

typedef struct {
    char *name;
    entry *items; /* sorted by start_us */
    size_t count, cap;
    int64_t max_len_us; /* the longest stored booking: overlaps start no earlier than start - this */
} inspector;

struct br_interval_oracle {
    pthread_mutex_t lock;
    const char *const *actor_names;
    size_t actor_count;
    inspector *insp;
    size_t insp_count, insp_cap;
    size_t *table; /* index + 1 into insp, 0 = empty; size table_cap (a power of two) */
    size_t table_cap;
    size_t doubles, acknowledged, stored;
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

br_interval_oracle *br_interval_new(const char *const *actor_names, size_t actor_count)
{
    br_interval_oracle *o = xcalloc(1, sizeof(*o));
    pthread_mutex_init(&o->lock, NULL);
    o->actor_names = actor_names;
    o->actor_count = actor_count;
    o->table_cap = 64;
    o->table = xcalloc(o->table_cap, sizeof(size_t));
    return o;
}

void br_interval_free(br_interval_oracle *o)
{
    if (o == NULL)
        return;
    for (size_t i = 0; i < o->insp_count; i++) {
        for (size_t k = 0; k < o->insp[i].count; k++)
            free(o->insp[i].items[k].id);
        free(o->insp[i].items);
        free(o->insp[i].name);
    }
    free(o->insp);
    free(o->table);
    pthread_mutex_destroy(&o->lock);
    free(o);
}

static void rehash(br_interval_oracle *o)
{
    free(o->table);
    o->table_cap *= 2;
    o->table = xcalloc(o->table_cap, sizeof(size_t));
    for (size_t i = 0; i < o->insp_count; i++) {
        size_t h = hash(o->insp[i].name) & (o->table_cap - 1);
        while (o->table[h])
            h = (h + 1) & (o->table_cap - 1);
        o->table[h] = i + 1;
    }
}

static inspector *find_or_add(br_interval_oracle *o, const char *name)
{
    size_t h = hash(name) & (o->table_cap - 1);
    for (; o->table[h]; h = (h + 1) & (o->table_cap - 1))
        if (strcmp(o->insp[o->table[h] - 1].name, name) == 0)
            return &o->insp[o->table[h] - 1];
    if (o->insp_count == o->insp_cap) {
        o->insp_cap = o->insp_cap ? o->insp_cap * 2 : 16;
        o->insp = xreallocarray(o->insp, o->insp_cap, sizeof(inspector));
    }
    inspector *in = &o->insp[o->insp_count++];
    memset(in, 0, sizeof(*in));
    in->name = xstrdup(name);
    o->table[h] = o->insp_count;
    if (o->insp_count * 2 > o->table_cap)
        rehash(o);
    return &o->insp[o->insp_count - 1];
}

/* The first stored booking starting at or after |t|. */
static size_t lower_bound(const inspector *in, int64_t t)
{
    size_t lo = 0, hi = in->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (in->items[mid].start_us < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Acknowledged stored bookings overlapping [start, end), and whether an indeterminate one has this start. */
static size_t overlaps(const inspector *in, int64_t start, int64_t end, int *info_same_start)
{
    size_t n = 0;
    *info_same_start = 0;
    for (size_t i = lower_bound(in, start - in->max_len_us); i < in->count && in->items[i].start_us < end;
         i++) {
        const entry *e = &in->items[i];
        if (e->outcome == BR_OUTCOME_INFO && e->start_us == start)
            *info_same_start = 1;
        n += e->outcome == BR_OUTCOME_OK && e->end_us > start && e->start_us < end;
    }
    return n;
}

static void insert(inspector *in, const br_interval_booking *b)
{
    if (in->count == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 8;
        in->items = xreallocarray(in->items, in->cap, sizeof(entry));
    }
    size_t at = lower_bound(in, b->start_us + 1); /* after equal starts: arrival order among ties */
    memmove(&in->items[at + 1], &in->items[at], (in->count - at) * sizeof(entry));
    in->items[at] = (entry){.start_us = b->start_us,
                            .end_us = b->end_us,
                            .invoke_us = b->invoke_us,
                            .complete_us = b->complete_us,
                            .actor = b->actor,
                            .status = b->status,
                            .outcome = b->outcome,
                            .id = xstrdup(b->id ? b->id : "")};
    in->count++;
    if (b->end_us - b->start_us > in->max_len_us)
        in->max_len_us = b->end_us - b->start_us;
}

size_t br_interval_add(br_interval_oracle *o, const br_interval_booking *b)
{
    if (b->outcome == BR_OUTCOME_FAIL || b->inspector == NULL)
        return 0;
    pthread_mutex_lock(&o->lock);
    inspector *in = find_or_add(o, b->inspector);
    int info_same_start;
    size_t found = overlaps(in, b->start_us, b->end_us, &info_same_start);
    size_t doubles = 0;
    if (b->outcome == BR_OUTCOME_OK) {
        doubles = found;
        o->doubles += found;
        o->acknowledged++;
        insert(in, b);
        o->stored++;
    } else if (!info_same_start) {
        /* One indeterminate booking per inspector and start says all the oracle needs (maybe stored). */
        insert(in, b);
        o->stored++;
    }
    pthread_mutex_unlock(&o->lock);
    return doubles;
}

static size_t locked_read(br_interval_oracle *o, const size_t *field)
{
    pthread_mutex_lock(&o->lock);
    size_t v = *field;
    pthread_mutex_unlock(&o->lock);
    return v;
}

size_t br_interval_double_bookings(br_interval_oracle *o)
{
    return locked_read(o, &o->doubles);
}

size_t br_interval_acknowledged(br_interval_oracle *o)
{
    return locked_read(o, &o->acknowledged);
}

size_t br_interval_stored(br_interval_oracle *o)
{
    return locked_read(o, &o->stored);
}

/* Canonical order, independent of the order threads or a file delivered the bookings in. */
static int canonical(const void *a, const void *b)
{
    const br_op_record *x = a, *y = b;
    if (x->complete_us != y->complete_us)
        return x->complete_us < y->complete_us ? -1 : 1;
    if (x->invoke_us != y->invoke_us)
        return x->invoke_us < y->invoke_us ? -1 : 1;
    int c = strcmp(x->inspector, y->inspector);
    if (c != 0)
        return c;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    if (x->outcome != y->outcome)
        return x->outcome < y->outcome ? -1 : 1;
    if (x->actor != y->actor)
        return x->actor < y->actor ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void to_record(const br_interval_oracle *o, const inspector *in, const entry *e, br_op_record *r)
{
    memset(r, 0, sizeof(*r));
    r->actor = e->actor;
    if (e->actor >= 0 && (size_t)e->actor < o->actor_count)
        snprintf(r->actor_name, sizeof(r->actor_name), "%s", o->actor_names[e->actor]);
    r->op = BR_OP_BOOK;
    r->outcome = e->outcome;
    r->status = e->status;
    snprintf(r->inspector, sizeof(r->inspector), "%s", in->name);
    r->start_us = e->start_us;
    r->end_us = e->end_us;
    snprintf(r->id, sizeof(r->id), "%s", e->id);
    r->invoke_us = r->invoke_scenario_us = e->invoke_us;
    r->complete_us = r->complete_scenario_us = e->complete_us;
    r->expect = -1;
}

size_t br_interval_finish(br_interval_oracle *o, const br_truth_booking *truth, size_t truth_count,
                          int truth_checked, br_violations *out)
{
    pthread_mutex_lock(&o->lock);
    br_op_record *ops = xcalloc(o->stored + 1, sizeof(br_op_record));
    size_t n = 0;
    for (size_t i = 0; i < o->insp_count; i++)
        for (size_t k = 0; k < o->insp[i].count; k++)
            to_record(o, &o->insp[i], &o->insp[i].items[k], &ops[n++]);
    pthread_mutex_unlock(&o->lock);
    qsort(ops, n, sizeof(br_op_record), canonical);
    for (size_t i = 0; i < n; i++)
        ops[i].index = (int)i;
    size_t found = br_oracle_check(ops, n, truth, truth_count, truth_checked, out);
    free(ops);
    return found;
}
