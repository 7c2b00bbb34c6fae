/*
 * monitor — the proxy's view of its backends, kept by one thread (MaxScale's mariadbmon).
 *
 * Every monitor_interval the thread connects (with the proxy's own account) to each server and
 * reads its server id, read_only, GTID positions, version and replication status (SHOW SLAVE
 * STATUS). From that it decides each server's role and whether it may take work:
 *   primary   read_only off and not replicating; writable while reachable.
 *   replica   replicating (or read_only with replication configured); readable while
 *             reachable, its SQL thread runs and it is at most max_replication_lag behind
 *             (Seconds_Behind_Master). While no primary is writable, a replica whose I/O
 *             thread lost the primary still serves reads (MaxScale's detect_stale_slave): it
 *             holds every transaction the primary managed to send.
 *   down      not reachable: no work at all.
 * A server that stops being readable is skipped by new reads at once and rejoins at the first
 * poll that finds it healthy again. The view is published as a numbered snapshot that workers
 * copy when its number changes (monitor_view). A worker that finds a backend dead asks for an
 * early poll (monitor_wake), so roles follow failures within milliseconds, not an interval.
 *
 * The thread also (re)loads the account table (users.h): at start, every users.refresh, and on
 * request after a failed login (at most every users.refresh_min).
 *
 * Thread safety: monitor_view, monitor_gen, monitor_wake and monitor_request_users from any
 * thread. monitor_start/monitor_stop from the main thread.
 */
#ifndef STAMPEDE_DBPROXY_MONITOR_H
#define STAMPEDE_DBPROXY_MONITOR_H

#include "dbproxy/dbproxy.h"
#include "dbproxy/gtid.h"

#include <stdbool.h>
#include <stdint.h>

enum srv_role { SRV_UNKNOWN = 0, SRV_DOWN, SRV_PRIMARY, SRV_REPLICA, SRV_STANDALONE };

struct srv_view {
    enum srv_role role;
    bool reachable;
    bool writable;    /* the primary, reachable */
    bool readable;    /* may serve reads now */
    bool io_running;  /* replica: I/O thread */
    bool sql_running; /* replica: SQL thread */
    int64_t lag_s;    /* replica: Seconds_Behind_Master; -1 unknown */
    uint64_t behind;  /* replica: transactions behind the primary's binlog (by GTID) */
    uint32_t server_id;
    struct gtid_pos pos; /* primary: gtid_binlog_pos; replica: gtid_slave_pos */
    char reason[80];     /* why it is not readable/writable, or "" */
    char version[64];
    int64_t last_ok_ms; /* wall clock of the last successful poll */
    uint64_t polls;
    uint64_t poll_errors;
};

struct cluster_view {
    uint64_t gen;
    size_t n;
    int primary; /* index of the writable primary, or -1 */
    struct srv_view s[DBPROXY_MAX_SERVERS];
};

/*
 * monitor_start: polls every server once (so the first view exists), then starts the thread.
 * Returns 0, or ERR_INTERNAL when the thread cannot start. Unreachable servers are not an
 * error: they are down in the view.
 */
int monitor_start(const struct dbproxy *p);
void monitor_stop(void);

/* monitor_gen: the number of the latest view (cheap: one atomic load). */
uint64_t monitor_gen(void);
/* monitor_view: copies the latest view into v. */
void monitor_view(struct cluster_view *v);
/* monitor_wake: poll now (a worker saw a backend fail or come back). */
void monitor_wake(void);
/* monitor_request_users: reload the account table soon (rate-limited). */
void monitor_request_users(void);

/* monitor_role_name: "primary", "replica", "down", "standalone", "unknown". */
const char *monitor_role_name(enum srv_role r);

#endif
