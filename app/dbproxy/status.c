/* status — /metrics, /status, /healthz on the status port (core/statusd.h); see status.h. */
#include "status.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/statusd.h"
#include "dbproxy/monitor.h"
#include "dbproxy/select.h"
#include "dbproxy/users.h"
#include "dbproxy/worker.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static struct statusd *daemon_;
static const struct dbproxy *P;

static void gauges(struct buf *b)
{
    struct cluster_view v;
    monitor_view(&v);
    buf_printf(b, "# HELP stampede_dbproxy_server_up Whether the monitor reached the server at its"
                  " last poll\n# TYPE stampede_dbproxy_server_up gauge\n");
    for (size_t i = 0; i < v.n; i++)
        buf_printf(b, "stampede_dbproxy_server_up{server=\"%s\"} %d\n", P->servers[i].name,
                   v.s[i].reachable ? 1 : 0);
    buf_printf(b, "# HELP stampede_dbproxy_server_role The server's role (1 for the current one)\n"
                  "# TYPE stampede_dbproxy_server_role gauge\n");
    for (size_t i = 0; i < v.n; i++)
        buf_printf(b, "stampede_dbproxy_server_role{server=\"%s\",role=\"%s\"} 1\n",
                   P->servers[i].name, monitor_role_name(v.s[i].role));
    buf_printf(b, "# HELP stampede_dbproxy_server_in_use Whether the server takes work: writes"
                  " (primary) or reads (replica)\n# TYPE stampede_dbproxy_server_in_use gauge\n");
    for (size_t i = 0; i < v.n; i++)
        buf_printf(b, "stampede_dbproxy_server_in_use{server=\"%s\",kind=\"%s\"} %d\n",
                   P->servers[i].name, v.s[i].role == SRV_PRIMARY ? "write" : "read",
                   (v.s[i].writable || v.s[i].readable) ? 1 : 0);
    buf_printf(b, "# HELP stampede_dbproxy_replication_lag_seconds Seconds_Behind_Master of each"
                  " replica (-1 unknown)\n# TYPE stampede_dbproxy_replication_lag_seconds gauge\n");
    for (size_t i = 0; i < v.n; i++)
        if (v.s[i].role == SRV_REPLICA)
            buf_printf(b, "stampede_dbproxy_replication_lag_seconds{server=\"%s\"} %lld\n",
                       P->servers[i].name, (long long)v.s[i].lag_s);
    buf_printf(b, "# HELP stampede_dbproxy_replication_behind_transactions Transactions a replica"
                  " lacks of the primary's binlog (by GTID)\n"
                  "# TYPE stampede_dbproxy_replication_behind_transactions gauge\n");
    for (size_t i = 0; i < v.n; i++)
        if (v.s[i].role == SRV_REPLICA)
            buf_printf(b, "stampede_dbproxy_replication_behind_transactions{server=\"%s\"} %llu\n",
                       P->servers[i].name, (unsigned long long)v.s[i].behind);
    buf_printf(b, "# HELP stampede_dbproxy_server_operations Statements in flight on each server\n"
                  "# TYPE stampede_dbproxy_server_operations gauge\n");
    for (size_t i = 0; i < v.n; i++)
        buf_printf(b, "stampede_dbproxy_server_operations{server=\"%s\"} %ld\n", P->servers[i].name,
                   select_ops((int)i));
    buf_printf(b, "# HELP stampede_dbproxy_server_connections Open connections to each server\n"
                  "# TYPE stampede_dbproxy_server_connections gauge\n");
    for (size_t i = 0; i < v.n; i++)
        buf_printf(b, "stampede_dbproxy_server_connections{server=\"%s\"} %ld\n",
                   P->servers[i].name, workers_backends((int)i));
    buf_printf(b,
               "# HELP stampede_dbproxy_sessions Client sessions open\n"
               "# TYPE stampede_dbproxy_sessions gauge\nstampede_dbproxy_sessions %ld\n",
               workers_sessions());
    buf_printf(b,
               "# HELP stampede_dbproxy_accounts Accounts loaded for authentication\n"
               "# TYPE stampede_dbproxy_accounts gauge\nstampede_dbproxy_accounts %zu\n",
               users_count());
}

