/* queue — the waiting room of a queue drop; see queue.h. */
#include "queue.h"

#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "db/retry.h"
#include "shop/draw.h"
#include "shop/ratelimit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* a TIMESTAMP(6) column as unix milliseconds (0 for NULL) */
#define MS(col) "COALESCE(CAST(FLOOR(UNIX_TIMESTAMP(" col ") * 1000) AS SIGNED), 0)"

#define PLACE_COLS                                                   \
    "ref, prequeue, COALESCE(place, 0), " MS("admitted_at") ", " MS( \
        "expires_at") ", "                                           \
                      "COALESCE(order_id, 0)"

static const struct db_stmt q_place = {
    "queue_place", "SELECT " PLACE_COLS " FROM drop_queue WHERE drop_id = ? AND account_id = ?",
    DB_PRIMARY | DB_IDEMPOTENT};

static const struct db_stmt q_has_address = {
    "queue_has_address", "SELECT COUNT(*) FROM account_addresses WHERE account_id = ?", 0};

static const struct db_stmt q_from_ip = {
    "queue_from_ip", "SELECT COUNT(*) FROM drop_queue WHERE drop_id = ? AND ip = ?", 0};

static const struct db_stmt q_insert = {
    "queue_insert",
    "INSERT INTO drop_queue (drop_id, account_id, ref, prequeue, place, ip)"
    " VALUES (?, ?, ?, ?, NULLIF(?, 0), ?)",
    0};

/* places for those who joined after the shuffle, in arrival order (the tick) */
static const struct db_stmt q_place_from = {"queue_place_from", "SET @queue_place = ?", 0};
static const struct db_stmt q_place_arrivals = {
    "queue_place_arrivals",
    "UPDATE drop_queue SET place = (@queue_place := @queue_place + 1)"
    " WHERE drop_id = ? AND place IS NULL ORDER BY joined_at, account_id",
    0};
static const struct db_stmt q_next_place = {
    "queue_next_place", "UPDATE drops SET next_place = @queue_place WHERE id = ?", 0};

/* the tick */
static const struct db_stmt q_tick_state = {
    "queue_tick_state",
    "SELECT CAST(ROUND(admit_credit * 1000) AS SIGNED), " MS("ticked_at") " FROM drops"
                                                                          " WHERE id = ?",
    0};

static const struct db_stmt q_prequeue = {
    "queue_prequeue", "SELECT ref FROM drop_queue WHERE drop_id = ? AND prequeue = 1 ORDER BY ref",
    0};

static const struct db_stmt q_set_place = {
    "queue_set_place", "UPDATE drop_queue SET place = ? WHERE drop_id = ? AND ref = ?", 0};

static const struct db_stmt q_shuffled = {
    "queue_shuffled",
    "UPDATE drops SET shuffled_at = UTC_TIMESTAMP(6), next_place = ? WHERE id = ?", 0};

static const struct db_stmt q_available = {
    "queue_available",
    "SELECT COALESCE(SUM(s.available), 0) FROM stock s JOIN skus k ON k.id = s.sku_id"
    " WHERE k.product_id = ?",
    0};

static const struct db_stmt q_outstanding = {
    "queue_outstanding",
    "SELECT COUNT(*) FROM drop_queue WHERE drop_id = ? AND admitted_at IS NOT NULL"
    "   AND order_id IS NULL AND expires_at > UTC_TIMESTAMP(6)",
    0};

static const struct db_stmt q_admit = {"queue_admit",
                                       "UPDATE drop_queue SET admitted_at = UTC_TIMESTAMP(6),"
                                       "       expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND"
                                       " WHERE drop_id = ? AND place > ? AND place <= ?",
                                       0};

static const struct db_stmt q_ticked = {
    "queue_ticked",
    "UPDATE drops SET serving = ?, admit_credit = ? / 1000, ticked_at = UTC_TIMESTAMP(6),"
    "       sold_out_at = IF(?, COALESCE(sold_out_at, UTC_TIMESTAMP(6)), NULL)"
    " WHERE id = ?",
    0};

