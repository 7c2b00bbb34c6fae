/*
 * Integration: the rules around a drop (issue 12), through HAProxy and the real commands.
 *
 *   - `./stampede drop edit` changes a drop before it opens (what is not given stays) and is
 *     refused once it has opened (SHOP_DROP_LOCKED, exit 1, nothing changed).
 *   - A waiting shopper's reloads of the waiting page (/drops/{id}, the <noscript> refresh)
 *     read no database: stampede_drop_poll_db_reads_total does not move and the node sends
 *     far fewer statements than pages; the page has no Refresh header (browsers obey it with
 *     JavaScript too) but keeps its <noscript> meta refresh.
 *   - A drop that is upcoming (opens in the future) refuses its sizes by every path: the
 *     checkout page (buy now and the cart), the API (buy now, an old cart line) and a forged
 *     admission; nothing is held or ordered.
 *   - The HTML checkout form buys a drop's size with a live admission and refuses it once
 *     the admission's window is over (403 not_admitted).
 *   - A draw's sizes cannot be bought outside the draw (API and page).
 *   - Joining a queue without a shipping address: 409 address_required (API), the page sends
 *     the shopper to the address form; no place is taken.
 *   - A waiting shopper whose place times the per-account limit exceeds the pairs left is told
 *     plainly that the pairs will likely run out before their turn; one nearer the front is not.
 *   - An account that hammers the queue join or the draw entry gets 429 too_many_tries past
 *     drops.account_rate a minute, and keeps its one place or entry.
 *   - A drop's cached row outlives a change made by hand in SQL until `stampede-admin
 *     cache-bump`, which forgets it.
 *   - A drop announced later (`drop create --announce-in S`) is not there for shoppers until
 *     then: not listed; its JSON, page, proof (JSON and page), entry and queue endpoints answer
 *     exactly as for an unknown id; its product page does not mention it and sells nothing
 *     (buy now 403 not_admitted). `drop edit ID --announce-in 0` makes it public at once with
 *     the commitment it was created with; once public it cannot be hidden again, and an
 *     announce time after the opening is refused.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHOPPERS 8
#define NOADDR   7 /* the shopper without a shipping address */
#define PASSWORD "drop-rules-password-2026"

static struct stack S;
static MYSQL *DB;
static char run_tag[16];
static char sid[SHOPPERS][64];
static long long account[SHOPPERS];

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    if (sodium_init() < 0)
        fail_msg("libsodium");
    snprintf(run_tag, sizeof run_tag, "%08x", (unsigned)randombytes_random());
    char prefix[32];
    snprintf(prefix, sizeof prefix, "rules%s", run_tag);
    crowd_sign_in(&S, DB, prefix, PASSWORD, SHOPPERS, sid, account);
    for (int i = 0; i < SHOPPERS; i++)
        if (i != NOADDR)
            assert_int_equal(db_execf(DB,
                                      "INSERT INTO account_addresses (account_id, "
                                      "" TEST_ADDRESS_COLUMNS ") SELECT id, " TEST_ADDRESS_VALUES
                                      " FROM accounts WHERE id = %lld",
                                      account[i]),
                             0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mysql_close(DB);
    return 0;
}

/* ---- helpers */

/* make_product: a product "<label>-<tag>" with two sizes of 5 pairs; its slug and sizes */
static long long make_product(const char *label, char *slug, size_t slen, long long sku[2])
{
    snprintf(slug, slen, "rules-%s-%s", label, run_tag);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO products (slug, name, brand, description, price_krw, "
                              "image) VALUES ('%s', 'Rules %s', 'Test', 'drop rules', 159000, "
                              "'img/favicon.svg')",
                              slug, label),
                     0);
    long long product = db_scalar(DB, "SELECT id FROM products WHERE slug = '%s'", slug);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(db_execf(DB, "INSERT INTO skus (product_id, size_mm) VALUES (%lld, %d)",
                                  product, 250 + 10 * k),
                         0);
        sku[k] = db_scalar(DB, "SELECT id FROM skus WHERE product_id = %lld AND size_mm = %d",
                           product, 250 + 10 * k);
        assert_int_equal(
            db_execf(DB, "INSERT INTO stock (sku_id, bucket, available) VALUES (%lld, 0, 5)",
                     sku[k]),
            0);
        assert_int_equal(db_execf(DB,
                                  "INSERT INTO inventory_ledger (sku_id, bucket, reason, "
                                  "d_available, ref_type, ref_id) VALUES (%lld, 0, 'receive', 5, "
                                  "'test', 'rules')",
                                  sku[k]),
                         0);
    }
    stack_replica_sync(&S);
    return product;
}

/* create_drop: `./stampede drop create` with these options; the new drop's id */
static long long create_drop(long long product, const char *slug, const char *opts)
{
    assert_int_equal(stack_run(&S, "./stampede drop create --product %s %s >/dev/null", slug, opts),
                     0);
    long long id = db_scalar(DB, "SELECT MAX(id) FROM drops WHERE product_id = %lld", product);
    assert_true(id > 0);
    return id;
}

/* one: a request as shopper i (-1: nobody), with up to two more header lines */
static void one(struct hreq *q, const char *method, const char *url, int i, const char *h1,
                const char *h2)
{
    q->method = method;
    snprintf(q->url, sizeof q->url, "%s", url);
    snprintf(q->hdr[0], sizeof q->hdr[0], "X-Requested-With: stampede");
    if (i >= 0)
        snprintf(q->hdr[1], sizeof q->hdr[1], "Cookie: stampede_sid=%s", sid[i]);
    if (h1)
        snprintf(q->hdr[2], sizeof q->hdr[2], "%s", h1);
    if (h2)
        snprintf(q->hdr[3], sizeof q->hdr[3], "%s", h2);
    http_parallel(q, 1, 1);
}

