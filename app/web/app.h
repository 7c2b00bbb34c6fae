/*
 * app — the web application's process and thread state, shared by app/web, app/admin and
 * app/ops handlers.
 *
 * struct web_ctx is built by the master from the configuration file (web_ctx_load) and is
 * read-only afterwards: configuration, asset manifest, compiled templates, router and the
 * headers added to every response. A reload (SIGHUP) builds a new one.
 *
 * struct http_app is the per-thread part (the type app/http keeps opaque): the thread's
 * database and cache handles and cached readiness. Handlers reach it as x->app.
 */
#ifndef STAMPEDE_WEB_APP_H
#define STAMPEDE_WEB_APP_H

#include "cache/cache.h"
#include "core/metrics.h"
#include "db/db.h"
#include "http/router.h"
#include "http/server.h"
#include "shop/account.h"
#include "shop/checkout.h"
#include "shop/shop.h"
#include "tpl/tpl.h"
#include "web/assets.h"
#include "web/views.h"
#include "web/webcfg.h"

/* Request metrics of one route (ops/metrics.c). */
struct route_metrics {
    struct metric *by_code[5]; /* 1xx..5xx */
    struct metric *latency;
};

struct web_ctx {
    struct webcfg cfg;
    struct assets *assets;
    struct tpl_set *tpl;
    const struct tpl *t_home;
    const struct tpl *t_product;
    const struct tpl *t_error;
    const struct tpl *t_signin;
    const struct tpl *t_signup;
    const struct tpl *t_cart;
    const struct tpl *t_orders;
    const struct tpl *t_order;
    const struct tpl *t_admin_stock;
    const struct tpl *t_admin_payments;
    struct router *router;
    struct http_hooks hooks;
    struct account_policy policy;
    struct checkout_opts checkout;
    char *extra_headers;
    struct route_metrics *route_metrics; /* web_routes_len + 1 ("unmatched") */
    struct http_service svc;
};

struct http_app {
    const struct web_ctx *web;
    struct db *db;
    struct cache *cache;
    struct gateway *gw; /* payment gateway client (shop/gateway.h) */
    int thread_index;
    /* readiness, reused for cfg.readyz_interval_ms */
    int64_t ready_at_ns;
    bool ready_db;
    enum cache_health ready_cache;
    int ready_cache_up;
    int ready_cache_total;
};

/* web_service_load/unload: the http_service_ops of stampede-web (arg: config path). */
struct http_service *web_service_load(void *config_path, struct buf *err);
void web_service_unload(struct http_service *svc);

/* Route flags read by web_before (auth.c). */
enum web_route_flags {
    WEB_AUTH = HTTP_ROUTE_APP(0),    /* a signed-in shopper is required */
    WEB_ADMIN = HTTP_ROUTE_APP(1),   /* an admin is required (others get 404) */
    WEB_NO_CSRF = HTTP_ROUTE_APP(2), /* state change authenticated otherwise (webhooks) */
};

/* Per-request state of the web layer (x->local). */
struct web_req {
    bool signed_in;
    bool session_unknown; /* the session lookup failed (database down), not "no session" */
    struct session session;
    struct str session_token; /* from the cookie */
    struct str csrf;          /* token expected in forms of this response */
    int64_t cart_pairs;       /* -1: not loaded */
};

#define WEB_SESSION_COOKIE "stampede_sid"
#define WEB_CSRF_COOKIE    "stampede_csrf"
#define WEB_DEVICE_COOKIE  "stampede_dev"

/* web_before: the http before hook (session, CSRF, roles). */
bool web_before(struct http_ex *x);
/* web_req: this request's state (created on first use). */
struct web_req *web_req(struct http_ex *x);
/* web_csrf_token: the token forms of this response carry (sets the anonymous CSRF cookie
 * when the visitor has neither a session nor one). */
