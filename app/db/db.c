/* db — prepared statements over MariaDB Connector/C; see db.h. */
#include "db.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"

#include <assert.h>
#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PARAMS 64

struct cached_stmt {
    const struct db_stmt *def;
    bool fresh; /* the variant with the primary hint */
    MYSQL_STMT *stmt;
};

/* The MaxScale hint (hintfilter syntax) that sends a read to the primary; stampede-dbproxy
 * honours it too, prepared statements included. */
#define FRESH_HINT " -- maxscale route to master"

/* db_sync waits at most this long: longer than stampede-dbproxy's default lag bound (5 s) */
#define DB_SYNC_MAX_NS (6LL * 1000 * 1000 * 1000)

struct db {
    struct db_opts o;
    MYSQL *conn;
    bool in_tx;
    bool fresh; /* reads outside transactions go to the primary (db_set_fresh) */
    bool wrote; /* a write succeeded since db_take_wrote */
    unsigned last_errno;
    int64_t last_used_ns; /* when the connection last answered */
    struct cached_stmt *stmts;
    size_t nstmts, capstmts;
    struct db_stats stats;
};

/* node-wide metrics (db_metrics_init); NULL until registered, and then set before any fork */
enum {
    EK_DEADLOCK,
    EK_LOCK_WAIT,
    EK_CHANGED,
    EK_DUP,
    EK_CONSTRAINT,
    EK_READONLY,
    EK_CONN,
    EK_OTHER
};
static const char *const error_kinds[] = {"deadlock",   "lock_wait", "record_changed", "duplicate",
                                          "constraint", "read_only", "connection",     "other"};
#define NKINDS (sizeof error_kinds / sizeof error_kinds[0])
static struct metric *m_queries, *m_query_time, *m_errors[NKINDS], *m_connect_ok, *m_connect_failed,
    *m_open, *m_in_tx;
struct metric *db_m_retries, *db_m_gave_up; /* retry.c */

void db_metrics_init(void)
{
    static const double bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                    0.025,  0.05,    0.1,    0.25,  0.5,    1,     5};
    m_queries =
        metrics_counter("stampede_db_queries_total", "", "Statements sent to the database.");
    m_query_time = metrics_histogram("stampede_db_query_duration_seconds", "",
                                     "Time to execute a statement and fetch its rows.", bounds,
                                     sizeof bounds / sizeof bounds[0]);
    for (size_t i = 0; i < NKINDS; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "kind=\"%s\"", error_kinds[i]);
        m_errors[i] = metrics_counter("stampede_db_errors_total", labels,
                                      "Statements and connects that failed, by kind (read_only: a "
                                      "write refused, no primary).");
    }
    m_connect_ok = metrics_counter("stampede_db_connects_total", "result=\"ok\"",
                                   "Database connections opened (ok) or refused (failed).");
    m_connect_failed = metrics_counter("stampede_db_connects_total", "result=\"failed\"",
                                       "Database connections opened (ok) or refused (failed).");
    m_open = metrics_gauge("stampede_db_connections_open", "",
                           "Database handles (one per web thread) holding a connection now.");
    m_in_tx = metrics_gauge("stampede_db_transactions_open", "",
                            "Database handles inside a transaction now (connections in use).");
    db_m_retries = metrics_counter("stampede_db_retries_total", "",
                                   "Transactions or operations run again after a retryable error.");
    db_m_gave_up =
        metrics_counter("stampede_db_retries_exhausted_total", "",
                        "Transactions or operations that still failed retryably after every try.");
}

static void set_in_tx(struct db *db, bool on)
{
    if (db->in_tx != on)
        metric_gauge_add(m_in_tx, on ? 1 : -1);
    db->in_tx = on;
}

void db_library_init(void)
{
    mysql_library_init(0, NULL, NULL);
}

void db_thread_init(void)
{
    mysql_thread_init();
}

void db_thread_end(void)
{
    mysql_thread_end();
}

