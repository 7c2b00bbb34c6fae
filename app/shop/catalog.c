/* catalog — product reads through the L2 cache, and price changes; see catalog.h. */
#include "catalog.h"

#include "core/clock.h"
#include "shop/audit.h"
#include "shop/nodes.h"

#include "cache/l2.h"
#include "core/buf.h"
#include "core/err.h"
#include "db/retry.h"
#include "shop/outcome.h"
#include "core/log.h"
#include "core/pack.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- decoded shapes */

struct id_box {
    int64_t id;
};

/* (id, number) pairs: a product's sizes (SKU id, size), or stock (SKU or product id, pairs) */
struct pair {
    int64_t id;
    int64_t n;
};

struct pair_list {
    struct pair *v;
    size_t n;
};

/*
 * A product card and a product page share their first fields, in this order in both payloads
 * and in columns 0..6 of both queries: id, slug, name, brand, colorway, image, price.
 */
static void pack_card(struct buf *out, const struct db_result *r, size_t row)
{
    pack_i64(out, db_int(r, row, 0));
    for (size_t col = 1; col <= 5; col++)
        pack_str(out, db_text(r, row, col));
    pack_i64(out, db_int(r, row, 6));
}

static void read_card(struct pack_r *r, struct catalog_item *it)
{
    it->id = pack_r_i64(r);
    it->slug = pack_r_str(r);
    it->name = pack_r_str(r);
    it->brand = pack_r_str(r);
    it->colorway = pack_r_str(r);
    it->image = pack_r_str(r);
    it->price = pack_r_i64(r);
}

static int dec_product(struct str payload, struct arena *a, void **out)
{
    struct pack_r r = pack_reader(payload);
    struct catalog_product *p = arena_calloc(a, 1, sizeof *p);
    struct catalog_item c;
    read_card(&r, &c);
    *p = (struct catalog_product){.id = c.id,
                                  .slug = c.slug,
                                  .name = c.name,
                                  .brand = c.brand,
                                  .colorway = c.colorway,
                                  .image = c.image,
                                  .price = c.price};
    p->description = pack_r_str(&r);
    p->release_date = pack_r_str(&r);
    p->max_per_account = pack_r_i64(&r);
    *out = p;
    return pack_r_done(&r) ? 0 : ERR_INVAL;
}

static int dec_id(struct str payload, struct arena *a, void **out)
{
    struct pack_r r = pack_reader(payload);
    struct id_box *b = arena_calloc(a, 1, sizeof *b);
    b->id = pack_r_i64(&r);
    *out = b;
    return pack_r_done(&r) ? 0 : ERR_INVAL;
}

static int dec_pairs(struct str payload, struct arena *a, void **out)
{
    struct pack_r r = pack_reader(payload);
    struct pair_list *l = arena_calloc(a, 1, sizeof *l);
    l->n = pack_r_count(&r, 16);
    l->v = arena_calloc(a, l->n + 1, sizeof *l->v);
    for (size_t i = 0; i < l->n; i++) {
        l->v[i].id = pack_r_i64(&r);
        l->v[i].n = pack_r_i64(&r);
    }
    *out = l;
    return pack_r_done(&r) ? 0 : ERR_INVAL;
}

static int dec_listing(struct str payload, struct arena *a, void **out)
{
    struct pack_r r = pack_reader(payload);
    struct catalog_list *l = arena_calloc(a, 1, sizeof *l);
    l->n = pack_r_count(&r, 8 + 5 * 5 + 8);
    l->items = arena_calloc(a, l->n + 1, sizeof *l->items);
    for (size_t i = 0; i < l->n; i++)
        read_card(&r, &l->items[i]);
    *out = l;
    return pack_r_done(&r) ? 0 : ERR_INVAL;
}

/* ---------------------------------------------------------------- regions */

/* near_ttl_ms: how long a thread keeps its own copy (cache/near.h); writes publish, so this
 * only bounds how long a node that missed an invalidation can show an old value */
#define NEAR_TTL_MS       10000
#define NEAR_TTL_STOCK_MS 1000

