#include "slot_cache.h"

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
    size_t capacity, size, bucket_count;
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

bookd_slot_cache *bookd_slot_cache_new(bookd_cache_mode mode, int64_t ttl_us, size_t capacity)
{
    bookd_slot_cache *cache = calloc(1, sizeof(*cache));
    if (cache == NULL)
        goto fail_cache;
    cache->mode = mode;
    cache->ttl_us = ttl_us;
    cache->capacity = capacity ? capacity : 1;
    cache->bucket_count = 64;
    while (cache->bucket_count < cache->capacity)
        cache->bucket_count <<= 1;
    cache->buckets = calloc(cache->bucket_count, sizeof(*cache->buckets));
    if (cache->buckets == NULL)
        goto fail_buckets;
    if (pthread_mutex_init(&cache->lock, NULL) != 0)
        goto fail_lock;
    return cache;

fail_lock:
    free(cache->buckets);
fail_buckets:
    free(cache);
fail_cache:
    return NULL;
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
        *body = malloc(e->body_len + 1);
        if (*body == NULL) {
            result = -1;
        } else {
            memcpy(*body, e->body, e->body_len);
            (*body)[e->body_len] = '\0';
            *len = e->body_len;
            result = 1;
        }
    }
    pthread_mutex_unlock(&cache->lock);
    return result;
}

int bookd_slot_cache_store(bookd_slot_cache *cache, const char *key, size_t key_len, int64_t now_us,
                           const char *body, size_t len)
{
    if (cache->mode == BOOKD_CACHE_OFF)
        return 0;
    cache_entry *e = malloc(sizeof(*e) + key_len);
    if (e == NULL)
        return -1;
    e->body = malloc(len ? len : 1);
    if (e->body == NULL) {
        free(e);
        return -1;
    }
    memcpy(e->body, body, len);
    memcpy(e->key, key, key_len);
    e->key_len = key_len;
    e->body_len = len;
    e->hash = hash_key(key, key_len);
    e->expires_us = cache->mode == BOOKD_CACHE_TTL ? now_us + cache->ttl_us : INT64_MAX;

    pthread_mutex_lock(&cache->lock);
    cache_entry *old = find_entry(cache, key, key_len, e->hash);
    if (old != NULL)
        unlink_entry(cache, old);
    while (cache->size >= cache->capacity)
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
    pthread_mutex_unlock(&cache->lock);
    return 0;
}

size_t bookd_slot_cache_size(bookd_slot_cache *cache)
{
    pthread_mutex_lock(&cache->lock);
    size_t n = cache->size;
    pthread_mutex_unlock(&cache->lock);
    return n;
}
