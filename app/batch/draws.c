/*
 * draws — the drop-draw job of stampede-batch: runs the draws of draw drops at their close and
 * offers their pairs to the winners, then to the next entrants when winners do not pay.
 *
 * Three steps, each safe to run again at any point (the runner adds the lease, so one run acts
 * at a time, the execution history, and restarts):
 *   draw       a chunk step over the draw drops past closes_at that are not drawn. For each, in
 *              the chunk's transaction: the drop row FOR UPDATE (entries hold it in share mode
 *              while they are written, so the list is closed from here on), the entries, and
 *              the stock the draw puts on sale: each size's available stock at this moment
 *              (the drop keeps its product out of every other sale path while it is live, so
 *              that is the stock the drop was given). stampede-draw-v1 (shop/draw.h) with the
 *              seed and the drop's beacon gives every entry its rank and place; winners get
 *              result won and offered_at, the others lost; the stock goes to drop_draw_stock,
 *              the digest and drawn_at to the drop. All of it commits at once or not at all,
 *              and a drawn drop is never drawn again.
 *   roll-over  winners whose order lapsed — expired or cancelled, or still pending past its
 *              hold (it is expired here exactly as expire-holds would, which gives the pair
 *              back) — lose the pair: result lost, their order_id kept as history. The next
 *              entrant of that size in draw order who was never offered one (offered_at NULL)
 *              becomes won. One transaction per lapsed winner; with nobody left the pair stays
 *              available, and the drop lets its product go (drop_for_product).
 *   orders     every winner without an order gets one through checkout_place_drop (draw mode:
 *              pending_payment, a hold for the drop's purchase window, the order written on
 *              the entry in the same transaction) with the idempotency key
 *              "draw-<drop>-<ref>": a run that dies after the order committed finds order_id
 *              set (or replays the key) and never makes a second. A winner who cannot be given
 *              an order (no shipping address any more, say) loses the pair to the next
 *              entrant, as a lapsed winner does; when the pairs are gone (out of stock: an
 *              admin took them) the entry is lost and nobody else is offered one.
 *
 * The scheduler runs this job every batch.drop_interval (250 ms by default) when
 * batch_draws_due says there is something to do, so a draw happens within about a second of
 * its close and a lapsed winner's pair moves on within a second of the lapse (expire-holds runs
 * every 2 s, this job does not wait for it).
 *
 * Bounded work: a draw reads all its entries (O(n log n), about n * 250 bytes of the chunk's
 * arena) and writes one row per entry in one transaction; roll-over and orders handle at most
 * DRAWS_BATCH items per run.
 */
#include "batch.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "db/retry.h"
#include "shop/checkout.h"
#include "shop/draw.h"
#include "shop/drop.h"
#include "shop/order.h"

#include <stdio.h>
#include <string.h>

#define DRAWS_BATCH 500
/* drawn draws older than this have long finished: the roll-over of a 24 h purchase window
 * through thousands of entrants would take longer, but keeps its drop in the window by moving */
#define DRAWS_RECENT " d.drawn_at > NOW(6) - INTERVAL 30 DAY"

/* a winner whose order lapsed (the order row is o) */
#define LAPSED                                                                    \
    " (o.status IN ('expired', 'cancelled') OR (o.status = 'pending_payment' AND" \
    " o.hold_expires_at < NOW(6)))"

static const struct db_stmt q_due = {
    "draws_due",
    "SELECT id FROM drops WHERE kind = 'draw' AND drawn_at IS NULL AND cancelled_at IS NULL"
    " AND closes_at <= NOW(6) AND id > ? ORDER BY id LIMIT ?",
    DB_PRIMARY};

static const struct db_stmt q_anything = {
    "draws_anything",
    "SELECT EXISTS (SELECT 1 FROM drops WHERE kind = 'draw' AND drawn_at IS NULL AND"
    " cancelled_at IS NULL AND closes_at <= NOW(6)) OR EXISTS (SELECT 1 FROM drops d"
    " JOIN drop_entries e ON e.drop_id = d.id AND e.result = 'won'"
    " LEFT JOIN orders o ON o.id = e.order_id WHERE d.kind = 'draw' AND" DRAWS_RECENT
    " AND (e.order_id IS NULL OR" LAPSED "))",
    DB_PRIMARY};

static const struct db_stmt q_entries = {
    "draws_entries", "SELECT account_id, ref, sku_id FROM drop_entries WHERE drop_id = ?", 0};

static const struct db_stmt q_stock = {
    "draws_stock",
    "SELECT s.id, COALESCE(SUM(st.available), 0) FROM skus s LEFT JOIN stock st ON st.sku_id ="
    " s.id WHERE s.product_id = ? GROUP BY s.id ORDER BY s.id",
    0};