static struct l2_region r_product = {.name = "product",
                                     .version = 2, /* 2: card fields first */
                                     .ttl_ms = 300000,
                                     .grace_ms = 30000,
                                     .negative_ttl_ms = 10000,
                                     .decode = dec_product,
                                     .near_ttl_ms = NEAR_TTL_MS};
static struct l2_region r_slug = {.name = "slug",
                                  .version = 1,
                                  .ttl_ms = 300000,
                                  .grace_ms = 30000,
                                  .negative_ttl_ms = 10000,
                                  .decode = dec_id,
                                  .near_ttl_ms = NEAR_TTL_MS};
static struct l2_region r_sizes = {.name = "sizes",
                                   .version = 1,
                                   .ttl_ms = 300000,
                                   .grace_ms = 30000,
                                   .decode = dec_pairs,
                                   .near_ttl_ms = NEAR_TTL_MS};
static struct l2_region r_listing = {.name = "listing",
                                     .version = 1,
                                     .ttl_ms = 60000,
                                     .grace_ms = 10000,
                                     .decode = dec_listing,
                                     .near_ttl_ms = NEAR_TTL_MS};
static struct l2_region r_stock = {.name = "stock",
                                   .version = 1,
                                   .ttl_ms = 2000,
                                   .grace_ms = 3000,
                                   .decode = dec_pairs,
                                   .near_ttl_ms = NEAR_TTL_STOCK_MS};

static struct l2_region *const regions[] = {&r_product, &r_slug, &r_sizes, &r_listing, &r_stock};

void catalog_init(void)
{
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        l2_region_init(regions[i]);
}

#define LISTING_ID    STR("active")
#define STOCK_ALL     STR("all")
#define LISTING_GROUP STR("listing") /* the listing and its stock: one server */

static struct str id_str(struct arena *a, int64_t id)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", (long long)id);
    return arena_str_dup(a, (struct str){b, (size_t)n});
}

/* product_group: a product's entries (product, sizes, stock) live together on one server. */
static struct str product_group(struct arena *a, int64_t id)
{
    char b[24];
    int n = snprintf(b, sizeof b, "p%lld", (long long)id);
    return arena_str_dup(a, (struct str){b, (size_t)n});
}

/* ---------------------------------------------------------------- loaders */

static const struct db_stmt q_list = {
    "catalog_list",
    "SELECT id, slug, name, brand, colorway, image, price_krw FROM products WHERE active = 1"
    " ORDER BY release_date DESC, id DESC",
    DB_IDEMPOTENT};

static const struct db_stmt q_stock_all = {
    "catalog_stock_all",
    "SELECT k.product_id, SUM(s.available) FROM skus k JOIN stock s ON s.sku_id = k.id"
    " JOIN products p ON p.id = k.product_id WHERE p.active = 1 GROUP BY k.product_id",
    DB_IDEMPOTENT};

static const struct db_stmt q_product = {
    "catalog_product",
    "SELECT id, slug, name, brand, colorway, image, price_krw, description,"
    "       COALESCE(DATE_FORMAT(release_date, '%Y-%m-%d'), ''), COALESCE(max_per_account, 0)"
    "  FROM products WHERE id = ? AND active = 1",
    DB_IDEMPOTENT};

static const struct db_stmt q_slug = {
    "catalog_slug", "SELECT id FROM products WHERE slug = ? AND active = 1", DB_IDEMPOTENT};

static const struct db_stmt q_sizes = {
    "catalog_sizes", "SELECT id, size_mm FROM skus WHERE product_id = ? ORDER BY size_mm",
    DB_IDEMPOTENT};

static const struct db_stmt q_stock = {
    "catalog_stock",
    "SELECT k.id, COALESCE(SUM(s.available), 0) FROM skus k LEFT JOIN stock s ON s.sku_id = k.id"
    " WHERE k.product_id = ? GROUP BY k.id",
    DB_IDEMPOTENT};

/* A loader's argument: the request's context, the query and its one parameter (if any). */
struct load_arg {
    struct shop_ctx *ctx;
    const struct db_stmt *st;
    size_t nparams; /* 0 or 1 */
    struct db_val param;
};

