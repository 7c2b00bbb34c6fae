/*
 * Integration: liveness, readiness and load balancing.
 *  - /readyz goes 503 when the database stops and back to 200 when it returns; /healthz
 *    stays 200 (liveness never depends on the database).
 *  - After the database restarts, every worker's old connection is dead: the first write
 *    each worker runs (a sign-up, outside any transaction) still succeeds.
 *  - A node that starts draining (SIGTERM) answers /readyz 503 at once while still serving,
 *    HAProxy takes it out, every request lands on the other node, and the node comes back
 *    after `stampede up`.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
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

static void test_liveness_and_readiness_follow_the_database(void **state)
{
    (void)state;
    assert_int_equal(status_of(node_url(&S, 0, "/readyz")), 200);
    assert_int_equal(status_of(node_url(&S, 1, "/readyz")), 200);
    assert_true(wait_until(both_up, NULL, 10000));

    int pid = stack_pid(&S, "run/mariadb-primary.pid");
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGTERM), 0);
    assert_true(wait_until(pid_gone, &pid, 60000));

    struct probe node_ready = {node_url(&S, 0, "/readyz"), 503};
    assert_true(wait_until(status_is, &node_ready, 10000));
    struct resp r;
    assert_int_equal(client_get(C, node_url(&S, 0, "/readyz"), &r), 0);
    cJSON *j = resp_json(&r);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItem(j, "database")->valuestring, "down");
    assert_string_equal(cJSON_GetObjectItem(j, "status")->valuestring, "not_ready");
    cJSON_Delete(j);
    resp_free(&r);
    /* liveness does not depend on the database */
    assert_int_equal(status_of(node_url(&S, 0, "/healthz")), 200);
    /* a shopper's session cannot be checked: "try again" (503), never "sign in again" (401) */
    const char *cookie[] = {"Cookie: stampede_sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                            NULL};
    assert_int_equal(
        client_request(C, "GET", node_url(&S, 0, "/api/v1/orders"), NULL, NULL, cookie, &r), 0);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.body, "service_unavailable"));
    char retry[16];
    assert_true(resp_header(&r, "Retry-After", retry, sizeof retry));
    resp_free(&r);
    /* HAProxy takes both nodes out (a few failed checks; until then a node may still answer
     * cached pages) and then has no ready node left: its own 503, never a hang or a 200 */
    struct probe lb = {stack_url(&S, "/readyz"), 503};
    assert_true(wait_until(status_is, &lb, 10000));
    assert_true(wait_until(both_down, NULL, 15000));
    long home = status_of(stack_url(&S, "/"));
    assert_int_equal(home, 503);

    assert_int_equal(stack_run(&S, "./stampede up >/dev/null"), 0);
    struct probe back = {node_url(&S, 0, "/readyz"), 200};
    assert_true(wait_until(status_is, &back, 30000));
    assert_true(wait_until(both_up, NULL, 15000));
    assert_int_equal(status_of(stack_url(&S, "/")), 200);
    signups_after_restart();
}

static const char *node_of(const char *url)
{
    static char node[32];
    struct resp r;
    node[0] = '\0';
    if (client_get(C, url, &r) == 0 && r.status == 200) {
        cJSON *j = resp_json(&r);
        cJSON *n = j ? cJSON_GetObjectItem(j, "node") : NULL;
        if (cJSON_IsString(n))
            snprintf(node, sizeof node, "%s", n->valuestring);
        cJSON_Delete(j);
    }
    resp_free(&r);
    return node;
}

static void test_haproxy_stops_routing_to_a_draining_node(void **state)
{
    (void)state;
    assert_true(wait_until(both_up, NULL, 10000));
    /* both nodes take traffic */
    int seen1 = 0, seen2 = 0;
    for (int i = 0; i < 20; i++) {
        const char *n = node_of(stack_url(&S, "/healthz"));
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
        const char *n = node_of(stack_url(&S, "/healthz"));
        if (strcmp(n, "web2") != 0)
            fail_msg("request %d went to '%s' after web1 was taken out", i, n);
    }
    assert_true(wait_until(pid_gone, &pid, 30000));
    /* no request through HAProxy fails while web1 is gone */
    for (int i = 0; i < 20; i++)
        assert_int_equal(status_of(stack_url(&S, "/")), 200);

    assert_int_equal(stack_run(&S, "./stampede up >/dev/null"), 0);
    assert_true(wait_until(both_up, NULL, 15000));
    seen1 = 0;
    for (int i = 0; i < 20 && !seen1; i++)
        seen1 += strcmp(node_of(stack_url(&S, "/healthz")), "web1") == 0;
    assert_true(seen1 > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_liveness_and_readiness_follow_the_database),
        cmocka_unit_test(test_haproxy_stops_routing_to_a_draining_node),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
