/*
 * Integration: a draw drop end to end through HAProxy (issue 12, the draw; I9).
 *
 * 240 shoppers (accounts and shipping addresses made in SQL, signed in through the API), three
 * per client address (drops.accounts_per_address is 3), enter a draw for a product with three
 * sizes of 10, 5 and 0 pairs, each submitting its entry twice at the same moment: exactly one
 * entry per account. Then the close is moved to now, the scheduler's drop-draw job draws, and:
 *   - the proof verifies with tools/verify_draw.py against the live URL and the commitment
 *     published before the entries; tampered copies of it (seed, an entry, the winners' order,
 *     the beacon) are refused;
 *   - the results in the database and in each shopper's GET .../entry are exactly the proof's
 *     (its winners are what stampede-draw-v1 gives, as the verifier just checked);
 *   - every winner has a pending_payment order of the drop with a hold of the purchase window;
 *   - winners who do not pay (their hold made to run out, as the expiry tests do) lose the pair
 *     to the next entrants of the size in draw order, who get orders of their own; a winner
 *     who paid keeps the pair;
 *   - running the job again changes nothing; I1-I4 and I9 hold at the end.
 * The error answers of the contract (not_drawn, not_entered, already_entered, entries_closed,
 * wrong_drop_kind, drop_not_found, sku_not_found, address_required, too_many_accounts) are
 * checked on the way.
 */
#include "harness.h"
#include "pay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENTRANTS    240
#define PER_ADDRESS 3
#define EXTRA       2 /* ENTRANTS: a 4th account on address 0; ENTRANTS + 1: no address */
#define ACCOUNTS    (ENTRANTS + EXTRA)
#define PASSWORD    "draw-day-password-2026"
#define WINDOW_S    120
#define NSIZES      3
static const int STOCK[NSIZES] = {10, 5, 0};

static struct stack S;
static MYSQL *DB;
static char tag[16];
static char sid[ACCOUNTS][64];
static long long account_id[ACCOUNTS];
static long long product, skus[NSIZES], drop_id, queue_drop;
static char commitment[65], seed_hex[65];
static char refs[ENTRANTS][32];

/* the client address of shopper i: three accounts per address, from 127.0.1.1 on */
static void address_of(int i, char *out, size_t n)
{
    int a = (i >= ENTRANTS ? 0 : i / PER_ADDRESS) + 1;
    snprintf(out, n, "127.0.%d.%d", 1 + a / 250, a % 250 + 1);
}

static void as_shopper(struct hreq *q, int i)
{
    snprintf(q->hdr[0], sizeof q->hdr[0], "X-Requested-With: stampede");
    if (i >= 0) {
        snprintf(q->hdr[1], sizeof q->hdr[1], "Cookie: stampede_sid=%s", sid[i]);
        address_of(i, q->from, sizeof q->from);
    }
}

/* one request as shopper i (-1: nobody); returns the status, body in *out (free it) */
static long call(int i, const char *method, const char *path, const char *json, char **out)
{
    struct hreq q = {.method = method};
    snprintf(q.url, sizeof q.url, "%s%s", S.base_url, path);
    if (json) {
        q.body = (char *)json;
        q.ctype = "application/json";
    }
    as_shopper(&q, i);
    http_parallel(&q, 1, 1);
    long st = q.status;
    if (out)
        *out = strdup(q.out ? q.out : "");
    hreq_free(&q);
    return st;
}

static void expect(int i, const char *method, const char *path, const char *json, long status,
                   const char *code)
{
    char *body;
    long st = call(i, method, path, json, &body);
    if (st != status || (code && !strstr(body, code)))
        fail_msg("%s %s: expected %ld %s, got %ld %s", method, path, status, code ? code : "", st,
                 body);
    free(body);
}

