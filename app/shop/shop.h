/*
 * shop — the context every domain operation receives.
 *
 * app/shop is the domain (catalog, inventory, cart, orders, payments, accounts) and knows
 * nothing of HTTP. Each operation gets a struct shop_ctx: the thread's database and cache
 * handles and the arena of the current request, where results are allocated.
 *
 * Rules that hold for the whole layer: decisions about stock and money are made on the
 * primary under locks, never from the cache; the cache only serves displays.
 */
#ifndef STAMPEDE_SHOP_SHOP_H
#define STAMPEDE_SHOP_SHOP_H

#include "cache/cache.h"
#include "core/arena.h"
#include "db/db.h"

struct gateway;

struct shop_ctx {
    struct db *db;
    struct cache *cache;
    struct arena *arena;
    struct gateway *gw; /* the payment gateway client of this thread (shop/gateway.h) */
};

#endif
