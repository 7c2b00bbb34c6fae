/*
 * draw — stampede-draw-v1: the draw of a draw drop and the pre-queue shuffle of a queue drop,
 * exactly as DESIGN.md publishes it ("Drops (v1)"), so that anyone can recompute a result from
 * its proof (I9). Outside clients rely on these bytes; changing any of them is a new algorithm
 * with a new name, never an edit here.
 *
 *   commitment = hex SHA-256(seed); the seed is 32 random bytes, secret until the draw
 *   digest     = SHA-256 of the lines "ref:sku_id" (sku_id in decimal), sorted ascending
 *                bytewise, joined with "\n" (no trailing newline)
 *   key        = SHA-256(seed || digest as 32 raw bytes || beacon as UTF-8, nothing if none)
 *   rank       = hex HMAC-SHA256(key, ref); ascending rank is the draw order. A tie needs an
 *                HMAC collision; it is broken by ref bytewise so that the order is total
 *   winners    = for each SKU, the first stock[sku] entries of that SKU in draw order, listed
 *                in draw order; a SKU missing from the stock has stock 0
 *   pre-queue  = the same with sku_id 0 for every entry; its winners are the whole order
 *
 * Pure and deterministic: no database, clock or randomness (the caller draws the seed with
 * sec_random and publishes draw_commitment before entries open). tools/verify_draw.py
 * recomputes all of it with Python's standard library; tests/unit/shop/test_draw.c pins fixed
 * vectors computed independently (hashlib) so the two cannot drift apart. Hashing is libsodium's
 * through core/sec.h. Hex is lower-case, and comparing hex ranks as strings gives the same order
 * as comparing the raw bytes.
 *
 * Entries: a ref is 1..DRAW_REF_MAX bytes of [A-Za-z0-9_-] (a ':' or '\n' would let two
 * different entry lists share a digest) and unique within its list; sku_id >= 0, where 0 is
 * reserved for the pre-queue (draw_run refuses it, so that a proof is a draw or a pre-queue,
 * never a mix). At most DRAW_MAX_ENTRIES entries. Stock: one row per SKU, n >= 0.
 *
 * Memory: every result is allocated from the caller's arena and lives until its reset. Refs in
 * results are the caller's slices, not copies: the entries must outlive the results. A draw of
 * n entries takes about n * (200 + 2 * ref length) bytes of arena, plus 32 bytes per stock row;
 * the arena must have room (it aborts past its cap, as on out-of-memory). Work is O(n log n).
 *
 * Errors (returned as negative enum err, nothing else): ERR_INVAL for an invalid or duplicate
 * ref, a negative sku_id, a negative stock, a SKU twice in the stock, a beacon that is not
 * UTF-8, or sku_id 0 given to draw_run; ERR_TOOBIG for more than DRAW_MAX_ENTRIES entries or a
 * beacon longer than DRAW_BEACON_MAX bytes. On error the outputs are not written; arena memory
 * may have been used.
 *
 * Thread safety: reentrant; each thread passes its own arena. sec_init must have run.
 */
#ifndef STAMPEDE_SHOP_DRAW_H
#define STAMPEDE_SHOP_DRAW_H

#include "core/arena.h"
#include "core/str.h"

#include <stddef.h>
#include <stdint.h>

#define DRAW_ALGORITHM   "stampede-draw-v1"
#define DRAW_SEED_LEN    32
#define DRAW_HASH_LEN    32
#define DRAW_HEX_LEN     64 /* hex of a hash, without the NUL that the arena copy carries */
#define DRAW_REF_MAX     64
#define DRAW_BEACON_MAX  1024
#define DRAW_MAX_ENTRIES 4000000

/* One entry: the shopper's public ref and the SKU (size) fixed at entry; 0 in a pre-queue. */
struct draw_entry {
    struct str ref;
    int64_t sku_id;
};

/* The units of one SKU on sale in the draw. */
struct draw_stock {
    int64_t sku_id;
    int64_t n;
};

/* One entry at its place in the draw order. */
struct draw_ranked {
    struct str ref; /* the caller's slice */
    int64_t sku_id;
    size_t entry;                /* index of the entry in the caller's array */
    uint8_t rank[DRAW_HASH_LEN]; /* HMAC-SHA256(key, ref) */
    struct str rank_hex;         /* its lower-case hex, NUL-terminated, arena */
};

