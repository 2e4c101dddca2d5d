/*
 * The pure parts of a suite run (suite.h): what is a scenario, which files a
 * folder contributes, the suite's exit code and the merged JUnit. Nothing here
 * sends a request; the unit test drives it with temporary folders.
 */
#include "suite.h"

#include "alloc.h"
#include "exitcode.h"
#include "jsonload.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *br_suite_classify(json_t *doc)
{
    if (json_is_object(doc) && json_is_array(json_object_get(doc, "steps")))
        return NULL;
    if (!json_is_object(doc))
        return "not a scenario (not a JSON object)";
    if (json_object_get(doc, "modes") || json_object_get(doc, "scenarios"))
        return "a regression/fix matrix, not a scenario (bookrace matrix runs it)";
    if (json_object_get(doc, "operations") || json_object_get(doc, "baseUrls"))
        return "a target profile, not a scenario (pass it with --target)";
    if (json_object_get(doc, "schema"))
        return "a results file, not a scenario";
    return "not a scenario (no \"steps\" list)";
}

static void add(br_suite_list *l, const char *path, const char *skip_reason)
{
    l->items = xreallocarray(l->items, l->count + 1, sizeof(*l->items));
    l->items[l->count].path = xstrdup(path);
    l->items[l->count].skip_reason = skip_reason ? xstrdup(skip_reason) : NULL;
    l->count++;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* One file: a scenario, a skip (in a folder only), or an error. Returns 0 or -1 with |err|. */
static int add_file(br_suite_list *l, const char *path, int named, char *err, size_t errlen)
{
    if (!named && !ends_with(path, ".json")) {
        add(l, path, "not a .json file");
        return 0;
    }
    json_t *doc = br_json_load_file(path, err, errlen);
    if (doc == NULL)
        return -1;
    const char *why = br_suite_classify(doc);
    json_decref(doc);
    if (why != NULL && named) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    add(l, path, why);
    return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int visible(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static int add_folder(br_suite_list *l, const char *dir, char *err, size_t errlen)
{
    struct dirent **names;
    int n = scandir(dir, &names, visible, by_name);
    if (n < 0) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    int rc = 0;
    size_t dlen = strlen(dir);
    int slash = dlen > 0 && dir[dlen - 1] == '/';
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof(path), "%s%s%s", dir, slash ? "" : "/", names[i]->d_name);
        struct stat st;
        if (rc == 0 && stat(path, &st) != 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            rc = -1;
        } else if (rc == 0 && S_ISDIR(st.st_mode)) {
            add(l, path, "a folder: not searched (name it to run the scenarios in it)");
        } else if (rc == 0) {
            rc = add_file(l, path, 0, err, errlen);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int br_suite_collect(const char *const *paths, size_t n, br_suite_list *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(paths[i], &st) != 0) {
            snprintf(err, errlen, "%s: %s", paths[i], strerror(errno));
            return -1;
        }
        int rc = S_ISDIR(st.st_mode) ? add_folder(out, paths[i], err, errlen)
                                     : add_file(out, paths[i], 1, err, errlen);
        if (rc != 0)
            return -1;
    }
    if (br_suite_scenario_count(out) == 0) {
        snprintf(err, errlen, "no scenario in %s%s", paths[0], n > 1 ? " and the other paths given" : "");
        return -1;
    }
    return 0;
}

void br_suite_list_free(br_suite_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].path);
        free(list->items[i].skip_reason);
    }
    free(list->items);
    memset(list, 0, sizeof(*list));
}

size_t br_suite_scenario_count(const br_suite_list *list)
{
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++)
        n += list->items[i].skip_reason == NULL;
    return n;
}

int br_suite_exit_code(const char *const *outcomes, size_t n)
{
    /* In precedence order: the first outcome any scenario had decides. */
    static const struct {
        const char *outcome;
        int code;
    } order[] = {
        {"interrupted", BR_EXIT_INTERRUPTED}, {"scenario-error", BR_EXIT_USAGE},  {"fail", BR_EXIT_NOT_HELD},
        {"target-error", BR_EXIT_TARGET},     {"inconclusive", BR_EXIT_NOT_HELD},
    };
    if (n == 0)
        return BR_EXIT_NOT_HELD;
    for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(outcomes[i], order[k].outcome) == 0)
                return order[k].code;
    for (size_t i = 0; i < n; i++)
        if (strcmp(outcomes[i], "pass") != 0)
            return BR_EXIT_NOT_HELD; /* an outcome this table does not know never passes */
    return BR_EXIT_HELD;
}

int br_suite_junit_merge(const char *const *docs, size_t n, FILE *out)
{
    int suites = 0;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n", out);
    for (size_t i = 0; i < n; i++) {
        const char *p = docs[i];
        int found = 0;
        while ((p = strstr(p, "<testsuite ")) != NULL) {
            const char *end = strstr(p, "</testsuite>");
            if (end == NULL)
                break;
            end += strlen("</testsuite>");
            fwrite(p, 1, (size_t)(end - p), out);
            fputc('\n', out);
            p = end;
            found = 1;
            suites++;
        }
        if (!found)
            return -1;
    }
    fputs("</testsuites>\n", out);
    return suites;
}
