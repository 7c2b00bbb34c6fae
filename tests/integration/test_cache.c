/*
 * Integration: the second-level entity cache on the private stack (two web nodes sharing two
 * memcached servers, MariaDB behind them).
 *
 *  - A price changed through the domain layer (catalog_set_price, run here in-process with the
 *    stack's own configuration, as stampede-admin does) and through the admin page shows at
 *    once on the product page, the product JSON and the listing JSON, on each nginx node
 *    directly and through HAProxy.
 *  - Race loops with the stack's memcached and MariaDB: readers that miss load concurrently
 *    with a writer; afterwards the cache never holds a value older than the last write. One
 *    loop drives the L2 protocol with a loader that dawdles between its read and its store
 *    (with a naive get/set cache as the negative control, which must go stale under the same
 *    race); one drives the real catalog code.
 *  - 200 concurrent requests for a cold product page cause only a handful of loads (counted
 *    by the nodes' /metrics); a warmed product page is served with a hit ratio above 99 %;
 *    an unknown slug is looked up in the database once, then answered from the cache.
 *  - memcached killed (both servers, one after the other) during a load run: no 5xx, every
 *    page correct, /readyz 200 "degraded", a price change still shows; after a restart the
 *    nodes reconnect by themselves and hit again. The stack is left healthy.
 *  - /metrics is served on the nginx ports only, never through HAProxy.
 *  - The database unreachable (the proxy killed): a cached product keeps being served past
 *    its freshness and grace (stale-if-error, counted), and fresh reads return with the proxy.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include "cache/l2.h"
#include "cache/near.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "shop/catalog.h"
#include "conf/appcfg.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct stack S;
static MYSQL *DB;
static struct appcfg CFG;
static long long P_ID, P_PRICE; /* the product most tests change (price restored after) */
static char P_SLUG[96];

/* ---------------------------------------------------------------- in-process domain layer */

/* One thread's application state, built like a web worker's from the stack's config. */
struct dom {
    struct db *db;
    struct cache *cache;
    struct arena *a;
    struct shop_ctx ctx;
};

/* dom_open: the domain layer in-process; its writes publish to the registered nodes */
static void dom_open(struct dom *d, int64_t lease_wait_ms)
{
    db_thread_init();
    struct db_opts o = {CFG.db_host,
                        (int)CFG.db_port,
                        CFG.db_user,
                        CFG.db_password,
                        CFG.db_name,
                        CFG.db_connect_timeout_ms,
                        CFG.db_read_timeout_ms,
                        2};
    d->db = db_new(&o);
    /* as in stampede-admin: no near cache of its own; writes publish to the nodes' */
    struct cache_opts co = {.servers = CFG.cache_servers,
                            .enabled = true,
                            .connect_timeout_ms = CFG.cache_connect_timeout_ms,
                            .poll_timeout_ms = CFG.cache_poll_timeout_ms,
                            .retry_timeout_s = 1,
                            .lease_wait_ms =
                                lease_wait_ms ? lease_wait_ms : CFG.cache_lease_wait_ms,
                            .near_peers = CFG.cache_near_peers,
                            .near_secret = CFG.secret,
                            .near_timeout_ms = CFG.cache_near_timeout_ms};
    d->cache = cache_new(&co);
    d->a = arena_new(64 * 1024, 64 << 20);
    d->ctx = (struct shop_ctx){d->db, d->cache, d->a};
}

static void dom_close(struct dom *d)
{
    db_free(d->db);
    cache_free(d->cache);
    arena_destroy(d->a);
    db_thread_end();
}

static void set_price(long long price)
{
    struct dom d;
    dom_open(&d, 0);
    assert_int_equal(catalog_set_price(&d.ctx, P_ID, price, STR("test_cache")), 0);
    dom_close(&d);
}

static void stampede_admin(const char *args)
{
    assert_int_equal(stack_run(&S,
                               "'%s/stampede-admin' --config '%s/etc/stampede.conf' %s >/dev/null",
                               S.build, S.data, args),
                     0);
}

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    char path[600], errbuf[512];
    snprintf(path, sizeof path, "%s/etc/stampede.conf", S.data);
    struct buf err = {errbuf, 0, sizeof errbuf, sizeof errbuf - 1, false};
    if (appcfg_load(&CFG, path, &err))
        fail_msg("%s: %s", path, buf_cstr(&err));
    log_init("test_cache", "test", "-", LOG_WARN); /* the race loops change prices often */
    db_library_init();
    if (sec_init())
        fail_msg("libsodium");
    catalog_init();
    /* a product with several sizes in stock */
    P_ID = db_scalar(DB, "SELECT p.id FROM products p JOIN skus k ON k.product_id = p.id "
                         "JOIN stock s ON s.sku_id = k.id WHERE p.active = 1 GROUP BY p.id "
                         "HAVING SUM(s.available) > 0 ORDER BY p.id LIMIT 1");
    if (!P_ID)
        fail_msg("the catalog has no product in stock");
    P_PRICE = db_scalar(DB, "SELECT price_krw FROM products WHERE id = %lld", P_ID);
    snprintf(P_SLUG, sizeof P_SLUG, "%s",
             db_textf(DB, "SELECT slug FROM products WHERE id = %lld", P_ID));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (P_ID && db_scalar(DB, "SELECT price_krw FROM products WHERE id = %lld", P_ID) != P_PRICE)
        set_price(P_PRICE);
    appcfg_free(&CFG);
    mysql_close(DB);
    return 0;
}

/* ---------------------------------------------------------------- HTTP helpers */

static void krw(long long v, char *out, size_t n)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", v);
    size_t o = 0;
    for (int i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
}

/* base: 0/1 = that nginx node, 2 = HAProxy */
static const char *url_at(int base, const char *path)
{
    return base < 2 ? node_url(&S, base, path) : stack_url(&S, path);
}

static const char *const BASES[] = {"nginx1", "nginx2", "haproxy"};

/*
 * Every web thread keeps near copies (cache/near.h), so one request per node proves little:
 * SWEEP requests per page and base at once reach most of the stack's 32 threads.
 */
#define SWEEP 16
enum { PG_PAGE, PG_API, PG_LIST, PG_N };

static void sweep_fill(struct hreq *q, int b, int pg)
{
    memset(q, 0, sizeof *q);
    q->method = "GET";
    char path[200];
    if (pg == PG_PAGE)
        snprintf(path, sizeof path, "/products/%s", P_SLUG);
    else if (pg == PG_API)
        snprintf(path, sizeof path, "/api/v1/products/%s", P_SLUG);
    else
        snprintf(path, sizeof path, "/api/v1/products");
    snprintf(q->url, sizeof q->url, "%s", url_at(b, path));
}

