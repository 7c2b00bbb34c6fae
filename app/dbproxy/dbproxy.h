/*
 * dbproxy — stampede-dbproxy, a read/write-split proxy for MariaDB that behaves like MariaDB
 * MaxScale's readwritesplit router (with mariadbmon and the hint filter), so that the shop
 * talks to one endpoint and a production site can swap in MaxScale without touching the app.
 *
 * Parts (one file per concern, as MaxScale's readwritesplit):
 *   proto.c     the MySQL/MariaDB client/server protocol: framing, handshake, OK/ERR, responses
 *   classify.c  which statements a replica may run (MaxScale's query classifier rules)
 *   route.c     the routing decision: primary, a replica, every backend, or the previous one
 *   select.c    backend selection among usable replicas (least current operations)
 *   sescmd.c    the session-command history replayed on every backend a session opens
 *   stmt.c      a session's prepared statements: client ids, each backend's id, rewriting
 *   pool.c      idle backend connections kept per worker and reused with COM_CHANGE_USER
 *   monitor.c   the monitor thread: roles, health, lag and GTID positions; users for auth
 *   users.c     the account table loaded from the backends (mysql_native_password hashes)
 *   gtid.c      GTID positions for causal reads
 *   backend.c   one connection to a backend: connect, log in, send, track responses
 *   session.c   one client session: login, commands, routing, forwarding, failure handling
 *   worker.c    the epoll loops (a small fixed number of threads) and the listener
 *   status.c    the status port: /metrics (Prometheus), /status (JSON), /healthz
 *   proxycfg.c  configuration directives
 *
 * Threads: `threads` workers, each with its own epoll instance, SO_REUSEPORT listener, sessions,
 * backend connections and pool (nothing is shared between workers but the frozen
 * configuration, the monitor's published view, the user table and the metrics); one monitor
 * thread; libmicrohttpd's thread for the status port.
 *
 * Authentication (as MaxScale): the monitor loads users with their mysql_native_password
 * hashes (SHA1(SHA1(password))) from the backends; a client's scrambled token is checked
 * against the hash, which yields SHA1(password), and the proxy logs in to each backend as that
 * user with that backend's own nonce. No password crosses the wire in the clear, and every
 * backend applies the user's own grants. The proxy's own account (monitoring, user loading)
 * comes from configuration (secrets.env), never from source.
 */
#ifndef STAMPEDE_DBPROXY_DBPROXY_H
#define STAMPEDE_DBPROXY_DBPROXY_H

#include "core/buf.h"
#include "core/config.h"
#include "dbproxy/gtid.h"

#include <stdbool.h>
#include <stdint.h>

#define DBPROXY_MAX_SERVERS 8

enum dbproxy_causal { CAUSAL_NONE = 0, CAUSAL_LOCAL, CAUSAL_GLOBAL };

struct dbproxy_cfg {
    char *listen_host;
    int64_t listen_port;
    char *status_host;
    int64_t status_port;
    char *servers; /* "name=host:port,name=host:port" */
    char *user;    /* the proxy's own account: monitoring and user loading */
    char *password;
    int64_t threads;
    int64_t busy_poll_us;
    int64_t max_connections;
    int64_t monitor_interval_ms;
    int64_t max_replication_lag_ms;
    char *causal_reads; /* none, local, global */
    int64_t causal_reads_timeout_ms;
    int64_t connect_timeout_ms;
    int64_t max_sescmd_history;
    int64_t max_packet;
    int64_t pool_max;
    int64_t pool_idle_ms;
    int64_t users_refresh_ms;
    int64_t users_refresh_min_ms;
    char *version; /* announced until a backend's version is known */
    char *pid_file;
    char *log_file;
    char *log_level;
};

extern const struct cfg_directive dbproxy_cfg_table[];
extern const size_t dbproxy_cfg_table_len;

struct dbproxy_server {
    char name[32];
    char host[64];
    int port;
};

/* The configuration, parsed: frozen before threads start. */
struct dbproxy {
    struct dbproxy_cfg cfg;
    struct dbproxy_server servers[DBPROXY_MAX_SERVERS];
    size_t nservers;
    enum dbproxy_causal causal;
};

/* dbproxy_load: reads and checks the configuration (servers parsed). 0 or ERR_CONFIG + err. */
int dbproxy_load(struct dbproxy *p, const char *path, struct buf *err);
void dbproxy_free(struct dbproxy *p);

#endif
