/*
 * near — the near cache: a small per-thread copy of l2 entries in front of memcached, kept
 * exact across web nodes by synchronous invalidation.
 *
 * Why: on a cached product page the memcached round trip is the largest part of the web
 * process's own work (docs/PERFORMANCE.md). A copy in the thread answers without it.
 *
 * Why it is never wrong:
 *   - Every web node has one invalidation epoch in shared memory (near_node_init, in the
 *     master before it forks, so all its worker processes share it). A near entry remembers
 *     the epoch it was read under, sampled *before* the read from memcached or the database,
 *     and is used only while the node's epoch is unchanged.
 *   - A catalog write commits, deletes its memcached entries (l2_invalidate), and then
 *     publishes: it POSTs a signed request to every node's internal endpoint
 *     (POST /__internal/near-epoch, not reachable through HAProxy) and waits for their
 *     answers. A node bumps its epoch before answering, so when the write returns, no node
 *     serves a near entry read before it: the price shows "at once" on every node.
 *   - A reader that sampled the epoch before the bump stored its entry under the old epoch
 *     (discarded on next use); one that sampled after the bump read memcached after the
 *     delete, so it reads the new value (the l2 lease protocol keeps stale values out).
 *   - A node the writer cannot reach (down, partitioned) keeps its entries until their near
 *     TTL (a few seconds; the region's near_ttl_ms): the bounded worst case, logged and counted
 *     by the writer (stampede_cache_near_publish_failures_total).
 * Only processes with a node epoch (stampede-web) keep near entries; tools and tests that
 * use the domain layer in-process read memcached as before, and publish their writes.
 *
 * Thread safety: a near table per thread (inside the cache handle); the epoch is atomic.
 */
#ifndef STAMPEDE_CACHE_NEAR_H
#define STAMPEDE_CACHE_NEAR_H

#include "core/arena.h"
#include "core/str.h"

#include <stdbool.h>
#include <stdint.h>

#define NEAR_SLOTS     512 /* entries per thread, direct-mapped */
#define NEAR_ID_MAX    100
#define NEAR_VALUE_MAX (256 * 1024) /* larger values are not kept near */
#define NEAR_PATH      "/__internal/near-epoch"
#define NEAR_SIG_HDR   "X-Stampede-Near-Signature"
#define NEAR_WINDOW_S  300 /* a signed request is accepted this long (either side of now) */

/*
 * near_node_init: creates this process's (and its future children's) node epoch; idempotent.
 * Call in the web server's master before it forks. Without it, near_active() is false.
 * member: whether the node starts as a member of the invalidation set; a node that registers
 * itself (shop/nodes.h) starts outside and joins once its registration is committed.
 */
void near_node_init(bool member);
bool near_active(void);
/* near_epoch: the node's epoch, or 0 while it is not a member: then no near entry is used or
 * kept (a writer may not know the node, so its copies could outlive a write). */
uint64_t near_epoch(void);
/* near_bump: invalidates every near entry of this node (all its processes and threads). */
void near_bump(void);
/* near_set_member: joins (true) or leaves the invalidation set; either way every near entry
 * is dropped. True when the membership changed. */
bool near_set_member(bool on);

/* ---------------------------------------------------------------- the per-thread table */

struct near_entry {
    int slot;  /* the l2 region's slot; 0: empty */
    char kind; /* 'V' value or 'N' not found */
    uint8_t id_len;
    char id[NEAR_ID_MAX];
    uint64_t epoch;
    int64_t expires_ns; /* monotonic */
    char *val;          /* mem_ owned copy of the payload (values only) */
    size_t val_len;
};

struct near_table;

struct near_table *near_table_new(void);
void near_table_free(struct near_table *t);

/*
 * near_get: the entry for (slot, id) if it was read under `epoch` and is younger than its TTL
 * at `now_ns`; the payload is valid until the next near_put on this table.
 */
const struct near_entry *near_get(struct near_table *t, int slot, struct str id, uint64_t epoch,
                                  int64_t now_ns);
/* near_put: keeps a value (kind 'V') or a not-found ('N', val empty), read under `epoch`. */
void near_put(struct near_table *t, int slot, struct str id, char kind, struct str val,
              uint64_t epoch, int64_t expires_ns);

/* ---------------------------------------------------------------- publishing */

/*
 * near_sign / near_verify: the signature header value "t=<unix seconds>,v1=<hex HMAC-SHA256
 * of secret over "<t>.near-epoch">". Verification checks the MAC in constant time and the
 * time within NEAR_WINDOW_S of now_s. A replay only drops near entries once more.
 */
struct str near_sign(struct arena *a, struct str secret, int64_t now_s);
bool near_verify(struct arena *a, struct str secret, struct str header, int64_t now_s);

/*
 * near_publish: POSTs a signed invalidation to every peer ("http://host:port" base URLs,
 * comma-separated) at once and waits up to timeout_ms for all answers. Returns how many peers
 * did not answer 2xx (0 when there are none). Uses libcurl; callable from any thread.
 */
int near_publish(const char *peers, struct str secret, int64_t timeout_ms);

#endif