static long long make_product(const char *label, const int *stock, int n, long long *out)
{
    char slug[80];
    snprintf(slug, sizeof slug, "draw-%s-%s", tag, label);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO products (slug, name, brand, description, price_krw, "
                              "image) VALUES ('%s', 'Draw %s', 'Test', 'draw', 199000, "
                              "'img/favicon.svg')",
                              slug, label),
                     0);
    long long p = db_scalar(DB, "SELECT id FROM products WHERE slug = '%s'", slug);
    for (int k = 0; k < n; k++) {
        assert_int_equal(db_execf(DB, "INSERT INTO skus (product_id, size_mm) VALUES (%lld, %d)", p,
                                  260 + 10 * k),
                         0);
        out[k] = db_scalar(DB, "SELECT id FROM skus WHERE product_id = %lld AND size_mm = %d", p,
                           260 + 10 * k);
        assert_int_equal(db_execf(DB,
                                  "INSERT INTO stock (sku_id, bucket, available) VALUES (%lld, 0, "
                                  "%d)",
                                  out[k], stock[k]),
                         0);
        assert_int_equal(db_execf(DB,
                                  "INSERT INTO inventory_ledger (sku_id, bucket, reason, "
                                  "d_available, ref_type, ref_id) VALUES (%lld, 0, 'receive', %d, "
                                  "'test', 'draw')",
                                  out[k], stock[k]),
                         0);
    }
    return p;
}

/* make_drop: a drop of the product, open now, closing in 10 minutes, with our own seed */
static long long make_drop(long long prod, const char *kind, char *commit_hex, char *seedhex)
{
    unsigned char seed[32], h[32];
    randombytes_buf(seed, sizeof seed);
    crypto_hash_sha256(h, seed, sizeof seed);
    sodium_bin2hex(seedhex, 65, seed, sizeof seed);
    sodium_bin2hex(commit_hex, 65, h, sizeof h);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO drops (product_id, kind, opens_at, starts_at, "
                              "closes_at, purchase_window_s, seed, commitment, created_by) VALUES "
                              "(%lld, '%s', NOW(6), NOW(6) + INTERVAL %d SECOND, NOW(6) + "
                              "INTERVAL 600 SECOND, %d, UNHEX('%s'), '%s', 'test')",
                              prod, kind, strcmp(kind, "queue") == 0 ? 300 : 0, WINDOW_S, seedhex,
                              commit_hex),
                     0);
    return db_scalar(DB, "SELECT MAX(id) FROM drops WHERE product_id = %lld", prod);
}

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    pay_init(&S);
    if (sodium_init() < 0)
        fail_msg("libsodium");
    snprintf(tag, sizeof tag, "%08x", (unsigned)randombytes_random());
    char prefix[32];
    snprintf(prefix, sizeof prefix, "draw%s", tag);
    crowd_sign_in(&S, DB, prefix, PASSWORD, ACCOUNTS, sid, account_id);
    /* every shopper but the last has a shipping address */
    assert_int_equal(db_execf(DB,
                              "INSERT INTO account_addresses (account_id, recipient, phone, "
                              "postcode, address, detail) SELECT id, name, '010-1234-5678', "
                              "'06236', '서울특별시 강남구 테헤란로 152', '101동 1203호' FROM "
                              "accounts WHERE email LIKE 'draw%s-%%' AND email <> "
                              "'draw%s-%03d@test.stampede'",
                              tag, tag, ACCOUNTS - 1),
                     0);
    product = make_product("sizes", STOCK, NSIZES, skus);
    drop_id = make_drop(product, "draw", commitment, seed_hex);
    long long qskus[1];
    int qstock[1] = {5};
    char c2[65], s2[65];
    queue_drop = make_drop(make_product("queue", qstock, 1, qskus), "queue", c2, s2);
    stack_replica_sync(&S);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mysql_close(DB);
    return 0;
}

static char *path(const char *fmt, long long id)
{
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], fmt, id);
    return buf[k];
}

static const char *sku_json(long long sku)
{
    static char buf[4][64];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "{\"sku_id\":%lld}", sku);
    return buf[k];
}

/* ---- entering */

