/* entries — draw entries and the proofs of draws and pre-queues; see entries.h. */
#include "entries.h"

#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "db/retry.h"
#include "shop/address.h"
#include "shop/drop.h"
#include "shop/ratelimit.h"

#include <string.h>

static const struct db_stmt q_now_open = {
    "entries_now", "SELECT CAST(FLOOR(UNIX_TIMESTAMP(NOW(6)) * 1000) AS SIGNED)", 0};

static const struct db_stmt q_mine = {
    "entries_mine", "SELECT 1 FROM drop_entries WHERE drop_id = ? AND account_id = ?", 0};

static const struct db_stmt q_sku_of = {
    "entries_sku_of", "SELECT size_mm FROM skus WHERE id = ? AND product_id = ?", 0};

static const struct db_stmt q_from_ip = {
    "entries_from_ip", "SELECT COUNT(*) FROM drop_entries WHERE drop_id = ? AND ip = ?", 0};

static const struct db_stmt q_insert = {
    "entries_insert",
    "INSERT INTO drop_entries (drop_id, account_id, ref, sku_id, ip) VALUES (?, ?, ?, ?, ?)", 0};

static const struct db_stmt q_get = {
    "entries_get",
    "SELECT e.ref, e.sku_id, s.size_mm, e.result, COALESCE(e.order_id, 0),"
    " COALESCE(e.draw_place, 0) FROM drop_entries e JOIN skus s ON s.id = e.sku_id"
    " WHERE e.drop_id = ? AND e.account_id = ?",
    DB_IDEMPOTENT};

static const struct db_stmt q_count = {
    "entries_count", "SELECT COUNT(*) FROM drop_entries WHERE drop_id = ?", DB_IDEMPOTENT};

static const struct db_stmt q_proof_drop = {
    "entries_proof_drop",
    "SELECT kind, seed, commitment, COALESCE(beacon, ''), COALESCE(entries_digest, ''),"
    " drawn_at IS NOT NULL, shuffled_at IS NOT NULL FROM drops WHERE id = ?"
    "   AND (announce_at IS NULL OR announce_at <= NOW(6))", /* not yet: no such drop */
    DB_IDEMPOTENT};

static const struct db_stmt q_proof_entries = {
    "entries_proof_entries",
    "SELECT ref, sku_id FROM drop_entries WHERE drop_id = ? AND draw_place IS NOT NULL"
    " ORDER BY draw_place",
    DB_IDEMPOTENT};

static const struct db_stmt q_proof_stock = {
    "entries_proof_stock",
    "SELECT sku_id, n FROM drop_draw_stock WHERE drop_id = ? ORDER BY sku_id", DB_IDEMPOTENT};

static const struct db_stmt q_proof_prequeue = {
    "entries_proof_prequeue",
    "SELECT ref FROM drop_queue WHERE drop_id = ? AND prequeue = 1 AND place IS NOT NULL"
    " ORDER BY place",
    DB_IDEMPOTENT};

/* ---------------------------------------------------------------- entering */

struct enter_tx {
    struct shop_ctx *c;
    int64_t drop_id, account_id, sku_id;
    struct str ip;
    struct entry *out;
};