/* price_in: the product's price shown by a response of page kind pg; -1 if none. */
static long long price_in(int pg, const char *body, long long price, long long old)
{
    if (!body)
        return -1;
    if (pg == PG_PAGE) {
        char k[32], want[64];
        krw(price, k, sizeof k);
        snprintf(want, sizeof want, "\xe2\x82\xa9%s<", k);
        if (strstr(body, want))
            return price;
        krw(old, k, sizeof k);
        snprintf(want, sizeof want, "\xe2\x82\xa9%s<", k);
        return strstr(body, want) ? old : -1;
    }
    cJSON *j = cJSON_Parse(body);
    long long got = -1;
    if (pg == PG_API) {
        cJSON *p = j ? cJSON_GetObjectItem(j, "price") : NULL;
        got = cJSON_IsNumber(p) ? (long long)p->valuedouble : -1;
    } else {
        cJSON *p, *list = j ? cJSON_GetObjectItem(j, "products") : NULL;
        cJSON_ArrayForEach(p, list)
        {
            cJSON *s = cJSON_GetObjectItem(p, "slug");
            if (cJSON_IsString(s) && strcmp(s->valuestring, P_SLUG) == 0)
                got = (long long)cJSON_GetObjectItem(p, "price")->valuedouble;
        }
    }
    cJSON_Delete(j);
    return got;
}

/* sweep: SWEEP concurrent requests per page and base; returns how many did not show price. */
static int sweep(long long price, long long old, bool report)
{
    static struct hreq q[3 * PG_N * SWEEP];
    size_t n = 0;
    for (int b = 0; b < 3; b++)
        for (int pg = 0; pg < PG_N; pg++)
            for (int i = 0; i < SWEEP; i++)
                sweep_fill(&q[n++], b, pg);
    http_parallel(q, n, 48);
    int wrong = 0;
    for (size_t i = 0; i < n; i++) {
        int pg = (int)(i / SWEEP) % PG_N;
        long long got = q[i].status == 200 ? price_in(pg, q[i].out, price, old) : -1;
        if (got != price) {
            wrong++;
            if (report)
                print_error("%s: status %ld, price %lld, expected %lld\n", q[i].url, q[i].status,
                            got, price);
        }
        hreq_free(&q[i]);
    }
    return wrong;
}

static void expect_price_everywhere(long long price, long long old)
{
    assert_int_equal(sweep(price, old, true), 0);
    struct client *c = client_new();
    char want[64], stale[64], path[200];
    char k[32];
    krw(price, k, sizeof k);
    snprintf(want, sizeof want, "\xe2\x82\xa9%s<", k); /* ₩183,500< */
    krw(old, k, sizeof k);
    snprintf(stale, sizeof stale, "\xe2\x82\xa9%s<", k);
    for (int b = 0; b < 3; b++) {
        struct resp r;
        snprintf(path, sizeof path, "/products/%s", P_SLUG);
        assert_int_equal(client_get(c, url_at(b, path), &r), 0);
        if (r.status != 200 || !resp_contains(&r, want) || resp_contains(&r, stale))
            fail_msg("%s %s: status %ld, wants %s (old %s)", BASES[b], path, r.status, want, stale);
        resp_free(&r);

        snprintf(path, sizeof path, "/api/v1/products/%s", P_SLUG);
        assert_int_equal(client_get(c, url_at(b, path), &r), 0);
        cJSON *j = resp_json(&r);
        long long got = j ? (long long)cJSON_GetObjectItem(j, "price")->valuedouble : -1;
        if (got != price)
            fail_msg("%s %s: price %lld, expected %lld", BASES[b], path, got, price);
        cJSON_Delete(j);
        resp_free(&r);

        assert_int_equal(client_get(c, url_at(b, "/api/v1/products"), &r), 0);
        j = resp_json(&r);
        cJSON *p;
        got = -1;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(j, "products"))
        {
            if (strcmp(cJSON_GetObjectItem(p, "slug")->valuestring, P_SLUG) == 0)
                got = (long long)cJSON_GetObjectItem(p, "price")->valuedouble;
        }
        if (got != price)
            fail_msg("%s /api/v1/products: price of %s %lld, expected %lld", BASES[b], P_SLUG, got,
                     price);
        cJSON_Delete(j);
        resp_free(&r);
    }
    client_free(c);
}

static void warm_everywhere(void)
{
    sweep(0, 0, false); /* every thread's near copies, too */
    struct client *c = client_new();
    char path[200];
    for (int round = 0; round < 2; round++) {
        for (int b = 0; b < 3; b++) {
            struct resp r;
            snprintf(path, sizeof path, "/products/%s", P_SLUG);
            client_get(c, url_at(b, path), &r);
            resp_free(&r);
            snprintf(path, sizeof path, "/api/v1/products/%s", P_SLUG);
            client_get(c, url_at(b, path), &r);
            resp_free(&r);
            client_get(c, url_at(b, "/api/v1/products"), &r);
            resp_free(&r);
        }
    }
    client_free(c);
}

/* metric: a series' value summed over both nodes (scraped on the nginx ports). */
static unsigned long long metric(const char *series)
{
    unsigned long long sum = 0;
    struct client *c = client_new();
    size_t n = strlen(series);
    for (int node = 0; node < 2; node++) {
        struct resp r;
        assert_int_equal(client_get(c, node_url(&S, node, "/metrics"), &r), 0);
        assert_int_equal(r.status, 200);
        for (const char *p = r.body; p && *p;) {
            if (strncmp(p, series, n) == 0 && p[n] == ' ')
                sum += strtoull(p + n + 1, NULL, 10);
            p = strchr(p, '\n');
            p = p ? p + 1 : NULL;
        }
        resp_free(&r);
    }
    client_free(c);
    return sum;
}

static unsigned long long region_metric(const char *what, const char *region)
{
    char series[160];
    snprintf(series, sizeof series, "stampede_cache_%s_total{region=\"%s\"}", what, region);
    return metric(series);
}

/* ---------------------------------------------------------------- consistency */

static void test_price_change_through_the_domain_shows_at_once_everywhere(void **state)
{
    (void)state;
    long long old = P_PRICE;
    for (int round = 1; round <= 3; round++) {
        warm_everywhere();
        long long price = P_PRICE + 1000 * round;
        set_price(price);
        expect_price_everywhere(price, old);
        old = price;
    }
    set_price(P_PRICE);
    expect_price_everywhere(P_PRICE, old);
}

static bool both_nodes_members(void *arg)
{
    (void)arg;
    return db_scalar(DB, "SELECT COUNT(*) FROM web_nodes WHERE name IN ('web1', 'web2') AND "
                         "seen_at >= NOW(6) - INTERVAL 30 SECOND") == 2;
}

