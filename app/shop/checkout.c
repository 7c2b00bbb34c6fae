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
    "       p.name, (SELECT COUNT(*) FROM stock s WHERE s.sku_id = c.sku_id),"
    "       (SELECT d.id FROM drops d WHERE d.product_id = p.id AND d.cancelled_at IS NULL"
    "           AND (d.closes_at > UTC_TIMESTAMP(6) OR (d.kind = 'draw' AND (d.drawn_at IS NULL"
    "             OR EXISTS (SELECT 1 FROM drop_entries e LEFT JOIN orders o ON o.id = e.order_id"
    "                         WHERE e.drop_id = d.id AND e.result = 'won'"
    "                           AND (o.id IS NULL OR o.status NOT IN ('paid', 'refunded'))))))"
    "         ORDER BY d.id DESC LIMIT 1)"
    "  FROM cart_items c JOIN skus k ON k.id = c.sku_id JOIN products p ON p.id = k.product_id"
    " WHERE c.account_id = ? AND p.active = 1 ORDER BY c.sku_id",
    0};

/* buy now: the one size, with the same columns as q_cart. The last column of both is the live
 * drop that governs the product (shop/drop.h), NULL when none: its sizes are sold only through
 * checkout_place_drop. A queue governs until it closes; a draw until it is drawn and no pair
 * can pass to another entrant any more (every winner paid; shop/drop.c, drop_for_product). */