struct db *db_new(const struct db_opts *o)
{
    struct db *db = mem_calloc(1, sizeof *db);
    db->o = *o;
    db->o.host = mem_strdup(o->host);
    db->o.user = mem_strdup(o->user);
    db->o.password = mem_strdup(o->password);
    db->o.name = mem_strdup(o->name);
    return db;
}

static void drop_connection(struct db *db)
{
    for (size_t i = 0; i < db->nstmts; i++)
        mysql_stmt_close(db->stmts[i].stmt);
    db->nstmts = 0;
    if (db->conn) {
        mysql_close(db->conn);
        metric_gauge_add(m_open, -1);
    }
    db->conn = NULL;
    set_in_tx(db, false);
}

void db_free(struct db *db)
{
    if (!db)
        return;
    drop_connection(db);
    mem_free(db->stmts);
    mem_free((char *)db->o.host);
    mem_free((char *)db->o.user);
    mem_free((char *)db->o.password);
    mem_free((char *)db->o.name);
    mem_free(db);
}

static bool is_conn_error(unsigned e)
{
    return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
           e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST_EXTENDED || e == CR_ERR_NET_READ ||
           e == CR_ERR_NET_WRITE || e == ER_SERVER_SHUTDOWN || e == ER_CONNECTION_KILLED ||
           e == CR_COMMANDS_OUT_OF_SYNC;
}

static int classify(struct db *db, unsigned e, const char *what, const char *msg)
{
    db->last_errno = e;
    db->stats.errors++;
    if (e == ER_LOCK_DEADLOCK || e == ER_LOCK_WAIT_TIMEOUT || e == ER_CHECKREAD) {
        db->stats.retryable++;
        metric_inc(m_errors[e == ER_LOCK_DEADLOCK       ? EK_DEADLOCK
                            : e == ER_LOCK_WAIT_TIMEOUT ? EK_LOCK_WAIT
                                                        : EK_CHANGED]);
        return ERR_DB_RETRY;
    }
    if (e == ER_DUP_ENTRY) {
        metric_inc(m_errors[EK_DUP]);
        return ERR_EXISTS;
    }
    if (e == ER_CONSTRAINT_FAILED) {
        metric_inc(m_errors[EK_CONSTRAINT]);
        return ERR_CONFLICT;
    }
    if (e == ER_OPTION_PREVENTS_STATEMENT) {
        /* the proxy has no primary (or a server is read-only): a write cannot run now; not
         * logged per statement, an outage would flood the log (the proxy counts them) */
        db->stats.readonly++;
        metric_inc(m_errors[EK_READONLY]);
        return ERR_READONLY;
    }
    if (is_conn_error(e)) {
        log_warn("database connection lost during %s: %u %s", what, e, msg);
        metric_inc(m_errors[EK_CONN]);
        drop_connection(db);
        return ERR_DB_CONN;
    }
    metric_inc(m_errors[EK_OTHER]);
    log_error("database error in %s: %u %s", what, e, msg);
    return ERR_DB;
}

