/*
 * The oracle: decides from a recorded history (and, when the target can list
 * its bookings, from the ground truth) whether the invariant held:
 *   no two acknowledged bookings of one inspector overlap;
 *   no acknowledged booking is lost.
 * Pure functions over plain data, so `bookrace check` re-runs it on a saved
 * run and the unit tests feed it hand-written histories. See docs/oracle.md.
 */
#ifndef BR_ORACLE_H
#define BR_ORACLE_H

#include "target.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { BR_OUTCOME_OK, BR_OUTCOME_FAIL, BR_OUTCOME_INFO } br_outcome;

const char *br_outcome_name(br_outcome outcome);

/*
 * How a response to |op| counts in the history: success ok, conflict and other
 * 4xx fail, everything else (5xx, or |status| 0: no response) indeterminate.
 */
br_outcome br_outcome_of(const br_operation *op, long status);

/* One completed operation of the history. Times are microseconds since the run started. */
typedef struct {
    int index;
    int actor;
    char actor_name[BR_NAME_MAX];
    int step;
    br_op_kind op;
    br_outcome outcome;
    long status; /* 0 when no response arrived */
    char inspector[BR_NAME_MAX];
    int64_t start_us, end_us; /* the booked or held range; 0 when none */
    char id[BR_ID_MAX]; /* the booking or hold id from the response; for cancel, the cancelled booking */
    int64_t invoke_us, complete_us;
    int64_t invoke_scenario_us, complete_scenario_us; /* plus time moved by advance steps */
    int expect; /* the outcome the scenario requires (br_outcome), or -1 for any */
} br_op_record;

/* A booking as the target lists it afterwards. */
typedef struct {
    char id[BR_ID_MAX];
    char inspector[BR_NAME_MAX];
    int64_t start_us, end_us;
    int active; /* not cancelled */
    int ours;   /* 1 when its tag marks it as this run's, 0 when not, -1 when the profile has no tag */
} br_truth_booking;

typedef enum {
    BR_VIOLATION_DOUBLE_BOOKING,        /* from the history */
    BR_VIOLATION_DOUBLE_BOOKING_STORED, /* two active stored bookings overlap */
    BR_VIOLATION_LOST,                  /* an acknowledged booking is missing or no longer active */
    BR_VIOLATION_UNEXPECTED,            /* a stored booking of this run that no request created */
    BR_VIOLATION_OUTCOME,               /* an outcome the scenario ruled out, e.g. a false conflict */
} br_violation_kind;

const char *br_violation_kind_name(br_violation_kind kind);

typedef struct {
    br_violation_kind kind;
    int op_a, op_b; /* history indexes involved, -1 when none */
    char text[768]; /* one line, the way an engineer would write it up */
} br_violation;

/*
 * At most this many violations of each kind are listed (a lost booking is
 * never crowded out by pairs); every one is counted in |total|.
 * A broken backend under load acknowledges every request: n bookings of one
 * slot are n(n-1)/2 double-booking pairs, and listing them all took 3.4 GB
 * for a 2-second load of 8 connections (measured on bookd --fix none).
 */
#define BR_VIOLATIONS_LISTED_MAX 1000

typedef struct {
    br_violation *items; /* the first BR_VIOLATIONS_LISTED_MAX found, in the oracle's order */
    size_t count, cap;
    size_t total;          /* found, listed or not */
    size_t listed[5];      /* listed, by br_violation_kind */
    br_violation unlisted; /* where a violation past the limit is written, then dropped */
} br_violations;

void br_violations_free(br_violations *v);

/*
 * Appends a violation with an empty text for the caller to write. Past the
 * listing limit it counts it and returns the scratch entry. Never NULL.
 */
br_violation *br_violations_add(br_violations *v, br_violation_kind kind, int op_a, int op_b);

/*
 * Checks the history of one trial. |truth| may be NULL (the target cannot
 * list bookings). Appends what it finds to |out|; returns the number found.
 */
size_t br_oracle_check(const br_op_record *ops, size_t op_count, const br_truth_booking *truth,
                       size_t truth_count, int truth_checked, br_violations *out);

#endif
