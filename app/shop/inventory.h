/*
 * inventory — stock buckets and the append-only ledger.
 *
 * A SKU's stock is one or more rows of `stock` (buckets). Every change here is an UPDATE of
 * bucket rows plus one ledger row per bucket touched, in the caller's transaction, so the
 * ledger and the buckets always agree (invariant I1); CHECK constraints refuse negative
 * buckets (I2).
 *
 * Locking: callers lock SKUs in ascending id order. For a size kept in one row, inventory_hold
 * takes the units with one conditional UPDATE (it waits for the row lock; one statement under
 * the lock). For a bucketed size it first takes a bucket with enough stock that no other
 * transaction holds (FOR UPDATE SKIP LOCKED: buyers of a hot size spread over the buckets
 * instead of queueing on one row), else it queues on one picked at random from those that had
 * enough (a plain read) with the same conditional UPDATE. When that finds too little, it locks
 * all the SKU's buckets in bucket order with a bounded wait (innodb_lock_wait_timeout of the
 * session) and takes what it needs, splitting across buckets when no single one has enough. Waits
 * are only ever for a higher SKU or for a bucket of the same SKU, so there is no deadlock cycle
 * among checkouts; any deadlock or lock wait timeout surfaces as ERR_DB_RETRY.
 *
 * All functions except inventory_rebucket and inventory_audit run inside the caller's open
 * transaction (READ COMMITTED, see db.c) and leave commit or rollback to it.
 */
#ifndef STAMPEDE_SHOP_INVENTORY_H
#define STAMPEDE_SHOP_INVENTORY_H

#include "shop/shop.h"

/*
 * inventory_hold: moves qty units of sku from available to held for order_id ('hold' ledger
 * rows with ref order:<id>). ERR_CONFLICT when fewer than qty units are available.
 */
/* buckets: how many stock rows the size had when the caller read it (a hint: 1 takes the one
 * row with a single conditional UPDATE; more try a free bucket first; any value is safe). */
int inventory_hold(struct shop_ctx *c, int64_t sku_id, int64_t qty, int64_t buckets,
                   int64_t order_id);

/*
 * inventory_release: gives an order's held units back to available, bucket by bucket as they
 * were held, with ledger rows of `reason` ("release" or "expire"). The caller has checked,
 * under the order's row lock, that the order still holds stock.
 */
int inventory_release(struct shop_ctx *c, int64_t order_id, const char *reason);

/* inventory_sell: an order's held units become sold ('sell' ledger rows). */
int inventory_sell(struct shop_ctx *c, int64_t order_id);

/* inventory_unsell: a refunded order's sold units return to available ('refund' ledger
 * rows), bucket by bucket as they were sold. The caller holds the order's row lock and has
 * checked that the order was paid. */
int inventory_unsell(struct shop_ctx *c, int64_t order_id);

/*
 * inventory_rebucket: spreads a SKU's available units evenly over n buckets (1..64) in its
 * own transaction, creating missing bucket rows; held and sold units stay where they are.
 * Buckets beyond n keep no available units. 'rebucket' ledger rows record every move.
 * SHOP_SKU_NOT_FOUND; SHOP_ROW_BUSY when checkouts kept the rows locked through its retries;
 * ERR_INVAL for n out of range.
 */
int inventory_rebucket(struct shop_ctx *c, int64_t sku_id, int64_t n, struct str actor);

/*
 * inventory_adjust: stock received (delta > 0, reason "receive": into bucket 0, created if the
 * size has none) or adjusted (reason "adjust": delta > 0 found, delta < 0 lost or damaged,
 * taken from the buckets in order, never below zero), with ledger rows (ref admin, the note)
 * and the admin audit row in the same transaction (I1 kept). SHOP_SKU_NOT_FOUND;
 * SHOP_INVALID_QUANTITY for delta 0, beyond +-100000, or a receive that is not positive;
 * SHOP_OUT_OF_STOCK when fewer pairs are available than a negative adjust takes (nothing
 * changed); SHOP_ROW_BUSY when checkouts kept the rows locked.
 */
int inventory_adjust(struct shop_ctx *c, int64_t sku_id, int64_t delta, bool receive,
                     struct str note, struct str actor);

/* inventory_buckets: how many buckets of sku hold available units (0 if none). */
int inventory_buckets(struct shop_ctx *c, int64_t sku_id, int64_t *n);

struct audit_issue {
    int64_t sku_id;
    int64_t bucket; /* -1: the SKU as a whole */
    const char *what;
    int64_t expected;
    int64_t actual;
};

struct audit_report {
    size_t skus;
    size_t buckets;
    struct audit_issue *issues;
    size_t nissues;
};

/*
 * inventory_audit: checks conservation for every SKU and bucket: the ledger's sums equal the
 * bucket's available, held and sold; held equals the units of the orders still holding
 * stock; sold equals the units of paid orders; nothing is negative. Runs in one consistent
 * read snapshot (REPEATABLE READ, START TRANSACTION READ ONLY).
 */
int inventory_audit(struct shop_ctx *c, struct audit_report *out);

#endif
