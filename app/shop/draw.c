/* draw — stampede-draw-v1; see draw.h. */
#include "draw.h"

#include "core/err.h"
#include "core/sec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool draw_ref_valid(struct str ref)
{
    if (ref.len == 0 || ref.len > DRAW_REF_MAX)
        return false;
    for (size_t i = 0; i < ref.len; i++) {
        char c = ref.p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Bytewise order of two slices, a shorter prefix first (memcmp, then length). */
static int bytes_cmp(struct str a, struct str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

static int check_entries(const struct draw_entry *entries, size_t n)
{
    if (n > DRAW_MAX_ENTRIES)
        return ERR_TOOBIG;
    for (size_t i = 0; i < n; i++)
        if (!draw_ref_valid(entries[i].ref) || entries[i].sku_id < 0)
            return ERR_INVAL;
    return 0;
}

struct str draw_commitment(struct arena *a, const uint8_t seed[DRAW_SEED_LEN])
{
    uint8_t h[DRAW_HASH_LEN];
    sec_sha256(h, seed, DRAW_SEED_LEN);
    return sec_hex(a, h, sizeof h);
}

/* A line "ref:sku_id" and the length of its ref part (for the duplicate check). */
struct line {
    struct str s;
    size_t ref_len;
};

static int line_cmp(const void *x, const void *y)
{
    return bytes_cmp(((const struct line *)x)->s, ((const struct line *)y)->s);
}

int draw_entries_digest(struct arena *a, const struct draw_entry *entries, size_t n,
                        uint8_t raw[DRAW_HASH_LEN], struct str *hex)
{
    int rc = check_entries(entries, n);
    if (rc)
        return rc;
    struct line *lines = arena_alloc(a, (n ? n : 1) * sizeof *lines);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        char num[24];
        int k = snprintf(num, sizeof num, ":%lld", (long long)entries[i].sku_id);
        size_t len = entries[i].ref.len + (size_t)k;
        char *p = arena_alloc(a, len);
        memcpy(p, entries[i].ref.p, entries[i].ref.len);
        memcpy(p + entries[i].ref.len, num, (size_t)k);
        lines[i] = (struct line){{p, len}, entries[i].ref.len};
        total += len + 1;
    }
    if (n > 1)
        qsort(lines, n, sizeof *lines, line_cmp);
    /* No ref holds ':', so nothing sorts between two lines of one ref: duplicates are
     * neighbours. */
    for (size_t i = 1; i < n; i++)
        if (lines[i].ref_len == lines[i - 1].ref_len &&
            memcmp(lines[i].s.p, lines[i - 1].s.p, lines[i].ref_len) == 0)
            return ERR_INVAL;
    char *buf = arena_alloc(a, total ? total : 1);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf[len++] = '\n';
        memcpy(buf + len, lines[i].s.p, lines[i].s.len);
        len += lines[i].s.len;
    }
    sec_sha256(raw, buf, len);
    if (hex)
        *hex = sec_hex(a, raw, DRAW_HASH_LEN);
    return 0;
}

int draw_key(const uint8_t seed[DRAW_SEED_LEN], const uint8_t digest[DRAW_HASH_LEN],
             struct str beacon, uint8_t key[DRAW_HASH_LEN])
{
    if (beacon.len > DRAW_BEACON_MAX)
        return ERR_TOOBIG;
    if (beacon.len && !str_utf8_valid(beacon))
        return ERR_INVAL;
    uint8_t buf[DRAW_SEED_LEN + DRAW_HASH_LEN + DRAW_BEACON_MAX];
    memcpy(buf, seed, DRAW_SEED_LEN);
    memcpy(buf + DRAW_SEED_LEN, digest, DRAW_HASH_LEN);
    if (beacon.len)
        memcpy(buf + DRAW_SEED_LEN + DRAW_HASH_LEN, beacon.p, beacon.len);
    sec_sha256(key, buf, DRAW_SEED_LEN + DRAW_HASH_LEN + beacon.len);
    return 0;
}

static void rank_raw(const uint8_t key[DRAW_HASH_LEN], struct str ref, uint8_t out[DRAW_HASH_LEN])
{
    sec_hmac_sha256(out, (struct str){(const char *)key, DRAW_HASH_LEN}, ref.p, ref.len);
}

int draw_rank(struct arena *a, const uint8_t key[DRAW_HASH_LEN], struct str ref, struct str *hex)
{
    if (!draw_ref_valid(ref))
        return ERR_INVAL;
    uint8_t r[DRAW_HASH_LEN];
    rank_raw(key, ref, r);
    *hex = sec_hex(a, r, sizeof r);
    return 0;
}

static int ranked_cmp(const void *x, const void *y)
{
    const struct draw_ranked *a = x, *b = y;
    int c = memcmp(a->rank, b->rank, DRAW_HASH_LEN);
    return c ? c : bytes_cmp(a->ref, b->ref);
}

int draw_order(struct arena *a, const uint8_t key[DRAW_HASH_LEN], const struct draw_entry *entries,
               size_t n, struct draw_ranked **order)
{
    int rc = check_entries(entries, n);
    if (rc)
        return rc;
    if (n == 0) {
        *order = NULL;
        return 0;
    }
    struct draw_ranked *o = arena_alloc(a, n * sizeof *o);
    for (size_t i = 0; i < n; i++) {
        o[i] = (struct draw_ranked){.ref = entries[i].ref, .sku_id = entries[i].sku_id, .entry = i};
        rank_raw(key, entries[i].ref, o[i].rank);
    }
    qsort(o, n, sizeof *o, ranked_cmp);
    /* one ref has one rank, so duplicates end up side by side */
    for (size_t i = 1; i < n; i++)
        if (str_eq(o[i].ref, o[i - 1].ref))
            return ERR_INVAL;
    for (size_t i = 0; i < n; i++)
        o[i].rank_hex = sec_hex(a, o[i].rank, DRAW_HASH_LEN);
    *order = o;
    return 0;
}

/* The stock sorted by SKU, with what is left of each while the winners are picked. */
struct stock_left {
    int64_t sku_id;
    int64_t left;
};

static int stock_cmp(const void *x, const void *y)
{
    int64_t a = ((const struct stock_left *)x)->sku_id, b = ((const struct stock_left *)y)->sku_id;
    return (a > b) - (a < b);
}

int draw_winners(struct arena *a, const struct draw_ranked *order, size_t n,
                 const struct draw_stock *stock, size_t nstock, size_t **winners, size_t *nwinners)
{
    struct stock_left *s = arena_alloc(a, (nstock ? nstock : 1) * sizeof *s);
    for (size_t i = 0; i < nstock; i++) {
        if (stock[i].n < 0)
            return ERR_INVAL;
        s[i] = (struct stock_left){stock[i].sku_id, stock[i].n};
    }
    if (nstock > 1)
        qsort(s, nstock, sizeof *s, stock_cmp);
    for (size_t i = 1; i < nstock; i++)
        if (s[i].sku_id == s[i - 1].sku_id)
            return ERR_INVAL;
    size_t *w = arena_alloc(a, (n ? n : 1) * sizeof *w);
    size_t nw = 0;
    for (size_t i = 0; i < n; i++) {
        struct stock_left k = {.sku_id = order[i].sku_id};
        struct stock_left *hit = nstock ? bsearch(&k, s, nstock, sizeof *s, stock_cmp) : NULL;
        if (hit && hit->left > 0) {
            hit->left--;
            w[nw++] = i;
        }
    }
    *winners = w;
    *nwinners = nw;
    return 0;
}

/* The steps that a draw and a pre-queue share; `stock` NULL means every entry wins. */
static int run(struct arena *a, const uint8_t seed[DRAW_SEED_LEN], struct str beacon,
               const struct draw_entry *entries, size_t n, const struct draw_stock *stock,
               size_t nstock, struct draw_result *out)
{
    struct draw_result r = {0};
    int rc = draw_entries_digest(a, entries, n, r.digest, &r.digest_hex);
    if (rc)
        return rc;
    rc = draw_key(seed, r.digest, beacon, r.key);
    if (rc)
        return rc;
    rc = draw_order(a, r.key, entries, n, &r.order);
    if (rc)
        return rc;
    r.n = n;
    if (stock) {
        rc = draw_winners(a, r.order, n, stock, nstock, &r.winners, &r.nwinners);
        if (rc)
            return rc;
    } else {
        r.winners = arena_alloc(a, (n ? n : 1) * sizeof *r.winners);
        for (size_t i = 0; i < n; i++)
            r.winners[i] = i;
        r.nwinners = n;
    }
    r.commitment = draw_commitment(a, seed);
    *out = r;
    return 0;
}

int draw_run(struct arena *a, const uint8_t seed[DRAW_SEED_LEN], struct str beacon,
             const struct draw_entry *entries, size_t n, const struct draw_stock *stock,
             size_t nstock, struct draw_result *out)
{
    if (n > DRAW_MAX_ENTRIES)
        return ERR_TOOBIG;
    for (size_t i = 0; i < n; i++)
        if (entries[i].sku_id == 0)
            return ERR_INVAL;
    static const struct draw_stock none;
    return run(a, seed, beacon, entries, n, stock ? stock : &none, stock ? nstock : 0, out);
}

int draw_prequeue(struct arena *a, const uint8_t seed[DRAW_SEED_LEN], struct str beacon,
                  const struct str *refs, size_t n, struct draw_result *out)
{
    if (n > DRAW_MAX_ENTRIES)
        return ERR_TOOBIG;
    struct draw_entry *e = arena_alloc(a, (n ? n : 1) * sizeof *e);
    for (size_t i = 0; i < n; i++)
        e[i] = (struct draw_entry){refs[i], 0};
    return run(a, seed, beacon, e, n, NULL, 0, out);
}