static int run(void *arg, struct db_result *r)
{
    struct load_arg *la = arg;
    return db_exec(la->ctx->db, la->st, &la->param, la->nparams, la->ctx->arena, r);
}

static int load_listing(void *arg, struct buf *out)
{
    struct db_result r;
    int rc = run(arg, &r);
    if (rc)
        return rc;
    pack_i64(out, (int64_t)r.nrows);
    for (size_t i = 0; i < r.nrows; i++)
        pack_card(out, &r, i);
    return 0;
}

/* load_pairs: a query of (id, number) rows (sizes, stock) as a pair list. */
static int load_pairs(void *arg, struct buf *out)
{
    struct db_result r;
    int rc = run(arg, &r);
    if (rc)
        return rc;
    pack_i64(out, (int64_t)r.nrows);
    for (size_t i = 0; i < r.nrows; i++) {
        pack_i64(out, db_int(&r, i, 0));
        pack_i64(out, db_int(&r, i, 1));
    }
    return 0;
}

static int load_product(void *arg, struct buf *out)
{
    struct db_result r;
    int rc = run(arg, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return ERR_NOTFOUND;
    pack_card(out, &r, 0);
    pack_str(out, db_text(&r, 0, 7));
    pack_str(out, db_text(&r, 0, 8));
    pack_i64(out, db_int(&r, 0, 9));
    return 0;
}

static int load_slug(void *arg, struct buf *out)
{
    struct db_result r;
    int rc = run(arg, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return ERR_NOTFOUND;
    pack_i64(out, db_int(&r, 0, 0));
    return 0;
}

/* ---------------------------------------------------------------- reads */

static int64_t stock_of(const struct pair_list *s, int64_t id)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].id == id)
            return s->v[i].n;
    return 0;
}

int catalog_list(struct shop_ctx *ctx, struct catalog_list *out)
{
    struct load_arg list = {ctx, &q_list, 0, DB_NULLV}, stock = {ctx, &q_stock_all, 0, DB_NULLV};
    struct l2_get g[] = {
        {.region = &r_listing,
         .id = LISTING_ID,
         .group = LISTING_GROUP,
         .load = load_listing,
         .arg = &list},
        {.region = &r_stock,
         .id = STOCK_ALL,
         .group = LISTING_GROUP,
         .load = load_pairs,
         .arg = &stock},
    };
    int rc = l2_fetch(ctx->cache, g, 2, ctx->arena);
    if (rc || (rc = g[0].rc) || (rc = g[1].rc))
        return rc;
    const struct catalog_list *l = g[0].obj;
    const struct pair_list *s = g[1].obj;
    *out = *l;
    for (size_t i = 0; i < out->n; i++)
        out->items[i].available = stock_of(s, out->items[i].id);
    return 0;
}

/* product_by_id: the product, ERR_NOTFOUND when unknown or inactive */
static int product_by_id(struct shop_ctx *ctx, int64_t id, struct catalog_product *out)
{
    if (id <= 0)
        return ERR_NOTFOUND;
    struct load_arg lp = {ctx, &q_product, 1, DB_I(id)}, ls = {ctx, &q_sizes, 1, DB_I(id)},
                    la = {ctx, &q_stock, 1, DB_I(id)};
    struct str key = id_str(ctx->arena, id), grp = product_group(ctx->arena, id);
    struct l2_get g[] = {
        {.region = &r_product, .id = key, .group = grp, .load = load_product, .arg = &lp},
        {.region = &r_sizes, .id = key, .group = grp, .load = load_pairs, .arg = &ls},
        {.region = &r_stock, .id = key, .group = grp, .load = load_pairs, .arg = &la},
    };
    int rc = l2_fetch(ctx->cache, g, 3, ctx->arena);
    if (rc || (rc = g[0].rc) || (rc = g[1].rc) || (rc = g[2].rc))
        return rc;
    const struct pair_list *sizes = g[1].obj;
    const struct pair_list *stock = g[2].obj;
    *out = *(const struct catalog_product *)g[0].obj;
    out->nsizes = sizes->n;
    out->sizes = arena_calloc(ctx->arena, sizes->n + 1, sizeof *out->sizes);
    out->available = 0;
    for (size_t i = 0; i < sizes->n; i++) {
        struct catalog_size *cs = &out->sizes[i];
        cs->sku_id = sizes->v[i].id;
        cs->size_mm = sizes->v[i].n;
        cs->available = stock_of(stock, cs->sku_id);
        out->available += cs->available;
    }
    return 0;
}