static const struct db_stmt q_due = {
    "queue_due",
    "SELECT id FROM drops WHERE kind = 'queue' AND cancelled_at IS NULL"
    "   AND opens_at <= UTC_TIMESTAMP(6) + INTERVAL 5 SECOND"
    "   AND (announce_at IS NULL OR announce_at <= UTC_TIMESTAMP(6))" /* no board before */
    "   AND closes_at > UTC_TIMESTAMP(6) - INTERVAL 1 MINUTE ORDER BY id LIMIT 100",
    DB_IDEMPOTENT};

const char *queue_state_name(enum queue_state s)
{
    switch (s) {
    case QUEUE_WAITING:
        return "waiting";
    case QUEUE_ADMITTED:
        return "admitted";
    case QUEUE_SOLD_OUT:
        return "sold_out";
    case QUEUE_CLOSED:
        return "closed";
    }
    return "closed";
}

static const struct db_retry policy = {"queue", 5, 2, 50, NULL};

static void read_place(const struct db_result *r, int64_t drop, int64_t account,
                       struct queue_place *p)
{
    *p = (struct queue_place){.drop_id = drop,
                              .account_id = account,
                              .ref = db_text(r, 0, 0),
                              .prequeue = db_int(r, 0, 1) != 0,
                              .place = db_int(r, 0, 2),
                              .admitted_at = db_int(r, 0, 3),
                              .expires_at = db_int(r, 0, 4),
                              .order_id = db_int(r, 0, 5)};
}

