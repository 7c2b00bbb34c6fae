/*
 * Integration: shopper pages, the products JSON API, error answers, security headers and
 * static assets — all through HAProxy -> nginx -> stampede-web on the private stack.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static struct stack S;
static struct client *C;
static MYSQL *DB;

/*
 * The suite edits the catalog in SQL behind the application's back (here and in other
 * tests); like an operator after a manual change, it then invalidates the catalog cache.
 */
static void cache_bump(void)
{
    assert_int_equal(stack_run(&S,
                               "'%s/stampede-admin' --config '%s/etc/stampede.conf' cache-bump "
                               ">/dev/null",
                               S.build, S.data),
                     0);
}

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    C = client_new();
    DB = stack_db(&S, 0);
    cache_bump();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    client_free(C);
    mysql_close(DB);
    return 0;
}

/* db_text1: first column of the first row as text (static buffer). */
static const char *db_text1(const char *sql)
{
    static char out[512];
    if (mysql_query(DB, sql))
        fail_msg("%s: %s", sql, mysql_error(DB));
    MYSQL_RES *r = mysql_store_result(DB);
    MYSQL_ROW row = mysql_fetch_row(r);
    snprintf(out, sizeof out, "%s", row && row[0] ? row[0] : "");
    mysql_free_result(r);
    return out;
}

static void assert_security_headers(const struct resp *r)
{
    char v[1024];
    assert_true(resp_header(r, "Content-Security-Policy", v, sizeof v));
    assert_non_null(strstr(v, "frame-ancestors 'none'"));
    assert_non_null(strstr(v, "object-src 'none'"));
    assert_non_null(strstr(v, "base-uri 'none'"));
    assert_null(strstr(v, "unsafe-inline"));
    assert_true(resp_header(r, "X-Content-Type-Options", v, sizeof v));
    assert_string_equal(v, "nosniff");
    assert_true(resp_header(r, "Referrer-Policy", v, sizeof v));
}

static void test_home_lists_products_and_sold_out(void **state)
{
    (void)state;
    struct resp r;
    assert_int_equal(client_get(C, stack_url(&S, "/"), &r), 0);
    assert_int_equal(r.status, 200);
    char v[256];
    assert_true(resp_header(&r, "Content-Type", v, sizeof v));
    assert_non_null(strstr(v, "text/html"));
    assert_true(resp_header(&r, "X-Request-Id", v, sizeof v));
    assert_security_headers(&r);
    long long products = db_scalar(DB, "SELECT COUNT(*) FROM products WHERE active = 1");
    assert_true(products >= 24);
    /* every product's name appears on the home page, linked to its page */
    if (mysql_query(DB, "SELECT slug, name FROM products WHERE active = 1"))
        fail();
    MYSQL_RES *res = mysql_store_result(DB);
    MYSQL_ROW row;
    while ((row = mysql_fetch_row(res))) {
        char link[256];
        snprintf(link, sizeof link, "/products/%s", row[0]);
        if (!resp_contains(&r, link))
            fail_msg("home page lacks a link to %s", link);
    }
    mysql_free_result(res);
    /* the product without any stock is marked sold out */
    const char *sold_out = db_text1(
        "SELECT p.name FROM products p WHERE p.active = 1 AND NOT EXISTS (SELECT 1 FROM skus k "
        "JOIN stock s ON s.sku_id = k.id WHERE k.product_id = p.id AND s.available > 0)");
    assert_true(strlen(sold_out) > 0);
    assert_true(resp_contains(&r, sold_out));
    assert_true(resp_contains(&r, "Sold out"));
    resp_free(&r);
}

