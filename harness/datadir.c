/*
 * The data lookup (datadir.h has the order and why). Everything here is
 * string work over the inputs plus access(2), so the unit test drives every
 * branch with temporary folders; only br_datadir_inputs_current reads the
 * process (environment and /proc/self/exe) and the build configuration.
 */
#include "datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Baked in by harness/CMakeLists.txt; empty when built some other way. */
#ifndef BOOKRACE_CONFIGURED_DATADIR
#define BOOKRACE_CONFIGURED_DATADIR ""
#endif
#ifndef BOOKRACE_BUILD_DIR
#define BOOKRACE_BUILD_DIR ""
#endif
#ifndef BOOKRACE_SOURCE_TREE
#define BOOKRACE_SOURCE_TREE ""
#endif

static int nonempty(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static int add_place(const char **out, size_t *n, size_t max, const char *dir)
{
    if (*n >= max || !nonempty(dir))
        return 0;
    for (size_t i = 0; i < *n; i++)
        if (strcmp(out[i], dir) == 0)
            return 0;
    out[(*n)++] = dir;
    return 1;
}

/* Both folders exist and are the same one (a symlinked or differently spelled build dir counts). */
static int same_dir(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    if (!nonempty(a) || !nonempty(b) || realpath(a, ra) == NULL || realpath(b, rb) == NULL)
        return 0;
    return strcmp(ra, rb) == 0;
}

size_t br_datadir_places(const br_datadir_inputs *in, const char **out, size_t max, char *storage,
                         size_t each)
{
    size_t n = 0;
    add_place(out, &n, max, in->env_datadir);
    add_place(out, &n, max, ".");
    if (nonempty(in->exe_dir) && each > 0) {
        char *up = storage, *share = storage + each;
        snprintf(up, each, "%s/..", in->exe_dir);
        snprintf(share, each, "%s/../share/bookrace", in->exe_dir);
        add_place(out, &n, max, up);
        add_place(out, &n, max, share);
    }
    add_place(out, &n, max, in->configured);
    if (same_dir(in->exe_dir, in->build_dir))
        add_place(out, &n, max, in->source_dir);
    return n;
}

/* Appends ", <path>" (or the first "<path>") to the list of places tried, within |errlen|. */
static void note_tried(char *tried, size_t cap, const char *path)
{
    size_t len = strlen(tried);
    if (len + 1 < cap)
        snprintf(tried + len, cap - len, "%s%s", len ? ", " : "", path);
}

static int try_path(const char *path, char *out, size_t cap, char *tried, size_t tried_cap)
{
    if (access(path, R_OK) == 0 && strlen(path) < cap) {
        memcpy(out, path, strlen(path) + 1);
        return 1;
    }
    note_tried(tried, tried_cap, path);
    return 0;
}

int br_datadir_resolve_in(const br_datadir_inputs *in, const char *given, const char *subdir, char *out,
                          size_t cap, char *err, size_t errlen)
{
    char tried[2048] = "", path[PATH_MAX + 256];
    if (given == NULL || given[0] == '\0') {
        snprintf(err, errlen, "an empty file name");
        return -1;
    }
    if (given[0] == '/' || access(given, F_OK) == 0) {
        if (strlen(given) >= cap) {
            snprintf(err, errlen, "%s: path too long", given);
            return -1;
        }
        memcpy(out, given, strlen(given) + 1);
        return 0;
    }
    note_tried(tried, sizeof(tried), given);
    char storage[2 * (PATH_MAX + 32)];
    const char *places[BR_DATADIR_MAX_PLACES];
    size_t n = br_datadir_places(in, places, BR_DATADIR_MAX_PLACES, storage, sizeof(storage) / 2);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(places[i], ".") != 0) {
            snprintf(path, sizeof(path), "%s/%s", places[i], given);
            if (try_path(path, out, cap, tried, sizeof(tried)))
                return 0;
        }
        if (subdir != NULL && strchr(given, '/') == NULL) {
            snprintf(path, sizeof(path), "%s/%s/%s", places[i], subdir, given);
            if (try_path(strcmp(places[i], ".") ? path : path + 2, out, cap, tried, sizeof(tried)))
                return 0;
        }
    }
    snprintf(err, errlen,
             "cannot find %s; looked in %s (set BOOKRACE_DATADIR to the folder holding scenarios/)", given,
             tried);
    return -1;
}

void br_datadir_inputs_current(br_datadir_inputs *in, char *exe_buf, size_t cap)
{
    memset(in, 0, sizeof(*in));
    in->env_datadir = getenv("BOOKRACE_DATADIR");
    in->configured = BOOKRACE_CONFIGURED_DATADIR;
    in->build_dir = BOOKRACE_BUILD_DIR;
    in->source_dir = BOOKRACE_SOURCE_TREE;
    ssize_t len = cap > 1 ? readlink("/proc/self/exe", exe_buf, cap - 1) : -1;
    if (len <= 0)
        return;
    exe_buf[len] = '\0';
    char *slash = strrchr(exe_buf, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    in->exe_dir = exe_buf;
}

int br_datadir_resolve(const char *given, const char *subdir, char *out, size_t cap, char *err, size_t errlen)
{
    br_datadir_inputs in;
    char exe[PATH_MAX];
    br_datadir_inputs_current(&in, exe, sizeof(exe));
    return br_datadir_resolve_in(&in, given, subdir, out, cap, err, errlen);
}

int br_datadir_scenario(const char *given, char *out, size_t cap, char *err, size_t errlen)
{
    return br_datadir_resolve(given, "scenarios", out, cap, err, errlen);
}

int br_datadir_target(const char *given, char *out, size_t cap, char *err, size_t errlen)
{
    return br_datadir_resolve(given ? given : BR_DEFAULT_TARGET, "scenarios/targets", out, cap, err, errlen);
}