static const char *url(const char *fmt, long long id)
{
    static char u[256];
    char path[128];
    snprintf(path, sizeof path, fmt, id);
    snprintf(u, sizeof u, "%s%s", S.base_url, path);
    return u;
}

static const char *error_code(const char *body)
{
    static char code[64];
    cJSON *j = cJSON_Parse(body ? body : "");
    cJSON *e = j ? cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "code") : NULL;
    snprintf(code, sizeof code, "%s", e && cJSON_IsString(e) ? e->valuestring : "");
    cJSON_Delete(j);
    return code;
}

/* api_buy: POST /api/v1/checkout as shopper i: buy now (sku > 0) or the cart (sku 0), with an
 * admission if given; the status, the error code into code */
static long api_buy(int i, long long sku, const char *admission, char *code, size_t clen)
{
    static unsigned n;
    char body[80], key[80], adm[320] = "";
    snprintf(body, sizeof body, "{\"sku_id\":%lld,\"quantity\":1}", sku);
    snprintf(key, sizeof key, "Idempotency-Key: rules-%s-%d-%u", run_tag, i, n++);
    if (admission)
        snprintf(adm, sizeof adm, "Drop-Admission: %s", admission);
    struct hreq q = {.ctype = "application/json", .body = sku ? body : NULL};
    one(&q, "POST", url("/api/v1/checkout", 0), i, key, admission ? adm : NULL);
    long st = q.status;
    snprintf(code, clen, "%s", error_code(q.out));
    hreq_free(&q);
    return st;
}

/* csrf_of: the form token of shopper i's pages */
static void csrf_of(int i, char *out, size_t n)
{
    struct hreq q = {0};
    one(&q, "GET", url("/cart", 0), i, NULL, NULL);
    assert_int_equal(q.status, 200);
    const char *at = strstr(q.out, "name=\"csrf\" value=\"");
    assert_non_null(at);
    at += strlen("name=\"csrf\" value=\"");
    snprintf(out, n, "%.*s", (int)strcspn(at, "\""), at);
    hreq_free(&q);
}

/* page_buy: the HTML checkout form (POST /checkout) as shopper i: buy now (sku > 0, with an
 * admission if given) or the cart; the status, and the page into page if given */
static long page_buy(int i, long long sku, const char *admission, char *page, size_t plen)
{
    static unsigned n;
    char csrf[128], body[1400];
    csrf_of(i, csrf, sizeof csrf);
    int len = snprintf(body, sizeof body, "csrf=%s&idempotency_key=rules-page-%s-%d-%u", csrf,
                       run_tag, i, n++);
    if (sku)
        len += snprintf(body + len, sizeof body - (size_t)len, "&sku_id=%lld&quantity=1", sku);
    if (admission)
        snprintf(body + len, sizeof body - (size_t)len, "&admission=%s", admission);
    struct hreq q = {.ctype = "application/x-www-form-urlencoded", .body = body};
    one(&q, "POST", url("/checkout", 0), i, NULL, NULL);
    long st = q.status;
    if (page)
        snprintf(page, plen, "%s", q.out ? q.out : "");
    hreq_free(&q);
    return st;
}

/* node_metric: the value of a series without labels on web node `node`'s /metrics */
static double node_metric(int node, const char *name)
{
    struct client *c = client_new();
    struct resp r;
    assert_int_equal(client_get(c, node_url(&S, node, "/metrics"), &r), 0);
    assert_int_equal(r.status, 200);
    char want[160];
    snprintf(want, sizeof want, "\n%s ", name);
    const char *at = strstr(r.body, want);
    if (!at)
        fail_msg("no series %s on node %d", name, node);
    double v = strtod(at + strlen(want), NULL);
    resp_free(&r);
    client_free(c);
    return v;
}

/* join: shopper i joins the drop's queue through the API; its ticket into ticket */
static void join(int i, long long drop, char *ticket, size_t n)
{
    struct hreq q = {0};
    one(&q, "POST", url("/api/v1/drops/%lld/queue", drop), i, NULL, NULL);
    if (q.status != 200)
        fail_msg("join %d: %ld %s", i, q.status, q.out);
    cJSON *j = cJSON_Parse(q.out);
    cJSON *t = cJSON_GetObjectItem(j, "ticket");
    assert_true(cJSON_IsString(t));
    snprintf(ticket, n, "%s", t->valuestring);
    cJSON_Delete(j);
    hreq_free(&q);
}

/* ---- the tests */

