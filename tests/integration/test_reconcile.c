/*
 * Integration: reconcile-payments against the stampede-psp sandbox on the private stack.
 *
 * Abnormal payments are made for real — orders through the shop, money through the
 * sandbox's API as a gateway dashboard, a second tab or a lost answer would — with the
 * sandbox's webhooks switched off while seeding, so that only the batch can find them. The
 * scheduler is stopped for the duration (it would otherwise settle them first) and started
 * again at the end. Then:
 *   - one run settles every case deterministically (refund, mark paid, cancel, or flag);
 *   - a second run changes nothing;
 *   - two runs started together: one acts;
 *   - a run killed with SIGKILL mid-way and started again finishes with no double refund;
 *   - an admin resolves what was flagged for a person.
 * Every test ends with I1 and I5.
 */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PRICE 120000

static struct stack S;
static MYSQL *DB;
static struct shopper A;

static void stop_scheduler(void)
{
    int pid = stack_pid(&S, "run/batch.pid");
    if (pid <= 0 || kill(pid, 0) != 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 300 && kill(pid, 0) == 0; i++)
        usleep(100 * 1000);
}

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    DB = stack_db(&S, 0);
    if (sodium_init() < 0)
        fail();
    pay_init(&S);
    shopper_new(&S, DB, "recon", &A);
    stop_scheduler();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    psp_faults_clear(&S);
    mysql_close(DB);
    /* `up` starts what is not running: the scheduler */
    return stack_run(&S, "./stampede up >/dev/null 2>&1") == 0 ? 0 : -1;
}

static int before_each(void **state)
{
    (void)state;
    psp_faults_clear(&S);
    return 0;
}

static long long refunds_of(const char *key)
{
    return db_scalar(DB,
                     "SELECT COUNT(*) FROM stampede_psp.psp_ledger WHERE payment_key = '%s' AND "
                     "kind = 'refund'",
                     key);
}

static long long refunds_total(void)
{
    return db_scalar(DB, "SELECT COUNT(*) FROM stampede_psp.psp_ledger WHERE kind = 'refund'");
}

static long long run(char *out, size_t n)
{
    long long id = 0;
    if (stack_batch(&S, "reconcile-payments", "--param min_age_s=0", &id, out, n) != 0)
        fail_msg("reconcile-payments failed:\n%s", out);
    return id;
}

static long long processed(long long execution)
{
    return db_scalar(DB, "SELECT processed_count FROM batch_job_execution WHERE id = %lld",
                     execution);
}

static void cancel_order(long long order)
{
    char path[80];
    struct resp r;
    snprintf(path, sizeof path, "/api/v1/orders/%lld/cancel", order);
    assert_int_equal(shopper_request(&S, &A, "POST", path, NULL, &r), 200);
    resp_free(&r);
}

/* pay: the normal way, through the shop; returns the payment key */
static void pay(long long order, long long total, char *key, size_t keylen)
{
    char loc[1024];
    psp_authorize(&S, order, total, TEST_CARD_APPROVE, key, keylen, loc, sizeof loc);
    assert_int_equal(shop_return(&S, &A, key, order, total, loc, sizeof loc), 303);
    assert_non_null(strstr(loc, "payment=paid"));
}

static void refund_at_gateway(const char *key, long long amount)
{
    char path[200], body[200];
    snprintf(path, sizeof path, "/v1/payments/%s/cancel", key);
    if (amount)
        snprintf(body, sizeof body, "{\"cancelReason\":\"dashboard\",\"cancelAmount\":%lld}",
                 amount);
    else
        snprintf(body, sizeof body, "{\"cancelReason\":\"dashboard\"}");
    struct resp r;
    assert_int_equal(psp_api(&S, "POST", path, body, NULL, &r), 200);
    resp_free(&r);
}

/* captured_for_cancelled: an order cancelled in the shop whose money was taken anyway */
static long long captured_for_cancelled(long long sku, char *key, size_t keylen)
{
    long long total, order = order_new(&S, &A, sku, 1, &total);
    char loc[1024];
    psp_authorize(&S, order, total, TEST_CARD_APPROVE, key, keylen, loc, sizeof loc);
    cancel_order(order);
    assert_int_equal(psp_confirm_direct(&S, key, order, total), 200);
    return order;
}

