/*
 * bench/jitter-relay: a userspace TCP relay that adds what a real network path
 * adds and loopback hides, per-connection jitter. Each chunk read from one
 * side is written to the other after a random delay of 0..MAX_DELAY_US
 * (default 2000), drawn per chunk, so two connections' chunks read at the same
 * moment leave up to MAX_DELAY_US apart, while one connection's chunks keep
 * their order (a chunk never overtakes the one before it). There is no tc
 * netem on the bench machine; this stands in for it, for bench/ only.
 *
 * One thread, poll(2) with nanosecond timeouts (ppoll) and 1 ns timer slack,
 * so the delays it adds are the ones it drew, not its own scheduling.
 *
 *   usage: jitter-relay LISTEN_PORT TARGET_PORT [MAX_DELAY_US] [SEED]
 *   (both on 127.0.0.1; prints "relay listening on ..." when ready)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAIRS 512
#define CHUNK 65536

typedef struct chunk {
    struct chunk *next;
    int64_t due_us;
    size_t len;
    char data[];
} chunk;

typedef struct {
    int from, to; /* file descriptors */
    chunk *head, *tail;
    int64_t last_due_us;
} direction;

typedef struct {
    direction dir[2]; /* client to server, server to client */
    int open;
} pair;

static pair pairs[MAX_PAIRS];
static int64_t max_delay_us = 2000;

static int64_t now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int connect_target(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        close(fd);
        return -1;
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void close_pair(pair *p)
{
    for (int d = 0; d < 2; d++)
        while (p->dir[d].head) {
            chunk *c = p->dir[d].head;
            p->dir[d].head = c->next;
            free(c);
        }
    close(p->dir[0].from);
    close(p->dir[0].to);
    memset(p, 0, sizeof(*p));
}

static void accept_pair(int ls, int target_port)
{
    int one = 1, cfd = accept(ls, NULL, NULL);
    if (cfd < 0)
        return;
    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int sfd = connect_target(target_port);
    for (int i = 0; i < MAX_PAIRS && sfd >= 0; i++)
        if (!pairs[i].open) {
            pairs[i] = (pair){.open = 1};
            pairs[i].dir[0] = (direction){.from = cfd, .to = sfd};
            pairs[i].dir[1] = (direction){.from = sfd, .to = cfd};
            return;
        }
    close(cfd);
    if (sfd >= 0)
        close(sfd);
}

/* Reads one chunk and queues it with its delay; -1 when the side closed. */
static int read_chunk(direction *d)
{
    char buf[CHUNK];
    ssize_t n = read(d->from, buf, sizeof(buf));
    if (n <= 0)
        return -1;
    chunk *c = malloc(sizeof(chunk) + (size_t)n);
    c->next = NULL;
    c->len = (size_t)n;
    memcpy(c->data, buf, (size_t)n);
    c->due_us = now_us() + (int64_t)(random() % (max_delay_us + 1));
    if (c->due_us < d->last_due_us)
        c->due_us = d->last_due_us; /* keep the stream's order */
    d->last_due_us = c->due_us;
    if (d->tail)
        d->tail->next = c;
    else
        d->head = c;
    d->tail = c;
    return 0;
}

/* Writes every chunk that is due; returns the next due time, or INT64_MAX. */
static int64_t flush_due(void)
{
    int64_t next = INT64_MAX, t = now_us();
    for (int i = 0; i < MAX_PAIRS; i++)
        for (int d = 0; pairs[i].open && d < 2; d++) {
            direction *dir = &pairs[i].dir[d];
            while (dir->head && dir->head->due_us <= t) {
                chunk *c = dir->head;
                size_t off = 0;
                while (off < c->len) {
                    ssize_t w = write(dir->to, c->data + off, c->len - off);
                    if (w <= 0)
                        break;
                    off += (size_t)w;
                }
                dir->head = c->next;
                if (dir->head == NULL)
                    dir->tail = NULL;
                free(c);
            }
            if (dir->head && dir->head->due_us < next)
                next = dir->head->due_us;
        }
    return next;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: jitter-relay LISTEN_PORT TARGET_PORT [MAX_DELAY_US] [SEED]\n");
        return 2;
    }
    int target_port = atoi(argv[2]);
    if (argc >= 4)
        max_delay_us = atoll(argv[3]);
    srandom(argc == 5 ? (unsigned)atoi(argv[4]) : (unsigned)getpid());
    signal(SIGPIPE, SIG_IGN);
    prctl(PR_SET_TIMERSLACK, 1UL);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 1024) != 0) {
        perror("jitter-relay: listen");
        return 1;
    }
    printf("relay listening on 127.0.0.1:%s, to 127.0.0.1:%d, 0-%lld us per chunk\n", argv[1], target_port,
           (long long)max_delay_us);
    fflush(stdout);
    static struct pollfd pf[2 * MAX_PAIRS + 1];
    static direction *owner[2 * MAX_PAIRS + 1];
    static int owner_pair[2 * MAX_PAIRS + 1];
    for (;;) {
        int64_t next = flush_due();
        nfds_t n = 0;
        pf[n++] = (struct pollfd){.fd = ls, .events = POLLIN};
        for (int i = 0; i < MAX_PAIRS; i++)
            for (int d = 0; pairs[i].open && d < 2; d++) {
                owner[n] = &pairs[i].dir[d];
                owner_pair[n] = i;
                pf[n++] = (struct pollfd){.fd = pairs[i].dir[d].from, .events = POLLIN};
            }
        int64_t wait = next == INT64_MAX ? 1000000 : next - now_us();
        struct timespec ts = {.tv_sec = wait > 0 ? wait / 1000000 : 0,
                              .tv_nsec = wait > 0 ? (wait % 1000000) * 1000 : 0};
        if (ppoll(pf, n, &ts, NULL) < 0 && errno != EINTR)
            return 1;
        if (pf[0].revents & POLLIN)
            accept_pair(ls, target_port);
        for (nfds_t i = 1; i < n; i++)
            if (pf[i].revents && pairs[owner_pair[i]].open && read_chunk(owner[i]) != 0)
                close_pair(&pairs[owner_pair[i]]);
    }
}
