/*
 * stampede-dbproxy with real clients against the real primary and replica (issue 9):
 *  - routing: reads on the replica and everything that must not be there (writes, locking
 *    reads, transactions, user variables, autocommit off, temporary tables, multi-statements,
 *    hints) on the primary, checked by @@server_id and by the servers' own counters;
 *  - the protocol as Connector/C uses it: prepared statements prepared lazily on a second
 *    server with their parameter types carried over, long data, cursors, packets over 16 MiB in
 *    both directions and both result formats, multi-result sets, ping, statistics, init db,
 *    reset connection, refused commands, logins with wrong passwords or databases;
 *  - session commands replayed on every server a session uses;
 *  - the `mariadb` command-line client and sysbench (oltp_point_select, oltp_read_only,
 *    oltp_read_write, oltp_insert) with zero errors;
 *  - the shop's own reads (a catalog miss, order history, the admin's order list) answer from
 *    the replica while their tables are locked on the primary.
 * The account is the test account (harness.h), with all rights on database sbtest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "harness.h"
#include "pay.h"

#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct stack S;

static int setup(void **state)
{
    (void)state;
    stack_load(&S);
    stack_test_account(&S);
    return 0;
}

static MYSQL *proxy(void)
{
    return stack_proxy_db(&S, TEST_DB_USER, TEST_DB_PASSWORD, TEST_DB_NAME);
}

/* server: @@server_id as answered for sql (which must return it in its first column) */
static long long server(MYSQL *m, const char *sql)
{
    if (mysql_query(m, sql))
        fail_msg("%s: %u %s", sql, mysql_errno(m), mysql_error(m));
    long long id = -1;
    do {
        MYSQL_RES *r = mysql_store_result(m);
        if (r) {
            MYSQL_ROW row = mysql_fetch_row(r);
            if (id < 0 && row && row[0])
                id = strtoll(row[0], NULL, 10);
            mysql_free_result(r);
        }
    } while (mysql_next_result(m) == 0);
    return id;
}

static void run(MYSQL *m, const char *sql)
{
    if (mysql_query(m, sql))
        fail_msg("%s: %u %s", sql, mysql_errno(m), mysql_error(m));
    do {
        MYSQL_RES *r = mysql_store_result(m);
        if (r)
            mysql_free_result(r);
    } while (mysql_next_result(m) == 0);
}

static long long com_select(int which)
{
    MYSQL *m = stack_db(&S, which);
    long long v = db_scalar(m, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                               " WHERE VARIABLE_NAME = 'COM_SELECT'");
    mysql_close(m);
    return v;
}