/*
 * The near cache's negative control: a write that invalidates memcached but reaches no node
 * (their rows are taken out of the membership, web_nodes, by hand just before it) leaves old
 * prices in the threads' near copies (so the sweep above can see them, and the near cache is
 * really in use); publishing is what makes the change show everywhere at once. The nodes
 * register again by themselves at their next beat.
 */
static void test_a_write_that_does_not_publish_leaves_near_copies_behind(void **state)
{
    (void)state;
    assert_true(wait_until(both_nodes_members, NULL, 15000));
    warm_everywhere();
    long long price = P_PRICE + 3000;
    struct dom d;
    dom_open(&d, 0);
    /* (a node's beat may put its row back between the delete and the write, rarely: then the
     * write reaches it and the sweep finds nothing old; try again) */
    int stale = 0;
    for (int attempt = 0; attempt < 3 && stale == 0; attempt++) {
        assert_int_equal(db_execf(DB, "DELETE FROM web_nodes"), 0);
        assert_int_equal(catalog_set_price(&d.ctx, P_ID, price, STR("test_cache, unpublished")), 0);
        stale = sweep(price, P_PRICE, false);
    }
    print_message("without publishing: %d of %d responses still show the old price\n", stale,
                  3 * PG_N * SWEEP);
    assert_true(stale > 0);
    char nodes[128];
    snprintf(nodes, sizeof nodes, "http://127.0.0.1:%d,http://127.0.0.1:%d", S.nginx_port[0],
             S.nginx_port[1]);
    assert_int_equal(l2_publish(d.cache, nodes), 0);
    dom_close(&d);
    expect_price_everywhere(price, P_PRICE);
    assert_true(wait_until(both_nodes_members, NULL, 15000)); /* they joined again */
    set_price(P_PRICE);
    expect_price_everywhere(P_PRICE, price);
}

/* POST /__internal/near-epoch: never through HAProxy, and only when signed. */
static void test_near_invalidations_are_internal_and_signed(void **state)
{
    (void)state;
    struct client *c = client_new();
    struct arena *a = arena_new(4096, 1 << 20);
    char hdr[300];
    struct str sig = near_sign(a, str_from_cstr(CFG.secret), time(NULL));
    snprintf(hdr, sizeof hdr, NEAR_SIG_HDR ": %.*s", STR_FMT(sig));
    const char *signed_hdrs[] = {hdr, NULL};
    const char *forged[] = {NEAR_SIG_HDR ": t=1790000000,v1=00", NULL};
    struct resp r;
    const char *const paths[] = {NEAR_PATH, "/__internal/%6Eear-epoch", "/__INTERNAL/near-epoch"};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(
            client_request(c, "POST", stack_url(&S, paths[i]), "text/plain", "", signed_hdrs, &r),
            0);
        assert_int_equal(r.status, 404);
        resp_free(&r);
    }
    for (int node = 0; node < 2; node++) {
        assert_int_equal(
            client_request(c, "POST", node_url(&S, node, NEAR_PATH), "text/plain", "", NULL, &r),
            0);
        assert_int_equal(r.status, 403);
        resp_free(&r);
        assert_int_equal(
            client_request(c, "POST", node_url(&S, node, NEAR_PATH), "text/plain", "", forged, &r),
            0);
        assert_int_equal(r.status, 403);
        resp_free(&r);
        assert_int_equal(client_request(c, "POST", node_url(&S, node, NEAR_PATH), "text/plain", "",
                                        signed_hdrs, &r),
                         0);
        assert_int_equal(r.status, 204);
        resp_free(&r);
    }
    arena_destroy(a);
    client_free(c);
}

static void csrf_of(const struct resp *r, char *out, size_t len)
{
    const char *p = strstr(r->body, "name=\"csrf\" value=\"");
    if (!p)
        fail_msg("no csrf field on the page");
    p += strlen("name=\"csrf\" value=\"");
    snprintf(out, len, "%.*s", (int)strcspn(p, "\""), p);
}

/* post_form: POST an urlencoded body to path through HAProxy; returns the status. */
static long post_form(struct client *c, const char *path, const char *csrf, const char *fields)
{
    char body[400];
    snprintf(body, sizeof body, "csrf=%s&%s", csrf, fields);
    struct resp r;
    assert_int_equal(client_request(c, "POST", stack_url(&S, path),
                                    "application/x-www-form-urlencoded", body, NULL, &r),
                     0);
    long st = r.status;
    resp_free(&r);
    return st;
}

static void test_price_change_through_the_admin_page_shows_at_once(void **state)
{
    (void)state;
    char pw[128] = "", path[600];
    snprintf(path, sizeof path, "%s/etc/secrets.env", S.data);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "STAMPEDE_ADMIN_PASSWORD=", 24) == 0)
            snprintf(pw, sizeof pw, "%.*s", (int)strcspn(line + 24, "\r\n"), line + 24);
    fclose(f);
    assert_true(pw[0]);
    struct client *c = client_new();
    char body[400];
    snprintf(body, sizeof body, "{\"email\":\"admin@stampede.local\",\"password\":\"%s\"}", pw);
    const char *hdrs[] = {"X-Requested-With: stampede", NULL};
    struct resp r;
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/api/v1/session"), "application/json",
                                    body, hdrs, &r),
                     0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    warm_everywhere();
    assert_int_equal(client_get(c, stack_url(&S, "/admin/stock"), &r), 0);
    assert_int_equal(r.status, 200);
    char csrf[128];
    csrf_of(&r, csrf, sizeof csrf);
    resp_free(&r);
    long long price = P_PRICE + 7000;
    char fields[64];
    snprintf(fields, sizeof fields, "price=%lld", price);
    snprintf(path, sizeof path, "/admin/products/%lld/price", P_ID);
    assert_int_equal(post_form(c, path, csrf, fields), 303);
    assert_int_equal(db_scalar(DB, "SELECT price_krw FROM products WHERE id = %lld", P_ID), price);
    expect_price_everywhere(price, P_PRICE);
    /* out of range and unknown products are refused, nothing changes */
    assert_int_equal(post_form(c, path, csrf, "price=0"), 400);
    assert_int_equal(post_form(c, "/admin/products/999999999/price", csrf, "price=1000"), 404);
    assert_int_equal(db_scalar(DB, "SELECT price_krw FROM products WHERE id = %lld", P_ID), price);
    /* the stock page's bucket change is a write too: it drops the advisory availability */
    long long sku = db_scalar(DB,
                              "SELECT k.id FROM skus k JOIN stock s ON s.sku_id = k.id WHERE "
                              "k.product_id = %lld GROUP BY k.id HAVING COUNT(*) = 1 LIMIT 1",
                              P_ID);
    assert_true(sku > 0);
    unsigned long long inval0 = region_metric("invalidations", "stock");
    snprintf(path, sizeof path, "/admin/stock/%lld/buckets", sku);
    assert_int_equal(post_form(c, path, csrf, "buckets=1"), 303);
    assert_int_equal(region_metric("invalidations", "stock") - inval0, 2); /* product, listing */
    client_free(c);
    set_price(P_PRICE);
    expect_price_everywhere(P_PRICE, price);
}