static const struct db_stmt q_set_entry = {
    "draws_set_entry",
    "UPDATE drop_entries SET draw_rank = ?, draw_place = ?, result = ?,"
    " offered_at = IF(? = 1, NOW(6), NULL) WHERE drop_id = ? AND account_id = ?",
    0};

static const struct db_stmt q_put_stock = {
    "draws_put_stock", "INSERT INTO drop_draw_stock (drop_id, sku_id, n) VALUES (?, ?, ?)", 0};

static const struct db_stmt q_drawn = {
    "draws_drawn", "UPDATE drops SET entries_digest = ?, drawn_at = NOW(6) WHERE id = ?", 0};

static const struct db_stmt q_lapsed = {
    "draws_lapsed",
    "SELECT e.drop_id, e.account_id, e.order_id FROM drops d JOIN drop_entries e ON e.drop_id ="
    " d.id AND e.result = 'won' JOIN orders o ON o.id = e.order_id WHERE d.kind = 'draw' "
    "AND" DRAWS_RECENT " AND" LAPSED " ORDER BY e.drop_id, e.draw_place LIMIT ?",
    DB_PRIMARY};

static const struct db_stmt q_unordered = {
    "draws_unordered",
    "SELECT e.drop_id, e.account_id, e.ref, e.sku_id FROM drops d JOIN drop_entries e ON"
    " e.drop_id = d.id AND e.result = 'won' WHERE d.kind = 'draw' AND" DRAWS_RECENT
    " AND e.order_id IS NULL ORDER BY e.drop_id, e.draw_place LIMIT ?",
    DB_PRIMARY};

static const struct db_stmt q_lock_entry = {
    "draws_lock_entry",
    "SELECT result, COALESCE(order_id, 0), sku_id FROM drop_entries WHERE drop_id = ? AND"
    " account_id = ? FOR UPDATE",
    0};

static const struct db_stmt q_order_status = {
    "draws_order_status", "SELECT status FROM orders WHERE id = ? FOR UPDATE", 0};

static const struct db_stmt q_lose = {
    "draws_lose", "UPDATE drop_entries SET result = 'lost' WHERE drop_id = ? AND account_id = ?",
    0};

static const struct db_stmt q_next = {
    "draws_next",
    "SELECT account_id FROM drop_entries WHERE drop_id = ? AND sku_id = ? AND offered_at IS NULL"
    " AND draw_place IS NOT NULL ORDER BY draw_place LIMIT 1 FOR UPDATE",
    0};

static const struct db_stmt q_offer = {
    "draws_offer",
    "UPDATE drop_entries SET result = 'won', offered_at = NOW(6) WHERE drop_id = ? AND"
    " account_id = ?",
    0};

int batch_draws_due(struct shop_ctx *c, bool *due)
{
    struct db_result r;
    int rc = db_exec(c->db, &q_anything, NULL, 0, c->arena, &r);
    if (rc)
        return rc;
    *due = db_int(&r, 0, 0) != 0;
    return 0;
}

/* ---------------------------------------------------------------- draw */

static int read_due(struct batch_run *r, struct str checkpoint, int64_t limit,
                    struct batch_item **items, size_t *n)
{
    return batch_read_ids(r, &q_due, NULL, 0, checkpoint, limit, items, n);
}

