/*
 * classify — the SQL statement classifier of stampede-dbproxy.
 *
 * Decides where the text of one COM_QUERY may run in a read/write-split session, by the rules
 * of MariaDB MaxScale's readwritesplit router (research/read-write-split.md, section 1):
 * autocommit reads that call only read-only built-ins may go to a replica, session commands
 * are replayed on every backend, SHOW WARNINGS and friends follow the previous statement, and
 * everything else goes to the primary. The primary is always a safe answer, so every doubt
 * resolves to QC_PRIMARY.
 *
 * It is a hand-written tokenizer for MariaDB 10.11 with a few lookahead rules, not a parser.
 * It never allocates, keeps a bounded stack (QC_MAX_DEPTH parenthesis levels), reads only
 * sql[0..len) and runs in O(len). It keeps no state between calls: whether a transaction is
 * open, autocommit, temporary tables, the current database and what to do with hints inside
 * transactions are the caller's (the router's); the flags report what a statement does to
 * them. Thread safety: a pure function of its input; the tables are const.
 *
 * It only has to be right for text the server accepts: text MariaDB rejects fails wherever it
 * is sent. Where a piece of text may mean different things, every meaning that the server
 * could accept must be safe on the route chosen.
 *
 * What it does not understand (sent to the primary, reason "unknown" unless noted) or leaves to
 * the caller:
 *  - Client character sets other than utf8mb4, utf8mb3 and ascii. Bytes are read as utf8mb4
 *    reads them (every byte >= 0x80 belongs to an identifier); elsewhere a byte may be a blank
 *    (0xA0 in latin1) or hide an ASCII byte inside a multi-byte character (big5, cp932, gbk,
 *    gb18030, sjis). A session in another character set must not be split: the caller keeps
 *    it on the primary, watching the handshake and QC_SET_CHARSET.
 *  - sql_mode NO_BACKSLASH_ESCAPES, ANSI_QUOTES and MSSQL ([name] quotes) move the end of a
 *    quoted text. When a string holds a backslash or the text a '[', it is tokenized again
 *    under those modes; if the readings that are valid SQL disagree, the result is QC_PRIMARY
 *    with the union of their flags. Under ANSI_QUOTES, "name"( is taken for a stored function
 *    call. Of sql_mode=ORACLE only seq.NEXTVAL and seq.CURRVAL are known; its BEGIN ... END
 *    blocks are reported as BEGIN (QC_BEGIN) or as QC_MULTI.
 *  - Versioned comments that MariaDB 10.11.0 skips but a later server executes
 *    (/[*]!110000 ... [*]/, /[*]M!101105 ...; the star is bracketed here only): their content
 *    is conditional code.
 *    Versioned comments that every MariaDB skips (/[*]!50700 ... up to 99999, MySQL's) are
 *    comments.
 *  - Parenthesis nesting deeper than QC_MAX_DEPTH.
 *  - Any identifier followed by '(' that is not a listed built-in, a keyword that takes
 *    parentheses, a CTE or INSERT column list, or a cast type: it is taken for a stored
 *    function (reason "unknown_function"). So are `quoted`( and db.name( . This includes
 *    derived-table column lists "(SELECT ...) AS t(a, b)" and PROCEDURE ANALYSE().
 *  - Compound statements (stored program bodies, BEGIN NOT ATOMIC) contain ';' and are
 *    reported as QC_MULTI; they go to the primary either way.
 *  - What a statement names but does not show: a read of a view whose definition calls a stored
 *    function with side effects looks like any read (as it does to MaxScale).
 *  - Temporary tables: a read of one looks like any read. After QC_TEMP_CREATE the caller must
 *    keep the session's reads on the primary (MaxScale tracks table names; this does not).
 *  - SET TRANSACTION READ ONLY followed by BEGIN: the BEGIN is reported as QC_BEGIN.
 *  - SET autocommit = anything but 0, 1, ON, OFF, TRUE, FALSE, 'ON' or 'OFF' (DEFAULT, @x,
 *    an expression) is reported as QC_AUTOCOMMIT_OFF, the value that keeps reads on the
 *    primary.
 *  - user@host is told from a user variable only in SHOW (SHOW GRANTS FOR 'u'@'h'); elsewhere
 *    it only appears in statements that go to the primary anyway.
 *  - START TRANSACTION with a characteristics list longer than its first 16 tokens is not
 *    READ ONLY.
 *  - MaxScale hints other than "route to master|slave|last" (route to server NAME, named hints,
 *    name=value) are ignored. Hints are reported in the flags, never applied to the route.
 *
 * Decisions that are choices, not MaxScale rules: SLEEP(), UUID(), RAND(), CONNECTION_ID(),
 * MASTER_GTID_WAIT() and MASTER_POS_WAIT() are read-only built-ins (replica); BENCHMARK(),
 * LOAD_FILE() and BINLOG_GTID_POS() (the binary log of the server asked) go to the primary as
 * side effects; only the built-ins of MariaDB 10.11 are known; EXPLAIN of a statement that would
 * lock, call an unknown function or use a user variable goes to the primary although EXPLAIN runs
 * nothing; SHOW PROFILE(S) follows the previous statement; SHOW EXPLAIN/ANALYZE FOR, EXPLAIN FOR
 * CONNECTION (connection ids belong to one server) go to the primary.
 */
