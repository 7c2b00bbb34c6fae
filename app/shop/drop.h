/*
 * drop — limited releases: one product put on sale at a set time, either first-come through a
 * waiting room (kind queue, shop/queue.h) or by a draw among entries (kind draw,
 * shop/entries.h). Migration 008 holds the tables; ../shared/DESIGN.md (Drops (v1)) the
 * contract.
 *
 * Times (unix milliseconds): opens_at opens the pre-queue (queue) or the entries (draw);
 * starts_at starts a queue's sale (the pre-queue is shuffled and admission begins; a draw has
 * starts_at == opens_at); closes_at ends the sale (queue) or the entries (draw, which is then
 * drawn). States, computed from the times and the drop's flags (drop_state):
 *   upcoming   before opens_at
 *   prequeue   queue: opens_at <= now < starts_at (shoppers join; places are drawn at start)
 *   open       queue: starts_at <= now < closes_at and pairs left; draw: entries open
 *   sold_out   queue: open, but every pair is sold or held (it reopens if holds expire)
 *   closed     after closes_at (a draw not yet drawn), or cancelled
 *   drawn      draw: the draw ran (results and proof public)
 *
 * announce_at (0: when it was created; never after opens_at) makes the drop public. Before
 * it shoppers cannot find it: drop_get_public, drop_list and drop_announced answer as for a
 * drop that does not exist, although it already governs its product's sizes (below). Once
 * announced a drop stays announced. Its state for admins is computed as above.
 *
 * A product has at most one drop that is not cancelled and not over; while a product has such
 * a drop, its sizes are sold only through it (checkout refuses them otherwise, 403
 * not_admitted). A cancelled drop gives the product back to ordinary sale.
 *
 * Every drop has a seed (32 random bytes, secret until the shuffle or the draw) and its
 * commitment SHA-256(seed) (stampede-draw-v1), public from the announce time on.
 *
 * Answers (shop/outcome.h): SHOP_DROP_NOT_FOUND, SHOP_PRODUCT_NOT_FOUND, SHOP_INVALID_DROP
 * (problem->why names the field), SHOP_DROP_EXISTS (the product has a live drop),
 * SHOP_DROP_LOCKED (an edit after the drop opened), or negative database errors.
 *
 * Memory: strings in results are in ctx->arena. Thread safety: a shop_ctx per thread.
 */
#ifndef STAMPEDE_SHOP_DROP_H
#define STAMPEDE_SHOP_DROP_H

#include "shop/outcome.h"
#include "shop/shop.h"

#include <stdbool.h>
#include <stdint.h>

enum drop_kind { DROP_QUEUE = 0, DROP_DRAW };

enum drop_state {
    DROP_UPCOMING = 0,
    DROP_PREQUEUE,
    DROP_OPEN,
    DROP_SOLD_OUT,
    DROP_CLOSED,
    DROP_DRAWN,
};

struct drop {
    int64_t id;
    int64_t product_id;
    struct str slug; /* the product's */
    struct str name;
    struct str image;
    int64_t price_krw;
    enum drop_kind kind;
    int64_t opens_at, starts_at, closes_at; /* unix ms */
    int64_t per_account_limit;
    int64_t purchase_window_s;
    int64_t admit_per_second;
    struct str commitment;                                    /* hex SHA-256 of the seed */
    struct str beacon;                                        /* may be empty */
    int64_t shuffled_at, drawn_at, sold_out_at, cancelled_at; /* unix ms; 0: not */
    int64_t serving;    /* queue: places up to this one are admitted */
    int64_t next_place; /* queue: the last place given out */
    int64_t created_at;
    struct str created_by;
    int64_t announce_at; /* unix ms; 0: announced when created */
};

/* drop_state: the state at now_ms (unix ms). */
enum drop_state drop_state(const struct drop *d, int64_t now_ms);
const char *drop_state_name(enum drop_state s);
const char *drop_kind_name(enum drop_kind k);
/* drop_kind_parse: "queue" / "draw"; false otherwise. */
bool drop_kind_parse(struct str s, enum drop_kind *out);
/* drop_live: not cancelled and not over by its times (a queue until it closes; a draw has no
 * end by time: drop_for_product also asks whether a drawn draw still has a pair that may pass
 * to an entrant). A live drop governs its product's sizes. */
bool drop_live(const struct drop *d, int64_t now_ms);
/* drop_announced: public at now_ms (shoppers may see it, its commitment is published). */
bool drop_announced(const struct drop *d, int64_t now_ms);
/* drop_announce_time: when it was (or will be) announced; one made public at once counts from
 * its creation, or from its opening if that came first (a drop that opens as it is created). */
int64_t drop_announce_time(const struct drop *d);

struct drop_new {
    struct str slug; /* the product */
    enum drop_kind kind;
    int64_t announce_at;                    /* unix ms; 0 or not after now: now (drop_edit) */
    int64_t opens_at, starts_at, closes_at; /* unix ms; a draw's starts_at is ignored */
    int64_t per_account_limit;              /* 0: 1 */
    int64_t purchase_window_s;              /* 0: 600 */
    int64_t admit_per_second;               /* 0: 10 */
    struct str actor;                       /* who (for the log and created_by) */
};

