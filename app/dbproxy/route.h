/*
 * route — where one statement goes, given what the classifier says about it and the state of
 * its session (MaxScale readwritesplit's rules), checked in this order:
 *
 *   1. a session command: every backend the session uses (inside a transaction too);
 *   2. inside a read-only transaction: the replica it began on (writes fail there, as they
 *      would on any server in a READ ONLY transaction);
 *   3. inside a transaction (the server said so, or BEGIN was just sent), with autocommit off
 *      or while LOCK TABLES holds: the primary;
 *   4. a hint in the statement's first comment: route to master / last / slave (a hint wins
 *      outside transactions, as with MaxScale's hint filter);
 *   5. SHOW WARNINGS and its kin: wherever the previous statement ran;
 *   6. a read a replica may run (START TRANSACTION READ ONLY too): a replica, unless the
 *      session created temporary tables (they exist on the primary only), a replica refused
 *      one of its session commands, or its character set is one the classifier cannot read;
 *   7. everything else: the primary.
 * Which replica, whether it must first wait for the session's GTID, and what happens when no
 * replica is usable are decided later (select.h, session.c); a read that finds no replica goes
 * to the primary, counted with reason "no_replica".
 *
 * The reason is a short constant, used as a metrics label (a fixed, small set: route_reasons
 * and the classifier's qc_reasons).
 *
 * Pure functions: no state, thread-safe.
 */
#ifndef STAMPEDE_DBPROXY_ROUTE_H
#define STAMPEDE_DBPROXY_ROUTE_H

#include "dbproxy/classify.h"

#include <stdbool.h>

enum route_target { RT_PRIMARY, RT_REPLICA, RT_ALL, RT_PREVIOUS };

struct route_state {
    bool in_trx;          /* a transaction is open on the primary */
    bool ro_trx;          /* a read-only transaction is open on a replica (prev is it) */
    bool autocommit;      /* false after SET autocommit=0 */
    bool locked_tables;   /* LOCK TABLES / FLUSH TABLES WITH READ LOCK in force */
    bool temp_tables;     /* the session created temporary tables */
    bool replica_refused; /* a replica refused one of the session's session commands */
    bool unsafe_charset;  /* a client character set the classifier cannot read (classify.h) */
};

struct route_decision {
    enum route_target target;
    const char *reason;
};

struct route_decision route_decide(const struct qc_info *qc, const struct route_state *st);

/* route_reasons: the reasons route_decide and session.c add to the classifier's (qc_reasons),
 * NULL-terminated. */
extern const char *const route_reasons[];

#endif