#ifndef STAMPEDE_DBPROXY_CLASSIFY_H
#define STAMPEDE_DBPROXY_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

/* Parenthesis levels tracked; deeper text is sent to the primary ("unknown"). */
#define QC_MAX_DEPTH 64

enum qc_route {
    /* an autocommit-safe read: a replica may serve it */
    QC_REPLICA,
    /* writes, locking reads, side effects, session-dependent state, anything not understood */
    QC_PRIMARY,
    /* a session command, replayed on every backend of the session: SET of session variables,
     * USE, SET NAMES/CHARACTER SET, SET autocommit, SET TRANSACTION, SET ROLE */
    QC_ALL,
    /* must run where the previous statement ran: SHOW WARNINGS/ERRORS, SHOW COUNT(*)
     * WARNINGS/ERRORS, SHOW PROFILE(S), GET DIAGNOSTICS, SELECT FOUND_ROWS(), SELECT
     * ROW_COUNT(), SELECT @@warning_count / @@error_count */
    QC_PREVIOUS,
};

/* A bit set, independent of the route. */
enum qc_flag {
    /* BEGIN [WORK], START TRANSACTION (not READ ONLY), XA START/BEGIN, COMMIT/ROLLBACK AND
     * CHAIN */
    QC_BEGIN = 1 << 0,
    /* START TRANSACTION READ ONLY (characteristics in any order, e.g. "WITH CONSISTENT
     * SNAPSHOT, READ ONLY") */
    QC_BEGIN_READONLY = 1 << 1,
    /* COMMIT, ROLLBACK (not ROLLBACK TO SAVEPOINT), XA END/PREPARE/COMMIT/ROLLBACK */
    QC_END = 1 << 2,
    /* SET autocommit=0/OFF/false (also @@autocommit, @@session.autocommit, SESSION
     * autocommit, inside a SET list; not GLOBAL) */
    QC_AUTOCOMMIT_OFF = 1 << 3,
    /* SET autocommit=1/ON/true */
    QC_AUTOCOMMIT_ON = 1 << 4,
    /* CREATE [OR REPLACE] TEMPORARY TABLE (and TEMPORARY SEQUENCE) */
    QC_TEMP_CREATE = 1 << 5,
    /* LOCK TABLE(S), FLUSH TABLES ... WITH READ LOCK / FOR EXPORT */
    QC_LOCK_TABLES = 1 << 6,
    /* UNLOCK TABLE(S) */
    QC_UNLOCK_TABLES = 1 << 7,
    /* more than one statement (a ';' followed by anything but whitespace and comments); the
     * other flags are then the union over all the statements, in no order */
    QC_MULTI = 1 << 8,
    /* the first comment is a MaxScale hint: -- maxscale route to master (also as
     * "# maxscale ..." and as a block comment) */
    QC_HINT_PRIMARY = 1 << 9,
    /* ... route to slave */
    QC_HINT_REPLICA = 1 << 10,
    /* ... route to last */
    QC_HINT_LAST = 1 << 11,
    /* USE db (see qc_info.db_off) */
    QC_USE_DB = 1 << 12,
    /* FOR UPDATE, LOCK IN SHARE MODE, FOR SHARE, at any depth */
    QC_LOCKING_READ = 1 << 13,
    /* reads or assigns a user variable @x (not @@x, not user@host in SHOW) */
    QC_USER_VAR = 1 << 14,
    /* calls a function with side effects or per-session results (LAST_INSERT_ID, GET_LOCK,
     * NEXTVAL, NEXT VALUE FOR, seq.NEXTVAL, ...) or an unknown or stored function, or reads
     * @@last_insert_id, @@identity, @@insert_id or @@last_gtid */
    QC_SIDE_EFFECT = 1 << 15,
    /* SET NAMES, SET CHARACTER SET/CHARSET, SET character_set_client: the client character set
     * changes (qc_info.cs_off; the header comment says why it matters) */
    QC_SET_CHARSET = 1 << 16,
};