static void test_product_page_shows_sizes_and_live_availability(void **state)
{
    (void)state;
    const char *slug = db_text1("SELECT p.slug FROM products p JOIN skus k ON k.product_id = p.id "
                                "JOIN stock s ON s.sku_id = k.id WHERE s.available > 5 "
                                "GROUP BY p.id ORDER BY p.id LIMIT 1");
    char path[256];
    snprintf(path, sizeof path, "/products/%s", slug);
    long long sku = db_scalar(DB,
                              "SELECT k.id FROM skus k JOIN products p ON p.id = k.product_id "
                              "WHERE p.slug = '%s' ORDER BY k.size_mm LIMIT 1",
                              slug);
    long long size = db_scalar(DB, "SELECT size_mm FROM skus WHERE id = %lld", sku);
    struct resp r;
    assert_int_equal(client_get(C, stack_url(&S, path), &r), 0);
    assert_int_equal(r.status, 200);
    assert_security_headers(&r);
    char needle[64];
    snprintf(needle, sizeof needle, "value=\"%lld\"", sku);
    assert_true(resp_contains(&r, needle));
    snprintf(needle, sizeof needle, ">%lld<", size);
    assert_true(resp_contains(&r, needle));
    resp_free(&r);

    /* availability is live (advisory, seconds old at most): empty the size directly and the
     * page soon shows it sold out, without any invalidation.
     * (Test-only stock edit: a matching ledger row keeps conservation intact.) */
    long long avail = db_scalar(DB, "SELECT SUM(available) FROM stock WHERE sku_id = %lld", sku);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available,"
                              " ref_type, ref_id) SELECT sku_id, bucket, 'adjust', -available,"
                              " 'test', 'pages' FROM stock WHERE sku_id = %lld AND available > 0",
                              sku),
                     0);
    assert_int_equal(db_execf(DB, "UPDATE stock SET available = 0 WHERE sku_id = %lld", sku), 0);
    snprintf(needle, sizeof needle, "id=\"size-%lld\" required disabled", sku);
    bool seen = false;
    for (int i = 0; i < 100 && !seen; i++) {
        assert_int_equal(client_get(C, stack_url(&S, path), &r), 0);
        seen = r.status == 200 && resp_contains(&r, needle);
        resp_free(&r);
        if (!seen)
            usleep(100 * 1000);
    }
    assert_true(seen);
    /* put it back */
    assert_int_equal(
        db_execf(DB,
                 "UPDATE stock SET available = %lld WHERE sku_id = %lld AND bucket = "
                 "(SELECT MIN(bucket) FROM (SELECT * FROM stock) s WHERE sku_id = %lld)",
                 avail, sku, sku),
        0);
    assert_int_equal(db_execf(DB,
                              "INSERT INTO inventory_ledger (sku_id, bucket, reason, d_available,"
                              " ref_type, ref_id) SELECT sku_id, MIN(bucket), 'adjust', %lld,"
                              " 'test', 'pages' FROM stock WHERE sku_id = %lld GROUP BY sku_id",
                              avail, sku),
                     0);
    cache_bump(); /* the next test compares availability exactly */
}