/* draw_one: the draw of one drop inside the chunk's transaction (see the top) */
static int draw_one(struct batch_run *r, const struct batch_item *it, bool *done)
{
    struct shop_ctx *c = r->ctx;
    struct drop d;
    int rc = drop_read_locked(c, it->id, true, &d);
    if (rc)
        return rc == SHOP_DROP_NOT_FOUND ? 0 : rc;
    int64_t now;
    if ((rc = drop_now_ms(c, &now)))
        return rc;
    if (d.kind != DROP_DRAW || d.drawn_at || d.cancelled_at || now < d.closes_at)
        return 0; /* drawn by an earlier run, cancelled, or its close was moved */
    uint8_t seed[DRAW_SEED_LEN];
    if ((rc = drop_seed(c, d.id, seed)))
        return rc > 0 ? ERR_INTERNAL : rc;
    struct db_result er, sr;
    struct db_val v[] = {DB_I(d.id)};
    if ((rc = db_exec(c->db, &q_entries, v, 1, c->arena, &er)))
        return rc;
    struct db_val pv[] = {DB_I(d.product_id)};
    if ((rc = db_exec(c->db, &q_stock, pv, 1, c->arena, &sr)))
        return rc;
    struct draw_entry *entries = arena_calloc(c->arena, er.nrows + 1, sizeof *entries);
    int64_t *accounts = arena_calloc(c->arena, er.nrows + 1, sizeof *accounts);
    for (size_t i = 0; i < er.nrows; i++) {
        accounts[i] = db_int(&er, i, 0);
        entries[i] = (struct draw_entry){db_text(&er, i, 1), db_int(&er, i, 2)};
    }
    struct draw_stock *stock = arena_calloc(c->arena, sr.nrows + 1, sizeof *stock);
    for (size_t i = 0; i < sr.nrows; i++)
        stock[i] = (struct draw_stock){db_int(&sr, i, 0), db_int(&sr, i, 1)};
    struct draw_result res;
    rc = draw_run(c->arena, seed, d.beacon, entries, er.nrows, stock, sr.nrows, &res);
    if (rc) {
        log_error("drop %lld: the draw refused its input: %s", (long long)d.id, err_str(rc));
        return rc;
    }
    if (!str_eq(res.commitment, d.commitment)) {
        log_error("drop %lld: the seed does not match the published commitment", (long long)d.id);
        return ERR_INTERNAL;
    }
    size_t w = 0;
    for (size_t i = 0; i < res.n; i++) {
        const struct draw_ranked *o = &res.order[i];
        bool won = w < res.nwinners && res.winners[w] == i;
        w += won;
        struct db_val u[] = {DB_S(o->rank_hex), DB_I(i + 1), DB_CS(won ? "won" : "lost"),
                             DB_I(won ? 1 : 0), DB_I(d.id),  DB_I(accounts[o->entry])};
        if ((rc = db_exec(c->db, &q_set_entry, u, 6, c->arena, NULL)))
            return rc;
    }
    for (size_t i = 0; i < sr.nrows; i++) {
        struct db_val s[] = {DB_I(d.id), DB_I(stock[i].sku_id), DB_I(stock[i].n)};
        if ((rc = db_exec(c->db, &q_put_stock, s, 3, c->arena, NULL)))
            return rc;
    }
    struct db_val dv[] = {DB_S(res.digest_hex), DB_I(d.id)};
    if ((rc = db_exec(c->db, &q_drawn, dv, 2, c->arena, NULL)))
        return rc;
    buf_printf(r->log, "drop %lld drawn: %zu entries, %zu winners, digest %.*s\n", (long long)d.id,
               res.n, res.nwinners, STR_FMT(res.digest_hex));
    log_info("drop %lld drawn: %zu entries, %zu winners", (long long)d.id, res.n, res.nwinners);
    *done = true;
    return 0;
}

/* ---------------------------------------------------------------- roll-over */

/* offer_next: the pair of `sku` goes to the next entrant never offered one (in the caller's
 * transaction); *who is that account, 0 when the entries ran out */
static int offer_next(struct shop_ctx *c, int64_t drop_id, int64_t sku, int64_t *who)
{
    *who = 0;
    struct db_result r;
    struct db_val v[] = {DB_I(drop_id), DB_I(sku)};
    int rc = db_exec(c->db, &q_next, v, 2, c->arena, &r);
    if (rc || r.nrows == 0)
        return rc;
    *who = db_int(&r, 0, 0);
    struct db_val o[] = {DB_I(drop_id), DB_I(*who)};
    return db_exec(c->db, &q_offer, o, 2, c->arena, NULL);
}

struct lose_tx {
    struct shop_ctx *c;
    int64_t drop_id, account_id;
    int64_t order_id; /* the lapsed order; 0: the winner got none */
    bool pass_on;     /* offer the pair to the next entrant */
    bool done;
    int64_t next;
};

/* lose_tx: the winner loses the pair (checked again under the entry's lock) and, unless
 * pass_on is false, the next entrant of the size is offered it */
static int lose_tx(void *arg)
{
    struct lose_tx *q = arg;
    struct shop_ctx *c = q->c;
    q->done = false;
    q->next = 0;
    struct db_result r;
    struct db_val k[] = {DB_I(q->drop_id), DB_I(q->account_id)};
    int rc = db_exec(c->db, &q_lock_entry, k, 2, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0 || !str_eq_cstr(db_text(&r, 0, 0), "won") || db_int(&r, 0, 1) != q->order_id)
        return 0; /* handled by an earlier run */
    int64_t sku = db_int(&r, 0, 2);
    if (q->order_id) {
        bool expired;
        if ((rc = order_expire_locked(c, q->order_id, &expired)))
            return rc;
        struct db_val o[] = {DB_I(q->order_id)};
        if ((rc = db_exec(c->db, &q_order_status, o, 1, c->arena, &r)))
            return rc;
        struct str st = r.nrows ? db_text(&r, 0, 0) : STR("");
        if (!str_eq_cstr(st, "expired") && !str_eq_cstr(st, "cancelled"))
            return 0; /* paid in time after all, or still within its hold */
    }
    if ((rc = db_exec(c->db, &q_lose, k, 2, c->arena, NULL)))
        return rc;
    if (q->pass_on && (rc = offer_next(c, q->drop_id, sku, &q->next)))
        return rc;
    q->done = true;
    return 0;
}

