/* RFC 6901 JSON pointers over jansson values. */
#ifndef BR_JSONPTR_H
#define BR_JSONPTR_H

#include <jansson.h>
#include <stddef.h>

/* Whether |ptr| is a syntactically valid pointer ("" or "/a/b~1c/0"). */
int br_json_pointer_valid(const char *ptr);

/*
 * The value |ptr| points to inside |root| (a borrowed reference), or NULL
 * when it does not resolve: a missing key, an index out of range or not a
 * canonical decimal, or a step into a scalar.
 */
json_t *br_json_pointer_get(json_t *root, const char *ptr);

/*
 * The value at |ptr| as text: a string as it is, an integer in decimal (written
 * into |buf|). NULL when |ptr| is NULL, does not resolve, or holds another type.
 */
const char *br_json_pointer_text(json_t *root, const char *ptr, char *buf, size_t cap);

#endif
