/*
 * Unit tests for app/shop/draw: stampede-draw-v1 against fixed vectors, input validation, and
 * the uniformity of the pre-queue shuffle.
 *
 * Every expected hex value below was computed once, outside this code, with Python's hashlib
 * and hmac (OpenSSL) from the algorithm as DESIGN.md words it; libsodium computes them here.
 * tools/verify_draw.py --self-test checks the same draw vector, so C, the verifier and the
 * published text cannot drift apart unnoticed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/sec.h"
#include "shop/draw.h"

#include <math.h>
#include <string.h>

static struct arena *A;

static int setup(void **state)
{
    (void)state;
    assert_int_equal(sec_init(), 0);
    A = arena_new(64 * 1024, 64 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(A);
    return 0;
}

static void hex_eq(struct str got, const char *want)
{
    assert_int_equal(got.len, DRAW_HEX_LEN);
    assert_int_equal(got.p[got.len], '\0');
    assert_string_equal(got.p, want);
}

static void raw_eq(const uint8_t raw[DRAW_HASH_LEN], const char *want)
{
    hex_eq(sec_hex(A, raw, DRAW_HASH_LEN), want);
}

/* seed = 00 01 02 ... 1f */
static void seed_0_31(uint8_t seed[DRAW_SEED_LEN])
{
    for (int i = 0; i < DRAW_SEED_LEN; i++)
        seed[i] = (uint8_t)i;
}

/*
 * The draw vector. Sorted as lines, "100:102" < "10:101" ('0' < ':') and "a-b:101" < "a0:102"
 * < "a:7" ('-' < '0' < ':'), while sorting by ref would put "10" before "100" and "a" first;
 * numerically "9" would come before "10" and "100". SKU 7 is not in the stock and SKU 103 has
 * none; SKU 102 has more units (10) than entries (4).
 */
static const struct draw_entry ENTRIES[] = {
    {STR("10"), 101},  {STR("9"), 101},   {STR("100"), 102}, {STR("a"), 7},
    {STR("a-b"), 101}, {STR("a0"), 102},  {STR("A"), 101},   {STR("_z"), 7},
    {STR("-x"), 102},  {STR("Zed"), 102}, {STR("zz"), 103},
};
#define NENTRIES (sizeof ENTRIES / sizeof ENTRIES[0])
static const struct draw_stock STOCK[] = {{101, 2}, {102, 10}, {103, 0}, {999, 3}};
#define NSTOCK (sizeof STOCK / sizeof STOCK[0])
#define BEACON "drand 4242 \xc3\xa9" /* "é" as UTF-8: the beacon is hashed as UTF-8 */

#define COMMITMENT   "630dcd2966c4336691125448bbb25b4ff412a49c732db2c8abc1b8581bd710dd"
#define DIGEST       "b0de30333168e94e2c35c523e02ed558c8a9c60ef19f210c73f39d156e074265"
#define DIGEST_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* what a digest over lines sorted by ref (not as lines) would give: must not be ours */
#define DIGEST_BY_REF "0a0a32d599e62c3d4a8e07f75b3cc3aa9cb8fd4eb42a8126995d2867d57464b5"
#define KEY_NO_BEACON "34de7ed1eb475b956c8b9569ec2abd29404ed8a515212612be92e44bef58946b"
#define KEY_BEACON    "14bc93b182ca746f510831b19a596f6c3e1a6f55aeb46397df3c20da057fb539"

