/* drop — limited releases: the model; see drop.h. */
#include "drop.h"

#include "cache/l2.h"
#include "core/err.h"
#include "core/log.h"
#include "core/pack.h"
#include "core/sec.h"
#include "db/retry.h"
#include "shop/nodes.h"

#include <stdio.h>
#include <string.h>

/* a TIMESTAMP(6) column as unix milliseconds (0 for NULL) */
#define MS(col) "COALESCE(CAST(FLOOR(UNIX_TIMESTAMP(" col ") * 1000) AS SIGNED), 0)"

/* clang-format off */
#define DROP_COLS                                                                              \
    "d.id, d.product_id, p.slug, p.name, p.image, p.price_krw, d.kind, "                       \
    MS("d.opens_at") ", " MS("d.starts_at") ", " MS("d.closes_at") ", "                        \
    "d.per_account_limit, d.purchase_window_s, d.admit_per_second, d.commitment, "             \
    "COALESCE(d.beacon, ''), "                                                                 \
    MS("d.shuffled_at") ", " MS("d.drawn_at") ", " MS("d.sold_out_at") ", "                    \
    MS("d.cancelled_at") ", d.serving, d.next_place, " MS("d.created_at") ", d.created_by, "   \
    MS("d.announce_at")
/* clang-format on */

/* announced: what shoppers may see (drop_get_public, drop_list without `all`) */
#define ANNOUNCED "(d.announce_at IS NULL OR d.announce_at <= NOW(6))"

static const struct db_stmt q_get = {"drop_get",
                                     "SELECT " DROP_COLS
                                     " FROM drops d JOIN products p ON p.id = d.product_id"
                                     " WHERE d.id = ?",
                                     DB_IDEMPOTENT};

/* drop_get_public: as q_get, for shoppers: a drop not yet announced is not there */
static const struct db_stmt q_get_public = {"drop_get_public",
                                            "SELECT " DROP_COLS
                                            " FROM drops d JOIN products p ON p.id = d.product_id"
                                            " WHERE d.id = ? AND " ANNOUNCED,
                                            DB_IDEMPOTENT};

static const struct db_stmt q_get_share = {"drop_get_share",
                                           "SELECT " DROP_COLS
                                           " FROM drops d JOIN products p ON p.id = d.product_id"
                                           " WHERE d.id = ? LOCK IN SHARE MODE",
                                           0};

static const struct db_stmt q_get_update = {"drop_get_update",
                                            "SELECT " DROP_COLS
                                            " FROM drops d JOIN products p ON p.id = d.product_id"
                                            " WHERE d.id = ? FOR UPDATE",
                                            0};

static const struct db_stmt q_list = {"drop_list",
                                      "SELECT " DROP_COLS
                                      " FROM drops d JOIN products p ON p.id = d.product_id"
                                      " WHERE (? = 1 OR (d.cancelled_at IS NULL AND " ANNOUNCED "))"
                                      "   AND d.closes_at > NOW(6) - INTERVAL 7 DAY"
                                      " ORDER BY d.starts_at, d.id LIMIT 200",
                                      DB_IDEMPOTENT};

/* the product's newest drop that is not cancelled (drop_live decides whether it governs) */
static const struct db_stmt q_for_product = {
    "drop_for_product",
    "SELECT " DROP_COLS " FROM drops d JOIN products p ON p.id = d.product_id"
    " WHERE d.product_id = ? AND d.cancelled_at IS NULL ORDER BY d.id DESC LIMIT 1",
    DB_IDEMPOTENT};

static const struct db_stmt q_now = {
    "drop_now", "SELECT CAST(FLOOR(UNIX_TIMESTAMP(NOW(6)) * 1000) AS SIGNED)", DB_IDEMPOTENT};

static const struct db_stmt q_lock_product = {
    "drop_lock_product",
    "SELECT p.id, p.active, (SELECT COUNT(*) FROM skus s WHERE s.product_id = p.id)"
    " FROM products p WHERE p.slug = ? FOR UPDATE",
    0};

