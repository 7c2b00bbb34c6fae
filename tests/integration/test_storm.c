/*
 * Integration: a sign-in storm must not take the shop down.
 *
 * Several hundred shoppers sign up and sign in at once (argon2id each) while other shoppers
 * read product pages through HAProxy. The password bulkhead (core/gate.h) admits about one
 * hash per core per node and answers the rest "busy, retry in N s" at once, so:
 *   - no product page fails (zero 5xx, zero transport errors) during the storm, nor any
 *     request of signed-in shoppers working their carts (reads and changes: no hashing);
 *   - HAProxy never marks a node down (health checks are answered on the nodes' own health
 *     sockets, never behind busy workers): chkdown does not move;
 *   - every sign-up and sign-in either succeeds or gets the busy answer (503 auth_busy with
 *     Retry-After), nothing else;
 *   - no account is half-created: a sign-up told "busy" created nothing, one told 201 created
 *     exactly one account with its session;
 *   - retried politely, everyone gets in.
 * Latency figures are printed, never asserted (docs/PERFORMANCE.md has the bench's).
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SIGNUPS  200
#define SIGNINS  200
#define READERS  4 /* page readers */
#define CARTS    2 /* signed-in shoppers working their carts (reads and writes, no hashing) */
#define PASSWORD "storm-shopper-passphrase 2026"

static struct stack S;
static MYSQL *DB;
static char tag[16];

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    if (sodium_init() < 0)
        fail();
    snprintf(tag, sizeof tag, "%08x", (unsigned)randombytes_random());
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mysql_close(DB);
    return 0;
}

/* ---- the page readers */

