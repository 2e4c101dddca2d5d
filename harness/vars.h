/*
 * Scenario variables from three places, so the stock scenarios run unmodified
 * against any backend that has a profile:
 *   1. the scenario's own "variables" (defaults, written for bookd);
 *   2. the profile's "variables" (what this backend calls things: its ids);
 *   3. --var NAME=VALUE on the command line (this run, this environment).
 * Later wins: scenario < profile < --var (docs/scenarios.md). The issue text
 * once says "profile < scenario < command line"; that order would let bookd's
 * "martin" in every stock scenario override the ObjectId a profile supplies,
 * so the profile must beat the scenario's defaults.
 *
 * --var NAME=VALUE gives a string; --var NAME:=JSON gives a JSON value (a
 * number stays a number in a body: "inspectorId:=7").
 *
 * Actor coordinates are backend-specific too (the travel-offset formula that
 * makes two customers' lists offer 09:26 and 09:29 differs): variables named
 * "<actor>.lat", "<actor>.lng" and "<actor>.address" replace the scenario's
 * values for that actor. Pure functions; tests in test_vars.c.
 */
#ifndef BR_VARS_H
#define BR_VARS_H

#include <jansson.h>
#include <stddef.h>

#define BR_VAR_NAME_MAX 64

/*
 * Parses one --var argument into |vars| (an object). Returns 0, or -1 with
 * |err| naming the argument: a missing '=', a bad name (letters, digits, '_',
 * '-' and '.', starting with a letter or '_'), or ":=" JSON that does not parse.
 */
int br_var_parse_arg(json_t *vars, const char *arg, char *err, size_t errlen);

/* A new object: |scenario|, then |profile|, then |cli| on top (each may be NULL). */
json_t *br_vars_merge(json_t *scenario, json_t *profile, json_t *cli);

/*
 * Where each merged variable came from: {"NAME": "scenario" | "profile" |
 * "command line"}, recorded in run.json so a reader sees which id was used.
 */
json_t *br_vars_sources(json_t *scenario, json_t *profile, json_t *cli);

/*
 * Applies "<actor>.lat", "<actor>.lng" and "<actor>.address" from |vars|.
 * Numbers or numeric strings for lat/lng; a string for the address. Returns
 * the number applied, or -1 with |err| for a value of the wrong type.
 * |*address| points into |vars| when replaced.
 */
int br_vars_actor_override(json_t *vars, const char *actor, double *lat, double *lng, const char **address,
                           char *err, size_t errlen);

/* Whether |text| mentions "${var.NAME}" (or "${var.NAME?}"). */
int br_vars_mentioned(const char *text, const char *name);

#endif