/*
 * drop_create: validates and stores a new drop with a fresh seed; *id is its id. The times
 * must be in the future (opens_at at least now), in order, and the sale at most 30 days long;
 * the product must exist, be active, have sizes, and have no live drop. An announce time not
 * after now announces it at once (stored as NULL); a later one must not be after opens_at.
 */
int drop_create(struct shop_ctx *c, const struct drop_new *n, int64_t *id,
                struct shop_problem *problem);
/* drop_edit: changes times and settings (not the product or kind) until the drop opens. The
 * announce time: one not after now announces a drop not yet announced at once and keeps the
 * announce time of one already announced; a later one is refused for a drop already announced
 * (SHOP_INVALID_DROP: it cannot be hidden again) and must not be after opens_at. */
int drop_edit(struct shop_ctx *c, int64_t id, const struct drop_new *n,
              struct shop_problem *problem);
/* drop_cancel: stops a drop for good (its sizes go back to ordinary sale); admissions end.
 * SHOP_DROP_LOCKED once drawn. */
int drop_cancel(struct shop_ctx *c, int64_t id, struct str actor);
/* drop_set_beacon: the public beacon mixed into a draw's key; only before it is drawn. */
int drop_set_beacon(struct shop_ctx *c, int64_t id, struct str beacon);

/* drop_get: one drop (cancelled ones and ones not yet announced too: admins, jobs). */
int drop_get(struct shop_ctx *c, int64_t id, struct drop *out);
/* drop_get_public: drop_get for shoppers: SHOP_DROP_NOT_FOUND for a drop not yet announced
 * (by the database clock), exactly as for an unknown id. Cancelled ones are returned. */
int drop_get_public(struct shop_ctx *c, int64_t id, struct drop *out);
/*
 * drop_get_cached: drop_get through the entity cache (cache/l2.h, region "drop"), for hot
 * pages that must not read the database in steady state. The row is as fresh as the last
 * admin write (create, edit, cancel and the beacon invalidate it: drop_changed); the fields
 * that move on their own (serving, next_place, sold_out_at, shuffled_at, drawn_at) may be
 * older, so a caller takes those from the queue's board (shop/queue.h) or from drop_get.
 * *db_read is set when the database was read (a miss). Memcached down: read from the
 * database, never wrong. It returns drops not yet announced too (with announce_at, which only
 * an admin write changes): a shopper's caller asks drop_announced.
 */
int drop_get_cached(struct shop_ctx *c, int64_t id, struct drop *out, bool *db_read);
/* drop_changed: after a committed write of the drop's row, forgets its cached copies
 * (memcached and every web node's near copy) before returning. */
void drop_changed(struct shop_ctx *c, int64_t id);
/* drop_cache_bump: invalidates every cached drop row at once (after changing drops by hand in
 * SQL); the caller publishes to the nodes (catalog_cache_bump does). 0 or ERR_CACHE. */
int drop_cache_bump(struct shop_ctx *c);
/* drop_init: registers the cache region; once per process, before threads start (like
 * catalog_init). */
void drop_init(void);
/* drop_list: drops whose close is less than a week ago, soonest first: for shoppers (all
 * false) those announced and not cancelled; all (the admin list) every one of them. */
int drop_list(struct shop_ctx *c, bool all, struct drop **out, size_t *n);
/* drop_for_product: the product's live drop, announced or not (it governs the sizes either
 * way; a shopper's page asks drop_announced); SHOP_DROP_NOT_FOUND if none. */
int drop_for_product(struct shop_ctx *c, int64_t product_id, struct drop *out);

/* One size of a drop's product. */
struct drop_size {
    int64_t sku_id;
    int64_t size_mm;
    int64_t available; /* pairs neither sold nor held */
};
/* drop_sizes: the sizes of a product with their available pairs, smallest first. */
int drop_sizes(struct shop_ctx *c, int64_t product_id, struct drop_size **out, size_t *n);

/* What an admin watches: a drop's crowd and sales. */
struct drop_stats {
    int64_t joined;   /* queue: shoppers in the queue; draw: entries */
    int64_t admitted; /* queue: admitted so far; draw: winners (won) */
    int64_t orders;   /* live orders of the drop (pending, paid) */
    int64_t paid;     /* paid orders */
};
int drop_stats(struct shop_ctx *c, const struct drop *d, struct drop_stats *out);

/* drop_seed: the seed of a drop (only for the shuffle, the draw and the proof). */
int drop_seed(struct shop_ctx *c, int64_t id, uint8_t seed[32]);

/* drop_now_ms: the database clock in unix ms (every drop decision uses it). */
int drop_now_ms(struct shop_ctx *c, int64_t *now_ms);

/* The reads behind drop_get and friends, for modules that lock a drop in a transaction. */
int drop_read_locked(struct shop_ctx *c, int64_t id, bool exclusive, struct drop *out);

#endif