static void test_products_api_shapes(void **state)
{
    (void)state;
    struct resp r;
    assert_int_equal(client_get(C, stack_url(&S, "/api/v1/products"), &r), 0);
    assert_int_equal(r.status, 200);
    char v[256];
    assert_true(resp_header(&r, "Content-Type", v, sizeof v));
    assert_string_equal(v, "application/json");
    cJSON *j = resp_json(&r);
    assert_non_null(j);
    cJSON *arr = cJSON_GetObjectItem(j, "products");
    assert_true(cJSON_IsArray(arr));
    assert_int_equal(cJSON_GetArraySize(arr),
                     db_scalar(DB, "SELECT COUNT(*) FROM products WHERE active = 1"));
    int unavailable = 0;
    cJSON *p;
    cJSON_ArrayForEach(p, arr)
    {
        assert_true(cJSON_IsString(cJSON_GetObjectItem(p, "slug")));
        assert_true(cJSON_IsString(cJSON_GetObjectItem(p, "name")));
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(p, "price")));
        assert_string_equal(cJSON_GetObjectItem(p, "currency")->valuestring, "KRW");
        assert_true(cJSON_IsString(cJSON_GetObjectItem(p, "image")));
        assert_true(cJSON_IsBool(cJSON_GetObjectItem(p, "available")));
        unavailable += cJSON_IsFalse(cJSON_GetObjectItem(p, "available"));
    }
    assert_true(unavailable >= 1);
    cJSON_Delete(j);
    resp_free(&r);

    const char *slug = db_text1("SELECT slug FROM products WHERE active = 1 ORDER BY id LIMIT 1");
    char path[256];
    snprintf(path, sizeof path, "/api/v1/products/%s", slug);
    assert_int_equal(client_get(C, stack_url(&S, path), &r), 0);
    assert_int_equal(r.status, 200);
    j = resp_json(&r);
    assert_string_equal(cJSON_GetObjectItem(j, "slug")->valuestring, slug);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "name")));
    assert_int_equal((long long)cJSON_GetObjectItem(j, "price")->valuedouble,
                     db_scalar(DB, "SELECT price_krw FROM products WHERE slug = '%s'", slug));
    cJSON *skus = cJSON_GetObjectItem(j, "skus");
    assert_int_equal(cJSON_GetArraySize(skus),
                     db_scalar(DB,
                               "SELECT COUNT(*) FROM skus k JOIN products p ON p.id = "
                               "k.product_id WHERE p.slug = '%s'",
                               slug));
    cJSON *k;
    cJSON_ArrayForEach(k, skus)
    {
        long long id = (long long)cJSON_GetObjectItem(k, "id")->valuedouble;
        assert_true(cJSON_IsNumber(cJSON_GetObjectItem(k, "size")));
        assert_int_equal((long long)cJSON_GetObjectItem(k, "available")->valuedouble,
                         db_scalar(DB, "SELECT SUM(available) FROM stock WHERE sku_id = %lld", id));
    }
    cJSON_Delete(j);
    resp_free(&r);
}

static void expect(const char *method, const char *path, const char *ctype, const char *body,
                   long status, const char *content_type, const char *needle)
{
    struct resp r;
    assert_int_equal(client_request(C, method, stack_url(&S, path), ctype, body, NULL, &r), 0);
    if (r.status != status)
        fail_msg("%s %s: status %ld, expected %ld: %.300s", method, path, r.status, status, r.body);
    char v[256] = "";
    resp_header(&r, "Content-Type", v, sizeof v);
    if (content_type && !strstr(v, content_type))
        fail_msg("%s %s: content type %s, expected %s", method, path, v, content_type);
    if (needle && !resp_contains(&r, needle))
        fail_msg("%s %s: body lacks '%s': %.300s", method, path, needle, r.body);
    resp_free(&r);
}

static void test_errors_are_pages_for_browsers_and_json_for_api(void **state)
{
    (void)state;
    expect("GET", "/no/such/page", NULL, NULL, 404, "text/html", "<html");
    expect("GET", "/products/no-such-shoe", NULL, NULL, 404, "text/html", "<html");
    expect("GET", "/api/v1/nope", NULL, NULL, 404, "application/json", "\"code\":\"not_found\"");
    expect("GET", "/api/v1/products/no-such-shoe", NULL, NULL, 404, "application/json",
           "\"code\":\"product_not_found\"");
    expect("POST", "/", "application/x-www-form-urlencoded", "a=1", 405, "text/html", "<html");
    expect("DELETE", "/api/v1/products", NULL, NULL, 405, "application/json",
           "\"code\":\"method_not_allowed\"");
}

static void test_bad_input_is_a_clear_400(void **state)
{
    (void)state;
    expect("GET", "/products/Bad_Slug", NULL, NULL, 400, "text/html", "slug");
    expect("GET", "/api/v1/products/Bad_Slug", NULL, NULL, 400, "application/json",
           "\"code\":\"invalid_parameter\"");
    expect("GET", "/?q=%zz", NULL, NULL, 400, "text/html", NULL);
    expect("GET", "/api/v1/products?x=%C0%AF", NULL, NULL, 400, "application/json",
           "\"code\":\"bad_request\"");
    expect("GET", "/products/%2e%2e%2Fetc", NULL, NULL, 400, NULL, NULL);
    /* the same checks hold on the node itself, without HAProxy in front */
    struct resp r;
    assert_int_equal(client_get(C, node_url(&S, 0, "/api/v1/products?x=%ZZ"), &r), 0);
    assert_int_equal(r.status, 400);
    resp_free(&r);
}