/*
 * The protocol race, widened: a loader that waits up to 2 ms between its database read and
 * its return, so reads of the old row routinely finish after the write's commit and delete.
 */
#define RACE_READERS 3

static int dec_price(struct str payload, struct arena *a, void **out)
{
    long long *v = arena_alloc(a, sizeof *v);
    int64_t n;
    if (!str_to_i64(payload, &n))
        return ERR_INVAL;
    *v = n;
    *out = v;
    return 0;
}

static struct l2_region r_race = {
    .name = "racetest", .version = 1, .ttl_ms = 600000, .grace_ms = 0, .decode = dec_price};

static const struct db_stmt q_read = {"race_read", "SELECT price_krw FROM products WHERE id = ?",
                                      DB_IDEMPOTENT};
static const struct db_stmt q_write = {"race_write",
                                       "UPDATE products SET price_krw = ? WHERE id = ?", 0};

struct racer {
    struct dom d;
    unsigned seed;
    long long got;
};

static void dawdle(unsigned *seed)
{
    struct timespec ts = {0, (long)(rand_r(seed) % 2000) * 1000};
    nanosleep(&ts, NULL);
}

static int race_load(void *arg, struct buf *out)
{
    struct racer *r = arg;
    struct db_result res;
    struct db_val p[] = {DB_I(P_ID)};
    int rc = db_exec(r->d.db, &q_read, p, 1, r->d.a, &res);
    if (rc)
        return rc;
    dawdle(&r->seed);
    buf_printf(out, "%lld", (long long)db_int(&res, 0, 0));
    return 0;
}

static void race_write(struct dom *d, long long v)
{
    struct db_val p[] = {DB_I(v), DB_I(P_ID)};
    assert_int_equal(db_exec(d->db, &q_write, p, 2, d->a, NULL), 0);
}

/* naive look-aside: get; on a miss read, dawdle and set (no lease) */
static long long naive_read(struct racer *r, struct str key)
{
    struct str v;
    int64_t n = -1;
    if (cache_get(r->d.cache, STR_NULL, key, r->d.a, &v, NULL) == 0 && str_to_i64(v, &n))
        return n;
    struct db_result res;
    struct db_val p[] = {DB_I(P_ID)};
    assert_int_equal(db_exec(r->d.db, &q_read, p, 1, r->d.a, &res), 0);
    n = db_int(&res, 0, 0);
    dawdle(&r->seed);
    char b[32];
    int len = snprintf(b, sizeof b, "%lld", (long long)n);
    cache_set(r->d.cache, STR_NULL, key, (struct str){b, (size_t)len}, 600);
    return n;
}

struct race {
    pthread_barrier_t start, done;
    atomic_bool stop;
    bool naive;
    struct racer readers[RACE_READERS];
    struct dom writer;
    long long value; /* what the writer writes this round */
};

static struct race R;
#define NAIVE_KEY STR("racetest-naive")

static void *reader_main(void *arg)
{
    struct racer *r = arg;
    dom_open(&r->d, 2000);
    for (;;) {
        pthread_barrier_wait(&R.start);
        if (atomic_load(&R.stop))
            break;
        arena_reset(r->d.a);
        if (R.naive) {
            r->got = naive_read(r, NAIVE_KEY);
        } else {
            char id[32];
            snprintf(id, sizeof id, "%lld", P_ID);
            struct l2_get g = {
                .region = &r_race, .id = str_from_cstr(id), .load = race_load, .arg = r};
            assert_int_equal(l2_fetch(r->d.cache, &g, 1, r->d.a), 0);
            r->got = g.rc == 0 ? *(long long *)g.obj : -1;
        }
        pthread_barrier_wait(&R.done);
    }
    dom_close(&r->d);
    return NULL;
}

/* run_race: n rounds; returns how many ended with a value older than the last write cached. */
static int run_race(bool naive, int rounds, struct dom *check)
{
    R.naive = naive;
    char id[32];
    snprintf(id, sizeof id, "%lld", P_ID);
    int stale = 0;
    for (int i = 0; i < rounds; i++) {
        /* the entry is gone (expired, evicted) when the readers and the writer arrive */
        if (naive)
            cache_delete(check->cache, STR_NULL, NAIVE_KEY);
        else
            assert_int_equal(l2_invalidate(check->cache, &r_race, STR_NULL, str_from_cstr(id)), 0);
        R.value = P_PRICE + 1 + (i % 2); /* alternates, so an old value is recognisable */
        pthread_barrier_wait(&R.start);
        race_write(&R.writer, R.value);
        if (naive) {
            cache_delete(R.writer.cache, STR_NULL, NAIVE_KEY);
        } else {
            /* the writer's protocol: commit, wait until the replica the loaders read has the
             * write (db_sync, a causal read through the proxy), then invalidate */
            assert_int_equal(db_sync(R.writer.db), 0);
            assert_int_equal(l2_invalidate(R.writer.cache, &r_race, STR_NULL, str_from_cstr(id)),
                             0);
        }
        pthread_barrier_wait(&R.done);
        /* what a request would be served now */
        arena_reset(check->a);
        long long now;
        if (naive) {
            struct str v;
            int64_t n = -1;
            now = cache_get(check->cache, STR_NULL, NAIVE_KEY, check->a, &v, NULL) == 0 &&
                          str_to_i64(v, &n)
                      ? n
                      : R.value;
        } else {
            struct racer probe = {.d = *check};
            struct l2_get g = {
                .region = &r_race, .id = str_from_cstr(id), .load = race_load, .arg = &probe};
            assert_int_equal(l2_fetch(check->cache, &g, 1, check->a), 0);
            assert_int_equal(g.rc, 0);
            now = *(long long *)g.obj;
        }
        stale += now != R.value;
    }
    return stale;
}

