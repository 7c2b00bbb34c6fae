/*
 * nodes — the membership of web nodes: who must hear of a catalog write.
 *
 * Each web node keeps near copies of catalog entries (cache/near.h), which are exact only if
 * every write reaches every node that keeps them before the write returns. Nodes come and go
 * (./stampede node add / remove, the autoscaler), so the set is a table, web_nodes:
 *   - a node with a node.url joins (nodes_member_beat: upsert of its name and URL, committed
 *     on the primary) before it keeps any near entry: until then, and whenever it is not
 *     sure it is still listed, its near epoch says "not a member" and it reads memcached;
 *   - it beats every NODES_BEAT_S; when beats fail for NODES_ALIVE_S / 2 it leaves the near
 *     set on its own (writers stop listing a node after NODES_ALIVE_S without a beat, so it
 *     stops keeping copies before any writer can forget it);
 *   - a writer lists the members on the primary after its commit and its memcached deletes
 *     (nodes_urls) and publishes to each (l2_publish). A node whose registration committed
 *     after that read only keeps what it read afterwards, i.e. after the deletes: exact.
 *   - a node that stops leaves (nodes_member_leave) before it exits; one that dies is skipped
 *     after NODES_ALIVE_S (publishing to it fails fast meanwhile, which is only logged).
 *
 * Thread safety: a struct nodes_member belongs to the web server's master; the rest take the
 * caller's db handle.
 */
#ifndef STAMPEDE_SHOP_NODES_H
#define STAMPEDE_SHOP_NODES_H

#include "shop/shop.h"

#define NODES_BEAT_S  5  /* a member beats this often */
#define NODES_ALIVE_S 30 /* writers publish to members seen this recently (nodes_members) */

/*
 * nodes_urls: the base URLs of the members seen within NODES_ALIVE_S, comma-separated, read
 * on the primary (a registration must not be missed for replica lag). *out is "" when there
 * are none. 0 or a negative ERR_*.
 */
int nodes_urls(struct db *db, struct arena *a, const char **out);

/*
 * nodes_publish: after a committed catalog write and its memcached deletes, makes every
 * member drop its near copies (l2_publish to nodes_urls). 0, or how many did not confirm;
 * when the members cannot be read, the configured peers are told and 1 is returned.
 */
int nodes_publish(struct shop_ctx *ctx);

/* A node's own membership, kept by the web server's master process. */
struct nodes_member {
    struct db_opts db;
    const char *name, *url; /* borrowed; url empty: no membership (near copies always kept) */
    int64_t next_beat_ns;   /* monotonic */
    int64_t last_ok_ns;     /* when the last beat that succeeded was sent; 0: never */
    bool joined;            /* its row exists (as far as it knows) */
};

/*
 * nodes_member_beat: at most every NODES_BEAT_S (now_ns monotonic), writes the node's row
 * (joining on the first success) and makes the node a near-cache member; leaves the near set
 * when beats have failed for NODES_ALIVE_S / 2. Opens and closes its own connection (it runs
 * in the master, which must not hold one across fork). Logs joins, losses and returns.
 */
void nodes_member_beat(struct nodes_member *m, int64_t now_ns);

/* nodes_member_leave: stops keeping near copies and deletes the node's row (at stop). */
void nodes_member_leave(struct nodes_member *m);

#endif