static void test_static_assets_are_fingerprinted_and_immutable(void **state)
{
    (void)state;
    struct resp r;
    assert_int_equal(client_get(C, stack_url(&S, "/"), &r), 0);
    const char *css = strstr(r.body, "/static/css/site.");
    assert_non_null(css);
    char path[256];
    size_t n = strcspn(css, "\"");
    snprintf(path, sizeof path, "%.*s", (int)n, css);
    resp_free(&r);
    assert_non_null(strstr(path, ".css"));
    assert_int_equal(client_get(C, stack_url(&S, path), &r), 0);
    assert_int_equal(r.status, 200);
    char v[256];
    assert_true(resp_header(&r, "Cache-Control", v, sizeof v));
    assert_non_null(strstr(v, "immutable"));
    assert_non_null(strstr(v, "max-age=31536000"));
    assert_true(resp_header(&r, "Content-Type", v, sizeof v));
    assert_non_null(strstr(v, "text/css"));
    assert_true(resp_header(&r, "X-Content-Type-Options", v, sizeof v));
    resp_free(&r);
    expect("GET", "/static/css/site.css", NULL, NULL, 404, NULL, NULL);
}

static void test_head_health_and_metrics_not_public(void **state)
{
    (void)state;
    struct resp r;
    assert_int_equal(client_request(C, "HEAD", stack_url(&S, "/"), NULL, NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    resp_free(&r);
    expect("GET", "/healthz", NULL, NULL, 200, "application/json", "\"status\":\"alive\"");
    expect("GET", "/readyz", NULL, NULL, 200, "application/json", "\"status\":\"ready\"");
    expect("GET", "/metrics", NULL, NULL, 404, NULL, NULL);
}

/* HAProxy limits each client address (the suite's stack: 200 requests per 10 s; 127.0.0.1,
 * the suite itself, is exempt): past the limit, 429 with Retry-After, JSON under /api and a
 * page elsewhere; another address is not affected; health checks never are (review finding
 * 5: `./stampede up` on a running stack failed because /readyz answered 429). */
static void test_rate_limit_per_client_address(void **state)
{
    (void)state;
    struct client *other = client_new_from("127.0.0.2");
    struct resp r;
    int ok = 0, limited = 0;
    for (int i = 0; i < 260 && limited == 0; i++) {
        assert_int_equal(client_get(other, stack_url(&S, "/account/signin"), &r), 0);
        if (r.status == 200)
            ok++;
        else if (r.status == 429)
            limited++;
        else
            fail_msg("request %d from 127.0.0.2: %ld", i, r.status);
        resp_free(&r);
    }
    assert_true(ok >= 200);
    assert_int_equal(limited, 1);

    assert_int_equal(client_get(other, stack_url(&S, "/api/v1/products"), &r), 0);
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.body, "\"rate_limited\""));
    char v[16];
    assert_true(resp_header(&r, "Retry-After", v, sizeof v));
    assert_true(resp_header(&r, "Content-Type", v, sizeof v));
    resp_free(&r);
    assert_int_equal(client_get(other, stack_url(&S, "/"), &r), 0);
    assert_int_equal(r.status, 429);
    assert_non_null(strstr(r.body, "Too many requests"));
    resp_free(&r);

    /* the limit is per address: this one is served as before */
    assert_int_equal(client_get(C, stack_url(&S, "/api/v1/products"), &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    client_free(other);
}

/* ---------------------------------------------------------------- review finding 5 */

/* The hammer: keeps 127.0.0.2 over its limit (every request counts, 429s included) while a
 * test runs something slow, such as `./stampede up`. */
struct hammer {
    pthread_t tid;
    atomic_bool stop;
    atomic_int sent, limited;
};

static void *hammer_run(void *arg)
{
    struct hammer *h = arg;
    struct client *c = client_new_from("127.0.0.2");
    while (!atomic_load(&h->stop)) {
        struct resp r;
        if (client_get(c, stack_url(&S, "/api/v1/products"), &r) == 0) {
            atomic_fetch_add(&h->sent, 1);
            if (r.status == 429)
                atomic_fetch_add(&h->limited, 1);
            resp_free(&r);
        }
        usleep(10 * 1000); /* ~80 a second: the limit is 200 per 10 s */
    }
    client_free(c);
    return NULL;
}

/* pid_files: "name=pid" of every DATA/run/ *.pid, sorted, into out */
static void pid_files(char *out, size_t n)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/run", S.data);
    struct dirent **list;
    int k = scandir(dir, &list, NULL, alphasort);
    assert_true(k > 0);
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < k; i++) {
        const char *name = list[i]->d_name;
        size_t nl = strlen(name);
        if (nl > 4 && strcmp(name + nl - 4, ".pid") == 0) {
            char rel[300];
            snprintf(rel, sizeof rel, "run/%s", name);
            int w = snprintf(out + len, n - len, "%s=%d\n", name, stack_pid(&S, rel));
            assert_true(w > 0 && (size_t)w < n - len);
            len += (size_t)w;
        }
        free(list[i]);
    }
    free(list);
}

