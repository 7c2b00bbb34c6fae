/* routes — the admin routes; every one requires the admin role (FRONT_ADMIN). */
#include "admin/admin.h"

#include "shop/catalog.h"

#define END                     \
    {                           \
        NULL, 0, 0, 0, 0, false \
    }

static const struct http_param p_admin_stock[] = {
    {"saved", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    {"priced", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    {"received", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    {"adjusted", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
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
static const struct http_param p_admin_payments[] = {
    {"done", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 32, false},
    END,
};
static const struct http_param p_anomaly_resolve[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"action", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 16, true},
    END,
};

static const struct http_param p_admin_order[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    END,
};

static const struct http_param p_admin_drops[] = {
    {"created", HTTP_SRC_QUERY, HTTP_K_ID, 0, 0, false},
    {"done", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 32, false},
    END,
};
/* times are the form's datetime-local values, read as Korean time */
static const struct http_param p_drop_create[] = {
    {"product", HTTP_SRC_BODY, HTTP_K_SLUG, 1, 80, true},
    {"kind", HTTP_SRC_BODY, HTTP_K_TOKEN, 1, 8, true},
    {"announce_at", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 32, false}, /* empty: now */
    {"opens_at", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 32, true},
    {"starts_at", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 32, false},
    {"closes_at", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 32, true},
    {"admit_per_second", HTTP_SRC_BODY, HTTP_K_INT, 1, 10000, false},
    {"limit", HTTP_SRC_BODY, HTTP_K_INT, 1, 10, false},
    {"window_minutes", HTTP_SRC_BODY, HTTP_K_INT, 1, 1440, false},
    END,
};
static const struct http_param p_drop_edit[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"announce_at", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 32, false}, /* empty: now */
    {"opens_at", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 32, true},
    {"starts_at", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 32, false},
    {"closes_at", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 32, true},
    {"admit_per_second", HTTP_SRC_BODY, HTTP_K_INT, 1, 10000, false},
    {"limit", HTTP_SRC_BODY, HTTP_K_INT, 1, 10, false},
    {"window_minutes", HTTP_SRC_BODY, HTTP_K_INT, 1, 1440, false},
    END,
};
static const struct http_param p_drop_beacon[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"beacon", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 200, true},
    END,
};

static const struct http_param p_admin_orders[] = {
    {"q", HTTP_SRC_QUERY, HTTP_K_TEXT, 0, 254, false},
    END,
};
static const struct http_param p_admin_order_page[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"done", HTTP_SRC_QUERY, HTTP_K_TOKEN, 1, 32, false},
    END,
};
static const struct http_param p_order_action[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"reason", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 300, true},
    END,
};
static const struct http_param p_stock_receive[] = {
    {"sku_id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"qty", HTTP_SRC_BODY, HTTP_K_INT, 1, 100000, true},
    {"note", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 300, true},
    END,
};
static const struct http_param p_stock_adjust[] = {
    {"sku_id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"delta", HTTP_SRC_BODY, HTTP_K_INT, -100000, 100000, true},
    {"note", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 300, true},
    END,
};

static const struct http_param p_admin_batch[] = {
    {"job", HTTP_SRC_QUERY, HTTP_K_SLUG, 1, 64, false},
    {"noop", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    {"requested", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_batch_run[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"restart", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_batch_job[] = {
    {"job", HTTP_SRC_PATH, HTTP_K_SLUG, 1, 64, true},
    END,
};

#define PRODUCT_FIELDS                                                    \
    {"name", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 200, true},                   \
        {"brand", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 80, true},               \
        {"colorway", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 120, false},          \
        {"description", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 5000, true},       \
        {"price", HTTP_SRC_BODY, HTTP_K_INT, 1, CATALOG_PRICE_MAX, true}, \
        {"image", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 200, true},              \
        {"release_date", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 10, false},       \
        {"max_per_account", HTTP_SRC_BODY, HTTP_K_INT, 0, 100, false},    \
    {                                                                     \
        "active", HTTP_SRC_BODY, HTTP_K_BOOL, 0, 0, false                 \
    }
static const struct http_param p_product_new[] = {
    {"slug", HTTP_SRC_BODY, HTTP_K_TEXT, 0, 80, true},
    PRODUCT_FIELDS,
    END,
};
static const struct http_param p_product_edit[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    PRODUCT_FIELDS,
    END,
};
static const struct http_param p_product_page[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"saved", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};
static const struct http_param p_product_size[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"size_mm", HTTP_SRC_BODY, HTTP_K_INT, 1, 1000, true},
    END,
};

static const struct http_param p_product_size_edit[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"sku_id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"size_mm", HTTP_SRC_BODY, HTTP_K_INT, 1, 1000, true},
    END,
};

static const struct http_param p_product_picture[] = {
    {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true},
    {"X-CSRF-Token", HTTP_SRC_HEADER, HTTP_K_TOKEN, 1, 128, false},
    END,
};

static const struct http_param p_admin_autoscale[] = {
    {"page", HTTP_SRC_QUERY, HTTP_K_INT, 1, 100000, false},
    {"held", HTTP_SRC_QUERY, HTTP_K_BOOL, 0, 0, false},
    END,
};

static const struct http_route routes[] = {
    {HTTP_PUT, "/admin/products/{id}/picture", admin_product_picture, "admin_product_picture",
     p_product_picture, FRONT_ADMIN | FRONT_NO_CSRF},
    {HTTP_GET, "/admin/products/new", admin_product_new, "admin_product_new", NULL, FRONT_ADMIN},
    {HTTP_POST, "/admin/products", admin_product_save, "admin_product_create", p_product_new,
     FRONT_ADMIN},
    {HTTP_GET, "/admin/products/{id}", admin_product, "admin_product", p_product_page, FRONT_ADMIN},
    {HTTP_POST, "/admin/products/{id}", admin_product_save, "admin_product_save", p_product_edit,
     FRONT_ADMIN},
    {HTTP_POST, "/admin/products/{id}/sizes", admin_product_size, "admin_product_size",
     p_product_size, FRONT_ADMIN},
    {HTTP_POST, "/admin/products/{id}/sizes/{sku_id}", admin_product_size_edit,
     "admin_product_size_edit", p_product_size_edit, FRONT_ADMIN},
    {HTTP_GET, "/admin/batch", admin_batch, "admin_batch", p_admin_batch, FRONT_ADMIN},
    {HTTP_GET, "/admin/batch/runs/{id}", admin_batch_run, "admin_batch_run", p_batch_run,
     FRONT_ADMIN},
    {HTTP_POST, "/admin/batch/runs/{id}/restart", admin_batch_restart, "admin_batch_restart",
     p_admin_order, FRONT_ADMIN},
    {HTTP_POST, "/admin/batch/{job}/run", admin_batch_request, "admin_batch_request", p_batch_job,
     FRONT_ADMIN},
    {HTTP_GET, "/admin", admin_index, "admin_index", NULL, FRONT_ADMIN},
    {HTTP_GET, "/admin/dashboard", admin_dashboard, "admin_dashboard", NULL, FRONT_ADMIN},
    {HTTP_POST, "/admin/stock/{sku_id}/receive", admin_stock_adjust, "admin_stock_receive",
     p_stock_receive, FRONT_ADMIN},
    {HTTP_POST, "/admin/stock/{sku_id}/adjust", admin_stock_adjust, "admin_stock_adjust",
     p_stock_adjust, FRONT_ADMIN},
    {HTTP_POST, "/admin/orders/{id}/cancel", admin_order_cancel, "admin_order_cancel",
     p_order_action, FRONT_ADMIN},
    {HTTP_POST, "/admin/orders/{id}/refund", admin_order_refund, "admin_order_refund",
     p_order_action, FRONT_ADMIN},
    {HTTP_GET, "/admin/drops", admin_drops, "admin_drops", p_admin_drops, FRONT_ADMIN},
    {HTTP_POST, "/admin/drops", admin_drop_create, "admin_drop_create", p_drop_create, FRONT_ADMIN},
    {HTTP_POST, "/admin/drops/{id}/edit", admin_drop_edit, "admin_drop_edit", p_drop_edit,
     FRONT_ADMIN},
    {HTTP_POST, "/admin/drops/{id}/cancel", admin_drop_cancel, "admin_drop_cancel", p_admin_order,
     FRONT_ADMIN},
    {HTTP_POST, "/admin/drops/{id}/beacon", admin_drop_beacon, "admin_drop_beacon", p_drop_beacon,
     FRONT_ADMIN},
    {HTTP_GET, "/admin/stock", admin_stock, "admin_stock", p_admin_stock, FRONT_ADMIN},
    {HTTP_POST, "/admin/stock/{sku_id}/buckets", admin_stock_buckets, "admin_buckets", p_buckets,
     FRONT_ADMIN},
    {HTTP_POST, "/admin/products/{id}/price", admin_price, "admin_price", p_price, FRONT_ADMIN},
    {HTTP_GET, "/admin/orders", admin_orders, "admin_orders", p_admin_orders, FRONT_ADMIN},
    {HTTP_GET, "/admin/orders/{id}", admin_order, "admin_order", p_admin_order_page, FRONT_ADMIN},
    {HTTP_GET, "/admin/payments", admin_payments, "admin_payments", p_admin_payments, FRONT_ADMIN},
    {HTTP_POST, "/admin/payments/anomalies/{id}/resolve", admin_anomaly_resolve,
     "admin_anomaly_resolve", p_anomaly_resolve, FRONT_ADMIN},
    /* alerts (alerts.c): what the monitoring stack raised */
    {HTTP_GET, "/admin/alerts", admin_alerts, "admin_alerts", NULL, FRONT_ADMIN},
    /* the autoscaler (autoscale.c): its state, settings and decisions */
    {HTTP_GET, "/admin/autoscale", admin_autoscale, "admin_autoscale", p_admin_autoscale,
     FRONT_ADMIN},
};

const struct front_module admin_module = {
    "admin",
    routes,
    sizeof routes / sizeof routes[0],
    admin_views,
};
