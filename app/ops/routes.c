/* routes — the operations routes: health, readiness, metrics, near-cache invalidations. */
#include "ops/ops.h"

#include "cache/near.h"

#define END                     \
    {                           \
        NULL, 0, 0, 0, 0, false \
    }

/* the invalidation's signature, "t=<unix seconds>,v1=<hex MAC>" (cache/near.h); checked by
 * the handler, so a missing one is its 403 */
static const struct http_param p_near[] = {
    {NEAR_SIG_HDR, HTTP_SRC_HEADER, HTTP_K_TEXT, 1, 200, false, NULL, "bad_signature"},
    END,
};
/* "Bearer <hex MAC>" (alerts.c): a secret, never logged; checked by the handler */
static const struct http_param p_alerts[] = {
    {"Authorization", HTTP_SRC_HEADER, HTTP_K_SECRET, 1, 200, false, NULL, "bad_token"},
    END,
};

static const struct http_route routes[] = {
    {HTTP_GET, "/healthz", ops_healthz, "healthz", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_GET, "/readyz", ops_readyz, "readyz", NULL, HTTP_ROUTE_NO_LOG},
    /* internal: not reachable through HAProxy (see metrics.c) */
    {HTTP_GET, "/metrics", ops_metrics, "metrics", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_POST, NEAR_PATH, ops_near_epoch, "near_epoch", p_near, FRONT_NO_CSRF}, /* signed */
    /* internal: Alertmanager's webhook (alerts.c), with its bearer token */
    {HTTP_POST, "/__internal/alerts", ops_alerts, "alerts_webhook", p_alerts, FRONT_NO_CSRF},
};

const struct front_module ops_module = {
    "ops",
    routes,
    sizeof routes / sizeof routes[0],
    NULL,
};
