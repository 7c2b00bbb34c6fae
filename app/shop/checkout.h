/*
 * checkout — turns a shopper's cart into an order that holds its stock.
 *
 * The lines come from the cart, or, for "buy now", from one size and quantity given by the
 * caller (struct checkout_item; the cart is then neither read nor changed).
 *
 * One explicit transaction on the primary (READ COMMITTED, locking reads):
 *   1. lock the account row (serializes this shopper's cart changes and checkouts) with its
 *      shipping address (shop/address.h), and read the hold's expiry time from the database
 *      clock;
 *   2. look up the idempotency key: a key already used returns its order (a replay) unless
 *      the cart it is used with now is a different, non-empty cart (ERR_EXISTS);
 *   3. read the cart with prices from the database (never from the client or the cache);
 *   4. refuse without a shipping address (SHOP_ADDRESS_REQUIRED), then check per-account
 *      limits against orders already placed;
 *   5. write the order (pending_payment, hold expiry, the key and the fingerprint of its
 *      lines: orders has UNIQUE (account_id, idempotency_key); the address it ships to, copied
 *      from the account), its lines, and empty the cart (when the lines came from it);
 *   6. last, lock the stock of each size in ascending SKU order (a free bucket with SKIP
 *      LOCKED, else a bounded wait) and move the units from available to held with ledger
 *      rows; then commit.
 * Everything that does not need the stock locks happens before them, so a hot size's lock is
 * held only for its lock-update-insert and the commit. Deadlocks and lock wait timeouts
 * (1213, 1205, 1020) roll back and retry the whole transaction (db/retry.h, the policy
 * "checkout": rules->checkout_tries attempts, jittered back-off up to 64 ms); the key makes a
 * retry safe.
 *
 * Answers (shop/outcome.h): SHOP_OK with out filled (out->replayed for a replay);
 * SHOP_OUT_OF_STOCK (the sizes in out->oos); SHOP_LIMIT_EXCEEDED (out->problem: product,
 * limit); SHOP_KEY_REUSED (the key was used with another cart); SHOP_CART_EMPTY;
 * SHOP_ADDRESS_REQUIRED (the account has no shipping address: a replay of a key that placed
 * an order still answers with that order, and an empty cart is still SHOP_CART_EMPTY); buy now:
 * SHOP_SKU_NOT_FOUND (not a size on sale), SHOP_INVALID_QUANTITY (outside
 * 1..rules->cart_max_line, the cap of a cart line); negative: ERR_DB_RETRY when the attempts
 * ran out, other database errors. Nothing is written unless the answer is SHOP_OK (one
 * transaction).
 */
#ifndef STAMPEDE_SHOP_CHECKOUT_H
#define STAMPEDE_SHOP_CHECKOUT_H

#include "shop/outcome.h"
#include "shop/shop.h"

struct checkout_oos {
    int64_t sku_id;
    int64_t size_mm;
    struct str product;
    int64_t wanted;
};

struct checkout_result {
    int64_t order_id;
    int64_t total;
    struct str status;
    struct str hold_expires_at; /* ISO 8601, UTC */
    bool replayed;
    int attempts;
    struct checkout_oos *oos;
    size_t noos;
    struct shop_problem problem;
};

/* buy now: one size, bypassing the cart */
struct checkout_item {
    int64_t sku_id;
    int64_t quantity;
};

/* direct: NULL to check out the cart */
int checkout_place(struct shop_ctx *c, int64_t account_id, struct str idem_key,
                   const struct checkout_item *direct, struct checkout_result *out);

/*
 * A checkout through a drop (shop/drop.h): one size of the drop's product, outside the cart.
 * checkout_place refuses every size of a product with a live drop (SHOP_NOT_ADMITTED); these
 * are sold only here. In the same transaction as the order, and before any stock moves:
 *   queue (draw == false): the shopper's queue row is locked and must be admitted, not
 *     expired and not yet used (else SHOP_NOT_ADMITTED); the order is written on it. The
 *     caller verified the signed admission token (shop/admission.h) first.
 *   draw (draw == true, the draw job): the shopper's entry is locked and must be a winner
 *     (result won) with this SKU and no order yet (else SHOP_NOT_ADMITTED); the order is
 *     written on it.
 * The drop's per-account limit counts the account's live orders of this drop (pending,
 * paid): past it, SHOP_LIMIT_EXCEEDED. The hold lasts the drop's purchase window. The order
 * carries orders.drop_id. Other answers as checkout_place (a replay of idem_key included).
 */
struct checkout_drop {
    int64_t drop_id;
    bool draw;
};

int checkout_place_drop(struct shop_ctx *c, int64_t account_id, struct str idem_key,
                        const struct checkout_item *item, const struct checkout_drop *d,
                        struct checkout_result *out);

#endif
