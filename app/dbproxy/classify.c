/* classify — the SQL statement classifier of stampede-dbproxy; see classify.h. */
#include "classify.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/*
 * Versioned comments up to this version are code: MariaDB 10.11.0. A later version is
 * conditional: 10.11.0 skips it, a newer server runs it.
 */
#define QC_SERVER_VERSION 101100UL

/* The first tokens of a statement are kept for the rules that look a few tokens ahead. */
#define QC_WIN 16

static const char r_read[] = "read", r_write[] = "write", r_locking[] = "locking_read",
                  r_side[] = "side_effect", r_unknown_fn[] = "unknown_function",
                  r_user_var[] = "user_var", r_multi[] = "multi", r_trx[] = "transaction",
                  r_session[] = "session_command", r_previous[] = "previous",
                  r_server[] = "server_specific", r_subquery[] = "subquery",
                  r_unknown[] = "unknown";

const char *const qc_reasons[] = {r_read,     r_write,    r_locking, r_side,    r_unknown_fn,
                                  r_user_var, r_multi,    r_trx,     r_session, r_previous,
                                  r_server,   r_subquery, r_unknown, NULL};

/* ---- keywords and built-in functions ------------------------------------------------------ */

enum kw_flag {
    KF_PAREN = 1, /* reserved word that '(' may follow without a call (IN (, OVER (, INT() */
    KF_TYPE = 2,  /* a type name: '(' is its length after AS, in CONVERT(x, ...) and JSON_TABLE */
    KF_ADMIN = 4, /* starts a statement that writes or administers; not scanned */
};

struct kw_entry {
    const char *name;
    unsigned char id;
    unsigned char flags;
};

/* The keywords the rules need, sorted: a keyword's id is its place, kw_table[id - 1]. */
/* clang-format off */
#define QC_KEYWORDS(X) \
    X(AGAINST, 0) X(ALL, KF_PAREN) X(ALTER, KF_ADMIN) X(ANALYZE, 0) X(AND, KF_PAREN) X(ANY, 0) \
    X(AS, KF_PAREN) X(BACKUP, KF_ADMIN) X(BEGIN, 0) X(BETWEEN, KF_PAREN) \
    X(BIGINT, KF_PAREN|KF_TYPE) X(BINARY, KF_PAREN|KF_TYPE) X(BINLOG, KF_ADMIN) X(BIT, KF_TYPE) \
    X(BY, KF_PAREN) X(CACHE, KF_ADMIN) X(CALL, 0) X(CASE, KF_PAREN) X(CHAIN, 0) \
    X(CHANGE, KF_ADMIN) X(CHAR, KF_TYPE) X(CHARACTER, KF_PAREN|KF_TYPE) X(CHARSET, 0) \
    X(CHECK, KF_ADMIN) X(CHECKSUM, KF_ADMIN) X(COLUMNS, 0) X(COMMIT, 0) X(CONNECTION, 0) \
    X(CONSISTENT, 0) X(COUNT, 0) X(CREATE, 0) X(CURRENT, 0) X(CYCLE, 0) X(DATE, KF_TYPE) \
    X(DATETIME, KF_TYPE) X(DEALLOCATE, KF_ADMIN) X(DEC, KF_PAREN|KF_TYPE) \
    X(DECIMAL, KF_PAREN|KF_TYPE) X(DEFAULT, 0) X(DELAYED, 0) X(DELETE, 0) X(DESC, 0) \
    X(DESCRIBE, 0) X(DIAGNOSTICS, 0) X(DISTINCT, KF_PAREN) X(DISTINCTROW, KF_PAREN) \
    X(DIV, KF_PAREN) X(DO, 0) X(DOUBLE, KF_PAREN|KF_TYPE) X(DROP, KF_ADMIN) X(ELSE, KF_PAREN) \
    X(END, 0) X(ENGINE, 0) X(ERRORS, 0) X(EVENTS, 0) X(EXCEPT, KF_PAREN) X(EXECUTE, KF_ADMIN) \
    X(EXISTS, KF_PAREN) X(EXPLAIN, 0) X(EXPORT, 0) X(EXTENDED, 0) X(FIXED, KF_TYPE) \
    X(FLOAT, KF_PAREN|KF_TYPE) X(FLUSH, 0) X(FOR, 0) X(FORMAT, 0) X(FROM, KF_PAREN) X(FULL, 0) \
    X(GET, 0) X(GLOBAL, 0) X(GRANT, KF_ADMIN) X(GROUP, KF_PAREN) X(HANDLER, KF_ADMIN) \
    X(HAVING, KF_PAREN) X(HELP, 0) X(HIGH_PRIORITY, 0) X(IGNORE, 0) X(IN, KF_PAREN) \
    X(INDEX, KF_PAREN) X(INSERT, 0) X(INSTALL, KF_ADMIN) X(INT, KF_PAREN|KF_TYPE) \
    X(INTEGER, KF_PAREN|KF_TYPE) X(INTERSECT, KF_PAREN) X(INTO, 0) X(JOIN, KF_PAREN) \
    X(KEY, KF_PAREN) X(KILL, KF_ADMIN) X(LIKE, KF_PAREN) X(LOAD, KF_ADMIN) X(LOCAL, 0) X(LOCK, 0) \
    X(LOGS, 0) X(LOW_PRIORITY, 0) X(MASTER, 0) X(MEDIUMINT, KF_PAREN|KF_TYPE) X(MODE, 0) \
    X(NAMES, 0) X(NCHAR, KF_TYPE) X(NEXT, 0) X(NO, 0) X(NOT, KF_PAREN) \
    X(NUMERIC, KF_PAREN|KF_TYPE) X(ON, KF_PAREN) X(ONLY, 0) X(OPTIMIZE, KF_ADMIN) X(OR, KF_PAREN) \
    X(OVER, KF_PAREN) X(PARTITION, KF_PAREN) X(PARTITIONS, 0) X(PASSWORD, 0) X(PREPARE, KF_ADMIN) \
    X(PREVIOUS, 0) X(PROCESSLIST, 0) X(PROFILE, 0) X(PROFILES, 0) X(PURGE, KF_ADMIN) \
    X(RANGE, KF_PAREN) X(READ, 0) X(REAL, KF_PAREN|KF_TYPE) X(RECURSIVE, 0) X(REGEXP, KF_PAREN) \
    X(RELEASE, 0) X(RENAME, KF_ADMIN) X(REPAIR, KF_ADMIN) X(REPLACE, 0) X(RESET, KF_ADMIN) \
    X(RESIGNAL, KF_ADMIN) X(RESTRICT, 0) X(RETURNING, KF_PAREN) X(REVOKE, KF_ADMIN) \
    X(RLIKE, KF_PAREN) X(ROLE, 0) X(ROLLBACK, 0) X(ROLLUP, 0) X(ROWS, KF_PAREN) X(SAVEPOINT, 0) \
    X(SELECT, KF_PAREN) X(SEQUENCE, 0) X(SESSION, 0) X(SET, 0) X(SHARE, 0) X(SHOW, 0) \
    X(SHUTDOWN, KF_ADMIN) X(SIGNAL, KF_ADMIN) X(SIGNED, KF_TYPE) X(SMALLINT, KF_PAREN|KF_TYPE) \
    X(SNAPSHOT, 0) X(SOME, 0) X(STACKED, 0) X(START, 0) X(STATEMENT, 0) X(STATUS, 0) \
    X(STOP, KF_ADMIN) X(STRAIGHT_JOIN, KF_PAREN) X(TABLE, 0) X(TABLES, 0) X(TEMPORARY, 0) \
    X(THEN, KF_PAREN) X(TIME, KF_TYPE) X(TIMESTAMP, KF_TYPE) X(TINYINT, KF_PAREN|KF_TYPE) \
    X(TO, KF_PAREN) X(TRANSACTION, 0) X(TRUNCATE, KF_ADMIN) X(UNINSTALL, KF_ADMIN) X(UNION, KF_PAREN) \
    X(UNLOCK, 0) X(UNSIGNED, KF_PAREN|KF_TYPE) X(UPDATE, 0) X(USE, 0) X(USING, KF_PAREN) \
    X(VALUE, 0) X(VALUES, KF_PAREN) X(VARBINARY, KF_PAREN|KF_TYPE) X(VARCHAR, KF_PAREN|KF_TYPE) \
    X(WARNINGS, 0) X(WHEN, KF_PAREN) X(WHERE, KF_PAREN) X(WINDOW, KF_PAREN) X(WITH, KF_PAREN) \
    X(WORK, 0) X(WRITE, 0) X(XA, 0) X(XOR, KF_PAREN)
/* clang-format on */

#define KW_ID(name, flags) KW_##name,
enum kw { KW_NONE, QC_KEYWORDS(KW_ID) };
#undef KW_ID

#define KW_ENTRY(name, flags) {#name, KW_##name, flags},
static const struct kw_entry kw_table[] = {QC_KEYWORDS(KW_ENTRY)};
#undef KW_ENTRY

enum fn_class {
    FN_OK,   /* read-only built-in: fine on a replica */
    FN_SIDE, /* side effect or per-session result: primary */
    FN_PREV, /* about the previous statement: where it ran */
};

/* What opened a parenthesis: decides which words may come before the next '(' inside it. */
enum opener {
    OPN_NONE, /* grouping, subquery, IN list, ... */
    OPN_FUNC,
    OPN_CONVERT,    /* CONVERT(x, type(n)) */
    OPN_MATCH,      /* MATCH (...) AGAINST (...) */
    OPN_JSON_TABLE, /* JSON_TABLE(... COLUMNS (...)) */
    OPN_COLUMNS,
    OPN_CTE_COLS, /* WITH name (columns) */
    OPN_CTE_BODY, /* WITH name AS (body) */
};

struct fn_entry {
    const char *name;
    unsigned char cls;
    unsigned char opener;
};

/*
 * The built-in functions of MariaDB 10.11 (sql/item_create.cc, the functions the grammar knows
 * as keywords, the aggregate, window, JSON, dynamic-column and GIS families), sorted, with
 * their class. A name that is not here is a stored function or a UDF to 10.11, and so are the
 * built-ins of later versions (FORMAT_PICO_TIME, UUID_V7, VEC_DISTANCE, ...): a 10.11 server
 * would call a stored function of that name.
 */