static void test_cli_drop_edit_before_it_opens_and_not_after(void **state)
{
    (void)state;
    char slug[64];
    long long sku[2];
    long long product = make_product("edit", slug, sizeof slug, sku);
    long long id = create_drop(product, slug,
                               "--kind queue --opens-in 600 --starts-in 900 --closes-in 4000 "
                               "--admit-per-second 20 --window 300");
    long long closes =
        db_scalar(DB, "SELECT UNIX_TIMESTAMP(closes_at) FROM drops WHERE id = %lld", id);
    /* before it opens: the options given replace the drop's, the rest stays; printed as JSON */
    assert_int_equal(stack_run(&S,
                               "out=$(./stampede drop edit %lld --opens-in 300 --starts-in 400 "
                               "--limit 2 --window 120) && printf '%%s' \"$out\" | grep -q "
                               "'\"id\":%lld,.*\"state\":\"upcoming\".*\"per_account_limit\":2,"
                               "\"purchase_window_seconds\":120}'",
                               id, id),
                     0);
    assert_int_equal(db_scalar(DB, "SELECT per_account_limit FROM drops WHERE id = %lld", id), 2);
    assert_int_equal(db_scalar(DB, "SELECT purchase_window_s FROM drops WHERE id = %lld", id), 120);
    assert_int_equal(db_scalar(DB, "SELECT admit_per_second FROM drops WHERE id = %lld", id), 20);
    long long opens_in = db_scalar(DB,
                                   "SELECT UNIX_TIMESTAMP(opens_at) - UNIX_TIMESTAMP(NOW()) FROM "
                                   "drops WHERE id = %lld",
                                   id);
    assert_true(opens_in > 280 && opens_in <= 301);
    long long starts_in = db_scalar(DB,
                                    "SELECT UNIX_TIMESTAMP(starts_at) - UNIX_TIMESTAMP(NOW()) "
                                    "FROM drops WHERE id = %lld",
                                    id);
    assert_true(starts_in > 380 && starts_in <= 401);
    assert_int_equal(
        db_scalar(DB, "SELECT UNIX_TIMESTAMP(closes_at) FROM drops WHERE id = %lld", id), closes);
    /* times out of order are refused (exit 1) and change nothing */
    assert_int_equal(stack_run(&S, "./stampede drop edit %lld --starts-in 100 >/dev/null 2>&1", id),
                     1);
    assert_int_equal(
        db_scalar(DB,
                  "SELECT UNIX_TIMESTAMP(starts_at) - UNIX_TIMESTAMP(NOW()) BETWEEN 370 AND 401 "
                  "FROM drops WHERE id = %lld",
                  id),
        1);
    /* usage errors: no id, a bad id, an unknown option (exit 2) */
    assert_int_equal(stack_run(&S, "./stampede drop edit >/dev/null 2>&1"), 2);
    assert_int_equal(stack_run(&S, "./stampede drop edit x1 --limit 2 >/dev/null 2>&1"), 2);
    assert_int_equal(stack_run(&S, "./stampede drop edit %lld --colour red >/dev/null 2>&1", id),
                     2);
    /* once it has opened: refused, nothing changed */
    assert_int_equal(db_execf(DB,
                              "UPDATE drops SET opens_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND "
                              "WHERE id = %lld",
                              id),
                     0);
    assert_int_equal(stack_run(&S, "./stampede drop edit %lld --limit 3 >/dev/null 2>&1", id), 1);
    assert_int_equal(
        stack_run(&S, "./stampede drop edit %lld --limit 3 2>&1 | grep -q DROP_LOCKED", id), 0);
    assert_int_equal(db_scalar(DB, "SELECT per_account_limit FROM drops WHERE id = %lld", id), 2);
    /* an unknown drop */
    assert_int_equal(stack_run(&S, "./stampede drop edit 999999999 --limit 3 >/dev/null 2>&1"), 1);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
}