static const struct db_stmt q_insert = {
    "drop_insert",
    "INSERT INTO drops (product_id, kind, announce_at, opens_at, starts_at, closes_at,"
    " per_account_limit, purchase_window_s, admit_per_second, seed, commitment, created_by)"
    " VALUES (?, ?, FROM_UNIXTIME(? / 1000), FROM_UNIXTIME(? / 1000), FROM_UNIXTIME(? / 1000),"
    " FROM_UNIXTIME(? / 1000), ?, ?, ?, ?, ?, ?)",
    0};

static const struct db_stmt q_edit = {
    "drop_edit",
    "UPDATE drops SET announce_at = FROM_UNIXTIME(? / 1000), opens_at = FROM_UNIXTIME(? / 1000),"
    " starts_at = FROM_UNIXTIME(? / 1000), closes_at = FROM_UNIXTIME(? / 1000),"
    " per_account_limit = ?, purchase_window_s = ?, admit_per_second = ? WHERE id = ?",
    0};

static const struct db_stmt q_cancel = {
    "drop_cancel", "UPDATE drops SET cancelled_at = NOW(6) WHERE id = ? AND cancelled_at IS NULL",
    0};

static const struct db_stmt q_beacon = {"drop_beacon", "UPDATE drops SET beacon = ? WHERE id = ?",
                                        0};

static const struct db_stmt q_sizes = {
    "drop_sizes",
    "SELECT k.id, k.size_mm, (SELECT COALESCE(SUM(s.available), 0) FROM stock s"
    "                         WHERE s.sku_id = k.id)"
    "  FROM skus k WHERE k.product_id = ? ORDER BY k.size_mm, k.id",
    DB_IDEMPOTENT};

static const struct db_stmt q_stats_queue = {
    "drop_stats_queue",
    "SELECT COUNT(*), COALESCE(SUM(admitted_at IS NOT NULL), 0) FROM drop_queue WHERE drop_id = ?",
    DB_IDEMPOTENT};
static const struct db_stmt q_stats_draw = {
    "drop_stats_draw",
    "SELECT COUNT(*), COALESCE(SUM(result = 'won'), 0) FROM drop_entries WHERE drop_id = ?",
    DB_IDEMPOTENT};
static const struct db_stmt q_stats_orders = {
    "drop_stats_orders",
    "SELECT COALESCE(SUM(status IN ('pending_payment', 'paid', 'payment_unknown')), 0),"
    "       COALESCE(SUM(status = 'paid'), 0) FROM orders WHERE drop_id = ?",
    DB_IDEMPOTENT};

static const struct db_stmt q_seed = {"drop_seed", "SELECT seed FROM drops WHERE id = ?", 0};

/* a drawn draw keeps its product while a pair may still pass to another entrant: while some
 * winner has no order yet or an order that is not paid (it may lapse). Once every winner paid,
 * or a lapsed pair found nobody left to go to (app/batch/draws.c), the drop is over. */
static const struct db_stmt q_pending_offers = {
    "drop_pending_offers",
    "SELECT COUNT(*) FROM drop_entries e LEFT JOIN orders o ON o.id = e.order_id"
    " WHERE e.drop_id = ? AND e.result = 'won' AND (o.id IS NULL OR o.status NOT IN ('paid',"
    " 'refunded'))",
    0};

const char *drop_state_name(enum drop_state s)
{
    switch (s) {
    case DROP_UPCOMING:
        return "upcoming";
    case DROP_PREQUEUE:
        return "prequeue";
    case DROP_OPEN:
        return "open";
    case DROP_SOLD_OUT:
        return "sold_out";
    case DROP_CLOSED:
        return "closed";
    case DROP_DRAWN:
        return "drawn";
    }
    return "closed";
}

const char *drop_kind_name(enum drop_kind k)
{
    return k == DROP_DRAW ? "draw" : "queue";
}

bool drop_kind_parse(struct str s, enum drop_kind *out)
{
    if (str_eq_cstr(s, "queue")) {
        *out = DROP_QUEUE;
        return true;
    }
    if (str_eq_cstr(s, "draw")) {
        *out = DROP_DRAW;
        return true;
    }
    return false;
}