/* ---- every kind of abnormal payment, settled once */

static void test_every_abnormal_payment_is_settled_once(void **state)
{
    (void)state;
    long long sku = sku_new(DB, "cases", 20, PRICE), total;
    char loc[1024];
    psp_fault(&S, "webhook", "drop", 100000, 0, 0); /* only the batch may find these */

    /* a: money for an order that does not exist */
    char ka[80];
    long long ghost = 900000000LL + (long long)randombytes_uniform(90000000);
    psp_authorize(&S, ghost, PRICE, TEST_CARD_APPROVE, ka, sizeof ka, loc, sizeof loc);
    assert_int_equal(psp_confirm_direct(&S, ka, ghost, PRICE), 200);
    /* b: captured for a cancelled order */
    char kb[80];
    long long ob = captured_for_cancelled(sku, kb, sizeof kb);
    /* c: captured for an expired order */
    char kc[80];
    long long oc = order_new(&S, &A, sku, 1, &total);
    psp_authorize(&S, oc, total, TEST_CARD_APPROVE, kc, sizeof kc, loc, sizeof loc);
    order_expire_now(&S, DB, oc);
    assert_int_equal(psp_confirm_direct(&S, kc, oc, total), 200);
    /* d: paid, then partly refunded at the gateway's dashboard */
    char kd[80];
    long long od = order_new(&S, &A, sku, 1, &total);
    pay(od, total, kd, sizeof kd);
    refund_at_gateway(kd, 20000);
    /* e: paid, and a second payment of the same order captured too */
    char ke1[80], ke2[80];
    long long oe = order_new(&S, &A, sku, 1, &total);
    pay(oe, total, ke1, sizeof ke1);
    psp_authorize(&S, oe, total, TEST_CARD_APPROVE, ke2, sizeof ke2, loc, sizeof loc);
    assert_int_equal(psp_confirm_direct(&S, ke2, oe, total), 200);
    /* f: a capture of the wrong amount for a waiting order */
    char kf[80];
    long long of = order_new(&S, &A, sku, 2, &total);
    psp_authorize(&S, of, total + 5000, TEST_CARD_APPROVE, kf, sizeof kf, loc, sizeof loc);
    assert_int_equal(psp_confirm_direct(&S, kf, of, total + 5000), 200);
    /* g: a confirm whose answer was lost: payment_unknown */
    char kg[80];
    long long og = order_new(&S, &A, sku, 1, &total);
    psp_authorize(&S, og, total, TEST_CARD_APPROVE, kg, sizeof kg, loc, sizeof loc);
    psp_fault(&S, "confirm", "lost", 2, og, 0);
    assert_int_equal(shop_return(&S, &A, kg, og, total, loc, sizeof loc), 303);
    assert_string_equal(order_status(DB, og), "payment_unknown");
    psp_faults_clear(&S);
    psp_fault(&S, "webhook", "drop", 100000, 0, 0);
    long long refunds_before = refunds_total();
    long long avail_before_f_settles = sku_available(DB, sku);

    char out[16384];
    long long first = run(out, sizeof out);
    print_message("%s", out);
    /* a, b, c, e2 and f refunded, each once and in full */
    assert_int_equal(refunds_of(ka), 1);
    assert_int_equal(refunds_of(kb), 1);
    assert_int_equal(refunds_of(kc), 1);
    assert_int_equal(refunds_of(ke2), 1);
    assert_int_equal(refunds_of(kf), 1);
    assert_int_equal(refunds_of(ke1), 0);
    assert_int_equal(refunds_of(kg), 0);
    assert_int_equal(refunds_total(), refunds_before + 5);
    assert_int_equal(db_scalar(DB,
                               "SELECT SUM(balance) FROM stampede_psp.psp_payments WHERE "
                               "payment_key IN ('%s', '%s', '%s', '%s', '%s')",
                               ka, kb, kc, ke2, kf),
                     0);
    assert_string_equal(order_status(DB, ob), "cancelled");
    assert_string_equal(order_status(DB, oc), "expired");
    assert_string_equal(order_status(DB, oe), "paid");
    /* f: refunded and cancelled, its pairs back on sale */
    assert_string_equal(order_status(DB, of), "cancelled");
    assert_int_equal(sku_available(DB, sku), avail_before_f_settles + 2);
    /* g: the lost answer settled: paid, once */
    assert_string_equal(order_status(DB, og), "paid");
    assert_int_equal(psp_count(DB, og, "capture"), 1);
    /* d: a person must look at it */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM payment_anomalies WHERE kind = "
                               "'partial_refund' AND order_id = %lld AND resolved_at IS NULL",
                               od),
                     1);
    assert_true(processed(first) >= 7);
    assert_int_equal(
        db_scalar(DB, "SELECT COUNT(*) FROM batch_action WHERE job_execution_id = %lld", first),
        processed(first));

    /* the second run changes nothing */
    long long ledger = db_scalar(DB, "SELECT COUNT(*) FROM stampede_psp.psp_ledger");
    long long anomalies = db_scalar(DB, "SELECT COUNT(*) FROM payment_anomalies");
    long long second = run(out, sizeof out);
    assert_int_equal(processed(second), 0);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM stampede_psp.psp_ledger"), ledger);
    assert_int_equal(db_scalar(DB, "SELECT COUNT(*) FROM payment_anomalies"), anomalies);

    /* d, continued: the rest is refunded at the dashboard too; the paid order now has no
     * money behind it -> flagged; an admin checks and marks it refunded */
    refund_at_gateway(kd, 0);
    run(out, sizeof out);
    long long anomaly = db_scalar(DB,
                                  "SELECT id FROM payment_anomalies WHERE kind = "
                                  "'paid_without_capture' AND order_id = %lld",
                                  od);
    assert_true(anomaly > 0);
    struct shopper admin;
    shopper_new(&S, DB, "recon-admin", &admin);
    assert_int_equal(
        db_execf(DB, "UPDATE accounts SET role = 'admin' WHERE id = %lld", admin.account_id), 0);
    struct resp r;
    assert_int_equal(shopper_request(&S, &admin, "GET", "/admin/payments", NULL, &r), 200);
    assert_true(resp_contains(&r, "paid_without_capture"));
    const char *c = strstr(r.body, "name=\"csrf\" value=\"");
    assert_non_null(c);
    char csrf[128];
    c += strlen("name=\"csrf\" value=\"");
    snprintf(csrf, sizeof csrf, "%.*s", (int)strcspn(c, "\""), c);
    resp_free(&r);
    char cookie[300], path[128], form[300];
    snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", admin.sid);
    snprintf(path, sizeof path, "/admin/payments/anomalies/%lld/resolve", anomaly);
    snprintf(form, sizeof form, "csrf=%s&action=refunded", csrf);
    const char *hdrs[] = {cookie, NULL};
    struct client *cl = client_new();
    assert_int_equal(client_request(cl, "POST", stack_url(&S, path),
                                    "application/x-www-form-urlencoded", form, hdrs, &r),
                     0);
    client_free(cl);
    assert_int_equal(r.status, 303);
    resp_free(&r);
    assert_string_equal(order_status(DB, od), "refunded");
    assert_true(db_scalar(DB,
                          "SELECT resolved_at IS NOT NULL FROM payment_anomalies WHERE id = "
                          "%lld",
                          anomaly));
    psp_faults_clear(&S);
    assert_i1_i5(&S, DB);
}