/* rank of each entry of ENTRIES (same index) under KEY_BEACON */
static const char *const RANKS[NENTRIES] = {
    "c88895a8135771f1ca3208f0672e716cfedff7463f9932630e393501613cded1", /* 10 */
    "f1ec63b92e41920ff2f6ee85340600af1b7e0fe67756dad1a7a47078b435a87e", /* 9 */
    "121c5ef8f3af3324787318ca4032820e41329d422c77a63a933d1521886cd8c5", /* 100 */
    "08ee605e808b64b7d9e1cbd9a27ee7f21788de4705d9835c8b78488e27fd7c5a", /* a */
    "746c6d7a46d3b48f4a512c6d06dab6f06918a8ea9dd44293454293a5e1edd82f", /* a-b */
    "052f5cef618ec74ed88a6239a234281ea98f37bebcceb47cf6a2993b73b5cae3", /* a0 */
    "f97bf64474e12364380081d3299a1686c48327c8a90a087faa45600dec4429e8", /* A */
    "2728dc78901eb5c57c1c357ab5c00619834b528c7dcb4548856044b9b73542f0", /* _z */
    "5fe9bb5a27fb0e8f31e573c8c66bc569644f1acfa43a0194986b3268549a8c27", /* -x */
    "e652f7e13df455de1a995fabab98e0485115dc62fe2e02da860d134f41177c9d", /* Zed */
    "f073638c0f06d97a9a1586a93525d20eb6bbd28dea936c9ce66e4cc1d8cfd3ca", /* zz */
};
static const char *const ORDER[NENTRIES] = {"a0", "a",   "100", "_z", "-x", "a-b",
                                            "10", "Zed", "zz",  "9",  "A"};
/* 102: all four (stock 10); 101: the first two of four; 7 (no stock row) and 103 (0): none */
static const char *const WINNERS[] = {"a0", "100", "-x", "a-b", "10", "Zed"};
#define NWINNERS (sizeof WINNERS / sizeof WINNERS[0])

static void test_commitment_of_a_known_seed(void **state)
{
    (void)state;
    uint8_t seed[DRAW_SEED_LEN];
    seed_0_31(seed);
    hex_eq(draw_commitment(A, seed), COMMITMENT);
}

static void test_digest_sorts_the_lines_bytewise(void **state)
{
    (void)state;
    uint8_t raw[DRAW_HASH_LEN];
    struct str hex;
    assert_int_equal(draw_entries_digest(A, ENTRIES, NENTRIES, raw, &hex), 0);
    hex_eq(hex, DIGEST);
    raw_eq(raw, DIGEST);
    assert_string_not_equal(hex.p, DIGEST_BY_REF);

    /* the order the caller gives does not matter */
    struct draw_entry rev[NENTRIES];
    for (size_t i = 0; i < NENTRIES; i++)
        rev[i] = ENTRIES[NENTRIES - 1 - i];
    uint8_t raw2[DRAW_HASH_LEN];
    assert_int_equal(draw_entries_digest(A, rev, NENTRIES, raw2, NULL), 0);
    assert_memory_equal(raw, raw2, DRAW_HASH_LEN);

    /* nothing entered: the hash of the empty string */
    assert_int_equal(draw_entries_digest(A, NULL, 0, raw, &hex), 0);
    hex_eq(hex, DIGEST_EMPTY);

    /* the SKU is part of the line */
    rev[0].sku_id = 104;
    assert_int_equal(draw_entries_digest(A, rev, NENTRIES, raw2, NULL), 0);
    assert_memory_not_equal(raw, raw2, DRAW_HASH_LEN);
}

static void test_key_with_and_without_beacon(void **state)
{
    (void)state;
    uint8_t seed[DRAW_SEED_LEN], digest[DRAW_HASH_LEN], key[DRAW_HASH_LEN];
    seed_0_31(seed);
    assert_int_equal(draw_entries_digest(A, ENTRIES, NENTRIES, digest, NULL), 0);
    assert_int_equal(draw_key(seed, digest, STR_NULL, key), 0);
    raw_eq(key, KEY_NO_BEACON);
    assert_int_equal(draw_key(seed, digest, STR(""), key), 0); /* empty is none */
    raw_eq(key, KEY_NO_BEACON);
    assert_int_equal(draw_key(seed, digest, STR(BEACON), key), 0);
    raw_eq(key, KEY_BEACON);
}

