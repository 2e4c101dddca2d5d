/*
 * Helpers without another home (see util.h): kept here so that each exists
 * once, with a unit test (tests/unit/test_util.c).
 */
#include "util.h"

#include "alloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int64_t br_wall_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

void br_new_run_id(char out[17])
{
    uint32_t rnd = 0;
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint32_t)br_wall_us() ^ (uint32_t)getpid();
    snprintf(out, 17, "%08x", rnd);
}

int br_cpu_count(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : (int)cpus;
}

int br_default_race_threads(size_t actor_count)
{
    size_t cpus = (size_t)br_cpu_count();
    size_t n = actor_count < cpus ? actor_count : cpus;
    return n < 1 ? 1 : (int)n;
}

void br_default_out_dir(char *buf, size_t cap, const char *name)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char stamp[32];
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    snprintf(buf, cap, "results/%s-%s", stamp, name);
    struct stat st;
    for (int i = 2; stat(buf, &st) == 0 && i < 1000; i++)
        snprintf(buf, cap, "results/%s-%s-%d", stamp, name, i);
}

char *br_read_file(const char *path, size_t *len)
{
    FILE *in = fopen(path, "rb");
    if (in == NULL)
        return NULL;
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            data = xrealloc(data, cap);
        }
        size_t got = fread(data + n, 1, cap - n - 1, in);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(in);
    int saved = errno;
    fclose(in);
    if (failed) {
        free(data);
        errno = saved;
        return NULL;
    }
    data[n] = '\0';
    *len = n;
    return data;
}
