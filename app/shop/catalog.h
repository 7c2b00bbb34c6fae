/*
 * catalog — products, sizes and their displayed availability, read cache-first.
 *
 * Reads go through the second-level cache (cache/l2.h) in these regions:
 *   product  a product by id (name, texts, price, limit)        TTL 5 min, not-found 10 s
 *   slug     a product's slug to its id (the natural id)        TTL 5 min, unknown slug 10 s
 *   sizes    the sizes (SKU ids) of a product                   TTL 5 min
 *   listing  the active products in listing order (query cache) TTL 1 min
 *   stock    pairs available per size of a product, and per product for the listing
 *            ("all"); advisory, never invalidated by checkouts  TTL 2 s (+3 s stale)
 * Prices live on the product (every size of a product costs the same).
 *
 * Availability here is for display only (the number of pairs a page shows, seconds old at
 * most); whether a pair can be sold is decided by checkout under row locks on the primary,
 * never from this module or the cache.
 *
 * Web threads also keep a near copy of each entry (cache/near.h) for 10 s, stock for 1 s.
 *
 * Writes (catalog_set_price) commit on the primary and then invalidate what they changed,
 * in memcached and in every web node's near cache (l2_publish), before they return;
 * a change made behind the application's back (SQL by hand, a bulk import) is followed by
 * catalog_cache_bump (`stampede-admin cache-bump`).
 *
 * Memory: results are allocated in ctx->arena. Answers: SHOP_PRODUCT_NOT_FOUND for an unknown
 * or inactive product (shop/outcome.h); ERR_INVAL for a bad argument; database errors as db.h.
 * Cache failures never reach callers (see l2.h).
 */
#ifndef STAMPEDE_SHOP_CATALOG_H
#define STAMPEDE_SHOP_CATALOG_H

#include "shop/outcome.h"
#include "shop/shop.h"

#define CATALOG_PRICE_MAX 100000000 /* KRW; a sanity bound for admin input */

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

/*
 * catalog_init: registers the catalog's cache regions (and their metrics). Once per process
 * at start-up, before threads start and before the web server forks; repeated calls do
 * nothing.
 */
void catalog_init(void);

/* catalog_list: every active product, newest release first. */
int catalog_list(struct shop_ctx *ctx, struct catalog_list *out);

/* catalog_product_by_slug: one active product with its sizes. */
int catalog_product_by_slug(struct shop_ctx *ctx, struct str slug, struct catalog_product *out);

/* catalog_product_by_id: the same by id. */
int catalog_product_by_id(struct shop_ctx *ctx, int64_t id, struct catalog_product *out);

/*
 * catalog_set_price: sets a product's price (1..CATALOG_PRICE_MAX KRW) in its own
 * transaction on the primary, logs who did it, and after the commit invalidates the product
 * and the listing, so every node shows the new price on its next request. 0 once committed
 * (a cache that cannot be reached is logged and counted, see l2_invalidate);
 * SHOP_PRODUCT_NOT_FOUND for an unknown product; SHOP_ROW_BUSY when the row stayed locked
 * through the retries; ERR_INVAL for a price out of range. Checkout reads prices from the
 * primary, never from here.
 */
int catalog_set_price(struct shop_ctx *ctx, int64_t product_id, int64_t price, struct str actor);

/* What an admin enters for a product (catalog_product_save). */
struct catalog_product_edit {
    struct str slug; /* [a-z0-9-], 1..80; only for a new product (it is the page's address) */
    struct str name, brand, colorway, description;
    struct str image;        /* a static path: img/products/<file>.svg|png|jpg|webp */
    struct str release_date; /* YYYY-MM-DD, or empty */
    int64_t price;           /* 1..CATALOG_PRICE_MAX KRW */
    int64_t max_per_account; /* 0: no limit */
    bool active;
};

/*
 * catalog_product_save: creates (id 0; *out_id its id) or changes a product, with the admin
 * audit row in the same transaction; then the caches forget the product and the listing on
 * every node. SHOP_INVALID_PRODUCT (problem->why), SHOP_SLUG_TAKEN, SHOP_PRODUCT_NOT_FOUND.
 */
int catalog_product_save(struct shop_ctx *ctx, int64_t id, const struct catalog_product_edit *e,
                         struct str actor, int64_t *out_id, struct shop_problem *problem);
/* catalog_product_for_edit: a product as the admin's form shows it (active or not, from the
 * database, never the cache). SHOP_PRODUCT_NOT_FOUND. */
int catalog_product_for_edit(struct shop_ctx *ctx, int64_t id, struct catalog_product_edit *out);

/*
 * catalog_size_add: a new size (200..330 mm) of a product with an empty stock row, audited.
 * SHOP_INVALID_PRODUCT when the size is out of range or the product has it already,
 * SHOP_PRODUCT_NOT_FOUND.
 */
int catalog_size_add(struct shop_ctx *ctx, int64_t product_id, int64_t size_mm, struct str actor,
                     int64_t *sku_id, struct shop_problem *problem);
/*
 * catalog_size_edit: changes the label (size_mm, 200..330) of a product's size, the one field
 * a skus row has, audited (size_edit, sku:ID); after the commit the caches forget the product
 * on every node, as for a product edit. Only a size that nobody ordered or entered a draw for
 * can change (their orders and entries would change size with it). SHOP_SKU_NOT_FOUND when the
 * SKU is not the product's; SHOP_INVALID_PRODUCT (problem->why) when out of range, taken by
 * another size of the product, or ordered; SHOP_ROW_BUSY. The same size again is SHOP_OK
 * without a change or an audit row.
 */
int catalog_size_edit(struct shop_ctx *ctx, int64_t product_id, int64_t sku_id, int64_t size_mm,
                      struct str actor, struct shop_problem *problem);

/*
 * catalog_stock_changed: after a committed change of a SKU's stock outside checkout (an admin
 * edit), drops the advisory availability of its product and of the listing so pages show
 * the change at once. ERR_NOTFOUND for an unknown SKU.
 */
int catalog_stock_changed(struct shop_ctx *ctx, int64_t sku_id);

/*
 * catalog_cache_bump: invalidates every catalog region at once (after a bulk or manual change
 * in the database, or to start over). 0, or ERR_CACHE if some region could not be bumped.
 */
int catalog_cache_bump(struct shop_ctx *ctx);

#endif
