/*
 * shop — the context every domain operation receives.
 *
 * app/shop is the domain (catalog, inventory, cart, orders, payments, accounts) and knows
 * nothing of HTTP. Each operation gets a struct shop_ctx: the thread's database and cache
 * handles, the arena of the current request (where results are allocated), the payment
 * gateway client and the business rules. Operations answer with shop/outcome.h's two
 * channels: a negative ERR_* when they could not run, else an outcome.
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

/*
 * The business rules that are settings (configuration keys in brackets). They are kept here,
 * once, and every path that needs one reads it from the context: the cart and both checkouts
 * apply the same cap to a line.
 */
struct shop_rules {
    int64_t cart_max_line;  /* most pairs of one size in a cart line or a buy-now (cart.max_line) */
    int64_t hold_ttl_s;     /* how long an unpaid order holds its pairs (checkout.hold_ttl) */
    int64_t checkout_tries; /* attempts of a checkout transaction (checkout.max_retries + 1) */
    /* drops: accounts from one client address in one drop (drops.accounts_per_address) */
    int64_t drop_accounts_per_address;
    /* drops: queue joins and draw entries one account may send per minute, over all drops
     * (drops.account_rate; 0: no limit). shop/ratelimit.h */
    int64_t drop_account_rate;
    /* drops: the key of admission tokens (shop/admission.h), from security.secret; all zero
     * bytes when the context has none (tools): no admission is then valid */
    uint8_t admission_key[32];
    /* drops: the key of queue tickets (a shopper's place; admission_ticket_key) */
    uint8_t ticket_key[32];
};

/* The rules when a context carries none (tools and tests): the configuration's defaults. */
extern const struct shop_rules shop_default_rules;

struct shop_ctx {
    struct db *db;
    struct cache *cache;
    struct arena *arena;
    struct gateway *gw;             /* the payment gateway client of this thread (shop/gateway.h) */
    const struct shop_rules *rules; /* NULL: shop_default_rules */
};

/* shop_rules: the context's rules. */
static inline const struct shop_rules *shop_rules(const struct shop_ctx *c)
{
    return c->rules ? c->rules : &shop_default_rules;
}

#endif
