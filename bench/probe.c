/*
 * bench/probe: a one-thread epoll HTTP server that records when the final
 * byte of each POST arrived, as the kernel's receive timestamp of the segment
 * that carried it (SO_TIMESTAMPNS via recvmsg), not the time this loop got
 * round to it: a serial server would otherwise add its own processing to the
 * spread it measures.
 *
 *   GET  /slots          a fixed slot list, so bookrace can pick and book
 *   POST /book           records the arrival, answers 201 {"id": N}
 *   GET  /stats          the recorded arrivals (ns) since the last /stats, as JSON, and forgets them
 *
 * usage: probe PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARRIVALS 65536

typedef struct {
    int fd;
    char buf[65536];
    size_t len;
} conn;

static int64_t arrivals[MAX_ARRIVALS];
static size_t arrival_count;
static long next_id;

static void reply(int fd, int status, const char *body)
{
    char out[1 << 20];
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     status, strlen(body), body);
    if (write(fd, out, (size_t)n) < 0)
        perror("write");
}

static void handle(conn *c, int64_t last_ts)
{
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (end == NULL)
            return;
        size_t head = (size_t)(end - c->buf) + 4, body = 0;
        char *cl = strcasestr(c->buf, "\r\ncontent-length:");
        if (cl && cl < end)
            body = (size_t)atol(cl + 17);
        if (c->len < head + body)
            return;
        if (strncmp(c->buf, "POST /book", 10) == 0) {
            if (arrival_count < MAX_ARRIVALS)
                arrivals[arrival_count++] = last_ts;
            char b[64];
            snprintf(b, sizeof(b), "{\"id\":%ld}", ++next_id);
            reply(c->fd, 201, b);
        } else if (strncmp(c->buf, "GET /slots", 10) == 0) {
            reply(c->fd, 200,
                  "{\"slots\":[{\"inspectorId\":\"probe\",\"datetime\":\"2026-12-01T09:00:00Z\","
                  "\"endtime\":\"2026-12-01T10:00:00Z\"}]}");
        } else if (strncmp(c->buf, "GET /stats", 10) == 0) {
            static char out[MAX_ARRIVALS * 24 + 64];
            size_t n = (size_t)snprintf(out, sizeof(out), "{\"arrivalsNs\":[");
            for (size_t i = 0; i < arrival_count; i++)
                n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%lld", i ? "," : "",
                                      (long long)arrivals[i]);
            snprintf(out + n, sizeof(out) - n, "]}");
            arrival_count = 0;
            reply(c->fd, 200, out);
        } else {
            reply(c->fd, 404, "{}");
        }
        memmove(c->buf, c->buf + head + body, c->len - head - body);
        c->len -= head + body;
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: probe PORT\n");
        return 2;
    }
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* Set on the listener, so accepted sockets timestamp their very first segment too. */
    setsockopt(ls, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 4096) != 0) {
        perror("probe: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    printf("probe listening on 127.0.0.1:%s\n", argv[1]);
    fflush(stdout);
    for (;;) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.ptr == NULL) {
                int fd = accept(ls, NULL, NULL);
                if (fd < 0)
                    continue;
                setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                conn *c = calloc(1, sizeof(conn));
                c->fd = fd;
                struct epoll_event ce = {.events = EPOLLIN, .data.ptr = c};
                epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
                continue;
            }
            conn *c = evs[i].data.ptr;
            char control[256];
            struct iovec iov = {.iov_base = c->buf + c->len, .iov_len = sizeof(c->buf) - c->len};
            struct msghdr msg = {
                .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
            ssize_t got = recvmsg(c->fd, &msg, 0);
            if (got <= 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                free(c);
                continue;
            }
            int64_t ts = 0;
            for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
                if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
                    struct timespec t;
                    memcpy(&t, CMSG_DATA(cm), sizeof(t));
                    ts = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
                }
            if (ts == 0) {
                /* No kernel timestamp on this read: fall back to now, and say so. */
                struct timespec t;
                clock_gettime(CLOCK_REALTIME, &t);
                ts = (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
                fprintf(stderr, "probe: a read without a kernel timestamp\n");
            }
            c->len += (size_t)got;
            handle(c, ts);
        }
    }
}
