/*
 * The optimal-slots response cache of slot_cache.h: a chained hash table of
 * malloc'd entries plus an insertion-order list for eviction, one mutex for
 * all threads, bounded in bytes.
 */
#include "slot_cache.h"

#include "alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct cache_entry {
    struct cache_entry *hash_next;     /* chain of one bucket */
    struct cache_entry *older, *newer; /* insertion order, for eviction */
    uint64_t hash;
    int64_t expires_us; /* INT64_MAX in versioned mode */
    size_t key_len, body_len;
    char *body;
    char key[];
} cache_entry;

struct bookd_slot_cache {
    bookd_cache_mode mode;
    int64_t ttl_us;
    size_t max_bytes, bytes, size, bucket_count;
    cache_entry **buckets;
    cache_entry *oldest, *newest;
    pthread_mutex_t lock;
};

int bookd_cache_mode_parse(const char *text, bookd_cache_mode *mode, int64_t *ttl_us)
{
    if (strcmp(text, "off") == 0) {
        *mode = BOOKD_CACHE_OFF;
        *ttl_us = 0;
        return 0;
    }
    if (strcmp(text, "versioned") == 0) {
        *mode = BOOKD_CACHE_VERSIONED;
        *ttl_us = 0;
        return 0;
    }
    if (strncmp(text, "ttl:", 4) == 0) {
        char *end;
        const char *digits = text + 4;
        if (*digits < '0' || *digits > '9')
            return -1;
        long seconds = strtol(digits, &end, 10);
        if (*end != '\0' || seconds < 1 || seconds > 86400)
            return -1;
        *mode = BOOKD_CACHE_TTL;
        *ttl_us = (int64_t)seconds * 1000000;
        return 0;
    }
    return -1;
}

/* FNV-1a: short keys, no adversary that could not also just send requests. */
static uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

size_t bookd_slot_cache_entry_cost(size_t key_len, size_t body_len)
{
    return sizeof(cache_entry) + key_len + body_len + 32; /* 32: malloc's own headers, roughly */
}

bookd_slot_cache *bookd_slot_cache_new(bookd_cache_mode mode, int64_t ttl_us, size_t max_bytes)
{
    bookd_slot_cache *cache = xcalloc(1, sizeof(*cache));
    cache->mode = mode;
    cache->ttl_us = ttl_us;
    cache->max_bytes = max_bytes;
    /* About one bucket per 4 KiB of budget (a demo slot list is 2-6 KiB), at most 2^20 buckets. */
    cache->bucket_count = 64;
    while (cache->bucket_count < max_bytes / 4096 && cache->bucket_count < (1u << 20))
        cache->bucket_count <<= 1;
    cache->buckets = xcalloc(cache->bucket_count, sizeof(*cache->buckets));
    if (pthread_mutex_init(&cache->lock, NULL) != 0) {
        free(cache->buckets);
        free(cache);
        return NULL;
    }
    return cache;
}

static void unlink_entry(bookd_slot_cache *cache, cache_entry *e)
{
    cache_entry **slot = &cache->buckets[e->hash & (cache->bucket_count - 1)];
    while (*slot != e)
        slot = &(*slot)->hash_next;
    *slot = e->hash_next;
    if (e->older)
        e->older->newer = e->newer;
    else
        cache->oldest = e->newer;
    if (e->newer)
        e->newer->older = e->older;
    else
        cache->newest = e->older;
    cache->size--;
    cache->bytes -= bookd_slot_cache_entry_cost(e->key_len, e->body_len);
    free(e->body);
    free(e);
}

void bookd_slot_cache_del(bookd_slot_cache *cache)
{
    if (cache == NULL)
        return;
    while (cache->oldest)
        unlink_entry(cache, cache->oldest);
    pthread_mutex_destroy(&cache->lock);
    free(cache->buckets);
    free(cache);
}

bookd_cache_mode bookd_slot_cache_mode(const bookd_slot_cache *cache)
{
    return cache->mode;
}

static cache_entry *find_entry(bookd_slot_cache *cache, const char *key, size_t key_len, uint64_t h)
{
    for (cache_entry *e = cache->buckets[h & (cache->bucket_count - 1)]; e; e = e->hash_next)
        if (e->hash == h && e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
            return e;
    return NULL;
}

int bookd_slot_cache_lookup(bookd_slot_cache *cache, const char *key, size_t key_len, int64_t now_us,
                            char **body, size_t *len)
{
    if (cache->mode == BOOKD_CACHE_OFF)
        return 0;
    uint64_t h = hash_key(key, key_len);
    int result = 0;
    pthread_mutex_lock(&cache->lock);
    cache_entry *e = find_entry(cache, key, key_len, h);
    if (e != NULL && e->expires_us <= now_us) {
        unlink_entry(cache, e);
        e = NULL;
    }
    if (e != NULL) {
        *body = xmemdup0(e->body, e->body_len);
        *len = e->body_len;
        result = 1;
    }
    pthread_mutex_unlock(&cache->lock);
    return result;
}

void bookd_slot_cache_store(bookd_slot_cache *cache, const char *key, size_t key_len, int64_t now_us,
                            int64_t valid_until_us, const char *body, size_t len)
{
    size_t cost = bookd_slot_cache_entry_cost(key_len, len);
    if (cache->mode == BOOKD_CACHE_OFF || cost > cache->max_bytes)
        return;
    cache_entry *e = xmalloc(sizeof(*e) + key_len);
    e->body = xmalloc(len);
    memcpy(e->body, body, len);
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
    e->body_len = len;
    e->hash = hash_key(key, key_len);
    e->expires_us = cache->mode == BOOKD_CACHE_TTL ? now_us + cache->ttl_us : INT64_MAX;
    if (valid_until_us < e->expires_us)
        e->expires_us = valid_until_us;

    pthread_mutex_lock(&cache->lock);
    cache_entry *old = find_entry(cache, key, key_len, e->hash);
    if (old != NULL)
        unlink_entry(cache, old);
    while (cache->oldest != NULL && cache->bytes + cost > cache->max_bytes)
        unlink_entry(cache, cache->oldest);
    cache_entry **bucket = &cache->buckets[e->hash & (cache->bucket_count - 1)];
    e->hash_next = *bucket;
    *bucket = e;
    e->older = cache->newest;
    e->newer = NULL;
    if (cache->newest)
        cache->newest->newer = e;
    else
        cache->oldest = e;
    cache->newest = e;
    cache->size++;
    cache->bytes += cost;
    pthread_mutex_unlock(&cache->lock);
}

size_t bookd_slot_cache_size(bookd_slot_cache *cache)
{
    pthread_mutex_lock(&cache->lock);
    size_t n = cache->size;
    pthread_mutex_unlock(&cache->lock);
    return n;
}

size_t bookd_slot_cache_bytes(bookd_slot_cache *cache)
{
    pthread_mutex_lock(&cache->lock);
    size_t n = cache->bytes;
    pthread_mutex_unlock(&cache->lock);
    return n;
}