static void test_ranks(void **state)
{
    (void)state;
    uint8_t seed[DRAW_SEED_LEN], digest[DRAW_HASH_LEN], key[DRAW_HASH_LEN];
    seed_0_31(seed);
    assert_int_equal(draw_entries_digest(A, ENTRIES, NENTRIES, digest, NULL), 0);
    assert_int_equal(draw_key(seed, digest, STR(BEACON), key), 0);
    struct str hex;
    for (size_t i = 0; i < NENTRIES; i++) {
        assert_int_equal(draw_rank(A, key, ENTRIES[i].ref, &hex), 0);
        hex_eq(hex, RANKS[i]);
    }
    assert_int_equal(draw_key(seed, digest, STR_NULL, key), 0);
    assert_int_equal(draw_rank(A, key, STR("10"), &hex), 0);
    hex_eq(hex, "6fa0011ea51b77ab46ca076cd332e053b6c13206ac57bd77711a774d26e4d2b7");
}

static void test_order_and_winners(void **state)
{
    (void)state;
    uint8_t seed[DRAW_SEED_LEN], digest[DRAW_HASH_LEN], key[DRAW_HASH_LEN];
    seed_0_31(seed);
    assert_int_equal(draw_entries_digest(A, ENTRIES, NENTRIES, digest, NULL), 0);
    assert_int_equal(draw_key(seed, digest, STR(BEACON), key), 0);
    struct draw_ranked *o;
    assert_int_equal(draw_order(A, key, ENTRIES, NENTRIES, &o), 0);
    for (size_t i = 0; i < NENTRIES; i++) {
        assert_true(str_eq_cstr(o[i].ref, ORDER[i]));
        assert_true(str_eq(ENTRIES[o[i].entry].ref, o[i].ref));
        assert_int_equal(o[i].sku_id, ENTRIES[o[i].entry].sku_id);
        hex_eq(o[i].rank_hex, RANKS[o[i].entry]);
    }
    size_t *w, nw;
    assert_int_equal(draw_winners(A, o, NENTRIES, STOCK, NSTOCK, &w, &nw), 0);
    assert_int_equal(nw, NWINNERS);
    for (size_t i = 0; i < nw; i++) {
        assert_true(str_eq_cstr(o[w[i]].ref, WINNERS[i]));
        if (i)
            assert_true(w[i] > w[i - 1]);
    }
    /* no stock at all: nobody wins */
    assert_int_equal(draw_winners(A, o, NENTRIES, NULL, 0, &w, &nw), 0);
    assert_int_equal(nw, 0);

    /* draw_run: the same, in one call */
    struct draw_result r;
    assert_int_equal(draw_run(A, seed, STR(BEACON), ENTRIES, NENTRIES, STOCK, NSTOCK, &r), 0);
    hex_eq(r.commitment, COMMITMENT);
    hex_eq(r.digest_hex, DIGEST);
    raw_eq(r.key, KEY_BEACON);
    assert_int_equal(r.n, NENTRIES);
    for (size_t i = 0; i < NENTRIES; i++)
        assert_true(str_eq_cstr(r.order[i].ref, ORDER[i]));
    assert_int_equal(r.nwinners, NWINNERS);
    for (size_t i = 0; i < r.nwinners; i++)
        assert_true(str_eq_cstr(r.order[r.winners[i]].ref, WINNERS[i]));
}

