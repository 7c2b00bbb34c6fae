/* Unit tests for app/dbproxy/classify: a table of statements and where they may run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dbproxy/classify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* a string literal and its length */
#define LIT(s) s, sizeof(s) - 1

#define REPLICA  QC_REPLICA
#define PRIMARY  QC_PRIMARY
#define ALL      QC_ALL
#define PREVIOUS QC_PREVIOUS

/* flags, shortened for the table */
#define BEGIN     QC_BEGIN
#define BEGIN_RO  QC_BEGIN_READONLY
#define END       QC_END
#define AC_OFF    QC_AUTOCOMMIT_OFF
#define AC_ON     QC_AUTOCOMMIT_ON
#define TEMP      QC_TEMP_CREATE
#define LOCKT     QC_LOCK_TABLES
#define UNLOCKT   QC_UNLOCK_TABLES
#define MULTI     QC_MULTI
#define H_PRIMARY QC_HINT_PRIMARY
#define H_REPLICA QC_HINT_REPLICA
#define H_LAST    QC_HINT_LAST
#define USE_DB    QC_USE_DB
#define LOCKING   QC_LOCKING_READ
#define UVAR      QC_USER_VAR
#define SIDE      QC_SIDE_EFFECT
#define CS        QC_SET_CHARSET

struct row {
    const char *sql;
    enum qc_route route;
    unsigned flags;
    const char *reason;
};

