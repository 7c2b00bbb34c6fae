/* catalog — product reads; see catalog.h. */
#include "catalog.h"

#include "core/err.h"

static const struct db_stmt q_list = {
    "catalog_list",
    "SELECT p.id, p.slug, p.name, p.brand, p.colorway, p.image, p.price_krw,"
    "       COALESCE((SELECT SUM(s.available) FROM skus k JOIN stock s ON s.sku_id = k.id"
    "                 WHERE k.product_id = p.id), 0)"
    "  FROM products p WHERE p.active = 1"
    " ORDER BY p.release_date DESC, p.id DESC",
    DB_IDEMPOTENT};

static const struct db_stmt q_product = {
    "catalog_product",
    "SELECT id, slug, name, brand, colorway, description, image,"
    "       COALESCE(DATE_FORMAT(release_date, '%Y-%m-%d'), ''), price_krw,"
    "       COALESCE(max_per_account, 0)"
    "  FROM products WHERE slug = ? AND active = 1",
    DB_IDEMPOTENT};

static const struct db_stmt q_sizes = {
    "catalog_sizes",
    "SELECT k.id, k.size_mm, COALESCE(SUM(s.available), 0)"
    "  FROM skus k LEFT JOIN stock s ON s.sku_id = k.id"
    " WHERE k.product_id = ? GROUP BY k.id, k.size_mm ORDER BY k.size_mm",
    DB_IDEMPOTENT};

int catalog_list(struct shop_ctx *ctx, struct catalog_list *out)
{
    struct db_result r;
    int rc = db_exec(ctx->db, &q_list, NULL, 0, ctx->arena, &r);
    if (rc)
        return rc;
    out->n = r.nrows;
    out->items = arena_calloc(ctx->arena, r.nrows + 1, sizeof *out->items);
    for (size_t i = 0; i < r.nrows; i++) {
        struct catalog_item *it = &out->items[i];
        it->id = db_int(&r, i, 0);
        it->slug = db_text(&r, i, 1);
        it->name = db_text(&r, i, 2);
        it->brand = db_text(&r, i, 3);
        it->colorway = db_text(&r, i, 4);
        it->image = db_text(&r, i, 5);
        it->price = db_int(&r, i, 6);
        it->available = db_int(&r, i, 7);
    }
    return 0;
}

int catalog_product_by_slug(struct shop_ctx *ctx, struct str slug, struct catalog_product *out)
{
    struct db_result r;
    struct db_val p[] = {DB_S(slug)};
    int rc = db_exec(ctx->db, &q_product, p, 1, ctx->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return ERR_NOTFOUND;
    out->id = db_int(&r, 0, 0);
    out->slug = db_text(&r, 0, 1);
    out->name = db_text(&r, 0, 2);
    out->brand = db_text(&r, 0, 3);
    out->colorway = db_text(&r, 0, 4);
    out->description = db_text(&r, 0, 5);
    out->image = db_text(&r, 0, 6);
    out->release_date = db_text(&r, 0, 7);
    out->price = db_int(&r, 0, 8);
    out->max_per_account = db_int(&r, 0, 9);

    struct db_result s;
    struct db_val q[] = {DB_I(out->id)};
    rc = db_exec(ctx->db, &q_sizes, q, 1, ctx->arena, &s);
    if (rc)
        return rc;
    out->nsizes = s.nrows;
    out->sizes = arena_calloc(ctx->arena, s.nrows + 1, sizeof *out->sizes);
    out->available = 0;
    for (size_t i = 0; i < s.nrows; i++) {
        out->sizes[i].sku_id = db_int(&s, i, 0);
        out->sizes[i].size_mm = db_int(&s, i, 1);
        out->sizes[i].available = db_int(&s, i, 2);
        out->available += out->sizes[i].available;
    }
    return 0;
}