static void test_reads_go_to_the_replica_and_the_rest_to_the_primary(void **state)
{
    (void)state;
    MYSQL *m = proxy();
    run(m, "CREATE TABLE IF NOT EXISTS route_t (id INT PRIMARY KEY AUTO_INCREMENT, v INT)");
    assert_int_equal(server(m, "SELECT @@server_id"), 2);
    assert_int_equal(server(m, "SELECT @@server_id FOR UPDATE"), 1);
    assert_int_equal(server(m, "SELECT @@server_id LOCK IN SHARE MODE"), 1);
    assert_int_equal(server(m, "/* a comment */ SELECT @@server_id"), 2);
    assert_int_equal(server(m, "SELECT @@server_id -- maxscale route to master"), 1);
    assert_int_equal(server(m, "SELECT @@server_id, LAST_INSERT_ID()"), 1);
    assert_int_equal(server(m, "SELECT @@server_id, GET_LOCK('x', 0), RELEASE_LOCK('x')"), 1);
    /* a transaction stays on the primary from BEGIN to COMMIT, reads included */
    run(m, "BEGIN");
    assert_int_equal(server(m, "SELECT @@server_id"), 1);
    run(m, "INSERT INTO route_t (v) VALUES (1)");
    assert_int_equal(server(m, "SELECT @@server_id"), 1);
    run(m, "COMMIT");
    assert_int_equal(server(m, "SELECT @@server_id"), 2);
    /* a read-only transaction runs on the replica */
    run(m, "START TRANSACTION READ ONLY");
    assert_int_equal(server(m, "SELECT @@server_id"), 2);
    run(m, "COMMIT");
    /* autocommit off: everything on the primary until it is on again */
    run(m, "SET autocommit = 0");
    assert_int_equal(server(m, "SELECT @@server_id"), 1);
    run(m, "COMMIT");
    run(m, "SET autocommit = 1");
    assert_int_equal(server(m, "SELECT @@server_id"), 2);
    /* user variables live on the primary */
    run(m, "SET @who = 41");
    assert_int_equal(server(m, "SELECT @@server_id, @who + 1"), 1);
    /* multi-statements are not split: the primary runs them */
    assert_int_equal(server(m, "SELECT @@server_id; SELECT 2"), 1);
    /* temporary tables exist on the primary only: reads follow them there */
    run(m, "CREATE TEMPORARY TABLE tmp_t (a INT)");
    run(m, "INSERT INTO tmp_t VALUES (7)");
    assert_int_equal(server(m, "SELECT a FROM tmp_t"), 7);
    mysql_close(m);

    /* the servers' own counters agree: 200 reads add to the replica, not to the primary */
    m = proxy();
    long long p0 = com_select(0), r0 = com_select(1);
    for (int i = 0; i < 200; i++)
        assert_int_equal(server(m, "SELECT @@server_id"), 2);
    long long p1 = com_select(0), r1 = com_select(1);
    mysql_close(m);
    assert_true(r1 - r0 >= 200);
    assert_true(p1 - p0 < 50); /* the proxy's monitor and the shop read there too */
    double reads = stack_proxy_metric(&S, "stampede_dbproxy_routed_total{target=\"replica\","
                                          "reason=\"read\"}");
    assert_true(reads >= 200);
}