static int enter_tx(void *arg)
{
    struct enter_tx *q = arg;
    struct shop_ctx *c = q->c;
    struct drop d;
    int rc = drop_read_locked(c, q->drop_id, false, &d);
    if (rc)
        return rc;
    struct db_result r;
    if ((rc = db_exec(c->db, &q_now_open, NULL, 0, c->arena, &r)))
        return rc;
    int64_t now = db_int(&r, 0, 0);
    if (!drop_announced(&d, now))
        return SHOP_DROP_NOT_FOUND; /* as if there were no such drop */
    if (d.kind != DROP_DRAW)
        return SHOP_WRONG_DROP_KIND;
    if (d.cancelled_at || d.drawn_at || now < d.opens_at || now >= d.closes_at)
        return SHOP_ENTRIES_CLOSED;
    struct db_val mine[] = {DB_I(q->drop_id), DB_I(q->account_id)};
    if ((rc = db_exec(c->db, &q_mine, mine, 2, c->arena, &r)))
        return rc;
    if (r.nrows)
        return SHOP_ALREADY_ENTERED;
    struct db_val sku[] = {DB_I(q->sku_id), DB_I(d.product_id)};
    if ((rc = db_exec(c->db, &q_sku_of, sku, 2, c->arena, &r)))
        return rc;
    if (r.nrows == 0)
        return SHOP_SKU_NOT_FOUND;
    int64_t size_mm = db_int(&r, 0, 0);
    struct address a;
    rc = address_get(c, q->account_id, &a);
    if (rc == SHOP_NO_ADDRESS)
        return SHOP_ADDRESS_REQUIRED;
    if (rc)
        return rc;
    if (q->ip.len) {
        struct db_val ip[] = {DB_I(q->drop_id), DB_S(q->ip)};
        if ((rc = db_exec(c->db, &q_from_ip, ip, 2, c->arena, &r)))
            return rc;
        if (db_int(&r, 0, 0) >= shop_rules(c)->drop_accounts_per_address)
            return SHOP_TOO_MANY_ACCOUNTS;
    }
    struct str ref = sec_token(c->arena, ENTRY_REF_BYTES);
    struct db_val ins[] = {DB_I(q->drop_id), DB_I(q->account_id), DB_S(ref), DB_I(q->sku_id),
                           DB_S(q->ip)};
    rc = db_exec(c->db, &q_insert, ins, 5, c->arena, NULL);
    if (rc == ERR_EXISTS)
        return SHOP_ALREADY_ENTERED; /* the same account's other submission committed first */
    if (rc)
        return rc;
    *q->out = (struct entry){ref, q->sku_id, size_mm, STR("pending"), 0, 0};
    return 0;
}

/* Entries meet each other only on the drop row (shared locks) and the draw (exclusive): a
 * few quick retries. */
static const struct db_retry enter_retry = {"draw-entry", 4, 2, 32, NULL};

int entries_enter(struct shop_ctx *c, int64_t drop_id, int64_t account_id, int64_t sku_id,
                  struct str ip, struct entry *out)
{
    if (ratelimit_hit(c, "drop", account_id, shop_rules(c)->drop_account_rate, 60))
        return SHOP_TOO_MANY_TRIES;
    if (ip.len > 45)
        ip.len = 45; /* the column's size; an address is never longer */
    struct enter_tx q = {c, drop_id, account_id, sku_id, ip, out};
    int rc = db_tx(c->db, &enter_retry, enter_tx, &q);
    if (rc == 0)
        log_info("drop %lld: account %lld entered with sku %lld as %.*s", (long long)drop_id,
                 (long long)account_id, (long long)sku_id, STR_FMT(out->ref));
    return rc;
}

/* ---------------------------------------------------------------- reading */

static int draw_drop(struct shop_ctx *c, int64_t drop_id, struct drop *d)
{
    int rc = drop_get_public(c, drop_id, d);
    if (rc)
        return rc;
    return d->kind == DROP_DRAW ? 0 : SHOP_WRONG_DROP_KIND;
}

int entries_get(struct shop_ctx *c, int64_t drop_id, int64_t account_id, struct entry *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(drop_id), DB_I(account_id)};
    int rc = db_exec(c->db, &q_get, v, 2, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0) {
        struct drop d; /* say why: no such draw, or no entry in it */
        rc = draw_drop(c, drop_id, &d);
        return rc ? rc : SHOP_NOT_ENTERED;
    }
    *out = (struct entry){db_text(&r, 0, 0), db_int(&r, 0, 1), db_int(&r, 0, 2),
                          db_text(&r, 0, 3), db_int(&r, 0, 4), db_int(&r, 0, 5)};
    return 0;
}

int entries_count(struct shop_ctx *c, int64_t drop_id, int64_t *n)
{
    struct db_result r;
    struct db_val v[] = {DB_I(drop_id)};
    int rc = db_exec(c->db, &q_count, v, 1, c->arena, &r);
    if (rc)
        return rc;
    *n = db_int(&r, 0, 0);
    return 0;
}

/* ---------------------------------------------------------------- the proof */