static void test_race_loop_leaves_no_stale_entry(void **state)
{
    (void)state;
    l2_region_init(&r_race);
    pthread_barrier_init(&R.start, NULL, RACE_READERS + 1);
    pthread_barrier_init(&R.done, NULL, RACE_READERS + 1);
    atomic_store(&R.stop, false);
    pthread_t t[RACE_READERS];
    for (int i = 0; i < RACE_READERS; i++) {
        R.readers[i].seed = (unsigned)(i + 1) * 7919u;
        pthread_create(&t[i], NULL, reader_main, &R.readers[i]);
    }
    dom_open(&R.writer, 0);
    struct dom check;
    dom_open(&check, 2000);

    uint64_t refused0 = metric_value(r_race.refused);
    int stale = run_race(false, 2000, &check);
    uint64_t refused = metric_value(r_race.refused) - refused0;
    int naive_stale = run_race(true, 500, &check);
    printf("race: 2000 rounds with leases: %d stale, %llu stale stores refused; "
           "500 rounds naive: %d stale\n",
           stale, (unsigned long long)refused, naive_stale);

    atomic_store(&R.stop, true);
    pthread_barrier_wait(&R.start);
    for (int i = 0; i < RACE_READERS; i++)
        pthread_join(t[i], NULL);
    dom_close(&check);
    dom_close(&R.writer);
    pthread_barrier_destroy(&R.start);
    pthread_barrier_destroy(&R.done);
    set_price(P_PRICE); /* writes went around the catalog: restore and invalidate */

    assert_int_equal(stale, 0);
    /* the race really happened: the protocol refused stale stores, and without it the
     * same interleavings leave stale entries behind */
    assert_true(refused > 0);
    assert_true(naive_stale > 0);
}

struct cat_reader {
    pthread_t t;
    long long got;
};

static atomic_bool cat_stop;
static pthread_barrier_t cat_start, cat_done;

static void *catalog_reader(void *arg)
{
    struct cat_reader *r = arg;
    struct dom d;
    dom_open(&d, 2000);
    for (;;) {
        pthread_barrier_wait(&cat_start);
        if (atomic_load(&cat_stop))
            break;
        for (int k = 0; k < 2; k++) {
            arena_reset(d.a);
            struct catalog_product p;
            assert_int_equal(catalog_product_by_id(&d.ctx, P_ID, &p), 0);
            r->got = p.price;
        }
        pthread_barrier_wait(&cat_done);
    }
    dom_close(&d);
    return NULL;
}

static void test_catalog_race_loop_leaves_no_stale_product(void **state)
{
    (void)state;
    enum { READERS = 3, ROUNDS = 1000 };
    struct cat_reader r[READERS];
    pthread_barrier_init(&cat_start, NULL, READERS + 1);
    pthread_barrier_init(&cat_done, NULL, READERS + 1);
    atomic_store(&cat_stop, false);
    for (int i = 0; i < READERS; i++)
        pthread_create(&r[i].t, NULL, catalog_reader, &r[i]);
    struct dom w, check;
    dom_open(&w, 0);
    dom_open(&check, 2000);
    int stale = 0;
    for (int i = 0; i < ROUNDS; i++) {
        long long price = P_PRICE + 100 * (1 + i % 3);
        pthread_barrier_wait(&cat_start);
        arena_reset(w.a);
        assert_int_equal(catalog_set_price(&w.ctx, P_ID, price, STR("race")), 0);
        pthread_barrier_wait(&cat_done);
        arena_reset(check.a);
        struct catalog_product p;
        assert_int_equal(catalog_product_by_id(&check.ctx, P_ID, &p), 0);
        stale += p.price != price;
    }
    atomic_store(&cat_stop, true);
    pthread_barrier_wait(&cat_start);
    for (int i = 0; i < READERS; i++)
        pthread_join(r[i].t, NULL);
    dom_close(&w);
    dom_close(&check);
    pthread_barrier_destroy(&cat_start);
    pthread_barrier_destroy(&cat_done);
    set_price(P_PRICE);
    assert_int_equal(stale, 0);
    expect_price_everywhere(P_PRICE, P_PRICE + 100);
}

/* ---------------------------------------------------------------- stampedes and hit ratio */

static const char *const REGIONS[] = {"slug", "product", "sizes", "stock"};

static void test_cold_hot_key_is_loaded_a_handful_of_times(void **state)
{
    (void)state;
    enum { N = 200 };
    unsigned long long loads0[4];
    for (int i = 0; i < 4; i++)
        loads0[i] = region_metric("loads", REGIONS[i]);
    stampede_admin("cache-bump"); /* every catalog entry is cold now */
    static struct hreq q[N];
    memset(q, 0, sizeof q);
    for (int i = 0; i < N; i++) {
        q[i].method = "GET";
        snprintf(q[i].url, sizeof q[i].url, "%s/products/%s", S.base_url, P_SLUG);
    }
    http_parallel(q, N, N);
    char want[64], k[32];
    krw(P_PRICE, k, sizeof k);
    snprintf(want, sizeof want, "\xe2\x82\xa9%s<", k);
    for (int i = 0; i < N; i++) {
        if (q[i].status != 200 || !strstr(q[i].out, want))
            fail_msg("request %d: status %ld", i, q[i].status);
        hreq_free(&q[i]);
    }
    for (int i = 0; i < 4; i++) {
        unsigned long long loads = region_metric("loads", REGIONS[i]) - loads0[i];
        printf("%d concurrent cold requests: region %s loaded %llu times\n", N, REGIONS[i], loads);
        /* a worker that served this slug before knows its id (l2_memo) and skips the slug
         * region; the product's own entries are cold for everyone */
        assert_true(loads >= (strcmp(REGIONS[i], "slug") ? 1u : 0u));
        assert_true(loads <= 5);
    }
}

static void test_warmed_product_page_hit_ratio_is_above_99_percent(void **state)
{
    (void)state;
    enum { N = 1000 };
    char path[200];
    snprintf(path, sizeof path, "/products/%s", P_SLUG);
    struct client *c = client_new();
    struct resp r;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(client_get(c, stack_url(&S, path), &r), 0);
        resp_free(&r);
    }
    /* served by the cache = memcached hits + near hits; from the database = misses + lookup
     * errors (docs/ARCHITECTURE.md, Metrics) */
    unsigned long long hits0 = 0, misses0 = 0, hits = 0, misses = 0;
    for (int i = 0; i < 4; i++) {
        hits0 += region_metric("hits", REGIONS[i]) + region_metric("near_hits", REGIONS[i]);
        misses0 += region_metric("misses", REGIONS[i]) + region_metric("lookup_errors", REGIONS[i]);
    }
    static struct hreq q[N];
    memset(q, 0, sizeof q);
    for (int i = 0; i < N; i++) {
        q[i].method = "GET";
        snprintf(q[i].url, sizeof q[i].url, "%s%s", S.base_url, path);
    }
    http_parallel(q, N, 16);
    for (int i = 0; i < N; i++) {
        assert_int_equal(q[i].status, 200);
        hreq_free(&q[i]);
    }
    for (int i = 0; i < 4; i++) {
        hits += region_metric("hits", REGIONS[i]) + region_metric("near_hits", REGIONS[i]);
        misses += region_metric("misses", REGIONS[i]) + region_metric("lookup_errors", REGIONS[i]);
    }
    hits -= hits0;
    misses -= misses0;
    double ratio = (double)hits / (double)(hits + misses);
    printf("warmed product page: %llu lookups, %llu misses, hit ratio %.4f\n", hits + misses,
           misses, ratio);
    assert_true(hits + misses >= 3 * N); /* product, sizes, stock; slug unless remembered */
    assert_true(ratio > 0.99);
    client_free(c);
}