/* ---- two at once, and killed in the middle */

/* spawn: stampede-batch run reconcile-payments as a child with extra settings */
static pid_t spawn(const char *chunk, const char *lease)
{
    pid_t pid = fork();
    if (pid == 0) {
        char exe[1024], conf[1024], log[1024];
        snprintf(exe, sizeof exe, "%s/stampede-batch", S.build);
        snprintf(conf, sizeof conf, "%s/etc/stampede.conf", S.data);
        snprintf(log, sizeof log, "%s/log/batch.log", S.data);
        setenv("STAMPEDE_CFG_LOG_FILE", log, 1);
        setenv("STAMPEDE_CFG_BATCH_CHUNK_SIZE", chunk, 1);
        setenv("STAMPEDE_CFG_BATCH_LEASE_TTL", lease, 1);
        if (!freopen("/dev/null", "w", stdout))
            _exit(127);
        execl(exe, exe, "--config", conf, "run", "reconcile-payments", "--param", "min_age_s=0",
              (char *)NULL);
        _exit(127);
    }
    assert_true(pid > 0);
    return pid;
}

/* A second connection holds the lease row of audit-stock locked for a while, then lets go. */
struct lease_lock {
    pthread_t t;
    MYSQL *db;
    atomic_int held;
};

static void *hold_lease_row(void *arg)
{
    struct lease_lock *l = arg;
    if (db_execf(l->db, "START TRANSACTION") ||
        db_execf(l->db, "INSERT INTO batch_lease (job_name, holder, expires_at) VALUES "
                        "('audit-stock', 'test-lock', NOW(6) - INTERVAL 1 SECOND) ON DUPLICATE "
                        "KEY UPDATE expires_at = NOW(6) - INTERVAL 1 SECOND")) {
        atomic_store(&l->held, -1);
        return NULL;
    }
    atomic_store(&l->held, 1);
    sleep(3); /* longer than the batch's lock wait (db.lock_wait, 2 s) */
    db_execf(l->db, "ROLLBACK");
    return NULL;
}

