/*
 * stampede-dbproxy when servers lag, stop or die (issue 9, testing.md T2):
 *  - a replica kept deliberately behind (MASTER_DELAY): a session always reads its own writes
 *    (the proxy waits for its GTID, then uses the primary), while another session reads the
 *    replica at the replica's pace;
 *  - a replica whose SQL thread stops, or that lags past max_replication_lag, gets no reads
 *    and rejoins when healthy;
 *  - the replica killed with SIGKILL under read load: no read fails;
 *  - the proxy itself killed with SIGKILL under load and started again: the shop reconnects
 *    on its own and nothing it acknowledged is lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct stack S;

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    stack_test_account(&S);
    MYSQL *m = stack_proxy_db(&S, TEST_DB_USER, TEST_DB_PASSWORD, TEST_DB_NAME);
    if (mysql_query(m, "CREATE TABLE IF NOT EXISTS fo_t (id INT PRIMARY KEY AUTO_INCREMENT,"
                       " tag VARCHAR(40), KEY (tag))"))
        fail_msg("%s", mysql_error(m));
    mysql_close(m);
    /* other sessions read the replica at its own pace: the tests' first reads need the table
     * there (under load, after the sysbench runs of integration_dbproxy, it can lag) */
    stack_replica_sync(&S);
    return 0;
}

static MYSQL *proxy(void)
{
    return stack_proxy_db(&S, TEST_DB_USER, TEST_DB_PASSWORD, TEST_DB_NAME);
}