static void test_unknown_slugs_are_cached_briefly(void **state)
{
    (void)state;
    char path[96];
    snprintf(path, sizeof path, "/products/no-such-shoe-%d", (int)getpid());
    unsigned long long loads0 = region_metric("loads", "slug");
    struct client *c = client_new();
    for (int i = 0; i < 6; i++) {
        struct resp r;
        assert_int_equal(client_get(c, url_at(i % 3, path), &r), 0);
        assert_int_equal(r.status, 404);
        resp_free(&r);
    }
    client_free(c);
    assert_int_equal(region_metric("loads", "slug") - loads0, 1);
}

/* every node answers the API for slug with the colorway `want`, many times over */
static void expect_colorway(const char *slug, const char *want)
{
    struct client *c = client_new();
    char path[200];
    snprintf(path, sizeof path, "/api/v1/products/%s", slug);
    for (int i = 0; i < 60; i++) {
        struct resp r;
        assert_int_equal(client_get(c, url_at(i % 3, path), &r), 0);
        cJSON *j = resp_json(&r);
        const char *got = j ? cJSON_GetObjectItem(j, "colorway")->valuestring : "(none)";
        if (r.status != 200 || strcmp(got, want) != 0)
            fail_msg("%s %s: status %ld, colorway '%s', expected '%s'", BASES[i % 3], path,
                     r.status, got, want);
        cJSON_Delete(j);
        resp_free(&r);
    }
    client_free(c);
}

static void swap_slugs(long long a, long long b)
{
    char sa[96], sb[96];
    snprintf(sa, sizeof sa, "%s", db_textf(DB, "SELECT slug FROM products WHERE id = %lld", a));
    snprintf(sb, sizeof sb, "%s", db_textf(DB, "SELECT slug FROM products WHERE id = %lld", b));
    assert_int_equal(db_execf(DB, "UPDATE products SET slug = 'slug-swap-tmp' WHERE id = %lld", a),
                     0);
    assert_int_equal(db_execf(DB, "UPDATE products SET slug = '%s' WHERE id = %lld", sa, b), 0);
    assert_int_equal(db_execf(DB, "UPDATE products SET slug = '%s' WHERE id = %lld", sb, a), 0);
    stampede_admin("cache-bump"); /* a manual change: the operator invalidates the catalog */
}

/* Workers remember slug -> id (l2_memo); a slug that moves to another product must never
 * lead to the old one. */
static void test_a_slug_that_moves_is_never_served_from_memory(void **state)
{
    (void)state;
    long long a = P_ID, b = db_scalar(DB,
                                      "SELECT MIN(id) FROM products WHERE active = 1 AND "
                                      "colorway <> (SELECT colorway FROM products WHERE id = "
                                      "%lld) AND id <> %lld",
                                      P_ID, P_ID);
    char color_a[128], color_b[128];
    snprintf(color_a, sizeof color_a, "%s",
             db_textf(DB, "SELECT colorway FROM products WHERE id = %lld", a));
    snprintf(color_b, sizeof color_b, "%s",
             db_textf(DB, "SELECT colorway FROM products WHERE id = %lld", b));
    char slug_b[96];
    snprintf(slug_b, sizeof slug_b, "%s",
             db_textf(DB, "SELECT slug FROM products WHERE id = %lld", b));
    expect_colorway(P_SLUG, color_a); /* every worker has seen P_SLUG -> a by now */
    expect_colorway(slug_b, color_b);
    swap_slugs(a, b);
    expect_colorway(P_SLUG, color_b);
    expect_colorway(slug_b, color_a);
    swap_slugs(a, b);
    expect_colorway(P_SLUG, color_a);
    expect_colorway(slug_b, color_b);
}

/* ---------------------------------------------------------------- memcached failure */

struct load_run {
    pthread_t t;
    atomic_bool stop;
    long requests, bad;
    char first_bad[256];
};

static void *load_main(void *arg)
{
    struct load_run *L = arg;
    enum { N = 40 };
    static struct hreq q[N];
    char want[64], k[32];
    krw(P_PRICE, k, sizeof k);
    snprintf(want, sizeof want, "\xe2\x82\xa9%s<", k);
    while (!atomic_load(&L->stop)) {
        memset(q, 0, sizeof q);
        for (int i = 0; i < N; i++) {
            q[i].method = "GET";
            const char *fmt = i % 4 == 0   ? "%s/"
                              : i % 4 == 1 ? "%s/api/v1/products/%s"
                                           : "%s/products/%s";
            snprintf(q[i].url, sizeof q[i].url, fmt, S.base_url, P_SLUG);
        }
        http_parallel(q, N, 16);
        for (int i = 0; i < N; i++) {
            bool ok = q[i].status == 200;
            if (ok && i % 4 >= 2)
                ok = strstr(q[i].out, want) != NULL;
            if (ok && i % 4 == 1)
                ok = strstr(q[i].out, P_SLUG) != NULL;
            if (!ok && !L->bad)
                snprintf(L->first_bad, sizeof L->first_bad, "%s: status %ld", q[i].url,
                         q[i].status);
            L->bad += !ok;
            L->requests++;
            hreq_free(&q[i]);
        }
    }
    return NULL;
}

static void readyz_cache(int node, char *status, size_t n, long *http)
{
    struct client *c = client_new();
    struct resp r;
    assert_int_equal(client_get(c, node_url(&S, node, "/readyz"), &r), 0);
    *http = r.status;
    cJSON *j = resp_json(&r);
    cJSON *cache = j ? cJSON_GetObjectItem(j, "cache") : NULL;
    snprintf(status, n, "%s",
             cache ? cJSON_GetObjectItem(cache, "status")->valuestring : "(no cache field)");
    cJSON_Delete(j);
    resp_free(&r);
    client_free(c);
}

static bool nodes_say_cache(const char *want)
{
    for (int node = 0; node < 2; node++) {
        char st[64];
        long http;
        readyz_cache(node, st, sizeof st, &http);
        if (http != 200 || strcmp(st, want) != 0)
            return false;
    }
    return true;
}

static bool cache_up(void *arg)
{
    (void)arg;
    return nodes_say_cache("up");
}

