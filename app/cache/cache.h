/*
 * cache — the memcached client of a worker thread (libmemcached).
 *
 * One struct cache per thread: a libmemcached handle over the configured pool with
 * consistent (ketama) hashing, short connect and I/O timeouts, and failed servers retried
 * after a few seconds. Failed servers stay in the ring (no ejection): their keys miss and go
 * to the database until they return, instead of moving to the other servers, where entries
 * would be stale once the server is back. The cache is never authoritative: every failure is
 * reported as ERR_CACHE and callers fall back to the database, so memcached being down makes
 * pages slower, never wrong. A disabled cache (no servers, or cache.enabled off) behaves as an
 * always-missing cache without errors.
 *
 * Groups: every operation takes a group key and goes to the server the group hashes to
 * (memcached's "by key" routing); STR_NULL means the item's own key. Items that are read
 * together share a group, so one request is one round trip to one server.
 *
 * Keys are at most 250 bytes of printable ASCII without spaces (memcached's rule); longer or
 * invalid keys and groups are refused with ERR_INVAL before anything is sent.
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
    int64_t lease_wait_ms;   /* l2: longest wait for another loader's value (0: 200 ms) */
    /* the near cache (cache/near.h): kept by this handle when `near` is on, the cache is
     * enabled and the process has a node epoch; writes publish to near_peers */
    bool near;
    const char *near_peers;  /* "http://127.0.0.1:8081,..." fixed peers, besides the
                                registered members (shop/nodes.h); empty: none */
    const char *near_secret; /* signs invalidations (security.secret) */
    int64_t near_timeout_ms; /* longest wait for the nodes' answers (0: 1000 ms) */
};

struct cache;

/*
 * cache_metrics_init: registers stampede_cache_server_up{server="host:port"} for each server
 * of the list (core/metrics; before the process forks, like every metric). Handles created
 * afterwards keep these gauges current: a failure to reach a server sets it to 0 and an
 * answer (any operation, or cache_check) sets it back to 1; each change is logged once per
 * node ("memcached server ... lost" / "regained"). Without it nothing is tracked or logged.
 */
void cache_metrics_init(const char *servers);

/*
 * cache_server_stats: asks every server of the list for its `stats` (memcached_stat), one
 * server after another, each over its own short-lived connection with the handles' timeouts
 * (o->connect_timeout_ms to connect, o->poll_timeout_ms per read), so a dead server costs at
 * most those and a stopped one no more: it is reported with up false. For /metrics, at scrape
 * time. Fills at most max entries in the list's order (duplicates removed); the count. Works
 * whether or not the cache is enabled (o->enabled is not looked at). Thread-safe (nothing
 * shared).
 */
struct cache_server_stat {
    char server[80]; /* "host:port", as in stampede_cache_server_up */
    bool up;         /* it answered; the counts below are set only then */
    uint64_t items, bytes, limit_bytes, evictions, get_hits, get_misses, connections, uptime_s;
};
size_t cache_server_stats(const struct cache_opts *o, struct cache_server_stat *out, size_t max);

struct cache *cache_new(const struct cache_opts *o);
void cache_free(struct cache *c);
bool cache_enabled(const struct cache *c);

/* cache_get: 0 with the value (copied into a) and its CAS id, ERR_NOTFOUND, or ERR_CACHE. */
int cache_get(struct cache *c, struct str group, struct str key, struct arena *a, struct str *val,
              uint64_t *cas);
/*
 * cache_mget: fetches n keys of one group in one round trip (values and CAS ids, copied into
 * a). Sets found/val/cas of each item. Returns 0 when the server answered, ERR_INVAL for a bad
 * key (nothing sent), or ERR_CACHE when it failed: then an item that is not found may also be
 * one that could not be read, and the caller must not conclude it is absent.
 */
struct cache_item {
    struct str key;
    bool found;
    struct str val;
    uint64_t cas;
};
int cache_mget(struct cache *c, struct str group, struct cache_item *items, size_t n,
               struct arena *a);
/* cache_set: stores unconditionally; 0 or ERR_CACHE. */
int cache_set(struct cache *c, struct str group, struct str key, struct str val, int64_t ttl_s);
/* cache_add: stores only if absent; 0, ERR_EXISTS or ERR_CACHE. */
int cache_add(struct cache *c, struct str group, struct str key, struct str val, int64_t ttl_s);
/* cache_cas: stores only if the item still has CAS id `cas`; 0, ERR_CONFLICT (changed or
 * gone) or ERR_CACHE. */
int cache_cas(struct cache *c, struct str group, struct str key, struct str val, int64_t ttl_s,
              uint64_t cas);
/* cache_delete: 0 (also when absent) or ERR_CACHE. */
int cache_delete(struct cache *c, struct str group, struct str key);
/* cache_incr: atomically adds delta to a numeric item; ERR_NOTFOUND when absent. */
int cache_incr(struct cache *c, struct str group, struct str key, uint64_t delta, uint64_t *out);

/*
 * Servers, for values kept once per server: cache_servers is how many there are (0 when
 * disabled), cache_server_of the index a group maps to, and cache_server_group a group that
 * maps to server i (computed at start-up; the ring never changes since nothing is ejected).
 */
int cache_servers(const struct cache *c);
int cache_server_of(const struct cache *c, struct str group);
struct str cache_server_group(const struct cache *c, int i);

/*
 * cache_l2: per-handle state of the entity cache layer (cache/l2.c), kept here so domain code
 * passes one handle: the generation last seen per region slot and server, a small memo of
 * natural ids, and a random state for TTL jitter. Owned by the handle; same thread rule.
 */
#define CACHE_L2_SLOTS   16
#define CACHE_L2_SERVERS 16 /* servers beyond this are read without a remembered generation */
#define CACHE_L2_MEMO    64
#define CACHE_L2_MEMO_ID 100
struct cache_l2_memo {
    int slot; /* 0: empty */
    uint8_t len;
    char id[CACHE_L2_MEMO_ID];
    int64_t value;
};
struct cache_l2_state {
    uint64_t gen[CACHE_L2_SLOTS][CACHE_L2_SERVERS];
    struct cache_l2_memo memo[CACHE_L2_MEMO];
    uint64_t rng;
    int64_t lease_wait_ms;
};
struct cache_l2_state *cache_l2(struct cache *c);

/* cache_near: the handle's near table, or NULL when it keeps none. */
struct near_table *cache_near(struct cache *c);
/*
 * cache_near_publish: after a committed write and its l2 invalidations, tells every node to
 * drop its near entries and waits for them (near_publish): the configured near_peers and
 * `nodes` (the live members, comma-separated base URLs, from shop/nodes.h; NULL: none).
 * Returns how many nodes did not confirm (logged); 0 when there are none.
 */
int cache_near_publish(struct cache *c, const char *nodes);

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