static void test_waiting_page_reloads_read_no_database(void **state)
{
    (void)state;
    char slug[64], ticket[1024];
    long long sku[2];
    long long product = make_product("page", slug, sizeof slug, sku);
    long long id = create_drop(product, slug, "--kind queue --starts-in 600 --closes-in 1200");
    join(0, id, ticket, sizeof ticket);
    char cookie[320], path[64];
    snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s; stampede_q_%lld=%s", sid[0], id,
             ticket);
    snprintf(path, sizeof path, "/drops/%lld", id);
    /* the page as a waiting shopper's browser loads it, straight from web node 1 */
    struct hreq q;
    for (int k = 0; k < 3; k++) { /* warm: the drop row and the board into the caches */
        memset(&q, 0, sizeof q);
        q.method = "GET";
        snprintf(q.url, sizeof q.url, "%s", node_url(&S, 0, path));
        snprintf(q.hdr[0], sizeof q.hdr[0], "%s", cookie);
        http_parallel(&q, 1, 1);
        assert_int_equal(q.status, 200);
        assert_non_null(strstr(q.out, "You are in the queue."));
        assert_non_null(strstr(q.out, "<noscript><meta http-equiv=\"refresh\" content=\""));
        assert_non_null(strstr(q.out, "Sign out")); /* the account's links, no lookup needed */
        assert_null(strstr(q.out_headers, "\nRefresh:"));
        assert_null(strstr(q.out_headers, "\nrefresh:"));
        hreq_free(&q);
    }
    double reads0 = node_metric(0, "stampede_drop_poll_db_reads_total");
    double polls0 = node_metric(0, "stampede_drop_polls_total");
    double stmts0 = node_metric(0, "stampede_db_queries_total");
    enum { LOADS = 40 };
    static struct hreq r[LOADS];
    memset(r, 0, sizeof r);
    for (int k = 0; k < LOADS; k++) {
        r[k].method = "GET";
        snprintf(r[k].url, sizeof r[k].url, "%s", node_url(&S, 0, path));
        snprintf(r[k].hdr[0], sizeof r[k].hdr[0], "%s", cookie);
    }
    http_parallel(r, LOADS, 4);
    for (int k = 0; k < LOADS; k++) {
        assert_int_equal(r[k].status, 200);
        assert_non_null(strstr(r[k].out, "You are in the queue."));
        hreq_free(&r[k]);
    }
    double reads1 = node_metric(0, "stampede_drop_poll_db_reads_total");
    double polls1 = node_metric(0, "stampede_drop_polls_total");
    double stmts1 = node_metric(0, "stampede_db_queries_total");
    printf("%d waiting-page loads: %.0f poll reads, %.0f statements on the node meanwhile\n", LOADS,
           reads1 - reads0, stmts1 - stmts0);
    assert_true(polls1 - polls0 >= LOADS);
    assert_true(reads1 == reads0);
    /* the node's own background work (health checks, membership beats) only: a page that read
     * its drop, the clock, the session and the cart made 4 statements a load */
    assert_true(stmts1 - stmts0 < LOADS / 2);

    /* the control: the same node counts the statements of page loads that do read (a shopper
     * without a ticket: the session and the cart badge are looked up) */
    for (int k = 0; k < LOADS / 4; k++) {
        r[k].method = "GET";
        snprintf(r[k].url, sizeof r[k].url, "%s", node_url(&S, 0, path));
        snprintf(r[k].hdr[0], sizeof r[k].hdr[0], "Cookie: stampede_sid=%s", sid[1]);
    }
    http_parallel(r, LOADS / 4, 4);
    for (int k = 0; k < LOADS / 4; k++) {
        assert_int_equal(r[k].status, 200);
        hreq_free(&r[k]);
    }
    double stmts2 = node_metric(0, "stampede_db_queries_total");
    printf("%d page loads without a ticket: %.0f statements\n", LOADS / 4, stmts2 - stmts1);
    assert_true(stmts2 - stmts1 >= LOADS / 4);

    /* without a ticket the page still knows who asks (the session, looked up) */
    memset(&q, 0, sizeof q);
    one(&q, "GET", url("/drops/%lld", id), 1, NULL, NULL);
    assert_int_equal(q.status, 200);
    assert_non_null(strstr(q.out, "Join the queue"));
    hreq_free(&q);
    memset(&q, 0, sizeof q);
    one(&q, "GET", url("/drops/%lld", id), -1, NULL, NULL);
    assert_int_equal(q.status, 200);
    assert_non_null(strstr(q.out, "Sign in to join the queue"));
    hreq_free(&q);
    /* a ticket of another drop is no ticket here */
    memset(&q, 0, sizeof q);
    char other[320];
    snprintf(other, sizeof other, "Cookie: stampede_q_%lld=%s", id + 1000, ticket);
    q.method = "GET";
    snprintf(q.url, sizeof q.url, "%s", url("/drops/%lld", id));
    snprintf(q.hdr[0], sizeof q.hdr[0], "%s", other);
    http_parallel(&q, 1, 1);
    assert_int_equal(q.status, 200);
    assert_null(strstr(q.out, "You are in the queue."));
    hreq_free(&q);
    /* a cancelled drop is gone from its page at once (the cached row is invalidated) */
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
    memset(&q, 0, sizeof q);
    q.method = "GET";
    snprintf(q.url, sizeof q.url, "%s", node_url(&S, 0, path));
    snprintf(q.hdr[0], sizeof q.hdr[0], "%s", cookie);
    http_parallel(&q, 1, 1);
    assert_int_equal(q.status, 404);
    hreq_free(&q);
}

static void test_upcoming_drop_refuses_every_path(void **state)
{
    (void)state;
    char slug[64], code[64], page[8192];
    long long sku[2];
    long long product = make_product("upcoming", slug, sizeof slug, sku);
    /* an old cart line, put in before the drop was announced */
    char body[100];
    snprintf(body, sizeof body, "{\"sku_id\":%lld,\"quantity\":1}", sku[0]);
    struct hreq q = {.ctype = "application/json", .body = body};
    one(&q, "POST", url("/api/v1/cart/items", 0), 1, NULL, NULL);
    assert_int_equal(q.status, 200);
    hreq_free(&q);
    long long id =
        create_drop(product, slug, "--kind queue --opens-in 600 --starts-in 900 --closes-in 4000");
    memset(&q, 0, sizeof q);
    one(&q, "GET", url("/api/v1/drops/%lld", id), -1, NULL, NULL);
    assert_int_equal(q.status, 200);
    assert_non_null(strstr(q.out, "\"state\":\"upcoming\""));
    hreq_free(&q);
    /* the API: buy now, the old cart line, a forged admission */
    assert_int_equal(api_buy(1, sku[0], NULL, code, sizeof code), 403);
    assert_string_equal(code, "not_admitted");
    assert_int_equal(api_buy(1, 0, NULL, code, sizeof code), 403);
    assert_string_equal(code, "not_admitted");
    assert_int_equal(
        api_buy(1, sku[1], "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.AAAA", code, sizeof code), 403);
    assert_string_equal(code, "not_admitted");
    /* the page: buy now and the cart */
    assert_int_equal(page_buy(1, sku[0], NULL, page, sizeof page), 403);
    assert_non_null(strstr(page, "sold only through its drop"));
    assert_int_equal(page_buy(1, 0, NULL, NULL, 0), 403);
    /* nothing held, nothing ordered */
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM order_lines WHERE sku_id IN (%lld, %lld)",
                               sku[0], sku[1]),
                     0);
    assert_int_equal(db_scalar(DB,
                               "SELECT SUM(available) = 10 AND SUM(held) = 0 FROM stock WHERE "
                               "sku_id IN (%lld, %lld)",
                               sku[0], sku[1]),
                     1);
    /* cancelled: the sizes are back on ordinary sale (the same old cart line buys) */
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
    assert_int_equal(api_buy(1, 0, NULL, code, sizeof code), 201);
}

