/*
 * Integration: liveness, readiness and load balancing.
 *  - The primary killed with SIGKILL under page load: not one page view fails (pages come
 *    from the cache and the replica through the proxy), nodes stay ready (readiness reports
 *    the primary down), a signed-in shopper keeps browsing (orders, cart), every kind of write
 *    (sign-up, sign-in, cart, the checkout API and the checkout form) fails at once with 503
 *    read_only (JSON, or an HTML page saying to try again), and writes work again within
 *    seconds of the primary's return.
 *  - No database at all (primary and replica stopped): /readyz goes 503, HAProxy takes the
 *    nodes out, and everything returns with the databases; /healthz stays 200 throughout
 *    (liveness never depends on the database).
 *  - After the database restarts, every worker's old connection is dead: the first write
 *    each worker runs (a sign-up, outside any transaction) still succeeds.
 *  - A node that starts draining (SIGTERM) answers /readyz 503 at once while still serving,
 *    HAProxy takes it out, every request lands on the other node, and the node comes back
 *    after `stampede up`.
 */
#include "harness.h"
#include "pay.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static struct stack S;
static struct client *C;

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    C = client_new();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    client_free(C);
    return 0;
}

static long status_of(const char *url)
{
    struct resp r;
    long st = client_get(C, url, &r) == 0 ? r.status : -1;
    resp_free(&r);
    return st;
}

static bool server_is(const char *name, const char *want)
{
    char st[64];
    stack_haproxy_stat(&S, name, "status", st, sizeof st);
    return strncmp(st, want, strlen(want)) == 0;
}

struct probe {
    const char *url;
    long want;
};

static bool status_is(void *arg)
{
    struct probe *p = arg;
    return status_of(p->url) == p->want;
}

static bool web1_down(void *arg)
{
    (void)arg;
    return server_is("web1", "DOWN");
}

static bool both_up(void *arg)
{
    (void)arg;
    return server_is("web1", "UP") && server_is("web2", "UP");
}

static bool both_down(void *arg)
{
    (void)arg;
    return server_is("web1", "DOWN") && server_is("web2", "DOWN");
}

static bool pid_gone(void *arg)
{
    int pid = *(int *)arg;
    return kill(pid, 0) != 0;
}

/*
 * 64 concurrent sign-ups, more than the stack's 32 worker threads, so every worker's first
 * statement after the restart is likely a write outside a transaction on a connection whose
 * server went away: each must end 201 (after "busy, retry" answers from the password
 * bulkhead, retried as a client would), and each account must exist once.
 */
#define SIGNUPS 64
static void signups_after_restart(void)
{
    static struct hreq r[SIGNUPS];
    char tag[16];
    snprintf(tag, sizeof tag, "%08x", (unsigned)randombytes_random());
    memset(r, 0, sizeof r);
    for (int i = 0; i < SIGNUPS; i++) {
        r[i].method = "POST";
        snprintf(r[i].url, sizeof r[i].url, "%s", stack_url(&S, "/api/v1/accounts"));
        r[i].ctype = "application/json";
        r[i].body = malloc(256);
        snprintf(r[i].body, 256,
                 "{\"email\":\"restart-%s-%d@health.test.stampede\",\"password\":"
                 "\"a long restart test passphrase 7\",\"name\":\"Restart\"}",
                 tag, i);
        snprintf(r[i].hdr[0], sizeof r[i].hdr[0], "X-Requested-With: stampede");
    }
    /* more at once than the password bulkhead admits: the busy ones try again (a 503 with
     * auth_busy is the shop's "retry in a moment", not a failure of the restart) */
    http_parallel_until_served(r, SIGNUPS, SIGNUPS, 60);
    int ok = 0;
    for (int i = 0; i < SIGNUPS; i++) {
        if (r[i].status == 201)
            ok++;
        else
            print_error("sign-up %d after the restart: %ld %s\n", i, r[i].status,
                        r[i].out ? r[i].out : "");
        free(r[i].body);
        hreq_free(&r[i]);
    }
    assert_int_equal(ok, SIGNUPS);
    MYSQL *db = stack_db(&S, 0);
    assert_int_equal(db_scalar(db,
                               "SELECT COUNT(*) FROM accounts WHERE email LIKE "
                               "'restart-%s-%%@health.test.stampede'",
                               tag),
                     SIGNUPS);
    mysql_close(db);
}

struct page_load {
    pthread_t t;
    atomic_bool stop;
    char urls[3][256];
    long ok, failed;
    char last[200];
};