static int connect_db(struct db *db)
{
    if (db->conn)
        return 0;
    MYSQL *m = mysql_init(NULL);
    if (!m)
        return ERR_DB_CONN;
    unsigned ct = (unsigned)((db->o.connect_timeout_ms + 999) / 1000);
    unsigned rt = (unsigned)((db->o.read_timeout_ms + 999) / 1000);
    mysql_optionsv(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_optionsv(m, MYSQL_OPT_READ_TIMEOUT, &rt);
    mysql_optionsv(m, MYSQL_OPT_WRITE_TIMEOUT, &rt);
    mysql_optionsv(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    char init[256];
    snprintf(init, sizeof init,
             "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,"
             "NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'%s",
             db->o.lock_wait_s > 0 ? ", innodb_lock_wait_timeout = " : "");
    if (db->o.lock_wait_s > 0) {
        size_t l = strlen(init);
        snprintf(init + l, sizeof init - l, "%lld", (long long)db->o.lock_wait_s);
    }
    mysql_optionsv(m, MYSQL_INIT_COMMAND, init);
    mysql_optionsv(m, MYSQL_INIT_COMMAND, "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    if (!mysql_real_connect(m, db->o.host, db->o.user, db->o.password, db->o.name,
                            (unsigned)db->o.port, NULL, 0)) {
        unsigned e = mysql_errno(m);
        db->last_errno = e;
        db->stats.errors++;
        metric_inc(m_connect_failed);
        log_warn("database connect to %s:%d failed: %u %s", db->o.host, db->o.port, e,
                 mysql_error(m));
        mysql_close(m);
        return ERR_DB_CONN;
    }
    db->conn = m;
    db->last_used_ns = clock_mono_ns();
    db->stats.reconnects++;
    metric_inc(m_connect_ok);
    metric_gauge_add(m_open, 1);
    return 0;
}

/*
 * A connection that has been idle for a while may have died with its server (a restart, a
 * failover, an idle timeout), and the first statement on it would fail: harmless for a read,
 * but a write outside a transaction cannot simply be sent again (it may have run). So, as
 * connection pools do (HikariCP's validation on borrow), a connection idle longer than
 * IDLE_CHECK_NS is pinged before use, outside a transaction, and replaced if dead. Under
 * load connections are never idle that long, so this costs nothing there.
 */
#define IDLE_CHECK_NS (1000LL * 1000 * 1000)

static int usable(struct db *db)
{
    if (db->conn && !db->in_tx && clock_mono_ns() - db->last_used_ns > IDLE_CHECK_NS) {
        if (mysql_ping(db->conn) == 0) {
            db->last_used_ns = clock_mono_ns();
            return 0;
        }
        log_warn("database connection found dead after idling; reconnecting");
        drop_connection(db);
    }
    return connect_db(db);
}

int db_ping(struct db *db)
{
    int rc = connect_db(db);
    if (rc)
        return rc;
    if (mysql_ping(db->conn) != 0) {
        drop_connection(db);
        rc = connect_db(db);
    }
    return rc;
}

bool db_connected(const struct db *db)
{
    return db->conn != NULL;
}

/* is_read: a plain SELECT (no locking clause): the statements db_set_fresh applies to */
static bool is_read(const char *sql)
{
    return strncasecmp(sql, "SELECT", 6) == 0 && !strcasestr(sql, " FOR UPDATE") &&
           !strcasestr(sql, "LOCK IN SHARE MODE");
}

static MYSQL_STMT *get_stmt(struct db *db, const struct db_stmt *st, bool fresh, int *rc)
{
    for (size_t i = 0; i < db->nstmts; i++)
        if (db->stmts[i].def == st && db->stmts[i].fresh == fresh)
            return db->stmts[i].stmt;
    MYSQL_STMT *s = mysql_stmt_init(db->conn);
    if (!s) {
        *rc = ERR_DB_CONN;
        return NULL;
    }
    char *hinted = NULL;
    const char *sql = st->sql;
    if (fresh) {
        size_t n = strlen(st->sql);
        hinted = mem_alloc(n + sizeof FRESH_HINT);
        memcpy(hinted, st->sql, n);
        memcpy(hinted + n, FRESH_HINT, sizeof FRESH_HINT);
        sql = hinted;
    }
    int prc = mysql_stmt_prepare(s, sql, (unsigned long)strlen(sql));
    mem_free(hinted);
    if (prc != 0) {
        unsigned e = mysql_stmt_errno(s);
        char msg[256];
        snprintf(msg, sizeof msg, "%s", mysql_stmt_error(s));
        mysql_stmt_close(s);
        *rc = classify(db, e, st->name, msg);
        return NULL;
    }
    my_bool one = 1;
    mysql_stmt_attr_set(s, STMT_ATTR_UPDATE_MAX_LENGTH, &one);
    if (db->nstmts == db->capstmts) {
        db->capstmts = db->capstmts ? db->capstmts * 2 : 32;
        db->stmts = mem_realloc(db->stmts, db->capstmts * sizeof *db->stmts);
    }
    db->stmts[db->nstmts++] = (struct cached_stmt){st, fresh, s};
    return s;
}

static bool is_int_type(enum enum_field_types t)
{
    return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT || t == MYSQL_TYPE_LONG ||
           t == MYSQL_TYPE_INT24 || t == MYSQL_TYPE_LONGLONG || t == MYSQL_TYPE_YEAR;
}

static int fetch_all(struct db *db, const struct db_stmt *st, MYSQL_STMT *s, struct arena *a,
                     struct db_result *out)
{
    MYSQL_RES *meta = mysql_stmt_result_metadata(s);
    if (!meta)
        return 0;
    if (mysql_stmt_store_result(s) != 0) {
        mysql_free_result(meta);
        return classify(db, mysql_stmt_errno(s), st->name, mysql_stmt_error(s));
    }
    size_t ncols = mysql_num_fields(meta);
    size_t nrows = (size_t)mysql_stmt_num_rows(s);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    MYSQL_BIND *bind = arena_calloc(a, ncols, sizeof *bind);
    my_bool *nulls = arena_calloc(a, ncols, sizeof *nulls);
    unsigned long *lens = arena_calloc(a, ncols, sizeof *lens);
    int64_t *ints = arena_calloc(a, ncols, sizeof *ints);
    for (size_t c = 0; c < ncols; c++) {
        bind[c].is_null = &nulls[c];
        bind[c].length = &lens[c];
        if (is_int_type(fields[c].type)) {
            bind[c].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[c].buffer = &ints[c];
            bind[c].is_unsigned = (fields[c].flags & UNSIGNED_FLAG) != 0;
        } else {
            unsigned long cap = fields[c].max_length + 1;
            if (cap < 32)
                cap = 32; /* dates and decimals are converted to text */
            bind[c].buffer_type = MYSQL_TYPE_STRING;
            bind[c].buffer = arena_alloc(a, cap);
            bind[c].buffer_length = cap;
        }
    }
    out->ncols = ncols;
    out->nrows = 0;
    out->cells = arena_calloc(a, nrows * ncols + 1, sizeof *out->cells);
    int rc = 0;
    if (mysql_stmt_bind_result(s, bind) != 0) {
        rc = classify(db, mysql_stmt_errno(s), st->name, mysql_stmt_error(s));
        goto done;
    }
    for (size_t r = 0; r < nrows; r++) {
        int f = mysql_stmt_fetch(s);
        if (f == MYSQL_NO_DATA)
            break;
        if (f == 1) {
            rc = classify(db, mysql_stmt_errno(s), st->name, mysql_stmt_error(s));
            goto done;
        }
        for (size_t c = 0; c < ncols; c++) {
            struct db_val *v = &out->cells[r * ncols + c];
            if (nulls[c]) {
                *v = DB_NULLV;
            } else if (bind[c].buffer_type == MYSQL_TYPE_LONGLONG) {
                *v = DB_I(ints[c]);
            } else {
                size_t len = lens[c] < bind[c].buffer_length ? lens[c] : bind[c].buffer_length;
                v->type = DB_TEXT;
                v->s = arena_str_dup(a, (struct str){bind[c].buffer, len});
            }
        }
        out->nrows++;
    }
done:
    mysql_stmt_free_result(s);
    mysql_free_result(meta);
    return rc;
}

static int exec_once(struct db *db, const struct db_stmt *st, const struct db_val *params, size_t n,
                     bool fresh, struct arena *a, struct db_result *out)
{
    int rc = usable(db);
    if (rc)
        return rc;
    MYSQL_STMT *s = get_stmt(db, st, fresh, &rc);
    if (!s)
        return rc;
    assert(n <= MAX_PARAMS);
    if (mysql_stmt_param_count(s) != n) {
        log_error("statement %s expects %lu parameters, got %zu", st->name,
                  mysql_stmt_param_count(s), n);
        return ERR_INTERNAL;
    }
    MYSQL_BIND bind[MAX_PARAMS];
    memset(bind, 0, sizeof bind[0] * (n ? n : 1));
    for (size_t i = 0; i < n; i++) {
        switch (params[i].type) {
        case DB_NULL:
            bind[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        case DB_INT:
            bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
            bind[i].buffer = (void *)&params[i].i;
            break;
        case DB_TEXT:
            bind[i].buffer_type = MYSQL_TYPE_STRING;
            bind[i].buffer = (void *)(params[i].s.p ? params[i].s.p : "");
            bind[i].buffer_length = (unsigned long)params[i].s.len;
            break;
        }
    }
    if (n && mysql_stmt_bind_param(s, bind) != 0)
        return classify(db, mysql_stmt_errno(s), st->name, mysql_stmt_error(s));
    db->stats.queries++;
    metric_inc(m_queries);
    int64_t t0 = clock_mono_ns();
    if (mysql_stmt_execute(s) != 0)
        return classify(db, mysql_stmt_errno(s), st->name, mysql_stmt_error(s));
    struct db_result ignored;
    if (!out)
        out = &ignored;
    memset(out, 0, sizeof *out);
    rc = fetch_all(db, st, s, a, out);
    db->last_used_ns = clock_mono_ns();
    metric_observe_ns(m_query_time, db->last_used_ns - t0);
    out->affected = (int64_t)mysql_stmt_affected_rows(s);
    out->insert_id = (int64_t)mysql_stmt_insert_id(s);
    if (rc == 0 && !db->in_tx && !fresh && !is_read(st->sql))
        db->wrote = true;
    return rc;
}

int db_exec(struct db *db, const struct db_stmt *st, const struct db_val *params, size_t n,
            struct arena *a, struct db_result *out)
{
    bool was_connected = db->conn != NULL;
    bool in_tx = db->in_tx;
    bool fresh = (db->fresh || (st->flags & DB_PRIMARY)) && !in_tx && is_read(st->sql);
    int rc = exec_once(db, st, params, n, fresh, a, out);
    /* a stale pooled connection (server restarted) fails the first statement; a read can
     * safely go again on a fresh connection, outside a transaction */
    if (rc == ERR_DB_CONN && was_connected && !in_tx && (st->flags & DB_IDEMPOTENT))
        rc = exec_once(db, st, params, n, fresh, a, out);
    /* no primary to read from: what the replica has is the best there is */
    if (rc == ERR_READONLY && fresh)
        rc = exec_once(db, st, params, n, false, a, out);
    return rc;
}

static int simple(struct db *db, const char *sql, const char *what)
{
    int rc = usable(db);
    if (rc)
        return rc;
    metric_inc(m_queries);
    if (mysql_real_query(db->conn, sql, (unsigned long)strlen(sql)) != 0)
        return classify(db, mysql_errno(db->conn), what, mysql_error(db->conn));
    db->last_used_ns = clock_mono_ns();
    return 0;
}

int db_begin(struct db *db)
{
    /* the statement texts are constants without data, so these need no preparing; a
     * connection found dead here has run nothing yet, so starting again is safe */
    bool was_connected = db->conn != NULL;
    int rc = simple(db, "START TRANSACTION", "begin");
    if (rc == ERR_DB_CONN && was_connected)
        rc = simple(db, "START TRANSACTION", "begin");
    if (rc == 0)
        set_in_tx(db, true);
    return rc;
}

int db_begin_snapshot(struct db *db)
{
    int rc = simple(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "snapshot");
    if (rc == 0)
        rc = simple(db, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", "snapshot");
    if (rc == 0)
        set_in_tx(db, true);
    return rc;
}

int db_commit(struct db *db)
{
    int rc = simple(db, "COMMIT", "commit");
    set_in_tx(db, false);
    if (rc == 0)
        db->wrote = true;
    return rc;
}

void db_set_fresh(struct db *db, bool on)
{
    db->fresh = on;
}

bool db_take_wrote(struct db *db)
{
    bool w = db->wrote;
    db->wrote = false;
    return w;
}

int db_sync(struct db *db)
{
    int64_t start = clock_mono_ns();
    for (;;) {
        int64_t t0 = clock_mono_ns();
        int rc = simple(db, "SELECT @@read_only", "sync");
        if (rc)
            return rc;
        MYSQL_RES *r = mysql_store_result(db->conn);
        MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
        bool replica = row && row[0] && row[0][0] == '1';
        if (r)
            mysql_free_result(r);
        /* answered by a replica: it has the writes. By the primary at once: no replica is in
         * use (or no proxy). By the primary after a wait: the replica is behind; ask again,
         * for at most DB_SYNC_MAX_NS in all (beyond the proxy's lag bound the replica gets no
         * reads at all) */
        if (replica || clock_mono_ns() - t0 < 100 * 1000000LL ||
            clock_mono_ns() - start >= DB_SYNC_MAX_NS)
            return 0;
    }
}

int db_probe(struct db *db, bool *primary_up)
{
    *primary_up = false;
    int rc = simple(db, "SELECT 1", "probe");
    if (rc == 0) {
        MYSQL_RES *r = mysql_store_result(db->conn);
        if (r)
            mysql_free_result(r);
    } else if (rc == ERR_DB_CONN) {
        rc = simple(db, "SELECT 1", "probe"); /* once more on a new connection */
        if (rc == 0) {
            MYSQL_RES *r = mysql_store_result(db->conn);
            if (r)
                mysql_free_result(r);
        }
    }
    if (rc)
        return rc;
    /* the primary, through the proxy's hint (a direct connection is to the primary anyway) */
    int prc = simple(db, "SELECT 1" FRESH_HINT, "probe_primary");
    if (prc == 0) {
        MYSQL_RES *r = mysql_store_result(db->conn);
        if (r)
            mysql_free_result(r);
        *primary_up = true;
    }
    return 0;
}

int db_rollback(struct db *db)
{
    if (!db->conn) {
        set_in_tx(db, false);
        return 0;
    }
    int rc = simple(db, "ROLLBACK", "rollback");
    set_in_tx(db, false);
    return rc;
}

bool db_in_tx(const struct db *db)
{
    return db->in_tx;
}

static const struct db_val *cell(const struct db_result *r, size_t row, size_t col)
{
    assert(row < r->nrows && col < r->ncols);
    return &r->cells[row * r->ncols + col];
}

int64_t db_int(const struct db_result *r, size_t row, size_t col)
{
    const struct db_val *v = cell(r, row, col);
    if (v->type == DB_INT)
        return v->i;
    int64_t n = 0;
    if (v->type == DB_TEXT) {
        /* DECIMAL sums arrive as text ("12" or "12.000") */
        struct str s = v->s;
        const char *dot = memchr(s.p, '.', s.len);
        if (dot)
            s.len = (size_t)(dot - s.p);
        str_to_i64(s, &n);
    }
    return n;
}

struct str db_text(const struct db_result *r, size_t row, size_t col)
{
    const struct db_val *v = cell(r, row, col);
    return v->type == DB_TEXT ? v->s : STR("");
}

bool db_is_null(const struct db_result *r, size_t row, size_t col)
{
    return cell(r, row, col)->type == DB_NULL;
}

unsigned db_last_errno(const struct db *db)
{
    return db->last_errno;
}

void db_stats_get(const struct db *db, struct db_stats *out)
{
    *out = db->stats;
}
