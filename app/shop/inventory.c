/* inventory — stock buckets and ledger; see inventory.h. */
#include "inventory.h"

#include "core/err.h"
#include "db/retry.h"
#include "shop/audit.h"
#include "shop/catalog.h"
#include "shop/outcome.h"
#include "shop/session.h"
#include "core/log.h"
#include "core/sec.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt q_pick_free = {
    "stock_pick_free",
    "SELECT bucket FROM stock WHERE sku_id = ? AND available >= ?"
    " ORDER BY bucket LIMIT 1 FOR UPDATE SKIP LOCKED",
    0};

/* a plain (non-locking, latest committed) read of the buckets that could serve the quantity */
static const struct db_stmt q_candidates = {
    "stock_candidates", "SELECT bucket FROM stock WHERE sku_id = ? AND available >= ?", 0};

/* waits for the bucket's row lock and takes the units in one statement (one round trip less
 * while the hot row is locked); 0 rows when the bucket no longer has enough */
static const struct db_stmt q_hold_if = {
    "stock_hold_if",
    "UPDATE stock SET available = available - ?, held = held + ?"
    " WHERE sku_id = ? AND bucket = ? AND available >= ?",
    0};

static const struct db_stmt q_lock_all = {
    "stock_lock_all",
    "SELECT bucket, available FROM stock WHERE sku_id = ? ORDER BY bucket FOR UPDATE", 0};

static const struct db_stmt q_hold = {"stock_hold",
                                      "UPDATE stock SET available = available - ?, held = held + ?"
                                      " WHERE sku_id = ? AND bucket = ?",
                                      0};

