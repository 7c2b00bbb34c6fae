/*
 * cart — a signed-in shopper's cart: sizes and quantities, kept in the database so every
 * web node sees it.
 *
 * Limits: a line holds 1..rules->cart_max_line pairs; a product with max_per_account allows that
 * many pairs per account across its sizes, counting what is in the cart and what the account
 * already ordered (orders pending payment, paid or with an unknown payment outcome).
 * Checkout enforces the same limit again under lock; here it only keeps the cart honest.
 *
 * Availability shown with the cart is the live sum over the SKU's buckets (display only).
 *
 * cart_set answers (shop/outcome.h): SHOP_OK; SHOP_SKU_NOT_FOUND (no such size on sale),
 * SHOP_SOLD_OUT (no pair left, and the size is not in the cart yet), SHOP_LIMIT_EXCEEDED
 * (problem: product, limit, already), SHOP_INVALID_QUANTITY (problem: max_line); a refusal
 * changes nothing. Reads return 0 or a database error.
 */
#ifndef STAMPEDE_SHOP_CART_H
#define STAMPEDE_SHOP_CART_H

#include "shop/outcome.h"
#include "shop/shop.h"

struct cart_line {
    int64_t sku_id;
    int64_t quantity;
    int64_t size_mm;
    int64_t product_id;
    struct str slug;
    struct str name;
    struct str brand;
    struct str image;
    int64_t unit_price;
    int64_t available;
    int64_t max_per_account; /* 0: none */
};

struct cart {
    struct cart_line *lines;
    size_t n;
    int64_t total;
    int64_t pairs;
};

int cart_get(struct shop_ctx *c, int64_t account_id, struct cart *out);
/* cart_pairs: number of pairs in the cart (for the header badge). */
int cart_pairs(struct shop_ctx *c, int64_t account_id, int64_t *out);

/* cart_set: sets the line of sku to quantity (0 removes it), in one transaction under the
 * account's row lock (which also serializes it with the shopper's checkouts). */
int cart_set(struct shop_ctx *c, int64_t account_id, int64_t sku_id, int64_t quantity,
             struct shop_problem *problem);

/* cart_purchased: pairs of product the account has in orders that count toward the limit
 * (in the caller's transaction when there is one). */
int cart_purchased(struct shop_ctx *c, int64_t account_id, int64_t product_id, int64_t *out);

#endif
