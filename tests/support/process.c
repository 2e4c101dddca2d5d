/*
 * Test support (process.h): real child processes for integration tests. bookd
 * is started through bookd_proc.c, the same start-up the matrix uses, and
 * every child is tracked so that one a failed assertion left running is
 * killed when the test program exits.
 */
#include "process.h"

#include "bookd_proc.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/*
 * Every child still running when the test program exits is killed: a failed
 * assertion jumps out of a test before it can stop its servers, and a
 * leftover server would keep CTest's output pipe open until the timeout.
 */
#define MAX_CHILDREN 64
static pid_t children[MAX_CHILDREN];

static void kill_leftover_children(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
        }
}

static void track_child(pid_t pid)
{
    static int registered;
    if (!registered) {
        atexit(kill_leftover_children);
        registered = 1;
    }
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == 0) {
            children[i] = pid;
            return;
        }
}

static void untrack_child(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

const char *test_bookd_bin(void)
{
    const char *bin = getenv("BOOKD_BIN");
    return bin ? bin : "./bookd";
}

const char *test_bookrace_bin(void)
{
    const char *bin = getenv("BOOKRACE_BIN");
    return bin ? bin : "./bookrace";
}

const char *test_source_path(const char *rel, char *buf, size_t cap)
{
    const char *root = getenv("BOOKRACE_SOURCE_DIR");
    snprintf(buf, cap, "%s/%s", root ? root : "..", rel);
    return buf;
}

void test_temp_path(char *out, size_t cap, const char *suffix)
{
    static int counter;
    const char *dir = getenv("TEST_TMPDIR");
    snprintf(out, cap, "%s/t-%d-%d-%ld%s", dir ? dir : "/tmp", (int)getpid(), ++counter, (long)time(NULL),
             suffix);
}

void test_remove_db(const char *path)
{
    char side[1024];
    unlink(path);
    snprintf(side, sizeof(side), "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", path);
    unlink(side);
}

/* Starts |argv| with stdout and stderr on a pipe whose read end goes to |read_fd|. */
static pid_t spawn_with_pipe(const char *const *argv, int *read_fd)
{
    int fds[2];
    if (pipe(fds) != 0)
        fail_msg("pipe: %s", strerror(errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &actions, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0)
        fail_msg("cannot start %s: %s", argv[0], strerror(rc));
    *read_fd = fds[0];
    track_child(pid);
    return pid;
}

void test_bookd_start(test_process *p, const char *const *args)
{
    /* The same start-up bookrace matrix uses: spawn, wait for the listening line, read the port. */
    static const char *const none[] = {NULL};
    br_server s;
    char err[600];
    memset(p, 0, sizeof(*p));
    if (br_server_start(&s, test_bookd_bin(), args ? args : none, 10000, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    track_child(s.pid);
    p->pid = s.pid;
    p->stdout_fd = s.stdout_fd;
    p->port = s.port;
    snprintf(p->line, sizeof(p->line), "%s", s.line);
}

int test_process_stop(test_process *p, int sig)
{
    int status = 0;
    kill(p->pid, sig);
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(p->stdout_fd);
    untrack_child(p->pid);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int test_run(const char *const *argv, char *out, size_t cap)
{
    int fd;
    pid_t pid = spawn_with_pipe(argv, &fd);
    size_t len = 0;
    char scratch[4096];
    for (;;) {
        char *dst = len + 1 < cap ? out + len : scratch;
        size_t room = len + 1 < cap ? cap - len - 1 : sizeof(scratch);
        ssize_t got = read(fd, dst, room);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (dst != scratch)
            len += (size_t)got;
    }
    if (cap)
        out[len] = '\0';
    close(fd);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    untrack_child(pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