/* count_and_server: rows tagged tag, and the server that answered */
static void count_and_server(MYSQL *m, const char *tag, long long *n, long long *srv)
{
    char q[200];
    snprintf(q, sizeof q, "SELECT COUNT(*), @@server_id FROM fo_t WHERE tag = '%s'", tag);
    if (mysql_query(m, q))
        fail_msg("%s: %s", q, mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(r);
    *n = strtoll(row[0], NULL, 10);
    *srv = strtoll(row[1], NULL, 10);
    mysql_free_result(r);
}

static void replica_sql(const char *sql)
{
    MYSQL *r = stack_db(&S, 1);
    if (db_execf(r, "%s", sql))
        fail_msg("on the replica: %s: %s", sql, mysql_error(r));
    mysql_close(r);
}

struct state_probe {
    const char *server;
    const char *want;
};

static bool state_is(void *arg)
{
    struct state_probe *p = arg;
    char st[40];
    return stack_proxy_server_state(&S, p->server, st, sizeof st) && strcmp(st, p->want) == 0;
}

static void test_delayed_replica_read_your_writes(void **state)
{
    (void)state;
    harness_auto_sync(false);
    replica_sql("STOP SLAVE");
    replica_sql("CHANGE MASTER TO MASTER_DELAY = 3");
    replica_sql("START SLAVE");
    struct state_probe readable = {"replica", "readable"};
    assert_true(wait_until(state_is, &readable, 10000));
    MYSQL *a = proxy(), *b = proxy();
    char tag[40];
    snprintf(tag, sizeof tag, "ryw-%ld", (long)time(NULL));
    char q[200];
    snprintf(q, sizeof q, "INSERT INTO fo_t (tag) VALUES ('%s')", tag);
    double timeouts0 = stack_proxy_metric(&S, "stampede_dbproxy_causal_reads_total{result="
                                              "\"timeout\"}");
    if (mysql_query(a, q))
        fail_msg("%s", mysql_error(a));
    long long n, srv;
    /* the writer sees its row at once: the replica is 3 s behind, so after waiting for the
     * session's GTID (causal_reads_timeout) the read runs on the primary */
    count_and_server(a, tag, &n, &srv);
    assert_int_equal(n, 1);
    assert_int_equal(srv, 1);
    assert_true(stack_proxy_metric(&S, "stampede_dbproxy_causal_reads_total{result="
                                       "\"timeout\"}") > timeouts0);
    /* another session reads the replica as it is: not there yet */
    count_and_server(b, tag, &n, &srv);
    assert_int_equal(srv, 2);
    assert_int_equal(n, 0);
    /* ...and there once the replica caught up */
    for (int i = 0; i < 60 && n == 0; i++) {
        usleep(100 * 1000);
        count_and_server(b, tag, &n, &srv);
    }
    assert_int_equal(n, 1);
    assert_int_equal(srv, 2);
    /* the writer's next reads need no wait any more */
    count_and_server(a, tag, &n, &srv);
    assert_int_equal(n, 1);
    assert_int_equal(srv, 2);
    mysql_close(a);
    mysql_close(b);
    replica_sql("STOP SLAVE");
    replica_sql("CHANGE MASTER TO MASTER_DELAY = 0");
    replica_sql("START SLAVE");
    harness_auto_sync(true);
    stack_replica_sync(&S);
}

static void test_stopped_or_lagging_replica_is_skipped_and_rejoins(void **state)
{
    (void)state;
    harness_auto_sync(false);
    MYSQL *m = proxy();
    long long n, srv;
    struct state_probe readable = {"replica", "readable"}, unused = {"replica", "not in use"};
    assert_true(wait_until(state_is, &readable, 10000));
    count_and_server(m, "none", &n, &srv);
    assert_int_equal(srv, 2);
    /* SQL thread stopped: no reads there (a session's own writes could not be seen) */
    replica_sql("STOP SLAVE SQL_THREAD");
    /* at once, before the monitor has noticed: the session still reads its own write (the
     * causal wait times out and the read runs on the primary) */
    if (mysql_query(m, "INSERT INTO fo_t (tag) VALUES ('stopped-sql')"))
        fail_msg("%s", mysql_error(m));
    count_and_server(m, "stopped-sql", &n, &srv);
    assert_true(n >= 1);
    assert_int_equal(srv, 1);
    assert_true(wait_until(state_is, &unused, 5000));
    double nr0 = stack_proxy_metric(&S, "stampede_dbproxy_routed_total{target=\"primary\","
                                        "reason=\"no_replica\"}");
    for (int i = 0; i < 10; i++) {
        count_and_server(m, "none", &n, &srv);
        assert_int_equal(srv, 1);
    }
    assert_true(stack_proxy_metric(&S, "stampede_dbproxy_routed_total{target=\"primary\","
                                       "reason=\"no_replica\"}") >= nr0 + 10);
    replica_sql("START SLAVE SQL_THREAD");
    assert_true(wait_until(state_is, &readable, 10000));
    count_and_server(m, "none", &n, &srv);
    assert_int_equal(srv, 2);

    /* lagging past max_replication_lag (5 s): skipped until it catches up */
    replica_sql("STOP SLAVE");
    replica_sql("CHANGE MASTER TO MASTER_DELAY = 8");
    replica_sql("START SLAVE");
    if (mysql_query(m, "INSERT INTO fo_t (tag) VALUES ('lag')"))
        fail_msg("%s", mysql_error(m));
    assert_true(wait_until(state_is, &unused, 15000));
    MYSQL *other = proxy(); /* a session without writes: still the primary now */
    count_and_server(other, "none", &n, &srv);
    assert_int_equal(srv, 1);
    mysql_close(other);
    replica_sql("STOP SLAVE");
    replica_sql("CHANGE MASTER TO MASTER_DELAY = 0");
    replica_sql("START SLAVE");
    assert_true(wait_until(state_is, &readable, 15000));
    count_and_server(m, "none", &n, &srv);
    assert_int_equal(srv, 2);
    mysql_close(m);
    harness_auto_sync(true);
}

struct reader {
    pthread_t t;
    atomic_bool *stop;
    long ok, failed;
    char last_error[200];
};

static void *read_loop(void *arg)
{
    struct reader *r = arg;
    mysql_thread_init();
    MYSQL *m = mysql_init(NULL);
    unsigned t = 10;
    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &t);
    if (!mysql_real_connect(m, "127.0.0.1", TEST_DB_USER, TEST_DB_PASSWORD, TEST_DB_NAME,
                            (unsigned)S.dbproxy_port, NULL, 0)) {
        r->failed++;
        snprintf(r->last_error, sizeof r->last_error, "connect: %s", mysql_error(m));
        mysql_close(m);
        mysql_thread_end();
        return NULL;
    }
    MYSQL_STMT *st = mysql_stmt_init(m);
    const char *sql = "SELECT COUNT(*) FROM fo_t WHERE id > ?";
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)))
        r->failed++;
    long long id = 0, n = 0;
    MYSQL_BIND p, o;
    memset(&p, 0, sizeof p);
    memset(&o, 0, sizeof o);
    p.buffer_type = MYSQL_TYPE_LONGLONG;
    p.buffer = &id;
    o.buffer_type = MYSQL_TYPE_LONGLONG;
    o.buffer = &n;
    mysql_stmt_bind_param(st, &p);
    for (long i = 0; !atomic_load(r->stop); i++) {
        bool good;
        if (i % 2) {
            good = mysql_query(m, "SELECT COUNT(*) FROM fo_t") == 0;
            if (good) {
                MYSQL_RES *res = mysql_store_result(m);
                good = res != NULL;
                if (res)
                    mysql_free_result(res);
            }
        } else {
            good = mysql_stmt_execute(st) == 0 && mysql_stmt_bind_result(st, &o) == 0 &&
                   mysql_stmt_store_result(st) == 0 && mysql_stmt_fetch(st) == 0;
            mysql_stmt_free_result(st);
        }
        if (good) {
            r->ok++;
        } else {
            r->failed++;
            snprintf(r->last_error, sizeof r->last_error, "%u %s",
                     mysql_errno(m) ? mysql_errno(m) : mysql_stmt_errno(st),
                     mysql_errno(m) ? mysql_error(m) : mysql_stmt_error(st));
        }
    }
    mysql_stmt_close(st);
    mysql_close(m);
    mysql_thread_end();
    return NULL;
}