/*
 * Review finding 5: after a burst of traffic from one address, `./stampede up` on the running
 * stack failed because /readyz through HAProxy answered 429 to it. Health and readiness
 * checks are never rate-limited, and `up` on a running stack stays harmless even when its
 * own address is the limited one: it exits 0 and restarts nothing.
 */
static void test_health_checks_are_never_rate_limited(void **state)
{
    (void)state;
    /* `./stampede up` from the limited address: its curl reads $CURL_HOME/.curlrc */
    char home[600], rc[700], out[700];
    snprintf(home, sizeof home, "%s/curl-from-127.0.0.2", S.data);
    snprintf(rc, sizeof rc, "%s/.curlrc", home);
    snprintf(out, sizeof out, "%s/up-while-limited.out", S.data);
    assert_true(mkdir(home, 0755) == 0 || errno == EEXIST);
    FILE *f = fopen(rc, "w");
    assert_non_null(f);
    fputs("interface = 127.0.0.2\n", f);
    fclose(f);

    struct client *other = client_new_from("127.0.0.2");
    struct resp r;
    bool limited = false;
    for (int i = 0; i < 400 && !limited; i++) {
        assert_int_equal(client_get(other, stack_url(&S, "/account/signin"), &r), 0);
        limited = r.status == 429;
        resp_free(&r);
    }
    assert_true(limited);

    /* from here until the hammer stops nothing fails the test: it must stop first (a failed
     * assertion leaves the function) */
    static char before[8192], after[8192];
    pid_files(before, sizeof before);
    static struct hammer h;
    memset(&h, 0, sizeof h);
    assert_int_equal(pthread_create(&h.tid, NULL, hammer_run, &h), 0);
    /* health checks from the limited address are answered, every one, while a page is not */
    long bad = 0, page = 0;
    for (int i = 0; i < 300 && !bad; i++) {
        if (client_get(other, stack_url(&S, i % 2 ? "/readyz" : "/healthz"), &r) != 0)
            bad = -1;
        else if (r.status != 200)
            bad = r.status;
        resp_free(&r);
    }
    if (client_get(other, stack_url(&S, "/"), &r) == 0)
        page = r.status;
    resp_free(&r);
    /* proof that the curl setting takes: a page through HAProxy answers that curl 429 */
    int curl_limited = stack_run(&S,
                                 "[ \"$(CURL_HOME='%s' curl -s -o /dev/null -w '%%{http_code}' "
                                 "http://127.0.0.1:%d/)\" = 429 ]",
                                 home, S.http_port);
    int up = stack_run(&S, "CURL_HOME='%s' ./stampede up >'%s' 2>&1", home, out);
    atomic_store(&h.stop, true);
    pthread_join(h.tid, NULL);
    client_free(other);

    if (bad)
        fail_msg("a health check from a rate-limited address: %ld", bad);
    assert_int_equal(page, 429);
    assert_int_equal(curl_limited, 0);
    if (up != 0)
        stack_run(&S, "tail -n 30 '%s' >&2", out);
    assert_int_equal(up, 0);
    /* the address stayed limited throughout, and `up` saw it (it asked / of each node) */
    assert_true(atomic_load(&h.limited) > 0);
    assert_int_equal(atomic_load(&h.limited), atomic_load(&h.sent));
    assert_int_equal(stack_run(&S, "grep -q 'rate-limited at haproxy' '%s'", out), 0);
    /* and nothing was started again */
    pid_files(after, sizeof after);
    assert_non_null(strstr(before, "haproxy.pid="));
    assert_non_null(strstr(before, "web1-app.pid="));
    assert_string_equal(after, before);
}

