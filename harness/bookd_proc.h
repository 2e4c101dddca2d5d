/* Starting and stopping bookd processes for the matrix (and anything else that needs a live server). */
#ifndef BR_BOOKD_PROC_H
#define BR_BOOKD_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int stdout_fd;
    int port;
    char line[512]; /* the "bookd listening on ..." line */
} br_server;

/*
 * Starts |bin| with |args| (NULL-terminated; "--listen 127.0.0.1:0" is added)
 * and waits up to |timeout_ms| for its listening line. stderr is inherited.
 * Returns 0, or -1 with the reason in |err|.
 */
int br_server_start(br_server *s, const char *bin, const char *const *args, int timeout_ms, char *err,
                    size_t errlen);

/* SIGTERM, then waits; returns the exit status (128+signal when killed). */
int br_server_stop(br_server *s);

/* The bookd next to the running executable, or "bookd" when there is none. */
void br_default_bookd_path(char *buf, size_t cap);

/*
 * Writes "<folder of the running executable>/<rel>" into |buf| and returns 0
 * when that file exists, -1 otherwise (|buf| then undefined).
 */
int br_path_next_to_exe(const char *rel, char *buf, size_t cap);

#endif