/*
 * The start of a run (lease, recovery, execution row) can meet a lock wait timeout or a
 * deadlock beside other hosts' runs: it is tried again instead of failing with "could not
 * run" (CI once saw audit-payments fail so).
 */
static void test_a_run_that_meets_a_lock_at_its_start_tries_again(void **state)
{
    (void)state;
    struct lease_lock l = {.db = stack_db(&S, 0)};
    atomic_init(&l.held, 0);
    pthread_create(&l.t, NULL, hold_lease_row, &l);
    while (atomic_load(&l.held) == 0)
        usleep(10 * 1000);
    assert_int_equal(atomic_load(&l.held), 1);
    long long exec = 0;
    char out[4096];
    int rc = stack_batch(&S, "audit-stock", NULL, &exec, out, sizeof out);
    pthread_join(l.t, NULL);
    mysql_close(l.db);
    if (rc != 0)
        fail_msg("audit-stock behind a locked lease row: exit %d\n%s", rc, out);
    assert_true(exec > 0);
    assert_string_equal(
        db_textf(DB, "SELECT status FROM batch_job_execution WHERE id = %lld", exec), "COMPLETED");
    /* and it did meet the lock: the retry is in the batch log */
    assert_int_equal(
        stack_run(&S, "grep -q 'audit-stock: .* while starting; trying again' '%s/log/batch.log'",
                  S.data),
        0);
}

static void test_two_concurrent_runs_one_acts(void **state)
{
    (void)state;
    enum { N = 8 };
    long long sku = sku_new(DB, "twice", N, PRICE);
    psp_fault(&S, "webhook", "drop", 100000, 0, 0);
    char keys[N][80];
    for (int i = 0; i < N; i++)
        captured_for_cancelled(sku, keys[i], sizeof keys[i]);
    /* refunds slow enough that the two runs overlap */
    psp_fault(&S, "cancel", "slow", N, 0, 300);
    long long last = db_scalar(DB, "SELECT COALESCE(MAX(id), 0) FROM batch_job_execution");
    pid_t a = spawn("2", "30s"), b = spawn("2", "30s");
    int st;
    waitpid(a, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    waitpid(b, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM batch_job_execution WHERE id > %lld AND "
                               "job_name = 'reconcile-payments'",
                               last),
                     2);
    /* exactly one of them did the work (the other found the lease taken, or nothing left) */
    assert_int_equal(db_scalar(DB,
                               "SELECT COUNT(*) FROM batch_job_execution WHERE id > %lld AND "
                               "job_name = 'reconcile-payments' AND processed_count > 0",
                               last),
                     1);
    assert_true(db_scalar(DB,
                          "SELECT SUM(processed_count) FROM batch_job_execution WHERE id > "
                          "%lld AND job_name = 'reconcile-payments'",
                          last) >= N);
    for (int i = 0; i < N; i++)
        assert_int_equal(refunds_of(keys[i]), 1);
    psp_faults_clear(&S);
    assert_i1_i5(&S, DB);
}

