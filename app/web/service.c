/* service — loading the web application and per-thread state; see app.h. */
#include "web/app.h"

#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "cache/near.h"
#include "shop/cart.h"
#include "shop/catalog.h"
#include "shop/gateway.h"
#include "shop/order.h"

#include <curl/curl.h>

#include <pthread.h>
#include <string.h>

static pthread_once_t db_once = PTHREAD_ONCE_INIT;

static void init_db_library(void)
{
    db_library_init();
    curl_global_init(CURL_GLOBAL_ALL);
}

static struct http_app *thread_start(void *ctx, int index)
{
    const struct web_ctx *w = ctx;
    pthread_once(&db_once, init_db_library);
    db_thread_init();
    struct http_app *app = mem_calloc(1, sizeof *app);
    app->web = w;
    app->thread_index = index;
    struct db_opts dbo = {
        .host = w->cfg.db_host,
        .port = (int)w->cfg.db_port,
        .user = w->cfg.db_user,
        .password = w->cfg.db_password,
        .name = w->cfg.db_name,
        .connect_timeout_ms = w->cfg.db_connect_timeout_ms,
        .read_timeout_ms = w->cfg.db_read_timeout_ms,
        .lock_wait_s = (w->cfg.db_lock_wait_ms + 999) / 1000,
    };
    app->db = db_new(&dbo);
    struct cache_opts co = {
        .servers = w->cfg.cache_servers,
        .enabled = w->cfg.cache_enabled,
        .connect_timeout_ms = w->cfg.cache_connect_timeout_ms,
        .poll_timeout_ms = w->cfg.cache_poll_timeout_ms,
        .retry_timeout_s = 2,
        .lease_wait_ms = w->cfg.cache_lease_wait_ms,
        .near = w->cfg.cache_near,
        .near_peers = w->cfg.cache_near_peers,
        .near_secret = w->cfg.secret,
        .near_timeout_ms = w->cfg.cache_near_timeout_ms,
    };
    app->cache = cache_new(&co);
    struct gateway_opts go = {
        .api_url = w->cfg.gateway_api_url,
        .checkout_url = w->cfg.gateway_checkout_url,
        .secret_key = w->cfg.gateway_secret_key,
        .client_key = w->cfg.gateway_client_key,
        .webhook_secret = w->cfg.gateway_webhook_secret,
        .timeout_ms = w->cfg.gateway_timeout_ms,
        .connect_timeout_ms = w->cfg.gateway_connect_timeout_ms,
    };
    app->gw = gateway_psp_new(&go);
    return app;
}

static void thread_stop(struct http_app *app)
{
    if (!app)
        return;
    db_free(app->db);
    cache_free(app->cache);
    gateway_free(app->gw);
    mem_free(app);
    db_thread_end();
}

/*
 * Security headers on every dynamic response. The CSP allows only our own origin (plus the
 * CDN when assets come from one); no inline script or style anywhere.
 */
static char *build_headers(const struct webcfg *c)
{
    struct buf b;
    buf_init(&b, 8192);
    const char *cdn = "";
    char origin[256] = "";
    if (strncmp(c->static_base_url, "http://", 7) == 0 ||
        strncmp(c->static_base_url, "https://", 8) == 0) {
        const char *host = strstr(c->static_base_url, "//") + 2;
        size_t n = strcspn(host, "/");
        size_t scheme = (size_t)(host - c->static_base_url);
        if (scheme + n < sizeof origin) {
            memcpy(origin, c->static_base_url, scheme + n);
            origin[scheme + n] = '\0';
            cdn = origin;
        }
    }
    buf_printf(&b,
               "Content-Security-Policy: default-src 'none'; img-src 'self' data: %s; "
               "style-src 'self' %s; font-src 'self' %s; script-src 'self' %s; "
               "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
               "frame-ancestors 'none'\r\n",
               cdn, cdn, cdn, cdn);
    buf_append_cstr(&b, "X-Content-Type-Options: nosniff\r\n"
                        "X-Frame-Options: DENY\r\n"
                        "Referrer-Policy: strict-origin-when-cross-origin\r\n"
                        "Cross-Origin-Opener-Policy: same-origin\r\n"
                        "Permissions-Policy: camera=(), microphone=(), geolocation=()\r\n");
    char *s = mem_strdup(buf_cstr(&b));
    buf_free(&b);
    return s;
}

struct http_service *web_service_load(void *config_path, struct buf *err)
{
    struct web_ctx *w = web_ctx_load(config_path, err);
    return w ? &w->svc : NULL;
}

void web_service_unload(struct http_service *svc)
{
    web_ctx_free(svc->ctx);
}