int catalog_product_by_id(struct shop_ctx *ctx, int64_t id, struct catalog_product *out)
{
    int rc = product_by_id(ctx, id, out);
    return rc == ERR_NOTFOUND ? SHOP_PRODUCT_NOT_FOUND : rc;
}

static int product_by_slug(struct shop_ctx *ctx, struct str slug, struct catalog_product *out)
{
    if (slug.len == 0 || slug.len > L2_ID_MAX)
        return ERR_NOTFOUND;
    /* the thread usually knows the id: one round trip, checked against the product's slug */
    int64_t id;
    if (l2_memo_get(ctx->cache, &r_slug, slug, &id)) {
        int rc = product_by_id(ctx, id, out);
        if (rc == 0 && str_eq(out->slug, slug))
            return 0;
        if (rc && rc != ERR_NOTFOUND)
            return rc;
        /* renamed, gone or deactivated since: ask the slug region */
    }
    struct load_arg la = {ctx, &q_slug, 1, DB_S(slug)};
    struct l2_get g = {.region = &r_slug, .id = slug, .load = load_slug, .arg = &la};
    int rc = l2_fetch(ctx->cache, &g, 1, ctx->arena);
    if (rc == ERR_INVAL)
        return ERR_NOTFOUND; /* not a slug the cache can key: no such product either */
    if (rc || (rc = g.rc))
        return rc;
    id = ((const struct id_box *)g.obj)->id;
    l2_memo_put(ctx->cache, &r_slug, slug, id);
    return product_by_id(ctx, id, out);
}

int catalog_product_by_slug(struct shop_ctx *ctx, struct str slug, struct catalog_product *out)
{
    int rc = product_by_slug(ctx, slug, out);
    return rc == ERR_NOTFOUND ? SHOP_PRODUCT_NOT_FOUND : rc;
}

/* ---------------------------------------------------------------- writes */

static const struct db_stmt q_lock_product = {
    "catalog_lock_product", "SELECT slug, price_krw FROM products WHERE id = ? FOR UPDATE", 0};

static const struct db_stmt q_set_price = {"catalog_set_price",
                                           "UPDATE products SET price_krw = ? WHERE id = ?", 0};

static const struct db_stmt q_product_of_sku = {
    "catalog_product_of_sku", "SELECT product_id FROM skus WHERE id = ?", DB_IDEMPOTENT};

struct price_tx {
    struct shop_ctx *ctx;
    int64_t product_id, price, old;
    struct str slug;
};