/* answer: a request as shopper i (-1: nobody) with an optional JSON body; its status and the
 * error code of its body into code (empty if none) */
static long answer(const char *method, const char *path, int i, const char *body, char *code,
                   size_t clen)
{
    char b[128];
    snprintf(b, sizeof b, "%s", body ? body : "");
    struct hreq q = {.ctype = body ? "application/json" : NULL, .body = body ? b : NULL};
    one(&q, method, url(path, 0), i, NULL, NULL);
    long st = q.status;
    snprintf(code, clen, "%s", error_code(q.out));
    hreq_free(&q);
    return st;
}

/* get_text: GET path as nobody; the status, and the body into out */
static long get_text(const char *path, char *out, size_t n)
{
    struct hreq q = {0};
    one(&q, "GET", url(path, 0), -1, NULL, NULL);
    long st = q.status;
    snprintf(out, n, "%s", q.out ? q.out : "");
    hreq_free(&q);
    return st;
}

/* assert_not_there: every shopper's path of drop id answers exactly as for an unknown id */
static void assert_not_there(long long id, const char *entry)
{
    char code[64], unknown[64], path[160];
    const long long none = 999999999;
    struct {
        const char *method, *fmt;
        int who;
        const char *body;
    } paths[] = {
        {"GET", "/api/v1/drops/%lld", -1, NULL},
        {"GET", "/drops/%lld", -1, NULL},
        {"GET", "/drops/%lld", 1, NULL},
        {"GET", "/drops/%lld/draw", 1, NULL},
        {"GET", "/api/v1/drops/%lld/proof", -1, NULL},
        {"GET", "/drops/%lld/proof", -1, NULL},
        {"POST", "/api/v1/drops/%lld/entries", 1, entry},
        {"GET", "/api/v1/drops/%lld/entry", 1, NULL},
        {"POST", "/api/v1/drops/%lld/queue", 1, NULL},
        {"GET", "/api/v1/drops/%lld/queue", 1, NULL},
        {"GET", "/api/v1/drops/%lld/queue", -1, NULL},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        snprintf(path, sizeof path, paths[i].fmt, none);
        long want =
            answer(paths[i].method, path, paths[i].who, paths[i].body, unknown, sizeof unknown);
        snprintf(path, sizeof path, paths[i].fmt, id);
        long got = answer(paths[i].method, path, paths[i].who, paths[i].body, code, sizeof code);
        if (want != 404 || got != want || strcmp(code, unknown) != 0)
            fail_msg("%s %s: %ld %s, an unknown drop: %ld %s", paths[i].method, path, got, code,
                     want, unknown);
    }
}

static void test_drop_announced_later_is_not_there_until_then(void **state)
{
    (void)state;
    char slug[64], code[64], path[160], entry[100], product_path[120];
    static char page[65536];
    long long sku[2];
    long long product = make_product("announce", slug, sizeof slug, sku);
    snprintf(product_path, sizeof product_path, "/products/%s", slug);
    /* an announce time after the opening is refused (exit 1), and nothing is made */
    assert_int_equal(stack_run(&S,
                               "./stampede drop create --product %s --kind draw --announce-in 900 "
                               "--opens-in 600 --closes-in 4000 2>&1 | grep -q INVALID_DROP",
                               slug),
                     0);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM drops WHERE product_id = %lld", product),
                     0);
    long long id =
        create_drop(product, slug, "--kind draw --announce-in 300 --opens-in 600 --closes-in 4000");
    long long ann = db_scalar(DB,
                              "SELECT UNIX_TIMESTAMP(announce_at) - UNIX_TIMESTAMP(NOW()) FROM "
                              "drops WHERE id = %lld",
                              id);
    assert_true(ann > 280 && ann <= 301);
    /* shoppers: every path answers as for a drop that does not exist (a draw, and a queue,
     * whose page and poll take other paths) */
    snprintf(entry, sizeof entry, "{\"sku_id\":%lld}", sku[0]);
    assert_not_there(id, entry);
    char qslug[64];
    long long qsku[2];
    long long qproduct = make_product("announceq", qslug, sizeof qslug, qsku);
    long long qid = create_drop(qproduct, qslug,
                                "--kind queue --announce-in 300 --opens-in 600 --starts-in 700 "
                                "--closes-in 4000");
    assert_not_there(qid, entry);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", qid), 0);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld", id),
                     0);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM drop_queue WHERE drop_id = %lld", id), 0);
    /* not listed (JSON and page) */
    char idq[48];
    snprintf(idq, sizeof idq, "\"id\":%lld,", id);
    assert_int_equal(get_text("/api/v1/drops", page, sizeof page), 200);
    assert_null(strstr(page, idq));
    snprintf(path, sizeof path, "href=\"/drops/%lld\"", id);
    assert_int_equal(get_text("/drops", page, sizeof page), 200);
    assert_null(strstr(page, path));
    /* the product page does not mention it and sells nothing; the API refuses its sizes */
    assert_int_equal(get_text(product_path, page, sizeof page), 200);
    assert_null(strstr(page, path));
    assert_null(strstr(page, "Go to the drop"));
    assert_null(strstr(page, "Add to cart"));
    assert_non_null(strstr(page, "Not on sale yet"));
    assert_int_equal(api_buy(1, sku[0], NULL, code, sizeof code), 403);
    assert_string_equal(code, "not_admitted");
    /* admins see it, upcoming, with its announce time */
    assert_int_equal(stack_run(&S,
                               "./stampede drop edit %lld --limit 2 | grep -q "
                               "'\"state\":\"upcoming\".*\"announce_at\":\"20'",
                               id),
                     0);
    assert_int_equal(
        db_scalar(
            DB, "SELECT announce_at > NOW(6) + INTERVAL 200 SECOND FROM drops WHERE id = %lld", id),
        1); /* an edit without --announce-in keeps it */
    /* announced now: public at once, with the commitment it was created with */
    assert_int_equal(stack_run(&S, "./stampede drop edit %lld --announce-in 0 >/dev/null", id), 0);
    char commitment[80];
    snprintf(commitment, sizeof commitment, "\"commitment\":\"");
    assert_int_equal(db_scalar(DB, "SELECT announce_at <= NOW(6) FROM drops WHERE id = %lld", id),
                     1);
    snprintf(path, sizeof path, "/api/v1/drops/%lld", id);
    assert_int_equal(get_text(path, page, sizeof page), 200);
    assert_non_null(strstr(page, "\"state\":\"upcoming\""));
    const char *c = strstr(page, commitment);
    assert_non_null(c);
    c += strlen(commitment);
    assert_int_equal(db_scalar(DB,
                               "SELECT commitment = '%.64s' AND LENGTH(commitment) = 64 FROM drops "
                               "WHERE id = %lld",
                               c, id),
                     1);
    assert_int_equal(get_text("/api/v1/drops", page, sizeof page), 200);
    assert_non_null(strstr(page, idq));
    snprintf(path, sizeof path, "/drops/%lld", id);
    assert_int_equal(get_text(path, page, sizeof page), 200);
    snprintf(path, sizeof path, "/api/v1/drops/%lld/proof", id);
    assert_int_equal(answer("GET", path, -1, NULL, code, sizeof code), 409);
    assert_string_equal(code, "not_drawn");
    /* the product page names it (a web node keeps "which drop" up to 2 s) */
    snprintf(path, sizeof path, "href=\"/drops/%lld\"", id);
    bool named = false;
    for (int t = 0; t < 50 && !named; t++) {
        assert_int_equal(get_text(product_path, page, sizeof page), 200);
        named = strstr(page, path) != NULL;
        if (!named)
            usleep(100000);
    }
    assert_true(named);
    assert_null(strstr(page, "Not on sale yet"));
    /* once public it stays public: a later announce time is refused, nothing changes */
    assert_int_equal(stack_run(&S,
                               "./stampede drop edit %lld --announce-in 200 2>&1 | grep -q "
                               "'already announced'",
                               id),
                     0);
    assert_int_equal(db_scalar(DB, "SELECT announce_at <= NOW(6) FROM drops WHERE id = %lld", id),
                     1);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
}

