/* order — order reads and hold expiry; see order.h. */
#include "order.h"

#include "core/err.h"
#include "db/retry.h"
#include "shop/outcome.h"
#include "shop/inventory.h"

#include <string.h>

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

/* the ship-to columns, NULL for orders placed before migration 007 */
#define SHIP                                                                                     \
    " o.ship_recipient IS NOT NULL, COALESCE(o.ship_recipient, ''), COALESCE(o.ship_phone, '')," \
    " COALESCE(o.ship_postcode, ''), COALESCE(o.ship_address, ''), COALESCE(o.ship_detail, '')"

static const struct db_stmt q_list = {
    "order_list",
    "SELECT o.id, o.status, o.total_krw, o.currency, " ISO("o.created_at") ", " ISO(
        "o.hold_expires_at") "," SHIP ", (SELECT COALESCE(SUM(quantity), 0) FROM order_lines"
                             " WHERE order_id = o.id) FROM orders o WHERE o.account_id = ? ORDER "
                             "BY o.id DESC LIMIT ?",
    DB_IDEMPOTENT};

static const struct db_stmt q_get = {
    "order_get",
    "SELECT o.id, o.status, o.total_krw, o.currency, " ISO("o.created_at") ", " ISO(
        "o.hold_expires_at") "," SHIP
                             ", COALESCE(" ISO(
                                 "o.paid_at") ", ''),"
                                              " o.hold_expires_at < NOW(6), o.account_id, ''"
                                              " FROM orders o WHERE o.id = ? AND o.account_id = ?",
    DB_IDEMPOTENT};

static const struct db_stmt q_get_any = {
    "order_get_any",
    "SELECT o.id, o.status, o.total_krw, o.currency, " ISO("o.created_at") ", " ISO(
        "o.hold_expires_at") "," SHIP
                             ", COALESCE(" ISO(
                                 "o.paid_at") ", ''),"
                                              " o.hold_expires_at < NOW(6), o.account_id, a.email"
                                              " FROM orders o JOIN accounts a ON a.id = "
                                              "o.account_id WHERE o.id = ?",
    DB_IDEMPOTENT};

static const struct db_stmt q_lines = {
    "order_lines",
    "SELECT l.sku_id, k.size_mm, l.quantity, l.unit_price_krw, p.slug, p.name, p.brand, p.image"
    "  FROM order_lines l JOIN skus k ON k.id = l.sku_id JOIN products p ON p.id = l.product_id"
    " WHERE l.order_id = ? ORDER BY l.line_no",
    DB_IDEMPOTENT};

static void fill(const struct db_result *r, size_t i, struct order *o)
{
    o->id = db_int(r, i, 0);
    o->status = db_text(r, i, 1);
    o->total = db_int(r, i, 2);
    o->currency = db_text(r, i, 3);
    o->created_at = db_text(r, i, 4);
    o->hold_expires_at = db_text(r, i, 5);
    o->ship = (struct order_ship){db_int(r, i, 6) != 0, db_text(r, i, 7),  db_text(r, i, 8),
                                  db_text(r, i, 9),     db_text(r, i, 10), db_text(r, i, 11)};
}
#define AFTER_SHIP 12

int order_list(struct shop_ctx *c, int64_t account_id, int64_t limit, struct order **out, size_t *n)
{
    struct db_result r;
    struct db_val v[] = {DB_I(account_id), DB_I(limit)};
    int rc = db_exec(c->db, &q_list, v, 2, c->arena, &r);
    if (rc)
        return rc;
    *out = arena_calloc(c->arena, r.nrows + 1, sizeof **out);
    *n = r.nrows;
    for (size_t i = 0; i < r.nrows; i++) {
        fill(&r, i, &(*out)[i]);
        (*out)[i].account_id = account_id;
        (*out)[i].pairs = db_int(&r, i, AFTER_SHIP);
    }
    return 0;
}

