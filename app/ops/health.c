/*
 * health — /healthz (liveness) and /readyz (readiness) for HAProxy and the autoscaler.
 *
 * /healthz answers 200 whenever the process can serve: no dependency is checked, so a
 * database outage never makes an orchestrator restart healthy web nodes.
 * /readyz answers 200 when this worker can do useful work: the database proxy serves reads
 * and the node is not draining. The primary's state is reported ("primary": "up"/"down") but a
 * dead primary does not make the node unready: pages still come from the cache and the
 * replica, and only writes fail (fast, with a clear answer), so HAProxy must keep the node.
 * memcached being down is reported as "degraded" but stays 200: every read falls back to the
 * database. Results are reused for readyz.interval per thread so frequent health checks stay
 * cheap; draining is never cached.
 */
#include "ops/ops.h"

#include "core/clock.h"

#include <cjson/cJSON.h>

void ops_healthz(struct http_ex *x)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", "alive");
    cJSON_AddStringToObject(o, "node", x->app->front->cfg.node_name);
    http_resp_json(x, 200, o);
}

void ops_readyz(struct http_ex *x)
{
    struct http_app *app = x->app;
    int64_t now = clock_mono_ns();
    if (app->ready_at_ns == 0 ||
        now - app->ready_at_ns >= app->front->cfg.readyz_interval_ms * 1000000) {
        bool primary = false;
        app->ready_db = db_probe(app->db, &primary) == 0;
        app->ready_primary = app->ready_db && primary;
        app->ready_cache = cache_check(app->cache, &app->ready_cache_up, &app->ready_cache_total);
        app->ready_at_ns = now;
    }
    bool draining = http_server_draining();
    bool ready = app->ready_db && !draining;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "status", ready ? "ready" : "not_ready");
    cJSON_AddStringToObject(o, "node", app->front->cfg.node_name);
    cJSON_AddStringToObject(o, "database", app->ready_db ? "up" : "down");
    cJSON_AddStringToObject(o, "primary", app->ready_primary ? "up" : "down");
    cJSON *c = cJSON_AddObjectToObject(o, "cache");
    cJSON_AddStringToObject(c, "status", cache_health_name(app->ready_cache));
    cJSON_AddNumberToObject(c, "servers_up", app->ready_cache_up);
    cJSON_AddNumberToObject(c, "servers", app->ready_cache_total);
    cJSON_AddBoolToObject(o, "draining", draining);
    if (!ready)
        cJSON_AddStringToObject(o, "reason", draining ? "draining" : "database unreachable");
    http_resp_json(x, ready ? 200 : 503, o);
}
