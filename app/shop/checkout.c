/* checkout — cart to order with held stock; see checkout.h. */
#include "checkout.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "shop/cart.h"
#include "shop/inventory.h"

#include <stdio.h>
#include <string.h>

/* One round trip: lock the account row, read the hold's expiry from the database clock and
 * look up the idempotency key (with its order, if the key was used before). */
static const struct db_stmt q_lock_account = {
    "checkout_lock_account",
    "SELECT a.id, DATE_FORMAT(UTC_TIMESTAMP(6) + INTERVAL ? SECOND, '%Y-%m-%d %H:%i:%s.%f'),"
    "       DATE_FORMAT(UTC_TIMESTAMP(6) + INTERVAL ? SECOND, '%Y-%m-%dT%H:%i:%sZ'),"
    "       o.id, o.fingerprint, o.status, o.total_krw,"
    "       DATE_FORMAT(o.hold_expires_at, '%Y-%m-%dT%H:%i:%sZ')"
    "  FROM accounts a"
    "  LEFT JOIN orders o ON o.account_id = a.id AND o.idempotency_key = ?"
    " WHERE a.id = ? FOR UPDATE",
    0};

static const struct db_stmt q_cart = {
    "checkout_cart",
    "SELECT c.sku_id, c.quantity, k.size_mm, p.id, p.price_krw, COALESCE(p.max_per_account, 0),"
    "       p.name, (SELECT COUNT(*) FROM stock s WHERE s.sku_id = c.sku_id)"
    "  FROM cart_items c JOIN skus k ON k.id = c.sku_id JOIN products p ON p.id = k.product_id"
    " WHERE c.account_id = ? AND p.active = 1 ORDER BY c.sku_id",
    0};

/* buy now: the one size, with the same columns as q_cart */
static const struct db_stmt q_item = {
    "checkout_item",
    "SELECT k.id, ?, k.size_mm, p.id, p.price_krw, COALESCE(p.max_per_account, 0), p.name,"
    "       (SELECT COUNT(*) FROM stock s WHERE s.sku_id = k.id)"
    "  FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = ? AND p.active = 1",
    0};

/* hold_expires_at is UTC: the connection's time zone is UTC (db.c) */
static const struct db_stmt q_order = {
    "checkout_order",
    "INSERT INTO orders (account_id, status, total_krw, currency, idempotency_key, fingerprint,"
    " hold_expires_at) VALUES (?, 'pending_payment', ?, 'KRW', ?, ?, ?)",
    0};

static const struct db_stmt q_line = {
    "checkout_line",
    "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, quantity, unit_price_krw)"
    " VALUES (?, ?, ?, ?, ?, ?)",
    0};

static const struct db_stmt q_cart_clear = {"checkout_cart_clear",
                                            "DELETE FROM cart_items WHERE account_id = ?", 0};

struct line {
    int64_t sku, qty, size, product, price, limit;
    struct str name;
    int64_t buckets; /* stock rows of the size when read: a hint for inventory_hold */
};

/* fingerprint: SHA-256 over "sku:qty;" of the cart in SKU order */
static void fingerprint(const struct line *l, size_t n, uint8_t out[SEC_SHA256_LEN])
{
    char buf[64];
    struct buf b;
    buf_init(&b, 1 << 20);
    for (size_t i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof buf, "%lld:%lld;", (long long)l[i].sku, (long long)l[i].qty);
        buf_append(&b, buf, (size_t)len);
    }
    sec_sha256(out, b.p ? b.p : "", b.len);
    buf_free(&b);
}

