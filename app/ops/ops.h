/*
 * ops — what operators and machines ask a node: /healthz (liveness), /readyz (readiness, what
 * HAProxy checks), /metrics (Prometheus text, internal) and the near-cache invalidations other
 * nodes send (internal, signed).
 *
 * This header is the folder's own: the composition (app/site) reads ops_module; the handler
 * prototypes are for routes.c.
 */
#ifndef STAMPEDE_OPS_OPS_H
#define STAMPEDE_OPS_OPS_H

#include "front/front.h"

extern const struct front_module ops_module;

void ops_healthz(struct http_ex *x);
void ops_readyz(struct http_ex *x);
void ops_metrics(struct http_ex *x);
/*
 * ops_metrics_init: sets up the node-wide store of the business metrics (shop/stats.h) that
 * /metrics reads from the database at most once per OPS_STATS_INTERVAL_MS per node (across
 * every process and thread: a shared mapping, so call it before the server forks). Without
 * it /metrics leaves the business metrics out.
 */
#define OPS_STATS_INTERVAL_MS 5000
void ops_metrics_init(void);
/* ops_near_epoch: a signed near-cache invalidation from a writer (cache/near.h); internal. */
void ops_near_epoch(struct http_ex *x);
/* ops_alerts: Alertmanager's webhook, stored for /admin/alerts (alerts.c); internal. */
void ops_alerts(struct http_ex *x);

#endif