static void test_prequeue_vector(void **state)
{
    (void)state;
    static const struct str refs[] = {STR("q-1"), STR("q-2"), STR("q-3"),
                                      STR("q-4"), STR("q-5"), STR("q-6")};
    static const char *const order[] = {"q-6", "q-3", "q-5", "q-1", "q-2", "q-4"};
    uint8_t seed[DRAW_SEED_LEN];
    sec_sha256(seed, "stampede pre-queue vector", strlen("stampede pre-queue vector"));
    raw_eq(seed, "5d857038ac75508cdd693ef105378595525ea1503754761ba414a28a0af996a1");
    struct draw_result r;
    assert_int_equal(draw_prequeue(A, seed, STR_NULL, refs, 6, &r), 0);
    hex_eq(r.commitment, "7e744515d76a18fce99f266cc68d44798a6ae7514c7063e11ad8815d6465b914");
    hex_eq(r.digest_hex, "1be7fd25f381b0d872f8e808d61f9c0477fe44aafffcc412701de9027177211e");
    raw_eq(r.key, "151d39bb8af20b7bd60abf701677a323611a8f96c7500993e6eec5a2e7c9f16a");
    assert_int_equal(r.n, 6);
    assert_int_equal(r.nwinners, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_true(str_eq_cstr(r.order[i].ref, order[i]));
        assert_int_equal(r.order[i].sku_id, 0);
        assert_true(str_eq(refs[r.order[i].entry], r.order[i].ref));
        assert_int_equal(r.winners[i], i);
    }
    /* an empty pre-queue is a valid, empty shuffle */
    assert_int_equal(draw_prequeue(A, seed, STR_NULL, NULL, 0, &r), 0);
    assert_int_equal(r.n, 0);
    assert_int_equal(r.nwinners, 0);
    hex_eq(r.digest_hex, DIGEST_EMPTY);
}

/* A one-entry list with this ref: the result of draw_entries_digest, draw_order, draw_rank. */
static void ref_is_refused(struct str ref)
{
    uint8_t key[DRAW_HASH_LEN] = {0}, raw[DRAW_HASH_LEN];
    struct draw_entry e = {ref, 1};
    struct draw_ranked *o = (void *)&e; /* must stay untouched */
    struct str hex = STR("untouched");
    assert_false(draw_ref_valid(ref));
    assert_int_equal(draw_entries_digest(A, &e, 1, raw, &hex), ERR_INVAL);
    assert_true(str_eq_cstr(hex, "untouched"));
    assert_int_equal(draw_order(A, key, &e, 1, &o), ERR_INVAL);
    assert_ptr_equal(o, (void *)&e);
    assert_int_equal(draw_rank(A, key, ref, &hex), ERR_INVAL);
}

static void test_invalid_refs_are_refused(void **state)
{
    (void)state;
    ref_is_refused(STR(""));
    ref_is_refused(STR("a:1")); /* would forge a line */
    ref_is_refused(STR("a\nb:2"));
    ref_is_refused(STR("sp ace"));
    ref_is_refused(STR("dot."));
    ref_is_refused(STR("caf\xc3\xa9"));
    ref_is_refused((struct str){"a\0b", 3});
    char long_ref[DRAW_REF_MAX + 1];
    memset(long_ref, 'r', sizeof long_ref);
    ref_is_refused((struct str){long_ref, DRAW_REF_MAX + 1});
    /* the edges that are allowed */
    assert_true(draw_ref_valid((struct str){long_ref, DRAW_REF_MAX}));
    assert_true(draw_ref_valid(STR("AZaz09_-")));
    assert_true(draw_ref_valid(STR("-")));
}