static const struct row rows[] = {
    /* plain reads */
    {"SELECT 1", REPLICA, 0, "read"},
    {"select * from products where id = 7", REPLICA, 0, "read"},
    {"SeLeCt id FrOm t WhErE a = 1", REPLICA, 0, "read"},
    {"  \n\t SELECT 1 \r\n", REPLICA, 0, "read"},
    {"SELECT 1;", REPLICA, 0, "read"},
    {"SELECT 1 ;  -- done\n", REPLICA, 0, "read"},
    {"SELECT 1; /* trailing */ # and more\n", REPLICA, 0, "read"},
    {"(SELECT 1)", REPLICA, 0, "read"},
    {"((SELECT a FROM t) UNION (SELECT b FROM u)) ORDER BY 1 LIMIT 3", REPLICA, 0, "read"},
    {"SELECT a FROM t UNION ALL SELECT b FROM u UNION DISTINCT SELECT c FROM v", REPLICA, 0,
     "read"},
    {"SELECT a FROM t INTERSECT SELECT a FROM u EXCEPT SELECT a FROM v", REPLICA, 0, "read"},
    {"VALUES (1, 2), (3, 4) ORDER BY 1", REPLICA, 0, "read"},
    {"SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE x > 0)", REPLICA, 0, "read"},
    {"SELECT EXISTS (SELECT 1 FROM t), NOT EXISTS(SELECT 2)", REPLICA, 0, "read"},
    {"SELECT a FROM t1 JOIN t2 USING (id) WHERE (a > 1 AND b < 2) OR NOT (c = 3) XOR (d)", REPLICA,
     0, "read"},
    {"SELECT COUNT(*), SUM(x), AVG(x), MIN(x), MAX(x), GROUP_CONCAT(x ORDER BY x SEPARATOR ',')"
     " FROM t GROUP BY y HAVING COUNT(DISTINCT z) > 1",
     REPLICA, 0, "read"},
    {"SELECT ROW_NUMBER() OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 1 PRECEDING AND CURRENT "
     "ROW), LAG(a, 1) OVER w FROM t WINDOW w AS (ORDER BY a)",
     REPLICA, 0, "read"},
    {"SELECT PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY x) OVER () FROM t", REPLICA, 0, "read"},
    {"SELECT CAST(x AS DECIMAL(10,2)), CAST(y AS DATETIME(6)), CAST(z AS CHAR(10)), CAST(w AS "
     "UNSIGNED) FROM t",
     REPLICA, 0, "read"},
    {"SELECT CONVERT(z USING utf8mb4), CONVERT(d, DATETIME(3)), CONVERT(e, TIME(2))", REPLICA, 0,
     "read"},
    {"SELECT * FROM t WHERE MATCH (a, b) AGAINST ('shoe' IN BOOLEAN MODE)", REPLICA, 0, "read"},
    {"SELECT * FROM JSON_TABLE('[1]', '$[*]' COLUMNS (id FOR ORDINALITY, v INT PATH '$', d "
     "DATETIME(6) PATH '$.d', NESTED PATH '$.x' COLUMNS (y VARCHAR(10) PATH '$'))) AS jt",
     REPLICA, 0, "read"},
    {"SELECT * FROM t USE INDEX (i) FORCE KEY FOR JOIN (k) IGNORE INDEX FOR ORDER BY (j)", REPLICA,
     0, "read"},
    {"SELECT * FROM t WHERE a = ANY (SELECT 1) AND b > SOME (SELECT 2) AND c <> ALL (SELECT 3)",
     REPLICA, 0, "read"},
    {"SELECT * FROM t PARTITION (p0, p1) AS x STRAIGHT_JOIN u ON (x.a = u.a)", REPLICA, 0, "read"},
    {"SELECT NOW(), CURDATE(), UNIX_TIMESTAMP(), SYSDATE(), UUID(), RAND(), DATABASE(), USER(),"
     " CURRENT_USER(), CURRENT_USER, VERSION(), CONNECTION_ID(), UTC_TIMESTAMP(6)",
     REPLICA, 0, "read"},
    {"SELECT SHA2('x', 256), MD5('x'), JSON_EXTRACT(j, '$.a'), JSON_OBJECT('a', 1), COALESCE(a,"
     " b), IFNULL(a, 0), NULLIF(a, b), IF(a, 1, 2), GREATEST(a, b), LEAST(a, b) FROM t",
     REPLICA, 0, "read"},
    {"SELECT TRIM(LEADING 'x' FROM a), EXTRACT(YEAR FROM d), POSITION('a' IN s), SUBSTRING(s FROM"
     " 2 FOR 3), DATE_ADD(d, INTERVAL 1 DAY), INTERVAL(5, 1, 10), LEFT(s, 1), REPLACE(s, 'a', "
     "'b'), INSERT(s, 1, 1, 'x'), MOD(7, 2), 7 DIV (2), CHAR(77 USING utf8mb4), ROW(1, 2) = ROW(1,"
     " 2), DEFAULT(c), BINARY(s)",
     REPLICA, 0, "read"},
    {"SELECT ST_Distance(POINT(0, 0), ST_GeomFromText('POINT(1 1)')), MBRContains(g, h) FROM t",
     REPLICA, 0, "read"},
    {"SELECT SLEEP(0)", REPLICA, 0, "read"},
    {"SELECT MASTER_GTID_WAIT('0-1-100', 1)", REPLICA, 0, "read"},
    {"SELECT CONCAT (a, b) FROM t", REPLICA, 0, "read"},
    {"SELECT CONCAT/* IGNORE_SPACE */(a, b) FROM t", REPLICA, 0, "read"},
    {"SELECT x FROM t FOR SYSTEM_TIME AS OF TIMESTAMP('2024-01-01 00:00:00')", REPLICA, 0, "read"},
    {"SELECT x FROM t FOR SYSTEM_TIME FROM (NOW() - INTERVAL 1 DAY) TO (NOW())", REPLICA, 0,
     "read"},
    {"SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 10", REPLICA, 0, "read"},
    {"SELECT HIGH_PRIORITY SQL_NO_CACHE a FROM t", REPLICA, 0, "read"},
    {"SELECT a, SUM(b) FROM t GROUP BY a WITH ROLLUP", REPLICA, 0, "read"},
    {"SELECT `update`, `select`(1) FROM `delete`", PRIMARY, SIDE, "unknown_function"},
    {"SELECT `update`, `order` FROM `delete` WHERE `for` = 1", REPLICA, 0, "read"},
    {"SELECT x'41', b'01', N'x', _utf8mb4'x' COLLATE utf8mb4_bin, 0x41, 1e5, .5", REPLICA, 0,
     "read"},
    {"select `a``b` from `t;1` where c = 'x'", REPLICA, 0, "read"},
    {"SELECT 1 FROM DUAL WHERE 1 = 1 LIMIT 1 OFFSET 0", REPLICA, 0, "read"},

    /* locking reads */
    {"SELECT * FROM t WHERE id = 1 FOR UPDATE", PRIMARY, LOCKING, "locking_read"},
    {"select * from t where id = 1 for update nowait", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t FOR UPDATE SKIP LOCKED", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t WHERE id = 1 FOR UPDATE WAIT 5", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t LOCK IN SHARE MODE", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t FOR SHARE", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t WHERE id IN (SELECT id FROM u FOR UPDATE)", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t FOR /* why not */ UPDATE", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t /*! FOR UPDATE */", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t /*!50100 FOR UPDATE */", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t /*M!100100 LOCK IN SHARE MODE */", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t /*M! FOR UPDATE*/", PRIMARY, LOCKING, "locking_read"},
    {"SELECT * FROM t /*!40001 FOR /* inner comment */ UPDATE */", PRIMARY, LOCKING,
     "locking_read"},
    {"SELECT * FROM t WHERE note = 'FOR UPDATE'", REPLICA, 0, "read"},
    {"SELECT * FROM t /* FOR UPDATE */", REPLICA, 0, "read"},
    {"SELECT * FROM t -- FOR UPDATE", REPLICA, 0, "read"},
    {"SELECT * FROM t # FOR UPDATE", REPLICA, 0, "read"},
    {"SELECT * FROM t WHERE a = 1 FOR `update`", REPLICA, 0, "read"},
    /* MySQL 5.7+ versions: MariaDB always skips them, so they are comments */
    {"SELECT * FROM t /*!50700 FOR UPDATE */", REPLICA, 0, "read"},
    {"SELECT * FROM t /*!80000 FOR UPDATE */", REPLICA, 0, "read"},
    /* for a later MariaDB: conditional code */
    {"SELECT * FROM t /*!110000 FOR UPDATE */", PRIMARY, 0, "unknown"},
    {"SELECT * FROM t /*M!999999 FOR UPDATE */", PRIMARY, 0, "unknown"},
    {"SELECT * FROM t /*M!999999 */", REPLICA, 0, "read"},

    /* comments and hints */
    {"/* leading */ SELECT 1", REPLICA, 0, "read"},
    {"-- maxscale route to master\nSELECT 1", REPLICA, H_PRIMARY, "read"},
    {"SELECT 1 -- maxscale route to slave", REPLICA, H_REPLICA, "read"},
    {"# maxscale route to last\nSELECT 1", REPLICA, H_LAST, "read"},
    {"/* maxscale route to master */ SELECT 1", REPLICA, H_PRIMARY, "read"},
    {"/*MaxScale   ROUTE\tto  MASTER*/SELECT 1", REPLICA, H_PRIMARY, "read"},
    {"SELECT 1 /* maxscale route to slave */ FOR UPDATE", PRIMARY, H_REPLICA | LOCKING,
     "locking_read"},
    {"/* first */ SELECT 1 -- maxscale route to master", REPLICA, 0, "read"},
    {"SELECT 1 /* maxscale route to server db2 */", REPLICA, 0, "read"},
    {"SELECT 1 /* maxscale max_slave_replication_lag=10 */", REPLICA, 0, "read"},
    {"SELECT 1 /* maxscale route to master please */", REPLICA, 0, "read"},
    {"SELECT 1 /*! -- maxscale route to master\n */", REPLICA, H_PRIMARY, "read"},
    {"--maxscale route to master\nSELECT 1", PRIMARY, 0, "unknown"},
    {"UPDATE t SET a = 1 -- maxscale route to slave", PRIMARY, H_REPLICA, "write"},
    {"-- maxscale route to master", PRIMARY, H_PRIMARY, "unknown"},
    {"SELECT 1--1", REPLICA, 0, "read"},
    {"SELECT 1 --", REPLICA, 0, "read"},

    /* strings */
    {"SELECT 'a;b' FROM t", REPLICA, 0, "read"},
    {"SELECT 'it''s' FROM t", REPLICA, 0, "read"},
    {"SELECT 'O\\'Brien', 'a\\\\' FROM t", REPLICA, 0, "read"},
    {"SELECT 'it\\'s; DELETE FROM t' FROM t", REPLICA, 0, "read"},
    {"SELECT \"x; y\", \"a\"\"b\", \"c\\\"d\" FROM t", REPLICA, 0, "read"},
    {"SELECT '@x', '--', '/*', '#', '`', '\"' FROM t", REPLICA, 0, "read"},
    /* under NO_BACKSLASH_ESCAPES this is a SELECT, a DELETE and a comment */
    {"SELECT * FROM t WHERE a = 'x\\' ; DELETE FROM t; -- '", PRIMARY, MULTI, "unknown"},
    {"SELECT * FROM t WHERE a = \"x\\\" FOR UPDATE -- \"", PRIMARY, LOCKING, "unknown"},
    /* under sql_mode=MSSQL [it's] is a name */
    {"SELECT [it's] FROM t FOR UPDATE -- '", PRIMARY, LOCKING, "unknown"},
    {"SELECT [a]]b] FROM [t]", REPLICA, 0, "read"},
    {"SELECT 'unterminated", PRIMARY, 0, "unknown"},
    {"SELECT \"unterminated", PRIMARY, 0, "unknown"},
    {"SELECT `unterminated", PRIMARY, 0, "unknown"},
    {"SELECT 'a\\", PRIMARY, 0, "unknown"},
    {"SELECT 1 /* unterminated", PRIMARY, 0, "unknown"},
    {"SELECT 1 /*! unterminated", PRIMARY, 0, "unknown"},
    {"SELECT 1 /*! -- swallows the end */", PRIMARY, 0, "unknown"},
    {"SELECT 1 */", REPLICA, 0, "read"},

    /* more than one statement */
    {"SELECT 1; SELECT 2", PRIMARY, MULTI, "multi"},
    {"INSERT INTO t VALUES (1); SELECT LAST_INSERT_ID()", PRIMARY, MULTI | SIDE, "multi"},
    {"SELECT 1;;", PRIMARY, MULTI, "multi"},
    {"SELECT 1; -- c\n /* d */ ;", PRIMARY, MULTI, "multi"},
    {"BEGIN; UPDATE t SET a = 1; COMMIT", PRIMARY, MULTI | BEGIN | END, "multi"},
    {"SET autocommit=0; SELECT 1", PRIMARY, MULTI | AC_OFF, "multi"},
    {"CREATE TEMPORARY TABLE tmp (id INT); SELECT * FROM tmp", PRIMARY, MULTI | TEMP, "multi"},
    {"SELECT 1 /*! ; DELETE FROM t */", PRIMARY, MULTI, "multi"},
    {";", PRIMARY, 0, "unknown"},
    {"; SELECT 1", PRIMARY, MULTI, "multi"},

    /* common table expressions */
    {"WITH x AS (SELECT 1) SELECT * FROM x", REPLICA, 0, "read"},
    {"WITH RECURSIVE r (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) SELECT n "
     "FROM r",
     REPLICA, 0, "read"},
    {"WITH a AS (SELECT 1 AS v), b (w) AS (SELECT v FROM a) SELECT * FROM b", REPLICA, 0, "read"},
    {"WITH x AS (SELECT 1) (SELECT * FROM x)", REPLICA, 0, "read"},
    {"with `x y` as (select 1) values (2)", REPLICA, 0, "read"},
    {"WITH RECURSIVE r AS (SELECT 1 AS n UNION SELECT n + 1 FROM r) CYCLE n RESTRICT SELECT * "
     "FROM r",
     REPLICA, 0, "read"},
    {"SELECT * FROM (WITH y (a) AS (SELECT 1) SELECT a FROM y) d", REPLICA, 0, "read"},
    {"(WITH x AS (SELECT 1) SELECT * FROM x)", REPLICA, 0, "read"},
    {"WITH x AS (SELECT * FROM t FOR UPDATE) SELECT * FROM x", PRIMARY, LOCKING, "locking_read"},
    {"WITH x AS (SELECT f(1)) SELECT * FROM x", PRIMARY, SIDE, "unknown_function"},
    {"WITH x AS (SELECT 1) DELETE FROM t", PRIMARY, 0, "write"},
    {"WITH x AS (SELECT 1) DROP TABLE t", PRIMARY, 0, "unknown"},
    {"WITH x AS (SELECT 1)", PRIMARY, 0, "unknown"},
    {"WITH x SELECT 1", PRIMARY, 0, "unknown"},

    /* functions */
    {"SELECT LAST_INSERT_ID()", PRIMARY, SIDE, "side_effect"},
    {"SELECT last_insert_id ()", PRIMARY, SIDE, "side_effect"},
    {"SELECT GET_LOCK('x', 10)", PRIMARY, SIDE, "side_effect"},
    {"SELECT RELEASE_LOCK('x'), RELEASE_ALL_LOCKS()", PRIMARY, SIDE, "side_effect"},
    {"SELECT IS_FREE_LOCK('x'), IS_USED_LOCK('x')", PRIMARY, SIDE, "side_effect"},
    {"SELECT NEXTVAL(seq)", PRIMARY, SIDE, "side_effect"},
    {"SELECT NEXT VALUE FOR seq", PRIMARY, SIDE, "side_effect"},
    {"SELECT previous value for shop.seq", PRIMARY, SIDE, "side_effect"},
    {"SELECT s.NEXTVAL, s.currval FROM dual", PRIMARY, SIDE, "side_effect"},
    {"SELECT LASTVAL(seq), SETVAL(seq, 10)", PRIMARY, SIDE, "side_effect"},
    {"SELECT BENCHMARK(1000, MD5('x'))", PRIMARY, SIDE, "side_effect"},
    {"SELECT LOAD_FILE('/etc/hosts')", PRIMARY, SIDE, "side_effect"},
    {"SELECT my_func(1)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT shop.price_of(7)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT shop.`count`(7)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT `concat`('a', 'b')", PRIMARY, SIDE, "unknown_function"},
    {"SELECT my_func (1)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT a FROM t WHERE b = f/**/(1)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT HIGH_PRIORITY my_func(a) FROM t", PRIMARY, SIDE, "unknown_function"},
    {"SELECT * FROM t PROCEDURE ANALYSE()", PRIMARY, SIDE, "unknown_function"},
    {"SELECT DATETIME(6)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT some(1)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT a FROM t WHERE x AGAINST (1)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT \xc3\xa9t\xc3\xa9(1)", PRIMARY, SIDE, "unknown_function"},
    {"SELECT FOUND_ROWS()", PREVIOUS, 0, "previous"},
    {"SELECT ROW_COUNT()", PREVIOUS, 0, "previous"},
    {"SELECT @@warning_count", PREVIOUS, 0, "previous"},
    {"SELECT @@SESSION.error_count", PREVIOUS, 0, "previous"},
    {"SELECT FOUND_ROWS(), my_func()", PRIMARY, SIDE, "unknown_function"},

    /* variables */
    {"SELECT @x", PRIMARY, UVAR, "user_var"},
    {"SELECT @`x y`, @'z', @\"w\"", PRIMARY, UVAR, "user_var"},
    {"SELECT @x := 1", PRIMARY, UVAR, "user_var"},
    {"SELECT a INTO @x FROM t", PRIMARY, UVAR, "write"},
    {"SELECT * FROM t INTO OUTFILE '/tmp/x'", PRIMARY, 0, "write"},
    {"SELECT * FROM t INTO DUMPFILE '/tmp/x'", PRIMARY, 0, "write"},
    {"SELECT @@version", REPLICA, 0, "read"},
    {"SELECT @@global.max_connections, @@session.sql_mode, @@SQL_MODE, @@`time_zone`", REPLICA, 0,
     "read"},
    {"SELECT @@last_insert_id", PRIMARY, SIDE, "side_effect"},
    {"SELECT @@identity", PRIMARY, SIDE, "side_effect"},
    {"SELECT @@session.insert_id", PRIMARY, SIDE, "side_effect"},
    {"SELECT @@last_gtid", PRIMARY, SIDE, "side_effect"},
    {"SELECT @@", PRIMARY, 0, "unknown"},

    /* SET */
    {"SET NAMES utf8mb4", ALL, CS, "session_command"},
    {"SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'", ALL, CS, "session_command"},
    {"SET NAMES DEFAULT", ALL, CS, "session_command"},
    {"SET CHARACTER SET utf8mb4", ALL, CS, "session_command"},
    {"SET CHARSET latin1", ALL, CS, "session_command"},
    {"SET character_set_client = latin1, autocommit = 1", ALL, CS | AC_ON, "session_command"},
    {"SET GLOBAL character_set_client = latin1", PRIMARY, 0, "write"},
    {"SET autocommit=0", ALL, AC_OFF, "session_command"},
    {"SET autocommit = 1", ALL, AC_ON, "session_command"},
    {"set AUTOCOMMIT=OFF", ALL, AC_OFF, "session_command"},
    {"SET autocommit = ON", ALL, AC_ON, "session_command"},
    {"SET autocommit = true", ALL, AC_ON, "session_command"},
    {"SET autocommit = FALSE", ALL, AC_OFF, "session_command"},
    {"SET @@autocommit = 0", ALL, AC_OFF, "session_command"},
    {"SET @@session.autocommit := 1", ALL, AC_ON, "session_command"},
    {"SET SESSION autocommit = 0", ALL, AC_OFF, "session_command"},
    {"SET LOCAL autocommit = 'ON'", ALL, AC_ON, "session_command"},
    {"SET `autocommit` = 0", ALL, AC_OFF, "session_command"},
    {"SET sql_mode = 'ANSI', autocommit = 0, time_zone = '+00:00'", ALL, AC_OFF, "session_command"},
    {"SET autocommit = 0, autocommit = 1", ALL, AC_ON, "session_command"},
    {"SET autocommit = DEFAULT", ALL, AC_OFF, "session_command"},
    {"SET autocommit = 1 + 0", ALL, AC_OFF, "session_command"},
    {"SET autocommit = @x", PRIMARY, UVAR | AC_OFF, "user_var"},
    {"SET GLOBAL autocommit = 0", PRIMARY, 0, "write"},
    {"SET @@global.max_connections = 500", PRIMARY, 0, "write"},
    {"SET GLOBAL max_connections = 500, sort_buffer_size = 1024", PRIMARY, 0, "write"},
    {"SET SESSION sql_mode = 'TRADITIONAL'", ALL, 0, "session_command"},
    {"SET @@session.time_zone = '+00:00'", ALL, 0, "session_command"},
    {"SET @@time_zone = 'UTC', @@local.sql_mode = ''", ALL, 0, "session_command"},
    {"SET time_zone = 'Europe/Helsinki'", ALL, 0, "session_command"},
    {"SET sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES')", ALL, 0, "session_command"},
    {"SET max_statement_time = 10, innodb_lock_wait_timeout = DEFAULT", ALL, 0, "session_command"},
    {"SET @x = 1", PRIMARY, UVAR, "user_var"},
    {"SET @x := (SELECT MAX(id) FROM t)", PRIMARY, UVAR, "user_var"},
    {"SET sql_mode = @old_mode", PRIMARY, UVAR, "user_var"},
    {"SET max_statement_time = (SELECT 1)", PRIMARY, 0, "subquery"},
    {"SET @@session.sql_mode = my_func()", PRIMARY, SIDE, "unknown_function"},
    {"SET timestamp = LAST_INSERT_ID()", PRIMARY, SIDE, "side_effect"},
    {"SET PASSWORD = PASSWORD('x')", PRIMARY, 0, "write"},
    {"SET PASSWORD FOR 'bob'@'%' = PASSWORD('x')", PRIMARY, 0, "write"},
    {"SET DEFAULT ROLE admin FOR bob", PRIMARY, 0, "write"},
    {"SET ROLE admin", ALL, 0, "session_command"},
    {"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", ALL, 0, "session_command"},
    {"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", ALL, 0, "session_command"},
    {"SET SESSION TRANSACTION READ ONLY, ISOLATION LEVEL READ COMMITTED", ALL, 0,
     "session_command"},
    {"SET GLOBAL TRANSACTION ISOLATION LEVEL SERIALIZABLE", PRIMARY, 0, "write"},
    {"SET STATEMENT max_statement_time=1 FOR SELECT * FROM t", REPLICA, 0, "read"},
    {"SET STATEMENT max_statement_time=1, sql_mode='' FOR UPDATE t SET a = 1", PRIMARY, 0, "write"},
    {"SET STATEMENT max_statement_time=1 FOR SELECT * FROM t FOR UPDATE", PRIMARY, LOCKING,
     "locking_read"},
    {"SET STATEMENT sql_mode=@m FOR SELECT 1", PRIMARY, UVAR, "user_var"},
    {"SET STATEMENT autocommit=0, character_set_client=latin1 FOR SELECT 1", REPLICA, 0, "read"},
    {"SET STATEMENT max_statement_time=1 FOR", PRIMARY, 0, "unknown"},
    {"SET STATEMENT max_statement_time=1 FOR SET x = 1", PRIMARY, 0, "unknown"},
    {"SET", PRIMARY, 0, "unknown"},
    {"SET x", PRIMARY, 0, "unknown"},
    {"SET x =", PRIMARY, 0, "unknown"},

    /* USE */
    {"USE shop", ALL, USE_DB, "session_command"},
    {"use `my db`", ALL, USE_DB, "session_command"},
    {"USE", PRIMARY, 0, "unknown"},

    /* transactions */
    {"BEGIN", PRIMARY, BEGIN, "transaction"},
    {"begin work", PRIMARY, BEGIN, "transaction"},
    {"START TRANSACTION", PRIMARY, BEGIN, "transaction"},
    {"START TRANSACTION READ WRITE", PRIMARY, BEGIN, "transaction"},
    {"START TRANSACTION READ ONLY", REPLICA, BEGIN_RO, "transaction"},
    {"start transaction read only;", REPLICA, BEGIN_RO, "transaction"},
    {"START TRANSACTION WITH CONSISTENT SNAPSHOT", PRIMARY, BEGIN, "transaction"},
    {"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", REPLICA, BEGIN_RO, "transaction"},
    {"START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT", REPLICA, BEGIN_RO, "transaction"},
    {"START TRANSACTION READ ONLY, READ WRITE", PRIMARY, BEGIN, "transaction"},
    {"START TRANSACTION READ ONLY,", PRIMARY, BEGIN, "transaction"},
    {"COMMIT", PRIMARY, END, "transaction"},
    {"commit work", PRIMARY, END, "transaction"},
    {"COMMIT AND CHAIN", PRIMARY, END | BEGIN, "transaction"},
    {"COMMIT AND NO CHAIN RELEASE", PRIMARY, END, "transaction"},
    {"ROLLBACK", PRIMARY, END, "transaction"},
    {"ROLLBACK WORK", PRIMARY, END, "transaction"},
    {"ROLLBACK TO SAVEPOINT sp1", PRIMARY, 0, "transaction"},
    {"ROLLBACK WORK TO sp1", PRIMARY, 0, "transaction"},
    {"SAVEPOINT sp1", PRIMARY, 0, "transaction"},
    {"RELEASE SAVEPOINT sp1", PRIMARY, 0, "transaction"},
    {"XA START 'xid1'", PRIMARY, BEGIN, "transaction"},
    {"XA BEGIN 'xid1'", PRIMARY, BEGIN, "transaction"},
    {"XA END 'xid1'", PRIMARY, END, "transaction"},
    {"XA PREPARE 'xid1'", PRIMARY, END, "transaction"},
    {"XA COMMIT 'xid1'", PRIMARY, END, "transaction"},
    {"XA ROLLBACK 'xid1'", PRIMARY, END, "transaction"},
    {"XA RECOVER", PRIMARY, 0, "transaction"},
    {"BEGIN NOT ATOMIC SELECT 1; END", PRIMARY, MULTI, "multi"},
    {"START SLAVE", PRIMARY, 0, "write"},

    /* SHOW */
    {"SHOW DATABASES", REPLICA, 0, "read"},
    {"SHOW TABLES", REPLICA, 0, "read"},
    {"SHOW FULL TABLES FROM shop LIKE 'o%'", REPLICA, 0, "read"},
    {"SHOW CREATE TABLE orders", REPLICA, 0, "read"},
    {"SHOW VARIABLES LIKE 'max%'", REPLICA, 0, "read"},
    {"SHOW GLOBAL STATUS", REPLICA, 0, "read"},
    {"SHOW INDEX FROM t", REPLICA, 0, "read"},
    {"SHOW GRANTS FOR 'app'@'%'", REPLICA, 0, "read"},
    {"SHOW GRANTS FOR app@localhost", REPLICA, 0, "read"},
    {"SHOW GRANTS FOR CURRENT_USER()", REPLICA, 0, "read"},
    {"SHOW SLAVE STATUS", REPLICA, 0, "read"},
    {"SHOW ENGINES", REPLICA, 0, "read"},
    {"SHOW TABLES WHERE Tables_in_shop = @x", PRIMARY, UVAR, "user_var"},
    {"SHOW WARNINGS", PREVIOUS, 0, "previous"},
    {"SHOW ERRORS", PREVIOUS, 0, "previous"},
    {"show warnings limit 10", PREVIOUS, 0, "previous"},
    {"SHOW COUNT(*) WARNINGS", PREVIOUS, 0, "previous"},
    {"SHOW COUNT(*) ERRORS", PREVIOUS, 0, "previous"},
    {"SHOW PROFILES", PREVIOUS, 0, "previous"},
    {"SHOW MASTER STATUS", PRIMARY, 0, "server_specific"},
    {"SHOW BINLOG STATUS", PRIMARY, 0, "server_specific"},
    {"SHOW BINARY LOGS", PRIMARY, 0, "server_specific"},
    {"SHOW MASTER LOGS", PRIMARY, 0, "server_specific"},
    {"SHOW BINLOG EVENTS IN 'mysql-bin.000001'", PRIMARY, 0, "server_specific"},
    {"SHOW ENGINE INNODB STATUS", PRIMARY, 0, "server_specific"},
    {"SHOW PROCESSLIST", PRIMARY, 0, "server_specific"},
    {"SHOW FULL PROCESSLIST", PRIMARY, 0, "server_specific"},
    {"SHOW EXPLAIN FOR 12", PRIMARY, 0, "server_specific"},

    /* EXPLAIN, DESCRIBE, ANALYZE, HELP */
    {"EXPLAIN SELECT * FROM t", REPLICA, 0, "read"},
    {"EXPLAIN EXTENDED SELECT 1", REPLICA, 0, "read"},
    {"EXPLAIN FORMAT=JSON SELECT * FROM t", REPLICA, 0, "read"},
    {"EXPLAIN UPDATE t SET a = 1", REPLICA, 0, "read"},
    {"EXPLAIN DELETE FROM t WHERE id = 1", REPLICA, 0, "read"},
    {"EXPLAIN INSERT INTO t (a) VALUES (1)", REPLICA, 0, "read"},
    {"EXPLAIN (SELECT 1)", REPLICA, 0, "read"},
    {"EXPLAIN WITH x AS (SELECT 1) SELECT * FROM x", REPLICA, 0, "read"},
    {"DESCRIBE orders", REPLICA, 0, "read"},
    {"DESC orders", REPLICA, 0, "read"},
    {"DESCRIBE shop.orders status", REPLICA, 0, "read"},
    {"EXPLAIN orders", REPLICA, 0, "read"},
    {"EXPLAIN SELECT my_func()", PRIMARY, SIDE, "unknown_function"},
    {"EXPLAIN ANALYZE SELECT 1", PRIMARY, 0, "write"},
    {"ANALYZE SELECT * FROM t", PRIMARY, 0, "write"},
    {"ANALYZE FORMAT=JSON SELECT 1", PRIMARY, 0, "write"},
    {"ANALYZE TABLE t", PRIMARY, 0, "write"},
    {"EXPLAIN FOR CONNECTION 7", PRIMARY, 0, "server_specific"},
    {"EXPLAIN", PRIMARY, 0, "unknown"},
    {"HELP 'select'", REPLICA, 0, "read"},

    /* LOCK, UNLOCK, FLUSH, CREATE TEMPORARY */
    {"LOCK TABLES t READ", PRIMARY, LOCKT, "transaction"},
    {"LOCK TABLE t WRITE, u READ LOCAL", PRIMARY, LOCKT, "transaction"},
    {"UNLOCK TABLES", PRIMARY, UNLOCKT, "transaction"},
    {"FLUSH TABLES WITH READ LOCK", PRIMARY, LOCKT, "write"},
    {"FLUSH TABLES t1, t2 WITH READ LOCK", PRIMARY, LOCKT, "write"},
    {"FLUSH TABLES t FOR EXPORT", PRIMARY, LOCKT, "write"},
    {"FLUSH PRIVILEGES", PRIMARY, 0, "write"},
    {"CREATE TEMPORARY TABLE tmp (id INT)", PRIMARY, TEMP, "write"},
    {"CREATE OR REPLACE TEMPORARY TABLE tmp AS SELECT 1", PRIMARY, TEMP, "write"},
    {"create temporary table if not exists tmp like t", PRIMARY, TEMP, "write"},
    {"CREATE TEMPORARY SEQUENCE s", PRIMARY, TEMP, "write"},
    {"CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(10), v my_type(3))", PRIMARY, 0, "write"},

    /* writes and everything else */
    {"INSERT INTO t (a, b) VALUES (1, 2)", PRIMARY, 0, "write"},
    {"INSERT INTO t SELECT * FROM u", PRIMARY, 0, "write"},
    {"INSERT INTO shop.t (a) SELECT a FROM u FOR UPDATE", PRIMARY, LOCKING, "write"},
    {"INSERT LOW_PRIORITY IGNORE INTO t (a) VALUES (1)", PRIMARY, 0, "write"},
    {"INSERT t (a) VALUES (1)", PRIMARY, 0, "write"},
    {"INSERT INTO `t` PARTITION (p1) (a) VALUE (1)", PRIMARY, 0, "write"},
    {"INSERT INTO t (a) VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES(a)", PRIMARY, 0, "write"},
    {"INSERT INTO t (a) VALUES (LAST_INSERT_ID())", PRIMARY, SIDE, "write"},
    {"INSERT INTO t (a) VALUES (@x)", PRIMARY, UVAR, "write"},
    {"REPLACE INTO t (a) VALUES (1)", PRIMARY, 0, "write"},
    {"UPDATE t SET a = a + 1 WHERE id = 1", PRIMARY, 0, "write"},
    {"DELETE FROM t WHERE id = 1", PRIMARY, 0, "write"},
    {"DELETE t1 FROM t1 JOIN t2 USING (id)", PRIMARY, 0, "write"},
    {"DELETE FROM t WHERE id = 1 RETURNING id", PRIMARY, 0, "write"},
    {"CALL refresh_stock(7)", PRIMARY, 0, "write"},
    {"CALL shop.refresh(1)", PRIMARY, 0, "write"},
    {"DO SLEEP(1)", PRIMARY, 0, "write"},
    {"DO GET_LOCK('x', 1)", PRIMARY, SIDE, "write"},
    {"HANDLER t READ FIRST", PRIMARY, 0, "write"},
    {"LOAD DATA INFILE '/tmp/x' INTO TABLE t (a, b) SET c = my_fn(a)", PRIMARY, 0, "write"},
    {"PREPARE s FROM 'SELECT 1'", PRIMARY, 0, "write"},
    {"EXECUTE s USING @a", PRIMARY, 0, "write"},
    {"DEALLOCATE PREPARE s", PRIMARY, 0, "write"},
    {"TRUNCATE TABLE t", PRIMARY, 0, "write"},
    {"DROP TABLE t", PRIMARY, 0, "write"},
    {"ALTER TABLE t ADD c INT", PRIMARY, 0, "write"},
    {"RENAME TABLE a TO b", PRIMARY, 0, "write"},
    {"GRANT SELECT ON *.* TO 'u'@'%'", PRIMARY, 0, "write"},
    {"REVOKE ALL ON *.* FROM 'u'@'%'", PRIMARY, 0, "write"},
    {"KILL 12", PRIMARY, 0, "write"},
    {"OPTIMIZE TABLE t", PRIMARY, 0, "write"},
    {"CHECK TABLE t", PRIMARY, 0, "write"},
    {"REPAIR TABLE t", PRIMARY, 0, "write"},
    {"INSTALL SONAME 'ha_example'", PRIMARY, 0, "write"},
    {"GET DIAGNOSTICS @n = NUMBER", PREVIOUS, 0, "previous"},
    {"GET CURRENT DIAGNOSTICS CONDITION 1 @m = MESSAGE_TEXT", PREVIOUS, 0, "previous"},

    /* empty and not understood */
    {"", PRIMARY, 0, "unknown"},
    {"   \n\t ", PRIMARY, 0, "unknown"},
    {"/* only a comment */", PRIMARY, 0, "unknown"},
    {"-- c", PRIMARY, 0, "unknown"},
    {"#", PRIMARY, 0, "unknown"},
    {"FOO BAR", PRIMARY, 0, "unknown"},
    {"42", PRIMARY, 0, "unknown"},
    {"TABLE t", PRIMARY, 0, "unknown"},
    {"(INSERT INTO t VALUES (1))", PRIMARY, 0, "unknown"},
    {"SELECT (1", PRIMARY, 0, "unknown"},
    {"SELECT 1)", PRIMARY, 0, "unknown"},
    {"()", PRIMARY, 0, "unknown"},

    /* sysbench oltp_read_write */
    {"SELECT c FROM sbtest1 WHERE id=?", REPLICA, 0, "read"},
    {"SELECT c FROM sbtest1 WHERE id BETWEEN ? AND ?", REPLICA, 0, "read"},
    {"SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN ? AND ?", REPLICA, 0, "read"},
    {"SELECT c FROM sbtest1 WHERE id BETWEEN ? AND ? ORDER BY c", REPLICA, 0, "read"},
    {"SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN ? AND ? ORDER BY c", REPLICA, 0, "read"},
    {"UPDATE sbtest1 SET k=k+1 WHERE id=?", PRIMARY, 0, "write"},
    {"UPDATE sbtest1 SET c=? WHERE id=?", PRIMARY, 0, "write"},
    {"DELETE FROM sbtest1 WHERE id=?", PRIMARY, 0, "write"},
    {"INSERT INTO sbtest1 (id, k, c, pad) VALUES (?, ?, ?, ?)", PRIMARY, 0, "write"},

    /* what the mariadb command-line client sends */
    {"select @@version_comment limit 1", REPLICA, 0, "read"},
    {"select database()", REPLICA, 0, "read"},
    {"select USER()", REPLICA, 0, "read"},
    {"show databases", REPLICA, 0, "read"},
    {"show tables", REPLICA, 0, "read"},
};

