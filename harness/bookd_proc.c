/*
 * Starting and stopping bookd processes (bookd_proc.h): the matrix's pods and
 * the integration tests' servers. bookd is started on 127.0.0.1 port 0, so
 * parallel cells never fight over a port, and the port is read from the one
 * line bookd prints once it listens; a bookd that exits or stays silent instead
 * is reported with its exit status or the time waited, never waited for
 * forever. Also where bookd is looked for: next to the running executable.
 */
#include "bookd_proc.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Spawns |bin| (searched in PATH when it has no '/') with stdout on a pipe. 0, or -1 with |err|. */
static int spawn(br_server *s, const char *bin, const char *const *args, char *err, size_t errlen)
{
    const char *argv[64];
    int n = 0, fds[2];
    argv[n++] = bin;
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (pipe(fds) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    int rc = posix_spawnp(&s->pid, bin, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    if (rc != 0) {
        close(fds[0]);
        s->pid = -1;
        snprintf(err, errlen, "cannot start %s: %s", bin, strerror(rc));
        return -1;
    }
    s->stdout_fd = fds[0];
    return 0;
}

/*
 * Reads the first line into s->line within |timeout_ms| in all. 0; 1 when stdout closed first (the process
 * exited); -1 when the time ran out.
 */
static int read_first_line(br_server *s, int timeout_ms)
{
    int64_t deadline = monotonic_ms() + timeout_ms;
    size_t len = 0;
    int rc = 0;
    while (len + 1 < sizeof(s->line)) {
        int64_t left = deadline - monotonic_ms();
        struct pollfd p = {.fd = s->stdout_fd, .events = POLLIN};
        int ready = left > 0 ? poll(&p, 1, (int)left) : 0;
        if (ready < 0 && errno == EINTR)
            continue;
        ssize_t got = ready == 1 ? read(s->stdout_fd, s->line + len, 1) : -1;
        if (got != 1) {
            rc = got == 0 ? 1 : -1;
            break;
        }
        if (s->line[len] == '\n')
            break;
        len++;
    }
    s->line[len] = '\0';
    return rc;
}

int br_server_start(br_server *s, const char *bin, const char *const *args, int timeout_ms, char *err,
                    size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->pid = -1;
    if (spawn(s, bin, args, err, errlen) != 0)
        return -1;
    int rc = read_first_line(s, timeout_ms);
    if (rc != 0) {
        char printed[sizeof(s->line) + 32];
        snprintf(printed, sizeof(printed), "%s%s", s->line[0] ? "it printed: " : "it printed nothing",
                 s->line);
        int status = br_server_stop(s);
        if (rc > 0)
            snprintf(err, errlen, "%s exited with status %d before listening (%s; its reason is on stderr)",
                     bin, status, printed);
        else
            snprintf(err, errlen, "%s did not start listening within %d ms (%s)", bin, timeout_ms, printed);
        return -1;
    }
    const char *at = strstr(s->line, "listening on ");
    const char *colon = at ? strchr(at + 13, ':') : NULL;
    const char *space = colon ? strchr(colon, ' ') : NULL;
    s->port = colon ? atoi(colon + 1) : 0;
    if (colon == NULL || space == NULL || s->port <= 0) {
        snprintf(err, errlen, "unexpected first line from %s: %s", bin, s->line);
        br_server_stop(s);
        return -1;
    }
    return 0;
}

int br_server_stop(br_server *s)
{
    int status = 0;
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(s->stdout_fd);
    s->pid = -1;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int br_path_next_to_exe(const char *rel, char *buf, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL)
        return -1;
    *slash = '\0';
    snprintf(buf, cap, "%s/%s", exe, rel);
    return access(buf, R_OK) == 0 ? 0 : -1;
}

void br_default_bookd_path(char *buf, size_t cap)
{
    if (br_path_next_to_exe("bookd", buf, cap) != 0)
        snprintf(buf, cap, "bookd");
}