static void test_invalid_lists_are_refused(void **state)
{
    (void)state;
    uint8_t seed[DRAW_SEED_LEN] = {0}, key[DRAW_HASH_LEN] = {0}, raw[DRAW_HASH_LEN];
    struct draw_ranked *o;
    struct draw_result r;
    /* a ref twice, with the same or another SKU, and not next to each other */
    const struct draw_entry dup[] = {{STR("r1"), 5}, {STR("r1-x"), 5}, {STR("r1"), 6}};
    assert_int_equal(draw_entries_digest(A, dup, 3, raw, NULL), ERR_INVAL);
    assert_int_equal(draw_order(A, key, dup, 3, &o), ERR_INVAL);
    assert_int_equal(draw_run(A, seed, STR_NULL, dup, 3, NULL, 0, &r), ERR_INVAL);
    const struct str dup_refs[] = {STR("p"), STR("q"), STR("p")};
    assert_int_equal(draw_prequeue(A, seed, STR_NULL, dup_refs, 3, &r), ERR_INVAL);
    /* a negative SKU */
    const struct draw_entry neg[] = {{STR("r1"), -1}};
    assert_int_equal(draw_entries_digest(A, neg, 1, raw, NULL), ERR_INVAL);
    assert_int_equal(draw_order(A, key, neg, 1, &o), ERR_INVAL);
    /* SKU 0 belongs to the pre-queue: a draw refuses it */
    const struct draw_entry zero[] = {{STR("r1"), 3}, {STR("r2"), 0}};
    assert_int_equal(draw_run(A, seed, STR_NULL, zero, 2, NULL, 0, &r), ERR_INVAL);
    /* too many entries: refused before any is read */
    assert_int_equal(draw_entries_digest(A, zero, (size_t)DRAW_MAX_ENTRIES + 1, raw, NULL),
                     ERR_TOOBIG);
    assert_int_equal(draw_order(A, key, zero, (size_t)DRAW_MAX_ENTRIES + 1, &o), ERR_TOOBIG);
    assert_int_equal(draw_prequeue(A, seed, STR_NULL, dup_refs, (size_t)DRAW_MAX_ENTRIES + 1, &r),
                     ERR_TOOBIG);

    /* stock: negative, or one SKU twice */
    const struct draw_entry ok[] = {{STR("r1"), 3}, {STR("r2"), 4}};
    assert_int_equal(draw_order(A, key, ok, 2, &o), 0);
    size_t *w, nw = 99;
    const struct draw_stock negs[] = {{3, 1}, {4, -1}};
    assert_int_equal(draw_winners(A, o, 2, negs, 2, &w, &nw), ERR_INVAL);
    const struct draw_stock twice[] = {{3, 1}, {4, 1}, {3, 2}};
    assert_int_equal(draw_winners(A, o, 2, twice, 3, &w, &nw), ERR_INVAL);
    assert_int_equal(nw, 99);
    assert_int_equal(draw_run(A, seed, STR_NULL, ok, 2, twice, 3, &r), ERR_INVAL);

    /* beacon: not UTF-8, or too long */
    assert_int_equal(draw_key(seed, key, STR("bad \xff"), raw), ERR_INVAL);
    assert_int_equal(draw_key(seed, key, STR("\xc3"), raw), ERR_INVAL);
    char big[DRAW_BEACON_MAX + 1];
    memset(big, 'b', sizeof big);
    assert_int_equal(draw_key(seed, key, (struct str){big, sizeof big}, raw), ERR_TOOBIG);
    assert_int_equal(draw_key(seed, key, (struct str){big, DRAW_BEACON_MAX}, raw), 0);
    assert_int_equal(draw_run(A, seed, STR("\xff"), ok, 2, NULL, 0, &r), ERR_INVAL);
}

/*
 * Uniformity of the pre-queue shuffle. K entries are shuffled under SEEDS fixed seeds
 * (seed i = SHA-256 of i as 4 little-endian bytes); counts[e][p] is how often entry e landed at
 * place p. If every place is equally likely for every entry, each cell expects SEEDS / K, and
 * the statistic sum (O - E)^2 / E over the K x K table follows chi-square with (K - 1)^2 = 49
 * degrees of freedom (rows and columns both sum to SEEDS). Table value for df 49 at
 * p = 0.001: 85.351 (df 50: 86.661). The seeds are fixed, so the statistic is one number,
 * pinned below as Python computed it (58.224, p = 0.17).
 */
#define K            8
#define SEEDS        2000
#define CHI2_49_P001 85.351

static double chi_square(const unsigned counts[K][K])
{
    const double e = (double)SEEDS / K;
    double x = 0;
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++)
            x += ((double)counts[i][j] - e) * ((double)counts[i][j] - e) / e;
    return x;
}

static void nth_seed(uint32_t i, uint8_t seed[DRAW_SEED_LEN])
{
    uint8_t le[4] = {(uint8_t)i, (uint8_t)(i >> 8), (uint8_t)(i >> 16), (uint8_t)(i >> 24)};
    sec_sha256(seed, le, sizeof le);
}

static const struct str REFS8[K] = {STR("e0"), STR("e1"), STR("e2"), STR("e3"),
                                    STR("e4"), STR("e5"), STR("e6"), STR("e7")};