/*
 * What Stampede itself sends (app/shop, app/batch, app/psp db_stmt texts and app/db/db.c),
 * copied as written: plain reads may go to a replica, locking reads and writes may not.
 */
#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
#define PAYMENT_COLS                                                         \
    "id, payment_key, order_id, order_name, status, card_number, card_kind," \
    " COALESCE(fail_code, ''), " ISO("requested_at") ", COALESCE(" ISO(      \
        "approved_at") ", "                                                  \
                       "''), amount, captured, balance,"                     \
                       " status = 'READY' AND requested_at "                 \
                       "< NOW(6) - INTERVAL ? MICROSECOND"
#define NOOP_RUN                                                                             \
    " job_name IN ('expire-holds', 'reconcile-payments') AND ended_at < NOW(6) - INTERVAL ?" \
    " SECOND AND (status = 'NOOP' OR (status = 'COMPLETED' AND read_count = 0 AND"           \
    " processed_count = 0 AND skip_count = 0))"

static const struct row app_rows[] = {
    /* shop/cart.c */
    {"SELECT c.sku_id, c.quantity, k.size_mm, p.id, p.slug, p.name, p.brand, p.image,"
     "       p.price_krw, COALESCE((SELECT SUM(s.available) FROM stock s"
     "                              WHERE s.sku_id = c.sku_id), 0),"
     "       COALESCE(p.max_per_account, 0)"
     "  FROM cart_items c JOIN skus k ON k.id = c.sku_id JOIN products p ON p.id = k.product_id"
     " WHERE c.account_id = ? ORDER BY c.added_at, c.sku_id",
     REPLICA, 0, "read"},
    {"SELECT COALESCE(SUM(quantity), 0) FROM cart_items WHERE account_id = ?", REPLICA, 0, "read"},
    {"SELECT id FROM accounts WHERE id = ? FOR UPDATE", PRIMARY, LOCKING, "locking_read"},
    {"SELECT k.product_id, COALESCE(p.max_per_account, 0), p.name,"
     "       COALESCE((SELECT SUM(s.available) FROM stock s WHERE s.sku_id = k.id), 0),"
     "       (SELECT quantity FROM cart_items WHERE account_id = ? AND sku_id = k.id)"
     "  FROM skus k JOIN products p ON p.id = k.product_id WHERE k.id = ? AND p.active = 1",
     REPLICA, 0, "read"},
    {"INSERT INTO cart_items (account_id, sku_id, quantity) VALUES (?, ?, ?)"
     " ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)",
     PRIMARY, 0, "write"},
    {"DELETE FROM cart_items WHERE account_id = ? AND sku_id = ?", PRIMARY, 0, "write"},
    /* shop/throttle.c */
    {"SELECT GREATEST(0, CEIL(TIMESTAMPDIFF(MICROSECOND, NOW(6), locked_until) / 1000000))"
     "  FROM login_throttle WHERE throttle_key = ? AND locked_until > NOW(6)",
     REPLICA, 0, "read"},
    {"SELECT COALESCE(SUM(IF(throttle_key = ?, failures, 0)), 0),"
     "       COALESCE(SUM(IF(throttle_key = ?, failures, 0)), 0)"
     "  FROM login_throttle WHERE throttle_key IN (?, ?) AND window_start >= NOW(6) - INTERVAL ? "
     "SECOND",
     REPLICA, 0, "read"},
    {"INSERT INTO login_throttle (throttle_key, failures, window_start, locked_until)"
     " VALUES (?, 1, NOW(6), IF(1 > ?, NOW(6) + INTERVAL 1 SECOND, NULL))"
     " ON DUPLICATE KEY UPDATE"
     "  failures = IF(window_start < NOW(6) - INTERVAL ? SECOND, 1, failures + 1),"
     "  window_start = IF(failures = 1, NOW(6), window_start),"
     "  locked_until = IF(failures > ?, NOW(6) + INTERVAL LEAST(POW(2, failures - ? - 1), ?)"
     " SECOND, NULL)",
     PRIMARY, 0, "write"},
    {"DELETE FROM login_throttle WHERE throttle_key = ?", PRIMARY, 0, "write"},
    /* shop/order.c */
    {"SELECT o.id, o.status, o.total_krw, o.currency, " ISO("o.created_at") ", " ISO(
         "o.hold_expires_at") ", (SELECT COALESCE(SUM(quantity), 0) FROM order_lines"
                              " WHERE order_id = o.id) FROM orders o WHERE o.account_id = ? "
                              "ORDER BY o.id DESC LIMIT ?",
     REPLICA, 0, "read"},
    {"SELECT o.id, o.status, o.total_krw, o.currency, " ISO("o.created_at") ", " ISO(
         "o.hold_expires_at") ", COALESCE(" ISO("o.paid_at") ", ''), o.hold_expires_at < NOW(6)"
                                                             " FROM orders o WHERE o.id = ? AND "
                                                             "o.account_id = ?",
     REPLICA, 0, "read"},
    {"SELECT status, hold_expires_at < NOW(6) FROM orders WHERE id = ? FOR UPDATE", PRIMARY,
     LOCKING, "locking_read"},
    {"UPDATE orders SET status = 'expired', closed_at = NOW(6) WHERE id = ?", PRIMARY, 0, "write"},
    /* shop/checkout.c */
    {"SELECT a.id, DATE_FORMAT(UTC_TIMESTAMP(6) + INTERVAL ? SECOND, '%Y-%m-%d %H:%i:%s.%f'),"
     "       DATE_FORMAT(UTC_TIMESTAMP(6) + INTERVAL ? SECOND, '%Y-%m-%dT%H:%i:%sZ'),"
     "       o.id, o.fingerprint, o.status, o.total_krw,"
     "       DATE_FORMAT(o.hold_expires_at, '%Y-%m-%dT%H:%i:%sZ')"
     "  FROM accounts a"
     "  LEFT JOIN orders o ON o.account_id = a.id AND o.idempotency_key = ?"
     " WHERE a.id = ? FOR UPDATE",
     PRIMARY, LOCKING, "locking_read"},
    {"SELECT c.sku_id, c.quantity, k.size_mm, p.id, p.price_krw, COALESCE(p.max_per_account, 0),"
     "       p.name, (SELECT COUNT(*) FROM stock s WHERE s.sku_id = c.sku_id)"
     "  FROM cart_items c JOIN skus k ON k.id = c.sku_id JOIN products p ON p.id = k.product_id"
     " WHERE c.account_id = ? AND p.active = 1 ORDER BY c.sku_id",
     REPLICA, 0, "read"},
    {"INSERT INTO orders (account_id, status, total_krw, currency, idempotency_key, fingerprint,"
     " hold_expires_at) VALUES (?, 'pending_payment', ?, 'KRW', ?, ?, ?)",
     PRIMARY, 0, "write"},
    /* shop/catalog.c, shop/inventory.c, shop/session.c, shop/report.c, shop/payment.c */
    {"SELECT id FROM products WHERE slug = ? AND active = 1", REPLICA, 0, "read"},
    {"SELECT slug, price_krw FROM products WHERE id = ? FOR UPDATE", PRIMARY, LOCKING,
     "locking_read"},
    {"SELECT bucket FROM stock WHERE sku_id = ? AND available >= ?"
     " ORDER BY bucket LIMIT 1 FOR UPDATE SKIP LOCKED",
     PRIMARY, LOCKING, "locking_read"},
    {"SELECT bucket FROM stock WHERE sku_id = ? AND available >= ?", REPLICA, 0, "read"},
    {"UPDATE stock SET available = available - ?, held = held + ?"
     " WHERE sku_id = ? AND bucket = ? AND available >= ?",
     PRIMARY, 0, "write"},
    {"SELECT s.account_id, a.email, a.name, a.role,"
     "       TIMESTAMPDIFF(SECOND, s.last_seen_at, NOW(6))"
     "  FROM sessions s JOIN accounts a ON a.id = s.account_id"
     " WHERE s.id_hash = ? AND s.expires_at > NOW(6)"
     "   AND s.last_seen_at > NOW(6) - INTERVAL ? SECOND",
     REPLICA, 0, "read"},
    {"INSERT INTO sessions (id_hash, account_id, expires_at, ip, user_agent)"
     " VALUES (?, ?, NOW(6) + INTERVAL ? SECOND, ?, ?)",
     PRIMARY, 0, "write"},
    {"SELECT COUNT(*) FROM payment_anomalies WHERE resolved_at IS NULL", REPLICA, 0, "read"},
    {"SELECT account_id, status, total_krw, COALESCE(payment_key, ''), hold_expires_at < NOW(6)"
     "  FROM orders WHERE id = ? FOR UPDATE",
     PRIMARY, LOCKING, "locking_read"},
    {"UPDATE orders SET status = 'payment_unknown', payment_key = ? WHERE id = ?", PRIMARY, 0,
     "write"},
    /* batch/batch.c, batch/cli.c, batch/reconcile.c */
    {"INSERT INTO batch_lease (job_name, holder, expires_at)"
     " VALUES (?, ?, NOW(6) + INTERVAL ? SECOND)"
     " ON DUPLICATE KEY UPDATE"
     "  holder = IF(expires_at < NOW(6), VALUES(holder), holder),"
     "  expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)",
     PRIMARY, 0, "write"},
    {"UPDATE batch_job_execution SET status = 'FAILED', ended_at = NOW(6),"
     "       exit_code = 'DEAD_PROCESS',"
     "       exit_message = CONCAT('no heartbeat since ', heartbeat_at, ' from ', host, ' pid ', "
     "pid)"
     " WHERE job_name = ? AND status = 'STARTED' AND heartbeat_at < NOW(6) - INTERVAL ? SECOND",
     PRIMARY, 0, "write"},
    {"SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM batch_job_execution WHERE" NOOP_RUN
     " ORDER BY id LIMIT 1000) t",
     REPLICA, 0, "read"},
    {"DELETE FROM batch_step_execution WHERE job_execution_id IN"
     " (SELECT id FROM batch_job_execution WHERE id <= ? AND" NOOP_RUN ")",
     PRIMARY, 0, "write"},
    {"SELECT COALESCE(payment_key, '') FROM orders WHERE id = ?", REPLICA, 0, "read"},
    /* psp/ledger.c */
    {"SELECT " PAYMENT_COLS " FROM psp_payments WHERE payment_key = ?", REPLICA, 0, "read"},
    {"SELECT " PAYMENT_COLS " FROM psp_payments WHERE payment_key = ? FOR UPDATE", PRIMARY, LOCKING,
     "locking_read"},
    {"INSERT INTO psp_webhook_events (event_id, event_type, payment_key, order_id, body, fault,"
     " next_attempt_at, gave_up_at) VALUES (?, 'PAYMENT_STATUS_CHANGED', ?, ?, ?, ?,"
     " NOW(6) + INTERVAL ? MICROSECOND, IF(? = 'drop', NOW(6), NULL))",
     PRIMARY, 0, "write"},
    /* db/db.c: connection set-up and transactions */
    {"SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,"
     "NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
     ALL, 0, "session_command"},
    {"SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,"
     "NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'"
     ", innodb_lock_wait_timeout = 3",
     ALL, 0, "session_command"},
    {"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", ALL, 0, "session_command"},
    {"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", ALL, 0, "session_command"},
    {"START TRANSACTION", PRIMARY, BEGIN, "transaction"},
    {"START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY", REPLICA, BEGIN_RO, "transaction"},
    {"COMMIT", PRIMARY, END, "transaction"},
    {"ROLLBACK", PRIMARY, END, "transaction"},
};