/* the security headers every answer must carry, whoever made it */
static void assert_edge_headers(const struct resp *r, const char *what)
{
    static const char *const names[] = {"Content-Security-Policy", "X-Content-Type-Options",
                                        "X-Frame-Options",         "Cross-Origin-Opener-Policy",
                                        "Permissions-Policy",      "Referrer-Policy"};
    char v[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!resp_header(r, names[i], v, sizeof v))
            fail_msg("%s: no %s header in:\n%s", what, names[i], r->headers);
    if (resp_header(r, "Server", v, sizeof v))
        fail_msg("%s: the answer names its server: %s", what, v);
    if (resp_contains(r, "nginx") || resp_contains(r, "HAProxy") || resp_contains(r, "haproxy"))
        fail_msg("%s: the body names the software: %.300s", what, r->body);
}

/* one_edge: a request that the app never sees; its status, JSON under /api, the headers */
static void one_edge(const char *method, const char *path, const char *const *hdrs,
                     const char *body, long status, const char *allow)
{
    struct resp r;
    static char url[8192]; /* stack_url's buffers are 1 KB */
    snprintf(url, sizeof url, "%s%s", S.base_url, path);
    char what[128], v[256] = "";
    snprintf(what, sizeof what, "%s %.40s", method, path);
    /* a client of its own: a request that declares more body than it sends leaves its
     * connection unusable afterwards */
    struct client *c = client_new();
    if (client_request(c, method, url, body ? "application/json" : NULL, body, hdrs, &r) != 0)
        fail_msg("%s: no answer", what);
    client_free(c);
    if (r.status != status)
        fail_msg("%s: %ld, expected %ld", what, r.status, status);
    resp_header(&r, "Content-Type", v, sizeof v);
    if (strncmp(path, "/api/", 5) == 0) {
        if (!strstr(v, "application/json") || !resp_contains(&r, "{\"error\":{\"code\":\""))
            fail_msg("%s: not the JSON error shape: %s %.200s", what, v, r.body);
    } else if (!strstr(v, "text/html")) {
        fail_msg("%s: not a page: %s", what, v);
    }
    if (allow && (!resp_header(&r, "Allow", v, sizeof v) || strcmp(v, allow) != 0))
        fail_msg("%s: Allow is '%s', expected '%s'", what, v, allow);
    assert_edge_headers(&r, what);
    resp_free(&r);
}

/*
 * Review finding 9: nginx's own 400/405/413/414 and TRACE answers were HTML under /api, lacked
 * the security headers and said "nginx". Every answer carries them now, whoever makes it.
 */
static void test_errors_outside_the_app_carry_headers_and_shape(void **state)
{
    (void)state;
    const char *allow = "GET, HEAD, POST, PUT, DELETE";
    one_edge("TRACE", "/api/v1/products", NULL, NULL, 405, allow);
    one_edge("TRACE", "/", NULL, NULL, 405, allow);
    static char longpath[6000];
    memcpy(longpath, "/api/v1/", 8);
    memset(longpath + 8, 'a', 5000);
    one_edge("GET", longpath, NULL, NULL, 414, NULL);
    longpath[4] = 'x'; /* /apx/...: a page */
    one_edge("GET", longpath, NULL, NULL, 414, NULL);
    static char big[9300];
    snprintf(big, sizeof big, "X-Big: %09000d", 0);
    const char *hdrs[] = {big, NULL};
    one_edge("GET", "/api/v1/products", hdrs, NULL, 431, NULL);
    one_edge("GET", "/account/signin", hdrs, NULL, 431, NULL);
    const char *huge[] = {"Content-Length: 3000000", "X-Requested-With: stampede", NULL};
    one_edge("POST", "/api/v1/cart/items", huge, "{}", 413, NULL);
    /* and the app's own answers and static files through HAProxy */
    struct resp r;
    assert_int_equal(client_get(C, stack_url(&S, "/"), &r), 0);
    assert_edge_headers(&r, "GET /");
    resp_free(&r);
}