static void test_answers_before_entering(void **state)
{
    (void)state;
    expect(-1, "GET", path("/api/v1/drops/%lld/proof", drop_id), NULL, 409, "not_drawn");
    expect(0, "GET", path("/api/v1/drops/%lld/entry", drop_id), NULL, 404, "not_entered");
    expect(0, "POST", path("/api/v1/drops/%lld/entries", 999999999), sku_json(skus[0]), 404,
           "drop_not_found");
    expect(0, "POST", path("/api/v1/drops/%lld/entries", queue_drop), sku_json(skus[0]), 409,
           "wrong_drop_kind");
    /* a size of another product */
    expect(0, "POST", path("/api/v1/drops/%lld/entries", drop_id), "{\"sku_id\":1}", 404,
           "sku_not_found");
    /* the proof of a queue before its start */
    expect(-1, "GET", path("/api/v1/drops/%lld/proof", queue_drop), NULL, 409, "not_drawn");
    /* no shipping address */
    expect(ACCOUNTS - 1, "POST", path("/api/v1/drops/%lld/entries", drop_id), sku_json(skus[0]),
           409, "address_required");
    assert_int_equal(
        db_scalar(DB, "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld", drop_id), 0);
}

static void test_double_submissions_make_one_entry_each(void **state)
{
    (void)state;
    static struct hreq req[2 * ENTRANTS];
    memset(req, 0, sizeof req);
    for (int k = 0; k < 2 * ENTRANTS; k++) {
        int i = k % ENTRANTS; /* each shopper's two submissions go out together */
        req[k].method = "POST";
        snprintf(req[k].url, sizeof req[k].url, "%s/api/v1/drops/%lld/entries", S.base_url,
                 drop_id);
        req[k].ctype = "application/json";
        req[k].body = strdup(sku_json(skus[i % NSIZES]));
        as_shopper(&req[k], i);
    }
    http_parallel(req, 2 * ENTRANTS, 2 * ENTRANTS);
    int created[ENTRANTS] = {0}, again[ENTRANTS] = {0};
    for (int k = 0; k < 2 * ENTRANTS; k++) {
        int i = k % ENTRANTS;
        if (req[k].status == 201) {
            created[i]++;
            cJSON *j = cJSON_Parse(req[k].out);
            const char *ref = cJSON_GetStringValue(cJSON_GetObjectItem(j, "ref"));
            assert_non_null(ref);
            assert_int_equal(strlen(ref), 22);
            assert_int_equal(strspn(ref, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789_-"),
                             22);
            snprintf(refs[i], sizeof refs[i], "%s", ref);
            assert_int_equal((long long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "sku_id")),
                             skus[i % NSIZES]);
            cJSON_Delete(j);
        } else if (req[k].status == 409 && strstr(req[k].out, "\"already_entered\"")) {
            again[i]++;
        } else {
            fail_msg("shopper %d: %ld %s", i, req[k].status, req[k].out);
        }
        free(req[k].body);
        hreq_free(&req[k]);
    }
    for (int i = 0; i < ENTRANTS; i++) {
        assert_int_equal(created[i], 1);
        assert_int_equal(again[i], 1);
    }
    assert_int_equal(
        db_scalar(DB, "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld", drop_id), ENTRANTS);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(DISTINCT account_id) FROM drop_entries WHERE "
                               "drop_id = %lld",
                               drop_id),
                     ENTRANTS);
    /* the size is fixed: entering again with another one is the same refusal */
    expect(0, "POST", path("/api/v1/drops/%lld/entries", drop_id), sku_json(skus[1]), 409,
           "already_entered");
    /* a fourth account from the first address */
    expect(ENTRANTS, "POST", path("/api/v1/drops/%lld/entries", drop_id), sku_json(skus[0]), 429,
           "too_many_accounts");
    /* one's entry: pending, with its ref */
    for (int i = 0; i < 5; i++) {
        char *body;
        assert_int_equal(call(i, "GET", path("/api/v1/drops/%lld/entry", drop_id), NULL, &body),
                         200);
        assert_non_null(strstr(body, refs[i]));
        assert_non_null(strstr(body, "\"result\":\"pending\""));
        assert_null(strstr(body, "order_id"));
        free(body);
    }
}