static int price_tx(void *arg)
{
    struct price_tx *q = arg;
    struct db_result r;
    struct db_val p[] = {DB_I(q->product_id)};
    int rc = db_exec(q->ctx->db, &q_lock_product, p, 1, q->ctx->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_PRODUCT_NOT_FOUND;
    q->slug = db_text(&r, 0, 0);
    q->old = db_int(&r, 0, 1);
    struct db_val u[] = {DB_I(q->price), DB_I(q->product_id)};
    return db_exec(q->ctx->db, &q_set_price, u, 2, q->ctx->arena, NULL);
}

/* An admin's change meets checkouts reading the product: a few retries, then "try again". */
static const struct db_retry price_retry = {"set-price", 3, 5, 50, NULL};

int catalog_set_price(struct shop_ctx *ctx, int64_t product_id, int64_t price, struct str actor)
{
    if (price < 1 || price > CATALOG_PRICE_MAX)
        return ERR_INVAL;
    struct price_tx q = {ctx, product_id, price, 0, STR_NULL};
    int rc = db_tx(ctx->db, &price_retry, price_tx, &q);
    if (err_is_retryable(rc))
        return SHOP_ROW_BUSY;
    if (rc)
        return rc;
    log_info("catalog: price of product %lld (%.*s) changed from %lld to %lld KRW by %.*s",
             (long long)product_id, STR_FMT(q.slug), (long long)q.old, (long long)price,
             STR_FMT(actor));
    /* after the commit, never before: a reader must not reload the old row into the cache;
     * and after the replica has it, since cache misses are read there (db_sync) */
    db_sync(ctx->db);
    l2_invalidate(ctx->cache, &r_product, product_group(ctx->arena, product_id),
                  id_str(ctx->arena, product_id));
    l2_invalidate(ctx->cache, &r_listing, LISTING_GROUP, LISTING_ID);
    nodes_publish(ctx); /* every node's near copies, before this returns */
    return 0;
}

int catalog_stock_changed(struct shop_ctx *ctx, int64_t sku_id)
{
    struct db_result r;
    struct db_val p[] = {DB_I(sku_id)};
    int rc = db_exec(ctx->db, &q_product_of_sku, p, 1, ctx->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return ERR_NOTFOUND;
    int64_t product = db_int(&r, 0, 0);
    db_sync(ctx->db); /* the replica has the new stock before the cache forgets the old */
    l2_invalidate(ctx->cache, &r_stock, product_group(ctx->arena, product),
                  id_str(ctx->arena, product));
    l2_invalidate(ctx->cache, &r_stock, LISTING_GROUP, STOCK_ALL);
    nodes_publish(ctx);
    return 0;
}

int catalog_cache_bump(struct shop_ctx *ctx)
{
    int rc = 0;
    db_sync(ctx->db);
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++)
        if (l2_region_bump(ctx->cache, regions[i]))
            rc = ERR_CACHE;
    if (nodes_publish(ctx))
        rc = ERR_CACHE;
    return rc;
}

/* ---------------------------------------------------------------- the admin's catalog */

static const struct db_stmt q_prod_insert = {
    "catalog_product_insert",
    "INSERT INTO products (slug, name, brand, colorway, description, price_krw, image,"
    " release_date, max_per_account, active) VALUES (?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''),"
    " NULLIF(?, 0), ?)",
    0};
static const struct db_stmt q_prod_update = {
    "catalog_product_update",
    "UPDATE products SET name = ?, brand = ?, colorway = ?, description = ?, price_krw = ?,"
    " image = ?, release_date = NULLIF(?, ''), max_per_account = NULLIF(?, 0), active = ?"
    " WHERE id = ?",
    0};
static const struct db_stmt q_prod_exists = {"catalog_product_exists",
                                             "SELECT id FROM products WHERE id = ? FOR UPDATE", 0};
static const struct db_stmt q_slug_used = {"catalog_slug_used",
                                           "SELECT id FROM products WHERE slug = ?", 0};
static const struct db_stmt q_size_used = {
    "catalog_size_used", "SELECT id FROM skus WHERE product_id = ? AND size_mm = ?", 0};
static const struct db_stmt q_size_insert = {
    "catalog_size_insert", "INSERT INTO skus (product_id, size_mm) VALUES (?, ?)", 0};
static const struct db_stmt q_size_lock = {
    "catalog_size_lock", "SELECT size_mm FROM skus WHERE id = ? AND product_id = ? FOR UPDATE", 0};
static const struct db_stmt q_size_ordered = {
    "catalog_size_ordered",
    "SELECT (SELECT COUNT(*) FROM order_lines WHERE sku_id = ?)"
    "     + (SELECT COUNT(*) FROM drop_entries WHERE sku_id = ?)",
    0};
static const struct db_stmt q_size_update = {"catalog_size_update",
                                             "UPDATE skus SET size_mm = ? WHERE id = ?", 0};
static const struct db_stmt q_size_stock = {
    "catalog_size_stock", "INSERT INTO stock (sku_id, bucket, available) VALUES (?, 0, 0)", 0};

static const struct db_stmt q_prod_for_edit = {
    "catalog_product_for_edit",
    "SELECT slug, name, brand, colorway, description, image,"
    "       COALESCE(DATE_FORMAT(release_date, '%Y-%m-%d'), ''), price_krw,"
    "       COALESCE(max_per_account, 0), active FROM products WHERE id = ?",
    DB_PRIMARY | DB_IDEMPOTENT};

int catalog_product_for_edit(struct shop_ctx *ctx, int64_t id, struct catalog_product_edit *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(id)};
    int rc = db_exec(ctx->db, &q_prod_for_edit, v, 1, ctx->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_PRODUCT_NOT_FOUND;
    *out = (struct catalog_product_edit){db_text(&r, 0, 0),    db_text(&r, 0, 1), db_text(&r, 0, 2),
                                         db_text(&r, 0, 3),    db_text(&r, 0, 4), db_text(&r, 0, 5),
                                         db_text(&r, 0, 6),    db_int(&r, 0, 7),  db_int(&r, 0, 8),
                                         db_int(&r, 0, 9) != 0};
    return 0;
}

static bool text_ok(struct str s, size_t min, size_t max)
{
    struct str t = str_trim(s);
    return t.len >= min && s.len <= max && str_utf8_valid(s);
}

static bool path_ok(struct str s)
{
    if (s.len < 5 || s.len > 200 ||
        !(str_starts_with(s, STR("img/")) || str_starts_with(s, STR("uploads/"))))
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.' || c == '/'))
            return false;
    }
    return !memmem(s.p, s.len, "..", 2);
}

