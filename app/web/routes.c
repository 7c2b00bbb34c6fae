/* routes — the route table of stampede-web. Every parameter a handler reads is declared. */
#include "web/app.h"

#include <stdint.h>

static const struct http_param p_slug[] = {
    {"slug", HTTP_SRC_PATH, HTTP_K_SLUG, 1, 80, true},
    {NULL, 0, 0, 0, 0, false},
};

const struct http_route web_routes[] = {
    {HTTP_GET, "/", page_home, "home", NULL, 0},
    {HTTP_GET, "/products/{slug}", page_product, "product", p_slug, 0},
    {HTTP_GET, "/api/v1/products", api_products, "api_products", NULL, 0},
    {HTTP_GET, "/api/v1/products/{slug}", api_product, "api_product", p_slug, 0},
    {HTTP_GET, "/healthz", ops_healthz, "healthz", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_GET, "/readyz", ops_readyz, "readyz", NULL, HTTP_ROUTE_NO_LOG},
};
const size_t web_routes_len = sizeof web_routes / sizeof web_routes[0];