/* admitted: polls shopper i's place (with its ticket) until admitted; the admission */
static void wait_admitted(long long drop, const char *ticket, char *adm, size_t n)
{
    for (int t = 0; t < 200; t++) {
        char h[1100];
        snprintf(h, sizeof h, "Queue-Ticket: %s", ticket);
        struct hreq q = {.method = "GET"};
        snprintf(q.url, sizeof q.url, "%s", url("/api/v1/drops/%lld/queue", drop));
        snprintf(q.hdr[0], sizeof q.hdr[0], "%.*s", (int)sizeof q.hdr[0] - 1, h);
        http_parallel(&q, 1, 1);
        assert_int_equal(q.status, 200);
        cJSON *j = cJSON_Parse(q.out);
        cJSON *a = cJSON_GetObjectItem(j, "admission");
        bool got = cJSON_IsString(a);
        if (got)
            snprintf(adm, n, "%s", a->valuestring);
        cJSON_Delete(j);
        hreq_free(&q);
        if (got)
            return;
        usleep(100 * 1000);
    }
    fail_msg("not admitted within 20 s");
}

static void test_checkout_form_refuses_a_drop_size_outside_its_window(void **state)
{
    (void)state;
    char slug[64], page[8192], t2[1024], t3[1024], a2[1024], a3[1024];
    long long sku[2];
    long long product = make_product("window", slug, sizeof slug, sku);
    long long id = create_drop(product, slug,
                               "--kind queue --starts-in 2 --closes-in 900 --admit-per-second 50 "
                               "--window 120");
    join(2, id, t2, sizeof t2);
    join(3, id, t3, sizeof t3);
    wait_admitted(id, t2, a2, sizeof a2);
    wait_admitted(id, t3, a3, sizeof a3);
    /* in the window, the form buys (the redirect to the order) */
    assert_int_equal(page_buy(3, sku[0], a3, NULL, 0), 303);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM orders WHERE account_id = %lld AND drop_id = "
                               "%lld",
                               account[3], id),
                     1);
    /* without the admission the same form is refused */
    assert_int_equal(page_buy(2, sku[0], NULL, page, sizeof page), 403);
    assert_non_null(strstr(page, "sold only through its drop"));
    /* once the window is over, the (still signed) admission is refused */
    assert_int_equal(db_execf(DB,
                              "UPDATE drop_queue SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 "
                              "SECOND WHERE drop_id = %lld AND account_id = %lld",
                              id, account[2]),
                     0);
    assert_int_equal(page_buy(2, sku[1], a2, page, sizeof page), 403);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM orders WHERE account_id = %lld AND drop_id = "
                               "%lld",
                               account[2], id),
                     0);
    /* another shopper's admission in the form is no admission either */
    assert_int_equal(page_buy(4, sku[1], a3, NULL, 0), 403);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
}