/* A whole draw, as its proof publishes it. */
struct draw_result {
    struct str commitment;         /* hex SHA-256(seed), NUL-terminated, arena */
    uint8_t digest[DRAW_HASH_LEN]; /* entries digest, raw */
    struct str digest_hex;         /* its hex, NUL-terminated, arena */
    uint8_t key[DRAW_HASH_LEN];
    struct draw_ranked *order; /* every entry, in draw order */
    size_t n;
    size_t *winners; /* positions in order, ascending: the proof's "winners" */
    size_t nwinners;
};

/* draw_ref_valid: ref is 1..DRAW_REF_MAX bytes, each of A-Z a-z 0-9 '_' '-'. */
bool draw_ref_valid(struct str ref);

/* draw_commitment: hex SHA-256(seed), DRAW_HEX_LEN characters (NUL-terminated) from `a`. Cannot
 * fail. */
struct str draw_commitment(struct arena *a, const uint8_t seed[DRAW_SEED_LEN]);

/*
 * draw_entries_digest: the SHA-256 of the entry lines (see the top of this file) into raw, and
 * its hex into *hex (arena) unless hex is NULL. The order of `entries` does not matter; n = 0
 * is the digest of the empty string. Fails with ERR_INVAL/ERR_TOOBIG as described above, with
 * raw and *hex unwritten.
 */
int draw_entries_digest(struct arena *a, const struct draw_entry *entries, size_t n,
                        uint8_t raw[DRAW_HASH_LEN], struct str *hex);

/*
 * draw_key: SHA-256(seed || digest || beacon) into key. An empty beacon (len 0, p may be NULL)
 * adds nothing. ERR_INVAL if the beacon is not UTF-8 (a proof carries it as a JSON string, and
 * a verifier hashes its UTF-8 encoding), ERR_TOOBIG past DRAW_BEACON_MAX; key unwritten then.
 */
int draw_key(const uint8_t seed[DRAW_SEED_LEN], const uint8_t digest[DRAW_HASH_LEN],
             struct str beacon, uint8_t key[DRAW_HASH_LEN]);

/* draw_rank: *hex = lower-case hex HMAC-SHA256(key, ref), from `a`. ERR_INVAL for an invalid
 * ref (*hex unwritten). */
int draw_rank(struct arena *a, const uint8_t key[DRAW_HASH_LEN], struct str ref, struct str *hex);

/*
 * draw_order: ranks every entry with `key` and sorts them into draw order (ascending rank, then
 * ref bytewise); *order is a new array of n draw_ranked (NULL when n = 0). Fails with
 * ERR_INVAL/ERR_TOOBIG as above (a duplicate ref included), *order unwritten.
 */
int draw_order(struct arena *a, const uint8_t key[DRAW_HASH_LEN], const struct draw_entry *entries,
               size_t n, struct draw_ranked **order);

/*
 * draw_winners: for each SKU, the first stock[sku] entries of that SKU in `order` (as made by
 * draw_order); *winners is a new array of their positions in order, ascending (draw order),
 * and *nwinners its length. A SKU missing from the stock wins nothing; stock larger than the
 * entries of its SKU gives every one of them. To pass on an unclaimed unit, the caller walks
 * `order` on from the last position given for that SKU. ERR_INVAL for a negative n or a SKU
 * twice in `stock` (outputs unwritten).
 */
int draw_winners(struct arena *a, const struct draw_ranked *order, size_t n,
                 const struct draw_stock *stock, size_t nstock, size_t **winners, size_t *nwinners);

/*
 * draw_run: the whole draw of a draw drop: commitment, digest, key, order and winners into
 * *out. Entries must have sku_id > 0. On failure (any error above) *out is unwritten.
 */
int draw_run(struct arena *a, const uint8_t seed[DRAW_SEED_LEN], struct str beacon,
             const struct draw_entry *entries, size_t n, const struct draw_stock *stock,
             size_t nstock, struct draw_result *out);

/*
 * draw_prequeue: the shuffle of a queue drop's pre-queue: the refs become entries with sku_id
 * 0 (that is what the proof lists), and the winners are the whole order (out->winners[i] == i),
 * which is the order of admission. order[i].entry indexes `refs`. Errors as draw_run.
 */
int draw_prequeue(struct arena *a, const uint8_t seed[DRAW_SEED_LEN], struct str beacon,
                  const struct str *refs, size_t n, struct draw_result *out);

#endif