static void test_killed_mid_run_and_restarted_refunds_each_once(void **state)
{
    (void)state;
    enum { N = 40 };
    long long sku = sku_new(DB, "kill", N, PRICE);
    psp_fault(&S, "webhook", "drop", 100000, 0, 0);
    static char keys[N][80];
    for (int i = 0; i < N; i++)
        captured_for_cancelled(sku, keys[i], sizeof keys[i]);
    psp_fault(&S, "cancel", "slow", N, 0, 200);
    long long last = db_scalar(DB, "SELECT COALESCE(MAX(id), 0) FROM batch_job_execution");
    long long ledger0 = db_scalar(DB, "SELECT COALESCE(MAX(id), 0) FROM stampede_psp.psp_ledger");
    pid_t pid = spawn("4", "2s");
    /* wait until a few chunks of refunds have been made, then kill -9 */
    long long victim = 0;
    for (int i = 0; i < 1200; i++) {
        if (db_scalar(DB,
                      "SELECT COUNT(*) FROM stampede_psp.psp_ledger WHERE id > %lld AND kind = "
                      "'refund'",
                      ledger0) >= 9)
            break;
        usleep(25 * 1000);
    }
    victim = db_scalar(DB,
                       "SELECT COALESCE(MAX(id), 0) FROM batch_job_execution WHERE id > %lld AND "
                       "job_name = 'reconcile-payments' AND status = 'STARTED'",
                       last);
    assert_true(victim > 0);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFSIGNALED(st));
    long long done = 0;
    for (int i = 0; i < N; i++)
        done += refunds_of(keys[i]);
    print_message("killed execution %lld after %lld of %d refunds\n", victim, done, N);
    assert_true(done > 0 && done < N);
    /* the dead run still says STARTED: nobody has noticed yet */
    assert_int_equal(
        db_scalar(DB, "SELECT status = 'STARTED' FROM batch_job_execution WHERE id = %lld", victim),
        1);

    /* started again (once its lease ran out): resumes and finishes */
    char out[16384];
    setenv("STAMPEDE_CFG_BATCH_CHUNK_SIZE", "4", 1);
    setenv("STAMPEDE_CFG_BATCH_LEASE_TTL", "2s", 1);
    long long again = run(out, sizeof out);
    unsetenv("STAMPEDE_CFG_BATCH_CHUNK_SIZE");
    unsetenv("STAMPEDE_CFG_BATCH_LEASE_TTL");
    print_message("%s", out);
    assert_int_equal(db_scalar(DB,
                               "SELECT status = 'FAILED' AND exit_code = 'DEAD_PROCESS' FROM "
                               "batch_job_execution WHERE id = %lld",
                               victim),
                     1);
    assert_int_equal(
        db_scalar(DB, "SELECT restart_of FROM batch_job_execution WHERE id = %lld", again), victim);
    for (int i = 0; i < N; i++)
        if (refunds_of(keys[i]) != 1)
            fail_msg("payment %s refunded %lld times", keys[i], refunds_of(keys[i]));
    /* and once more: nothing left to do */
    long long third = run(out, sizeof out);
    assert_int_equal(processed(third), 0);
    psp_faults_clear(&S);
    assert_i1_i5(&S, DB);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, before_each)
    const struct CMUnitTest tests[] = {
        T(test_every_abnormal_payment_is_settled_once),
        T(test_a_run_that_meets_a_lock_at_its_start_tries_again),
        T(test_two_concurrent_runs_one_acts),
        T(test_killed_mid_run_and_restarted_refunds_each_once),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
