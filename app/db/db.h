/*
 * db — MariaDB access through prepared statements only (MariaDB Connector/C).
 *
 * A struct db is one connection plus its cache of prepared statements; every worker thread
 * owns one, so nothing here is shared or locked. The connection is opened lazily and reopened
 * after it is lost; statements are prepared on first use on each connection.
 *
 * Statements are declared once as static `struct db_stmt` values (name + SQL); the address is
 * the cache key. SQL text never contains data: every value is a bound parameter. A statement
 * marked DB_IDEMPOTENT (a plain read) is retried once, on a fresh connection, when the
 * connection was lost; anything else is not, because its outcome is unknown.
 *
 * Results are fetched completely into the caller's arena: integer columns as int64, all
 * others (strings, decimals, dates) as text, NULL as DB_NULL.
 *
 * Errors: ERR_DB_CONN (unreachable, lost), ERR_READONLY (1290: the proxy has no primary, so
 * writes are refused while reads go on), ERR_DB_RETRY (deadlock 1213, lock wait timeout
 * 1205, record changed 1020: the whole transaction must be retried), ERR_EXISTS (duplicate
 * key 1062), ERR_CONFLICT (CHECK constraint 4025), ERR_DB (anything else; logged with the
 * statement name). After an error inside a transaction the caller must db_rollback.
 *
 * Sessions run at READ COMMITTED: every decision about stock or money is made with locking
 * reads (FOR UPDATE), and READ COMMITTED releases the locks of rows a locking scan looked at
 * but did not match, and takes no gap locks, so hot-row transactions block each other less.
 *
 * Thread safety: a struct db is used by one thread at a time. db_library_init once per
 * process before threads start.
 */
#ifndef STAMPEDE_DB_DB_H
#define STAMPEDE_DB_DB_H

#include "core/arena.h"
#include "core/str.h"

#include <stdbool.h>
#include <stdint.h>

struct db_opts {
    const char *host;
    int port;
    const char *user;
    const char *password;
    const char *name;
    int64_t connect_timeout_ms;
    int64_t read_timeout_ms;
    int64_t lock_wait_s; /* innodb_lock_wait_timeout for this session; 0: server default */
};

enum db_stmt_flags {
    DB_IDEMPOTENT = 1 << 0, /* safe to repeat after a lost connection */
    /* a read that decides (a session's validity, a sign-in's account, the sign-in throttle):
     * it must see every committed write, so it carries the primary hint like db_set_fresh
     * reads, and uses the replica only while there is no primary */
    DB_PRIMARY = 1 << 1,
};

struct db_stmt {
    const char *name; /* for logs and metrics */
    const char *sql;
    unsigned flags;
};

enum db_type { DB_NULL = 0, DB_INT, DB_TEXT };

struct db_val {
    enum db_type type;
    int64_t i;
    struct str s;
};

#define DB_I(v)  ((struct db_val){DB_INT, (int64_t)(v), {NULL, 0}})
#define DB_S(v)  ((struct db_val){DB_TEXT, 0, (v)})
#define DB_CS(v) ((struct db_val){DB_TEXT, 0, str_from_cstr(v)})
#define DB_NULLV ((struct db_val){DB_NULL, 0, {NULL, 0}})

struct db_result {
    size_t nrows;
    size_t ncols;
    struct db_val *cells; /* row-major, nrows * ncols */
    int64_t affected;
    int64_t insert_id;
};

struct db;

/* db_library_init: once per process before any thread uses the library. */
void db_library_init(void);

/* db_new: a handle that will connect on first use; copies the options' strings. */
struct db *db_new(const struct db_opts *o);
void db_free(struct db *db);
/* db_thread_init/db_thread_end: in every thread that uses the library. */
void db_thread_init(void);
void db_thread_end(void);

/* db_ping: connects if needed and checks the server answers; 0 or ERR_DB_CONN. */
int db_ping(struct db *db);
bool db_connected(const struct db *db);

