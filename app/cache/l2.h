/*
 * l2 — the second-level entity cache: get-or-load over memcached, safe across processes and
 * nodes. Domain code names a region, an id and a loader; it never sees memcached.
 *
 * Regions and keys. A region is one kind of cached value (a product by id, the catalog
 * listing...). Its entries live under "st1:<region>.<version>:<generation>:<id>". The version
 * is the value format (a deploy that changes it starts a fresh keyspace); the generation is a
 * number kept in memcached under "st1:gen:<region>.<version>" that l2_region_bump increments,
 * which invalidates the whole region at once without a flush. A generation that is missing
 * (first use, a restarted or evicting memcached) is created from the current time in
 * microseconds, so it never returns to a value that entries were stored under before.
 *
 * Groups and round trips. Entries that are read together (a product, its sizes and its stock)
 * share a group and so live on one memcached server, and every server keeps its own copy of
 * each region's generation, valid for the entries on that server. A lookup is therefore one
 * round trip to one server: the generations and the entries under the generations the thread
 * remembers (read again only when a generation moved). A bump increments every server's copy.
 *
 * Values. An entry holds a kind byte and a soft expiry: V(alue), N(ot found: the negative
 * cache of unknown ids) or L(ease). A value is fresh until its soft expiry (the region's TTL,
 * jittered by +-10%); for the region's grace time after that it is still served ("stale")
 * while one caller, holding a short lock key, reloads it; then memcached drops it.
 *
 * Consistency (the lease protocol; Facebook's leases emulated with add/gets/cas):
 *   miss      the reader `add`s a lease entry (a random token) and reads it back with `gets`
 *             to learn its CAS id; only then does it run the loader, and it stores the result
 *             with `cas` against the lease. Writers commit, then delete the entry
 *             (l2_invalidate), which destroys the lease, so a reader that loaded before the
 *             write can no longer store what it read: its `cas` fails and the value is only
 *             returned to its own request. Readers that find a lease wait (bounded by
 *             lease_wait_ms, with short sleeps) for the value, then load it themselves without
 *             storing. One load per key per miss, however many readers (no stampede).
 *   expiry    the refresher of a stale value stores with `cas` against the CAS id it read, so
 *             a write (a delete) in between makes the store fail the same way.
 * Loaders must read data at least as new as every committed write. They read through the
 * database proxy, usually from the replica, so writers call db_sync between their commit and
 * their invalidation: it returns once the replica has the write (db.h). A value
 * is never set blindly; only the lease holder or refresher stores, and only with cas.
 *
 * Failure: the cache is never authoritative. Any memcached error (server down, timeout)
 * makes l2_fetch run the loader and return its result without storing: slower, never wrong.
 * A database error while refreshing a stale value keeps that value (the last one committed
 * that this cache saw) for another grace period and serves it (stale-if-error, counted in
 * stampede_cache_stale_on_error_total), so pages stay up while the database is away.
 * If an invalidation cannot reach memcached the entry could outlive the write until its TTL;
 * l2_invalidate retries, then bumps the region, and reports ERR_CACHE if both fail.
 *
 * Metrics (core/metrics), per region, labelled region="<name>"; every lookup lands in exactly
 * one of four counters: hits (served by memcached, fresh or stale or after waiting for
 * another loader), near hits (served from the thread's near cache, no round trip), misses
 * (memcached answered without a usable value, or the cache is off, or the wait ran out:
 * loaded from the database) and lookup errors (memcached did not answer: loaded from the
 * database). hits / (hits + misses + lookup_errors) is the memcached hit ratio and falls to 0
 * when memcached is lost, even while near copies keep serving. Also: loads and load latency
 * (loader runs), stale served, lease waits, stores refused (a racing write invalidated the
 * lease), invalidations and errors (every memcached failure, lookups and writes).
 *
 * Memory: results are in the caller's arena. Thread safety: a struct cache per thread; regions
 * are initialised once (l2_region_init) before threads start and read-only afterwards.
 */
#ifndef STAMPEDE_CACHE_L2_H
#define STAMPEDE_CACHE_L2_H

#include "cache/cache.h"
#include "core/buf.h"
#include "core/metrics.h"

#define L2_KEY_MAX   250 /* memcached's limit */
#define L2_ID_MAX    100
#define L2_BATCH_MAX 8

/*
 * A region's decoder turns a payload into the caller's object (allocated in a) and returns 0,
 * or ERR_INVAL when the payload is malformed. A cached entry that does not decode is deleted
 * and loaded again without the cache, so a corrupt entry costs time, never a wrong page.
 */
typedef int (*l2_decoder)(struct str payload, struct arena *a, void **out);