static const char *route_name(enum qc_route r)
{
    switch (r) {
    case QC_REPLICA:
        return "REPLICA";
    case QC_PRIMARY:
        return "PRIMARY";
    case QC_ALL:
        return "ALL";
    case QC_PREVIOUS:
        return "PREVIOUS";
    }
    return "?";
}

static bool same(const struct qc_info *a, const struct qc_info *b)
{
    return a->route == b->route && a->flags == b->flags && a->reason == b->reason;
}

/* check_rows: every row classifies as the table says; prints each row that does not. */
static int check_rows(const struct row *t, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        struct qc_info o;
        qc_classify(t[i].sql, strlen(t[i].sql), &o);
        if (o.route != t[i].route || o.flags != t[i].flags || strcmp(o.reason, t[i].reason)) {
            printf("row %zu: \"%s\"\n  want %s 0x%x %s\n  got  %s 0x%x %s\n", i, t[i].sql,
                   route_name(t[i].route), t[i].flags, t[i].reason, route_name(o.route), o.flags,
                   o.reason);
            bad++;
        }
    }
    return bad;
}

static void test_table(void **state)
{
    (void)state;
    assert_true(sizeof rows / sizeof rows[0] >= 150);
    assert_int_equal(check_rows(rows, sizeof rows / sizeof rows[0]), 0);
}