/* ---- the draw */

struct proof {
    cJSON *json;
    char *text;
};

static bool drawn(void *arg)
{
    (void)arg;
    return db_scalar(DB, "SELECT drawn_at IS NOT NULL FROM drops WHERE id = %lld", drop_id) == 1;
}

static bool all_winners_have_orders(void *arg)
{
    (void)arg;
    return db_scalar(DB,
                     "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld AND result = 'won' "
                     "AND order_id IS NULL",
                     drop_id) == 0;
}

static void fetch_proof(struct proof *p)
{
    long st = call(-1, "GET", path("/api/v1/drops/%lld/proof", drop_id), NULL, &p->text);
    if (st != 200)
        fail_msg("proof: %ld %s", st, p->text);
    p->json = cJSON_Parse(p->text);
    assert_non_null(p->json);
}

/* verify_file: tools/verify_draw.py on a proof saved to a file; its exit status */
static int verify_file(cJSON *proof)
{
    char file[128];
    snprintf(file, sizeof file, "/tmp/stampede-proof-%s-%d.json", tag, (int)getpid());
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    char *text = cJSON_PrintUnformatted(proof);
    fputs(text, f);
    fclose(f);
    free(text);
    int rc = stack_run(&S, "python3 tools/verify_draw.py %s --quiet >/dev/null", file);
    unlink(file);
    return rc;
}

