/* load — a front's configuration-only parts and the per-thread state; see front.h. */
#include "front/front.h"

#include "core/err.h"
#include "core/gate.h"
#include "core/log.h"
#include "core/mem.h"
#include "shop/gateway.h"

#include <curl/curl.h>

#include <pthread.h>
#include <string.h>

/*
 * Security headers on every dynamic response. The CSP allows only our own origin (plus the
 * CDN when assets come from one); no inline script or style anywhere.
 */
static char *build_headers(const struct appcfg *c)
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

int front_init(struct front *f, const char *config_path, struct buf *err)
{
    memset(f, 0, sizeof *f);
    if (appcfg_load(&f->cfg, config_path, err))
        return ERR_CONFIG;
    if (log_level_parse(f->cfg.log_level) < 0) {
        buf_printf(err, "config: log.level must be debug, info, warn or error");
        return ERR_CONFIG;
    }
    f->assets = assets_load(f->cfg.static_manifest, f->cfg.static_base_url, err);
    if (!f->assets)
        return ERR_CONFIG;
    f->rules = appcfg_shop_rules(&f->cfg);
    f->policy = (struct account_policy){
        .pw_opslimit = f->cfg.pw_opslimit,
        .pw_memlimit = f->cfg.pw_memlimit,
        .password_min_bits = f->cfg.password_min_bits,
        .throttle =
            {
                .window_s = f->cfg.throttle_window_ms / 1000,
                .pair_free = f->cfg.throttle_pair_free,
                .account_limit = f->cfg.throttle_account_limit,
                .ip_limit = f->cfg.throttle_ip_limit,
                .max_delay_s = f->cfg.throttle_max_delay_ms / 1000,
            },
        .hash_wait_ms = f->cfg.hash_wait_ms,
        .hash_threads = (int)f->cfg.hash_concurrency,
        .session_absolute_s = f->cfg.session_absolute_ms / 1000,
    };
    if (account_init(&f->policy)) {
        buf_printf(err, "cannot initialise password hashing (libsodium)");
        return ERR_CONFIG;
    }
    f->extra_headers = build_headers(&f->cfg);
    f->hooks.error_page = front_error_page;
    f->hooks.before = front_before;
    f->hooks.finish = front_finish;
    f->hooks.after = front_after;
    f->hooks.extra_headers = f->extra_headers;
    f->hooks.https_headers = "Strict-Transport-Security: max-age=31536000; includeSubDomains\r\n";
    return 0;
}

void front_free(struct front *f)
{
    router_free(f->router);
    tpl_set_free(f->tpl);
    assets_free(f->assets);
    mem_free(f->extra_headers);
    mem_free(f->route_metrics);
    mem_free(f->routes);
    gate_free(f->hash_gate);
    appcfg_free(&f->cfg);
}

/* ---------------------------------------------------------------- threads */

static pthread_once_t library_once = PTHREAD_ONCE_INIT;

static void init_libraries(void)
{
    db_library_init();
    curl_global_init(CURL_GLOBAL_ALL);
}

struct http_app *front_thread_start(void *ctx, int index)
{
    const struct front *f = ctx;
    pthread_once(&library_once, init_libraries);
    db_thread_init();
    struct http_app *app = mem_calloc(1, sizeof *app);
    app->front = f;
    app->thread_index = index;
    struct db_opts dbo = appcfg_db_opts(&f->cfg);
    app->db = db_new(&dbo);
    struct cache_opts co = appcfg_cache_opts(&f->cfg, true);
    app->cache = cache_new(&co);
    struct gateway_opts go = appcfg_gateway_opts(&f->cfg);
    app->gw = gateway_psp_new(&go);
    return app;
}

void front_thread_stop(struct http_app *app)
{
    if (!app)
        return;
    db_free(app->db);
    cache_free(app->cache);
    gateway_free(app->gw);
    mem_free(app);
    db_thread_end();
}