/* raw_exchange: bytes sent as they are to 127.0.0.1:port (what curl will not send), the answer
 * read until the server closes, split into r (free with resp_free) */
static void raw_exchange(int port, const char *request, struct resp *r)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    size_t len = strlen(request);
    assert_int_equal(write(fd, request, len), (ssize_t)len);
    static char in[65536];
    size_t got = 0;
    for (ssize_t n; got < sizeof in - 1 && (n = read(fd, in + got, sizeof in - 1 - got)) > 0;)
        got += (size_t)n;
    close(fd);
    in[got] = '\0';
    memset(r, 0, sizeof *r);
    const char *end = strstr(in, "\r\n\r\n");
    if (!end || strncmp(in, "HTTP/1.1 ", 9) != 0)
        fail_msg("port %d: not an HTTP answer: %.200s", port, in);
    r->status = strtol(in + 9, NULL, 10);
    r->headers_len = (size_t)(end - in) + 2;
    r->headers = strndup(in, r->headers_len);
    r->body = strdup(end + 4);
    r->body_len = strlen(r->body);
}

/* assert_node_headers: nginx's own answer straight from a node (not through HAProxy, so
 * nginx's Server header is still there): the security headers and a body of ours */
static void assert_node_headers(const struct resp *r, const char *what)
{
    static const char *const names[] = {"Content-Security-Policy", "X-Content-Type-Options",
                                        "X-Frame-Options",         "Cross-Origin-Opener-Policy",
                                        "Permissions-Policy",      "Referrer-Policy"};
    char v[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!resp_header(r, names[i], v, sizeof v))
            fail_msg("%s: no %s header in:\n%s", what, names[i], r->headers);
    if (resp_contains(r, "nginx"))
        fail_msg("%s: the body names the software: %.300s", what, r->body);
}

/*
 * Review finding 9, continued: nginx's own 400 (a request it cannot parse) and 405 (a method a
 * static file does not take), and a 404 for a static file that is not there, carry the
 * security headers, say nothing of nginx and, under /api, are the JSON error shape.
 */
static void test_nginx_errors_carry_headers_and_shape(void **state)
{
    (void)state;
    /* through HAProxy: requests it passes on and nginx refuses */
    const char *no_host[] = {"Host:", NULL}; /* HTTP/1.1 without Host */
    one_edge("GET", "/api/v1/products", no_host, NULL, 400, NULL);
    one_edge("GET", "/account/signin", no_host, NULL, 400, NULL);
    /* a lower-case method: nginx cannot parse the line, so cannot tell an API call (HAProxy
     * can) */
    one_edge("get", "/api/v1/products", NULL, NULL, 400, NULL);
    one_edge("get", "/account/signin", NULL, NULL, 400, NULL);

    /* straight to a node: a malformed request line, and a duplicate Host under /api */
    struct resp r;
    raw_exchange(S.nginx_port[0], "GARBAGE\r\n\r\n", &r);
    assert_int_equal(r.status, 400);
    char v[256];
    assert_true(resp_header(&r, "Content-Type", v, sizeof v));
    assert_non_null(strstr(v, "text/html"));
    assert_node_headers(&r, "GARBAGE to a node");
    resp_free(&r);
    raw_exchange(S.nginx_port[0],
                 "GET /api/v1/products HTTP/1.1\r\nHost: a\r\nHost: b\r\n"
                 "Connection: close\r\n\r\n",
                 &r);
    assert_int_equal(r.status, 400);
    assert_true(resp_header(&r, "Content-Type", v, sizeof v));
    assert_non_null(strstr(v, "application/json"));
    assert_non_null(strstr(r.body, "{\"error\":{\"code\":\"bad_request\""));
    assert_node_headers(&r, "two Host headers to a node");
    resp_free(&r);

    /* 405 other than TRACE: nginx's for a static file, the app's under /api */
    assert_int_equal(client_get(C, stack_url(&S, "/"), &r), 0);
    const char *css = strstr(r.body, "/static/css/site.");
    assert_non_null(css);
    char path[256];
    snprintf(path, sizeof path, "%.*s", (int)strcspn(css, "\""), css);
    resp_free(&r);
    const char *allow = "GET, HEAD, POST, PUT, DELETE";
    one_edge("POST", path, NULL, "{}", 405, allow);
    one_edge("DELETE", path, NULL, NULL, 405, allow);
    one_edge("PROPFIND", "/api/v1/products", NULL, NULL, 405, "GET, HEAD");
    one_edge("PATCH", "/api/v1/products", NULL, "{}", 405, "GET, HEAD");

    /* a static file or an upload that is not there */
    one_edge("GET", "/static/css/no-such-file.css", NULL, NULL, 404, NULL);
    one_edge("GET", "/uploads/p-0000.png", NULL, NULL, 404, NULL);
}

