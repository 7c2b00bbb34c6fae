/*
 * cache — the memcached client of a worker thread (libmemcached).
 *
 * One struct cache per thread: a libmemcached handle over the configured pool with
 * consistent (ketama) hashing, short connect and I/O timeouts, and failed servers retried
 * after a few seconds. The cache is never authoritative: every failure is reported as
 * ERR_CACHE and callers fall back to the database, so memcached being down makes pages
 * slower, never wrong. A disabled cache (no servers, or cache.enabled off) behaves as an
 * always-missing cache without errors.
 *
 * Keys are at most 250 bytes of printable ASCII without spaces (memcached's rule); longer or
 * invalid keys are refused with ERR_INVAL before anything is sent.
 *
 * Thread safety: one handle per thread.
 */
#ifndef STAMPEDE_CACHE_CACHE_H
#define STAMPEDE_CACHE_CACHE_H

#include "core/arena.h"
#include "core/str.h"

#include <stdbool.h>
#include <stdint.h>

struct cache_opts {
    const char *servers; /* "127.0.0.1:11211,127.0.0.1:11212" */
    bool enabled;
    int64_t connect_timeout_ms;
    int64_t poll_timeout_ms;
    int64_t retry_timeout_s; /* a failed server is tried again after this long */
};

struct cache;

struct cache *cache_new(const struct cache_opts *o);
void cache_free(struct cache *c);
bool cache_enabled(const struct cache *c);

/* cache_get: 0 with the value (copied into a) and its CAS id, ERR_NOTFOUND, or ERR_CACHE. */
int cache_get(struct cache *c, struct str key, struct arena *a, struct str *val, uint64_t *cas);
/* cache_set: stores unconditionally; 0 or ERR_CACHE. */
int cache_set(struct cache *c, struct str key, struct str val, int64_t ttl_s);
/* cache_add: stores only if absent; 0, ERR_EXISTS or ERR_CACHE. */
int cache_add(struct cache *c, struct str key, struct str val, int64_t ttl_s);
/* cache_cas: stores only if the item still has CAS id `cas`; 0, ERR_CONFLICT (changed or
 * gone) or ERR_CACHE. */
int cache_cas(struct cache *c, struct str key, struct str val, int64_t ttl_s, uint64_t cas);
/* cache_delete: 0 (also when absent) or ERR_CACHE. */
int cache_delete(struct cache *c, struct str key);
/* cache_incr: atomically adds delta to a numeric item; ERR_NOTFOUND when absent. */
int cache_incr(struct cache *c, struct str key, uint64_t delta, uint64_t *out);

enum cache_health {
    CACHE_UP,       /* every server answered */
    CACHE_DEGRADED, /* some or all servers failed; pages are served from the database */
    CACHE_DISABLED,
};

/* cache_check: asks every server for its version (bounded by the poll timeout each). */
enum cache_health cache_check(struct cache *c, int *servers_up, int *servers_total);
const char *cache_health_name(enum cache_health h);

struct cache_stats {
    uint64_t gets, hits, misses, sets, deletes, errors;
};
void cache_stats_get(const struct cache *c, struct cache_stats *out);

#endif