static void test_app_statements(void **state)
{
    (void)state;
    assert_true(sizeof app_rows / sizeof app_rows[0] >= 30);
    assert_int_equal(check_rows(app_rows, sizeof app_rows / sizeof app_rows[0]), 0);
}

/*
 * Blanks around a statement and ASCII case change nothing, and every prefix of every row is
 * classified without reading past its end (ASan would stop the test).
 */
static void test_invariants(void **state)
{
    (void)state;
    size_t n = sizeof rows / sizeof rows[0];
    for (size_t i = 0; i < n + sizeof app_rows / sizeof app_rows[0]; i++) {
        const char *sql = i < n ? rows[i].sql : app_rows[i - n].sql;
        size_t len = strlen(sql);
        struct qc_info o, o2;
        qc_classify(sql, len, &o);

        char *buf = malloc(len + 4);
        assert_non_null(buf);
        buf[0] = ' ';
        memcpy(buf + 1, sql, len);
        buf[len + 1] = '\n';
        buf[len + 2] = '\t';
        qc_classify(buf, len + 3, &o2);
        if (!same(&o, &o2))
            printf("blanks change \"%s\"\n", sql);
        assert_true(same(&o, &o2));
        if (o.db_len)
            assert_true(o2.db_off == o.db_off + 1 && o2.db_len == o.db_len);
        if (o.cs_len)
            assert_true(o2.cs_off == o.cs_off + 1 && o2.cs_len == o.cs_len);

        for (size_t k = 0; k < len; k++)
            buf[k] = (char)toupper((unsigned char)sql[k]);
        qc_classify(buf, len, &o2);
        if (!same(&o, &o2))
            printf("upper case changes \"%s\"\n", sql);
        assert_true(same(&o, &o2));

        for (size_t k = 0; k <= len; k++) {
            char *exact = malloc(k ? k : 1);
            assert_non_null(exact);
            memcpy(exact, sql, k);
            qc_classify(exact, k, &o2);
            assert_non_null(o2.reason);
            free(exact);
        }
        free(buf);
    }
}