static void test_read_your_writes_and_warnings(void **state)
{
    (void)state;
    MYSQL *m = proxy();
    run(m, "CREATE TABLE IF NOT EXISTS ryw_t (id INT PRIMARY KEY, v VARCHAR(20))");
    for (int i = 0; i < 50; i++) {
        char q[160];
        snprintf(q, sizeof q, "REPLACE INTO ryw_t VALUES (%d, 'v%d')", i % 5, i);
        run(m, q);
        snprintf(q, sizeof q, "SELECT COUNT(*) FROM ryw_t WHERE id = %d AND v = 'v%d'", i % 5, i);
        /* the next read (a replica one) sees the write: the proxy waits for its GTID */
        assert_int_equal(server(m, q), 1);
    }
    /* SHOW WARNINGS goes where the statement that warned ran (here: the replica) */
    run(m, "SELECT CAST('12abc' AS UNSIGNED)");
    if (mysql_query(m, "SHOW WARNINGS"))
        fail_msg("SHOW WARNINGS: %s", mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    assert_non_null(r);
    assert_true(mysql_num_rows(r) >= 1);
    mysql_free_result(r);
    mysql_close(m);
}

static void test_session_commands_follow_every_backend(void **state)
{
    (void)state;
    MYSQL *m = proxy();
    run(m, "SET time_zone = '+09:00', sql_mode = 'STRICT_ALL_TABLES'");
    if (mysql_query(m, "SELECT @@time_zone, @@server_id"))
        fail_msg("%s", mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(r);
    assert_string_equal(row[0], "+09:00");
    assert_string_equal(row[1], "2");
    mysql_free_result(r);
    run(m, "BEGIN");
    if (mysql_query(m, "SELECT @@time_zone, @@sql_mode, @@server_id"))
        fail_msg("%s", mysql_error(m));
    r = mysql_store_result(m);
    row = mysql_fetch_row(r);
    assert_string_equal(row[0], "+09:00");
    assert_string_equal(row[1], "STRICT_ALL_TABLES");
    assert_string_equal(row[2], "1");
    mysql_free_result(r);
    run(m, "COMMIT");
    /* COM_INIT_DB: a database the account may not use is refused, as by the server */
    assert_int_not_equal(mysql_select_db(m, "mysql"), 0);
    assert_int_equal(mysql_errno(m), ER_DBACCESS_DENIED_ERROR);
    assert_int_equal(mysql_select_db(m, TEST_DB_NAME), 0);
    /* ping, statistics, reset connection */
    assert_int_equal(mysql_ping(m), 0);
    const char *stat = mysql_stat(m);
    assert_non_null(stat);
    assert_non_null(strstr(stat, "Uptime"));
    run(m, "SET @gone = 1");
    assert_int_equal(mysql_reset_connection(m), 0);
    if (mysql_query(m, "SELECT @gone IS NULL, @@time_zone = @@global.time_zone"))
        fail_msg("%s", mysql_error(m));
    r = mysql_store_result(m);
    row = mysql_fetch_row(r);
    assert_string_equal(row[0], "1");
    assert_string_equal(row[1], "1");
    mysql_free_result(r);
    /* COM_CHANGE_USER is refused with a clear error (the session goes on) */
    assert_int_not_equal(mysql_change_user(m, TEST_DB_USER, TEST_DB_PASSWORD, TEST_DB_NAME), 0);
    mysql_close(m);
    /* KILL through the proxy is refused (connection ids differ per server) */
    m = proxy();
    assert_int_not_equal(mysql_query(m, "KILL 1"), 0);
    assert_int_equal(mysql_errno(m), ER_NOT_SUPPORTED_YET);
    assert_int_equal(server(m, "SELECT @@server_id"), 2);
    mysql_close(m);
}

static void test_multi_results(void **state)
{
    (void)state;
    MYSQL *m = proxy();
    run(m, "DROP PROCEDURE IF EXISTS two_results");
    run(m, "CREATE PROCEDURE two_results() BEGIN SELECT 1 AS a; SELECT 2 AS b, 3 AS c; END");
    if (mysql_query(m, "CALL two_results()"))
        fail_msg("%s", mysql_error(m));
    int sets = 0;
    do {
        MYSQL_RES *r = mysql_store_result(m);
        if (r) {
            sets++;
            mysql_free_result(r);
        }
    } while (mysql_next_result(m) == 0);
    assert_int_equal(sets, 2);
    assert_int_equal(server(m, "SELECT @@server_id"), 2); /* the session goes on */
    mysql_close(m);
}

static MYSQL_STMT *prep(MYSQL *m, const char *sql)
{
    MYSQL_STMT *st = mysql_stmt_init(m);
    if (mysql_stmt_prepare(st, sql, (unsigned long)strlen(sql)))
        fail_msg("prepare %s: %s", sql, mysql_stmt_error(st));
    return st;
}

/* exec_ints: executes st (already bound) and fetches the first row's two integers */
static void exec_ints(MYSQL_STMT *st, long long *a, long long *b)
{
    MYSQL_BIND out[2];
    memset(out, 0, sizeof out);
    out[0].buffer_type = MYSQL_TYPE_LONGLONG;
    out[0].buffer = a;
    out[1].buffer_type = MYSQL_TYPE_LONGLONG;
    out[1].buffer = b;
    if (mysql_stmt_execute(st))
        fail_msg("execute: %u %s", mysql_stmt_errno(st), mysql_stmt_error(st));
    if (mysql_stmt_bind_result(st, out) || mysql_stmt_store_result(st))
        fail_msg("result: %s", mysql_stmt_error(st));
    assert_int_equal(mysql_stmt_fetch(st), 0);
    mysql_stmt_free_result(st);
}

static void test_prepared_statements_move_between_servers(void **state)
{
    (void)state;
    MYSQL *m = proxy();
    MYSQL_STMT *st = prep(m, "SELECT @@server_id, ? + 1");
    long long in = 41, sid = 0, v = 0;
    MYSQL_BIND p;
    memset(&p, 0, sizeof p);
    p.buffer_type = MYSQL_TYPE_LONGLONG;
    p.buffer = &in;
    assert_int_equal(mysql_stmt_bind_param(st, &p), 0);
    exec_ints(st, &sid, &v); /* first execute: types sent, on the replica */
    assert_int_equal(sid, 2);
    assert_int_equal(v, 42);
    in = 99;
    exec_ints(st, &sid, &v); /* no new types now */
    assert_int_equal(sid, 2);
    assert_int_equal(v, 100);
    /* in a transaction the same statement runs on the primary: prepared there on the spot,
     * and given the parameter types the client sent only once (MXS-2521) */
    run(m, "BEGIN");
    in = 7;
    exec_ints(st, &sid, &v);
    assert_int_equal(sid, 1);
    assert_int_equal(v, 8);
    run(m, "COMMIT");
    exec_ints(st, &sid, &v);
    assert_int_equal(sid, 2);
    mysql_stmt_close(st);

    /* a prepared write, then a prepared read of it (read-your-writes) */
    run(m, "CREATE TABLE IF NOT EXISTS ps_t (id INT PRIMARY KEY, v BIGINT)");
    run(m, "DELETE FROM ps_t");
    MYSQL_STMT *ins = prep(m, "INSERT INTO ps_t VALUES (?, ?)");
    MYSQL_STMT *sel = prep(m, "SELECT COUNT(*), COALESCE(SUM(v), 0) FROM ps_t WHERE id <= ?");
    long long id = 0, val = 0, upto = 0;
    MYSQL_BIND ip[2];
    memset(ip, 0, sizeof ip);
    ip[0].buffer_type = MYSQL_TYPE_LONGLONG;
    ip[0].buffer = &id;
    ip[1].buffer_type = MYSQL_TYPE_LONGLONG;
    ip[1].buffer = &val;
    mysql_stmt_bind_param(ins, ip);
    MYSQL_BIND sp;
    memset(&sp, 0, sizeof sp);
    sp.buffer_type = MYSQL_TYPE_LONGLONG;
    sp.buffer = &upto;
    mysql_stmt_bind_param(sel, &sp);
    for (id = 1; id <= 20; id++) {
        val = id * 10;
        if (mysql_stmt_execute(ins))
            fail_msg("insert: %s", mysql_stmt_error(ins));
        assert_int_equal(mysql_stmt_affected_rows(ins), 1);
        upto = id;
        long long n = 0, sum = 0;
        exec_ints(sel, &n, &sum);
        assert_int_equal(n, id);
        assert_int_equal(sum, 10 * id * (id + 1) / 2);
    }
    mysql_stmt_close(ins);
    mysql_stmt_close(sel);
    /* a statement the server refuses to prepare: its error, and the session goes on */
    MYSQL_STMT *bad = mysql_stmt_init(m);
    assert_int_not_equal(mysql_stmt_prepare(bad, "SELEKT 1", 8), 0);
    assert_int_equal(mysql_stmt_errno(bad), ER_PARSE_ERROR);
    mysql_stmt_close(bad);
    /* a cursor: rows are fetched from the server that opened it */
    MYSQL_STMT *cur = prep(m, "SELECT id, v FROM ps_t ORDER BY id");
    unsigned long type = CURSOR_TYPE_READ_ONLY, rows = 3;
    mysql_stmt_attr_set(cur, STMT_ATTR_CURSOR_TYPE, &type);
    mysql_stmt_attr_set(cur, STMT_ATTR_PREFETCH_ROWS, &rows);
    long long a = 0, b = 0;
    MYSQL_BIND out[2];
    memset(out, 0, sizeof out);
    out[0].buffer_type = MYSQL_TYPE_LONGLONG;
    out[0].buffer = &a;
    out[1].buffer_type = MYSQL_TYPE_LONGLONG;
    out[1].buffer = &b;
    if (mysql_stmt_execute(cur))
        fail_msg("cursor execute: %s", mysql_stmt_error(cur));
    mysql_stmt_bind_result(cur, out);
    int n = 0;
    while (mysql_stmt_fetch(cur) == 0)
        n++;
    assert_int_equal(n, 20);
    mysql_stmt_close(cur);
    mysql_close(m);
}

static void test_packets_over_16_mib(void **state)
{
    (void)state;
    size_t big = (17u << 20) + 12345;
    char *blob = malloc(big);
    for (size_t i = 0; i < big; i++)
        blob[i] = (char)('a' + (i * 7 + i / 4093) % 26);
    MYSQL *m = proxy();
    run(m, "CREATE TABLE IF NOT EXISTS big_t (id INT PRIMARY KEY, b LONGBLOB)");
    run(m, "DELETE FROM big_t");
    /* a prepared INSERT of more than 16 MiB: the command is split in chunks both ways */
    MYSQL_STMT *ins = prep(m, "INSERT INTO big_t VALUES (1, ?)");
    MYSQL_BIND p;
    memset(&p, 0, sizeof p);
    unsigned long len = (unsigned long)big;
    p.buffer_type = MYSQL_TYPE_LONG_BLOB;
    p.buffer = blob;
    p.buffer_length = len;
    p.length = &len;
    mysql_stmt_bind_param(ins, &p);
    if (mysql_stmt_execute(ins))
        fail_msg("big insert: %s", mysql_stmt_error(ins));
    mysql_stmt_close(ins);
    /* the same through long data, in two pieces */
    MYSQL_STMT *ld = prep(m, "INSERT INTO big_t VALUES (2, ?)");
    memset(&p, 0, sizeof p);
    p.buffer_type = MYSQL_TYPE_LONG_BLOB;
    mysql_stmt_bind_param(ld, &p);
    assert_int_equal(mysql_stmt_send_long_data(ld, 0, blob, 1000), 0);
    assert_int_equal(mysql_stmt_send_long_data(ld, 0, blob + 1000, (unsigned long)big - 1000), 0);
    if (mysql_stmt_execute(ld))
        fail_msg("long data insert: %s", mysql_stmt_error(ld));
    mysql_stmt_close(ld);
    /* read both back: text protocol (a row over 16 MiB), from the replica */
    if (mysql_query(m, "SELECT id, b, @@server_id FROM big_t ORDER BY id"))
        fail_msg("%s", mysql_error(m));
    MYSQL_RES *r = mysql_store_result(m);
    assert_non_null(r);
    MYSQL_ROW row;
    int rows = 0;
    while ((row = mysql_fetch_row(r))) {
        unsigned long *l = mysql_fetch_lengths(r);
        assert_int_equal(l[1], big);
        assert_memory_equal(row[1], blob, big);
        assert_string_equal(row[2], "2");
        rows++;
    }
    assert_int_equal(rows, 2);
    mysql_free_result(r);
    /* and the binary protocol */
    MYSQL_STMT *sel = prep(m, "SELECT b FROM big_t WHERE id = 2");
    char *back = malloc(big);
    unsigned long blen = 0;
    MYSQL_BIND o;
    memset(&o, 0, sizeof o);
    o.buffer_type = MYSQL_TYPE_LONG_BLOB;
    o.buffer = back;
    o.buffer_length = (unsigned long)big;
    o.length = &blen;
    if (mysql_stmt_execute(sel) || mysql_stmt_bind_result(sel, &o) || mysql_stmt_store_result(sel))
        fail_msg("big select: %s", mysql_stmt_error(sel));
    assert_int_equal(mysql_stmt_fetch(sel), 0);
    assert_int_equal(blen, big);
    assert_memory_equal(back, blob, big);
    mysql_stmt_close(sel);
    run(m, "DELETE FROM big_t");
    mysql_close(m);
    free(back);
    free(blob);
}

static void test_logins(void **state)
{
    (void)state;
    MYSQL *m = mysql_init(NULL);
    assert_null(mysql_real_connect(m, "127.0.0.1", TEST_DB_USER, "wrong", TEST_DB_NAME,
                                   (unsigned)S.dbproxy_port, NULL, 0));
    assert_int_equal(mysql_errno(m), ER_ACCESS_DENIED_ERROR);
    mysql_close(m);
    m = mysql_init(NULL);
    assert_null(mysql_real_connect(m, "127.0.0.1", "nobody_here", "x", NULL,
                                   (unsigned)S.dbproxy_port, NULL, 0));
    assert_int_equal(mysql_errno(m), ER_ACCESS_DENIED_ERROR);
    mysql_close(m);
    m = mysql_init(NULL);
    assert_null(mysql_real_connect(m, "127.0.0.1", TEST_DB_USER, TEST_DB_PASSWORD, "stampede",
                                   (unsigned)S.dbproxy_port, NULL, 0));
    assert_int_equal(mysql_errno(m), ER_DBACCESS_DENIED_ERROR);
    mysql_close(m);
    /* an account created after the proxy started logs in at once (the table is reloaded) */
    MYSQL *root = stack_db(&S, 0);
    db_execf(root, "DROP USER IF EXISTS 'late_user'@'127.0.0.1'");
    assert_int_equal(db_execf(root, "CREATE USER 'late_user'@'127.0.0.1' IDENTIFIED BY 'late pw'"),
                     0);
    m = stack_proxy_db(&S, "late_user", "late pw", NULL);
    assert_int_equal(server(m, "SELECT @@server_id"), 2);
    mysql_close(m);
    /* and a changed password is honoured */
    assert_int_equal(db_execf(root, "ALTER USER 'late_user'@'127.0.0.1' IDENTIFIED BY 'new pw'"),
                     0);
    stack_replica_sync(&S);
    m = stack_proxy_db(&S, "late_user", "new pw", NULL);
    mysql_close(m);
    db_execf(root, "DROP USER 'late_user'@'127.0.0.1'");
    mysql_close(root);
}

static void test_mariadb_command_line_client(void **state)
{
    (void)state;
    /* -c keeps comments, so the hint reaches the proxy; batch output, one value per line */
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "mariadb --no-defaults -c -N -B -h127.0.0.1 -P%d -u%s -p%s %s -e \"SELECT "
             "@@server_id; SELECT @@server_id -- maxscale route to master\n; SELECT COUNT(*) "
             "FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sbtest' AND 1 = 0\" "
             "> '%s/tmp/cli.out' 2>&1",
             S.dbproxy_port, TEST_DB_USER, TEST_DB_PASSWORD, TEST_DB_NAME, S.data);
    assert_int_equal(stack_run(&S, "%s", cmd), 0);
    char path[600], buf[256] = "";
    snprintf(path, sizeof path, "%s/tmp/cli.out", S.data);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    assert_string_equal(buf, "2\n1\n0\n");
}

/* sysbench: one run, where any error fails it (--mysql-ignore-errors=none, no reconnects). */
static void sysbench(const char *test, const char *extra)
{
    char cmd[1024];
    const char *common = "--db-driver=mysql --mysql-host=127.0.0.1 --mysql-user=" TEST_DB_USER
                         " --mysql-password=" TEST_DB_PASSWORD " --mysql-db=" TEST_DB_NAME
                         " --tables=2 --table-size=10000";
    snprintf(cmd, sizeof cmd,
             "sysbench %s --mysql-port=%d %s --threads=4 --time=4 --mysql-ignore-errors=none %s "
             "run > '%s/tmp/sysbench-%s.out' 2>&1",
             common, S.dbproxy_port, extra, test, S.data, test);
    int rc = stack_run(&S, "%s", cmd);
    char path[600], out[8192] = "";
    snprintf(path, sizeof path, "%s/tmp/sysbench-%s.out", S.data, test);
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(out, 1, sizeof out - 1, f);
        out[n] = '\0';
        fclose(f);
    }
    const char *t = strstr(out, "transactions:");
    const char *ig = strstr(out, "ignored errors:");
    const char *rec = strstr(out, "reconnects:");
    if (rc != 0 || !t || !ig || !rec)
        fail_msg("sysbench %s failed (exit %d):\n%s", test, rc, out);
    long long txn = strtoll(t + 13, NULL, 10), ignored = strtoll(ig + 15, NULL, 10);
    if (txn < 100 || strtoll(rec + 11, NULL, 10) != 0 || ignored != 0)
        fail_msg("sysbench %s: %lld transactions, %lld ignored errors:\n%s", test, txn, ignored,
                 out);
}

