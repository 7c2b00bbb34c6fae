/*
 * metrics — GET /metrics: the node's metrics in Prometheus text format (request metrics per
 * route: app/front/metrics.c; cache regions: cache/l2.h; the password gate: here). The
 * counters live in core/metrics' shared mapping, so a scrape of any worker of a node returns
 * the sums over all its processes and threads.
 *
 * /metrics is internal: HAProxy's public frontend answers 404 for it and nginx refuses it for
 * anything that came through HAProxy (see nginx/nginx.conf.in); scrapers use each node's
 * nginx port on loopback.
 */
#include "ops/ops.h"

#include "cache/near.h"
#include "core/clock.h"
#include "core/gate.h"

/*
 * POST /__internal/near-epoch: a catalog write on some node or tool asks this node to drop
 * its near-cache copies (cache/near.h). Signed with security.secret, which every node and
 * tool shares; not reachable through HAProxy (haproxy.cfg, nginx.conf). 204 once the node's
 * epoch has moved, so the writer knows no thread here serves an older copy.
 */
void ops_near_epoch(struct http_ex *x)
{
    struct str sig = http_header(x, NEAR_SIG_HDR);
    if (!near_verify(x->arena, str_from_cstr(front_cfg(x)->secret), sig, clock_real_s())) {
        http_resp_error(x, 403, "bad_signature", "The invalidation is not signed correctly.");
        return;
    }
    near_bump();
    buf_reset(x->resp.body);
    x->resp.status = 204;
}

/* gate: the password gate's state, read at scrape time (gauges and counters) */
static void gate_metrics(struct buf *b, const struct gate *g)
{
    struct gate_stats s;
    gate_stats_get(g, &s);
    buf_printf(b,
               "# HELP stampede_auth_hash_slots Password hashes allowed at once on this node.\n"
               "# TYPE stampede_auth_hash_slots gauge\nstampede_auth_hash_slots %d\n"
               "# HELP stampede_auth_hash_running Password hashes running now.\n"
               "# TYPE stampede_auth_hash_running gauge\nstampede_auth_hash_running %d\n"
               "# HELP stampede_auth_hash_waiting Sign-ins and sign-ups waiting for a hash.\n"
               "# TYPE stampede_auth_hash_waiting gauge\nstampede_auth_hash_waiting %d\n"
               "# HELP stampede_auth_hash_total Password hashes by what the gate did.\n"
               "# TYPE stampede_auth_hash_total counter\n"
               "stampede_auth_hash_total{result=\"entered\"} %llu\n"
               "stampede_auth_hash_total{result=\"refused\"} %llu\n"
               "stampede_auth_hash_total{result=\"timed_out\"} %llu\n"
               "# HELP stampede_auth_hash_hold_seconds Moving average of a hash's time in the "
               "gate.\n"
               "# TYPE stampede_auth_hash_hold_seconds gauge\nstampede_auth_hash_hold_seconds "
               "%.6f\n",
               s.limit, s.holders, s.waiting, (unsigned long long)s.entered,
               (unsigned long long)s.refused, (unsigned long long)s.timed_out,
               (double)s.avg_hold_us / 1e6);
}

void ops_metrics(struct http_ex *x)
{
    buf_reset(x->resp.body);
    x->resp.status = 200;
    x->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics_render(x->resp.body);
    if (x->app->front->hash_gate)
        gate_metrics(x->resp.body, x->app->front->hash_gate);
}