static const struct db_stmt q_item = {
    "checkout_item",
    "SELECT k.id, ?, k.size_mm, p.id, p.price_krw, COALESCE(p.max_per_account, 0), p.name,"
    "       (SELECT COUNT(*) FROM stock s WHERE s.sku_id = k.id),"
    "       (SELECT d.id FROM drops d WHERE d.product_id = p.id AND d.cancelled_at IS NULL"
    "           AND (d.closes_at > UTC_TIMESTAMP(6) OR (d.kind = 'draw' AND (d.drawn_at IS NULL"
    "             OR EXISTS (SELECT 1 FROM drop_entries e LEFT JOIN orders o ON o.id = e.order_id"
    "                         WHERE e.drop_id = d.id AND e.result = 'won'"
    "                           AND (o.id IS NULL OR o.status NOT IN ('paid', 'refunded'))))))"
    "         ORDER BY d.id DESC LIMIT 1)"
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

/* drops (checkout_place_drop): the shopper's admission or winning entry, locked */
static const struct db_stmt q_drop = {
    "checkout_drop", "SELECT kind, per_account_limit, purchase_window_s FROM drops WHERE id = ?",
    0};
/* the queue row, locked: its admission is used at most once */
static const struct db_stmt q_admission = {
    "checkout_admission",
    "SELECT order_id IS NULL AND admitted_at IS NOT NULL AND expires_at > UTC_TIMESTAMP(6)"
    "  FROM drop_queue WHERE drop_id = ? AND account_id = ? FOR UPDATE",
    0};
static const struct db_stmt q_admission_used = {
    "checkout_admission_used",
    "UPDATE drop_queue SET order_id = ? WHERE drop_id = ? AND account_id = ?", 0};
static const struct db_stmt q_winner = {
    "checkout_winner",
    "SELECT result = 'won' AND order_id IS NULL AND sku_id = ?"
    "  FROM drop_entries WHERE drop_id = ? AND account_id = ? FOR UPDATE",
    0};
static const struct db_stmt q_winner_used = {
    "checkout_winner_used",
    "UPDATE drop_entries SET order_id = ?, offered_at = UTC_TIMESTAMP(6)"
    " WHERE drop_id = ? AND account_id = ?",
    0};
static const struct db_stmt q_drop_bought = {
    "checkout_drop_bought",
    "SELECT COALESCE(SUM(l.quantity), 0) FROM orders o JOIN order_lines l ON l.order_id = o.id"
    " WHERE o.drop_id = ? AND o.account_id = ?"
    "   AND o.status IN ('pending_payment', 'paid', 'payment_unknown')",
    0};
static const struct db_stmt q_order_drop = {
    "checkout_order_drop",
    "UPDATE orders SET drop_id = ?, hold_expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND"
    " WHERE id = ?",
    0};
static const struct db_stmt q_order_hold = {
    "checkout_order_hold",
    "SELECT DATE_FORMAT(hold_expires_at, '%Y-%m-%dT%H:%i:%sZ') FROM orders WHERE id = ?", 0};

static const struct db_stmt q_cart_clear = {"checkout_cart_clear",
                                            "DELETE FROM cart_items WHERE account_id = ?", 0};

struct line {
    int64_t sku, qty, size, product, price, limit;
    struct str name;
    int64_t buckets; /* stock rows of the size when read: a hint for inventory_hold */
    int64_t drop;    /* the live drop governing the product, 0 if none */
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
    const struct checkout_drop *drop; /* NULL: an ordinary checkout */
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
        q->lines[i] = (struct line){db_int(&cart, i, 0),
                                    db_int(&cart, i, 1),
                                    db_int(&cart, i, 2),
                                    db_int(&cart, i, 3),
                                    db_int(&cart, i, 4),
                                    db_int(&cart, i, 5),
                                    db_text(&cart, i, 6),
                                    db_int(&cart, i, 7),
                                    db_is_null(&cart, i, 8) ? 0 : db_int(&cart, i, 8)};
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

/*
 * check_drop: an ordinary checkout may not touch a size a drop governs; a drop checkout must be
 * for its drop, with an admission (queue) or a winning entry (draw) not yet used, and within
 * the drop's per-account limit. Locks the shopper's queue row or entry (checkout.h).
 */
static int check_drop(struct attempt *q, int64_t *window_s)
{
    struct shop_ctx *c = q->c;
    for (size_t i = 0; i < q->n; i++)
        if (q->lines[i].drop && (!q->drop || q->lines[i].drop != q->drop->drop_id))
            return SHOP_NOT_ADMITTED;
    if (!q->drop)
        return SHOP_OK;
    if (q->n != 1 || !q->lines[0].drop)
        return SHOP_NOT_ADMITTED;
    struct db_result d, a, b;
    struct db_val dv[] = {DB_I(q->drop->drop_id)};
    int rc = db_exec(c->db, &q_drop, dv, 1, c->arena, &d);
    if (rc)
        return rc;
    if (d.nrows == 0 || str_eq_cstr(db_text(&d, 0, 0), "draw") != q->drop->draw)
        return SHOP_NOT_ADMITTED;
    int64_t limit = db_int(&d, 0, 1);
    *window_s = db_int(&d, 0, 2);
    if (q->drop->draw) {
        struct db_val wv[] = {DB_I(q->lines[0].sku), DB_I(q->drop->drop_id), DB_I(q->account_id)};
        rc = db_exec(c->db, &q_winner, wv, 3, c->arena, &a);
    } else {
        struct db_val av[] = {DB_I(q->drop->drop_id), DB_I(q->account_id)};
        rc = db_exec(c->db, &q_admission, av, 2, c->arena, &a);
    }
    if (rc)
        return rc;
    if (a.nrows == 0 || db_int(&a, 0, 0) != 1)
        return SHOP_NOT_ADMITTED;
    struct db_val bv[] = {DB_I(q->drop->drop_id), DB_I(q->account_id)};
    if ((rc = db_exec(c->db, &q_drop_bought, bv, 2, c->arena, &b)))
        return rc;
    int64_t bought = db_int(&b, 0, 0);
    if (bought + q->lines[0].qty > limit) {
        q->out->problem.product = q->lines[0].name;
        q->out->problem.limit = limit;
        q->out->problem.already = bought;
        return SHOP_LIMIT_EXCEEDED;
    }
    return SHOP_OK;
}

/* mark_drop: the order belongs to its drop, holds for the purchase window, and uses up the
 * admission or the winning entry */
static int mark_drop(struct attempt *q, int64_t order_id, int64_t window_s)
{
    struct shop_ctx *c = q->c;
    struct db_result h;
    struct db_val ov[] = {DB_I(q->drop->drop_id), DB_I(window_s), DB_I(order_id)};
    struct db_val uv[] = {DB_I(order_id), DB_I(q->drop->drop_id), DB_I(q->account_id)};
    struct db_val hv[] = {DB_I(order_id)};
    int rc;
    if ((rc = db_exec(c->db, &q_order_drop, ov, 3, c->arena, NULL)) ||
        (rc = db_exec(c->db, q->drop->draw ? &q_winner_used : &q_admission_used, uv, 3, c->arena,
                      NULL)) ||
        (rc = db_exec(c->db, &q_order_hold, hv, 1, c->arena, &h)))
        return rc;
    q->expires_iso = db_text(&h, 0, 0);
    return 0;
}

/* write_order: the order with its key and fingerprint, its lines; the cart emptied */
static int write_order(struct attempt *q, int64_t *order_id)
{
    struct shop_ctx *c = q->c;
    struct db_result ins;
    struct db_val ov[] = {
        DB_I(q->account_id),  DB_I(q->total),
        DB_S(q->key),         DB_S(((struct str){(const char *)q->fp, sizeof q->fp})),
        DB_S(q->expires_sql), DB_S(q->ship[0]),
        DB_S(q->ship[1]),     DB_S(q->ship[2]),
        DB_S(q->ship[3]),     DB_S(q->ship[4])};
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
    int64_t order_id, window_s = 0;
    if ((rc = check_drop(q, &window_s)))
        return rc;
    if (!q->has_address)
        return SHOP_ADDRESS_REQUIRED;
    if ((rc = check_limits(q)) || (rc = write_order(q, &order_id)) ||
        (q->drop && (rc = mark_drop(q, order_id, window_s))) || (rc = take_stock(q, order_id)))
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

static int place(struct shop_ctx *c, int64_t account_id, struct str key,
                 const struct checkout_item *direct, const struct checkout_drop *drop,
                 struct checkout_result *out)
{
    const struct shop_rules *rules = shop_rules(c);
    memset(out, 0, sizeof *out);
    if (direct && (direct->quantity < 1 || direct->quantity > rules->cart_max_line)) {
        out->problem.max_line = rules->cart_max_line;
        return SHOP_INVALID_QUANTITY;
    }
    const struct db_retry policy = {"checkout", (int)rules->checkout_tries, 1, 64, NULL};
    struct attempt q = {
        .c = c, .account_id = account_id, .key = key, .direct = direct, .drop = drop, .out = out};
    int rc = db_tx(c->db, &policy, attempt_tx, &q);
    if (rc == SHOP_INVALID_QUANTITY)
        out->problem.max_line = rules->cart_max_line;
    return rc;
}

int checkout_place(struct shop_ctx *c, int64_t account_id, struct str key,
                   const struct checkout_item *direct, struct checkout_result *out)
{
    return place(c, account_id, key, direct, NULL, out);
}

int checkout_place_drop(struct shop_ctx *c, int64_t account_id, struct str key,
                        const struct checkout_item *item, const struct checkout_drop *d,
                        struct checkout_result *out)
{
    return place(c, account_id, key, item, d, out);
}