enum drop_state drop_state(const struct drop *d, int64_t now)
{
    if (d->cancelled_at)
        return DROP_CLOSED;
    if (d->kind == DROP_DRAW) {
        if (d->drawn_at)
            return DROP_DRAWN;
        if (now < d->opens_at)
            return DROP_UPCOMING;
        return now < d->closes_at ? DROP_OPEN : DROP_CLOSED;
    }
    if (now < d->opens_at)
        return DROP_UPCOMING;
    if (now < d->starts_at)
        return DROP_PREQUEUE;
    if (now >= d->closes_at)
        return DROP_CLOSED;
    return d->sold_out_at ? DROP_SOLD_OUT : DROP_OPEN;
}

bool drop_announced(const struct drop *d, int64_t now)
{
    return now >= d->announce_at; /* 0: since it was created */
}

int64_t drop_announce_time(const struct drop *d)
{
    if (d->announce_at)
        return d->announce_at;
    return d->created_at < d->opens_at ? d->created_at : d->opens_at;
}

bool drop_live(const struct drop *d, int64_t now)
{
    if (d->cancelled_at)
        return false;
    if (d->kind == DROP_QUEUE)
        return now < d->closes_at;
    return true; /* drawn: drop_for_product asks whether a pair may still pass on */
}

static void read_drop(const struct db_result *r, size_t row, struct drop *d)
{
    memset(d, 0, sizeof *d);
    size_t c = 0;
    d->id = db_int(r, row, c++);
    d->product_id = db_int(r, row, c++);
    d->slug = db_text(r, row, c++);
    d->name = db_text(r, row, c++);
    d->image = db_text(r, row, c++);
    d->price_krw = db_int(r, row, c++);
    struct str kind = db_text(r, row, c++);
    d->kind = str_eq_cstr(kind, "draw") ? DROP_DRAW : DROP_QUEUE;
    d->opens_at = db_int(r, row, c++);
    d->starts_at = db_int(r, row, c++);
    d->closes_at = db_int(r, row, c++);
    d->per_account_limit = db_int(r, row, c++);
    d->purchase_window_s = db_int(r, row, c++);
    d->admit_per_second = db_int(r, row, c++);
    d->commitment = db_text(r, row, c++);
    d->beacon = db_text(r, row, c++);
    d->shuffled_at = db_int(r, row, c++);
    d->drawn_at = db_int(r, row, c++);
    d->sold_out_at = db_int(r, row, c++);
    d->cancelled_at = db_int(r, row, c++);
    d->serving = db_int(r, row, c++);
    d->next_place = db_int(r, row, c++);
    d->created_at = db_int(r, row, c++);
    d->created_by = db_text(r, row, c++);
    d->announce_at = db_int(r, row, c++);
}

static int get_with(struct shop_ctx *c, const struct db_stmt *st, int64_t id, struct drop *out)
{
    struct db_result r;
    struct db_val p[] = {DB_I(id)};
    int rc = db_exec(c->db, st, p, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_DROP_NOT_FOUND;
    read_drop(&r, 0, out);
    return 0;
}

int drop_get(struct shop_ctx *c, int64_t id, struct drop *out)
{
    return get_with(c, &q_get, id, out);
}

int drop_get_public(struct shop_ctx *c, int64_t id, struct drop *out)
{
    return get_with(c, &q_get_public, id, out);
}

/* ---------------------------------------------------------------- the cached row */

/* the payload: every field of struct drop, in declaration order */
static void pack_drop(struct buf *b, const struct drop *d)
{
    const int64_t n[] = {d->id,
                         d->product_id,
                         d->price_krw,
                         (int64_t)d->kind,
                         d->opens_at,
                         d->starts_at,
                         d->closes_at,
                         d->per_account_limit,
                         d->purchase_window_s,
                         d->admit_per_second,
                         d->shuffled_at,
                         d->drawn_at,
                         d->sold_out_at,
                         d->cancelled_at,
                         d->serving,
                         d->next_place,
                         d->created_at,
                         d->announce_at};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        pack_i64(b, n[i]);
    const struct str s[] = {d->slug, d->name, d->image, d->commitment, d->beacon, d->created_by};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        pack_str(b, s[i]);
}

static int dec_drop(struct str payload, struct arena *a, void **out)
{
    struct pack_r r = pack_reader(payload);
    struct drop *d = arena_calloc(a, 1, sizeof *d);
    int64_t *n[] = {&d->id,
                    &d->product_id,
                    &d->price_krw,
                    NULL,
                    &d->opens_at,
                    &d->starts_at,
                    &d->closes_at,
                    &d->per_account_limit,
                    &d->purchase_window_s,
                    &d->admit_per_second,
                    &d->shuffled_at,
                    &d->drawn_at,
                    &d->sold_out_at,
                    &d->cancelled_at,
                    &d->serving,
                    &d->next_place,
                    &d->created_at,
                    &d->announce_at};
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++) {
        int64_t v = pack_r_i64(&r);
        if (n[i])
            *n[i] = v;
        else
            d->kind = v == DROP_DRAW ? DROP_DRAW : DROP_QUEUE;
    }
    struct str *s[] = {&d->slug, &d->name, &d->image, &d->commitment, &d->beacon, &d->created_by};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        *s[i] = pack_r_str(&r);
    *out = d;
    return pack_r_done(&r) ? 0 : ERR_INVAL;
}

