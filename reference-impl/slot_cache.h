/*
 * The per-process cache of GET /schedule/optimal-slots responses.
 *
 * The incident's bug lives in the key: it was the URL and the company, with a
 * five-minute TTL and no invalidation, so a customer could be shown a slot
 * that had been booked minutes earlier. bookd keeps three modes:
 *
 *   off        every request computes its slots;
 *   ttl:S      the incident's cache: key = company + URL, entries live S
 *              seconds of the server's clock, nothing invalidates them;
 *   versioned  key = company + the canonical parsed query + the company's
 *              version stamp, which every booking, hold and cancel bumps in
 *              the database. A write by any process sharing the database
 *              changes the key, so a stale list is never served. What no
 *              write announces is a hold expiring: an entry therefore lives
 *              no longer than the earliest expiry of any hold it reflects
 *              (|valid_until_us| at store time).
 *
 * The cache is shared by the threads of one process (a mutex guards it; a
 * lookup is a hash probe and a copy) and holds at most |max_bytes| of keys,
 * bodies and per-entry overhead, evicting the oldest first. (Bounding
 * entries instead let one API key grow it to 3 GB in 30 s: issue 13.)
 */
#ifndef BOOKD_SLOT_CACHE_H
#define BOOKD_SLOT_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { BOOKD_CACHE_OFF, BOOKD_CACHE_TTL, BOOKD_CACHE_VERSIONED } bookd_cache_mode;

typedef struct bookd_slot_cache bookd_slot_cache;

/* Parses "off", "ttl:SECONDS" (1..86400) or "versioned". Returns 0 or -1. */
int bookd_cache_mode_parse(const char *text, bookd_cache_mode *mode, int64_t *ttl_us);

/* Returns NULL if its lock cannot be initialised. |ttl_us| is used in BOOKD_CACHE_TTL mode only. */
bookd_slot_cache *bookd_slot_cache_new(bookd_cache_mode mode, int64_t ttl_us, size_t max_bytes);

/* What one entry counts against |max_bytes|: its key, its body and a fixed overhead. */
size_t bookd_slot_cache_entry_cost(size_t key_len, size_t body_len);
void bookd_slot_cache_del(bookd_slot_cache *cache);

bookd_cache_mode bookd_slot_cache_mode(const bookd_slot_cache *cache);

/*
 * Looks |key| up at server time |now_us|. On a hit returns 1 and a malloc'd
 * copy of the body in |*body| / |*len| (the caller frees it); returns 0 on a
 * miss.
 */
int bookd_slot_cache_lookup(bookd_slot_cache *cache, const char *key, size_t key_len, int64_t now_us,
                            char **body, size_t *len);

/*
 * Stores a copy of |body| under |key|, replacing any entry there; the entry
 * expires at |valid_until_us| or (ttl mode) now + ttl, whichever is first.
 * An entry costing more than the whole budget is not stored.
 */
void bookd_slot_cache_store(bookd_slot_cache *cache, const char *key, size_t key_len, int64_t now_us,
                            int64_t valid_until_us, const char *body, size_t len);

/* The number of entries held, and the bytes they count (for tests and /metrics). */
size_t bookd_slot_cache_size(bookd_slot_cache *cache);
size_t bookd_slot_cache_bytes(bookd_slot_cache *cache);

#endif
