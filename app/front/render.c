/* render — page layout, templates, assets and error answers; see front.h. */
#include "front/front.h"

#include "core/err.h"
#include "core/log.h"
#include "shop/cart.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

struct view_layout *front_layout(struct http_ex *x, struct str title)
{
    struct view_layout *l = arena_calloc(x->arena, 1, sizeof *l);
    const struct front *f = x->app->front;
    l->title = title;
    l->site_name = str_from_cstr(f->cfg.site_name);
    l->node = str_from_cstr(f->cfg.node_name);
    l->description = STR("Limited-edition sneaker drops: fair, fast, and never oversold.");
    struct front_req *r = front_req(x);
    l->csrf = front_csrf_token(x);
    if (r->signed_in) {
        l->signed_in = true;
        l->user_name = r->session.name;
        l->is_admin = front_is_admin(x);
        if (r->cart_pairs < 0) {
            struct shop_ctx s = front_shop(x);
            if (cart_pairs(&s, r->session.account_id, &r->cart_pairs))
                r->cart_pairs = 0; /* the badge is not worth failing a page for */
        }
        l->cart_count = r->cart_pairs;
    } else if (r->presumed) {
        /* no lookup was made (front_presume_session): the links, not the name or the badge */
        l->signed_in = true;
        l->user_name = STR("Your account");
    }
    return l;
}

void front_render(struct http_ex *x, const char *file, const void *view)
{
    const struct tpl *t = tpl_get(x->app->front->tpl, file);
    if (!t) {
        fprintf(stderr, "stampede: route %s renders %s, which no module binds\n",
                x->route ? x->route->name : "-", file);
        abort();
    }
    x->resp.content_type = "text/html; charset=utf-8";
    tpl_render(t, view, x->resp.body);
}

struct str front_asset_url(struct http_ex *x, struct str logical)
{
    /* a picture an admin uploaded: content-addressed, served by nginx at /uploads/ */
    if (str_starts_with(logical, STR("uploads/")))
        return str_from_cstr(arena_sprintf(x->arena, "/%.*s", STR_FMT(logical)));
    const struct assets *a = x->app->front->assets;
    const char *u = assets_url(a, logical);
    if (!u) {
        log_warn("asset %.*s is not in the manifest", STR_FMT(logical));
        u = assets_url(a, STR("img/favicon.svg"));
    }
    return str_from_cstr(u ? u : "");
}

void front_error_page(struct http_ex *x, int status, const char *code, const char *message)
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
    v->layout = front_layout(x, str_from_cstr(title));
    v->status = status;
    v->code = str_from_cstr(code);
    v->message = str_from_cstr(message);
    v->text = status == 404 || status == 410
                  ? STR("Sorry about that. The page may have moved, or the drop may be over.")
              : status >= 500
                  ? STR("Nothing was changed. This is on our side and usually passes within "
                        "moments.")
                  : STR("Nothing was changed. Go back and check what you entered.");
    x->resp.status = status;
    x->resp.content_type = "text/html; charset=utf-8";
    tpl_render(x->app->front->t_error, v, x->resp.body);
}

struct cJSON *front_json_str(struct str s)
{
    return cJSON_CreateString(s.p ? s.p : "");
}

void front_retry_after(struct http_ex *x, int64_t seconds)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)(seconds < 1 ? 1 : seconds));
    http_resp_header(x, "Retry-After", str_from_cstr(s));
}

void front_fail(struct http_ex *x, int err)
{
    if (err == ERR_READONLY) {
        /* no primary database: reads work, this change cannot be saved now */
        front_retry_after(x, 5);
        http_resp_error(x, 503, "read_only",
                        "We cannot save changes right now; you can keep browsing. Please try "
                        "again in a moment.");
        return;
    }
    if (err_is_unavailable(err) || err_is_retryable(err)) {
        front_retry_after(x, 2);
        http_resp_error(x, 503, "service_unavailable",
                        "The shop is very busy right now. Please try again in a moment.");
        return;
    }
    log_error("route %s failed: %s", x->route ? x->route->name : "-", err_str(err));
    http_resp_error(x, 500, "internal_error", "Something went wrong on our side.");
}

void front_redirectf(struct http_ex *x, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        log_error("redirect of route %s too long", x->route ? x->route->name : "-");
        http_resp_error(x, 500, "internal_error", "Something went wrong on our side.");
        return;
    }
    http_resp_redirect(x, 303, arena_str_dup(x->arena, (struct str){buf, (size_t)n}));
}