static void test_the_draw_runs_at_close_and_verifies(void **state)
{
    (void)state;
    assert_int_equal(db_execf(DB,
                              "UPDATE drops SET closes_at = NOW(6) + INTERVAL 1 SECOND WHERE id "
                              "= %lld",
                              drop_id),
                     0);
    sleep(2);
    expect(ENTRANTS, "POST", path("/api/v1/drops/%lld/entries", drop_id), sku_json(skus[0]), 409,
           "entries_closed");
    if (!wait_until(drawn, NULL, 20000))
        fail_msg("the drop was not drawn within 20 s of its close");
    assert_true(wait_until(all_winners_have_orders, NULL, 20000));
    stack_replica_sync(&S);

    struct proof p;
    fetch_proof(&p);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p.json, "algorithm")),
                        "stampede-draw-v1");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p.json, "commitment")),
                        commitment);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(p.json, "seed")), seed_hex);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(p.json, "beacon")));
    cJSON *stock = cJSON_GetObjectItem(p.json, "stock");
    for (int k = 0; k < NSIZES; k++) {
        char key[24];
        snprintf(key, sizeof key, "%lld", skus[k]);
        assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(stock, key)), STOCK[k]);
    }
    cJSON *entries = cJSON_GetObjectItem(p.json, "entries");
    cJSON *winners = cJSON_GetObjectItem(p.json, "winners");
    assert_int_equal(cJSON_GetArraySize(entries), ENTRANTS);
    int nwin = 0;
    for (int k = 0; k < NSIZES; k++)
        nwin += STOCK[k] < ENTRANTS / NSIZES ? STOCK[k] : ENTRANTS / NSIZES;
    assert_int_equal(cJSON_GetArraySize(winners), nwin);

    /* the verifier, against the live URL and the commitment published before the entries */
    assert_int_equal(stack_run(&S,
                               "python3 tools/verify_draw.py %s/api/v1/drops/%lld/proof "
                               "--commitment %s --ref %s",
                               S.base_url, drop_id, commitment, refs[0]),
                     0);
    assert_int_equal(verify_file(p.json), 0);

    /* the database holds the proof's results: the entries in draw order, the winners won and
     * everyone else lost */
    for (int i = 0; i < cJSON_GetArraySize(entries); i++) {
        const char *ref =
            cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(entries, i), "ref"));
        assert_int_equal(db_scalar(DB,
                                   "SELECT draw_place FROM drop_entries WHERE drop_id = %lld AND "
                                   "ref = '%s'",
                                   drop_id, ref),
                         i + 1);
    }
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld AND "
                               "result = 'won'",
                               drop_id),
                     nwin);
    for (int w = 0; w < nwin; w++) {
        const char *ref = cJSON_GetStringValue(cJSON_GetArrayItem(winners, w));
        assert_int_equal(db_scalar(DB,
                                   "SELECT result = 'won' FROM drop_entries WHERE drop_id = %lld "
                                   "AND ref = '%s'",
                                   drop_id, ref),
                         1);
    }
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld AND "
                               "result = 'pending'",
                               drop_id),
                     0);

    /* every winner has a pending_payment order of the drop for its size, held for the window */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM drop_entries e JOIN orders o ON o.id = "
                               "e.order_id JOIN order_lines l ON l.order_id = o.id AND l.sku_id "
                               "= e.sku_id AND l.quantity = 1 WHERE e.drop_id = %lld AND "
                               "e.result = 'won' AND o.status = 'pending_payment' AND o.drop_id "
                               "= %lld AND o.account_id = e.account_id AND o.hold_expires_at > "
                               "NOW(6) + INTERVAL %d SECOND",
                               drop_id, drop_id, WINDOW_S - 30),
                     nwin);
    for (int k = 0; k < NSIZES; k++) {
        int won = STOCK[k] < ENTRANTS / NSIZES ? STOCK[k] : ENTRANTS / NSIZES;
        assert_int_equal(db_scalar(DB, "SELECT SUM(held) FROM stock WHERE sku_id = %lld", skus[k]),
                         won);
        assert_int_equal(
            db_scalar(DB, "SELECT SUM(available) FROM stock WHERE sku_id = %lld", skus[k]),
            STOCK[k] - won);
    }
    /* each shopper reads their result, as the proof says */
    for (int i = 0; i < ENTRANTS; i += 7) {
        char *body;
        assert_int_equal(call(i, "GET", path("/api/v1/drops/%lld/entry", drop_id), NULL, &body),
                         200);
        bool won = false;
        for (int w = 0; w < nwin; w++)
            won |= strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(winners, w)), refs[i]) == 0;
        assert_non_null(strstr(body, won ? "\"result\":\"won\"" : "\"result\":\"lost\""));
        assert_true(won == (strstr(body, "\"order_id\"") != NULL));
        free(body);
    }

    /* the verifier refuses tampered copies (negative controls) */
    const char *what[] = {"seed", "entry", "winner order", "beacon"};
    for (int t = 0; t < 4; t++) {
        cJSON *c = cJSON_Duplicate(p.json, 1);
        if (t == 0) {
            char s[65];
            snprintf(s, sizeof s, "%s", seed_hex);
            s[0] = s[0] == '0' ? '1' : '0';
            cJSON_ReplaceItemInObject(c, "seed", cJSON_CreateString(s));
        } else if (t == 1) {
            cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(c, "entries"), ENTRANTS - 1);
            long long sku = (long long)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "sku_id"));
            cJSON_ReplaceItemInObject(
                e, "sku_id", cJSON_CreateNumber((double)(sku == skus[0] ? skus[1] : skus[0])));
        } else if (t == 2) {
            cJSON *w = cJSON_GetObjectItem(c, "winners");
            cJSON *first = cJSON_DetachItemFromArray(w, 0);
            cJSON_AddItemToArray(w, first);
        } else {
            cJSON_ReplaceItemInObject(c, "beacon", cJSON_CreateString("drand 1234"));
        }
        int rc = verify_file(c);
        if (rc != 1)
            fail_msg("a proof with a tampered %s: verify_draw.py exited %d, not 1", what[t], rc);
        cJSON_Delete(c);
    }
    /* the HTML proof page lists it and says how to verify */
    char *page;
    assert_int_equal(call(-1, "GET", path("/drops/%lld/proof", drop_id), NULL, &page), 200);
    assert_non_null(strstr(page, seed_hex));
    assert_non_null(strstr(page, refs[0]));
    assert_non_null(strstr(page, "tools/verify_draw.py"));
    free(page);
    assert_int_equal(call(0, "GET", path("/drops/%lld/draw", drop_id), NULL, &page), 200);
    assert_non_null(strstr(page, refs[0]));
    free(page);
    cJSON_Delete(p.json);
    free(p.text);
}