static bool date_ok(struct str s)
{
    if (s.len == 0)
        return true;
    int64_t t;
    char iso[40];
    if (s.len != 10)
        return false;
    snprintf(iso, sizeof iso, "%.*sT00:00:00Z", STR_FMT(s));
    return clock_parse_iso8601(str_from_cstr(iso), &t);
}

static bool slug_ok(struct str s)
{
    if (s.len < 1 || s.len > 80)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (!((s.p[i] >= 'a' && s.p[i] <= 'z') || (s.p[i] >= '0' && s.p[i] <= '9') ||
              s.p[i] == '-'))
            return false;
    return true;
}

static int invalid_product(struct shop_problem *p, const char *why)
{
    if (p)
        p->why = why;
    return SHOP_INVALID_PRODUCT;
}

static int check_edit(const struct catalog_product_edit *e, bool is_new, struct shop_problem *p)
{
    if (is_new && !slug_ok(e->slug))
        return invalid_product(p, "The address (slug) is 1 to 80 of a-z, 0-9 and -.");
    if (!text_ok(e->name, 1, 200))
        return invalid_product(p, "The name is 1 to 200 characters.");
    if (!text_ok(e->brand, 1, 80))
        return invalid_product(p, "The brand is 1 to 80 characters.");
    if (!text_ok(e->colorway, 0, 120))
        return invalid_product(p, "The colourway is at most 120 characters.");
    if (!text_ok(e->description, 1, 5000))
        return invalid_product(p, "The description is 1 to 5,000 characters.");
    if (e->price < 1 || e->price > CATALOG_PRICE_MAX)
        return invalid_product(p, "The price is 1 to 100,000,000 KRW.");
    if (!path_ok(e->image))
        return invalid_product(p, "The picture is an uploaded one or a static path such as "
                                  "img/products/name.svg.");
    if (!date_ok(e->release_date))
        return invalid_product(p, "The release date is a date (YYYY-MM-DD) or empty.");
    if (e->max_per_account < 0 || e->max_per_account > 100)
        return invalid_product(p, "The limit per account is 0 (none) to 100 pairs.");
    return 0;
}

struct save_tx {
    struct shop_ctx *c;
    int64_t id;
    const struct catalog_product_edit *e;
    struct str actor;
    struct shop_problem *problem;
};