#define READERS 8

static void test_replica_killed_under_read_load(void **state)
{
    (void)state;
    harness_auto_sync(false);
    atomic_bool stop = false;
    struct reader r[READERS];
    memset(r, 0, sizeof r);
    for (int i = 0; i < READERS; i++) {
        r[i].stop = &stop;
        pthread_create(&r[i].t, NULL, read_loop, &r[i]);
    }
    usleep(1000 * 1000);
    int pid = stack_pid(&S, "run/mariadb-replica.pid");
    assert_true(pid > 0);
    double retried0 = stack_proxy_metric(&S, "stampede_dbproxy_reads_retried_total");
    assert_int_equal(kill(pid, SIGKILL), 0);
    usleep(2000 * 1000);
    atomic_store(&stop, true);
    long ok = 0, failed = 0;
    for (int i = 0; i < READERS; i++) {
        pthread_join(r[i].t, NULL);
        ok += r[i].ok;
        failed += r[i].failed;
        if (r[i].failed)
            print_message("reader %d: %ld failed, last: %s\n", i, r[i].failed, r[i].last_error);
    }
    print_message("reads while the replica was killed: %ld ok, %ld failed, %.0f retried\n", ok,
                  failed,
                  stack_proxy_metric(&S, "stampede_dbproxy_reads_retried_total") - retried0);
    assert_int_equal(failed, 0);
    assert_true(ok > 1000);
    /* back: the replica rejoins and takes reads again */
    assert_int_equal(stack_run(&S, "./stampede up >/dev/null 2>&1"), 0);
    struct state_probe readable = {"replica", "readable"};
    assert_true(wait_until(state_is, &readable, 30000));
    MYSQL *m = proxy();
    long long n, srv;
    count_and_server(m, "none", &n, &srv);
    assert_int_equal(srv, 2);
    mysql_close(m);
    harness_auto_sync(true);
}