/* ---- roll-over */

struct rolled {
    long long sku;
    int n;
};

static bool rolled_over(void *arg)
{
    struct rolled *r = arg;
    return db_scalar(DB,
                     "SELECT COUNT(*) FROM drop_entries e JOIN orders o ON o.id = e.order_id "
                     "WHERE e.drop_id = %lld AND e.sku_id = %lld AND e.result = 'lost' AND "
                     "o.status = 'expired'",
                     drop_id, r->sku) == r->n &&
           db_scalar(DB,
                     "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld AND sku_id = %lld "
                     "AND result = 'won' AND order_id IS NULL",
                     drop_id, r->sku) == 0;
}

static int shopper_of(long long account)
{
    for (int i = 0; i < ACCOUNTS; i++)
        if (account_id[i] == account)
            return i;
    fail_msg("no shopper with account %lld", account);
    return -1;
}

static void test_unpaid_pairs_roll_over_in_draw_order(void **state)
{
    (void)state;
    /* size 1 (5 pairs): the first winner in draw order pays, the next three let their holds
     * run out */
    long long sku = skus[1];
    long long winners[5], orders[5];
    for (int w = 0; w < 5; w++) {
        winners[w] = db_scalar(DB,
                               "SELECT account_id FROM drop_entries WHERE drop_id = %lld AND "
                               "sku_id = %lld AND result = 'won' ORDER BY draw_place LIMIT %d, 1",
                               drop_id, sku, w);
        orders[w] = db_scalar(DB,
                              "SELECT order_id FROM drop_entries WHERE drop_id = %lld AND "
                              "account_id = %lld",
                              drop_id, winners[w]);
    }
    /* the first winner pays at the sandbox and comes back to the shop */
    int i0 = shopper_of(winners[0]);
    struct shopper sh = {.account_id = winners[0]};
    snprintf(sh.email, sizeof sh.email, "draw%s-%03d@test.stampede", tag, i0);
    snprintf(sh.sid, sizeof sh.sid, "%s", sid[i0]);
    long long total = db_scalar(DB, "SELECT total_krw FROM orders WHERE id = %lld", orders[0]);
    char key[128], loc[1024];
    psp_authorize(&S, orders[0], total, TEST_CARD_APPROVE, key, sizeof key, loc, sizeof loc);
    assert_true(key[0] != '\0');
    shop_return(&S, &sh, key, orders[0], total, loc, sizeof loc);
    assert_string_equal(order_status(DB, orders[0]), "paid");

    /* the next places of this size in draw order, never offered a pair */
    long long next[3];
    for (int k = 0; k < 3; k++)
        next[k] = db_scalar(DB,
                            "SELECT account_id FROM drop_entries WHERE drop_id = %lld AND sku_id "
                            "= %lld AND offered_at IS NULL ORDER BY draw_place LIMIT %d, 1",
                            drop_id, sku, k);
    assert_int_equal(db_execf(DB,
                              "UPDATE orders SET hold_expires_at = NOW(6) - INTERVAL 1 SECOND "
                              "WHERE id IN (%lld, %lld, %lld)",
                              orders[1], orders[2], orders[3]),
                     0);
    struct rolled r = {sku, 3};
    if (!wait_until(rolled_over, &r, 20000))
        fail_msg("the unpaid pairs did not roll over within 20 s");
    for (int w = 1; w <= 3; w++) {
        assert_string_equal(order_status(DB, orders[w]), "expired");
        /* the lapsed winner keeps its order as history, result lost */
        assert_int_equal(db_scalar(DB,
                                   "SELECT result = 'lost' AND order_id = %lld FROM drop_entries "
                                   "WHERE drop_id = %lld AND account_id = %lld",
                                   orders[w], drop_id, winners[w]),
                         1);
    }
    for (int k = 0; k < 3; k++)
        assert_int_equal(db_scalar(DB,
                                   "SELECT COUNT(*) FROM drop_entries e JOIN orders o ON o.id = "
                                   "e.order_id WHERE e.drop_id = %lld AND e.account_id = %lld AND "
                                   "e.result = 'won' AND o.status = 'pending_payment' AND "
                                   "o.drop_id = %lld",
                                   drop_id, next[k], drop_id),
                         1);
    /* the paid winner and the untouched one keep theirs */
    assert_string_equal(order_status(DB, orders[0]), "paid");
    assert_string_equal(order_status(DB, orders[4]), "pending_payment");
    /* 5 pairs: 1 sold, 4 held (1 original winner, 3 next in line), none left */
    assert_int_equal(db_scalar(DB, "SELECT SUM(sold) FROM stock WHERE sku_id = %lld", sku), 1);
    assert_int_equal(db_scalar(DB, "SELECT SUM(held) FROM stock WHERE sku_id = %lld", sku), 4);
    assert_int_equal(db_scalar(DB, "SELECT SUM(available) FROM stock WHERE sku_id = %lld", sku), 0);
    /* a new winner reads it */
    char *body;
    stack_replica_sync(&S);
    assert_int_equal(
        call(shopper_of(next[0]), "GET", path("/api/v1/drops/%lld/entry", drop_id), NULL, &body),
        200);
    assert_non_null(strstr(body, "\"result\":\"won\""));
    assert_non_null(strstr(body, "\"order_id\""));
    free(body);
}