static char *status_json(void)
{
    struct cluster_view v;
    monitor_view(&v);
    cJSON *root = cJSON_CreateObject();
    cJSON *servers = cJSON_AddArrayToObject(root, "servers");
    for (size_t i = 0; i < v.n; i++) {
        const struct srv_view *s = &v.s[i];
        cJSON *o = cJSON_CreateObject();
        char addr[96], pos[GTID_TEXT_MAX];
        snprintf(addr, sizeof addr, "%s:%d", P->servers[i].host, P->servers[i].port);
        gtid_format(&s->pos, pos, sizeof pos);
        cJSON_AddStringToObject(o, "name", P->servers[i].name);
        cJSON_AddStringToObject(o, "address", addr);
        cJSON_AddStringToObject(o, "role", monitor_role_name(s->role));
        cJSON_AddStringToObject(o, "state",
                                s->writable    ? "writable"
                                : s->readable  ? "readable"
                                : s->reachable ? "not in use"
                                               : "down");
        cJSON_AddBoolToObject(o, "reachable", s->reachable);
        cJSON_AddNumberToObject(o, "server_id", s->server_id);
        if (s->role == SRV_REPLICA) {
            cJSON_AddNumberToObject(o, "lag_seconds", (double)s->lag_s);
            cJSON_AddNumberToObject(o, "behind_transactions", (double)s->behind);
            cJSON_AddBoolToObject(o, "io_running", s->io_running);
            cJSON_AddBoolToObject(o, "sql_running", s->sql_running);
        }
        cJSON_AddStringToObject(o, "gtid", pos);
        cJSON_AddStringToObject(o, "reason", s->reason);
        cJSON_AddStringToObject(o, "version", s->version);
        cJSON_AddNumberToObject(o, "connections", (double)workers_backends((int)i));
        cJSON_AddNumberToObject(o, "operations", (double)select_ops((int)i));
        cJSON_AddItemToArray(servers, o);
    }
    cJSON_AddNumberToObject(root, "sessions", (double)workers_sessions());
    cJSON_AddNumberToObject(root, "accounts", (double)users_count());
    cJSON_AddStringToObject(root, "causal_reads", P->cfg.causal_reads);
    cJSON_AddNumberToObject(root, "max_replication_lag_seconds",
                            (double)((P->cfg.max_replication_lag_ms + 999) / 1000));
    cJSON_AddNumberToObject(root, "monitor_generation", (double)v.gen);
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out;
}

static unsigned answer(void *arg, const char *url, struct buf *b, const char **type)
{
    (void)arg;
    if (strcmp(url, "/metrics") == 0) {
        metrics_render(b);
        gauges(b);
        *type = "text/plain; version=0.0.4";
        return 200;
    }
    if (strcmp(url, "/status") == 0) {
        char *j = status_json();
        buf_append_cstr(b, j);
        cJSON_free(j);
        *type = "application/json";
        return 200;
    }
    if (strcmp(url, "/healthz") == 0) {
        buf_append_cstr(b, "ok\n");
        return 200;
    }
    if (strcmp(url, "/readyz") == 0) {
        struct cluster_view v;
        monitor_view(&v);
        bool any = v.primary >= 0;
        for (size_t i = 0; i < v.n; i++)
            any = any || v.s[i].readable;
        buf_append_cstr(b, any ? "ready\n" : "no server can take work\n");
        return any ? 200 : 503;
    }
    buf_append_cstr(b, "not found\n");
    return 404;
}

int status_start(const struct dbproxy *p)
{
    P = p;
    if (p->cfg.status_port == 0)
        return 0;
    int rc = statusd_start(p->cfg.status_host, p->cfg.status_port, answer, NULL, &daemon_);
    if (rc)
        log_error("dbproxy: no status port (%s)", err_str(rc));
    return rc;
}

void status_stop(void)
{
    statusd_stop(daemon_);
    daemon_ = NULL;
}