static int attempt(struct shop_ctx *c, int64_t account_id, struct str key,
                   const struct checkout_item *direct, const struct checkout_opts *o,
                   struct checkout_result *out)
{
    struct db_result r;
    struct db_val acc[] = {DB_I(account_id)};
    struct db_val lk[] = {DB_I(o->hold_ttl_s), DB_I(o->hold_ttl_s), DB_S(key), DB_I(account_id)};
    int rc = db_exec(c->db, &q_lock_account, lk, 4, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return ERR_NOTFOUND;
    struct str expires_sql = db_text(&r, 0, 1), expires_iso = db_text(&r, 0, 2);

    struct db_result cart;
    if (direct) {
        struct db_val iv[] = {DB_I(direct->quantity), DB_I(direct->sku_id)};
        rc = db_exec(c->db, &q_item, iv, 2, c->arena, &cart);
    } else {
        rc = db_exec(c->db, &q_cart, acc, 1, c->arena, &cart);
    }
    if (rc)
        return rc;
    struct line *lines = arena_calloc(c->arena, cart.nrows + 1, sizeof *lines);
    int64_t total = 0;
    for (size_t i = 0; i < cart.nrows; i++) {
        lines[i] = (struct line){db_int(&cart, i, 0),  db_int(&cart, i, 1), db_int(&cart, i, 2),
                                 db_int(&cart, i, 3),  db_int(&cart, i, 4), db_int(&cart, i, 5),
                                 db_text(&cart, i, 6), db_int(&cart, i, 7)};
        total += lines[i].price * lines[i].qty;
    }
    uint8_t fp[SEC_SHA256_LEN];
    fingerprint(lines, cart.nrows, fp);

    if (!db_is_null(&r, 0, 3)) { /* the key was used before */
        struct str stored = db_text(&r, 0, 4);
        /* the first use emptied the cart; a replay with an empty cart is the same request */
        if (cart.nrows > 0 && !sec_equal(stored, (struct str){(const char *)fp, sizeof fp}))
            return ERR_EXISTS;
        out->order_id = db_int(&r, 0, 3);
        out->status = db_text(&r, 0, 5);
        out->total = db_int(&r, 0, 6);
        out->hold_expires_at = db_text(&r, 0, 7);
        out->replayed = true;
        return 0;
    }
    if (cart.nrows == 0)
        return ERR_INVAL;

    /* per-account limits, counted again under the account lock */
    for (size_t i = 0; i < cart.nrows; i++) {
        if (!lines[i].limit)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= lines[j].product == lines[i].product;
        if (seen)
            continue;
        int64_t in_cart = 0, bought = 0;
        for (size_t j = i; j < cart.nrows; j++)
            if (lines[j].product == lines[i].product)
                in_cart += lines[j].qty;
        if ((rc = cart_purchased(c, account_id, lines[i].product, &bought)))
            return rc;
        if (bought + in_cart > lines[i].limit) {
            out->limit_product = lines[i].name;
            out->limit = lines[i].limit;
            return ERR_LIMIT;
        }
    }

    struct db_result ins;
    struct db_val ov[] = {DB_I(account_id), DB_I(total), DB_S(key),
                          DB_S(((struct str){(const char *)fp, sizeof fp})), DB_S(expires_sql)};
    if ((rc = db_exec(c->db, &q_order, ov, 5, c->arena, &ins)))
        return rc;
    int64_t order_id = ins.insert_id;
    for (size_t i = 0; i < cart.nrows; i++) {
        struct db_val lv[] = {DB_I(order_id),         DB_I(i + 1),        DB_I(lines[i].sku),
                              DB_I(lines[i].product), DB_I(lines[i].qty), DB_I(lines[i].price)};
        if ((rc = db_exec(c->db, &q_line, lv, 6, c->arena, NULL)))
            return rc;
    }
    if (!direct && (rc = db_exec(c->db, &q_cart_clear, acc, 1, c->arena, NULL)))
        return rc;

    /* the stock locks come last: lines are in ascending SKU order */
    out->oos = arena_calloc(c->arena, cart.nrows + 1, sizeof *out->oos);
    for (size_t i = 0; i < cart.nrows; i++) {
        rc = inventory_hold(c, lines[i].sku, lines[i].qty, lines[i].buckets, order_id);
        if (rc == ERR_CONFLICT) {
            out->oos[out->noos++] =
                (struct checkout_oos){lines[i].sku, lines[i].size, lines[i].name, lines[i].qty};
            continue;
        }
        if (rc)
            return rc;
    }
    if (out->noos)
        return ERR_CONFLICT;
    out->order_id = order_id;
    out->total = total;
    out->status = STR("pending_payment");
    out->hold_expires_at = expires_iso;
    return 0;
}

int checkout_place(struct shop_ctx *c, int64_t account_id, struct str key,
                   const struct checkout_item *direct, const struct checkout_opts *o,
                   struct checkout_result *out)
{
    int rc = ERR_DB_RETRY;
    for (int n = 0; n <= o->max_retries; n++) {
        memset(out, 0, sizeof *out);
        out->attempts = n + 1;
        if (n > 0) {
            /* jittered exponential back-off: 1..2^n ms, at most 64 ms */
            int64_t cap = (int64_t)1 << (n < 6 ? n : 6);
            clock_sleep_ms(1 + (int64_t)sec_random_below((uint32_t)cap));
        }
        if ((rc = db_begin(c->db)))
            break;
        rc = attempt(c, account_id, key, direct, o, out);
        if (rc == 0)
            rc = db_commit(c->db);
        else
            db_rollback(c->db);
        if (!err_is_retryable(rc))
            break;
    }
    if (err_is_retryable(rc))
        log_warn("checkout for account %lld gave up after %d attempts", (long long)account_id,
                 out->attempts);
    return rc;
}