/* Review finding 8: a client's own X-Forwarded-Proto made cookies Secure and sent HSTS over
 * plain HTTP. HAProxy sets the header itself. */
static void test_a_client_cannot_claim_https(void **state)
{
    (void)state;
    const char *hdrs[] = {"X-Forwarded-Proto: https", "Forwarded: proto=https", NULL};
    struct resp r;
    struct client *c = client_new();
    assert_int_equal(
        client_request(c, "GET", stack_url(&S, "/account/signin"), NULL, NULL, hdrs, &r), 0);
    assert_int_equal(r.status, 200);
    char v[256];
    assert_false(resp_header(&r, "Strict-Transport-Security", v, sizeof v));
    assert_true(resp_header(&r, "Set-Cookie", v, sizeof v)); /* the anonymous CSRF cookie */
    assert_null(strstr(v, "Secure"));
    resp_free(&r);
    client_free(c);
}

/* Review finding 11: X-Request-Id carried the client's address and port and HAProxy's pid. */
static void test_request_ids_are_opaque(void **state)
{
    (void)state;
    char seen[3][64];
    for (int i = 0; i < 3; i++) {
        const char *hdrs[] = {"X-Request-Id: chosen-by-the-client", NULL};
        struct resp r;
        assert_int_equal(client_request(C, "GET", stack_url(&S, "/healthz"), NULL, NULL, hdrs, &r),
                         0);
        assert_true(resp_header(&r, "X-Request-Id", seen[i], sizeof seen[i]));
        resp_free(&r);
        /* a random UUID: 8-4-4-4-12 hex, version 4 */
        assert_int_equal(strlen(seen[i]), 36);
        assert_true(seen[i][8] == '-' && seen[i][13] == '-' && seen[i][14] == '4');
        assert_null(strstr(seen[i], "7F000001")); /* 127.0.0.1 in hex, as before */
        assert_null(strstr(seen[i], "chosen"));
        for (int j = 0; j < i; j++)
            assert_string_not_equal(seen[i], seen[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_home_lists_products_and_sold_out),
        cmocka_unit_test(test_product_page_shows_sizes_and_live_availability),
        cmocka_unit_test(test_products_api_shapes),
        cmocka_unit_test(test_errors_are_pages_for_browsers_and_json_for_api),
        cmocka_unit_test(test_bad_input_is_a_clear_400),
        cmocka_unit_test(test_static_assets_are_fingerprinted_and_immutable),
        cmocka_unit_test(test_head_health_and_metrics_not_public),
        cmocka_unit_test(test_rate_limit_per_client_address),
        cmocka_unit_test(test_health_checks_are_never_rate_limited),
        cmocka_unit_test(test_errors_outside_the_app_carry_headers_and_shape),
        cmocka_unit_test(test_nginx_errors_carry_headers_and_shape),
        cmocka_unit_test(test_a_client_cannot_claim_https),
        cmocka_unit_test(test_request_ids_are_opaque),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