static const struct db_stmt q_ledger = {
    "ledger_insert",
    "INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, d_held, d_sold,"
    " ref_type, ref_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    0};

static int ledger(struct shop_ctx *c, int64_t sku, int64_t bucket, const char *reason, int64_t da,
                  int64_t dh, int64_t ds, const char *ref_type, struct str ref_id)
{
    struct db_val v[] = {DB_I(sku), DB_I(bucket), DB_CS(reason),   DB_I(da),
                         DB_I(dh),  DB_I(ds),     DB_CS(ref_type), DB_S(ref_id)};
    return db_exec(c->db, &q_ledger, v, 8, c->arena, NULL);
}

static int take(struct shop_ctx *c, int64_t sku, int64_t bucket, int64_t q, struct str ref)
{
    struct db_val v[] = {DB_I(q), DB_I(q), DB_I(sku), DB_I(bucket)};
    int rc = db_exec(c->db, &q_hold, v, 4, c->arena, NULL);
    if (rc)
        return rc;
    return ledger(c, sku, bucket, "hold", -q, q, 0, "order", ref);
}

/* hold_if: waits for the bucket's row lock and takes qty if it still has them; *done says */
static int hold_if(struct shop_ctx *c, int64_t sku_id, int64_t bucket, int64_t qty, struct str ref,
                   bool *done)
{
    struct db_result r;
    struct db_val o[] = {DB_I(qty), DB_I(qty), DB_I(sku_id), DB_I(bucket), DB_I(qty)};
    int rc = db_exec(c->db, &q_hold_if, o, 5, c->arena, &r);
    if (rc)
        return rc;
    *done = r.affected == 1;
    return *done ? ledger(c, sku_id, bucket, "hold", -qty, qty, 0, "order", ref) : 0;
}

int inventory_hold(struct shop_ctx *c, int64_t sku_id, int64_t qty, int64_t buckets,
                   int64_t order_id)
{
    struct str ref = str_from_cstr(arena_sprintf(c->arena, "%lld", (long long)order_id));
    struct db_result r;
    struct db_val v[] = {DB_I(sku_id), DB_I(qty)};
    bool done = false;
    int rc;
    if (buckets <= 1) {
        /* one row: queue on it and take the units in one statement, so a hot row is held
         * only for this, the ledger row and the commit */
        if ((rc = hold_if(c, sku_id, 0, qty, ref, &done)) || done)
            return rc;
    } else {
        /* a bucket no other transaction holds, if there is one */
        if ((rc = db_exec(c->db, &q_pick_free, v, 2, c->arena, &r)))
            return rc;
        if (r.nrows == 1)
            return take(c, sku_id, db_int(&r, 0, 0), qty, ref);
        /* every bucket with enough is busy: queue on one of those that had enough (a plain
         * read), picked at random so the waiters spread over the buckets */
        if ((rc = db_exec(c->db, &q_candidates, v, 2, c->arena, &r)))
            return rc;
        if (r.nrows > 0) {
            int64_t bucket = db_int(&r, sec_random_below((uint32_t)r.nrows), 0);
            if ((rc = hold_if(c, sku_id, bucket, qty, ref, &done)) || done)
                return rc;
        }
    }

    /* none has enough on its own (or it went while we waited): wait for all of them */
    struct db_val a[] = {DB_I(sku_id)};
    if ((rc = db_exec(c->db, &q_lock_all, a, 1, c->arena, &r)))
        return rc;
    int64_t total = 0;
    for (size_t i = 0; i < r.nrows; i++)
        total += db_int(&r, i, 1);
    if (total < qty)
        return ERR_CONFLICT;
    for (size_t i = 0; i < r.nrows; i++) {
        if (db_int(&r, i, 1) >= qty)
            return take(c, sku_id, db_int(&r, i, 0), qty, ref);
    }
    int64_t left = qty;
    for (size_t i = 0; i < r.nrows && left > 0; i++) {
        int64_t q = db_int(&r, i, 1) < left ? db_int(&r, i, 1) : left;
        if (q == 0)
            continue;
        if ((rc = take(c, sku_id, db_int(&r, i, 0), q, ref)))
            return rc;
        left -= q;
    }
    return 0;
}

/* the units an order still holds, per bucket, in lock order */
static const struct db_stmt q_order_holds = {
    "order_holds",
    "SELECT sku_id, bucket, SUM(d_held) FROM inventory_ledger"
    " WHERE ref_type = 'order' AND ref_id = ?"
    " GROUP BY sku_id, bucket HAVING SUM(d_held) > 0 ORDER BY sku_id, bucket",
    0};

static const struct db_stmt q_release = {
    "stock_release",
    "UPDATE stock SET available = available + ?, held = held - ? WHERE sku_id = ? AND bucket = ?",
    0};

static const struct db_stmt q_sell = {
    "stock_sell",
    "UPDATE stock SET held = held - ?, sold = sold + ? WHERE sku_id = ? AND bucket = ?", 0};

static int move_held(struct shop_ctx *c, int64_t order_id, const char *reason, bool sell)
{
    struct str ref = str_from_cstr(arena_sprintf(c->arena, "%lld", (long long)order_id));
    struct db_result r;
    struct db_val v[] = {DB_S(ref)};
    int rc = db_exec(c->db, &q_order_holds, v, 1, c->arena, &r);
    if (rc)
        return rc;
    for (size_t i = 0; i < r.nrows; i++) {
        int64_t sku = db_int(&r, i, 0), bucket = db_int(&r, i, 1), q = db_int(&r, i, 2);
        struct db_val u[] = {DB_I(q), DB_I(q), DB_I(sku), DB_I(bucket)};
        if ((rc = db_exec(c->db, sell ? &q_sell : &q_release, u, 4, c->arena, NULL)))
            return rc;
        rc = sell ? ledger(c, sku, bucket, reason, 0, -q, q, "order", ref)
                  : ledger(c, sku, bucket, reason, q, -q, 0, "order", ref);
        if (rc)
            return rc;
    }
    return 0;
}

int inventory_release(struct shop_ctx *c, int64_t order_id, const char *reason)
{
    return move_held(c, order_id, reason, false);
}

int inventory_sell(struct shop_ctx *c, int64_t order_id)
{
    return move_held(c, order_id, "sell", true);
}

static const struct db_stmt q_order_sold = {
    "order_sold",
    "SELECT sku_id, bucket, SUM(d_sold) FROM inventory_ledger"
    " WHERE ref_type = 'order' AND ref_id = ?"
    " GROUP BY sku_id, bucket HAVING SUM(d_sold) > 0 ORDER BY sku_id, bucket",
    0};

static const struct db_stmt q_unsell = {
    "stock_unsell",
    "UPDATE stock SET available = available + ?, sold = sold - ? WHERE sku_id = ? AND bucket = ?",
    0};

int inventory_unsell(struct shop_ctx *c, int64_t order_id)
{
    struct str ref = str_from_cstr(arena_sprintf(c->arena, "%lld", (long long)order_id));
    struct db_result r;
    struct db_val v[] = {DB_S(ref)};
    int rc = db_exec(c->db, &q_order_sold, v, 1, c->arena, &r);
    if (rc)
        return rc;
    for (size_t i = 0; i < r.nrows; i++) {
        int64_t sku = db_int(&r, i, 0), bucket = db_int(&r, i, 1), q = db_int(&r, i, 2);
        struct db_val u[] = {DB_I(q), DB_I(q), DB_I(sku), DB_I(bucket)};
        if ((rc = db_exec(c->db, &q_unsell, u, 4, c->arena, NULL)) ||
            (rc = ledger(c, sku, bucket, "refund", q, 0, -q, "order", ref)))
            return rc;
    }
    return 0;
}

static const struct db_stmt q_insert_bucket = {
    "stock_insert_bucket",
    "INSERT IGNORE INTO stock (sku_id, bucket, available, held, sold) VALUES (?, ?, 0, 0, 0)", 0};

static const struct db_stmt q_set_available = {
    "stock_set_available", "UPDATE stock SET available = ? WHERE sku_id = ? AND bucket = ?", 0};

static const struct db_stmt q_sku_exists = {"sku_exists", "SELECT id FROM skus WHERE id = ?",
                                            DB_IDEMPOTENT};

struct rebucket_tx {
    struct shop_ctx *c;
    int64_t sku_id, n;
    struct str actor;
};

static int rebucket_tx(void *arg)
{
    struct rebucket_tx *q = arg;
    struct shop_ctx *c = q->c;
    struct db_result r;
    struct db_val s[] = {DB_I(q->sku_id)};
    int rc = db_exec(c->db, &q_sku_exists, s, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_SKU_NOT_FOUND;
    for (int64_t b = 0; b < q->n; b++) {
        struct db_val v[] = {DB_I(q->sku_id), DB_I(b)};
        if ((rc = db_exec(c->db, &q_insert_bucket, v, 2, c->arena, NULL)))
            return rc;
    }
    if ((rc = db_exec(c->db, &q_lock_all, s, 1, c->arena, &r)))
        return rc;
    int64_t total = 0;
    for (size_t i = 0; i < r.nrows; i++)
        total += db_int(&r, i, 1);
    for (size_t i = 0; i < r.nrows; i++) {
        int64_t bucket = db_int(&r, i, 0), now = db_int(&r, i, 1);
        int64_t want = bucket < q->n ? total / q->n + (bucket < total % q->n ? 1 : 0) : 0;
        if (want == now)
            continue;
        struct db_val v[] = {DB_I(want), DB_I(q->sku_id), DB_I(bucket)};
        if ((rc = db_exec(c->db, &q_set_available, v, 3, c->arena, NULL)) ||
            (rc = ledger(c, q->sku_id, bucket, "rebucket", want - now, 0, 0, "admin", q->actor)))
            return rc;
    }
    return 0;
}

/* Rebucketing a size that checkouts are taking: a few retries, then "try again". */
static const struct db_retry rebucket_retry = {"rebucket", 3, 5, 50, NULL};

int inventory_rebucket(struct shop_ctx *c, int64_t sku_id, int64_t n, struct str actor)
{
    if (n < 1 || n > 64)
        return ERR_INVAL;
    struct rebucket_tx q = {c, sku_id, n, actor};
    int rc = db_tx(c->db, &rebucket_retry, rebucket_tx, &q);
    return err_is_retryable(rc) ? SHOP_ROW_BUSY : rc;
}

/* ---------------------------------------------------------------- receive and adjust */

static const struct db_stmt q_adj_sku = {"adjust_sku", "SELECT id FROM skus WHERE id = ?", 0};
static const struct db_stmt q_adj_buckets = {
    "adjust_buckets",
    "SELECT bucket, available FROM stock WHERE sku_id = ? ORDER BY bucket FOR UPDATE", 0};
static const struct db_stmt q_adj_new_bucket = {
    "adjust_new_bucket", "INSERT INTO stock (sku_id, bucket, available) VALUES (?, 0, 0)", 0};
static const struct db_stmt q_adj_take = {
    "adjust_take", "UPDATE stock SET available = available + ? WHERE sku_id = ? AND bucket = ?", 0};
static const struct db_stmt q_adj_ledger = {
    "adjust_ledger",
    "INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available, ref_type, ref_id)"
    " VALUES (?, ?, ?, ?, 'admin', ?)",
    0};

struct adjust_tx {
    struct shop_ctx *c;
    int64_t sku_id, delta;
    bool receive;
    struct str note, actor;
};

static int adjust_move(struct adjust_tx *q, int64_t bucket, int64_t d)
{
    struct shop_ctx *c = q->c;
    const char *reason = q->receive ? "receive" : "adjust";
    struct db_val tv[] = {DB_I(d), DB_I(q->sku_id), DB_I(bucket)};
    struct db_val lv[] = {DB_I(q->sku_id), DB_I(bucket), DB_CS(reason), DB_I(d),
                          DB_S(session_clip(c->arena, q->note, 64))};
    int rc = db_exec(c->db, &q_adj_take, tv, 3, c->arena, NULL);
    return rc ? rc : db_exec(c->db, &q_adj_ledger, lv, 5, c->arena, NULL);
}

static int adjust_tx(void *arg)
{
    struct adjust_tx *q = arg;
    struct shop_ctx *c = q->c;
    struct db_result r;
    struct db_val sv[] = {DB_I(q->sku_id)};
    int rc = db_exec(c->db, &q_adj_sku, sv, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_SKU_NOT_FOUND;
    if ((rc = db_exec(c->db, &q_adj_buckets, sv, 1, c->arena, &r)))
        return rc;
    if (q->delta > 0) {
        if (r.nrows == 0 && (rc = db_exec(c->db, &q_adj_new_bucket, sv, 1, c->arena, NULL)))
            return rc;
        int64_t bucket = r.nrows ? db_int(&r, 0, 0) : 0;
        if ((rc = adjust_move(q, bucket, q->delta)))
            return rc;
    } else {
        int64_t need = -q->delta, have = 0;
        for (size_t i = 0; i < r.nrows; i++)
            have += db_int(&r, i, 1);
        if (have < need)
            return SHOP_OUT_OF_STOCK;
        for (size_t i = 0; i < r.nrows && need > 0; i++) {
            int64_t take = db_int(&r, i, 1) < need ? db_int(&r, i, 1) : need;
            if (take > 0 && (rc = adjust_move(q, db_int(&r, i, 0), -take)))
                return rc;
            need -= take;
        }
    }
    char target[40], detail[AUDIT_DETAIL_MAX + 40];
    snprintf(target, sizeof target, "sku:%lld", (long long)q->sku_id);
    snprintf(detail, sizeof detail, "%+lld pairs: %.*s", (long long)q->delta,
             (int)(q->note.len < AUDIT_DETAIL_MAX ? q->note.len : AUDIT_DETAIL_MAX),
             q->note.p ? q->note.p : "");
    return audit_write(c, q->actor, q->receive ? "stock_receive" : "stock_adjust",
                       str_from_cstr(target), str_from_cstr(detail));
}

int inventory_adjust(struct shop_ctx *c, int64_t sku_id, int64_t delta, bool receive,
                     struct str note, struct str actor)
{
    if (delta == 0 || delta > 100000 || delta < -100000 || (receive && delta < 0))
        return SHOP_INVALID_QUANTITY;
    struct adjust_tx q = {c, sku_id, delta, receive, note, actor};
    int rc = db_tx(c->db, &rebucket_retry, adjust_tx, &q);
    if (rc == 0)
        catalog_stock_changed(c, sku_id);
    return err_is_retryable(rc) ? SHOP_ROW_BUSY : rc;
}

static const struct db_stmt q_bucket_count = {
    "stock_bucket_count", "SELECT COUNT(*) FROM stock WHERE sku_id = ? AND available > 0",
    DB_IDEMPOTENT};

int inventory_buckets(struct shop_ctx *c, int64_t sku_id, int64_t *n)
{
    struct db_result r;
    struct db_val v[] = {DB_I(sku_id)};
    int rc = db_exec(c->db, &q_bucket_count, v, 1, c->arena, &r);
    if (rc == 0)
        *n = db_int(&r, 0, 0);
    return rc;
}

/* ---------------------------------------------------------------- audit */

static const struct db_stmt q_audit_buckets = {
    "audit_buckets",
    "SELECT s.sku_id, s.bucket, s.available, s.held, s.sold,"
    "       COALESCE(l.da, 0), COALESCE(l.dh, 0), COALESCE(l.ds, 0)"
    "  FROM stock s LEFT JOIN (SELECT sku_id, bucket, SUM(d_available) da, SUM(d_held) dh,"
    "                                 SUM(d_sold) ds FROM inventory_ledger"
    "                          GROUP BY sku_id, bucket) l"
    "    ON l.sku_id = s.sku_id AND l.bucket = s.bucket"
    " ORDER BY s.sku_id, s.bucket",
    DB_IDEMPOTENT};

/* per SKU: held and sold by the stock rows vs. by the orders */
static const struct db_stmt q_audit_orders = {
    "audit_orders",
    "SELECT k.id, COALESCE(st.held, 0), COALESCE(st.sold, 0), COALESCE(o.held, 0),"
    "       COALESCE(o.sold, 0)"
    "  FROM skus k"
    "  LEFT JOIN (SELECT sku_id, SUM(held) held, SUM(sold) sold FROM stock GROUP BY sku_id) st"
    "    ON st.sku_id = k.id"
    "  LEFT JOIN (SELECT l.sku_id,"
    "                    SUM(IF(o.status IN ('pending_payment', 'payment_unknown'),"
    "                           l.quantity, 0)) held,"
    "                    SUM(IF(o.status = 'paid', l.quantity, 0)) sold"
    "               FROM order_lines l JOIN orders o ON o.id = l.order_id"
    "              GROUP BY l.sku_id) o ON o.sku_id = k.id"
    " ORDER BY k.id",
    DB_IDEMPOTENT};

static const struct db_stmt q_ledger_orphans = {
    "audit_ledger_orphans",
    "SELECT COUNT(*) FROM inventory_ledger l LEFT JOIN stock s"
    "    ON s.sku_id = l.sku_id AND s.bucket = l.bucket WHERE s.sku_id IS NULL",
    DB_IDEMPOTENT};

static void add_issue(struct shop_ctx *c, struct audit_report *out, size_t *cap, int64_t sku,
                      int64_t bucket, const char *what, int64_t expected, int64_t actual)
{
    if (out->nissues == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct audit_issue *n = arena_alloc(c->arena, ncap * sizeof *n);
        if (out->nissues)
            memcpy(n, out->issues, out->nissues * sizeof *n);
        out->issues = n;
        *cap = ncap;
    }
    out->issues[out->nissues++] = (struct audit_issue){sku, bucket, what, expected, actual};
}

int inventory_audit(struct shop_ctx *c, struct audit_report *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    /* one snapshot for all three reads, so a checkout committing meanwhile cannot show up
     * in one query and not in another */
    int rc = db_begin_snapshot(c->db);
    if (rc)
        return rc;
    struct db_result b, o, orphans;
    if ((rc = db_exec(c->db, &q_audit_buckets, NULL, 0, c->arena, &b)) ||
        (rc = db_exec(c->db, &q_audit_orders, NULL, 0, c->arena, &o)) ||
        (rc = db_exec(c->db, &q_ledger_orphans, NULL, 0, c->arena, &orphans))) {
        db_rollback(c->db);
        return rc;
    }
    db_commit(c->db);

    out->buckets = b.nrows;
    for (size_t i = 0; i < b.nrows; i++) {
        int64_t sku = db_int(&b, i, 0), bucket = db_int(&b, i, 1);
        int64_t av = db_int(&b, i, 2), he = db_int(&b, i, 3), so = db_int(&b, i, 4);
        int64_t la = db_int(&b, i, 5), lh = db_int(&b, i, 6), ls = db_int(&b, i, 7);
        if (av < 0 || he < 0 || so < 0)
            add_issue(c, out, &cap, sku, bucket, "negative stock", 0,
                      av < 0   ? av
                      : he < 0 ? he
                               : so);
        if (av != la)
            add_issue(c, out, &cap, sku, bucket, "available differs from ledger", la, av);
        if (he != lh)
            add_issue(c, out, &cap, sku, bucket, "held differs from ledger", lh, he);
        if (so != ls)
            add_issue(c, out, &cap, sku, bucket, "sold differs from ledger", ls, so);
    }
    out->skus = o.nrows;
    for (size_t i = 0; i < o.nrows; i++) {
        int64_t sku = db_int(&o, i, 0);
        if (db_int(&o, i, 1) != db_int(&o, i, 3))
            add_issue(c, out, &cap, sku, -1, "held differs from open orders", db_int(&o, i, 3),
                      db_int(&o, i, 1));
        if (db_int(&o, i, 2) != db_int(&o, i, 4))
            add_issue(c, out, &cap, sku, -1, "sold differs from paid orders", db_int(&o, i, 4),
                      db_int(&o, i, 2));
    }
    if (db_int(&orphans, 0, 0) != 0)
        add_issue(c, out, &cap, 0, -1, "ledger rows without a stock bucket", 0,
                  db_int(&orphans, 0, 0));
    return 0;
}
