/*
 * ratelimit — how often one account may do something costly, across every web node: a fixed
 * window counter in memcached (one key per name, id and window), so a shopper who hammers the
 * queue join or the draw entry cannot turn each request into a database transaction.
 *
 * Window: `window_s` seconds aligned to the clock; a burst across a boundary may pass up to
 * twice the limit, which is fine for a brake (it is not a quota). Memcached down or disabled:
 * nothing is limited (a cache fault never refuses a shopper; the database still decides
 * everything that matters, one place per account and one entry per draw).
 *
 * Errors: none (see above). Thread safety: as the shop_ctx's cache handle.
 */
#ifndef STAMPEDE_SHOP_RATELIMIT_H
#define STAMPEDE_SHOP_RATELIMIT_H

#include "shop/shop.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * ratelimit_hit: counts one attempt of `name` ([a-z]+) by `id` in the current window and
 * returns true when it is over `limit` (the attempt should be refused). limit <= 0: never.
 * One or two memcached round trips.
 */
bool ratelimit_hit(struct shop_ctx *c, const char *name, int64_t id, int64_t limit,
                   int64_t window_s);

#endif