static void test_nul_bytes(void **state)
{
    (void)state;
    struct qc_info o;
    static const char in_string[] = "SELECT 'a\0b' FROM t";
    qc_classify(in_string, sizeof in_string - 1, &o);
    assert_int_equal(o.route, QC_REPLICA);
    static const char in_comment[] = "SELECT 1 /* \0 */";
    qc_classify(in_comment, sizeof in_comment - 1, &o);
    assert_int_equal(o.route, QC_REPLICA);
    /* MariaDB ends a -- comment at a NUL byte, and a NUL between tokens is a syntax error */
    static const char ends_comment[] = "SELECT 1 -- c\0; DELETE FROM t";
    qc_classify(ends_comment, sizeof ends_comment - 1, &o);
    assert_int_equal(o.route, QC_PRIMARY);
    assert_string_equal(o.reason, "unknown");
    static const char trailing[] = "SELECT 1\0";
    qc_classify(trailing, sizeof trailing - 1, &o);
    assert_int_equal(o.route, QC_PRIMARY);
    static const char in_name[] = "SELECT `a\0b` FROM t";
    qc_classify(in_name, sizeof in_name - 1, &o);
    assert_int_equal(o.route, QC_PRIMARY);
    /* the length counts, not the NUL: text after it is still read */
    static const char after[] = "SELECT '\0' FROM t FOR UPDATE";
    qc_classify(after, sizeof after - 1, &o);
    assert_int_equal(o.flags, QC_LOCKING_READ);
    qc_classify(NULL, 0, &o);
    assert_int_equal(o.route, QC_PRIMARY);
}