static bool cache_degraded(void *arg)
{
    (void)arg;
    return nodes_say_cache("degraded");
}

static void kill_memcached(int n)
{
    char rel[64];
    snprintf(rel, sizeof rel, "run/memcached%d.pid", n);
    int pid = stack_pid(&S, rel);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
}

/* memcached_lookups: the catalog regions' memcached hits and lookups that went past the near
 * copies (hits + misses + lookup errors), summed over both nodes. */
static void memcached_lookups(unsigned long long *hits, unsigned long long *lookups)
{
    *hits = *lookups = 0;
    for (int i = 0; i < 4; i++) {
        unsigned long long h = region_metric("hits", REGIONS[i]);
        *hits += h;
        *lookups +=
            h + region_metric("misses", REGIONS[i]) + region_metric("lookup_errors", REGIONS[i]);
    }
}

/* log_count: lines of web node n's log (1-based) that contain both a and b. */
static int log_count(int node, const char *a, const char *b)
{
    char path[700], line[2048];
    snprintf(path, sizeof path, "%s/log/web%d-app.log", S.data, node);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, a) && strstr(line, b);
    fclose(f);
    return n;
}

static void server_name(int mc, char *out, size_t n)
{
    snprintf(out, n, "memcached server 127.0.0.1:%d ", S.mc_port[mc]);
}

/* server_up_gauges: how many (node, server) stampede_cache_server_up gauges read `want`. */
static int server_up_gauges(int want)
{
    int n = 0;
    for (int mc = 0; mc < 2; mc++) {
        char series[160];
        snprintf(series, sizeof series, "stampede_cache_server_up{server=\"127.0.0.1:%d\"}",
                 S.mc_port[mc]);
        struct client *c = client_new();
        for (int node = 0; node < 2; node++) {
            struct resp r;
            assert_int_equal(client_get(c, node_url(&S, node, "/metrics"), &r), 0);
            char want_line[200];
            snprintf(want_line, sizeof want_line, "%s %d\n", series, want);
            n += resp_contains(&r, want_line);
            resp_free(&r);
        }
        client_free(c);
    }
    return n;
}

static bool all_servers_up(void *arg)
{
    (void)arg;
    return server_up_gauges(1) == 4;
}

/* memcached_stat_nodes: on how many nodes /metrics has the line `series{server="mc"} value`
 * (the servers' own stats, asked at scrape time); each scrape must take under 2 s */