static void test_draw_sizes_are_sold_only_through_the_draw(void **state)
{
    (void)state;
    char slug[64], code[64], page[8192];
    long long sku[2];
    long long product = make_product("draw", slug, sizeof slug, sku);
    long long id = create_drop(product, slug, "--kind draw --closes-in 600");
    assert_int_equal(api_buy(5, sku[0], NULL, code, sizeof code), 403);
    assert_string_equal(code, "not_admitted");
    char body[100];
    snprintf(body, sizeof body, "{\"sku_id\":%lld,\"quantity\":1}", sku[1]);
    struct hreq q = {.ctype = "application/json", .body = body};
    one(&q, "POST", url("/api/v1/cart/items", 0), 5, NULL, NULL);
    hreq_free(&q);
    assert_int_equal(api_buy(5, 0, NULL, code, sizeof code), 403);
    assert_string_equal(code, "not_admitted");
    assert_int_equal(page_buy(5, sku[1], NULL, page, sizeof page), 403);
    assert_non_null(strstr(page, "sold only through its drop"));
    /* an entry is the way in, and it buys nothing by itself */
    snprintf(body, sizeof body, "{\"sku_id\":%lld}", sku[0]);
    memset(&q, 0, sizeof q);
    q.ctype = "application/json";
    q.body = body;
    one(&q, "POST", url("/api/v1/drops/%lld/entries", id), 5, NULL, NULL);
    assert_int_equal(q.status, 201);
    hreq_free(&q);
    assert_int_equal(api_buy(5, sku[0], NULL, code, sizeof code), 403);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM order_lines WHERE sku_id IN (%lld, %lld)",
                               sku[0], sku[1]),
                     0);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
}

static void test_queue_join_needs_an_address(void **state)
{
    (void)state;
    char slug[64];
    long long sku[2];
    long long product = make_product("addr", slug, sizeof slug, sku);
    long long id = create_drop(product, slug, "--kind queue --starts-in 600 --closes-in 1200");
    struct hreq q = {0};
    one(&q, "POST", url("/api/v1/drops/%lld/queue", id), NOADDR, NULL, NULL);
    assert_int_equal(q.status, 409);
    assert_string_equal(error_code(q.out), "address_required");
    hreq_free(&q);
    /* the page's form: to the address form, and back here afterwards */
    char csrf[128], body[200], want[128];
    csrf_of(NOADDR, csrf, sizeof csrf);
    snprintf(body, sizeof body, "csrf=%s", csrf);
    memset(&q, 0, sizeof q);
    q.ctype = "application/x-www-form-urlencoded";
    q.body = body;
    one(&q, "POST", url("/drops/%lld/queue", id), NOADDR, NULL, NULL);
    assert_int_equal(q.status, 303);
    snprintf(want, sizeof want, "/account/address?next=/drops/%lld", id);
    assert_non_null(strstr(q.out_headers, want));
    hreq_free(&q);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM drop_queue WHERE drop_id = %lld AND "
                               "account_id = %lld",
                               id, account[NOADDR]),
                     0);
    /* with an address the same shopper joins */
    memset(&q, 0, sizeof q);
    q.ctype = "application/json";
    q.body = (char *)TEST_ADDRESS_JSON;
    one(&q, "PUT", url("/api/v1/account/address", 0), NOADDR, NULL, NULL);
    assert_int_equal(q.status, 200);
    hreq_free(&q);
    char ticket[1024];
    join(NOADDR, id, ticket, sizeof ticket);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
}

/* page_num: the number after `marker` in a page (-1 if absent) */
static long long page_num(const char *page, const char *marker)
{
    const char *at = strstr(page, marker);
    return at ? strtoll(at + strlen(marker), NULL, 10) : -1;
}

static void test_waiting_page_says_when_the_pairs_will_likely_run_out(void **state)
{
    (void)state;
    enum { CROWD = 6, LIMIT = 3 };
    char slug[64], ticket[1024];
    long long sku[2];
    long long product = make_product("likely", slug, sizeof slug, sku);
    /* 10 pairs, up to 3 per shopper, one admission a second: right after the start the first
     * places can still get pairs and the last cannot */
    long long id = create_drop(product, slug,
                               "--kind queue --starts-in 2 --closes-in 900 --admit-per-second 1 "
                               "--limit 3");
    for (int i = 0; i < CROWD; i++)
        join(i, id, ticket, sizeof ticket);
    for (int t = 0; t < 100 && !db_scalar(DB,
                                          "SELECT shuffled_at IS NOT NULL FROM drops WHERE id = "
                                          "%lld",
                                          id);
         t++)
        usleep(100 * 1000);
    int warned = 0, plain = 0;
    for (int i = 0; i < CROWD; i++) {
        struct hreq q = {0};
        one(&q, "GET", url("/drops/%lld", id), i, NULL, NULL);
        assert_int_equal(q.status, 200);
        long long pos = page_num(q.out, "<strong data-position>");
        long long left = page_num(q.out, "<span data-pairs-left>");
        bool warning = strstr(q.out, "The pairs will likely run out before your turn.") != NULL;
        if (pos > 0) { /* waiting with a place (not admitted): the notice exactly when due */
            assert_true(left >= 0);
            if (warning != (pos * LIMIT > left))
                fail_msg("place %lld, %lld pairs left: warning %d", pos, left, warning);
            warned += warning;
            plain += !warning;
        } else {
            assert_false(warning);
        }
        hreq_free(&q);
    }
    printf("%d waiting pages warned, %d did not\n", warned, plain);
    assert_true(warned > 0);
    assert_true(plain > 0);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
}