/* Admin writes (create, edit, cancel, beacon) invalidate and publish; the queue's moving parts
 * (serving, sold out, the shuffle) are the board's (shop/queue.h), not this entry's, so the
 * entry's near copy and TTL only bound how long a node that missed an invalidation shows an
 * old time or setting. */
static struct l2_region r_drop = {.name = "drop",
                                  .version = 2, /* 2: with announce_at */
                                  .ttl_ms = 300000,
                                  .grace_ms = 30000,
                                  .negative_ttl_ms = 2000,
                                  .decode = dec_drop,
                                  .near_ttl_ms = 2000};

void drop_init(void)
{
    l2_region_init(&r_drop);
}

int drop_cache_bump(struct shop_ctx *c)
{
    db_sync(c->db);
    return l2_region_bump(c->cache, &r_drop) ? ERR_CACHE : 0;
}

static struct str drop_key(struct arena *a, int64_t id)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", (long long)id);
    return arena_str_dup(a, (struct str){b, (size_t)n});
}

struct drop_load {
    struct shop_ctx *c;
    int64_t id;
};

static int load_drop(void *arg, struct buf *out)
{
    struct drop_load *l = arg;
    struct drop d;
    int rc = get_with(l->c, &q_get, l->id, &d);
    if (rc == SHOP_DROP_NOT_FOUND)
        return ERR_NOTFOUND;
    if (rc)
        return rc;
    pack_drop(out, &d);
    return 0;
}

int drop_get_cached(struct shop_ctx *c, int64_t id, struct drop *out, bool *db_read)
{
    if (id <= 0)
        return SHOP_DROP_NOT_FOUND;
    struct drop_load l = {c, id};
    struct l2_get g = {
        .region = &r_drop, .id = drop_key(c->arena, id), .load = load_drop, .arg = &l};
    int rc = l2_fetch(c->cache, &g, 1, c->arena);
    if (g.src == L2_SRC_LOADED || g.src == L2_SRC_DIRECT)
        *db_read = true;
    if (rc || (rc = g.rc))
        return rc == ERR_NOTFOUND ? SHOP_DROP_NOT_FOUND : rc;
    *out = *(const struct drop *)g.obj;
    return 0;
}

void drop_changed(struct shop_ctx *c, int64_t id)
{
    db_sync(c->db); /* the replica has the write before the cache forgets the old row */
    l2_invalidate(c->cache, &r_drop, STR_NULL, drop_key(c->arena, id));
    nodes_publish(c);
}

int drop_read_locked(struct shop_ctx *c, int64_t id, bool exclusive, struct drop *out)
{
    return get_with(c, exclusive ? &q_get_update : &q_get_share, id, out);
}