static int memcached_stat_nodes(const char *series, int mc, const char *value)
{
    char line[200];
    snprintf(line, sizeof line, "\n%s{server=\"127.0.0.1:%d\"} %s", series, S.mc_port[mc], value);
    int n = 0;
    struct client *c = client_new();
    for (int node = 0; node < 2; node++) {
        struct resp r;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(client_get(c, node_url(&S, node, "/metrics"), &r), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        assert_int_equal(r.status, 200);
        double took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (took > 2)
            fail_msg("a scrape of web%d took %.1f s", node + 1, took);
        n += resp_contains(&r, line);
        resp_free(&r);
    }
    client_free(c);
    return n;
}

static bool first_memcached_stats_down(void *arg)
{
    (void)arg;
    return memcached_stat_nodes("stampede_memcached_up", 0, "0\n") == 2;
}

static void test_memcached_killed_during_load_gives_no_errors(void **state)
{
    (void)state;
    warm_everywhere();
    int lost0[2][2], back0[2][2];
    char srv[2][64];
    for (int mc = 0; mc < 2; mc++) {
        server_name(mc, srv[mc], sizeof srv[mc]);
        for (int node = 0; node < 2; node++) {
            lost0[node][mc] = log_count(node + 1, srv[mc], "lost");
            back0[node][mc] = log_count(node + 1, srv[mc], "regained");
        }
    }
    /* the servers' own stats on every node: up, with their items and memory limit */
    for (int mc = 0; mc < 2; mc++) {
        assert_int_equal(memcached_stat_nodes("stampede_memcached_up", mc, "1\n"), 2);
        assert_int_equal(memcached_stat_nodes("stampede_memcached_items", mc, ""), 2);
        assert_int_equal(memcached_stat_nodes("stampede_memcached_limit_bytes", mc, ""), 2);
        assert_int_equal(memcached_stat_nodes("stampede_memcached_get_hits_total", mc, ""), 2);
    }
    struct load_run L = {0};
    pthread_create(&L.t, NULL, load_main, &L);
    sleep(1);
    kill_memcached(1);
    /* at the next scrape, without waiting for a lookup to fail: up 0, no stats, not slow */
    assert_true(wait_until(first_memcached_stats_down, NULL, 3000));
    assert_int_equal(memcached_stat_nodes("stampede_memcached_items", 0, ""), 0);
    assert_int_equal(memcached_stat_nodes("stampede_memcached_up", 1, "1\n"), 2);
    sleep(2);
    assert_true(wait_until(cache_degraded, NULL, 5000)); /* still 200: the database carries */
    kill_memcached(2);
    sleep(1);
    /* with both servers gone the memcached hit ratio falls to ~0, near copies or not */
    unsigned long long h0, n0, h1, n1;
    memcached_lookups(&h0, &n0);
    sleep(1);
    memcached_lookups(&h1, &n1);
    printf("both memcached down: %llu lookups past the near copies, %llu memcached hits\n", n1 - n0,
           h1 - h0);
    assert_true(n1 - n0 > 0);
    assert_true((double)(h1 - h0) <= 0.01 * (double)(n1 - n0));
    assert_int_equal(server_up_gauges(0), 4);
    atomic_store(&L.stop, true);
    pthread_join(L.t, NULL);
    printf("load run across the memcached kills: %ld requests, %ld bad\n", L.requests, L.bad);
    if (L.bad)
        fail_msg("%ld of %ld requests failed or were wrong; first: %s", L.bad, L.requests,
                 L.first_bad);
    assert_true(L.requests > 0);

    /* a write while the cache is down is still seen by everyone (pages come from the DB) */
    long long price = P_PRICE + 3000;
    set_price(price);
    expect_price_everywhere(price, P_PRICE);

    /* memcached returns empty; the nodes reconnect by themselves and hit again */
    assert_int_equal(stack_run(&S, "./stampede up >/dev/null"), 0);
    assert_true(wait_until(cache_up, NULL, 15000));
    assert_true(wait_until(all_servers_up, NULL, 5000));
    for (int mc = 0; mc < 2; mc++)
        assert_int_equal(memcached_stat_nodes("stampede_memcached_up", mc, "1\n"), 2);
    /* each node said so once per server (not per request): lost, then regained */
    for (int mc = 0; mc < 2; mc++) {
        for (int node = 0; node < 2; node++) {
            int lost = log_count(node + 1, srv[mc], "lost") - lost0[node][mc];
            int back = log_count(node + 1, srv[mc], "regained") - back0[node][mc];
            printf("web%d: %s lost %d, regained %d times\n", node + 1, srv[mc], lost, back);
            /* once each; a second pair would be a real blip of a loaded 2-core machine, a
             * line per request would be hundreds */
            assert_true(lost >= 1 && lost <= 2);
            assert_true(back >= 1 && back <= 2);
        }
    }
    expect_price_everywhere(price, P_PRICE);
    set_price(P_PRICE);
    warm_everywhere();
    unsigned long long hits0 =
        region_metric("hits", "product") + region_metric("near_hits", "product");
    expect_price_everywhere(P_PRICE, price);
    assert_true(region_metric("hits", "product") + region_metric("near_hits", "product") > hits0);
}

/* ---------------------------------------------------------------- metrics endpoint */

static void test_metrics_are_internal(void **state)
{
    (void)state;
    struct client *c = client_new();
    struct resp r;
    assert_int_equal(client_get(c, stack_url(&S, "/metrics"), &r), 0);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    assert_int_equal(client_get(c, stack_url(&S, "/%6Detrics"), &r), 0);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    const char *xff[] = {"X-Forwarded-For: 203.0.113.9", NULL};
    assert_int_equal(client_request(c, "GET", node_url(&S, 0, "/metrics"), NULL, NULL, xff, &r), 0);
    assert_int_equal(r.status, 404);
    resp_free(&r);
    for (int node = 0; node < 2; node++) {
        assert_int_equal(client_get(c, node_url(&S, node, "/metrics"), &r), 0);
        assert_int_equal(r.status, 200);
        char ct[128];
        assert_true(resp_header(&r, "Content-Type", ct, sizeof ct));
        assert_non_null(strstr(ct, "text/plain; version=0.0.4"));
        assert_true(resp_contains(&r, "# TYPE stampede_http_requests_total counter"));
        assert_true(
            resp_contains(&r, "stampede_http_requests_total{route=\"product\",code=\"2xx\"}"));
        assert_true(resp_contains(
            &r, "stampede_http_request_duration_seconds_bucket{route=\"product\",le=\"+Inf\"}"));
        assert_true(resp_contains(&r, "stampede_cache_hits_total{region=\"product\"}"));
        assert_true(resp_contains(&r, "# TYPE stampede_cache_load_seconds histogram"));
        /* the business metrics, read from the stack's database (their SQL runs for real) */
        assert_true(resp_contains(&r, "stampede_pairs{state=\"available\"} "));
        assert_true(resp_contains(&r, "stampede_orders_overdue_holds "));
        assert_true(resp_contains(&r, "stampede_payment_anomalies_open{kind=\"partial_refund\"} "));
        assert_true(resp_contains(&r, "# TYPE stampede_batch_runs_total counter"));
        assert_true(resp_contains(&r, "\nstampede_stats_errors_total 0\n"));
        assert_false(resp_contains(&r, "stampede_stats_age_seconds -1"));
        assert_true(resp_contains(&r, "# TYPE stampede_db_connections_open gauge"));
        assert_true(resp_contains(&r, "stampede_cache_server_up{server=\"127.0.0.1:"));
        resp_free(&r);
    }
    client_free(c);
}

static bool proc_gone(void *arg)
{
    return kill(*(int *)arg, 0) != 0;
}

static bool both_nodes_up(void *arg)
{
    (void)arg;
    char a[32], b[32];
    return stack_haproxy_stat(&S, "web1", "status", a, sizeof a) &&
           stack_haproxy_stat(&S, "web2", "status", b, sizeof b) && strncmp(a, "UP", 2) == 0 &&
           strncmp(b, "UP", 2) == 0;
}

/*
 * stale-if-error: with the database unreachable (the proxy killed, so every query fails at
 * once), a cached product keeps being served past its stock entries' freshness (2 s) and
 * grace (3 s): the refresh fails, the last good value is kept and served, and
 * stampede_cache_stale_on_error_total says so. Then the proxy returns and so do fresh reads.
 */
static void test_a_refresh_that_fails_serves_the_last_good_value(void **state)
{
    (void)state;
    char path[160], price[48];
    snprintf(path, sizeof path, "/api/v1/products/%s", P_SLUG);
    snprintf(price, sizeof price, "\"price\":%lld", P_PRICE);
    struct client *c = client_new();
    struct resp r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(client_get(c, node_url(&S, 0, path), &r), 0);
        assert_int_equal(r.status, 200);
        resp_free(&r);
    }
    unsigned long long before = region_metric("stale_on_error", "stock");
    int pid = stack_pid(&S, "run/dbproxy.pid");
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_true(wait_until(proc_gone, &pid, 5000));
    /* 8 s: several times the stock entries' freshness and grace */
    for (int i = 0; i < 40; i++) {
        assert_int_equal(client_get(c, node_url(&S, 0, path), &r), 0);
        if (r.status != 200 || !resp_contains(&r, price))
            fail_msg("request %d with the database unreachable: %ld %.200s", i, r.status,
                     r.body ? r.body : "");
        resp_free(&r);
        usleep(200 * 1000);
    }
    unsigned long long after = region_metric("stale_on_error", "stock");
    print_message("stock entries served stale because their refresh failed: %llu\n",
                  after - before);
    assert_true(after > before);

    assert_int_equal(stack_run(&S, "./stampede up >/dev/null"), 0);
    assert_true(wait_until(both_nodes_up, NULL, 30000));
    assert_int_equal(client_get(c, stack_url(&S, path), &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_are_internal),
        cmocka_unit_test(test_price_change_through_the_domain_shows_at_once_everywhere),
        cmocka_unit_test(test_a_write_that_does_not_publish_leaves_near_copies_behind),
        cmocka_unit_test(test_near_invalidations_are_internal_and_signed),
        cmocka_unit_test(test_price_change_through_the_admin_page_shows_at_once),
        cmocka_unit_test(test_race_loop_leaves_no_stale_entry),
        cmocka_unit_test(test_catalog_race_loop_leaves_no_stale_product),
        cmocka_unit_test(test_cold_hot_key_is_loaded_a_handful_of_times),
        cmocka_unit_test(test_warmed_product_page_hit_ratio_is_above_99_percent),
        cmocka_unit_test(test_unknown_slugs_are_cached_briefly),
        cmocka_unit_test(test_a_slug_that_moves_is_never_served_from_memory),
        cmocka_unit_test(test_memcached_killed_during_load_gives_no_errors),
        cmocka_unit_test(test_a_refresh_that_fails_serves_the_last_good_value),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