static void test_sysbench_runs_through_the_proxy_without_errors(void **state)
{
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "sysbench --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port=%d --mysql-user=%s "
             "--mysql-password=%s --mysql-db=%s --tables=2 --table-size=10000 oltp_read_write "
             "%%s > '%s/tmp/sysbench-prepare.out' 2>&1",
             S.dbproxy_port, TEST_DB_USER, TEST_DB_PASSWORD, TEST_DB_NAME, S.data);
    char c1[1200];
    snprintf(c1, sizeof c1, cmd, "cleanup");
    stack_run(&S, "%s", c1);
    snprintf(c1, sizeof c1, cmd, "prepare");
    assert_int_equal(stack_run(&S, "%s", c1), 0);
    double r0 = stack_proxy_metric(&S, "stampede_dbproxy_server_queries_total{server=\"replica\"}");
    sysbench("oltp_point_select", "");
    sysbench("oltp_read_only", "--db-ps-mode=disable"); /* the text protocol too */
    /* Reads, index and non-index updates in transactions. Without its DELETE + INSERT of one
     * random row: two threads that pick the same row there deadlock in InnoDB (gap locks),
     * straight to MariaDB as through a proxy, and that is not an error of the proxy. */
    sysbench("oltp_read_write", "--delete_inserts=0");
    sysbench("oltp_insert", ""); /* inserts with auto-increment keys, and their ids back */
    double r1 = stack_proxy_metric(&S, "stampede_dbproxy_server_queries_total{server=\"replica\"}");
    assert_true(r1 - r0 > 1000); /* the point selects ran on the replica */
    snprintf(c1, sizeof c1, cmd, "cleanup");
    assert_int_equal(stack_run(&S, "%s", c1), 0);
}

