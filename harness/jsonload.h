/* Loading JSON files with errors a person can act on, and strict key checking. */
#ifndef BR_JSONLOAD_H
#define BR_JSONLOAD_H

#include <jansson.h>
#include <stddef.h>

/*
 * Reads and parses |path| (duplicate keys are errors). On failure returns
 * NULL with "path:line:column: what is wrong" (or "path: <system error>") in |err|.
 */
json_t *br_json_load_file(const char *path, char *err, size_t errlen);

/*
 * Fails when |obj| has a key outside the NULL-terminated |allowed| list:
 * unknown keys are typos until proven otherwise. |where| names the object
 * in the message ("steps[2]").
 */
int br_json_check_keys(json_t *obj, const char *const *allowed, const char *where, char *err, size_t errlen);

#endif