static void *page_loop(void *arg)
{
    struct page_load *L = arg;
    static struct hreq r[24];
    while (!atomic_load(&L->stop)) {
        memset(r, 0, sizeof r);
        for (int i = 0; i < 24; i++) {
            r[i].method = "GET";
            snprintf(r[i].url, sizeof r[i].url, "%s", L->urls[i % 3]);
        }
        http_parallel(r, 24, 8);
        for (int i = 0; i < 24; i++) {
            if (r[i].status == 200) {
                L->ok++;
            } else {
                L->failed++;
                snprintf(L->last, sizeof L->last, "%s: %ld %.120s", r[i].url, r[i].status,
                         r[i].out ? r[i].out : "");
            }
            hreq_free(&r[i]);
        }
    }
    return NULL;
}

static const char *json_str(const char *url, const char *key)
{
    static char out[64];
    out[0] = '\0';
    struct resp r;
    if (client_get(C, url, &r) == 0) {
        cJSON *j = resp_json(&r);
        cJSON *v = j ? cJSON_GetObjectItem(j, key) : NULL;
        if (cJSON_IsString(v))
            snprintf(out, sizeof out, "%s", v->valuestring);
        cJSON_Delete(j);
    }
    resp_free(&r);
    return out;
}

static bool primary_down_in_proxy(void *arg)
{
    (void)arg;
    char st[32];
    return stack_proxy_server_state(&S, "primary", st, sizeof st) && strcmp(st, "down") == 0;
}

static bool primary_up_in_readyz(void *arg)
{
    (void)arg;
    return strcmp(json_str(node_url(&S, 0, "/readyz"), "primary"), "up") == 0;
}

static bool primary_down_in_readyz(void *arg)
{
    (void)arg;
    return strcmp(json_str(node_url(&S, 0, "/readyz"), "primary"), "down") == 0;
}

static long signup(const char *email, char *body_out, size_t n, double *seconds)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"email\":\"%s\",\"password\":\"a long outage passphrase 9\",\"name\":\"O\"}",
             email);
    const char *h[] = {"X-Requested-With: stampede", NULL};
    struct resp r;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long st = client_request(C, "POST", stack_url(&S, "/api/v1/accounts"), "application/json", body,
                             h, &r) == 0
                  ? r.status
                  : -1;
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (seconds)
        *seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    if (body_out)
        snprintf(body_out, n, "%s", r.body ? r.body : "");
    resp_free(&r);
    return st;
}

/* A signed-in shopper with an address and a pair in the cart, made while the primary is up,
 * to try every kind of write while it is down; csrf: the cart page's form token. */
static void shopper_ready(struct shopper *sh, char *csrf, size_t n)
{
    MYSQL *db = stack_db(&S, 0);
    shopper_new(&S, db, "outage", sh);
    long long sku = sku_new(db, "outage", 5, 100000);
    mysql_close(db);
    char body[96];
    snprintf(body, sizeof body, "{\"sku_id\":%lld,\"quantity\":1}", sku);
    struct resp r;
    assert_int_equal(shopper_request(&S, sh, "POST", "/api/v1/cart/items", body, &r), 200);
    resp_free(&r);
    assert_int_equal(shopper_request(&S, sh, "GET", "/cart", NULL, &r), 200);
    const char *v = r.body ? strstr(r.body, "name=\"csrf\" value=\"") : NULL;
    assert_non_null(v);
    v += strlen("name=\"csrf\" value=\"");
    size_t len = strcspn(v, "\"");
    assert_true(len > 0 && len < n);
    snprintf(csrf, n, "%.*s", (int)len, v);
    resp_free(&r);
}

/*
 * With the primary down: the signed-in shopper keeps browsing (order history, cart, who am I)
 * and every kind of write answers at once with "try again in a moment": sign-in, the cart, the
 * checkout form (an HTML page, with Retry-After) and the checkout API (JSON read_only).
 */