struct l2_region {
    const char *name;        /* [a-z]+, at most 20 characters */
    int version;             /* 1.. */
    int64_t ttl_ms;          /* fresh this long, +-10% jitter; at least 1000 */
    int64_t grace_ms;        /* then stale-while-refreshing this long */
    int64_t negative_ttl_ms; /* "not found" is remembered this long; 0: never */
    l2_decoder decode;       /* required */
    int64_t near_ttl_ms;     /* kept in the thread's near cache this long (cache/near.h); 0: not */
    /* set by l2_region_init */
    int slot; /* 1..CACHE_L2_SLOTS-1; 0 = not initialised */
    struct metric *hits, *misses, *lookup_errors, *loads, *load_time, *stale, *waits, *refused,
        *invalidations, *errors, *near_hits, *stale_on_error;
};

/*
 * l2_region_init: checks the region's settings, gives it a slot and registers its metrics.
 * Once per region per process, before threads start and before the web server forks (so the
 * metrics are shared); repeated calls do nothing. A bad region is a programming error and
 * stops the process.
 */
void l2_region_init(struct l2_region *r);

/*
 * A loader appends the payload of one entry to out (whose cap bounds it) and returns 0, or
 * ERR_NOTFOUND when the id does not exist (cached as such if the region says so), or another
 * error (not cached; the lease is released).
 */
typedef int (*l2_loader)(void *arg, struct buf *out);

enum l2_source {
    L2_SRC_NONE = 0,
    L2_SRC_HIT,    /* fresh value */
    L2_SRC_STALE,  /* past its TTL; another caller refreshes it */
    L2_SRC_WAITED, /* stored by another loader while this caller waited */
    L2_SRC_LOADED, /* this caller ran the loader (and stored the result if it could) */
    L2_SRC_DIRECT, /* loader run without the cache (disabled, failing, or the wait ran out) */
    L2_SRC_NEAR,   /* from the thread's near cache, without a round trip */
};

struct l2_get {
    const struct l2_region *region;
    struct str id;    /* [A-Za-z0-9_.-], 1..L2_ID_MAX bytes */
    struct str group; /* entries read together share a group (one server); empty: id */
    l2_loader load;
    void *arg;
    /* results */
    int rc;         /* 0: obj and val are set; ERR_NOTFOUND; or the loader's error */
    void *obj;      /* the decoded payload (region->decode), in the arena */
    struct str val; /* the payload itself, in the arena */
    enum l2_source src;
};

/*
 * l2_fetch: gets n (<= L2_BATCH_MAX) entries, from memcached where possible (one round trip
 * per server for all of them when the generations did not move), otherwise through their
 * loaders, following the protocol above. Bounded: at most lease_wait_ms of waiting per entry.
 * Returns 0 with each item's rc set, or ERR_INVAL for a bad id or batch (a programming error;
 * nothing was done). Memcached failures never reach the caller.
 */
int l2_fetch(struct cache *c, struct l2_get *g, size_t n, struct arena *a);

/*
 * Near cache. When the handle keeps one (cache_near) and the region has a near_ttl_ms,
 * l2_fetch first looks in the thread's near table under the node's current epoch, sampled
 * before anything is read, and keeps what it then reads (values and not-founds served fresh,
 * waited for, or loaded; never stale ones) under that epoch. See cache/near.h for why a
 * near entry is never older than a write that has returned: writers call l2_publish.
 */

/*
 * l2_publish: after a write has committed and its entries were invalidated, makes every web
 * node (`nodes`, the live members: shop/nodes.h, plus the configured near_peers) drop its
 * near entries before returning. 0, or how many nodes did not confirm (logged and counted in
 * stampede_cache_near_publish_failures_total; their near entries expire within the regions'
 * near_ttl_ms).
 */
int l2_publish(struct cache *c, const char *nodes);

/*
 * l2_invalidate: after a write has committed, deletes the region's entry for id (its value,
 * negative entry or lease). 0 when deleted or absent; ERR_CACHE when memcached could not be
 * reached even after a retry and a region bump (logged and counted).
 */
int l2_invalidate(struct cache *c, const struct l2_region *r, struct str group, struct str id);

/*
 * l2_region_bump: invalidates every entry of the region at once (increments the region's
 * generation on every server). 0, or ERR_CACHE when some server could not be reached.
 */
int l2_region_bump(struct cache *c, const struct l2_region *r);

/*
 * l2_memo_get/l2_memo_put: a small per-thread memo from a natural id (a slug) to an entity id,
 * so the common lookup needs no round trip for the mapping. A hint only: whoever uses it must
 * check the entity it leads to (its natural id still matches) and otherwise look the mapping
 * up through l2_fetch. Entries are overwritten by collisions; nothing expires.
 */
bool l2_memo_get(struct cache *c, const struct l2_region *r, struct str id, int64_t *value);
void l2_memo_put(struct cache *c, const struct l2_region *r, struct str id, int64_t value);

/*
 * l2_key / l2_gen_key: the memcached keys (exposed for tests and tools). They write at most
 * cap bytes including a NUL and return the length, or ERR_INVAL for a bad id or a key that
 * would not fit.
 */
int l2_key(const struct l2_region *r, uint64_t gen, struct str id, char *out, size_t cap);
int l2_gen_key(const struct l2_region *r, char *out, size_t cap);

#endif
