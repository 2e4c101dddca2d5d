/*
 * The catalogue bookd starts with: companies with their API keys, inspectors
 * and services. Seeding is idempotent (upserts), so restarting on the same
 * database is harmless.
 */
#ifndef BOOKD_SEED_H
#define BOOKD_SEED_H

#include "store.h"

#include <stddef.h>

/*
 * The demo catalogue: companies acme (key acme-key; inspectors martin, ana,
 * li) and globex (key globex-key; inspectors omar, sara, tom), each with the
 * services full-inspection (120 min) and re-inspection (60 min).
 */
extern const char bookd_demo_seed_json[];

/*
 * Seeds from |json| (the text of a catalogue file; |origin| names it in
 * errors, e.g. the file path). Returns 0, or -1 with "origin:line:column:
 * what is wrong" in |err|. The format:
 *   {"companies":[{"id":"acme","apiKey":"acme-key","inspectors":["martin"],
 *                  "services":[{"id":"full-inspection","durationMinutes":120}]}]}
 */
int bookd_seed_from_json(bookd_store *store, const char *json, size_t len, const char *origin, char *err,
                         size_t errlen);

/* Seeds from --seed's value: "demo", "none" or a file path. Returns 0 or -1 with |err|. */
int bookd_seed(bookd_store *store, const char *what, char *err, size_t errlen);

#endif
