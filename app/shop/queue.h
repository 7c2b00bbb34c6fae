/*
 * queue — the waiting room of a queue drop (shop/drop.h).
 *
 * A signed-in shopper with a shipping address joins once per drop; the place belongs to the
 * account (one drop_queue row per account), so a refresh, a second tab or another device gets
 * the same place. Shoppers who join before the start have no place yet: at the start the tick
 * shuffles them with stampede-draw-v1 (the drop's seed, whose commitment was public since the
 * drop was announced; the pre-queue proof is public from then on) and gives them places 1..P;
 * later arrivals get the next places in arrival order (joined_at), given by the tick within
 * batch.drop_interval. Joins take the drop row's lock in share mode, so a crowd joins side by
 * side; the shuffle takes it exclusively and so sees every pre-start join committed.
 *
 * Admission (queue_tick, every batch.drop_interval in stampede-batch): under the drop row's
 * lock, places after `serving` are admitted in order at the drop's rate (a credit that grows
 * by admit_per_second per second, capped at one second's worth so that a pause never causes
 * a burst), and never beyond the stock: admitted shoppers who have not bought and whose window
 * is open count per_account_limit pairs each against the available pairs. When no pair is
 * left for anyone not admitted, the drop is sold out (sold_out_at); if holds expire or
 * admissions lapse and pairs return, admission resumes. An admission lasts the purchase
 * window; checkout (checkout_place_drop) uses it at most once.
 *
 * The board: what every poll needs (serving, places given, sold out, closed, rate, times),
 * written by the tick to memcached after each commit. Polls read only the board and the
 * shopper's signed ticket (web/drops.c), never the database in steady state; the database
 * holds the truth and the board is rebuilt from it when memcached loses it.
 *
 * Answers (shop/outcome.h): SHOP_DROP_NOT_FOUND (also a drop not yet announced: shop/drop.h),
 * SHOP_WRONG_DROP_KIND (a draw),
 * SHOP_DROP_NOT_OPEN (before opens_at, after closes_at, cancelled), SHOP_ADDRESS_REQUIRED,
 * SHOP_TOO_MANY_ACCOUNTS (rules->drop_accounts_per_address accounts from one client address
 * already in this drop; 0 turns the check off), SHOP_TOO_MANY_TRIES (the account joined or
 * entered more than rules->drop_account_rate times this minute, shop/ratelimit.h; nothing was
 * read or written), SHOP_NOT_IN_QUEUE; negative database errors.
 *
 * Thread safety: a shop_ctx per thread. Memory: strings in ctx->arena.
 */
#ifndef STAMPEDE_SHOP_QUEUE_H
#define STAMPEDE_SHOP_QUEUE_H

#include "shop/drop.h"
#include "shop/outcome.h"
#include "shop/shop.h"

#include <stdbool.h>
#include <stdint.h>

#define QUEUE_REF_LEN 22 /* base64url of 16 random bytes */

/* One shopper's place. */
struct queue_place {
    int64_t drop_id;
    int64_t account_id;
    struct str ref; /* public, opaque: how the shopper finds themselves in the proof */
    bool prequeue;  /* joined before the start */
    int64_t place;  /* 1-based; 0 while the pre-queue is not yet shuffled */
    int64_t admitted_at, expires_at; /* unix ms; 0: not admitted */
    int64_t order_id;                /* bought with this admission; 0: not yet */
};

/* A drop's queue as every poll sees it. */
struct queue_board {
    int64_t drop_id;
    int64_t serving;    /* places up to this one are admitted */
    int64_t next_place; /* places given so far */
    bool shuffled;      /* the pre-queue has its places */
    bool sold_out;
    bool cancelled;
    int64_t rate; /* admissions per second */
    int64_t opens_at, starts_at, closes_at;
    int64_t available;  /* pairs neither sold, held nor promised to an admitted shopper */
    int64_t updated_at; /* when the tick wrote it (unix ms) */
};

/* What a poll answers (DESIGN.md, Drops (v1)). */
enum queue_state { QUEUE_WAITING = 0, QUEUE_ADMITTED, QUEUE_SOLD_OUT, QUEUE_CLOSED };

struct queue_view {
    enum queue_state state;
    int64_t position;      /* 1 = next to be admitted; 0 when not known yet (pre-queue) */
    int64_t ahead;         /* shoppers ahead; -1 when not known yet */
    int64_t eta_s;         /* seconds until admission, estimated; -1: none */
    int64_t starts_in_s;   /* pre-queue: seconds until the start */
    int64_t poll_after_ms; /* when to ask again */
};

const char *queue_state_name(enum queue_state s);

/* queue_join: joins (or finds) the shopper's place; `ip` is the client's address. */
int queue_join(struct shop_ctx *c, int64_t drop_id, int64_t account_id, struct str ip,
               struct queue_place *out);
/* queue_place_get: the shopper's place (SHOP_NOT_IN_QUEUE if they never joined). */
int queue_place_get(struct shop_ctx *c, int64_t drop_id, int64_t account_id,
                    struct queue_place *out);

/* queue_board_load: the board from the database (a poll's fallback when memcached lost it;
 * the tick's source); stores it in memcached. SHOP_DROP_NOT_FOUND for a drop not yet
 * announced, as for an unknown id (the tick writes no board for one either). */
int queue_board_load(struct shop_ctx *c, int64_t drop_id, struct queue_board *out);
/* queue_board_get: the board from memcached; ERR_NOTFOUND or ERR_CACHE when it is not there
 * (the caller falls back to queue_board_load). */
int queue_board_get(struct shop_ctx *c, int64_t drop_id, struct queue_board *out);

/*
 * queue_view: what a shopper at `place` sees on `board` at now_ms (unix ms). `admitted` says
 * the shopper holds an admission that is still valid (from their token or their row);
 * `lapsed` that their admission ran out or was used.
 */
void queue_view(const struct queue_board *b, int64_t place, bool admitted, bool lapsed,
                int64_t now_ms, struct queue_view *out);

/*
 * queue_tick: one step of one drop's queue: the pre-queue shuffle when the start has come,
 * admissions, sold out; then the board in memcached. *admitted: shoppers admitted now.
 * Safe to run from several processes at once (the drop row's lock orders them).
 */
int queue_tick(struct shop_ctx *c, int64_t drop_id, int64_t *admitted);
/* queue_tick_all: queue_tick for every queue drop that is live or closed within a minute
 * (so that the board says closed); *ticked: how many drops. */
int queue_tick_all(struct shop_ctx *c, int64_t *ticked);

#endif
