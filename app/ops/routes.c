/* routes — the operations routes: health, readiness, metrics, near-cache invalidations. */
#include "ops/ops.h"

#include "cache/near.h"

static const struct http_route routes[] = {
    {HTTP_GET, "/healthz", ops_healthz, "healthz", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_GET, "/readyz", ops_readyz, "readyz", NULL, HTTP_ROUTE_NO_LOG},
    /* internal: not reachable through HAProxy (see metrics.c) */
    {HTTP_GET, "/metrics", ops_metrics, "metrics", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_POST, NEAR_PATH, ops_near_epoch, "near_epoch", NULL, FRONT_NO_CSRF}, /* signed */
    /* internal: Alertmanager's webhook (alerts.c), with its bearer token */
    {HTTP_POST, "/__internal/alerts", ops_alerts, "alerts_webhook", NULL, FRONT_NO_CSRF},
};

const struct front_module ops_module = {
    "ops",
    routes,
    sizeof routes / sizeof routes[0],
    NULL,
};