#define QC_FLAG_MASK ((1u << 17) - 1)

/*
 * reason: a static string naming why the route was chosen, for use as a metric label:
 *   "read"             QC_REPLICA: a read with nothing that pins it
 *   "write"            DML, DDL, administration, SELECT ... INTO, ANALYZE, SET GLOBAL,
 *                      SET PASSWORD, SET DEFAULT ROLE, FLUSH
 *   "locking_read"     FOR UPDATE, LOCK IN SHARE MODE, FOR SHARE
 *   "side_effect"      a function with side effects or per-session results, @@last_insert_id
 *                      and friends (and FOUND_ROWS()/ROW_COUNT() inside SET)
 *   "unknown_function" a call of something that is not a listed built-in
 *   "user_var"         a user variable is read or assigned
 *   "multi"            more than one statement
 *   "transaction"      BEGIN, START TRANSACTION (READ ONLY too, on QC_REPLICA), COMMIT,
 *                      ROLLBACK, SAVEPOINT, RELEASE SAVEPOINT, XA, LOCK/UNLOCK TABLES
 *   "session_command"  QC_ALL
 *   "previous"         QC_PREVIOUS
 *   "server_specific"  asks about one server: SHOW MASTER STATUS, SHOW BINLOG STATUS/EVENTS,
 *                      SHOW BINARY/MASTER LOGS, SHOW ENGINE, SHOW PROCESSLIST, SHOW
 *                      EXPLAIN/ANALYZE FOR, EXPLAIN FOR CONNECTION
 *   "subquery"         a SET whose value is a subquery
 *   "unknown"          empty, not understood, not valid SQL, conditional code
 * qc_reasons lists them all (NULL-terminated), so metrics can be registered up front.
 */
extern const char *const qc_reasons[];

struct qc_info {
    enum qc_route route;
    unsigned flags;     /* enum qc_flag bits */
    const char *reason; /* one of qc_reasons */
    size_t db_off;      /* QC_USE_DB: the database name of the last USE in the text is */
    size_t db_len;      /* sql[db_off..db_off+db_len), backticks stripped, `` not undoubled;
                           db_len is 0 otherwise */
    size_t cs_off;      /* QC_SET_CHARSET: the new character set's name as written, quotes */
    size_t cs_len;      /* stripped; cs_len is 0 when it is not a plain name (DEFAULT, an
                           expression), so the new set is not known */
};

/*
 * qc_classify: classifies sql[0..len) (not NUL-terminated; may contain NUL bytes, invalid
 * UTF-8, anything) into *out. Never fails: what it does not understand is QC_PRIMARY. Reads
 * nothing outside the input, never allocates, uses a bounded stack and runs in O(len) (the
 * text is tokenized at most five times, see the header comment on sql_mode).
 */
void qc_classify(const char *sql, size_t len, struct qc_info *out);

/* qc_selfcheck: true when the built-in keyword and function tables are sorted (for tests). */
bool qc_selfcheck(void);

#endif