int queue_place_get(struct shop_ctx *c, int64_t drop_id, int64_t account_id,
                    struct queue_place *out)
{
    struct db_result r;
    struct db_val p[] = {DB_I(drop_id), DB_I(account_id)};
    int rc = db_exec(c->db, &q_place, p, 2, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_NOT_IN_QUEUE;
    read_place(&r, drop_id, account_id, out);
    return 0;
}

/* ---------------------------------------------------------------- join */

struct join {
    struct shop_ctx *c;
    int64_t drop_id, account_id;
    struct str ip, ref;
    struct queue_place *out;
};

static int join_tx(void *arg)
{
    struct join *j = arg;
    struct shop_ctx *c = j->c;
    struct drop d;
    int64_t now;
    /* a shared lock: joins run side by side; the tick's shuffle (exclusive) waits for them */
    int rc = drop_read_locked(c, j->drop_id, false, &d);
    if (rc)
        return rc;
    if ((rc = drop_now_ms(c, &now)))
        return rc;
    if (!drop_announced(&d, now))
        return SHOP_DROP_NOT_FOUND; /* as if there were no such drop */
    if (d.kind != DROP_QUEUE)
        return SHOP_WRONG_DROP_KIND;
    if ((rc = queue_place_get(c, j->drop_id, j->account_id, j->out)) != SHOP_NOT_IN_QUEUE)
        return rc; /* joining again keeps the place */
    if (d.cancelled_at || now < d.opens_at || now >= d.closes_at)
        return SHOP_DROP_NOT_OPEN;
    struct db_result r;
    struct db_val a[] = {DB_I(j->account_id)};
    if ((rc = db_exec(c->db, &q_has_address, a, 1, c->arena, &r)))
        return rc;
    if (db_int(&r, 0, 0) == 0)
        return SHOP_ADDRESS_REQUIRED;
    int64_t per_ip = shop_rules(c)->drop_accounts_per_address;
    if (per_ip > 0 && j->ip.len) { /* an empty address is exempt (web/drops.c) */
        struct db_val ipv[] = {DB_I(j->drop_id), DB_S(j->ip)};
        if ((rc = db_exec(c->db, &q_from_ip, ipv, 2, c->arena, &r)))
            return rc;
        if (db_int(&r, 0, 0) >= per_ip)
            return SHOP_TOO_MANY_ACCOUNTS;
    }
    /* before the start: the pre-queue, shuffled at the start; after it, the tick gives the
     * next places in arrival order (joined_at) within batch.drop_interval */
    bool prequeue = !d.shuffled_at && now < d.starts_at;
    struct db_val iv[] = {DB_I(j->drop_id), DB_I(j->account_id), DB_S(j->ref), DB_I(prequeue),
                          DB_I(0),          DB_S(j->ip)};
    if ((rc = db_exec(c->db, &q_insert, iv, 6, c->arena, NULL)))
        return rc;
    *j->out = (struct queue_place){
        .drop_id = j->drop_id, .account_id = j->account_id, .ref = j->ref, .prequeue = prequeue};
    return 0;
}

int queue_join(struct shop_ctx *c, int64_t drop_id, int64_t account_id, struct str ip,
               struct queue_place *out)
{
    if (ratelimit_hit(c, "drop", account_id, shop_rules(c)->drop_account_rate, 60))
        return SHOP_TOO_MANY_TRIES;
    uint8_t raw[16];
    sec_random(raw, sizeof raw);
    struct join j = {c, drop_id, account_id, ip, sec_b64url(c->arena, raw, sizeof raw), out};
    return db_tx(c->db, &policy, join_tx, &j);
}

/* ---------------------------------------------------------------- the board */

static void board_key(int64_t drop_id, char *key, size_t n)
{
    snprintf(key, n, "drop:q:%" PRId64, drop_id);
}

static void board_put(struct shop_ctx *c, const struct queue_board *b)
{
    if (!c->cache)
        return;
    char key[48], val[256];
    board_key(b->drop_id, key, sizeof key);
    int n = snprintf(val, sizeof val,
                     "1 %" PRId64 " %" PRId64 " %d %d %d %" PRId64 " %" PRId64 " %" PRId64
                     " %" PRId64 " %" PRId64 " %" PRId64,
                     b->serving, b->next_place, b->shuffled, b->sold_out, b->cancelled, b->rate,
                     b->opens_at, b->starts_at, b->closes_at, b->available, b->updated_at);
    /* a failure only means the next polls read the database */
    (void)cache_set(c->cache, STR_NULL, str_from_cstr(key), (struct str){val, (size_t)n}, 60);
}

int queue_board_get(struct shop_ctx *c, int64_t drop_id, struct queue_board *out)
{
    if (!c->cache)
        return ERR_NOTFOUND;
    char key[48];
    board_key(drop_id, key, sizeof key);
    struct str v;
    uint64_t cas;
    int rc = cache_get(c->cache, STR_NULL, str_from_cstr(key), c->arena, &v, &cas);
    if (rc)
        return rc;
    /* "1" then 11 integers, separated by single spaces (board_put) */
    int64_t f[12];
    size_t nf = 0, i = 0;
    while (i < v.len && nf < 12) {
        size_t j = i;
        while (j < v.len && v.p[j] != ' ')
            j++;
        if (!str_to_i64((struct str){v.p + i, j - i}, &f[nf++]))
            return ERR_NOTFOUND;
        i = j + 1;
    }
    if (nf != 12 || f[0] != 1 || i < v.len)
        return ERR_NOTFOUND;
    struct queue_board b = {.drop_id = drop_id,
                            .serving = f[1],
                            .next_place = f[2],
                            .shuffled = f[3] != 0,
                            .sold_out = f[4] != 0,
                            .cancelled = f[5] != 0,
                            .rate = f[6],
                            .opens_at = f[7],
                            .starts_at = f[8],
                            .closes_at = f[9],
                            .available = f[10],
                            .updated_at = f[11]};
    *out = b;
    return 0;
}

static int available_pairs(struct shop_ctx *c, const struct drop *d, int64_t *available,
                           int64_t *outstanding)
{
    struct db_result r;
    struct db_val pv[] = {DB_I(d->product_id)};
    struct db_val dv[] = {DB_I(d->id)};
    int rc = db_exec(c->db, &q_available, pv, 1, c->arena, &r);
    if (rc)
        return rc;
    *available = db_int(&r, 0, 0);
    if ((rc = db_exec(c->db, &q_outstanding, dv, 1, c->arena, &r)))
        return rc;
    *outstanding = db_int(&r, 0, 0);
    return 0;
}

static void board_from(const struct drop *d, int64_t spare, int64_t now, struct queue_board *b)
{
    *b = (struct queue_board){.drop_id = d->id,
                              .serving = d->serving,
                              .next_place = d->next_place,
                              .shuffled = d->shuffled_at != 0,
                              .sold_out = d->sold_out_at != 0,
                              .cancelled = d->cancelled_at != 0,
                              .rate = d->admit_per_second,
                              .opens_at = d->opens_at,
                              .starts_at = d->starts_at,
                              .closes_at = d->closes_at,
                              .available = spare > 0 ? spare : 0,
                              .updated_at = now};
}

int queue_board_load(struct shop_ctx *c, int64_t drop_id, struct queue_board *out)
{
    struct drop d;
    int64_t now, available, outstanding;
    int rc = drop_get_public(c, drop_id, &d);
    if (rc)
        return rc;
    if (d.kind != DROP_QUEUE)
        return SHOP_WRONG_DROP_KIND;
    if ((rc = drop_now_ms(c, &now)) || (rc = available_pairs(c, &d, &available, &outstanding)))
        return rc;
    board_from(&d, available - outstanding * d.per_account_limit, now, out);
    board_put(c, out);
    return 0;
}

/* ---------------------------------------------------------------- the view */

void queue_view(const struct queue_board *b, int64_t place, bool admitted, bool lapsed, int64_t now,
                struct queue_view *v)
{
    *v = (struct queue_view){.ahead = -1, .eta_s = -1, .poll_after_ms = 2000};
    if (admitted) {
        v->state = QUEUE_ADMITTED;
        v->poll_after_ms = 10000;
        return;
    }
    if (b->cancelled || now >= b->closes_at || lapsed) {
        v->state = QUEUE_CLOSED;
        v->poll_after_ms = 60000;
        return;
    }
    if (place == 0 || !b->shuffled) {
        /* the pre-queue: places are drawn at the start */
        v->state = QUEUE_WAITING;
        int64_t until = b->starts_at - now;
        v->starts_in_s = until > 0 ? (until + 999) / 1000 : 0;
        /* ask again around the start, spread over a second so that not all arrive at once */
        v->poll_after_ms = until > 10000 ? 5000 : until > 1000 ? until : 1000;
        return;
    }
    v->position = place - b->serving;
    v->ahead = v->position - 1;
    if (b->sold_out) {
        v->state = QUEUE_SOLD_OUT;
        v->poll_after_ms = 5000; /* pairs may come back when holds expire */
        return;
    }
    v->state = QUEUE_WAITING;
    int64_t rate = b->rate > 0 ? b->rate : 1;
    v->eta_s = (v->position + rate - 1) / rate;
    /* near the front ask often, far back less: the work per poll stays flat */
    v->poll_after_ms = v->eta_s <= 5 ? 1000 : v->eta_s <= 60 ? 2000 : 5000;
}

/* ---------------------------------------------------------------- the tick */

struct tick {
    struct shop_ctx *c;
    int64_t drop_id;
    int64_t admitted;
    struct queue_board board;
    bool have_board;
};

/* shuffle: places 1..P for the pre-queue (stampede-draw-v1); those who joined after the start
 * follow in arrival order (place_arrivals) */
static int shuffle(struct shop_ctx *c, struct drop *d)
{
    struct db_result r;
    struct db_val dv[] = {DB_I(d->id)};
    int rc = db_exec(c->db, &q_prequeue, dv, 1, c->arena, &r);
    if (rc)
        return rc;
    uint8_t seed[DRAW_SEED_LEN];
    if ((rc = drop_seed(c, d->id, seed)))
        return rc;
    struct str *refs = arena_calloc(c->arena, r.nrows + 1, sizeof *refs);
    for (size_t i = 0; i < r.nrows; i++)
        refs[i] = db_text(&r, i, 0);
    struct draw_result res;
    rc = draw_prequeue(c->arena, seed, STR_NULL, refs, r.nrows, &res);
    if (rc)
        return rc;
    int64_t place = 0;
    for (size_t i = 0; i < res.n; i++) {
        struct db_val pv[] = {DB_I(++place), DB_I(d->id), DB_S(res.order[i].ref)};
        if ((rc = db_exec(c->db, &q_set_place, pv, 3, c->arena, NULL)))
            return rc;
    }
    struct db_val sv[] = {DB_I(place), DB_I(d->id)};
    if ((rc = db_exec(c->db, &q_shuffled, sv, 2, c->arena, NULL)))
        return rc;
    log_info("drop %" PRId64 ": pre-queue of %zu shuffled", d->id, res.n);
    d->shuffled_at = 1;
    d->next_place = place;
    return 0;
}

/* place_arrivals: the next places for those who joined since the last tick, in arrival order */
static int place_arrivals(struct shop_ctx *c, struct drop *d)
{
    struct db_val fv[] = {DB_I(d->next_place)};
    struct db_val dv[] = {DB_I(d->id)};
    struct db_result r;
    int rc;
    if ((rc = db_exec(c->db, &q_place_from, fv, 1, c->arena, NULL)) ||
        (rc = db_exec(c->db, &q_place_arrivals, dv, 1, c->arena, &r)))
        return rc;
    if (r.affected == 0)
        return 0;
    if ((rc = db_exec(c->db, &q_next_place, dv, 1, c->arena, NULL)))
        return rc;
    d->next_place += (int64_t)r.affected;
    return 0;
}

static int tick_tx(void *arg)
{
    struct tick *t = arg;
    struct shop_ctx *c = t->c;
    struct drop d;
    int64_t now, available, outstanding;
    t->admitted = 0;
    t->have_board = false;
    int rc = drop_read_locked(c, t->drop_id, true, &d);
    if (rc)
        return rc;
    if (d.kind != DROP_QUEUE)
        return SHOP_WRONG_DROP_KIND;
    if ((rc = drop_now_ms(c, &now)))
        return rc;
    if (!d.cancelled_at && now >= d.starts_at && !d.shuffled_at && (rc = shuffle(c, &d)))
        return rc;
    if (d.shuffled_at && (rc = place_arrivals(c, &d)))
        return rc;
    if ((rc = available_pairs(c, &d, &available, &outstanding)))
        return rc;
    int64_t limit = d.per_account_limit;
    int64_t spare = available - outstanding * limit;
    if (!d.cancelled_at && d.shuffled_at && now < d.closes_at) {
        struct db_result s;
        struct db_val dv[] = {DB_I(d.id)};
        if ((rc = db_exec(c->db, &q_tick_state, dv, 1, c->arena, &s)))
            return rc;
        int64_t credit = db_int(&s, 0, 0), last = db_int(&s, 0, 1);
        int64_t elapsed = last ? now - last : 1000;
        if (elapsed < 0)
            elapsed = 0;
        if (elapsed > 1000)
            elapsed = 1000;
        /* credit in thousandths of an admission, at most one second's worth */
        credit += d.admit_per_second * elapsed;
        if (credit > d.admit_per_second * 1000)
            credit = d.admit_per_second * 1000;
        int64_t n = credit / 1000;
        int64_t can = spare > 0 ? spare / limit : 0;
        int64_t waiting = d.next_place - d.serving;
        if (n > can)
            n = can;
        if (n > waiting)
            n = waiting;
        if (n > 0) {
            struct db_val av[] = {DB_I(d.purchase_window_s), DB_I(d.id), DB_I(d.serving),
                                  DB_I(d.serving + n)};
            if ((rc = db_exec(c->db, &q_admit, av, 4, c->arena, NULL)))
                return rc;
            d.serving += n;
            credit -= n * 1000;
            spare -= n * limit;
            t->admitted = n;
        }
        bool sold_out = spare < limit;
        struct db_val tv[] = {DB_I(d.serving), DB_I(credit), DB_I(sold_out), DB_I(d.id)};
        if ((rc = db_exec(c->db, &q_ticked, tv, 4, c->arena, NULL)))
            return rc;
        if (sold_out && !d.sold_out_at)
            d.sold_out_at = now;
        else if (!sold_out)
            d.sold_out_at = 0;
    }
    board_from(&d, spare, now, &t->board);
    t->have_board = true;
    return 0;
}

int queue_tick(struct shop_ctx *c, int64_t drop_id, int64_t *admitted)
{
    struct tick t = {.c = c, .drop_id = drop_id};
    int rc = db_tx(c->db, &policy, tick_tx, &t);
    if (rc == 0 && t.have_board)
        board_put(c, &t.board); /* after the commit: the board never runs ahead of the truth */
    if (admitted)
        *admitted = rc == 0 ? t.admitted : 0;
    return rc;
}

int queue_tick_all(struct shop_ctx *c, int64_t *ticked)
{
    struct db_result r;
    int rc = db_exec(c->db, &q_due, NULL, 0, c->arena, &r);
    *ticked = 0;
    if (rc)
        return rc;
    int first = 0;
    for (size_t i = 0; i < r.nrows; i++) {
        int64_t id = db_int(&r, i, 0), n;
        rc = queue_tick(c, id, &n);
        if (rc && !first)
            first = rc;
        if (rc)
            log_warn("drop %" PRId64 ": queue tick failed: %s", id,
                     rc < 0 ? err_str(rc) : shop_outcome_name(rc));
        else
            ++*ticked;
    }
    return first;
}
