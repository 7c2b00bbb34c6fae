/*
 * catalog — products, sizes and their displayed availability.
 *
 * Availability here is for display only (the number of pairs a page shows); whether a pair
 * can be sold is decided by checkout under row locks on the primary.
 *
 * Memory: results are allocated in ctx->arena. Errors: ERR_NOTFOUND for an unknown or
 * inactive slug; database errors as db.h.
 */
#ifndef STAMPEDE_SHOP_CATALOG_H
#define STAMPEDE_SHOP_CATALOG_H

#include "shop/shop.h"

struct catalog_item {
    int64_t id;
    struct str slug;
    struct str name;
    struct str brand;
    struct str colorway;
    struct str image;  /* logical static path */
    int64_t price;     /* KRW */
    int64_t available; /* pairs over all sizes */
};

struct catalog_list {
    struct catalog_item *items;
    size_t n;
};

struct catalog_size {
    int64_t sku_id;
    int64_t size_mm;
    int64_t available;
};

struct catalog_product {
    int64_t id;
    struct str slug;
    struct str name;
    struct str brand;
    struct str colorway;
    struct str description;
    struct str image;
    struct str release_date; /* YYYY-MM-DD or empty */
    int64_t price;
    int64_t max_per_account; /* 0: no limit */
    int64_t available;
    struct catalog_size *sizes; /* ordered by size */
    size_t nsizes;
};

/* catalog_list: every active product, newest release first. */
int catalog_list(struct shop_ctx *ctx, struct catalog_list *out);

/* catalog_product_by_slug: one active product with its sizes. */
int catalog_product_by_slug(struct shop_ctx *ctx, struct str slug, struct catalog_product *out);

#endif