struct web_ctx *web_ctx_load(const char *config_path, struct buf *err)
{
    struct web_ctx *w = mem_calloc(1, sizeof *w);
    if (webcfg_load(&w->cfg, config_path, err))
        goto fail;
    if (log_level_parse(w->cfg.log_level) < 0) {
        buf_printf(err, "config: log.level must be debug, info, warn or error");
        goto fail;
    }
    w->assets = assets_load(w->cfg.static_manifest, w->cfg.static_base_url, err);
    if (!w->assets)
        goto fail;
    struct tpl_assets ta = assets_tpl(w->assets);
    w->tpl = tpl_set_load(w->cfg.templates_dir, view_bindings, view_bindings_len, &ta, err);
    if (!w->tpl)
        goto fail;
    w->t_home = tpl_get(w->tpl, "home.html");
    w->t_product = tpl_get(w->tpl, "product.html");
    w->t_error = tpl_get(w->tpl, "error.html");
    w->t_signin = tpl_get(w->tpl, "signin.html");
    w->t_signup = tpl_get(w->tpl, "signup.html");
    w->t_cart = tpl_get(w->tpl, "cart.html");
    w->t_orders = tpl_get(w->tpl, "orders.html");
    w->t_order = tpl_get(w->tpl, "order.html");
    w->t_admin_stock = tpl_get(w->tpl, "admin/stock.html");
    w->t_admin_payments = tpl_get(w->tpl, "admin/payments.html");
    w->policy = (struct account_policy){
        .pw_opslimit = w->cfg.pw_opslimit,
        .pw_memlimit = w->cfg.pw_memlimit,
        .window_s = w->cfg.throttle_window_ms / 1000,
        .ip_limit = w->cfg.throttle_ip_limit,
        .acct_limit = w->cfg.throttle_account_limit,
        .acct_lock_s = (w->cfg.throttle_account_lock_ms + 999) / 1000,
    };
    w->checkout = (struct checkout_opts){w->cfg.hold_ttl_ms / 1000, w->cfg.checkout_retries};
    if (account_init(&w->policy)) {
        buf_printf(err, "cannot initialise password hashing (libsodium)");
        goto fail;
    }
    w->router = router_new(web_routes, web_routes_len, err);
    if (!w->router)
        goto fail;
    /* metrics and cache regions are registered here, in the master, before it forks; so is
     * the node's near-cache epoch, shared by all its workers */
    catalog_init();
    if (w->cfg.cache_enabled && w->cfg.cache_near)
        near_node_init();
    ops_metrics_init(w);
    w->extra_headers = build_headers(&w->cfg);
    w->hooks.error_page = web_error_page;
    w->hooks.before = web_before;
    w->hooks.after = ops_metrics_after;
    w->hooks.extra_headers = w->extra_headers;
    w->hooks.https_headers = "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n";
    w->svc.router = w->router;
    w->svc.hooks = &w->hooks;
    w->svc.ctx = w;
    w->svc.thread_start = thread_start;
    w->svc.thread_stop = thread_stop;
    return w;
fail:
    web_ctx_free(w);
    return NULL;
}

void web_ctx_free(struct web_ctx *w)
{
    if (!w)
        return;
    router_free(w->router);
    tpl_set_free(w->tpl);
    assets_free(w->assets);
    mem_free(w->extra_headers);
    mem_free(w->route_metrics);
    webcfg_free(&w->cfg);
    mem_free(w);
}

/* ---------------------------------------------------------------- handler helpers */

struct shop_ctx web_shop(struct http_ex *x)
{
    return (struct shop_ctx){x->app->db, x->app->cache, x->arena, x->app->gw};
}

struct view_layout *web_layout(struct http_ex *x, struct str title)
{
    struct view_layout *l = arena_calloc(x->arena, 1, sizeof *l);
    const struct web_ctx *w = x->app->web;
    l->title = title;
    l->site_name = str_from_cstr(w->cfg.site_name);
    l->node = str_from_cstr(w->cfg.node_name);
    l->description = STR("Limited-edition sneaker drops: fair, fast, and never oversold.");
    struct web_req *r = web_req(x);
    l->csrf = web_csrf_token(x);
    if (r->signed_in) {
        l->signed_in = true;
        l->user_name = r->session.name;
        l->is_admin = str_eq_cstr(r->session.role, "admin");
        if (r->cart_pairs < 0) {
            struct shop_ctx s = web_shop(x);
            if (cart_pairs(&s, r->session.account_id, &r->cart_pairs))
                r->cart_pairs = 0; /* the badge is not worth failing a page for */
        }
        l->cart_count = r->cart_pairs;
    }
    return l;
}

void web_render(struct http_ex *x, const struct tpl *t, const void *view)
{
    x->resp.content_type = "text/html; charset=utf-8";
    tpl_render(t, view, x->resp.body);
}

bool web_own_order(struct http_ex *x, struct order *o)
{
    struct shop_ctx s = web_shop(x);
    int rc = order_get(&s, web_req(x)->session.account_id, http_param_i64(x, "id", 0), o);
    if (rc == ERR_NOTFOUND)
        http_resp_error(x, 404, "order_not_found", "We could not find that order.");
    else if (rc)
        web_fail(x, rc);
    return rc == 0;
}

void web_fail(struct http_ex *x, int rc)
{
    if (err_is_unavailable(rc) || err_is_retryable(rc)) {
        http_resp_header(x, "Retry-After", STR("2"));
        http_resp_error(x, 503, "service_unavailable",
                        "The shop is very busy right now. Please try again in a moment.");
        return;
    }
    log_error("route %s failed: %s", x->route ? x->route->name : "-", err_str(rc));
    http_resp_error(x, 500, "internal_error", "Something went wrong on our side.");
}

struct str web_asset_url(struct http_ex *x, struct str logical)
{
    const char *u = assets_url(x->app->web->assets, logical);
    if (!u) {
        log_warn("asset %.*s is not in the manifest", STR_FMT(logical));
        u = assets_url(x->app->web->assets, STR("img/favicon.svg"));
    }
    return str_from_cstr(u ? u : "");
}

void web_error_page(struct http_ex *x, int status, const char *code, const char *message)
{
    struct view_error *v = arena_calloc(x->arena, 1, sizeof *v);
    const char *title = status == 404   ? "Not found"
                        : status == 405 ? "Method not allowed"
                        : status >= 500 ? "Something went wrong"
                                        : "That did not work";
    if (!x->app) { /* no application state (cannot happen in the server; tests may) */
        http_resp_text(x, status, str_from_cstr(message));
        return;
    }
    v->layout = web_layout(x, str_from_cstr(title));
    v->status = status;
    v->code = str_from_cstr(code);
    v->message = str_from_cstr(message);
    x->resp.status = status;
    web_render(x, x->app->web->t_error, v);
}