static void shopper_during_outage(const struct shopper *sh, const char *csrf)
{
    static const char *reads[] = {"/api/v1/orders", "/orders", "/cart", "/api/v1/session",
                                  "/api/v1/cart"};
    struct resp r;
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        long st = shopper_request(&S, sh, "GET", reads[i], NULL, &r);
        if (st != 200)
            fail_msg("GET %s with the primary down: %ld %.200s", reads[i], st,
                     r.body ? r.body : "");
        resp_free(&r);
    }
    char body[256];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"%s\"}", sh->email,
             TEST_SHOPPER_PASSWORD);
    struct {
        const char *method, *path, *ctype;
        const char *body;
        bool html;
    } writes[] = {
        {"POST", "/api/v1/session", "application/json", body, false},
        {"POST", "/api/v1/cart/items", "application/json", "{\"sku_id\":1,\"quantity\":0}", false},
        {"POST", "/api/v1/checkout", "application/json", "{}", false},
        {"POST", "/checkout", "application/x-www-form-urlencoded", NULL, true},
    };
    char form[300];
    snprintf(form, sizeof form, "csrf=%s&idempotency_key=outage-%08x%08x", csrf,
             (unsigned)randombytes_random(), (unsigned)randombytes_random());
    writes[3].body = form;
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        char key[64], retry[16], ctype[64], cookie[160];
        snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", sh->sid);
        snprintf(key, sizeof key, "Idempotency-Key: outage-%08x%08x",
                 (unsigned)randombytes_random(), (unsigned)randombytes_random());
        const char *h[] = {cookie, "X-Requested-With: stampede", key, NULL};
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        assert_int_equal(client_request(C, writes[i].method, stack_url(&S, writes[i].path),
                                        writes[i].ctype, writes[i].body, h, &r),
                         0);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        print_message("%s %s with the primary down: %ld in %.3f s\n", writes[i].method,
                      writes[i].path, r.status, took);
        if (r.status != 503)
            fail_msg("%s %s: %ld %.200s", writes[i].method, writes[i].path, r.status,
                     r.body ? r.body : "");
        assert_true(took < 1.0);
        assert_true(resp_header(&r, "Retry-After", retry, sizeof retry));
        assert_true(resp_header(&r, "Content-Type", ctype, sizeof ctype));
        if (writes[i].html) {
            assert_non_null(strstr(ctype, "text/html"));
            assert_true(resp_contains(&r, "try again in a moment"));
        } else {
            assert_non_null(strstr(ctype, "application/json"));
            assert_true(resp_contains(&r, "\"read_only\""));
        }
        resp_free(&r);
    }
}

static void test_primary_killed_under_page_load(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 10000));
    /* a product page and the API listing, besides the home page */
    struct resp r;
    assert_int_equal(client_get(C, stack_url(&S, "/api/v1/products"), &r), 0);
    cJSON *j = resp_json(&r);
    cJSON *items = j ? cJSON_GetObjectItem(j, "products") : NULL;
    cJSON *first = cJSON_GetArrayItem(items, 0);
    cJSON *slug = first ? cJSON_GetObjectItem(first, "slug") : NULL;
    assert_true(cJSON_IsString(slug));
    static struct page_load L;
    memset(&L, 0, sizeof L);
    snprintf(L.urls[0], sizeof L.urls[0], "%s", stack_url(&S, "/"));
    char path[200];
    snprintf(path, sizeof path, "/products/%s", slug->valuestring);
    snprintf(L.urls[1], sizeof L.urls[1], "%s", stack_url(&S, path));
    snprintf(L.urls[2], sizeof L.urls[2], "%s", stack_url(&S, "/api/v1/products"));
    cJSON_Delete(j);
    resp_free(&r);
    static struct shopper sh;
    static char csrf[128];
    shopper_ready(&sh, csrf, sizeof csrf);

    pthread_create(&L.t, NULL, page_loop, &L);
    usleep(1000 * 1000);
    int pid = stack_pid(&S, "run/mariadb-primary.pid");
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_true(wait_until(primary_down_in_proxy, NULL, 5000));
    /* the node stays ready and says why it is degraded (readiness is cached per thread for
     * readyz.interval, so every thread's answer turns within it) */
    assert_true(wait_until(primary_down_in_readyz, NULL, 5000));
    assert_int_equal(status_of(node_url(&S, 0, "/readyz")), 200);
    assert_string_equal(json_str(node_url(&S, 0, "/readyz"), "database"), "up");
    /* a write fails fast and says so */
    char body[400], email[80];
    double took = 0;
    snprintf(email, sizeof email, "outage-%08x@health.test.stampede",
             (unsigned)randombytes_random());
    assert_int_equal(signup(email, body, sizeof body, &took), 503);
    assert_non_null(strstr(body, "\"read_only\""));
    assert_true(took < 1.0);
    shopper_during_outage(&sh, csrf);
    usleep(3000 * 1000); /* pages keep coming for a while with the primary gone */
    atomic_store(&L.stop, true);
    pthread_join(L.t, NULL);
    print_message("page views around the primary kill: %ld ok, %ld failed\n", L.ok, L.failed);
    if (L.failed)
        fail_msg("%ld page views failed; last: %s", L.failed, L.last);
    assert_true(L.ok > 100);
    assert_true(both_up(NULL)); /* HAProxy never took a node out */

    /* the primary returns: writes resume within seconds */
    assert_int_equal(stack_run(&S, "./stampede up >/dev/null"), 0);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long st = 0;
    for (int i = 0; i < 100 && st != 201; i++) {
        snprintf(email, sizeof email, "back-%08x@health.test.stampede",
                 (unsigned)randombytes_random());
        st = signup(email, NULL, 0, NULL);
        if (st != 201)
            usleep(100 * 1000);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    print_message("first write after the primary's return: %.2f s\n",
                  (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9);
    assert_int_equal(st, 201);
    assert_true(wait_until(primary_up_in_readyz, NULL, 5000));
    signups_after_restart();
}

static void test_no_database_makes_nodes_unready(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 10000));
    int pids[2] = {stack_pid(&S, "run/mariadb-primary.pid"),
                   stack_pid(&S, "run/mariadb-replica.pid")};
    for (int i = 0; i < 2; i++) {
        assert_true(pids[i] > 0);
        assert_int_equal(kill(pids[i], SIGTERM), 0);
    }
    for (int i = 0; i < 2; i++)
        assert_true(wait_until(pid_gone, &pids[i], 60000));

    struct probe node_ready = {node_url(&S, 0, "/readyz"), 503};
    assert_true(wait_until(status_is, &node_ready, 10000));
    assert_string_equal(json_str(node_url(&S, 0, "/readyz"), "database"), "down");
    assert_string_equal(json_str(node_url(&S, 0, "/readyz"), "status"), "not_ready");
    /* liveness does not depend on the database */
    assert_int_equal(status_of(node_url(&S, 0, "/healthz")), 200);
    /* a shopper's session cannot be checked: "try again" (503), never "sign in again" (401) */
    struct resp r;
    const char *cookie[] = {"Cookie: stampede_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            NULL};
    assert_int_equal(
        client_request(C, "GET", node_url(&S, 0, "/api/v1/orders"), NULL, NULL, cookie, &r), 0);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "service_unavailable"));
    char retry[16];
    assert_true(resp_header(&r, "Retry-After", retry, sizeof retry));
    resp_free(&r);
    /* HAProxy takes both nodes out and has no ready node left: its own 503, never a hang */
    struct probe lb = {stack_url(&S, "/readyz"), 503};
    assert_true(wait_until(status_is, &lb, 10000));
    assert_true(wait_until(both_down, NULL, 15000));
    assert_int_equal(status_of(stack_url(&S, "/")), 503);

    assert_int_equal(stack_run(&S, "./stampede up >/dev/null"), 0);
    struct probe back = {node_url(&S, 0, "/readyz"), 200};
    assert_true(wait_until(status_is, &back, 30000));
    assert_true(wait_until(both_up, NULL, 15000));
    assert_int_equal(status_of(stack_url(&S, "/")), 200);
    signups_after_restart();
}

