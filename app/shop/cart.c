/* cart — shopping cart; see cart.h. */
#include "cart.h"

#include "core/err.h"
#include "db/retry.h"

#include <string.h>

static const struct db_stmt q_cart = {
    "cart_get",
    "SELECT c.sku_id, c.quantity, k.size_mm, p.id, p.slug, p.name, p.brand, p.image,"
    "       p.price_krw, COALESCE((SELECT SUM(s.available) FROM stock s"
    "                              WHERE s.sku_id = c.sku_id), 0),"
    "       COALESCE(p.max_per_account, 0)"
    "  FROM cart_items c JOIN skus k ON k.id = c.sku_id JOIN products p ON p.id = k.product_id"
    " WHERE c.account_id = ? ORDER BY c.added_at, c.sku_id",
    DB_IDEMPOTENT};

static const struct db_stmt q_pairs = {
    "cart_pairs", "SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE account_id = ?",
    DB_IDEMPOTENT};

static const struct db_stmt q_lock_account = {"account_lock",
                                              "SELECT id FROM accounts WHERE id = ? FOR UPDATE", 0};

static const struct db_stmt q_sku_info = {
    "cart_sku_info",
    "SELECT k.product_id, COALESCE(p.max_per_account, 0), p.name,"
    "       COALESCE((SELECT SUM(s.available) FROM stock s WHERE s.sku_id = k.id), 0),"
    "       (SELECT quantity FROM cart_items WHERE account_id = ? AND sku_id = k.id)"
    "  FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = ? AND p.active = 1",
    0};

static const struct db_stmt q_other_lines = {
    "cart_product_pairs",
    "SELECT COALESCE(SUM(c.quantity), 0) FROM cart_items c JOIN skus k ON k.id = c.sku_id"
    " WHERE c.account_id = ? AND k.product_id = ? AND c.sku_id <> ?",
    0};

static const struct db_stmt q_purchased = {
    "cart_purchased",
    "SELECT COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l ON l.order_id = o.id"
    " WHERE o.account_id = ? AND l.product_id = ?"
    "   AND o.status IN ('pending_payment', 'paid', 'payment_unknown')",
    0};

static const struct db_stmt q_upsert = {
    "cart_upsert",
    "INSERT INTO cart_items (account_id, sku_id, quantity) VALUES (?, ?, ?)"
    " ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)",
    0};

static const struct db_stmt q_remove = {
    "cart_remove", "DELETE FROM cart_items WHERE account_id = ? AND sku_id = ?", 0};

int cart_get(struct shop_ctx *c, int64_t account_id, struct cart *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(account_id)};
    int rc = db_exec(c->db, &q_cart, v, 1, c->arena, &r);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    out->lines = arena_calloc(c->arena, r.nrows + 1, sizeof *out->lines);
    out->n = r.nrows;
    for (size_t i = 0; i < r.nrows; i++) {
        struct cart_line *l = &out->lines[i];
        l->sku_id = db_int(&r, i, 0);
        l->quantity = db_int(&r, i, 1);
        l->size_mm = db_int(&r, i, 2);
        l->product_id = db_int(&r, i, 3);
        l->slug = db_text(&r, i, 4);
        l->name = db_text(&r, i, 5);
        l->brand = db_text(&r, i, 6);
        l->image = db_text(&r, i, 7);
        l->unit_price = db_int(&r, i, 8);
        l->available = db_int(&r, i, 9);
        l->max_per_account = db_int(&r, i, 10);
        out->total += l->unit_price * l->quantity;
        out->pairs += l->quantity;
    }
    return 0;
}

int cart_pairs(struct shop_ctx *c, int64_t account_id, int64_t *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(account_id)};
    int rc = db_exec(c->db, &q_pairs, v, 1, c->arena, &r);
    if (rc == 0)
        *out = db_int(&r, 0, 0);
    return rc;
}

int cart_purchased(struct shop_ctx *c, int64_t account_id, int64_t product_id, int64_t *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(account_id), DB_I(product_id)};
    int rc = db_exec(c->db, &q_purchased, v, 2, c->arena, &r);
    if (rc == 0)
        *out = db_int(&r, 0, 0);
    return rc;
}

struct cart_tx {
    struct shop_ctx *c;
    int64_t account_id, sku_id, quantity;
    struct shop_problem *problem;
};

static int cart_tx(void *arg)
{
    struct cart_tx *q = arg;
    struct shop_ctx *c = q->c;
    int64_t max_line = q->problem->max_line;
    memset(q->problem, 0, sizeof *q->problem);
    q->problem->max_line = max_line;
    /* the account row serializes this shopper's cart changes and checkouts */
    struct db_val a[] = {DB_I(q->account_id)};
    int rc = db_exec(c->db, &q_lock_account, a, 1, c->arena, NULL);
    if (rc)
        return rc;
    if (q->quantity == 0) {
        struct db_val v[] = {DB_I(q->account_id), DB_I(q->sku_id)};
        return db_exec(c->db, &q_remove, v, 2, c->arena, NULL);
    }
    struct db_result info;
    struct db_val iv[] = {DB_I(q->account_id), DB_I(q->sku_id)};
    if ((rc = db_exec(c->db, &q_sku_info, iv, 2, c->arena, &info)))
        return rc;
    if (info.nrows == 0)
        return SHOP_SKU_NOT_FOUND;
    int64_t product = db_int(&info, 0, 0), limit = db_int(&info, 0, 1);
    q->problem->product = db_text(&info, 0, 2);
    int64_t available = db_int(&info, 0, 3);
    bool in_cart = !db_is_null(&info, 0, 4);
    if (available == 0 && !in_cart)
        return SHOP_SOLD_OUT;
    if (limit > 0) {
        struct db_result o;
        struct db_val ov[] = {DB_I(q->account_id), DB_I(product), DB_I(q->sku_id)};
        int64_t bought = 0;
        if ((rc = db_exec(c->db, &q_other_lines, ov, 3, c->arena, &o)) ||
            (rc = cart_purchased(c, q->account_id, product, &bought)))
            return rc;
        if (db_int(&o, 0, 0) + bought + q->quantity > limit) {
            q->problem->limit = limit;
            q->problem->already = bought;
            return SHOP_LIMIT_EXCEEDED;
        }
    }
    struct db_val u[] = {DB_I(q->account_id), DB_I(q->sku_id), DB_I(q->quantity)};
    return db_exec(c->db, &q_upsert, u, 3, c->arena, NULL);
}

int cart_set(struct shop_ctx *c, int64_t account_id, int64_t sku_id, int64_t quantity,
             struct shop_problem *problem)
{
    memset(problem, 0, sizeof *problem);
    problem->max_line = shop_rules(c)->cart_max_line;
    if (quantity < 0 || quantity > problem->max_line)
        return SHOP_INVALID_QUANTITY;
    struct cart_tx q = {c, account_id, sku_id, quantity, problem};
    return db_tx(c->db, &db_retry_default, cart_tx, &q);
}