/* get: the order in r (one row of q_get or q_get_any) with its lines */
static int get(struct shop_ctx *c, const struct db_result *r, struct order *out)
{
    memset(out, 0, sizeof *out);
    fill(r, 0, out);
    out->paid_at = db_text(r, 0, AFTER_SHIP);
    out->hold_over = db_int(r, 0, AFTER_SHIP + 1) != 0;
    out->account_id = db_int(r, 0, AFTER_SHIP + 2);
    out->email = db_text(r, 0, AFTER_SHIP + 3);
    struct db_result l;
    struct db_val lv[] = {DB_I(out->id)};
    int rc = db_exec(c->db, &q_lines, lv, 1, c->arena, &l);
    if (rc)
        return rc;
    out->lines = arena_calloc(c->arena, l.nrows + 1, sizeof *out->lines);
    out->nlines = l.nrows;
    for (size_t i = 0; i < l.nrows; i++) {
        struct order_line *x = &out->lines[i];
        x->sku_id = db_int(&l, i, 0);
        x->size_mm = db_int(&l, i, 1);
        x->quantity = db_int(&l, i, 2);
        x->unit_price = db_int(&l, i, 3);
        x->slug = db_text(&l, i, 4);
        x->name = db_text(&l, i, 5);
        x->brand = db_text(&l, i, 6);
        x->image = db_text(&l, i, 7);
        out->pairs += x->quantity;
    }
    return 0;
}

int order_get(struct shop_ctx *c, int64_t account_id, int64_t order_id, struct order *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(order_id), DB_I(account_id)};
    int rc = db_exec(c->db, &q_get, v, 2, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_ORDER_NOT_FOUND;
    return get(c, &r, out);
}

int order_get_any(struct shop_ctx *c, int64_t order_id, struct order *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(order_id)};
    int rc = db_exec(c->db, &q_get_any, v, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_ORDER_NOT_FOUND;
    return get(c, &r, out);
}

static const struct db_stmt q_due = {
    "order_due",
    "SELECT id FROM orders WHERE status = 'pending_payment' AND hold_expires_at < NOW(6)"
    " ORDER BY hold_expires_at LIMIT ?",
    DB_IDEMPOTENT};

static const struct db_stmt q_lock_order = {
    "order_lock", "SELECT status, hold_expires_at < NOW(6) FROM orders WHERE id = ? FOR UPDATE", 0};

static const struct db_stmt q_mark_expired = {
    "order_mark_expired", "UPDATE orders SET status = 'expired', closed_at = NOW(6) WHERE id = ?",
    0};

int order_expire_locked(struct shop_ctx *c, int64_t order_id, bool *done)
{
    *done = false;
    struct db_result r;
    struct db_val v[] = {DB_I(order_id)};
    int rc = db_exec(c->db, &q_lock_order, v, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0 || !str_eq_cstr(db_text(&r, 0, 0), "pending_payment") || db_int(&r, 0, 1) == 0)
        return 0; /* paid, cancelled or already expired meanwhile */
    if ((rc = inventory_release(c, order_id, "expire")) ||
        (rc = db_exec(c->db, &q_mark_expired, v, 1, c->arena, NULL)))
        return rc;
    *done = true;
    return 0;
}

struct expire_tx {
    struct shop_ctx *c;
    int64_t order_id;
    bool *done;
};

static int expire_tx(void *arg)
{
    struct expire_tx *q = arg;
    return order_expire_locked(q->c, q->order_id, q->done);
}

/* One order's expiry meets checkouts and payments on its stock rows: a few quick retries. */
static const struct db_retry expire_retry = {"expire-hold", 5, 2, 20, NULL};

int order_expire_one(struct shop_ctx *c, int64_t order_id, bool *done)
{
    struct expire_tx q = {c, order_id, done};
    int rc = db_tx(c->db, &expire_retry, expire_tx, &q);
    if (rc)
        *done = false;
    return rc;
}

int order_expire_due(struct shop_ctx *c, int64_t limit, int64_t *expired)
{
    *expired = 0;
    struct db_result r;
    struct db_val v[] = {DB_I(limit)};
    int rc = db_exec(c->db, &q_due, v, 1, c->arena, &r);
    if (rc)
        return rc;
    for (size_t i = 0; i < r.nrows; i++) {
        bool done = false;
        if ((rc = order_expire_one(c, db_int(&r, i, 0), &done)))
            return rc;
        *expired += done;
    }
    return 0;
}