static int save_tx(void *arg)
{
    struct save_tx *q = arg;
    struct shop_ctx *c = q->c;
    const struct catalog_product_edit *e = q->e;
    struct db_result r;
    int rc;
    bool is_new = q->id == 0;
    if (q->id) {
        struct db_val v[] = {DB_I(q->id)};
        if ((rc = db_exec(c->db, &q_prod_exists, v, 1, c->arena, &r)))
            return rc;
        if (r.nrows == 0)
            return SHOP_PRODUCT_NOT_FOUND;
        struct db_val u[] = {DB_S(str_trim(e->name)),
                             DB_S(str_trim(e->brand)),
                             DB_S(str_trim(e->colorway)),
                             DB_S(e->description),
                             DB_I(e->price),
                             DB_S(e->image),
                             DB_S(e->release_date),
                             DB_I(e->max_per_account),
                             DB_I(e->active),
                             DB_I(q->id)};
        if ((rc = db_exec(c->db, &q_prod_update, u, 10, c->arena, NULL)))
            return rc;
    } else {
        struct db_val v[] = {DB_S(e->slug)};
        if ((rc = db_exec(c->db, &q_slug_used, v, 1, c->arena, &r)))
            return rc;
        if (r.nrows)
            return SHOP_SLUG_TAKEN;
        struct db_val u[] = {DB_S(e->slug),
                             DB_S(str_trim(e->name)),
                             DB_S(str_trim(e->brand)),
                             DB_S(str_trim(e->colorway)),
                             DB_S(e->description),
                             DB_I(e->price),
                             DB_S(e->image),
                             DB_S(e->release_date),
                             DB_I(e->max_per_account),
                             DB_I(e->active)};
        if ((rc = db_exec(c->db, &q_prod_insert, u, 10, c->arena, &r)))
            return rc == ERR_EXISTS ? SHOP_SLUG_TAKEN : rc;
        q->id = r.insert_id;
    }
    return audit_write(
        c, q->actor, is_new ? "product_create" : "product_save",
        str_from_cstr(arena_sprintf(c->arena, "product:%lld", (long long)q->id)),
        str_from_cstr(arena_sprintf(c->arena, "%.*s, %lld KRW, %s", STR_FMT(str_trim(e->name)),
                                    (long long)e->price, e->active ? "active" : "inactive")));
}

static void forget_product(struct shop_ctx *ctx, int64_t id)
{
    db_sync(ctx->db);
    l2_invalidate(ctx->cache, &r_product, product_group(ctx->arena, id), id_str(ctx->arena, id));
    l2_invalidate(ctx->cache, &r_sizes, product_group(ctx->arena, id), id_str(ctx->arena, id));
    l2_invalidate(ctx->cache, &r_listing, LISTING_GROUP, LISTING_ID);
    l2_invalidate(ctx->cache, &r_stock, product_group(ctx->arena, id), id_str(ctx->arena, id));
    l2_invalidate(ctx->cache, &r_stock, LISTING_GROUP, STOCK_ALL);
    nodes_publish(ctx);
}

int catalog_product_save(struct shop_ctx *ctx, int64_t id, const struct catalog_product_edit *e,
                         struct str actor, int64_t *out_id, struct shop_problem *problem)
{
    int rc = check_edit(e, id == 0, problem);
    if (rc)
        return rc;
    struct save_tx q = {ctx, id, e, actor, problem};
    rc = db_tx(ctx->db, &price_retry, save_tx, &q);
    if (err_is_retryable(rc))
        return SHOP_ROW_BUSY;
    if (rc)
        return rc;
    if (out_id)
        *out_id = q.id;
    log_info("catalog: product %lld saved by %.*s", (long long)q.id, STR_FMT(actor));
    forget_product(ctx, q.id);
    return 0;
}

struct size_tx {
    struct shop_ctx *c;
    int64_t product, size;
    struct str actor;
    int64_t sku;
    struct shop_problem *problem;
};