static void test_shuffle_is_uniform(void **state)
{
    (void)state;
    unsigned counts[K][K] = {{0}};
    uint8_t seed[DRAW_SEED_LEN];
    nth_seed(0, seed);
    raw_eq(seed, "df3f619804a92fdb4057192dc43dd748ea778adc52bc498ce80524c014b81119");
    for (uint32_t i = 0; i < SEEDS; i++) {
        nth_seed(i, seed);
        struct draw_result r;
        assert_int_equal(draw_prequeue(A, seed, STR_NULL, REFS8, K, &r), 0);
        for (size_t p = 0; p < K; p++)
            counts[r.order[p].entry][p]++;
        arena_reset(A);
    }
    double x = chi_square(counts);
    print_message("pre-queue shuffle: chi-square %.3f over %d seeds (df 49, p=0.001 at %.3f)\n", x,
                  SEEDS, CHI2_49_P001);
    assert_true(x < CHI2_49_P001);
    assert_true(fabs(x - 58.224) < 1e-6);
}

/*
 * The same test must fail shuffles that are not uniform, or it proves nothing. Two controls:
 * ranking by HMAC under one constant key (the seed ignored: the same order every time), and
 * the classic wrong shuffle "swap each place with any place" driven by the real draw key's
 * bytes (i-th swap partner = key[i] mod 8, unbiased per byte): its 8^8 equally likely paths
 * do not spread evenly over the 8! orders, a subtle bias the test must still see.
 */
static void test_chi_square_rejects_biased_shuffles(void **state)
{
    (void)state;
    unsigned fixed[K][K] = {{0}}, naive[K][K] = {{0}};
    struct draw_entry e[K];
    for (int i = 0; i < K; i++)
        e[i] = (struct draw_entry){REFS8[i], 0};
    uint8_t ckey[DRAW_HASH_LEN], digest[DRAW_HASH_LEN];
    sec_sha256(ckey, "constant", strlen("constant"));
    assert_int_equal(draw_entries_digest(A, e, K, digest, NULL), 0);
    for (uint32_t i = 0; i < SEEDS; i++) {
        uint8_t seed[DRAW_SEED_LEN], key[DRAW_HASH_LEN];
        nth_seed(i, seed);
        struct draw_ranked *o;
        assert_int_equal(draw_order(A, ckey, e, K, &o), 0);
        for (size_t p = 0; p < K; p++)
            fixed[o[p].entry][p]++;
        assert_int_equal(draw_key(seed, digest, STR_NULL, key), 0);
        int perm[K];
        for (int j = 0; j < K; j++)
            perm[j] = j;
        for (int j = 0; j < K; j++) {
            int t = key[j] % K, tmp = perm[j];
            perm[j] = perm[t];
            perm[t] = tmp;
        }
        for (int p = 0; p < K; p++)
            naive[perm[p]][p]++;
        arena_reset(A);
    }
    double xf = chi_square(fixed), xn = chi_square(naive);
    print_message("controls: constant key %.3f, naive swap %.3f (must exceed %.3f)\n", xf, xn,
                  CHI2_49_P001);
    assert_true(xf > CHI2_49_P001);
    assert_true(xn > CHI2_49_P001);
    assert_true(fabs(xf - 112000.0) < 1e-6); /* one place per entry: 8 * (1750^2/250 + 7*250) */
    assert_true(fabs(xn - 237.024) < 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commitment_of_a_known_seed),
        cmocka_unit_test(test_digest_sorts_the_lines_bytewise),
        cmocka_unit_test(test_key_with_and_without_beacon),
        cmocka_unit_test(test_ranks),
        cmocka_unit_test(test_order_and_winners),
        cmocka_unit_test(test_prequeue_vector),
        cmocka_unit_test(test_invalid_refs_are_refused),
        cmocka_unit_test(test_invalid_lists_are_refused),
        cmocka_unit_test(test_shuffle_is_uniform),
        cmocka_unit_test(test_chi_square_rejects_biased_shuffles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
