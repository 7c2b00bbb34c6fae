/* proxycfg — stampede-dbproxy configuration directives; see dbproxy.h. */
#include "dbproxy.h"

#include "core/err.h"
#include "core/str.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define F(m) offsetof(struct dbproxy_cfg, m)

const struct cfg_directive dbproxy_cfg_table[] = {
    {"listen.host", CFG_STR, F(listen_host), "127.0.0.1", 1, 100, "address clients connect to"},
    {"listen.port", CFG_INT, F(listen_port), "3309", 1, 65535, "MySQL protocol port"},
    {"status.host", CFG_STR, F(status_host), "127.0.0.1", 1, 100, "status port address"},
    {"status.port", CFG_INT, F(status_port), "3310", 0, 65535,
     "HTTP status port (/metrics, /status, /healthz); 0: none"},
    {"servers", CFG_STR, F(servers), NULL, 3, 2000,
     "backends: name=host:port[,name=host:port...]; roles are found by the monitor"},
    {"user", CFG_STR, F(user), NULL, 1, 80, "the proxy's own account (monitor, user loading)"},
    {"password", CFG_STR, F(password), NULL, 0, 255, "its password (from secrets.env)"},
    {"threads", CFG_INT, F(threads), "2", 1, 64, "worker threads (epoll loops)"},
    {"busy_poll_us", CFG_INT, F(busy_poll_us), "0", 0, 1000,
     "a worker looks for more work this long before it sleeps (0: sleeps at once)"},
    {"max_connections", CFG_INT, F(max_connections), "4096", 1, 1000000,
     "client sessions at once; more are refused with ER_CON_COUNT_ERROR"},
    {"monitor_interval", CFG_MS, F(monitor_interval_ms), "200ms", 20, 60000,
     "how often each backend's role, health, lag and GTID position are read"},
    {"max_replication_lag", CFG_MS, F(max_replication_lag_ms), "5s", 0, 86400000,
     "a replica further behind (Seconds_Behind_Master) gets no reads; 0: no bound"},
    {"causal_reads", CFG_STR, F(causal_reads), "local", 4, 6,
     "none, local (a session reads its own writes) or global (every write, every session)"},
    {"causal_reads_timeout", CFG_MS, F(causal_reads_timeout_ms), "1s", 10, 60000,
     "how long a replica may take to reach a session's GTID before the read uses the primary"},
    {"connect_timeout", CFG_MS, F(connect_timeout_ms), "1s", 50, 60000,
     "connecting and logging in to a backend"},
    {"max_sescmd_history", CFG_INT, F(max_sescmd_history), "50", 1, 10000,
     "session commands kept for replay (oldest pruned, repeats replaced)"},
    {"max_packet", CFG_BYTES, F(max_packet), "64m", 1024, 1073741824,
     "largest command a client may send (like max_allowed_packet)"},
    {"pool.max", CFG_INT, F(pool_max), "64", 0, 100000,
     "idle backend connections kept per server and worker; 0: no pooling"},
    {"pool.idle", CFG_MS, F(pool_idle_ms), "60s", 100, 86400000,
     "a pooled connection unused this long is closed"},
    {"users.refresh", CFG_MS, F(users_refresh_ms), "30s", 1000, 86400000,
     "how often the account table is reloaded"},
    {"users.refresh_min", CFG_MS, F(users_refresh_min_ms), "1s", 0, 600000,
     "a failed login reloads it, at most this often"},
    {"version", CFG_STR, F(version), "5.5.5-10.11.0-MariaDB-stampede-dbproxy", 1, 100,
     "server version announced until a backend's is known"},
    {"pid_file", CFG_STR, F(pid_file), "", 0, 255, "pid file; empty: none"},
    {"log.file", CFG_STR, F(log_file), "-", 1, 255, "log file; - for stderr"},
    {"log.level", CFG_STR, F(log_level), "info", 1, 5, "debug, info, warn or error"},
};
const size_t dbproxy_cfg_table_len = sizeof dbproxy_cfg_table / sizeof dbproxy_cfg_table[0];

static bool name_ok(struct str s)
{
    if (s.len == 0 || s.len >= sizeof((struct dbproxy_server *)0)->name)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static int parse_servers(struct dbproxy *p, struct buf *err)
{
    struct str all = str_from_cstr(p->cfg.servers);
    while (all.len) {
        const char *comma = memchr(all.p, ',', all.len);
        struct str item = {all.p, comma ? (size_t)(comma - all.p) : all.len};
        all = comma ? (struct str){comma + 1, all.len - item.len - 1} : STR_NULL;
        item = str_trim(item);
        const char *eq = memchr(item.p, '=', item.len);
        const char *colon = item.len ? memrchr(item.p, ':', item.len) : NULL;
        if (!eq || !colon || colon < eq) {
            buf_printf(err, "servers: '%.*s' is not name=host:port", STR_FMT(item));
            return ERR_CONFIG;
        }
        struct str name = str_trim((struct str){item.p, (size_t)(eq - item.p)});
        struct str host = {eq + 1, (size_t)(colon - eq - 1)};
        struct str port = {colon + 1, (size_t)(item.p + item.len - colon - 1)};
        int64_t portn;
        if (!name_ok(name) || host.len == 0 || host.len >= 64 || !str_to_i64(port, &portn) ||
            portn < 1 || portn > 65535) {
            buf_printf(err, "servers: '%.*s': name [a-z0-9_-]{1,31}, host, port 1-65535",
                       STR_FMT(item));
            return ERR_CONFIG;
        }
        if (p->nservers == DBPROXY_MAX_SERVERS) {
            buf_printf(err, "servers: at most %d", DBPROXY_MAX_SERVERS);
            return ERR_CONFIG;
        }
        for (size_t i = 0; i < p->nservers; i++)
            if (str_eq_cstr(name, p->servers[i].name)) {
                buf_printf(err, "servers: the name '%.*s' is used twice", STR_FMT(name));
                return ERR_CONFIG;
            }
        struct dbproxy_server *s = &p->servers[p->nservers++];
        memcpy(s->name, name.p, name.len);
        memcpy(s->host, host.p, host.len);
        s->port = (int)portn;
    }
    if (p->nservers == 0) {
        buf_printf(err, "servers: at least one");
        return ERR_CONFIG;
    }
    return 0;
}

int dbproxy_load(struct dbproxy *p, const char *path, struct buf *err)
{
    memset(p, 0, sizeof *p);
    /* the file only: STAMPEDE_CFG_* variables are the shop's (stampede-web's) settings */
    int rc = config_load(dbproxy_cfg_table, dbproxy_cfg_table_len, &p->cfg, path, NULL, err);
    if (rc)
        return rc;
    if (strcmp(p->cfg.causal_reads, "none") == 0) {
        p->causal = CAUSAL_NONE;
    } else if (strcmp(p->cfg.causal_reads, "local") == 0) {
        p->causal = CAUSAL_LOCAL;
    } else if (strcmp(p->cfg.causal_reads, "global") == 0) {
        p->causal = CAUSAL_GLOBAL;
    } else {
        buf_printf(err, "causal_reads: '%s' is not none, local or global", p->cfg.causal_reads);
        return ERR_CONFIG;
    }
    if (p->cfg.listen_port == p->cfg.status_port) {
        buf_printf(err, "listen.port and status.port are both %lld", (long long)p->cfg.listen_port);
        return ERR_CONFIG;
    }
    return parse_servers(p, err);
}

void dbproxy_free(struct dbproxy *p)
{
    config_free(dbproxy_cfg_table, dbproxy_cfg_table_len, &p->cfg);
}