static int size_tx(void *arg)
{
    struct size_tx *q = arg;
    struct shop_ctx *c = q->c;
    struct db_result r;
    struct db_val v[] = {DB_I(q->product)};
    int rc = db_exec(c->db, &q_prod_exists, v, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_PRODUCT_NOT_FOUND;
    struct db_val sv[] = {DB_I(q->product), DB_I(q->size)};
    if ((rc = db_exec(c->db, &q_size_used, sv, 2, c->arena, &r)))
        return rc;
    if (r.nrows)
        return invalid_product(q->problem, "The product has that size already.");
    if ((rc = db_exec(c->db, &q_size_insert, sv, 2, c->arena, &r)))
        return rc;
    q->sku = r.insert_id;
    struct db_val kv[] = {DB_I(q->sku)};
    if ((rc = db_exec(c->db, &q_size_stock, kv, 1, c->arena, NULL)))
        return rc;
    return audit_write(
        c, q->actor, "size_add",
        str_from_cstr(arena_sprintf(c->arena, "product:%lld", (long long)q->product)),
        str_from_cstr(arena_sprintf(c->arena, "size %lld (sku %lld)", (long long)q->size,
                                    (long long)q->sku)));
}

int catalog_size_add(struct shop_ctx *ctx, int64_t product_id, int64_t size_mm, struct str actor,
                     int64_t *sku_id, struct shop_problem *problem)
{
    if (size_mm < 200 || size_mm > 330)
        return invalid_product(problem, "A size is 200 to 330 mm.");
    struct size_tx q = {ctx, product_id, size_mm, actor, 0, problem};
    int rc = db_tx(ctx->db, &price_retry, size_tx, &q);
    if (err_is_retryable(rc))
        return SHOP_ROW_BUSY;
    if (rc)
        return rc;
    if (sku_id)
        *sku_id = q.sku;
    forget_product(ctx, product_id);
    return 0;
}

struct size_edit_tx {
    struct shop_ctx *c;
    int64_t product, sku, size;
    struct str actor;
    bool changed;
    struct shop_problem *problem;
};

static int size_edit_tx(void *arg)
{
    struct size_edit_tx *q = arg;
    struct shop_ctx *c = q->c;
    struct db_result r;
    q->changed = false;
    struct db_val lv[] = {DB_I(q->sku), DB_I(q->product)};
    int rc = db_exec(c->db, &q_size_lock, lv, 2, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_SKU_NOT_FOUND;
    int64_t was = db_int(&r, 0, 0);
    if (was == q->size)
        return 0;
    struct db_val sv[] = {DB_I(q->product), DB_I(q->size)};
    if ((rc = db_exec(c->db, &q_size_used, sv, 2, c->arena, &r)))
        return rc;
    if (r.nrows)
        return invalid_product(q->problem, "The product has that size already.");
    struct db_val ov[] = {DB_I(q->sku), DB_I(q->sku)};
    if ((rc = db_exec(c->db, &q_size_ordered, ov, 2, c->arena, &r)))
        return rc;
    if (db_int(&r, 0, 0) > 0)
        return invalid_product(q->problem, "Shoppers ordered or entered a draw for this size: its "
                                           "label stays (add another size instead).");
    struct db_val uv[] = {DB_I(q->size), DB_I(q->sku)};
    if ((rc = db_exec(c->db, &q_size_update, uv, 2, c->arena, NULL)))
        return rc == ERR_EXISTS ? invalid_product(q->problem, "The product has that size already.")
                                : rc;
    q->changed = true;
    return audit_write(
        c, q->actor, "size_edit",
        str_from_cstr(arena_sprintf(c->arena, "sku:%lld", (long long)q->sku)),
        str_from_cstr(arena_sprintf(c->arena, "product %lld: size %lld -> %lld",
                                    (long long)q->product, (long long)was, (long long)q->size)));
}

int catalog_size_edit(struct shop_ctx *ctx, int64_t product_id, int64_t sku_id, int64_t size_mm,
                      struct str actor, struct shop_problem *problem)
{
    if (size_mm < 200 || size_mm > 330)
        return invalid_product(problem, "A size is 200 to 330 mm.");
    struct size_edit_tx q = {ctx, product_id, sku_id, size_mm, actor, false, problem};
    int rc = db_tx(ctx->db, &price_retry, size_edit_tx, &q);
    if (err_is_retryable(rc))
        return SHOP_ROW_BUSY;
    if (rc)
        return rc;
    if (q.changed) {
        log_info("catalog: size of sku %lld set to %lld by %.*s", (long long)sku_id,
                 (long long)size_mm, STR_FMT(actor));
        forget_product(ctx, product_id);
    }
    return 0;
}
