/*
 * Redaction of secret values. A target that echoes request headers (or puts
 * the key into an error message) would otherwise carry the token into
 * run.json's stored responses, the summary and CI logs. The run collects the
 * expanded value of every secret header (Authorization always, plus the
 * profile's secretHeaders) and the credential after its auth scheme
 * ("Bearer <token>" -> "<token>"), and every stored response, transport
 * error, path and output line is passed through br_redact_* before it is kept
 * or written. Pure functions over plain data, unit-tested in test_redact.c.
 *
 * Values shorter than BR_SECRET_MIN_LEN are not collected: replacing every
 * "ab" in a response would destroy the evidence and a two-byte secret
 * protects nothing anyway (docs/targets.md says so).
 */
#ifndef BR_REDACT_H
#define BR_REDACT_H

#include <jansson.h>
#include <stddef.h>

#define BR_REDACTED "[redacted]"
#define BR_SECRET_MIN_LEN 4
#define BR_SECRET_MAX 64 /* distinct values kept; a profile has a handful of secret headers */

typedef struct {
    char *values[BR_SECRET_MAX];
    size_t count;
} br_secrets;

/*
 * Adds |value| (an expanded secret header value) and, when it has the shape
 * "<scheme> <credential>", the credential alone. Duplicates and values shorter
 * than BR_SECRET_MIN_LEN are ignored. Returns how many values were added.
 */
size_t br_secrets_add(br_secrets *s, const char *value);
void br_secrets_free(br_secrets *s);

/* Whether |text| (|len| bytes) holds any secret value. */
int br_secrets_found(const br_secrets *s, const char *text, size_t len);

/*
 * A malloc'd copy of |text| (|len| bytes, NUL-terminated on return) with every
 * secret value replaced by BR_REDACTED, longest values first so a credential
 * inside a longer header value never leaves the scheme's tail behind.
 * |*out_len| and |*replaced| (either may be NULL) get the new length and the
 * number of replacements.
 */
char *br_redact_text(const br_secrets *s, const char *text, size_t len, size_t *out_len, size_t *replaced);

/*
 * Redacts a JSON value in place: every string value and every object key.
 * Returns the number of replacements. |v| may be NULL.
 */
size_t br_redact_json(const br_secrets *s, json_t *v);

#endif