static void test_invalid_utf8(void **state)
{
    (void)state;
    struct qc_info o;
    qc_classify(LIT("SELECT '\xff\xfe\xc3' FROM t"), &o);
    assert_int_equal(o.route, QC_REPLICA);
    qc_classify(LIT("SELECT \xff FROM \xc3"), &o);
    assert_int_equal(o.route, QC_REPLICA);
    qc_classify(LIT("\xef\xbb\xbfSELECT 1"), &o); /* a byte-order mark is not a blank */
    assert_int_equal(o.route, QC_PRIMARY);
}

/* Long texts: linear work, no recursion; deep nesting beyond the stack is not understood. */
static void test_long_input(void **state)
{
    (void)state;
    size_t cap = 1 << 20, len = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    struct qc_info o;

    len = (size_t)snprintf(s, cap, "SELECT ");
    for (int i = 0; len + 64 < cap - 64; i++)
        len += (size_t)snprintf(s + len, cap - len, "COALESCE(c%d, 0), ", i);
    len += (size_t)snprintf(s + len, cap - len, "1 FROM t");
    qc_classify(s, len, &o);
    assert_int_equal(o.route, QC_REPLICA);
    memcpy(s + len, " FOR UPDATE", 11);
    qc_classify(s, len + 11, &o);
    assert_int_equal(o.route, QC_PRIMARY);
    assert_int_equal(o.flags, QC_LOCKING_READ);

    /* one long string and one long comment */
    len = (size_t)snprintf(s, cap, "SELECT '");
    memset(s + len, 'x', cap - len - 64);
    len = cap - 64;
    len += (size_t)snprintf(s + len, 64, "' /* c */ FROM t");
    qc_classify(s, len, &o);
    assert_int_equal(o.route, QC_REPLICA);
    memcpy(s, "/* ", 3);
    qc_classify(s, len, &o);
    assert_int_equal(o.route, QC_PRIMARY);

    /* a million statements */
    memset(s, ';', cap);
    memcpy(s, "SELECT 1", 8);
    qc_classify(s, cap, &o);
    assert_int_equal(o.route, QC_PRIMARY);
    assert_int_equal(o.flags, QC_MULTI);

    /* nesting: within the stack, and beyond it */
    for (int depth = QC_MAX_DEPTH - 2; depth <= QC_MAX_DEPTH + 1; depth++) {
        len = (size_t)snprintf(s, cap, "SELECT ");
        for (int i = 0; i < depth; i++)
            s[len++] = '(';
        s[len++] = '1';
        for (int i = 0; i < depth; i++)
            s[len++] = ')';
        qc_classify(s, len, &o);
        assert_int_equal(o.route, depth <= QC_MAX_DEPTH ? QC_REPLICA : QC_PRIMARY);
    }
    memset(s, '(', cap);
    qc_classify(s, cap, &o);
    assert_int_equal(o.route, QC_PRIMARY);
    assert_string_equal(o.reason, "unknown");
    free(s);
}