struct str web_csrf_token(struct http_ex *x);
/* web_start_session: new session for account (replacing any current one) with cookies. */
int web_start_session(struct http_ex *x, const struct account *a);
/* web_end_session: deletes the current session server-side and clears the cookie. */
int web_end_session(struct http_ex *x);
/* web_device_account: the account id a valid device cookie names (0: none). */
int64_t web_device_account(struct http_ex *x);
/* web_safe_next: a same-site relative path to go to after sign-in, or "/". */
struct str web_safe_next(struct str next);

/* web_ctx_load: configuration file -> a complete service; NULL with a reason in err. */
struct web_ctx *web_ctx_load(const char *config_path, struct buf *err);
void web_ctx_free(struct web_ctx *w);

/* The route table of the whole application (routes.c). */
extern const struct http_route web_routes[];
extern const size_t web_routes_len;

/* Helpers for handlers. */
struct shop_ctx web_shop(struct http_ex *x);
/* web_layout: common page data with the given title. */
struct view_layout *web_layout(struct http_ex *x, struct str title);
/* web_render: renders t with view into the response body (status as already set). */
void web_render(struct http_ex *x, const struct tpl *t, const void *view);
/* web_fail: answers an internal error code: 503 when a dependency is down, else 500. */
void web_fail(struct http_ex *x, int rc);
struct order;
/* web_own_order: the signed-in shopper's order named by the {id} parameter; false when it has
 * answered already (404 order_not_found for anyone else's or a missing order, else web_fail). */
bool web_own_order(struct http_ex *x, struct order *o);
/* web_asset_url: URL of a logical static path (falls back to the favicon when unknown). */
struct str web_asset_url(struct http_ex *x, struct str logical);
/* web_error_page: the HTML error page hook. */
void web_error_page(struct http_ex *x, int status, const char *code, const char *message);

/* Handlers. */
void page_home(struct http_ex *x);
void page_product(struct http_ex *x);
void api_products(struct http_ex *x);
void api_product(struct http_ex *x);
void page_signin(struct http_ex *x);
void page_signin_post(struct http_ex *x);
void page_signup(struct http_ex *x);
void page_signup_post(struct http_ex *x);
void page_signout(struct http_ex *x);
void page_account(struct http_ex *x);
void page_cart(struct http_ex *x);
void page_cart_set(struct http_ex *x);
void page_checkout(struct http_ex *x);
void page_orders(struct http_ex *x);
void page_order(struct http_ex *x);
void api_signup(struct http_ex *x);
void api_signin(struct http_ex *x);
void api_signout(struct http_ex *x);
void api_whoami(struct http_ex *x);
void api_cart(struct http_ex *x);
void api_cart_set(struct http_ex *x);
void api_checkout(struct http_ex *x);
void api_orders(struct http_ex *x);
void api_order(struct http_ex *x);
void page_order_pay(struct http_ex *x);
void page_order_cancel(struct http_ex *x);
void page_payment_success(struct http_ex *x);
void page_payment_fail(struct http_ex *x);
void api_order_payment(struct http_ex *x);
void api_order_cancel(struct http_ex *x);
void hook_psp_webhook(struct http_ex *x);
void admin_payments(struct http_ex *x);
void admin_anomaly_resolve(struct http_ex *x);
void admin_stock(struct http_ex *x);
void admin_stock_buckets(struct http_ex *x);
void admin_price(struct http_ex *x);
void ops_healthz(struct http_ex *x);
void ops_readyz(struct http_ex *x);
void ops_metrics(struct http_ex *x);
/* ops_near_epoch: a signed near-cache invalidation from a writer (cache/near.h); internal. */
void ops_near_epoch(struct http_ex *x);

/* ops_metrics_init: registers the request metrics of every route (before workers fork). */
void ops_metrics_init(struct web_ctx *w);
/* ops_metrics_after: the http after hook that counts a finished request. */
void ops_metrics_after(struct http_ex *x, int64_t dur_ns);

#endif