/* clang-format off */
#define QC_FUNCTIONS(OK, OKO, SIDE, PREV) \
    OK(ABS) OK(ACOS) OK(ADDDATE) OK(ADDTIME) OK(ADD_MONTHS) OK(AES_DECRYPT) OK(AES_ENCRYPT) \
    OK(AREA) OK(ASBINARY) OK(ASCII) OK(ASIN) OK(ASTEXT) OK(ASWKB) OK(ASWKT) OK(ATAN) OK(ATAN2) \
    OK(AVG) SIDE(BENCHMARK) OK(BIN) SIDE(BINLOG_GTID_POS) OK(BIT_AND) OK(BIT_COUNT) \
    OK(BIT_LENGTH) OK(BIT_OR) OK(BIT_XOR) OK(BOUNDARY) OK(BUFFER) OK(CAST) OK(CEIL) OK(CEILING) \
    OK(CENTROID) OK(CHAR) OK(CHARACTER_LENGTH) OK(CHARSET) OK(CHAR_LENGTH) OK(CHR) OK(COALESCE) \
    OK(COERCIBILITY) OK(COLLATION) OK(COLUMN_ADD) OK(COLUMN_CHECK) OK(COLUMN_CREATE) \
    OK(COLUMN_DELETE) OK(COLUMN_EXISTS) OK(COLUMN_GET) OK(COLUMN_JSON) OK(COLUMN_LIST) \
    OK(COMPRESS) OK(CONCAT) OK(CONCAT_OPERATOR_ORACLE) OK(CONCAT_WS) OK(CONNECTION_ID) \
    OK(CONTAINS) OK(CONV) OKO(CONVERT, OPN_CONVERT) OK(CONVERT_TZ) OK(CONVEXHULL) OK(COS) OK(COT) \
    OK(COUNT) OK(CRC32) OK(CRC32C) OK(CROSSES) OK(CUME_DIST) OK(CURDATE) OK(CURRENT_DATE) \
    OK(CURRENT_ROLE) OK(CURRENT_TIME) OK(CURRENT_TIMESTAMP) OK(CURRENT_USER) OK(CURTIME) \
    OK(DATABASE) OK(DATE) OK(DATEDIFF) OK(DATE_ADD) OK(DATE_FORMAT) OK(DATE_SUB) OK(DAY) \
    OK(DAYNAME) OK(DAYOFMONTH) OK(DAYOFWEEK) OK(DAYOFYEAR) OK(DECODE) OK(DECODE_HISTOGRAM) \
    OK(DECODE_ORACLE) OK(DEFAULT) OK(DEGREES) OK(DENSE_RANK) OK(DES_DECRYPT) OK(DES_ENCRYPT) \
    OK(DIMENSION) OK(DISJOINT) OK(ELT) OK(ENCODE) OK(ENCRYPT) OK(ENDPOINT) OK(ENVELOPE) \
    OK(EQUALS) OK(EXP) OK(EXPORT_SET) OK(EXTERIORRING) OK(EXTRACT) OK(EXTRACTVALUE) OK(FIELD) \
    OK(FIND_IN_SET) OK(FIRST_VALUE) OK(FLOOR) OK(FORMAT) PREV(FOUND_ROWS) OK(FROM_BASE64) \
    OK(FROM_DAYS) OK(FROM_UNIXTIME) OK(GEOMCOLLFROMTEXT) OK(GEOMCOLLFROMWKB) \
    OK(GEOMETRYCOLLECTION) OK(GEOMETRYCOLLECTIONFROMTEXT) OK(GEOMETRYCOLLECTIONFROMWKB) \
    OK(GEOMETRYFROMTEXT) OK(GEOMETRYFROMWKB) OK(GEOMETRYN) OK(GEOMETRYTYPE) OK(GEOMFROMTEXT) \
    OK(GEOMFROMWKB) OK(GET_FORMAT) SIDE(GET_LOCK) OK(GLENGTH) OK(GREATEST) OK(GROUP_CONCAT) \
    OK(HEX) OK(HOUR) OK(IF) OK(IFNULL) OK(INET6_ATON) OK(INET6_NTOA) OK(INET_ATON) OK(INET_NTOA) \
    OK(INSERT) OK(INSTR) OK(INTERIORRINGN) OK(INTERSECTS) OK(INTERVAL) OK(ISCLOSED) OK(ISEMPTY) \
    OK(ISNULL) OK(ISRING) OK(ISSIMPLE) SIDE(IS_FREE_LOCK) OK(IS_IPV4) OK(IS_IPV4_COMPAT) \
    OK(IS_IPV4_MAPPED) OK(IS_IPV6) SIDE(IS_USED_LOCK) OK(JSON_ARRAY) OK(JSON_ARRAYAGG) \
    OK(JSON_ARRAY_APPEND) OK(JSON_ARRAY_INSERT) OK(JSON_COMPACT) OK(JSON_CONTAINS) \
    OK(JSON_CONTAINS_PATH) OK(JSON_DEPTH) OK(JSON_DETAILED) OK(JSON_EQUALS) OK(JSON_EXISTS) \
    OK(JSON_EXTRACT) OK(JSON_INSERT) OK(JSON_KEYS) OK(JSON_LENGTH) OK(JSON_LOOSE) OK(JSON_MERGE) \
    OK(JSON_MERGE_PATCH) OK(JSON_MERGE_PRESERVE) OK(JSON_NORMALIZE) OK(JSON_OBJECT) \
    OK(JSON_OBJECTAGG) OK(JSON_OVERLAPS) OK(JSON_PRETTY) OK(JSON_QUERY) OK(JSON_QUOTE) \
    OK(JSON_REMOVE) OK(JSON_REPLACE) OK(JSON_SEARCH) OK(JSON_SET) OKO(JSON_TABLE, OPN_JSON_TABLE) \
    OK(JSON_TYPE) OK(JSON_UNQUOTE) OK(JSON_VALID) OK(JSON_VALUE) OK(LAG) SIDE(LASTVAL) \
    OK(LAST_DAY) SIDE(LAST_INSERT_ID) OK(LAST_VALUE) OK(LCASE) OK(LEAD) OK(LEAST) OK(LEFT) \
    OK(LENGTH) OK(LENGTHB) OK(LINEFROMTEXT) OK(LINEFROMWKB) OK(LINESTRING) OK(LINESTRINGFROMTEXT) \
    OK(LINESTRINGFROMWKB) OK(LN) SIDE(LOAD_FILE) OK(LOCALTIME) OK(LOCALTIMESTAMP) OK(LOCATE) \
    OK(LOG) OK(LOG10) OK(LOG2) OK(LOWER) OK(LPAD) OK(LPAD_ORACLE) OK(LTRIM) OK(LTRIM_ORACLE) \
    OK(MAKEDATE) OK(MAKETIME) OK(MAKE_SET) OK(MASTER_GTID_WAIT) OK(MASTER_POS_WAIT) \
    OKO(MATCH, OPN_MATCH) OK(MAX) OK(MBRCONTAINS) OK(MBRCOVEREDBY) OK(MBRDISJOINT) OK(MBREQUAL) \
    OK(MBREQUALS) OK(MBRINTERSECTS) OK(MBROVERLAPS) OK(MBRTOUCHES) OK(MBRWITHIN) OK(MD5) \
    OK(MEDIAN) OK(MICROSECOND) OK(MID) OK(MIN) OK(MINUTE) OK(MLINEFROMTEXT) OK(MLINEFROMWKB) \
    OK(MOD) OK(MONTH) OK(MONTHNAME) OK(MPOINTFROMTEXT) OK(MPOINTFROMWKB) OK(MPOLYFROMTEXT) \
    OK(MPOLYFROMWKB) OK(MULTILINESTRING) OK(MULTILINESTRINGFROMTEXT) OK(MULTILINESTRINGFROMWKB) \
    OK(MULTIPOINT) OK(MULTIPOINTFROMTEXT) OK(MULTIPOINTFROMWKB) OK(MULTIPOLYGON) \
    OK(MULTIPOLYGONFROMTEXT) OK(MULTIPOLYGONFROMWKB) OK(NAME_CONST) OK(NATURAL_SORT_KEY) \
    SIDE(NEXTVAL) OK(NOW) OK(NTH_VALUE) OK(NTILE) OK(NULLIF) OK(NUMGEOMETRIES) \
    OK(NUMINTERIORRINGS) OK(NUMPOINTS) OK(NVL) OK(NVL2) OK(OCT) OK(OCTET_LENGTH) OK(OLD_PASSWORD) \
    OK(ORD) OK(OVERLAPS) OK(PASSWORD) OK(PERCENTILE_CONT) OK(PERCENTILE_DISC) OK(PERCENT_RANK) \
    OK(PERIOD_ADD) OK(PERIOD_DIFF) OK(PI) OK(POINT) OK(POINTFROMTEXT) OK(POINTFROMWKB) OK(POINTN) \
    OK(POINTONSURFACE) OK(POLYFROMTEXT) OK(POLYFROMWKB) OK(POLYGON) OK(POLYGONFROMTEXT) \
    OK(POLYGONFROMWKB) OK(POSITION) OK(POW) OK(POWER) OK(QUARTER) OK(QUOTE) OK(RADIANS) OK(RAND) \
    OK(RANDOM_BYTES) OK(RANK) OK(REGEXP_INSTR) OK(REGEXP_REPLACE) OK(REGEXP_SUBSTR) \
    SIDE(RELEASE_ALL_LOCKS) SIDE(RELEASE_LOCK) OK(REPEAT) OK(REPLACE) OK(REPLACE_ORACLE) \
    OK(REVERSE) OK(RIGHT) OK(ROUND) OK(ROW) PREV(ROW_COUNT) OK(ROW_NUMBER) OK(RPAD) \
    OK(RPAD_ORACLE) OK(RTRIM) OK(RTRIM_ORACLE) OK(SCHEMA) OK(SECOND) OK(SEC_TO_TIME) \
    OK(SESSION_USER) SIDE(SETVAL) OK(SFORMAT) OK(SHA) OK(SHA1) OK(SHA2) OK(SIGN) OK(SIN) \
    OK(SLEEP) OK(SOUNDEX) OK(SPACE) OK(SQRT) OK(SRID) OK(STARTPOINT) OK(STD) OK(STDDEV) \
    OK(STDDEV_POP) OK(STDDEV_SAMP) OK(STRCMP) OK(STR_TO_DATE) OK(ST_AREA) OK(ST_ASBINARY) \
    OK(ST_ASGEOJSON) OK(ST_ASTEXT) OK(ST_ASWKB) OK(ST_ASWKT) OK(ST_BOUNDARY) OK(ST_BUFFER) \
    OK(ST_CENTROID) OK(ST_CONTAINS) OK(ST_CONVEXHULL) OK(ST_CROSSES) OK(ST_DIFFERENCE) \
    OK(ST_DIMENSION) OK(ST_DISJOINT) OK(ST_DISTANCE) OK(ST_DISTANCE_SPHERE) OK(ST_ENDPOINT) \
    OK(ST_ENVELOPE) OK(ST_EQUALS) OK(ST_EXTERIORRING) OK(ST_GEOMCOLLFROMTEXT) \
    OK(ST_GEOMCOLLFROMWKB) OK(ST_GEOMETRYCOLLECTIONFROMTEXT) OK(ST_GEOMETRYCOLLECTIONFROMWKB) \
    OK(ST_GEOMETRYFROMTEXT) OK(ST_GEOMETRYFROMWKB) OK(ST_GEOMETRYN) OK(ST_GEOMETRYTYPE) \
    OK(ST_GEOMFROMGEOJSON) OK(ST_GEOMFROMTEXT) OK(ST_GEOMFROMWKB) OK(ST_INTERIORRINGN) \
    OK(ST_INTERSECTION) OK(ST_INTERSECTS) OK(ST_ISCLOSED) OK(ST_ISEMPTY) OK(ST_ISRING) \
    OK(ST_ISSIMPLE) OK(ST_LENGTH) OK(ST_LINEFROMTEXT) OK(ST_LINEFROMWKB) \
    OK(ST_LINESTRINGFROMTEXT) OK(ST_LINESTRINGFROMWKB) OK(ST_MLINEFROMTEXT) OK(ST_MLINEFROMWKB) \
    OK(ST_MPOINTFROMTEXT) OK(ST_MPOINTFROMWKB) OK(ST_MPOLYFROMTEXT) OK(ST_MPOLYFROMWKB) \
    OK(ST_MULTILINESTRINGFROMTEXT) OK(ST_MULTILINESTRINGFROMWKB) OK(ST_MULTIPOINTFROMTEXT) \
    OK(ST_MULTIPOINTFROMWKB) OK(ST_MULTIPOLYGONFROMTEXT) OK(ST_MULTIPOLYGONFROMWKB) \
    OK(ST_NUMGEOMETRIES) OK(ST_NUMINTERIORRINGS) OK(ST_NUMPOINTS) OK(ST_OVERLAPS) \
    OK(ST_POINTFROMTEXT) OK(ST_POINTFROMWKB) OK(ST_POINTN) OK(ST_POINTONSURFACE) \
    OK(ST_POLYFROMTEXT) OK(ST_POLYFROMWKB) OK(ST_POLYGONFROMTEXT) OK(ST_POLYGONFROMWKB) \
    OK(ST_RELATE) OK(ST_SRID) OK(ST_STARTPOINT) OK(ST_SYMDIFFERENCE) OK(ST_TOUCHES) OK(ST_UNION) \
    OK(ST_WITHIN) OK(ST_X) OK(ST_Y) OK(SUBDATE) OK(SUBSTR) OK(SUBSTRING) OK(SUBSTRING_INDEX) \
    OK(SUBSTR_ORACLE) OK(SUBTIME) OK(SUM) OK(SYSDATE) OK(SYSTEM_USER) OK(SYS_GUID) OK(TAN) \
    OK(TIME) OK(TIMEDIFF) OK(TIMESTAMP) OK(TIMESTAMPADD) OK(TIMESTAMPDIFF) OK(TIME_FORMAT) \
    OK(TIME_TO_SEC) OK(TOUCHES) OK(TO_BASE64) OK(TO_CHAR) OK(TO_DAYS) OK(TO_SECONDS) OK(TRIM) \
    OK(TRIM_ORACLE) OK(TRUNCATE) OK(UCASE) OK(UNCOMPRESS) OK(UNCOMPRESSED_LENGTH) OK(UNHEX) \
    OK(UNIX_TIMESTAMP) OK(UPDATEXML) OK(UPPER) OK(USER) OK(UTC_DATE) OK(UTC_TIME) \
    OK(UTC_TIMESTAMP) OK(UUID) OK(UUID_SHORT) OK(VALUE) OK(VALUES) OK(VARIANCE) OK(VAR_POP) \
    OK(VAR_SAMP) OK(VERSION) OK(WEEK) OK(WEEKDAY) OK(WEEKOFYEAR) OK(WEIGHT_STRING) OK(WITHIN) \
    SIDE(WSREP_LAST_SEEN_GTID) SIDE(WSREP_LAST_WRITTEN_GTID) SIDE(WSREP_SYNC_WAIT_UPTO_GTID) \
    OK(X) OK(Y) OK(YEAR) OK(YEARWEEK)