/*
 * db_exec: runs st with params bound in order. Rows (if any) go into out, allocated from a.
 * out may be NULL for statements without a result. Returns 0 or an error (see above).
 */
int db_exec(struct db *db, const struct db_stmt *st, const struct db_val *params, size_t n,
            struct arena *a, struct db_result *out);

/* Transactions: explicit BEGIN/COMMIT/ROLLBACK on this connection. */
int db_begin(struct db *db);
/* db_begin_snapshot: a read-only REPEATABLE READ transaction with a consistent snapshot
 * (the session default is READ COMMITTED; this applies to the next transaction only). */
int db_begin_snapshot(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
bool db_in_tx(const struct db *db);

/*
 * Read-your-writes across requests. A shopper's next page may run on another thread or node
 * (another proxy session), so the proxy's per-session causal reads do not cover it; for a
 * short while after a shopper's write the web layer calls db_set_fresh(db, true) and plain
 * SELECTs outside transactions then carry the MaxScale hint "route to master" (a second
 * prepared variant of each). If the primary is unavailable such a read falls back to the
 * replica. db_take_wrote says whether a write committed since it was last called.
 */
void db_set_fresh(struct db *db, bool on);
bool db_take_wrote(struct db *db);

/*
 * db_sync: returns once the replica the proxy reads from has applied this connection's writes
 * (a causal read: the proxy makes the replica wait for the session's GTID). Writers call it
 * between their commit and a cache invalidation, so that a reader that refills the cache from
 * the replica afterwards sees the write. When the replica is further behind than the proxy's
 * causal_reads_timeout the read is answered by the primary; then it is asked again, for at
 * most 6 s in all, until the replica has caught up or is so far behind that the proxy no longer
 * reads from it at all (max_replication_lag, 5 s by default; a larger bound needs a larger
 * DB_SYNC_MAX_NS). On a direct connection to MariaDB it costs one read.
 * Returns 0 or the read's error.
 */
int db_sync(struct db *db);

/*
 * db_probe: readiness through the proxy. 0 when a read works (on whatever server the proxy
 * chose), with *primary_up telling whether the primary answered a hinted read; otherwise the
 * error of the read.
 */
int db_probe(struct db *db, bool *primary_up);

/* Cell accessors (row, column); out of range is an assertion failure. */
int64_t db_int(const struct db_result *r, size_t row, size_t col);
struct str db_text(const struct db_result *r, size_t row, size_t col);
bool db_is_null(const struct db_result *r, size_t row, size_t col);

/* db_last_error: the server or client error number of the last failure (0 if none). */
unsigned db_last_errno(const struct db *db);

/* Counters of this handle, for metrics. */
struct db_stats {
    uint64_t queries;
    uint64_t errors;
    uint64_t reconnects;
    uint64_t retryable;
    uint64_t readonly; /* writes refused: no primary */
};
void db_stats_get(const struct db *db, struct db_stats *out);

/*
 * db_metrics_init: registers the node-wide database metrics (core/metrics; before the
 * process forks): every handle created in this process or its children then adds to them.
 * Without it handles keep only their own db_stats. Families:
 *   stampede_db_queries_total                 statements executed (prepared and simple)
 *   stampede_db_query_duration_seconds        histogram of a statement's execution + fetch
 *   stampede_db_errors_total{kind}            deadlock, lock_wait, record_changed, duplicate,
 *                                             constraint, read_only, connection, other
 *   stampede_db_connects_total{result}        connections opened: ok | failed
 *   stampede_db_connections_open              gauge: handles holding a connection now
 *   stampede_db_transactions_open             gauge: handles inside a transaction now
 *   stampede_db_retries_total                 attempts run again by db_tx/db_retry
 *   stampede_db_retries_exhausted_total       policies that gave up on a retryable error
 */
void db_metrics_init(void);
/* The two retry counters above, for retry.c to count into (NULL until db_metrics_init;
 * metric_inc takes NULL). */
extern struct metric *db_m_retries, *db_m_gave_up;

#endif