int drop_list(struct shop_ctx *c, bool all, struct drop **out, size_t *n)
{
    struct db_result r;
    struct db_val p[] = {DB_I(all ? 1 : 0)};
    int rc = db_exec(c->db, &q_list, p, 1, c->arena, &r);
    if (rc)
        return rc;
    *out = arena_calloc(c->arena, r.nrows + 1, sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        read_drop(&r, i, &(*out)[i]);
    *n = r.nrows;
    return 0;
}

int drop_now_ms(struct shop_ctx *c, int64_t *now_ms)
{
    struct db_result r;
    int rc = db_exec(c->db, &q_now, NULL, 0, c->arena, &r);
    if (rc)
        return rc;
    *now_ms = db_int(&r, 0, 0);
    return 0;
}

int drop_for_product(struct shop_ctx *c, int64_t product_id, struct drop *out)
{
    int rc = get_with(c, &q_for_product, product_id, out);
    if (rc)
        return rc;
    int64_t now;
    rc = drop_now_ms(c, &now);
    if (rc)
        return rc;
    if (!drop_live(out, now))
        return SHOP_DROP_NOT_FOUND;
    if (out->kind == DROP_DRAW && out->drawn_at) {
        /* a drawn draw keeps its product while a winner's pair may still move on */
        struct db_result r;
        struct db_val p[] = {DB_I(out->id)};
        rc = db_exec(c->db, &q_pending_offers, p, 1, c->arena, &r);
        if (rc)
            return rc;
        if (db_int(&r, 0, 0) == 0)
            return SHOP_DROP_NOT_FOUND;
    }
    return 0;
}

int drop_seed(struct shop_ctx *c, int64_t id, uint8_t seed[32])
{
    struct db_result r;
    struct db_val p[] = {DB_I(id)};
    int rc = db_exec(c->db, &q_seed, p, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_DROP_NOT_FOUND;
    struct str s = db_text(&r, 0, 0);
    if (s.len != 32)
        return ERR_INTERNAL;
    memcpy(seed, s.p, 32);
    return 0;
}

/* ---------------------------------------------------------------- create, edit */

#define MAX_SALE_MS  (30LL * 24 * 3600 * 1000)
#define MAX_AHEAD_MS (365LL * 24 * 3600 * 1000)

static int invalid(struct shop_problem *problem, const char *why)
{
    if (problem)
        problem->why = why;
    return SHOP_INVALID_DROP;
}

static int check_new(struct drop_new *n, int64_t now, struct shop_problem *problem)
{
    if (n->kind == DROP_DRAW)
        n->starts_at = n->opens_at;
    if (!n->per_account_limit)
        n->per_account_limit = 1;
    if (!n->purchase_window_s)
        n->purchase_window_s = 600;
    if (!n->admit_per_second)
        n->admit_per_second = 10;
    if (n->opens_at < now - 1000)
        return invalid(problem, "The drop must open in the future.");
    if (n->opens_at > now + MAX_AHEAD_MS)
        return invalid(problem, "The drop must open within a year.");
    if (n->starts_at < n->opens_at)
        return invalid(problem, "The sale cannot start before the queue opens.");
    if (n->closes_at <= n->starts_at)
        return invalid(problem, "The drop must close after it starts.");
    if (n->closes_at - n->starts_at > MAX_SALE_MS)
        return invalid(problem, "A drop lasts at most 30 days.");
    if (n->per_account_limit < 1 || n->per_account_limit > 10)
        return invalid(problem, "The limit per account is 1 to 10 pairs.");
    if (n->purchase_window_s < 60 || n->purchase_window_s > 86400)
        return invalid(problem, "The purchase window is 1 minute to 24 hours.");
    if (n->admit_per_second < 1 || n->admit_per_second > 10000)
        return invalid(problem, "Admission is 1 to 10,000 shoppers per second.");
    return 0;
}

/*
 * check_announce: resolves n->announce_at against the drop as it is (cur; NULL when creating)
 * and validates it. A time not after now means "announced now": at creation the column stays
 * NULL (announced when created); an edit of a drop not yet announced announces it at now, and
 * an edit of one already announced keeps its announce time. A later time must not be after
 * the opening, and cannot hide a drop shoppers have already seen (its commitment is public).
 */
static int check_announce(struct drop_new *n, const struct drop *cur, int64_t now,
                          struct shop_problem *problem)
{
    if (n->announce_at > now) {
        if (cur && drop_announced(cur, now))
            return invalid(problem, "The drop is already announced; it cannot be hidden again.");
        if (n->announce_at > n->opens_at)
            return invalid(problem, "The drop must be announced before it opens.");
        return 0;
    }
    n->announce_at = !cur ? 0 : drop_announced(cur, now) ? cur->announce_at : now;
    if (n->announce_at > n->opens_at)
        n->announce_at = n->opens_at; /* opening this very second (check_new allows 1 s) */
    return 0;
}

struct create_tx {
    struct shop_ctx *c;
    struct drop_new *n;
    struct shop_problem *problem;
    int64_t id;
};

static int create_tx(void *arg)
{
    struct create_tx *q = arg;
    struct shop_ctx *c = q->c;
    int64_t now;
    int rc = drop_now_ms(c, &now);
    if (rc)
        return rc;
    rc = check_new(q->n, now, q->problem);
    if (!rc)
        rc = check_announce(q->n, NULL, now, q->problem);
    if (rc)
        return rc;
    struct db_result r;
    struct db_val ps[] = {DB_S(q->n->slug)};
    rc = db_exec(c->db, &q_lock_product, ps, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_PRODUCT_NOT_FOUND;
    int64_t product = db_int(&r, 0, 0);
    if (!db_int(&r, 0, 1))
        return invalid(q->problem, "The product is not on sale.");
    if (!db_int(&r, 0, 2))
        return invalid(q->problem, "The product has no sizes.");
    struct drop live;
    rc = drop_for_product(c, product, &live);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return SHOP_DROP_EXISTS;
    uint8_t seed[32], h[SEC_SHA256_LEN];
    sec_random(seed, sizeof seed);
    sec_sha256(h, seed, sizeof seed);
    struct str commitment = sec_hex(c->arena, h, sizeof h);
    struct db_val p[] = {DB_I(product),
                         DB_CS(drop_kind_name(q->n->kind)),
                         q->n->announce_at ? DB_I(q->n->announce_at) : DB_NULLV,
                         DB_I(q->n->opens_at),
                         DB_I(q->n->starts_at),
                         DB_I(q->n->closes_at),
                         DB_I(q->n->per_account_limit),
                         DB_I(q->n->purchase_window_s),
                         DB_I(q->n->admit_per_second),
                         DB_S(((struct str){(const char *)seed, sizeof seed})),
                         DB_S(commitment),
                         DB_S(q->n->actor)};
    struct db_result ins;
    rc = db_exec(c->db, &q_insert, p, 12, c->arena, &ins);
    if (rc)
        return rc;
    q->id = ins.insert_id;
    return 0;
}

static const struct db_retry drop_retry = {"drop-admin", 3, 5, 50, NULL};

int drop_create(struct shop_ctx *c, const struct drop_new *n, int64_t *id,
                struct shop_problem *problem)
{
    struct drop_new copy = *n;
    struct create_tx q = {c, &copy, problem, 0};
    int rc = db_tx(c->db, &drop_retry, create_tx, &q);
    if (err_is_retryable(rc))
        return SHOP_ROW_BUSY;
    if (rc)
        return rc;
    *id = q.id;
    drop_changed(c, q.id); /* a "not found" remembered for this id */
    log_info("drop %lld created: %s of %.*s by %.*s", (long long)q.id, drop_kind_name(n->kind),
             STR_FMT(n->slug), STR_FMT(n->actor));
    return 0;
}

struct edit_tx {
    struct shop_ctx *c;
    int64_t id;
    struct drop_new *n;
    struct shop_problem *problem;
};

static int edit_tx(void *arg)
{
    struct edit_tx *q = arg;
    struct drop d;
    int rc = drop_read_locked(q->c, q->id, true, &d);
    if (rc)
        return rc;
    int64_t now;
    rc = drop_now_ms(q->c, &now);
    if (rc)
        return rc;
    if (d.cancelled_at || now >= d.opens_at)
        return SHOP_DROP_LOCKED;
    q->n->kind = d.kind;
    rc = check_new(q->n, now, q->problem);
    if (!rc)
        rc = check_announce(q->n, &d, now, q->problem);
    if (rc)
        return rc;
    struct db_val p[] = {q->n->announce_at ? DB_I(q->n->announce_at) : DB_NULLV,
                         DB_I(q->n->opens_at),
                         DB_I(q->n->starts_at),
                         DB_I(q->n->closes_at),
                         DB_I(q->n->per_account_limit),
                         DB_I(q->n->purchase_window_s),
                         DB_I(q->n->admit_per_second),
                         DB_I(q->id)};
    return db_exec(q->c->db, &q_edit, p, 8, q->c->arena, NULL);
}

int drop_edit(struct shop_ctx *c, int64_t id, const struct drop_new *n,
              struct shop_problem *problem)
{
    struct drop_new copy = *n;
    struct edit_tx q = {c, id, &copy, problem};
    int rc = db_tx(c->db, &drop_retry, edit_tx, &q);
    if (err_is_retryable(rc))
        return SHOP_ROW_BUSY;
    if (rc == 0) {
        drop_changed(c, id);
        log_info("drop %lld edited by %.*s", (long long)id, STR_FMT(n->actor));
    }
    return rc;
}

struct cancel_tx {
    struct shop_ctx *c;
    int64_t id;
};

static int cancel_tx(void *arg)
{
    struct cancel_tx *q = arg;
    struct drop d;
    int rc = drop_read_locked(q->c, q->id, true, &d);
    if (rc)
        return rc;
    if (d.drawn_at)
        return SHOP_DROP_LOCKED;
    if (d.cancelled_at)
        return 0;
    struct db_val p[] = {DB_I(q->id)};
    return db_exec(q->c->db, &q_cancel, p, 1, q->c->arena, NULL);
}

int drop_cancel(struct shop_ctx *c, int64_t id, struct str actor)
{
    struct cancel_tx q = {c, id};
    int rc = db_tx(c->db, &drop_retry, cancel_tx, &q);
    if (err_is_retryable(rc))
        return SHOP_ROW_BUSY;
    if (rc == 0) {
        drop_changed(c, id);
        log_info("drop %lld cancelled by %.*s", (long long)id, STR_FMT(actor));
    }
    return rc;
}

struct beacon_tx {
    struct shop_ctx *c;
    int64_t id;
    struct str beacon;
};

static int beacon_tx(void *arg)
{
    struct beacon_tx *q = arg;
    struct drop d;
    int rc = drop_read_locked(q->c, q->id, true, &d);
    if (rc)
        return rc;
    if (d.kind != DROP_DRAW)
        return SHOP_WRONG_DROP_KIND;
    if (d.drawn_at || d.cancelled_at)
        return SHOP_DROP_LOCKED;
    struct db_val p[] = {q->beacon.len ? DB_S(q->beacon) : DB_NULLV, DB_I(q->id)};
    return db_exec(q->c->db, &q_beacon, p, 2, q->c->arena, NULL);
}

int drop_set_beacon(struct shop_ctx *c, int64_t id, struct str beacon)
{
    if (beacon.len > 200 || !str_utf8_valid(beacon))
        return SHOP_INVALID_DROP;
    struct beacon_tx q = {c, id, beacon};
    int rc = db_tx(c->db, &drop_retry, beacon_tx, &q);
    if (rc == 0)
        drop_changed(c, id);
    return err_is_retryable(rc) ? SHOP_ROW_BUSY : rc;
}

int drop_sizes(struct shop_ctx *c, int64_t product_id, struct drop_size **out, size_t *n)
{
    struct db_result r;
    struct db_val p[] = {DB_I(product_id)};
    int rc = db_exec(c->db, &q_sizes, p, 1, c->arena, &r);
    if (rc)
        return rc;
    *out = arena_calloc(c->arena, r.nrows + 1, sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        (*out)[i] = (struct drop_size){db_int(&r, i, 0), db_int(&r, i, 1), db_int(&r, i, 2)};
    *n = r.nrows;
    return 0;
}

int drop_stats(struct shop_ctx *c, const struct drop *d, struct drop_stats *out)
{
    struct db_result a, b;
    struct db_val p[] = {DB_I(d->id)};
    int rc =
        db_exec(c->db, d->kind == DROP_QUEUE ? &q_stats_queue : &q_stats_draw, p, 1, c->arena, &a);
    if (!rc)
        rc = db_exec(c->db, &q_stats_orders, p, 1, c->arena, &b);
    if (rc)
        return rc;
    *out =
        (struct drop_stats){db_int(&a, 0, 0), db_int(&a, 0, 1), db_int(&b, 0, 0), db_int(&b, 0, 1)};
    return 0;
}
