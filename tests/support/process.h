/*
 * Test support: starts a program (bookd, bookrace) as a real child process,
 * reads the line it prints when ready, and stops it again.
 */
#ifndef TEST_PROCESS_H
#define TEST_PROCESS_H

#include <sys/types.h>

typedef struct {
    pid_t pid;
    int stdout_fd;
    int port;       /* parsed from "listening on HOST:PORT", or 0 */
    char line[512]; /* the first line printed */
} test_process;

/* The bookd binary (BOOKD_BIN, set by CTest) and a scratch folder (TEST_TMPDIR). */
const char *test_bookd_bin(void);
/* The bookrace binary (BOOKRACE_BIN, set by CTest). */
const char *test_bookrace_bin(void);
/* |rel| under the source tree (BOOKRACE_SOURCE_DIR, set by CTest) written into |buf|; returns |buf|. */
const char *test_source_path(const char *rel, char *buf, size_t cap);
/* Writes a fresh, unique path under the scratch folder into |out|. */
void test_temp_path(char *out, size_t cap, const char *suffix);
/* Removes a SQLite database and its -wal / -shm files. */
void test_remove_db(const char *path);

/*
 * Starts bookd with the given NULL-terminated extra arguments, on 127.0.0.1
 * port 0, and waits (at most 10 s) for its "listening" line. Fails the test
 * when it does not come.
 */
void test_bookd_start(test_process *p, const char *const *args);

/* Sends |sig|, waits for the exit and returns the exit status (128+signal when killed). */
int test_process_stop(test_process *p, int sig);

/* Runs a program to completion, capturing stdout+stderr (at most |cap| bytes) into |out|; returns its exit
 * code. */
int test_run(const char *const *argv, char *out, size_t cap);

#endif