static const struct db_retry lose_retry = {"draw roll-over", 5, 5, 100, NULL};

static int lose(struct batch_run *r, struct lose_tx *q)
{
    int rc = db_tx(r->ctx->db, &lose_retry, lose_tx, q);
    if (rc == 0 && q->done) {
        buf_printf(r->log, "drop %lld: account %lld lost its pair (order %lld); %s%lld\n",
                   (long long)q->drop_id, (long long)q->account_id, (long long)q->order_id,
                   q->next ? "offered to account " : "nobody left to offer it to",
                   (long long)q->next);
        log_info("drop %lld: account %lld lost its pair (order %lld), next: %lld",
                 (long long)q->drop_id, (long long)q->account_id, (long long)q->order_id,
                 (long long)q->next);
    }
    return rc;
}

static int roll_over(struct batch_run *r, struct buf *msg)
{
    struct shop_ctx *c = r->ctx;
    struct db_result res;
    struct db_val v[] = {DB_I(DRAWS_BATCH)};
    int rc = db_exec(c->db, &q_lapsed, v, 1, c->arena, &res);
    if (rc) {
        buf_printf(msg, "reading lapsed winners failed: %s", err_str(rc));
        return rc;
    }
    for (size_t i = 0; i < res.nrows; i++) {
        struct lose_tx q = {
            c, db_int(&res, i, 0), db_int(&res, i, 1), db_int(&res, i, 2), true, false, 0};
        if ((rc = lose(r, &q))) {
            buf_printf(msg, "roll-over of drop %lld failed: %s", (long long)q.drop_id, err_str(rc));
            return rc;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- orders */

static int orders(struct batch_run *r, struct buf *msg)
{
    struct shop_ctx *c = r->ctx;
    struct db_result res;
    struct db_val v[] = {DB_I(DRAWS_BATCH)};
    int rc = db_exec(c->db, &q_unordered, v, 1, c->arena, &res);
    if (rc) {
        buf_printf(msg, "reading winners failed: %s", err_str(rc));
        return rc;
    }
    int64_t made = 0;
    for (size_t i = 0; i < res.nrows; i++) {
        int64_t drop_id = db_int(&res, i, 0), account = db_int(&res, i, 1);
        struct str ref = db_text(&res, i, 2);
        struct checkout_item item = {db_int(&res, i, 3), 1};
        struct checkout_drop how = {drop_id, true};
        struct str key = str_from_cstr(
            arena_sprintf(c->arena, "draw-%lld-%.*s", (long long)drop_id, STR_FMT(ref)));
        struct checkout_result out;
        rc = checkout_place_drop(c, account, key, &item, &how, &out);
        if (rc < 0) {
            buf_printf(msg, "the order of drop %lld entry %.*s failed: %s", (long long)drop_id,
                       STR_FMT(ref), err_str(rc));
            return rc;
        }
        if (rc == SHOP_OK) {
            made++;
            continue;
        }
        /* this winner cannot have the pair: it moves on, unless there is no pair */
        log_warn("drop %lld: no order for entry %.*s: %s", (long long)drop_id, STR_FMT(ref),
                 shop_outcome_name(rc));
        buf_printf(r->log, "drop %lld: entry %.*s gets no order: %s\n", (long long)drop_id,
                   STR_FMT(ref), shop_outcome_name(rc));
        struct lose_tx q = {c, drop_id, account, 0, rc != SHOP_OUT_OF_STOCK, false, 0};
        if ((rc = lose(r, &q))) {
            buf_printf(msg, "drop %lld: entry %.*s: %s", (long long)drop_id, STR_FMT(ref),
                       err_str(rc));
            return rc;
        }
    }
    if (made)
        buf_printf(r->log, "%lld winner order(s) placed\n", (long long)made);
    return 0;
}

const struct batch_step batch_draw_steps[] = {
    {"draw", read_due, draw_one, NULL},
    {"roll-over", NULL, NULL, roll_over},
    {"orders", NULL, NULL, orders},
};