/* hammer: shopper i sends `n` POSTs to path (body may be NULL) one after another; statuses */
static void hammer(int i, const char *path, const char *body, int n, long *status, char (*code)[32])
{
    for (int k = 0; k < n; k++) {
        struct hreq q = {.ctype = body ? "application/json" : NULL, .body = (char *)body};
        one(&q, "POST", url(path, 0), i, NULL, NULL);
        status[k] = q.status;
        snprintf(code[k], sizeof code[k], "%s", error_code(q.out));
        hreq_free(&q);
    }
}

static void test_an_account_hammering_joins_and_entries_is_slowed_down(void **state)
{
    (void)state;
    /* drops.account_rate is 20 a minute (the default). The minute may turn during a run, so
     * 45 tries: whichever way they split over two windows, one holds more than 20 */
    enum { TRIES = 45, RATE = 20 };
    static long st[TRIES];
    static char code[TRIES][32];
    char slug[64], path[96], body[64];
    long long sku[2];
    long long product = make_product("hammerq", slug, sizeof slug, sku);
    long long queue = create_drop(product, slug, "--kind queue --starts-in 600 --closes-in 1200");
    snprintf(path, sizeof path, "/api/v1/drops/%lld/queue", queue);
    hammer(6, path, NULL, TRIES, st, code);
    int refused = 0;
    for (int k = 0; k < TRIES; k++) {
        if (k < RATE && st[k] != 200)
            fail_msg("join %d: %ld %s", k, st[k], code[k]);
        if (st[k] == 429) {
            assert_string_equal(code[k], "too_many_tries");
            refused++;
        } else {
            assert_int_equal(st[k], 200);
        }
    }
    printf("%d of %d joins refused\n", refused, TRIES);
    assert_true(refused >= TRIES - 2 * RATE);
    /* the place is kept: one row, the same ref as the first answer */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM drop_queue WHERE drop_id = %lld AND "
                               "account_id = %lld",
                               queue, account[6]),
                     1);
    /* draw entries count the same way (another account) */
    product = make_product("hammerd", slug, sizeof slug, sku);
    long long draw = create_drop(product, slug, "--kind draw --closes-in 600");
    snprintf(path, sizeof path, "/api/v1/drops/%lld/entries", draw);
    snprintf(body, sizeof body, "{\"sku_id\":%lld}", sku[0]);
    hammer(4, path, body, TRIES, st, code);
    refused = 0;
    for (int k = 0; k < TRIES; k++) {
        if (k == 0) {
            assert_int_equal(st[k], 201);
        } else if (st[k] == 429) {
            assert_string_equal(code[k], "too_many_tries");
            refused++;
        } else if (st[k] != 409 || strcmp(code[k], "already_entered") != 0) {
            fail_msg("entry %d: %ld %s", k, st[k], code[k]);
        }
    }
    printf("%d of %d entries refused\n", refused, TRIES);
    assert_true(refused > 0);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM drop_entries WHERE drop_id = %lld AND "
                               "account_id = %lld",
                               draw, account[4]),
                     1);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", queue), 0);
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", draw), 0);
}

/* page_has: GET path through HAProxy as nobody; whether the page contains `text` */
static bool page_has(long long id, const char *text)
{
    struct hreq q = {0};
    one(&q, "GET", url("/drops/%lld", id), -1, NULL, NULL);
    assert_int_equal(q.status, 200);
    bool has = strstr(q.out, text) != NULL;
    hreq_free(&q);
    return has;
}

static void test_cache_bump_forgets_cached_drop_rows(void **state)
{
    (void)state;
    char slug[64];
    long long sku[2];
    long long product = make_product("bump", slug, sizeof slug, sku);
    long long id = create_drop(product, slug, "--kind queue --starts-in 600 --closes-in 1200");
    assert_true(page_has(id, "Rules bump"));
    /* a change by hand in SQL: the page keeps showing the cached row */
    assert_int_equal(
        db_execf(DB, "UPDATE products SET name = 'Renamed by hand' WHERE id = %lld", product), 0);
    stack_replica_sync(&S);
    assert_true(page_has(id, "Rules bump"));
    /* until the operator's cache-bump, which now covers drop rows too */
    assert_int_equal(stack_run(&S,
                               "'%s/stampede-admin' --config '%s/etc/stampede.conf' cache-bump "
                               ">/dev/null",
                               S.build, S.data),
                     0);
    assert_true(page_has(id, "Renamed by hand"));
    assert_false(page_has(id, "Rules bump"));
    assert_int_equal(stack_run(&S, "./stampede drop cancel %lld >/dev/null", id), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_drop_edit_before_it_opens_and_not_after),
        cmocka_unit_test(test_waiting_page_reloads_read_no_database),
        cmocka_unit_test(test_upcoming_drop_refuses_every_path),
        cmocka_unit_test(test_drop_announced_later_is_not_there_until_then),
        cmocka_unit_test(test_checkout_form_refuses_a_drop_size_outside_its_window),
        cmocka_unit_test(test_draw_sizes_are_sold_only_through_the_draw),
        cmocka_unit_test(test_queue_join_needs_an_address),
        cmocka_unit_test(test_waiting_page_says_when_the_pairs_will_likely_run_out),
        cmocka_unit_test(test_an_account_hammering_joins_and_entries_is_slowed_down),
        cmocka_unit_test(test_cache_bump_forgets_cached_drop_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
