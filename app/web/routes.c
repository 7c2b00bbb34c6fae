/*
 * routes — the route table of stampede-web. Every parameter a handler reads is declared
 * here with its validator; flags say who may call a route (see web_before in auth.c).
 */
#include "cache/near.h"
#include "shop/catalog.h"
#include "web/app.h"

#include <stdint.h>

#define END                     \
    {                           \
        NULL, 0, 0, 0, 0, false \
    }

static const struct http_param p_slug[] = {
    {"slug", HTTP_SRC_PATH, HTTP_K_SLUG, 1, 80, true},
    END,
};
static const struct http_param p_id[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    END,
};
static const struct http_param p_order_page[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"placed", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    {"payment", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 32, false},
    END,
};
/* what the gateway appends to the return URLs (Toss Payments' names) */
static const struct http_param p_pay_success[] = {
    {"paymentKey", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, true},
    {"orderId", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, true},
    {"amount", HTTP_SRC_QUERY, HTTP_K_INT, 1, 1000000000000LL, true},
    END,
};
static const struct http_param p_pay_fail[] = {
    {"orderId", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, true},
    {"code", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, true},
    {"message", HTTP_SRC_QUERY, HTTP_K_TEXT, 0, 500, false},
    {"paymentKey", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 64, false},
    END,
};
static const struct http_param p_api_pay[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"paymentKey", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 64, true},
    {"amount", HTTP_SRC_BODY, HTTP_K_INT, 1, 1000000000000LL, true},
    END,
};
static const struct http_param p_admin_payments[] = {
    {"done", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 32, false},
    END,
};
static const struct http_param p_anomaly_resolve[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"action", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 16, true},
    END,
};
static const struct http_param p_signin_page[] = {
    {"next", HTTP_SRC_QUERY, HTTP_K_TEXT, 0, 200, false},
    {"signed_out", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
/* sign-in takes any text up to the size limits: a malformed address is just a failed
 * sign-in, not a 400 that would tell an attacker something */
static const struct http_param p_signin[] = {
    {"email", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 254, true},
    {"password", HTTP_SRC_BODY, HTTP_K_SECRET, 1, 1024, true},
    {"next", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 200, false},
    END,
};
static const struct http_param p_signup_page[] = {
    {"email", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 254, true},
    {"name", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 100, true},
    {"password", HTTP_SRC_BODY, HTTP_K_SECRET, 0, 1024, true},
    END,
};
static const struct http_param p_signup_api[] = {
    {"email", HTTP_SRC_BODY, HTTP_K_EMAIL, 0, 0, true},
    {"name", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 100, true},
    {"password", HTTP_SRC_BODY, HTTP_K_SECRET, 0, 1024, true},
    END,
};
static const struct http_param p_cart_page[] = {
    {"updated", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_cart_set[] = {
    {"sku_id", HTTP_SRC_BODY, HTTP_K_ID, 0, 0, true},
    {"quantity", HTTP_SRC_BODY, HTTP_K_INT, 0, 99, true},
    END,
};
static const struct http_param p_checkout_page[] = {
    {"idempotency_key", HTTP_SRC_BODY, HTTP_K_TOKEN, 16, 255, true},
    /* "Buy now" on a product page: that size instead of the cart */
    {"sku_id", HTTP_SRC_BODY, HTTP_K_ID, 0, 0, false},
    {"quantity", HTTP_SRC_BODY, HTTP_K_INT, 1, 99, false},
    END,
};
/* buy now: one size and quantity instead of the cart (both or neither) */
static const struct http_param p_checkout_api[] = {
    {"sku_id", HTTP_SRC_BODY, HTTP_K_ID, 0, 0, false},
    {"quantity", HTTP_SRC_BODY, HTTP_K_INT, 1, 99, false},
    END,
};
static const struct http_param p_admin_stock[] = {
    {"saved", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    {"priced", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_price[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"price", HTTP_SRC_BODY, HTTP_K_INT, 1, CATALOG_PRICE_MAX, true},
    END,
};
static const struct http_param p_buckets[] = {
    {"sku_id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"buckets", HTTP_SRC_BODY, HTTP_K_INT, 1, 64, true},
    END,
};

const struct http_route web_routes[] = {
    /* pages */
    {HTTP_GET, "/", page_home, "home", NULL, 0},
    {HTTP_GET, "/products/{slug}", page_product, "product", p_slug, 0},
    {HTTP_GET, "/account/signin", page_signin, "signin_page", p_signin_page, 0},
    {HTTP_POST, "/account/signin", page_signin_post, "signin", p_signin, 0},
    {HTTP_GET, "/account/signup", page_signup, "signup_page", NULL, 0},
    {HTTP_POST, "/account/signup", page_signup_post, "signup", p_signup_page, 0},
    {HTTP_POST, "/account/signout", page_signout, "signout", NULL, 0},
    {HTTP_GET, "/account", page_account, "account", NULL, WEB_AUTH},
    {HTTP_GET, "/cart", page_cart, "cart", p_cart_page, WEB_AUTH},
    {HTTP_POST, "/cart/items", page_cart_set, "cart_set", p_cart_set, WEB_AUTH},
    {HTTP_POST, "/checkout", page_checkout, "checkout", p_checkout_page, WEB_AUTH},
    {HTTP_GET, "/orders", page_orders, "orders", NULL, WEB_AUTH},
    {HTTP_GET, "/orders/{id}", page_order, "order", p_order_page, WEB_AUTH},
    {HTTP_GET, "/orders/{id}/pay", page_order_pay, "order_pay", p_id, WEB_AUTH},
    {HTTP_POST, "/orders/{id}/cancel", page_order_cancel, "order_cancel", p_id, WEB_AUTH},
    {HTTP_GET, "/payments/success", page_payment_success, "payment_success", p_pay_success, 0},
    {HTTP_GET, "/payments/fail", page_payment_fail, "payment_fail", p_pay_fail, WEB_AUTH},
    /* gateway events: authenticated by their HMAC signature, not by a session */
    {HTTP_POST, "/webhooks/psp", hook_psp_webhook, "webhook_psp", NULL, WEB_NO_CSRF},
    /* admin */
    {HTTP_GET, "/admin/stock", admin_stock, "admin_stock", p_admin_stock, WEB_ADMIN},
    {HTTP_POST, "/admin/stock/{sku_id}/buckets", admin_stock_buckets, "admin_buckets", p_buckets,
     WEB_ADMIN},
    {HTTP_POST, "/admin/products/{id}/price", admin_price, "admin_price", p_price, WEB_ADMIN},
    {HTTP_GET, "/admin/payments", admin_payments, "admin_payments", p_admin_payments, WEB_ADMIN},
    {HTTP_POST, "/admin/payments/anomalies/{id}/resolve", admin_anomaly_resolve,
     "admin_anomaly_resolve", p_anomaly_resolve, WEB_ADMIN},
    /* JSON API v1 */
    {HTTP_GET, "/api/v1/products", api_products, "api_products", NULL, 0},
    {HTTP_GET, "/api/v1/products/{slug}", api_product, "api_product", p_slug, 0},
    {HTTP_POST, "/api/v1/accounts", api_signup, "api_signup", p_signup_api, 0},
    {HTTP_POST, "/api/v1/session", api_signin, "api_signin", p_signin, 0},
    {HTTP_GET, "/api/v1/session", api_whoami, "api_whoami", NULL, WEB_AUTH},
    {HTTP_DELETE, "/api/v1/session", api_signout, "api_signout", NULL, WEB_AUTH},
    {HTTP_GET, "/api/v1/cart", api_cart, "api_cart", NULL, WEB_AUTH},
    {HTTP_POST, "/api/v1/cart/items", api_cart_set, "api_cart_set", p_cart_set, WEB_AUTH},
    {HTTP_POST, "/api/v1/checkout", api_checkout, "api_checkout", p_checkout_api, WEB_AUTH},
    {HTTP_GET, "/api/v1/orders", api_orders, "api_orders", NULL, WEB_AUTH},
    {HTTP_GET, "/api/v1/orders/{id}", api_order, "api_order", p_id, WEB_AUTH},
    {HTTP_POST, "/api/v1/orders/{id}/payment", api_order_payment, "api_order_payment", p_api_pay,
     WEB_AUTH},
    {HTTP_POST, "/api/v1/orders/{id}/cancel", api_order_cancel, "api_order_cancel", p_id, WEB_AUTH},
    /* operations */
    {HTTP_GET, "/healthz", ops_healthz, "healthz", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_GET, "/readyz", ops_readyz, "readyz", NULL, HTTP_ROUTE_NO_LOG},
    /* internal: not reachable through HAProxy (see ops/metrics.c) */
    {HTTP_GET, "/metrics", ops_metrics, "metrics", NULL, HTTP_ROUTE_NO_LOG},
    {HTTP_POST, NEAR_PATH, ops_near_epoch, "near_epoch", NULL, WEB_NO_CSRF}, /* signed */
};
const size_t web_routes_len = sizeof web_routes / sizeof web_routes[0];
