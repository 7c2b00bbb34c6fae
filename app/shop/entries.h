/*
 * entries — a shopper's entry in a draw drop (kind draw, shop/drop.h), and the proof of a draw
 * or of a queue's pre-queue shuffle (stampede-draw-v1, shop/draw.h).
 *
 * Entering (entries_enter) is one transaction on the primary that reads the drop row LOCK IN
 * SHARE MODE: the draw (app/batch/draws.c) takes that row FOR UPDATE before it reads the
 * entries, so every entry either committed before the draw read the list (and is in its
 * digest) or waits and then finds the draw done (SHOP_ENTRIES_CLOSED). Rules, in this order:
 *   the drop exists and is announced (SHOP_DROP_NOT_FOUND) and is a draw (SHOP_WRONG_DROP_KIND);
 * entries are open by the database clock: opens_at <= now < closes_at, not cancelled, not drawn
 *   (SHOP_ENTRIES_CLOSED); the account has no entry yet (SHOP_ALREADY_ENTERED: one per account
 *   per drop, I9, enforced by the primary key, so two submissions at once give one entry and
 *   one SHOP_ALREADY_ENTERED); the size is one of the drop's product (SHOP_SKU_NOT_FOUND) and
 *   fixed from then on; the account has a shipping address (SHOP_ADDRESS_REQUIRED); fewer than
 *   rules->drop_accounts_per_address accounts entered from the client's address
 *   (SHOP_TOO_MANY_ACCOUNTS; READ COMMITTED takes no gap locks, so requests from one address
 *   that race can pass the limit by the number in flight: it slows a bot farm down, the
 *   account and its address are what bind). Before all that, an account that joined queues or
 *   entered draws more than rules->drop_account_rate times this minute is refused
 *   (SHOP_TOO_MANY_TRIES, shop/ratelimit.h) without touching the database.
 * The entry gets an opaque public ref: 16 random bytes as unpadded base64url (22 characters
 * of [A-Za-z0-9_-]), unrelated to the account, so a shopper finds themself in the published
 * proof and nobody else can tell whose entry is whose.
 *
 * Results after the draw: "won" (an order was or is being made for the entrant: order_id) or
 * "lost". A winner whose order lapsed (expired or cancelled) becomes "lost" and keeps that
 * order_id as history; the pair goes to the next entrant of the size in draw order, whose
 * "lost" becomes "won" with an order of its own (shop/outcome.h has no separate state for it).
 *
 * The proof (entries_proof) is public once the draw ran (draw) or the pre-queue was shuffled
 * (queue, shuffled_at): SHOP_NOT_DRAWN before. A draw's proof lists the entries in draw order,
 * the stock the draw used (table drop_draw_stock) and the winners stampede-draw-v1 gives for
 * them (the first stock[sku] entries of each size in the stored draw order), not the later
 * roll-overs. A pre-queue's proof lists the refs that joined before the start with sku_id 0,
 * stock {"0": n}, and the order the shuffle gave them (their places) as winners. Every value
 * comes from the database as the shop stored and used it, so tools/verify_draw.py checks what
 * happened, not a recomputation.
 *
 * Answers (shop/outcome.h): as listed, SHOP_NOT_ENTERED (entries_get without an entry), or
 * negative database errors (ERR_DB_RETRY when the entry's transaction kept deadlocking).
 * Memory: results are in ctx->arena. Thread safety: a shop_ctx per thread.
 */
#ifndef STAMPEDE_SHOP_ENTRIES_H
#define STAMPEDE_SHOP_ENTRIES_H

#include "shop/draw.h"
#include "shop/outcome.h"
#include "shop/shop.h"

#include <stdbool.h>
#include <stdint.h>

#define ENTRY_REF_BYTES 16 /* random bytes of a ref: 22 characters of base64url */

struct entry {
    struct str ref;
    int64_t sku_id;
    int64_t size_mm;
    struct str result;  /* "pending", "won", "lost" */
    int64_t order_id;   /* 0: none */
    int64_t draw_place; /* 1-based place in the draw order; 0 before the draw */
};

/*
 * entries_enter: enters account_id in the draw drop_id with one size, from client address ip
 * (may be empty: then no per-address limit). SHOP_OK with *out the new entry (result
 * "pending"), or an answer above with nothing written.
 */
int entries_enter(struct shop_ctx *c, int64_t drop_id, int64_t account_id, int64_t sku_id,
                  struct str ip, struct entry *out);

/* entries_get: the account's entry in the draw: SHOP_DROP_NOT_FOUND, SHOP_WRONG_DROP_KIND,
 * SHOP_NOT_ENTERED, or SHOP_OK with *out. One or two reads. */
int entries_get(struct shop_ctx *c, int64_t drop_id, int64_t account_id, struct entry *out);

/* entries_count: how many entered the draw so far (for pages). */
int entries_count(struct shop_ctx *c, int64_t drop_id, int64_t *n);

struct entries_proof {
    bool prequeue;         /* a queue's pre-queue shuffle (sku_id 0 everywhere) */
    struct str commitment; /* hex SHA-256(seed) */
    struct str seed;       /* hex, 64 characters */
    struct str digest;     /* entries_digest, hex */
    struct str beacon;     /* empty when none */
    struct draw_stock *stock;
    size_t nstock;
    struct draw_entry *entries; /* in draw (or admission) order */
    size_t n;
    struct str *winners; /* refs, in draw order */
    size_t nwinners;
};

/*
 * entries_proof: the published proof of drop_id (see the top): SHOP_DROP_NOT_FOUND (also a
 * drop not yet announced),
 * SHOP_NOT_DRAWN (not drawn or not shuffled yet, or cancelled before), or SHOP_OK with *out.
 * Reads the whole list: O(entries) rows and arena.
 */
int entries_proof(struct shop_ctx *c, int64_t drop_id, struct entries_proof *out);

#endif