/* draw_winners_of: the first stock[sku] entries of each size, in the stored draw order */
static void winners_of(struct shop_ctx *c, struct entries_proof *p)
{
    int64_t *left = arena_calloc(c->arena, p->nstock + 1, sizeof *left);
    for (size_t k = 0; k < p->nstock; k++)
        left[k] = p->stock[k].n;
    p->winners = arena_calloc(c->arena, p->n + 1, sizeof *p->winners);
    p->nwinners = 0;
    for (size_t i = 0; i < p->n; i++) {
        for (size_t k = 0; k < p->nstock; k++) {
            if (p->stock[k].sku_id == p->entries[i].sku_id && left[k] > 0) {
                left[k]--;
                p->winners[p->nwinners++] = p->entries[i].ref;
                break;
            }
        }
    }
}

static int proof_draw(struct shop_ctx *c, int64_t drop_id, struct entries_proof *p)
{
    struct db_result r;
    struct db_val v[] = {DB_I(drop_id)};
    int rc = db_exec(c->db, &q_proof_entries, v, 1, c->arena, &r);
    if (rc)
        return rc;
    p->n = r.nrows;
    p->entries = arena_calloc(c->arena, r.nrows + 1, sizeof *p->entries);
    for (size_t i = 0; i < r.nrows; i++)
        p->entries[i] = (struct draw_entry){db_text(&r, i, 0), db_int(&r, i, 1)};
    if ((rc = db_exec(c->db, &q_proof_stock, v, 1, c->arena, &r)))
        return rc;
    p->nstock = r.nrows;
    p->stock = arena_calloc(c->arena, r.nrows + 1, sizeof *p->stock);
    for (size_t i = 0; i < r.nrows; i++)
        p->stock[i] = (struct draw_stock){db_int(&r, i, 0), db_int(&r, i, 1)};
    winners_of(c, p);
    return 0;
}

static int proof_prequeue(struct shop_ctx *c, int64_t drop_id, struct entries_proof *p)
{
    struct db_result r;
    struct db_val v[] = {DB_I(drop_id)};
    int rc = db_exec(c->db, &q_proof_prequeue, v, 1, c->arena, &r);
    if (rc)
        return rc;
    p->prequeue = true;
    p->n = p->nwinners = r.nrows;
    p->entries = arena_calloc(c->arena, r.nrows + 1, sizeof *p->entries);
    p->winners = arena_calloc(c->arena, r.nrows + 1, sizeof *p->winners);
    for (size_t i = 0; i < r.nrows; i++) {
        p->entries[i] = (struct draw_entry){db_text(&r, i, 0), 0};
        p->winners[i] = p->entries[i].ref;
    }
    p->nstock = 1;
    p->stock = arena_calloc(c->arena, 1, sizeof *p->stock);
    p->stock[0] = (struct draw_stock){0, (int64_t)r.nrows};
    return 0;
}

int entries_proof(struct shop_ctx *c, int64_t drop_id, struct entries_proof *out)
{
    memset(out, 0, sizeof *out);
    struct db_result r;
    struct db_val v[] = {DB_I(drop_id)};
    int rc = db_exec(c->db, &q_proof_drop, v, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_DROP_NOT_FOUND;
    bool draw = str_eq_cstr(db_text(&r, 0, 0), "draw");
    if (!db_int(&r, 0, draw ? 5 : 6))
        return SHOP_NOT_DRAWN;
    struct str seed = db_text(&r, 0, 1);
    if (seed.len != DRAW_SEED_LEN)
        return ERR_INTERNAL;
    out->seed = sec_hex(c->arena, seed.p, seed.len);
    out->commitment = db_text(&r, 0, 2);
    out->beacon = db_text(&r, 0, 3);
    out->digest = db_text(&r, 0, 4);
    rc = draw ? proof_draw(c, drop_id, out) : proof_prequeue(c, drop_id, out);
    if (rc)
        return rc;
    if (out->digest.len == 0) {
        /* a pre-queue shuffled without storing its digest: it is a function of the list */
        uint8_t raw[DRAW_HASH_LEN];
        if ((rc = draw_entries_digest(c->arena, out->entries, out->n, raw, &out->digest)))
            return rc;
    }
    return 0;
}