struct reader {
    pthread_t t;
    atomic_bool *stop;
    char cookie[128]; /* a cart shopper's "Cookie: stampede_sid=..." (empty: a page reader) */
    long long sku;    /* the size it puts in its cart */
    long requests, fails, fivexx;
    long long lat_us[200000];
    long nlat;
    char first[300];
};

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *read_pages(void *arg)
{
    struct reader *r = arg;
    struct client *c = client_new();
    const char *paths[] = {"/products/arcline-halo-1-panda", "/",
                           "/api/v1/products/arcline-halo-1-panda"};
    /* stack_url's rotating buffers are not for threads: each reader makes its own URLs */
    char urls[3][256];
    for (int k = 0; k < 3; k++)
        snprintf(urls[k], sizeof urls[k], "%s%s", S.base_url, paths[k]);
    char cart_url[256], items_url[256], body[96];
    snprintf(cart_url, sizeof cart_url, "%s/api/v1/cart", S.base_url);
    snprintf(items_url, sizeof items_url, "%s/api/v1/cart/items", S.base_url);
    const char *h[] = {r->cookie, "X-Requested-With: stampede", NULL};
    for (int i = 0; !atomic_load(r->stop); i++) {
        struct resp resp;
        long long t0 = now_us();
        int rc;
        if (!r->cookie[0]) {
            rc = client_get(c, urls[i % 3], &resp);
        } else {
            /* the cart, then a change of quantity; a new client each time, so that the only
             * cookie sent is the session's (a jar's cookies would go in a second header) */
            struct client *cc = client_new();
            /* 1 or 2 pairs: the product allows 2 per customer */
            snprintf(body, sizeof body, "{\"sku_id\":%lld,\"quantity\":%d}", r->sku, i / 2 % 2 + 1);
            rc = i % 2 == 0
                     ? client_request(cc, "GET", cart_url, NULL, NULL, h, &resp)
                     : client_request(cc, "POST", items_url, "application/json", body, h, &resp);
            client_free(cc);
        }
        long long dt = now_us() - t0;
        r->requests++;
        if (r->nlat < (long)(sizeof r->lat_us / sizeof r->lat_us[0]))
            r->lat_us[r->nlat++] = dt;
        if (rc != 0 || resp.status >= 500 || resp.status != 200) {
            r->fails++;
            r->fivexx += rc == 0 && resp.status >= 500;
            if (!r->first[0])
                snprintf(r->first, sizeof r->first, "%s: %ld %.200s",
                         r->cookie[0] ? (i % 2 ? "cart item" : "cart") : paths[i % 3],
                         rc ? -1L : resp.status, rc ? "" : resp.body);
        }
        if (rc == 0)
            resp_free(&resp);
    }
    client_free(c);
    return NULL;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static double p99_ms(struct reader *rs, int n, long from, long *count)
{
    long total = 0;
    for (int i = 0; i < n; i++)
        total += rs[i].nlat - from;
    long long *all = malloc(sizeof *all * (size_t)(total ? total : 1));
    long k = 0;
    for (int i = 0; i < n; i++)
        for (long j = from; j < rs[i].nlat; j++)
            all[k++] = rs[i].lat_us[j];
    qsort(all, (size_t)k, sizeof *all, cmp_ll);
    double p = k ? (double)all[(long)(k * 0.99)] / 1000.0 : 0;
    free(all);
    *count = k;
    return p;
}

static long chkdown(const char *server)
{
    char v[32];
    assert_true(stack_haproxy_stat(&S, server, "chkdown", v, sizeof v));
    return strtol(v, NULL, 10);
}

/* ---- the storm */

static void fill(struct hreq *q, const char *path, const char *body)
{
    memset(q, 0, sizeof *q);
    q->method = "POST";
    snprintf(q->url, sizeof q->url, "%s", stack_url(&S, path));
    q->ctype = "application/json";
    q->body = strdup(body);
    snprintf(q->hdr[0], sizeof q->hdr[0], "X-Requested-With: stampede");
}

static bool busy_answer(const struct hreq *q)
{
    return q->status == 503 && q->out && strstr(q->out, "\"auth_busy\"") &&
           strcasestr(q->out_headers, "retry-after:");
}

static void test_sign_in_storm_leaves_pages_and_health_checks_untouched(void **state)
{
    (void)state;
    /* shoppers who already have accounts (one argon2 hash for all, made here) */
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str_alg(hash, PASSWORD, strlen(PASSWORD), 2, 19u << 20,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        fail_msg("argon2id");
    static char sql[SIGNINS * 200 + 256];
    size_t o = (size_t)snprintf(sql, sizeof sql,
                                "INSERT INTO accounts (email, name, password_hash) VALUES ");
    for (int i = 0; i < SIGNINS; i++)
        o += (size_t)snprintf(sql + o, sizeof sql - o, "%s('in%s-%03d@storm.test', 'In', '%s')",
                              i ? "," : "", tag, i, hash);
    assert_int_equal(db_execf(DB, "%s", sql), 0);
    /* ready to order, as shoppers who signed up earlier are (checkout needs an address) */
    assert_int_equal(db_execf(DB,
                              "INSERT INTO account_addresses (account_id, " TEST_ADDRESS_COLUMNS
                              ") SELECT id, " TEST_ADDRESS_VALUES
                              " FROM accounts WHERE email LIKE 'in%s-%%@storm.test'",
                              tag),
                     0);

    /* the cart shoppers, signed in before the storm */
    char prefix[32], sid[CARTS][64];
    snprintf(prefix, sizeof prefix, "cart%s", tag);
    crowd_sign_in(&S, DB, prefix, PASSWORD, CARTS, sid, NULL);
    long long sku = db_scalar(DB, "SELECT k.id FROM skus k JOIN products p ON p.id = k.product_id "
                                  "WHERE p.slug = 'arcline-halo-1-panda' ORDER BY k.id LIMIT 1");

    long down1 = chkdown("web1"), down2 = chkdown("web2");
    atomic_bool stop = false;
    static struct reader rs[READERS + CARTS];
    memset(rs, 0, sizeof rs);
    for (int i = 0; i < READERS + CARTS; i++) {
        rs[i].stop = &stop;
        if (i >= READERS) {
            snprintf(rs[i].cookie, sizeof rs[i].cookie, "Cookie: stampede_sid=%s",
                     sid[i - READERS]);
            rs[i].sku = sku;
        }
        pthread_create(&rs[i].t, NULL, read_pages, &rs[i]);
    }
    sleep(3); /* the pages' latency before the storm */
    long before_n[READERS + CARTS];
    for (int i = 0; i < READERS + CARTS; i++)
        before_n[i] = rs[i].nlat;

    static struct hreq req[SIGNUPS + SIGNINS];
    char body[300];
    for (int i = 0; i < SIGNUPS; i++) {
        snprintf(body, sizeof body,
                 "{\"email\":\"up%s-%03d@storm.test\",\"password\":\"%s\",\"name\":\"Up\"}", tag, i,
                 PASSWORD);
        fill(&req[i], "/api/v1/accounts", body);
    }
    for (int i = 0; i < SIGNINS; i++) {
        snprintf(body, sizeof body, "{\"email\":\"in%s-%03d@storm.test\",\"password\":\"%s\"}", tag,
                 i, PASSWORD);
        fill(&req[SIGNUPS + i], "/api/v1/session", body);
    }
    long long t0 = now_us();
    http_parallel(req, SIGNUPS + SIGNINS, SIGNUPS + SIGNINS);
    double storm_s = (double)(now_us() - t0) / 1e6;

    int ok = 0, busy = 0;
    for (int i = 0; i < SIGNUPS + SIGNINS; i++) {
        bool is_up = i < SIGNUPS;
        long want = is_up ? 201 : 200;
        if (req[i].status == want)
            ok++;
        else if (busy_answer(&req[i]))
            busy++;
        else
            fail_msg("%s %d: %ld %s", is_up ? "sign-up" : "sign-in", i, req[i].status,
                     req[i].out ? req[i].out : "");
        if (is_up) { /* nothing half-done: an account exactly when the answer said so */
            long long n = db_scalar(
                DB, "SELECT COUNT(*) FROM accounts WHERE email = 'up%s-%03d@storm.test'", tag, i);
            assert_int_equal(n, req[i].status == 201 ? 1 : 0);
        }
    }
    /* retried politely, everyone gets in */
    long retried = (long)http_retry_busy(req, SIGNUPS + SIGNINS, SIGNUPS + SIGNINS, 90);
    double total_s = (double)(now_us() - t0) / 1e6;
    atomic_store(&stop, true);
    long pages = 0, fails = 0, fivexx = 0, carts = 0, cart_fails = 0;
    const char *first = "";
    for (int i = 0; i < READERS + CARTS; i++) {
        pthread_join(rs[i].t, NULL);
        *(i < READERS ? &pages : &carts) += rs[i].requests;
        *(i < READERS ? &fails : &cart_fails) += rs[i].fails;
        fivexx += rs[i].fivexx;
        if (!first[0])
            first = rs[i].first;
    }
    for (int i = 0; i < SIGNUPS + SIGNINS; i++) {
        long want = i < SIGNUPS ? 201 : 200;
        if (req[i].status != want)
            fail_msg("request %d still not served after retries: %ld %s", i, req[i].status,
                     req[i].out ? req[i].out : "");
        free(req[i].body);
        hreq_free(&req[i]);
    }
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM accounts WHERE email LIKE 'up%s-%%'", tag),
                     SIGNUPS);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM accounts a WHERE a.email LIKE 'up%s-%%' AND "
                               "NOT EXISTS (SELECT 1 FROM sessions s WHERE s.account_id = a.id)",
                               tag),
                     0);

    /* latency before and during, for the record */
    long nb = 0, nd = 0;
    double p99_before = 0, p99_during;
    {
        long total = 0;
        for (int i = 0; i < READERS; i++)
            total += before_n[i];
        long long *all = malloc(sizeof *all * (size_t)(total ? total : 1));
        for (int i = 0; i < READERS; i++)
            for (long j = 0; j < before_n[i]; j++)
                all[nb++] = rs[i].lat_us[j];
        qsort(all, (size_t)nb, sizeof *all, cmp_ll);
        p99_before = nb ? (double)all[(long)(nb * 0.99)] / 1000.0 : 0;
        free(all);
    }
    long from = before_n[0] < before_n[READERS - 1] ? before_n[0] : before_n[READERS - 1];
    p99_during = p99_ms(rs, READERS, from, &nd);
    long nc0 = 0, ncd = 0;
    double cart_before = p99_ms(rs + READERS, CARTS, 0, &nc0);
    from = before_n[READERS] < before_n[READERS + 1] ? before_n[READERS] : before_n[READERS + 1];
    double cart_during = p99_ms(rs + READERS, CARTS, from, &ncd);
    print_message("storm: %d sign-ups + %d sign-ins in %.1fs (first answers: %d served, %d busy; "
                  "%ld busy answers in all until everyone was in after %.1fs)\n",
                  SIGNUPS, SIGNINS, storm_s, ok, busy, retried, total_s);
    print_message("pages: %ld requests, %ld failed (%ld 5xx); p99 %.1f ms before (%ld), %.1f ms "
                  "during (%ld)\n",
                  pages, fails, fivexx, p99_before, nb, p99_during, nd);
    print_message("carts: %ld requests (reads and changes), %ld failed; p99 %.1f ms over the "
                  "whole run, %.1f ms during the storm\n",
                  carts, cart_fails, cart_before, cart_during);
    if (fails || cart_fails)
        fail_msg("%ld of %ld page requests and %ld of %ld cart requests failed during the storm; "
                 "first: %s",
                 fails, pages, cart_fails, carts, first);
    assert_true(pages > 0 && carts > 0);
    /* HAProxy never marked a node down */
    assert_int_equal(chkdown("web1"), down1);
    assert_int_equal(chkdown("web2"), down2);
    char st[32];
    assert_true(stack_haproxy_stat(&S, "web1", "status", st, sizeof st));
    assert_string_equal(st, "UP");
    assert_true(stack_haproxy_stat(&S, "web2", "status", st, sizeof st));
    assert_string_equal(st, "UP");
    assert_int_equal(stack_run(&S, "./stampede batch audit-stock >/dev/null"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_in_storm_leaves_pages_and_health_checks_untouched),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