/* clang-format on */

#define FN_OK_(name)          {#name, FN_OK, OPN_FUNC},
#define FN_OKO_(name, opener) {#name, FN_OK, opener},
#define FN_SIDE_(name)        {#name, FN_SIDE, OPN_FUNC},
#define FN_PREV_(name)        {#name, FN_PREV, OPN_FUNC},
static const struct fn_entry fn_table[] = {QC_FUNCTIONS(FN_OK_, FN_OKO_, FN_SIDE_, FN_PREV_)};
#undef FN_OK_
#undef FN_OKO_
#undef FN_SIDE_
#undef FN_PREV_

/* upper: word p[0..len) in ASCII upper case into buf; false when it cannot be a table entry. */
static bool upper(const char *p, size_t len, char *buf, size_t cap)
{
    if (len == 0 || len >= cap)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 'a' && c <= 'z')
            c = (unsigned char)(c - 'a' + 'A');
        else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
        buf[i] = (char)c;
    }
    buf[len] = '\0';
    return true;
}

static unsigned char kw_lookup(const char *p, size_t len)
{
    char buf[32];
    if (!upper(p, len, buf, sizeof buf))
        return KW_NONE;
    size_t lo = 0, hi = sizeof kw_table / sizeof kw_table[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(buf, kw_table[mid].name);
        if (c == 0)
            return kw_table[mid].id;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return KW_NONE;
}

static unsigned kw_flags(unsigned char id)
{
    return id == KW_NONE ? 0 : kw_table[id - 1].flags;
}

static const struct fn_entry *fn_lookup(const char *p, size_t len)
{
    char buf[32];
    if (!upper(p, len, buf, sizeof buf))
        return NULL;
    size_t lo = 0, hi = sizeof fn_table / sizeof fn_table[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(buf, fn_table[mid].name);
        if (c == 0)
            return &fn_table[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

bool qc_selfcheck(void)
{
    size_t nk = sizeof kw_table / sizeof kw_table[0], nf = sizeof fn_table / sizeof fn_table[0];
    for (size_t i = 0; i < nk; i++)
        if (kw_table[i].id != i + 1 || (i && strcmp(kw_table[i - 1].name, kw_table[i].name) >= 0))
            return false;
    for (size_t i = 1; i < nf; i++)
        if (strcmp(fn_table[i - 1].name, fn_table[i].name) >= 0)
            return false;
    return true;
}

/* ---- tokens -------------------------------------------------------------------------------- */

enum tk {
    TK_END,
    TK_WORD, /* identifier or keyword */
    TK_NUM,
    TK_STR,  /* '...' or "..." */
    TK_QID,  /* `...` */
    TK_UVAR, /* @name, @'name', @`name` */
    TK_SVAR, /* @@name, @@scope.name */
    TK_OP,
};

enum {
    OP_ASSIGN = 'A', /* := */
    OP_CMP = 'C',    /* <=> <= >= <> != */
    OP_SHIFT = 'S',  /* << >> */
};

enum { SV_DEFAULT, SV_SESSION, SV_GLOBAL };

/* sql_mode as far as it moves token boundaries (classify.h, what it does not understand). */
enum {
    M_SQ_ESC = 1,   /* backslash escapes in '...' */
    M_DQ_ESC = 2,   /* backslash escapes in "..." */
    M_ANSI = 4,     /* "..." is an identifier (ANSI_QUOTES) */
    M_BRACKETS = 8, /* [...] is an identifier (sql_mode=MSSQL) */
    MODE_DEFAULT = M_SQ_ESC | M_DQ_ESC,
    MODE_NO_BACKSLASH = 0,
    MODE_ANSI_QUOTES = M_SQ_ESC | M_ANSI,
    MODE_MSSQL = M_SQ_ESC | M_ANSI | M_BRACKETS,
    MODE_MSSQL_NO_BACKSLASH = M_ANSI | M_BRACKETS,
};

struct tok {
    const char *p; /* the token as written */
    size_t len;
    const char *name; /* TK_STR, TK_QID: inside the quotes; TK_SVAR: after @@ and scope */
    size_t name_len;
    unsigned char kind;
    unsigned char kw;    /* TK_WORD: keyword id or KW_NONE */
    unsigned char op;    /* TK_OP: the character or OP_* */
    unsigned char scope; /* TK_SVAR: SV_* */
    bool sp;             /* whitespace or a comment came before it */
    bool dq;             /* TK_STR: in double quotes */
};

struct lexer {
    const char *s;
    size_t n, i;
    unsigned mode;
    bool in_exec;      /* inside an executable comment */
    bool syntax;       /* the server certainly rejects the text */
    bool conditional;  /* a versioned comment that a later server would execute */
    bool bs_sq, bs_dq; /* a backslash inside '...' / "..." */
    bool bracket;      /* a '[' between tokens */
    bool seen_comment;
    unsigned hint; /* QC_HINT_* of the first comment */
};

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Identifier bytes as utf8mb4 and latin1 have them: every byte >= 0x80 included. */
static bool is_ident(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' ||
           c == '$' || c >= 0x80;
}

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

/* eq_ci: p[0..len) equals the lower-case literal w, ignoring ASCII case. */
static bool eq_ci(const char *p, size_t len, const char *w)
{
    size_t i = 0;
    for (; i < len && w[i]; i++)
        if (lower((unsigned char)p[i]) != (unsigned char)w[i])
            return false;
    return i == len && w[i] == '\0';
}

/* hint_word: skips blanks at p[*i], then matches w as a whole word. */
static bool hint_word(const char *p, size_t len, size_t *i, const char *w)
{
    size_t j = *i;
    while (j < len && is_space((unsigned char)p[j]))
        j++;
    size_t k = 0;
    for (; w[k]; k++, j++)
        if (j >= len || lower((unsigned char)p[j]) != (unsigned char)w[k])
            return false;
    if (j < len && !is_space((unsigned char)p[j]))
        return false;
    *i = j;
    return true;
}

/* parse_hint: the text of a comment as a MaxScale routing hint: "maxscale route to X". */
static unsigned parse_hint(const char *p, size_t len)
{
    size_t i = 0;
    unsigned flag;
    if (!hint_word(p, len, &i, "maxscale") || !hint_word(p, len, &i, "route") ||
        !hint_word(p, len, &i, "to"))
        return 0;
    if (hint_word(p, len, &i, "master"))
        flag = QC_HINT_PRIMARY;
    else if (hint_word(p, len, &i, "slave"))
        flag = QC_HINT_REPLICA;
    else if (hint_word(p, len, &i, "last"))
        flag = QC_HINT_LAST;
    else
        return 0;
    while (i < len && is_space((unsigned char)p[i]))
        i++;
    return i == len ? flag : 0;
}

static void note_comment(struct lexer *lx, size_t from, size_t to, bool may_hint)
{
    if (lx->seen_comment)
        return;
    lx->seen_comment = true;
    if (may_hint)
        lx->hint = parse_hint(lx->s + from, to - from);
}

/* A -- or # comment: to the end of the line, or to a NUL byte (MariaDB stops there too). */
static void skip_line(struct lexer *lx, size_t from)
{
    size_t j = from;
    while (j < lx->n && lx->s[j] != '\n' && lx->s[j] != '\0')
        j++;
    note_comment(lx, from, j, true);
    lx->i = j;
}

/*
 * block_end: the index after the star-slash that closes a comment whose text starts at from,
 * allowing `nest` levels of regular comments inside (MariaDB: none in a regular comment, one in
 * a skipped versioned comment); SIZE_MAX when it is not closed.
 */
static size_t block_end(const struct lexer *lx, size_t from, int nest)
{
    int depth = 0;
    for (size_t j = from; j + 1 < lx->n;) {
        if (lx->s[j] == '*' && lx->s[j + 1] == '/') {
            if (depth == 0)
                return j + 2;
            depth--;
            j += 2;
        } else if (depth < nest && lx->s[j] == '/' && lx->s[j + 1] == '*') {
            depth++;
            j += 2;
        } else {
            j++;
        }
    }
    return SIZE_MAX;
}

static bool blank(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_space((unsigned char)p[i]))
            return false;
    return true;
}

/*
 * open_comment: lx->i is at a slash-star. A regular comment is skipped. An executable comment
 * (slash-star-bang, slash-star-M-bang) opens code: its opener and version are skipped and its
 * star-slash later counts as blank (MariaDB sql_lex.cc: exactly 5 or 6 version digits; MySQL
 * versions 50700..99999 are always skipped unless M).
 */
static void open_comment(struct lexer *lx)
{
    const char *s = lx->s;
    size_t n = lx->n, body = lx->i + 2;
    bool m = false;
    if (body < n && s[body] == '!') {
        body++;
    } else if (body + 1 < n && s[body] == 'M' && s[body + 1] == '!') {
        body += 2;
        m = true;
    } else {
        size_t e = block_end(lx, body, 0);
        if (e == SIZE_MAX) {
            lx->syntax = true;
            lx->i = n;
            return;
        }
        note_comment(lx, body, e - 2, true);
        lx->i = e;
        return;
    }
    size_t d = 0;
    while (d < 6 && body + d < n && is_digit((unsigned char)s[body + d]))
        d++;
    if (d >= 5) {
        unsigned long v = 0;
        for (size_t k = 0; k < d; k++)
            v = v * 10 + (unsigned long)(s[body + k] - '0');
        if (!(v <= QC_SERVER_VERSION && (v < 50700 || v > 99999 || m))) {
            size_t e = block_end(lx, body + d, 1);
            if (e == SIZE_MAX) {
                lx->syntax = true;
                lx->i = n;
                return;
            }
            if (v > QC_SERVER_VERSION && !blank(s + body + d, e - 2 - (body + d)))
                lx->conditional = true;
            note_comment(lx, body, e - 2, false);
            lx->i = e;
            return;
        }
        body += d;
    }
    /* a nested executable comment changes nothing: the first star-slash ends both (MariaDB) */
    lx->in_exec = true;
    lx->i = body;
}

/* skip: blanks and comments before a token; true when there were any. */
static bool skip(struct lexer *lx)
{
    const char *s = lx->s;
    size_t start = lx->i;
    while (lx->i < lx->n) {
        size_t i = lx->i;
        unsigned char c = (unsigned char)s[i];
        bool has1 = i + 1 < lx->n;
        if (is_space(c)) {
            lx->i++;
        } else if (c == '#') {
            skip_line(lx, i + 1);
        } else if (c == '-' && has1 && s[i + 1] == '-' &&
                   (i + 2 >= lx->n || (unsigned char)s[i + 2] <= ' ' ||
                    (unsigned char)s[i + 2] == 0x7f)) {
            skip_line(lx, i + 2);
        } else if (c == '*' && lx->in_exec && has1 && s[i + 1] == '/') {
            lx->in_exec = false;
            lx->i += 2;
        } else if (c == '/' && has1 && s[i + 1] == '*') {
            open_comment(lx);
        } else {
            break;
        }
    }
    return lx->i != start;
}

/*
 * quoted: the index after the quote that closes the quoted text opening at s[i], or SIZE_MAX
 * when the text is not closed. Doubled quotes stay inside; esc: a backslash escapes the next
 * byte. A quoted name ends at a NUL byte in MariaDB, which then is a syntax error.
 */
static size_t quoted(struct lexer *lx, size_t i, bool esc, bool name)
{
    const char *s = lx->s;
    char q = s[i] == '[' ? ']' : s[i];
    size_t j = i + 1;
    while (j < lx->n) {
        char c = s[j];
        if (c == '\\' && (q == '\'' || q == '"')) {
            if (q == '\'')
                lx->bs_sq = true;
            else
                lx->bs_dq = true;
            if (esc) {
                j += 2;
                continue;
            }
        }
        if (c == '\0' && name)
            return SIZE_MAX;
        if (c == q) {
            if (j + 1 < lx->n && s[j + 1] == q) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j++;
    }
    return SIZE_MAX;
}

/* quote_rules: how the quote character at s[i] behaves in the lexer's mode. */
static size_t quoted_at(struct lexer *lx, size_t i)
{
    char q = lx->s[i];
    if (q == '`' || q == '[')
        return quoted(lx, i, false, true);
    if (q == '\'')
        return quoted(lx, i, lx->mode & M_SQ_ESC, false);
    return quoted(lx, i, lx->mode & M_DQ_ESC, lx->mode & M_ANSI);
}

/* sysvar_name: an identifier or `name` at *j for @@...; sets name; false on a quoting error. */
static bool sysvar_name(struct lexer *lx, size_t *j, const char **name, size_t *len)
{
    size_t k = *j;
    if (k < lx->n && lx->s[k] == '`') {
        size_t e = quoted_at(lx, k);
        if (e == SIZE_MAX)
            return false;
        *name = lx->s + k + 1;
        *len = e - k - 2;
        *j = e;
        return true;
    }
    while (k < lx->n && is_ident((unsigned char)lx->s[k]))
        k++;
    *name = lx->s + *j;
    *len = k - *j;
    *j = k;
    return true;
}

static void lex_var(struct lexer *lx, struct tok *t, size_t i)
{
    const char *s = lx->s;
    size_t n = lx->n, j;
    if (i + 1 < n && s[i + 1] == '@') {
        t->kind = TK_SVAR;
        j = i + 2;
        if (!sysvar_name(lx, &j, &t->name, &t->name_len) || t->name_len == 0) {
            lx->syntax = true; /* "Names must be nonempty" */
            lx->i = j < n ? j : n;
            return;
        }
        if (j + 1 < n && s[j] == '.' && t->name + t->name_len == s + j) {
            unsigned char sc = SV_DEFAULT;
            if (eq_ci(t->name, t->name_len, "global"))
                sc = SV_GLOBAL;
            else if (eq_ci(t->name, t->name_len, "session") || eq_ci(t->name, t->name_len, "local"))
                sc = SV_SESSION;
            if (sc != SV_DEFAULT) {
                j++;
                t->scope = sc;
                if (!sysvar_name(lx, &j, &t->name, &t->name_len))
                    lx->syntax = true;
            }
        }
        lx->i = j < n ? j : n;
        return;
    }
    t->kind = TK_UVAR;
    j = i + 1;
    if (j < n && (s[j] == '\'' || s[j] == '"' || s[j] == '`')) {
        size_t e = quoted_at(lx, j);
        if (e == SIZE_MAX) {
            lx->syntax = true;
            e = n;
        }
        j = e;
    } else {
        while (j < n && (is_ident((unsigned char)s[j]) || s[j] == '.'))
            j++;
    }
    lx->i = j;
}

static void lex_op(struct lexer *lx, struct tok *t, size_t i)
{
    const char *s = lx->s;
    size_t n = lx->n, len = 1;
    char c = s[i], c1 = i + 1 < n ? s[i + 1] : ' ', c2 = i + 2 < n ? s[i + 2] : ' ';
    t->kind = TK_OP;
    t->op = (unsigned char)c;
    if (c == '\0') {
        lx->syntax = true; /* a NUL byte between tokens */
    } else if (c == ':' && c1 == '=') {
        t->op = OP_ASSIGN;
        len = 2;
    } else if (c == '<' && c1 == '=' && c2 == '>') {
        t->op = OP_CMP;
        len = 3;
    } else if ((c == '<' && (c1 == '=' || c1 == '>')) || (c == '>' && c1 == '=') ||
               (c == '!' && c1 == '=')) {
        t->op = OP_CMP;
        len = 2;
    } else if ((c == '<' && c1 == '<') || (c == '>' && c1 == '>')) {
        t->op = OP_SHIFT;
        len = 2;
    }
    lx->i = i + len;
}

/* lex_next: the next token; TK_END at the end of the text (or after a fatal lexing error). */
static void lex_next(struct lexer *lx, struct tok *t)
{
    bool sp = skip(lx);
    const char *s = lx->s;
    size_t n = lx->n, i = lx->i;
    memset(t, 0, sizeof *t);
    t->sp = sp;
    t->p = s + i;
    if (i >= n) {
        if (lx->in_exec) {
            lx->syntax = true; /* executable comment not closed */
            lx->in_exec = false;
        }
        t->kind = TK_END;
        t->p = s + n;
        return;
    }
    unsigned char c = (unsigned char)s[i];
    size_t j = i;
    if (is_ident(c) && !is_digit(c)) {
        while (j < n && is_ident((unsigned char)s[j]))
            j++;
        t->kind = TK_WORD;
        t->kw = kw_lookup(s + i, j - i);
        lx->i = j;
    } else if (is_digit(c)) {
        while (j < n && is_digit((unsigned char)s[j]))
            j++;
        if (j + 1 < n && s[j] == '.' && is_digit((unsigned char)s[j + 1]))
            for (j++; j < n && is_digit((unsigned char)s[j]);)
                j++;
        if (j < n && (s[j] == 'e' || s[j] == 'E')) {
            size_t k = j + 1;
            if (k < n && (s[k] == '+' || s[k] == '-'))
                k++;
            if (k < n && is_digit((unsigned char)s[k]))
                for (j = k; j < n && is_digit((unsigned char)s[j]);)
                    j++;
        }
        t->kind = TK_NUM;
        if (j < n && is_ident((unsigned char)s[j])) { /* 123abc, 0x1F: an identifier */
            while (j < n && is_ident((unsigned char)s[j]))
                j++;
            t->kind = TK_WORD;
        }
        lx->i = j;
    } else if (c == '\'' || c == '"' || c == '`' || (c == '[' && (lx->mode & M_BRACKETS))) {
        size_t e = quoted_at(lx, i);
        t->kind = c == '\'' || c == '"' ? TK_STR : TK_QID;
        t->dq = c == '"';
        if (e == SIZE_MAX) {
            lx->syntax = true;
            lx->i = n;
        } else {
            t->name = s + i + 1;
            t->name_len = e - i - 2;
            lx->i = e;
        }
    } else if (c == '@') {
        lex_var(lx, t, i);
    } else {
        lx->bracket |= c == '[';
        lex_op(lx, t, i);
    }
    t->len = lx->i - i;
}

/* ---- statements ---------------------------------------------------------------------------- */

enum kind {
    K_NONE, /* no keyword yet */
    K_UNKNOWN,
    K_SELECT, /* SELECT, VALUES, WITH ... SELECT */
    K_WITH,   /* WITH before its main statement */
    K_SHOW,
    K_EXPLAIN, /* EXPLAIN/DESCRIBE before what it explains */
    K_DESCRIBE,
    K_HELP,
    K_SET,
    K_USE,
    K_BEGIN,
    K_START,
    K_COMMIT,
    K_ROLLBACK,
    K_SAVEPOINT,
    K_XA,
    K_LOCK,
    K_UNLOCK,
    K_FLUSH,
    K_CREATE,
    K_GET,
    K_INSERT, /* INSERT, REPLACE */
    K_UPDATE, /* UPDATE, DELETE */
    K_DO,
    K_CALL,
    K_ADMIN,  /* other writes and administration: not scanned */
    K_SERVER, /* EXPLAIN FOR CONNECTION */
};

enum wrap { WRAP_NONE, WRAP_EXPLAIN, WRAP_SETSTMT };

/* A WITH list at one depth: name [(columns)] AS (body) [CYCLE ... RESTRICT] [, ...] main */
enum cte {
    CTE_NONE,
    CTE_NAME,
    CTE_AFTER_NAME,
    CTE_IN_COLS,
    CTE_AFTER_COLS,
    CTE_BODY,
    CTE_IN_BODY,
    CTE_AFTER_BODY,
    CTE_CYCLE,
};

/* SET items: [GLOBAL|SESSION|LOCAL] name[.name] = value | @@[scope.]name = value | @x = value |
 * NAMES ... | CHARACTER SET ... ; first item only: TRANSACTION, STATEMENT, PASSWORD, ROLE,
 * DEFAULT ROLE */
enum set_state {
    SS_FIRST,
    SS_ITEM,
    SS_SCOPED,
    SS_NAME,
    SS_NAME2,
    SS_ASSIGN,
    SS_EXPR,
    SS_SKIP,
    SS_REST
};

enum target { TGT_NONE, TGT_EXPECT, TGT_AFTER_NAME, TGT_NAME2 }; /* INSERT INTO db.t (...) */

enum explain_state { EX_NEXT, EX_FORMAT, EX_FORMAT_VALUE, EX_DONE };

struct frame {
    unsigned char opener; /* enum opener */
    unsigned char cte;    /* enum cte: the WITH list at this depth */
};

/* One statement. Everything before `w` is reset between statements; the arrays are written
 * before they are read. */
struct stmt {
    unsigned char kind, wrap, ss, tgt, ex, pending, last_closed;
    bool any;     /* the statement has a token */
    bool started; /* its first keyword was seen */
    bool scan;    /* its expressions are checked */
    bool cte_after_with;
    size_t depth, base, with_depth, nw, ntok;
    /* what the scan found */
    bool syntax, confused, lock, into, side, unknown_fn, user_var, prev, subquery;
    bool global, set_write, lock_tables, scope_global, item_global, item_autocommit;
    bool setstmt;               /* SET STATEMENT items, up to FOR */
    bool charset, item_charset; /* the client character set changes (QC_SET_CHARSET) */
    unsigned char cs_wait;      /* tokens to the character set name: NAMES x, CHARACTER SET x */
    const char *cs_p;           /* the name, or NULL when it is not a plain name */
    size_t cs_len;
    signed char autocommit; /* -1 untouched, 0 off, 1 on */
    size_t val_n;
    struct tok val;
    struct frame scratch;                 /* stands for the levels beyond QC_MAX_DEPTH */
    struct tok w[QC_WIN];                 /* the first tokens from the statement's keyword on */
    struct frame stack[QC_MAX_DEPTH + 1]; /* [0] is outside any parenthesis */
};

struct run {
    struct lexer lx;
    struct tok p1, p2; /* the tokens before the current one */
    bool after_semi, multi, syntax;
    unsigned nstmt, flags;
    struct qc_info first;
    size_t db_off, db_len, cs_off, cs_len;
    struct stmt s;
};

static void stmt_reset(struct stmt *s)
{
    memset(s, 0, offsetof(struct stmt, w));
    s->autocommit = -1;
    s->stack[0].opener = OPN_NONE;
    s->stack[0].cte = CTE_NONE;
}

static bool is_op(const struct tok *t, unsigned char op)
{
    return t->kind == TK_OP && t->op == op;
}

static bool is_cmp(const struct tok *t)
{
    return t->kind == TK_OP && (t->op == '=' || t->op == '<' || t->op == '>' || t->op == OP_CMP);
}

/* A name: identifier, `quoted`, or "quoted" (an identifier under ANSI_QUOTES). */
static bool is_name(const struct tok *t)
{
    return t->kind == TK_WORD || t->kind == TK_QID || (t->kind == TK_STR && t->dq);
}

static bool name_is(const struct tok *t, const char *w)
{
    if (t->kind == TK_WORD)
        return eq_ci(t->p, t->len, w);
    if (t->kind == TK_QID || t->kind == TK_STR || t->kind == TK_SVAR)
        return t->name && eq_ci(t->name, t->name_len, w);
    return false;
}

static unsigned char wkw(const struct stmt *s, size_t i)
{
    return i < s->nw && s->w[i].kind == TK_WORD ? s->w[i].kw : KW_NONE;
}

static struct frame *frame(struct stmt *s)
{
    return s->depth <= QC_MAX_DEPTH ? &s->stack[s->depth] : &s->scratch;
}

/* with_main: t (NULL for '(') starts the main statement of the WITH list at this depth. */
static void with_main(struct stmt *s, const struct tok *t)
{
    if (s->kind != K_WITH || s->depth != s->with_depth)
        return;
    if (!t || t->kw == KW_SELECT || t->kw == KW_VALUES) {
        s->kind = K_SELECT;
    } else if (t->kw == KW_INSERT || t->kw == KW_REPLACE) {
        s->kind = K_INSERT;
        s->tgt = TGT_EXPECT;
    } else if (t->kw == KW_UPDATE || t->kw == KW_DELETE) {
        s->kind = K_UPDATE;
    } else {
        s->confused = true;
    }
}

static void paren_open(struct stmt *s)
{
    struct frame *up = frame(s);
    unsigned char opener = s->pending;
    s->pending = OPN_NONE;
    switch (up->cte) {
    case CTE_NONE:
        break;
    case CTE_AFTER_NAME:
        up->cte = CTE_IN_COLS;
        opener = OPN_CTE_COLS;
        break;
    case CTE_BODY:
        up->cte = CTE_IN_BODY;
        opener = OPN_CTE_BODY;
        break;
    case CTE_AFTER_BODY:
        up->cte = CTE_NONE;
        with_main(s, NULL);
        break;
    default:
        up->cte = CTE_NONE;
        s->confused = true;
        break;
    }
    s->depth++;
    if (s->depth > QC_MAX_DEPTH)
        s->confused = true; /* the bounded stack: not understood */
    struct frame *f = frame(s);
    f->opener = opener;
    f->cte = CTE_NONE;
}

static void paren_close(struct stmt *s)
{
    if (s->depth == 0) {
        s->syntax = true; /* unbalanced */
        return;
    }
    s->last_closed = frame(s)->opener;
    s->depth--;
    struct frame *up = frame(s);
    if (up->cte == CTE_IN_COLS)
        up->cte = CTE_AFTER_COLS;
    else if (up->cte == CTE_IN_BODY)
        up->cte = CTE_AFTER_BODY;
}

static void window_add(struct stmt *s, const struct tok *t)
{
    if (s->nw < QC_WIN)
        s->w[s->nw++] = *t;
    s->ntok++;
}

/* call: t is followed by '(': a call of a built-in, of something unknown, or a keyword. */
static void call(struct run *r, struct stmt *s, const struct tok *t)
{
    const struct tok *p = &r->p1;
    const struct frame *f = frame(s);
    unsigned char opener = OPN_FUNC;
    if (is_op(p, '.') || t->kind != TK_WORD) { /* db.f(, `f`(, "f"(, 1f( */
        s->unknown_fn = true;
        goto out;
    }
    const struct fn_entry *fn = fn_lookup(t->p, t->len);
    if (fn) {
        if (fn->cls == FN_SIDE)
            s->side = true;
        else if (fn->cls == FN_PREV)
            s->prev = true;
        opener = fn->opener;
        goto out;
    }
    unsigned kf = kw_flags(t->kw);
    if (kf & KF_PAREN) {
        opener = OPN_NONE;
        goto out;
    }
    if ((kf & KF_TYPE) &&
        (p->kw == KW_AS || f->opener == OPN_COLUMNS || (is_op(p, ',') && f->opener == OPN_CONVERT)))
        goto out;
    if ((t->kw == KW_ANY || t->kw == KW_SOME) && is_cmp(p)) {
        opener = OPN_NONE;
        goto out;
    }
    if (t->kw == KW_AGAINST && is_op(p, ')') && s->last_closed == OPN_MATCH)
        goto out;
    if (t->kw == KW_COLUMNS && (f->opener == OPN_JSON_TABLE || f->opener == OPN_COLUMNS)) {
        opener = OPN_COLUMNS;
        goto out;
    }
    s->unknown_fn = true;
out:
    s->pending = opener;
}

/* scan_token: the checks on a token of a statement whose expressions matter. */
static void scan_token(struct run *r, struct stmt *s, const struct tok *t, const struct tok *n)
{
    struct frame *f = frame(s);
    switch (f->cte) {
    case CTE_NONE:
        break;
    case CTE_NAME:
        if (t->kw == KW_RECURSIVE && s->cte_after_with) {
            s->cte_after_with = false;
            return;
        }
        s->cte_after_with = false;
        if (!is_name(t))
            goto confused;
        f->cte = CTE_AFTER_NAME;
        return;
    case CTE_AFTER_NAME:
    case CTE_AFTER_COLS:
        if (t->kw != KW_AS)
            goto confused;
        f->cte = CTE_BODY;
        return;
    case CTE_CYCLE:
        if (t->kw == KW_RESTRICT)
            f->cte = CTE_AFTER_BODY;
        return;
    case CTE_AFTER_BODY:
        if (is_op(t, ',')) {
            f->cte = CTE_NAME;
            return;
        }
        if (t->kw == KW_CYCLE) {
            f->cte = CTE_CYCLE;
            return;
        }
        f->cte = CTE_NONE;
        with_main(s, t);
        break;
    default: /* CTE_BODY: only '(' may come */
    confused:
        f->cte = CTE_NONE;
        s->confused = true;
        return;
    }

    switch (t->kind) {
    case TK_UVAR:
        /* SHOW GRANTS FOR 'u'@'h': the host part of an account, written right after the user */
        if (s->kind == K_SHOW && !t->sp &&
            (r->p1.kind == TK_STR || r->p1.kind == TK_QID || r->p1.kind == TK_WORD))
            return;
        s->user_var = true;
        return;
    case TK_SVAR:
        if (name_is(t, "last_insert_id") || name_is(t, "identity") || name_is(t, "insert_id") ||
            name_is(t, "last_gtid"))
            s->side = true;
        else if (name_is(t, "warning_count") || name_is(t, "error_count"))
            s->prev = true;
        return;
    case TK_WORD:
        switch (t->kw) {
        case KW_FOR:
            if (n->kw == KW_UPDATE || n->kw == KW_SHARE)
                s->lock = true;
            break;
        case KW_LOCK:
            if (n->kw == KW_IN)
                s->lock = true;
            break;
        case KW_INTO:
            if (s->kind == K_SELECT)
                s->into = true;
            break;
        case KW_NEXT:
        case KW_PREVIOUS:
            if (n->kw == KW_VALUE) /* NEXT VALUE FOR seq */
                s->side = true;
            break;
        case KW_NONE: /* seq.NEXTVAL, seq.CURRVAL (sql_mode=ORACLE) */
            if (is_op(&r->p1, '.') &&
                (eq_ci(t->p, t->len, "nextval") || eq_ci(t->p, t->len, "currval")))
                s->side = true;
            break;
        case KW_SELECT:
            if (s->kind == K_SET)
                s->subquery = true;
            break;
        case KW_WITH:
            if (n->kw != KW_ROLLUP) {
                f->cte = CTE_NAME;
                s->cte_after_with = true;
                return;
            }
            break;
        default:
            break;
        }
        break;
    default:
        break;
    }
    if (is_op(n, '(') && t->kind != TK_OP)
        call(r, s, t);
}

/* ---- statement kinds that read their own grammar ------------------------------------------- */

/* charset_value: t names the new client character set, if it is a plain name. */
static void charset_value(struct stmt *s, const struct tok *t)
{
    s->charset = true;
    s->cs_p = NULL;
    s->cs_len = 0;
    if (t->kind == TK_WORD && t->kw != KW_DEFAULT) {
        s->cs_p = t->p;
        s->cs_len = t->len;
    } else if ((t->kind == TK_STR || t->kind == TK_QID) && t->name) {
        s->cs_p = t->name;
        s->cs_len = t->name_len;
    }
}

static void set_item_end(struct stmt *s)
{
    if (s->item_global || s->setstmt) /* SET STATEMENT: for one statement only */
        return;
    const struct tok *t = &s->val;
    if (s->item_charset) {
        static const struct tok none;
        charset_value(s, s->val_n == 1 ? t : &none);
    }
    if (!s->item_autocommit)
        return;
    int v = -1;
    if (s->val_n == 1) {
        if (t->kind == TK_NUM || t->kind == TK_WORD) {
            if (eq_ci(t->p, t->len, "1") || eq_ci(t->p, t->len, "on") ||
                eq_ci(t->p, t->len, "true"))
                v = 1;
            else if (eq_ci(t->p, t->len, "0") || eq_ci(t->p, t->len, "off") ||
                     eq_ci(t->p, t->len, "false"))
                v = 0;
        } else if (t->kind == TK_STR && t->name) {
            if (eq_ci(t->name, t->name_len, "on"))
                v = 1;
            else if (eq_ci(t->name, t->name_len, "off"))
                v = 0;
        }
    }
    s->autocommit = v == 1 ? 1 : 0; /* not understood: off, which keeps reads on the primary */
}

static void restart(struct stmt *s, unsigned char wrap)
{
    s->wrap = wrap;
    s->started = false;
    s->ss = SS_FIRST;
    s->tgt = TGT_NONE;
    s->ex = EX_DONE;
}

/* set_name: t names the variable of a SET item. */
static bool set_name(struct stmt *s, const struct tok *t)
{
    if (!is_name(t))
        return false;
    s->item_global = s->scope_global;
    s->item_autocommit = name_is(t, "autocommit");
    s->item_charset = name_is(t, "character_set_client");
    s->ss = SS_NAME;
    return true;
}

/* set_token: a token of SET; true when it is not part of a value (values are scanned). */
static bool set_token(struct stmt *s, const struct tok *t, const struct tok *n)
{
    bool at_base = s->depth == s->base;
    switch (s->ss) {
    case SS_FIRST:
        s->ss = SS_ITEM;
        if (t->kw == KW_STATEMENT && s->wrap == WRAP_NONE) {
            s->setstmt = true;
            return true;
        }
        if (t->kw == KW_TRANSACTION || t->kw == KW_ROLE) {
            s->ss = SS_REST;
            return true;
        }
        if (t->kw == KW_PASSWORD || (t->kw == KW_DEFAULT && n->kw == KW_ROLE)) {
            s->set_write = true;
            s->ss = SS_REST;
            return true;
        }
        /* fall through */
    case SS_ITEM:
        s->item_autocommit = s->item_charset = s->item_global = false;
        if (t->kw == KW_GLOBAL || t->kw == KW_SESSION || t->kw == KW_LOCAL) {
            /* the last scope keyword applies to the items after it, too */
            s->scope_global = t->kw == KW_GLOBAL;
            s->global |= s->scope_global;
            s->ss = SS_SCOPED;
            return true;
        }
        if (t->kw == KW_NAMES || t->kw == KW_CHARSET || t->kw == KW_CHARACTER) {
            s->cs_wait = t->kw == KW_CHARACTER ? 2 : 1; /* CHARACTER SET name */
            s->ss = SS_SKIP;
            return true;
        }
        if (t->kind == TK_UVAR) {
            s->user_var = true;
            s->ss = SS_ASSIGN;
            return true;
        }
        if (t->kind == TK_SVAR) {
            s->item_global = t->scope == SV_GLOBAL;
            s->global |= s->item_global;
            s->item_autocommit = name_is(t, "autocommit");
            s->item_charset = name_is(t, "character_set_client");
            s->ss = SS_NAME;
            return true;
        }
        if (!set_name(s, t))
            break;
        return true;
    case SS_SCOPED:
        if (t->kw == KW_TRANSACTION) {
            s->ss = SS_REST;
            return true;
        }
        if (t->kw == KW_NAMES || t->kw == KW_CHARSET || t->kw == KW_CHARACTER) {
            s->cs_wait = t->kw == KW_CHARACTER ? 2 : 1; /* CHARACTER SET name */
            s->ss = SS_SKIP;
            return true;
        }
        if (!set_name(s, t))
            break;
        return true;
    case SS_NAME:
        if (is_op(t, '.')) {
            s->ss = SS_NAME2;
            return true;
        }
        /* fall through */
    case SS_ASSIGN:
        if (!is_op(t, '=') && !is_op(t, OP_ASSIGN))
            break;
        s->ss = SS_EXPR;
        s->val_n = 0;
        return true;
    case SS_NAME2:
        if (!is_name(t))
            break;
        s->item_autocommit = name_is(t, "autocommit");
        s->item_charset = name_is(t, "character_set_client");
        s->ss = SS_ASSIGN;
        return true;
    case SS_EXPR:
        if (at_base && is_op(t, ',') && s->val_n > 0) {
            set_item_end(s);
            s->ss = SS_ITEM;
            return true;
        }
        if (at_base && s->setstmt && t->kw == KW_FOR && s->val_n > 0) {
            set_item_end(s);
            restart(s, WRAP_SETSTMT);
            return true;
        }
        if (s->val_n++ == 0)
            s->val = *t;
        return t->kind == TK_OP && (t->op == '(' || t->op == ')');
    case SS_SKIP:
        if (s->cs_wait == 2 && t->kw == KW_SET) {
            s->cs_wait = 1;
        } else if (s->cs_wait == 1) {
            s->cs_wait = 0;
            charset_value(s, t);
        } else if (at_base && is_op(t, ',')) {
            s->ss = SS_ITEM;
        }
        return true;
    default: /* SS_REST */
        return true;
    }
    s->confused = true;
    s->ss = SS_REST;
    return true;
}

/* target_token: the table of INSERT/REPLACE or the procedure of CALL, which '(' may follow. */
static bool target_token(struct stmt *s, const struct tok *t)
{
    if (s->depth != s->base)
        return false;
    switch (s->tgt) {
    case TGT_EXPECT:
        if (s->kind == K_INSERT &&
            (t->kw == KW_LOW_PRIORITY || t->kw == KW_DELAYED || t->kw == KW_HIGH_PRIORITY ||
             t->kw == KW_IGNORE || t->kw == KW_INTO))
            return true;
        s->tgt = is_name(t) ? TGT_AFTER_NAME : TGT_NONE;
        return s->tgt == TGT_AFTER_NAME;
    case TGT_AFTER_NAME:
        s->tgt = is_op(t, '.') ? TGT_NAME2 : TGT_NONE;
        return s->tgt == TGT_NAME2;
    case TGT_NAME2:
        s->tgt = TGT_NONE;
        return is_name(t);
    default:
        return false;
    }
}

/* explain_token: after EXPLAIN/DESCRIBE; true when t starts the explained statement. */
static bool explain_token(struct stmt *s, const struct tok *t)
{
    switch (s->ex) {
    case EX_FORMAT:
        s->ex = EX_FORMAT_VALUE;
        if (!is_op(t, '='))
            s->confused = true;
        return false;
    case EX_FORMAT_VALUE:
        s->ex = EX_NEXT;
        return false;
    case EX_NEXT:
        break;
    default:
        return false;
    }
    s->ex = EX_DONE;
    switch (t->kw) {
    case KW_EXTENDED:
    case KW_PARTITIONS:
        s->ex = EX_NEXT;
        return false;
    case KW_FORMAT:
        s->ex = EX_FORMAT;
        return false;
    case KW_ANALYZE: /* EXPLAIN ANALYZE runs the statement */
        s->kind = K_ADMIN;
        return false;
    case KW_FOR: /* EXPLAIN FOR CONNECTION n */
        s->kind = K_SERVER;
        return false;
    case KW_SELECT:
    case KW_VALUES:
    case KW_WITH:
    case KW_INSERT:
    case KW_REPLACE:
    case KW_UPDATE:
    case KW_DELETE:
        restart(s, WRAP_EXPLAIN);
        return true;
    default:
        break;
    }
    if (is_op(t, '(')) {
        restart(s, WRAP_EXPLAIN);
        return true;
    }
    if (t->kind == TK_WORD || t->kind == TK_QID)
        s->kind = K_DESCRIBE; /* DESCRIBE table [column] */
    else
        s->confused = true;
    return false;
}

/* The keywords that start a statement, what they start and whether its expressions matter. */
static const struct starter {
    unsigned char kw, kind;
    bool scan;
} starters[] = {{KW_SELECT, K_SELECT, true},
                {KW_VALUES, K_SELECT, true},
                {KW_WITH, K_WITH, true},
                {KW_SHOW, K_SHOW, true},
                {KW_EXPLAIN, K_EXPLAIN, false},
                {KW_DESCRIBE, K_EXPLAIN, false},
                {KW_DESC, K_EXPLAIN, false},
                {KW_HELP, K_HELP, false},
                {KW_SET, K_SET, true},
                {KW_USE, K_USE, false},
                {KW_BEGIN, K_BEGIN, false},
                {KW_START, K_START, false},
                {KW_COMMIT, K_COMMIT, false},
                {KW_ROLLBACK, K_ROLLBACK, false},
                {KW_SAVEPOINT, K_SAVEPOINT, false},
                {KW_RELEASE, K_SAVEPOINT, false},
                {KW_XA, K_XA, false},
                {KW_LOCK, K_LOCK, false},
                {KW_UNLOCK, K_UNLOCK, false},
                {KW_FLUSH, K_FLUSH, false},
                {KW_CREATE, K_CREATE, false},
                {KW_GET, K_GET, false},
                {KW_INSERT, K_INSERT, true},
                {KW_REPLACE, K_INSERT, true},
                {KW_UPDATE, K_UPDATE, true},
                {KW_DELETE, K_UPDATE, true},
                {KW_DO, K_DO, true},
                {KW_CALL, K_CALL, true},
                {KW_ANALYZE, K_ADMIN, false}};

/* start: t is the first token of a statement after its leading parentheses. */
static void start(struct stmt *s, const struct tok *t)
{
    s->started = true;
    s->base = s->depth;
    s->nw = 0;
    s->ntok = 0;
    window_add(s, t);
    s->kind = K_UNKNOWN;
    if (is_op(t, ')'))
        paren_close(s);
    if (t->kind != TK_WORD)
        return;
    if (kw_flags(t->kw) & KF_ADMIN)
        s->kind = K_ADMIN;
    for (size_t i = 0; i < sizeof starters / sizeof starters[0]; i++) {
        if (starters[i].kw == t->kw) {
            s->kind = starters[i].kind;
            s->scan = starters[i].scan;
        }
    }
    switch (s->kind) {
    case K_WITH:
        s->with_depth = s->depth;
        frame(s)->cte = CTE_NAME;
        s->cte_after_with = true;
        break;
    case K_EXPLAIN:
        s->ex = EX_NEXT;
        if (s->wrap == WRAP_EXPLAIN) /* EXPLAIN EXPLAIN */
            s->kind = K_UNKNOWN;
        break;
    case K_SET:
        s->ss = SS_FIRST;
        if (s->wrap != WRAP_NONE) /* SET STATEMENT ... FOR SET, EXPLAIN SET */
            s->kind = K_UNKNOWN;
        break;
    case K_INSERT:
    case K_CALL:
        s->tgt = TGT_EXPECT;
        break;
    default:
        break;
    }
    /* "(INSERT ...": only queries may stand in parentheses */
    if (s->depth > 0 && s->kind != K_SELECT && s->kind != K_WITH)
        s->confused = true;
}

/* stmt_token: one token of the current statement (not ';'), n the one after it. */
static void stmt_token(struct run *r, const struct tok *t, const struct tok *n)
{
    struct stmt *s = &r->s;
    s->any = true;
    for (;;) {
        if (!s->started) {
            if (is_op(t, '(')) {
                paren_open(s);
                return;
            }
            start(s, t);
            return;
        }
        if (s->kind == K_EXPLAIN && s->ex != EX_DONE && explain_token(s, t))
            continue; /* t starts the explained statement */
        break;
    }
    if (s->kind == K_EXPLAIN || s->kind == K_DESCRIBE || s->kind == K_SERVER) {
        if (is_op(t, '('))
            paren_open(s);
        else if (is_op(t, ')'))
            paren_close(s);
        return;
    }
    window_add(s, t);
    bool paren = is_op(t, '(') || is_op(t, ')');
    if (is_op(t, '('))
        paren_open(s);
    else if (is_op(t, ')'))
        paren_close(s);
    bool used = false;
    switch (s->kind) {
    case K_SET:
        used = set_token(s, t, n);
        break;
    case K_INSERT:
    case K_CALL:
        used = target_token(s, t);
        break;
    case K_FLUSH:
        if ((t->kw == KW_LOCK && r->p1.kw == KW_READ && r->p2.kw == KW_WITH) ||
            (t->kw == KW_EXPORT && r->p1.kw == KW_FOR))
            s->lock_tables = true;
        break;
    default:
        break;
    }
    if (s->scan && !used && !paren && s->started)
        scan_token(r, s, t, n);
}

/* ---- routes -------------------------------------------------------------------------------- */

static void route(struct qc_info *o, enum qc_route rt, const char *reason)
{
    o->route = rt;
    o->reason = reason;
}

/* read_route: a read goes to a replica unless something pins it. */
static void read_route(const struct stmt *s, struct qc_info *o)
{
    if (s->lock)
        route(o, QC_PRIMARY, r_locking);
    else if (s->into)
        route(o, QC_PRIMARY, r_write);
    else if (s->side)
        route(o, QC_PRIMARY, r_side);
    else if (s->unknown_fn)
        route(o, QC_PRIMARY, r_unknown_fn);
    else if (s->user_var)
        route(o, QC_PRIMARY, r_user_var);
    else if (s->prev)
        route(o, QC_PREVIOUS, r_previous);
    else
        route(o, QC_REPLICA, r_read);
}

static void show_route(const struct stmt *s, struct qc_info *o)
{
    size_t i = 1;
    while (wkw(s, i) == KW_FULL || wkw(s, i) == KW_GLOBAL || wkw(s, i) == KW_SESSION ||
           wkw(s, i) == KW_LOCAL || wkw(s, i) == KW_EXTENDED)
        i++;
    unsigned char a = wkw(s, i), b = wkw(s, i + 1);
    if (a == KW_WARNINGS || a == KW_ERRORS || a == KW_COUNT || a == KW_PROFILE || a == KW_PROFILES)
        route(o, QC_PREVIOUS, r_previous);
    else if ((a == KW_MASTER && (b == KW_STATUS || b == KW_LOGS)) ||
             (a == KW_BINLOG && (b == KW_STATUS || b == KW_EVENTS)) ||
             (a == KW_BINARY && b == KW_LOGS) || a == KW_ENGINE || a == KW_PROCESSLIST ||
             a == KW_EXPLAIN || a == KW_ANALYZE)
        route(o, QC_PRIMARY, r_server);
    else
        read_route(s, o);
}

static void set_route(struct stmt *s, struct qc_info *o)
{
    switch (s->ss) {
    case SS_EXPR:
        if (s->val_n == 0 || s->setstmt) /* "SET a =", SET STATEMENT without FOR */
            s->confused = true;
        else
            set_item_end(s);
        break;
    case SS_SKIP:
    case SS_REST:
    case SS_ITEM: /* after a trailing ',' is not valid; caught below by the server anyway */
        break;
    default:
        s->confused = true;
        break;
    }
    if (s->autocommit == 0)
        o->flags |= QC_AUTOCOMMIT_OFF;
    else if (s->autocommit == 1)
        o->flags |= QC_AUTOCOMMIT_ON;
    if (s->set_write || s->global)
        route(o, QC_PRIMARY, r_write);
    else if (s->user_var)
        route(o, QC_PRIMARY, r_user_var);
    else if (s->side || s->prev)
        route(o, QC_PRIMARY, r_side);
    else if (s->unknown_fn)
        route(o, QC_PRIMARY, r_unknown_fn);
    else if (s->subquery || s->lock || s->into)
        route(o, QC_PRIMARY, r_subquery);
    else
        route(o, QC_ALL, r_session);
}

/* start_route: START TRANSACTION [characteristic [, characteristic] ...] */
static void start_route(const struct stmt *s, struct qc_info *o)
{
    if (wkw(s, 1) != KW_TRANSACTION) { /* START SLAVE, START ALL REPLICAS, ... */
        route(o, QC_PRIMARY, r_write);
        return;
    }
    bool ro = false, rw = false, ok = s->ntok <= QC_WIN;
    size_t i = 2;
    while (ok && i < s->nw) {
        if (wkw(s, i) == KW_WITH && wkw(s, i + 1) == KW_CONSISTENT && wkw(s, i + 2) == KW_SNAPSHOT)
            i += 3;
        else if (wkw(s, i) == KW_READ && wkw(s, i + 1) == KW_ONLY)
            ro = true, i += 2;
        else if (wkw(s, i) == KW_READ && wkw(s, i + 1) == KW_WRITE)
            rw = true, i += 2;
        else
            ok = false;
        if (ok && i < s->nw) {
            if (is_op(&s->w[i], ',') && i + 1 < s->nw)
                i++;
            else
                ok = false;
        }
    }
    if (ok && ro && !rw) {
        route(o, QC_REPLICA, r_trx);
        o->flags |= QC_BEGIN_READONLY;
    } else {
        route(o, QC_PRIMARY, r_trx);
        o->flags |= QC_BEGIN;
    }
}

/* end_route: COMMIT/ROLLBACK [WORK] [AND [NO] CHAIN] [[NO] RELEASE] */
static void end_route(const struct stmt *s, struct qc_info *o)
{
    route(o, QC_PRIMARY, r_trx);
    o->flags |= QC_END;
    for (size_t i = 1; i + 1 < s->nw; i++)
        if (wkw(s, i) == KW_AND && wkw(s, i + 1) == KW_CHAIN)
            o->flags |= QC_BEGIN;
}

/* decide: the route, reason and flags of one statement. */
static void decide(struct run *r, struct stmt *s, struct qc_info *o)
{
    memset(o, 0, sizeof *o);
    route(o, QC_PRIMARY, r_unknown);
    if (!s->started)
        s->confused = true;
    switch (s->kind) {
    case K_SELECT:
        read_route(s, o);
        break;
    case K_INSERT:
    case K_UPDATE:
        if (s->wrap == WRAP_EXPLAIN)
            read_route(s, o); /* EXPLAIN runs nothing */
        else
            route(o, QC_PRIMARY, r_write);
        break;
    case K_DO:
    case K_CALL:
    case K_ADMIN:
        route(o, QC_PRIMARY, r_write);
        break;
    case K_SHOW:
        show_route(s, o);
        break;
    case K_DESCRIBE:
    case K_HELP:
        route(o, QC_REPLICA, r_read);
        break;
    case K_SERVER:
        route(o, QC_PRIMARY, r_server);
        break;
    case K_SET:
        set_route(s, o);
        if (s->charset) {
            o->flags |= QC_SET_CHARSET;
            r->cs_off = s->cs_p ? (size_t)(s->cs_p - r->lx.s) : 0;
            r->cs_len = s->cs_p ? s->cs_len : 0;
        }
        break;
    case K_USE:
        if (s->ntok == 2 && is_name(&s->w[1])) {
            const struct tok *d = &s->w[1];
            route(o, QC_ALL, r_session);
            o->flags |= QC_USE_DB;
            r->db_off = (size_t)((d->kind == TK_WORD ? d->p : d->name) - r->lx.s);
            r->db_len = d->kind == TK_WORD ? d->len : d->name_len;
        }
        break;
    case K_BEGIN:
        if (s->ntok == 1 || (s->ntok == 2 && wkw(s, 1) == KW_WORK)) {
            route(o, QC_PRIMARY, r_trx);
            o->flags |= QC_BEGIN;
        } else {
            route(o, QC_PRIMARY, r_write); /* BEGIN NOT ATOMIC ... END */
        }
        break;
    case K_START:
        start_route(s, o);
        break;
    case K_COMMIT:
        end_route(s, o);
        break;
    case K_ROLLBACK:
        if (wkw(s, 1) == KW_TO || (wkw(s, 1) == KW_WORK && wkw(s, 2) == KW_TO))
            route(o, QC_PRIMARY, r_trx); /* ROLLBACK TO SAVEPOINT */
        else
            end_route(s, o);
        break;
    case K_SAVEPOINT:
        route(o, QC_PRIMARY, r_trx);
        break;
    case K_XA:
        route(o, QC_PRIMARY, r_trx);
        if (wkw(s, 1) == KW_START || wkw(s, 1) == KW_BEGIN)
            o->flags |= QC_BEGIN;
        else if (wkw(s, 1) == KW_END || wkw(s, 1) == KW_PREPARE || wkw(s, 1) == KW_COMMIT ||
                 wkw(s, 1) == KW_ROLLBACK)
            o->flags |= QC_END;
        break;
    case K_LOCK:
    case K_UNLOCK:
        if (wkw(s, 1) == KW_TABLE || wkw(s, 1) == KW_TABLES) {
            route(o, QC_PRIMARY, r_trx);
            o->flags |= s->kind == K_LOCK ? QC_LOCK_TABLES : QC_UNLOCK_TABLES;
        } else {
            route(o, QC_PRIMARY, r_write);
        }
        break;
    case K_FLUSH:
        route(o, QC_PRIMARY, r_write);
        if (s->lock_tables)
            o->flags |= QC_LOCK_TABLES;
        break;
    case K_CREATE: {
        size_t i = wkw(s, 1) == KW_OR && wkw(s, 2) == KW_REPLACE ? 3 : 1;
        route(o, QC_PRIMARY, r_write);
        if (wkw(s, i) == KW_TEMPORARY &&
            (wkw(s, i + 1) == KW_TABLE || wkw(s, i + 1) == KW_SEQUENCE))
            o->flags |= QC_TEMP_CREATE;
        break;
    }
    case K_GET:
        if (wkw(s, 1) == KW_DIAGNOSTICS ||
            ((wkw(s, 1) == KW_CURRENT || wkw(s, 1) == KW_STACKED) && wkw(s, 2) == KW_DIAGNOSTICS))
            route(o, QC_PREVIOUS, r_previous);
        break;
    default: /* K_NONE, K_UNKNOWN, K_WITH without a main statement, a bare EXPLAIN */
        break;
    }
    if (s->user_var)
        o->flags |= QC_USER_VAR;
    if (s->side || s->unknown_fn)
        o->flags |= QC_SIDE_EFFECT;
    if (s->lock)
        o->flags |= QC_LOCKING_READ;
    if (s->syntax || s->confused)
        route(o, QC_PRIMARY, r_unknown);
}

static void end_stmt(struct run *r)
{
    struct stmt *s = &r->s;
    if (s->depth != 0)
        s->syntax = true;
    if (s->any) {
        struct qc_info o;
        decide(r, s, &o);
        if (r->nstmt++ == 0)
            r->first = o;
        r->flags |= o.flags;
    }
    r->syntax |= s->syntax;
    stmt_reset(s);
}

/* run_pass: classifies the text under one sql_mode; false when that reading is not valid SQL. */
static bool run_pass(struct run *r, const char *sql, size_t len, unsigned mode, struct qc_info *out)
{
    memset(&r->lx, 0, sizeof r->lx);
    r->lx.s = sql ? sql : "";
    r->lx.n = sql ? len : 0;
    r->lx.mode = mode;
    memset(&r->p1, 0, sizeof r->p1);
    memset(&r->p2, 0, sizeof r->p2);
    r->after_semi = r->multi = r->syntax = false;
    r->nstmt = r->flags = 0;
    r->db_off = r->db_len = r->cs_off = r->cs_len = 0;
    stmt_reset(&r->s);

    struct tok cur, next;
    lex_next(&r->lx, &cur);
    while (cur.kind != TK_END) {
        lex_next(&r->lx, &next);
        if (r->after_semi)
            r->multi = true;
        if (is_op(&cur, ';')) {
            end_stmt(r);
            r->after_semi = true;
        } else {
            stmt_token(r, &cur, &next);
        }
        r->p2 = r->p1;
        r->p1 = cur;
        cur = next;
    }
    end_stmt(r);

    memset(out, 0, sizeof *out);
    bool valid = !(r->syntax || r->lx.syntax);
    if (!valid) {
        route(out, QC_PRIMARY, r_unknown);
        out->flags = r->flags;
    } else if (r->multi) {
        route(out, QC_PRIMARY, r_multi);
        out->flags = r->flags | QC_MULTI;
    } else if (r->nstmt == 0) {
        route(out, QC_PRIMARY, r_unknown);
    } else {
        *out = r->first;
    }
    if (r->multi)
        out->flags |= QC_MULTI;
    out->flags |= r->lx.hint;
    if (r->lx.conditional && out->route != QC_PRIMARY)
        route(out, QC_PRIMARY, r_unknown);
    if (out->flags & QC_USE_DB) {
        out->db_off = r->db_off;
        out->db_len = r->db_len;
    }
    if (out->flags & QC_SET_CHARSET) {
        out->cs_off = r->cs_off;
        out->cs_len = r->cs_len;
    }
    return valid;
}

void qc_classify(const char *sql, size_t len, struct qc_info *out)
{
    struct run r;
    struct qc_info alt;
    run_pass(&r, sql, len, MODE_DEFAULT, out);
    bool bs = r.lx.bs_sq || r.lx.bs_dq, bs_dq = r.lx.bs_dq, bracket = r.lx.bracket;
    /*
     * Under NO_BACKSLASH_ESCAPES, ANSI_QUOTES (a "name" keeps its backslashes) and MSSQL ([name]
     * quotes) a quoted text may end elsewhere. Every other reading that is valid SQL must agree,
     * or the text goes to the primary with the flags of all of them.
     */
    const struct {
        unsigned mode;
        bool needed;
    } alts[] = {
        {MODE_NO_BACKSLASH, bs},
        {MODE_ANSI_QUOTES, bs_dq},
        {MODE_MSSQL, bracket},
        {MODE_MSSQL_NO_BACKSLASH, bracket && bs},
    };
    for (size_t k = 0; k < sizeof alts / sizeof alts[0]; k++) {
        if (!alts[k].needed || !run_pass(&r, sql, len, alts[k].mode, &alt))
            continue;
        if (alt.route == out->route && alt.flags == out->flags)
            continue;
        out->flags |= alt.flags;
        if (out->route != QC_PRIMARY)
            route(out, QC_PRIMARY, r_unknown);
    }
}