static void test_offsets(void **state)
{
    (void)state;
    struct qc_info o;
    const char *sql = "  USE shop_2 ";
    qc_classify(sql, strlen(sql), &o);
    assert_int_equal(o.flags, QC_USE_DB);
    assert_int_equal(o.db_off, 6);
    assert_int_equal(o.db_len, 6);
    sql = "use `my``db`;";
    qc_classify(sql, strlen(sql), &o);
    assert_int_equal(o.route, QC_ALL);
    assert_memory_equal(sql + o.db_off, "my``db", 6);
    assert_int_equal(o.db_len, 6);
    sql = "USE a; USE b";
    qc_classify(sql, strlen(sql), &o);
    assert_int_equal(o.flags, QC_USE_DB | QC_MULTI);
    assert_int_equal(o.db_off, 11);
    sql = "SELECT 1";
    qc_classify(sql, strlen(sql), &o);
    assert_int_equal(o.db_len, 0);
    assert_int_equal(o.cs_len, 0);

    /* the new client character set */
    sql = "SET NAMES 'latin1' COLLATE latin1_bin";
    qc_classify(sql, strlen(sql), &o);
    assert_int_equal(o.flags, QC_SET_CHARSET);
    assert_memory_equal(sql + o.cs_off, "latin1", 6);
    assert_int_equal(o.cs_len, 6);
    sql = "SET CHARACTER SET gbk";
    qc_classify(sql, strlen(sql), &o);
    assert_int_equal(o.cs_off, 18);
    assert_int_equal(o.cs_len, 3);
    sql = "SET @@session.character_set_client = `utf8mb4`";
    qc_classify(sql, strlen(sql), &o);
    assert_memory_equal(sql + o.cs_off, "utf8mb4", 7);
    assert_int_equal(o.cs_len, 7);
    sql = "SET NAMES DEFAULT";
    qc_classify(sql, strlen(sql), &o);
    assert_int_equal(o.flags, QC_SET_CHARSET);
    assert_int_equal(o.cs_len, 0);
    sql = "SET character_set_client = CONCAT('gb', 'k')";
    qc_classify(sql, strlen(sql), &o);
    assert_int_equal(o.flags, QC_SET_CHARSET);
    assert_int_equal(o.cs_len, 0);
}

static void test_reasons(void **state)
{
    (void)state;
    assert_true(qc_selfcheck());
    size_t n = 0;
    while (qc_reasons[n])
        n++;
    assert_int_equal(n, 13);
    /* every row's reason is a listed one, and the table uses every listed one */
    for (size_t k = 0; k < n; k++) {
        bool used = false;
        for (size_t i = 0; i < sizeof rows / sizeof rows[0] && !used; i++)
            used = strcmp(rows[i].reason, qc_reasons[k]) == 0;
        assert_true(used);
    }
    struct qc_info o;
    qc_classify(LIT("SELECT 1"), &o);
    assert_ptr_equal(o.reason, qc_reasons[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),        cmocka_unit_test(test_app_statements),
        cmocka_unit_test(test_invariants),   cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_long_input),
        cmocka_unit_test(test_offsets),      cmocka_unit_test(test_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
