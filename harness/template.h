/*
 * Templates in target profiles: "${...}" placeholders in paths, headers and
 * JSON bodies, filled in per request.
 *
 *   ${actor.name} ${actor.email} ${actor.address} ${actor.lat} ${actor.lng} ${actor.index}
 *   ${slot.inspectorId} ${slot.datetime} ${slot.endtime}
 *   ${var.NAME}          a scenario variable
 *   ${booking.id} ${hold.id}
 *   ${date} ${dateEnd}   the trial's day (YYYY-MM-DD) and the day after
 *   ${trial} ${run} ${seconds}
 *   ${NAME} ${NAME:-default}   an environment variable (upper case), with an optional default
 *   ${x?}                an optional placeholder: empty in text when x has no value here, and a
 *                        JSON member whose value is exactly "${x?}" is left out of the body
 *
 * In a JSON body a string that is exactly one placeholder takes the value's
 * own type (a number stays a number); anywhere else values are spliced into
 * the text, percent-encoded in paths and queries.
 */
#ifndef BR_TEMPLATE_H
#define BR_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    const char *name, *email, *address;
    double lat, lng;
    int index;
} br_actor_view;

typedef struct {
    const char *inspector, *start, *end; /* RFC 3339 strings */
} br_slot_view;

typedef struct {
    const br_actor_view *actor; /* NULL when no actor is involved */
    const br_slot_view *slot;   /* NULL when no slot is picked */
    json_t *variables;          /* object of scenario variables, may be NULL */
    const char *booking_id, *hold_id;
    const char *date, *date_end;
    const char *run_id;
    int trial;
    double seconds;
    int has_seconds;
} br_template_ctx;

typedef enum { BR_ESCAPE_NONE, BR_ESCAPE_URL } br_escape;

/*
 * Expands |tmpl|. Returns a malloc'd string, or NULL with a message in |err|
 * (unknown placeholder, a value missing in this context, an unset
 * environment variable, or CR/LF in a value where BR_ESCAPE_NONE is used).
 */
char *br_template_string(const char *tmpl, const br_template_ctx *ctx, br_escape escape, char *err,
                         size_t errlen);

/* Expands every string inside |tmpl| (a deep copy; the caller owns it), or NULL with |err|. */
json_t *br_template_json(json_t *tmpl, const br_template_ctx *ctx, char *err, size_t errlen);

/*
 * Checks placeholder syntax and names without values (at load time), so a
 * typo is an error before any request is sent. Returns 0 or -1 with |err|.
 */
int br_template_check(const char *tmpl, char *err, size_t errlen);
int br_template_check_json(json_t *tmpl, char *err, size_t errlen);

/* Whether |tmpl| mentions a placeholder of namespace |prefix| (e.g. "slot."). */
int br_template_uses(const char *tmpl, const char *prefix);

#endif