/* ---- idempotency and invariants */

static void test_running_the_job_again_changes_nothing_and_invariants_hold(void **state)
{
    (void)state;
    long long orders = db_scalar(DB, "SELECT COUNT(*) FROM orders WHERE drop_id = %lld", drop_id);
    long long won = db_scalar(DB,
                              "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld AND result "
                              "= 'won'",
                              drop_id);
    assert_int_equal(stack_batch(&S, "drop-draw", "", NULL, NULL, 0), 0);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM orders WHERE drop_id = %lld", drop_id),
                     orders);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld AND "
                               "result = 'won'",
                               drop_id),
                     won);
    /* the proof is the same after the roll-over */
    assert_int_equal(stack_run(&S,
                               "python3 tools/verify_draw.py %s/api/v1/drops/%lld/proof "
                               "--quiet >/dev/null",
                               S.base_url, drop_id),
                     0);
    /* I9: one entry per account */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) - COUNT(DISTINCT account_id) FROM drop_entries "
                               "WHERE drop_id = %lld",
                               drop_id),
                     0);
    /* I3: per size, the drop's live orders never exceed the stock drawn */
    for (int k = 0; k < NSIZES; k++)
        assert_true(db_scalar(DB,
                              "SELECT COUNT(*) FROM orders o JOIN order_lines l ON l.order_id = "
                              "o.id WHERE o.drop_id = %lld AND l.sku_id = %lld AND o.status IN "
                              "('pending_payment', 'payment_unknown', 'paid')",
                              drop_id, skus[k]) <= STOCK[k]);
    /* I4: every order the draw made is whole (its line), and the paid one is paid */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM orders o WHERE o.drop_id = %lld AND NOT "
                               "EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)",
                               drop_id),
                     0);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM orders WHERE drop_id = %lld AND status = "
                               "'paid'",
                               drop_id),
                     1);
    /* I1, I2 (audit-stock) and I5 */
    assert_i1_i5(&S, DB);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers_before_entering),
        cmocka_unit_test(test_double_submissions_make_one_entry_each),
        cmocka_unit_test(test_the_draw_runs_at_close_and_verifies),
        cmocka_unit_test(test_unpaid_pairs_roll_over_in_draw_order),
        cmocka_unit_test(test_running_the_job_again_changes_nothing_and_invariants_hold),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