struct signer {
    pthread_t t;
    atomic_bool *stop;
    int id;
    int ok, busy, other;
    char emails[400][64];
    int nemails;
    char last[200];
};

static void *signup_loop(void *arg)
{
    struct signer *g = arg;
    struct client *c = client_new();
    for (int i = 0; !atomic_load(g->stop) && g->nemails < 400; i++) {
        char email[64], body[256];
        snprintf(email, sizeof email, "proxykill-%d-%d-%ld@test.stampede", g->id, i,
                 (long)time(NULL));
        snprintf(body, sizeof body,
                 "{\"email\":\"%s\",\"password\":\"a long proxy kill passphrase\",\"name\":\"K\"}",
                 email);
        const char *h[] = {"X-Requested-With: stampede", NULL};
        struct resp r;
        if (client_request(c, "POST", stack_url(&S, "/api/v1/accounts"), "application/json", body,
                           h, &r) != 0) {
            g->other++;
            snprintf(g->last, sizeof g->last, "transport error");
            continue;
        }
        if (r.status == 201) {
            g->ok++;
            snprintf(g->emails[g->nemails++], 64, "%s", email);
        } else if (r.status == 503) {
            g->busy++; /* "try again in a moment": the database endpoint was away */
            usleep(50 * 1000);
        } else {
            g->other++;
            snprintf(g->last, sizeof g->last, "%ld %.150s", r.status, r.body ? r.body : "");
        }
        resp_free(&r);
    }
    client_free(c);
    return NULL;
}

static void test_proxy_killed_and_restarted_under_load(void **state)
{
    (void)state;
    atomic_bool stop = false;
    static struct signer g[4];
    memset(g, 0, sizeof g);
    for (int i = 0; i < 4; i++) {
        g[i].stop = &stop;
        g[i].id = i;
        pthread_create(&g[i].t, NULL, signup_loop, &g[i]);
    }
    usleep(1500 * 1000);
    int pid = stack_pid(&S, "run/dbproxy.pid");
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
    usleep(500 * 1000);
    assert_int_equal(stack_run(&S, "./stampede up >/dev/null 2>&1"), 0);
    usleep(2000 * 1000);
    atomic_store(&stop, true);
    int ok = 0, busy = 0, other = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(g[i].t, NULL);
        ok += g[i].ok;
        busy += g[i].busy;
        other += g[i].other;
        if (g[i].other)
            print_message("signer %d: %d unexpected, last: %s\n", i, g[i].other, g[i].last);
    }
    print_message("sign-ups around a proxy kill: %d created, %d try-again, %d other\n", ok, busy,
                  other);
    assert_int_equal(other, 0);
    assert_true(ok > 0);
    /* every acknowledged account exists */
    MYSQL *db = stack_db(&S, 0);
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < g[i].nemails; k++)
            assert_int_equal(
                db_scalar(db, "SELECT COUNT(*) FROM accounts WHERE email = '%s'", g[i].emails[k]),
                1);
    mysql_close(db);
    /* and the shop takes writes again through the new proxy */
    struct client *c = client_new();
    struct resp r;
    const char *h[] = {"X-Requested-With: stampede", NULL};
    char body[256];
    snprintf(body, sizeof body,
             "{\"email\":\"after-proxy-%ld@test.stampede\",\"password\":\"a long proxy kill "
             "passphrase\",\"name\":\"K\"}",
             (long)time(NULL));
    assert_int_equal(client_request(c, "POST", stack_url(&S, "/api/v1/accounts"),
                                    "application/json", body, h, &r),
                     0);
    assert_int_equal(r.status, 201);
    resp_free(&r);
    client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delayed_replica_read_your_writes),
        cmocka_unit_test(test_stopped_or_lagging_replica_is_skipped_and_rejoins),
        cmocka_unit_test(test_replica_killed_under_read_load),
        cmocka_unit_test(test_proxy_killed_and_restarted_under_load),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
