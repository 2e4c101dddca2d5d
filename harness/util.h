/*
 * Small helpers every part of the harness needs and no concept owns: the wall
 * clock, run ids, default thread counts and results folders. One copy each;
 * before this module the wall clock alone was written three times.
 */
#ifndef BR_UTIL_H
#define BR_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Microseconds since the Unix epoch (for timestamps people read; durations use br_monotonic_us). */
int64_t br_wall_us(void);

/* A fresh run id: 8 random hex digits, NUL-terminated, so bookings of different runs never share a tag. */
void br_new_run_id(char out[17]);

/* Online CPUs, at least 1. */
int br_cpu_count(void);

/* The default worker threads for a race: one per actor, at most one per CPU, at least 1. */
int br_default_race_threads(size_t actor_count);

/*
 * "results/<UTC stamp>-<name>" in |buf|, with "-2", "-3"... appended while that
 * folder exists, so two runs in one second never share a folder.
 */
void br_default_out_dir(char *buf, size_t cap, const char *name);

/* The whole file at |path|, NUL-terminated (|len| excludes the NUL); NULL with errno when unreadable. */
char *br_read_file(const char *path, size_t *len);

#endif