static bool replica_readable(void *arg)
{
    (void)arg;
    char st[32];
    return stack_proxy_server_state(&S, "replica", st, sizeof st) && strcmp(st, "readable") == 0;
}

struct timed_get {
    const char *path;
    const char *cookie; /* "Cookie: ..." or NULL */
    const char *want;   /* a text the answer must hold */
};

/*
 * The shop's own reads land on the replica (issue 9, section 3): a catalog miss (a product
 * never read before), a shopper's order history and the admin's order list answer at once
 * while their tables are write-locked on the primary (LOCK TABLES ... WRITE blocks every other
 * session's reads there, and is not replicated). The control: a plain read of the same table
 * on the primary waits for the lock (and gives up after lock_wait_timeout, 1 s).
 */
static void test_the_shops_reads_land_on_the_replica(void **state)
{
    (void)state;
    MYSQL *db = stack_db(&S, 0);
    pay_init(&S);
    struct shopper sh;
    shopper_new(&S, db, "routing", &sh);
    char admin_sid[128];
    admin_sign_in(&S, admin_sid, sizeof admin_sid);
    long long total = 0, sku = sku_new(db, "routing-order", 5, 90000);
    long long order = order_new(&S, &sh, sku, 1, &total);
    long long fresh = sku_new(db, "routing-miss", 3, 91000); /* never read by the shop yet */
    char slug[120], path[160], order_ref[40], cookie[200], admin_cookie[200];
    snprintf(slug, sizeof slug, "%s",
             db_textf(db,
                      "SELECT p.slug FROM products p JOIN skus k ON k.product_id = p.id "
                      "WHERE k.id = %lld",
                      fresh));
    snprintf(path, sizeof path, "/products/%s", slug);
    snprintf(order_ref, sizeof order_ref, "\"id\":%lld", order);
    snprintf(cookie, sizeof cookie, "Cookie: stampede_sid=%s", sh.sid);
    snprintf(admin_cookie, sizeof admin_cookie, "Cookie: stampede_sid=%s", admin_sid);
    char admin_list[64], admin_ref[40];
    snprintf(admin_list, sizeof admin_list, "/admin/orders?q=%lld", order);
    snprintf(admin_ref, sizeof admin_ref, "/admin/orders/%lld", order);
    stack_replica_sync(&S);
    /* and the proxy uses the replica again (the sysbench runs before may have put it past
     * the lag bound for a monitor round or two) */
    assert_true(wait_until(replica_readable, NULL, 15000));

    MYSQL *lock = stack_db(&S, 0);
    assert_int_equal(db_execf(lock, "LOCK TABLES products WRITE, skus WRITE, stock WRITE, "
                                    "orders WRITE, order_lines WRITE"),
                     0);
    struct timed_get gets[] = {
        {path, NULL, "Pay routing-miss"},
        {"/api/v1/orders", cookie, order_ref},
        {admin_list, admin_cookie, admin_ref},
    };
    for (size_t i = 0; i < sizeof gets / sizeof gets[0]; i++) {
        const char *h[] = {gets[i].cookie, NULL};
        struct client *c = client_new(); /* its own cookie jar: only the session given */
        struct resp r;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int rc = client_request(c, "GET", stack_url(&S, gets[i].path), NULL, NULL,
                                gets[i].cookie ? h : NULL, &r);
        clock_gettime(CLOCK_MONOTONIC, &b);
        double took = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
        print_message("GET %s with its tables locked on the primary: %ld in %.3f s\n", gets[i].path,
                      rc == 0 ? r.status : -1L, took);
        bool ok = rc == 0 && r.status == 200 && resp_contains(&r, gets[i].want) && took < 2.0;
        if (!ok) {
            db_execf(lock, "UNLOCK TABLES");
            fail_msg("GET %s: %ld after %.2f s, %.200s", gets[i].path, rc == 0 ? r.status : -1L,
                     took, rc == 0 && r.body ? r.body : "");
        }
        resp_free(&r);
        client_free(c);
    }
    /* the control: on the primary, the same read waits for the lock */
    assert_int_equal(db_execf(db, "SET SESSION lock_wait_timeout = 1"), 0);
    unsigned err = db_execf(db, "SELECT COUNT(*) FROM orders");
    assert_int_equal(db_execf(lock, "UNLOCK TABLES"), 0);
    assert_int_equal(err, ER_LOCK_WAIT_TIMEOUT);
    mysql_close(lock);
    mysql_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_go_to_the_replica_and_the_rest_to_the_primary),
        cmocka_unit_test(test_read_your_writes_and_warnings),
        cmocka_unit_test(test_session_commands_follow_every_backend),
        cmocka_unit_test(test_multi_results),
        cmocka_unit_test(test_prepared_statements_move_between_servers),
        cmocka_unit_test(test_packets_over_16_mib),
        cmocka_unit_test(test_logins),
        cmocka_unit_test(test_mariadb_command_line_client),
        cmocka_unit_test(test_sysbench_runs_through_the_proxy_without_errors),
        cmocka_unit_test(test_the_shops_reads_land_on_the_replica),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
