/*
 * metrics — request counts and latency per route, for every handler folder:
 *   stampede_http_requests_total{route,code="2xx"|"3xx"|"4xx"|"5xx"}
 *   stampede_http_request_duration_seconds{route} (histogram, from accept to response sent)
 * Routes are named by the route table's stable names; "unmatched" for 404/405 without a
 * route. The counters live in core/metrics' shared mapping, registered by the master before
 * it forks, so a scrape of any worker of a node returns the sums over all its processes and
 * threads (GET /metrics: app/ops/metrics.c).
 */
#include "front/front.h"

#include "core/mem.h"

#include <stdio.h>

static void route_metrics(struct front_route_metrics *m, const char *name)
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

void front_metrics_init(struct front *f)
{
    f->route_metrics = mem_calloc(f->nroutes + 1, sizeof *f->route_metrics);
    for (size_t i = 0; i < f->nroutes; i++)
        route_metrics(&f->route_metrics[i], f->routes[i].name);
    route_metrics(&f->route_metrics[f->nroutes], "unmatched");
}

void front_after(struct http_ex *x, int64_t dur_ns)
{
    const struct front *f = x->app ? x->app->front : NULL;
    if (!f || !f->route_metrics)
        return;
    size_t i = f->nroutes;
    if (x->route >= f->routes && x->route < f->routes + f->nroutes)
        i = (size_t)(x->route - f->routes);
    const struct front_route_metrics *m = &f->route_metrics[i];
    int cls = x->resp.status / 100;
    if (cls >= 1 && cls <= 5)
        metric_inc(m->by_code[cls - 1]);
    metric_observe_ns(m->latency, dur_ns);
}
