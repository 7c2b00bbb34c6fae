/*
 * metrics — GET /metrics (Prometheus text format) and the request metrics behind it.
 *
 * Per route (the route table's stable names; "unmatched" for 404/405 without a route):
 *   stampede_http_requests_total{route,code="2xx"|"3xx"|"4xx"|"5xx"}
 *   stampede_http_request_duration_seconds{route} (histogram, from accept to response sent)
 * plus whatever other modules registered (the cache regions: cache/l2.h). The counters live
 * in core/metrics' shared mapping, registered by the master before it forks, so a scrape of
 * any worker of a node returns the sums over all its processes and threads.
 *
 * /metrics is internal: HAProxy's public frontend answers 404 for it and nginx refuses it for
 * anything that came through HAProxy (see nginx/nginx.conf.in); scrapers use each node's
 * nginx port on loopback.
 */
#include "web/app.h"

#include "cache/near.h"
#include "core/clock.h"
#include "core/mem.h"
#include "core/metrics.h"

#include <stdio.h>

static void route_metrics(struct route_metrics *m, const char *name)
{
    char labels[128];
    static const char *const codes[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    for (int i = 0; i < 5; i++) {
        snprintf(labels, sizeof labels, "route=\"%s\",code=\"%s\"", name, codes[i]);
        m->by_code[i] = metrics_counter("stampede_http_requests_total", labels,
                                        "HTTP requests by route and status class.");
    }
    snprintf(labels, sizeof labels, "route=\"%s\"", name);
    m->latency = metrics_histogram("stampede_http_request_duration_seconds", labels,
                                   "Time from accepting a request to sending its response.",
                                   metrics_latency_bounds, metrics_latency_nbounds);
}

void ops_metrics_init(struct web_ctx *w)
{
    w->route_metrics = mem_calloc(web_routes_len + 1, sizeof *w->route_metrics);
    for (size_t i = 0; i < web_routes_len; i++)
        route_metrics(&w->route_metrics[i], web_routes[i].name);
    route_metrics(&w->route_metrics[web_routes_len], "unmatched");
}

void ops_metrics_after(struct http_ex *x, int64_t dur_ns)
{
    const struct web_ctx *w = x->app ? x->app->web : NULL;
    if (!w || !w->route_metrics)
        return;
    size_t i = web_routes_len;
    if (x->route >= web_routes && x->route < web_routes + web_routes_len)
        i = (size_t)(x->route - web_routes);
    const struct route_metrics *m = &w->route_metrics[i];
    int cls = x->resp.status / 100;
    if (cls >= 1 && cls <= 5)
        metric_inc(m->by_code[cls - 1]);
    metric_observe_ns(m->latency, dur_ns);
}

/*
 * POST /__internal/near-epoch: a catalog write on some node or tool asks this node to drop
 * its near-cache copies (cache/near.h). Signed with security.secret, which every node and
 * tool shares; not reachable through HAProxy (haproxy.cfg, nginx.conf). 204 once the node's
 * epoch has moved, so the writer knows no thread here serves an older copy.
 */
void ops_near_epoch(struct http_ex *x)
{
    struct str sig = http_header(x, NEAR_SIG_HDR);
    if (!near_verify(x->arena, str_from_cstr(x->app->web->cfg.secret), sig, clock_real_s())) {
        http_resp_error(x, 403, "bad_signature", "The invalidation is not signed correctly.");
        return;
    }
    near_bump();
    buf_reset(x->resp.body);
    x->resp.status = 204;
}

void ops_metrics(struct http_ex *x)
{
    buf_reset(x->resp.body);
    x->resp.status = 200;
    x->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics_render(x->resp.body);
}
