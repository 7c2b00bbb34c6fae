/*
 * order — reading a shopper's orders, and the hold expiry that batch jobs run.
 *
 * Reads are scoped to the account: an order of another account is SHOP_ORDER_NOT_FOUND,
 * exactly as an order that does not exist (no enumeration).
 *
 * Expiry (invariant I8): an order still pending_payment after hold_expires_at is set to
 * expired and its held units return to available, in one transaction per order under the
 * order's row lock, so a payment confirmation racing with expiry sees one or the other.
 */
#ifndef STAMPEDE_SHOP_ORDER_H
#define STAMPEDE_SHOP_ORDER_H

#include "shop/shop.h"

struct order_line {
    int64_t sku_id;
    int64_t size_mm;
    int64_t quantity;
    int64_t unit_price;
    struct str slug;
    struct str name;
    struct str brand;
    struct str image;
};

/* Where an order ships to: the account's address as it was when the order was placed
 * (shop/address.h). has is false for orders placed before addresses existed (migration 007). */
struct order_ship {
    bool has;
    struct str recipient, phone, postcode, address, detail;
};

struct order {
    int64_t id;
    int64_t account_id;
    struct str status;
    int64_t total;
    struct str currency;
    struct str created_at;      /* ISO 8601 UTC */
    struct str hold_expires_at; /* ISO 8601 UTC */
    struct str paid_at;         /* ISO 8601 UTC; empty unless paid (order_get only) */
    bool hold_over;             /* hold_expires_at has passed (order_get only) */
    int64_t pairs;
    struct order_ship ship;
    struct str email; /* the account's e-mail (order_get_any only) */
    struct order_line *lines;
    size_t nlines;
};

/* order_list: the account's orders, newest first (at most limit), without lines. */
int order_list(struct shop_ctx *c, int64_t account_id, int64_t limit, struct order **out,
               size_t *n);
/* order_get: one order of the account with its lines; SHOP_ORDER_NOT_FOUND for an order that
 * does not exist or is another account's (the same answer: no enumeration). */
int order_get(struct shop_ctx *c, int64_t account_id, int64_t order_id, struct order *out);

/* order_get_any: one order of any account, with its lines and the account's e-mail, for the
 * back office (app/admin); SHOP_ORDER_NOT_FOUND when there is no such order. */
int order_get_any(struct shop_ctx *c, int64_t order_id, struct order *out);

/*
 * order_expire_due: expires up to `limit` overdue orders; *expired counts the orders it
 * expired (others may have been paid or expired concurrently and are skipped).
 */
int order_expire_due(struct shop_ctx *c, int64_t limit, int64_t *expired);

/* order_expire_one: expires one order if it is still pending and overdue (*done says), in
 * its own transaction. */
int order_expire_one(struct shop_ctx *c, int64_t order_id, bool *done);
/* order_expire_locked: the same inside the caller's transaction (batch chunks). */
int order_expire_locked(struct shop_ctx *c, int64_t order_id, bool *done);

#endif