static bool web1_serves(void *arg)
{
    (void)arg;
    return strcmp(stack_served_by(&S, C), "web1") == 0;
}

static void test_haproxy_stops_routing_to_a_draining_node(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 10000));
    /* both nodes take traffic */
    int seen1 = 0, seen2 = 0;
    for (int i = 0; i < 20; i++) {
        const char *n = stack_served_by(&S, C);
        seen1 += strcmp(n, "web1") == 0;
        seen2 += strcmp(n, "web2") == 0;
    }
    assert_true(seen1 > 0 && seen2 > 0);

    int pid = stack_pid(&S, "run/web1-app.pid");
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGTERM), 0);
    /* readiness turns 503 at once, while the node keeps serving pages during the drain */
    struct probe draining = {node_url(&S, 0, "/readyz"), 503};
    assert_true(wait_until(status_is, &draining, 1000));
    assert_int_equal(status_of(node_url(&S, 0, "/")), 200);
    assert_true(wait_until(web1_down, NULL, 10000));
    for (int i = 0; i < 40; i++) {
        const char *n = stack_served_by(&S, C);
        if (strcmp(n, "web2") != 0)
            fail_msg("request %d went to '%s' after web1 was taken out", i, n);
    }
    assert_true(wait_until(pid_gone, &pid, 30000));
    /* no request through HAProxy fails while web1 is gone */
    for (int i = 0; i < 20; i++)
        assert_int_equal(status_of(stack_url(&S, "/")), 200);

    assert_int_equal(stack_run(&S, "./stampede up >/dev/null"), 0);
    assert_true(wait_until(both_up, NULL, 15000));
    /* back in rotation; its share ramps up over HAProxy's slowstart (10 s) */
    assert_true(wait_until(web1_serves, NULL, 20000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primary_killed_under_page_load),
        cmocka_unit_test(test_no_database_makes_nodes_unready),
        cmocka_unit_test(test_haproxy_stops_routing_to_a_draining_node),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
