/* checkout — cart to order with held stock; see checkout.h. */
#include "checkout.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "db/retry.h"
#include "shop/cart.h"
#include "shop/inventory.h"

#include <stdio.h>
#include <string.h>

/* One round trip: lock the account row, read the hold's expiry from the database clock, look
 * up the idempotency key (with its order, if the key was used before) and read the account's
 * shipping address (locked with the account, so it cannot change under the order). */
static const struct db_stmt q_lock_account = {
    "checkout_lock_account",
    "SELECT a.id, DATE_FORMAT(UTC_TIMESTAMP(6) + INTERVAL ? SECOND, '%Y-%m-%d %H:%i:%s.%f'),"
    "       DATE_FORMAT(UTC_TIMESTAMP(6) + INTERVAL ? SECOND, '%Y-%m-%dT%H:%i:%sZ'),"
    "       o.id, o.fingerprint, o.status, o.total_krw,"
    "       DATE_FORMAT(o.hold_expires_at, '%Y-%m-%dT%H:%i:%sZ'),"
    "       ad.account_id IS NOT NULL, ad.recipient, ad.phone, ad.postcode, ad.address,"
    "       ad.detail"
    "  FROM accounts a"
    "  LEFT JOIN orders o ON o.account_id = a.id AND o.idempotency_key = ?"
    "  LEFT JOIN account_addresses ad ON ad.account_id = a.id"
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

/* hold_expires_at is UTC: the connection's time zone is UTC (db.c); the order keeps the
 * address it ships to as it is now */
static const struct db_stmt q_order = {
    "checkout_order",
    "INSERT INTO orders (account_id, status, total_krw, currency, idempotency_key, fingerprint,"
    " hold_expires_at, ship_recipient, ship_phone, ship_postcode, ship_address, ship_detail)"
    " VALUES (?, 'pending_payment', ?, 'KRW', ?, ?, ?, ?, ?, ?, ?, ?)",
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

/* One attempt's state: what it is asked and what it has read so far. */
struct attempt {
    struct shop_ctx *c;
    int64_t account_id;
    struct str key;
    const struct checkout_item *direct;
    struct checkout_result *out;
    int attempts;
    /* read by the phases */
    struct str expires_sql, expires_iso;
    bool has_address;
    struct str ship[5]; /* recipient, phone, postcode, address, detail */
    struct line *lines;
    size_t n;
    int64_t total;
    uint8_t fp[SEC_SHA256_LEN];
};

/*
 * lock_account: the account row (FOR UPDATE), the hold's expiry from the database clock, and
 * the order the idempotency key placed before, if any, into *used
 */
static int lock_account(struct attempt *q, struct db_result *used)
{
    int64_t ttl = shop_rules(q->c)->hold_ttl_s;
    struct db_val lk[] = {DB_I(ttl), DB_I(ttl), DB_S(q->key), DB_I(q->account_id)};
    int rc = db_exec(q->c->db, &q_lock_account, lk, 4, q->c->arena, used);
    if (rc)
        return rc;
    if (used->nrows == 0)
        return ERR_NOTFOUND;
    q->expires_sql = db_text(used, 0, 1);
    q->expires_iso = db_text(used, 0, 2);
    q->has_address = db_int(used, 0, 8) != 0;
    for (size_t i = 0; i < 5; i++)
        q->ship[i] = db_text(used, 0, 9 + i);
    return 0;
}

/* read_lines: the cart (or the one size of a buy-now) with prices from the database */
static int read_lines(struct attempt *q)
{
    struct shop_ctx *c = q->c;
    struct db_result cart;
    int rc;
    if (q->direct) {
        struct db_val iv[] = {DB_I(q->direct->quantity), DB_I(q->direct->sku_id)};
        rc = db_exec(c->db, &q_item, iv, 2, c->arena, &cart);
    } else {
        struct db_val acc[] = {DB_I(q->account_id)};
        rc = db_exec(c->db, &q_cart, acc, 1, c->arena, &cart);
    }
    if (rc)
        return rc;
    q->n = cart.nrows;
    q->lines = arena_calloc(c->arena, cart.nrows + 1, sizeof *q->lines);
    q->total = 0;
    for (size_t i = 0; i < cart.nrows; i++) {
        q->lines[i] = (struct line){db_int(&cart, i, 0),  db_int(&cart, i, 1), db_int(&cart, i, 2),
                                    db_int(&cart, i, 3),  db_int(&cart, i, 4), db_int(&cart, i, 5),
                                    db_text(&cart, i, 6), db_int(&cart, i, 7)};
        q->total += q->lines[i].price * q->lines[i].qty;
    }
    fingerprint(q->lines, q->n, q->fp);
    return 0;
}

/* replay: the key placed an order before: the same answer, unless the cart is another one */
static int replay(struct attempt *q, const struct db_result *used)
{
    struct str stored = db_text(used, 0, 4);
    /* the first use emptied the cart; a replay with an empty cart is the same request */
    if (q->n > 0 && !sec_equal(stored, (struct str){(const char *)q->fp, sizeof q->fp}))
        return SHOP_KEY_REUSED;
    q->out->order_id = db_int(used, 0, 3);
    q->out->status = db_text(used, 0, 5);
    q->out->total = db_int(used, 0, 6);
    q->out->hold_expires_at = db_text(used, 0, 7);
    q->out->replayed = true;
    return SHOP_OK;
}

/* check_limits: per-account limits, counted again under the account lock */
static int check_limits(struct attempt *q)
{
    const struct line *l = q->lines;
    for (size_t i = 0; i < q->n; i++) {
        if (!l[i].limit)
            continue;
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen |= l[j].product == l[i].product;
        if (seen)
            continue;
        int64_t in_cart = 0, bought = 0;
        for (size_t j = i; j < q->n; j++)
            if (l[j].product == l[i].product)
                in_cart += l[j].qty;
        int rc = cart_purchased(q->c, q->account_id, l[i].product, &bought);
        if (rc)
            return rc;
        if (bought + in_cart > l[i].limit) {
            q->out->problem.product = l[i].name;
            q->out->problem.limit = l[i].limit;
            q->out->problem.already = bought;
            return SHOP_LIMIT_EXCEEDED;
        }
    }
    return SHOP_OK;
}

/* write_order: the order with its key and fingerprint, its lines; the cart emptied */
static int write_order(struct attempt *q, int64_t *order_id)
{
    struct shop_ctx *c = q->c;
    struct db_result ins;
    struct db_val ov[] = {DB_I(q->account_id),
                          DB_I(q->total),
                          DB_S(q->key),
                          DB_S(((struct str){(const char *)q->fp, sizeof q->fp})),
                          DB_S(q->expires_sql),
                          DB_S(q->ship[0]),
                          DB_S(q->ship[1]),
                          DB_S(q->ship[2]),
                          DB_S(q->ship[3]),
                          DB_S(q->ship[4])};
    int rc = db_exec(c->db, &q_order, ov, 10, c->arena, &ins);
    if (rc)
        return rc;
    *order_id = ins.insert_id;
    for (size_t i = 0; i < q->n; i++) {
        const struct line *l = &q->lines[i];
        struct db_val lv[] = {DB_I(*order_id),  DB_I(i + 1),  DB_I(l->sku),
                              DB_I(l->product), DB_I(l->qty), DB_I(l->price)};
        if ((rc = db_exec(c->db, &q_line, lv, 6, c->arena, NULL)))
            return rc;
    }
    struct db_val acc[] = {DB_I(q->account_id)};
    if (!q->direct && (rc = db_exec(c->db, &q_cart_clear, acc, 1, c->arena, NULL)))
        return rc;
    return 0;
}

/* take_stock: last, the stock of each size in ascending SKU order (the lines' order) */
static int take_stock(struct attempt *q, int64_t order_id)
{
    struct checkout_result *out = q->out;
    out->oos = arena_calloc(q->c->arena, q->n + 1, sizeof *out->oos);
    for (size_t i = 0; i < q->n; i++) {
        const struct line *l = &q->lines[i];
        int rc = inventory_hold(q->c, l->sku, l->qty, l->buckets, order_id);
        if (rc == ERR_CONFLICT) {
            out->oos[out->noos++] = (struct checkout_oos){l->sku, l->size, l->name, l->qty};
            continue;
        }
        if (rc)
            return rc;
    }
    return out->noos ? SHOP_OUT_OF_STOCK : SHOP_OK;
}

/* attempt: one try of the whole transaction, phase by phase (checkout.h) */
static int attempt(struct attempt *q)
{
    struct db_result used;
    int rc;
    if ((rc = lock_account(q, &used)) || (rc = read_lines(q)))
        return rc;
    if (!db_is_null(&used, 0, 3))
        return replay(q, &used);
    if (q->n == 0)
        return q->direct ? SHOP_SKU_NOT_FOUND : SHOP_CART_EMPTY;
    if (!q->has_address)
        return SHOP_ADDRESS_REQUIRED;
    int64_t order_id;
    if ((rc = check_limits(q)) || (rc = write_order(q, &order_id)) ||
        (rc = take_stock(q, order_id)))
        return rc;
    q->out->order_id = order_id;
    q->out->total = q->total;
    q->out->status = STR("pending_payment");
    q->out->hold_expires_at = q->expires_iso;
    return SHOP_OK;
}

static int attempt_tx(void *arg)
{
    struct attempt *q = arg;
    memset(q->out, 0, sizeof *q->out);
    q->out->attempts = ++q->attempts;
    return attempt(q);
}

int checkout_place(struct shop_ctx *c, int64_t account_id, struct str key,
                   const struct checkout_item *direct, struct checkout_result *out)
{
    const struct shop_rules *rules = shop_rules(c);
    memset(out, 0, sizeof *out);
    if (direct && (direct->quantity < 1 || direct->quantity > rules->cart_max_line)) {
        out->problem.max_line = rules->cart_max_line;
        return SHOP_INVALID_QUANTITY;
    }
    const struct db_retry policy = {"checkout", (int)rules->checkout_tries, 1, 64, NULL};
    struct attempt q = {.c = c, .account_id = account_id, .key = key, .direct = direct, .out = out};
    int rc = db_tx(c->db, &policy, attempt_tx, &q);
    if (rc == SHOP_INVALID_QUANTITY)
        out->problem.max_line = rules->cart_max_line;
    return rc;
}
