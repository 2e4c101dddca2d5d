/*
 * Loading JSON files (jsonload.h) for every input a person writes: scenarios,
 * target profiles, matrices, results. A parse error names file:line:column, a
 * duplicate key is an error rather than a silent last-one-wins, and
 * br_json_check_keys refuses keys a format does not know, so a typo such as
 * "barier" is said instead of ignored.
 */
#include "jsonload.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

json_t *br_json_load_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) { /* fopen succeeds on one; reading it fails */
        snprintf(err, errlen, "%s: is a directory, not a JSON file", path);
        fclose(f);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (root == NULL)
        snprintf(err, errlen, "%s:%d:%d: %s", path, jerr.line, jerr.column, jerr.text);
    return root;
}

int br_json_check_keys(json_t *obj, const char *const *allowed, const char *where, char *err, size_t errlen)
{
    const char *key;
    json_t *value;
    json_object_foreach (obj, key, value) {
        int known = 0;
        for (const char *const *a = allowed; *a && !known; a++)
            known = strcmp(*a, key) == 0;
        if (!known) {
            char list[512] = "";
            for (const char *const *a = allowed; *a; a++) {
                strncat(list, *a, sizeof(list) - strlen(list) - 1);
                if (a[1])
                    strncat(list, ", ", sizeof(list) - strlen(list) - 1);
            }
            snprintf(err, errlen, "%s: unknown key '%s' (expected one of: %s)", where, key, list);
            return -1;
        }
    }
    return 0;
}
